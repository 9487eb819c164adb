"""`textfusion eval`: fusion metrics of a folder of fused images."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from textfusion_ros.metrics.evaluate import CONVENTIONS, SEED_CONVENTION


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("eval", help="metric table of fused images",
                            description="EN SD SF AG MI SCD VIF Qabf SSIM, per image and mean.")
    p.add_argument("--ir", required=True, help="infrared folder")
    p.add_argument("--vis", required=True, help="visible folder")
    p.add_argument("--fused", required=True, help="fused folder (same stems)")
    p.add_argument("--convention", choices=sorted(CONVENTIONS), default=SEED_CONVENTION,
                   help="AG/SSIM convention: film = np.gradient AG and scikit-image SSIM as "
                        "FILM's and CDDFuse's evaluators (the seed papers' tables, default); "
                        "vifb = forward-difference AG and Gaussian-window SSIM (the model card)")
    p.add_argument("--list", dest="stem_list",
                   help="evaluate only the stems listed in this file, one per line (a "
                        "list-defined test set); every listed stem must be present")
    p.add_argument("--iqa", nargs="+", metavar="METRIC",
                   help="also no-reference IQA metrics of the fused images via pyiqa (e.g. "
                        "niqe musiq), when pyiqa and the metrics' weights are available offline")
    p.add_argument("--json", help="also write per-image and mean metrics to this JSON file")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.metrics import evaluate_folders, format_table, mean_metrics, read_stem_list

    stems = read_stem_list(args.stem_list) if args.stem_list else None
    rows = evaluate_folders(args.ir, args.vis, args.fused, args.convention, stems)
    iqa_skipped = {}
    if args.iqa:
        from textfusion_ros.metrics.no_reference import no_reference_scores

        scores, iqa_skipped = no_reference_scores(args.fused, list(rows), args.iqa)
        for stem, values in scores.items():
            rows[stem].update(values)
    mean = mean_metrics(list(rows.values()))
    print(f"convention: {args.convention} ({len(rows)} images"
          f"{', stems from ' + args.stem_list if args.stem_list else ''})")
    print(format_table({**rows, "mean": mean}))
    for name, reason in iqa_skipped.items():
        print(f"IQA {name} skipped: {reason}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"convention": args.convention, "per_image": rows, "mean": mean,
             "iqa_skipped": iqa_skipped}, indent=1))
    return 0
