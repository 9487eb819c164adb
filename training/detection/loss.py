"""SSD's multibox loss on a frozen detector's outputs, for a fused image.

Matching as the TF Object Detection API's SSD: an anchor is positive for the ground-truth box it
overlaps most when that IoU ≥ `iou_threshold` (0.5), and every box keeps its best anchor.
Classification: sigmoid cross-entropy on every class column against one-hot targets (the
background column is 1 for unmatched anchors), over the positives and the hardest negatives
(`negatives_per_positive` 3 per positive, at least `min_negatives` 3 per image); localisation:
smooth L1 on the positives' box encodings. Both sums are divided by the number of positives
(at least 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from training.detection.ssd import encode


@dataclass
class BoxTargets:
    """One image's boxes: normalised (ymin, xmin, ymax, xmax) G×4, and class columns G."""

    boxes: torch.Tensor
    columns: torch.Tensor


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU matrix (len(a) × len(b)) of ymin, xmin, ymax, xmax boxes."""
    top = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (bottom - top).clamp_min(0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clamp_min(0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clamp_min(0).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter).clamp_min(1e-9)


class DetectionLoss(nn.Module):
    """(encodings B×A×4, logits B×A×C, targets) → (loss, {"classification", "localisation",
    "positives"})."""

    def __init__(self, anchors: torch.Tensor, iou_threshold: float = 0.5,
                 negatives_per_positive: int = 3, min_negatives: int = 3) -> None:
        super().__init__()
        self.register_buffer("anchors", anchors)
        self.iou_threshold = iou_threshold
        self.negatives_per_positive = negatives_per_positive
        self.min_negatives = min_negatives

    def _match(self, target: BoxTargets) -> tuple[torch.Tensor, torch.Tensor]:
        """(positive mask A, index of the matched box A)."""
        count = self.anchors.shape[0]
        if target.boxes.numel() == 0:
            return (torch.zeros(count, dtype=torch.bool, device=self.anchors.device),
                    torch.zeros(count, dtype=torch.long, device=self.anchors.device))
        iou = box_iou(self.anchors, target.boxes)
        best_iou, best_box = iou.max(dim=1)
        forced = iou.argmax(dim=0)
        best_box[forced] = torch.arange(len(forced), device=forced.device)
        best_iou[forced] = 1.0
        return best_iou >= self.iou_threshold, best_box

    def forward(self, encodings: torch.Tensor, logits: torch.Tensor,
                targets: list[BoxTargets]) -> tuple[torch.Tensor, dict[str, float]]:
        classification = logits.new_zeros(())
        localisation = logits.new_zeros(())
        positives = 0
        for enc, logit, target in zip(encodings, logits, targets, strict=True):
            positive, matched = self._match(target)
            wanted = torch.zeros_like(logit)
            wanted[~positive, 0] = 1.0
            if positive.any():
                wanted[positive, target.columns[matched[positive]]] = 1.0
            per_anchor = F.binary_cross_entropy_with_logits(logit, wanted,
                                                            reduction="none").sum(-1)
            count = int(positive.sum())
            negatives = per_anchor[~positive]
            keep = min(len(negatives),
                       max(self.min_negatives, self.negatives_per_positive * count))
            classification = (classification + per_anchor[positive].sum()
                              + negatives.topk(keep).values.sum())
            if count:
                goal = encode(target.boxes[matched[positive]], self.anchors[positive])
                localisation = localisation + F.smooth_l1_loss(enc[positive], goal,
                                                               reduction="sum")
            positives += count
        scale = 1.0 / max(1, positives)
        total = (classification + localisation) * scale
        return total, {"classification": float(classification.detach()) * scale,
                       "localisation": float(localisation.detach()) * scale,
                       "positives": float(positives)}
