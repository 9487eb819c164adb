"""Offline evaluation of the fusion pipeline on a recorded bag (no ROS graph needed).

IR and VIS messages are read in log-time order, decoded, paired by header stamp with
ApproximateTimeSync, fused, optionally written to an output bag, and scored with the fusion
metrics (against the IR as fed to the network: 8-bit after gain control). Undecodable messages
are counted as bad and skipped; pairs that cannot be fused (e.g. different sizes) are counted
as rejected. The first pair is fused once untimed (warm-up) before its timed run.

With a detector, every fused frame is also run through it: counts per class per frame, their
mean, score statistics and detector time; with labels (frame stem = VIS stamp in ns, or the
frame index as six digits), mAP@0.5 and mAP@0.5:0.95.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textfusion_ros.bags.io import (
    IMAGE_MSGTYPES,
    BagWriter,
    ImageMessage,
    bag_topics,
    deserialize_image,
    read_messages,
)
from textfusion_ros.detection.detector import Detector
from textfusion_ros.detection.evaluation import GroundTruth, mean_average_precision
from textfusion_ros.detection.tally import DetectionTally
from textfusion_ros.detection.types import Detection
from textfusion_ros.imaging.color import to_uint8
from textfusion_ros.imaging.image_codec import BadImageError, to_fusion_inputs
from textfusion_ros.imaging.registration import align_ir_to_vis
from textfusion_ros.metrics import compute_metrics, format_table, mean_metrics
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.sync import ApproximateTimeSync


@dataclass(frozen=True)
class EvalOptions:
    """Topics, pairing and output settings of a bag evaluation."""

    ir_topic: str = "/ir/image"
    vis_topic: str = "/vis/image"
    slop: float = 0.02
    queue_size: int = 10
    out: str | Path | None = None
    out_topic: str = "/fused/image"
    out_storage: str = "mcap"
    metrics: bool = True
    out_version: int = 9
    homography: tuple[float, ...] | None = None
    """Row-major 3x3 IR-to-VIS homography, as the node's parameter; None = an infrared image of
    another size is resized to the visible's, as the node does."""


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("ir_messages", "vis_messages", "bad", "pairs", "rejected_pairs", "unpaired",
         "ir_resized"), 0))
    problems: list[dict] = field(default_factory=list)
    frames: list[dict] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)
    untimed_s: float = 0.0  # warm-up and metrics, left out of the throughput
    detections: DetectionTally = field(default_factory=DetectionTally)
    detector_ms: list[float] = field(default_factory=list)
    truth: dict[str, list[Detection]] = field(default_factory=dict)
    predicted: dict[str, list[Detection]] = field(default_factory=dict)


@dataclass(frozen=True)
class Detecting:
    """The detector run on every fused frame, and optional ground truth for mAP."""

    detector: Detector
    labels: GroundTruth | None = None


def evaluate_bag(bag: str | Path, pipeline: FusionPipeline,
                 options: EvalOptions = EvalOptions(), detecting: Detecting | None = None
                 ) -> dict:
    """Run the pipeline (and the detector) over `bag`; return the report (JSON-serialisable)."""
    if options.ir_topic == options.vis_topic:
        raise ValueError(f"IR and VIS topics must differ, both are {options.ir_topic!r}")
    streams = {options.ir_topic: 0, options.vis_topic: 1}
    available = bag_topics(bag)
    for topic in streams:
        if available.get(topic, ("",))[0] not in IMAGE_MSGTYPES:
            raise ValueError(f"{topic} is not an Image or CompressedImage topic of {bag}; it has "
                             + ", ".join(f"{t} ({m})" for t, (m, _) in sorted(available.items())))
    sync = ApproximateTimeSync(options.queue_size, options.slop)
    tally = _Tally()
    writer = (BagWriter(options.out, options.out_storage, options.out_version) if options.out
              else None)
    start = time.perf_counter()
    with writer or nullcontext():
        for message in read_messages(bag, streams):
            stream = streams[message.topic]
            tally.counts["vis_messages" if stream else "ir_messages"] += 1
            try:
                image = deserialize_image(message.msgtype, message.data)
                item = (message.log_ns, image, image.decode())
            except BadImageError as exc:
                tally.counts["bad"] += 1
                tally.problems.append({"topic": message.topic, "log_ns": message.log_ns,
                                       "error": str(exc)})
                continue
            pair = sync.add(stream, image.stamp_ns, item)
            if pair is not None:
                _process(pair[1], pair[3], pipeline, options, writer, tally, detecting)
    elapsed = time.perf_counter() - start - tally.untimed_s
    counts = tally.counts
    decoded = counts["ir_messages"] + counts["vis_messages"] - counts["bad"]
    counts["unpaired"] = decoded - 2 * (counts["pairs"] + counts["rejected_pairs"])
    report = _report(bag, pipeline, options, sync, tally, elapsed)
    if detecting is not None:
        report["detections"] = _detection_report(tally, detecting)
    return report


