"""Backends: ONNX Runtime against PyTorch, the auto choice and its reasons, sessions and their
cache, and the TensorRT parts that run without a GPU (cache keys, profiles, bindings)."""

import logging

import numpy as np
import onnxruntime
import pytest

from textfusion_ros.backends.base import create_backend
from textfusion_ros.backends.engine_cache import EngineCache, EngineKey
from textfusion_ros.backends.onnx_names import INPUT_NAMES
from textfusion_ros.backends.onnx_runtime import (
    OnnxRuntimeBackend,
    create_session,
    optimized_model_path,
    select_providers,
)
from textfusion_ros.backends.profile import ShapeProfile
from textfusion_ros.backends.selection import Candidate, Runtimes, plan_candidates
from textfusion_ros.backends.tensorrt_backend import check_bindings, import_tensorrt
from textfusion_ros.config import FusionConfig
from textfusion_ros.model.checkpoint import load_model_file
from textfusion_ros.pipeline import FusionPipeline

CPU_ONLY = Runtimes(False, "no GPU here", ("CPUExecutionProvider",), None)
EVERYTHING = Runtimes(True, "GPU", ("TensorrtExecutionProvider", "CUDAExecutionProvider",
                                    "CPUExecutionProvider"), "10.9.0")


def frames(h: int, w: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((h, w), dtype=np.float32), rng.random((h, w), dtype=np.float32)


@pytest.fixture(scope="module")
def pipelines(random_model_path):
    return {name: FusionPipeline(FusionConfig(model=str(random_model_path), backend=name,
                                              device="cpu"))
            for name in ("auto", "onnxruntime", "torch")}


@pytest.mark.parametrize("size", [(67, 93), (128, 160)])
def test_onnxruntime_matches_torch(pipelines, size):
    ir, vis = frames(*size)
    ort_out = pipelines["onnxruntime"].fuse_luma(ir, vis)
    torch_out = pipelines["torch"].fuse_luma(ir, vis)
    assert ort_out.shape == size and ort_out.dtype == np.float32
    assert np.abs(ort_out - torch_out).max() <= 1e-4


def test_auto_runs_onnxruntime_on_this_cpu_and_says_why(pipelines):
    choice = pipelines["auto"].choice
    assert (choice.backend, choice.device, choice.precision) == ("onnxruntime", "cpu", "fp32")
    assert pipelines["auto"].backend.name == "onnxruntime"
    assert any(reason.startswith("tensorrt") for reason in choice.skipped)
    assert "onnxruntime on cpu" in choice.summary()


def test_pipeline_times_inference_apart_from_pre_and_post_processing(pipelines):
    pipeline = pipelines["auto"]
    before = pipeline.inference_ms.count
    rng = np.random.default_rng(1)
    pipeline.fuse((rng.random((40, 56)) * 255).astype(np.uint8),
                  (rng.random((40, 56, 3)) * 255).astype(np.uint8))
    assert pipeline.inference_ms.count == before + 1 and pipeline.prepost_ms.count >= 1
    assert pipeline.inference_ms.p50 > 0 and pipeline.prepost_ms.p50 > 0


def test_text_inputs_are_rebuilt_only_when_the_prompt_changes(pipelines):
    backend = pipelines["onnxruntime"].backend
    prompts = pipelines["onnxruntime"].prompts
    first, second = (prompts.get(t)[1] for t in ("highlight warm pedestrians",
                                                  "preserve visible texture and colour"))
    ir, vis = frames(32, 32)
    backend.fuse(ir, vis, first)
    arrays = backend._text[1]
    backend.fuse(ir, vis, first)
    assert backend._text[1] is arrays
    backend.fuse(ir, vis, second)
    assert backend._text[1] is not arrays


def test_auto_falls_back_when_a_candidate_fails_to_build(random_model_path, tmp_path, caplog):
    broken = tmp_path / "fusion.onnx"
    broken.write_bytes(b"not an onnx graph")
    config = FusionConfig(model=str(random_model_path), device="cpu", onnx_model=str(broken))
    model = load_model_file(random_model_path)
    with caplog.at_level(logging.WARNING):
        backend, choice = create_backend(config, model, random_model_path)
    assert backend.name == "torch" and choice.backend == "torch"
    assert any("onnxruntime (cpu): failed" in reason and "sidecar" in reason
               for reason in choice.skipped)
    assert "onnxruntime (cpu): failed" in caplog.text


def test_an_explicit_backend_that_cannot_run_names_what_to_install(random_model_path):
    config = FusionConfig(model=str(random_model_path), backend="tensorrt")
    with pytest.raises(RuntimeError, match="tensorrt cannot run"):
        FusionPipeline(config)
    with pytest.raises(ValueError, match="fp16 needs a GPU"):
        FusionPipeline(FusionConfig(model=str(random_model_path), backend="torch",
                                    device="cpu", precision="fp16"))


def test_missing_tensorrt_names_the_package():
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="pip install tensorrt"):
            import_tensorrt()
    else:
        assert import_tensorrt().__version__


