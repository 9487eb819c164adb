"""ONNX export: dynamic batch / size / prompt length, parity with PyTorch, sidecar, cache, CLI."""

import json

import numpy as np
import onnx
import pytest
import torch

from textfusion_ros.backends.cache import cache_root
from textfusion_ros.backends.onnx_export import (
    INPUT_NAMES,
    OnnxExportError,
    cached_export,
    export_onnx,
    model_hash,
    read_sidecar,
    resolve_onnx,
)
from textfusion_ros.backends.onnx_runtime import create_session
from textfusion_ros.backends.parity import onnx_parity
from textfusion_ros.cli import main
from textfusion_ros.model.checkpoint import load_model_file
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings

TOLERANCE = 1e-4


@pytest.fixture(scope="module", params=["random", "shipped"])
def model_path(request):
    return request.getfixturevalue(f"{request.param}_model_path")


def test_dynamo_export_matches_pytorch_at_three_sizes(model_path):
    model = load_model_file(model_path)
    onnx_path = cached_export(model, model_path, cache_root())
    rows = onnx_parity(model, onnx_path)
    assert [(r["height"], r["width"]) for r in rows] == [(67, 93), (131, 250), (256, 320)]
    assert all(r["max_abs_diff"] <= TOLERANCE for r in rows), rows


@pytest.mark.parametrize("which", ["random", "shipped"])
def test_export_command_torchscript_checks_parity(request, tmp_path, capsys, which):
    model_path = request.getfixturevalue(f"{which}_model_path")
    code = main(["export", "--model", str(model_path), "--out", str(tmp_path),
                 "--exporter", "torchscript"])
    out = capsys.readouterr().out
    assert code == 0, out  # exit 1 when any of the three sizes differs by more than 1e-4
    assert out.count("parity") == 3
    sidecar = read_sidecar(tmp_path / "fusion.onnx")
    assert sidecar["exporter"] == "torchscript"
    assert sidecar["model_sha256"] == model_hash(model_path)


def test_graph_has_dynamic_batch_size_and_prompt_length(random_model_path):
    model = load_model_file(random_model_path)
    onnx_path = cached_export(model, random_model_path, cache_root())
    graph = onnx.load(str(onnx_path))
    assert [i.name for i in graph.graph.input] == list(INPUT_NAMES)
    session = create_session(onnx_path)
    net = model.build_network()
    g = torch.Generator().manual_seed(3)
    m = model.model_config.size_multiple  # the raw graph takes multiples of it (backends pad)
    for batch, h, w, tokens in ((2, m, 2 * m, (4, 11)), (1, 2 * m, 3 * m, (20,))):
        texts = [TextEmbedding(torch.randn(384, generator=g), torch.randn(t, 384, generator=g))
                 for t in tokens]
        args = (torch.rand(batch, 1, h, w, generator=g), torch.rand(batch, 1, h, w, generator=g),
                *collate_embeddings(texts))
        (out,) = session.run(None, {n: a.numpy() for n, a in zip(INPUT_NAMES, args, strict=True)})
        with torch.inference_mode():
            expected = net(*args).numpy()
        assert out.shape == (batch, 1, h, w)
        np.testing.assert_allclose(out, expected, atol=TOLERANCE)


def test_sidecar_names_hash_inputs_multiple_and_normalisation(random_model_path):
    model = load_model_file(random_model_path)
    meta = read_sidecar(cached_export(model, random_model_path, cache_root()))
    assert meta["model_sha256"] == model_hash(random_model_path)
    assert meta["inputs"] == list(INPUT_NAMES) and meta["output"] == "fused"
    assert meta["size_multiple"] == model.model_config.size_multiple
    assert "[0, 1]" in meta["normalisation"] and meta["exporter"] == "dynamo"


def test_cache_is_keyed_by_the_model_content(random_model_path, tmp_path):
    model = load_model_file(random_model_path)
    first = cached_export(model, random_model_path, cache_root())
    stamp = first.stat().st_mtime_ns
    assert cached_export(model, random_model_path, cache_root()) == first
    assert first.stat().st_mtime_ns == stamp  # reused, not exported again
    copy = tmp_path / "copy.safetensors"
    copy.write_bytes(random_model_path.read_bytes())
    meta = json.loads(random_model_path.with_suffix(".json").read_text())
    meta["info"] = {"changed": True}
    copy.with_suffix(".json").write_text(json.dumps(meta))
    assert model_hash(copy) != model_hash(random_model_path)


def test_an_onnx_model_from_another_model_file_is_refused(random_model_path,
                                                          shipped_model_path):
    model = load_model_file(random_model_path)
    onnx_path = cached_export(model, random_model_path, cache_root())
    assert resolve_onnx(model, random_model_path, str(onnx_path), cache_root()) == onnx_path
    with pytest.raises(OnnxExportError, match="another model file"):
        resolve_onnx(model, shipped_model_path, str(onnx_path), cache_root())


def test_fp16_export_keeps_float32_io(random_model_path):
    model = load_model_file(random_model_path)
    path = cached_export(model, random_model_path, cache_root(), fp16=True)
    graph = onnx.load(str(path))
    io_types = {v.type.tensor_type.elem_type for v in [*graph.graph.input, *graph.graph.output]}
    assert io_types == {onnx.TensorProto.FLOAT}
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.graph.initializer)
    assert read_sidecar(path)["precision"] == "fp16"


def test_unknown_exporter_is_an_error(random_model_path, tmp_path):
    with pytest.raises(ValueError, match="exporter"):
        export_onnx(load_model_file(random_model_path), tmp_path / "x.onnx", exporter="jit")
