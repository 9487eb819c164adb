"""No-reference image quality (e.g. NIQE, MUSIQ, as Text-IF reports) through `pyiqa`, optional.

pyiqa fetches most metrics' weights from the internet on first use; nothing is downloaded here
at run time, so a metric whose weights are not already in pyiqa's cache is skipped with the
reason, as is every metric when pyiqa is not installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..imaging.imageio import list_images, read_image
from .grey import to_grey8


def _no_network() -> None:
    """Keep pyiqa / torch.hub / huggingface_hub from trying to download anything."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _create(name: str):
    """A pyiqa metric on the CPU, or the reason it cannot be made offline."""
    try:
        import pyiqa
    except ImportError as error:
        return None, f"pyiqa is not installed ({error})"
    _no_network()
    try:
        return pyiqa.create_metric(name, device="cpu", as_loss=False), None
    except Exception as error:  # noqa: BLE001 - pyiqa raises anything from a failed fetch
        return None, f"{type(error).__name__}: {str(error)[:200]}"


def no_reference_scores(fused_dir: str | Path, stems: list[str], names: list[str]
                        ) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """({stem: {metric: score}}, {skipped metric: reason}) for the fused images of `stems`."""
    import torch

    images = list_images(fused_dir)
    scores: dict[str, dict[str, float]] = {stem: {} for stem in stems}
    skipped: dict[str, str] = {}
    for name in names:
        metric, reason = _create(name)
        if metric is None:
            skipped[name] = reason
            continue
        for stem in stems:
            grey = to_grey8(read_image(images[stem])).astype(np.float32) / 255.0
            tensor = torch.from_numpy(np.repeat(grey[None, None], 3, axis=1))
            with torch.no_grad():
                scores[stem][name.upper()] = float(metric(tensor))
    return scores, skipped
