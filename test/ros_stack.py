"""Import rclpy and the built interfaces for a ROS test module, or skip the module saying what
is missing (under CI=true, conftest fails the run at start instead)."""

from __future__ import annotations

from types import ModuleType

import pytest


def require_ros() -> ModuleType:
    """The rclpy module; skips the calling test module when rclpy or the interfaces are absent."""
    rclpy = pytest.importorskip(
        "rclpy", reason="rclpy not importable: install the ROS 2 wheels (requirements-ros.txt)")
    try:
        import textfusion_interfaces.srv  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"textfusion_interfaces not built ({exc}): "
                    "run textfusion_interfaces/install_into_venv.sh .venv", allow_module_level=True)
    return rclpy
