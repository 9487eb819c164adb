"""One detection, in the pixel coordinates of the image it was found in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Detection:
    """Axis-aligned box (x1, y1) top-left to (x2, y2) bottom-right, pixels; class name, score."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    label: str

    @property
    def center(self) -> tuple[float, float]:
        return (self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0

    @property
    def size(self) -> tuple[float, float]:
        return self.x2 - self.x1, self.y2 - self.y1
