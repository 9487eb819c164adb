"""ROS parameters declared from, and read back into, the config dataclasses."""

from __future__ import annotations

import array
import dataclasses
import typing
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.exceptions import ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from textfusion_ros.config import field_docs

# Parameters that take effect at once; the others are read at the next configure.
DYNAMIC = frozenset({"prompt", "homography"})

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
        description = docs.get(item.name, "")
        if prefix + item.name not in DYNAMIC:
            description += " (applies at the next configure)"
        descriptor = ParameterDescriptor(description=description)
        value = _default(item)
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
