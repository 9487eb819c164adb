"""colcon finds both packages of this repository with the --base-paths documented for users."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "textfusion_interfaces" / "README.md"
BASE_PATHS = ["src", "src/textfusion_ros/textfusion_interfaces"]
NOT_IN_CLONE = {".git", ".venv", "build", "install", "log"}
# Used only when the repository has no root package.xml yet.
FALLBACK_PACKAGE_XML = """<?xml version="1.0"?>
<package format="3">
  <name>textfusion_ros</name>
  <version>0.0.0</version>
  <description>placeholder</description>
  <maintainer email="maintainer@example.com">maintainer</maintainer>
  <license>Apache-2.0</license>
  <exec_depend>textfusion_interfaces</exec_depend>
  <export><build_type>ament_python</build_type></export>
</package>
"""


def _colcon():
    beside_python = Path(sys.executable).with_name("colcon")
    return str(beside_python) if beside_python.exists() else shutil.which("colcon")


COLCON = _colcon()
pytestmark = pytest.mark.skipif(
    COLCON is None, reason="colcon not installed (pip install colcon-common-extensions)"
)


@pytest.fixture
def workspace(tmp_path):
    """A workspace whose src/textfusion_ros mirrors the repository through symlinks."""
    clone = tmp_path / "src" / "textfusion_ros"
    clone.mkdir(parents=True)
    for entry in REPO.iterdir():
        if entry.name not in NOT_IN_CLONE:
            (clone / entry.name).symlink_to(entry)
    if not (clone / "package.xml").exists():
        (clone / "package.xml").write_text(FALLBACK_PACKAGE_XML)
    return tmp_path


def _colcon_list(ws, *args):
    env = dict(os.environ, COLCON_HOME=str(ws / "colcon_home"))
    result = subprocess.run(
        [COLCON, "--log-base", str(ws / "log"), "list", *args],
        cwd=ws, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [tuple(line.split("\t")) for line in result.stdout.splitlines()]


def test_plain_colcon_list_misses_the_nested_package(workspace):
    assert [row[0] for row in _colcon_list(workspace)] == ["textfusion_ros"]


def test_documented_base_paths_find_both_packages(workspace):
    assert f"colcon build --base-paths {' '.join(BASE_PATHS)}" in README.read_text()
    # --packages-up-to also proves that textfusion_ros declares its dependency on the interfaces.
    rows = _colcon_list(
        workspace, "--base-paths", *BASE_PATHS, "--packages-up-to", "textfusion_ros",
        "--topological-order",
    )
    assert rows == [
        ("textfusion_interfaces", "src/textfusion_ros/textfusion_interfaces", "(ros.ament_cmake)"),
        ("textfusion_ros", "src/textfusion_ros", "(ros.ament_python)"),
    ]
