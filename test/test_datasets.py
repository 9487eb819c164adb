"""Tests for dataset layout detection, texts, splits and PairDataset (synthetic images only)."""

import json

import cv2
import numpy as np
import pytest

from textfusion_ros.imaging.imageio import PairingError
from training.datasets import (
    LayoutError,
    PairDataset,
    PairRecord,
    find_pairs,
    split_records,
    split_three,
)

STEMS = ("00001", "00002", "00003")


def _write_pairs(ir_dir, vis_dir, stems=STEMS, shape=(12, 16), grey_vis=False):
    ir_dir.mkdir(parents=True, exist_ok=True)
    vis_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for stem in stems:
        cv2.imwrite(str(ir_dir / f"{stem}.png"), rng.integers(0, 256, shape, dtype=np.uint8))
        vis_shape = shape if grey_vis else (*shape, 3)
        cv2.imwrite(str(vis_dir / f"{stem}.png"), rng.integers(0, 256, vis_shape, dtype=np.uint8))


@pytest.mark.parametrize("ir_name, vis_name", [
    ("ir", "vi"),                        # MSRS, RoadScene, TNO
    ("IR", "VIS"),                       # TNO
    ("Ir", "Vis"),                       # M3FD
    ("cropinfrared", "crop_LR_visible"),  # RoadScene
    ("Infrared", "Visible"),             # LLVIP without split folders
])
def test_layouts(tmp_path, ir_name, vis_name):
    _write_pairs(tmp_path / ir_name, tmp_path / vis_name)
    records = find_pairs(tmp_path)
    assert [r.stem for r in records] == list(STEMS)
    assert all(r.ir_path.parent.name == ir_name for r in records)
    assert all(r.vis_path.parent.name == vis_name for r in records)
    assert all(r.text is None for r in records)


def test_llvip_split(tmp_path):
    _write_pairs(tmp_path / "infrared" / "train", tmp_path / "visible" / "train", ("a", "b"))
    _write_pairs(tmp_path / "infrared" / "test", tmp_path / "visible" / "test", ("c",))
    assert [r.stem for r in find_pairs(tmp_path, split="train")] == ["a", "b"]
    assert [r.stem for r in find_pairs(tmp_path, split="test")] == ["c"]
    with pytest.raises(LayoutError, match="pass split"):
        find_pairs(tmp_path)
    with pytest.raises(LayoutError, match="'val'"):
        find_pairs(tmp_path, split="val")


def test_msrs_split_above(tmp_path):
    _write_pairs(tmp_path / "train" / "ir", tmp_path / "train" / "vi", ("a",))
    _write_pairs(tmp_path / "test" / "ir", tmp_path / "test" / "vi", ("b", "c"))
    assert [r.stem for r in find_pairs(tmp_path, split="test")] == ["b", "c"]


def test_unpaired_file_named(tmp_path):
    _write_pairs(tmp_path / "ir", tmp_path / "vi")
    cv2.imwrite(str(tmp_path / "ir" / "lonely.png"), np.zeros((4, 4), np.uint8))
    with pytest.raises(PairingError, match="lonely"):
        find_pairs(tmp_path)


def test_unknown_layout_names_folders(tmp_path):
    (tmp_path / "thermal").mkdir()
    (tmp_path / "rgb").mkdir()
    with pytest.raises(LayoutError, match="rgb, thermal"):
        find_pairs(tmp_path)


def test_texts_txt_and_json(tmp_path):
    _write_pairs(tmp_path / "ir", tmp_path / "vi")
    (tmp_path / "texts.json").write_text(json.dumps({"00001": "json one", "00002": "json two"}))
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "00002.txt").write_text("  A road at night.\n")
    texts = {r.stem: r.text for r in find_pairs(tmp_path)}
    assert texts == {"00001": "json one", "00002": "A road at night.", "00003": None}


def test_texts_folder_plural(tmp_path):
    _write_pairs(tmp_path / "ir", tmp_path / "vi")
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "00003.txt").write_text("Two pedestrians.")
    assert find_pairs(tmp_path)[2].text == "Two pedestrians."


def _records(n):
    return [PairRecord(f"s{i:02d}", None, None) for i in range(n)]


