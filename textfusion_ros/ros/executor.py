"""A thread-pool executor that starts each callback once and can wait for those in flight."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from rclpy.context import Context
from rclpy.executors import (
    Executor,
    ExternalShutdownException,
    ShutdownException,
    TimeoutException,
)
from rclpy.task import Task


class DrainingExecutor(Executor):
    """Runs ready callbacks on a pool of threads, like MultiThreadedExecutor, with two changes.

    - rclpy's Executor hands out a task again until a thread has started it, so
      MultiThreadedExecutor spins at full CPU, holding the GIL, whenever its threads are slow
      to pick tasks up (and the callbacks it starves lose messages). Here `spin_once` waits for
      an idle thread before waiting for work, and returns only once the callback has started.
    - `drain()` waits for every callback in flight (MultiThreadedExecutor.shutdown() destroys
      its guard condition before its threads finish), or for at most a timeout; call it after
      the last `spin_once`, then destroy the node.

    A callback's exception is raised from the next `spin_once`, as rclpy's executors do.
    """

    def __init__(self, num_threads: int, context: Context | None = None) -> None:
        super().__init__(context=context)
        self._pool = ThreadPoolExecutor(num_threads, thread_name_prefix="ros_callbacks")
        self._idle_threads = threading.Semaphore(num_threads)
        self._running = 0
        self._running_changed = threading.Condition()
        self._in_flight: list[Task] = []

    def spin_once(self, timeout_sec: float | None = None) -> None:
        if not self._idle_threads.acquire(timeout=timeout_sec):
            return
        try:
            handler, _, _ = self.wait_for_ready_callbacks(timeout_sec)
        except (TimeoutException, ShutdownException, ExternalShutdownException):
            self._idle_threads.release()
            return
        started = threading.Event()
        self._pool.submit(self._run, handler, started)
        self._in_flight.append(handler)
        started.wait()
        finished = [task for task in self._in_flight if task.done()]
        for task in finished:
            self._in_flight.remove(task)
            task.result()

    def _run(self, handler: Task, started: threading.Event) -> None:
        with self._running_changed:
            self._running += 1
        started.set()
        try:
            handler()
        finally:
            with self._running_changed:
                self._running -= 1
                self._running_changed.notify_all()
            self._idle_threads.release()

    def drain(self, timeout_sec: float | None = None) -> bool:
        """Wait for all callbacks in flight (at most `timeout_sec`); False when some still run.
        spin_once must not be called afterwards."""
        with self._running_changed:
            idle = self._running_changed.wait_for(lambda: self._running == 0, timeout_sec)
        self._pool.shutdown(wait=idle)
        return idle
