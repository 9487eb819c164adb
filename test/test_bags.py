"""Bag tools: synth-bag (mcap, sqlite3), bag-eval (offline fusion), bag-play (live ROS)."""

import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

pytest.importorskip("rosbags")

from textfusion_ros.bags.io import (  # noqa: E402
    BagWriter,
    CompressedImageMessage,
    ImageMessage,
    bag_topics,
    read_messages,
)
from textfusion_ros.bags.synth import START_NS, write_synthetic_bag  # noqa: E402
from textfusion_ros.cli import main  # noqa: E402
from textfusion_ros.imaging.scenes import SceneConfig  # noqa: E402
from textfusion_ros.metrics import METRIC_NAMES  # noqa: E402
from textfusion_ros.paths import default_model_path  # noqa: E402

MS = 1_000_000
PERIOD_NS = 1e9 / 30


@pytest.fixture(scope="module")
def model_args():
    model = os.environ.get("TEXTFUSION_TEST_MODEL", "")
    if model:
        return ["--model", model]
    try:
        default_model_path()
    except FileNotFoundError:
        pytest.skip("no shipped model yet; set TEXTFUSION_TEST_MODEL")
    return []


def _images(bag):
    """topic → [(log_ns, ImageMessage)] in log-time order."""
    out = {}
    for message in read_messages(bag):
        out.setdefault(message.topic, []).append(
            (message.log_ns, ImageMessage.deserialize(message.data)))
    return out


@pytest.mark.parametrize(("storage", "ir_bits", "ir_encoding"),
                         [("mcap", 16, "mono16"), ("sqlite3", 8, "mono8")])
def test_synth_bag_counts_encodings_rate_and_jitter(tmp_path, storage, ir_bits, ir_encoding):
    bag = tmp_path / "bag"
    assert main(["synth-bag", str(bag), "--frames", "12", "--storage", storage, "--ir-bits",
                 str(ir_bits), "--height", "48", "--width", "64", "--seed", "3"]) == 0
    assert bag_topics(bag) == {"/ir/image": ("sensor_msgs/msg/Image", 12),
                               "/vis/image": ("sensor_msgs/msg/Image", 12)}
    logs = [m.log_ns for m in read_messages(bag)]
    assert logs == sorted(logs)
    images = _images(bag)
    ir, vis = images["/ir/image"], images["/vis/image"]
    assert {m.encoding for _, m in ir} == {ir_encoding}
    assert {m.encoding for _, m in vis} == {"bgr8"}
    assert {m.frame_id for _, m in ir} == {"ir_camera"}
    assert {m.frame_id for _, m in vis} == {"vis_camera"}
    assert ir[0][1].decode().shape == (48, 64) and vis[0][1].decode().shape == (48, 64, 3)
    assert ir[0][1].decode().dtype == (np.uint16 if ir_bits == 16 else np.uint8)
    assert all(log > m.stamp_ns for log, m in ir + vis)
    vis_stamps = np.array([m.stamp_ns for _, m in vis])
    ir_stamps = np.array([m.stamp_ns for _, m in ir])
    assert abs(vis_stamps[0] - START_NS) <= 2 * MS
    period = np.diff(vis_stamps)
    assert np.all(np.abs(period - PERIOD_NS) <= 4 * MS)  # 30 Hz, ±2 ms jitter per stamp
    assert abs(period.mean() - PERIOD_NS) < 1 * MS and period.std() > 0.1 * MS
    offset = ir_stamps - vis_stamps
    assert np.all((offset >= 1 * MS) & (offset <= 9 * MS))  # 5 ms ± 2 × 2 ms
    assert offset.std() > 0.1 * MS


