"""PyTorch backend: CPU as eager fp32; CUDA with fp16 autocast, channels_last and CUDA graphs."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import torch

from textfusion_ros.backends.frames import PaddedFrame
from textfusion_ros.model.checkpoint import FusionModelFile
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings

MAX_GRAPHS = 8  # captured (size, prompt length) combinations kept per backend


class _CapturedGraph:
    """A CUDA graph of one forward pass with static input buffers (one size, one prompt
    length). Replays read whatever was copied into the buffers."""

    def __init__(self, run, inputs: list[torch.Tensor]) -> None:
        self.inputs = inputs
        self.text: TextEmbedding | None = None
        side = torch.cuda.Stream(inputs[0].device)
        side.wait_stream(torch.cuda.current_stream(inputs[0].device))
        with torch.cuda.stream(side):
            for _ in range(3):  # warm-up outside the graph (cuDNN autotuning, allocations)
                run(*inputs)
        torch.cuda.current_stream(inputs[0].device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.output = run(*inputs)

    def replay(self, ir: torch.Tensor, vis: torch.Tensor, text: TextEmbedding,
               text_tensors: tuple[torch.Tensor, ...]) -> torch.Tensor:
        self.inputs[0].copy_(ir, non_blocking=True)
        self.inputs[1].copy_(vis, non_blocking=True)
        if self.text is not text:  # the prompt changed since the last replay of this graph
            for static, value in zip(self.inputs[2:], text_tensors, strict=True):
                static.copy_(value)
            self.text = text
        self.graph.replay()
        return self.output


class TorchBackend:
    """Runs the network with PyTorch in inference mode.

    On CUDA: fp16 autocast when precision is fp16, channels_last weights, and (with
    `cuda_graphs`) one captured CUDA graph per input size and prompt length, replayed.
    """

    name = "torch"

    def __init__(self, model: FusionModelFile, device: str = "cpu", threads: int = 0,
                 precision: str = "fp32", cuda_graphs: bool = True) -> None:
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"device {device!r} requested but CUDA is not available "
                               f"(torch {torch.__version__})")
        if precision not in ("fp32", "fp16"):
            raise ValueError(f"precision must be fp32 or fp16, got {precision!r}")
        if precision == "fp16" and not device.startswith("cuda"):
            raise ValueError("torch fp16 needs a CUDA device; use fp32 on the CPU")
        if threads > 0:
            torch.set_num_threads(threads)
        self.device = torch.device(device)
        self.precision = precision
        self.cuda = self.device.type == "cuda"
        self.cuda_graphs = cuda_graphs and self.cuda
        self.net = model.build_network().to(self.device)
        if self.cuda:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.multiple = model.model_config.size_multiple
        self._text: tuple[TextEmbedding, tuple[torch.Tensor, ...]] | None = None
        self._graphs: dict[tuple[int, int, int], _CapturedGraph] = {}

    def _text_tensors(self, text: TextEmbedding) -> tuple[torch.Tensor, ...]:
        if self._text is None or self._text[0] is not text:
            tensors = tuple(t.to(self.device) for t in collate_embeddings([text]))
            self._text = (text, tensors)
        return self._text[1]

    def _forward(self, ir: torch.Tensor, vis: torch.Tensor, *text: torch.Tensor) -> torch.Tensor:
        autocast = (torch.autocast("cuda", dtype=torch.float16) if self.precision == "fp16"
                    else nullcontext())
        with autocast:
            return self.net(ir, vis, *text).float()

    def _graph(self, height: int, width: int, text: tuple[torch.Tensor, ...]) -> _CapturedGraph:
        key = (height, width, text[1].shape[1])
        if key not in self._graphs:
            if len(self._graphs) >= MAX_GRAPHS:
                self._graphs.pop(next(iter(self._graphs)))
            image = torch.zeros((1, 1, height, width), device=self.device).contiguous(
                memory_format=torch.channels_last)
            statics = [image, image.clone(), *(t.clone() for t in text)]
            self._graphs[key] = _CapturedGraph(self._forward, statics)
        return self._graphs[key]

    @torch.inference_mode()
    def prepare(self, height: int, width: int, text: TextEmbedding) -> None:
        """Capture the CUDA graph for a height×width frame now (no-op on the CPU)."""
        if self.cuda_graphs:
            h, w = (-(-n // self.multiple) * self.multiple for n in (height, width))
            self._graph(h, w, self._text_tensors(text))

    @torch.inference_mode()
    def fuse(self, ir: np.ndarray, vis_y: np.ndarray, text: TextEmbedding) -> np.ndarray:
        frame = PaddedFrame.of(ir, vis_y, self.multiple)
        ir_t, vis_t = (torch.from_numpy(a).to(self.device, non_blocking=True)
                       for a in (frame.ir, frame.vis))
        text_tensors = self._text_tensors(text)
        if self.cuda_graphs:
            graph = self._graph(*frame.ir.shape[2:], text_tensors)
            fused = graph.replay(ir_t, vis_t, text, text_tensors)
        else:
            if self.cuda:
                ir_t, vis_t = (t.contiguous(memory_format=torch.channels_last)
                               for t in (ir_t, vis_t))
            fused = self._forward(ir_t, vis_t, *text_tensors)
        return frame.crop(fused.cpu().numpy())
