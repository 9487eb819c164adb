"""Turns clean training pairs into conditioned samples: prompt class, degraded inputs, prompt.

For each sample a prompt class is drawn; if the class names a degradation the inputs are
degraded while the clean sources stay as targets (Text-IF's degradation-aware training), and a
training paraphrase of the class (or, for the default class, sometimes the pair's own
descriptive text, FILM-style) becomes the prompt.

Night (`textfusion_ros.imaging.night`): the low-light class, and a share of the default class's
samples, see a synthesised night visible image. The loss's visible target is then built from
the night synthesis's local signal-to-noise ratio (an illumination-aware target, after
PIAFusion's idea):
- default prompt: where the night visible is well lit (high SNR) the target is the noise-free
  night visible; where it is dark or noisy the target is the infrared, so the fusion takes its
  base intensity and structure from the infrared there instead of copying the darkness. Two
  refinements there: the visible's faint coarse structure (its noise-free Gaussian base, where
  it holds a signal at coarse scale, zero-mean over the dark area) is added with weight
  `dark_vis_base`, so what the visible camera does see at coarse scale is not thrown away; and
  the infrared's details (image minus a Gaussian σ 2 blur) are enhanced by `dark_ir_detail`,
  as a thermal camera's detail enhancement does, since they are the only structure there;
- low-light prompt: the daytime visible brightness wherever the night image still holds a
  signal at coarse scale (approached by `restore_strength` from the night as seen, and never
  darker than it: the prompt brightens, it does not trade the infrared for a darker day), its
  details only where their SNR allows (so the network learns to brighten and denoise, never to turn
  noise into texture), and the infrared where the visible holds nothing; the infrared's warm
  targets (its hottest pixels) are lifted by `warm_lift` times the scene's mean brightening
  and composited onto the restored visible target, so they brighten with the scene and stay
  as conspicuous as under the default prompt.
Night samples may also carry an infrared degradation, fused as given.

The default class also sees the other degradations "as given": degraded inputs with degraded
targets, so the network does not restore what no prompt asked for; such samples are flagged
`as_given`, and the loss gives them their own intensity max/mean mix.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from textfusion_ros.imaging.color import split_luma
from textfusion_ros.imaging.degradations import get_degradation
from textfusion_ros.imaging.night import NightConfig, smoothstep, synthesize_night
from training.datasets import PairDataset
from training.prompts import PROMPT_CLASSES

NIGHT_CLASS = "vis_low_light"
IR_DEGRADATIONS = ("ir_noise", "ir_low_contrast")
HOT_RANGE = (90.0, 98.0)  # infrared percentiles over which a pixel becomes a warm target
IR_DETAIL_SIGMA = 2.0  # Gaussian σ (px) separating the infrared's details for enhancement


@dataclass(frozen=True)
class NightTargets:
    """How night samples are drawn and which SNR makes the visible trustworthy.

    SNR thresholds are on log2 of the local luminance SNR (`NightSample.snr`): below `snr_low`
    the visible counts as dark (weight 0), above `snr_high` as well lit (weight 1). The
    low-light target keeps the daytime brightness down to `base_snr_low` (coarse structure
    survives more noise than detail), and its details with the same weight as the default's.
    """

    default_prob: float = 0.4
    ir_degradation_prob: float = 0.25
    snr_low: float = 1.5
    snr_high: float = 4.0
    base_snr_low: float = -1.5
    base_sigma: float = 4.0
    dark_vis_base: float = 0.0
    """Default prompt, dark areas: weight of the visible's faint coarse structure."""
    dark_ir_detail: float = 0.0
    """Default prompt, dark areas: extra gain on the infrared's details (0 = as they are)."""
    restore_strength: float = 1.0
    """Low-light prompt: how far the target goes from the night as seen to daytime brightness."""
    warm_lift: float = 1.0
    """Low-light prompt: the warm targets' lift, relative to the scene's mean brightening."""


