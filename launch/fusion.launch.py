"""Launch the textfusion_ros fusion node (a lifecycle node) with config/fusion.yaml.

    ros2 launch textfusion_ros fusion.launch.py ir_topic:=/thermal/image_raw \
        vis_topic:=/camera/image_raw prompt:="highlight warm pedestrians" namespace:=front

ir_topic, vis_topic, ir_transport, vis_transport (raw or compressed), prompt, backend and
hardware_id override the parameters file when given (empty = keep the file's value). The
node's own `autostart` is turned off: this launch file drives configure and activate
(launch_ros's LifecycleNode autostart where the distro has it, else ChangeState events), so
`autostart:=false` leaves it unconfigured for an external lifecycle manager.
"""

import inspect

import lifecycle_msgs.msg
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, OpaqueFunction, RegisterEventHandler
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

OVERRIDES = {
    "ir_topic": "Infrared sensor_msgs/Image topic",
    "vis_topic": "Visible sensor_msgs/Image topic",
    "ir_transport": "raw, or compressed to subscribe to <ir_topic>/compressed",
    "vis_transport": "raw, or compressed to subscribe to <vis_topic>/compressed",
    "prompt": "Initial text prompt",
    "backend": "Inference backend (torch, ...)",
    "hardware_id": "hardware_id of the diagnostics (the camera pair)",
}
# launch_ros >= 0.27 (Jazzy, Kilted) brings a LifecycleNode to active by itself.
NATIVE_AUTOSTART = "autostart" in inspect.signature(LifecycleNode.__init__).parameters


def _fusion_node(context: LaunchContext) -> list:
    overrides = {"autostart": False, "use_sim_time": ParameterValue(
        LaunchConfiguration("use_sim_time"), value_type=bool)}
    for name in OVERRIDES:
        value = LaunchConfiguration(name).perform(context)
        if value:
            overrides[name] = ParameterValue(value, value_type=str)
    autostart = LaunchConfiguration("autostart").perform(context).lower() in ("true", "1")
    native = {"autostart": autostart} if NATIVE_AUTOSTART else {}
    node = LifecycleNode(
        package="textfusion_ros",
        executable="fusion_node",
        name="fusion_node",
        namespace=LaunchConfiguration("namespace"),
        parameters=[LaunchConfiguration("params_file"), overrides],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
        output="screen",
        emulate_tty=True,
        **native,
    )
    if NATIVE_AUTOSTART or not autostart:
        return [node]
    configure = EmitEvent(event=ChangeState(
        lifecycle_node_matcher=matches_action(node),
        transition_id=lifecycle_msgs.msg.Transition.TRANSITION_CONFIGURE))
    activate_when_inactive = RegisterEventHandler(OnStateTransition(
        target_lifecycle_node=node, start_state="configuring", goal_state="inactive",
        entities=[EmitEvent(event=ChangeState(
            lifecycle_node_matcher=matches_action(node),
            transition_id=lifecycle_msgs.msg.Transition.TRANSITION_ACTIVATE))]))
    return [activate_when_inactive, node, configure]


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument("namespace", default_value="",
                              description="Namespace of the node and its relative topics"),
        DeclareLaunchArgument(
            "params_file",
            default_value=PathJoinSubstitution(
                [FindPackageShare("textfusion_ros"), "config", "fusion.yaml"]),
            description="ROS parameters file of the node"),
        DeclareLaunchArgument("autostart", default_value="true",
                              description="Bring the node to active; false = leave it "
                              "unconfigured for a lifecycle manager"),
        DeclareLaunchArgument("use_sim_time", default_value="false",
                              description="Use /clock (e.g. bag-play --clock) as time"),
        DeclareLaunchArgument("log_level", default_value="info",
                              description="Logging level: debug, info, warn, error, fatal"),
    ]
    arguments += [
        DeclareLaunchArgument(name, default_value="",
                              description=f"{text}; empty = the parameters file's value")
        for name, text in OVERRIDES.items()
    ]
    return LaunchDescription([*arguments, OpaqueFunction(function=_fusion_node)])
