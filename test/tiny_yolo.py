"""Tiny YOLO-shaped ONNX models built by tests: fixed candidates in either export layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper


def yolo_model(path: Path, rows: np.ndarray, layout: str, size: tuple[int, int],
               metadata: dict[str, str] | None = None, half: bool = False) -> Path:
    """A tiny YOLO-shaped ONNX: output = `rows` (candidates, in network-input pixels) laid out
    as v8 (1, 4+nc, N), v5 (1, N, 5+nc) or end-to-end (1, N, 6), plus 0 × the image mean so
    the input is used. `half`: float16 input and output, as a half-precision export."""
    out = rows.T[None] if layout == "v8" else rows[None]
    height, width = size
    element = TensorProto.FLOAT16 if half else TensorProto.FLOAT
    values = out.astype(np.float16 if half else np.float32)
    nodes = [
        helper.make_node("Constant", [], ["raw"], value=helper.make_tensor(
            "raw", element, out.shape, values.tobytes(), raw=True)),
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Constant", [], ["zero"], value=helper.make_tensor(
            "zero", element, [], np.zeros((), values.dtype).tobytes(), raw=True)),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["raw", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_yolo",
        [helper.make_tensor_value_info("images", element, [1, 3, height, width])],
        [helper.make_tensor_value_info("output0", element, list(out.shape))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def to_network(box: tuple[float, float, float, float], image_hw: tuple[int, int],
               net_hw: tuple[int, int]) -> tuple[float, float, float, float]:
    """An image-pixel box (x1, y1, x2, y2) → (cx, cy, w, h) in the letterboxed input: the
    forward mapping a YOLO exporter's preprocessing applies (scale to fit, centre)."""
    (h, w), (nh, nw) = image_hw, net_hw
    scale = min(nh / h, nw / w)
    pad_x, pad_y = (nw - round(w * scale)) // 2, (nh - round(h * scale)) // 2
    x1, y1, x2, y2 = (box[0] * scale + pad_x, box[1] * scale + pad_y,
                      box[2] * scale + pad_x, box[3] * scale + pad_y)
    return (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
