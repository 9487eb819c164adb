"""Inference backends behind one interface: PyTorch, ONNX Runtime, TensorRT (`auto` picks).

The factory is `textfusion_ros.backends.base.create_backend`; this package imports nothing
heavy itself, so that light modules (graph names, caches) load without torch.
"""
