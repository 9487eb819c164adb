"""The seed papers' loss presets: their terms, the textfusion preset's identity with today's
loss, and a short training run per preset with the loss falling."""

import pytest
import torch
import yaml
from torch.utils.data import default_collate

from textfusion_ros.imaging.scenes import SceneConfig, write_sequence
from textfusion_ros.model.config import ModelConfig
from training.config import LossConfig, load_train_config
from training.loss_presets import (
    SEED_PRESETS,
    SeedLoss,
    build_loss,
    chroma_error,
    gradient_max_sum,
    gradient_max_xy,
    max_intensity,
)
from training.losses import FusionLoss, LossWeights
from training.prompts import PROMPT_CLASSES
from training.trainer import Trainer


def batch(seed=0, n=3, size=32):
    g = torch.Generator().manual_seed(seed)
    ir = torch.rand(n, 1, size, size, generator=g)
    vis = torch.rand(n, 1, size, size, generator=g)
    fused = torch.rand(n, 1, size, size, generator=g)
    crcb = 0.5 + 0.1 * (torch.rand(n, 2, size, size, generator=g) - 0.5)
    return fused, ir, vis, crcb


def test_textfusion_preset_is_todays_loss_on_a_fixed_batch():
    fused, ir, vis, crcb = batch()
    classes = torch.tensor([0, 3, 5])
    as_given = torch.tensor([False, False, True])
    weights = {name: LossWeights(ir_ssim=0.5 + i, correlation=1.5, detail=25.0)
               for i, name in enumerate(PROMPT_CLASSES)}
    config = LossConfig(classes=weights, class_max_mix={"vis_low_light": 1.0},
                        as_given_max_mix=0.0)
    preset = build_loss(config, ModelConfig())
    assert isinstance(preset, FusionLoss)
    total, logged = preset(fused, ir, vis, crcb, classes, as_given)
    # Today's formula, written out: SSIM as [(1 - s_v) + δ (1 - s_i)] / (1 + δ), the other
    # terms weighted by their class weight.
    names = LossWeights.names()
    terms = preset.terms(fused, ir, vis, crcb, preset.sample_max_mix(classes, as_given))
    table = torch.tensor([[getattr(weights[n], t) for t in names] for n in PROMPT_CLASSES])
    w = table[classes]
    s, d = names.index("ssim"), names.index("ir_ssim")
    expected = 0.0
    for b in range(3):
        delta = w[b, d]
        value = w[b, s] * (terms[b, s] + delta * terms[b, d]) / (1 + delta)
        value += sum(w[b, k] * terms[b, k] for k in range(len(names)) if k not in (s, d))
        expected += value / 3
    assert torch.allclose(total, expected, rtol=1e-6, atol=0)
    assert set(logged) == set(names)


def test_ssim_normalisation_is_a_textfusion_choice_only():
    fused, ir, vis, crcb = batch()
    only_ssim = {n: 0.0 for n in LossWeights.names()} | {"ssim": 1.0, "ir_ssim": 2.0}
    classes = torch.zeros(3, dtype=torch.long)
    normalised = FusionLoss([LossWeights(**only_ssim)])(fused, ir, vis, crcb, classes)[0]
    plain = FusionLoss([LossWeights(**only_ssim)], ssim_normalised=False)(
        fused, ir, vis, crcb, classes)[0]
    assert torch.allclose(plain, 3.0 * normalised)


def test_seed_terms_vanish_at_their_targets():
    fused, ir, vis, crcb = batch()
    brightest = torch.maximum(ir, vis)
    assert max_intensity(brightest, ir, vis).abs().max() < 1e-7
    assert max_intensity(fused, ir, vis).min() > 0.05
    assert gradient_max_xy(ir, ir, ir).abs().max() < 1e-6
    assert gradient_max_sum(vis, vis, vis).abs().max() < 1e-6
    assert (gradient_max_sum(torch.full_like(ir, 0.5), ir, vis) > 0.5).all()
    mid = torch.full_like(ir, 0.5)
    assert chroma_error(mid, crcb, crcb).abs().max() < 1e-5
    assert (chroma_error(mid, torch.full_like(crcb, 0.5), crcb) > 0.01).all()


