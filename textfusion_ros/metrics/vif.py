"""Pixel-domain multiscale visual information fidelity (VIFp, Sheikh & Bovik 2006)."""

from __future__ import annotations

import cv2
import numpy as np

from .grey import grey_float

_SCALES = 4
_SIGMA_N_SQ = 2.0
_EPS = 1e-10


def _window(size: int) -> np.ndarray:
    """Normalised 1-D Gaussian of `size` taps and sigma size/5 (the 2-D window is separable)."""
    taps = np.arange(size) - (size - 1) / 2.0
    kernel = np.exp(-(taps**2) / (2.0 * (size / 5.0) ** 2))
    return kernel / kernel.sum()


def _filter_valid(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """2-D separable filtering keeping only the 'valid' region (no border effects)."""
    half = kernel.size // 2
    full = cv2.sepFilter2D(image, cv2.CV_64F, kernel, kernel, borderType=cv2.BORDER_REPLICATE)
    return full[half:full.shape[0] - half, half:full.shape[1] - half]


def _scale_terms(ref: np.ndarray, dist: np.ndarray, kernel: np.ndarray) -> tuple[float, float]:
    """(numerator, denominator) contributions of one scale."""
    mu1, mu2 = _filter_valid(ref, kernel), _filter_valid(dist, kernel)
    sigma1_sq = np.maximum(_filter_valid(ref * ref, kernel) - mu1 * mu1, 0.0)
    sigma2_sq = np.maximum(_filter_valid(dist * dist, kernel) - mu2 * mu2, 0.0)
    sigma12 = _filter_valid(ref * dist, kernel) - mu1 * mu2

    gain = sigma12 / (sigma1_sq + _EPS)
    sv_sq = sigma2_sq - gain * sigma12
    flat_ref = sigma1_sq < _EPS
    gain[flat_ref] = 0.0
    sv_sq[flat_ref] = sigma2_sq[flat_ref]
    sigma1_sq[flat_ref] = 0.0
    flat_dist = sigma2_sq < _EPS
    gain[flat_dist] = 0.0
    sv_sq[flat_dist] = 0.0
    negative = gain < 0
    sv_sq[negative] = sigma2_sq[negative]
    gain[negative] = 0.0
    sv_sq = np.maximum(sv_sq, _EPS)

    num = np.sum(np.log10(1.0 + gain * gain * sigma1_sq / (sv_sq + _SIGMA_N_SQ)))
    den = np.sum(np.log10(1.0 + sigma1_sq / _SIGMA_N_SQ))
    return float(num), float(den)


def vifp(ref: np.ndarray, dist: np.ndarray) -> float:
    """VIFp of `dist` against reference `ref`; 0 when the reference carries no information.

    Scales whose window no longer fits in a (very small) image are skipped.
    """
    ref_f, dist_f = grey_float(ref), grey_float(dist)
    if ref_f.shape != dist_f.shape:
        raise ValueError(f"image shapes differ: {ref_f.shape} vs {dist_f.shape}")
    num = den = 0.0
    for scale in range(1, _SCALES + 1):
        kernel = _window(2 ** (_SCALES - scale + 1) + 1)
        if scale > 1:
            ref_f = _filter_valid(ref_f, kernel)[::2, ::2]
            dist_f = _filter_valid(dist_f, kernel)[::2, ::2]
        if min(ref_f.shape) < kernel.size:
            break
        scale_num, scale_den = _scale_terms(ref_f, dist_f, kernel)
        num += scale_num
        den += scale_den
    return num / den if den > 0 else 0.0


def vif(ir: np.ndarray, vis: np.ndarray, fused: np.ndarray) -> float:
    """VIF: VIFp(ir, F) + VIFp(vis, F)."""
    return vifp(ir, fused) + vifp(vis, fused)
