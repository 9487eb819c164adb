"""ROS-free parts of the node: the latest-only worker, the health monitor, NodeConfig and the
shipped params file."""

import dataclasses
import threading
import time
import weakref
from pathlib import Path

import pytest
import yaml

from textfusion_ros.config import DetectorConfig, FusionConfig, NodeConfig, field_docs
from textfusion_ros.ros.monitor import FusionMonitor
from textfusion_ros.ros.worker import LatestWorker

PARAMS_FILE = Path(__file__).resolve().parents[1] / "config" / "fusion.yaml"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_worker_processes_only_the_newest_item():
    release, started = threading.Event(), threading.Event()
    done = []

    def handler(item):
        started.set()
        release.wait(5)
        done.append(item)

    worker = LatestWorker(handler, on_error=pytest.fail)
    worker.start()
    worker.put(1)
    assert started.wait(5)
    for item in (2, 3, 4):  # 1 is being processed: each newer one replaces the waiting one
        worker.put(item)
    release.set()
    worker.stop()  # after processing 1, then the waiting 4 is dropped or done
    assert done[0] == 1 and set(done) <= {1, 4}
    assert worker.dropped == 2 + (len(done) == 1)


def test_worker_reports_errors_and_carries_on():
    errors, done = [], threading.Event()

    def handler(item):
        if item == "bad":
            raise ValueError("boom")
        done.set()

    worker = LatestWorker(handler, on_error=errors.append)
    worker.start()
    worker.put("bad")
    while worker.running and not errors:
        threading.Event().wait(0.01)
    worker.put("good")
    assert done.wait(5)
    worker.stop()
    assert [str(e) for e in errors] == ["boom"]


def test_worker_does_not_keep_the_last_item_alive_while_idle():
    class Frame:  # stands for a large frame's buffers
        pass

    handled = threading.Event()
    worker = LatestWorker(lambda item: handled.set(), on_error=pytest.fail)
    worker.start()
    frame = Frame()
    alive = weakref.ref(frame)
    worker.put(frame)
    del frame
    assert handled.wait(5)
    deadline = time.monotonic() + 5
    while alive() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert alive() is None  # freed while the worker waits for the next item
    worker.stop()


def test_worker_restarts_and_ignores_items_while_stopped():
    done = []
    worker = LatestWorker(done.append, on_error=pytest.fail)
    worker.put("ignored")
    for item in ("a", "b"):
        worker.start()
        worker.put(item)
        while not done or done[-1] != item:
            threading.Event().wait(0.01)
        worker.stop()
    assert done == ["a", "b"] and worker.dropped == 0


def test_monitor_warns_on_a_silent_camera_and_recovers():
    clock = FakeClock()
    monitor = FusionMonitor(stats_window=10, silence_timeout=2.0, clock=clock)
    assert monitor.report(0, 0, 0, {}).message == "inactive"
    monitor.activated()
    clock.now += 1.0
    monitor.on_message(0)
    monitor.on_message(1)
    assert not monitor.report(0, 0, 0, {}).warn
    clock.now += 2.5
    monitor.on_message(1)  # VIS still comes, IR stopped
    report = monitor.report(0, 0, 0, {})
    assert report.warn and report.message == "no IR image for 2.5 s"
    monitor.on_message(0)
    assert monitor.report(0, 0, 0, {}).message == "fusing"
    monitor.deactivated()
    clock.now += 10
    assert not monitor.report(0, 0, 0, {}).warn


def test_monitor_values():
    clock = FakeClock()
    monitor = FusionMonitor(stats_window=10, silence_timeout=2.0, clock=clock)
    monitor.activated()
    for latency in (10.0, 20.0, 30.0):
        clock.now += 0.5
        monitor.on_message(0)
        monitor.on_message(1)
        monitor.on_published(latency)
    monitor.on_bad_message()
    values = monitor.report(3, 2, 1, {"backend": "torch"}).values
    assert values["rate_hz"] == "2.00" and values["latency_p50_ms"] == "20.0"
    assert (values["frames_dropped"], values["dropped_unpaired"], values["dropped_busy"]) \
        == (5, 3, 2)
    assert values["bad_messages"] == 1 and values["time_jumps"] == 1
    assert values["ir_received"] == values["vis_received"] == values["frames_published"] == 3
    assert values["backend"] == "torch"


def test_monitor_reports_losses_gaps_bad_stamps_and_extra_warnings():
    clock = FakeClock()
    monitor = FusionMonitor(stats_window=10, silence_timeout=2.0, clock=clock,
                            latency_horizon_s=1.0, rate_idle_s=1.0)
    monitor.activated()
    period = 50_000_000
    for i in list(range(8)) + [10]:  # VIS frames 8 and 9 missing
        clock.now += 0.05
        monitor.on_message(0, i * period)
        monitor.on_message(1, i * period if i < 10 else 10 * period)
    monitor.on_lost(0, 4)
    for latency, plausible in ((30.0, True), (5000.0, False), (-2.0, False)):
        clock.now += 0.1
        assert monitor.on_published(latency) is plausible
    report = monitor.report(0, 0, 0, {}, ["2 other node(s) named /fusion_node"])
    assert report.warn and report.message == "2 other node(s) named /fusion_node"
    values = report.values
    assert (values["ir_lost"], values["vis_lost"]) == (4, 0)
    assert (values["ir_gap_frames"], values["vis_gap_frames"]) == (2, 2)
    assert values["vis_period_ms"] == "50.0"
    assert (values["latency_negative"], values["latency_beyond_horizon"]) == (1, 1)
    assert values["latency_p99_ms"] == "30.0"
    assert values["rate_hz"] != "0.00"
    clock.now += 1.5  # one idle period (rate_idle_s) later the rate reads 0
    assert monitor.report(0, 0, 0, {}).values["rate_hz"] == "0.00"


@pytest.mark.parametrize("changes, reason", [
    ({"reliability": "sometimes"}, "reliability"),
    ({"queue_size": 0}, "queue_size"),
    ({"slop": -0.1}, "slop"),
    ({"diagnostics_period": 0.0}, "diagnostics_period"),
    ({"homography": [1.0] * 8}, "9 numbers"),
    ({"ir_topic": ""}, "ir_topic"),
    ({"latency_horizon": 0.0}, "latency_horizon"),
    ({"worker_nice": -1}, "worker_nice"),
    ({"worker_nice": 20}, "worker_nice"),
])
def test_node_config_rejects_bad_values(changes, reason):
    with pytest.raises(ValueError, match=reason):
        NodeConfig(**changes)


def test_every_field_is_documented():
    for cls in (FusionConfig, NodeConfig, DetectorConfig):
        docs = field_docs(cls)
        assert set(docs) == {f.name for f in dataclasses.fields(cls)}
        assert all(docs.values())


def test_params_file_lists_every_parameter_with_its_default_and_a_comment():
    text = PARAMS_FILE.read_text()
    params = yaml.safe_load(text)["/**/fusion_node"]["ros__parameters"]
    defaults = {**dataclasses.asdict(FusionConfig()), **dataclasses.asdict(NodeConfig()),
                "detector": dataclasses.asdict(DetectorConfig())}
    assert params == defaults
    lines = text.splitlines()
    for index, line in enumerate(lines):
        key = line.strip().split(":")[0]
        if (key in defaults or key in defaults["detector"]) and not line.lstrip().startswith("#"):
            assert lines[index - 1].lstrip().startswith("#"), f"{key} has no comment"
