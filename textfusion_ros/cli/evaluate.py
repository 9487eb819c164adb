"""`textfusion eval`: fusion metrics of a folder of fused images."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("eval", help="metric table of fused images",
                            description="EN SD SF AG MI SCD VIF Qabf SSIM, per image and mean.")
    p.add_argument("--ir", required=True, help="infrared folder")
    p.add_argument("--vis", required=True, help="visible folder")
    p.add_argument("--fused", required=True, help="fused folder (same stems)")
    p.add_argument("--json", help="also write per-image and mean metrics to this JSON file")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.metrics import evaluate_folders, format_table, mean_metrics

    rows = evaluate_folders(args.ir, args.vis, args.fused)
    mean = mean_metrics(list(rows.values()))
    print(format_table({**rows, "mean": mean}))
    if args.json:
        Path(args.json).write_text(json.dumps({"per_image": rows, "mean": mean}, indent=1))
    return 0
