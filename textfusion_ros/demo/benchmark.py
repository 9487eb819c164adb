"""Measuring the fusion network (multiply-accumulates, per-frame latency) and the detector."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from textfusion_ros.config import DetectorConfig, FusionConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings


def count_gmac(net: TextFusionNet, text: TextEmbedding, height: int, width: int) -> float:
    """Multiply-accumulates (×1e9) of one forward pass at height×width (padded as at run time)."""
    m = net.config.size_multiple
    h, w = -(-height // m) * m, -(-width // m) * m
    image = torch.zeros(1, 1, h, w)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        net(image, image, *collate_embeddings([text]))
    return counter.get_total_flops() / 2e9


def benchmark_backend(config: FusionConfig, height: int, width: int, frames: int,
                      flops: bool) -> dict:
    """Median / p90 milliseconds per frame of the configured backend on random frames."""
    from textfusion_ros.pipeline import FusionPipeline

    pipeline = FusionPipeline(config)
    rng = np.random.default_rng(0)
    ir = rng.random((height, width), dtype=np.float32)
    vis = rng.random((height, width), dtype=np.float32)
    for _ in range(3):
        pipeline.fuse_luma(ir, vis)
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        pipeline.fuse_luma(ir, vis)
        times.append((time.perf_counter() - start) * 1e3)
    result = {"backend": pipeline.backend.name, "device": config.device,
              "size": f"{width}x{height}", "frames": frames,
              "median_ms": round(float(np.median(times)), 2),
              "p90_ms": round(float(np.percentile(times, 90)), 2),
              "threads": torch.get_num_threads()}
    if flops:
        net = pipeline.model.build_network()
        result["gmac"] = round(count_gmac(net, pipeline.active_embedding, height, width), 3)
        result["params"] = sum(p.numel() for p in net.parameters())
    return result


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
