"""`textfusion detect`, `bag-eval --detect` and `bench` with detectors, on synthetic scenes:
a tiny YOLO ONNX (fixed candidates, so counts and mAP are known) and the shipped SSD."""

import json

import cv2
import numpy as np
import pytest
from tiny_yolo import to_network, yolo_model

from textfusion_ros.bags.synth import write_synthetic_bag
from textfusion_ros.cli import main
from textfusion_ros.imaging.scenes import SceneConfig

HEIGHT, WIDTH, NET = 72, 90, (64, 64)
NAMES = ["person", "car", "dog"]
PERSON, CAR = (10.0, 8.0, 40.0, 70.0), (45.0, 30.0, 88.0, 60.0)


def textfusion(*args) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def tiny_yolo(tmp_path_factory):
    """A v8-layout model finding one person and one car (and a dog, filtered by default)."""
    rows = [[*to_network(box, (HEIGHT, WIDTH), NET), *np.eye(3)[c] * s]
            for box, c, s in ((PERSON, 0, 0.9), (CAR, 1, 0.8), ((1, 1, 9, 9), 2, 0.9))]
    path = tmp_path_factory.mktemp("yolo") / "tiny.onnx"
    return yolo_model(path, np.array(rows), "v8", NET, {"names": repr(dict(enumerate(NAMES)))})


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("scene")
    assert textfusion("synth", "--out", root, "--frames", 2, "--height", HEIGHT,
                      "--width", WIDTH) == 0
    return root


def yolo_line(class_id: int, box) -> str:
    x1, y1, x2, y2 = box
    return (f"{class_id} {(x1 + x2) / 2 / WIDTH} {(y1 + y2) / 2 / HEIGHT} "
            f"{(x2 - x1) / WIDTH} {(y2 - y1) / HEIGHT}\n")


def test_detect_compare_sources_counts_and_map(scene, tmp_path, tiny_yolo, shipped_model_path,
                                               capsys):
    labels = tmp_path / "labels"
    labels.mkdir()
    stems = sorted(p.stem for p in (scene / "vis").glob("*.png"))
    (labels / f"{stems[0]}.txt").write_text(yolo_line(0, PERSON) + yolo_line(1, CAR))
    (labels / f"{stems[1]}.txt").write_text(yolo_line(0, PERSON))  # the car is a false alarm
    out, report = tmp_path / "out", tmp_path / "counts.json"
    assert textfusion("detect", "--ir", scene / "ir", "--vis", scene / "vis", "--out", out,
                      "--compare-sources", "--json", report, "--model", shipped_model_path,
                      "--detector-model", tiny_yolo, "--detector-format", "yolo",
                      "--labels", labels, "--label-names", *NAMES) == 0
    printed = capsys.readouterr().out
    assert "fused" in printed and "mAP@0.5" in printed
    data = json.loads(report.read_text())
    expected = {"person": 2, "car": 2}
    assert data["frames"] == 2
    assert data["sources"] == {"fused": expected, "visible": expected, "infrared": expected}
    for source in ("fused", "visible", "infrared"):
        assert sorted(p.name for p in (out / source).glob("*.png")) == \
            [f"{s}.png" for s in stems]
        # the car false alarm lowers the mAP; exact values: test_detection's known cases
        assert data["map"][source]["objects"] == 3
        assert 0.0 < data["map"][source]["map50"] <= 1.0


def test_detect_with_the_shipped_detector(scene, tmp_path, shipped_model_path):
    report = tmp_path / "counts.json"
    assert textfusion("detect", "--ir", scene / "ir", "--vis", scene / "vis", "--out",
                      tmp_path / "out", "--json", report, "--model", shipped_model_path) == 0
    data = json.loads(report.read_text())
    assert data["frames"] == 2 and list(data["sources"]) == ["fused"]
    assert all(isinstance(n, int) for n in data["sources"]["fused"].values())
    assert len(list((tmp_path / "out" / "fused").glob("*.png"))) == 2


def test_detect_rejects_a_bad_detector_config(scene, tmp_path, capsys):
    assert textfusion("detect", "--ir", scene / "ir", "--vis", scene / "vis", "--out",
                      tmp_path, "--detector-score-threshold", "2") == 2
    assert "score_threshold" in capsys.readouterr().err


def test_bag_eval_detect_with_labels(tmp_path, tiny_yolo, shipped_model_path, capsys):
    bag, labels, report = tmp_path / "bag", tmp_path / "labels", tmp_path / "r.json"
    write_synthetic_bag(bag, SceneConfig(height=HEIGHT, width=WIDTH, ir_bits=16), 3)
    labels.mkdir()
    for index in range(3):  # stems: frame index (VIS stamps work too)
        (labels / f"{index:06d}.txt").write_text(yolo_line(0, PERSON) + yolo_line(1, CAR))
    assert textfusion("bag-eval", bag, "--no-metrics", "--detect", "--labels", labels,
                      "--label-names", *NAMES, "--detector-model", tiny_yolo,
                      "--detector-format", "yolo", "--model", shipped_model_path,
                      "--report", report) == 0
    assert "mAP@0.5 1.000" in capsys.readouterr().out
    result = json.loads(report.read_text())["detections"]
    assert result["frames"] == 3 and result["total"] == {"person": 3, "car": 3}
    assert result["mean_per_frame"] == {"person": 1.0, "car": 1.0}
    assert result["scores"]["max"] == pytest.approx(0.9)
    assert result["map"]["map50"] == pytest.approx(1.0) and result["map"]["objects"] == 6
    assert result["detector_ms"]["p50"] > 0
    frames = json.loads(report.read_text())["frames"]
    assert [f["detections"] for f in frames] == [{"person": 1, "car": 1}] * 3


def test_bench_times_the_detector(shipped_model_path, capsys):
    assert textfusion("bench", "--height", 64, "--width", 80, "--frames", 2, "--json",
                      "--model", shipped_model_path) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["detector"] == "ssd_tf" and result["detector_median_ms"] > 0


def test_detect_leaves_out_a_pair_it_cannot_read_and_reports_it(scene, tmp_path, tiny_yolo,
                                                                shipped_model_path, capsys):
    ir_dir, vis_dir = tmp_path / "ir", tmp_path / "vis"
    ir_dir.mkdir()
    vis_dir.mkdir()
    stems = sorted(p.stem for p in (scene / "vis").glob("*.png"))
    for stem in stems:
        (ir_dir / f"{stem}.png").write_bytes((scene / "ir" / f"{stem}.png").read_bytes())
        (vis_dir / f"{stem}.png").write_bytes((scene / "vis" / f"{stem}.png").read_bytes())
    deep = np.full((HEIGHT, WIDTH, 3), 30000, np.uint16)  # a 16-bit visible image
    cv2.imwrite(str(vis_dir / "deep.png"), deep)
    (ir_dir / "deep.png").write_bytes((scene / "ir" / f"{stems[0]}.png").read_bytes())
    report = tmp_path / "counts.json"
    assert textfusion("detect", "--ir", ir_dir, "--vis", vis_dir, "--out", tmp_path / "out",
                      "--json", report, "--model", shipped_model_path,
                      "--detector-model", tiny_yolo, "--detector-format", "yolo") == 1
    assert "skipping pair 'deep': " in capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["frames"] == 2 and data["skipped"] == ["deep"]
    assert data["sources"]["fused"] == {"person": 2, "car": 2}
    assert sorted(p.stem for p in (tmp_path / "out" / "fused").glob("*.png")) == stems
