"""The node-overhead benchmark (python -m textfusion_ros.ros.tools.bench_overhead) on real rclpy,
with and without a subscriber, on small frames and few iterations."""

import re

import pytest

pytest.importorskip(
    "rclpy", reason="rclpy not importable: install the ROS 2 wheels (requirements-ros.txt)")

from textfusion_ros.ros.tools.bench_overhead import PIPELINE_STAGES, STAGES, main  # noqa: E402

LINE = re.compile(r"^\s+(\S+(?: side)?)\s+median\s+(\d+\.\d+) ms\s+p99\s+(\d+\.\d+) ms$")


@pytest.mark.parametrize("subscriber", [True, False])
def test_bench_overhead_prints_every_stage(ros_domain, capsys, subscriber):
    main(["--height", "64", "--width", "80", "--iterations", "10"]
         + ([] if subscriber else ["--no-subscriber"]))
    title, *lines = capsys.readouterr().out.strip().splitlines()
    assert title == ("80x64 mono16 IR + bgr8 VIS, 10 pairs, "
                     f"{'with' if subscriber else 'without'} a subscriber")
    figures = {m[1]: (float(m[2]), float(m[3])) for m in map(LINE.match, lines) if m}
    assert list(figures) == [*STAGES, "ros side", "pre/post", "total"]
    assert len(lines) == len(figures)
    for median, p99 in figures.values():
        assert 0 < median <= p99
    assert figures["total"][0] >= max(figures[s][0] for s in STAGES)
    assert figures["pre/post"][0] >= max(figures[s][0] for s in PIPELINE_STAGES)
    assert figures["total"][0] >= figures["ros side"][0] and figures["total"][0] >= figures[
        "pre/post"][0]
