"""ConditionedPairs: prompt classes, degraded inputs, targets and the `as_given` flag."""

import cv2
import numpy as np
import pytest
import torch

from textfusion_ros.imaging.color import split_luma
from textfusion_ros.imaging.night import NightConfig
from training.conditioning import ConditionedPairs, NightTargets, PromptTable, night_targets
from training.datasets import PairDataset, find_pairs
from training.prompts import PROMPT_CLASSES


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(0)
    for folder in ("ir", "vi"):
        (root / folder).mkdir()
    for stem in ("a", "b", "c", "d"):
        base = cv2.GaussianBlur(rng.integers(0, 256, (32, 32), dtype=np.uint8), (5, 5), 2)
        cv2.imwrite(str(root / "ir" / f"{stem}.png"), base)
        vis = np.stack([base, 255 - base, rng.integers(60, 200, (32, 32), dtype=np.uint8)], -1)
        cv2.imwrite(str(root / "vi" / f"{stem}.png"), vis)
    return PairDataset(find_pairs(root))


DAY_ONLY = NightTargets(default_prob=0.0)


def conditioned(pairs, only_class, **kwargs):
    kwargs.setdefault("night_targets", DAY_ONLY)
    return ConditionedPairs(pairs, PromptTable(), {only_class: 1.0}, 0.0, seed=0, **kwargs)


def test_default_fuses_degraded_inputs_as_given(pairs):
    items = [conditioned(pairs, "default", default_degraded_prob=1.0)[i] for i in range(4)]
    for item in items:
        assert item["as_given"].item() is True
        assert torch.equal(item["ir_in"], item["ir"]) and torch.equal(item["vis_in"],
                                                                      item["vis_y"])
    clean = [(pairs[i]["ir"], split_luma(pairs[i]["vis"])[0]) for i in range(4)]
    assert any(not np.allclose(item["ir"][0].numpy(), ir) or
               not np.allclose(item["vis_y"][0].numpy(), vis)
               for item, (ir, vis) in zip(items, clean, strict=True))


def test_default_on_clean_inputs_is_not_as_given(pairs):
    item = conditioned(pairs, "default", default_degraded_prob=0.0)[0]
    assert item["as_given"].item() is False
    assert torch.equal(item["ir_in"], item["ir"])


def test_low_light_sees_a_night_and_is_not_as_given(pairs):
    no_lamps = NightConfig(lamps_mean=0.0, exposure=(0.02, 0.05))
    item = conditioned(pairs, "vis_low_light", night=no_lamps)[1]
    clean_y = split_luma(pairs[1]["vis"])[0]
    assert item["as_given"].item() is False
    assert item["vis_in"].mean() < 0.6 * float(clean_y.mean())
    assert item["prompt_id"].item() in PromptTable().class_ids["vis_low_light"]


def test_default_sees_nights_with_their_share(pairs):
    always = NightTargets(default_prob=1.0, ir_degradation_prob=0.0)
    dataset = conditioned(pairs, "default", night_targets=always,
                          night=NightConfig(lamps_mean=0.0, exposure=(0.01, 0.02)))
    for i in range(len(dataset)):
        item = dataset[i]
        assert item["as_given"].item() is False
        assert torch.equal(item["ir_in"], item["ir"])
        assert item["vis_in"].mean() < 0.3
        assert item["vis_in_crcb"].shape == (2, *item["vis_in"].shape[1:])


def test_night_targets_trust_the_visible_only_where_it_is_lit():
    rng = np.random.default_rng(0)
    day = rng.random((16, 32, 3), dtype=np.float32)
    night_clean = 0.2 * day
    ir = rng.random((16, 32), dtype=np.float32)
    snr = np.where(np.arange(32) < 16, 0.5, 64.0).astype(np.float32)[None].repeat(16, 0)
    settings = NightTargets()
    ir_target, default_y, _ = night_targets(day, ir, night_clean, snr, settings, restore=False)
    np.testing.assert_array_equal(ir_target, ir)
    np.testing.assert_allclose(default_y[:, :16], ir[:, :16], atol=1e-6)
    np.testing.assert_allclose(default_y[:, 16:], split_luma(night_clean)[0][:, 16:], atol=1e-6)
    lifted, restored_y, crcb = night_targets(day, ir, night_clean, snr, settings, restore=True)
    lift = restored_y.mean() - default_y.mean()
    hottest = ir >= np.percentile(ir, 98)
    coolest = ir <= np.percentile(ir, 90)
    assert lift > 0 and np.allclose(lifted[hottest], np.clip(ir + lift, 0, 1)[hottest])
    np.testing.assert_array_equal(lifted[coolest], ir[coolest])
    # Warm targets are composited onto the restored visible target; elsewhere it is the day.
    day_y = split_luma(day)[0]
    assert np.all(restored_y[hottest] >= np.minimum(lifted[hottest], 1.0) - 1e-6)
    np.testing.assert_allclose(restored_y[:, 20:][coolest[:, 20:]],
                               day_y[:, 20:][coolest[:, 20:]], atol=1e-6)
    np.testing.assert_allclose(crcb, split_luma(day)[1])
    very_dark = np.full_like(snr, 0.1)
    _, restored_dark, _ = night_targets(day, ir, night_clean, very_dark, settings, restore=True)
    np.testing.assert_allclose(restored_dark, ir, atol=1e-6)


