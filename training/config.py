"""Training configuration: one YAML file with sections data, train, loss, model, text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from textfusion_ros.imaging.night import NightConfig
from training.conditioning import NightTargets
from training.detection.config import DetectionTuning
from training.loss_presets import PRESETS as LOSS_PRESETS
from training.losses import LossWeights
from training.prompts import PROMPT_CLASSES


@dataclass
class DataConfig:
    root: str = "../shared/data/roadscene"
    split: str | None = None
    n_val: int = 25
    n_test: int = 0  # pairs held out as an untouched test split (0: train/val only, as shipped)
    split_seed: int = 0
    lazy: bool = False  # decode pairs on access instead of holding them all in memory
    degraded_root: str | None = None  # Text-IF per-task folders of real degraded pairs (optional)
    degraded_split: str = "train"
    degraded_tasks: dict[str, str] = field(default_factory=dict)  # extra folder → prompt class
    degraded_prob: float = 0.25  # share of samples taken from the real degraded pairs


@dataclass
class TrainLoopConfig:
    out_dir: str = "runs/roadscene"
    iterations: int = 6000
    batch_size: int = 12
    crop: int = 128
    lr: float = 2e-3
    min_lr: float = 5e-5
    weight_decay: float = 1e-4
    warmup: int = 200
    grad_clip: float = 1.0
    seed: int = 0
    workers: int = 0
    threads: int = 0
    device: str = "cpu"
    resume: bool = True
    text_prob: float = 0.3
    text_noise: float = 0.01
    default_degraded_prob: float = 0.5
    class_probs: dict[str, float] = field(default_factory=lambda: {
        "default": 0.25, "highlight_thermal": 0.125, "preserve_visible": 0.125,
        "vis_low_light": 0.125, "vis_overexposure": 0.125, "ir_noise": 0.125,
        "ir_low_contrast": 0.125})
    log_every: int = 25
    image_every: int = 500
    checkpoint_every: int = 500


@dataclass
class LossConfig:
    preset: str = "textfusion"  # textfusion | textif | film | tgif (training/loss_presets.py)
    gradient_boost: float = 1.1
    detail_boost: float = 1.25
    intensity_max_mix: float = 0.5
    as_given_max_mix: float = 0.5
    class_max_mix: dict[str, float] = field(default_factory=dict)
    classes: dict[str, LossWeights] = field(
        default_factory=lambda: {name: LossWeights() for name in PROMPT_CLASSES})


@dataclass
class TextConfig:
    name: str = "minilm"                # minilm | clip
    max_tokens: int | None = None       # prompt token limit (None: the encoder's, 128 / 77)
    clip_backend: str = "auto"          # auto | transformers | open_clip (name: clip)
    clip_model: str = "ViT-B-32"        # open_clip architecture (open_clip backend only)
    clip_weights: str | None = None     # Hugging Face folder or open_clip file; no download
    chunk_overlap: int = 16             # tokens shared by consecutive chunks of a long paragraph

    def encoder_options(self) -> dict:
        """Keyword arguments of `create_encoder(self.name, ...)`."""
        options: dict = {} if self.max_tokens is None else {"max_tokens": self.max_tokens}
        if self.name == "clip":
            options.update(model_name=self.clip_model, weights=self.clip_weights,
                           backend=self.clip_backend)
        return options


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainLoopConfig = field(default_factory=TrainLoopConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    model: dict = field(default_factory=dict)
    text: TextConfig = field(default_factory=TextConfig)
    night: NightConfig = field(default_factory=NightConfig)
    night_targets: NightTargets = field(default_factory=NightTargets)
    detection: DetectionTuning = field(default_factory=DetectionTuning)

    def to_dict(self) -> dict:
        return asdict(self)


def _build(cls: type, data: dict | None, where: str):
    data = data or {}
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown keys in {where}: {unknown}; known: {sorted(known)}")
    return cls(**data)


def _require_known_classes(names: Iterable[str], where: str) -> None:
    bad = sorted(set(names) - set(PROMPT_CLASSES))
    if bad:
        raise ValueError(f"unknown prompt classes in {where}: {bad}")


def load_train_config(path: str | Path) -> TrainConfig:
    """Parse a training YAML; unknown keys and unknown prompt classes are errors."""
    raw = yaml.safe_load(Path(path).read_text()) or {}
    unknown = sorted(set(raw) - {f.name for f in fields(TrainConfig)})
    if unknown:
        raise ValueError(f"unknown sections in {path}: {unknown}")
    loss_raw = dict(raw.get("loss") or {})
    classes = {name: LossWeights() for name in PROMPT_CLASSES}
    class_weights = loss_raw.pop("classes", None) or {}
    _require_known_classes(class_weights, "loss.classes")
    for name, weights in class_weights.items():
        classes[name] = _build(LossWeights, weights, f"loss.classes.{name}")
    loop = _build(TrainLoopConfig, raw.get("train"), "train")
    _require_known_classes(loop.class_probs, "train.class_probs")
    loss = _build(LossConfig, loss_raw, "loss")
    _require_known_classes(loss.class_max_mix, "loss.class_max_mix")
    if loss.preset not in LOSS_PRESETS:
        raise ValueError(f"unknown loss.preset {loss.preset!r}; known: {list(LOSS_PRESETS)}")
    loss.classes = classes
    return TrainConfig(
        data=_build(DataConfig, raw.get("data"), "data"),
        train=loop,
        loss=loss,
        model=dict(raw.get("model") or {}),
        text=_build(TextConfig, raw.get("text"), "text"),
        night=NightConfig.from_dict(raw.get("night")),
        night_targets=_build(NightTargets, raw.get("night_targets"), "night_targets"),
        detection=_build(DetectionTuning, raw.get("detection"), "detection"),
    )
