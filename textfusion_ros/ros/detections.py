"""Detections on ROS: Detection2DArray messages (vision_msgs or textfusion_interfaces, same
fields), the lazily drawn `detections/image` overlay, and detector figures for diagnostics."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from types import ModuleType

import numpy as np
from rclpy.lifecycle import LifecycleNode
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from textfusion_ros.config import DetectorConfig, NodeConfig
from textfusion_ros.detection.detector import Detector
from textfusion_ros.detection.draw import draw_detections, order_marked_first
from textfusion_ros.detection.prompt_classes import PromptClassMatcher
from textfusion_ros.detection.tally import count_by_class
from textfusion_ros.detection.types import Detection
from textfusion_ros.ros import qos
from textfusion_ros.ros.messages import array_to_image
from textfusion_ros.ros.worker import LatestWorker
from textfusion_ros.stats import RollingStats
from textfusion_ros.text.embedding import TextEmbedding


def detection_messages(mode: str) -> ModuleType:
    """The message package to publish: vision_msgs.msg or textfusion_interfaces.msg.

    auto takes vision_msgs when importable; asking for vision_msgs without it is an error.
    """
    if mode in ("auto", "vision_msgs"):
        try:
            return importlib.import_module("vision_msgs.msg")
        except ImportError as error:
            if mode == "vision_msgs":
                raise ValueError("detections_msg is vision_msgs but vision_msgs is not "
                                 f"importable ({error}); use auto or textfusion") from error
    return importlib.import_module("textfusion_interfaces.msg")


class DetectionArrays:
    """Builds the Detection2DArray of each frame (either package): one result per detection,
    class name in hypothesis.class_id, box centre and size in pixels; every detection carries
    the frame's header.

    The Detection2D messages are kept and refilled frame after frame: each holds eight nested
    messages (a pose with its covariance among them), and building them anew took ~30 µs per
    detection. A built array is therefore valid until the next `build`: publish it first
    (rclpy serialises a message within `publish`).
    """

    def __init__(self, msgs: ModuleType) -> None:
        self.msgs = msgs
        self._items: list = []

    def build(self, detections: Sequence[Detection], header: Header):
        """`msgs.Detection2DArray` of `detections`, stamped with `header`."""
        while len(self._items) < len(detections):
            item = self.msgs.Detection2D()
            item.results = [self.msgs.ObjectHypothesisWithPose()]
            self._items.append(item)
        items = self._items[:len(detections)]
        for item, det in zip(items, detections, strict=True):
            item.header = header
            hypothesis = item.results[0].hypothesis
            hypothesis.class_id, hypothesis.score = det.label, float(det.score)
            box = item.bbox
            box.center.position.x, box.center.position.y = det.center
            box.size_x, box.size_y = det.size
        return self.msgs.Detection2DArray(header=header, detections=items)


def from_detection_array(msg) -> list[Detection]:
    """A Detection2DArray of either package → detections (first result of each)."""
    detections = []
    for item in msg.detections:
        cx, cy = item.bbox.center.position.x, item.bbox.center.position.y
        w, h = item.bbox.size_x, item.bbox.size_y
        best = item.results[0].hypothesis if item.results else None
        detections.append(Detection(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2,
                                    best.score if best else 0.0, best.class_id if best else ""))
    return detections


class DetectionOutput:
    """Runs the detector on fused frames and publishes `detections` (+ `/image` when watched);
    keeps the classes the active prompt names (`mark`)."""

    def __init__(self, node: LifecycleNode, detector: Detector, config: DetectorConfig,
                 node_config: NodeConfig, encode: Callable[[list[str]], list[TextEmbedding]],
                 prompt: str) -> None:
        self.msgs = detection_messages(node_config.detections_msg)
        self.arrays = DetectionArrays(self.msgs)
        self.detector = detector
        if self.detector.unknown_classes:
            node.get_logger().info(f"detector classes {list(self.detector.unknown_classes)} "
                                   "are not classes of the model: ignored")
        topic = node_config.detections_topic
        self.array_pub = node.create_lifecycle_publisher(self.msgs.Detection2DArray, topic, 10)
        self.image_pub = node.create_lifecycle_publisher(
            Image, f"{topic}/image", qos.image_qos(ReliabilityPolicy.RELIABLE,
                                                   node_config.qos_depth))
        self.detector_ms = RollingStats(node_config.stats_window)
        self.frames = self.total = self.overlays = 0
        self.last_counts: dict[str, int] = {}
        # The text encoder loads here (configure), so that a new prompt takes milliseconds.
        matcher = PromptClassMatcher(encode, config.classes, config.prompt_class_threshold)
        logger = node.get_logger()
        self.marked: tuple[str, ...] = ()
        try:
            self.marked = matcher.match(prompt)
        except Exception as exc:  # a broken text encoder must not stop fusion or detection
            logger.warning(f"prompt-named detector classes are off until the text encoder "
                           f"works: {exc}")
        self._marker = LatestWorker(
            lambda text: setattr(self, "marked", matcher.match(text)),
            lambda error: logger.error(f"matching the prompt to detector classes failed: {error}"),
            "prompt_classes")
        self._marker.start()

    def publishers(self) -> list:
        """The detection outputs (lazy work counts their subscribers too)."""
        return [self.array_pub, self.image_pub]

    def mark(self, prompt: str) -> None:
        """Find the classes a new prompt names, off the calling thread (newest prompt wins)."""
        self._marker.put(prompt)

    def process(self, fused: np.ndarray, header: Header) -> list[Detection]:
        """Detect on one fused frame and publish; the overlay only while someone subscribes."""
        begin = time.perf_counter()
        detections = self.detector.detect(fused)
        self.detector_ms.add((time.perf_counter() - begin) * 1e3)
        marked = self.marked
        detections = order_marked_first(detections, marked)
        self.array_pub.publish(self.arrays.build(detections, header))
        if self.image_pub.get_subscription_count() > 0:
            self.image_pub.publish(array_to_image(draw_detections(fused, detections, marked),
                                                  header))
            self.overlays += 1
        self.frames, self.total = self.frames + 1, self.total + len(detections)
        self.last_counts = count_by_class(detections)
        return detections

    def diagnostics(self) -> dict[str, object]:
        """Detector time and detections per frame, last frame's classes, prompt-named classes."""
        return {
            "detector": f"{self.detector.name} ({self.msgs.__name__.split('.')[0]})",
            "detector_ms_p50": _fmt(self.detector_ms.p50),
            "detector_ms_p99": _fmt(self.detector_ms.p99),
            "detection_frames": self.frames,
            "detections_per_frame_mean": _fmt(self.total / self.frames if self.frames
                                              else float("nan")),
            "detections_last_frame": ", ".join(f"{k} {v}" for k, v in self.last_counts.items())
            or "none",
            "prompt_classes": ", ".join(self.marked) or "none",
            "overlays_published": self.overlays,
        }

    def destroy(self, node: LifecycleNode) -> None:
        self._marker.stop()
        node.destroy_lifecycle_publisher(self.array_pub)
        node.destroy_lifecycle_publisher(self.image_pub)


def _fmt(value: float) -> str:
    return "nan" if np.isnan(value) else f"{value:.1f}"
