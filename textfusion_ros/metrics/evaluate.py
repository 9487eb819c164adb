"""The full metric set on one image triple, averaged over many, or over paired folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..imaging.imageio import pair_by_stem, read_image
from .contrast import standard_deviation
from .correlation import scd
from .gradient import average_gradient, spatial_frequency
from .grey import to_grey8
from .information import entropy, mutual_information
from .qabf import qabf
from .structural import ssim_sum
from .vif import vif

METRIC_NAMES = ("EN", "SD", "SF", "AG", "MI", "SCD", "VIF", "Qabf", "SSIM")


def compute_metrics(ir: np.ndarray, vis: np.ndarray, fused: np.ndarray) -> dict[str, float]:
    """All metrics of METRIC_NAMES, in that order, for one (ir, vis, fused) triple."""
    ir8, vis8, fused8 = to_grey8(ir), to_grey8(vis), to_grey8(fused)
    if not ir8.shape == vis8.shape == fused8.shape:
        raise ValueError(f"image sizes differ: ir {ir8.shape}, vis {vis8.shape}, "
                         f"fused {fused8.shape}")
    sources = (ir8, vis8, fused8)
    values = (
        entropy(fused8),
        standard_deviation(fused8),
        spatial_frequency(fused8),
        average_gradient(fused8),
        mutual_information(*sources),
        scd(*sources),
        vif(*sources),
        qabf(*sources),
        ssim_sum(*sources),
    )
    return dict(zip(METRIC_NAMES, values, strict=True))


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    """Per-metric mean over rows (keys of the first row, in its order)."""
    if not rows:
        raise ValueError("cannot average an empty list of metric rows")
    return {name: float(np.mean([row[name] for row in rows])) for name in rows[0]}


def evaluate_folders(ir_dir: str | Path, vis_dir: str | Path,
                     fused_dir: str | Path) -> dict[str, dict[str, float]]:
    """Metrics of every fused image against its sources, paired by file stem: stem → metrics."""
    results = {}
    for stem, (ir_path, vis_path, fused_path) in pair_by_stem(ir_dir, vis_dir, fused_dir):
        ir, vis, fused = (read_image(path) for path in (ir_path, vis_path, fused_path))
        try:
            results[stem] = compute_metrics(ir, vis, fused)
        except ValueError as error:
            raise ValueError(f"{stem}: {error}") from error
    return results
