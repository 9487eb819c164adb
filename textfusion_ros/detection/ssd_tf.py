"""SSD exported by the TensorFlow Object Detection API (e.g. the shipped SSDLite-MobileNetV2).

Contract: input uint8 N×H×W×3 RGB (the graph resizes to its own 300×300); outputs
num_detections (N), detection_boxes (N×K×4: ymin, xmin, ymax, xmax in [0, 1]),
detection_scores (N×K), detection_classes (N×K, COCO category ids). Class names by id come from
the ONNX metadata `names` when present (the shipped model has it), else the 90-id COCO map.
"""

from __future__ import annotations

import ast

import cv2
import numpy as np
import onnxruntime

from textfusion_ros.config import DetectorConfig
from textfusion_ros.detection.coco import TF_COCO_LABELS
from textfusion_ros.detection.onnx_model import metadata
from textfusion_ros.detection.postprocess import class_ids_for, select
from textfusion_ros.detection.types import Detection

OUTPUTS = ("num_detections", "detection_boxes", "detection_scores", "detection_classes")
DEFAULT_INPUT_SIZE = 300


class SsdTfDetector:
    """Resizes the image to the network's square input, runs it, maps boxes back to pixels."""

    name = "ssd_tf"

    def __init__(self, session: onnxruntime.InferenceSession, config: DetectorConfig) -> None:
        self.session = session
        self.config = config
        meta = metadata(session)
        self.names = ({int(k): str(v) for k, v in ast.literal_eval(meta["names"]).items()}
                      if "names" in meta else TF_COCO_LABELS)
        self.allowed, self.unknown_classes = class_ids_for(self.names, config.classes)
        self.size = config.input_size or DEFAULT_INPUT_SIZE
        self.input_name = session.get_inputs()[0].name
        available = [output.name for output in session.get_outputs()]
        self.output_names = [_find(available, wanted) for wanted in OUTPUTS]

    def detect(self, image: np.ndarray) -> list[Detection]:
        """uint8 BGR (or grey) H×W image → detections in its pixel coordinates."""
        bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        height, width = bgr.shape[:2]
        rgb = cv2.cvtColor(cv2.resize(bgr, (self.size, self.size)), cv2.COLOR_BGR2RGB)
        num, boxes, scores, classes = self.session.run(self.output_names,
                                                       {self.input_name: rgb[None]})
        n = int(num[0])
        ymin, xmin, ymax, xmax = boxes[0, :n].T
        xyxy = np.column_stack([xmin * width, ymin * height, xmax * width, ymax * height])
        return select(xyxy, scores[0, :n], classes[0, :n].astype(np.int32), self.names,
                      self.allowed, self.config.score_threshold, self.config.iou_threshold,
                      self.config.max_detections)


def _find(available: list[str], wanted: str) -> str:
    for name in available:
        if name.split(":")[0] == wanted:
            return name
    raise ValueError(f"not a TF Object Detection API SSD: no output {wanted!r} in {available}")
