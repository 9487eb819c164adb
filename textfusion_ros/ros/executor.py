"""A thread-pool executor whose callbacks in flight can be waited for before teardown."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from rclpy.executors import (
    Executor,
    ExternalShutdownException,
    ShutdownException,
    TimeoutException,
)
from rclpy.task import Task


class DrainingExecutor(Executor):
    """Runs ready callbacks on a pool of threads, as MultiThreadedExecutor does, plus `drain`.

    MultiThreadedExecutor.shutdown() destroys its guard condition before its threads finish,
    and nothing waits for a callback still running when the node is destroyed. `drain()` waits
    for every callback in flight; call it after the last `spin_once`, then destroy the node.
    A callback's exception is raised from the next `spin_once`, as rclpy's executors do.
    """

    def __init__(self, num_threads: int) -> None:
        super().__init__()
        self._pool = ThreadPoolExecutor(num_threads, thread_name_prefix="ros_callbacks")
        self._in_flight: list[Task] = []

    def spin_once(self, timeout_sec: float | None = None) -> None:
        try:
            handler, _, _ = self.wait_for_ready_callbacks(timeout_sec)
        except (TimeoutException, ShutdownException, ExternalShutdownException):
            return
        self._pool.submit(handler)
        self._in_flight.append(handler)
        finished = [task for task in self._in_flight if task.done()]
        for task in finished:
            self._in_flight.remove(task)
            task.result()

    def drain(self) -> None:
        """Wait for all callbacks in flight; spin_once must not be called afterwards."""
        self._pool.shutdown(wait=True)
