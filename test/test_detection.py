"""The detection package: shipped SSD (hash, contract, real run), YOLO decoding of both export
layouts with letterbox undo on asymmetric sizes, class filter, NMS, mAP on known cases."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from tiny_yolo import to_network, yolo_model

from textfusion_ros.config import DetectorConfig
from textfusion_ros.detection.detector import SHIPPED_DETECTOR, create_detector
from textfusion_ros.detection.draw import draw_detections, order_marked_first
from textfusion_ros.detection.evaluation import (
    GroundTruth,
    mean_average_precision,
    read_yolo_labels,
)
from textfusion_ros.detection.letterbox import letterbox
from textfusion_ros.detection.tally import DetectionTally
from textfusion_ros.detection.types import Detection
from textfusion_ros.detection.yolo import decode
from textfusion_ros.paths import find_shipped

REPO = Path(__file__).resolve().parents[1]
NAMES = {0: "person", 1: "car", 2: "dog"}


# Shipped detector ---------------------------------------------------------------------------

def test_shipped_detector_matches_its_card():
    onnx_path = REPO / SHIPPED_DETECTOR
    card = json.loads(onnx_path.with_suffix(".json").read_text())
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    assert card["sha256"] == digest, f"{onnx_path} changed: its card says {card['sha256']}"
    assert card["bytes"] == onnx_path.stat().st_size
    assert digest in onnx_path.with_suffix(".md").read_text()
    assert card["classes"]["1"] == "person"
    assert create_detector(DetectorConfig()).names == {int(k): v for k, v in
                                                        card["classes"].items()}


def person_scene(height: int, width: int) -> np.ndarray:
    """A grey street with one large dark person-like figure (head, torso, arms, legs)."""
    image = np.full((height, width, 3), 150, np.uint8)
    image[int(height * 0.8):] = 110  # ground
    cx, top, tall = width // 2, int(height * 0.12), int(height * 0.76)
    unit = tall / 8
    dark = (40, 45, 60)
    cv2.circle(image, (cx, int(top + unit * 0.6)), int(unit * 0.55), (120, 140, 190), -1)
    cv2.rectangle(image, (int(cx - unit), int(top + unit * 1.2)),
                  (int(cx + unit), int(top + unit * 4.2)), dark, -1)
    for side in (-1, 1):
        cv2.line(image, (int(cx + side * unit), int(top + unit * 1.4)),
                 (int(cx + side * unit * 1.4), int(top + unit * 4)), dark, int(unit * 0.4))
        cv2.line(image, (int(cx + side * unit * 0.5), int(top + unit * 4.2)),
                 (int(cx + side * unit * 0.7), int(top + unit * 8)), (60, 50, 40),
                 int(unit * 0.5))
    return image


def check_contract(detections: list[Detection], config: DetectorConfig, height: int,
                   width: int) -> None:
    assert len(detections) <= config.max_detections
    scores = [d.score for d in detections]
    assert scores == sorted(scores, reverse=True)
    for d in detections:
        assert d.label in config.classes
        assert config.score_threshold <= d.score <= 1.0
        assert 0 <= d.x1 <= d.x2 <= width and 0 <= d.y1 <= d.y2 <= height


def test_shipped_ssd_on_a_synthetic_person():
    """Runs the real SSDLite; boxes must follow the image when its aspect ratio changes."""
    config = DetectorConfig(score_threshold=0.3)
    detector = create_detector(config)
    assert detector.name == "ssd_tf"
    image = person_scene(300, 200)
    found = detector.detect(image)
    check_contract(found, config, 300, 200)
    wide = cv2.resize(image, (600, 150))  # x ×3, y ×0.5: the same network input, near enough
    found_wide = detector.detect(wide)
    check_contract(found_wide, config, 150, 600)
    grey = detector.detect(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    check_contract(grey, config, 300, 200)
    print(f"SSDLite on the synthetic person: {found}")
    if found and found_wide:  # what it finds is reported, never assumed
        a, b = found[0], found_wide[0]
        assert a.label == b.label
        np.testing.assert_allclose([b.x1 / 3, b.y1 * 2, b.x2 / 3, b.y2 * 2],
                                   [a.x1, a.y1, a.x2, a.y2], atol=12)


def test_missing_or_corrupt_detector_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.onnx"):
        create_detector(DetectorConfig(model=str(tmp_path / "nowhere.onnx")))
    bad = tmp_path / "corrupt.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(ValueError, match="corrupt.onnx"):
        create_detector(DetectorConfig(model=str(bad)))


def test_unknown_classes_are_ignored_unless_none_is_known():
    detector = create_detector(DetectorConfig(classes=["person", "unicorn"]))
    assert detector.unknown_classes == ("unicorn",)
    with pytest.raises(ValueError, match="none of the detector classes"):
        create_detector(DetectorConfig(classes=["unicorn"]))


# YOLO ---------------------------------------------------------------------------------------

def candidates(image_hw, net_hw, layout: str) -> tuple[np.ndarray, list[tuple]]:
    """Raw rows and the boxes expected back: a person, a weaker duplicate of it (suppressed),
    a car overlapping the person (kept: NMS is per class), a dog (filtered out by class), and
    a faint person (below the score threshold)."""
    h, w = image_hw
    person = (0.2 * w, 0.25 * h, 0.45 * w, 0.9 * h)
    duplicate = (0.21 * w, 0.26 * h, 0.46 * w, 0.9 * h)
    car = (0.3 * w, 0.5 * h, 0.8 * w, 0.85 * h)
    dog = (0.05 * w, 0.7 * h, 0.15 * w, 0.8 * h)
    faint = (0.6 * w, 0.1 * h, 0.7 * w, 0.3 * h)
    rows = []
    for box, class_id, score in ((person, 0, 0.9), (duplicate, 0, 0.8), (car, 1, 0.7),
                                 (dog, 2, 0.95), (faint, 0, 0.2)):
        cx, cy, bw, bh = to_network(box, image_hw, net_hw)
        if layout == "end2end":  # already boxes: x1 y1 x2 y2 score class
            rows.append([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, score, class_id])
            continue
        scores = np.zeros(len(NAMES))
        scores[class_id] = score
        # v5 carries an objectness: split the score as objectness 1 × class score.
        rows.append([cx, cy, bw, bh, *([1.0] if layout == "v5" else []), *scores])
    return np.array(rows), [("person", 0.9, person), ("car", 0.7, car)]


@pytest.mark.parametrize("layout", ["v8", "v5", "end2end"])
@pytest.mark.parametrize("image_hw,net_hw", [((120, 400), (64, 64)), ((400, 120), (64, 64)),
                                              ((90, 160), (48, 64)), ((333, 97), (64, 32))])
def test_yolo_boxes_come_back_in_image_pixels(tmp_path, layout, image_hw, net_hw):
    rows, expected = candidates(image_hw, net_hw, layout)
    path = tmp_path / f"yolo_{layout}.onnx"
    if layout == "v8":  # Ultralytics-style metadata
        yolo_model(path, rows, layout, net_hw, {"names": repr(NAMES), "imgsz": str(list(net_hw))})
    elif layout == "end2end":  # as Ultralytics writes a YOLO26 export's metadata
        yolo_model(path, rows, layout, net_hw, {"names": repr(NAMES), "imgsz": str(list(net_hw)),
                                                "end2end": "True"})
    else:  # names and size from a YAML beside the model
        yolo_model(path, rows, layout, net_hw)
        path.with_suffix(".yaml").write_text(yaml.safe_dump(
            {"names": list(NAMES.values()), "imgsz": list(net_hw)}))
    config = DetectorConfig(model=str(path), format="yolo", classes=["person", "car"],
                            score_threshold=0.5, iou_threshold=0.5)
    detector = create_detector(config)
    image = np.zeros((*image_hw, 3), np.uint8)
    found = detector.detect(image)
    assert [(d.label, round(d.score, 3)) for d in found] == [(n, s) for n, s, _ in expected]
    pixel = max(image_hw) / max(net_hw)  # one network pixel in image pixels
    for det, (_, _, box) in zip(found, expected, strict=True):
        np.testing.assert_allclose([det.x1, det.y1, det.x2, det.y2], box, atol=pixel)
    check_contract(found, config, *image_hw)


def test_yolo_all_classes_and_grey_input(tmp_path):
    rows, _ = candidates((100, 200), (64, 64), "v8")
    path = yolo_model(tmp_path / "m.onnx", rows, "v8", (64, 64), {"names": repr(NAMES)})
    detector = create_detector(DetectorConfig(model=str(path), format="yolo", classes=[]))
    found = detector.detect(np.zeros((100, 200), np.uint8))
    assert [d.label for d in found] == ["dog", "person", "car"]


@pytest.mark.parametrize("metadata", [{"args": "{'batch': 1, 'half': True, 'nms': True}"},
                                      {}])
def test_yolo_half_precision_end_to_end_export(tmp_path, metadata):
    """A float16 export whose output is already boxes, told by its `nms` argument or, without
    one, by 6 columns that cannot be v5's with three named classes; COCO-named classes."""
    rows, expected = candidates((90, 160), (64, 64), "end2end")
    path = yolo_model(tmp_path / "half.onnx", rows, "end2end", (64, 64),
                      {"names": repr(NAMES), **metadata}, half=True)
    detector = create_detector(DetectorConfig(model=str(path), format="yolo",
                                              classes=["person", "car"], score_threshold=0.5))
    assert detector.end_to_end and detector.input_dtype == np.float16
    found = detector.detect(np.zeros((90, 160, 3), np.uint8))
    assert [(d.label, round(d.score, 2)) for d in found] == [(n, s) for n, s, _ in expected]
    for det, (_, _, box) in zip(found, expected, strict=True):
        np.testing.assert_allclose([det.x1, det.y1, det.x2, det.y2], box, atol=160 / 64)


