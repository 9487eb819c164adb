"""Padding images to the size multiple the network needs, and cropping back."""

from __future__ import annotations

import numpy as np


def pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    """Mirror-pad the bottom/right of an H×W image so both sides are multiples of `multiple`."""
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"empty image of size {h}×{w}")
    pad_h, pad_w = -h % multiple, -w % multiple
    if pad_h == 0 and pad_w == 0:
        return image
    return np.pad(image, ((0, pad_h), (0, pad_w)), mode="symmetric")
