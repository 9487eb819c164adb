"""Opening a detector ONNX file through the engine layer, with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import onnxruntime

from textfusion_ros.backends.onnx_runtime import create_session


def open_session(path: str | Path, threads: int = 0,
                 spin_wait: bool = True) -> onnxruntime.InferenceSession:
    """An ONNX Runtime session of `path`; a missing or corrupt file raises naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"detector model not found: {path}")
    try:
        return create_session(path, device="cpu", threads=threads, spin_wait=spin_wait)
    except Exception as error:  # onnxruntime raises its own types for corrupt files
        raise ValueError(f"detector model {path} cannot be loaded: {error}") from error


def metadata(session: onnxruntime.InferenceSession) -> dict[str, str]:
    """The ONNX metadata_props (custom key/values) of a session's model."""
    return dict(session.get_modelmeta().custom_metadata_map)
