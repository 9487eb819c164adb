"""ROS parameters declared from, and read back into, the config dataclasses.

Descriptors carry the field's docstring, a range for numbers and read_only for what is read
only at startup. Parameters outside DYNAMIC take effect at configure, so the node refuses them
while configured (`reconfigure_needed`); `validate_at_set_time` checks what a dataclass cannot
know (files, backends, devices).
"""

from __future__ import annotations

import array
import dataclasses
import re
import typing
from pathlib import Path
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from textfusion_ros.config import BACKENDS, DetectorConfig, FusionConfig, NodeConfig, field_docs

DETECTOR_PREFIX = "detector."
# Parameters that take effect at once; the others are read at the next configure.
DYNAMIC = frozenset({"prompt", "homography"})
# Read once at startup: `ros2 param set` cannot change them.
READ_ONLY = frozenset({"autostart"})
# Inclusive ranges of the numeric parameters (the dataclasses check strict bounds too).
RANGES: dict[str, tuple[float, float]] = {
    "threads": (0, 1024), "prompt_cache_size": (1, 100_000), "max_prompt_chars": (1, 100_000),
    "agc_low_percentile": (0.0, 100.0), "agc_high_percentile": (0.0, 100.0),
    "queue_size": (1, 1000), "slop": (0.0, 10.0), "time_jump_threshold": (0.001, 3600.0),
    "qos_depth": (1, 1000), "qos_check_period": (0.01, 3600.0), "worker_nice": (0, 19),
    "diagnostics_period": (0.01, 3600.0), "stats_window": (1, 1_000_000),
    "silence_timeout": (0.01, 3600.0), "log_throttle": (0.0, 3600.0),
}
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")

_LIST_TYPES = {float: Parameter.Type.DOUBLE_ARRAY, int: Parameter.Type.INTEGER_ARRAY,
               str: Parameter.Type.STRING_ARRAY, bool: Parameter.Type.BOOL_ARRAY}


def _default(item: dataclasses.Field) -> Any:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return item.default


def declare_dataclass(node: Node, cls: type, prefix: str = "") -> None:
    """Declare one parameter `prefix + field` per field of `cls`: default, type and docstring.

    A prefix such as "detector." gives the names a nested YAML block under ros__parameters
    (`detector: {model: ...}`) sets.

    An empty-list default is declared by type only (ROS cannot infer it from `[]`), so such a
    parameter reads as unset until given and `read_dataclass` returns the default for it.
    """
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    for item in dataclasses.fields(cls):
        value = _default(item)
        descriptor = _descriptor(prefix + item.name, docs.get(item.name, ""), value)
        if isinstance(value, list) and not value:
            (element,) = typing.get_args(hints[item.name])
            value = _LIST_TYPES[element]
        node.declare_parameter(prefix + item.name, value, descriptor)


def read_dataclass(node: Node, cls: type, changes: dict[str, Any] | None = None,
                   prefix: str = "") -> Any:
    """Build `cls` from the node's parameters `prefix + field`, with `changes` (parameter name
    → value) applied on top.

    Raises ValueError (from the dataclass's own checks) on invalid values.
    """
    values = {}
    for item in dataclasses.fields(cls):
        name = prefix + item.name
        if changes and name in changes:
            value = changes[name]
        else:
            try:
                value = node.get_parameter(name).value
            except ParameterUninitializedException:
                value = None
        if value is None:
            value = _default(item)
        values[item.name] = list(value) if isinstance(value, (list, tuple, array.array)) else value
    return cls(**values)


def _descriptor(name: str, description: str, default: Any) -> ParameterDescriptor:
    if name in READ_ONLY:
        description += " (read only: set at startup)"
    elif name not in DYNAMIC:
        description += " (needs a reconfigure: refused while the node is configured)"
    descriptor = ParameterDescriptor(description=description, read_only=name in READ_ONLY)
    if name in RANGES:
        low, high = RANGES[name]
        if isinstance(default, int):
            descriptor.integer_range = [IntegerRange(from_value=int(low), to_value=int(high),
                                                     step=1)]
        else:
            descriptor.floating_point_range = [FloatingPointRange(from_value=float(low),
                                                                  to_value=float(high))]
    return descriptor


def reconfigure_needed(changes: dict[str, Any]) -> list[str]:
    """The names in `changes` that are config fields applied only at configure."""
    fields = {f.name for cls in (FusionConfig, NodeConfig) for f in dataclasses.fields(cls)}
    fields |= {DETECTOR_PREFIX + f.name for f in dataclasses.fields(DetectorConfig)}
    return sorted(name for name in changes if name in fields and name not in DYNAMIC)


def validate_at_set_time(fusion: FusionConfig, changes: dict[str, Any]) -> None:
    """ValueError naming the problem when a changed model, backend or device cannot work."""
    if "model" in changes and fusion.model and not Path(fusion.model).is_file():
        raise ValueError(f"model file {fusion.model} does not exist")
    if "backend" in changes and fusion.backend not in BACKENDS:
        raise ValueError(f"unknown backend {fusion.backend!r}; available: {list(BACKENDS)}")
    if "device" in changes and not _DEVICE.fullmatch(fusion.device):
        raise ValueError(f"unknown device {fusion.device!r}; use cpu, cuda or cuda:N")