def _process(ir_item: tuple, vis_item: tuple, pipeline: FusionPipeline, options: EvalOptions,
             writer: BagWriter | None, tally: _Tally, detecting: Detecting | None) -> None:
    """Fuse one pair, write it, score it, detect on it."""
    (ir_log, ir_msg, ir), (vis_log, vis_msg, vis) = ir_item, vis_item
    try:
        if ir.shape[:2] != vis.shape[:2] and options.homography is None:
            tally.counts["ir_resized"] += 1
        ir = align_ir_to_vis(ir, vis.shape, options.homography)
        if not tally.frames:
            warm = time.perf_counter()
            pipeline.fuse(ir, vis)
            tally.untimed_s += time.perf_counter() - warm
        begin = time.perf_counter()
        fused = pipeline.fuse(ir, vis)
        latency_ms = (time.perf_counter() - begin) * 1e3
    except ValueError as exc:
        tally.counts["rejected_pairs"] += 1
        tally.problems.append({"ir_stamp_ns": ir_msg.stamp_ns, "vis_stamp_ns": vis_msg.stamp_ns,
                               "error": str(exc)})
        return
    tally.counts["pairs"] += 1
    if writer is not None:
        writer.write_image(options.out_topic, max(ir_log, vis_log),
                           ImageMessage.from_array(fused, vis_msg.stamp_ns, vis_msg.frame_id))
    row = {"ir_stamp_ns": ir_msg.stamp_ns, "vis_stamp_ns": vis_msg.stamp_ns,
           "latency_ms": latency_ms}
    if options.metrics:
        begin = time.perf_counter()
        ir8 = to_uint8(to_fusion_inputs(ir, vis, pipeline.agc)[0])
        tally.metrics.append(compute_metrics(ir8, vis, fused))
        row.update(tally.metrics[-1])
        tally.untimed_s += time.perf_counter() - begin
    if detecting is not None:
        begin = time.perf_counter()
        detections = detecting.detector.detect(fused)
        tally.detector_ms.append((time.perf_counter() - begin) * 1e3)
        tally.untimed_s += tally.detector_ms[-1] / 1e3
        row["detections"] = tally.detections.add(detections)
        if detecting.labels is not None:
            _match_labels(detecting.labels, vis_msg.stamp_ns, fused, detections, tally)
    tally.frames.append(row)


def _match_labels(labels: GroundTruth, stamp_ns: int, fused: np.ndarray,
                  detections: list[Detection], tally: _Tally) -> None:
    """Keep the frame's detections next to its labels (stem: stamp, else frame index)."""
    height, width = fused.shape[:2]
    for stem in (str(stamp_ns), f"{len(tally.frames):06d}"):
        truth = labels.boxes(stem, width, height)
        if truth is not None:
            tally.truth[stem], tally.predicted[stem] = truth, detections
            return


