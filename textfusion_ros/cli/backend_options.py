"""The backend options shared by fuse, bench and bag-eval (--backend, --device, --precision)."""

from __future__ import annotations

import argparse

from textfusion_ros.config import BACKENDS, PRECISIONS, FusionConfig


def add_backend_arguments(parser: argparse.ArgumentParser, allow_all: bool = False) -> None:
    choices = (*BACKENDS, "all") if allow_all else BACKENDS
    parser.add_argument("--backend", default="auto", choices=choices,
                        help="inference backend (auto: the fastest that runs here)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    parser.add_argument("--precision", default="fp32", choices=PRECISIONS,
                        help="fp16 on GPU backends only")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0 = default)")
    parser.add_argument("--model", default="", help="model .safetensors (default: shipped)")
    parser.add_argument("--onnx-model", default="",
                        help="exported fusion.onnx to run (default: automatic export, cached)")
    parser.add_argument("--engine-cache-dir", default="",
                        help="cache of exported graphs and engines "
                        "(default ~/.cache/textfusion_ros)")


def fusion_config(args: argparse.Namespace, **extra: object) -> FusionConfig:
    """FusionConfig from the shared options plus command-specific fields."""
    return FusionConfig(model=args.model, backend=args.backend, device=args.device,
                        precision=args.precision, threads=args.threads,
                        onnx_model=args.onnx_model, engine_cache_dir=args.engine_cache_dir,
                        **extra)
