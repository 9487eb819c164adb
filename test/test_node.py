"""Integration tests of the fusion node: `fusion_node` runs as a subprocess (once for the
module, in a leased ROS domain) and this process drives it over ROS (publishers, services,
parameters, lifecycle). Tests that end or break a node start their own in a domain of their own.

The node loads its default model (the shipped one) unless TEXTFUSION_TEST_MODEL names another
.safetensors file; without either, conftest's random model stands in.
"""

import array
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest
from ros_stack import require_ros

rclpy = require_ros()
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus  # noqa: E402
from lifecycle_msgs.msg import State, Transition  # noqa: E402
from lifecycle_msgs.srv import ChangeState, GetState  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.parameter_client import AsyncParameterClient  # noqa: E402
from rclpy.qos import ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import CompressedImage, Image  # noqa: E402
from std_msgs.msg import String  # noqa: E402

from textfusion_interfaces.srv import SetPrompt  # noqa: E402
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame  # noqa: E402
from textfusion_ros.memory import FRAME_HEAP_BYTES  # noqa: E402
from textfusion_ros.paths import default_model_path, find_shipped  # noqa: E402
from textfusion_ros.ros.diagnostics import status_name  # noqa: E402
from textfusion_ros.ros.fastdds import (  # noqa: E402
    LEGACY_PROFILE_VARIABLE,
    PROFILE_VARIABLE,
    SHIPPED_PROFILE,
)
from textfusion_ros.ros.messages import image_to_array, stamp_ns  # noqa: E402
from textfusion_ros.ros.tools.domains import lease_domain  # noqa: E402
from textfusion_ros.ros.tools.node_process import FusionNodeProcess  # noqa: E402
from textfusion_ros.ros.tools.spun_node import SpunNode  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PARAMS_FILE = REPO / "config" / "fusion.yaml"
FUSION_NODE = Path(sys.executable).with_name("fusion_node")
MODEL = os.environ.get("TEXTFUSION_TEST_MODEL", "")
NODE = "fusion_node"
TIMEOUT_S = 30.0
WARM, TEXTURE = "highlight warm pedestrians", "preserve visible texture and colour"
FREE_TEXT = "please make the warm bodies glow against the cold night street"  # not in a bank
MS = 1_000_000

if not FUSION_NODE.exists():
    pytest.skip(f"{FUSION_NODE} missing: pip install -e .", allow_module_level=True)


def model_override(request) -> str:
    """The `model` parameter: empty (the default, shipped model) when that model exists."""
    if MODEL:
        return MODEL
    try:
        default_model_path()
    except FileNotFoundError:
        return str(request.getfixturevalue("random_model_path"))
    return ""


def frames(height=128, width=160, ir_bits=16, index=0):
    return generate_frame(SceneConfig(height=height, width=width, ir_bits=ir_bits), index)


def to_msg(image: np.ndarray, encoding: str, stamp: int, frame_id: str) -> Image:
    """Any array → Image with a tight step (test-side encoder, also for 16-bit and float)."""
    msg = Image(height=image.shape[0], width=image.shape[1], encoding=encoding,
                step=image.strides[0] if image.ndim else 0)
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
    msg.header.frame_id = frame_id
    msg.data = array.array("B", np.ascontiguousarray(image).tobytes())
    return msg


