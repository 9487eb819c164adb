"""The demo's side of the ROS graph: camera publishers, fused-image and diagnostics recorder,
set_prompt and lifecycle clients, in an rclpy context of its own spun by a background thread."""

from __future__ import annotations

import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import State
from lifecycle_msgs.srv import GetState
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

from textfusion_interfaces.srv import SetPrompt
from textfusion_ros.bags.io import ImageMessage
from textfusion_ros.demo.live_report import DiagnosticsSample, FusedFrame, PromptCall
from textfusion_ros.detection.types import Detection
from textfusion_ros.ros.detections import detection_messages, from_detection_array
from textfusion_ros.ros.diagnostics import status_name
from textfusion_ros.ros.messages import stamp_ns
from textfusion_ros.ros.tools.spun_node import SpunNode

IR_TOPIC, VIS_TOPIC, FUSED_TOPIC = "/ir/image", "/vis/image", "/fused/image"
DETECTIONS_TOPIC = "/detections"
QUEUE_DEPTH = 10


class DemoClient(SpunNode):
    """Publishes reliable IR/VIS images and records what `node_name` sends back (thread-safe);
    `close()` (or leaving a `with` block) stops it."""

    def __init__(self, domain_id: int, node_name: str = "fusion_node") -> None:
        super().__init__("textfusion_demo", domain_id)
        self.node_name = node_name
        node = self.node
        reliable = QoSProfile(depth=QUEUE_DEPTH, reliability=ReliabilityPolicy.RELIABLE)
        self.publishers = {topic: node.create_publisher(Image, topic, reliable)
                           for topic in (IR_TOPIC, VIS_TOPIC)}
        self._fused_sub = node.create_subscription(Image, FUSED_TOPIC, self._on_fused, reliable,
                                                   raw=True)
        node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics,
                                 QUEUE_DEPTH)
        node.create_subscription(detection_messages("auto").Detection2DArray, DETECTIONS_TOPIC,
                                 self._on_detections, QUEUE_DEPTH)
        self._set_prompt = node.create_client(SetPrompt, "/set_prompt")
        self._get_state = node.create_client(GetState, f"/{node_name}/get_state")
        self._lock = threading.Lock()
        self._fused: list[FusedFrame] = []
        self._diagnostics: list[DiagnosticsSample] = []
        self._detections: dict[int, list[Detection]] = {}
        self._prompt_done = threading.Event()

    # Recording ---------------------------------------------------------------------------

    def _on_fused(self, raw: bytes) -> None:
        received_ns = time.time_ns()
        frame = FusedFrame(ImageMessage.deserialize(raw).stamp_ns, received_ns, raw)
        with self._lock:
            self._fused.append(frame)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        received_ns = time.time_ns()
        for status in msg.status:
            if status.name == status_name(f"/{self.node_name}"):
                sample = DiagnosticsSample(received_ns, status.message,
                                           {kv.key: kv.value for kv in status.values})
                with self._lock:
                    self._diagnostics.append(sample)

    def _on_detections(self, msg) -> None:
        detections = from_detection_array(msg)
        with self._lock:
            self._detections[stamp_ns(msg.header.stamp)] = detections

    def detections(self) -> dict[int, list[Detection]]:
        """Detections received, by the (VIS) stamp of their frame."""
        with self._lock:
            return dict(self._detections)

    def fused(self) -> list[FusedFrame]:
        with self._lock:
            return list(self._fused)

    def diagnostics(self) -> list[DiagnosticsSample]:
        with self._lock:
            return list(self._diagnostics)

    # The node ----------------------------------------------------------------------------

    def missing(self) -> list[str]:
        """What keeps the node from taking part yet (empty when it is ready): lifecycle state,
        reliable image subscriptions, the fused publisher, the set_prompt service."""
        missing = []
        if not self._is_active():
            missing.append(f"{self.node_name} in state active")
        for topic, publisher in self.publishers.items():
            reliable = [info for info in self.node.get_subscriptions_info_by_topic(topic)
                        if info.node_name == self.node_name
                        and info.qos_profile.reliability == ReliabilityPolicy.RELIABLE]
            if not reliable or publisher.get_subscription_count() == 0:
                missing.append(f"a reliable subscription on {topic}")
        if self._fused_sub.get_publisher_count() == 0:
            missing.append(f"a publisher on {FUSED_TOPIC}")
        if not self._set_prompt.service_is_ready():
            missing.append("the set_prompt service")
        return missing

    def _is_active(self, timeout: float = 1.0) -> bool:
        if not self._get_state.service_is_ready():
            return False
        done = threading.Event()
        future = self._get_state.call_async(GetState.Request())
        future.add_done_callback(lambda _: done.set())
        if not done.wait(timeout):
            future.cancel()
            return False
        return future.result().current_state.id == State.PRIMARY_STATE_ACTIVE

    def request_prompt(self, prompt: str, frame: int) -> PromptCall:
        """Send a set_prompt request (without waiting); the returned call fills in when the
        response arrives (see `wait_prompt`)."""
        call = PromptCall(prompt, frame, time.time_ns())
        self._prompt_done.clear()
        future = self._set_prompt.call_async(SetPrompt.Request(prompt=prompt))

        def on_done(_) -> None:
            call.responded_ns = time.time_ns()
            response = future.result()
            call.success, call.message = response.success, response.message
            call.active_prompt = response.active_prompt
            self._prompt_done.set()

        future.add_done_callback(on_done)
        return call

    def wait_prompt(self, timeout: float) -> bool:
        """Wait for the response to the last `request_prompt`; False on timeout."""
        return self._prompt_done.wait(timeout)
