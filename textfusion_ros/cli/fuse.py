"""`textfusion fuse`: fuse image files or folders (paired by stem) with the model."""

from __future__ import annotations

import argparse
from pathlib import Path

from textfusion_ros.cli.backend_options import add_backend_arguments, fusion_config


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("fuse", help="fuse image files or folders",
                            description="Fuse IR + visible images. With folders, pairs by stem "
                            "and writes <stem>.png into --out.")
    p.add_argument("--ir", required=True, help="infrared image file or folder")
    p.add_argument("--vis", required=True, help="visible image file or folder")
    p.add_argument("--out", required=True, help="output .png file, or folder for folder input")
    p.add_argument("--prompt", default="", help="guidance text (default: the model's default)")
    add_backend_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from textfusion_ros.imaging.imageio import pair_by_stem, read_image, write_image
    from textfusion_ros.pipeline import FusionPipeline

    ir, vis, out = Path(args.ir), Path(args.vis), Path(args.out)
    if ir.is_dir() != vis.is_dir():
        raise ValueError("--ir and --vis must both be files or both be folders")
    if ir.is_dir():
        jobs = [(paths[0], paths[1], out / f"{stem}.png") for stem, paths in pair_by_stem(ir, vis)]
    else:
        jobs = [(ir, vis, out if out.suffix else out / f"{vis.stem}.png")]
    pipeline = FusionPipeline(fusion_config(args, prompt=args.prompt))
    print(f"backend: {pipeline.choice.summary()}")
    print(f"prompt: {pipeline.active_prompt!r}")
    for ir_path, vis_path, out_path in tqdm(jobs, disable=len(jobs) < 2, desc="fuse"):
        fused = pipeline.fuse(read_image(ir_path, grey=True), read_image(vis_path))
        write_image(out_path, fused)
    print(f"wrote {len(jobs)} image(s) to {out if ir.is_dir() else jobs[0][2]}")
    return 0