def test_decode_tells_layouts_apart_without_names():
    """Ten candidates of two classes: (1, 6, 10) is v8, (1, 10, 7) is v5, by shape alone."""
    rng = np.random.default_rng(0)
    geometry = np.column_stack([rng.uniform(20, 40, (10, 2)), rng.uniform(2, 8, (10, 2))])
    classes = rng.uniform(0, 1, (10, 2))
    objectness = rng.uniform(0, 1, (10, 1))
    expected_boxes = np.hstack([geometry[:, :2] - geometry[:, 2:] / 2,
                                geometry[:, :2] + geometry[:, 2:] / 2])
    boxes, scores, ids = decode(np.hstack([geometry, classes]).T[None], None)
    np.testing.assert_allclose(boxes, expected_boxes)
    np.testing.assert_allclose(scores, classes.max(axis=1))
    boxes, scores, ids = decode(np.hstack([geometry, objectness, classes])[None], None)
    np.testing.assert_allclose(boxes, expected_boxes)
    np.testing.assert_allclose(scores, (classes * objectness).max(axis=1))
    assert list(ids) == list(classes.argmax(axis=1))
    with pytest.raises(ValueError, match="fits neither"):
        decode(np.zeros((1, 10, 9)), 2)
    with pytest.raises(ValueError, match="not \\(N, 6\\)"):
        decode(np.zeros((1, 10, 7)), 80, end_to_end=True)


