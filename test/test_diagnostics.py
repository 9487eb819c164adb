"""Diagnostic status naming and levels (ROS-free rules; the node test sees them live)."""

from pathlib import Path

import yaml

from textfusion_ros.ros.diagnostics import ERROR, IDLE_MESSAGE, OK, WARN, HealthRules, status_name
from textfusion_ros.ros.monitor import Report

REPO = Path(__file__).resolve().parents[1]


def report(ir=0, vis=0, published=0, errors=0, message="fusing", warn=False) -> Report:
    return Report(warn, message, {"ir_received": ir, "vis_received": vis,
                                  "frames_published": published, "processing_errors": errors})


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_status_name_is_fully_qualified():
    assert status_name("/front/fusion_node") == "/front/fusion_node: fusion"
    assert status_name("/front/fusion_node") != status_name("/rear/fusion_node")


def test_error_when_inputs_arrive_but_nothing_is_published():
    clock = Clock()
    rules = HealthRules(stall_timeout=3.0, clock=clock)
    assert rules.assess(report(ir=1, vis=1, published=1), idle=False).level == OK
    clock.now = 2.0
    assert rules.assess(report(ir=20, vis=20, published=1), idle=False).level == OK
    clock.now = 4.0
    health = rules.assess(report(ir=40, vis=40, published=1), idle=False)
    assert health.level == ERROR and "nothing published for 4.0 s" in health.message
    clock.now = 5.0  # a frame comes out: back to OK
    assert rules.assess(report(ir=50, vis=50, published=2), idle=False).level == OK


def test_no_error_while_idle_or_when_inputs_stop():
    clock = Clock()
    rules = HealthRules(stall_timeout=3.0, clock=clock)
    rules.assess(report(ir=1, vis=1), idle=True)
    clock.now = 10.0
    health = rules.assess(report(ir=300, vis=300), idle=True)
    assert (health.level, health.message) == (OK, IDLE_MESSAGE)
    # Inputs stop: silence is a WARN from the monitor, not an ERROR here.
    silent = report(ir=300, vis=300, message="no IR image for 5.0 s", warn=True)
    clock.now = 20.0
    health = rules.assess(silent, idle=False)
    assert (health.level, health.message) == (WARN, "no IR image for 5.0 s")
    assert rules.assess(silent, idle=True).message == f"{IDLE_MESSAGE}; no IR image for 5.0 s"


def test_error_when_processing_errors_repeat():
    rules = HealthRules(stall_timeout=3.0, clock=Clock())
    rules.assess(report(published=5), idle=False)
    assert rules.assess(report(published=5, errors=1), idle=False).level == OK
    health = rules.assess(report(published=5, errors=2), idle=False)
    assert health.level == ERROR and "2 times in a row" in health.message
    assert rules.assess(report(published=6, errors=2), idle=False).level == OK


def test_inactive_is_ok():
    rules = HealthRules(stall_timeout=3.0, clock=Clock())
    assert rules.assess(report(message="inactive"), idle=True).level == OK


def test_analyzer_config_groups_every_fusion_node():
    config = yaml.safe_load((REPO / "config" / "diagnostics_analyzers.yaml").read_text())
    analyzer = config["analyzers"]["ros__parameters"]["fusion"]
    assert analyzer["type"] == "diagnostic_aggregator/GenericAnalyzer"
    for node in ("/fusion_node", "/front/fusion_node", "/rear/fusion_node"):
        assert any(text in status_name(node) for text in analyzer["contains"])