def test_dark_area_refinements_of_the_default_target_stay_in_the_dark_area():
    rng = np.random.default_rng(1)
    day = cv2.GaussianBlur(rng.random((32, 64, 3), dtype=np.float32), (0, 0), 3.0)
    night_clean = 0.2 * day
    ir = rng.random((32, 64), dtype=np.float32)
    snr = np.where(np.arange(64) < 32, 1.0, 64.0).astype(np.float32)[None].repeat(32, 0)
    plain_ir, plain_y, _ = night_targets(day, ir, night_clean, snr, NightTargets(), restore=False)
    refined = NightTargets(dark_vis_base=0.5, dark_ir_detail=0.5)
    ir_target, vis_y, _ = night_targets(day, ir, night_clean, snr, refined, restore=False)
    dark, lit = np.s_[:, :24], np.s_[:, 40:]
    np.testing.assert_allclose(vis_y[lit], plain_y[lit], atol=1e-6)
    np.testing.assert_allclose(ir_target[lit], ir[lit], atol=1e-6)
    # Enhanced infrared details where the visible is dark: more fine-scale energy.
    fine = ir_target - cv2.GaussianBlur(ir_target, (0, 0), 2.0)
    plain_fine = plain_ir - cv2.GaussianBlur(plain_ir, (0, 0), 2.0)
    assert fine[dark].std() > 1.2 * plain_fine[dark].std()
    # The visible's faint structure joins the dark area without changing its brightness.
    night_y = split_luma(night_clean)[0]
    added = vis_y[dark] - ir_target[dark]
    assert abs(float(added.mean())) < 0.01
    assert np.corrcoef(added.ravel(), night_y[dark].ravel())[0, 1] > 0.5


def test_restore_strength_scales_the_low_light_brightening():
    rng = np.random.default_rng(2)
    day = rng.random((16, 32, 3), dtype=np.float32)
    ir = rng.random((16, 32), dtype=np.float32)
    snr = np.full((16, 32), 64.0, np.float32)
    night_clean = 0.1 * day
    _, seen_y, _ = night_targets(day, ir, night_clean, snr, NightTargets(), restore=False)
    cool = ir <= np.percentile(ir, 90)

    def brightening(strength: float) -> float:
        settings = NightTargets(restore_strength=strength)
        _, y, _ = night_targets(day, ir, night_clean, snr, settings, restore=True)
        return float((y - seen_y)[cool].mean())

    assert brightening(1.0) > 0.2
    assert brightening(0.5) == pytest.approx(0.5 * brightening(1.0), rel=1e-4)


def test_warm_lift_scales_the_lift_of_the_warm_targets_only():
    rng = np.random.default_rng(3)
    day = 0.5 * rng.random((16, 32, 3), dtype=np.float32)
    ir = 0.3 * rng.random((16, 32), dtype=np.float32)
    snr = np.full((16, 32), 64.0, np.float32)
    hottest, cool = ir >= np.percentile(ir, 98), ir <= np.percentile(ir, 90)

    def lifted(warm_lift: float) -> np.ndarray:
        settings = NightTargets(warm_lift=warm_lift)
        return night_targets(day, ir, 0.1 * day, snr, settings, restore=True)[0]

    once, twice = lifted(1.0) - ir, lifted(2.0) - ir
    assert once[hottest].min() > 0.05 and lifted(2.0).max() < 1.0
    np.testing.assert_allclose(twice[hottest], 2.0 * once[hottest], rtol=1e-4)
    np.testing.assert_array_equal(twice[cool], 0.0)


def test_prompt_ids_stay_in_their_class(pairs):
    table = PromptTable()
    for name in PROMPT_CLASSES:
        dataset = conditioned(pairs, name)
        for i in range(len(dataset)):
            item = dataset[i]
            assert list(PROMPT_CLASSES)[item["class_index"].item()] == name
            assert item["prompt_id"].item() in table.class_ids[name]


def test_low_light_target_never_darkens_the_night_as_seen():
    # Where the visible holds a coarse signal but is not lit, the night as seen is the
    # infrared; a darker daytime scene there must not pull the low-light target below it.
    rng = np.random.default_rng(4)
    day = 0.1 * rng.random((16, 32, 3), dtype=np.float32)
    ir = 0.6 + 0.2 * rng.random((16, 32), dtype=np.float32)
    snr = np.full((16, 32), 2.0 ** 1.5, np.float32)
    _, vis_y, _ = night_targets(day, ir, 0.1 * day, snr, NightTargets(), restore=True)
    assert np.all(vis_y >= ir - 1e-6)
