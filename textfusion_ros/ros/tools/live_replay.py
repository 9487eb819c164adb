"""Replay a bag of Image messages as live cameras: real-time pacing, stamps moved to now.

`textfusion bag-play` keeps the recorded stamps, so a consumer's "now − stamp" latency is the
age of the recording. Here every header stamp is shifted by one constant, chosen when the first
message goes out so that each message keeps its recorded lead over its log time (the transport
delay): latencies measured against the wall clock are then those of live cameras.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rclpy.publisher import Publisher

from textfusion_ros.bags.io import ImageMessage, read_messages


@dataclass
class LiveReplay:
    """What was published: per topic, the (shifted) stamps in order; wall-clock times in ns."""

    stamps: dict[str, list[int]] = field(default_factory=dict)
    shift_ns: int = 0
    started_ns: int = 0
    finished_ns: int = 0

    @property
    def published(self) -> int:
        return sum(len(stamps) for stamps in self.stamps.values())


def replay_live(bag: str | Path, publishers: Mapping[str, Publisher],
                after_publish: Callable[[str, int], None] | None = None) -> LiveReplay:
    """Publish the Image messages of `publishers`' topics (topic → publisher) at recorded speed.

    `after_publish(topic, count)` runs after each message, `count` being the number published
    on that topic so far. The caller keeps the publishers until the subscribers have what they
    need (Publisher.wait_for_all_acked would hold the GIL, stalling this process's callbacks,
    for as long as a late acknowledgement takes: over a second at times).
    """
    replay = LiveReplay({topic: [] for topic in publishers})
    start_s = first_log_ns = None
    for message in read_messages(bag, publishers):
        if start_s is None:
            start_s, first_log_ns = time.monotonic(), message.log_ns
            replay.started_ns = time.time_ns()
            replay.shift_ns = replay.started_ns - first_log_ns
        delay = start_s + (message.log_ns - first_log_ns) / 1e9 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        image = ImageMessage.deserialize(message.data)
        stamp = image.stamp_ns + replay.shift_ns
        publishers[message.topic].publish(dataclasses.replace(image, stamp_ns=stamp).serialize())
        stamps = replay.stamps[message.topic]
        stamps.append(stamp)
        if after_publish is not None:
            after_publish(message.topic, len(stamps))
    replay.finished_ns = time.time_ns()
    return replay
