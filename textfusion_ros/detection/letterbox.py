"""Letterbox resizing (keep aspect, pad) and its inverse for boxes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114  # the grey Ultralytics pads with


@dataclass(frozen=True)
class Letterbox:
    """How an image was scaled by `scale` and shifted by (pad_x, pad_y) into the network input."""

    scale: float
    pad_x: float
    pad_y: float

    def undo(self, boxes: np.ndarray, width: int, height: int) -> np.ndarray:
        """N×4 (x1, y1, x2, y2) in network-input pixels → original pixels, clipped to the image."""
        out = np.empty_like(boxes, dtype=np.float32)
        out[:, [0, 2]] = (boxes[:, [0, 2]] - self.pad_x) / self.scale
        out[:, [1, 3]] = (boxes[:, [1, 3]] - self.pad_y) / self.scale
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
        return out


def letterbox(image: np.ndarray, height: int, width: int) -> tuple[np.ndarray, Letterbox]:
    """Resize `image` into height×width keeping its aspect ratio, centred on PAD_VALUE grey."""
    h, w = image.shape[:2]
    scale = min(height / h, width / w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (width - new_w) // 2, (height - new_h) // 2
    canvas = np.full((height, width, *image.shape[2:]), PAD_VALUE, dtype=image.dtype)
    canvas[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = resized
    return canvas, Letterbox(scale, float(pad_x), float(pad_y))
