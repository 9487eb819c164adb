"""Real degraded inputs with restored targets, in Text-IF's per-task folder layout (EMS).

Layout (Text-IF's README and ``scripts/utils.read_data``; folder names matched
case-insensitively)::

    <root>/<Task>/<split>/Infrared/      infrared input (degraded for an IR task)
    <root>/<Task>/<split>/Visible/       visible input (degraded for a visible task)
    <root>/<Task>/<split>/Infrared_gt/   infrared target (restored; = input for a visible task)
    <root>/<Task>/<split>/Visible_gt/    visible target
    <root>/<Task>/<split>/text.txt       optional task prompts, one per line (or text/*.txt)

Text-IF's splits are ``train`` (with targets) and ``eval`` (inputs only). Images are paired by
stem (Text-IF pairs by sorted order; a stem mismatch is an error here instead). A missing
``*_gt`` folder of the source the task leaves intact means the input is its own target; a
missing target of the degraded source leaves the pair without targets (fusable, not trainable
or measurable). Task folders map to this project's prompt classes by `TASK_CLASSES` (EMS-lite's
four tasks, EMS's infrared stripe noise), extendable per config; EMS tasks without a prompt
class here (visible noise, haze, rain, blur) are skipped and listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from textfusion_ros.imaging.color import split_luma, to_unit_float
from textfusion_ros.imaging.imageio import list_images, pair_by_stem, read_image
from training.conditioning import PromptTable
from training.datasets import _pad_to, _subfolders
from training.prompts import PROMPT_CLASSES

TASK_CLASSES: dict[str, str] = {
    "low_light": "vis_low_light",
    "vi_low_light": "vis_low_light",
    "over_exposure": "vis_overexposure",
    "vi_over_exposure": "vis_overexposure",
    "ir_low_contrast": "ir_low_contrast",
    "ir_noise": "ir_noise",
    "ir_random_noise": "ir_noise",
    "ir_stripe_noise": "ir_noise",
}
INPUT_FOLDERS = {"ir": "infrared", "vis": "visible"}
TARGET_SUFFIX = "_gt"


@dataclass(frozen=True)
class DegradedRecord:
    """One degraded pair of a task, its restored targets (None when absent) and prompts."""

    task: str
    prompt_class: str
    stem: str
    ir_path: Path
    vis_path: Path
    ir_target: Path | None
    vis_target: Path | None
    prompts: tuple[str, ...] = ()

    @property
    def degraded_source(self) -> str:
        """"ir" or "vis": the source the task degrades."""
        return "ir" if self.prompt_class.startswith("ir_") else "vis"

    @property
    def has_targets(self) -> bool:
        return self.ir_target is not None and self.vis_target is not None


def _task_prompts(folder: Path) -> tuple[str, ...]:
    lines: list[str] = []
    text_file = folder / "text.txt"
    if text_file.is_file():
        lines += text_file.read_text(encoding="utf-8").splitlines()
    text_dir = _subfolders(folder).get("text")
    if text_dir is not None:
        for path in sorted(text_dir.glob("*.txt")):
            lines += path.read_text(encoding="utf-8").splitlines()
    return tuple(dict.fromkeys(line.strip() for line in lines if line.strip()))


def _task_records(task: str, prompt_class: str, folder: Path) -> list[DegradedRecord]:
    subs = _subfolders(folder)
    missing = [name for name in INPUT_FOLDERS.values() if name not in subs]
    if missing:
        found = ", ".join(p.name for p in subs.values()) or "none"
        raise ValueError(f"{folder}: no {'/'.join(missing)} folder (Text-IF layout: Infrared, "
                         f"Visible, Infrared_gt, Visible_gt); folders found: {found}")
    inputs = pair_by_stem(subs["infrared"], subs["visible"])
    degraded = "ir" if prompt_class.startswith("ir_") else "vis"
    targets: dict[str, dict[str, Path] | None] = {}
    for source, name in INPUT_FOLDERS.items():
        gt = subs.get(name + TARGET_SUFFIX)
        targets[source] = list_images(gt) if gt is not None else (
            None if source == degraded else {})
    prompts = _task_prompts(folder)
    records = []
    for stem, (ir_path, vis_path) in inputs:
        found = {}
        for source, path in (("ir", ir_path), ("vis", vis_path)):
            listing = targets[source]
            if listing is None:
                found[source] = None
            elif not listing:
                found[source] = path  # the intact source is its own target
            elif stem in listing:
                found[source] = listing[stem]
            else:
                raise ValueError(f"{folder}: {stem!r} has no {source} target in "
                                 f"{INPUT_FOLDERS[source].capitalize()}{TARGET_SUFFIX}")
        records.append(DegradedRecord(task, prompt_class, stem, ir_path, vis_path,
                                      found["ir"], found["vis"], prompts))
    return records


def find_degraded_pairs(root: str | Path, split: str = "train",
                        tasks: Mapping[str, str] | None = None
                        ) -> tuple[list[DegradedRecord], list[str]]:
    """(records of every mapped task folder's `split`, names of task folders skipped).

    `tasks` adds to or overrides `TASK_CLASSES` (folder name, case-insensitive → prompt class).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"not a folder: {root}")
    mapping = {**TASK_CLASSES, **{k.lower(): v for k, v in (tasks or {}).items()}}
    bad = sorted({v for v in mapping.values() if v not in PROMPT_CLASSES})
    if bad:
        raise ValueError(f"unknown prompt classes in the task mapping: {bad}")
    records: list[DegradedRecord] = []
    skipped: list[str] = []
    for name, folder in _subfolders(root).items():
        if name not in mapping:
            skipped.append(folder.name)
            continue
        split_folder = _subfolders(folder).get(split.lower())
        if split_folder is None:
            raise ValueError(f"task folder {folder} has no {split!r} split")
        records += _task_records(folder.name, mapping[name], split_folder)
    if not records:
        raise ValueError(f"no degraded pairs under {root} (split {split!r}); task folders "
                         f"known: {sorted(mapping)}; skipped: {skipped or 'none'}")
    return records, skipped


