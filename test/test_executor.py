"""DrainingExecutor on guard conditions (no graph needed): each callback starts once, no busy
loop while every thread is busy, callbacks run side by side, drain, exceptions."""

import threading
import time

import pytest

rclpy = pytest.importorskip(
    "rclpy", reason="rclpy not importable: install the ROS 2 wheels (requirements-ros.txt)")

from rclpy.callback_groups import ReentrantCallbackGroup  # noqa: E402
from rclpy.signals import SignalHandlerOptions  # noqa: E402

from textfusion_ros.ros.executor import DrainingExecutor  # noqa: E402

WAIT_S = 5.0


@pytest.fixture
def node(ros_domain):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain,
               signal_handler_options=SignalHandlerOptions.NO)
    node = rclpy.create_node("executor_test", context=context)
    yield node
    node.destroy_node()
    rclpy.try_shutdown(context=context)


def executor_for(node, threads: int) -> DrainingExecutor:
    executor = DrainingExecutor(threads, context=node.context)
    executor.add_node(node)
    return executor


def spin_until(executor: DrainingExecutor, done) -> None:
    deadline = time.monotonic() + WAIT_S
    while not done():
        assert time.monotonic() < deadline, "callback did not run"
        executor.spin_once(timeout_sec=0.05)


def wake_often(executor: DrainingExecutor, stop: threading.Event) -> None:
    while not stop.wait(0.002):
        executor.wake()


def test_waiting_callback_starts_once_without_busy_loop(node):
    release, calls, group = threading.Event(), [], ReentrantCallbackGroup()
    blocker = node.create_guard_condition(lambda: release.wait(WAIT_S), callback_group=group)
    counted = node.create_guard_condition(lambda: calls.append(1), callback_group=group)
    executor = executor_for(node, threads=1)
    blocker.trigger()
    executor.spin_once(timeout_sec=1.0)  # the only thread is now blocked
    counted.trigger()
    window_s, stop_waking = 0.5, threading.Event()
    waker = threading.Thread(target=wake_often, args=(executor, stop_waking))
    waker.start()  # as a busy graph does: every finished callback wakes the executor
    spins, end = 0, time.monotonic() + window_s
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.05)
        spins += 1
    stop_waking.set()
    waker.join()
    release.set()
    spin_until(executor, lambda: calls)
    executor.drain()
    # rclpy hands a task out again, at every wake-up, until a thread starts it: a pool
    # executor that returns at once would loop here hundreds of times, queueing the task
    # again each time. Each spin_once now waits (up to its timeout) for a thread.
    assert 1 <= spins <= window_s / 0.05 + 3
    assert calls == [1]


def test_callbacks_run_side_by_side(node):
    group = ReentrantCallbackGroup()
    second_ran = threading.Event()
    seen = []
    first = node.create_guard_condition(lambda: seen.append(second_ran.wait(WAIT_S)),
                                        callback_group=group)
    second = node.create_guard_condition(second_ran.set, callback_group=group)
    executor = executor_for(node, threads=2)
    first.trigger()
    second.trigger()
    spin_until(executor, lambda: seen)
    executor.drain()
    assert seen == [True]  # the first callback saw the second run while it waited


def test_drain_waits_for_callbacks_in_flight(node):
    finished = []
    slow = node.create_guard_condition(lambda: (time.sleep(0.3), finished.append(1)))
    executor = executor_for(node, threads=2)
    slow.trigger()
    executor.spin_once(timeout_sec=1.0)
    assert not finished
    executor.drain()
    assert finished == [1]


def test_drain_gives_up_after_its_timeout(node):
    release, finished = threading.Event(), []
    stuck = node.create_guard_condition(lambda: (release.wait(WAIT_S), finished.append(1)))
    executor = executor_for(node, threads=2)
    stuck.trigger()
    executor.spin_once(timeout_sec=1.0)
    assert executor.drain(timeout_sec=0.05) is False  # the exit need not wait for it
    release.set()
    deadline = time.monotonic() + WAIT_S
    while not finished:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert executor.drain(timeout_sec=WAIT_S) is True


def test_callback_exception_is_raised_by_a_later_spin(node):
    def fail() -> None:
        raise ValueError("callback failed")

    failing = node.create_guard_condition(fail)
    executor = executor_for(node, threads=1)
    failing.trigger()
    with pytest.raises(ValueError, match="callback failed"):
        spin_until(executor, lambda: False)
    executor.drain()
