"""The model work's lower CPU priority: per-thread nice values for the worker, and for the
native threads that building the model leaves behind (ONNX Runtime's pools), not for the
caller or Python threads."""

import os
import sys
import threading
from pathlib import Path

import onnxruntime
import pytest

from textfusion_ros.detection.detector import shipped_detector
from textfusion_ros.ros.priority import call_lowering_new_threads, lower_thread_priority
from textfusion_ros.ros.worker import LatestWorker

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux's")


def thread_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def thread_nices() -> dict[int, int]:
    """Native thread id → nice value of every thread of this process (/proc)."""
    nices = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        nices[int(task.name)] = int(fields[16])  # stat field 19: nice
    return nices


def test_only_the_calling_thread_is_lowered():
    base = thread_nice()
    seen = {}

    def run():
        seen["new"] = lower_thread_priority(3)
        seen["read"] = thread_nice()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen["new"] == seen["read"] == min(19, base + 3)
    assert thread_nice() == base  # this thread is untouched
    assert lower_thread_priority(0) is None and thread_nice() == base


def test_native_threads_left_by_the_call_are_lowered_not_python_ones():
    path = shipped_detector()
    if path is None:
        pytest.skip("the shipped detector is not installed")
    base = thread_nice()
    before = set(thread_nices())
    stop = threading.Event()
    python_thread = threading.Thread(target=stop.wait)

    def build():
        python_thread.start()  # a Python thread started meanwhile keeps its priority
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2  # one pool thread besides the caller
        return onnxruntime.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])

    try:
        session = call_lowering_new_threads(build, 4)
        created = {tid: nice for tid, nice in thread_nices().items() if tid not in before}
    finally:
        stop.set()
        python_thread.join()
    assert session is not None and thread_nice() == base
    assert created.pop(python_thread.native_id) == base
    python_ids = {thread.native_id for thread in threading.enumerate()}  # others' meanwhile
    lowered = {tid: nice for tid, nice in created.items() if tid not in python_ids}
    assert lowered and set(lowered.values()) == {min(19, base + 4)}  # the session's pool


def test_results_and_errors_come_back():
    assert call_lowering_new_threads(lambda: 42, 5) == 42
    assert call_lowering_new_threads(lambda: 7, 0) == 7

    def fail():
        raise ValueError("bad model")

    with pytest.raises(ValueError, match="bad model"):
        call_lowering_new_threads(fail, 5)


def test_worker_thread_runs_at_its_nice():
    base = thread_nice()
    seen = []
    done = threading.Event()

    def handler(_item):
        seen.append(thread_nice())
        done.set()

    worker = LatestWorker(handler, on_error=pytest.fail, nice=5)
    worker.start()
    worker.put(1)
    assert done.wait(5)
    worker.stop()
    assert seen == [min(19, base + 5)]
