"""Inference backends: one interface, several runtimes (PyTorch now; ONNX Runtime, TensorRT)."""

from textfusion_ros.backends.base import FusionBackend, create_backend

__all__ = ["FusionBackend", "create_backend"]
