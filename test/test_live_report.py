"""The ROS-free parts of the live demo's analysis: frame indexing and the prompt-switch timing."""

from textfusion_ros.demo.live_report import (
    NEW,
    OLD,
    DiagnosticsSample,
    FusedFrame,
    LiveRun,
    PromptCall,
    timing_verdicts,
)

MS = 1_000_000


def run_with(switch: PromptCall, fused: list[tuple[int, int]]) -> LiveRun:
    """VIS frame i stamped at i × 33 ms; fused frames given as (stamp, received)."""
    return LiveRun(vis_stamps=[i * 33 * MS for i in range(10)], ir_published=10, replay_s=0.3,
                   fused=[FusedFrame(stamp, received, b"") for stamp, received in fused],
                   diagnostics=[], switch=switch, final=None)


def test_fused_frames_are_indexed_by_their_vis_stamp():
    run = run_with(PromptCall("p", 5, 0), [(66 * MS, 90 * MS), (7 * MS, 8 * MS), (0, 20 * MS)])
    assert sorted(run.frames) == [0, 2]  # the unknown stamp is left out


def test_timing_decides_all_but_the_frames_fused_during_the_switch():
    call = PromptCall("p", 4, requested_ns=135 * MS, responded_ns=140 * MS, success=True)
    run = run_with(call, [(99 * MS, 130 * MS),    # out before the request: old
                          (132 * MS, 160 * MS),   # in flight during the switch: undecided
                          (165 * MS, 190 * MS)])  # captured after the response: new
    assert timing_verdicts(run) == {3: OLD, 4: None, 5: NEW}


def test_a_failed_switch_leaves_every_frame_old():
    call = PromptCall("", 4, requested_ns=135 * MS, responded_ns=140 * MS, success=False)
    run = run_with(call, [(99 * MS, 130 * MS), (165 * MS, 190 * MS)])
    assert timing_verdicts(run) == {3: OLD, 5: OLD}


def test_diagnostics_numbers():
    sample = DiagnosticsSample(0, "fusing", {"rate_hz": "5.25", "latency_p50_ms": "nan"})
    assert sample.number("rate_hz") == 5.25
    assert sample.number("latency_p50_ms") is None and sample.number("missing") is None
