"""The backend interface and the factory that picks an implementation by name."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from textfusion_ros.model.checkpoint import FusionModelFile
from textfusion_ros.text.embedding import TextEmbedding


class FusionBackend(Protocol):
    """Runs the fusion network on one frame: luminance in, fused luminance out."""

    name: str

    def fuse(self, ir: np.ndarray, vis_y: np.ndarray, text: TextEmbedding) -> np.ndarray:
        """ir, vis_y: float32 H×W in [0, 1] → fused float32 H×W in [0, 1], same size."""
        ...


BACKENDS = ("torch",)
"""Names `create_backend` knows (the node validates the backend parameter against them)."""


def create_backend(name: str, model: FusionModelFile, device: str = "cpu",
                   threads: int = 0) -> FusionBackend:
    """Instantiate a backend by name; runtimes are imported only when chosen."""
    if name == "torch":
        from textfusion_ros.backends.torch_backend import TorchBackend
        return TorchBackend(model, device=device, threads=threads)
    raise ValueError(f"unknown backend {name!r}; available: {list(BACKENDS)}")
