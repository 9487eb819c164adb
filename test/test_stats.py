import math

import pytest

from textfusion_ros.stats import GapCounter, LatencyStats, RateMeter, RollingStats


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
    assert stats.count == 10 and stats.last == 999
    assert stats.percentile(0) == 990 and stats.percentile(100) == 999


def test_rolling_stats_empty_is_nan():
    stats = RollingStats(window=5)
    assert stats.count == 0 and math.isnan(stats.p50) and math.isnan(stats.p99)
    assert math.isnan(stats.last)


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


def test_latency_stats_keep_bad_stamps_out_of_the_percentiles():
    stats = LatencyStats(window=5, horizon_ms=10_000.0)
    for latency in (10.0, 20.0, 30.0):
        assert stats.add(latency)
    assert not stats.add(1.8e12)  # a stamp of sec=1
    assert not stats.add(-9.5e10)  # three years in the future
    assert (stats.negative, stats.beyond_horizon) == (1, 1)
    assert stats.p99 < 30.0 + 1e-9 and stats.p50 == 20.0
    for latency in (100.0,) * 5:  # only the last `window` good samples count
        stats.add(latency)
    assert stats.p50 == stats.p99 == 100.0
    with pytest.raises(ValueError):
        LatencyStats(window=5, horizon_ms=0.0)


def test_gap_counter_counts_frames_missing_from_a_steady_stream():
    gaps = GapCounter()
    period = 16_666_667  # 60 Hz
    stamps = [i * period for i in range(20)] + [i * period for i in range(23, 30)]
    missing = [gaps.add(stamp) for stamp in stamps]
    assert sum(missing) == 3 and gaps.missing == 3 and gaps.gaps == 1
    assert gaps.period_s() == pytest.approx(period / 1e9)
    gaps.add(stamps[-1] - 10 * period)  # backwards (a bag loop): the judgement restarts
    assert math.isnan(gaps.period_s())
    gaps.add(stamps[-1] + 5 * 10**9)  # a pause beyond max_gap_s is not a gap
    assert gaps.missing == 3


def test_gap_counter_needs_a_measured_period():
    gaps = GapCounter()
    assert gaps.add(0) == 0 and gaps.add(10**6) == 0 and gaps.add(10**8) == 0
    assert gaps.missing == 0 and math.isnan(gaps.period_s())


def test_rate_meter_reads_zero_once_idle():
    clock = FakeClock()
    meter = RateMeter(window_s=5.0, clock=clock, idle_s=1.0)
    for i in range(10):
        clock.now = i * 0.1
        meter.tick()
    assert meter.rate() == pytest.approx(10.0)
    clock.now += 0.95
    assert meter.rate() == pytest.approx(10.0)
    clock.now += 0.1  # no frame for more than idle_s
    assert meter.rate() == 0.0


def test_rate_meter_slower_than_idle_does_not_flicker():
    clock = FakeClock()
    meter = RateMeter(window_s=10.0, clock=clock, idle_s=1.0)
    for i in range(4):
        clock.now = i * 2.0  # 0.5 Hz
        meter.tick()
    clock.now += 1.5
    assert meter.rate() == pytest.approx(0.5)
    clock.now += 3.0  # two intervals without an event
    assert meter.rate() == 0.0
