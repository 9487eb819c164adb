"""Process memory: what the machine has available, keeping a frame's freed buffers for the
next frame, and handing freed heap back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from pathlib import Path

GIB = 1024 ** 3
MIB = 1024 ** 2
FRAME_HEAP_BYTES = 64 * MIB
"""Freed heap a long-running process keeps for reuse: the buffers of one 1280×1024 pair's
fusion, detection and messages with room to spare."""
_M_TRIM_THRESHOLD = -1  # glibc mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * MIB  # glibc's largest M_MMAP_THRESHOLD on 64-bit systems


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
def _libc_function(name: str) -> ctypes._CFuncPtr | None:
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    return getattr(ctypes.CDLL(library), name, None)  # malloc_trim, mallopt: glibc only


def keep_freed_buffers(trim_bytes: int = FRAME_HEAP_BYTES) -> bool:
    """Keep up to `trim_bytes` of freed heap in the process (glibc mallopt); False where
    unsupported.

    By default glibc gives large freed blocks back to the system and a long-running process
    that allocates a large frame's buffers anew each frame faults every page in again: at
    1280×1024 the node took ~20 000 page faults per second that way. Blocks up to 32 MiB now
    come from the heap and its free top is kept up to `trim_bytes`; `release_free_memory`
    still hands everything back on demand (after an oversized frame).
    """
    mallopt = _libc_function("mallopt")
    return bool(mallopt is not None
                and mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
                and mallopt(_M_TRIM_THRESHOLD, trim_bytes))


def release_free_memory() -> bool:
    """Return the heap's free pages to the system (glibc malloc_trim); False where unsupported.

    Freed blocks of a large frame otherwise stay in the allocator's arenas and in the RSS.
    """
    trim = _libc_function("malloc_trim")
    return bool(trim is not None and trim(0))
