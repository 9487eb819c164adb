"""A synthetic labelled fusion set: the project's street scenes with their known boxes, written in
a paired layout (``ir/``, ``vi/``) with YOLO labels (``labels/``, ``classes.txt``)."""

from __future__ import annotations

from pathlib import Path

from textfusion_ros.imaging.imageio import write_image
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame, object_boxes

CLASSES = ("person", "car")


def write_labelled_scenes(out: str | Path, scenes: int = 6, frames: int = 8,
                          height: int = 256, width: int = 320) -> Path:
    """`scenes` scene seeds × `frames` frames (every 9th, so objects move); returns `out`."""
    out = Path(out)
    labels = out / "labels"
    labels.mkdir(parents=True, exist_ok=True)
    (labels / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    for seed in range(scenes):
        config = SceneConfig(height=height, width=width, seed=seed, n_pedestrians=4)
        for i in range(frames):
            index = 9 * i
            stem = f"s{seed:02d}_{index:03d}"
            ir, vis = generate_frame(config, index)
            write_image(out / "ir" / f"{stem}.png", ir)
            write_image(out / "vi" / f"{stem}.png", vis)
            lines = [f"{CLASSES.index(label)} {(x1 + x2) / 2 / width:.6f} "
                     f"{(y1 + y2) / 2 / height:.6f} {(x2 - x1) / width:.6f} "
                     f"{(y2 - y1) / height:.6f}"
                     for label, x1, y1, x2, y2 in object_boxes(config, index)]
            (labels / f"{stem}.txt").write_text("".join(line + "\n" for line in lines))
    return out
