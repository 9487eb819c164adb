"""ONNX Runtime: sessions for any ONNX graph, and the fusion backend built on them."""

from __future__ import annotations

import logging
import platform
from collections import deque
from pathlib import Path

import numpy as np

from textfusion_ros.backends.cache import sha256_files
from textfusion_ros.backends.frames import PaddedFrame
from textfusion_ros.backends.onnx_names import INPUT_NAMES, OUTPUT_NAME
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings

log = logging.getLogger(__name__)

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")

RECENT_FRAMES = 32  # frames whose smallest size counts as the steady one for the arena


def import_onnxruntime():
    """The onnxruntime module, or a RuntimeError naming the package to install."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise RuntimeError("ONNX Runtime is not installed: pip install onnxruntime "
                           "(onnxruntime-gpu for the CUDA and TensorRT providers)") from exc
    return onnxruntime


def device_index(device: str) -> int:
    """The N of cuda:N (0 for plain cuda)."""
    return int(device.partition(":")[2] or 0)


def select_providers(device: str, available: list[str], cache_dir: str | Path | None = None
                     ) -> list[tuple[str, dict]]:
    """Execution providers for `device` from what the installed build has, best first.

    cuda[:N] takes the TensorRT and CUDA providers the build has (then CPU for unsupported
    nodes); without either it is an error naming onnxruntime-gpu. cpu takes the CPU provider.
    With `cache_dir`, the TensorRT provider keeps its engines and timing cache there.
    """
    if device == "cpu":
        return [("CPUExecutionProvider", {})]
    if not device.startswith("cuda"):
        raise ValueError(f"device must be cpu or cuda[:N], got {device!r}")
    options = {"device_id": device_index(device)}
    trt_options = dict(options)
    if cache_dir is not None:
        folder = str(Path(cache_dir) / "ort-tensorrt")
        trt_options.update(trt_engine_cache_enable=True, trt_engine_cache_path=folder,
                           trt_timing_cache_enable=True, trt_timing_cache_path=folder)
    gpu = [(name, trt_options if name == GPU_PROVIDERS[0] else dict(options))
           for name in GPU_PROVIDERS if name in available]
    if not gpu:
        raise RuntimeError(f"device {device!r}: this onnxruntime build has no GPU provider "
                           f"(has {available}); pip install onnxruntime-gpu")
    return [*gpu, ("CPUExecutionProvider", {})]


def optimized_model_path(onnx_path: str | Path, cache_dir: str | Path,
                         providers: list[tuple[str, dict]], version: str) -> Path:
    """Where the optimised graph of `onnx_path` for these providers and this onnxruntime goes.

    ORT_ENABLE_ALL graphs can hold hardware-specific nodes, so the key holds the machine too.
    """
    names = "+".join(name.removesuffix("ExecutionProvider") for name, _ in providers)
    digest = sha256_files(onnx_path)[:20]
    return Path(cache_dir) / "ort" / f"{digest}-{names}-ort{version}-{platform.machine()}.onnx"


def create_session(onnx_path: str | Path, device: str = "cpu", threads: int = 0,
                   optimized_cache_dir: str | Path | None = None, spin_wait: bool = True):
    """An onnxruntime.InferenceSession for any ONNX graph, graph optimisations on.

    Providers come from `device` and what the installed build has (`select_providers`).
    `threads` > 0 sets the intra-op thread count; `spin_wait` False stops its threads from
    busy-waiting for work between operators (they sleep instead, leaving the CPU to other
    threads such as a node's middleware). With `optimized_cache_dir`, the optimised
    graph is saved there on first use and loaded on later starts (a corrupt cached file is
    logged and rebuilt).
    """
    ort = import_onnxruntime()
    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise FileNotFoundError(f"ONNX file not found: {onnx_path}")
    providers = select_providers(device, ort.get_available_providers(), optimized_cache_dir)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads > 0:
        options.intra_op_num_threads = threads
    if not spin_wait:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    names = [name for name, _ in providers]
    provider_options = [opts for _, opts in providers]
    if optimized_cache_dir is None:
        return _session(ort, onnx_path, options, names, provider_options)
    cached = optimized_model_path(onnx_path, optimized_cache_dir, providers, ort.__version__)
    if cached.is_file():
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return ort.InferenceSession(str(cached), options, providers=names,
                                        provider_options=provider_options)
        except Exception as exc:  # onnxruntime raises its own exception types
            log.warning("optimised model cache %s is unreadable (%s); optimising again",
                        cached, exc)
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f".{cached.name}.partial")
    options.optimized_model_filepath = str(partial)
    options.log_severity_level = 3  # the cache is keyed by machine: no hardware-specific warning
    session = _session(ort, onnx_path, options, names, provider_options)
    partial.replace(cached)
    return session


def _session(ort, path: Path, options, names: list[str], provider_options: list[dict]):
    try:
        return ort.InferenceSession(str(path), options, providers=names,
                                    provider_options=provider_options)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise RuntimeError(f"{path}: ONNX Runtime cannot load this graph: {exc}") from exc


class OnnxRuntimeBackend:
    """Runs the exported fusion graph with ONNX Runtime (CPU, or the CUDA / TensorRT providers
    the installed build has). Text arrays are rebuilt only when the prompt changes.

    On the CPU, a frame larger than the smallest of the last `RECENT_FRAMES` gives its memory
    back at the end of its run (ONNX Runtime's arena shrinkage), so occasional large frames do
    not leave the arena at their size; a stream of one size keeps its arena.
    """

    name = "onnxruntime"

    def __init__(self, onnx_path: str | Path, size_multiple: int, device: str = "cpu",
                 threads: int = 0, cache_dir: str | Path | None = None,
                 precision: str = "fp32", spin_wait: bool = True) -> None:
        if precision == "fp16" and device == "cpu":
            raise ValueError("onnxruntime fp16 needs a GPU (device cuda); use fp32 on the CPU")
        self.session = create_session(onnx_path, device, threads, cache_dir, spin_wait)
        self.device, self.precision = device, precision
        self.providers = self.session.get_providers()
        self.multiple = size_multiple
        self._text: tuple[TextEmbedding, dict[str, np.ndarray]] | None = None
        self._recent_pixels: deque[int] = deque(maxlen=RECENT_FRAMES)
        self._shrink_arena = None
        if device == "cpu":
            self._shrink_arena = import_onnxruntime().RunOptions()
            self._shrink_arena.add_run_config_entry("memory.enable_memory_arena_shrinkage",
                                                    "cpu:0")
        inputs = [i.name for i in self.session.get_inputs()]
        if inputs != list(INPUT_NAMES):
            raise RuntimeError(f"{onnx_path}: graph inputs {inputs}, expected {list(INPUT_NAMES)}")

    def prepare(self, height: int, width: int, text: TextEmbedding) -> None:
        """On a GPU, run one frame now: the providers build their kernels / TensorRT engines
        on the first run, which must not be the first camera frame. Nothing to do on a CPU."""
        if self.device != "cpu":
            blank = np.zeros((height, width), np.float32)
            self.fuse(blank, blank, text)

    def _text_inputs(self, text: TextEmbedding) -> dict[str, np.ndarray]:
        if self._text is None or self._text[0] is not text:
            arrays = [t.numpy() for t in collate_embeddings([text])]
            self._text = (text, dict(zip(INPUT_NAMES[2:], arrays, strict=True)))
        return self._text[1]

    def fuse(self, ir: np.ndarray, vis_y: np.ndarray, text: TextEmbedding) -> np.ndarray:
        frame = PaddedFrame.of(ir, vis_y, self.multiple)
        feeds = {"ir": frame.ir, "vis": frame.vis, **self._text_inputs(text)}
        self._recent_pixels.append(frame.ir.size)
        larger = frame.ir.size > min(self._recent_pixels) or len(self._recent_pixels) == 1
        (fused,) = self.session.run([OUTPUT_NAME], feeds,
                                    self._shrink_arena if larger else None)
        return frame.crop(fused)
