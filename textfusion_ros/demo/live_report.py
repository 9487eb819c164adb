"""What a live run of the fusion node produced, and its analysis (ROS-free).

The ROS side (textfusion_ros.ros.tools.demo) records the fused messages, the node's
diagnostics and a prompt switch into a `LiveRun`; `analyse_run` turns it into a
JSON-serialisable summary: output rate, latency, drops, from which frame the new prompt
applied, the fusion metrics before and after the switch, the detections received, and an
image panel (fused tiles with the node's detections drawn).

Frame i of the replayed bag is the i-th message of each camera topic (a synthetic bag has one
IR and one VIS message per frame); fused messages carry the VIS stamp of their pair.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textfusion_ros.bags.io import ImageMessage, read_messages
from textfusion_ros.demo.offline import side_by_side
from textfusion_ros.detection.draw import draw_detections
from textfusion_ros.detection.tally import DetectionTally
from textfusion_ros.detection.types import Detection
from textfusion_ros.imaging.color import to_uint8
from textfusion_ros.imaging.image_codec import to_fusion_inputs
from textfusion_ros.imaging.registration import align_ir_to_vis
from textfusion_ros.metrics import compute_metrics, format_table, mean_metrics
from textfusion_ros.pipeline import FusionPipeline

MAX_METRIC_FRAMES = 40  # evenly spaced over the received frames; ~0.2 s each at 640x512
OLD, NEW = "old", "new"
_NS_PER_MS = 1e6


@dataclass(frozen=True)
class FusedFrame:
    """One fused message as received: its (VIS) stamp, the wall-clock reception time, CDR bytes."""

    stamp_ns: int
    received_ns: int
    raw: bytes

    def image(self) -> np.ndarray:
        return ImageMessage.deserialize(self.raw).decode()


@dataclass(frozen=True)
class DiagnosticsSample:
    """One status of the node on /diagnostics, as received."""

    received_ns: int
    message: str
    values: dict[str, str]

    def number(self, key: str) -> float | None:
        """A value as a number; None when absent or not finite (e.g. "nan" before any frame)."""
        try:
            value = float(self.values[key])
        except (KeyError, ValueError):
            return None
        return value if math.isfinite(value) else None


@dataclass
class PromptCall:
    """A set_prompt request sent after VIS frame `frame` went out, and its response."""

    prompt: str
    frame: int
    requested_ns: int
    responded_ns: int | None = None
    success: bool = False
    message: str = "no response"
    active_prompt: str = ""


@dataclass
class LiveRun:
    """Everything recorded during one replay through the node."""

    vis_stamps: list[int]
    """Stamps of the published VIS messages, by frame index."""
    ir_published: int
    replay_s: float
    fused: list[FusedFrame]
    diagnostics: list[DiagnosticsSample]
    switch: PromptCall
    final: DiagnosticsSample | None
    """The node's last report once it had handled every pair (None if it never did)."""
    replay_finished_ns: int = 0
    detections: dict[int, list[Detection]] = field(default_factory=dict)
    """Detections received from the node, by VIS stamp."""
    frames: dict[int, FusedFrame] = field(init=False)
    """Received fused frames by frame index (unknown stamps left out)."""

    def __post_init__(self) -> None:
        index = {stamp: i for i, stamp in enumerate(self.vis_stamps)}
        self.frames = {index[f.stamp_ns]: f for f in sorted(self.fused, key=lambda f: f.stamp_ns)
                       if f.stamp_ns in index}


class ReferenceFusion:
    """The node's processing redone in this process: IR alignment, gain control, fusion."""

    def __init__(self, pipeline: FusionPipeline, homography: np.ndarray | None = None) -> None:
        self.pipeline = pipeline
        self.homography = homography

    def ir8(self, ir: np.ndarray, vis: np.ndarray) -> np.ndarray:
        """The IR as the network saw it: aligned to the VIS, after gain control, 8-bit."""
        aligned = align_ir_to_vis(ir, vis.shape, self.homography)
        return to_uint8(to_fusion_inputs(aligned, vis, self.pipeline.agc)[0])

    def fuse(self, ir: np.ndarray, vis: np.ndarray, prompt: str) -> np.ndarray:
        self.pipeline.set_prompt(prompt)
        return self.pipeline.fuse(align_ir_to_vis(ir, vis.shape, self.homography), vis)


