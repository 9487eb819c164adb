import sys
import threading

import pytest

from textfusion_ros.sync import ApproximateTimeSync

MS = 1_000_000
S = 1_000_000_000


def test_pairs_within_slop_stream_zero_first():
    sync = ApproximateTimeSync(queue_size=5, slop=0.02)
    assert sync.add(1, 10 * MS, "vis") is None
    assert sync.add(0, 0, "ir") == (0, "ir", 10 * MS, "vis")
    assert sync.pending == 0 and sync.dropped == 0


def test_slop_is_inclusive_and_not_beyond():
    sync = ApproximateTimeSync(slop=0.02)
    sync.add(0, 0, "a")
    assert sync.add(1, 20 * MS + 1, "late") is None
    assert sync.add(1, 20 * MS, "edge") == (0, "a", 20 * MS, "edge")


def test_zero_slop_needs_equal_stamps():
    sync = ApproximateTimeSync(slop=0.0)
    sync.add(0, 5, "a")
    assert sync.add(1, 6, "b") is None
    assert sync.add(1, 5, "c") == (5, "a", 5, "c")


def test_closest_match_chosen():
    sync = ApproximateTimeSync(queue_size=5, slop=0.02)
    for stamp in (0, 10 * MS, 18 * MS):
        assert sync.add(1, stamp, stamp) is None
    assert sync.add(0, 15 * MS, "a") == (15 * MS, "a", 18 * MS, 18 * MS)
    assert sync.add(0, 6 * MS, "b") == (6 * MS, "b", 10 * MS, 10 * MS)
    assert sync.pending == 1


def test_tie_goes_to_older():
    sync = ApproximateTimeSync(slop=0.02)
    sync.add(1, 0, "old")
    sync.add(1, 10 * MS, "new")
    assert sync.add(0, 5 * MS, "a") == (5 * MS, "a", 0, "old")


def test_each_message_used_once():
    sync = ApproximateTimeSync(slop=0.02)
    sync.add(1, 0, "b")
    assert sync.add(0, 0, "a1") is not None
    assert sync.add(0, 1 * MS, "a2") is None
    assert sync.pending == 1


def test_queue_bounded_oldest_evicted_and_counted():
    sync = ApproximateTimeSync(queue_size=2, slop=0.02)
    for stamp in (0, 100 * MS, 200 * MS):
        sync.add(0, stamp, stamp)
    assert sync.dropped == 1 and sync.pending == 2
    assert sync.add(1, 0, "b") is None  # its partner was evicted
    assert sync.add(1, 100 * MS, "c") == (100 * MS, 100 * MS, 100 * MS, "c")


def test_out_of_order_arrival_evicts_oldest_by_stamp():
    sync = ApproximateTimeSync(queue_size=2, slop=0.001)
    sync.add(0, 200 * MS, "x")
    sync.add(0, 300 * MS, "y")
    sync.add(0, 100 * MS, "late")  # oldest stamp: evicted itself
    assert sync.dropped == 1
    assert sync.add(1, 100 * MS, "b") is None
    assert sync.add(1, 200 * MS, "c") == (200 * MS, "x", 200 * MS, "c")


def test_time_jump_resets_and_counts():
    sync = ApproximateTimeSync(slop=0.02, jump_threshold=1.0)
    sync.add(0, 100 * S, "a")
    sync.add(0, 100 * S + 500 * MS, "b")
    sync.add(0, 100 * S, "small step back")  # 0.5 s back: not a jump
    assert sync.time_jumps == 0 and sync.pending == 3
    sync.add(0, 10 * S, "looped")
    assert sync.time_jumps == 1
    assert sync.dropped == 3 and sync.pending == 1
    assert sync.add(1, 10 * S, "vis") == (10 * S, "looped", 10 * S, "vis")


def test_bag_loop_on_both_streams_counts_once():
    sync = ApproximateTimeSync(slop=0.02)
    assert sync.add(0, 50 * S, "a") is None
    assert sync.add(1, 50 * S, "b") is not None
    assert sync.add(0, 0, "c") is None
    assert sync.add(1, 0, "d") == (0, "c", 0, "d")
    assert sync.time_jumps == 1 and sync.dropped == 0


def test_reset_counts_pending_as_dropped():
    sync = ApproximateTimeSync(slop=0.02)
    sync.add(0, 0, "a")
    sync.add(1, S, "b")
    sync.reset()
    assert sync.pending == 0 and sync.dropped == 2 and sync.time_jumps == 0


@pytest.mark.parametrize(
    "kwargs", [{"queue_size": 0}, {"slop": -0.1}, {"slop": float("nan")}, {"jump_threshold": 0}]
)
def test_bad_settings_rejected(kwargs):
    with pytest.raises(ValueError):
        ApproximateTimeSync(**kwargs)


def test_bad_stream_rejected():
    with pytest.raises(ValueError, match="stream must be 0 or 1"):
        ApproximateTimeSync().add(2, 0, None)


@pytest.mark.parametrize("round_", range(4))  # races show up about every other round
def test_two_threads_pair_everything_once(round_):
    count = 2000
    sync = ApproximateTimeSync(queue_size=count, slop=0.001)
    pairs = []
    pairs_lock = threading.Lock()

    def feed(stream: int) -> None:
        for i in range(count):
            pair = sync.add(stream, i * 33 * MS, (stream, i))
            if pair is not None:
                with pairs_lock:
                    pairs.append(pair)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=feed, args=(s,)) for s in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)

    assert len(pairs) == count and sync.pending == 0 and sync.dropped == 0
    assert sorted(p[1][1] for p in pairs) == list(range(count))
    assert all(p[1] == (0, p[3][1]) and p[3] == (1, p[1][1]) for p in pairs)


def test_partner_arriving_after_its_eviction_counts_as_late():
    sync = ApproximateTimeSync(queue_size=2, slop=0.001)
    for stamp in (0, 10 * MS, 20 * MS):  # stream 0 runs ahead: its oldest is evicted
        assert sync.add(0, stamp, stamp) is None
    assert sync.dropped == 1 and sync.late_partners == 0
    assert sync.add(1, 5 * MS, "no partner ever") is None
    assert sync.late_partners == 0
    assert sync.add(1, 0, "late") is None  # would have paired with the evicted 0
    assert sync.late_partners == 1
    assert sync.add(1, 0, "again") is None  # an evicted message is counted once
    assert sync.late_partners == 1
    assert sync.add(1, 10 * MS, "in time") == (10 * MS, 10 * MS, 10 * MS, "in time")


def test_reset_forgets_evicted_stamps():
    sync = ApproximateTimeSync(queue_size=1, slop=0.001)
    sync.add(0, 0, "a")
    sync.add(0, 10 * MS, "b")  # evicts 0
    sync.reset()
    assert sync.add(1, 0, "c") is None and sync.late_partners == 0
