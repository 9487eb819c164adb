"""Paired infrared/visible fusion datasets: layout detection, texts, splits and a torch Dataset.

Known layouts (folder names matched case-insensitively, first match wins):
MSRS, RoadScene, TNO ``ir``/``vi``; M3FD, TNO ``ir``/``vis``; LLVIP ``infrared``/``visible``;
RoadScene ``cropinfrared``/``crop_LR_visible``. A split (``train``/``test``) is looked for either
above the modality folders (``<root>/<split>/ir``, MSRS) or below them (``<root>/infrared/<split>``,
LLVIP).

Per-pair descriptive texts are read from ``text/<stem>.txt`` or ``texts/<stem>.txt`` and from
``texts.json`` (stem → text) in the split folder or the dataset root; ``.txt`` files win.
Per-source texts use the names ``<stem>_ir`` and ``<stem>_vi`` the same way; precomputed text
features (FILM's released ``.npy`` per stem) live in ``text_features/``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from textfusion_ros.imaging.color import is_grey, to_unit_float
from textfusion_ros.imaging.imageio import IMAGE_SUFFIXES, pair_by_stem, read_image

LAYOUTS: tuple[tuple[str, str, str], ...] = (
    ("MSRS/RoadScene/TNO", "ir", "vi"),
    ("M3FD/TNO", "ir", "vis"),
    ("LLVIP", "infrared", "visible"),
    ("RoadScene", "cropinfrared", "crop_lr_visible"),
)
TEXT_FOLDERS = ("text", "texts")
TEXT_JSON = "texts.json"
FEATURE_FOLDER = "text_features"
SOURCE_SUFFIXES = ("_ir", "_vi")


class LayoutError(ValueError):
    """Raised when a folder matches none of the known dataset layouts."""


@dataclass(frozen=True)
class PairRecord:
    """One registered infrared/visible pair and its optional descriptive texts: one for the
    pair, one per source (FILM's T₁ for the infrared, T₂ for the visible), or precomputed text
    features (`.npy`, tokens × width: the pair's, or one per source)."""

    stem: str
    ir_path: Path
    vis_path: Path
    text: str | None = None
    ir_text: str | None = None
    vis_text: str | None = None
    features: tuple[Path, ...] = ()

    @property
    def prompt_key(self) -> str | None:
        """The name under which this pair's own text embedding is looked up (None: no text).
        Features win over texts, per-source texts over the pair's text."""
        if self.features:
            return f"<text features: {', '.join(p.name for p in self.features)}>"
        if self.ir_text or self.vis_text:
            return f"infrared: {self.ir_text or ''}\nvisible: {self.vis_text or ''}"
        return self.text


def _subfolders(folder: Path) -> dict[str, Path]:
    """Map lower-cased name → path for the folders directly inside `folder`."""
    return {p.name.lower(): p for p in sorted(folder.iterdir()) if p.is_dir()}


def _match_layout(folder: Path) -> tuple[Path, Path] | None:
    """(ir folder, vis folder) of the first known layout found in `folder`, or None."""
    subs = _subfolders(folder)
    for _, ir_name, vis_name in LAYOUTS:
        if ir_name in subs and vis_name in subs:
            return subs[ir_name], subs[vis_name]
    return None


def _layout_error(folder: Path, split: str | None) -> LayoutError:
    found = ", ".join(p.name for p in _subfolders(folder).values()) or "none"
    known = "; ".join(f"{name}: {ir}/{vis}" for name, ir, vis in LAYOUTS)
    hint = "" if split else " (if these are split folders, pass split=...)"
    return LayoutError(
        f"no known infrared/visible layout in {folder}; folders found: {found}{hint}. "
        f"Known layouts (case-insensitive): {known}"
    )


def _split_child(folder: Path, split: str) -> Path:
    """The subfolder of `folder` named `split` (case-insensitive); LayoutError when absent."""
    subs = _subfolders(folder)
    if split.lower() not in subs:
        found = ", ".join(p.name for p in subs.values()) or "none"
        raise LayoutError(f"no {split!r} split in {folder}; folders found: {found}")
    return subs[split.lower()]


def _has_images(folder: Path) -> bool:
    return any(p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() for p in folder.iterdir())


def _locate(root: Path, split: str | None) -> tuple[Path, Path, Path]:
    """(base folder, ir folder, vis folder) for `root` and the optional split."""
    if not root.is_dir():
        raise FileNotFoundError(f"not a folder: {root}")
    if split is not None:
        subs = _subfolders(root)
        above = subs.get(split.lower())
        if above is not None and (dirs := _match_layout(above)) is not None:
            return above, *dirs
    dirs = _match_layout(root)
    if dirs is None:
        raise _layout_error(root, split)
    ir_dir, vis_dir = dirs
    if split is not None:
        return root, _split_child(ir_dir, split), _split_child(vis_dir, split)
    if not _has_images(ir_dir) and _subfolders(ir_dir):
        found = ", ".join(p.name for p in _subfolders(ir_dir).values())
        raise LayoutError(f"{ir_dir} holds split folders ({found}), not images: pass split=...")
    return root, ir_dir, vis_dir


def load_texts(folder: str | Path) -> dict[str, str]:
    """Stem → descriptive text from `texts.json` and `text/` or `texts/` in `folder`."""
    folder = Path(folder)
    texts: dict[str, str] = {}
    json_path = folder / TEXT_JSON
    if json_path.is_file():
        mapping = json.loads(json_path.read_text(encoding="utf-8"))
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise ValueError(f"{json_path} must map image stems to text strings")
        texts.update(mapping)
    subs = _subfolders(folder)
    for name in TEXT_FOLDERS:
        if name in subs:
            for path in sorted(subs[name].glob("*.txt")):
                texts[path.stem] = path.read_text(encoding="utf-8")
    return {stem: text.strip() for stem, text in texts.items() if text.strip()}


def load_feature_paths(folder: str | Path) -> dict[str, Path]:
    """Name → `.npy` file in `folder`/text_features (FILM's released text features)."""
    features = Path(folder) / FEATURE_FOLDER
    return {p.stem: p for p in sorted(features.glob("*.npy"))} if features.is_dir() else {}


def find_pairs(root: str | Path, split: str | None = None) -> list[PairRecord]:
    """Pair a dataset's infrared and visible images by stem, sorted, with texts where present.

    Per pair: ``<stem>`` (text for the pair), ``<stem>_ir`` and ``<stem>_vi`` (one per source)
    in ``text/``, ``texts/`` or ``texts.json``; ``text_features/<stem>.npy`` or
    ``text_features/<stem>_ir.npy`` + ``<stem>_vi.npy`` (precomputed features)."""
    root = Path(root)
    base, ir_dir, vis_dir = _locate(root, split)
    texts, features = load_texts(root), load_feature_paths(root)
    if base != root:
        texts.update(load_texts(base))
        features.update(load_feature_paths(base))
    records = []
    for stem, (ir_path, vis_path) in pair_by_stem(ir_dir, vis_dir):
        feature_names = [stem] if stem in features else [
            n for n in (stem + s for s in SOURCE_SUFFIXES) if n in features]
        records.append(PairRecord(
            stem, ir_path, vis_path, texts.get(stem), texts.get(stem + "_ir"),
            texts.get(stem + "_vi"), tuple(features[n] for n in feature_names)))
    return records


def split_records(
    records: Sequence[PairRecord], n_val: int, seed: int
) -> tuple[list[PairRecord], list[PairRecord]]:
    """Seeded (train, val) split; depends only on the set of stems, `n_val` and `seed`."""
    train, val, _ = split_three(records, n_val, 0, seed)
    return train, val


def split_three(
    records: Sequence[PairRecord], n_val: int, n_test: int, seed: int
) -> tuple[list[PairRecord], list[PairRecord], list[PairRecord]]:
    """Seeded (train, val, test) split by stem.

    One seeded permutation of the sorted stems: its first `n_val` are the validation pairs
    (exactly those `split_records` gives, whatever `n_test`), the next `n_test` the test pairs
    (reported once, never used to choose), the rest train.
    """
    ordered = sorted(records, key=lambda r: r.stem)
    if len({r.stem for r in ordered}) != len(ordered):
        raise ValueError("records must have unique stems")
    if n_test < 0 or not 0 <= n_val <= len(ordered) - n_test:
        raise ValueError(f"n_val + n_test must be in [0, {len(ordered)}], "
                         f"got {n_val} + {n_test}")
    order = np.random.default_rng(seed).permutation(len(ordered)).tolist()
    val_idx, test_idx = set(order[:n_val]), set(order[n_val:n_val + n_test])
    train = [r for i, r in enumerate(ordered) if i not in val_idx and i not in test_idx]
    val = [r for i, r in enumerate(ordered) if i in val_idx]
    test = [r for i, r in enumerate(ordered) if i in test_idx]
    return train, val, test


def _pad_to(image: np.ndarray, size: int) -> np.ndarray:
    """Reflect-pad height and width up to at least `size`, centred."""
    pad_h, pad_w = max(0, size - image.shape[0]), max(0, size - image.shape[1])
    if not pad_h and not pad_w:
        return image
    widths = [(pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)]
    widths += [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths, mode="reflect")


def decode_pair(record: PairRecord) -> tuple[np.ndarray, np.ndarray, bool]:
    """Read a pair at its stored bit depth: (infrared H×W, visible H×W×3 BGR, visible is grey)."""
    ir = read_image(record.ir_path, grey=True)
    vis = read_image(record.vis_path)
    grey = is_grey(vis)
    if vis.ndim == 2:
        vis = np.repeat(vis[..., None], 3, axis=2)
    if ir.shape != vis.shape[:2]:
        raise ValueError(
            f"pair {record.stem!r}: infrared {ir.shape} and visible {vis.shape[:2]} sizes differ"
        )
    return ir, vis, grey


class PairDataset(Dataset):
    """Infrared/visible pairs held in memory, with optional random crops and flips.

    Images are read once and kept at their stored bit depth (uint8 or uint16, four times
    smaller than float32); items are converted to float32 in [0, 1] on access. With
    ``lazy=True`` nothing is held: each access decodes its pair from disk (for datasets that do
    not fit in memory, such as LLVIP), and gives the same item as eager mode. Grey visible
    images (single-channel, or three identical channels) are given as 3-channel BGR and
    flagged in ``vis_grey``.

    Randomness is reproducible: item `index` draws from a generator seeded with
    ``(seed, epoch, index)``, so the result does not depend on worker processes or their
    order. Call ``set_epoch(n)`` before iterating each epoch (or with an iteration counter for
    iteration-based training); with a DataLoader, do not use ``persistent_workers=True``,
    since persistent workers keep the dataset copy from the first epoch.
    """

    def __init__(
        self,
        records: Sequence[PairRecord],
        crop: int | None = None,
        augment: bool = False,
        seed: int = 0,
        lazy: bool = False,
    ) -> None:
        if crop is not None and crop < 1:
            raise ValueError(f"crop must be positive, got {crop}")
        self.records = list(records)
        self.crop = crop
        self.augment = augment
        self.seed = seed
        self.lazy = lazy
        self.epoch = 0
        self._decoded = [] if lazy else [decode_pair(r) for r in self.records]

    def _pair(self, index: int) -> tuple[np.ndarray, np.ndarray, bool]:
        """(infrared, BGR visible, visible is grey) of pair `index`, as stored."""
        return decode_pair(self.records[index]) if self.lazy else self._decoded[index]

    def set_epoch(self, epoch: int) -> None:
        """Select the random stream for the next pass (epoch or iteration counter)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, np.ndarray | str | bool]:
        """{"ir": H×W, "vis": H×W×3 BGR (float32, [0, 1]), "text", "stem", "vis_grey"}."""
        ir, vis, vis_grey = self._pair(index)
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if self.crop is not None:
            ir, vis = _pad_to(ir, self.crop), _pad_to(vis, self.crop)
            top = int(rng.integers(ir.shape[0] - self.crop + 1))
            left = int(rng.integers(ir.shape[1] - self.crop + 1))
            ir = ir[top:top + self.crop, left:left + self.crop]
            vis = vis[top:top + self.crop, left:left + self.crop]
        if self.augment:
            if rng.random() < 0.5:
                ir, vis = ir[:, ::-1], vis[:, ::-1]
            if rng.random() < 0.5:
                ir, vis = ir[::-1], vis[::-1]
        record = self.records[index]
        return {
            "ir": np.ascontiguousarray(to_unit_float(ir)),
            "vis": np.ascontiguousarray(to_unit_float(vis)),
            "text": record.prompt_key or "",
            "stem": record.stem,
            "vis_grey": vis_grey,
        }
