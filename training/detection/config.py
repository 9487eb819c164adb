"""The `detection:` section of a training YAML: detection-driven fine-tuning
(`textfusion detect-tune`, `training.detection.tune`); unused by `textfusion train`."""

from __future__ import annotations

from dataclasses import dataclass, field

from textfusion_ros.imaging.degradations import DEGRADATIONS

EVAL_DEGRADATIONS = ("vis_low_light", "vis_overexposure", "ir_noise", "ir_low_contrast")


@dataclass
class DetectionTuning:
    """The `detection:` section of a training YAML (used by `textfusion detect-tune` only)."""

    labels: str | None = None  # folder of YOLO .txt / VOC .xml label files (None: pseudo-labels)
    label_format: str = "auto"  # auto | yolo | voc (LLVIP) | m3fd
    label_names: list[str] = field(default_factory=list)  # YOLO class names without classes.txt
    pseudo_labels: bool = False  # boxes from the detector on the clean daytime visible image
    pseudo_score: float = 0.3  # score threshold of the pseudo-labels
    detector: str = ""  # TF-OD-API SSD ONNX file (empty: the shipped SSDLite)
    init_model: str = ""  # fusion model to start from (empty: the shipped model)
    iterations: int = 200  # optimiser steps, both levels together
    fusion_steps: int = 1  # steps of the fusion losses per round (lower level)
    detection_steps: int = 1  # steps of the detection loss per round (upper level)
    detection_weight: float = 1.0
    lr: float = 1e-4
    batch_size: int = 4
    frame_hw: list[int] = field(default_factory=lambda: [256, 320])  # detection frames (H, W)
    degradations: list[str] = field(default_factory=lambda: list(EVAL_DEGRADATIONS))
    degraded_prob: float = 0.6  # share of detection samples with degraded inputs
    eval_score: float = 0.01  # detector threshold for the mAP (low: the whole PR curve)

    def __post_init__(self) -> None:
        if self.fusion_steps < 0 or self.detection_steps < 1:
            raise ValueError("detection.fusion_steps must be ≥ 0 and detection_steps ≥ 1")
        unknown = sorted(set(self.degradations) - set(DEGRADATIONS))
        if unknown:
            raise ValueError(f"unknown detection.degradations {unknown}; known: "
                             f"{sorted(DEGRADATIONS)}")
