"""Gradient-based sharpness metrics: spatial frequency (SF) and average gradient (AG).

AG has two conventions in the literature: VIFB's (forward differences on the (H-1)×(W-1) grid,
`average_gradient`) and the one of the Python evaluators behind FILM's and CDDFuse's tables
(`np.gradient` central differences, one-sided at the borders, `average_gradient_central`).
"""

from __future__ import annotations

import numpy as np

from .grey import grey_float


def spatial_frequency(fused: np.ndarray) -> float:
    """SF = sqrt(RF² + CF²) with RF, CF the RMS horizontal and vertical neighbour differences."""
    image = grey_float(fused)
    row_freq_sq = np.mean(np.diff(image, axis=1) ** 2) if image.shape[1] > 1 else 0.0
    col_freq_sq = np.mean(np.diff(image, axis=0) ** 2) if image.shape[0] > 1 else 0.0
    return float(np.sqrt(row_freq_sq + col_freq_sq))


def average_gradient(fused: np.ndarray) -> float:
    """AG: mean of sqrt((dx² + dy²) / 2) over the (H-1)×(W-1) forward-difference grid."""
    image = grey_float(fused)
    if min(image.shape) < 2:
        return 0.0
    corner = image[:-1, :-1]
    dx = image[:-1, 1:] - corner
    dy = image[1:, :-1] - corner
    return float(np.mean(np.sqrt((dx * dx + dy * dy) / 2.0)))


def average_gradient_central(fused: np.ndarray) -> float:
    """AG with `np.gradient` central differences over the full H×W grid (FILM/CDDFuse)."""
    image = grey_float(fused)
    if min(image.shape) < 2:
        return 0.0
    dy, dx = np.gradient(image)
    return float(np.mean(np.hypot(dx, dy)) / np.sqrt(2.0))
