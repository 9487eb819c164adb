"""Detection-driven fine-tuning: the frozen SSD in torch against ONNX Runtime, the multibox loss,
the bilevel schedule, known boxes of synthetic scenes, and one tiny end-to-end tuning run."""

from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from textfusion_ros.detection.detector import shipped_detector
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame, object_boxes
from training.config import load_train_config
from training.detection.config import DetectionTuning
from training.detection.loss import BoxTargets, DetectionLoss, box_iou
from training.detection.report import format_tuning_report
from training.detection.ssd import BOX_ENCODINGS, CLASS_LOGITS, INPUT, FrozenSsd, decode, encode
from training.detection.synthetic import write_labelled_scenes
from training.detection.tune import DetectionTuner, level_of
from training.labels import read_labels

pytestmark = pytest.mark.skipif(shipped_detector() is None, reason="shipped SSDLite missing")


@pytest.fixture(scope="module")
def ssd():
    return FrozenSsd(shipped_detector())


def test_torch_ssd_matches_onnx_runtime(ssd):
    """Same raw outputs from the same preprocessed input, and the same top box decoded."""
    model = onnx.load(str(shipped_detector()))
    for name in (INPUT, BOX_ENCODINGS, CLASS_LOGITS):
        model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    _, vis = generate_frame(SceneConfig(height=300, width=300, seed=1), 0)
    rgb = cv2.cvtColor(vis, cv2.COLOR_BGR2RGB)
    names = [o.name for o in session.get_outputs()]
    out = dict(zip(names, session.run(None, {session.get_inputs()[0].name: rgb[None]}),
                   strict=True))
    raw_boxes, raw_logits = ssd.body(torch.from_numpy(out[INPUT]))
    assert np.abs(raw_boxes.numpy() - out[BOX_ENCODINGS]).max() < 1e-3
    assert np.abs(raw_logits.numpy() - out[CLASS_LOGITS]).max() < 1e-3
    encodings, logits = ssd(torch.from_numpy(rgb.transpose(2, 0, 1)[None] / 255.0).float())
    best = int(torch.sigmoid(logits[0, :, 1]).argmax())
    np.testing.assert_allclose(decode(encodings[0, best], ssd.anchors[best]).numpy(),
                               out["detection_boxes:0"][0, 0], atol=1e-3)
    assert not any(p.requires_grad for p in ssd.parameters())
    assert not ssd.train().training


def test_gradients_reach_the_image_through_the_frozen_detector(ssd):
    image = torch.rand(1, 1, 64, 96, requires_grad=True)
    encodings, logits = ssd(image)
    logits[..., 1].sum().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0


def test_box_coder_round_trip_and_iou(ssd):
    boxes = torch.tensor([[0.1, 0.2, 0.5, 0.4], [0.3, 0.3, 0.9, 0.8]])
    anchors = ssd.anchors[:2]
    torch.testing.assert_close(decode(encode(boxes, anchors), anchors), boxes)
    iou = box_iou(boxes, boxes)
    torch.testing.assert_close(torch.diag(iou), torch.ones(2))


def test_multibox_loss_rewards_the_right_boxes(ssd):
    loss = DetectionLoss(ssd.anchors)
    target = BoxTargets(torch.tensor([[0.2, 0.3, 0.8, 0.5]]), torch.tensor([1]))
    count = ssd.anchors.shape[0]
    encodings, logits = torch.zeros(1, count, 4), torch.zeros(1, count, 2)
    base, terms = loss(encodings, logits, [target])
    assert terms["positives"] >= 1
    positive, matched = loss._match(target)
    good_logits = logits.clone()
    good_logits[0, positive, 1], good_logits[0, ~positive, 0] = 5.0, 5.0
    good_logits[0, positive, 0], good_logits[0, ~positive, 1] = -5.0, -5.0
    good_enc = encodings.clone()
    good_enc[0, positive] = encode(target.boxes[matched[positive]], ssd.anchors[positive])
    better, _ = loss(good_enc, good_logits, [target])
    assert float(better) < 0.1 * float(base)
    empty = BoxTargets(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))
    none, terms = loss(encodings, logits, [empty])
    assert terms["positives"] == 0 and float(none) > 0  # background still has to be learned


def test_bilevel_schedule():
    assert [level_of(s, 2, 1) for s in range(6)] == ["fusion", "fusion", "detection"] * 2
    assert {level_of(s, 0, 1) for s in range(4)} == {"detection"}
    with pytest.raises(ValueError):
        DetectionTuning(detection_steps=0)
    with pytest.raises(ValueError, match="unknown detection.degradations"):
        DetectionTuning(degradations=["fog"])


def test_synthetic_scenes_know_their_boxes(tmp_path):
    config = SceneConfig(height=128, width=160, seed=3, n_pedestrians=4)
    ir, _ = generate_frame(config, 0)
    boxes = object_boxes(config, 0)
    assert boxes and {b[0] for b in boxes} <= {"person", "car"}
    for _, x1, y1, x2, y2 in boxes:
        assert 0 <= x1 < x2 <= 160 and 0 <= y1 < y2 <= 128
        inside = ir[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))]
        assert inside.max() > np.median(ir) + 20  # warm objects are bright in IR
    root = write_labelled_scenes(tmp_path, scenes=1, frames=2, height=128, width=160)
    labels = read_labels(root / "labels", size_of=lambda stem: (160, 128))
    assert sorted(labels) == ["s00_000", "s00_009"]
    assert [b.label for b in labels["s00_000"]] == [b[0] for b in object_boxes(
        SceneConfig(height=128, width=160, seed=0, n_pedestrians=4), 0)]


def test_tiny_tuning_run_end_to_end(tmp_path, shipped_model_path):
    root = write_labelled_scenes(tmp_path / "data", scenes=2, frames=2, height=64, width=128)
    config = load_train_config(Path(__file__).resolve().parents[1] / "config" /
                               "train_roadscene.yaml")
    config.data.root, config.data.n_val, config.data.n_test = str(root), 1, 0
    config.train.crop, config.train.batch_size = 64, 2
    tuning = DetectionTuning(labels=str(root / "labels"), init_model=str(shipped_model_path),
                             iterations=3, fusion_steps=1, detection_steps=2, batch_size=2,
                             frame_hw=[64, 128])
    report = DetectionTuner(config, tuning, tmp_path / "out").run()
    assert [entry["level"] for entry in report["log"]] == ["fusion", "detection", "detection"]
    assert report["train_pairs"] == 3 and report["val_pairs"] == 1
    for figures in (report["before"], report["after"]):
        assert set(figures["detection_loss"]) == {"clean", "vis_low_light", "vis_overexposure",
                                                  "ir_noise", "ir_low_contrast"}
        assert figures["fusion_metrics"]["EN"] > 0
    assert (tmp_path / "out" / "tuned.safetensors").is_file()
    assert (tmp_path / "out" / "report.json").is_file()
    assert "detection loss, clean" in format_tuning_report(report)