def read_degraded(record: DegradedRecord) -> dict[str, np.ndarray | None]:
    """Inputs and targets as stored: ir / ir_target H×W, vis / vis_target H×W×3 (or None)."""
    def load(path: Path | None, grey: bool) -> np.ndarray | None:
        if path is None:
            return None
        image = read_image(path, grey=grey)
        return np.repeat(image[..., None], 3, axis=2) if not grey and image.ndim == 2 else image

    images = {"ir": load(record.ir_path, True), "vis": load(record.vis_path, False),
              "ir_target": load(record.ir_target, True),
              "vis_target": load(record.vis_target, False)}
    shapes = {k: v.shape[:2] for k, v in images.items() if v is not None}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"{record.task}/{record.stem}: image sizes differ: {shapes}")
    return images


class DegradedSamples(Dataset):
    """Trainable degraded pairs as the trainer's batches: degraded inputs, restored targets,
    the task's prompt class and one of its training paraphrases (random crop and flips,
    reproducible per (seed, epoch, index) as `PairDataset`)."""

    def __init__(self, records: Sequence[DegradedRecord], prompts: PromptTable, crop: int,
                 seed: int = 0) -> None:
        self.records = [r for r in records if r.has_targets]
        if not self.records:
            raise ValueError("no degraded pair has targets (restored *_gt folders)")
        self.prompts = prompts
        self.crop = crop
        self.seed = seed
        self.epoch = 0
        self.class_names = list(PROMPT_CLASSES)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        record = self.records[index]
        images = read_degraded(record)
        rng = np.random.default_rng([self.seed, self.epoch, index, 13])
        stack = [images["ir"], images["ir_target"], images["vis"], images["vis_target"]]
        stack = [_pad_to(a, self.crop) for a in stack]
        top = int(rng.integers(stack[0].shape[0] - self.crop + 1))
        left = int(rng.integers(stack[0].shape[1] - self.crop + 1))
        stack = [a[top:top + self.crop, left:left + self.crop] for a in stack]
        if rng.random() < 0.5:
            stack = [a[:, ::-1] for a in stack]
        if rng.random() < 0.5:
            stack = [a[::-1] for a in stack]
        ir_in, ir, vis_in, vis = (to_unit_float(np.ascontiguousarray(a)) for a in stack)
        vis_in_y, vis_in_crcb = split_luma(vis_in)
        vis_y, vis_crcb = split_luma(vis)
        prompt_id = int(rng.choice(self.prompts.class_ids[record.prompt_class]))

        def chw(a: np.ndarray) -> torch.Tensor:
            a = np.ascontiguousarray(a, dtype=np.float32)
            return torch.from_numpy(a[None] if a.ndim == 2 else a.transpose(2, 0, 1).copy())

        return {"ir_in": chw(ir_in), "vis_in": chw(vis_in_y), "vis_in_crcb": chw(vis_in_crcb),
                "ir": chw(ir), "vis_y": chw(vis_y),
                "vis_crcb": chw(vis_crcb),
                "class_index": torch.tensor(self.class_names.index(record.prompt_class)),
                "prompt_id": torch.tensor(prompt_id), "as_given": torch.tensor(False)}


class MixedSamples(Dataset):
    """The synthetic conditioned samples, with a share `real_prob` of the items replaced by
    real degraded pairs (drawn per (seed, epoch, index), so the mix is reproducible)."""

    def __init__(self, synthetic: Dataset, real: DegradedSamples, real_prob: float,
                 seed: int = 0) -> None:
        if not 0.0 <= real_prob <= 1.0:
            raise ValueError(f"real_prob must be in [0, 1], got {real_prob}")
        self.synthetic, self.real, self.real_prob, self.seed = synthetic, real, real_prob, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.synthetic.set_epoch(epoch)
        self.real.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.synthetic)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, index, 17])
        if rng.random() < self.real_prob:
            return self.real[int(rng.integers(len(self.real)))]
        return self.synthetic[index]
