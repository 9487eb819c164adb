"""A slice of an ONNX graph run with PyTorch operations, so gradients flow through it.

For frozen detectors exported to ONNX (the shipped SSDLite), whose convolutional part is needed
as a differentiable loss network. `onnx2torch` would be the library for this, but it imports
torchvision, and no torchvision build matches this project's torch pin (checked:
torchvision 0.28 fails to import against torch 2.13, `operator torchvision::nms does not
exist`). The operator set is the one such a slice uses (convolutions, batch norm, clipping,
additions, and the shape arithmetic around reshapes); any other operator is an error naming it.
Weights are frozen buffers; the module is always in inference mode (batch norm uses its
running statistics).
"""

from __future__ import annotations

from collections.abc import Sequence

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn

_DTYPES = {1: torch.float32, 6: torch.int32, 7: torch.int64, 11: torch.float64}


def _attributes(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _needed_nodes(graph: onnx.GraphProto, inputs: set[str],
                  outputs: Sequence[str]) -> list[onnx.NodeProto]:
    """The nodes that compute `outputs` from `inputs` and initializers, in graph order."""
    producer = {out: i for i, node in enumerate(graph.node) for out in node.output}
    constants = {init.name for init in graph.initializer}
    needed: set[int] = set()
    stack = list(outputs)
    while stack:
        name = stack.pop()
        if not name or name in inputs or name in constants:
            continue
        if name not in producer:
            raise ValueError(f"ONNX graph: tensor {name!r} is neither computed, an "
                             "initializer, nor a slice input")
        index = producer[name]
        if index not in needed:
            needed.add(index)
            stack.extend(graph.node[index].input)
    return [graph.node[i] for i in sorted(needed)]


def _conv(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, a: dict) -> torch.Tensor:
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError(f"Conv auto_pad {a['auto_pad']!r} is not supported")
    top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
    if (top, left) != (bottom, right):
        x, padding = F.pad(x, (left, right, top, bottom)), 0
    else:
        padding = (top, left)
    return F.conv2d(x, w, b, a.get("strides", [1, 1]), padding, a.get("dilations", [1, 1]),
                    a.get("group", 1))


def _gather(x: torch.Tensor, index: torch.Tensor, axis: int) -> torch.Tensor:
    flat = torch.index_select(x, axis, index.reshape(-1).long())
    return flat.reshape(x.shape[:axis] + index.shape + x.shape[axis + 1:])


def _slice(x: torch.Tensor, starts, ends, axes=None, steps=None) -> torch.Tensor:
    starts, ends = starts.tolist(), ends.tolist()
    axes = axes.tolist() if axes is not None else list(range(len(starts)))
    steps = steps.tolist() if steps is not None else [1] * len(starts)
    index = [slice(None)] * x.dim()
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        index[axis] = slice(start, min(end, x.shape[axis]), step)
    return x[tuple(index)]


def _reshape(x: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
    dims = [x.shape[i] if d == 0 else d for i, d in enumerate(shape.tolist())]
    return x.reshape(dims)


def _run(op: str, args: list, a: dict) -> torch.Tensor:
    """One ONNX operator on torch tensors."""
    if op == "Conv":
        return _conv(args[0], args[1], args[2] if len(args) > 2 else None, a)
    if op == "BatchNormalization":
        x, scale, bias, mean, var = args
        return F.batch_norm(x, mean, var, scale, bias, False, 0.0, a.get("epsilon", 1e-5))
    if op == "Clip":
        return torch.clamp(args[0], *(float(v) if v is not None else None
                                      for v in (args + [None, None])[1:3]))
    if op == "Add":
        return args[0] + args[1]
    if op == "Transpose":
        return args[0].permute(a["perm"])
    if op == "Reshape":
        return _reshape(args[0], args[1])
    if op == "Concat":
        return torch.cat(args, a["axis"])
    if op == "Cast":
        return args[0].to(_DTYPES[a["to"]])
    if op == "Shape":
        return torch.tensor(args[0].shape, dtype=torch.int64)
    if op == "Gather":
        return _gather(args[0], args[1], a.get("axis", 0))
    if op == "Slice":
        return _slice(*args)
    raise ValueError(f"ONNX operator {op} is not supported by the torch graph runner")


class OnnxSlice(nn.Module):
    """Computes `outputs` of an ONNX model from the tensor named `input_name`, in torch."""

    def __init__(self, model: onnx.ModelProto, input_name: str, outputs: Sequence[str]) -> None:
        super().__init__()
        graph = model.graph
        self.nodes = [(n.op_type, list(n.input), list(n.output), _attributes(n))
                      for n in _needed_nodes(graph, {input_name}, outputs)]
        used = {name for _, inputs, _, _ in self.nodes for name in inputs}
        self.constant_names: dict[str, str] = {}
        for i, init in enumerate(graph.initializer):
            if init.name in used:
                self.register_buffer(f"c{i}", torch.from_numpy(numpy_helper.to_array(init).copy()))
                self.constant_names[init.name] = f"c{i}"
        self.input_name = input_name
        self.outputs = list(outputs)
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        values: dict[str, torch.Tensor | None] = {self.input_name: x, "": None}
        for name, buffer in self.constant_names.items():
            values[name] = getattr(self, buffer)
        for op, inputs, outputs, attributes in self.nodes:
            values[outputs[0]] = _run(op, [values[name] for name in inputs], attributes)
        return [values[name] for name in self.outputs]
