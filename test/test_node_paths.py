"""The fusion node's failure paths, in process (real rclpy, real pipeline and model files):
a pair the engine cannot fuse is counted and the worker carries on; a text encoder that fails
to load rejects a free-text prompt with the reason and keeps the active prompt."""

import json
import shutil
import threading
import time

import numpy as np
import pytest
from ros_stack import require_ros

rclpy = require_ros()

from rclpy.parameter import Parameter  # noqa: E402
from rclpy.signals import SignalHandlerOptions  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from textfusion_ros.imaging.scenes import SceneConfig, generate_frame  # noqa: E402
from textfusion_ros.model.checkpoint import config_path  # noqa: E402
from textfusion_ros.ros.node import IR, SUCCESS, VIS, FusionNode  # noqa: E402

TIMEOUT_S = 20.0
FREE_TEXT = "please make the warm bodies glow against the cold night street"


@pytest.fixture
def make_node(ros_domain):
    """Builds configured + active FusionNodes on a model file (no executor: the worker thread
    fuses and publishes by itself); all are destroyed at the end."""
    made = []

    def make(model_path) -> FusionNode:
        context = rclpy.Context()
        rclpy.init(context=context, domain_id=ros_domain,
                   signal_handler_options=SignalHandlerOptions.NO)
        node = FusionNode(f"paths_test_node_{len(made)}", context=context, parameter_overrides=[
            Parameter("model", value=str(model_path)), Parameter("threads", value=1),
            Parameter("autostart", value=False)])
        made.append((node, context))
        assert node.trigger_configure() == SUCCESS
        assert node.trigger_activate() == SUCCESS
        return node

    yield make
    for node, context in made:
        node.close()
        node.destroy_node()
        rclpy.try_shutdown(context=context)


def offer_pair(node: FusionNode, ir: np.ndarray, vis: np.ndarray, stamp: int) -> None:
    """What the image callbacks do once decoded: pair by stamp, hand the pair to the worker."""
    header = Header(frame_id="vis")
    header.stamp.sec, header.stamp.nanosec = divmod(stamp, 1_000_000_000)
    assert node._sync.add(IR, stamp, (ir, header)) is None
    node._worker.put(node._sync.add(VIS, stamp, (vis, header)))


def wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        threading.Event().wait(0.02)


def test_a_pair_the_engine_rejects_is_counted_and_the_worker_carries_on(make_node,
                                                                         random_model_path):
    node = make_node(random_model_path)
    ir, vis = generate_frame(SceneConfig(height=64, width=80, ir_bits=16), 0)
    offer_pair(node, ir, vis.astype(np.float64), 1_000_000_000)  # the pipeline needs uint8 VIS
    wait_for(lambda: node._monitor.errors == 1, "the worker error to be counted")
    assert node._worker.running

    offer_pair(node, ir, vis, 2_000_000_000)
    wait_for(lambda: node._monitor.published == 1, "the next pair to be fused and published")
    assert node._monitor.errors == 1
    report = node._monitor.report(0, 0, 0, {})
    assert report.values["processing_errors"] == 1 and report.values["frames_published"] == 1


def test_encoder_failure_rejects_free_text_and_keeps_the_prompt(make_node, random_model_path,
                                                               tmp_path):
    path = tmp_path / "model.safetensors"
    shutil.copy(random_model_path, path)
    meta = json.loads(config_path(random_model_path).read_text())
    meta["text_encoder"] = {"name": "encoder_that_is_not_installed"}
    config_path(path).write_text(json.dumps(meta))
    node = make_node(path)
    before = node._pipeline.active_prompt

    success, message = node._set_prompt(FREE_TEXT, "service")
    assert not success
    assert "could not be applied" in message and "encoder_that_is_not_installed" in message
    assert node._pipeline.active_prompt == before
    assert node.get_parameter("prompt").value != FREE_TEXT
    result = node.set_parameters([Parameter("prompt", value=FREE_TEXT)])[0]
    assert not result.successful and "encoder_that_is_not_installed" in result.reason
    assert node._pipeline.active_prompt == before

    # Bank prompts need no encoder and still apply; images keep being fused.
    assert node._set_prompt("highlight warm pedestrians", "service")[0]
    ir, vis = generate_frame(SceneConfig(height=64, width=80, ir_bits=16), 1)
    offer_pair(node, ir, vis, 3_000_000_000)
    wait_for(lambda: node._monitor.published == 1, "a fused frame after the failure")
    assert node._monitor.errors == 0
