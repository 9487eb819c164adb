"""Tests for the synthetic IR/VIS scene generator."""

import numpy as np
import pytest

from textfusion_ros.imaging import scenes as synth
from textfusion_ros.imaging.imageio import pair_by_stem, read_image
from textfusion_ros.imaging.scenes import (
    SceneConfig,
    generate_frame,
    generate_sequence,
    write_sequence,
)

SMALL = SceneConfig(height=96, width=128)


def test_shapes_and_dtypes():
    ir, vis = generate_frame(SMALL, 0)
    assert ir.shape == (96, 128) and ir.dtype == np.uint8
    assert vis.shape == (96, 128, 3) and vis.dtype == np.uint8


def test_mono16_raw_counts():
    ir, _ = generate_frame(SceneConfig(height=96, width=128, ir_bits=16), 0)
    assert ir.dtype == np.uint16
    assert synth.IR16_LOW <= ir.min() and ir.max() <= synth.IR16_HIGH
    assert ir.max() - ir.min() > 2000


def test_bad_bit_depth():
    with pytest.raises(ValueError):
        SceneConfig(ir_bits=12)


def test_deterministic_by_seed():
    first = generate_frame(SMALL, 7)
    synth._scene.cache_clear()
    again = generate_frame(SMALL, 7)
    other = generate_frame(SceneConfig(height=96, width=128, seed=1), 7)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])


def test_frames_do_not_leak_into_cache():
    before = generate_frame(SMALL, 0)
    generate_frame(SMALL, 20)
    after = generate_frame(SMALL, 0)
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_objects_move_smoothly():
    frames = list(generate_sequence(SMALL, 3))
    assert len(frames) == 3
    changed = np.abs(frames[1][0].astype(int) - frames[0][0]) > 10
    assert 0.001 < changed.mean() < 0.2  # something moves, the background stays
    step01 = np.abs(frames[1][0].astype(int) - frames[0][0]).mean()
    step02 = np.abs(frames[2][0].astype(int) - frames[0][0]).mean()
    assert step01 <= step02


def test_objects_warm_in_ir_and_dim_in_vis():
    size = {"height": 128, "width": 160}
    ir, vis = generate_frame(SceneConfig(**size, n_pedestrians=4, n_cars=2), 10)
    ir_bg, vis_bg = generate_frame(SceneConfig(**size, n_pedestrians=0, n_cars=0), 10)
    mask = np.abs(ir.astype(int) - ir_bg) > 20
    assert mask.sum() > 100
    ir_contrast = (ir[mask].astype(float) - ir_bg[mask]).mean()
    vis_contrast = np.abs(vis.astype(float) - vis_bg).mean(axis=2)[mask].mean()
    assert ir_contrast > 50
    assert ir[mask].mean() > np.median(ir_bg)
    assert vis_contrast < ir_contrast


def test_road_warmer_than_sky():
    ir, _ = generate_frame(SceneConfig(height=96, width=128, n_pedestrians=0, n_cars=0), 0)
    assert ir[-10:].mean() > ir[:10].mean() + 50


def test_illumination_darkens_vis():
    _, vis = generate_frame(SMALL, 0)
    _, dark = generate_frame(SceneConfig(height=96, width=128, illumination=0.5), 0)
    assert dark.mean() == pytest.approx(0.5 * vis.mean(), rel=0.05)


def test_write_sequence(tmp_path):
    config = SceneConfig(height=64, width=80, ir_bits=16)
    stems = write_sequence(tmp_path, config, 3)
    assert stems == ["frame_0000", "frame_0001", "frame_0002"]
    assert [stem for stem, _ in pair_by_stem(tmp_path / "ir", tmp_path / "vis")] == stems
    ir = read_image(tmp_path / "ir" / "frame_0001.png")
    assert ir.dtype == np.uint16 and ir.shape == (64, 80)
    assert np.array_equal(ir, generate_frame(config, 1)[0])
    assert read_image(tmp_path / "vis" / "frame_0001.png").shape == (64, 80, 3)


def test_write_sequence_degraded(tmp_path):
    config = SceneConfig(height=64, width=80, ir_bits=16)
    write_sequence(tmp_path, config, 1, degradation="vis_low_light")
    ir = read_image(tmp_path / "ir" / "frame_0000.png")
    vis = read_image(tmp_path / "vis" / "frame_0000.png")
    clean_vis = generate_frame(config, 0)[1]
    assert ir.dtype == np.uint8
    assert vis.mean() < 0.5 * clean_vis.mean()


def test_write_sequence_unknown_degradation(tmp_path):
    with pytest.raises(KeyError, match="vis_low_light"):
        write_sequence(tmp_path, SMALL, 2, degradation="fog")
    assert not (tmp_path / "ir").exists()
