"""Structural similarity sum SSIM(ir, F) + SSIM(vis, F), in two conventions.

- VIFB's (`ssim_sum`, this project's model-card convention): Wang et al. 2004 with an 11×11
  Gaussian window (σ 1.5), data range 255, computed with pytorch-msssim.
- FILM's / CDDFuse's Python evaluators (`ssim_sum_film`): scikit-image's
  `structural_similarity` called on float32 grey images without `data_range`, which in the
  scikit-image releases those evaluators ran on meant the float dtype's range, 2 (-1 … 1):
  a 7×7 uniform window, sample covariances, and constants (0.01·2)², (0.03·2)² that are
  negligible against 8-bit values. Reproduced here with `data_range=2` explicitly.
"""

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


_FILM_DATA_RANGE = 2.0  # scikit-image's implicit range of float images (-1 … 1) before 0.22


def ssim_pair_film(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM(a, b) as FILM's / CDDFuse's evaluators compute it (see the module docstring)."""
    try:
        from skimage.metrics import structural_similarity
    except ImportError as error:
        raise RuntimeError("the film metric convention needs scikit-image "
                           "(pip install scikit-image)") from error
    return float(structural_similarity(grey_float(a).astype(np.float32),
                                       grey_float(b).astype(np.float32),
                                       data_range=_FILM_DATA_RANGE))


def ssim_sum_film(ir: np.ndarray, vis: np.ndarray, fused: np.ndarray) -> float:
    """SSIM(F, ir) + SSIM(F, vis) in the FILM/CDDFuse convention."""
    return ssim_pair_film(fused, ir) + ssim_pair_film(fused, vis)
