"""Turns clean training pairs into conditioned samples: prompt class, degraded inputs, prompt.

For each sample a prompt class is drawn; if the class names a degradation the inputs are
degraded while the clean sources stay as targets (Text-IF's degradation-aware training), and a
training paraphrase of the class (or, for the default class, sometimes the pair's own
descriptive text, FILM-style) becomes the prompt. The default class also sees degraded inputs,
with the degraded sources as targets: without a degradation prompt the network fuses what it
is given, and restoration is what the degradation prompts ask for; such samples are flagged
`as_given`, and the loss gives them a mean (not max) intensity target so that max-selection
cannot hide the degradation behind the other source. For the low-light class the visible
target is the clean visible with local contrast equalisation (CLAHE, `low_light_clip` and
`low_light_tile`): a user who says the camera is in low light wants the scene made visible,
not merely its normal exposure back.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from textfusion_ros.imaging.color import split_luma
from textfusion_ros.imaging.degradations import get_degradation
from training.datasets import PairDataset
from training.prompts import PROMPT_CLASSES

ENHANCED_CLASSES = ("vis_low_light",)


def enhance_contrast(y: np.ndarray, clip_limit: float = 3.0, tile: int = 16) -> np.ndarray:
    """CLAHE of a float [0, 1] luminance with square tiles of about `tile` pixels."""
    grid = (max(1, y.shape[1] // tile), max(1, y.shape[0] // tile))
    clahe = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=grid)
    return clahe.apply(np.clip(np.rint(y * 255), 0, 255).astype(np.uint8)).astype(np.float32) / 255


class PromptTable:
    """Index of every prompt used in training: id ↔ text, and the train ids of each class."""

    def __init__(self, extra_texts: list[str] = ()) -> None:
        self.texts: list[str] = []
        self.class_ids: dict[str, list[int]] = {}
        for name, cls in PROMPT_CLASSES.items():
            self.class_ids[name] = [self._add(t) for t in cls.train]
        self.extra_ids = {t: self._add(t) for t in extra_texts}

    def _add(self, text: str) -> int:
        self.texts.append(text)
        return len(self.texts) - 1


class ConditionedPairs(Dataset):
    """Wraps a PairDataset; items are dicts of tensors ready for the network and the loss."""

    def __init__(self, pairs: PairDataset, prompts: PromptTable, class_probs: dict[str, float],
                 text_prob: float, seed: int, default_degraded_prob: float = 0.0,
                 low_light_clip: float = 3.0, low_light_tile: int = 16) -> None:
        self.pairs = pairs
        self.prompts = prompts
        self.class_names = list(PROMPT_CLASSES)
        probs = np.array([class_probs.get(n, 0.0) for n in self.class_names], dtype=np.float64)
        if probs.sum() <= 0:
            raise ValueError("class_probs must give some class a positive probability")
        self.probs = probs / probs.sum()
        self.text_prob = text_prob
        self.default_degraded_prob = default_degraded_prob
        self.low_light_clip = low_light_clip
        self.low_light_tile = low_light_tile
        self.degradations = sorted({c.degradation for c in PROMPT_CLASSES.values()
                                    if c.degradation})
        self.seed = seed

    def __len__(self) -> int:
        return len(self.pairs)

    def set_epoch(self, epoch: int) -> None:
        self.pairs.set_epoch(epoch)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        item = self.pairs[index]
        rng = np.random.default_rng([self.seed, self.pairs.epoch, index, 7])
        class_index = int(rng.choice(len(self.class_names), p=self.probs))
        name = self.class_names[class_index]
        ir, vis = item["ir"], item["vis"]
        ir_in, vis_in = ir, vis
        degradation = PROMPT_CLASSES[name].degradation
        as_given = False
        if degradation:
            ir_in, vis_in = get_degradation(degradation).sample(ir, vis, rng)
        elif name == "default" and rng.random() < self.default_degraded_prob:
            chosen = self.degradations[int(rng.integers(len(self.degradations)))]
            ir, vis = ir_in, vis_in = get_degradation(chosen).sample(ir, vis, rng)
            as_given = True
        text = item["text"]
        if name == "default" and text and rng.random() < self.text_prob:
            prompt_id = self.prompts.extra_ids[text]
        else:
            prompt_id = int(rng.choice(self.prompts.class_ids[name]))
        vis_y, vis_crcb = split_luma(vis)
        vis_in_y, _ = split_luma(vis_in)
        if name in ENHANCED_CLASSES:
            vis_y = enhance_contrast(vis_y, self.low_light_clip, self.low_light_tile)

        def chw(a: np.ndarray) -> torch.Tensor:
            a = np.ascontiguousarray(a, dtype=np.float32)
            return torch.from_numpy(a[None] if a.ndim == 2 else a.transpose(2, 0, 1).copy())

        return {"ir_in": chw(ir_in), "vis_in": chw(vis_in_y), "ir": chw(ir), "vis_y": chw(vis_y),
                "vis_crcb": chw(vis_crcb), "class_index": torch.tensor(class_index),
                "prompt_id": torch.tensor(prompt_id), "as_given": torch.tensor(as_given)}