def night_targets(day_vis: np.ndarray, ir: np.ndarray, night_clean: np.ndarray,
                  snr: np.ndarray, targets: NightTargets, restore: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Infrared target, visible luminance target and its CrCb for a night sample (see the
    module docstring)."""
    log_snr = np.log2(np.maximum(snr, 1e-6))
    lit = smoothstep(log_snr, targets.snr_low, targets.snr_high)
    seen = smoothstep(log_snr, targets.base_snr_low, targets.snr_low)
    night_y, night_crcb = split_luma(night_clean)
    as_seen = lit * night_y + (1.0 - lit) * ir
    if not restore:
        dark = 1.0 - lit
        ir_target = np.clip(ir + targets.dark_ir_detail * dark * (
            ir - cv2.GaussianBlur(ir, (0, 0), IR_DETAIL_SIGMA)), 0.0, 1.0)
        faint = dark * seen
        night_base = cv2.GaussianBlur(night_y, (0, 0), targets.base_sigma)
        dark_mean = float((faint * night_base).sum() / max(float(faint.sum()), 1e-6))
        vis_target = lit * night_y + dark * ir_target + (
            targets.dark_vis_base * faint * (night_base - dark_mean))
        return ir_target, np.clip(vis_target, 0.0, 1.0), night_crcb
    y, crcb = split_luma(day_vis)
    base = cv2.GaussianBlur(y, (0, 0), targets.base_sigma)
    restored = seen * (base + lit * (y - base)) + (1.0 - seen) * ir
    restored = as_seen + targets.restore_strength * np.maximum(restored - as_seen, 0.0)
    lift = targets.warm_lift * max(0.0, float(restored.mean() - as_seen.mean()))
    hot = smoothstep(ir, float(np.percentile(ir, HOT_RANGE[0])),
                     float(np.percentile(ir, HOT_RANGE[1])) + 1e-6)
    ir_target = np.clip(ir + lift * hot, 0.0, 1.0)
    vis_target = restored + hot * np.maximum(ir_target - restored, 0.0)
    return ir_target, vis_target, crcb


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
                 night: NightConfig | None = None,
                 night_targets: NightTargets | None = None) -> None:
        self.pairs = pairs
        self.prompts = prompts
        self.class_names = list(PROMPT_CLASSES)
        probs = np.array([class_probs.get(n, 0.0) for n in self.class_names], dtype=np.float64)
        if probs.sum() <= 0:
            raise ValueError("class_probs must give some class a positive probability")
        self.probs = probs / probs.sum()
        self.text_prob = text_prob
        self.default_degraded_prob = default_degraded_prob
        self.night = night or NightConfig()
        self.night_targets = night_targets or NightTargets()
        self.degradations = sorted({c.degradation for c in PROMPT_CLASSES.values()
                                    if c.degradation and c.degradation != NIGHT_CLASS})
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
        vis_y, vis_crcb = split_luma(vis)
        as_given = False
        night = name == NIGHT_CLASS or (
            name == "default" and rng.random() < self.night_targets.default_prob)
        if night:
            if rng.random() < self.night_targets.ir_degradation_prob:
                chosen = IR_DEGRADATIONS[int(rng.integers(len(IR_DEGRADATIONS)))]
                ir = ir_in = get_degradation(chosen).sample(ir, vis, rng)[0]
            sample = synthesize_night(vis, rng, self.night)
            vis_in = sample.noisy
            ir, vis_y, vis_crcb = night_targets(vis, ir, sample.clean, sample.snr,
                                                self.night_targets, restore=name == NIGHT_CLASS)
        elif PROMPT_CLASSES[name].degradation:
            ir_in, vis_in = get_degradation(PROMPT_CLASSES[name].degradation).sample(ir, vis, rng)
        elif name == "default" and rng.random() < self.default_degraded_prob:
            chosen = self.degradations[int(rng.integers(len(self.degradations)))]
            ir, vis = ir_in, vis_in = get_degradation(chosen).sample(ir, vis, rng)
            vis_y, vis_crcb = split_luma(vis)
            as_given = True
        text = item["text"]
        if name == "default" and text and rng.random() < self.text_prob:
            prompt_id = self.prompts.extra_ids[text]
        else:
            prompt_id = int(rng.choice(self.prompts.class_ids[name]))
        vis_in_y, vis_in_crcb = split_luma(vis_in)

        def chw(a: np.ndarray) -> torch.Tensor:
            a = np.ascontiguousarray(a, dtype=np.float32)
            return torch.from_numpy(a[None] if a.ndim == 2 else a.transpose(2, 0, 1).copy())

        return {"ir_in": chw(ir_in), "vis_in": chw(vis_in_y), "vis_in_crcb": chw(vis_in_crcb),
                "ir": chw(ir), "vis_y": chw(vis_y),
                "vis_crcb": chw(vis_crcb), "class_index": torch.tensor(class_index),
                "prompt_id": torch.tensor(prompt_id), "as_given": torch.tensor(as_given)}
