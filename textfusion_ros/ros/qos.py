"""QoS of the image subscriptions: fixed, or matched to the publishers on the topic."""

from __future__ import annotations

from collections.abc import Iterable

from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
)
from rclpy.topic_endpoint_info import TopicEndpointInfo

# Prompts: keep only the newest one waiting, so a burst of prompts ends on the last one sent.
PROMPT_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                        reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.VOLATILE)

FIXED = {"reliable": ReliabilityPolicy.RELIABLE, "best_effort": ReliabilityPolicy.BEST_EFFORT}


def image_qos(reliability: ReliabilityPolicy, depth: int) -> QoSProfile:
    """Keep-last, volatile QoS; with BEST_EFFORT this is the sensor-data profile."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=reliability,
                      durability=DurabilityPolicy.VOLATILE)


def matching_reliability(publishers: Iterable[TopicEndpointInfo]) -> ReliabilityPolicy | None:
    """RELIABLE when every publisher is reliable (best delivery of large frames), BEST_EFFORT
    when any is best effort (a reliable subscription would not match it), None without any."""
    policies = {info.qos_profile.reliability for info in publishers}
    if not policies:
        return None
    if policies == {ReliabilityPolicy.RELIABLE}:
        return ReliabilityPolicy.RELIABLE
    return ReliabilityPolicy.BEST_EFFORT


def select_reliability(mode: str, publishers: Iterable[TopicEndpointInfo],
                       current: ReliabilityPolicy | None = None) -> ReliabilityPolicy:
    """Reliability for a subscription under `mode` (auto, reliable, best_effort).

    auto follows the publishers; without any it keeps `current`, or starts best effort
    (sensor-data QoS) when there is none yet.
    """
    if mode in FIXED:
        return FIXED[mode]
    if mode != "auto":
        raise ValueError(f"unknown reliability mode {mode!r}")
    return matching_reliability(publishers) or current or ReliabilityPolicy.BEST_EFFORT
