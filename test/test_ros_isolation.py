"""ROS test isolation: leased domains are exclusive across processes, and under CI=true a
broken ROS stack fails the run instead of turning the ROS tests into skips."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from textfusion_ros.ros.tools.domains import DomainsExhaustedError, lease_domain

REPO = Path(__file__).resolve().parents[1]

HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from textfusion_ros.ros.tools.domains import lease_domain
    lease = lease_domain(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
    print(lease.domain_id, flush=True)
    sys.stdin.readline()  # hold the lease until told to exit
""")


def test_leases_are_exclusive_and_released(tmp_path):
    with lease_domain(120, 121, tmp_path) as first, lease_domain(120, 121, tmp_path) as second:
        assert {first.domain_id, second.domain_id} == {120, 121}
        with pytest.raises(DomainsExhaustedError, match="120-121"):
            lease_domain(120, 121, tmp_path)
        second.release()
        with lease_domain(120, 121, tmp_path) as again:
            assert again.domain_id == second.domain_id


def test_a_lease_held_by_another_process_is_skipped_until_it_exits(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, "130", "130", str(tmp_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "130"
        with pytest.raises(DomainsExhaustedError):
            lease_domain(130, 130, tmp_path)
    finally:
        holder.communicate("\n", timeout=30)
    with lease_domain(130, 130, tmp_path) as lease:  # the kernel dropped the dead holder's lock
        assert lease.domain_id == 130


def test_bad_ranges_are_refused(tmp_path):
    with pytest.raises(ValueError, match="0-232"):
        lease_domain(200, 240, tmp_path)


def test_ros_domain_fixture_sets_the_environment(ros_domain):
    assert os.environ["ROS_DOMAIN_ID"] == str(ros_domain)
    assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"


def test_ci_run_fails_when_rclpy_is_broken(tmp_path):
    broken = tmp_path / "shadow" / "rclpy"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('simulated broken rclpy build')\n")
    env = {**os.environ, "CI": "true",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(broken.parent),
                                                      os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
         "test/test_stats.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "CI=true and the ROS stack is broken" in output
    assert "simulated broken rclpy build" in output
