"""Tests for degradation synthesis."""

import numpy as np
import pytest

from textfusion_ros.imaging.degradations import (
    DEGRADATIONS,
    apply_degradation,
    ir_low_contrast,
    ir_noise,
    vis_low_light,
    vis_overexposure,
)

NAMES = {"vis_low_light", "vis_overexposure", "ir_noise", "ir_low_contrast"}


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ir = rng.uniform(0.3, 0.7, (48, 64)).astype(np.float32)
    vis = rng.uniform(0.0, 1.0, (48, 64, 3)).astype(np.float32)
    return ir, vis


def test_low_light_follows_gain_and_gamma():
    vis = np.full((8, 8, 3), 0.5, np.float32)
    out = vis_low_light(vis, gain=0.3, gamma=1.8)
    assert out.dtype == np.float32
    assert np.allclose(out, 0.3 * 0.5 ** 1.8, atol=1e-6)


def test_low_light_noise_needs_rng():
    vis = np.full((32, 32), 0.5, np.float32)
    with pytest.raises(ValueError):
        vis_low_light(vis, noise_sigma=0.01)
    noisy = vis_low_light(vis, rng=np.random.default_rng(0), noise_sigma=0.01)
    assert noisy.std() == pytest.approx(0.01, rel=0.15)


def test_overexposure_brightens_and_clips():
    ramp = np.tile(np.linspace(0.0, 1.0, 256, dtype=np.float32), (4, 1))
    out = vis_overexposure(ramp, gain=1.2, gamma=2.0)
    assert out.mean() > ramp.mean() + 0.1
    assert out.min() >= 0.0 and out.max() == 1.0
    highlights = ramp > 0.7
    assert out[highlights].std() < 0.1 * ramp[highlights].std()


def test_ir_noise_std_matches_sigma():
    flat = np.full((128, 128), 0.5, np.float32)
    out = ir_noise(flat, np.random.default_rng(0), sigma=20 / 255)
    assert out.std() == pytest.approx(20 / 255, rel=0.05)
    assert out.mean() == pytest.approx(0.5, abs=0.005)


def test_ir_noise_stripes_are_per_column():
    flat = np.full((256, 128), 0.5, np.float32)
    out = ir_noise(flat, np.random.default_rng(0), sigma=0.0, stripe_sigma=0.03)
    assert np.allclose(out, out[0])  # every row carries the same column offsets
    assert out[0].std() == pytest.approx(0.03, rel=0.25)


def test_low_contrast_scales_std():
    ir, _ = _pair()
    out = ir_low_contrast(ir, factor=0.3)
    assert out.std() == pytest.approx(0.3 * ir.std(), rel=1e-4)
    assert out.mean() == pytest.approx(ir.mean(), abs=1e-5)
    shifted = ir_low_contrast(ir, factor=0.3, offset=0.05)
    assert shifted.mean() == pytest.approx(ir.mean() + 0.05, abs=1e-5)


def test_registry_names():
    assert set(DEGRADATIONS) == NAMES
    assert all(d.name == name for name, d in DEGRADATIONS.items())


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("evaluation", [False, True])
def test_only_the_named_source_changes(name, evaluation):
    ir, vis = _pair()
    ir_copy, vis_copy = ir.copy(), vis.copy()
    out_ir, out_vis = apply_degradation(name, ir, vis, np.random.default_rng(1), evaluation)
    assert np.array_equal(ir, ir_copy) and np.array_equal(vis, vis_copy)  # not mutated
    assert out_ir.shape == ir.shape and out_vis.shape == vis.shape
    touched, untouched = (out_ir, out_vis) if name.startswith("ir_") else (out_vis, out_ir)
    assert untouched is (vis if name.startswith("ir_") else ir)
    assert touched.dtype == np.float32
    assert 0.0 <= touched.min() and touched.max() <= 1.0
    assert not np.allclose(touched, ir if name.startswith("ir_") else vis)


def test_evaluation_settings():
    ir, vis = _pair()
    rng = np.random.default_rng(2)
    _, dark = DEGRADATIONS["vis_low_light"].evaluate(ir, vis, rng)
    assert np.allclose(dark, 0.3 * vis ** 1.8, atol=1e-6)
    flat = np.full((128, 128), 0.5, np.float32)
    noisy, _ = DEGRADATIONS["ir_noise"].evaluate(flat, vis, rng)
    assert noisy.std() == pytest.approx(20 / 255, rel=0.05)
    assert noisy.mean(axis=0).std() < 0.5 * (20 / 255)  # no column stripes


def test_training_samples_vary():
    ir, vis = _pair()
    rng = np.random.default_rng(3)
    means = {DEGRADATIONS["vis_low_light"].sample(ir, vis, rng)[1].mean() for _ in range(3)}
    assert len(means) == 3
    assert max(means) < vis.mean()


def test_grey_vis():
    grey = np.full((16, 16), 0.5, np.float32)
    _, out = apply_degradation("vis_low_light", grey, grey, np.random.default_rng(0), True)
    assert out.shape == (16, 16)


def test_unknown_name():
    ir, vis = _pair()
    with pytest.raises(KeyError, match="ir_noise"):
        apply_degradation("fog", ir, vis, np.random.default_rng(0))