def test_textif_weights_follow_the_degradation_and_no_normalisation():
    loss = SeedLoss("textif")
    names = loss.term_names
    row = dict(zip(names, loss.table[list(PROMPT_CLASSES).index("vis_low_light")].tolist(),
                   strict=True))
    assert row == {"intensity": 8.0, "ssim": 1.0, "ir_ssim": 1.0, "gradient": 10.0,
                   "colour": 12.0}
    over = loss.table[list(PROMPT_CLASSES).index("vis_overexposure")]
    assert over[names.index("ssim")] == 0 and over[names.index("intensity")] == 4
    fused, ir, vis, crcb = batch()
    classes = torch.zeros(3, dtype=torch.long)
    terms = loss.terms(fused, ir, vis, crcb)
    total, _ = loss(fused, ir, vis, crcb, classes)
    expected = (4 * terms[:, 0] + terms[:, 1] + terms[:, 2] + 10 * terms[:, 3]
                + 12 * terms[:, 4]).mean()
    assert torch.allclose(total, expected)


def test_textif_colour_term_sees_the_chroma_head():
    fused, ir, vis, crcb = batch()
    loss = SeedLoss("textif")
    colour = loss.term_names.index("colour")
    shifted = crcb + 0.05
    without = loss.terms(fused, ir, vis, crcb)[:, colour]
    with_head = loss.terms(fused, ir, vis, crcb, fused_crcb=shifted)[:, colour]
    assert (with_head > without + 0.05).all()


def test_film_and_tgif_are_intensity_plus_twenty_gradient():
    for name in ("film", "tgif"):
        assert SEED_PRESETS[name].terms == ("intensity", "gradient")
        loss = SeedLoss(name)
        assert (loss.table == torch.tensor([1.0, 20.0])).all()
    with pytest.raises(ValueError, match="unknown seed loss preset"):
        SeedLoss("textfusion")


def test_config_rejects_an_unknown_preset(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"loss": {"preset": "nope"}}))
    with pytest.raises(ValueError, match="loss.preset"):
        load_train_config(path)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("presets")
    write_sequence(root / "data", SceneConfig(height=64, width=96, seed=5), 6)
    return root


@pytest.mark.parametrize("preset", ["textif", "film", "tgif"])
def test_each_seed_preset_trains_with_the_loss_falling(data_root, preset):
    config = {
        "data": {"root": str(data_root / "data"), "n_val": 1, "lazy": True},
        "train": {"out_dir": str(data_root / preset), "iterations": 12, "batch_size": 4,
                  "crop": 64, "lr": 3e-3, "warmup": 2, "log_every": 4, "image_every": 100,
                  "checkpoint_every": 100, "threads": 1, "resume": False},
        "loss": {"preset": preset},
    }
    path = data_root / f"{preset}.yaml"
    path.write_text(yaml.safe_dump(config))
    trainer = Trainer(load_train_config(path))
    assert isinstance(trainer.loss, SeedLoss) and trainer.loss.preset == preset
    trainer.dataset.set_epoch(0)
    fixed = default_collate([trainer.dataset[i] for i in range(5)])

    def loss_now() -> float:
        ids = fixed["prompt_id"]
        with torch.no_grad():
            fused = trainer.net(fixed["ir_in"], fixed["vis_in"], trainer.text[0][ids],
                                trainer.text[1][ids], trainer.text[2][ids])
            return trainer.loss(fused, fixed["ir"], fixed["vis_y"], fixed["vis_crcb"],
                                fixed["class_index"], fixed["as_given"])[0].item()

    before = loss_now()
    trainer.run()
    after = loss_now()
    assert after < 0.97 * before, (preset, before, after)
