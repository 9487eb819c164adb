"""Counters, camera silence and latency of the running node, summarised for diagnostics.

ROS-free: the node feeds it events and turns `report()` into a DiagnosticArray.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from textfusion_ros.stats import GapCounter, LatencyStats, RateMeter

CAMERAS = ("IR", "VIS")
RATE_WINDOW_S = 5.0


@dataclass(frozen=True)
class Report:
    """Health summary: `warn` is False for OK; `values` are diagnostic key/values."""

    warn: bool
    message: str
    values: dict[str, object]


class FusionMonitor:
    """Thread-safe event counters of one configured session of the node."""

    def __init__(self, stats_window: int, silence_timeout: float,
                 clock: Callable[[], float] = time.monotonic, latency_horizon_s: float = 10.0,
                 rate_idle_s: float | None = None) -> None:
        self._clock = clock
        self._silence_timeout = silence_timeout
        self._lock = threading.Lock()
        self.latency_ms = LatencyStats(stats_window, latency_horizon_s * 1e3)
        self.rate = RateMeter(RATE_WINDOW_S, clock, idle_s=rate_idle_s)
        self.gaps = [GapCounter(), GapCounter()]
        self.lost = [0, 0]
        self.received = [0, 0]
        self.bad_messages = 0
        self.published = 0
        self.errors = 0
        self._last_seen: list[float | None] = [None, None]
        self._active_since: float | None = None

    def activated(self) -> None:
        """Start silence tracking from now (cameras not heard since count from here)."""
        with self._lock:
            self._active_since = self._clock()
            self._last_seen = [None, None]

    def deactivated(self) -> None:
        with self._lock:
            self._active_since = None

    def on_message(self, camera: int, stamp_ns: int | None = None) -> None:
        """A message arrived from camera 0 (IR) or 1 (VIS), good or bad; its stamp (when it
        has one) feeds the camera's gap count."""
        with self._lock:
            self.received[camera] += 1
            self._last_seen[camera] = self._clock()
        if stamp_ns is not None:
            self.gaps[camera].add(stamp_ns)

    def on_lost(self, camera: int, count: int) -> None:
        """The middleware reported `count` messages of a camera lost before delivery."""
        with self._lock:
            self.lost[camera] += count

    def on_bad_message(self) -> None:
        with self._lock:
            self.bad_messages += 1

    def on_error(self) -> None:
        """Processing of a pair failed."""
        with self._lock:
            self.errors += 1

    def on_published(self, latency_ms: float) -> bool:
        """A fused frame went out; False when its latency is implausible (bad stamp)."""
        plausible = self.latency_ms.add(latency_ms)
        self.rate.tick()
        with self._lock:
            self.published += 1
        return plausible

    def silent(self) -> list[tuple[str, float]]:
        """(camera, seconds) of each camera silent longer than the timeout while active."""
        with self._lock:
            if self._active_since is None:
                return []
            now = self._clock()
            gaps = [(name, now - (seen if seen is not None else self._active_since))
                    for name, seen in zip(CAMERAS, self._last_seen, strict=True)]
        return [(name, gap) for name, gap in gaps if gap > self._silence_timeout]

    def report(self, dropped_unpaired: int, dropped_busy: int, time_jumps: int,
               extra: dict[str, object], warnings: list[str] | None = None) -> Report:
        """The health summary; WARN while a camera is silent or with `warnings`, OK otherwise."""
        silent = self.silent()
        problems = [f"no {name} image for {gap:.1f} s" for name, gap in silent]
        problems += warnings or []
        if self._active_since is None:
            message = "inactive"
            problems = warnings or []
        else:
            message = "fusing"
        if problems:
            message = "; ".join(problems)
        with self._lock:
            counts = {
                "ir_received": self.received[0],
                "vis_received": self.received[1],
                "ir_lost": self.lost[0],
                "vis_lost": self.lost[1],
                "frames_published": self.published,
                "bad_messages": self.bad_messages,
                "processing_errors": self.errors,
            }
        values: dict[str, object] = {
            "rate_hz": f"{self.rate.rate():.2f}",
            "latency_p50_ms": format_ms(self.latency_ms.p50),
            "latency_p99_ms": format_ms(self.latency_ms.p99),
            "latency_negative": self.latency_ms.negative,
            "latency_beyond_horizon": self.latency_ms.beyond_horizon,
            "ir_gap_frames": self.gaps[0].missing,
            "vis_gap_frames": self.gaps[1].missing,
            "ir_period_ms": format_ms(self.gaps[0].period_s() * 1e3),
            "vis_period_ms": format_ms(self.gaps[1].period_s() * 1e3),
            "frames_dropped": dropped_unpaired + dropped_busy,
            "dropped_unpaired": dropped_unpaired,
            "dropped_busy": dropped_busy,
            "time_jumps": time_jumps,
            **counts,
            **extra,
        }
        return Report(bool(problems), message, values)


def format_ms(value: float) -> str:
    """Milliseconds with one decimal for diagnostics; "nan" before the first sample."""
    return "nan" if math.isnan(value) else f"{value:.1f}"
