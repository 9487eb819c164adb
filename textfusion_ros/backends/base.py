"""The backend interface and the factory that builds the configured (or `auto`) backend."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from textfusion_ros.backends.selection import Candidate, plan_candidates, probe_runtimes
from textfusion_ros.config import FusionConfig
from textfusion_ros.model.checkpoint import FusionModelFile
from textfusion_ros.text.embedding import TextEmbedding

log = logging.getLogger(__name__)


class FusionBackend(Protocol):
    """Runs the fusion network on one frame: luminance in, fused luminance out."""

    name: str
    precision: str

    def fuse(self, ir: np.ndarray, vis_y: np.ndarray, text: TextEmbedding) -> np.ndarray:
        """ir, vis_y: float32 H×W in [0, 1] → fused float32 H×W in [0, 1], same size."""
        ...

    def prepare(self, height: int, width: int, text: TextEmbedding) -> None:
        """Do size-specific set-up (CUDA graph capture) now instead of on the first frame."""
        ...


@dataclass
class BackendChoice:
    """What runs, on which device, and why the candidates before it did not."""

    backend: str
    device: str
    precision: str
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.backend} on {self.device} ({self.precision})"
        return text + (f"; skipped: {'; '.join(self.skipped)}" if self.skipped else "")


def create_backend(config: FusionConfig, model: FusionModelFile,
                   model_path: str | Path) -> tuple[FusionBackend, BackendChoice]:
    """Build the configured backend; with `auto`, the first candidate that builds (each skip
    and failure is logged and kept in the returned choice). Engines are built here."""
    candidates, skipped = plan_candidates(config.backend, config.device, config.precision,
                                          probe_runtimes())
    for candidate in candidates:
        try:
            backend = _build(candidate, config, model, model_path)
        except Exception as exc:
            if config.backend != "auto":
                raise
            reason = f"{candidate.backend} ({candidate.device}): failed: {exc}"
            log.warning("backend auto: %s", reason)
            skipped.append(reason)
            continue
        choice = BackendChoice(candidate.backend, candidate.device, candidate.precision, skipped)
        log.info("backend %s: %s", config.backend, choice.summary())
        return backend, choice
    raise RuntimeError("no backend could be built: " + "; ".join(skipped))


def _build(candidate: Candidate, config: FusionConfig, model: FusionModelFile,
           model_path: str | Path) -> FusionBackend:
    """Construct one backend; runtimes are imported only here, when chosen."""
    if candidate.backend == "torch":
        from textfusion_ros.backends.torch_backend import TorchBackend
        return TorchBackend(model, candidate.device, config.threads, candidate.precision,
                            config.cuda_graphs)
    from textfusion_ros.backends.cache import cache_root
    from textfusion_ros.backends.onnx_export import resolve_onnx
    cache = cache_root(config.engine_cache_dir)
    fp16_graph = candidate.backend == "onnxruntime" and candidate.precision == "fp16"
    onnx_path = resolve_onnx(model, model_path, config.onnx_model, cache, fp16=fp16_graph)
    multiple = model.model_config.size_multiple
    if candidate.backend == "onnxruntime":
        from textfusion_ros.backends.onnx_runtime import OnnxRuntimeBackend
        return OnnxRuntimeBackend(onnx_path, multiple, candidate.device, config.threads, cache,
                                  candidate.precision, config.cpu_spin_wait)
    if candidate.backend == "tensorrt":
        from textfusion_ros.backends.engine_cache import EngineCache
        from textfusion_ros.backends.profile import ShapeProfile
        from textfusion_ros.backends.tensorrt_backend import TensorRTBackend
        profile = ShapeProfile.from_config(
            config.profile_min_hw, config.profile_opt_hw, config.profile_max_hw, multiple,
            model.model_config.text_dim, int(model.text_encoder.get("max_tokens", 128)))
        return TensorRTBackend(onnx_path, profile, EngineCache(cache), candidate.device,
                               candidate.precision, config.force_engine_update)
    raise ValueError(f"unknown backend {candidate.backend!r}")
