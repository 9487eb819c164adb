"""The node's detections on ROS: `detections` for every fused frame (header of the VIS image,
boxes in fused-image pixels), `detections/image` only while subscribed, detector figures and
prompt-named classes in diagnostics. The detector is a tiny YOLO ONNX built here (fixed
candidates), so the expected boxes are known; the shipped SSD runs in test_ros_demo."""

import array
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from ros_stack import require_ros

rclpy = require_ros()
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from tiny_yolo import to_network, yolo_model  # noqa: E402

from textfusion_interfaces.srv import SetPrompt  # noqa: E402
from textfusion_ros.detection.draw import COLOUR  # noqa: E402
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame  # noqa: E402
from textfusion_ros.ros.detections import (  # noqa: E402
    detection_messages,
    from_detection_array,
)
from textfusion_ros.ros.diagnostics import status_name  # noqa: E402
from textfusion_ros.ros.messages import image_to_array, stamp_ns  # noqa: E402
from textfusion_ros.ros.tools.node_process import FusionNodeProcess  # noqa: E402
from textfusion_ros.ros.tools.spun_node import SpunNode  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NODE = "fusion_node"
TIMEOUT_S = 30.0
HEIGHT, WIDTH, NET = 96, 200, (64, 64)  # asymmetric frame, square network input
PERSON = (40.0, 20.0, 90.0, 90.0)
CAR = (100.0, 50.0, 180.0, 85.0)

if not Path(sys.executable).with_name("fusion_node").exists():
    pytest.skip("fusion_node missing: pip install -e .", allow_module_level=True)


def frame_msg(image: np.ndarray, encoding: str, stamp: int) -> Image:
    msg = Image(height=image.shape[0], width=image.shape[1], encoding=encoding,
                step=image.strides[0])
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
    msg.header.frame_id = "vis_optical"
    msg.data = array.array("B", np.ascontiguousarray(image).tobytes())
    return msg


class Watcher:
    """Publishes pairs; records detections, overlays and diagnostics."""

    def __init__(self, domain_id: int) -> None:
        self.spun = SpunNode("detections_test_driver", domain_id, join_timeout_s=TIMEOUT_S)
        node = self.spun.node
        self.msgs = detection_messages("auto")
        self.cond = threading.Condition()
        self.detections: dict[int, object] = {}
        self.overlays: dict[int, Image] = {}
        self.diag: dict[str, str] = {}
        node.create_subscription(self.msgs.Detection2DArray, "/detections",
                                 self._keep(self.detections), 10)
        node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, 10)
        self.ir_pub = node.create_publisher(Image, "/ir/image", 10)
        self.vis_pub = node.create_publisher(Image, "/vis/image", 10)
        self.set_prompt = node.create_client(SetPrompt, "/set_prompt")
        self.overlay_sub = None

    def _keep(self, store: dict):
        def on_msg(msg) -> None:
            with self.cond:
                store[stamp_ns(msg.header.stamp)] = msg
                self.cond.notify_all()
        return on_msg

    def _on_diag(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name == status_name(f"/{NODE}"):
                with self.cond:
                    self.diag = {kv.key: kv.value for kv in status.values}
                    self.cond.notify_all()

    def subscribe_overlay(self) -> None:
        self.overlay_sub = self.spun.node.create_subscription(
            Image, "/detections/image", self._keep(self.overlays), 10)

    def send(self) -> int:
        ir, vis = generate_frame(SceneConfig(height=HEIGHT, width=WIDTH, ir_bits=16), 0)
        stamp = time.time_ns()
        self.ir_pub.publish(frame_msg(ir, "mono16", stamp))
        self.vis_pub.publish(frame_msg(vis, "bgr8", stamp))
        return stamp

    def exchange(self, store: dict) -> object:
        """Send pairs (once a second) until `store` holds a message of one of them."""
        sent: set[int] = set()
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            sent.add(self.send())
            with self.cond:
                if self.cond.wait_for(lambda: sent & store.keys(), timeout=1.0):
                    return store[max(sent & store.keys())]
        raise AssertionError("nothing came back")

    def wait_diag(self, predicate) -> dict[str, str]:
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self.diag), TIMEOUT_S), self.diag
            return dict(self.diag)


