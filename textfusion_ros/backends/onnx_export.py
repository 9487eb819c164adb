"""Exporting a fusion model to ONNX: dynamic batch, height, width and prompt length.

The graph has the network's own inputs, so a new prompt never needs a new graph or engine:
`ir`, `vis` (B×1×H×W float in [0, 1], H and W multiples of the size multiple: the backends pad
outside the graph), `text_pooled` (B×D), `text_tokens` (B×T×D) and `text_mask` (B×T, 1 = real
token); output `fused` (B×1×H×W). A JSON sidecar beside `fusion.onnx` names the model hash, the
inputs, the size multiple and the normalisation.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import onnx
import torch

from textfusion_ros.backends.cache import sha256_files, write_atomic
from textfusion_ros.backends.onnx_names import (
    DEFAULT_EXPORTER,
    DEFAULT_OPSET,
    EXPORTERS,
    INPUT_NAMES,
    OUTPUT_NAME,
)
from textfusion_ros.model.checkpoint import FusionModelFile, config_path
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings

SIDECAR_FORMAT = "textfusion_ros/fusion-onnx/1"
NORMALISATION = ("ir and vis: luminance scaled to [0, 1] (8-bit / 255; 16-bit through "
                 "percentile gain control); output: fused luminance in [0, 1]")


class OnnxExportError(RuntimeError):
    """The model could not be exported, or the exported graph failed its checks."""


def model_hash(model_path: str | Path) -> str:
    """SHA-256 of a model file and its JSON config: what an exported graph was made from."""
    return sha256_files(model_path, config_path(model_path))


def sidecar_path(onnx_path: str | Path) -> Path:
    return Path(onnx_path).with_suffix(".json")


def example_inputs(multiple: int, text_dim: int, batch: int = 2, tokens: int = 7
                   ) -> tuple[torch.Tensor, ...]:
    """Tracing inputs: sizes other than 1 so that no dynamic axis is specialised away."""
    g = torch.Generator().manual_seed(0)
    images = [torch.rand(batch, 1, 2 * multiple, 3 * multiple, generator=g) for _ in range(2)]
    text = [TextEmbedding(torch.randn(text_dim, generator=g),
                          torch.randn(tokens - i, text_dim, generator=g)) for i in range(batch)]
    return (*images, *collate_embeddings(text))


def export_onnx(model: FusionModelFile, out_path: str | Path, *, source_hash: str = "",
                exporter: str = DEFAULT_EXPORTER, opset: int = DEFAULT_OPSET,
                fp16: bool = False) -> Path:
    """Write `out_path` (.onnx) and its sidecar JSON; check the graph (onnx checker with shape
    inference). fp16 stores the weights and arithmetic in half precision, inputs and output
    stay float32."""
    if exporter not in EXPORTERS:
        raise ValueError(f"exporter must be one of {', '.join(EXPORTERS)}, got {exporter!r}")
    out_path = Path(out_path)
    net = model.build_network()
    config = model.model_config
    args = example_inputs(config.size_multiple, config.text_dim)
    try:
        with tempfile.TemporaryDirectory() as scratch, _quiet_exporter():
            raw = Path(scratch) / "fusion.onnx"
            if exporter == "dynamo":
                _export_dynamo(net, args, raw, opset, config.size_multiple)
            else:
                _export_torchscript(net, args, raw, opset)
            graph = onnx.load(str(raw))
    except Exception as exc:  # the exporters raise many types; name the step and the cause
        raise OnnxExportError(f"{exporter} export failed: {type(exc).__name__}: {exc}") from exc
    if fp16:
        graph = _to_fp16(graph)
    check_graph(graph)
    write_atomic(out_path, graph.SerializeToString())
    sidecar = {
        "format": SIDECAR_FORMAT,
        "model_sha256": source_hash,
        "inputs": list(INPUT_NAMES),
        "output": OUTPUT_NAME,
        "size_multiple": config.size_multiple,
        "text_dim": config.text_dim,
        "normalisation": NORMALISATION,
        "dynamic_axes": {"ir": ["batch", "height", "width"], "vis": ["batch", "height", "width"],
                         "text_pooled": ["batch"], "text_tokens": ["batch", "tokens"],
                         "text_mask": ["batch", "tokens"]},
        "precision": "fp16" if fp16 else "fp32",
        "exporter": exporter,
        "opset": opset,
        "torch": torch.__version__,
    }
    write_atomic(sidecar_path(out_path), (json.dumps(sidecar, indent=1) + "\n").encode())
    return out_path


def check_graph(graph: onnx.ModelProto) -> None:
    """onnx's checker with strict shape inference; names the problem on failure."""
    try:
        onnx.checker.check_model(graph, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise OnnxExportError(f"exported graph fails the ONNX checker: {exc}") from exc
    names = [i.name for i in graph.graph.input]
    if names != list(INPUT_NAMES) or [o.name for o in graph.graph.output] != [OUTPUT_NAME]:
        raise OnnxExportError(f"exported graph has inputs {names}, expected {list(INPUT_NAMES)}")


def read_sidecar(onnx_path: str | Path) -> dict:
    """The sidecar of an exported graph; a missing or foreign one is an error naming it."""
    path = sidecar_path(onnx_path)
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise OnnxExportError(f"{path}: missing or unreadable ONNX sidecar: {exc}") from exc
    if meta.get("format") != SIDECAR_FORMAT:
        raise OnnxExportError(f"{path}: format {meta.get('format')!r}, expected "
                              f"{SIDECAR_FORMAT!r}")
    return meta


@functools.cache
def network_code_hash() -> str:
    """SHA-256 of the source files that define the network's graph (textfusion_ros/model/)."""
    folder = Path(__file__).resolve().parent.parent / "model"
    digest = hashlib.sha256()
    for source in sorted(folder.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def cached_export(model: FusionModelFile, model_path: str | Path, cache_dir: Path, *,
                  exporter: str = DEFAULT_EXPORTER, opset: int = DEFAULT_OPSET,
                  fp16: bool = False) -> Path:
    """The exported graph of `model_path`, from `cache_dir/onnx/` when present, else exported
    there. Keyed by the model file's content hash, the network's code (an upgrade that changes
    the graph exports again), exporter, opset, torch version and precision."""
    source = model_hash(model_path)
    precision = "fp16" if fp16 else "fp32"
    name = (f"{source[:20]}-net{network_code_hash()[:8]}-{exporter}-op{opset}"
            f"-torch{torch.__version__}-{precision}.onnx")
    path = cache_dir / "onnx" / name.replace("+", "_")
    if path.is_file():
        try:
            if read_sidecar(path).get("model_sha256") == source:
                return path
        except OnnxExportError:
            pass  # incomplete entry: export again
    if not fp16:
        return export_onnx(model, path, source_hash=source, exporter=exporter, opset=opset)
    full = cached_export(model, model_path, cache_dir, exporter=exporter, opset=opset)
    return convert_to_fp16(full, path)


def convert_to_fp16(onnx_path: Path, out_path: Path) -> Path:
    """Half-precision copy of an exported graph (float32 inputs and output), with sidecar."""
    graph = _to_fp16(onnx.load(str(onnx_path)))
    check_graph(graph)
    write_atomic(out_path, graph.SerializeToString())
    meta = {**read_sidecar(onnx_path), "precision": "fp16"}
    write_atomic(sidecar_path(out_path), (json.dumps(meta, indent=1) + "\n").encode())
    return out_path


def _export_dynamo(net: torch.nn.Module, args: tuple, path: Path, opset: int,
                   multiple: int) -> None:
    batch = torch.export.Dim("batch", min=1, max=64)
    height = multiple * torch.export.Dim("height_blocks", min=1, max=512)
    width = multiple * torch.export.Dim("width_blocks", min=1, max=512)
    tokens = torch.export.Dim("tokens", min=1, max=4096)
    image = {0: batch, 2: height, 3: width}
    shapes = {"ir": image, "vis": image, "text_pooled": {0: batch},
              "text_tokens": {0: batch, 1: tokens}, "text_mask": {0: batch, 1: tokens}}
    program = torch.onnx.export(net, args, dynamo=True, dynamic_shapes=shapes,
                                opset_version=opset, input_names=list(INPUT_NAMES),
                                output_names=[OUTPUT_NAME], optimize=True, verbose=False)
    program.save(str(path))


def _export_torchscript(net: torch.nn.Module, args: tuple, path: Path, opset: int) -> None:
    image = {0: "batch", 2: "height", 3: "width"}
    axes = {"ir": image, "vis": image, "text_pooled": {0: "batch"},
            "text_tokens": {0: "batch", 1: "tokens"}, "text_mask": {0: "batch", 1: "tokens"},
            OUTPUT_NAME: image}
    torch.onnx.export(net, args, str(path), dynamo=False, opset_version=opset,
                      input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
                      dynamic_axes=axes)


@contextmanager
def _quiet_exporter():
    """Hide the exporters' warnings about unrelated operator sets and deprecations."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _to_fp16(graph: onnx.ModelProto) -> onnx.ModelProto:
    try:
        from onnxconverter_common import float16
    except ImportError as exc:
        raise OnnxExportError("fp16 export needs onnxconverter-common: "
                              "pip install onnxconverter-common") from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reports every constant rounded to half precision
        half = float16.convert_float_to_float16(graph, keep_io_types=True)
    half.graph.ClearField("value_info")  # stale float32 shape annotations; inferred again
    return half


def resolve_onnx(model: FusionModelFile, model_path: str | Path, onnx_model: str,
                 cache_dir: Path, fp16: bool = False) -> Path:
    """The graph a backend runs: `onnx_model` when given (its sidecar must name this model's
    hash), else the cached automatic export of `model_path`."""
    if not onnx_model:
        return cached_export(model, model_path, cache_dir, fp16=fp16)
    path = Path(onnx_model)
    if not path.is_file():
        raise FileNotFoundError(f"onnx_model not found: {path}")
    meta = read_sidecar(path)
    if meta.get("model_sha256") != model_hash(model_path):
        raise OnnxExportError(f"{path} was exported from another model file than {model_path} "
                              "(sidecar hash differs); export it again with textfusion export")
    return path
