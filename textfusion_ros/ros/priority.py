"""CPU priority of the node's model work.

The fusion worker and the inference runtimes' threads run at a higher nice value (a lower
priority) than the input path: the middleware's receive threads and the image callbacks. On a
machine the model keeps busy, the kernel then serves the cameras' messages first and gives the
model whatever CPU is left, instead of letting the reliable writers' histories overflow.
Linux keeps a nice value per thread. The model is built at normal priority (configure stays
fast on a loaded machine); only the threads it leaves behind are lowered.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
MAX_NICE = 19


def lower_thread_priority(increment: int) -> int | None:
    """Raise the calling thread's nice value by `increment` (capped at 19); the new value, or
    None where per-thread priorities are not available (not Linux) or the call was refused."""
    if increment <= 0 or sys.platform != "linux":
        return None
    return _renice(threading.get_native_id(), increment)


def call_lowering_new_threads(function: Callable[[], T], increment: int) -> T:
    """`function()`, run at the caller's priority; the native threads it leaves running (the
    inference runtimes' pools, created with a session), not Python threads, then get a nice
    value `increment` higher. Linux only; elsewhere just `function()`."""
    if increment <= 0 or sys.platform != "linux":
        return function()
    before = _native_thread_ids()
    result = function()
    python_threads = {thread.native_id for thread in threading.enumerate()}
    for thread_id in _native_thread_ids() - before - python_threads:
        _renice(thread_id, increment)
    return result


def _renice(thread_id: int, increment: int) -> int | None:
    try:
        nice = min(MAX_NICE, os.getpriority(os.PRIO_PROCESS, thread_id) + increment)
        os.setpriority(os.PRIO_PROCESS, thread_id, nice)
    except OSError:  # refused, or the thread ended meanwhile
        return None
    return nice


def _native_thread_ids() -> set[int]:
    return {int(task.name) for task in Path("/proc/self/task").iterdir()}
