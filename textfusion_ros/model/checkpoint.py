"""Model files: weights and prompt-bank embeddings in safetensors, configuration in JSON.

`name.safetensors` holds the network weights (`net.*`) and the embeddings of the prompt bank
(`bank.*`), so prompts known at training time need no text encoder at run time. `name.json`
beside it holds the network config, the encoder name, the bank's texts and classes, the
default prompt, training information and the SHA-256 of the .safetensors file, checked on
load so that a corrupted or swapped weights file is refused. Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save_file

from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.text.embedding import TextEmbedding

FORMAT = "textfusion_ros/fusion-model/1"

_log = logging.getLogger(__name__)


class ModelFileError(RuntimeError):
    """A model file is missing, corrupt or does not match its config; the message names it."""


@dataclass
class FusionModelFile:
    """Everything a model file holds."""

    model_config: ModelConfig
    weights: dict[str, torch.Tensor]
    prompt_bank: dict[str, TextEmbedding]
    prompt_classes: dict[str, str]
    default_prompt: str
    text_encoder: dict = field(default_factory=lambda: {"name": "minilm", "max_tokens": 128})
    info: dict = field(default_factory=dict)

    def build_network(self) -> TextFusionNet:
        """A TextFusionNet in eval mode carrying these weights."""
        net = TextFusionNet(self.model_config)
        try:
            net.load_state_dict(self.weights)
        except RuntimeError as exc:
            raise ModelFileError(f"weights do not match the model config: {exc}") from exc
        return net.eval()


def config_path(path: str | Path) -> Path:
    """The JSON that goes with a .safetensors model file."""
    return Path(path).with_suffix(".json")


def save_model_file(path: str | Path, model: FusionModelFile) -> None:
    """Write `path` (.safetensors) and its JSON config."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    texts = list(model.prompt_bank)
    tensors = {f"net.{k}": v.detach().cpu().contiguous() for k, v in model.weights.items()}
    if texts:
        bank = [model.prompt_bank[t] for t in texts]
        tensors["bank.pooled"] = torch.stack([e.pooled for e in bank]).contiguous()
        tensors["bank.tokens"] = torch.cat([e.tokens for e in bank]).contiguous()
        tensors["bank.lengths"] = torch.tensor([e.tokens.shape[0] for e in bank])
    save_file(tensors, str(path), metadata={"format": FORMAT})
    meta = {
        "format": FORMAT,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "model": model.model_config.to_dict(),
        "text_encoder": model.text_encoder,
        "default_prompt": model.default_prompt,
        "prompt_bank": [{"text": t, "class": model.prompt_classes.get(t)} for t in texts],
        "info": model.info,
    }
    config_path(path).write_text(json.dumps(meta, indent=2) + "\n")


def load_model_file(path: str | Path) -> FusionModelFile:
    """Read a model file and its JSON; any problem raises ModelFileError naming the file."""
    path = Path(path)
    meta_path = config_path(path)
    for p in (path, meta_path):
        if not p.is_file():
            raise ModelFileError(f"model file not found: {p}")
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"format is {meta.get('format')!r}, expected {FORMAT!r}")
        model_config = ModelConfig.from_dict(meta["model"])
        texts = [entry["text"] for entry in meta["prompt_bank"]]
        classes = {entry["text"]: entry["class"] for entry in meta["prompt_bank"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{meta_path}: invalid model config: {exc}") from exc
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: unreadable model file: {exc}") from exc
    _check_hash(path, data, meta.get("sha256"))
    try:
        tensors = load(data)
    except (SafetensorError, ValueError) as exc:
        raise ModelFileError(f"{path}: corrupt or unreadable safetensors file: {exc}") from exc
    weights = {k[4:]: v for k, v in tensors.items() if k.startswith("net.")}
    try:
        bank = _split_bank(tensors, texts)
    except (KeyError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: prompt bank does not match {meta_path.name}: {exc}") from exc
    model = FusionModelFile(model_config, weights, bank, classes, meta["default_prompt"],
                            meta.get("text_encoder", {}), meta.get("info", {}))
    try:
        model.build_network()
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from exc
    return model


def _check_hash(path: Path, data: bytes, expected: str | None) -> None:
    """Refuse `data` unless its SHA-256 is `expected`; files from before the hash only warn."""
    if expected is None:
        _log.warning("%s: no sha256 in %s (older model file), content not verified",
                     path, config_path(path).name)
        return
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ModelFileError(f"{path}: content hash {actual} does not match the sha256 "
                             f"{expected} in {config_path(path).name}: corrupt or replaced file")


def _split_bank(tensors: dict[str, torch.Tensor], texts: list[str]) -> dict[str, TextEmbedding]:
    if not texts:
        return {}
    lengths = tensors["bank.lengths"].tolist()
    if len(lengths) != len(texts):
        raise ValueError(f"{len(lengths)} embeddings for {len(texts)} prompts")
    tokens = torch.split(tensors["bank.tokens"], lengths)
    pooled = tensors["bank.pooled"]
    return {t: TextEmbedding(pooled[i], tokens[i]) for i, t in enumerate(texts)}
