"""Each fusion loss term, and the per-class weighting."""

import torch

from training.losses import FusionLoss, LossWeights, colour_drift

NAMES = LossWeights.names()


def term(loss, name, *args):
    return loss.terms(*args)[:, NAMES.index(name)]


def make(seed=0):
    g = torch.Generator().manual_seed(seed)
    ir = torch.rand(2, 1, 32, 32, generator=g)
    vis = torch.rand(2, 1, 32, 32, generator=g)
    crcb = torch.full((2, 2, 32, 32), 0.5)
    return ir, vis, crcb


def test_intensity_target_mixes_max_and_mean():
    ir, vis, crcb = make()
    pure_max = FusionLoss([LossWeights()], intensity_max_mix=1.0)
    assert term(pure_max, "intensity", torch.maximum(ir, vis), ir, vis, crcb).abs().max() < 1e-7
    assert (term(pure_max, "intensity", (ir + vis) / 2, ir, vis, crcb) > 0.05).all()
    half = FusionLoss([LossWeights()], intensity_max_mix=0.5)
    target = 0.5 * torch.maximum(ir, vis) + 0.25 * (ir + vis)
    assert term(half, "intensity", target, ir, vis, crcb).abs().max() < 1e-6


def test_gradient_term_prefers_boosted_detail():
    ir, vis, crcb = make()
    plain = FusionLoss([LossWeights()], gradient_boost=1.0)
    assert term(plain, "gradient", ir, ir, ir, crcb).abs().max() < 1e-6
    flat = torch.full_like(ir, 0.5)
    assert (term(plain, "gradient", flat, ir, vis, crcb) > term(plain, "gradient", ir, ir, vis,
                                                               crcb)).all()


def test_detail_term_zero_for_boosted_selection():
    ir, vis, crcb = make()
    loss = FusionLoss([LossWeights()], detail_boost=1.0)
    same = term(loss, "detail", ir, ir, ir, crcb)
    assert same.abs().max() < 1e-6
    assert (term(loss, "detail", torch.full_like(ir, 0.5), ir, vis, crcb) > 0.05).all()


def test_ssim_terms_zero_for_identical_images():
    loss, (ir, vis, crcb) = FusionLoss([LossWeights()]), make()
    assert term(loss, "ssim", vis, ir, vis, crcb).abs().max() < 1e-5
    assert term(loss, "ir_ssim", ir, ir, vis, crcb).abs().max() < 1e-5


def test_colour_drift_only_when_out_of_gamut():
    y = torch.full((1, 1, 4, 4), 0.5)
    neutral = torch.full((1, 2, 4, 4), 0.5)
    assert colour_drift(y, neutral).max() < 1e-6
    saturated = torch.stack([torch.full((4, 4), 0.9), torch.full((4, 4), 0.2)])[None]
    assert colour_drift(torch.full((1, 1, 4, 4), 0.95), saturated).mean() > 0.01


def test_class_weights_select_terms():
    ir, vis, crcb = make()
    off = {name: 0.0 for name in NAMES}
    loss = FusionLoss([LossWeights(**{**off, "ir_anchor": 1.0}),
                       LossWeights(**{**off, "vis_anchor": 1.0})])
    fused = ir.clone()
    to_ir, _ = loss(fused, ir, vis, crcb, torch.tensor([0, 0]))
    to_vis, _ = loss(fused, ir, vis, crcb, torch.tensor([1, 1]))
    assert to_ir.item() < 1e-7 and to_vis.item() > 0.1


def test_per_sample_intensity_mix_by_class_and_as_given():
    ir, vis, crcb = make()
    loss = FusionLoss([LossWeights(), LossWeights()], intensity_max_mix=1.0,
                      as_given_max_mix=0.0, class_max_mix=[None, 0.0])
    mix = loss.sample_max_mix(torch.tensor([0, 0, 1]), torch.tensor([True, False, False]))
    assert mix.tolist() == [0.0, 1.0, 0.0]
    assert loss.sample_max_mix(torch.tensor([0, 1])).tolist() == [1.0, 0.0]
    mean_target, max_target = (ir + vis) / 2, torch.maximum(ir, vis)
    fused = torch.cat([mean_target[:1], max_target[1:]])
    intensity = NAMES.index("intensity")
    assert loss.terms(fused, ir, vis, crcb, torch.tensor([0.0, 1.0]))[:, intensity].abs().max() \
        < 1e-6
    default = loss.terms(fused, ir, vis, crcb)[:, intensity]
    assert default[0] > 0.05 and default[1].abs() < 1e-6


def test_fast_ssim_matches_pytorch_msssim():
    from pytorch_msssim import ssim as reference

    from training.fast_ssim import ssim
    g = torch.Generator().manual_seed(3)
    a = torch.rand(3, 1, 40, 56, generator=g)
    b = (a + 0.2 * torch.rand(3, 1, 40, 56, generator=g)).clamp(0, 1)
    expected = reference(a, b, data_range=1.0, size_average=False)
    assert torch.allclose(ssim(a, b), expected, atol=1e-6)
    assert torch.allclose(ssim(a, a), torch.ones(3), atol=1e-6)
