"""Boxes and labels drawn onto an image (the `detections/image` overlay and demo panels)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import cv2
import numpy as np

from textfusion_ros.detection.types import Detection

COLOUR = (0, 200, 255)  # BGR amber
MARKED_COLOUR = (0, 0, 255)  # BGR red: a class the prompt names


def order_marked_first(detections: Sequence[Detection],
                       marked: Collection[str]) -> list[Detection]:
    """Detections of prompt-named classes first, each group best score first (stable)."""
    return sorted(detections, key=lambda d: d.label not in marked)


def draw_detections(image: np.ndarray, detections: Sequence[Detection],
                    marked: Collection[str] = ()) -> np.ndarray:
    """A BGR copy of `image` (grey is expanded) with every box and `label score` drawn; boxes of
    `marked` classes are thicker and red, and drawn last so they stay on top."""
    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    scale = max(0.4, min(canvas.shape[:2]) / 800)
    for det in sorted(detections, key=lambda d: d.label in marked):
        colour, thickness = (MARKED_COLOUR, 3) if det.label in marked else (COLOUR, 2)
        top_left = (int(round(det.x1)), int(round(det.y1)))
        cv2.rectangle(canvas, top_left, (int(round(det.x2)), int(round(det.y2))), colour,
                      thickness)
        text = f"{det.label} {det.score:.2f}"
        (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        y = max(top_left[1], h + base)
        cv2.rectangle(canvas, (top_left[0], y - h - base), (top_left[0] + w, y), colour, -1)
        cv2.putText(canvas, text, (top_left[0], y - base), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return canvas
