"""`textfusion ros-demo` end to end: fusion_node as a child process fed a replayed synthetic bag.

The demo runs as a subprocess (as `make demo` runs it) on small frames. The node loads the
shipped model unless TEXTFUSION_TEST_MODEL names another; without either, conftest's random
model stands in.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

pytest.importorskip(
    "rclpy", reason="rclpy not importable: install the ROS 2 wheels (requirements-ros.txt)")
try:
    import textfusion_interfaces.srv  # noqa: F401
except ImportError as exc:
    pytest.skip(f"textfusion_interfaces not built ({exc}): "
                "run textfusion_interfaces/install_into_venv.sh .venv", allow_module_level=True)

from textfusion_ros.bags.io import bag_topics  # noqa: E402
from textfusion_ros.metrics import METRIC_NAMES  # noqa: E402
from textfusion_ros.paths import default_model_path  # noqa: E402

if not Path(sys.executable).with_name("fusion_node").exists():
    pytest.skip("fusion_node console script missing: pip install -e .", allow_module_level=True)

FRAMES, HEIGHT, WIDTH = 40, 128, 160
WARM = "highlight warm pedestrians"
CAPTION_H = 22  # textfusion_ros.demo.offline.labelled's caption bar


@pytest.fixture(scope="module")
def model(request) -> str:
    if os.environ.get("TEXTFUSION_TEST_MODEL"):
        return os.environ["TEXTFUSION_TEST_MODEL"]
    try:
        return str(default_model_path())
    except FileNotFoundError:
        return str(request.getfixturevalue("random_model_path"))


def ros_demo(out: Path, model: str, domain_id: int,
             timeout: float = 120.0) -> subprocess.CompletedProcess:
    env = {**os.environ, "ROS_DOMAIN_ID": str(domain_id),
           "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    return subprocess.run(
        [sys.executable, "-m", "textfusion_ros.cli", "ros-demo", "--out", str(out),
         "--frames", str(FRAMES), "--height", str(HEIGHT), "--width", str(WIDTH),
         "--model", model, "--switch-prompt", WARM],
        env=env, capture_output=True, text=True, timeout=timeout)


def test_demo_runs_end_to_end(tmp_path, model, ros_domain):
    out = tmp_path / "demo"
    result = ros_demo(out, model, ros_domain)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fused frames" in result.stdout and "SSIM" in result.stdout

    summary = json.loads((out / "summary.json").read_text())
    frames = summary["frames"]
    assert frames["ir_published"] == frames["vis_published"] == FRAMES
    received = frames["fused_received"]
    assert 0 < received <= FRAMES
    assert summary["dropped"]["pairs_never_output"] == FRAMES - received
    assert summary["node_finished"] and summary["node_exit_status"] == 0
    assert summary["bad_messages"] == 0
    latency = summary["latency_ms"]
    assert 0 < latency["stamp_to_reception"]["p50"] <= latency["stamp_to_reception"]["p99"]
    assert latency["node"]["p50"] > 0 and latency["node"]["p99"] > 0

    switch = summary["prompt_switch"]
    assert switch["success"] and switch["active_prompt"] == WARM, switch
    assert switch["applied_from_frame"] is not None
    assert summary["node_diagnostics"]["active_prompt"] == WARM
    detections = summary["detections"]  # the shipped SSD ran on every fused frame
    assert detections["frames"] == received
    assert detections["messages"] >= received
    assert detections["detector_ms"]["p50"] > 0
    assert detections["prompt_classes"] == "person"  # "highlight warm pedestrians"
    assert "detections:" in result.stdout
    for phase in ("before", "after"):
        assert list(summary["metrics"][phase]) == list(METRIC_NAMES)

    panel = cv2.imread(str(out / "panel.png"))
    assert panel.shape == (HEIGHT + CAPTION_H, 4 * WIDTH, 3)
    assert bag_topics(out / "fused_bag") == {"/fused/image": ("sensor_msgs/msg/Image", received)}


def test_demo_fails_clearly_when_the_node_cannot_start(tmp_path, ros_domain):
    bad_model = tmp_path / "broken.safetensors"
    bad_model.write_bytes(b"not a model")
    result = ros_demo(tmp_path / "demo", str(bad_model), ros_domain, timeout=60.0)
    assert result.returncode != 0
    assert "fusion_node could not configure or activate" in result.stderr, result.stderr
    assert "configure failed" in result.stderr  # the node's log tail says why
