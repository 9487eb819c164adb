"""Shared fixtures: the text encoder (loaded once), a small random model file, the shipped model,
the `ros2` CLI. Tests see AMENT_PREFIX_PATH as `source .venv/bin/activate` sets it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from textfusion_ros.model.checkpoint import FusionModelFile, save_model_file
from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.paths import default_model_path

REPO = Path(__file__).resolve().parents[1]
SHARED_ROS_TOOLS = REPO.parent / "shared" / "ros-tools"


def _activated_ament_prefix_path() -> str:
    """AMENT_PREFIX_PATH after sourcing this venv's activate script (as a user would)."""
    activate = Path(sys.prefix) / "bin" / "activate"
    if not activate.exists():
        return os.environ.get("AMENT_PREFIX_PATH", "")
    return subprocess.run(
        ["bash", "-c", f'source "{activate}" >/dev/null && printf %s "${{AMENT_PREFIX_PATH:-}}"'],
        capture_output=True, text=True, check=True).stdout


os.environ["AMENT_PREFIX_PATH"] = _activated_ament_prefix_path()


def require_ros_tools(what: str) -> None:
    """Skip (saying why) when the ros2 CLI / launch are missing; fail instead under CI=true
    with ../shared/ros-tools present, where `make venv` must have installed them."""
    reason = (f"{what} not installed in {sys.prefix}: ../shared/ros-tools/install.sh .venv "
              "installs it (make venv does when ../shared/ros-tools exists)")
    if os.environ.get("CI") == "true" and SHARED_ROS_TOOLS.exists():
        pytest.fail(reason)
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="session")
def ros2_cli() -> Path:
    """The `ros2` command of this venv (skips without it)."""
    ros2 = Path(sys.executable).with_name("ros2")
    if not ros2.exists():
        require_ros_tools("the ros2 CLI")
    return ros2


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
