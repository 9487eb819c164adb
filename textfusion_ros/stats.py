"""Rolling latency percentiles and frame rate, for logging and diagnostics (thread-safe)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np


class RollingStats:
    """Percentiles of the last `window` samples (e.g. latencies in ms); NaN while empty."""

    def __init__(self, window: int):
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self._samples: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()

    def add(self, value: float) -> None:
        """Record one sample; the oldest falls out once the window is full."""
        with self._lock:
            self._samples.append(float(value))

    @property
    def count(self) -> int:
        """Number of samples in the window."""
        return len(self._samples)

    def percentile(self, q: float) -> float:
        """The q-th percentile (0–100, linear interpolation) of the window, NaN if empty."""
        with self._lock:
            samples = np.array(self._samples, dtype=np.float64)
        return float(np.percentile(samples, q)) if samples.size else float("nan")

    @property
    def p50(self) -> float:
        return self.percentile(50.0)

    @property
    def p99(self) -> float:
        return self.percentile(99.0)


class RateMeter:
    """Events per second over a sliding window of `window_s` seconds of `clock` time."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic):
        if not window_s > 0.0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self._window_s = window_s
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self) -> None:
        """Record one event (a frame) now."""
        now = self._clock()
        with self._lock:
            self._times.append(now)
            self._prune(now)

    def rate(self) -> float:
        """(n − 1) / (last − first) over the events still in the window; 0 with fewer than 2."""
        now = self._clock()
        with self._lock:
            self._prune(now)
            if len(self._times) < 2:
                return 0.0
            span = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] < now - self._window_s:
            self._times.popleft()
