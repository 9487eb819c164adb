"""Shared fixtures: the text encoder (loaded once), a small random model file, the shipped model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from textfusion_ros.model.checkpoint import FusionModelFile, save_model_file
from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.paths import default_model_path

BANK = {
    "fuse the infrared and visible images": "default",
    "highlight warm pedestrians": "highlight_thermal",
    "preserve visible texture and colour": "preserve_visible",
}


@pytest.fixture(scope="session")
def minilm():
    from textfusion_ros.text.encoders import MiniLMEncoder
    return MiniLMEncoder()


@pytest.fixture(scope="session")
def random_model_path(tmp_path_factory, minilm) -> Path:
    """A model file with random (non-zero) weights and a three-prompt bank."""
    torch.manual_seed(0)
    net = TextFusionNet(ModelConfig())
    with torch.no_grad():
        for p in net.parameters():
            if p.abs().sum() == 0:
                p.normal_(0, 0.05)
    texts = list(BANK)
    bank = dict(zip(texts, minilm.encode(texts), strict=True))
    path = tmp_path_factory.mktemp("model") / "random.safetensors"
    save_model_file(path, FusionModelFile(ModelConfig(), net.state_dict(), bank, BANK, texts[0]))
    return path


@pytest.fixture(scope="session")
def shipped_model_path() -> Path:
    """The shipped model (or TEXTFUSION_TEST_MODEL)."""
    return Path(os.environ.get("TEXTFUSION_TEST_MODEL") or default_model_path())
