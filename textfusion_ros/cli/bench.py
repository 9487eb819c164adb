"""`textfusion bench`: compute (GMAC) and median latency per frame of the fusion network, and
the detector's median latency per frame at the same size."""

from __future__ import annotations

import argparse
import json

from textfusion_ros.cli.detector_options import add_detector_options, detector_config


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("bench", help="GMAC and median ms/frame",
                            description="Times the backend on random frames of the given size.")
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--frames", type=int, default=30, help="timed frames (after 3 warm-up)")
    p.add_argument("--flops", action="store_true", help="also count GMAC (PyTorch)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--model", default="")
    p.add_argument("--device", default="cpu")
    p.add_argument("--backend", default="torch")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--no-detector", action="store_true", help="skip timing the detector")
    add_detector_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.config import FusionConfig
    from textfusion_ros.demo.benchmark import benchmark_backend, benchmark_detector

    config = FusionConfig(model=args.model, device=args.device, backend=args.backend,
                          threads=args.threads)
    result = benchmark_backend(config, args.height, args.width, args.frames, args.flops)
    detector = detector_config(args)
    if detector.enabled and not args.no_detector:
        result.update(benchmark_detector(detector, args.height, args.width, args.frames))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    return 0
