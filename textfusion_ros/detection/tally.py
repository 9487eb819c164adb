"""Detection counts per class and score statistics over many frames."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from textfusion_ros.detection.types import Detection


def count_by_class(detections: Sequence[Detection]) -> dict[str, int]:
    """Class name → number of detections, most frequent first."""
    return dict(Counter(d.label for d in detections).most_common())


class DetectionTally:
    """Accumulates the detections of successive frames."""

    def __init__(self) -> None:
        self.frames = 0
        self.counts: Counter[str] = Counter()
        self.scores: list[float] = []

    def add(self, detections: Sequence[Detection]) -> dict[str, int]:
        """Add one frame's detections; returns that frame's counts per class."""
        self.frames += 1
        counts = count_by_class(detections)
        self.counts.update(counts)
        self.scores.extend(d.score for d in detections)
        return counts

    def summary(self) -> dict:
        """Frames, totals and mean per frame by class, and score statistics (JSON-ready)."""
        scores = np.array(self.scores)
        return {
            "frames": self.frames,
            "total": dict(self.counts.most_common()),
            "mean_per_frame": {name: n / self.frames for name, n in self.counts.most_common()}
            if self.frames else {},
            "scores": ({"count": int(scores.size), "mean": float(scores.mean()),
                        "min": float(scores.min()), "p50": float(np.median(scores)),
                        "max": float(scores.max())} if scores.size else {"count": 0}),
        }
