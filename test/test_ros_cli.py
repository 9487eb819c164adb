"""The README's ROS 2 commands, verbatim, through the real `ros2` CLI and `ros2 launch`.

Each line of the README's ROS block runs in bash after `source .venv/bin/activate`, as a user
types it: the launch in the background, the others one after the other against it, then
Ctrl-C (SIGINT to the launch's process group) must end everything with exit status 0.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ACTIVATE = Path(sys.prefix) / "bin" / "activate"
STARTUP_TIMEOUT_S = 90.0
COMMAND_TIMEOUT_S = 60.0
DISCOVERY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 30.0


def readme_ros_commands() -> list[str]:
    """The lines of the first bash block under the README's '## ROS 2' heading."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("\n## ROS 2\n"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


@pytest.fixture
def ros_env(tmp_path, ros_domain) -> dict[str, str]:
    return {**os.environ, "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
            "ROS_DOMAIN_ID": str(ros_domain), "ROS_HOME": str(tmp_path / "ros"),
            "ROS_LOG_DIR": str(tmp_path / "log"), "PYTHONUNBUFFERED": "1"}


def _in_activated_venv(line: str) -> list[str]:
    return ["bash", "-c", f'source "{ACTIVATE}" && {line}']


def _run(line: str, env: dict[str, str]) -> str:
    """Run a README line; a verb that has not discovered the node yet ("Node not found", a
    discovery lag on a busy machine) is tried again until DISCOVERY_TIMEOUT_S."""
    deadline = time.monotonic() + DISCOVERY_TIMEOUT_S
    while True:
        result = subprocess.run(_in_activated_venv(line), env=env, capture_output=True,
                                text=True, timeout=COMMAND_TIMEOUT_S, cwd=REPO)
        output = result.stdout + result.stderr
        if "Node not found" not in output or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert result.returncode == 0, f"{line!r} exited {result.returncode}:\n{output}"
    return output


def _wait_for(log: Path, text: str, launch: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        assert launch.poll() is None, f"launch exited:\n{log.read_text(errors='replace')}"
        assert time.monotonic() < deadline, (
            f"no {text!r} within {timeout} s:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


EXPECTED = {
    "{prompt: 'infrared is noisy'}": ("success=True", "active_prompt='infrared is noisy'"),
    "{prompt: ''}": ("success=False", "prompt rejected"),
    "ros2 topic pub": ("publishing #1",),
    'prompt "visible camera is in low light"': ("Set parameter successful",),
    "param get": ("String value is: visible camera is in low light",),
    "ir_topic": ("Setting parameter failed", "only take(s) effect at configure"),
    "lifecycle get": ("active [3]",),
    "deactivate": ("Transitioning successful",),
    " activate": ("Transitioning successful",),
}


def _expected(line: str) -> tuple[str, ...]:
    matches = [texts for key, texts in EXPECTED.items() if key in line]
    assert matches, f"no expectation for README line {line!r}"
    return matches[-1]


def test_readme_ros_commands_verbatim(ros2_cli, ros_env, tmp_path):
    launch_line, *commands = readme_ros_commands()
    assert launch_line.startswith("ros2 launch textfusion_ros fusion.launch.py")
    log = tmp_path / "launch.log"
    with open(log, "w") as out:
        launch = subprocess.Popen(_in_activated_venv(f"exec {launch_line}"), env=ros_env,
                                  stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                  start_new_session=True)
    try:
        _wait_for(log, "active: IR /thermal/image_raw", launch, STARTUP_TIMEOUT_S)
        for line in commands:
            output = _run(line, ros_env)
            for text in _expected(line):
                assert text in output, f"{line!r}: no {text!r} in\n{output}"
        launch_log = log.read_text(errors="replace")
        assert "prompt set by topic: 'highlight warm pedestrians'" in launch_log
    finally:
        if launch.poll() is None:
            os.killpg(launch.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            status = launch.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(launch.pid, signal.SIGKILL)
            status = launch.wait()
        subprocess.run(_in_activated_venv("ros2 daemon stop"), env=ros_env,
                       capture_output=True, timeout=COMMAND_TIMEOUT_S)
    launch_log = log.read_text(errors="replace")
    assert status == 0, launch_log
    assert re.search(r"process has finished cleanly \[pid \d+\]", launch_log), launch_log
