"""`textfusion bag-eval`: fuse a recorded bag offline; latency, throughput and fusion metrics."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from textfusion_ros.cli.backend_options import add_backend_arguments, fusion_config
from textfusion_ros.cli.detector_options import add_detector_options, detector_config
from textfusion_ros.cli.pair_files import add_pair_arguments


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "bag-eval", help="fuse a bag offline and score it",
        description="Pairs IR and VIS images of a rosbag2 bag by stamp, fuses them, and reports "
        "per-frame fusion metrics and their mean, fuse latency p50/p99 and throughput. "
        "Image and CompressedImage topics are read; an infrared image of another size is "
        "resized (or warped by --homography) to the visible's, as the node does. "
        "Undecodable messages are counted and skipped. No ROS graph is used.")
    p.add_argument("bag", help="rosbag2 folder (or a .mcap / .db3 file)")
    p.add_argument("--ir-topic", default="/ir/image")
    p.add_argument("--vis-topic", default="/vis/image")
    p.add_argument("--prompt", default="", help="guidance text (default: the model's default)")
    add_backend_arguments(p)
    add_pair_arguments(p)
    p.add_argument("--slop", type=float, default=0.02, help="pairing tolerance, seconds")
    p.add_argument("--queue-size", type=int, default=10, help="pairing queue per topic")
    p.add_argument("--out", help="write the fused images to this new bag")
    p.add_argument("--out-topic", default="/fused/image")
    p.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap",
                   help="storage of --out")
    p.add_argument("--bag-version", type=int, choices=(8, 9), default=9,
                   help="rosbag2 format of --out: 9 (Jazzy, Kilted) or 8 (older readers)")
    p.add_argument("--no-metrics", action="store_true", help="skip the fusion metrics")
    p.add_argument("--report", help="write the full report (per frame too) to this JSON file")
    p.add_argument("--detect", action="store_true",
                   help="run the detector on every fused frame: counts per class, scores")
    p.add_argument("--labels", help="with --detect: ground truth, a folder of YOLO <stem>.txt "
                   "(stem: VIS stamp in ns or the frame index as 6 digits) or a COCO JSON; "
                   "adds mAP@0.5 and mAP@0.5:0.95")
    p.add_argument("--label-names", nargs="*", default=None,
                   help="class names of YOLO label ids (default: the 80 COCO classes)")
    add_detector_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.bags.evaluate import EvalOptions, evaluate_bag, format_summary
    from textfusion_ros.imaging.registration import parse_homography
    from textfusion_ros.pipeline import FusionPipeline

    if args.labels and not args.detect:
        raise ValueError("--labels needs --detect")
    pipeline = FusionPipeline(fusion_config(args, prompt=args.prompt))
    homography = parse_homography(args.homography)
    options = EvalOptions(args.ir_topic, args.vis_topic, args.slop, args.queue_size, args.out,
                          args.out_topic, args.storage, not args.no_metrics, args.bag_version,
                          None if homography is None else tuple(homography.ravel()))
    detecting = _detecting(args) if args.detect else None
    report = evaluate_bag(args.bag, pipeline, options, detecting)
    print(format_summary(report))
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1))
    if args.out:
        print(f"wrote {report['counts']['pairs']} fused images to {args.out}")
    if not report["counts"]["pairs"]:
        print("textfusion bag-eval: no pairs were fused", flush=True)
        return 1
    return 0


def _detecting(args: argparse.Namespace):
    from textfusion_ros.bags.evaluate import Detecting
    from textfusion_ros.detection.coco import COCO80
    from textfusion_ros.detection.detector import create_detector
    from textfusion_ros.detection.evaluation import GroundTruth

    labels = GroundTruth(args.labels, args.label_names or COCO80) if args.labels else None
    return Detecting(create_detector(detector_config(args)), labels)
