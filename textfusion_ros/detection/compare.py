"""Detection on the fused image and, for comparison, on each source alone, over image pairs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textfusion_ros.detection.detector import Detector
from textfusion_ros.detection.draw import draw_detections
from textfusion_ros.detection.evaluation import GroundTruth, mean_average_precision
from textfusion_ros.detection.tally import DetectionTally
from textfusion_ros.detection.types import Detection
from textfusion_ros.imaging.color import to_uint8
from textfusion_ros.imaging.image_codec import to_fusion_inputs
from textfusion_ros.imaging.imageio import write_image
from textfusion_ros.pipeline import FusionPipeline

FUSED, VISIBLE, INFRARED = "fused", "visible", "infrared"


@dataclass
class SourceComparison:
    """Per source: a tally, and (with labels) the detections of each labelled frame."""

    sources: tuple[str, ...]
    tallies: dict[str, DetectionTally] = field(default_factory=dict)
    predictions: dict[str, dict[str, list[Detection]]] = field(default_factory=dict)
    truth: dict[str, list[Detection]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for source in self.sources:
            self.tallies[source] = DetectionTally()
            self.predictions[source] = {}

    def report(self) -> dict:
        """{"frames", "sources": {source: {class: count}}, "details", "map" (with labels)}."""
        frames = self.tallies[self.sources[0]].frames
        report = {"frames": frames,
                  "sources": {s: dict(self.tallies[s].counts.most_common())
                              for s in self.sources},
                  "details": {s: self.tallies[s].summary() for s in self.sources}}
        if self.truth:
            report["map"] = {s: mean_average_precision(self.truth, self.predictions[s])
                             for s in self.sources}
        return report


def compare_sources(pairs: Iterable[tuple[str, np.ndarray, np.ndarray]],
                    pipeline: FusionPipeline, detector: Detector, out: Path | None,
                    compare: bool, labels: GroundTruth | None = None) -> SourceComparison:
    """Fuse each (stem, IR, VIS) pair and detect on the result (and on VIS and IR alone when
    `compare`); write `<out>/<source>/<stem>.png` overlays when `out` is given."""
    result = SourceComparison((FUSED, VISIBLE, INFRARED) if compare else (FUSED,))
    for stem, ir, vis in pairs:
        fused = pipeline.fuse(ir, vis)
        images = {FUSED: fused}
        if compare:
            images[VISIBLE] = vis
            images[INFRARED] = to_uint8(to_fusion_inputs(ir, vis, pipeline.agc)[0])
        truth = labels.boxes(stem, vis.shape[1], vis.shape[0]) if labels else None
        if truth is not None:
            result.truth[stem] = truth
        for source, image in images.items():
            detections = detector.detect(image)
            result.tallies[source].add(detections)
            if truth is not None:
                result.predictions[source][stem] = detections
            if out is not None:
                write_image(out / source / f"{stem}.png", draw_detections(image, detections))
    return result


def format_counts(report: dict) -> str:
    """Counts per class (rows) per source (columns), and mAP rows when labels were given."""
    sources = list(report["sources"])
    classes = sorted({c for counts in report["sources"].values() for c in counts})
    width = max([len(c) for c in classes] + [len("mAP@0.5:0.95"), 5])
    lines = [f"{report['frames']} frame(s); detections per class and source",
             " " * width + "".join(f"{s:>10}" for s in sources)]
    for name in classes or ["(none)"]:
        lines.append(f"{name:<{width}}" + "".join(
            f"{report['sources'][s].get(name, 0):>10}" for s in sources))
    lines.append(f"{'total':<{width}}" + "".join(
        f"{sum(report['sources'][s].values()):>10}" for s in sources))
    for key, title in (("map50", "mAP@0.5"), ("map50_95", "mAP@0.5:0.95")):
        if "map" in report:
            lines.append(f"{title:<{width}}" + "".join(
                f"{report['map'][s][key]:>10.3f}" for s in sources))
    return "\n".join(lines)
