"""`textfusion ros-demo`: the fusion node live on localhost, fed a replayed synthetic bag."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_DOMAIN_ID = "42"


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "ros-demo", help="live demo: fusion_node on a replayed synthetic bag",
        description="Starts fusion_node, replays a synthetic IR (mono16) + VIS (bgr8) bag into "
        "it at 30 Hz as live cameras, switches the prompt half-way with set_prompt, and "
        "reports output rate, latency, drops, the prompt switch and fusion metrics before and "
        "after it. Writes OUT/summary.json, OUT/panel.png, OUT/fused_bag, OUT/input_bag and "
        "OUT/fusion_node.log. ROS domain: $ROS_DOMAIN_ID (default 42); discovery: "
        "$ROS_AUTOMATIC_DISCOVERY_RANGE (default LOCALHOST). Needs rclpy.")
    p.add_argument("--out", default="out/demo", help="output folder")
    p.add_argument("--frames", type=int, default=150, help="frames per camera (30 per second)")
    p.add_argument("--model", default="", help="model .safetensors (default: shipped model)")
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--switch-prompt", default="highlight warm pedestrians",
                   help="prompt set half-way through the replay")
    p.add_argument("--threads", type=int, default=1,
                   help="the node's inference threads (0 = the runtime's default)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    try:
        from textfusion_ros.ros.fastdds import choose_profile
        from textfusion_ros.ros.tools.demo import DemoOptions, run_ros_demo
    except ImportError as exc:
        raise RuntimeError(f"ros-demo needs ROS 2 (rclpy, the message packages and "
                           f"textfusion_interfaces): {exc}") from exc
    choose_profile(os.environ)  # its publishers stand for camera drivers: large images

    domain_id = int(os.environ.get("ROS_DOMAIN_ID") or DEFAULT_DOMAIN_ID)
    options = DemoOptions(Path(args.out), args.frames, args.model, args.height, args.width,
                          args.switch_prompt, domain_id, args.threads)
    result = run_ros_demo(options)
    print(result.text)
    if not result.ok:
        print(f"textfusion ros-demo: the prompt switch failed: "
              f"{result.summary['prompt_switch']['message']}", file=sys.stderr)
        return 1
    return 0
