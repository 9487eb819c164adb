"""Shared fixtures: the text encoder (loaded once), a small random model file, the shipped
model, a leased ROS domain per test module, the `ros2` CLI; under CI=true a broken ROS stack
fails the run. Tests see AMENT_PREFIX_PATH as `source .venv/bin/activate` sets it.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from textfusion_ros.model.checkpoint import FusionModelFile, save_model_file
from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.paths import default_model_path
from textfusion_ros.ros.tools.domains import lease_domain

REPO = Path(__file__).resolve().parents[1]
SHARED_ROS_TOOLS = REPO.parent / "shared" / "ros-tools"


def _activated_ament_prefix_path() -> str:
    """AMENT_PREFIX_PATH after sourcing this venv's activate script (as a user would)."""
    activate = Path(sys.prefix) / "bin" / "activate"
    if not activate.exists():
        return os.environ.get("AMENT_PREFIX_PATH", "")
    return subprocess.run(
        ["bash", "-c", f'source "{activate}" >/dev/null && printf %s "${{AMENT_PREFIX_PATH:-}}"'],
        capture_output=True, text=True, check=True).stdout


os.environ["AMENT_PREFIX_PATH"] = _activated_ament_prefix_path()


def require_ros_tools(what: str) -> None:
    """Skip (saying why) when the ros2 CLI / launch are missing; fail instead under CI=true
    with ../shared/ros-tools present, where `make venv` must have installed them."""
    reason = (f"{what} not installed in {sys.prefix}: ../shared/ros-tools/install.sh .venv "
              "installs it (make venv does when ../shared/ros-tools exists)")
    if os.environ.get("CI") == "true" and SHARED_ROS_TOOLS.exists():
        pytest.fail(reason)
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(autouse=True)
def _project_logs_reach_caplog() -> None:
    """launch_testing's pytest plugin (with ../shared/ros-tools) makes every logger created
    after it loads a LaunchLogger that does not propagate, so caplog, listening at the root,
    would hear nothing of the project's loggers."""
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith(("textfusion_ros", "training")) and isinstance(logger, logging.Logger):
            logger.propagate = True


@pytest.fixture(scope="session")
def ros2_cli() -> Path:
    """The `ros2` command of this venv (skips without it)."""
    ros2 = Path(sys.executable).with_name("ros2")
    if not ros2.exists():
        require_ros_tools("the ros2 CLI")
    return ros2


BANK = {
    "fuse the infrared and visible images": "default",
    "highlight warm pedestrians": "highlight_thermal",
    "preserve visible texture and colour": "preserve_visible",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs an NVIDIA GPU (run by make gpu-check)")


def warm_onnx_cache(model_path: Path) -> Path:
    """Export a model to the default ONNX cache now (once per machine: keyed by content), so
    that nodes started by tests configure within their deadlines."""
    from textfusion_ros.backends.cache import cache_root
    from textfusion_ros.backends.onnx_export import cached_export
    from textfusion_ros.model.checkpoint import load_model_file

    return cached_export(load_model_file(model_path), model_path, cache_root())


@pytest.fixture(scope="session", autouse=True)
def shipped_model_onnx() -> Path | None:
    """The shipped model's cached ONNX export (None when the model is absent)."""
    try:
        path = default_model_path()
    except FileNotFoundError:
        return None
    return warm_onnx_cache(path)


@pytest.fixture(scope="session")
def minilm():
    from textfusion_ros.text.encoders import MiniLMEncoder
    return MiniLMEncoder()


@pytest.fixture(scope="session")
def random_model_path(tmp_path_factory, minilm) -> Path:
    """A model file with random (non-zero) weights and a three-prompt bank."""
    torch.manual_seed(0)
    net = TextFusionNet(ModelConfig())
    with torch.no_grad():
        for p in net.parameters():
            if p.abs().sum() == 0:
                p.normal_(0, 0.05)
    texts = list(BANK)
    bank = dict(zip(texts, minilm.encode(texts), strict=True))
    path = tmp_path_factory.mktemp("model") / "random.safetensors"
    save_model_file(path, FusionModelFile(ModelConfig(), net.state_dict(), bank, BANK, texts[0]))
    warm_onnx_cache(path)  # deterministic content: exported once per machine
    return path


@pytest.fixture(scope="session")
def shipped_model_path() -> Path:
    """The shipped model (or TEXTFUSION_TEST_MODEL)."""
    return Path(os.environ.get("TEXTFUSION_TEST_MODEL") or default_model_path())


ROS_MODULES = ("rclpy", "sensor_msgs.msg", "diagnostic_msgs.msg", "lifecycle_msgs.srv",
               "textfusion_interfaces.srv", "textfusion_interfaces.msg")


def ros_stack_problems() -> list[str]:
    """Why the ROS tests would skip here: modules that do not import, a missing fusion_node."""
    problems = []
    for name in ROS_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            problems.append(f"import {name}: {exc}")
            continue
        if name == "textfusion_interfaces.srv" and not hasattr(module, "SetPrompt"):
            problems.append("textfusion_interfaces.srv has no SetPrompt (source folder only: "
                            "run textfusion_interfaces/install_into_venv.sh .venv)")
    if not Path(sys.executable).with_name("fusion_node").exists():
        problems.append(f"{Path(sys.executable).with_name('fusion_node')} missing")
    return problems


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI (CI=true) the ROS tests must run, not skip: a broken ROS stack fails the run."""
    if os.environ.get("CI") == "true":
        problems = ros_stack_problems()
        if problems:
            pytest.exit("CI=true and the ROS stack is broken, so the ROS tests would skip:\n  "
                        + "\n  ".join(problems), returncode=pytest.ExitCode.INTERNAL_ERROR)


@pytest.fixture(scope="module")
def ros_domain() -> Iterator[int]:
    """A ROS domain leased for this test module alone (textfusion_ros/ros/tools/domains.py),
    set as ROS_DOMAIN_ID, with localhost discovery, in os.environ while the module runs."""
    with lease_domain() as lease, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROS_DOMAIN_ID", str(lease.domain_id))
        patch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
        yield lease.domain_id
