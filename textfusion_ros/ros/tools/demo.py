"""The live demo (`textfusion ros-demo`): the fusion node end to end on localhost.

A synthetic IR (mono16) + VIS (bgr8) recording is written as a bag while `fusion_node` starts
as a child process. Once the node is active, the bag is replayed at recorded speed as live
cameras (stamps moved to now, see live_replay); half-way through, `set_prompt` switches the
prompt. The fused images and the node's diagnostics are recorded, the node is stopped with
SIGINT, and the run is summarised (textfusion_ros.demo.live_report): summary.json, panel.png, the
fused images as a bag, and the node's log, all in the output folder.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from textfusion_ros.bags.io import BagWriter
from textfusion_ros.bags.synth import write_synthetic_bag
from textfusion_ros.config import FusionConfig
from textfusion_ros.demo.live_report import (
    DiagnosticsSample,
    LiveRun,
    PromptCall,
    ReferenceFusion,
    analyse_run,
    format_summary,
)
from textfusion_ros.imaging.imageio import write_image
from textfusion_ros.imaging.registration import parse_homography
from textfusion_ros.imaging.scenes import SceneConfig
from textfusion_ros.paths import default_model_path, find_shipped
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.ros.tools.demo_client import FUSED_TOPIC, IR_TOPIC, VIS_TOPIC, DemoClient
from textfusion_ros.ros.tools.live_replay import replay_live
from textfusion_ros.ros.tools.node_process import FusionNodeProcess

DEFAULT_SWITCH_PROMPT = "highlight warm pedestrians"
DIAGNOSTICS_PERIOD_S = 0.5
START_TIMEOUT_S = 90.0
PROMPT_TIMEOUT_S = 10.0
FINISH_TIMEOUT_S = 20.0
STABLE_S = 2.0  # a node with unpaired images is done when its output stops for this long
_POLL_S = 0.1


@dataclass(frozen=True)
class DemoOptions:
    """Output folder, recording size and length, model, prompt to switch to, ROS domain."""

    out: Path = Path("out/demo")
    frames: int = 150
    model: str = ""
    height: int = 512
    width: int = 640
    switch_prompt: str = DEFAULT_SWITCH_PROMPT
    domain_id: int = 42
    threads: int = 1
    """The node's inference threads, fusion and detector each (0 = the runtime's default)."""

    def __post_init__(self) -> None:
        if self.frames < 2:
            raise ValueError(f"frames must be >= 2 (the prompt switches half-way), "
                             f"got {self.frames}")


@dataclass(frozen=True)
class DemoResult:
    summary: dict
    text: str
    ok: bool
    """The prompt switch succeeded (without fused frames, run_ros_demo raises)."""


def run_ros_demo(options: DemoOptions,
                 progress: Callable[[str], None] = print) -> DemoResult:
    """Run the demo; RuntimeError when the node does not start or sends nothing back.

    ROS discovery follows this process's environment (the CLI defaults it to localhost); the
    node gets the same environment with ROS_DOMAIN_ID = options.domain_id.
    """
    began = time.monotonic()
    model = options.model or str(default_model_path())
    out = Path(options.out)
    paths = {name: out / name for name in
             ("input_bag", "fused_bag", "panel.png", "summary.json", "fusion_node.log")}
    for bag in (paths["input_bag"], paths["fused_bag"]):
        if bag.exists():  # left by an earlier run; bags are never overwritten
            shutil.rmtree(bag)
    out.mkdir(parents=True, exist_ok=True)
    params_file = find_shipped("config/fusion.yaml")
    overrides = {"model": model, "threads": options.threads,
                 "detector.threads": options.threads, "diagnostics_period": DIAGNOSTICS_PERIOD_S}

    with DemoClient(options.domain_id) as client, FusionNodeProcess(
            params_file, overrides, paths["fusion_node.log"],
            {"ROS_DOMAIN_ID": str(options.domain_id)}) as node:
        progress(f"starting fusion_node (model {model}, log {node.log_path})")
        scene = SceneConfig(height=options.height, width=options.width, ir_bits=16)
        write_synthetic_bag(paths["input_bag"], scene, options.frames)
        progress(f"wrote {options.frames} IR + VIS frames to {paths['input_bag']}")
        ready_s = _wait_ready(client, node)
        progress(f"fusion_node active after {ready_s:.1f} s; replaying at 30 Hz, "
                 f"prompt switch after frame #{options.frames // 2}")
        run = _replay(client, paths["input_bag"], options)
        node_status = node.stop()
        log_tail = node.log_tail()
    if not run.fused:
        raise RuntimeError(f"no fused image came back from fusion_node; its log "
                           f"({paths['fusion_node.log']}) ends with:\n{log_tail}")

    fusion, homography = _reference_config(params_file, model, options.threads)
    reference = ReferenceFusion(FusionPipeline(fusion), homography)
    old_prompt = _prompt_before(run.diagnostics, run.switch) or reference.pipeline.active_prompt
    summary, panel = analyse_run(run, paths["input_bag"], (IR_TOPIC, VIS_TOPIC), reference,
                                 old_prompt)
    write_image(paths["panel.png"], panel)
    with BagWriter(paths["fused_bag"]) as writer:
        for frame in sorted(run.fused, key=lambda f: f.received_ns):
            writer.write(FUSED_TOPIC, frame.received_ns, frame.raw)
    summary = {"model": model, "size": [options.height, options.width],
               **summary, "node_exit_status": node_status,
               "files": {name: str(path) for name, path in paths.items()},
               "wall_s": round(time.monotonic() - began, 1)}
    paths["summary.json"].write_text(json.dumps(_finite(summary), indent=1) + "\n")
    text = "\n".join([format_summary(summary),
                      *(f"{name}: {path}" for name, path in summary["files"].items()),
                      f"demo wall time: {summary['wall_s']} s"])
    return DemoResult(summary, text, run.switch.success)


def _wait_ready(client: DemoClient, node: FusionNodeProcess,
                timeout: float = START_TIMEOUT_S) -> float:
    """Seconds until the node is active and connected; RuntimeError (with its log) otherwise."""
    start = time.monotonic()
    while True:
        status = node.returncode
        if status is not None:
            raise RuntimeError(f"fusion_node exited with status {status} while starting; "
                               f"its log ({node.log_path}) ends with:\n{node.log_tail()}")
        if "autostart failed" in node.log():
            raise RuntimeError(f"fusion_node could not configure or activate; its log "
                               f"({node.log_path}) ends with:\n{node.log_tail()}")
        missing = client.missing()
        if not missing:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"fusion_node not ready after {timeout:g} s: no "
                               f"{', '.join(missing)}; its log ({node.log_path}) ends "
                               f"with:\n{node.log_tail()}")
        time.sleep(_POLL_S)


def _replay(client: DemoClient, bag: Path, options: DemoOptions) -> LiveRun:
    """Replay the bag, switching the prompt after the middle VIS frame; wait for the end."""
    middle = options.frames // 2
    calls: list[PromptCall] = []

    def switch_half_way(topic: str, count: int) -> None:
        if topic == VIS_TOPIC and count == middle + 1:
            calls.append(client.request_prompt(options.switch_prompt, middle))

    replay = replay_live(bag, client.publishers, switch_half_way)
    (call,) = calls
    if not client.wait_prompt(PROMPT_TIMEOUT_S):
        call.message = f"no response within {PROMPT_TIMEOUT_S:g} s"
    pairs = min(len(stamps) for stamps in replay.stamps.values())
    final = _wait_finished(client, pairs)
    return LiveRun(vis_stamps=replay.stamps[VIS_TOPIC],
                   ir_published=len(replay.stamps[IR_TOPIC]),
                   replay_s=(replay.finished_ns - replay.started_ns) / 1e9,
                   fused=client.fused(), diagnostics=client.diagnostics(), switch=call,
                   final=final, replay_finished_ns=replay.finished_ns,
                   detections=client.detections())


def _wait_finished(client: DemoClient, pairs: int,
                   timeout: float = FINISH_TIMEOUT_S) -> DiagnosticsSample | None:
    """The node's report once it has received every image and handled every pair (published,
    failed or replaced by a newer one) and all its output (detections included) has arrived
    here. When some images
    never paired, a report whose published count has held for STABLE_S s. None on timeout."""
    deadline = time.monotonic() + timeout
    published_before, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        samples = client.diagnostics()
        if samples:
            report = samples[-1]
            published = _count(report, "frames_published")
            if published != published_before:
                published_before, stable_since = published, time.monotonic()
            received = min(_count(report, "ir_received"), _count(report, "vis_received"))
            handled = (published + _count(report, "processing_errors")
                       + _count(report, "dropped_busy"))
            if (received >= pairs and published == len(client.fused())
                    and (handled >= pairs or time.monotonic() - stable_since >= STABLE_S)
                    and _detections_arrived(client, report, published)):
                return report
        time.sleep(_POLL_S)
    return None


def _detections_arrived(client: DemoClient, report: DiagnosticsSample, published: int) -> bool:
    """With detection on, the detections of every published frame (they follow the fused
    image) have been counted by the node and have arrived here."""
    if "detection_frames" not in report.values:
        return True
    return _count(report, "detection_frames") >= published and \
        len(client.detections()) >= published


def _count(report: DiagnosticsSample, key: str) -> int:
    return int(report.values.get(key, 0))


def _prompt_before(diagnostics: list[DiagnosticsSample], call: PromptCall) -> str | None:
    """The active prompt the node last reported before the switch was requested."""
    before = [d.values.get("active_prompt") for d in diagnostics
              if d.received_ns < call.requested_ns]
    return before[-1] if before else None


def _reference_config(params_file: Path, model: str,
                      threads: int) -> tuple[FusionConfig, np.ndarray | None]:
    """FusionConfig and homography of the node as configured by the parameters file."""
    data = yaml.safe_load(params_file.read_text()) or {}
    params: dict = {}
    for key in ("/**", "/**/fusion_node", "fusion_node", "/fusion_node"):
        params.update((data.get(key) or {}).get("ros__parameters", {}))
    names = {f.name for f in dataclasses.fields(FusionConfig)}
    fusion = FusionConfig.from_dict({k: v for k, v in params.items() if k in names})
    fusion = dataclasses.replace(fusion, model=model, threads=threads)
    return fusion, parse_homography(params.get("homography") or None)


def _finite(value: object) -> object:
    """NaN/inf → None, recursively (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
