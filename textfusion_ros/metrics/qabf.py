"""Gradient-based fusion performance Q^{AB/F} (Xydeas & Petrovic 2000)."""

from __future__ import annotations

import cv2
import numpy as np

from .grey import grey_float

_GAMMA_G, _KAPPA_G, _SIGMA_G = 0.9994, -15.0, 0.5
_GAMMA_A, _KAPPA_A, _SIGMA_A = 0.9879, -22.0, 0.8
_SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
_SOBEL_Y = _SOBEL_X.T.copy()


def _strength_orientation(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel edge strength g and orientation α = atan(gy/gx) (π/2 where gx = 0).

    Borders are zero-padded, as in the MATLAB filter2(..., 'same') reference formulation.
    """
    gx = cv2.filter2D(image, cv2.CV_64F, _SOBEL_X, borderType=cv2.BORDER_CONSTANT)
    gy = cv2.filter2D(image, cv2.CV_64F, _SOBEL_Y, borderType=cv2.BORDER_CONSTANT)
    strength = np.sqrt(gx * gx + gy * gy)
    vertical = gx == 0
    orientation = np.arctan(gy / np.where(vertical, 1.0, gx))
    orientation[vertical] = np.pi / 2
    return strength, orientation


def _preservation(source: tuple[np.ndarray, np.ndarray],
                  fused: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Edge preservation map Q^{XF} = Q_g · Q_α of one source X in the fused image F."""
    (g_x, a_x), (g_f, a_f) = source, fused
    high, low = np.maximum(g_x, g_f), np.minimum(g_x, g_f)
    ratio = np.divide(low, high, out=np.ones_like(high), where=high > 0)
    alignment = 1.0 - np.abs(a_x - a_f) / (np.pi / 2)
    q_g = _GAMMA_G / (1.0 + np.exp(_KAPPA_G * (ratio - _SIGMA_G)))
    q_a = _GAMMA_A / (1.0 + np.exp(_KAPPA_A * (alignment - _SIGMA_A)))
    return q_g * q_a


def qabf(ir: np.ndarray, vis: np.ndarray, fused: np.ndarray) -> float:
    """Qabf with weights w = g (L = 1); 0 when neither source has any edge."""
    ir_go, vis_go, fused_go = (_strength_orientation(grey_float(x)) for x in (ir, vis, fused))
    w_ir, w_vis = ir_go[0], vis_go[0]
    total = np.sum(w_ir) + np.sum(w_vis)
    if total == 0:
        return 0.0
    weighted = (np.sum(_preservation(ir_go, fused_go) * w_ir)
                + np.sum(_preservation(vis_go, fused_go) * w_vis))
    return float(weighted / total)
