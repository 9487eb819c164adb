"""A worker thread fed through a one-slot mailbox: it only ever processes the newest item."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textfusion_ros.ros.priority import lower_thread_priority


class LatestWorker:
    """Runs `handler(item)` on its own thread for the newest item put, never blocking `put`.

    An item put while an earlier one still waits replaces it; the replaced item is counted in
    `dropped`. Exceptions from the handler go to `on_error` and the worker carries on.
    `start` and `stop` may be repeated (a node activated again); counters persist. With `nice`
    > 0 the thread runs at that much lower CPU priority (see `priority`).
    """

    def __init__(self, handler: Callable[[Any], None],
                 on_error: Callable[[BaseException], None], name: str = "worker",
                 nice: int = 0) -> None:
        self._handler = handler
        self._on_error = on_error
        self._name = name
        self._nice = nice
        self._cond = threading.Condition()
        self._item: Any = None
        self._has_item = False
        self._running = False
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def start(self) -> None:
        """Start the thread (no-op when running)."""
        with self._cond:
            if self._running:
                return
            self._running = True
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        """Hand `item` over; replaces (drops) an item not yet taken. Ignored when stopped."""
        with self._cond:
            if not self._running:
                return
            if self._has_item:
                self.dropped += 1
            self._item, self._has_item = item, True
            self._cond.notify()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop after the item being processed; a waiting item is dropped. Joins the thread
        (at most `timeout` s); False when it is still processing its item."""
        with self._cond:
            self._running = False
            if self._has_item:
                self.dropped += 1
            self._item, self._has_item = None, False
            self._cond.notify()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    @property
    def running(self) -> bool:
        return self._running

    def _run(self) -> None:
        lower_thread_priority(self._nice)
        while True:
            with self._cond:
                while self._running and not self._has_item:
                    self._cond.wait()
                if not self._running:
                    return
                item, self._item, self._has_item = self._item, None, False
            try:
                self._handler(item)
            except Exception as error:  # reported, the worker must survive
                self._on_error(error)
            finally:
                item = None  # not kept alive while waiting (a large frame's buffers)
