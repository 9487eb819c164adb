"""Detection lists → Detection2DArray (the project's vision_msgs-identical type) and back."""

import importlib.util

import pytest

pytest.importorskip("rclpy", reason="rclpy not importable: install the ROS 2 wheels")
try:
    from textfusion_interfaces import msg as tf_msgs
except ImportError as exc:
    pytest.skip(f"textfusion_interfaces not built ({exc})", allow_module_level=True)

from rclpy.serialization import deserialize_message, serialize_message  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from textfusion_ros.detection.types import Detection  # noqa: E402
from textfusion_ros.ros.detections import (  # noqa: E402
    DetectionArrays,
    detection_messages,
    from_detection_array,
)

VISION_MSGS = importlib.util.find_spec("vision_msgs") is not None


def test_fills_every_field_of_the_project_type():
    header = Header(frame_id="vis_optical")
    header.stamp.sec, header.stamp.nanosec = 12, 345
    detections = [Detection(10.0, 20.0, 50.0, 100.0, 0.875, "person"),
                  Detection(0.0, 0.0, 4.0, 2.0, 0.5, "car")]
    arrays = DetectionArrays(tf_msgs)
    msg = arrays.build(detections, header)
    assert isinstance(msg, tf_msgs.Detection2DArray) and msg.header == header
    first = msg.detections[0]
    assert first.header == header and first.id == ""
    assert first.bbox.center.position.x == 30.0 and first.bbox.center.position.y == 60.0
    assert first.bbox.center.theta == 0.0
    assert (first.bbox.size_x, first.bbox.size_y) == (40.0, 80.0)
    (result,) = first.results
    assert result.hypothesis.class_id == "person" and result.hypothesis.score == 0.875
    assert result.pose.pose.position.x == 0.0  # geometry_msgs/PoseWithCovariance, unused
    back = deserialize_message(serialize_message(msg), tf_msgs.Detection2DArray)
    assert back == msg
    assert from_detection_array(back) == detections
    empty = arrays.build([], header)
    assert empty.detections == [] and empty.header == header


def test_refilled_messages_carry_each_frame_alone():
    """Frames of 3, 1 and 2 detections through one builder: each serialised array holds its
    own frame's detections and header, none of an earlier frame's."""
    arrays = DetectionArrays(tf_msgs)
    frames = [[Detection(1.0, 2.0, 3.0, 4.0, 0.9, "car"), Detection(5.0, 6.0, 9.0, 12.0, 0.8,
                                                                    "person"),
               Detection(0.0, 0.0, 1.0, 1.0, 0.7, "bus")],
              [Detection(20.0, 30.0, 60.0, 90.0, 0.6, "truck")],
              [Detection(2.0, 2.0, 4.0, 8.0, 0.55, "person"),
               Detection(7.0, 1.0, 8.0, 3.0, 0.51, "bicycle")]]
    for number, detections in enumerate(frames):
        header = Header(frame_id=f"frame{number}")
        data = serialize_message(arrays.build(detections, header))
        back = deserialize_message(data, tf_msgs.Detection2DArray)
        assert back.header.frame_id == f"frame{number}"
        assert [item.header.frame_id for item in back.detections] == [f"frame{number}"] * len(
            detections)
        assert from_detection_array(back) == detections
        assert [len(item.results) for item in back.detections] == [1] * len(detections)


def test_same_fields_as_vision_msgs():
    fields = tf_msgs.Detection2D.get_fields_and_field_types()
    assert fields == {"header": "std_msgs/Header",
                      "results": "sequence<textfusion_interfaces/ObjectHypothesisWithPose>",
                      "bbox": "textfusion_interfaces/BoundingBox2D", "id": "string"}
    assert tf_msgs.ObjectHypothesisWithPose.get_fields_and_field_types() == {
        "hypothesis": "textfusion_interfaces/ObjectHypothesis",
        "pose": "geometry_msgs/PoseWithCovariance"}
    assert tf_msgs.BoundingBox2D.get_fields_and_field_types() == {
        "center": "textfusion_interfaces/Pose2D", "size_x": "double", "size_y": "double"}
    assert tf_msgs.Pose2D.get_fields_and_field_types() == {
        "position": "textfusion_interfaces/Point2D", "theta": "double"}
    if VISION_MSGS:
        from vision_msgs import msg as vision
        for name in ("Detection2DArray", "Detection2D", "ObjectHypothesisWithPose",
                     "ObjectHypothesis", "BoundingBox2D", "Pose2D", "Point2D"):
            ours = getattr(tf_msgs, name).get_fields_and_field_types()
            theirs = getattr(vision, name).get_fields_and_field_types()
            assert {k: v.replace("textfusion_interfaces", "vision_msgs") for k, v in
                    ours.items()} == theirs, name


def test_message_package_choice():
    assert detection_messages("textfusion") is tf_msgs
    if VISION_MSGS:
        assert detection_messages("auto").__name__ == "vision_msgs.msg"
    else:
        assert detection_messages("auto") is tf_msgs
        with pytest.raises(ValueError, match="vision_msgs is not importable"):
            detection_messages("vision_msgs")
