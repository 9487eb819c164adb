"""Command-line options generated from DetectorConfig (`--detector-<field>`), plus `--config`."""

from __future__ import annotations

import argparse
import dataclasses
import typing

from textfusion_ros.config import DetectorConfig, field_docs

PREFIX = "detector_"


def add_detector_options(parser: argparse.ArgumentParser) -> None:
    """One option per DetectorConfig field (defaults from `--config`'s `detector:` block, else
    the dataclass's), e.g. --detector-model, --detector-classes person car."""
    group = parser.add_argument_group("detector (the `detector:` block of the YAML config)")
    group.add_argument("--config", help="YAML file whose `detector:` block sets the defaults")
    hints, docs = typing.get_type_hints(DetectorConfig), field_docs(DetectorConfig)
    for item in dataclasses.fields(DetectorConfig):
        flag = f"--detector-{item.name.replace('_', '-')}"
        kind = hints[item.name]
        options: dict = {"dest": PREFIX + item.name, "default": None, "help": docs.get(item.name)}
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is list:
            options.update(nargs="*", type=typing.get_args(kind)[0])
        else:
            options["type"] = kind
        group.add_argument(flag, **options)


def detector_config(args: argparse.Namespace) -> DetectorConfig:
    """The YAML block (when --config is given) with every option given on the command line
    applied on top; invalid values raise ValueError."""
    base = DetectorConfig.from_yaml(args.config) if args.config else DetectorConfig()
    given = {item.name: getattr(args, PREFIX + item.name)
             for item in dataclasses.fields(DetectorConfig)
             if getattr(args, PREFIX + item.name) is not None}
    return dataclasses.replace(base, **given)
