"""The full metric set on one image triple, averaged over many, or over paired folders.

Two conventions (`CONVENTIONS`) differ in AG and SSIM only; every other metric is the same:
- ``vifb``: forward-difference AG, Gaussian-window SSIM (the model card's figures);
- ``film``: `np.gradient` AG and scikit-image SSIM as FILM's and CDDFuse's Python evaluators
  compute them (the convention of the seed papers' tables).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..imaging.imageio import list_images, pair_by_stem, read_image
from .contrast import standard_deviation
from .correlation import scd
from .gradient import average_gradient, average_gradient_central, spatial_frequency
from .grey import to_grey8
from .information import entropy, mutual_information
from .qabf import qabf
from .structural import ssim_sum, ssim_sum_film
from .vif import vif

METRIC_NAMES = ("EN", "SD", "SF", "AG", "MI", "SCD", "VIF", "Qabf", "SSIM")
VIFB, FILM = "vifb", "film"
CONVENTIONS = {
    VIFB: (average_gradient, ssim_sum),
    FILM: (average_gradient_central, ssim_sum_film),
}
SEED_CONVENTION = FILM  # the convention of the seed papers' tables


def _convention(name: str):
    if name not in CONVENTIONS:
        raise ValueError(f"unknown metric convention {name!r}; known: {sorted(CONVENTIONS)}")
    return CONVENTIONS[name]


def compute_metrics(ir: np.ndarray, vis: np.ndarray, fused: np.ndarray,
                    convention: str = VIFB) -> dict[str, float]:
    """All metrics of METRIC_NAMES, in that order, for one (ir, vis, fused) triple."""
    ag, ssim = _convention(convention)
    ir8, vis8, fused8 = to_grey8(ir), to_grey8(vis), to_grey8(fused)
    if not ir8.shape == vis8.shape == fused8.shape:
        raise ValueError(f"image sizes differ: ir {ir8.shape}, vis {vis8.shape}, "
                         f"fused {fused8.shape}")
    sources = (ir8, vis8, fused8)
    values = (
        entropy(fused8),
        standard_deviation(fused8),
        spatial_frequency(fused8),
        ag(fused8),
        mutual_information(*sources),
        scd(*sources),
        vif(*sources),
        qabf(*sources),
        ssim(*sources),
    )
    return dict(zip(METRIC_NAMES, values, strict=True))


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    """Per-metric mean over rows (keys of the first row, in its order)."""
    if not rows:
        raise ValueError("cannot average an empty list of metric rows")
    return {name: float(np.mean([row[name] for row in rows])) for name in rows[0]}


def read_stem_list(path: str | Path) -> list[str]:
    """Stems, one per line, of a list-defined test set (blank lines and # comments skipped;
    a file name's extension is dropped, so lists of image names work too)."""
    stems = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            stems.append(Path(line).stem)
    if not stems:
        raise ValueError(f"{path}: no stems listed")
    return list(dict.fromkeys(stems))


def evaluate_folders(ir_dir: str | Path, vis_dir: str | Path, fused_dir: str | Path,
                     convention: str = VIFB,
                     stems: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Metrics of every fused image against its sources, paired by file stem: stem → metrics.

    With `stems`, only those pairs are evaluated, and a listed stem missing from any of the
    three folders is an error (a list-defined test set is evaluated whole or not at all).
    """
    _convention(convention)
    if stems is None:
        pairs = dict(pair_by_stem(ir_dir, vis_dir, fused_dir))
    else:
        listings = [list_images(folder) for folder in (ir_dir, vis_dir, fused_dir)]
        missing = [s for s in stems if not all(s in listing for listing in listings)]
        if missing:
            raise ValueError(f"{len(missing)} listed stem(s) lack an ir, vis or fused image: "
                             f"{', '.join(missing[:5])}")
        pairs = {s: tuple(listing[s] for listing in listings) for s in stems}
    results = {}
    for stem, (ir_path, vis_path, fused_path) in pairs.items():
        ir, vis, fused = (read_image(path) for path in (ir_path, vis_path, fused_path))
        try:
            results[stem] = compute_metrics(ir, vis, fused, convention)
        except ValueError as error:
            raise ValueError(f"{stem}: {error}") from error
    return results
