"""The Fast DDS profile the fusion node runs with: larger shared-memory segments for images.

Fast DDS reads its XML profile from FASTDDS_DEFAULT_PROFILES_FILE when a process creates its
first participant, so the choice is made before `rclpy.init` (a node parameter would come too
late). `config/fastdds_large_images.xml` explains why images need it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path

from textfusion_ros.paths import find_shipped

PROFILE_VARIABLE = "FASTDDS_DEFAULT_PROFILES_FILE"
LEGACY_PROFILE_VARIABLE = "FASTRTPS_DEFAULT_PROFILES_FILE"
CHOICE_VARIABLE = "TEXTFUSION_FASTDDS_PROFILE"  # unset: shipped; a path; or "none"
QOS_FROM_XML_VARIABLE = "RMW_FASTRTPS_USE_QOS_FROM_XML"
SHIPPED_PROFILE = "config/fastdds_large_images.xml"
FAST_DDS_RMWS = ("rmw_fastrtps_cpp", "rmw_fastrtps_dynamic_cpp")


def choose_profile(environ: MutableMapping[str, str]) -> str:
    """Set `environ`'s Fast DDS profile for this process and say which is in effect.

    A profile the user set (FASTDDS_/FASTRTPS_DEFAULT_PROFILES_FILE) is kept; otherwise
    TEXTFUSION_FASTDDS_PROFILE names one, "none" leaves Fast DDS's defaults, and unset means
    the shipped `fastdds_large_images.xml`. With the shipped profile, from whichever variable,
    RMW_FASTRTPS_USE_QOS_FROM_XML defaults to 1 so that its history memory policy applies.
    Other middlewares are left alone.
    """
    rmw = environ.get("RMW_IMPLEMENTATION", FAST_DDS_RMWS[0])
    if rmw not in FAST_DDS_RMWS:
        return f"none ({rmw} is not Fast DDS)"
    shipped = find_shipped(SHIPPED_PROFILE)
    user_variable = next((v for v in (PROFILE_VARIABLE, LEGACY_PROFILE_VARIABLE)
                          if environ.get(v)), None)
    if user_variable is not None:
        profile, label = environ[user_variable], f" (from {user_variable})"
    else:
        choice = environ.get(CHOICE_VARIABLE, "")
        if choice.lower() == "none":
            return f"Fast DDS defaults ({CHOICE_VARIABLE}=none)"
        profile, label = choice or str(shipped), ""
        environ[PROFILE_VARIABLE] = profile
    if _same_file(profile, shipped):
        environ.setdefault(QOS_FROM_XML_VARIABLE, "1")
    return profile + label


def _same_file(path: str, other: Path) -> bool:
    try:
        return Path(path).samefile(other)
    except OSError:
        return False
