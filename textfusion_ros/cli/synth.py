"""`textfusion synth`: write a synthetic IR/VIS scene sequence (no real images needed)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("synth", help="generate synthetic IR/VIS pairs",
                            description="Writes OUT/ir/<stem>.png and OUT/vis/<stem>.png.")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--frames", type=int, default=10)
    p.add_argument("--height", type=int, default=256)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ir-bits", type=int, choices=(8, 16), default=8)
    p.add_argument("--degradation", default=None,
                   help="vis_low_light, vis_overexposure, ir_noise or ir_low_contrast")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.imaging.scenes import SceneConfig, write_sequence

    config = SceneConfig(height=args.height, width=args.width, seed=args.seed,
                         ir_bits=args.ir_bits)
    stems = write_sequence(args.out, config, args.frames, args.degradation)
    print(f"wrote {len(stems)} pairs to {args.out}")
    return 0