# The auto order: pure function of what the machine offers ---------------------------------

def first(backend, device="auto", precision="fp32", runtimes=EVERYTHING) -> Candidate:
    return plan_candidates(backend, device, precision, runtimes)[0][0]


def test_auto_order_follows_what_is_installed():
    no_trt = Runtimes(True, "GPU", EVERYTHING.ort_providers, None)
    no_ort_gpu = Runtimes(True, "GPU", ("CPUExecutionProvider",), None)
    no_ort = Runtimes(False, "no GPU", None, None)
    assert first("auto") == Candidate("tensorrt", "cuda", "fp32")
    assert first("auto", runtimes=no_trt) == Candidate("onnxruntime", "cuda", "fp32")
    assert first("auto", runtimes=no_ort_gpu) == Candidate("torch", "cuda", "fp32")
    assert first("auto", runtimes=CPU_ONLY) == Candidate("onnxruntime", "cpu", "fp32")
    assert first("auto", runtimes=no_ort) == Candidate("torch", "cpu", "fp32")
    candidates, skipped = plan_candidates("auto", "auto", "fp32", no_ort_gpu)
    assert [c.backend for c in candidates] == ["torch", "onnxruntime", "torch"]
    assert any("onnxruntime-gpu" in reason for reason in skipped)
    assert any("TensorRT is not installed" in reason for reason in skipped)


def test_auto_keeps_to_the_requested_device_and_precision():
    candidates, skipped = plan_candidates("auto", "cpu", "fp16", EVERYTHING)
    assert candidates == [Candidate("onnxruntime", "cpu", "fp32"), Candidate("torch", "cpu",
                                                                             "fp32")]
    assert any("fp16 is GPU-only" in reason for reason in skipped)
    assert any("device is cpu" in reason for reason in skipped)
    assert first("auto", "cuda:1", "fp16") == Candidate("tensorrt", "cuda:1", "fp16")
    with pytest.raises(RuntimeError, match="no backend can run"):
        plan_candidates("auto", "cuda", "fp32", CPU_ONLY)


def test_an_explicit_backend_is_the_only_candidate():
    assert plan_candidates("torch", "auto", "fp32", CPU_ONLY) == (
        [Candidate("torch", "cpu", "fp32")], [])
    assert first("onnxruntime", runtimes=EVERYTHING) == Candidate("onnxruntime", "cuda", "fp32")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        plan_candidates("torch", "cuda", "fp32", CPU_ONLY)


def test_config_rejects_unknown_backends_and_bad_profiles():
    with pytest.raises(ValueError, match="backend must be one of"):
        FusionConfig(backend="openvino")
    with pytest.raises(ValueError, match="precision"):
        FusionConfig(precision="int8")
    with pytest.raises(ValueError, match="min <= opt <= max"):
        FusionConfig(profile_min_hw=[600, 100], profile_opt_hw=[512, 640])
    with pytest.raises(ValueError, match="two"):
        FusionConfig(profile_max_hw=[1024])


# ONNX Runtime sessions --------------------------------------------------------------------

def test_providers_come_from_what_the_build_has():
    assert select_providers("cpu", ["CPUExecutionProvider"]) == [("CPUExecutionProvider", {})]
    names = [n for n, _ in select_providers("cuda:1", list(EVERYTHING.ort_providers))]
    assert names == ["TensorrtExecutionProvider", "CUDAExecutionProvider",
                     "CPUExecutionProvider"]
    assert select_providers("cuda:1", ["CUDAExecutionProvider"])[0][1] == {"device_id": 1}
    (_, trt), (_, cuda), _ = select_providers("cuda", list(EVERYTHING.ort_providers), "/c")
    assert trt["trt_engine_cache_enable"] and trt["trt_engine_cache_path"].endswith("ort-tensorrt")
    assert cuda == {"device_id": 0}
    with pytest.raises(RuntimeError, match="onnxruntime-gpu"):
        select_providers("cuda", ["CPUExecutionProvider"])


def test_session_caches_the_optimised_graph_survives_a_corrupt_cache_and_can_stop_spinning(
        random_model_path, tmp_path, caplog):
    from textfusion_ros.backends.cache import cache_root
    from textfusion_ros.backends.onnx_export import cached_export

    onnx_path = cached_export(load_model_file(random_model_path), random_model_path,
                              cache_root())
    multiple = load_model_file(random_model_path).model_config.size_multiple
    ir, vis = frames(multiple, 2 * multiple)
    feeds = {"ir": ir[None, None], "vis": vis[None, None],
             "text_pooled": np.ones((1, 384), np.float32),
             "text_tokens": np.ones((1, 3, 384), np.float32),
             "text_mask": np.ones((1, 3), np.float32)}
    reference = create_session(onnx_path).run(None, feeds)[0]
    cache = tmp_path / "cache"
    create_session(onnx_path, "cpu", 1, cache)
    cached = optimized_model_path(onnx_path, cache, [("CPUExecutionProvider", {})],
                                  onnxruntime.__version__)
    assert cached.is_file()
    np.testing.assert_allclose(create_session(onnx_path, "cpu", 1, cache).run(None, feeds)[0],
                               reference, atol=1e-5)
    cached.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        session = create_session(onnx_path, "cpu", 1, cache)
    assert "unreadable" in caplog.text and str(cached) in caplog.text
    np.testing.assert_allclose(session.run(None, feeds)[0], reference, atol=1e-5)
    quiet = create_session(onnx_path, "cpu", 2, spin_wait=False)
    options = quiet.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    np.testing.assert_allclose(quiet.run(None, feeds)[0], reference, atol=1e-5)
    spinning = create_session(onnx_path, "cpu", 2).get_session_options()
    with pytest.raises(RuntimeError, match="allow_spinning"):  # not set: the runtime's default
        spinning.get_session_config_entry("session.intra_op.allow_spinning")


