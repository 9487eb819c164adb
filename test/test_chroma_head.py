"""The optional chroma head: absent by default (network and state dict as before), exportable
to ONNX with PyTorch parity, and trainable by Text-IF's colour term."""

import numpy as np
import pytest
import torch

from textfusion_ros.backends.onnx_export import export_onnx
from textfusion_ros.backends.onnx_names import INPUT_NAMES
from textfusion_ros.backends.onnx_runtime import create_session
from textfusion_ros.model.checkpoint import FusionModelFile
from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings
from training.loss_presets import SeedLoss, check_chroma_loss, split_output
from training.losses import FusionLoss, LossWeights

# Small widths keep export and training fast; the head does not depend on them.
SMALL = {"widths": (8, 8, 8, 8), "decoder_widths": (8, 8, 8), "heads": 2, "film_hidden": 16}


@pytest.fixture(autouse=True)
def one_thread():
    """One thread: on a busy 2-core machine a second thread makes tiny steps 30× slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def inputs(seed=0, batch=2, h=64, w=128, dim=384):
    g = torch.Generator().manual_seed(seed)
    ir, vis = torch.rand(batch, 1, h, w, generator=g), torch.rand(batch, 1, h, w, generator=g)
    text = collate_embeddings([TextEmbedding(torch.randn(dim, generator=g),
                                             torch.randn(5, dim, generator=g))] * batch)
    return ir, vis, *text


def test_flag_off_keeps_the_network_and_its_state_dict():
    assert not ModelConfig().chroma_head
    plain = TextFusionNet(ModelConfig())
    assert not any("chroma" in k for k in plain.state_dict())
    assert plain(*inputs()).shape == (2, 1, 64, 128)
    with_head = TextFusionNet(ModelConfig(chroma_head=True))
    extra = set(with_head.state_dict()) - set(plain.state_dict())
    assert extra == {"chroma.conv.weight", "chroma.conv.bias"}


def test_untrained_head_adds_nothing_and_keeps_the_luminance():
    torch.manual_seed(0)
    plain = TextFusionNet(ModelConfig())
    with_head = TextFusionNet(ModelConfig(chroma_head=True))
    with_head.load_state_dict(plain.state_dict(), strict=False)
    args = inputs()
    out = with_head(*args)
    assert out.shape == (2, 3, 64, 128)
    assert torch.equal(out[:, :1], plain(*args)) and not out[:, 1:].abs().any()


def random_chroma_model():
    torch.manual_seed(1)
    config = ModelConfig(chroma_head=True, **SMALL)
    net = TextFusionNet(config)
    with torch.no_grad():
        for p in net.parameters():
            if p.abs().sum() == 0:
                p.normal_(0, 0.05)
    return FusionModelFile(config, net.state_dict(), {}, {}, "fuse")


def test_onnx_export_with_the_chroma_head_matches_pytorch(tmp_path):
    model = random_chroma_model()
    # The TorchScript exporter: seconds here, against minutes for dynamo (the default, checked
    # with the full-size network by hand; see README).
    path = export_onnx(model, tmp_path / "chroma.onnx", exporter="torchscript")
    session = create_session(path, "cpu")
    net = model.build_network()
    for h, w in ((64, 64), (128, 192)):
        args = inputs(seed=h, batch=1, h=h, w=w)
        (onnx_out,) = session.run(None, dict(zip(INPUT_NAMES, [a.numpy() for a in args],
                                                 strict=True)))
        with torch.inference_mode():
            torch_out = net(*args).numpy()
        assert onnx_out.shape == (1, 3, h, w)
        assert np.abs(torch_out[:, 1:]).max() > 1e-3  # the offsets are really compared
        assert np.abs(onnx_out - torch_out).max() < 1e-4


def test_textif_colour_term_trains_the_chroma_head():
    torch.manual_seed(0)
    net = TextFusionNet(ModelConfig(chroma_head=True, **SMALL))
    loss = SeedLoss("textif")
    ir, vis, pooled, tokens, mask = inputs(batch=2, h=64, w=64)
    target_crcb = torch.stack([torch.full((64, 64), 0.58), torch.full((64, 64), 0.44)])
    target_crcb = target_crcb.expand(2, 2, 64, 64)
    batch = {"vis_in_crcb": target_crcb - torch.tensor([0.06, -0.05]).view(1, 2, 1, 1)}
    colour = loss.term_names.index("colour")
    optimizer = torch.optim.Adam(net.chroma.parameters(), lr=0.05)

    def colour_term():
        fused, fused_crcb = split_output(net(ir, vis, pooled, tokens, mask), batch)
        return loss.terms(fused, ir, vis, target_crcb, fused_crcb)[:, colour].mean()

    before = colour_term().item()
    for _ in range(15):
        optimizer.zero_grad()
        colour_term().backward()
        optimizer.step()
    after = colour_term().item()
    assert after < 0.5 * before, (before, after)


def test_chroma_head_needs_a_chroma_loss_and_input_chroma():
    check_chroma_loss(SeedLoss("textif"), True)
    check_chroma_loss(FusionLoss([LossWeights()]), False)
    with pytest.raises(ValueError, match="textif"):
        check_chroma_loss(FusionLoss([LossWeights()]), True)
    with pytest.raises(ValueError, match="textif"):
        check_chroma_loss(SeedLoss("film"), True)
    with pytest.raises(RuntimeError, match="vis_in_crcb"):
        split_output(torch.zeros(1, 3, 8, 8), {})
    fused, crcb = split_output(torch.zeros(1, 1, 8, 8), {})
    assert crcb is None and fused.shape == (1, 1, 8, 8)