class Driver:
    """This process's side: a node spun in a background thread, with helpers that poll."""

    def __init__(self, domain_id: int) -> None:
        self.domain_id = domain_id
        self.spun = SpunNode("fusion_test_driver", domain_id, join_timeout_s=TIMEOUT_S)
        self.node = self.spun.node
        self._cond = threading.Condition()
        self.fused: dict[int, Image] = {}
        self.fused_count = 0
        self._diag: DiagnosticStatus | None = None
        self._stamp = 0
        node = self.node
        self.fused_sub = self.subscribe_fused()
        node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, 10)
        self.set_prompt = node.create_client(SetPrompt, "/set_prompt")
        self.change_state = node.create_client(ChangeState, f"/{NODE}/change_state")
        self.get_state = node.create_client(GetState, f"/{NODE}/get_state")
        self.params = AsyncParameterClient(node, NODE)
        self.ir_pub = self.vis_pub = self.prompt_pub = None

    def subscribe_fused(self):
        return self.node.create_subscription(Image, "/fused/image", self._on_fused, 10)

    def create_publishers(self, ir_topic="/ir/image", vis_topic="/vis/image") -> None:
        """Reliable (default QoS) publishers, as a camera driver would create them; a topic
        ending in /compressed carries CompressedImage, as image_transport publishes it."""
        def kind(topic):
            return CompressedImage if topic.endswith("/compressed") else Image
        self.ir_pub = self.node.create_publisher(kind(ir_topic), ir_topic, 10)
        self.vis_pub = self.node.create_publisher(kind(vis_topic), vis_topic, 10)
        self.prompt_pub = self.node.create_publisher(String, "/prompt", 10)

    def close(self) -> None:
        self.spun.close()

    def _on_fused(self, msg: Image) -> None:
        with self._cond:
            self.fused[stamp_ns(msg.header.stamp)] = msg
            self.fused_count += 1
            while len(self.fused) > 20:
                del self.fused[next(iter(self.fused))]
            self._cond.notify_all()

    def _on_diag(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name == status_name(f"/{NODE}"):
                with self._cond:
                    self._diag = status
                    self._cond.notify_all()

    # -- helpers -----------------------------------------------------------------------------

    def next_stamp(self) -> int:
        self._stamp = max(time.time_ns(), self._stamp + MS)
        return self._stamp

    def send(self, ir, vis, ir_encoding="mono16", vis_encoding="bgr8", stamp=None,
             ir_offset=0, frame_id="vis_optical") -> int:
        """Publish an IR + VIS pair (either may be None); returns the VIS stamp."""
        stamp = self.next_stamp() if stamp is None else stamp
        if ir is not None:
            self.ir_pub.publish(to_msg(ir, ir_encoding, stamp + ir_offset, "ir_optical"))
        if vis is not None:
            self.vis_pub.publish(to_msg(vis, vis_encoding, stamp, frame_id))
        return stamp

    def exchange(self, ir, vis, timeout=TIMEOUT_S, **kwargs) -> Image:
        """Send the pair (again each second, with new stamps) until a fused image of it returns."""
        sent: set[int] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent.add(self.send(ir, vis, **kwargs))
            with self._cond:
                found = self._cond.wait_for(lambda: sent & self.fused.keys(), timeout=1.0)
                if found:
                    return self.fused[max(found)]
        raise AssertionError(f"no fused image within {timeout} s")

    def wait_fused(self, stamps, timeout=TIMEOUT_S) -> Image:
        """The fused image of one of `stamps` (the newest), once it has arrived."""
        with self._cond:
            found = self._cond.wait_for(lambda: set(stamps) & self.fused.keys(), timeout)
            assert found, f"no fused image within {timeout} s"
            return self.fused[max(found)]

    def publish_prompt(self, text: str) -> None:
        wait_until(lambda: self.prompt_pub.get_subscription_count() > 0, TIMEOUT_S,
                   "the node's prompt subscription")
        self.prompt_pub.publish(String(data=text))

    def diag(self) -> DiagnosticStatus | None:
        with self._cond:
            return self._diag

    def wait_diag(self, predicate, timeout=TIMEOUT_S, action=None,
                  fresh=False) -> DiagnosticStatus:
        """Wait for a /diagnostics status (with values as a dict) satisfying `predicate`;
        `action` runs between polls (e.g. to keep publishing); `fresh` ignores statuses
        received before the call."""
        if fresh:
            with self._cond:
                self._diag = None
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if action is not None:
                action()
            status = self.diag()
            if status is not None:
                last = status, {kv.key: kv.value for kv in status.values}
                if predicate(*last):
                    return last
            time.sleep(0.1)
        raise AssertionError(f"diagnostics never matched; last: {last}")

    def call(self, client, request, timeout=TIMEOUT_S):
        assert client.wait_for_service(timeout_sec=timeout), f"{client.srv_name} not available"
        return self.wait_future(client.call_async(request), timeout)

    @staticmethod
    def wait_future(future, timeout=TIMEOUT_S):
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        assert done.wait(timeout), "no response"
        return future.result()

    def transition(self, transition_id: int) -> bool:
        request = ChangeState.Request()
        request.transition.id = transition_id
        return self.call(self.change_state, request).success

    def state(self) -> int:
        return self.call(self.get_state, GetState.Request()).current_state.id

    def set_param(self, name, value, type_=None):
        assert self.params.wait_for_services(timeout_sec=TIMEOUT_S)
        param = Parameter(name, type_, value) if type_ else Parameter(name, value=value)
        return self.wait_future(self.params.set_parameters([param])).results[0]

    def node_sub_reliability(self, topic: str) -> list:
        return [info.qos_profile.reliability
                for info in self.node.get_subscriptions_info_by_topic(topic)
                if info.node_name == NODE]


def wait_until(predicate, timeout=TIMEOUT_S, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def running_node(domain_id: int, log_path: Path, model: str, **overrides):
    """fusion_node in `domain_id` (started before any image publisher exists) and a driver
    whose reliable publishers it has matched; the node is stopped on exit."""
    env = {"ROS_DOMAIN_ID": str(domain_id), "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
           "RCUTILS_COLORIZED_OUTPUT": "0"}
    driver = Driver(domain_id)
    overrides = {"threads": 1, "diagnostics_period": 0.2, "silence_timeout": 1.0, **overrides}
    if model:
        overrides["model"] = model
    process = FusionNodeProcess(PARAMS_FILE, overrides, log_path, env)
    process.start()
    driver.process, driver.log_path, driver.model = process, log_path, model
    try:
        topics = tuple(f"/{camera}/image"
                       + ("/compressed" if overrides.get(f"{camera}_transport") == "compressed"
                          else "") for camera in ("ir", "vis"))

        def subscribed():
            log = log_path.read_text()
            assert process.returncode is None and "autostart failed" not in log, log
            return all(driver.node_sub_reliability(t) for t in topics)

        wait_until(subscribed, 60.0, f"the node's image subscriptions (log: {log_path})")
        driver.initial_qos = [driver.node_sub_reliability(t) for t in topics]
        driver.create_publishers(*topics)
        wait_until(lambda: all(driver.node_sub_reliability(t) == [ReliabilityPolicy.RELIABLE]
                               for t in topics), TIMEOUT_S, "reliable subscriptions")
        yield driver
    finally:
        process.stop(TIMEOUT_S)
        driver.close()


@pytest.fixture(scope="module")
def fusion(tmp_path_factory, request, ros_domain):
    """The module's running node and its driver."""
    log_path = tmp_path_factory.mktemp("node") / "fusion_node.log"
    with running_node(ros_domain, log_path, model_override(request)) as driver:
        yield driver


@pytest.fixture
def own_fusion(tmp_path, request):
    """A node of this test's own, in a domain of its own (for tests that stop or break it);
    indirect parametrisation gives it parameter overrides."""
    overrides = getattr(request, "param", {})
    with lease_domain() as lease, running_node(lease.domain_id, tmp_path / "fusion_node.log",
                                               model_override(request), **overrides) as driver:
        yield driver


def fused_array(msg: Image) -> np.ndarray:
    return np.array(image_to_array(msg))


def test_auto_qos_follows_a_reliable_publisher_that_starts_later(fusion):
    best_effort = [ReliabilityPolicy.BEST_EFFORT]
    assert fusion.initial_qos == [best_effort, best_effort]  # sensor-data QoS without publishers
    # The fixture then waited for RELIABLE on both: check what diagnostics report.
    fusion.wait_diag(lambda s, v: v["ir_qos"] == v["vis_qos"] == "reliable")


@pytest.mark.parametrize("ir_encoding, vis_encoding, fused_encoding", [
    ("mono16", "bgr8", "bgr8"),
    ("mono8", "mono8", "mono8"),
    ("32FC1", "rgb8", "bgr8"),
])
def test_pairs_and_publishes(fusion, ir_encoding, vis_encoding, fused_encoding):
    ir16, vis = frames()
    ir = {"mono16": ir16, "mono8": (ir16 >> 8).astype(np.uint8),
          "32FC1": ir16.astype(np.float32) / 100.0}[ir_encoding]
    if vis_encoding == "mono8":
        vis = vis[..., 1].copy()
    elif vis_encoding == "rgb8":
        vis = vis[..., ::-1].copy()
    msg = fusion.exchange(ir, vis, ir_encoding=ir_encoding, vis_encoding=vis_encoding,
                          ir_offset=5 * MS, frame_id="cam_vis")
    assert (msg.encoding, msg.height, msg.width) == (fused_encoding, 128, 160)
    assert msg.header.frame_id == "cam_vis"
    assert fused_array(msg).shape[:2] == (128, 160)
    status, values = fusion.wait_diag(lambda s, v: int(v["frames_published"]) > 0
                                      and v["overhead_p50_ms"] != "nan")
    assert status.level == DiagnosticStatus.OK and values["backend"] == "onnxruntime"
    assert (values["device"], values["precision"]) == ("cpu", "fp32")  # auto on this CPU
    assert "tensorrt" in values["backend_skipped"]
    assert float(values["inference_p50_ms"]) > 0 and float(values["prepost_p50_ms"]) > 0
    # The worker's time outside the network and the detector: at least the pre/post-processing.
    overhead = float(values["overhead_p50_ms"])
    assert float(values["prepost_p50_ms"]) <= overhead <= float(values["overhead_p99_ms"])
    for key in ("rate_hz", "latency_p50_ms", "latency_p99_ms", "frames_dropped",
                "bad_messages", "time_jumps", "active_prompt", "inference_p99_ms"):
        assert key in values


def test_stamp_of_the_visible_image_is_copied(fusion):
    ir, vis = frames()
    stamp = fusion.send(ir, vis, ir_offset=-7 * MS)
    assert stamp_ns(fusion.wait_fused([stamp]).header.stamp) == stamp


def test_prompt_changes_apply_to_the_next_frame(fusion):
    ir, vis = frames(index=3)
    response = fusion.call(fusion.set_prompt, SetPrompt.Request(prompt=WARM))
    assert response.success and response.active_prompt == WARM, response.message
    warm = fused_array(fusion.exchange(ir, vis))

    response = fusion.call(fusion.set_prompt, SetPrompt.Request(prompt=f"  {TEXTURE} "))
    assert response.success and response.active_prompt == TEXTURE, response.message
    texture = fused_array(fusion.exchange(ir, vis))
    assert not np.array_equal(warm, texture)
    got = fusion.wait_future(fusion.params.get_parameters(["prompt"]))
    assert got.values[0].string_value == TEXTURE  # the parameter mirrors the active prompt

    fusion.publish_prompt(WARM)
    fusion.wait_diag(lambda s, v: v["active_prompt"] == WARM)
    assert np.array_equal(fused_array(fusion.exchange(ir, vis)), warm)

    result = fusion.set_param("prompt", TEXTURE)
    assert result.successful, result.reason
    assert np.array_equal(fused_array(fusion.exchange(ir, vis)), texture)


def test_rejected_prompts_keep_the_active_one(fusion):
    assert fusion.call(fusion.set_prompt, SetPrompt.Request(prompt=WARM)).success
    for prompt, reason in (("", "empty"), ("   ", "empty"), ("warm\x07 bell", "non-printable")):
        response = fusion.call(fusion.set_prompt, SetPrompt.Request(prompt=prompt))
        assert not response.success and reason in response.message, response.message
        assert response.active_prompt == WARM
    result = fusion.set_param("prompt", "")
    assert not result.successful and "empty" in result.reason
    fusion.publish_prompt("tab\x1b escape")
    wait_until(lambda: "non-printable" in fusion.log_path.read_text(), TIMEOUT_S,
               "the rejected topic prompt in the log")
    _, values = fusion.wait_diag(lambda s, v: True, fresh=True)
    assert values["active_prompt"] == WARM


def test_different_sizes_resize_or_homography(fusion):
    ir, vis = frames()
    small_ir = ir[::2, ::2].copy()
    resized = fused_array(fusion.exchange(small_ir, vis))
    assert resized.shape == (128, 160, 3)

    zoom = [4.0, 0.0, -40.0, 0.0, 4.0, -40.0, 0.0, 0.0, 1.0]
    result = fusion.set_param("homography", zoom)
    assert result.successful, result.reason
    try:
        warped = fused_array(fusion.exchange(small_ir, vis))
        assert warped.shape == (128, 160, 3) and not np.array_equal(warped, resized)
        for bad, reason in (([1.0] * 8, "9 numbers"), ([0.0] * 9, "singular")):
            result = fusion.set_param("homography", bad)
            assert not result.successful and reason in result.reason, result.reason
    finally:
        result = fusion.set_param("homography", [], Parameter.Type.DOUBLE_ARRAY)
        assert result.successful, result.reason
    assert np.array_equal(fused_array(fusion.exchange(small_ir, vis)), resized)


def test_bad_inputs_are_counted_and_skipped(fusion):
    ir, vis = frames()
    fusion.exchange(ir, vis)
    _, before = fusion.wait_diag(lambda s, v: True, fresh=True)
    stamp = fusion.next_stamp()
    nan_ir = ir.astype(np.float32)
    nan_ir[5, 5] = np.nan
    bad = [to_msg(ir, "mono16", stamp, "ir"), to_msg(ir, "nv21", stamp, "ir"),
           to_msg(np.zeros((0, 0), np.uint8), "mono8", stamp, "ir"),
           to_msg(nan_ir, "32FC1", stamp, "ir"), to_msg(ir, "mono16", stamp, "ir")]
    bad[0].step = 100  # shorter than a row
    bad[4].data = bad[4].data[:1000]  # truncated
    for msg in bad:
        fusion.ir_pub.publish(msg)
    fusion.vis_pub.publish(to_msg(ir, "mono16", stamp, "vis"))  # VIS must be 8-bit
    expected = int(before["bad_messages"]) + len(bad) + 1
    fusion.wait_diag(lambda s, v: int(v["bad_messages"]) == expected)

    old = fusion.next_stamp()
    fusion.send(ir, vis, stamp=old)
    fusion.send(ir, vis, stamp=old - 10_000_000_000)  # a bag looping back 10 s
    jumps = int(before["time_jumps"])
    fusion.wait_diag(lambda s, v: int(v["time_jumps"]) > jumps)
    assert fusion.exchange(ir, vis).width == 160
    assert fusion.process.returncode is None


def compressed_msg(image: np.ndarray, extension: str, format_: str, stamp: int) -> CompressedImage:
    """A CompressedImage as image_transport's compressed plugin publishes it."""
    msg = CompressedImage(format=format_)
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
    ok, encoded = cv2.imencode(extension, image)
    assert ok
    msg.data = array.array("B", encoded.tobytes())
    return msg


@pytest.mark.parametrize("own_fusion", [{"ir_transport": "compressed",
                                         "vis_transport": "compressed"}], indirect=True)
def test_compressed_transport_subscribes_to_compressed_topics(own_fusion):
    """16-bit PNG thermal and JPEG visible on <topic>/compressed are fused; a damaged payload
    is counted as a bad message and skipped."""
    ir, vis = frames()
    _, before = own_fusion.wait_diag(lambda s, v: True, fresh=True)
    bad = compressed_msg(vis, ".jpg", "bgr8; jpeg compressed bgr8", own_fusion.next_stamp())
    bad.data = bad.data[:40]
    own_fusion.vis_pub.publish(bad)
    own_fusion.wait_diag(lambda s, v: int(v["bad_messages"]) == int(before["bad_messages"]) + 1)
    stamps = []

    def send():
        stamp = own_fusion.next_stamp()
        own_fusion.ir_pub.publish(compressed_msg(ir, ".png", "mono16; png compressed ", stamp))
        own_fusion.vis_pub.publish(
            compressed_msg(vis, ".jpg", "bgr8; jpeg compressed bgr8", stamp))
        stamps.append(stamp)

    own_fusion.wait_diag(lambda s, v: int(v["frames_published"]) > 0, action=send)
    msg = own_fusion.wait_fused(stamps)
    assert (msg.encoding, msg.height, msg.width) == ("bgr8", 128, 160)
    fused, given = fused_array(msg).astype(float), vis.astype(float)
    # Both payloads were decoded: the brightness follows the thermal image (this scene's
    # visible is dim), the colour (blue minus red) the visible one.
    assert np.corrcoef(fused.mean(axis=2).ravel(), ir.ravel())[0, 1] > 0.6
    assert np.corrcoef((fused[..., 0] - fused[..., 2]).ravel(),
                       (given[..., 0] - given[..., 2]).ravel())[0, 1] > 0.6


def test_silent_camera_warns_and_recovers(fusion):
    ir, vis = frames()
    fusion.exchange(ir, vis)
    status, _ = fusion.wait_diag(
        lambda s, v: s.level == DiagnosticStatus.WARN and "IR" in s.message
        and "VIS" not in s.message, action=lambda: fusion.send(None, vis))
    assert "no IR image" in status.message
    fusion.wait_diag(lambda s, v: s.level == DiagnosticStatus.OK and s.message == "fusing",
                     action=lambda: fusion.send(ir, vis))


def test_lifecycle_transitions(fusion):
    ir, vis = frames()
    assert fusion.state() == State.PRIMARY_STATE_ACTIVE
    assert fusion.transition(Transition.TRANSITION_DEACTIVATE)
    assert fusion.state() == State.PRIMARY_STATE_INACTIVE
    _, inactive = fusion.wait_diag(lambda s, v: s.message == "inactive", fresh=True)
    sent = {fusion.send(ir, vis) for _ in range(5)}
    # Negative check without a sleep: three statuses published after the pairs (0.2 s apart)
    # still say inactive with no new frame, and none of the pairs came back fused.
    for _ in range(3):
        _, values = fusion.wait_diag(lambda s, v: s.message == "inactive", fresh=True)
        assert values["frames_published"] == inactive["frames_published"]
    assert not sent & fusion.fused.keys()

    assert fusion.transition(Transition.TRANSITION_ACTIVATE)
    fusion.exchange(ir, vis)
    assert fusion.call(fusion.set_prompt, SetPrompt.Request(prompt=WARM)).success

    assert fusion.transition(Transition.TRANSITION_DEACTIVATE)
    assert fusion.transition(Transition.TRANSITION_CLEANUP)
    assert fusion.state() == State.PRIMARY_STATE_UNCONFIGURED
    assert fusion.transition(Transition.TRANSITION_CONFIGURE)
    assert fusion.transition(Transition.TRANSITION_ACTIVATE)
    assert fusion.exchange(ir, vis).width == 160
    _, values = fusion.wait_diag(lambda s, v: s.message != "inactive")
    assert values["active_prompt"] == WARM  # kept through cleanup by the parameter


def test_large_frames_arrive_intact_with_default_qos(fusion):
    ir, vis = frames(height=1024, width=1280)
    _, before = fusion.wait_diag(lambda s, v: True, fresh=True)
    sent = []
    for _ in range(3):
        sent.append(fusion.send(ir, vis))
        time.sleep(0.2)  # camera-like pacing
    count = {k: int(before[k]) + 3 for k in ("ir_received", "vis_received")}
    _, after = fusion.wait_diag(
        lambda s, v: all(int(v[k]) >= n for k, n in count.items()), timeout=60.0)
    assert after["bad_messages"] == before["bad_messages"]
    msg = fusion.wait_fused(sent, 60.0)
    assert (msg.encoding, msg.height, msg.width) == ("bgr8", 1024, 1280)
    assert len(msg.data) == 1024 * 1280 * 3


def test_the_node_keeps_freed_frame_buffers_for_reuse(fusion):
    """glibc keeps a frame's freed buffers for the next frame in the node's process (the
    mechanism itself: test_bounded_work; its effect at 1280×1024: the README's soak figures)."""
    assert (f"freed frame buffers kept for reuse up to {FRAME_HEAP_BYTES // 2**20} MiB"
            in fusion.log_path.read_text())


def test_the_node_runs_with_the_large_image_shared_memory_segment(fusion):
    """Unless the environment names a Fast DDS profile, the node runs with the shipped one: its
    process maps a shared-memory segment of the profile's size (Fast DDS's default: 512 KB)."""
    if os.environ.get(PROFILE_VARIABLE) or os.environ.get(LEGACY_PROFILE_VARIABLE):
        pytest.skip("this environment names its own Fast DDS profile")
    assert f"Fast DDS profile: {find_shipped(SHIPPED_PROFILE)}" in fusion.log_path.read_text()
    mapped: dict[str, int] = {}
    for line in Path(f"/proc/{fusion.process.pid}/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) == 6 and fields[5].startswith("/dev/shm/fastdds_") and "port" not in line:
            start, end = (int(v, 16) for v in fields[0].split("-"))
            mapped[fields[5]] = mapped.get(fields[5], 0) + end - start
    assert max(mapped.values(), default=0) >= 16 * 2**20, mapped


def test_lazy_work_idles_without_subscribers_and_resumes_at_once(fusion):
    ir, vis = frames()
    fusion.exchange(ir, vis)
    fusion.node.destroy_subscription(fusion.fused_sub)
    wait_until(lambda: not fusion.node.get_subscriptions_info_by_topic("/fused/image"),
               what="the fused subscription to go")
    status, idle = fusion.wait_diag(lambda s, v: s.message == "idle: no subscribers",
                                    action=lambda: fusion.send(ir, vis), fresh=True)
    assert status.level == DiagnosticStatus.OK and status.hardware_id == "none"
    _, later = fusion.wait_diag(lambda s, v: int(v["vis_received"]) > int(idle["vis_received"])
                                + 3, action=lambda: fusion.send(ir, vis), fresh=True)
    assert later["frames_published"] == idle["frames_published"]  # nothing fused meanwhile

    fusion.fused_sub = fusion.subscribe_fused()
    wait_until(lambda: fusion.fused_sub.get_publisher_count() > 0, what="the fused publisher")
    # The node may see the match a moment after this side does: pairs at 10 Hz until one
    # comes back, which must be one of the first two.
    sent = []
    while len(sent) < 50 and not set(sent) & fusion.fused.keys():
        sent.append(fusion.send(ir, vis))
        time.sleep(0.1)
    fusion.wait_fused(sent)
    first = sent.index(min(set(sent) & fusion.fused.keys()))
    assert first <= 1, f"the first fused pair was pair {first} after the subscription"


def test_reconfigure_parameters_are_refused_while_configured(fusion):
    result = fusion.set_param("ir_topic", "/elsewhere")
    assert not result.successful and "only take(s) effect at configure" in result.reason
    assert not fusion.set_param("queue_size", 0).successful  # out of its range
    assert fusion.set_param("homography", [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
                            ).successful  # applies at once


@pytest.mark.parametrize("own_fusion", [{"preload_text_encoder": False, "detector.enabled": False}],
                         indirect=True)
def test_free_text_prompt_loads_the_encoder_while_images_keep_flowing(own_fusion):
    """A prompt outside the model's bank: the node (fresh; neither the preload nor the
    detector's prompt-class matching loaded the encoder at configure) loads the
    text encoder in the service callback while the image callbacks and the worker go on."""
    ir, vis = frames(index=5)
    default = fused_array(own_fusion.exchange(ir, vis))
    assert own_fusion.set_prompt.wait_for_service(timeout_sec=TIMEOUT_S)
    with own_fusion._cond:
        before = own_fusion.fused_count
    future = own_fusion.set_prompt.call_async(SetPrompt.Request(prompt=FREE_TEXT))
    deadline = time.monotonic() + 120.0
    while not future.done():
        assert time.monotonic() < deadline, "no set_prompt response within 120 s"
        own_fusion.send(ir, vis)
        time.sleep(0.05)  # camera-like pacing
    with own_fusion._cond:
        during = own_fusion.fused_count - before
    response = future.result()
    assert response.success and response.active_prompt == FREE_TEXT, response.message
    assert during >= 3, f"only {during} fused frames while the encoder loaded"
    assert not np.array_equal(fused_array(own_fusion.exchange(ir, vis)), default)
    own_fusion.wait_diag(lambda s, v: v["active_prompt"] == FREE_TEXT)


def test_text_encoder_is_preloaded_at_configure(fusion):
    wait_until(lambda: "text encoder preloaded" in fusion.log_path.read_text(), 60.0,
               "the preloaded text encoder in the log")


def test_unreadable_prompts_are_rejected_naming_the_encoder(fusion):
    assert fusion.call(fusion.set_prompt, SetPrompt.Request(prompt=WARM)).success
    for prompt in ("\U0001f525\U0001f642\U0001f697", "红外图像噪声很大，请降噪"):
        response = fusion.call(fusion.set_prompt, SetPrompt.Request(prompt=prompt))
        assert not response.success and response.active_prompt == WARM
        for words in ("not understood", "minilm", "reads English"):
            assert words in response.message, response.message
    result = fusion.set_param("prompt", "红外图像噪声很大")
    assert not result.successful and "not understood" in result.reason


def test_prompt_parameter_holds_the_normalised_prompt(fusion):
    result = fusion.set_param("prompt", f"   {TEXTURE}   ")
    assert result.successful, result.reason
    got = fusion.wait_future(fusion.params.get_parameters(["prompt"]))
    assert got.values[0].string_value == TEXTURE
    fusion.wait_diag(lambda s, v: v["active_prompt"] == TEXTURE)


def test_a_burst_of_prompts_ends_on_the_last_one(fusion):
    prompts = [f"{WARM} number {i}" for i in range(30)]
    fusion.publish_prompt(prompts[0])
    for prompt in prompts[1:]:
        fusion.prompt_pub.publish(String(data=prompt))
    fusion.wait_diag(lambda s, v: v["active_prompt"] == prompts[-1])


def test_bad_stamps_are_counted_apart_and_warned(fusion):
    ir, vis = frames()
    fusion.exchange(ir, vis)
    _, before = fusion.wait_diag(lambda s, v: True, fresh=True)
    year_ns = 365 * 24 * 3600 * 1_000_000_000
    for base in (1_000_000_000, time.time_ns() + 3 * year_ns):  # sec=1; 3 years ahead
        stamps = []
        deadline = time.monotonic() + TIMEOUT_S
        while not set(stamps) & fusion.fused.keys():
            assert time.monotonic() < deadline, "the badly stamped pair was not fused"
            stamps.append(fusion.send(ir, vis, stamp=base + len(stamps) * MS))
            time.sleep(0.3)
    _, after = fusion.wait_diag(
        lambda s, v: int(v["latency_negative"]) > int(before["latency_negative"])
        and int(v["latency_beyond_horizon"]) > int(before["latency_beyond_horizon"]))
    assert float(after["latency_p99_ms"]) < 10_000.0  # the bad samples stay out
    wait_until(lambda: "from this node's clock" in fusion.log_path.read_text(), TIMEOUT_S,
               "the bad-stamp warning in the log")
    fusion.exchange(ir, vis)  # normal stamps again (pairing restarts after the jump)


def test_stamp_gaps_count_missing_frames(fusion):
    ir, vis = frames()
    _, before = fusion.wait_diag(lambda s, v: True, fresh=True)
    assert "ir_lost" in before and "vis_lost" in before  # RMW message_lost counters
    time.sleep(1.2)  # a pause: the gap judgement restarts
    base = time.time_ns()
    indices = list(range(10)) + list(range(13, 16))  # frames 10, 11 and 12 never sent
    for i in indices:
        fusion.send(ir, vis, stamp=base + i * 20 * MS)
        time.sleep(0.02)
    received = {k: int(before[k]) + len(indices) for k in ("ir_received", "vis_received")}
    _, after = fusion.wait_diag(lambda s, v: all(int(v[k]) >= n for k, n in received.items()))
    for camera in ("ir", "vis"):
        assert int(after[f"{camera}_gap_frames"]) - int(before[f"{camera}_gap_frames"]) == 3
    assert after["vis_period_ms"] == "20.0"


def test_rate_reads_zero_once_output_stops(fusion):
    ir, vis = frames()
    fusion.wait_diag(lambda s, v: float(v["rate_hz"]) > 0, action=lambda: fusion.send(ir, vis))
    # Within max(period, two frame intervals): the timing itself is unit-tested (test_stats).
    fusion.wait_diag(lambda s, v: v["rate_hz"] == "0.00", timeout=10.0)


def test_duplicate_node_name_warns(fusion):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=fusion.domain_id)
    try:
        twin = rclpy.create_node(NODE, context=context, start_parameter_services=False,
                                 enable_rosout=False)
        status, _ = fusion.wait_diag(lambda s, v: "named /fusion_node" in s.message)
        assert status.level == DiagnosticStatus.WARN
        wait_until(lambda: "other node(s) named /fusion_node" in fusion.log_path.read_text(),
                   TIMEOUT_S, "the duplicate-name warning in the log")
        twin.destroy_node()
    finally:
        rclpy.try_shutdown(context=context)
    fusion.wait_diag(lambda s, v: "named /fusion_node" not in s.message)


def test_shutdown_transition_ends_the_process(fusion, tmp_path):
    name = "fusion_shutdown_test"
    log_path = tmp_path / "node.log"
    command = [str(FUSION_NODE), "--ros-args", "-r", f"__node:={name}", "-p", "autostart:=false",
               "-p", "preload_text_encoder:=false", "-p", "threads:=1"]
    if fusion.model:
        command += ["-p", f"model:={fusion.model}"]
    env = {**os.environ, "ROS_DOMAIN_ID": str(fusion.domain_id),
           "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        change_state = fusion.node.create_client(ChangeState, f"/{name}/change_state")
        for transition in (Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE):
            request = ChangeState.Request()
            request.transition.id = transition
            assert fusion.call(change_state, request).success, log_path.read_text()
        request = ChangeState.Request()
        request.transition.id = Transition.TRANSITION_ACTIVE_SHUTDOWN
        change_state.call_async(request)  # the answer may race the exit: the exit is the check
        assert process.wait(TIMEOUT_S) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log_path.read_text()


def test_sigint_exits_cleanly(own_fusion):
    """Stops a node of its own, likely while it fuses a frame. The exit does not wait for a
    frame in progress (one 1280x1024 frame takes longer than this bound here)."""
    _, before = own_fusion.wait_diag(lambda s, v: True, fresh=True)
    own_fusion.send(*frames(height=1024, width=1280))
    own_fusion.wait_diag(lambda s, v: int(v["ir_received"]) > int(before["ir_received"]))
    start = time.monotonic()
    assert own_fusion.process.stop(TIMEOUT_S) == 0  # SIGINT, then the exit status
    assert time.monotonic() - start < 5.0, "SIGINT waited for the frame in progress"
    log = own_fusion.log_path.read_text()
    assert "Traceback" not in log and "Failed" not in log, log
