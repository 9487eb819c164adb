"""TensorRT backend: builds an engine from the exported ONNX graph (optimisation profile, FP16),
caches it on disk, and runs it on one CUDA stream with PyTorch CUDA tensors for IO.

`tensorrt` is imported only when this backend is constructed. Written against the TensorRT 10
Python API (Builder / OnnxParser / IBuilderConfig / Runtime / IExecutionContext with named IO
tensors and `execute_async_v3`). The parts that need no GPU (cache keys, profile shapes, binding
names, rebuild decisions) live in `engine_cache.py`, `profile.py` and here as plain functions.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from textfusion_ros.backends.cache import sha256_files
from textfusion_ros.backends.engine_cache import EngineCache, EngineKey
from textfusion_ros.backends.onnx_names import INPUT_NAMES, OUTPUT_NAME
from textfusion_ros.backends.profile import ShapeProfile, resize
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings

log = logging.getLogger(__name__)

INSTALL_HINT = ("TensorRT is not installed: install NVIDIA's `tensorrt` Python wheel (pip install "
                "tensorrt, from NVIDIA's package index) or JetPack's python3-libnvinfer")


def import_tensorrt():
    """The tensorrt module, or a RuntimeError naming the package to install."""
    try:
        import tensorrt
    except ImportError as exc:
        raise RuntimeError(f"{INSTALL_HINT} ({exc})") from exc
    return tensorrt


def check_bindings(io_tensors: list[tuple[str, bool]]) -> None:
    """(name, is_input) of every engine IO tensor must be the fusion graph's inputs + output."""
    inputs = [name for name, is_input in io_tensors if is_input]
    outputs = [name for name, is_input in io_tensors if not is_input]
    if sorted(inputs) != sorted(INPUT_NAMES) or outputs != [OUTPUT_NAME]:
        raise RuntimeError(f"engine IO is inputs {inputs}, outputs {outputs}; expected inputs "
                           f"{list(INPUT_NAMES)} and output {OUTPUT_NAME!r}")


def build_engine(trt, onnx_path: Path, profile: ShapeProfile, precision: str,
                 timing_cache: bytes) -> tuple[bytes, bytes]:
    """Serialised engine and updated timing cache for the ONNX graph (TensorRT 10 API)."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch is the only mode in TensorRT 10
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"{onnx_path}: TensorRT cannot parse this ONNX graph: {errors}")
    config = builder.create_builder_config()
    if precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    cache = config.create_timing_cache(timing_cache)
    config.set_timing_cache(cache, ignore_mismatch=False)
    shapes = builder.create_optimization_profile()
    for name, (low, opt, high) in profile.input_shapes().items():
        shapes.set_shape(name, low, opt, high)
    config.add_optimization_profile(shapes)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"TensorRT failed to build an engine from {onnx_path}")
    return bytes(serialized), bytes(config.get_timing_cache().serialize())


class TensorRTBackend:
    """Runs a cached (or freshly built) TensorRT engine; builds only in the constructor."""

    name = "tensorrt"

    def __init__(self, onnx_path: str | Path, profile: ShapeProfile, cache: EngineCache,
                 device: str = "cuda", precision: str = "fp16",
                 force_update: bool = False) -> None:
        trt = import_tensorrt()
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("the tensorrt backend needs a CUDA GPU; none is available")
        self.device = torch.device("cuda" if device == "auto" else device)
        index = self.device.index or 0
        self.precision, self.profile = precision, profile
        key = EngineKey(sha256_files(onnx_path), torch.cuda.get_device_name(index),
                        "{}.{}".format(*torch.cuda.get_device_capability(index)),
                        trt.__version__, precision, profile.as_dict())
        self.engine_path = cache.engine_path(key)
        self._runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        self.engine = None
        if force_update:
            log.info("force_engine_update is set: rebuilding %s", self.engine_path)
        else:
            lookup = cache.load(key)
            if lookup.engine is not None:
                self.engine = self._runtime.deserialize_cuda_engine(lookup.engine)
                if self.engine is None:
                    log.warning("cached engine %s is corrupt or from another TensorRT; "
                                "rebuilding", self.engine_path)
            else:
                log.info("building a TensorRT engine (%s)", lookup.reason)
        if self.engine is None:
            data, timing = build_engine(trt, Path(onnx_path), profile, precision,
                                        cache.load_timing_cache(key))
            cache.store(key, data)
            cache.store_timing_cache(key, timing)
            self.engine = self._runtime.deserialize_cuda_engine(data)
            if self.engine is None:
                raise RuntimeError(f"TensorRT cannot load the engine it just built: "
                                   f"{self.engine_path}")
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        check_bindings([(n, self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT)
                        for n in names])
        self.context = self.engine.create_execution_context()
        self.stream = torch.cuda.Stream(self.device)
        self._torch = torch
        self._text: tuple[TextEmbedding, dict] | None = None

    def prepare(self, height: int, width: int, text: TextEmbedding) -> None:
        """Nothing to do: the engine was built (or loaded) in the constructor."""

    def _text_tensors(self, text: TextEmbedding) -> dict:
        """Device copies of the prompt's tensors, made only when the prompt changes."""
        if self._text is None or self._text[0] is not text:
            with self._torch.cuda.stream(self.stream):
                tensors = [t.to(self.device, non_blocking=True).contiguous()
                           for t in collate_embeddings([text])]
            self._text = (text, dict(zip(INPUT_NAMES[2:], tensors, strict=True)))
        return self._text[1]

    def fuse(self, ir: np.ndarray, vis_y: np.ndarray, text: TextEmbedding) -> np.ndarray:
        if ir.shape != vis_y.shape or ir.ndim != 2:
            raise ValueError(f"infrared {ir.shape} and visible {vis_y.shape} must be equal H×W")
        height, width = ir.shape
        fitted = self.profile.fitted_size(height, width)
        if fitted is not None:
            ir, vis_y = resize(ir, *fitted), resize(vis_y, *fitted)
        h, w = ir.shape
        ph, pw = self.profile.padded_size(h, w)
        torch = self._torch
        with torch.cuda.stream(self.stream):
            images = {name: torch.from_numpy(_pad(a, ph, pw)).to(self.device, non_blocking=True)
                      for name, a in (("ir", ir), ("vis", vis_y))}
            inputs = {**images, **self._text_tensors(text)}
            out = torch.empty((1, 1, ph, pw), dtype=torch.float32, device=self.device)
            for name, tensor in inputs.items():
                self.context.set_input_shape(name, tuple(tensor.shape))
                self.context.set_tensor_address(name, tensor.data_ptr())
            self.context.set_tensor_address(OUTPUT_NAME, out.data_ptr())
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise RuntimeError("TensorRT execution failed")
            fused = out[0, 0, :h, :w].cpu().numpy()
        return fused if fitted is None else resize(fused, height, width)


def _pad(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Mirror-pad an H×W image to height×width (≥ H, W) as a contiguous 1×1×h×w float32."""
    padded = np.pad(np.asarray(image, np.float32),
                    ((0, height - image.shape[0]), (0, width - image.shape[1])),
                    mode="symmetric")
    return np.ascontiguousarray(padded[None, None])
