"""The shipped SSDLite (TensorFlow Object Detection API, exported to ONNX) as a frozen,
differentiable PyTorch module: its convolutional part, from the preprocessed image to the raw
box encodings and class logits, plus its anchors and box coder.

The slice starts after the graph's own preprocessing (a TensorFlow `map_fn` resize loop) at
``Preprocessor/sub:0`` (N×3×300×300, RGB scaled to [-1, 1]) and ends before post-processing
(decoding and NMS, also loops) at ``concat:0`` (box encodings N×A×1×4) and ``concat_1:0``
(class logits N×A×C, column 0 background, column k the class of COCO id k; sigmoid scores).
Anchors (A×4, normalised ymin, xmin, ymax, xmax) are the graph's constant
``Postprocessor/ExpandDims:0``; encodings are the Faster R-CNN box coder's (ty, tx, th, tw)
with scale factors 10, 10, 5, 5 (the API's SSD default, checked against the graph's decoded
boxes in the tests).
"""

from __future__ import annotations

import ast
from pathlib import Path

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn

from training.detection.onnx_graph import OnnxSlice

INPUT = "Preprocessor/sub:0"
BOX_ENCODINGS, CLASS_LOGITS = "concat:0", "concat_1:0"
ANCHORS = "Postprocessor/ExpandDims:0"
INPUT_SIZE = 300
SCALE_FACTORS = (10.0, 10.0, 5.0, 5.0)


class FrozenSsd(nn.Module):
    """Image batch (B×1 grey or B×3 RGB, [0, 1], any size) → (encodings B×A×4, logits B×A×C)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        path = Path(path)
        try:
            model = onnx.load(str(path))
        except Exception as error:  # noqa: BLE001 - onnx raises several decode errors
            raise ValueError(f"{path}: not a readable ONNX model ({error})") from error
        constants = {init.name: init for init in model.graph.initializer}
        if ANCHORS not in constants:
            raise ValueError(f"{path}: not a TF Object Detection API SSD export (no anchor "
                             f"constant {ANCHORS!r})")
        try:
            self.body = OnnxSlice(model, INPUT, [BOX_ENCODINGS, CLASS_LOGITS])
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error
        anchors = torch.from_numpy(numpy_helper.to_array(constants[ANCHORS]).copy())
        self.register_buffer("anchors", anchors.reshape(-1, 4))
        meta = {p.key: p.value for p in model.metadata_props}
        self.names = ({int(k): str(v) for k, v in ast.literal_eval(meta["names"]).items()}
                      if "names" in meta else {1: "person"})
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> FrozenSsd:
        """Always in inference mode: a frozen loss network."""
        return super().train(False)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        x = F.interpolate(images, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear",
                          align_corners=False)
        encodings, logits = self.body(x * 2.0 - 1.0)
        return encodings.reshape(encodings.shape[0], -1, 4), logits


def _centre_form(boxes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(y centre, x centre, height, width) of ymin, xmin, ymax, xmax boxes."""
    ymin, xmin, ymax, xmax = boxes.unbind(-1)
    return (ymin + ymax) / 2, (xmin + xmax) / 2, ymax - ymin, xmax - xmin


def encode(boxes: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Box coder: boxes (…×4, ymin xmin ymax xmax) relative to anchors → (ty, tx, th, tw)."""
    y, x, h, w = _centre_form(boxes)
    ya, xa, ha, wa = _centre_form(anchors)
    sy, sx, sh, sw = SCALE_FACTORS
    h, w = h.clamp_min(1e-6), w.clamp_min(1e-6)
    return torch.stack([sy * (y - ya) / ha, sx * (x - xa) / wa,
                        sh * torch.log(h / ha), sw * torch.log(w / wa)], dim=-1)


def decode(encodings: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Inverse of `encode`: encodings → boxes (ymin, xmin, ymax, xmax), normalised."""
    ya, xa, ha, wa = _centre_form(anchors)
    sy, sx, sh, sw = SCALE_FACTORS
    ty, tx, th, tw = encodings.unbind(-1)
    y, x = ty / sy * ha + ya, tx / sx * wa + xa
    h, w = torch.exp(th / sh) * ha, torch.exp(tw / sw) * wa
    return torch.stack([y - h / 2, x - w / 2, y + h / 2, x + w / 2], dim=-1)
