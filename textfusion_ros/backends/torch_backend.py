"""PyTorch backend (CPU or CUDA)."""

from __future__ import annotations

import numpy as np
import torch

from textfusion_ros.model.checkpoint import FusionModelFile
from textfusion_ros.model.padding import pad_to_multiple
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings


class TorchBackend:
    """Runs TextFusionNet with PyTorch in inference mode."""

    name = "torch"

    def __init__(self, model: FusionModelFile, device: str = "cpu", threads: int = 0) -> None:
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"device {device!r} requested but CUDA is not available")
        if threads > 0:
            torch.set_num_threads(threads)
        self.device = torch.device(device)
        self.net = model.build_network().to(self.device)
        self.multiple = model.model_config.size_multiple
        self._text: tuple[TextEmbedding, tuple[torch.Tensor, ...]] | None = None

    def _text_tensors(self, text: TextEmbedding) -> tuple[torch.Tensor, ...]:
        if self._text is None or self._text[0] is not text:
            tensors = tuple(t.to(self.device) for t in collate_embeddings([text]))
            self._text = (text, tensors)
        return self._text[1]

    @torch.inference_mode()
    def fuse(self, ir: np.ndarray, vis_y: np.ndarray, text: TextEmbedding) -> np.ndarray:
        if ir.shape != vis_y.shape:
            raise ValueError(f"infrared {ir.shape} and visible {vis_y.shape} sizes differ")
        h, w = ir.shape
        pair = np.stack([pad_to_multiple(ir, self.multiple), pad_to_multiple(vis_y, self.multiple)])
        batch = torch.from_numpy(pair.astype(np.float32, copy=False)).to(self.device)
        fused = self.net(batch[0:1, None], batch[1:2, None], *self._text_tensors(text))
        return fused[0, 0, :h, :w].float().cpu().numpy()
