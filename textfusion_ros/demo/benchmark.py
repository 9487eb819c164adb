"""Measuring the fusion network: multiply-accumulates, per-frame latency and peak memory of one
backend, a table of every backend that runs here, measured in one run, and the detector."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from textfusion_ros.config import DetectorConfig, FusionConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings

WARMUP_FRAMES = 3


def count_gmac(net: TextFusionNet, text: TextEmbedding, height: int, width: int) -> float:
    """Multiply-accumulates (×1e9) of one forward pass at height×width (padded as at run time)."""
    m = net.config.size_multiple
    h, w = -(-height // m) * m, -(-width // m) * m
    image = torch.zeros(1, 1, h, w)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        net(image, image, *collate_embeddings([text]))
    return counter.get_total_flops() / 2e9


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def benchmark_backend(config: FusionConfig, height: int, width: int, frames: int,
                      flops: bool) -> dict:
    """Median / p90 ms per frame, frames/s and peak RSS of the configured backend."""
    from textfusion_ros.pipeline import FusionPipeline

    pipeline = FusionPipeline(config)
    rng = np.random.default_rng(0)
    ir = rng.random((height, width), dtype=np.float32)
    vis = rng.random((height, width), dtype=np.float32)
    pipeline.backend.prepare(height, width, pipeline.active_embedding)
    for _ in range(WARMUP_FRAMES):
        pipeline.fuse_luma(ir, vis)
    times, cpu_times = [], []
    for _ in range(frames):
        start, cpu_start = time.perf_counter(), time.process_time()
        pipeline.fuse_luma(ir, vis)
        times.append((time.perf_counter() - start) * 1e3)
        cpu_times.append((time.process_time() - cpu_start) * 1e3)
    median = float(np.median(times))
    choice = pipeline.choice
    result = {"backend": choice.backend, "device": choice.device,
              "precision": choice.precision, "size": f"{width}x{height}", "frames": frames,
              "median_ms": round(median, 2), "p90_ms": round(float(np.percentile(times, 90)), 2),
              "fps": round(1e3 / median, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
              # CPU time of all threads per frame: less sensitive to other load than wall time
              "cpu_ms": round(float(np.median(cpu_times)), 2),
              "threads": torch.get_num_threads()}
    if flops:
        result.update(model_compute(pipeline, height, width))
    return result


def model_compute(pipeline, height: int, width: int) -> dict:
    """GMAC per frame and parameter count of the pipeline's model."""
    net = pipeline.model.build_network()
    return {"gmac": round(count_gmac(net, pipeline.active_embedding, height, width), 3),
            "params": sum(p.numel() for p in net.parameters())}


def runnable_backends(precision: str, include_cpu: bool = True
                      ) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(backend, device, precision) of every backend that can run here, and why others not."""
    from textfusion_ros.backends.selection import AUTO_ORDER, probe_runtimes

    runtimes = probe_runtimes()
    runnable, skipped = [], []
    for backend, device in AUTO_ORDER:
        if device == "cpu" and not include_cpu:
            continue
        why = runtimes.available(backend, device)
        if why is None:
            runnable.append((backend, device, precision if device == "cuda" else "fp32"))
        else:
            skipped.append(f"{backend} ({device}): {why}")
    return runnable[::-1], skipped  # torch CPU first: the reference of the speed ratios


def benchmark_all(config: FusionConfig, height: int, width: int, frames: int,
                  include_cpu: bool = True) -> dict:
    """Every runnable backend, each in its own process (so peak RSS is its own), one run."""
    runnable, skipped = runnable_backends(config.precision, include_cpu)
    rows = []
    for backend, device, precision in runnable:
        command = [sys.executable, "-m", "textfusion_ros.cli", "bench", "--json",
                   "--backend", backend, "--device", device, "--precision", precision,
                   "--height", str(height), "--width", str(width), "--frames", str(frames),
                   "--threads", str(config.threads), "--model", config.model,
                   "--onnx-model", config.onnx_model,
                   "--engine-cache-dir", config.engine_cache_dir]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            error = (done.stderr.strip().splitlines() or ["no output"])[-1]
            skipped.append(f"{backend} ({device}): failed: {error}")
            continue
        rows.append(json.loads(done.stdout))
    reference = next((r["median_ms"] for r in rows
                      if r["backend"] == "torch" and r["device"] == "cpu"), None)
    for row in rows:
        row["speedup_vs_torch_cpu"] = (round(reference / row["median_ms"], 2)
                                       if reference else None)
    from textfusion_ros.pipeline import FusionPipeline
    compute = model_compute(FusionPipeline(FusionConfig(model=config.model, backend="torch",
                                                        device="cpu")), height, width)
    return {**compute, "size": f"{width}x{height}", "backends": rows, "skipped": skipped}


def format_table(report: dict) -> str:
    """The one-table text form of `benchmark_all`."""
    lines = [f"{report['size']}: {report['gmac']} GMAC per frame, {report['params']} parameters",
             f"{'backend':<12} {'device':<7} {'prec':<5} {'median ms':>9} {'p90 ms':>8} "
             f"{'frames/s':>8} {'peak RSS MiB':>12} {'vs torch CPU':>12} {'CPU ms':>8}"]
    for row in report["backends"]:
        ratio = row["speedup_vs_torch_cpu"]
        lines.append(f"{row['backend']:<12} {row['device']:<7} {row['precision']:<5} "
                     f"{row['median_ms']:>9.2f} {row['p90_ms']:>8.2f} {row['fps']:>8.1f} "
                     f"{row['peak_rss_mb']:>12.1f} {(f'{ratio:.2f}x' if ratio else '-'):>12} "
                     f"{row['cpu_ms']:>8.1f}")
    if "detector" in report:
        lines.append(f"detector {report['detector']}: median {report['detector_median_ms']} ms, "
                     f"p90 {report['detector_p90_ms']} ms per frame")
    lines += [f"skipped {reason}" for reason in report["skipped"]]
    return "\n".join(lines)


def benchmark_detector(config: DetectorConfig, height: int, width: int, frames: int) -> dict:
    """Median / p90 milliseconds per frame of the detector on a synthetic height×width scene
    (visible image: preprocessing, inference and decoding; 3 warm-up runs)."""
    from textfusion_ros.detection.detector import create_detector
    from textfusion_ros.imaging.scenes import SceneConfig, generate_frame

    detector = create_detector(config)
    _, image = generate_frame(SceneConfig(height=height, width=width), 0)
    for _ in range(3):
        detector.detect(image)
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        detector.detect(image)
        times.append((time.perf_counter() - start) * 1e3)
    return {"detector": detector.name, "detector_median_ms": round(float(np.median(times)), 2),
            "detector_p90_ms": round(float(np.percentile(times, 90)), 2)}
