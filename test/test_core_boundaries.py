"""Architecture rules: the core imports no ROS and never the training subpackage."""

import pkgutil
import subprocess
import sys

import textfusion_ros

CORE_MODULES = sorted(
    m.name for m in pkgutil.walk_packages(textfusion_ros.__path__, "textfusion_ros.")
    if not m.name.startswith("textfusion_ros.ros") and not m.name.endswith("__main__"))


def test_core_modules_import_neither_ros_nor_training():
    code = (
        "import importlib, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('rclpy', 'rosidl_runtime_py', 'sensor_msgs', 'training'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert len(CORE_MODULES) > 20
    assert result.stdout.strip() == "", result.stdout
