"""Histogram-based information metrics: entropy (EN, bits) and mutual information (MI, nats)."""

from __future__ import annotations

import numpy as np

from .grey import to_grey8

_LEVELS = 256


def _plogp(p: np.ndarray) -> np.ndarray:
    """Elementwise p·ln(p) with 0·ln(0) = 0."""
    p = p[p > 0]
    return p * np.log(p)


def entropy(fused: np.ndarray) -> float:
    """EN: Shannon entropy of the 256-bin grey histogram, in bits."""
    counts = np.bincount(to_grey8(fused).ravel(), minlength=_LEVELS)
    return float(-_plogp(counts / counts.sum()).sum() / np.log(2.0))


def pair_mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """MI(a, b) from the joint 256×256 grey histogram, in nats."""
    a8, b8 = to_grey8(a), to_grey8(b)
    if a8.shape != b8.shape:
        raise ValueError(f"image shapes differ: {a8.shape} vs {b8.shape}")
    codes = a8.ravel().astype(np.intp) * _LEVELS + b8.ravel()
    joint = np.bincount(codes, minlength=_LEVELS * _LEVELS) / codes.size
    joint = joint.reshape(_LEVELS, _LEVELS)
    h_a = -_plogp(joint.sum(axis=1)).sum()
    h_b = -_plogp(joint.sum(axis=0)).sum()
    h_ab = -_plogp(joint).sum()
    return float(h_a + h_b - h_ab)


def mutual_information(ir: np.ndarray, vis: np.ndarray, fused: np.ndarray) -> float:
    """MI: MI(ir, F) + MI(vis, F), in nats."""
    return pair_mutual_information(ir, fused) + pair_mutual_information(vis, fused)
