"""Soak benchmark of the fusion node: camera-like input for a while, then large frames.

    python -m textfusion_ros.ros.tools.soak [--rate 60] [--duration 180] [--qos-depth N]
        [--large 1920x1080 --large 3840x2160] [--domain 190] [-p NAME:=VALUE ...]

Starts `fusion_node` (config/fusion.yaml, autostart) as a child process, publishes synthetic
IR (mono16) + VIS (bgr8) pairs at `--rate` pairs/s for `--duration` s, as a camera driver does
with ROS's default publisher QoS (reliable, keep last `--publisher-depth` = 10, volatile),
samples the node's RSS, and prints what the node counted over the run (received, lost as
reported by the middleware, frames missing by stamp gaps, dropped unpaired (of which pairs
lost to the pairing queue: `late_partners`) / busy, published),
latency p50/p99 (node diagnostics, and measured here on the fused images received) and RSS.
Each `--large` frame is then sent alone: time to its fused image, peak RSS, RSS 10 s later.
Last, SIGINT is sent 1 s after one more pair (of the last size), while the node fuses it, and
the time to exit is printed.
"""

from __future__ import annotations

import argparse
import array
import os
import tempfile
import threading
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.impl.implementation_singleton import rclpy_implementation
from sensor_msgs.msg import Image

from textfusion_ros.imaging.scenes import SceneConfig, generate_frame
from textfusion_ros.ros.diagnostics import status_name
from textfusion_ros.ros.fastdds import CHOICE_VARIABLE, PROFILE_VARIABLE
from textfusion_ros.ros.messages import stamp_ns
from textfusion_ros.ros.tools.node_process import FusionNodeProcess
from textfusion_ros.ros.tools.spun_node import SpunNode

PARAMS_FILE = Path(__file__).resolve().parents[3] / "config" / "fusion.yaml"
NODE = "fusion_node"
START_TIMEOUT_S = 90.0
RSS_PERIOD_S = 0.1
COUNTERS = ("ir_received", "vis_received", "ir_lost", "vis_lost", "ir_gap_frames",
            "vis_gap_frames", "dropped_unpaired", "late_partners", "dropped_busy",
            "frames_published",
            "bad_messages", "latency_negative", "latency_beyond_horizon")