def _detection_report(tally: _Tally, detecting: Detecting) -> dict:
    ms = np.array(tally.detector_ms)
    report = {"detector": detecting.detector.name, **tally.detections.summary(),
              "detector_ms": ({"p50": float(np.percentile(ms, 50)),
                               "p99": float(np.percentile(ms, 99))} if ms.size else None)}
    if detecting.labels is not None:
        report["map"] = (mean_average_precision(tally.truth, tally.predicted) if tally.truth
                         else None)
    return report


def _report(bag: str | Path, pipeline: FusionPipeline, options: EvalOptions,
            sync: ApproximateTimeSync, tally: _Tally, elapsed_s: float) -> dict:
    latencies = np.array([row["latency_ms"] for row in tally.frames])
    pairs = tally.counts["pairs"]
    return {
        "bag": str(bag), "ir_topic": options.ir_topic, "vis_topic": options.vis_topic,
        "out": str(options.out) if options.out else None,
        "model": pipeline.model_path, "backend": pipeline.backend.name,
        "device": pipeline.choice.device, "precision": pipeline.choice.precision,
        "prompt": pipeline.active_prompt,
        "counts": tally.counts,
        "sync": {"slop_s": options.slop, "queue_size": options.queue_size,
                 "dropped": sync.dropped, "time_jumps": sync.time_jumps},
        "latency_ms": ({"p50": float(np.percentile(latencies, 50)),
                        "p99": float(np.percentile(latencies, 99)),
                        "mean": float(latencies.mean()), "max": float(latencies.max())}
                       if pairs else None),
        "throughput_fps": pairs / elapsed_s if pairs and elapsed_s > 0 else None,
        "mean_metrics": mean_metrics(tally.metrics) if tally.metrics else None,
        "frames": tally.frames,
        "problems": tally.problems,
    }


def format_summary(report: dict) -> str:
    """Counts, latency, throughput and the mean metrics as text."""
    counts = ", ".join(f"{key} {value}" for key, value in report["counts"].items())
    lines = [f"bag: {report['bag']}  prompt: {report['prompt']!r}  backend: "
             f"{report['backend']} ({report['device']}, {report['precision']})",
             f"messages: {counts}"]
    latency, fps = report["latency_ms"], report["throughput_fps"]
    if latency is not None:
        lines.append(f"latency ms: p50 {latency['p50']:.1f}  p99 {latency['p99']:.1f}  "
                     f"mean {latency['mean']:.1f}  max {latency['max']:.1f}")
    if fps is not None:
        lines.append(f"throughput: {fps:.2f} frames/s (read, decode, fuse, write)")
    if report["mean_metrics"] is not None:
        lines.append(format_table({"mean": report["mean_metrics"]}))
    if "detections" in report:
        lines.append(_format_detections(report["detections"]))
    for problem in report["problems"][:5]:
        lines.append(f"skipped: {problem}")
    if len(report["problems"]) > 5:
        lines.append(f"… and {len(report['problems']) - 5} more (see the report)")
    return "\n".join(lines)


def _format_detections(summary: dict) -> str:
    per_frame = ", ".join(f"{name} {mean:.2f}" for name, mean in summary["mean_per_frame"].items())
    scores, ms = summary["scores"], summary["detector_ms"]
    line = (f"detections ({summary['detector']}): {sum(summary['total'].values())} in "
            f"{summary['frames']} frames; per frame: {per_frame or 'none'}")
    if scores["count"]:
        line += (f"; scores mean {scores['mean']:.2f} min {scores['min']:.2f} "
                 f"max {scores['max']:.2f}")
    if ms:
        line += f"; detector ms p50 {ms['p50']:.1f} p99 {ms['p99']:.1f}"
    if summary.get("map"):
        line += (f"\nmAP@0.5 {summary['map']['map50']:.3f}  mAP@0.5:0.95 "
                 f"{summary['map']['map50_95']:.3f} ({summary['map']['frames']} labelled "
                 f"frames, {summary['map']['objects']} objects)")
    elif "map" in summary:
        line += "\nmAP: no frame of the bag has a label"
    return line
