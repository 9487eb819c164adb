"""launch_testing of launch/fusion.launch.py: here with ../shared/ros-tools installed (make venv),
or on a real ROS 2 install (colcon test).

The launch arguments reach the node (namespace, prompt, hardware_id), the launch file (not the
node's own autostart) brings it to active, a synchronized pair comes back fused, and the node
exits 0 when launch stops it with SIGINT.
"""

import array
import os
import time
import unittest
from pathlib import Path

import pytest

try:
    import launch_ros  # noqa: F401
    import launch_testing  # noqa: F401
except ImportError:
    from conftest import require_ros_tools
    require_ros_tools("launch_testing / launch_ros")

import launch  # noqa: E402
import launch_testing.actions  # noqa: E402
import launch_testing.asserts  # noqa: E402
import rclpy  # noqa: E402
from ament_index_python.packages import get_package_share_directory  # noqa: E402
from launch.actions import IncludeLaunchDescription  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
from lifecycle_msgs.msg import State  # noqa: E402
from lifecycle_msgs.srv import GetState  # noqa: E402
from rcl_interfaces.srv import GetParameters  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from textfusion_interfaces.srv import SetPrompt  # noqa: E402
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame  # noqa: E402
from textfusion_ros.ros.tools.domains import lease_domain  # noqa: E402

NAMESPACE = "textfusion_launch_test"
PROMPT = "highlight warm pedestrians"
HARDWARE_ID = "launch_test_camera_pair"
TIMEOUT_S = 60.0
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"  # inherited by the launched node
if "ROS_DOMAIN_ID" not in os.environ:  # launch_testing imports this module in its own run
    _DOMAIN = lease_domain()  # held until this process exits
    os.environ["ROS_DOMAIN_ID"] = str(_DOMAIN.domain_id)


@pytest.mark.launch_test
def generate_test_description():
    launch_file = (Path(get_package_share_directory("textfusion_ros"))
                   / "launch" / "fusion.launch.py")
    return launch.LaunchDescription([
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(str(launch_file)),
            launch_arguments={"namespace": NAMESPACE, "prompt": PROMPT,
                              "hardware_id": HARDWARE_ID, "use_sim_time": "false",
                              "log_level": "info"}.items()),
        launch_testing.actions.ReadyToTest(),
    ])


def image(array_, encoding: str, stamp_ns: int) -> Image:
    msg = Image(height=array_.shape[0], width=array_.shape[1], encoding=encoding,
                step=array_.strides[0])
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    msg.data = array.array("B", array_.tobytes())
    return msg


class TestFusionLaunch(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        rclpy.init()
        cls.node = rclpy.create_node("fusion_launch_test")

    @classmethod
    def tearDownClass(cls):
        cls.node.destroy_node()
        rclpy.shutdown()

    def test_prompt_argument_and_service(self):
        client = self.node.create_client(SetPrompt, f"/{NAMESPACE}/set_prompt")
        self.assertTrue(client.wait_for_service(timeout_sec=TIMEOUT_S))
        future = client.call_async(SetPrompt.Request(prompt=""))
        rclpy.spin_until_future_complete(self.node, future, timeout_sec=TIMEOUT_S)
        response = future.result()
        self.assertFalse(response.success)  # an empty prompt is rejected...
        self.assertEqual(response.active_prompt, PROMPT)  # ...and the launch one stays

    def call(self, srv_type, name, request):
        client = self.node.create_client(srv_type, f"/{NAMESPACE}/fusion_node/{name}")
        self.assertTrue(client.wait_for_service(timeout_sec=TIMEOUT_S))
        future = client.call_async(request)
        rclpy.spin_until_future_complete(self.node, future, timeout_sec=TIMEOUT_S)
        return future.result()

    def test_launch_drives_the_lifecycle(self):
        deadline = time.monotonic() + TIMEOUT_S
        state = None
        while state != State.PRIMARY_STATE_ACTIVE and time.monotonic() < deadline:
            state = self.call(GetState, "get_state", GetState.Request()).current_state.id
            time.sleep(0.2)
        self.assertEqual(state, State.PRIMARY_STATE_ACTIVE)
        names = ["autostart", "hardware_id", "use_sim_time"]
        values = self.call(GetParameters, "get_parameters", GetParameters.Request(names=names))
        self.assertEqual([values.values[0].bool_value, values.values[1].string_value,
                          values.values[2].bool_value], [False, HARDWARE_ID, False])

    def test_fuses_a_pair(self):
        ir, vis = generate_frame(SceneConfig(height=128, width=160, ir_bits=16), 0)
        received = []
        self.node.create_subscription(Image, f"/{NAMESPACE}/fused/image", received.append, 10)
        ir_pub = self.node.create_publisher(Image, f"/{NAMESPACE}/ir/image", 10)
        vis_pub = self.node.create_publisher(Image, f"/{NAMESPACE}/vis/image", 10)
        deadline = time.monotonic() + TIMEOUT_S
        while not received and time.monotonic() < deadline:
            stamp = time.time_ns()
            ir_pub.publish(image(ir, "mono16", stamp))
            vis_pub.publish(image(vis, "bgr8", stamp))
            rclpy.spin_once(self.node, timeout_sec=0.5)
        self.assertTrue(received, "no fused image")
        self.assertEqual((received[0].encoding, received[0].height, received[0].width),
                         ("bgr8", 128, 160))


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):

    def test_exit_code(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info)