@pytest.mark.parametrize(("storage", "version"), [("mcap", 9), ("mcap", 8), ("sqlite3", 9)])
def test_bags_record_what_rosbag2_records(tmp_path, storage, version):
    import sqlite3

    import yaml
    from mcap.reader import make_reader

    bag = tmp_path / "bag"
    assert main(["synth-bag", str(bag), "--frames", "2", "--storage", storage, "--bag-version",
                 str(version), "--height", "32", "--width", "32"]) == 0
    info = yaml.safe_load((bag / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert (info["version"], info["ros_distro"]) == (version, "kilted")
    for topic in info["topics_with_message_count"]:
        qos = topic["topic_metadata"]["offered_qos_profiles"]
        (profile,) = yaml.safe_load(qos) if isinstance(qos, str) else qos  # v8: a YAML string
        assert (profile["reliability"], profile["durability"]) in [(1, 2), ("reliable", "volatile")]
    (name,) = info["relative_file_paths"]
    if storage == "mcap":
        with open(bag / name, "rb") as f:
            reader = make_reader(f)
            channels = reader.get_summary().channels.values()
            assert all(c.metadata["topic_type_hash"].startswith("RIHS01_") and
                       c.metadata["offered_qos_profiles"] for c in channels)
            (record,) = [m for m in reader.iter_metadata() if m.name == "rosbag2"]
        embedded = record.metadata["serialized_metadata"]
    else:
        with sqlite3.connect(bag / name) as db:
            (embedded,), = db.execute("SELECT metadata FROM metadata").fetchall()
    assert yaml.safe_load(embedded)["ros_distro"] == "kilted"  # rosbags embeds the inner map
    assert bag_topics(bag)["/ir/image"] == ("sensor_msgs/msg/Image", 2)  # still reads back


def _with_bad_messages(source, target):
    """Copy `source` into `target`, adding an IR Image whose step is too short, then an IR +
    VIS pair of different sizes after the last frame."""
    with BagWriter(target) as writer:
        for index, message in enumerate(read_messages(source)):
            writer.write(message.topic, message.log_ns, message.data)
            if index == 5:
                bad = ImageMessage(message.log_ns, "ir_camera", "mono16", 128, 160, 100,
                                   bytes(100 * 128))
                writer.write_image("/ir/image", message.log_ns + 1, bad)
        end = message.log_ns + 100 * MS
        small_ir = np.zeros((48, 64), np.uint16)
        writer.write_image("/ir/image", end, ImageMessage.from_array(small_ir, end, "ir_camera"))
        vis = np.zeros((128, 160, 3), np.uint8)
        writer.write_image("/vis/image", end + 1, ImageMessage.from_array(vis, end, "vis_camera"))


def test_bag_eval_fuses_writes_reports_and_counts_bad(tmp_path, model_args, capsys):
    clean, bag, out, report = (tmp_path / name for name in ("clean", "bag", "out", "r.json"))
    write_synthetic_bag(clean, SceneConfig(height=128, width=160, ir_bits=16), 12)
    _with_bad_messages(clean, bag)
    assert main(["bag-eval", str(bag), "--ir-topic", "/ir/image", "--vis-topic", "/vis/image",
                 "--prompt", "highlight warm pedestrians", "--out", str(out), "--report",
                 str(report), "--threads", "1", *model_args]) == 0
    printed = capsys.readouterr().out
    assert "p50" in printed and "throughput" in printed and "SSIM" in printed

    result = json.loads(report.read_text())
    # The last pair's infrared is smaller: resized to the visible's size, as the node does.
    assert result["counts"] == {"ir_messages": 14, "vis_messages": 13, "bad": 1, "pairs": 13,
                                "rejected_pairs": 0, "unpaired": 0, "ir_resized": 1}
    assert len(result["problems"]) == 1 and "step" in result["problems"][0]["error"]
    assert result["prompt"] == "highlight warm pedestrians"
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
    assert result["throughput_fps"] > 0
    assert list(result["mean_metrics"]) == list(METRIC_NAMES)
    assert all(np.isfinite(v) for v in result["mean_metrics"].values())
    assert len(result["frames"]) == 13

    vis_msgs = [m for _, m in _images(bag)["/vis/image"]]
    fused = _images(out)["/fused/image"]
    assert [m.stamp_ns for _, m in fused] == [m.stamp_ns for m in vis_msgs]
    assert {(m.encoding, m.frame_id) for _, m in fused} == {("bgr8", "vis_camera")}
    assert fused[0][1].decode().shape == (128, 160, 3)


def test_bag_eval_reads_compressed_topics(tmp_path, model_args):
    """Compressed topics as image_transport records them: 16-bit PNG thermal, JPEG visible
    (one payload damaged: counted as bad), the thermal at half size (resized)."""
    clean, bag, report = tmp_path / "clean", tmp_path / "bag", tmp_path / "r.json"
    write_synthetic_bag(clean, SceneConfig(height=128, width=160, ir_bits=16), 4)
    with BagWriter(bag) as writer:
        for index, message in enumerate(read_messages(clean)):
            image = ImageMessage.deserialize(message.data)
            array = image.decode()
            if message.topic == "/ir/image":
                payload, fmt = cv2.imencode(".png", array[::2, ::2])[1], "mono16; png compressed "
            else:
                payload, fmt = cv2.imencode(".jpg", array)[1], "bgr8; jpeg compressed bgr8"
            data = payload.tobytes()[:50] if index == 1 else payload.tobytes()
            writer.write_image(message.topic + "/compressed", message.log_ns,
                               CompressedImageMessage(image.stamp_ns, image.frame_id, fmt, data))
    assert bag_topics(bag)["/vis/image/compressed"][0] == "sensor_msgs/msg/CompressedImage"
    assert main(["bag-eval", str(bag), "--ir-topic", "/ir/image/compressed", "--vis-topic",
                 "/vis/image/compressed", "--report", str(report), "--threads", "1",
                 *model_args]) == 0
    result = json.loads(report.read_text())
    assert result["counts"]["bad"] == 1 and "cannot decode" in result["problems"][0]["error"]
    assert result["counts"]["pairs"] == 3 and result["counts"]["ir_resized"] == 3
    assert all(np.isfinite(v) for v in result["mean_metrics"].values())


def test_bag_play_publishes_intact_frames_and_clock(tmp_path, request):
    pytest.importorskip("rclpy", reason="bag-play needs rclpy (ROS 2)")
    request.getfixturevalue("ros_domain")  # leased only when rclpy is there
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from rosgraph_msgs.msg import Clock
    from sensor_msgs.msg import Image

    from textfusion_ros.ros.tools.spun_node import SpunNode

    topics = (f"/bagtest{os.getpid()}/ir/image", f"/bagtest{os.getpid()}/vis/image")
    bag = tmp_path / "bag"
    frames = 15
    write_synthetic_bag(bag, SceneConfig(height=48, width=64, ir_bits=16), frames,
                        ir_topic=topics[0], vis_topic=topics[1])
    expected = {topic: [m for _, m in msgs] for topic, msgs in _images(bag).items()}
    log_times = {message.log_ns for message in read_messages(bag)}
    clock = []

    received = {topic: [] for topic in topics}
    qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    with SpunNode("bag_play_test", join_timeout_s=5) as spun:
        for topic in topics:
            spun.node.create_subscription(Image, topic, received[topic].append, qos)
        spun.node.create_subscription(
            Clock, "/clock", lambda msg: clock.append(msg.clock.sec * 10**9 + msg.clock.nanosec),
            QoSProfile(depth=100, reliability=ReliabilityPolicy.BEST_EFFORT))
        player = subprocess.Popen(
            [sys.executable, "-c",
             "import sys; from textfusion_ros.cli import main; sys.exit(main())",
             "bag-play", str(bag), "--rate", "2", "--wait-for-subscribers", "20", "--clock"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            output, _ = player.communicate(timeout=40)
            assert player.returncode == 0, output
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(len(r) < frames
                                                      for r in received.values()):
                time.sleep(0.05)
        finally:
            if player.poll() is None:
                player.send_signal(signal.SIGINT)
                player.wait(10)
    assert f"published {2 * frames} messages" in output
    for topic in topics:
        assert len(received[topic]) == frames, (topic, output)
        for got, want in zip(received[topic], expected[topic], strict=True):
            stamp = got.header.stamp.sec * 1_000_000_000 + got.header.stamp.nanosec
            assert (stamp, got.header.frame_id, got.encoding) == (
                want.stamp_ns, want.frame_id, want.encoding)
            assert (got.height, got.width, got.step) == (want.height, want.width, want.step)
            assert bytes(got.data) == bytes(want.data)
    # /clock: the bag's log times, in order (best effort: early ones may precede discovery).
    assert clock and set(clock) <= log_times and clock == sorted(clock)
    assert clock[-1] == max(log_times)
