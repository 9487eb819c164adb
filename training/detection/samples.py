"""Labelled infrared/visible pairs as detection batches: (possibly degraded) inputs, the prompt
naming the degradation, and the boxes as normalised targets in the detector's class columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from textfusion_ros.config import DetectorConfig
from textfusion_ros.detection.types import Detection
from textfusion_ros.imaging.color import split_luma, to_unit_float
from textfusion_ros.imaging.degradations import get_degradation
from textfusion_ros.imaging.imageio import read_image
from training.conditioning import PromptTable
from training.datasets import PairRecord
from training.detection.loss import BoxTargets
from training.prompts import PROMPT_CLASSES


@dataclass(frozen=True)
class LabelledPair:
    """A pair and its boxes (pixels of the pair's images)."""

    record: PairRecord
    boxes: tuple[Detection, ...]


def degradation_class(degradation: str) -> str:
    """The prompt class that names a degradation."""
    for name, cls in PROMPT_CLASSES.items():
        if cls.degradation == degradation:
            return name
    raise ValueError(f"no prompt class names the degradation {degradation!r}")


def label_pairs(records: Sequence[PairRecord], labels: Mapping[str, list[Detection]]
                ) -> list[LabelledPair]:
    """The records that have a label entry (an empty list counts: a frame without objects)."""
    return [LabelledPair(r, tuple(labels[r.stem])) for r in records if r.stem in labels]


def pseudo_labels(records: Sequence[PairRecord], score_threshold: float,
                  detector_model: str = "") -> dict[str, list[Detection]]:
    """The detector's own boxes (ONNX Runtime, as deployed) on each clean visible image."""
    from textfusion_ros.detection.detector import create_detector

    detector = create_detector(DetectorConfig(model=detector_model, classes=[],
                                              score_threshold=score_threshold))
    return {r.stem: detector.detect(read_image(r.vis_path)) for r in records}


def targets_for(boxes: Sequence[Detection], width: int, height: int,
                columns: Mapping[str, int]) -> BoxTargets:
    """Pixel boxes → normalised targets; classes the detector lacks are left out."""
    kept = [b for b in boxes if b.label in columns]
    if not kept:
        return BoxTargets(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))
    xyxy = np.array([[b.y1 / height, b.x1 / width, b.y2 / height, b.x2 / width] for b in kept],
                    dtype=np.float32)
    return BoxTargets(torch.from_numpy(np.clip(xyxy, 0.0, 1.0)),
                      torch.tensor([columns[b.label] for b in kept], dtype=torch.long))


class DetectionSamples(Dataset):
    """Items: inputs resized to `frame_hw`, degraded with probability `degraded_prob` by one of
    `degradations` (training strength) and prompted with its class's paraphrase (else the
    default class), and the box targets. Reproducible per (seed, epoch, index)."""

    def __init__(self, pairs: Sequence[LabelledPair], prompts: PromptTable,
                 columns: Mapping[str, int], frame_hw: tuple[int, int],
                 degradations: Sequence[str] = (), degraded_prob: float = 0.0,
                 seed: int = 0) -> None:
        if not pairs:
            raise ValueError("no labelled pairs for detection tuning")
        self.pairs = list(pairs)
        self.prompts = prompts
        self.columns = dict(columns)
        self.frame_hw = frame_hw
        self.degradations = list(degradations)
        self.degraded_prob = degraded_prob if self.degradations else 0.0
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict:
        pair = self.pairs[index]
        rng = np.random.default_rng([self.seed, self.epoch, index, 19])
        ir = read_image(pair.record.ir_path, grey=True)
        vis = read_image(pair.record.vis_path)
        if vis.ndim == 2:
            vis = np.repeat(vis[..., None], 3, axis=2)
        height, width = ir.shape
        size = (self.frame_hw[1], self.frame_hw[0])
        ir = to_unit_float(cv2.resize(ir, size, interpolation=cv2.INTER_AREA))
        vis = to_unit_float(cv2.resize(vis, size, interpolation=cv2.INTER_AREA))
        class_name = "default"
        if rng.random() < self.degraded_prob:
            degradation = self.degradations[int(rng.integers(len(self.degradations)))]
            ir, vis = get_degradation(degradation).sample(ir, vis, rng)
            class_name = degradation_class(degradation)
        vis_y, _ = split_luma(vis)
        return {"ir_in": torch.from_numpy(np.ascontiguousarray(ir, dtype=np.float32))[None],
                "vis_in": torch.from_numpy(np.ascontiguousarray(vis_y, dtype=np.float32))[None],
                "prompt_id": torch.tensor(int(rng.choice(self.prompts.class_ids[class_name]))),
                "targets": targets_for(pair.boxes, width, height, self.columns)}


def collate(items: list[dict]) -> dict:
    """Stack the images and prompt ids; keep the per-image targets as a list."""
    return {"ir_in": torch.stack([i["ir_in"] for i in items]),
            "vis_in": torch.stack([i["vis_in"] for i in items]),
            "prompt_id": torch.stack([i["prompt_id"] for i in items]),
            "targets": [i["targets"] for i in items]}
