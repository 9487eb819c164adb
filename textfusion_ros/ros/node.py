"""The fusion node: a managed (lifecycle) node turning IR + VIS image pairs into fused images.

configure loads the model, activate subscribes and starts the worker, deactivate stops both,
cleanup frees the model. Image callbacks only wrap the received bytes and pair them (each
camera in a callback group of its own, so neither waits for the other); one worker thread,
at a lower CPU priority than the input path (`worker_nice`), fuses the newest pair. The prompt
comes from the `set_prompt` service, the prompt topic or the `prompt` parameter, all validated
by the pipeline.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import NoReturn

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.event_handler import QoSMessageLostInfo, SubscriptionEventCallbacks
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.qos import ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import String

from textfusion_interfaces.srv import SetPrompt
from textfusion_ros.config import DetectorConfig, FusionConfig, NodeConfig
from textfusion_ros.detection.detector import create_detector, shipped_detector
from textfusion_ros.imaging.bounding import bounded_size
from textfusion_ros.imaging.image_codec import AgcConfig, BadImageError
from textfusion_ros.imaging.registration import align_ir_to_vis, parse_homography
from textfusion_ros.memory import (
    FRAME_HEAP_BYTES,
    GIB,
    MIB,
    available_memory_bytes,
    keep_freed_buffers,
    release_free_memory,
)
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.ros import qos
from textfusion_ros.ros.detections import DetectionOutput
from textfusion_ros.ros.diagnostics import OK, HealthRules, status_name
from textfusion_ros.ros.executor import DrainingExecutor
from textfusion_ros.ros.fastdds import choose_profile
from textfusion_ros.ros.lazy import anyone_subscribed
from textfusion_ros.ros.messages import (
    array_to_image,
    compressed_to_array,
    diagnostic_array,
    image_to_array,
    stamp_ns,
)
from textfusion_ros.ros.monitor import CAMERAS, FusionMonitor, format_ms
from textfusion_ros.ros.params import (
    DETECTOR_PREFIX,
    declare_dataclass,
    read_dataclass,
    reconfigure_needed,
    validate_at_set_time,
)
from textfusion_ros.ros.priority import call_lowering_new_threads
from textfusion_ros.ros.worker import LatestWorker
from textfusion_ros.stats import RollingStats
from textfusion_ros.sync import ApproximateTimeSync
from textfusion_ros.text import PromptRejected, validate_prompt

IR, VIS = 0, 1
SUCCESS = TransitionCallbackReturn.SUCCESS
_SPIN_TIMEOUT_S = 0.2  # how soon a signal ends the spin loop
_EXIT_WAIT_S = 0.3  # how long the exit waits for work in progress (SIGINT served within 1 s)
_PRELOAD_MIN_MEMORY = 4 * GIB


class FusionNode(LifecycleNode):
    """Lifecycle node: parameters = FusionConfig + NodeConfig fields."""

    def __init__(self, node_name: str = "fusion_node", **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        declare_dataclass(self, FusionConfig)
        declare_dataclass(self, NodeConfig)
        declare_dataclass(self, DetectorConfig, DETECTOR_PREFIX)
        self.add_pre_set_parameters_callback(_normalise_prompt_parameter)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.finished = threading.Event()  # set by the shutdown transition: the process ends
        # One group per camera: a camera's messages arrive in order, and neither camera's
        # callbacks wait behind the other's (which skewed the pairing queues).
        self._image_groups = (MutuallyExclusiveCallbackGroup(), MutuallyExclusiveCallbackGroup())
        self._config = NodeConfig()
        self._homography: np.ndarray | None = None
        # Created by configure, released by cleanup.
        self._pipeline: FusionPipeline | None = None
        self._sync: ApproximateTimeSync | None = None
        self._monitor: FusionMonitor | None = None
        self._health: HealthRules | None = None
        self._worker: LatestWorker | None = None
        self._detections: DetectionOutput | None = None
        self._fused_pub = self._diag_pub = self._diag_timer = None
        self._prompt_srv = self._prompt_sub = None
        # Created by activate, destroyed by deactivate.
        self._subs: list = [None, None]
        self._reliability: list[ReliabilityPolicy | None] = [None, None]
        self._qos_timer = None
        self._trim_pending = False  # the heap is trimmed at the next diagnostics report
        self._closing = False
        self._preload: threading.Thread | None = None
        self._duplicate_warning: str | None = None

    # Lifecycle ---------------------------------------------------------------------------

    def autostart(self) -> bool:
        """configure then activate; False (reason logged) when a step fails."""
        return self.trigger_configure() == SUCCESS and self.trigger_activate() == SUCCESS

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self._configure()
        except Exception as error:  # a bad model or parameter must not crash
            self.get_logger().error(f"configure failed: {error}")
            self._release()
            return TransitionCallbackReturn.FAILURE
        return super().on_configure(state)

    def _configure(self) -> None:
        fusion = read_dataclass(self, FusionConfig)
        config = read_dataclass(self, NodeConfig)
        homography = parse_homography(config.homography)
        # The inference runtime's thread pools run at the worker's priority.
        pipeline = call_lowering_new_threads(lambda: FusionPipeline(fusion), config.worker_nice)
        self._pipeline, self._config, self._homography = pipeline, config, homography
        if fusion.prompt and fusion.prompt != pipeline.active_prompt:  # store it normalised
            self.set_parameters([Parameter("prompt", Parameter.Type.STRING,
                                           pipeline.active_prompt)])
        self._sync = ApproximateTimeSync(config.queue_size, config.slop,
                                         config.time_jump_threshold)
        self._monitor = FusionMonitor(config.stats_window, config.silence_timeout,
                                      latency_horizon_s=config.latency_horizon,
                                      rate_idle_s=config.diagnostics_period)
        self._health = HealthRules(config.silence_timeout)
        self._overhead_ms = RollingStats(config.stats_window)
        self._worker = LatestWorker(self._process, self._on_worker_error, "fusion_worker",
                                    nice=config.worker_nice)
        self._fused_pub = self.create_lifecycle_publisher(
            Image, config.fused_topic, qos.image_qos(ReliabilityPolicy.RELIABLE,
                                                      config.qos_depth))
        self._diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._diag_timer = self.create_timer(config.diagnostics_period,
                                             self._publish_diagnostics)
        self._prompt_srv = self.create_service(SetPrompt, "set_prompt", self._on_prompt_service)
        self._prompt_sub = self.create_subscription(String, config.prompt_topic,
                                                    self._on_prompt_topic, qos.PROMPT_QOS)
        detector = read_dataclass(self, DetectorConfig, prefix=DETECTOR_PREFIX)
        self._configure_detections(detector, config)
        self.get_logger().info(
            f"configured: model {pipeline.model_path}, backend {pipeline.choice.summary()}, "
            f"prompt {pipeline.active_prompt!r}")
        if config.preload_text_encoder:
            self._start_preload(pipeline)

    def _start_preload(self, pipeline: FusionPipeline) -> None:
        """Load the text encoder on a background thread (images flow meanwhile)."""
        available = available_memory_bytes()
        if available is not None and available < _PRELOAD_MIN_MEMORY:
            self.get_logger().info(
                f"text encoder not preloaded: {available / GIB:.1f} GB of memory available "
                f"(< {_PRELOAD_MIN_MEMORY / GIB:.0f} GB); it loads with the first new prompt")
            return

        def preload() -> None:
            start = time.monotonic()
            try:
                pipeline.prompts.load_encoder()
            except Exception as error:  # reported again by the first prompt that needs it
                self.get_logger().warning(f"preloading the text encoder failed: {error}")
                return
            self.get_logger().info(
                f"text encoder preloaded in {time.monotonic() - start:.1f} s")

        self._preload = threading.Thread(target=preload, name="text_encoder_preload",
                                         daemon=True)
        self._preload.start()

    def _configure_detections(self, detector: DetectorConfig, config: NodeConfig) -> None:
        if not detector.enabled:
            return
        if not detector.model and shipped_detector() is None:
            self.get_logger().warning("the shipped detector is not installed and no "
                                      "detector.model is set: detection is off")
            return
        model = call_lowering_new_threads(lambda: create_detector(detector), config.worker_nice)
        self._detections = DetectionOutput(self, model, detector, config,
                                           self._pipeline.prompts.encode,
                                           self._pipeline.active_prompt)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        result = super().on_activate(state)  # enables the fused publisher first
        self._monitor.activated()
        self._worker.start()
        for camera in (IR, VIS):
            publishers = self.get_publishers_info_by_topic(
                self.resolve_topic_name(self._topic(camera)))
            self._subscribe(camera, qos.select_reliability(self._config.reliability,
                                                           publishers))
        if self._config.reliability == "auto":
            self._qos_timer = self.create_timer(self._config.qos_check_period,
                                                self._follow_publishers)
        self._check_unique_name()
        self.get_logger().info(
            "active: " + ", ".join(f"{CAMERAS[c]} {self._subs[c].topic_name} "
                                   f"({_label(self._reliability[c])})" for c in (IR, VIS))
            + f" -> {self._fused_pub.topic_name}")
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_processing()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.close()
        self.finished.set()
        return super().on_shutdown(state)

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.get_logger().error(f"error in state {state.label}: releasing everything")
        self.close()
        return SUCCESS

    def close(self, timeout: float | None = None) -> bool:
        """Stop processing and free the model, whatever the state (used on exit). Waits at most
        `timeout` s for the frame in progress, whose result is then not published; False when
        work (a frame, the encoder preload) is still running."""
        self._closing = True
        idle = self._stop_processing(timeout)
        self._release()
        self._closing = False
        return idle and (self._preload is None or not self._preload.is_alive())

    def _stop_processing(self, timeout: float | None = None) -> bool:
        if self._qos_timer is not None:
            self.destroy_timer(self._qos_timer)
            self._qos_timer = None
        for camera in (IR, VIS):
            if self._subs[camera] is not None:
                self.destroy_subscription(self._subs[camera])
            self._subs[camera], self._reliability[camera] = None, None
        if self._worker is None:
            return True
        idle = self._worker.stop(timeout)
        self._sync.reset()
        self._monitor.deactivated()
        return idle

    def _release(self) -> None:
        if self._detections is not None:
            self._detections.destroy(self)
            self._detections = None
        for entity, destroy in ((self._diag_timer, self.destroy_timer),
                                (self._diag_pub, self.destroy_publisher),
                                (self._fused_pub, self.destroy_lifecycle_publisher),
                                (self._prompt_srv, self.destroy_service),
                                (self._prompt_sub, self.destroy_subscription)):
            if entity is not None:
                destroy(entity)
        self._fused_pub = self._diag_pub = self._diag_timer = None
        self._prompt_srv = self._prompt_sub = None
        self._pipeline = self._sync = self._monitor = self._worker = self._health = None

    # Images ------------------------------------------------------------------------------

    def _output_publishers(self) -> list:
        """The outputs whose subscribers make the node work (lazy work)."""
        if self._detections is None:
            return [self._fused_pub]
        return [self._fused_pub, *self._detections.publishers()]

    def _compressed(self, camera: int) -> bool:
        transport = self._config.vis_transport if camera == VIS else self._config.ir_transport
        return transport == "compressed"

    def _topic(self, camera: int) -> str:
        """The camera's topic; `<topic>/compressed` on the compressed transport."""
        topic = self._config.vis_topic if camera == VIS else self._config.ir_topic
        return topic.rstrip("/") + "/compressed" if self._compressed(camera) else topic

    def _subscribe(self, camera: int, reliability: ReliabilityPolicy) -> None:
        if self._subs[camera] is not None:
            self.destroy_subscription(self._subs[camera])
        self._subs[camera] = self.create_subscription(
            CompressedImage if self._compressed(camera) else Image, self._topic(camera),
            lambda msg: self._on_image(camera, msg),
            qos.image_qos(reliability, self._config.qos_depth),
            callback_group=self._image_groups[camera],
            event_callbacks=SubscriptionEventCallbacks(
                message_lost=lambda info: self._on_lost(camera, info)))
        self._reliability[camera] = reliability

    def _follow_publishers(self) -> None:
        """Re-subscribe a camera whose publishers now call for another reliability."""
        for camera in (IR, VIS):
            sub = self._subs[camera]
            if sub is None:
                continue
            wanted = qos.select_reliability(
                self._config.reliability, self.get_publishers_info_by_topic(sub.topic_name),
                self._reliability[camera])
            if wanted != self._reliability[camera]:
                self.get_logger().info(
                    f"{CAMERAS[camera]} subscription on {sub.topic_name} switches to "
                    f"{_label(wanted)} to match its publishers")
                self._subscribe(camera, wanted)

    def _on_image(self, camera: int, msg: Image | CompressedImage) -> None:
        """Decode and pair only; the worker does the rest."""
        sync, monitor, worker = self._sync, self._monitor, self._worker
        if worker is None:  # a message still in flight after cleanup
            return
        monitor.on_message(camera, stamp_ns(msg.header.stamp))
        if not anyone_subscribed(self._output_publishers()):
            return  # lazy: nobody listens, so nothing is decoded or fused
        try:
            compressed = isinstance(msg, CompressedImage)
            image = compressed_to_array(msg) if compressed else image_to_array(msg)
            if camera == VIS and image.dtype != np.uint8:
                raise BadImageError("visible images must be 8-bit, not "
                                    + (f"{image.dtype} ({msg.format})" if compressed
                                       else msg.encoding))
        except BadImageError as error:
            monitor.on_bad_message()
            self.get_logger().warning(f"skipping a bad {CAMERAS[camera]} image: {error}",
                                      throttle_duration_sec=self._config.log_throttle)
            return
        jumps = sync.time_jumps
        pair = sync.add(camera, stamp_ns(msg.header.stamp), (image, msg.header))
        if sync.time_jumps != jumps:
            self.get_logger().warning(
                f"{CAMERAS[camera]} stamp jumped back (bag loop or clock reset): "
                "pairing restarted", throttle_duration_sec=self._config.log_throttle)
        if pair is not None:
            worker.put(pair)

    def _on_lost(self, camera: int, info: QoSMessageLostInfo) -> None:
        """The middleware lost messages of a camera before they reached the callback."""
        monitor = self._monitor
        if monitor is not None:
            monitor.on_lost(camera, info.total_count_change)

    def _process(self, pair: tuple) -> None:
        """Worker thread: align, fuse, publish one synchronized pair (not when closing)."""
        begin = time.perf_counter()
        (ir, _), (vis, header) = pair[1], pair[3]
        pipeline, publisher, monitor = self._pipeline, self._fused_pub, self._monitor
        ir = align_ir_to_vis(ir, vis.shape, self._homography)
        fused = pipeline.fuse(ir, vis)
        if self._closing:
            return
        publisher.publish(array_to_image(fused, header))
        latency_ns = self.get_clock().now().nanoseconds - stamp_ns(header.stamp)
        if not monitor.on_published(latency_ns / 1e6) and not self._use_sim_time():
            self.get_logger().warning(
                f"fused a frame stamped {latency_ns / 1e9:+.1f} s from this node's clock "
                f"(beyond latency_horizon {self._config.latency_horizon} s, or in the future): "
                "check the camera's clock; its latency is kept out of the statistics",
                throttle_duration_sec=self._config.log_throttle)
        models_ms = pipeline.inference_ms.last
        if self._detections is not None:
            self._detections.process(fused, header)
            models_ms += self._detections.detector_ms.last
        self._overhead_ms.add((time.perf_counter() - begin) * 1e3 - models_ms)
        if bounded_size(*fused.shape[:2], pipeline.config.max_pixels) is not None:
            self._trim_pending = True  # once the frame's messages are freed too

    def _use_sim_time(self) -> bool:
        return bool(self.get_parameter("use_sim_time").value)

    def _on_worker_error(self, error: BaseException) -> None:
        monitor = self._monitor
        if monitor is None or self._closing:  # the node is closing: nothing to report
            return
        monitor.on_error()
        self.get_logger().warning(f"fusing a pair failed: {error}",
                                  throttle_duration_sec=self._config.log_throttle)

    def _check_unique_name(self) -> None:
        """Warn (log line + diagnostics) while another node has this node's full name."""
        name, namespace = self.get_name(), self.get_namespace()
        count = self.get_node_names_and_namespaces().count((name, namespace))
        warning = None
        if count > 1:
            full_name = self.get_fully_qualified_name()
            warning = (f"{count - 1} other node(s) named {full_name} on the graph: "
                       "services, topics and parameters of that name reach both")
        if warning and not self._duplicate_warning:
            self.get_logger().warning(warning)
        self._duplicate_warning = warning

    def _publish_diagnostics(self) -> None:
        pipeline, worker = self._pipeline, self._worker
        if pipeline is None or worker is None:
            return
        if self._trim_pending:  # a large frame went through since the last report
            self._trim_pending = False
            release_free_memory()
        if self._subs[IR] is not None:  # active
            self._check_unique_name()
        report = self._monitor.report(
            self._sync.dropped, worker.dropped, self._sync.time_jumps,
            {"backend": pipeline.choice.backend, "device": pipeline.choice.device,
             "precision": pipeline.choice.precision,
             "backend_skipped": "; ".join(pipeline.choice.skipped) or "none",
             "inference_p50_ms": format_ms(pipeline.inference_ms.p50),
             "inference_p99_ms": format_ms(pipeline.inference_ms.p99),
             "prepost_p50_ms": format_ms(pipeline.prepost_ms.p50),
             "overhead_p50_ms": format_ms(self._overhead_ms.p50),
             "overhead_p99_ms": format_ms(self._overhead_ms.p99),
             "late_partners": self._sync.late_partners,
             "active_prompt": pipeline.active_prompt,
             "ir_qos": _label(self._reliability[IR]), "vis_qos": _label(self._reliability[VIS]),
             **(self._detections.diagnostics() if self._detections is not None else {})},
            [self._duplicate_warning] if self._duplicate_warning else [])
        health = self._health.assess(report, not anyone_subscribed(self._output_publishers()))
        if health.level != OK:
            self.get_logger().warning(health.message,
                                      throttle_duration_sec=self._config.log_throttle)
        self._diag_pub.publish(diagnostic_array(
            self.get_clock().now().to_msg(), status_name(self.get_fully_qualified_name()),
            self._config.hardware_id, bytes([health.level]), health.message, report.values))

    # Prompt ------------------------------------------------------------------------------

    def _set_prompt(self, text: str, source: str) -> tuple[bool, str]:
        """Apply a prompt through the pipeline; (success, message). The old one stays on error."""
        try:
            active = self._pipeline.set_prompt(text)
        except PromptRejected as error:
            return False, f"prompt rejected: {error}"
        except Exception as error:  # e.g. the text encoder failed to load
            self.get_logger().error(f"prompt from {source} could not be applied: {error}")
            return False, f"prompt could not be applied: {error}"
        self.set_parameters([Parameter("prompt", Parameter.Type.STRING, active)])
        self._mark_prompt_classes()
        self.get_logger().info(f"prompt set by {source}: {active!r}")
        return True, f"prompt set: {active!r}"

    def _on_prompt_service(self, request: SetPrompt.Request,
                           response: SetPrompt.Response) -> SetPrompt.Response:
        response.success, response.message = self._set_prompt(request.prompt, "service")
        response.active_prompt = self._pipeline.active_prompt
        return response

    def _on_prompt_topic(self, msg: String) -> None:
        success, message = self._set_prompt(msg.data, "topic")
        if not success:
            self.get_logger().warning(
                f"{message}; keeping {self._pipeline.active_prompt!r}")

    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        """Validate every change; `prompt` and `homography` apply at once."""
        changes = {param.name: param.value for param in params}
        if self._pipeline is not None and (needed := reconfigure_needed(changes)):
            return SetParametersResult(successful=False, reason=(
                f"{', '.join(needed)} only take(s) effect at configure: deactivate and clean up "
                "the node, set it, then configure again"))
        try:
            fusion = read_dataclass(self, FusionConfig, changes)
            validate_at_set_time(fusion, changes)
            AgcConfig(fusion.agc_low_percentile, fusion.agc_high_percentile)
            homography = parse_homography(read_dataclass(self, NodeConfig, changes).homography)
            read_dataclass(self, DetectorConfig, changes, DETECTOR_PREFIX)
            if "prompt" in changes:
                self._apply_prompt_parameter(changes["prompt"], fusion.max_prompt_chars)
        except Exception as error:  # PromptRejected, HomographyError, ...
            return SetParametersResult(successful=False, reason=str(error))
        if "homography" in changes:
            self._homography = homography
        return SetParametersResult(successful=True)

    def _apply_prompt_parameter(self, text: str, max_chars: int) -> None:
        if self._pipeline is None:  # used at the next configure; empty = model default
            if text:
                validate_prompt(text, max_chars)
        elif text != self._pipeline.active_prompt:
            self._pipeline.set_prompt(text)
            self.get_logger().info(f"prompt set by parameter: {self._pipeline.active_prompt!r}")
            self._mark_prompt_classes()

    def _mark_prompt_classes(self) -> None:
        if self._detections is not None:
            self._detections.mark(self._pipeline.active_prompt)