def source_pairs(bag: str | Path, ir_topic: str, vis_topic: str,
                 wanted: Collection[int]) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(index, IR, VIS) of the frames in `wanted`, decoded, in bag order."""
    counts = {ir_topic: 0, vis_topic: 0}
    pending: dict[int, dict[str, np.ndarray]] = {}
    for message in read_messages(bag, counts):
        index = counts[message.topic]
        counts[message.topic] += 1
        if index not in wanted:
            continue
        images = pending.setdefault(index, {})
        images[message.topic] = ImageMessage.deserialize(message.data).decode()
        if len(images) == 2:
            del pending[index]
            yield index, images[ir_topic], images[vis_topic]


def timing_verdicts(run: LiveRun) -> dict[int, str | None]:
    """Per received frame: OLD when received before the request was sent, NEW when its stamp
    is later than the response (the pair did not exist before the node switched), None
    (undecided: fused while the prompt changed) in between; all OLD if the switch failed."""
    call = run.switch
    if not call.success or call.responded_ns is None:
        return dict.fromkeys(run.frames, OLD)
    verdicts: dict[int, str | None] = {}
    for index, frame in run.frames.items():
        if frame.received_ns < call.requested_ns:
            verdicts[index] = OLD
        elif frame.stamp_ns > call.responded_ns:
            verdicts[index] = NEW
        else:
            verdicts[index] = None
    return verdicts


def _evenly_spaced(items: list[int], count: int) -> list[int]:
    if len(items) <= count:
        return items
    return [items[round(i)] for i in np.linspace(0, len(items) - 1, count)]


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def _stats_ms(values_ns: list[int]) -> dict[str, float] | None:
    if not values_ns:
        return None
    ms = np.array(values_ns, np.float64) / _NS_PER_MS
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)),
            "max": float(ms.max())}


def analyse_run(run: LiveRun, bag: str | Path, topics: tuple[str, str],
                reference: ReferenceFusion, old_prompt: str) -> tuple[dict, np.ndarray]:
    """The summary (JSON-serialisable) and the panel: IR | VIS | last fused frame with the old
    prompt | first with the new one (IR and VIS of the latter)."""
    verdicts = timing_verdicts(run)
    certain_old = [i for i, v in verdicts.items() if v == OLD]
    certain_new = [i for i, v in verdicts.items() if v == NEW]
    # Undecided frames, and the decided ones next to them (panel candidates): all checked
    # against in-process fusions under each prompt.
    checked = {i for i, v in verdicts.items() if v is None}
    if certain_old:
        checked.add(max(certain_old))
    if certain_new:
        checked.add(min(certain_new))
    scored = set(_evenly_spaced(sorted(run.frames), MAX_METRIC_FRAMES))

    metrics: dict[int, dict[str, float]] = {}
    distances: dict[int, dict[str, float]] = {}  # mean |node − reference| under each prompt
    tiles: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for index, ir, vis in source_pairs(bag, *topics, scored | checked):
        fused, ir8 = run.frames[index].image(), reference.ir8(ir, vis)
        if index in scored:
            metrics[index] = compute_metrics(ir8, vis, fused)
        if index in checked:
            distances[index] = {OLD: _mean_abs(fused, reference.fuse(ir, vis, old_prompt))}
            if run.switch.success:
                distances[index][NEW] = _mean_abs(
                    fused, reference.fuse(ir, vis, run.switch.active_prompt))
            tiles[index] = ir8, vis, draw_detections(
                fused, run.detections.get(run.frames[index].stamp_ns, []))

    for index, verdict in verdicts.items():
        if verdict is None:  # the closer reference decides; a tie (no visible effect): old
            d = distances[index]
            verdicts[index] = NEW if d[NEW] < d[OLD] else OLD
    new_frames = [i for i, v in verdicts.items() if v == NEW]
    applied_from = min(new_frames, default=None)
    phases = {OLD: [m for i, m in metrics.items() if verdicts[i] == OLD],
              NEW: [m for i, m in metrics.items() if verdicts[i] == NEW]}
    summary = {
        **_traffic(run),
        "detections": _detections(run),
        "prompt_switch": _switch(run, old_prompt, verdicts, applied_from, distances),
        "metrics": {
            "ir": "8-bit after the node's gain control, aligned to the VIS",
            "before": mean_metrics(phases[OLD]) if phases[OLD] else None,
            "after": mean_metrics(phases[NEW]) if phases[NEW] else None,
            "frames_scored": {"before": len(phases[OLD]), "after": len(phases[NEW])},
        },
    }
    return summary, _panel(tiles, verdicts, old_prompt, run.switch.active_prompt)


def _traffic(run: LiveRun) -> dict:
    """Counts, rates, latency and drops."""
    frames = sorted(run.frames.values(), key=lambda f: f.received_ns)
    pairs = min(len(run.vis_stamps), run.ir_published)
    span_s = (frames[-1].received_ns - frames[0].received_ns) / 1e9 if frames else 0.0
    during = [d for d in run.diagnostics if d.received_ns <= run.replay_finished_ns]
    final = run.final or (run.diagnostics[-1] if run.diagnostics else None)
    node = {} if final is None else final.values
    return {
        "frames": {"ir_published": run.ir_published, "vis_published": len(run.vis_stamps),
                   "fused_received": len(frames), "replay_s": run.replay_s},
        "output_rate_hz": (len(frames) - 1) / span_s if span_s > 0 else None,
        "node_rate_hz": during[-1].number("rate_hz") if during else None,
        "latency_ms": {
            "stamp_to_reception": _stats_ms([f.received_ns - f.stamp_ns for f in frames]),
            "node": None if final is None else {"p50": final.number("latency_p50_ms"),
                                                "p99": final.number("latency_p99_ms")},
        },
        "dropped": {
            "pairs_never_output": pairs - len(frames),
            "node_total": _int(node.get("frames_dropped")),
            "node_busy": _int(node.get("dropped_busy")),
            "node_unpaired": _int(node.get("dropped_unpaired")),
        },
        "bad_messages": _int(node.get("bad_messages")),
        "processing_errors": _int(node.get("processing_errors")),
        "time_jumps": _int(node.get("time_jumps")),
        "node_finished": run.final is not None,
        "node_diagnostics": node,
    }


def _detections(run: LiveRun) -> dict:
    """Detection messages received against fused frames, counts per class, detector time."""
    tally = DetectionTally()
    for frame in sorted(run.frames.values(), key=lambda f: f.stamp_ns):
        if frame.stamp_ns in run.detections:
            tally.add(run.detections[frame.stamp_ns])
    final = run.final or (run.diagnostics[-1] if run.diagnostics else None)
    number = final.number if final is not None else (lambda _: None)
    return {"messages": len(run.detections), **tally.summary(),
            "detector_ms": {"p50": number("detector_ms_p50"), "p99": number("detector_ms_p99")},
            "prompt_classes": final.values.get("prompt_classes") if final else None}


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _switch(run: LiveRun, old_prompt: str, verdicts: dict[int, str | None],
            applied_from: int | None, distances: dict[int, dict[str, float]]) -> dict:
    call = run.switch
    reported = [d.received_ns for d in run.diagnostics if d.received_ns >= call.requested_ns
                and d.values.get("active_prompt") == call.active_prompt]
    rounded = {i: {k: float(f"{v:.4g}") for k, v in d.items()}
               for i, d in sorted(distances.items())}
    return {
        "from_prompt": old_prompt,
        "prompt": call.prompt,
        "requested_after_frame": call.frame,
        "success": call.success,
        "message": call.message,
        "active_prompt": call.active_prompt,
        "round_trip_ms": (None if call.responded_ns is None
                          else (call.responded_ns - call.requested_ns) / _NS_PER_MS),
        "applied_from_frame": applied_from,
        "old_prompt_frames_after_request": sorted(
            i for i, v in verdicts.items() if v == OLD and i > call.frame),
        "diagnostics_reported_after_ms": (
            (reported[0] - call.requested_ns) / _NS_PER_MS if reported and call.success
            else None),
        "reference_distance": {"note": "mean |node output - in-process fusion| per prompt, "
                                       "grey levels", "frames": rounded},
    }


def _panel(tiles: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
           verdicts: dict[int, str | None], old_prompt: str, new_prompt: str) -> np.ndarray:
    before = max((i for i in tiles if verdicts[i] == OLD), default=None)
    after = min((i for i in tiles if verdicts[i] == NEW), default=None)
    shown = after if after is not None else before
    if shown is None:
        raise ValueError("no fused frame to show")
    ir8, vis, _ = tiles[shown]
    fused = {}
    for index, label, prompt in ((before, "before", old_prompt), (after, "after", new_prompt)):
        caption = f"{label}: #{index} {prompt}" if index is not None else f"{label}: no frame"
        fused[caption] = tiles[index][2] if index is not None else np.zeros_like(vis)
    return side_by_side(ir8, vis, fused)


def format_summary(summary: dict) -> str:
    """The summary as a few lines of text, with the metrics as a table."""
    frames, latency, dropped = summary["frames"], summary["latency_ms"], summary["dropped"]
    switch, metrics = summary["prompt_switch"], summary["metrics"]
    received = latency["stamp_to_reception"]
    node = latency["node"] or {}
    lines = [
        f"published {frames['ir_published']} IR + {frames['vis_published']} VIS frames in "
        f"{frames['replay_s']:.1f} s; received {frames['fused_received']} fused frames",
        f"output rate: {_num(summary['output_rate_hz'])} Hz "
        f"(node's diagnostics: {_num(summary['node_rate_hz'])} Hz)",
        "latency ms, VIS stamp to reception here: "
        + (f"p50 {received['p50']:.1f}  p99 {received['p99']:.1f}  max {received['max']:.1f}"
           if received else "-")
        + f"; node (stamp to publish): p50 {_num(node.get('p50'))}  p99 {_num(node.get('p99'))}",
        f"dropped: {dropped['pairs_never_output']} pairs never output; node: "
        f"{dropped['node_busy']} replaced while it was busy (newest-pair policy), "
        f"{dropped['node_unpaired']} unpaired messages; bad messages {summary['bad_messages']}, "
        f"processing errors {summary['processing_errors']}"
        + ("" if summary["node_finished"] else " (the node had not finished at the end)"),
        f"prompt switch after frame #{switch['requested_after_frame']}: {switch['prompt']!r} -> "
        + (f"success ({switch['message']}), round trip {_num(switch['round_trip_ms'])} ms; "
           f"{_applied(switch['applied_from_frame'])}"
           f" ({len(switch['old_prompt_frames_after_request'])} frame(s) after the request "
           f"still fused with the old prompt); diagnostics showed it "
           f"{_num(switch['diagnostics_reported_after_ms'])} ms after the request"
           if switch["success"] else f"FAILED: {switch['message']}"),
    ]
    lines.append(_format_detections(summary["detections"], frames["fused_received"]))
    rows = {f"{label} ({prompt[:40]})": metrics[key]
            for label, key, prompt in (("before", "before", switch["from_prompt"]),
                                       ("after", "after", switch["active_prompt"]))
            if metrics[key] is not None}
    if rows:
        scored = metrics["frames_scored"]
        lines.append(f"fusion metrics, mean over {scored['before']} frames before and "
                     f"{scored['after']} after the switch (IR after gain control, VIS, fused):")
        lines.append(format_table(rows))
    return "\n".join(lines)


def _format_detections(detections: dict, fused: int) -> str:
    totals = ", ".join(f"{name} {n}" for name, n in detections["total"].items()) or "none"
    ms = detections["detector_ms"]
    return (f"detections: {detections['messages']} messages for {fused} fused frames; "
            f"found {totals} (mean per frame: "
            + (", ".join(f"{k} {v:.2f}" for k, v in detections["mean_per_frame"].items())
               or "-")
            + f"); detector ms p50 {_num(ms['p50'])} p99 {_num(ms['p99'])}; prompt-named "
            f"classes after the switch: {detections['prompt_classes'] or '-'}")


def _applied(frame: int | None) -> str:
    if frame is None:
        return "no fused frame with the new prompt arrived before the end"
    return f"applied from frame #{frame}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
