"""Text-IF's per-task folders of degraded inputs with restored targets, on tiny synthetic data."""

import numpy as np
import pytest
import torch

from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.degradations import ir_noise, vis_low_light
from textfusion_ros.imaging.imageio import write_image
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame
from training.conditioning import PromptTable
from training.degraded_pairs import DegradedSamples, MixedSamples, find_degraded_pairs
from training.prompts import PROMPT_CLASSES


def _write_task(folder, stems, degrade, with_ir_gt=True, with_vis_gt=True):
    for i, stem in enumerate(stems):
        ir, vis = generate_frame(SceneConfig(height=64, width=80, seed=i), 0)
        d_ir, d_vis = degrade(to_unit_float(ir), to_unit_float(vis))
        write_image(folder / "Infrared" / f"{stem}.png", to_uint8(d_ir))
        write_image(folder / "Visible" / f"{stem}.png", to_uint8(d_vis))
        if with_ir_gt:
            write_image(folder / "Infrared_gt" / f"{stem}.png", ir)
        if with_vis_gt:
            write_image(folder / "Visible_gt" / f"{stem}.png", vis)


@pytest.fixture
def ems(tmp_path):
    root = tmp_path / "EMS_lite"
    _write_task(root / "Low_light" / "train", ["001", "002"],
                lambda ir, vis: (ir, vis_low_light(vis)))
    (root / "Low_light" / "train" / "text.txt").write_text("dark visible\n\nvery dark\n")
    # no Infrared_gt: the intact infrared is its own target
    _write_task(root / "IR_Noise" / "train", ["010"],
                lambda ir, vis: (ir_noise(ir, np.random.default_rng(0)), vis), with_ir_gt=False)
    _write_task(root / "VI_Haze" / "train", ["020"], lambda ir, vis: (ir, vis))
    _write_task(root / "Low_light" / "eval", ["003"], lambda ir, vis: (ir, vis),
                with_ir_gt=False, with_vis_gt=False)
    return root


def test_find_degraded_pairs_maps_tasks_to_prompt_classes(ems):
    records, skipped = find_degraded_pairs(ems)
    assert skipped == ["VI_Haze"]
    by_task = {(r.task, r.stem): r for r in records}
    low = by_task[("Low_light", "001")]
    assert low.prompt_class == "vis_low_light" and low.degraded_source == "vis"
    assert low.vis_target.parent.name == "Visible_gt" and low.prompts == ("dark visible",
                                                                          "very dark")
    noisy = by_task[("IR_Noise", "010")]
    assert noisy.prompt_class == "ir_noise" and noisy.degraded_source == "ir"
    assert noisy.ir_target is None and not noisy.has_targets  # degraded source lacks its target
    haze, _ = find_degraded_pairs(ems, tasks={"vi_haze": "preserve_visible"})
    assert any(r.task == "VI_Haze" for r in haze)


def test_eval_split_without_targets_and_clear_errors(ems, tmp_path):
    with pytest.raises(ValueError, match="has no 'eval' split"):
        find_degraded_pairs(ems, "eval")
    only_low = tmp_path / "only_low"
    only_low.mkdir()
    (ems / "Low_light").rename(only_low / "Low_light")
    records, _ = find_degraded_pairs(only_low, "eval")
    assert [r.stem for r in records] == ["003"] and not records[0].has_targets
    with pytest.raises(ValueError, match="unknown prompt classes"):
        find_degraded_pairs(only_low, tasks={"low_light": "sunshine"})
    with pytest.raises(ValueError, match="no degraded pairs"):
        find_degraded_pairs(tmp_path / "only_low" / "Low_light")


def test_degraded_samples_are_trainer_batches(ems):
    records, _ = find_degraded_pairs(ems)
    prompts = PromptTable()
    samples = DegradedSamples(records, prompts, crop=64, seed=0)
    assert len(samples) == 2  # the IR-noise pair has no infrared target
    item = samples[0]
    assert set(item) == {"ir_in", "vis_in", "vis_in_crcb", "ir", "vis_y", "vis_crcb",
                         "class_index", "prompt_id", "as_given"}
    assert item["ir_in"].shape == (1, 64, 64) and item["vis_crcb"].shape == (2, 64, 64)
    assert list(PROMPT_CLASSES)[int(item["class_index"])] == "vis_low_light"
    assert int(item["prompt_id"]) in prompts.class_ids["vis_low_light"]
    assert float(item["vis_y"].mean()) > float(item["vis_in"].mean())  # target is the restored
    assert torch.equal(samples[0]["ir"], item["ir"])  # reproducible


class _Synthetic(torch.utils.data.Dataset):
    def __init__(self):
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        return 50

    def __getitem__(self, index):
        return {"source": "synthetic"}


def test_mixed_samples_take_a_share_of_real_pairs(ems):
    records, _ = find_degraded_pairs(ems)
    real = DegradedSamples(records, PromptTable(), crop=64)
    mixed = MixedSamples(_Synthetic(), real, real_prob=0.3)
    mixed.set_epoch(2)
    assert real.epoch == 2
    share = np.mean(["source" not in mixed[i] for i in range(50)])
    assert 0.1 < share < 0.5
    with pytest.raises(ValueError):
        MixedSamples(_Synthetic(), real, real_prob=1.5)
