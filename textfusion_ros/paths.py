"""Where the shipped files live, for a source checkout and for an installed package."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = "textfusion_ros"
DEFAULT_MODEL_NAME = "textfusion_minilm.safetensors"


def share_dirs() -> list[Path]:
    """Candidate folders holding `models/`, `config/`, `launch/`: checkout first, then installs
    (ament prefixes in their order, then this Python's prefix)."""
    dirs = [Path(__file__).resolve().parents[1]]
    prefixes = [*os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep), sys.prefix]
    dirs += [Path(p) / "share" / PACKAGE for p in prefixes if p]
    return dirs


def find_shipped(relative: str) -> Path:
    """Locate a shipped file such as 'models/textfusion_minilm.safetensors'."""
    for base in share_dirs():
        candidate = base / relative
        if candidate.exists():
            return candidate
    searched = ", ".join(str(d) for d in share_dirs())
    raise FileNotFoundError(f"{relative} not found in: {searched}")


def default_model_path() -> Path:
    """The shipped fusion model."""
    return find_shipped(f"models/{DEFAULT_MODEL_NAME}")
