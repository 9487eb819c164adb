"""Inference backends behind one interface: PyTorch, ONNX Runtime, TensorRT (`auto` picks)."""

from textfusion_ros.backends.base import BackendChoice, FusionBackend, create_backend

__all__ = ["BackendChoice", "FusionBackend", "create_backend"]