def rss_bytes(pid: int, field_name: str = "VmRSS") -> int:
    """A memory figure of /proc/PID/status (VmRSS: resident now, VmHWM: peak) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field_name} not in /proc/{pid}/status")


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0, own processes); False where refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Samples a process's RSS on a thread; `peak_since(t)` and `at(t)` read the samples."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss_sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(RSS_PERIOD_S):
            try:
                self.samples.append((time.monotonic(), rss_bytes(self.pid)))
            except (OSError, RuntimeError):  # the process ended
                return

    def between(self, start: float, end: float) -> list[int]:
        return [rss for t, rss in self.samples if start <= t <= end]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Driver:
    """Publishers of the cameras, subscribers of the fused images and diagnostics."""

    spun: SpunNode
    publisher_depth: int
    fused: dict[int, float] = field(default_factory=dict)  # stamp → arrival (wall ns)
    diag: dict[str, str] = field(default_factory=dict)
    diag_message: str = ""
    publish_failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        node = self.spun.node
        self.ir_pub = node.create_publisher(Image, "/ir/image", self.publisher_depth)
        self.vis_pub = node.create_publisher(Image, "/vis/image", self.publisher_depth)
        node.create_subscription(Image, "/fused/image", self._on_fused, 10)
        node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, 10)

    def _on_fused(self, msg: Image) -> None:
        with self.lock:
            self.fused[stamp_ns(msg.header.stamp)] = time.time_ns()

    def _on_diag(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name == status_name(f"/{NODE}"):
                with self.lock:
                    self.diag = {kv.key: kv.value for kv in status.values}
                    self.diag_message = status.message

    def counters(self) -> dict[str, int]:
        with self.lock:
            return {key: int(self.diag.get(key, 0)) for key in COUNTERS}

    def send(self, ir_msg: Image, vis_msg: Image, stamp: int) -> None:
        """Publish a pair; a publish the middleware refuses (a reliable writer's full history
        under load) is counted in `publish_failures`, as a camera driver would go on."""
        for msg, publisher in ((ir_msg, self.ir_pub), (vis_msg, self.vis_pub)):
            msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
            try:
                publisher.publish(msg)
            except rclpy_implementation.RCLError:
                self.publish_failures += 1


def pair_messages(height: int, width: int, index: int = 0) -> tuple[Image, Image]:
    """A synthetic mono16 IR + bgr8 VIS pair as Image messages (stamps set when sent)."""
    ir, vis = generate_frame(SceneConfig(height=height, width=width, ir_bits=16), index)
    ir_msg = Image(height=height, width=width, encoding="mono16", step=width * 2)
    ir_msg.header.frame_id = "ir"
    ir_msg.data = array.array("B", ir.astype("<u2").tobytes())
    vis_msg = Image(height=height, width=width, encoding="bgr8", step=width * 3)
    vis_msg.header.frame_id = "vis"
    vis_msg.data = array.array("B", vis.tobytes())
    return ir_msg, vis_msg


def set_profile(environ: MutableMapping[str, str], profile: str | None) -> None:
    """Point `environ`'s Fast DDS profile at `profile` ("none": remove it; None: leave it)."""
    if profile == "none":
        environ.pop(PROFILE_VARIABLE, None)
    elif profile is not None:
        environ[PROFILE_VARIABLE] = str(Path(profile).resolve())


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def soak(driver: Driver, sampler: RssSampler, rate: float, duration: float, height: int,
         width: int) -> dict[str, object]:
    """Publish pairs at `rate` for `duration` s; the node's counters over the run and more."""
    frames = [pair_messages(height, width, i) for i in range(4)]
    period_ns = int(1e9 / rate)
    wait_for(lambda: driver.diag_message not in ("", "inactive"), START_TIMEOUT_S,
             "the node's diagnostics")
    time.sleep(2.0)  # a fresh diagnostics report
    before = driver.counters()
    with driver.lock:
        driver.fused.clear()
    start_ns, start = time.time_ns(), time.monotonic()
    sent: list[int] = []
    begin_ns = next_ns = time.monotonic_ns()
    end_ns = begin_ns + int(duration * 1e9)
    while next_ns < end_ns:
        delay = (next_ns - time.monotonic_ns()) / 1e9
        if delay > 0:
            time.sleep(delay)
        stamp = start_ns + (next_ns - begin_ns)  # the camera's schedule, as wall-clock stamps
        ir_msg, vis_msg = frames[len(sent) % len(frames)]
        driver.send(ir_msg, vis_msg, stamp)
        sent.append(stamp)
        next_ns += period_ns
    end = time.monotonic()
    time.sleep(3.0)  # the last frames and a diagnostics report after them
    after = driver.counters()
    with driver.lock:
        sent_stamps = set(sent)
        fused = {s: t for s, t in driver.fused.items() if s in sent_stamps}
        diag = dict(driver.diag)
    latencies = np.array([(t - s) / 1e6 for s, t in fused.items()])
    rss = sampler.between(start, end)
    return {
        "sent": len(sent),
        "seconds": end - start,
        "counts": {key: after[key] - before[key] for key in COUNTERS},
        "fused_received": len(fused),
        "latency_ms": (np.percentile(latencies, [50, 99]) if latencies.size
                       else np.array([np.nan, np.nan])),
        "node_latency_ms": (diag.get("latency_p50_ms"), diag.get("latency_p99_ms")),
        "node_overhead_ms": (diag.get("overhead_p50_ms"), diag.get("overhead_p99_ms")),
        "rss_mb": (rss[0] / 2**20, max(rss) / 2**20, rss[-1] / 2**20) if rss else None,
    }


def large_frame(driver: Driver, sampler: RssSampler, pid: int, height: int, width: int,
                settle_s: float) -> dict[str, float]:
    """Send one large pair alone: seconds to its fused image, peak RSS, RSS `settle_s` later."""
    ir_msg, vis_msg = pair_messages(height, width)
    time.sleep(3.0)  # the node has finished what it was fusing
    rss_before = rss_bytes(pid)
    peak_reset = reset_peak_rss(pid)
    stamp = time.time_ns()
    sent = time.monotonic()
    driver.send(ir_msg, vis_msg, stamp)
    wait_for(lambda: stamp in driver.fused, 600.0, f"the fused {width}x{height} frame")
    seconds = time.monotonic() - sent
    done = time.monotonic()
    time.sleep(settle_s)
    samples = sampler.between(sent, time.monotonic())
    peak = max(samples + [rss_bytes(pid, "VmHWM") if peak_reset else 0])
    return {"seconds": seconds, "rss_before_mb": rss_before / 2**20, "peak_mb": peak / 2**20,
            "rss_after_mb": rss_bytes(pid) / 2**20, "settle_s": time.monotonic() - done}


def sigint_while_fusing(driver: Driver, process: FusionNodeProcess, height: int,
                        width: int) -> tuple[float, int | None]:
    """SIGINT 1 s after a pair is sent (delivered, being fused); (seconds to exit, status)."""
    driver.send(*pair_messages(height, width), time.time_ns())
    time.sleep(1.0)
    start = time.monotonic()
    status = process.stop(30.0)
    return time.monotonic() - start, status


