"""The ROS workspace path of the README: its colcon build line (both packages, ~1.5 min here),
source install/setup.bash, the installed fusion_node starts (with the venv's Python and ROS
wheels standing in for /opt/ros).

rosdep itself needs its online database, so it is not run: the test checks instead that every
runtime dependency is either a rosdep key of package.xml or on the README's one pip line.
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
from catkin_pkg.package import parse_package

REPO = Path(__file__).resolve().parents[1]
COLCON = Path(sys.executable).with_name("colcon")
ACTIVATE = Path(sys.prefix) / "bin" / "activate"
NOT_IN_CLONE = {".git", ".venv", "build", "install", "log", "out", "runs"}
# rosdep keys of package.xml → the PyPI distribution each one provides.
ROSDEP_TO_PYPI = {
    "python3-numpy": "numpy", "python3-opencv": "opencv-python-headless",
    "python3-yaml": "pyyaml", "python3-tqdm": "tqdm", "python3-torch": "torch",
    "python3-transformers-pip": "transformers", "python3-rosbags-pip": "rosbags",
}
STARTUP_TIMEOUT_S = 90.0


def readme_pip_line() -> str:
    (line,) = re.findall(r"^python3 -m pip install .*$", (REPO / "README.md").read_text(), re.M)
    return line


def install_requires() -> list[str]:
    text = (REPO / "setup.py").read_text()
    block = re.search(r"install_requires=\[(.*?)\]", text, re.S).group(1)
    return re.findall(r'"([^"]+)"', block)


def test_every_runtime_dependency_has_a_rosdep_key_or_the_pip_line():
    package = parse_package(REPO / "package.xml")
    keys = {dep.name for dep in package.exec_depends}
    from_rosdep = {ROSDEP_TO_PYPI[key] for key in keys if key in ROSDEP_TO_PYPI}
    assert all(key in keys for key in ROSDEP_TO_PYPI), "a mapped key left package.xml"
    from_pip = set(readme_pip_line().split()[4:])
    assert set(install_requires()) <= from_rosdep | from_pip
    assert not from_rosdep & from_pip, "installed twice"
    assert "rosgraph_msgs" in keys  # bag-play --clock


@pytest.mark.skipif(not COLCON.exists(), reason="colcon not installed (requirements-ros.txt)")
def test_colcon_build_and_the_installed_node_starts(tmp_path, ros_domain):
    clone = tmp_path / "ws" / "src" / "textfusion_ros"
    clone.mkdir(parents=True)
    for entry in REPO.iterdir():
        if entry.name not in NOT_IN_CLONE and not entry.name.endswith(".egg-info"):
            (clone / entry.name).symlink_to(entry)
    ws = tmp_path / "ws"
    env = {**os.environ, "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
           "ROS_DOMAIN_ID": str(ros_domain), "COLCON_HOME": str(ws / "colcon"),
           "PYTHONUNBUFFERED": "1", "ROS_LOG_DIR": str(tmp_path / "roslog")}
    shell = f'source "{ACTIVATE}" && cd "{ws}"'
    (colcon,) = re.findall(r"^colcon build .*$", (REPO / "README.md").read_text(), re.M)
    build = subprocess.run(["bash", "-c", f"{shell} && {colcon}"], env=env,
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    installed = ws / "install" / "textfusion_ros"
    site = next(installed.glob("lib/python3*/site-packages"))
    assert (site / "textfusion_ros").is_dir() and not (site / "training").exists()
    assert (ws / "install" / "textfusion_interfaces").is_dir()
    for shared in ("package.xml", "launch/fusion.launch.py", "config/fusion.yaml",
                   "config/diagnostics_analyzers.yaml", "models/textfusion_minilm.safetensors"):
        assert (installed / "share" / "textfusion_ros" / shared).exists(), shared

    log = tmp_path / "node.log"
    command = (f"{shell} && source install/setup.bash && "
               "exec install/textfusion_ros/lib/textfusion_ros/fusion_node")
    with open(log, "w") as out:
        node = subprocess.Popen(["bash", "-c", command], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while "active:" not in log.read_text() and node.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        node.send_signal(signal.SIGINT)
        status = node.wait(30)
    text = log.read_text()
    assert status == 0, text
    assert f"model {installed}/share/textfusion_ros/models/" in text, text
