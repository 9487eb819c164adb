"""Pair two message streams by approximate timestamp (ROS-free, thread-safe)."""

from __future__ import annotations

import bisect
import threading
from collections import deque
from typing import Any

Pair = tuple[int, Any, int, Any]


class ApproximateTimeSync:
    """Approximate-time pairing of stream 0 and stream 1, in the manner of message_filters.

    Semantics, per `add(stream, stamp_ns, item)`:

    * The new message is matched against the messages queued on the other stream. Among those
      whose stamp differs from it by at most `slop` seconds (inclusive), the closest is chosen
      (ties: the older one); the pair is removed from the queues and returned at once as
      (stamp_0, item_0, stamp_1, item_1), stream 0 first whichever stream arrived last.
    * Otherwise the message is queued. Each stream's queue holds at most `queue_size`
      messages; beyond that the oldest by stamp is evicted and counted in `dropped`. The stamps
      of the last evicted messages are remembered: a later message that would have matched one
      counts in `late_partners` (the queue was too short for the streams' skew; such pairs
      were lost to the pairing, not to the cameras).
    * Each message is used at most once. Since every arrival is matched immediately, no two
      queued messages are ever within `slop` of each other, so at most one pair forms per add.
      Pairing is greedy: unlike the C++ ApproximateTime policy, it does not wait for a later
      message that might match better (lower latency, no look-ahead).
    * A stamp more than `jump_threshold` seconds older than the newest stamp seen on its stream
      (a bag looping, a clock reset) is a time jump: both queues are cleared (their messages
      count as dropped), the newest stamps are forgotten, `time_jumps` is incremented, and the
      message is then handled normally. Smaller steps back are just out-of-order arrivals.
    """

    def __init__(self, queue_size: int = 5, slop: float = 0.02, jump_threshold: float = 1.0):
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        if not slop >= 0.0:
            raise ValueError(f"slop must be >= 0 seconds, got {slop}")
        if not jump_threshold > 0.0:
            raise ValueError(f"jump_threshold must be > 0 seconds, got {jump_threshold}")
        self._queue_size = queue_size
        self._slop_ns = round(slop * 1e9)
        self._jump_ns = round(jump_threshold * 1e9)
        self._queues: tuple[list[tuple[int, Any]], list[tuple[int, Any]]] = ([], [])
        self._newest: list[int | None] = [None, None]
        self._evicted: tuple[deque[int], deque[int]] = (deque(maxlen=4 * queue_size),
                                                        deque(maxlen=4 * queue_size))
        self._lock = threading.Lock()
        self.dropped = 0
        self.late_partners = 0
        self.time_jumps = 0

    def add(self, stream: int, stamp_ns: int, item: Any) -> Pair | None:
        """Offer a message on stream 0 or 1; return the pair it completes, if any."""
        if stream not in (0, 1):
            raise ValueError(f"stream must be 0 or 1, got {stream}")
        with self._lock:
            newest = self._newest[stream]
            if newest is not None and stamp_ns < newest - self._jump_ns:
                self.time_jumps += 1
                self._clear()
                newest = None
            if newest is None or stamp_ns > newest:
                self._newest[stream] = stamp_ns

            other = self._queues[1 - stream]
            best = None
            for index, (stamp, _) in enumerate(other):
                gap = abs(stamp - stamp_ns)
                if gap <= self._slop_ns and (best is None or gap < best[0]):
                    best = (gap, index)
            if best is not None:
                other_stamp, other_item = other.pop(best[1])
                if stream == 0:
                    return stamp_ns, item, other_stamp, other_item
                return other_stamp, other_item, stamp_ns, item

            evicted = self._evicted[1 - stream]
            for index, stamp in enumerate(evicted):
                if abs(stamp - stamp_ns) <= self._slop_ns:
                    del evicted[index]
                    self.late_partners += 1
                    break
            queue = self._queues[stream]
            bisect.insort(queue, (stamp_ns, item), key=lambda entry: entry[0])
            if len(queue) > self._queue_size:
                self._evicted[stream].append(queue.pop(0)[0])
                self.dropped += 1
            return None

    @property
    def pending(self) -> int:
        """Messages queued on both streams, waiting for a partner."""
        with self._lock:
            return sum(len(queue) for queue in self._queues)

    def reset(self) -> None:
        """Forget queued messages (counted as dropped) and newest stamps, e.g. on a clock jump."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        for queue, evicted in zip(self._queues, self._evicted, strict=True):
            self.dropped += len(queue)
            queue.clear()
            evicted.clear()
        self._newest = [None, None]
