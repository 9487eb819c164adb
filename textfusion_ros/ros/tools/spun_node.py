"""An rclpy node in a context of its own, spun by a background thread: the side of the graph
that a tool or a test drives while its main thread publishes, polls and waits."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.signals import SignalHandlerOptions


class SpunNode:
    """Creates `name` in a private context (`domain_id`, or ROS_DOMAIN_ID when None) and spins
    it until `close()`; entities may be added to `node` before or after spinning starts."""

    def __init__(self, name: str, domain_id: int | None = None,
                 join_timeout_s: float = 10.0) -> None:
        self.context = rclpy.Context()
        rclpy.init(args=[], context=self.context, domain_id=domain_id,  # not the tool's argv
                   signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node(name, context=self.context)
        self._join_timeout_s = join_timeout_s
        self._executor = SingleThreadedExecutor(context=self.context)
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._executor.spin, name=f"{name}_spin",
                                        daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop spinning, destroy the node and shut its context down."""
        self._executor.shutdown()
        self._thread.join(self._join_timeout_s)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)