def test_split_three_keeps_the_validation_split_and_adds_a_test_split():
    records = _records(20)
    train, val = split_records(records, n_val=5, seed=3)
    train3, val3, test = split_three(records, n_val=5, n_test=4, seed=3)
    assert val3 == val and len(test) == 4 and len(train3) == 11
    assert not {r.stem for r in test} & ({r.stem for r in train3} | {r.stem for r in val3})
    assert split_three(records, n_val=5, n_test=0, seed=3) == (train, val, [])
    with pytest.raises(ValueError):
        split_three(records, n_val=10, n_test=11, seed=0)


def test_split_records():
    records = _records(20)
    train, val = split_records(records, n_val=5, seed=3)
    assert len(val) == 5 and len(train) == 15
    assert not {r.stem for r in train} & {r.stem for r in val}
    assert split_records(records[::-1], n_val=5, seed=3) == (train, val)
    assert split_records(records, n_val=5, seed=4)[1] != val
    with pytest.raises(ValueError):
        split_records(records, n_val=21, seed=0)


@pytest.fixture
def records(tmp_path):
    _write_pairs(tmp_path / "ir", tmp_path / "vi", shape=(12, 16))
    return find_pairs(tmp_path)


def test_dataset_whole_image(records):
    item = PairDataset(records)[0]
    assert item["ir"].shape == (12, 16) and item["ir"].dtype == np.float32
    assert item["vis"].shape == (12, 16, 3) and item["vis"].dtype == np.float32
    assert 0.0 <= item["ir"].min() and item["vis"].max() <= 1.0
    assert item["text"] == "" and item["stem"] == "00001" and not item["vis_grey"]


def test_dataset_crop_pad_and_reproducible(records):
    dataset = PairDataset(records, crop=14, augment=True, seed=7)
    item = dataset[1]
    assert item["ir"].shape == (14, 14) and item["vis"].shape == (14, 14, 3)
    assert item["ir"].flags["C_CONTIGUOUS"] and item["vis"].flags["C_CONTIGUOUS"]
    again = PairDataset(records, crop=14, augment=True, seed=7)[1]
    assert np.array_equal(item["ir"], again["ir"]) and np.array_equal(item["vis"], again["vis"])


def test_dataset_epochs_differ(records):
    dataset = PairDataset(records, crop=8, augment=True, seed=0)
    draws = []
    for epoch in range(6):
        dataset.set_epoch(epoch)
        draws.append(dataset[0]["ir"])
    assert any(not np.array_equal(draws[0], d) for d in draws[1:])


def test_crop_matches_between_modalities(tmp_path):
    ir_dir, vis_dir = tmp_path / "ir", tmp_path / "vi"
    ir_dir.mkdir()
    vis_dir.mkdir()
    ramp = np.add.outer(np.arange(12) * 16, np.arange(10)).astype(np.uint8)
    cv2.imwrite(str(ir_dir / "a.png"), ramp)
    cv2.imwrite(str(vis_dir / "a.png"), np.dstack([ramp] * 3))
    dataset = PairDataset(find_pairs(tmp_path), crop=6, augment=True, seed=1)
    for epoch in range(4):
        dataset.set_epoch(epoch)
        item = dataset[0]
        assert np.array_equal(item["ir"], item["vis"][..., 1])


def test_grey_visible_flagged(tmp_path):
    _write_pairs(tmp_path / "ir", tmp_path / "vi", grey_vis=True)
    item = PairDataset(find_pairs(tmp_path))[0]
    assert item["vis"].shape == (12, 16, 3) and item["vis_grey"]


def test_lazy_dataset_gives_the_eager_samples_and_holds_no_images(records):
    eager = PairDataset(records, crop=10, augment=True, seed=5)
    lazy = PairDataset(records, crop=10, augment=True, seed=5, lazy=True)
    assert not lazy._decoded and len(lazy) == len(eager)
    for epoch in range(3):
        eager.set_epoch(epoch)
        lazy.set_epoch(epoch)
        for i in range(len(records)):
            a, b = eager[i], lazy[i]
            assert np.array_equal(a["ir"], b["ir"]) and np.array_equal(a["vis"], b["vis"])
            assert (a["stem"], a["vis_grey"]) == (b["stem"], b["vis_grey"])


def test_lazy_dataset_reports_a_bad_pair_on_access(tmp_path):
    _write_pairs(tmp_path / "ir", tmp_path / "vi", shape=(12, 16))
    records = find_pairs(tmp_path)
    cv2.imwrite(str(records[0].vis_path), np.zeros((8, 8, 3), np.uint8))
    lazy = PairDataset(records, lazy=True)
    with pytest.raises(ValueError, match=records[0].stem):
        lazy[0]
