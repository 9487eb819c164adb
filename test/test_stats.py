import math

import pytest

from textfusion_ros.stats import RateMeter, RollingStats


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rolling_stats_percentiles():
    stats = RollingStats(window=100)
    for value in range(1, 101):
        stats.add(value)
    assert stats.count == 100
    assert stats.p50 == pytest.approx(50.5)
    assert stats.p99 == pytest.approx(99.01)
    assert stats.percentile(0) == 1.0


def test_rolling_stats_window_slides():
    stats = RollingStats(window=10)
    for value in range(1000):
        stats.add(value)
    assert stats.count == 10
    assert stats.percentile(0) == 990 and stats.percentile(100) == 999


def test_rolling_stats_empty_is_nan():
    stats = RollingStats(window=5)
    assert stats.count == 0 and math.isnan(stats.p50) and math.isnan(stats.p99)


def test_rolling_stats_bad_window():
    with pytest.raises(ValueError):
        RollingStats(window=0)


def test_rate_meter_steady_rate():
    clock = FakeClock()
    meter = RateMeter(window_s=1.0, clock=clock)
    for i in range(50):
        clock.now = i * 0.04
        meter.tick()
    assert meter.rate() == pytest.approx(25.0)


def test_rate_meter_follows_change_and_decays_to_zero():
    clock = FakeClock()
    meter = RateMeter(window_s=1.0, clock=clock)
    for i in range(30):
        clock.now = i * 0.1
        meter.tick()
    assert meter.rate() == pytest.approx(10.0)
    for i in range(1, 41):
        clock.now = 2.9 + i * 0.05
        meter.tick()
    assert meter.rate() == pytest.approx(20.0)
    clock.now += 5.0
    assert meter.rate() == 0.0


def test_rate_meter_needs_two_events():
    clock = FakeClock()
    meter = RateMeter(window_s=1.0, clock=clock)
    assert meter.rate() == 0.0
    meter.tick()
    assert meter.rate() == 0.0


def test_rate_meter_default_clock_and_bad_window():
    RateMeter(window_s=0.5).tick()
    with pytest.raises(ValueError):
        RateMeter(window_s=0.0)
