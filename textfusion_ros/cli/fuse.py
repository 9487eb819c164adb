"""`textfusion fuse`: fuse image files or folders (paired by stem) with the model."""

from __future__ import annotations

import argparse
from pathlib import Path

from textfusion_ros.cli.backend_options import add_backend_arguments, fusion_config
from textfusion_ros.cli.pair_files import PairReader, add_pair_arguments


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("fuse", help="fuse image files or folders",
                            description="Fuse IR + visible images. With folders, pairs by stem "
                            "and writes <stem>.png into --out; a pair that cannot be read is "
                            "named and left out (exit status 1), the others are fused.")
    p.add_argument("--ir", required=True, help="infrared image file or folder")
    p.add_argument("--vis", required=True, help="visible image file or folder")
    p.add_argument("--out", required=True, help="output .png file, or folder for folder input")
    p.add_argument("--prompt", default="", help="guidance text (default: the model's default)")
    add_pair_arguments(p)
    add_backend_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from textfusion_ros.imaging.imageio import pair_by_stem, write_image
    from textfusion_ros.pipeline import FusionPipeline

    ir, vis, out = Path(args.ir), Path(args.vis), Path(args.out)
    if ir.is_dir() != vis.is_dir():
        raise ValueError("--ir and --vis must both be files or both be folders")
    reader = PairReader("fuse", args.homography)
    if ir.is_dir():
        jobs = pair_by_stem(ir, vis)
        pairs = reader.pairs(tqdm(jobs, disable=len(jobs) < 2, desc="fuse"))
    else:  # one pair: one that cannot be read is an error, before the model loads
        jobs = [(vis.stem, (ir, vis))]
        pairs = [(vis.stem, *reader.read(ir, vis))]
    pipeline = FusionPipeline(fusion_config(args, prompt=args.prompt))
    print(f"backend: {pipeline.choice.summary()}")
    print(f"prompt: {pipeline.active_prompt!r}")
    written = 0
    for stem, ir_image, vis_image in pairs:
        out_path = out / f"{stem}.png" if ir.is_dir() or not out.suffix else out
        write_image(out_path, pipeline.fuse(ir_image, vis_image))
        written += 1
    print(f"wrote {written} image(s) to {out}")
    return reader.finish(len(jobs))