@pytest.fixture(scope="module")
def watched(tmp_path_factory, ros_domain):
    folder = tmp_path_factory.mktemp("yolo")
    rows = []
    for box, class_id in ((PERSON, 0), (CAR, 1)):
        rows.append([*to_network(box, (HEIGHT, WIDTH), NET), *np.eye(3)[class_id] * 0.9])
    model = yolo_model(folder / "tiny.onnx", np.array(rows), "v8", NET,
                       {"names": repr({0: "person", 1: "car", 2: "dog"})})
    env = {"ROS_DOMAIN_ID": str(ros_domain), "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    overrides = {"threads": 1, "detector.threads": 1, "diagnostics_period": 0.2,
                 "detector.model": model,
                 "detector.format": "yolo"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
        patch.setenv("ROS_DOMAIN_ID", str(ros_domain))
        watcher = Watcher(ros_domain)
        log = folder / "fusion_node.log"
        with FusionNodeProcess(REPO / "config" / "fusion.yaml", overrides, log, env) as node:
            deadline = time.monotonic() + 90.0
            while watcher.vis_pub.get_subscription_count() == 0 or \
                    watcher.ir_pub.get_subscription_count() == 0:
                assert node.returncode is None and time.monotonic() < deadline, node.log_tail()
                time.sleep(0.1)
            yield watcher
            assert node.stop() == 0
        watcher.spun.close()


def test_detections_for_every_frame_in_fused_pixels(watched):
    msg = watched.exchange(watched.detections)
    assert msg.header.frame_id == "vis_optical"
    found = from_detection_array(msg)
    assert [d.label for d in found] == ["person", "car"]  # classes filter keeps both
    for det, box in zip(found, (PERSON, CAR), strict=True):
        np.testing.assert_allclose([det.x1, det.y1, det.x2, det.y2], box,
                                   atol=max(HEIGHT, WIDTH) / NET[0])
        assert det.score == pytest.approx(0.9)
    item = msg.detections[0]
    assert item.header == msg.header and item.results[0].hypothesis.class_id == "person"
    values = watched.wait_diag(lambda d: d.get("detection_frames", "0") != "0")
    assert float(values["detector_ms_p50"]) > 0
    assert values["detector"].startswith("yolo")


def test_overlay_only_while_subscribed(watched):
    watched.exchange(watched.detections)
    values = watched.wait_diag(lambda d: int(d.get("detection_frames", "0")) > 0)
    assert values["overlays_published"] == "0"  # nobody subscribed: nothing drawn
    watched.subscribe_overlay()
    overlay = watched.exchange(watched.overlays)
    image = np.asarray(image_to_array(overlay))
    assert image.shape == (HEIGHT, WIDTH, 3)
    amber = (image == np.array(COLOUR, np.uint8)).all(axis=2)
    assert amber.sum() > 2 * (PERSON[3] - PERSON[1])  # at least the box's two sides
    assert int(watched.wait_diag(lambda d: d["overlays_published"] != "0")
               ["overlays_published"]) > 0


def test_prompt_naming_a_class_is_marked(watched):
    assert watched.set_prompt.wait_for_service(timeout_sec=TIMEOUT_S)
    done = threading.Event()
    future = watched.set_prompt.call_async(SetPrompt.Request(prompt="watch for cars"))
    future.add_done_callback(lambda _: done.set())
    assert done.wait(TIMEOUT_S) and future.result().success
    values = watched.wait_diag(lambda d: d.get("prompt_classes") == "car")
    assert values["prompt_classes"] == "car"
    msg = watched.exchange(watched.detections)
    assert [d.label for d in from_detection_array(msg)] == ["car", "person"]  # named first
