"""YOLO ONNX exports: (1, 4+nc, N) as Ultralytics v8/v11 export them, (1, N, 5+nc) for v5, and
the end-to-end (1, N, 6) rows x1 y1 x2 y2 score class of YOLO26/v10 or an `nms=True` export.

Class names come from the ONNX metadata `names` (as Ultralytics writes it), else a YAML file
beside the model (`<model>.yaml` with `names:` and optionally `imgsz:`), else COCO's 80 when the
model has 80 classes. Input: letterboxed RGB float in [0, 1], N×3×H×W; H×W from the detector
config's input_size, the metadata `imgsz`, the model's fixed input shape, or 640. Half-precision
exports get a float16 input.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import onnxruntime
import yaml

from textfusion_ros.config import DetectorConfig
from textfusion_ros.detection.coco import COCO80
from textfusion_ros.detection.letterbox import letterbox
from textfusion_ros.detection.onnx_model import metadata
from textfusion_ros.detection.postprocess import class_ids_for, select
from textfusion_ros.detection.types import Detection

DEFAULT_INPUT_SIZE = 640


def decode(output: np.ndarray, num_classes: int | None,
           end_to_end: bool = False) -> tuple[np.ndarray, ...]:
    """One image's raw output → (N×4 x1 y1 x2 y2 in input pixels, N scores, N class ids).

    `end_to_end`: rows of x1 y1 x2 y2 score class. Otherwise the layout is told apart by shape:
    (4+nc, N) is v8/v11, (N, 5+nc) is v5 (objectness times class score). With `num_classes`
    unknown the shorter axis is taken as the channel axis.
    """
    if output.dtype == np.float16:  # half-precision exports
        output = output.astype(np.float32)
    if output.ndim == 3:
        output = output[0]
    rows, cols = output.shape
    if end_to_end:
        if cols != 6:
            raise ValueError(f"end-to-end YOLO output {output.shape} is not (N, 6)")
        return output[:, :4], output[:, 4], output[:, 5].round().astype(np.int64)
    v8 = rows == num_classes + 4 if num_classes is not None else rows < cols
    if v8:
        cxcywh, class_scores = output[:4].T, output[4:].T
    else:
        if num_classes is not None and cols != num_classes + 5:
            raise ValueError(f"YOLO output {output.shape} fits neither (4+{num_classes}, N) "
                             f"nor (N, 5+{num_classes})")
        cxcywh, class_scores = output[:, :4], output[:, 5:] * output[:, 4:5]
    class_ids = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(class_ids)), class_ids]
    half = cxcywh[:, 2:] / 2.0
    return np.hstack([cxcywh[:, :2] - half, cxcywh[:, :2] + half]), scores, class_ids


class YoloDetector:
    """Letterboxes, runs a YOLO ONNX, decodes its layout, undoes the letterbox."""

    name = "yolo"

    def __init__(self, session: onnxruntime.InferenceSession, config: DetectorConfig,
                 model_path: str | Path) -> None:
        self.session = session
        self.config = config
        meta, sidecar = metadata(session), _sidecar(Path(model_path))
        self.end_to_end = _end_to_end(meta, sidecar, session)
        shape_classes = None if self.end_to_end else _num_classes(session)
        self.names = _names(meta, sidecar, shape_classes)
        named = "names" in sidecar or "names" in meta
        self.num_classes = len(self.names) if named else shape_classes
        self.allowed, self.unknown_classes = class_ids_for(self.names, config.classes)
        self.height, self.width = _input_size(config, meta, sidecar, session)
        model_input = session.get_inputs()[0]
        self.input_name = model_input.name
        self.input_dtype = np.float16 if model_input.type == "tensor(float16)" else np.float32

    def detect(self, image: np.ndarray) -> list[Detection]:
        """uint8 BGR (or grey) H×W image → detections in its pixel coordinates."""
        bgr = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
        padded, box = letterbox(bgr, self.height, self.width)
        blob = padded[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        output = self.session.run(
            None, {self.input_name: blob.astype(self.input_dtype, copy=False)})[0]
        boxes, scores, class_ids = decode(output, self.num_classes, self.end_to_end)
        keep = scores >= self.config.score_threshold  # cheap pre-filter before undoing
        boxes = box.undo(boxes[keep], bgr.shape[1], bgr.shape[0])
        return select(boxes, scores[keep], class_ids[keep], self.names, self.allowed,
                      self.config.score_threshold, self.config.iou_threshold,
                      self.config.max_detections)


def _sidecar(model_path: Path) -> dict:
    path = model_path.with_suffix(".yaml")
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def _end_to_end(meta: dict[str, str], sidecar: dict,
                session: onnxruntime.InferenceSession) -> bool:
    """Whether the model's output is already boxes (x1 y1 x2 y2 score class): a sidecar
    `end2end:`, Ultralytics' `end2end` metadata, an export with `nms` in its `args`, or an
    output of 6 columns that cannot be a v5 one (the metadata names more than one class)."""
    if "end2end" in sidecar:
        return bool(sidecar["end2end"])
    if meta.get("end2end") == "True":
        return True
    args = ast.literal_eval(meta["args"]) if "args" in meta else {}
    if isinstance(args, dict) and args.get("nms"):
        return True
    shape = session.get_outputs()[0].shape
    named = len(ast.literal_eval(meta["names"])) if "names" in meta else None
    return len(shape) == 3 and shape[2] == 6 and named not in (None, 1)


def _num_classes(session: onnxruntime.InferenceSession) -> int | None:
    """Classes implied by a fixed output shape, when the shape alone is unambiguous."""
    shape = session.get_outputs()[0].shape
    if len(shape) == 3 and all(isinstance(d, int) for d in shape[1:]):
        rows, cols = shape[1:]
        return rows - 4 if rows < cols else cols - 5
    return None


def _names(meta: dict[str, str], sidecar: dict, num_classes: int | None) -> dict[int, str]:
    raw = sidecar.get("names")
    if raw is None and "names" in meta:
        raw = ast.literal_eval(meta["names"])
    if raw is None:
        if num_classes not in (None, 80):
            return {i: str(i) for i in range(num_classes)}
        raw = COCO80
    if isinstance(raw, dict):
        return {int(k): str(v) for k, v in raw.items()}
    return dict(enumerate(str(v) for v in raw))


def _input_size(config: DetectorConfig, meta: dict[str, str], sidecar: dict,
                session: onnxruntime.InferenceSession) -> tuple[int, int]:
    if config.input_size:
        return config.input_size, config.input_size
    imgsz = sidecar.get("imgsz") or (ast.literal_eval(meta["imgsz"]) if "imgsz" in meta else None)
    if imgsz is None:
        shape = session.get_inputs()[0].shape
        if len(shape) == 4 and all(isinstance(d, int) for d in shape[2:]):
            imgsz = shape[2:]
    if imgsz is None:
        return DEFAULT_INPUT_SIZE, DEFAULT_INPUT_SIZE
    if isinstance(imgsz, int):
        return imgsz, imgsz
    return int(imgsz[0]), int(imgsz[1])
