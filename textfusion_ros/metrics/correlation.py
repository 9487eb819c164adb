"""Sum of the correlations of differences (SCD, Aslantas & Bendes 2015)."""

from __future__ import annotations

import numpy as np

from .grey import grey_float


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two arrays; 0 when either is constant."""
    a = a - a.mean()
    b = b - b.mean()
    denominator = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / denominator) if denominator > 0 else 0.0


def scd(ir: np.ndarray, vis: np.ndarray, fused: np.ndarray) -> float:
    """SCD: corr(F − vis, ir) + corr(F − ir, vis); a constant term counts 0."""
    ir_f, vis_f, fused_f = grey_float(ir), grey_float(vis), grey_float(fused)
    return _pearson(fused_f - vis_f, ir_f) + _pearson(fused_f - ir_f, vis_f)
