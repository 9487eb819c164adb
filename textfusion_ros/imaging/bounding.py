"""Bounded work per frame: the size at which a large pair is fused, and resizing to it."""

from __future__ import annotations

import math

import cv2
import numpy as np


def bounded_size(height: int, width: int, max_pixels: int) -> tuple[int, int] | None:
    """(height, width) with the same aspect and at most `max_pixels` pixels, or None when the
    image is already within the bound (or `max_pixels` is 0: no bound)."""
    if max_pixels <= 0 or height * width <= max_pixels:
        return None
    scale = math.sqrt(max_pixels / (height * width))
    return max(1, math.floor(height * scale)), max(1, math.floor(width * scale))


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average `image` down to `size` (height, width)."""
    return cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)


def enlarge(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of `image` to `size` (height, width)."""
    return cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