def test_a_corrupt_graph_names_itself(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\x01")
    with pytest.raises(RuntimeError, match="bad.onnx"):
        create_session(bad)
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        create_session(tmp_path / "missing.onnx")
    with pytest.raises(ValueError, match="fp16 needs a GPU"):
        OnnxRuntimeBackend(bad, 32, "cpu", precision="fp16")


# TensorRT parts that run without a GPU ----------------------------------------------------

def profile() -> ShapeProfile:
    return ShapeProfile.from_config([100, 100], [500, 640], [1000, 1280], 32, 384, 128)


def test_profile_rounds_to_the_multiple_and_gives_every_input_shape():
    p = profile()
    assert (p.min_hw, p.opt_hw, p.max_hw) == ((128, 128), (512, 640), (1024, 1280))
    shapes = p.input_shapes()
    assert list(shapes) == list(INPUT_NAMES)
    assert shapes["ir"] == ((1, 1, 128, 128), (1, 1, 512, 640), (1, 1, 1024, 1280))
    assert shapes["text_tokens"] == ((1, 1, 384), (1, 16, 384), (1, 128, 384))
    assert shapes["text_mask"][2] == (1, 128) and shapes["text_pooled"][0] == (1, 384)
    assert p.padded_size(67, 93) == (128, 128) and p.padded_size(500, 700) == (512, 704)


def test_frames_over_the_profile_maximum_are_resized_to_fit():
    p = profile()
    assert p.fitted_size(1024, 1280) is None
    assert p.fitted_size(2048, 2048) == (1024, 1024)
    h, w = p.fitted_size(1080, 1920)
    assert w == 1280 and h <= 1024 and abs(h / w - 1080 / 1920) < 0.01


def key(**changes) -> EngineKey:
    fields = {"onnx_sha256": "ab" * 32, "gpu_name": "NVIDIA H200", "compute_capability": "9.0",
              "tensorrt_version": "10.9.0", "precision": "fp16", "profile": profile().as_dict()}
    return EngineKey(**{**fields, **changes})


def test_engine_key_changes_with_everything_an_engine_depends_on():
    base = key().digest()
    changes = [{"onnx_sha256": "cd" * 32}, {"gpu_name": "Orin"}, {"compute_capability": "8.7"},
               {"tensorrt_version": "10.3.0"}, {"precision": "fp32"},
               {"profile": {**profile().as_dict(), "max_hw": (2048, 2048)}}]
    digests = {key(**change).digest() for change in changes}
    assert base not in digests and len(digests) == len(changes)


def test_engine_cache_reloads_a_match_and_rejects_a_mismatch(tmp_path):
    cache = EngineCache(tmp_path)
    assert cache.load(key()).engine is None and "no cached engine" in cache.load(key()).reason
    cache.store(key(), b"engine bytes")
    assert cache.load(key()).engine == b"engine bytes"
    # An entry whose stored key differs (copied in, or another build) is not loaded.
    cache.key_path(key()).write_text(cache.key_path(key(gpu_name="Orin")).name)
    assert cache.load(key()).engine is None and "unreadable" in cache.load(key()).reason
    other = key(tensorrt_version="10.3.0")
    cache.store(other, b"old engine")
    cache.key_path(key()).write_text(cache.key_path(other).read_text())
    lookup = cache.load(key())
    assert lookup.engine is None and "tensorrt_version" in lookup.reason


def test_timing_cache_is_shared_per_gpu_and_tensorrt_version(tmp_path):
    cache = EngineCache(tmp_path)
    assert cache.load_timing_cache(key()) == b""
    cache.store_timing_cache(key(), b"timings")
    assert cache.load_timing_cache(key(precision="fp32", onnx_sha256="00")) == b"timings"
    assert cache.load_timing_cache(key(gpu_name="Orin")) == b""


def test_engine_bindings_must_be_the_fusion_graph_io():
    io = [(name, True) for name in INPUT_NAMES] + [("fused", False)]
    check_bindings(io)
    check_bindings(io[::-1])
    with pytest.raises(RuntimeError, match="expected inputs"):
        check_bindings(io[1:])
    with pytest.raises(RuntimeError, match="expected inputs"):
        check_bindings([*io[:-1], ("output", False)])
