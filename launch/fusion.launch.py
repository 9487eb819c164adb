"""Launch the textfusion_ros fusion node with config/fusion.yaml.

    ros2 launch textfusion_ros fusion.launch.py ir_topic:=/thermal/image_raw \
        vis_topic:=/camera/image_raw prompt:="highlight warm pedestrians" namespace:=front

ir_topic, vis_topic, prompt and backend override the parameters file when given (empty =
keep the file's value). The node autostarts (configure + activate) unless the file says not.
"""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

OVERRIDES = {
    "ir_topic": "Infrared sensor_msgs/Image topic",
    "vis_topic": "Visible sensor_msgs/Image topic",
    "prompt": "Initial text prompt",
    "backend": "Inference backend (torch, ...)",
}


def _fusion_node(context: LaunchContext) -> list[Node]:
    overrides = {}
    for name in OVERRIDES:
        value = LaunchConfiguration(name).perform(context)
        if value:
            overrides[name] = ParameterValue(value, value_type=str)
    return [Node(
        package="textfusion_ros",
        executable="fusion_node",
        name="fusion_node",
        namespace=LaunchConfiguration("namespace"),
        parameters=[LaunchConfiguration("params_file"), overrides],
        output="screen",
        emulate_tty=True,
    )]


def generate_launch_description() -> LaunchDescription:
    share = Path(get_package_share_directory("textfusion_ros"))
    arguments = [
        DeclareLaunchArgument("namespace", default_value="",
                              description="Namespace of the node and its relative topics"),
        DeclareLaunchArgument("params_file", default_value=str(share / "config" / "fusion.yaml"),
                              description="ROS parameters file of the node"),
    ]
    arguments += [
        DeclareLaunchArgument(name, default_value="",
                              description=f"{text}; empty = the parameters file's value")
        for name, text in OVERRIDES.items()
    ]
    return LaunchDescription([*arguments, OpaqueFunction(function=_fusion_node)])
