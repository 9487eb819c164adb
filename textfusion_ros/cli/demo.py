"""`textfusion demo`: the offline demo on synthetic scenes (no ROS needed)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("demo", help="offline demo on synthetic scenes",
                            description="Fuses a synthetic sequence under three prompts and "
                            "writes OUT/panel.png and OUT/metrics.txt.")
    p.add_argument("--out", default="out/demo")
    p.add_argument("--frames", type=int, default=6)
    p.add_argument("--model", default="")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.demo.offline import run_offline_demo

    print(run_offline_demo(args.out, frames=args.frames, model=args.model))
    print(f"panel: {args.out}/panel.png")
    return 0
