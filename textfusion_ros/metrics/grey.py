"""Conversion of any input image to the 8-bit grey level the fusion metrics are defined on."""

from __future__ import annotations

import cv2
import numpy as np

_FLOAT_TOLERANCE = 1e-6


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """uint8 as is, uint16 scaled by 255/65535, float in [0, 1] scaled by 255; rounded."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return np.rint(image.astype(np.float64) / 257.0).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        low, high = float(image.min()), float(image.max())
        if low < -_FLOAT_TOLERANCE or high > 1.0 + _FLOAT_TOLERANCE:
            raise ValueError(f"float images must lie in [0, 1], got [{low:g}, {high:g}]")
        return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    raise TypeError(f"unsupported image dtype: {image.dtype}")


def to_grey8(image: np.ndarray) -> np.ndarray:
    """Any image → H×W uint8 grey (BGR via cv2 BGR2GRAY); idempotent on uint8 grey input."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    image = _to_uint8(image)
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"expected an H×W or H×W×C image, got shape {image.shape}")


def grey_float(image: np.ndarray) -> np.ndarray:
    """Any image → H×W float64 grey with integer values in [0, 255]."""
    return to_grey8(image).astype(np.float64)
