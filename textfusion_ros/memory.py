"""Process memory: what the machine has available, and handing freed heap back to it."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from pathlib import Path

GIB = 1024 ** 3


def available_memory_bytes() -> int | None:
    """MemAvailable of /proc/meminfo (Linux) in bytes; None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@functools.cache
def _malloc_trim() -> ctypes._CFuncPtr | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    return getattr(ctypes.CDLL(name), "malloc_trim", None)  # glibc only


def release_free_memory() -> bool:
    """Return the heap's free pages to the system (glibc malloc_trim); False where unsupported.

    Freed blocks of a large frame otherwise stay in the allocator's arenas and in the RSS.
    """
    trim = _malloc_trim()
    return bool(trim is not None and trim(0))
