#!/usr/bin/env bash
# Make VENV_DIR an ament prefix for textfusion_ros, as a colcon install would be:
#   share/ament_index/resource_index/packages/textfusion_ros
#   share/textfusion_ros/{package.xml,launch,config,models}  (links to this checkout's files,
#                                                            as setup.py's data_files)
#   lib/textfusion_ros/fusion_node                            (for `ros2 run` and launch_ros)
# and let `source VENV_DIR/bin/activate` set AMENT_PREFIX_PATH to the venv and the prefixes of
# the packages built into VENV_DIR/opt (textfusion_interfaces, the ROS tools' messages).
# Idempotent.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 VENV_DIR" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$(cd "$1" && pwd)
pkg=textfusion_ros

# Real folders of linked files: `ros2 launch` walks the share folder without following links.
share=$venv/share/$pkg
rm -rf "$share"
mkdir -p "$venv/share/ament_index/resource_index/packages" "$venv/lib/$pkg" \
  "$share/launch" "$share/config" "$share/models"
touch "$venv/share/ament_index/resource_index/packages/$pkg"
ln -s "$root/package.xml" "$share/package.xml"
ln -s "$root"/launch/*.py "$share/launch/"
ln -s "$root"/config/*.yaml "$share/config/"
ln -s "$root"/models/*.safetensors "$root"/models/*.json "$root"/models/*.md "$share/models/"
ln -sfn ../../bin/fusion_node "$venv/lib/$pkg/fusion_node"

marker="# textfusion_ros: ament prefixes"
activate=$venv/bin/activate
if ! grep -qxF "$marker" "$activate"; then
  cat >>"$activate" <<'HOOK'
# textfusion_ros: ament prefixes
# The venv and each package prefix under opt/ are ament prefixes (`ros2 launch textfusion_ros`).
_TEXTFUSION_AMENT_PREFIXES="$VIRTUAL_ENV"
for _textfusion_prefix in "$VIRTUAL_ENV"/opt/*/; do
  _TEXTFUSION_AMENT_PREFIXES="$_TEXTFUSION_AMENT_PREFIXES:${_textfusion_prefix%/}"
done
case ":${AMENT_PREFIX_PATH:-}:" in
  *":$VIRTUAL_ENV:"*) ;;
  *) export AMENT_PREFIX_PATH="$_TEXTFUSION_AMENT_PREFIXES${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}" ;;
esac
unset _TEXTFUSION_AMENT_PREFIXES _textfusion_prefix
HOOK
fi
echo "$pkg: $venv is an ament prefix (source $venv/bin/activate sets AMENT_PREFIX_PATH)"
