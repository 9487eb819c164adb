"""The rclpy side without a running graph: messages, QoS selection, dataclass parameters."""

import array
from types import SimpleNamespace

import numpy as np
import pytest

rclpy = pytest.importorskip(
    "rclpy", reason="rclpy not importable: install the ROS 2 wheels (requirements-ros.txt)")

from diagnostic_msgs.msg import DiagnosticStatus  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from textfusion_ros.config import FusionConfig, NodeConfig  # noqa: E402
from textfusion_ros.imaging.image_codec import BadImageError  # noqa: E402
from textfusion_ros.ros.messages import (  # noqa: E402
    array_to_image,
    diagnostic_array,
    image_to_array,
    stamp_ns,
)
from textfusion_ros.ros.params import (  # noqa: E402
    declare_dataclass,
    read_dataclass,
    reconfigure_needed,
    validate_at_set_time,
)
from textfusion_ros.ros.qos import image_qos, matching_reliability, select_reliability  # noqa: E402

RELIABLE, BEST_EFFORT = ReliabilityPolicy.RELIABLE, ReliabilityPolicy.BEST_EFFORT


def endpoint(reliability):
    return SimpleNamespace(qos_profile=QoSProfile(depth=1, reliability=reliability))


@pytest.mark.parametrize("image", [
    np.arange(12 * 10, dtype=np.uint8).reshape(12, 10),
    np.arange(12 * 10 * 3, dtype=np.uint8).reshape(12, 10, 3),
])
def test_image_round_trip(image):
    header = Header(frame_id="cam")
    header.stamp.sec, header.stamp.nanosec = 3, 5
    msg = array_to_image(image, header)
    assert msg.encoding == ("mono8" if image.ndim == 2 else "bgr8")
    assert msg.header.frame_id == "cam" and stamp_ns(msg.header.stamp) == 3_000_000_005
    np.testing.assert_array_equal(image_to_array(msg), image)


def test_bad_image_message_raises():
    msg = array_to_image(np.zeros((4, 4), np.uint8), Header())
    msg.encoding = "nv21"
    with pytest.raises(BadImageError, match="unsupported encoding"):
        image_to_array(msg)


def test_diagnostic_array():
    array = diagnostic_array(Header().stamp, "n: fusion", "hw", DiagnosticStatus.WARN, "no IR",
                             {"rate_hz": "1.00", "frames_dropped": 3})
    (status,) = array.status
    assert status.level == DiagnosticStatus.WARN and status.message == "no IR"
    assert [(kv.key, kv.value) for kv in status.values] == [("rate_hz", "1.00"),
                                                            ("frames_dropped", "3")]


def test_qos_follows_publishers():
    assert matching_reliability([]) is None
    assert matching_reliability([endpoint(RELIABLE)] * 2) == RELIABLE
    assert matching_reliability([endpoint(RELIABLE), endpoint(BEST_EFFORT)]) == BEST_EFFORT
    assert select_reliability("auto", []) == BEST_EFFORT  # sensor-data QoS
    assert select_reliability("auto", [], current=RELIABLE) == RELIABLE
    assert select_reliability("auto", [endpoint(RELIABLE)], current=BEST_EFFORT) == RELIABLE
    assert select_reliability("reliable", [endpoint(BEST_EFFORT)]) == RELIABLE
    assert select_reliability("best_effort", [endpoint(RELIABLE)]) == BEST_EFFORT
    with pytest.raises(ValueError):
        select_reliability("often", [])
    profile = image_qos(BEST_EFFORT, 7)
    assert profile.depth == 7 and profile.reliability == BEST_EFFORT


@pytest.fixture
def node(ros_domain):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain)
    node = rclpy.create_node("params_test", context=context)
    yield node
    node.destroy_node()
    rclpy.shutdown(context=context)


def test_parameters_from_dataclasses(node):
    declare_dataclass(node, FusionConfig)
    declare_dataclass(node, NodeConfig)
    assert read_dataclass(node, FusionConfig) == FusionConfig()
    assert read_dataclass(node, NodeConfig) == NodeConfig()
    descriptor = node.describe_parameter("slop")
    assert "half the 33 ms period" in descriptor.description
    assert "needs a reconfigure" in descriptor.description
    assert "needs a reconfigure" not in node.describe_parameter("prompt").description

    homography = [2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0]
    node.set_parameters([Parameter("homography", value=homography),
                         Parameter("queue_size", value=9)])
    config = read_dataclass(node, NodeConfig)
    assert config.homography == homography and config.queue_size == 9
    assert read_dataclass(node, NodeConfig, {"slop": 0.5}).slop == 0.5
    with pytest.raises(ValueError, match="reliability"):
        read_dataclass(node, NodeConfig, {"reliability": "never"})


def test_parameter_ranges_and_read_only(node):
    declare_dataclass(node, FusionConfig)
    declare_dataclass(node, NodeConfig)
    (queue_range,) = node.describe_parameter("queue_size").integer_range
    assert (queue_range.from_value, queue_range.step) == (1, 1)
    (slop_range,) = node.describe_parameter("slop").floating_point_range
    assert slop_range.from_value == 0.0
    results = node.set_parameters([Parameter("queue_size", value=0),
                                   Parameter("agc_high_percentile", value=101.0),
                                   Parameter("autostart", value=False)])
    assert [r.successful for r in results] == [False, False, False]
    assert "read-only" in results[2].reason
    assert node.describe_parameter("autostart").read_only
    assert node.get_parameter("queue_size").value == NodeConfig().queue_size


def test_reconfigure_needed_names_the_static_fields():
    assert reconfigure_needed({"prompt": "x", "homography": [], "use_sim_time": True}) == []
    assert reconfigure_needed({"ir_topic": "/a", "model": "m", "prompt": "x"}) == [
        "ir_topic", "model"]


def test_set_time_validation(tmp_path):
    model = tmp_path / "m.safetensors"
    model.write_bytes(b"")
    validate_at_set_time(FusionConfig(model=str(model), device="cuda:1"),
                         {"model": str(model), "device": "cuda:1"})
    with pytest.raises(ValueError, match="does not exist"):
        validate_at_set_time(FusionConfig(model=str(tmp_path / "no")), {"model": "no"})
    with pytest.raises(ValueError, match="backend must be one of .*got 'onnx'"):
        validate_at_set_time(FusionConfig(backend="onnx"), {"backend": "onnx"})
    with pytest.raises(ValueError, match="device must be .*got 'gpu'"):
        validate_at_set_time(FusionConfig(device="gpu"), {"device": "gpu"})


def test_image_message_data_is_the_array_bytes_copied_once():
    image = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    msg = array_to_image(image[:, ::-1], Header(frame_id="vis"))  # not C-contiguous
    assert isinstance(msg.data, array.array) and msg.data.typecode == "B"
    assert bytes(msg.data) == np.ascontiguousarray(image[:, ::-1]).tobytes()
    assert (msg.encoding, msg.step, msg.height, msg.width) == ("bgr8", 21, 5, 7)
