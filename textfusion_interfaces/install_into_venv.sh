#!/usr/bin/env bash
# Install the ROS 2 wheels into VENV_DIR, then build textfusion_interfaces with cmake and make it
# importable there. Skips everything when the stamp shows nothing changed since the last run.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 VENV_DIR" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
venv=$(cd "$1" && pwd)
py=$venv/bin/python
prefix=$venv/opt/textfusion_interfaces
build=$root/build/textfusion_interfaces
stamp=$prefix/.install-stamp

# Let every Python started here re-run the wheels' bootstrapper, so that LD_LIBRARY_PATH picks up
# library folders created by this script (it only adds to an existing LD_LIBRARY_PATH).
unset _ROS_WHEELS_BOOTSTRAP_COMPLETE

hash=$(
  cd "$root"
  {
    echo "$venv"
    sha256sum requirements-ros.txt constraints.txt
    cd "$here"
    sha256sum install_into_venv.sh CMakeLists.txt package.xml msg/*.msg srv/*.srv
  } | sha256sum | cut -d' ' -f1
)
if [[ -f $stamp && $(<"$stamp") == "$hash" ]] \
  && "$py" -c 'import rclpy; from textfusion_interfaces.srv import SetPrompt' 2>/dev/null; then
  echo "textfusion_interfaces: up to date in $venv"
  exit 0
fi

"$venv/bin/pip" install -q -c "$root/constraints.txt" -r "$root/requirements-ros.txt"

# The wheels' exported cmake targets name the Python and numpy include dirs of the machine that
# built them (/opt/python/cp311-cp311/...); point them at this venv's.
py_inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
np_inc=$("$py" -c 'import numpy; print(numpy.get_include())')
mapfile -t stale < <(grep -rl --include='*.cmake' '/opt/python/cp3' "$venv/share" || true)
if [[ ${#stale[@]} -gt 0 ]]; then
  sed -i -E \
    -e "s|/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+|$py_inc|g" \
    -e "s|/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/_core/include|$np_inc|g" \
    "${stale[@]}"
fi

# A build dir configured for another venv caches that venv's Python: start it afresh.
if ! grep -qxF "CMAKE_INSTALL_PREFIX:PATH=$prefix" "$build/CMakeCache.txt" 2>/dev/null; then
  rm -rf "$build"
fi
export AMENT_PREFIX_PATH=$venv CMAKE_PREFIX_PATH=$venv
cmake -S "$here" -B "$build" -Wno-dev \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_TESTING=OFF \
  -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DPython3_EXECUTABLE="$py" >/dev/null
cmake --build "$build" --parallel "$(nproc)" >/dev/null
rm -rf "$prefix"
cmake --install "$build" >/dev/null

# Python finds the package through a .pth file; the bootstrapper puts every
# site-packages/ros_*.libs folder on LD_LIBRARY_PATH, so the typesupport libraries load too.
site=$("$py" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
py_dir=$(cd "$prefix" && echo lib/python3*/site-packages)
echo "$prefix/$py_dir" >"$site/textfusion_interfaces.pth"
ln -sfn "$prefix/lib" "$site/ros_textfusion_interfaces.libs"

# Smoke test: serializing goes through the C typesupport libraries.
"$py" -c '
from rclpy.serialization import deserialize_message, serialize_message
from textfusion_interfaces.msg import Detection2DArray
from textfusion_interfaces.srv import SetPrompt
msg = Detection2DArray()
assert deserialize_message(serialize_message(msg), Detection2DArray) == msg
assert SetPrompt.Request(prompt="x").prompt == "x"
'
echo "$hash" >"$stamp"
echo "textfusion_interfaces: installed into $prefix"
