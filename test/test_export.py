"""The network exports to ONNX (dynamic size and prompt length) and ONNX Runtime agrees."""

import io

import numpy as np
import pytest
import torch

from textfusion_ros.model.checkpoint import load_model_file
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings

ort = pytest.importorskip("onnxruntime")
NAMES = ("ir", "vis", "pooled", "tokens", "mask")


def inputs(h: int, w: int, tokens: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(h + tokens)
    text = TextEmbedding(torch.randn(384, generator=g), torch.randn(tokens, 384, generator=g))
    return (torch.rand(1, 1, h, w, generator=g), torch.rand(1, 1, h, w, generator=g),
            *collate_embeddings([text]))


def test_onnx_export_matches_pytorch(random_model_path):
    net = load_model_file(random_model_path).build_network()
    buffer = io.BytesIO()
    dynamic = {"ir": {2: "h", 3: "w"}, "vis": {2: "h", 3: "w"}, "tokens": {1: "t"},
               "mask": {1: "t"}, "fused": {2: "h", 3: "w"}}
    torch.onnx.export(net, inputs(64, 96, 7), buffer, dynamo=False, opset_version=17,
                      input_names=list(NAMES), output_names=["fused"], dynamic_axes=dynamic)
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    for shape in ((64, 96, 7), (160, 224, 12)):
        args = inputs(*shape)
        onnx_out = session.run(None, {n: a.numpy() for n, a in zip(NAMES, args, strict=True)})[0]
        with torch.no_grad():
            torch_out = net(*args).numpy()
        assert onnx_out.shape == torch_out.shape == (1, 1, shape[0], shape[1])
        np.testing.assert_allclose(onnx_out, torch_out, atol=1e-5)
