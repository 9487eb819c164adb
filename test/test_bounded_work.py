"""Bounded work per frame: large pairs are fused at a reduced size, and memory is handed back."""

import dataclasses
import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.bounding import bounded_size
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame
from textfusion_ros.memory import available_memory_bytes, release_free_memory
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.ros.worker import LatestWorker


@pytest.mark.parametrize("size, max_pixels, expected", [
    ((2160, 3840), 1280 * 1024, (858, 1526)),
    ((1080, 1920), 1280 * 1024, (858, 1526)),
    ((1024, 1280), 1280 * 1024, None),
    ((512, 640), 0, None),
])
def test_bounded_size_keeps_aspect_within_the_bound(size, max_pixels, expected):
    reduced = bounded_size(*size, max_pixels)
    assert reduced == expected
    if reduced is not None:
        assert reduced[0] * reduced[1] <= max_pixels
        assert reduced[1] / reduced[0] == pytest.approx(size[1] / size[0], rel=0.01)


def test_config_rejects_bad_bounds():
    with pytest.raises(ValueError, match="max_pixels"):
        FusionConfig(max_pixels=-1)
    with pytest.raises(ValueError, match="max_unknown_token_ratio"):
        FusionConfig(max_unknown_token_ratio=1.5)


@pytest.fixture(scope="module")
def pipeline(random_model_path):
    return FusionPipeline(FusionConfig(model=str(random_model_path)))


def test_large_pair_is_fused_reduced_and_upsampled_to_the_visible_size(pipeline):
    ir, vis = generate_frame(SceneConfig(height=256, width=320, ir_bits=16), 0)
    full = pipeline.fuse(ir, vis)
    seen = []
    fuse_luma = pipeline.fuse_luma
    bounded = dataclasses.replace(pipeline.config, max_pixels=128 * 160)
    pipeline.config, pipeline.fuse_luma = bounded, lambda i, v, *text: seen.append(i.shape) or \
        fuse_luma(i, v, *text)
    try:
        reduced = pipeline.fuse(ir, vis)
    finally:
        pipeline.config = dataclasses.replace(bounded, max_pixels=1280 * 1024)
        del pipeline.fuse_luma
    assert seen == [(128, 160)]
    assert reduced.shape == full.shape == (256, 320, 3) and reduced.dtype == np.uint8
    grey = [img.astype(np.float64).mean(axis=2).ravel() for img in (full, reduced)]
    assert np.corrcoef(*grey)[0, 1] > 0.9  # the same picture, at a coarser fusion scale
    # The colour comes from the full-size visible image, not from the reduced fusion.
    chroma = [img.astype(np.float64)[..., 2] - img[..., 0] for img in (full, reduced)]
    assert np.abs(chroma[0] - chroma[1]).mean() < 10.0


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_a_large_frame_does_not_leave_the_onnx_runtime_arena_at_its_size(random_model_path):
    pipeline = FusionPipeline(FusionConfig(model=str(random_model_path), backend="onnxruntime",
                                           device="cpu", threads=1))
    text = pipeline.active_embedding
    small, large = (np.full(shape, 0.5, np.float32) for shape in ((128, 128), (1024, 1536)))
    for _ in range(5):
        pipeline.backend.fuse(small, small, text)
    release_free_memory()
    steady = _rss_mib()
    for _ in range(2):  # two in a row: the second is no larger than the one before
        pipeline.backend.fuse(large, large, text)  # about 70 MiB of arena while it runs
        release_free_memory()
        assert _rss_mib() - steady < 35
    for _ in range(3):
        pipeline.backend.fuse(small, small, text)


_FREED_BUFFERS_SCRIPT = """
import json, sys
import numpy as np
from textfusion_ros.memory import keep_freed_buffers, release_free_memory

def rss_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

kept_setting = keep_freed_buffers() if sys.argv[1] == "keep" else None
base = rss_mib()
blocks = [np.ones(10 * 2**20 // 8) for _ in range(4)]  # a frame's 40 MiB, every page touched
del blocks
kept = rss_mib() - base
release_free_memory()
print(json.dumps({"setting": kept_setting, "kept": kept, "after_release": rss_mib() - base}))
"""


def _freed_buffers(mode: str) -> dict:
    run = subprocess.run([sys.executable, "-c", _FREED_BUFFERS_SCRIPT, mode],
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(run.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc, /proc/self/statm")
def test_freed_frame_buffers_are_kept_for_the_next_frame_until_released():
    default, keep = _freed_buffers("default"), _freed_buffers("keep")
    assert keep["setting"] is True
    assert default["kept"] < 10  # glibc's default: large blocks go back to the system at once
    assert keep["kept"] > 30  # kept for reuse: the next frame faults no pages in
    assert keep["after_release"] < 10  # and still handed back on demand


def test_memory_helpers():
    assert release_free_memory() in (True, False)
    available = available_memory_bytes()
    assert available is None or available > 0


def test_worker_stop_does_not_wait_beyond_its_timeout():
    release = threading.Event()
    started = threading.Event()

    def handler(item):
        started.set()
        release.wait(10)

    worker = LatestWorker(handler, on_error=pytest.fail)
    worker.start()
    worker.put(1)
    assert started.wait(5)
    assert worker.stop(timeout=0.05) is False  # still in its item: the caller goes on
    release.set()
    assert worker.stop(timeout=5) is True
