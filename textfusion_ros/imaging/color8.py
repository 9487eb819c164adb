"""The runtime's colour path on 8-bit images: `split_luma` + `clean_chroma` before the network
and `merge_luma` + `to_uint8` after it, without full-resolution float colour planes.

Only the luminance goes to float at full size. It is computed on the pixels × 64 in uint16
(exact), so it matches `split_luma`'s to 0.02 of a grey level; the chroma is cleaned at quarter
resolution in float from exact area means, rounded to uint8 there and enlarged in uint8; the
fused luminance is merged back with OpenCV's 8-bit YCrCb conversion. The output stays within
3 grey levels per channel of the float path (rounding: the 8-bit chroma is within 1.5 of it
after OpenCV's fixed-point 8-bit enlargement, the luminance within 0.5).
The float helpers in `color` stay as they are for training and evaluation.
"""

from __future__ import annotations

import cv2
import numpy as np

from textfusion_ros.imaging.color import (
    CHROMA_BLUR_SIGMA,
    CHROMA_DARK,
    CHROMA_LIT,
    quarter_size,
    to_uint8,
    to_unit_float,
)

_FIXED_SHIFT = 6  # uint8 << 6 fits uint16: 2×2 area means stay exact
_FIXED_UNIT = np.float32(1.0 / (255 << _FIXED_SHIFT))
_CHROMA_CENTRE = 0.5 / 255  # 8-bit YCrCb centres the chroma on 128, the float one on 127.5


def split_for_fusion(vis: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """uint8 BGR (or grey H×W) → (luminance float32 H×W in [0, 1], uint8 YCrCb H×W×3 holding
    the cleaned chroma, or None when grey). The YCrCb's Y channel is a placeholder that
    `merge_fused` overwrites with the fused luminance."""
    if vis.ndim == 2:
        return to_unit_float(vis), None
    fixed = vis.astype(np.uint16) * np.uint16(1 << _FIXED_SHIFT)  # faster than np.left_shift
    y = cv2.cvtColor(fixed, cv2.COLOR_BGR2GRAY).astype(np.float32)
    y *= _FIXED_UNIT
    return y, _cleaned_ycrcb(fixed)


def _cleaned_ycrcb(fixed: np.ndarray) -> np.ndarray:
    """`clean_chroma` of the pixels × 64 (uint16 BGR) as full-size uint8 YCrCb: the two area
    halvings in uint16, the blur and the fade to grey in the dark at quarter size in float,
    one 8-bit rounding there, and the bilinear enlargement in uint8."""
    h, w = fixed.shape[:2]
    quarter = quarter_size(fixed)
    ycrcb = cv2.cvtColor(quarter.astype(np.float32) * _FIXED_UNIT, cv2.COLOR_BGR2YCrCb)
    ycrcb = cv2.GaussianBlur(ycrcb, (0, 0), CHROMA_BLUR_SIGMA)
    saturation = np.clip((ycrcb[..., 0] - CHROMA_DARK) / (CHROMA_LIT - CHROMA_DARK), 0.0, 1.0)
    ycrcb -= 0.5
    ycrcb *= cv2.merge([saturation] * 3)  # Y is scaled too: a placeholder
    ycrcb += 0.5 + _CHROMA_CENTRE
    small = cv2.convertScaleAbs(ycrcb, alpha=255.0)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def merge_fused(y: np.ndarray, ycrcb: np.ndarray | None) -> np.ndarray:
    """Fused luminance (float, clipped to [0, 1]) + `split_for_fusion`'s YCrCb (or None) →
    uint8 BGR (or grey H×W). Writes the 8-bit luminance into `ycrcb`'s Y channel."""
    y8 = to_uint8(y.astype(np.float32, copy=False))
    if ycrcb is None:
        return y8
    cv2.insertChannel(y8, ycrcb, 0)
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2BGR)
