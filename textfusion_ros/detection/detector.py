"""The detector interface and the factory that builds one from a DetectorConfig."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from textfusion_ros.config import DetectorConfig
from textfusion_ros.detection.onnx_model import open_session
from textfusion_ros.detection.types import Detection
from textfusion_ros.paths import find_shipped

SHIPPED_DETECTOR = "models/ssdlite_mobilenet_v2_coco.onnx"


class Detector(Protocol):
    """Finds objects in one image."""

    name: str
    names: dict[int, str]
    """Every class the model knows, by id."""
    unknown_classes: tuple[str, ...]
    """Configured class names the model does not know (ignored)."""

    def detect(self, image: np.ndarray) -> list[Detection]:
        """uint8 BGR (or grey) H×W image → detections in its pixel coordinates, best first."""
        ...


def shipped_detector() -> Path | None:
    """The shipped SSDLite file, or None when it is not installed."""
    try:
        return find_shipped(SHIPPED_DETECTOR)
    except FileNotFoundError:
        return None


def detector_path(config: DetectorConfig) -> Path:
    """The configured detector file, or the shipped SSDLite."""
    return Path(config.model) if config.model else find_shipped(SHIPPED_DETECTOR)


def create_detector(config: DetectorConfig) -> Detector:
    """Open the configured model with ONNX Runtime and wrap it in the decoder of its format."""
    path = detector_path(config)
    session = open_session(path, config.threads, config.cpu_spin_wait)
    if config.format == "yolo":
        from textfusion_ros.detection.yolo import YoloDetector
        return YoloDetector(session, config, path)
    from textfusion_ros.detection.ssd_tf import SsdTfDetector
    return SsdTfDetector(session, config)
