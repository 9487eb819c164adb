"""`textfusion detect`: fuse folders of pairs, detect on the fused images (and the sources)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from textfusion_ros.cli.detector_options import add_detector_options, detector_config
from textfusion_ros.cli.pair_files import PairReader, add_pair_arguments


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "detect", help="detect objects on fused images (and on each source alone)",
        description="Pairs IR and VIS images by file stem (as `fuse` does), fuses each pair, runs "
        "the detector on the fused image and writes overlays to <out>/fused/. With "
        "--compare-sources the detector also runs on the visible and on the infrared image "
        "alone: the table shows whether fusion helps detection on your rig. A pair that "
        "cannot be read is named and left out (exit status 1); the others are processed.")
    p.add_argument("--ir", required=True, help="infrared image folder")
    p.add_argument("--vis", required=True, help="visible image folder")
    p.add_argument("--out", required=True, help="folder for the overlay images")
    p.add_argument("--compare-sources", action="store_true",
                   help="also detect on the visible and the infrared images alone")
    p.add_argument("--json", help="write {frames, sources: {source: {class: count}}, "
                   "skipped: [stem]} here")
    p.add_argument("--labels", help="ground truth: folder of YOLO <stem>.txt or a COCO JSON; "
                   "adds mAP@0.5 and mAP@0.5:0.95 per source")
    p.add_argument("--label-names", nargs="*", default=None,
                   help="class names of YOLO label ids (default: the 80 COCO classes)")
    p.add_argument("--prompt", default="", help="guidance text (default: the model's default)")
    p.add_argument("--model", default="", help="fusion model .safetensors (default: shipped)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--backend", default="torch", help="fusion inference backend")
    add_pair_arguments(p)
    add_detector_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from textfusion_ros.config import FusionConfig
    from textfusion_ros.detection.coco import COCO80
    from textfusion_ros.detection.compare import compare_sources, format_counts
    from textfusion_ros.detection.detector import create_detector
    from textfusion_ros.detection.evaluation import GroundTruth
    from textfusion_ros.imaging.imageio import pair_by_stem
    from textfusion_ros.pipeline import FusionPipeline

    jobs = pair_by_stem(Path(args.ir), Path(args.vis))
    reader = PairReader("detect", args.homography)
    detector = create_detector(detector_config(args))
    pipeline = FusionPipeline(FusionConfig(model=args.model, device=args.device,
                                           backend=args.backend, prompt=args.prompt))
    labels = GroundTruth(args.labels, args.label_names or COCO80) if args.labels else None
    pairs = reader.pairs(tqdm(jobs, disable=len(jobs) < 2, desc="detect"))
    result = compare_sources(pairs, pipeline, detector, Path(args.out), args.compare_sources,
                             labels)
    report = result.report() | {"skipped": reader.skipped}
    print(f"prompt: {pipeline.active_prompt!r}; detector {detector.name}")
    print(format_counts(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    print(f"overlays in {args.out}/" + "{" + ",".join(result.sources) + "}/")
    return reader.finish(len(jobs))
