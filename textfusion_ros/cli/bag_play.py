"""`textfusion bag-play`: publish a rosbag2 bag into live ROS topics in real time."""

from __future__ import annotations

import argparse
import os
import signal


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "bag-play", help="replay a bag into ROS topics",
        description="Publishes the recorded messages (serialized bytes, stamps as recorded) "
        "paced by their log times. Needs rclpy and the message packages. Stop with Ctrl-C.")
    p.add_argument("bag", help="rosbag2 folder (or a .mcap / .db3 file)")
    p.add_argument("--rate", type=float, default=1.0, help="speed factor (2 = twice as fast)")
    p.add_argument("--loop", action="store_true",
                   help="restart at the end (stamps jump back in time at each restart)")
    p.add_argument("--topics", nargs="+", help="topics to play (default: all)")
    p.add_argument("--depth", type=int, default=10, help="publisher QoS history depth")
    p.add_argument("--best-effort", action="store_true",
                   help="BEST_EFFORT publishers (default: RELIABLE)")
    p.add_argument("--wait-for-subscribers", type=float, default=0.0, metavar="SECONDS",
                   help="wait up to this long for a subscriber on every topic before playing")
    p.add_argument("--clock", action="store_true",
                   help="publish /clock with the bag's log times (for use_sim_time nodes)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        from textfusion_ros.ros.fastdds import choose_profile
        from textfusion_ros.ros.tools.bag_play import PlayOptions, play
    except ImportError as exc:
        raise RuntimeError(f"bag-play needs ROS 2 (rclpy and the message packages): {exc}") from exc
    choose_profile(os.environ)  # it stands for the cameras: large images (README, ROS 2)

    # Stop cleanly on SIGINT even when started with it ignored (a background job of a
    # non-interactive shell), and on SIGTERM.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    options = PlayOptions(args.rate, args.loop, tuple(args.topics) if args.topics else None,
                          args.depth, args.best_effort, args.wait_for_subscribers, args.clock)
    result = play(args.bag, options)
    state = "interrupted" if result.interrupted else "done"
    print(f"bag-play {state}: published {result.published} messages "
          f"({result.passes} complete pass(es))")
    return 0
