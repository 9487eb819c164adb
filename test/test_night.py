"""Night synthesis: dark, noisy where it should be, lamps that blow out, reproducible."""

import numpy as np
import pytest

from textfusion_ros.imaging.night import NightConfig, smoothstep, synthesize_night


def day_image(h=64, w=96, seed=0):
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.2, 0.9, w, dtype=np.float32)[None, :, None]
    return np.clip(ramp + 0.05 * rng.standard_normal((h, w, 3), dtype=np.float32), 0, 1)


def test_night_is_dark_noisy_and_leaves_input_alone():
    day = day_image()
    before = day.copy()
    config = NightConfig(lamps_mean=0.0, exposure=(0.03, 0.03), digital_gain=(1.0, 1.0),
                         jpeg_prob=0.0, motion_blur_prob=0.0)
    sample = synthesize_night(day, np.random.default_rng(1), config)
    np.testing.assert_array_equal(day, before)
    assert sample.noisy.mean() < 0.5 * day.mean()
    assert sample.noisy.shape == day.shape and sample.noisy.dtype == np.float32
    noise = sample.noisy - sample.clean
    assert noise.std() > 2.0 / 255.0
    np.testing.assert_allclose(np.rint(sample.noisy * 255) / 255, sample.noisy, atol=1e-6)


def test_noise_grows_with_signal_and_snr_follows_brightness():
    day = day_image(96, 128)
    config = NightConfig(lamps_mean=0.0, exposure=(0.2, 0.2), digital_gain=(1.0, 1.0),
                         jpeg_prob=0.0, motion_blur_prob=0.0, line_noise=(0.0, 0.0),
                         chroma_noise=(0.0, 0.0), shot_noise=(3e-3, 3e-3),
                         read_noise=(5e-4, 5e-4))
    sample = synthesize_night(day, np.random.default_rng(2), config)
    linear_noise = (sample.noisy ** 2.2) - (sample.clean ** 2.2)
    assert linear_noise[:, -32:].std() > 1.5 * linear_noise[:, :32].std()
    assert np.median(sample.snr[:, -32:]) > np.median(sample.snr[:, :32])


def test_lamps_blow_out_and_light_their_surroundings():
    day = day_image(128, 160)
    dark = NightConfig(lamps_mean=0.0, exposure=(0.01, 0.01), digital_gain=(1.0, 1.0))
    lamps = NightConfig(lamps_mean=6.0, exposure=(0.01, 0.01), digital_gain=(1.0, 1.0))
    without = synthesize_night(day, np.random.default_rng(3), dark)
    with_lamps = synthesize_night(day, np.random.default_rng(3), lamps)
    assert (with_lamps.clean >= 0.999).any() and not (without.clean >= 0.999).any()
    assert with_lamps.clean.mean() > 1.5 * without.clean.mean()


def test_same_seed_same_night_and_grey_input_works():
    day = day_image()
    a = synthesize_night(day, np.random.default_rng(5))
    b = synthesize_night(day, np.random.default_rng(5))
    np.testing.assert_array_equal(a.noisy, b.noisy)
    grey = synthesize_night(day[..., 0], np.random.default_rng(5))
    assert grey.noisy.shape == day.shape[:2] and grey.snr.shape == day.shape[:2]


def test_config_from_yaml_mapping():
    config = NightConfig.from_dict({"exposure": [0.02, 0.1], "jpeg_prob": 0.0})
    assert config.exposure == (0.02, 0.1) and config.jpeg_prob == 0.0
    with pytest.raises(ValueError, match="unknown night synthesis keys"):
        NightConfig.from_dict({"exposur": [0.1, 0.2]})


def test_smoothstep_ramps_between_its_edges():
    np.testing.assert_allclose(smoothstep(np.array([0.0, 1.0, 1.5, 2.0, 3.0]), 1.0, 2.0),
                               [0.0, 0.0, 0.5, 1.0, 1.0])


def test_validation_night_pairs_and_their_noise_free_twins_share_the_scene():
    from training.night_validation import night_pairs

    day = (day_image(64, 96, seed=3) * 255).astype(np.uint8)
    ir = day[..., 0]
    pairs = [("a", ir, day), ("b", ir, day[:, ::-1].copy())]
    noisy, quiet = night_pairs(pairs, seed=5), night_pairs(pairs, seed=5, noise_free=True)
    for (stem, n_ir, n_vis), (q_stem, q_ir, q_vis), (_, _, vis) in zip(noisy, quiet, pairs,
                                                                       strict=True):
        assert stem == q_stem and n_ir is ir and q_ir is ir
        assert n_vis.dtype == q_vis.dtype == np.uint8 and n_vis.shape == vis.shape
        assert q_vis.mean() < vis.mean()  # darkened as well
        noise = n_vis.astype(float) - q_vis.astype(float)
        assert abs(noise.mean()) < 4 and noise.std() > 1.0  # the same night, plus noise
    assert np.array_equal(night_pairs(pairs, seed=5, noise_free=True)[1][2], quiet[1][2])


def test_night_comparison_by_noise_splits_at_the_median_noise():
    from training.night_validation import by_noise, sensor_noise

    clean = np.full((8, 8, 3), 40, np.uint8)
    rng = np.random.default_rng(0)
    noisy = [np.clip(clean + rng.normal(0, sigma, clean.shape), 0, 255).astype(np.uint8)
             for sigma in (9.0, 1.0, 5.0, 3.0)]
    ir = clean[..., 0]
    noise = sensor_noise([("s", ir, v) for v in noisy], [("s", ir, clean)] * 4)
    assert np.argsort(noise).tolist() == [1, 3, 2, 0]
    per_pair = {"textfusion": [{"AG": float(i)} for i in range(4)],
                "laplacian_pyramid": [{"AG": 10.0 + i} for i in range(4)]}
    halves = by_noise(per_pair, noise)
    assert halves["quieter"]["pairs"] == halves["noisier"]["pairs"] == 2
    assert halves["quieter"]["metrics"]["textfusion"]["AG"] == 2.0  # pairs 1 and 3
    assert halves["noisier"]["metrics"]["laplacian_pyramid"]["AG"] == 11.0  # pairs 2 and 0
    assert halves["quieter"]["noise_std"] == [noise[1], noise[3]]


def test_low_light_brightening_is_also_reported_on_the_darker_half_of_the_nights():
    from training.night_validation import low_light_figures

    rng = np.random.default_rng(1)
    scene = rng.integers(60, 200, (16, 16, 3)).astype(np.uint8)
    ir = scene[..., 0]
    night = [("dark", ir, scene // 8), ("lit", ir, scene // 2)]
    default = [scene // 4, scene // 4]
    low_light = [np.clip(f.astype(int) + lift, 0, 255).astype(np.uint8)
                 for f, lift in zip(default, (5, 25), strict=True)]
    figures = low_light_figures(night, [scene, scene], default, low_light)
    assert figures["brightness_gain"] == pytest.approx(15.0, abs=0.6)
    assert figures["brightness_gain_darker_half"] == pytest.approx(5.0, abs=0.6)