def test_letterbox_centres_and_pads():
    image = np.full((50, 100, 3), 7, np.uint8)
    padded, box = letterbox(image, 64, 64)
    assert padded.shape == (64, 64, 3) and box.scale == pytest.approx(0.64)
    assert (padded[:16] == 114).all() and (padded[16:48] == 7).all() and (padded[48:] == 114).all()


# Drawing, tally ------------------------------------------------------------------------------

def test_marked_classes_first_and_drawn():
    dets = [Detection(1, 1, 20, 20, 0.9, "car"), Detection(5, 5, 30, 30, 0.6, "person")]
    assert [d.label for d in order_marked_first(dets, {"person"})] == ["person", "car"]
    canvas = draw_detections(np.zeros((40, 40), np.uint8), dets, {"person"})
    assert canvas.shape == (40, 40, 3) and canvas.any()
    tally = DetectionTally()
    assert tally.add(dets) == {"car": 1, "person": 1}
    tally.add([])
    summary = tally.summary()
    assert summary["frames"] == 2 and summary["mean_per_frame"]["car"] == 0.5
    assert summary["scores"]["max"] == 0.9


# mAP -----------------------------------------------------------------------------------------

def box(x1, y1, x2, y2, label="person", score=1.0) -> Detection:
    return Detection(x1, y1, x2, y2, score, label)


def test_map_perfect_predictions():
    truth = {"a": [box(10, 10, 50, 90), box(60, 20, 120, 60, "car")], "b": [box(0, 0, 30, 30)]}
    result = mean_average_precision(truth, {k: [box(*(v.x1, v.y1, v.x2, v.y2), v.label, 0.9)
                                                for v in boxes] for k, boxes in truth.items()})
    assert result["map50"] == pytest.approx(1.0) and result["map50_95"] == pytest.approx(1.0)
    assert result["objects"] == 3 and result["frames"] == 2


