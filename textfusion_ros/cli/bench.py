"""`textfusion bench`: latency, frames/s, peak memory and compute of one backend or all, and
the detector's median latency per frame at the same size."""

from __future__ import annotations

import argparse
import json

from textfusion_ros.cli.backend_options import add_backend_arguments, fusion_config
from textfusion_ros.cli.detector_options import add_detector_options, detector_config


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "bench", help="ms/frame, frames/s, peak RSS, GMAC of backends",
        description="Times a backend on random frames of the given size. --backend all "
        "measures every backend that runs here in one run (each in its own process) and "
        "prints one table with the speed ratio to torch CPU.")
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--frames", type=int, default=30, help="timed frames (after 3 warm-up)")
    p.add_argument("--flops", action="store_true", help="also count GMAC (PyTorch)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_backend_arguments(p, allow_all=True)
    p.add_argument("--no-detector", action="store_true", help="skip timing the detector")
    add_detector_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.demo.benchmark import (
        benchmark_all,
        benchmark_backend,
        benchmark_detector,
        format_table,
    )

    detector = detector_config(args)
    timing_detector = detector.enabled and not args.no_detector
    if args.backend == "all":
        args.backend = "auto"
        report = benchmark_all(fusion_config(args), args.height, args.width, args.frames)
        if timing_detector:
            report.update(benchmark_detector(detector, args.height, args.width, args.frames))
        print(json.dumps(report, indent=1) if args.json else format_table(report))
        return 0 if report["backends"] else 1
    result = benchmark_backend(fusion_config(args), args.height, args.width, args.frames,
                               args.flops)
    if timing_detector:
        result.update(benchmark_detector(detector, args.height, args.width, args.frames))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    return 0
