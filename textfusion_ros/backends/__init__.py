"""Inference backends: one interface, several runtimes (PyTorch now; ONNX Runtime, TensorRT)."""

from textfusion_ros.backends.base import BACKENDS, FusionBackend, create_backend

__all__ = ["BACKENDS", "FusionBackend", "create_backend"]
