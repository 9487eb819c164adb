"""Lazy work: the node fuses only while someone subscribes to one of its outputs."""

from __future__ import annotations

from collections.abc import Iterable

from rclpy.publisher import Publisher


def anyone_subscribed(publishers: Iterable[Publisher | None]) -> bool:
    """True when at least one of `publishers` (None = not created) has a matched subscription."""
    return any(p is not None and p.get_subscription_count() > 0 for p in publishers)
