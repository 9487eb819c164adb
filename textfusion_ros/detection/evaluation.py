"""mAP@0.5 and mAP@0.5:0.95 with pycocotools, and ground-truth readers (YOLO txt, COCO JSON)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from textfusion_ros.detection.types import Detection


def mean_average_precision(truth: Mapping[str, Sequence[Detection]],
                           predictions: Mapping[str, Sequence[Detection]]) -> dict[str, float]:
    """COCO-style mAP over frames keyed alike; truth boxes' scores are ignored.

    Classes are those present in the ground truth; a frame missing from `predictions` has no
    detections. Returns {"map50", "map50_95", "frames", "objects"}.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    names = sorted({d.label for boxes in truth.values() for d in boxes})
    if not names:
        raise ValueError("the ground truth holds no object: mAP is undefined")
    category = {name: i + 1 for i, name in enumerate(names)}
    frames = {frame: i + 1 for i, frame in enumerate(truth)}
    pairs = [(frame, d) for frame, boxes in truth.items() for d in boxes]
    annotations = [{"id": i + 1, "image_id": frames[frame], "category_id": category[d.label],
                    "bbox": _xywh(d), "area": d.size[0] * d.size[1], "iscrowd": 0}
                   for i, (frame, d) in enumerate(pairs)]
    results = [{"image_id": frames[frame], "category_id": category[d.label], "bbox": _xywh(d),
                "score": d.score}
               for frame, boxes in predictions.items() if frame in frames
               for d in boxes if d.label in category]
    summary = {"frames": len(frames), "objects": len(annotations)}
    if not results:
        return {"map50": 0.0, "map50_95": 0.0, **summary}
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        gt = COCO()
        gt.dataset = {"images": [{"id": i} for i in frames.values()],
                      "categories": [{"id": i, "name": n} for n, i in category.items()],
                      "annotations": annotations}
        gt.createIndex()
        evaluator = COCOeval(gt, gt.loadRes(results), "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {"map50": float(evaluator.stats[1]), "map50_95": float(evaluator.stats[0]),
            **summary}


def _xywh(d: Detection) -> list[float]:
    return [d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1]


def read_yolo_labels(path: Path, width: int, height: int,
                     names: Sequence[str]) -> list[Detection]:
    """A YOLO label file (`class cx cy w h`, normalised, one box a line) → boxes in pixels."""
    boxes = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            class_id, cx, cy, w, h = (float(v) for v in line.split()[:5])
            label = names[int(class_id)]
        except (ValueError, IndexError) as error:
            raise ValueError(f"{path}:{number}: not a YOLO label line: {line!r}") from error
        boxes.append(Detection((cx - w / 2) * width, (cy - h / 2) * height,
                               (cx + w / 2) * width, (cy + h / 2) * height, 1.0, label))
    return boxes


def read_coco_labels(path: Path) -> dict[str, list[Detection]]:
    """A COCO annotation JSON → image file stem → boxes (pixels, category names)."""
    data = json.loads(Path(path).read_text())
    names = {c["id"]: c["name"] for c in data["categories"]}
    stems = {image["id"]: Path(image["file_name"]).stem for image in data["images"]}
    labels: dict[str, list[Detection]] = {stem: [] for stem in stems.values()}
    for a in data["annotations"]:
        x, y, w, h = a["bbox"]
        labels[stems[a["image_id"]]].append(Detection(x, y, x + w, y + h, 1.0,
                                                      names[a["category_id"]]))
    return labels


class GroundTruth:
    """Labels for frames by stem: a folder of YOLO `<stem>.txt` files or one COCO JSON."""

    def __init__(self, path: str | Path, names: Sequence[str]) -> None:
        self.path = Path(path)
        self.names = names
        if self.path.is_file():
            self._coco = read_coco_labels(self.path)
        elif self.path.is_dir():
            self._coco = None
        else:
            raise FileNotFoundError(f"labels not found: {self.path}")

    def boxes(self, stem: str, width: int, height: int) -> list[Detection] | None:
        """The frame's boxes; None when it has no label (then it is left out of the mAP)."""
        if self._coco is not None:
            return self._coco.get(stem)
        label_file = self.path / f"{stem}.txt"
        if not label_file.is_file():
            return None
        return read_yolo_labels(label_file, width, height, self.names)
