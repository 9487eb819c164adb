"""ConditionedPairs: prompt classes, degraded inputs, targets and the `as_given` flag."""

import cv2
import numpy as np
import pytest
import torch

from textfusion_ros.imaging.color import split_luma
from training.conditioning import ConditionedPairs, PromptTable, enhance_contrast
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


def conditioned(pairs, only_class, **kwargs):
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


@pytest.mark.parametrize("clip, tile", [(3.0, 16), (16.0, 32)])
def test_low_light_degrades_input_and_enhances_target(pairs, clip, tile):
    item = conditioned(pairs, "vis_low_light", low_light_clip=clip, low_light_tile=tile)[1]
    clean_y = split_luma(pairs[1]["vis"])[0]
    assert item["as_given"].item() is False
    assert item["vis_in"].mean() < 0.6 * float(clean_y.mean())
    np.testing.assert_allclose(item["vis_y"][0].numpy(), enhance_contrast(clean_y, clip, tile))
    assert item["prompt_id"].item() in PromptTable().class_ids["vis_low_light"]


def test_prompt_ids_stay_in_their_class(pairs):
    table = PromptTable()
    for name in PROMPT_CLASSES:
        dataset = conditioned(pairs, name)
        for i in range(len(dataset)):
            item = dataset[i]
            assert list(PROMPT_CLASSES)[item["class_index"].item()] == name
            assert item["prompt_id"].item() in table.class_ids[name]
