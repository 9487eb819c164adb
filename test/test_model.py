"""Network shapes, padding, band composition and compute budget."""

import numpy as np
import pytest
import torch

from textfusion_ros.config import FusionConfig
from textfusion_ros.demo.benchmark import count_gmac
from textfusion_ros.model.composer import PyramidComposer, coefficients, upsample2
from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.model.padding import pad_to_multiple
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings


@pytest.fixture(scope="module")
def pipeline(random_model_path):
    return FusionPipeline(FusionConfig(model=str(random_model_path)))


def test_pyramid_reconstructs_input():
    composer = PyramidComposer(ModelConfig())
    x = torch.rand(2, 2, 64, 96)
    pyr = composer.pyramid(x)
    assert [b.shape[-1] for b in pyr.bands] == [96, 48, 24] and pyr.base.shape[-1] == 12
    assert torch.allclose(pyr.reconstruct(), x, atol=1e-6)
    assert pyr.bands[0].abs().mean() > 0.05 and pyr.base.std() < x.std()


def test_selection_follows_local_activity():
    composer = PyramidComposer(ModelConfig())
    draw = torch.Generator().manual_seed(0)  # fixed: a rare draw has a weak block win
    strong = torch.randn(1, 1, 64, 64, generator=draw)
    weak = 0.1 * torch.randn(1, 1, 64, 64, generator=draw)
    pyr = composer.pyramid(torch.cat([strong, weak], dim=1))
    for band, selected in zip(pyr.bands, composer.selected_details(pyr), strict=True):
        assert torch.allclose(selected, band[:, :1])
    left = torch.cat([strong[..., :32], weak[..., 32:]], dim=-1)
    right = torch.cat([weak[..., :32], strong[..., 32:]], dim=-1)
    pyr = composer.pyramid(torch.cat([left, right], dim=1))
    fine = composer.selected_details(pyr)[0]
    assert torch.allclose(fine[..., :24], pyr.bands[0][:, :1, :, :24])
    assert torch.allclose(fine[..., 40:], pyr.bands[0][:, 1:, :, 40:])


def test_pixel_blocks_select_the_larger_detail_pixel_by_pixel():
    draw = torch.Generator().manual_seed(1)
    x = torch.rand(1, 2, 64, 64, generator=draw)
    block_wise, pixel_wise = (PyramidComposer(ModelConfig(activity_blocks=b))
                              for b in ((), (1, 1, 1)))
    pyr = pixel_wise.pyramid(x)
    larger = torch.where(pyr.bands[0][:, :1].abs() >= pyr.bands[0][:, 1:].abs(),
                         pyr.bands[0][:, :1], pyr.bands[0][:, 1:])
    fine = pixel_wise.selected_details(pyr)[0]
    clear = (pyr.bands[0][:, :1].abs() - pyr.bands[0][:, 1:].abs()).abs() > 1e-3
    assert torch.equal(fine[clear], larger[clear])
    blocks = block_wise.selected_details(block_wise.pyramid(x))[0]
    assert fine.abs().mean() > 1.2 * blocks.abs().mean()  # the max of each pixel, not of blocks
    assert pixel_wise.summary(pyr).shape == block_wise.summary(block_wise.pyramid(x)).shape


@pytest.mark.parametrize("blocks", [(3, 4, 2), (4, 4), (16, 4, 2), (1, 1, 4)])
def test_activity_blocks_must_be_powers_of_two_within_the_band(blocks):
    with pytest.raises(ValueError, match="activity"):
        PyramidComposer(ModelConfig(activity_blocks=blocks))


def test_untrained_network_is_average_base_plus_selected_details():
    net = TextFusionNet().eval()
    ir, vis = torch.rand(1, 1, 64, 64) * 0.5, torch.rand(1, 1, 64, 64) * 0.5
    text = collate_embeddings([TextEmbedding(torch.randn(384), torch.randn(5, 384))])
    with torch.no_grad():
        out = net(ir, vis, *text)
    pyr = net.composer.pyramid(torch.cat([ir, vis], dim=1))
    expected = 0.5 * pyr.base[:, :1] + 0.5 * pyr.base[:, 1:]
    for selected in reversed(net.composer.selected_details(pyr)):
        expected = upsample2(expected) + selected
    assert torch.allclose(out, expected.clamp(0, 1), atol=1e-5)


