"""Rolling latency percentiles, frame rate and stream gaps, for logging and diagnostics
(thread-safe)."""

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

    @property
    def last(self) -> float:
        """The most recent sample, NaN while empty."""
        with self._lock:
            return self._samples[-1] if self._samples else float("nan")

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


class LatencyStats:
    """Latency percentiles of the last `window` plausible samples.

    A sample below 0 (a stamp in the future of the clock) or above `horizon_ms` (a stamp far in
    the past: zero, a stale clock) says nothing about the node's speed: it is counted in
    `negative` or `beyond_horizon` and kept out of the percentiles.
    """

    def __init__(self, window: int, horizon_ms: float):
        if not horizon_ms > 0.0:
            raise ValueError(f"horizon_ms must be > 0, got {horizon_ms}")
        self.good = RollingStats(window)
        self.horizon_ms = horizon_ms
        self.negative = 0
        self.beyond_horizon = 0

    def add(self, latency_ms: float) -> bool:
        """Record one sample; True when it is plausible (and enters the percentiles)."""
        if latency_ms < 0.0:
            self.negative += 1
            return False
        if latency_ms > self.horizon_ms:
            self.beyond_horizon += 1
            return False
        self.good.add(latency_ms)
        return True

    @property
    def p50(self) -> float:
        return self.good.p50

    @property
    def p99(self) -> float:
        return self.good.p99


class GapCounter:
    """Frames missing from one camera's stream, judged from its stamps.

    The camera's period is the median of the last `history` stamp differences; a difference
    above `tolerance` periods counts round(difference / period) − 1 missing frames. Differences
    of zero, backwards or beyond `max_gap_s` (a pause, a bag loop) restart the judgement instead.
    """

    def __init__(self, history: int = 50, tolerance: float = 1.5, max_gap_s: float = 1.0):
        self._diffs: deque[int] = deque(maxlen=history)
        self._tolerance = tolerance
        self._max_gap_ns = int(max_gap_s * 1e9)
        self._last_ns: int | None = None
        self._lock = threading.Lock()
        self.missing = 0
        self.gaps = 0

    def add(self, stamp_ns: int) -> int:
        """Record the stamp of an arrived frame; returns the frames judged missing before it."""
        with self._lock:
            last, self._last_ns = self._last_ns, stamp_ns
            if last is None:
                return 0
            diff = stamp_ns - last
            if diff <= 0 or diff > self._max_gap_ns:
                self._diffs.clear()
                return 0
            missing = 0
            if len(self._diffs) >= 5:
                period = float(np.median(self._diffs))
                if diff > self._tolerance * period:
                    missing = max(1, round(diff / period) - 1)
                    self.missing += missing
                    self.gaps += 1
            if not missing:  # gaps do not stretch the period estimate
                self._diffs.append(diff)
            return missing

    def period_s(self) -> float:
        """The measured period (s); NaN before enough frames."""
        with self._lock:
            diffs = list(self._diffs)
        return float(np.median(diffs)) / 1e9 if len(diffs) >= 5 else float("nan")


class RateMeter:
    """Events per second over a sliding window of `window_s` seconds of `clock` time.

    With `idle_s`, the rate reads 0 once no event came for `idle_s` seconds, or for two of the
    mean intervals if those are longer (the node uses its diagnostics period: a stopped output
    shows at the next report, and an output slower than that does not flicker to 0).
    """

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic,
                 idle_s: float | None = None):
        if not window_s > 0.0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self._window_s = window_s
        self._idle_s = idle_s
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
            if span <= 0:
                return 0.0
            rate = (len(self._times) - 1) / span
            if self._idle_s is not None and now - self._times[-1] > max(self._idle_s, 2 / rate):
                return 0.0
            return rate

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] < now - self._window_s:
            self._times.popleft()
