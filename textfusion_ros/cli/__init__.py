"""The `textfusion` command: one sub-command per module, plus plugins (e.g. `train`).

Plugins register through the entry-point group `textfusion_ros.commands`: each entry point is a
function taking the sub-parsers object. This is how the training subpackage adds `train`
without the core importing it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import entry_points

COMMAND_MODULES = (
    "textfusion_ros.cli.fuse",
    "textfusion_ros.cli.detect",
    "textfusion_ros.cli.evaluate",
    "textfusion_ros.cli.bench",
    "textfusion_ros.cli.export",
    "textfusion_ros.cli.gpu_check",
    "textfusion_ros.cli.synth",
    "textfusion_ros.cli.demo",
    "textfusion_ros.cli.synth_bag",
    "textfusion_ros.cli.bag_eval",
    "textfusion_ros.cli.bag_play",
    "textfusion_ros.cli.ros_demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="textfusion", description="Text-guided infrared + visible image fusion.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands)
    for plugin in entry_points(group="textfusion_ros.commands"):
        try:
            register = plugin.load()
        except ModuleNotFoundError:  # e.g. `train` outside a source checkout (not installed)
            continue
        register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"textfusion {args.command}: error: {exc}", file=sys.stderr)
        return 2