def _normalise_prompt_parameter(params: list[Parameter]) -> list[Parameter]:
    """Pre-set callback: a `prompt` value is stored as it will be applied (outer whitespace
    stripped); an invalid one is left as given for `_on_set_parameters` to reject."""
    normalised = []
    for param in params:
        if param.name == "prompt" and isinstance(param.value, str) and param.value.strip():
            param = Parameter("prompt", Parameter.Type.STRING, param.value.strip())
        normalised.append(param)
    return normalised


def _label(reliability: ReliabilityPolicy | None) -> str:
    return "none" if reliability is None else reliability.name.lower()


def main(args: list[str] | None = None) -> NoReturn:
    """Console script `fusion_node`: run until SIGINT/SIGTERM or the lifecycle shutdown
    transition, then stop cleanly and end the process (exit status 0).

    rclpy's own signal handlers are off: they would invalidate the context while the worker
    may still publish. Here a signal only ends the spin loop; the node and rclpy shut down in
    order, waiting at most 0.3 s for a frame or callback in progress (work still running then is
    abandoned, its result unpublished). The process then ends without the interpreter's
    teardown, which takes seconds once torch and a model are loaded: SIGINT is served within 1 s.
    """
    profile = choose_profile(os.environ)  # before the first participant exists
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    kept = keep_freed_buffers()  # a frame's buffers are reused, not faulted in each frame
    node = FusionNode()
    node.get_logger().info(f"Fast DDS profile: {profile}")
    if kept:
        node.get_logger().info(f"freed frame buffers kept for reuse up to "
                               f"{FRAME_HEAP_BYTES // MIB} MiB")
    executor = DrainingExecutor(num_threads=3)
    executor.add_node(node)
    try:
        if node.get_parameter("autostart").value and not node.autostart():
            node.get_logger().error("autostart failed; waiting for lifecycle transitions")
        while not stop.is_set() and not node.finished.is_set() and rclpy.ok():
            executor.spin_once(timeout_sec=_SPIN_TIMEOUT_S)
    finally:
        # Ctrl-C reaches the node twice under ros2 launch (the terminal's, then launch's). Python
        # restores the default handler while it exits, so a late second SIGINT would kill it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        deadline = time.monotonic() + _EXIT_WAIT_S
        idle = executor.drain(_EXIT_WAIT_S)
        idle = node.close(max(0.0, deadline - time.monotonic())) and idle
        if not idle:
            node.get_logger().warning("exiting without waiting for the work in progress")
        node.destroy_node()
        executor.shutdown(timeout_sec=0.0)
        rclpy.try_shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
