"""Round trips of textfusion_interfaces types through real rclpy (service call and topic)."""

import os
import threading
import time

import pytest

rclpy = pytest.importorskip(
    "rclpy", reason="rclpy not importable: install the ROS 2 wheels (requirements-ros.txt)"
)
try:
    from textfusion_interfaces.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose
    from textfusion_interfaces.srv import SetPrompt
except ImportError as exc:  # the source folder alone imports as an empty namespace package
    pytest.skip(
        f"textfusion_interfaces not built ({exc}): "
        "run textfusion_interfaces/install_into_venv.sh .venv",
        allow_module_level=True,
    )

from textfusion_ros.ros.tools.spun_node import SpunNode  # noqa: E402

TIMEOUT_S = 10.0
# A leased domain (ros_domain) keeps concurrent runs apart; per-process names too.
PREFIX = f"/tfi_test_{os.getpid()}"


@pytest.fixture
def nodes(ros_domain):
    """A server and a client node, each in a private context spun by a background thread."""
    with (SpunNode("tfi_test_server", join_timeout_s=TIMEOUT_S) as server,
          SpunNode("tfi_test_client", join_timeout_s=TIMEOUT_S) as client):
        yield server.node, client.node


def test_set_prompt_service_round_trip(nodes):
    server, client = nodes

    def handle(request, response):
        response.success = bool(request.prompt)
        response.message = f"got {len(request.prompt)} chars"
        response.active_prompt = request.prompt
        return response

    server.create_service(SetPrompt, f"{PREFIX}/set_prompt", handle)
    cli = client.create_client(SetPrompt, f"{PREFIX}/set_prompt")
    assert cli.wait_for_service(timeout_sec=TIMEOUT_S), "service never appeared"

    prompt = "highlight the pedestrian near the car, été"
    future = cli.call_async(SetPrompt.Request(prompt=prompt))
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    assert done.wait(TIMEOUT_S), "no response"
    response = future.result()
    assert response.success is True
    assert response.message == f"got {len(prompt)} chars"
    assert response.active_prompt == prompt


def test_detection_array_pub_sub(nodes):
    server, client = nodes
    received = []
    got = threading.Event()

    def on_msg(msg):
        received.append(msg)
        got.set()

    topic = f"{PREFIX}/detections"
    client.create_subscription(Detection2DArray, topic, on_msg, 10)
    pub = server.create_publisher(Detection2DArray, topic, 10)

    sent = Detection2DArray()
    sent.header.frame_id = "fused"
    sent.header.stamp.sec = 42
    sent.header.stamp.nanosec = 7
    person = Detection2D(header=sent.header, id="7")
    person.results = [ObjectHypothesisWithPose()]
    person.results[0].hypothesis.class_id = "person"
    person.results[0].hypothesis.score = 0.875
    person.bbox.center.position.x, person.bbox.center.position.y = 120.5, 64.25
    person.bbox.size_x, person.bbox.size_y = 30.0, 80.0
    sent.detections = [person, Detection2D(header=sent.header)]
    # Re-publish until discovery has matched both ends and one message arrives.
    deadline = time.monotonic() + TIMEOUT_S
    while not got.is_set():
        assert time.monotonic() < deadline, "no Detection2DArray received"
        pub.publish(sent)
        got.wait(0.1)
    assert received[0] == sent
    assert received[0].detections[0].results[0].hypothesis.class_id == "person"
    assert received[0].detections[0].bbox.center.position.y == 64.25
