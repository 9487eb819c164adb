"""`textfusion synth-bag`: write a synthetic IR + VIS camera recording as a rosbag2 bag."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "synth-bag", help="write a synthetic IR/VIS rosbag2 bag",
        description="Synthetic scenes as sensor_msgs/Image: IR (mono16 or mono8) and VIS (bgr8) "
        "at --rate Hz, IR stamped --ir-offset-ms after VIS, each with uniform ±--jitter-ms "
        "jitter; frame_ids ir_camera and vis_camera.")
    p.add_argument("out", help="bag folder to create (must not exist)")
    p.add_argument("--frames", type=int, default=60, help="frames per camera")
    p.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    p.add_argument("--bag-version", type=int, choices=(8, 9), default=9,
                   help="rosbag2 format: 9 (Jazzy, Kilted) or 8 (older readers)")
    p.add_argument("--ir-bits", type=int, choices=(8, 16), default=16,
                   help="IR as mono16 raw counts or mono8")
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--rate", type=float, default=30.0, help="frames per second")
    p.add_argument("--ir-offset-ms", type=float, default=5.0)
    p.add_argument("--jitter-ms", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=0, help="scene and timing seed")
    p.add_argument("--ir-topic", default="/ir/image")
    p.add_argument("--vis-topic", default="/vis/image")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.bags.synth import BagTiming, write_synthetic_bag
    from textfusion_ros.imaging.scenes import SceneConfig

    scene = SceneConfig(height=args.height, width=args.width, seed=args.seed,
                        ir_bits=args.ir_bits)
    timing = BagTiming(args.rate, args.ir_offset_ms, args.jitter_ms)
    count = write_synthetic_bag(args.out, scene, args.frames, timing, args.storage,
                                args.ir_topic, args.vis_topic, args.bag_version)
    print(f"wrote {count} messages ({args.frames} per topic on {args.ir_topic}, "
          f"{args.vis_topic}) to {args.out} ({args.storage})")
    return 0