def base_terms_only(config: ModelConfig, gains: dict[str, float]) -> torch.Tensor:
    """Coefficient offsets that keep only the named base terms at the given gains, no bands."""
    names = coefficients(config)
    raw = -torch.tensor([neutral for _, neutral in names]).view(1, -1, 1, 1).repeat(1, 1, 8, 8)
    for channel, (name, _) in enumerate(names):
        raw[:, channel] += gains.get(name, 0.0)
    return raw


def test_normalised_bases_ignore_the_exposure_and_contrast_of_their_sources():
    config = ModelConfig(normalised_bases=True)
    composer = PyramidComposer(config)
    y, x = torch.meshgrid(torch.linspace(0, 3, 64), torch.linspace(0, 3, 64), indexing="ij")
    ir = (0.5 + 0.4 * torch.sin(x) * torch.cos(y)).view(1, 1, 64, 64)  # scenes with coarse
    vis = (0.5 + 0.4 * torch.cos(2 * x + y)).view(1, 1, 64, 64)  # structure, as in the base
    full = composer.pyramid(torch.cat([ir, vis], dim=1))
    dim = composer.pyramid(torch.cat([0.5 + 0.3 * (ir - 0.5), 0.4 * vis], dim=1))

    def change(gains: dict[str, float]) -> float:
        raw = base_terms_only(config, gains)
        return float((composer.compose(raw, dim) - composer.compose(raw, full)).abs().mean())

    normalised = change({"bias": 0.3, "vis_exposed": 0.2, "ir_normalised": 0.1})
    plain = change({"bias": 0.3, "ir_base": 0.2, "vis_base": 0.2})
    assert plain > 0.05 and normalised < 0.4 * plain, (normalised, plain)


@pytest.mark.parametrize("shape", [(37, 53), (1, 1), (64, 64), (130, 257)])
def test_pipeline_output_size_matches_input(pipeline, shape):
    rng = np.random.default_rng(0)
    ir = rng.integers(0, 256, shape, dtype=np.uint8)
    vis = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    fused = pipeline.fuse(ir, vis)
    assert fused.shape == (*shape, 3) and fused.dtype == np.uint8
    grey = pipeline.fuse(ir, vis[..., 0])
    assert grey.shape == shape


def test_mono16_infrared_goes_through_gain_control(pipeline):
    rng = np.random.default_rng(1)
    ir16 = (20000 + rng.integers(0, 3000, (48, 64))).astype(np.uint16)
    vis = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    fused16 = pipeline.fuse(ir16, vis)
    ir8 = pipeline.fuse(np.zeros((48, 64), np.uint8), vis)
    assert fused16.shape == (48, 64, 3) and not np.array_equal(fused16, ir8)


def test_padding_is_mirrored_and_minimal():
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    padded = pad_to_multiple(image, 8)
    assert padded.shape == (8, 8)
    np.testing.assert_array_equal(padded[:3, :4], image)
    assert pad_to_multiple(np.zeros((16, 8)), 8).shape == (16, 8)
    with pytest.raises(ValueError, match="empty"):
        pad_to_multiple(np.zeros((0, 5)), 8)


def test_compute_budget_at_640x512():
    net = TextFusionNet(ModelConfig()).eval()
    text = TextEmbedding(torch.randn(384), torch.randn(12, 384))
    gmac = count_gmac(net, text, 512, 640)
    assert 0.1 < gmac <= 2.0


def test_prompt_changes_output(pipeline):
    rng = np.random.default_rng(2)
    ir = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    vis = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    first = pipeline.fuse(ir, vis)
    pipeline.set_prompt("highlight warm pedestrians")
    second = pipeline.fuse(ir, vis)
    pipeline.set_prompt(pipeline.model.default_prompt)
    assert not np.array_equal(first, second)
