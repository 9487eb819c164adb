"""ONNX Runtime sessions (minimal: CPU provider and thread count)."""

from __future__ import annotations

from pathlib import Path

import onnxruntime


def create_session(onnx_path: str | Path, device: str = "cpu", threads: int = 0,
                   optimized_cache_dir: str | Path | None = None) -> onnxruntime.InferenceSession:
    """An inference session on the CPU; `threads` 0 = the runtime's default."""
    if device != "cpu":
        raise ValueError(f"device {device!r}: only cpu is supported by this ONNX Runtime setup")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(onnx_path), options,
                                        providers=["CPUExecutionProvider"])
