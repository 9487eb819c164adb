"""Offline demo: fuse a synthetic scene sequence under several prompts; panel PNG + metrics.

The panel's last row is a night: the first pair with its visible image through the night
synthesis (`textfusion_ros.imaging.night`), fused under the default and the low-light prompts.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.imageio import write_image
from textfusion_ros.imaging.night import synthesize_night
from textfusion_ros.imaging.scenes import SceneConfig, generate_sequence
from textfusion_ros.metrics import compute_metrics, format_table, mean_metrics
from textfusion_ros.pipeline import FusionPipeline

DEMO_PROMPTS = (
    "fuse the infrared and visible images",
    "highlight warm pedestrians",
    "preserve visible texture and colour",
)
NIGHT_PROMPTS = ("fuse the infrared and visible images", "visible camera is in low light")
NIGHT_SEED = 11


def labelled(image: np.ndarray, label: str) -> np.ndarray:
    """BGR copy of `image` with a caption bar on top."""
    bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    bar = np.zeros((22, bgr.shape[1], 3), np.uint8)
    cv2.putText(bar, label[:48], (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1,
                cv2.LINE_AA)
    return np.vstack([bar, bgr])


def side_by_side(ir: np.ndarray, vis: np.ndarray, fused: dict[str, np.ndarray]) -> np.ndarray:
    """One row: IR | VIS | fused under each prompt."""
    tiles = [labelled(ir, "infrared"), labelled(vis, "visible")]
    tiles += [labelled(image, prompt) for prompt, image in fused.items()]
    return np.hstack(tiles)


def night_row(pipeline: FusionPipeline, ir: np.ndarray, vis: np.ndarray, width: int
              ) -> np.ndarray:
    """IR | synthetic night visible | fused under each night prompt, padded to `width`."""
    night = synthesize_night(to_unit_float(vis), np.random.default_rng(NIGHT_SEED))
    dark = to_uint8(night.noisy)
    fused = {}
    for prompt in NIGHT_PROMPTS:
        pipeline.set_prompt(prompt)
        fused[f"night: {prompt}"] = pipeline.fuse(ir, dark)
    tiles = [labelled(ir, "infrared"), labelled(dark, "visible, synthetic night")]
    row = np.hstack(tiles + [labelled(image, label) for label, image in fused.items()])
    return np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)))


def run_offline_demo(out_dir: str | Path, frames: int = 6, height: int = 256, width: int = 320,
                     model: str = "", prompts: tuple[str, ...] = DEMO_PROMPTS) -> str:
    """Fuse `frames` synthetic pairs under each prompt; write panel.png and metrics; → table."""
    out_dir = Path(out_dir)
    pipeline = FusionPipeline(FusionConfig(model=model))
    pairs = list(generate_sequence(SceneConfig(height=height, width=width, seed=7), frames))
    rows: dict[str, list[dict]] = {p: [] for p in prompts}
    panel_rows = []
    for index, (ir, vis) in enumerate(pairs):
        fused = {}
        for prompt in prompts:
            pipeline.set_prompt(prompt)
            fused[prompt] = pipeline.fuse(ir, vis)
            rows[prompt].append(compute_metrics(ir, vis, fused[prompt]))
        if index in (0, frames - 1):
            panel_rows.append(side_by_side(ir, vis, fused))
    panel_rows.append(night_row(pipeline, *pairs[0], width=panel_rows[0].shape[1]))
    write_image(out_dir / "panel.png", np.vstack(panel_rows))
    table = format_table({p: mean_metrics(r) for p, r in rows.items()})
    (out_dir / "metrics.txt").write_text(table + "\n")
    return table
