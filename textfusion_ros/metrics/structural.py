"""Structural similarity sum SSIM(ir, F) + SSIM(vis, F), computed with pytorch-msssim."""

from __future__ import annotations

import numpy as np
import torch
from pytorch_msssim import ssim

from .grey import grey_float

_WIN_SIZE, _WIN_SIGMA = 11, 1.5


def _gaussian_window() -> torch.Tensor:
    """The 1-D Gaussian in float64 (pytorch-msssim's own is float32), shaped 1×1×1×11."""
    taps = torch.arange(_WIN_SIZE, dtype=torch.float64) - _WIN_SIZE // 2
    window = torch.exp(-(taps**2) / (2.0 * _WIN_SIGMA**2))
    return (window / window.sum()).reshape(1, 1, 1, _WIN_SIZE)


def _tensor(image: np.ndarray) -> torch.Tensor:
    """8-bit grey image → float64 tensor of shape 1×1×H×W."""
    return torch.from_numpy(grey_float(image))[None, None]


def ssim_pair(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM(a, b) of two images in 8-bit grey, with pytorch_msssim.ssim on float64 tensors.

    data_range = 255, 11×11 Gaussian window with σ = 1.5 (built in float64), K1 = 0.01,
    K2 = 0.03, mean over the valid (unpadded) region as in Wang et al. 2004.
    """
    return float(ssim(_tensor(a), _tensor(b), data_range=255.0, size_average=True,
                      win=_gaussian_window(), K=(0.01, 0.03)))


def ssim_sum(ir: np.ndarray, vis: np.ndarray, fused: np.ndarray) -> float:
    """SSIM(ir, F) + SSIM(vis, F) (see `ssim_pair`)."""
    return ssim_pair(ir, fused) + ssim_pair(vis, fused)
