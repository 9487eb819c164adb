"""Network shapes, padding, band composition and compute budget."""

import numpy as np
import pytest
import torch

from textfusion_ros.config import FusionConfig
from textfusion_ros.demo.benchmark import count_gmac
from textfusion_ros.model.composer import BandComposer
from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.model.padding import pad_to_multiple
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings


@pytest.fixture(scope="module")
def pipeline(random_model_path):
    return FusionPipeline(FusionConfig(model=str(random_model_path)))


def test_band_split_sums_to_input():
    composer = BandComposer(ModelConfig())
    x = torch.rand(2, 1, 64, 96)
    coarse, wide, mid, fine = composer.bands(x)
    assert torch.allclose(coarse + wide + mid + fine, x, atol=1e-6)
    assert fine.abs().mean() > 0.05 and coarse.std() < x.std()


def test_selection_follows_local_activity():
    composer = BandComposer(ModelConfig())
    strong = torch.randn(1, 1, 32, 32)
    weak = 0.1 * torch.randn(1, 1, 32, 32)
    assert torch.equal(composer.select(strong, weak), strong)
    left = torch.cat([strong[..., :16], weak[..., 16:]], dim=-1)
    right = torch.cat([weak[..., :16], strong[..., 16:]], dim=-1)
    chosen = composer.select(left, right)
    assert torch.equal(chosen[..., :12], left[..., :12])
    assert torch.equal(chosen[..., 20:], right[..., 20:])


def test_untrained_network_is_average_base_plus_selected_details():
    net = TextFusionNet().eval()
    ir, vis = torch.rand(1, 1, 64, 64) * 0.5, torch.rand(1, 1, 64, 64) * 0.5
    text = collate_embeddings([TextEmbedding(torch.randn(384), torch.randn(5, 384))])
    with torch.no_grad():
        out = net(ir, vis, *text)
    ir_bands, vis_bands = net.composer.bands(ir), net.composer.bands(vis)
    expected = 0.5 * ir_bands[0] + 0.5 * vis_bands[0] + sum(
        net.composer.selected_details(ir_bands, vis_bands))
    assert torch.allclose(out, expected.clamp(0, 1), atol=1e-5)


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
    assert 0.1 < gmac <= 10.0


def test_prompt_changes_output(pipeline):
    rng = np.random.default_rng(2)
    ir = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    vis = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    first = pipeline.fuse(ir, vis)
    pipeline.set_prompt("highlight warm pedestrians")
    second = pipeline.fuse(ir, vis)
    pipeline.set_prompt(pipeline.model.default_prompt)
    assert not np.array_equal(first, second)
