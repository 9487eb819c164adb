"""Score threshold, class filter and class-aware NMS (OpenCV) shared by every decoder."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import cv2
import numpy as np

from textfusion_ros.detection.types import Detection


def class_ids_for(names: Mapping[int, str], wanted: Collection[str]
                  ) -> tuple[frozenset[int] | None, tuple[str, ...]]:
    """(ids of the `wanted` class names the model knows, the wanted names it does not know).

    Empty `wanted` = every class (ids None). When none of the wanted names is a class of the
    model, ValueError names the model's classes.
    """
    if not wanted:
        return None, ()
    by_name = {name: class_id for class_id, name in names.items()}
    unknown = tuple(name for name in wanted if name not in by_name)
    if len(unknown) == len(set(wanted)):
        shown = ", ".join(list(by_name)[:90])
        raise ValueError(f"none of the detector classes {list(wanted)} is a class of the "
                         f"model ({shown})")
    return frozenset(by_name[name] for name in wanted if name in by_name), unknown


def select(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray,
           names: Mapping[int, str], allowed: frozenset[int] | None, score_threshold: float,
           iou_threshold: float, max_detections: int) -> list[Detection]:
    """N×4 (x1, y1, x2, y2) boxes, N scores, N integer class ids → kept detections, best first.

    Boxes scoring at least `score_threshold` of an `allowed` class (all when None) survive;
    overlapping boxes of one class are suppressed by cv2.dnn.NMSBoxesBatched.
    """
    keep = scores >= score_threshold
    if allowed is not None:
        keep &= np.isin(class_ids, list(allowed))
    boxes, scores, class_ids = boxes[keep], scores[keep], class_ids[keep].astype(np.int32)
    if not len(scores):
        return []
    xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]).astype(np.float32)
    chosen = cv2.dnn.NMSBoxesBatched(xywh.tolist(), scores.astype(np.float32).tolist(),
                                     class_ids.tolist(), score_threshold, iou_threshold)
    order = sorted(np.asarray(chosen, dtype=int).reshape(-1), key=lambda i: -scores[i])
    return [Detection(*(float(v) for v in boxes[i]), float(scores[i]),
                      names.get(int(class_ids[i]), str(class_ids[i])))
            for i in order[:max_detections]]
