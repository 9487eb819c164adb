"""Replay a rosbag2 bag into live ROS topics, paced by its log times (`textfusion bag-play`).

The recorded serialized bytes are published as they are, so stamps are as recorded: a looped
bag jumps back in time at each restart, which consumers must tolerate. With `clock`, /clock
carries the bag's log time of each message just before it is published (as `ros2 bag play
--clock`), for nodes run with use_sim_time.
"""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import rclpy
from builtin_interfaces.msg import Time
from rclpy.duration import Duration
from rclpy.publisher import Publisher
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from rosgraph_msgs.msg import Clock

from textfusion_ros.bags.io import bag_topics, read_messages

ACK_TIMEOUT_S = 5.0
CLOCK_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)  # as rclpy reads it
_POLL_S = 0.05


@dataclass(frozen=True)
class PlayOptions:
    """What to play and how: speed factor, looping, topic subset and publisher QoS."""

    rate: float = 1.0
    loop: bool = False
    topics: tuple[str, ...] | None = None
    depth: int = 10
    best_effort: bool = False
    wait_for_subscribers_s: float = 0.0
    """Before playing, wait up to this long until every topic has a subscriber."""
    clock: bool = False
    """Publish /clock with the bag's log times."""

    def __post_init__(self) -> None:
        if not self.rate > 0.0:
            raise ValueError(f"rate must be > 0, got {self.rate}")
        if self.depth < 1:
            raise ValueError(f"QoS depth must be >= 1, got {self.depth}")


@dataclass
class PlayResult:
    published: int = 0
    passes: int = 0
    interrupted: bool = False


def message_class(msgtype: str) -> type:
    """'pkg/msg/Name' → the generated Python message class (the package must be installed)."""
    parts = msgtype.split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"cannot import message type {msgtype!r}: expected 'pkg/msg/Name'")
    package, kind, name = parts
    try:
        return getattr(importlib.import_module(f"{package}.{kind}"), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"message type {msgtype} is not installed: {exc}") from exc


def play(bag: str | Path, options: PlayOptions = PlayOptions()) -> PlayResult:
    """Publish the bag's messages (one pass, or until interrupted with --loop); SIGINT stops."""
    available = bag_topics(bag)
    topics = tuple(available) if options.topics is None else options.topics
    missing = sorted(set(topics) - set(available))
    if missing:
        raise ValueError(f"topic(s) {missing} not in the bag; it has {sorted(available)}")
    reliability = (ReliabilityPolicy.BEST_EFFORT if options.best_effort
                   else ReliabilityPolicy.RELIABLE)
    qos = QoSProfile(depth=options.depth, reliability=reliability)
    result = PlayResult()
    with rclpy.init(signal_handler_options=SignalHandlerOptions.NO):
        node = rclpy.create_node("textfusion_bag_play")
        try:
            publishers = {topic: node.create_publisher(message_class(available[topic][0]),
                                                       topic, qos)
                          for topic in topics}
            _wait_for_subscribers(publishers, options.wait_for_subscribers_s)
            clock = (node.create_publisher(Clock, "/clock", CLOCK_QOS) if options.clock
                     else None)
            while True:
                _play_once(bag, publishers, options.rate, result, clock)
                result.passes += 1
                if not options.loop:
                    break
            if not options.best_effort:
                _wait_for_acks(publishers)
        except KeyboardInterrupt:
            result.interrupted = True
        finally:
            node.destroy_node()
    return result


def _play_once(bag: str | Path, publishers: dict[str, Publisher], rate: float,
               result: PlayResult, clock: Publisher | None) -> None:
    start, first_ns = time.monotonic(), None
    for message in read_messages(bag, publishers):
        if first_ns is None:
            first_ns = message.log_ns
        delay = start + (message.log_ns - first_ns) / 1e9 / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if clock is not None:
            sec, nanosec = divmod(message.log_ns, 1_000_000_000)
            clock.publish(Clock(clock=Time(sec=sec, nanosec=nanosec)))
        publishers[message.topic].publish(bytes(message.data))
        result.published += 1


def _wait_for_subscribers(publishers: dict[str, Publisher], timeout_s: float) -> None:
    if timeout_s <= 0:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(p.get_subscription_count() > 0 for p in publishers.values()):
            return
        time.sleep(_POLL_S)
    lonely = sorted(t for t, p in publishers.items() if p.get_subscription_count() == 0)
    print(f"bag-play: no subscriber after {timeout_s:g} s on {lonely}; playing anyway",
          file=sys.stderr)


def _wait_for_acks(publishers: dict[str, Publisher]) -> None:
    """Let reliable subscribers receive the last messages before the publishers go away."""
    for publisher in publishers.values():
        publisher.wait_for_all_acked(Duration(seconds=ACK_TIMEOUT_S))
