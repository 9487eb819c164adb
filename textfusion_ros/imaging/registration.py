"""Bring the IR image into the VIS camera's pixel frame (homography warp or plain resize)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

# Condition number above which a homography is treated as singular.
_MAX_CONDITION = 1e12


class HomographyError(ValueError):
    """A homography is malformed, non-finite or not invertible; the message says why."""


def parse_homography(value: np.ndarray | Sequence[float] | None) -> np.ndarray | None:
    """3×3 array or flat row-major list of 9 numbers → float64 3×3; None or empty → None.

    Validate once when the parameter is set; `align_ir_to_vis` also validates every call.
    """
    if value is None:
        return None
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise HomographyError(f"homography must be numbers: {error}") from error
    if matrix.size == 0:
        return None
    if matrix.shape == (9,):
        matrix = matrix.reshape(3, 3)
    if matrix.shape != (3, 3):
        raise HomographyError(
            f"homography must be 3x3 or a flat list of 9 numbers, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise HomographyError("homography has non-finite entries (NaN/Inf)")
    if np.linalg.cond(matrix) > _MAX_CONDITION:
        raise HomographyError("homography is singular (not invertible)")
    return matrix


def align_ir_to_vis(
    ir: np.ndarray,
    vis_shape: tuple[int, ...],
    homography: np.ndarray | Sequence[float] | None,
) -> np.ndarray:
    """Warp or resize IR to the VIS height × width (`vis_shape` may include channels).

    The homography maps IR pixel coordinates to VIS pixel coordinates (x_vis ~ H · x_ir);
    warping is bilinear with replicated borders. Without one, IR is resized bilinearly, or
    returned as is when it already has the VIS size.
    """
    height, width = (int(v) for v in vis_shape[:2])
    if height <= 0 or width <= 0:
        raise ValueError(f"bad VIS size {width}x{height}")
    matrix = parse_homography(homography)
    if matrix is not None:
        return cv2.warpPerspective(
            ir, matrix, (width, height), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE)
    if ir.shape[:2] == (height, width):
        return ir
    return cv2.resize(ir, (width, height), interpolation=cv2.INTER_LINEAR)