def parse_size(text: str) -> tuple[int, int]:
    """'WxH' → (height, width)."""
    width, height = (int(v) for v in text.lower().split("x"))
    return height, width


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=60.0, help="pairs per second")
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of input")
    parser.add_argument("--size", default="640x512", help="WxH of the soak pairs")
    parser.add_argument("--qos-depth", type=int, help="the node's qos_depth (default: its own)")
    parser.add_argument("--publisher-depth", type=int, default=10,
                        help="history depth of the camera publishers (a driver's default)")
    parser.add_argument("--large", action="append", default=[], metavar="WxH",
                        help="after the soak, send one pair of this size alone (repeatable)")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds after a large frame before its RSS is read")
    parser.add_argument("--domain", type=int, default=int(os.environ.get("ROS_DOMAIN_ID", 190)))
    parser.add_argument("-p", dest="params", action="append", default=[],
                        metavar="NAME:=VALUE", help="more node parameters")
    parser.add_argument("--log", help="the node's log file (default: a temporary file)")
    parser.add_argument("--camera-fastdds-profile", metavar="XML|none",
                        help="Fast DDS XML profile of the camera publishers (this process); "
                        "none = Fast DDS defaults (default: this environment's, as a camera "
                        "driver started from it)")
    parser.add_argument("--node-fastdds-profile", metavar="XML|none",
                        help="the node's profile (default: the node's own choice, "
                        "textfusion_ros.ros.fastdds)")
    args = parser.parse_args(argv)

    env: dict[str, str | None] = {"ROS_DOMAIN_ID": str(args.domain),
                                  "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
                                  "RCUTILS_COLORIZED_OUTPUT": "0"}
    os.environ.update(env)
    set_profile(os.environ, args.camera_fastdds_profile)
    if args.node_fastdds_profile is not None:  # the node's own choice, made explicit
        env[PROFILE_VARIABLE] = None
        env[CHOICE_VARIABLE] = (args.node_fastdds_profile if args.node_fastdds_profile == "none"
                                else str(Path(args.node_fastdds_profile).resolve()))
    overrides: dict[str, object] = {"diagnostics_period": 1.0}
    if args.qos_depth is not None:
        overrides["qos_depth"] = args.qos_depth
    for item in args.params:
        name, value = item.split(":=", 1)
        overrides[name] = value
    log = Path(args.log or tempfile.mkstemp(prefix="soak_", suffix=".log")[1])
    driver = Driver(SpunNode("textfusion_soak", args.domain), args.publisher_depth)
    process = FusionNodeProcess(PARAMS_FILE, overrides, log, env)
    process.start()
    sampler = RssSampler(process.pid)
    height, width = parse_size(args.size)
    try:
        wait_for(lambda: driver.ir_pub.get_subscription_count() > 0
                 and driver.vis_pub.get_subscription_count() > 0, START_TIMEOUT_S,
                 f"the node's subscriptions (log: {log})")
        print(f"node pid {process.pid}, log {log}, parameters {overrides}; Fast DDS profile: "
              f"cameras {os.environ.get(PROFILE_VARIABLE, 'none')}, node: see its log")
        result = soak(driver, sampler, args.rate, args.duration, height, width)
        counts = result["counts"]
        sent = result["sent"]
        print(f"soak: {sent} pairs of {width}x{height} at {args.rate:g} Hz in "
              f"{result['seconds']:.1f} s ({driver.publish_failures} messages refused by "
              "the publishers' middleware)")
        for camera in ("ir", "vis"):
            received = counts[f"{camera}_received"]
            print(f"  {camera:3s} received {received} ({100 * (sent - received) / sent:.2f} % "
                  f"not delivered); lost (RMW message_lost) {counts[f'{camera}_lost']}, "
                  f"missing by stamp gaps {counts[f'{camera}_gap_frames']}")
        print(f"  dropped unpaired {counts['dropped_unpaired']} (partner arrived after its "
              f"eviction: {counts['late_partners']}), dropped busy "
              f"{counts['dropped_busy']}, published {counts['frames_published']}, fused "
              f"received here {result['fused_received']}, bad {counts['bad_messages']}")
        p50, p99 = result["latency_ms"]
        print(f"  latency here p50 {p50:.0f} ms p99 {p99:.0f} ms; node diagnostics p50 "
              f"{result['node_latency_ms'][0]} ms p99 {result['node_latency_ms'][1]} ms; "
              f"bad-stamp samples {counts['latency_negative'] + counts['latency_beyond_horizon']}")
        print(f"  node overhead outside the models (diagnostics, last stats_window frames) p50 "
              f"{result['node_overhead_ms'][0]} ms p99 {result['node_overhead_ms'][1]} ms")
        if result["rss_mb"]:
            first, peak, last = result["rss_mb"]
            print(f"  RSS start {first:.0f} MB, peak {peak:.0f} MB, end {last:.0f} MB")
        for size in args.large:
            h, w = parse_size(size)
            figures = large_frame(driver, sampler, process.pid, h, w, args.settle)
            print(f"large frame {w}x{h}: {figures['seconds']:.2f} s to the fused image, RSS "
                  f"{figures['rss_before_mb']:.0f} MB before, peak {figures['peak_mb']:.0f} MB, "
                  f"{figures['rss_after_mb']:.0f} MB {figures['settle_s']:.0f} s later")
        h, w = parse_size(args.large[-1]) if args.large else (height, width)
        seconds, status = sigint_while_fusing(driver, process, h, w)
        print(f"SIGINT while fusing a {w}x{h} pair: exit after {seconds:.2f} s, status {status}")
    finally:
        process.stop()
        sampler.close()
        driver.spun.close()


if __name__ == "__main__":
    main()
