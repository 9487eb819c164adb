"""GPU checks (marker `gpu`; skipped without CUDA; run by `make gpu-check` on an NVIDIA machine):
torch CUDA fp16 against fp32, CUDA graphs, the onnxruntime CUDA provider, TensorRT."""

import importlib.util
import logging

import numpy as np
import pytest
import torch

from textfusion_ros.config import FusionConfig
from textfusion_ros.pipeline import FusionPipeline

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

FP16_TOLERANCE = 2 / 255
SIZE = (512, 640)


def frames(h: int = SIZE[0], w: int = SIZE[1], seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random((h, w), dtype=np.float32), rng.random((h, w), dtype=np.float32)


def pipeline(model_path, tmp_path=None, **fields) -> FusionPipeline:
    cache = str(tmp_path) if tmp_path is not None else ""
    return FusionPipeline(FusionConfig(model=str(model_path), engine_cache_dir=cache, **fields))


@pytest.fixture(scope="module")
def reference(shipped_model_path):
    """torch CPU fp32 output on the test frames."""
    return pipeline(shipped_model_path, backend="torch", device="cpu").fuse_luma(*frames())


def test_torch_cuda_fp16_with_cuda_graphs_is_within_2_of_255_of_fp32(shipped_model_path,
                                                                     reference):
    fast = pipeline(shipped_model_path, backend="torch", device="cuda", precision="fp16")
    assert any(key[:2] == SIZE for key in fast.backend._graphs)  # captured in configure
    out = fast.fuse_luma(*frames())
    assert np.abs(out - reference).max() <= FP16_TOLERANCE


def test_cuda_graph_replay_equals_eager_and_follows_prompt_and_size(shipped_model_path):
    graphs = pipeline(shipped_model_path, backend="torch", device="cuda", cuda_graphs=True)
    eager = pipeline(shipped_model_path, backend="torch", device="cuda", cuda_graphs=False)
    for prompt in ("highlight warm pedestrians", "visible camera is in low light"):
        for p in (graphs, eager):
            p.set_prompt(prompt)
        for size in (SIZE, (240, 320)):
            np.testing.assert_allclose(graphs.fuse_luma(*frames(*size)),
                                       eager.fuse_luma(*frames(*size)), atol=1e-5)
    assert len(graphs.backend._graphs) >= 2


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="no onnxruntime")
def test_onnxruntime_cuda_provider(shipped_model_path, reference, tmp_path):
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime build has no CUDA provider")
    gpu = pipeline(shipped_model_path, tmp_path, backend="onnxruntime", device="cuda")
    assert "CUDAExecutionProvider" in gpu.backend.providers
    assert np.abs(gpu.fuse_luma(*frames()) - reference).max() <= 1e-3


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is None, reason="no TensorRT")
def test_tensorrt_builds_caches_reloads_and_rebuilds(shipped_model_path, reference, tmp_path,
                                                     caplog):
    fields = {"backend": "tensorrt", "device": "cuda", "precision": "fp16"}
    with caplog.at_level(logging.INFO):
        first = pipeline(shipped_model_path, tmp_path, **fields)
    engine = first.backend.engine_path
    assert engine.is_file() and "building a TensorRT engine" in caplog.text
    assert np.abs(first.fuse_luma(*frames()) - reference).max() <= FP16_TOLERANCE
    stamp = engine.stat().st_mtime_ns
    pipeline(shipped_model_path, tmp_path, **fields)
    assert engine.stat().st_mtime_ns == stamp  # reloaded, not rebuilt
    engine.write_bytes(b"corrupt")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = pipeline(shipped_model_path, tmp_path, **fields)
    assert "rebuilding" in caplog.text and engine.stat().st_size > 100
    big = again.fuse_luma(*frames(1536, 2048))  # over the profile maximum: resized
    assert big.shape == (1536, 2048)
    stamp = engine.stat().st_mtime_ns
    pipeline(shipped_model_path, tmp_path, force_engine_update=True, **fields)
    assert engine.stat().st_mtime_ns != stamp


def test_auto_picks_a_gpu_backend(shipped_model_path, tmp_path):
    choice = pipeline(shipped_model_path, tmp_path).choice
    assert choice.device.startswith("cuda"), choice.summary()
