"""The node's diagnostic status, named and levelled as diagnostic_updater does it.

Name `"<fully qualified node name>: fusion"` (so /front/fusion_node and /rear/fusion_node stay
apart under an aggregator), `hardware_id` from a parameter. Levels:
- ERROR: both cameras deliver but nothing has been published for `stall_timeout` seconds
  while someone subscribes, or processing errors repeat without a frame in between;
- WARN: a camera is silent (see FusionMonitor);
- OK otherwise; with nobody subscribed the node is idle and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from textfusion_ros.ros.monitor import Report

OK, WARN, ERROR = 0, 1, 2
TASK_NAME = "fusion"
IDLE_MESSAGE = "idle: no subscribers"
REPEATED_ERRORS = 2  # processing errors without a published frame in between → ERROR


def status_name(fully_qualified_node_name: str) -> str:
    """diagnostic_updater's status name: node name, colon, task name."""
    return f"{fully_qualified_node_name}: {TASK_NAME}"


@dataclass(frozen=True)
class Health:
    level: int
    message: str


@dataclass
class _Progress:
    published: int = 0
    errors: int = 0
    ir: int = 0
    vis: int = 0
    since: float = 0.0


class HealthRules:
    """Turns successive monitor reports into a level and message (keeps the last progress)."""

    def __init__(self, stall_timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stall_timeout = stall_timeout
        self._clock = clock
        self._progress: _Progress | None = None

    def assess(self, report: Report, idle: bool) -> Health:
        """Level and message of one report; `idle` = nobody subscribes to the outputs."""
        values = report.values
        now = self._clock()
        published, errors = int(values["frames_published"]), int(values["processing_errors"])
        ir, vis = int(values["ir_received"]), int(values["vis_received"])
        last = self._progress
        if last is None or published != last.published or idle or report.message == "inactive":
            last = self._progress = _Progress(published, errors, ir, vis, now)
        if report.message == "inactive":
            return Health(OK, report.message)
        if errors - last.errors >= REPEATED_ERRORS:
            return Health(ERROR, f"processing failed {errors - last.errors} times in a row; "
                                 "nothing published since")
        stalled = now - last.since
        if ir > last.ir and vis > last.vis and stalled > self._stall_timeout:
            return Health(ERROR, f"inputs arrive but nothing published for {stalled:.1f} s")
        parts = [IDLE_MESSAGE] if idle else []
        if report.warn or not idle:
            parts.append(report.message)
        return Health(WARN if report.warn else OK, "; ".join(parts))