def test_map_partial_overlap():
    """IoU 0.62 passes the thresholds 0.50, 0.55 and 0.60 of ten: mAP@0.5:0.95 = 3/10."""
    truth = {"a": [box(0, 0, 100, 100)]}
    prediction = box(0, 0, 100, 62, score=0.8)  # IoU = 6200 / 10000
    result = mean_average_precision(truth, {"a": [prediction]})
    assert result["map50"] == pytest.approx(1.0)
    assert result["map50_95"] == pytest.approx(0.3)


def test_map_false_positive_ranked_first():
    """Ranks: FP (0.9) then TP (0.8) of two objects → precision 0.5 up to recall 0.5, none
    beyond: COCO's 101-point AP = 0.5 × 51 / 101."""
    truth = {"a": [box(0, 0, 40, 40), box(100, 100, 140, 140)]}
    predictions = {"a": [box(200, 200, 240, 240, score=0.9), box(0, 0, 40, 40, score=0.8)]}
    result = mean_average_precision(truth, predictions)
    assert result["map50"] == pytest.approx(0.5 * 51 / 101)
    assert mean_average_precision(truth, {})["map50"] == 0.0
    with pytest.raises(ValueError, match="no object"):
        mean_average_precision({"a": []}, predictions)


def test_yolo_and_coco_labels(tmp_path):
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "f1.txt").write_text("2 0.5 0.5 0.2 0.4\n\n0 0.1 0.2 0.1 0.2\n")
    boxes = read_yolo_labels(labels / "f1.txt", 200, 100, ["person", "bicycle", "car"])
    assert boxes[0] == box(80, 30, 120, 70, "car")
    assert GroundTruth(labels, ["person", "bicycle", "car"]).boxes("missing", 1, 1) is None
    (labels / "bad.txt").write_text("7 0.5\n")
    with pytest.raises(ValueError, match="bad.txt:1"):
        read_yolo_labels(labels / "bad.txt", 10, 10, ["person"])
    coco = tmp_path / "coco.json"
    coco.write_text(json.dumps({
        "images": [{"id": 3, "file_name": "dir/f1.png"}, {"id": 4, "file_name": "f2.jpg"}],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [{"id": 1, "image_id": 3, "category_id": 1, "bbox": [1, 2, 3, 4]}]}))
    truth = GroundTruth(coco, [])
    assert truth.boxes("f1", 0, 0) == [box(1, 2, 4, 6)]
    assert truth.boxes("f2", 0, 0) == []


# Config ----------------------------------------------------------------------------------------

def test_detector_config_checks_and_yaml(tmp_path):
    with pytest.raises(ValueError, match="format"):
        DetectorConfig(format="rcnn")
    with pytest.raises(ValueError, match="score_threshold"):
        DetectorConfig(score_threshold=1.5)
    shipped = DetectorConfig.from_yaml(find_shipped("config/fusion.yaml"))
    assert shipped == DetectorConfig()  # the documented block holds the defaults
    path = tmp_path / "c.yaml"
    path.write_text("detector: {format: yolo, classes: [car], score_threshold: 0.3}\n")
    assert DetectorConfig.from_yaml(path).classes == ["car"]
    path.write_text("detector: {colour: red}\n")
    with pytest.raises(ValueError, match="colour"):
        DetectorConfig.from_yaml(path)


# Prompt-named classes ----------------------------------------------------------------------

def test_prompt_names_classes_by_text_similarity(minilm):
    from textfusion_ros.detection.prompt_classes import PromptClassMatcher

    config = DetectorConfig()
    matcher = PromptClassMatcher(minilm.encode, config.classes, config.prompt_class_threshold)
    assert matcher.match("highlight warm pedestrians") == ("person",)
    assert matcher.match("watch for cars") == ("car",)
    assert set(matcher.match("watch for trucks and buses")) == {"truck", "bus"}
    for prompt in ("infrared is noisy", "visible camera is in low light",
                   "preserve visible texture and colour", "fuse the infrared and visible images"):
        assert matcher.match(prompt) == (), prompt
    assert matcher.match("!!") == ()
