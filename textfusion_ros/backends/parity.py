"""Parity of an exported graph with PyTorch: max abs difference at several frame sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from textfusion_ros.backends.frames import PaddedFrame
from textfusion_ros.backends.onnx_names import INPUT_NAMES
from textfusion_ros.imaging.color import split_luma, to_unit_float
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame
from textfusion_ros.model.checkpoint import FusionModelFile
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings

PARITY_SIZES = ((67, 93), (131, 250), (256, 320))  # odd sizes: padded outside the graph


def onnx_parity(model: FusionModelFile, onnx_path: str | Path,
                sizes: tuple[tuple[int, int], ...] = PARITY_SIZES, seed: int = 0
                ) -> list[dict]:
    """Max |ONNX Runtime (CPU) − PyTorch| per size, on synthetic street scenes and the model's
    default prompt (random frames and prompts saturate a trained model's output, and a
    saturated output agrees trivially)."""
    from textfusion_ros.backends.onnx_runtime import create_session

    session = create_session(onnx_path, "cpu")
    net = model.build_network()
    multiple = model.model_config.size_multiple
    g = torch.Generator().manual_seed(seed)
    dim = model.model_config.text_dim
    prompt = model.prompt_bank.get(model.default_prompt) or TextEmbedding(
        torch.randn(dim, generator=g), torch.randn(9, dim, generator=g))
    text = collate_embeddings([prompt])
    rows = []
    for height, width in sizes:
        ir, vis = generate_frame(SceneConfig(height=max(height, 32), width=max(width, 32),
                                             seed=seed), 0)
        frame = PaddedFrame.of(to_unit_float(ir)[:height, :width],
                               split_luma(to_unit_float(vis))[0][:height, :width], multiple)
        inputs = [frame.ir, frame.vis, *(t.numpy() for t in text)]
        (onnx_out,) = session.run(None, dict(zip(INPUT_NAMES, inputs, strict=True)))
        with torch.inference_mode():
            torch_out = net(*(torch.from_numpy(a) for a in inputs)).numpy()
        diff = float(np.abs(frame.crop(onnx_out) - frame.crop(torch_out)).max())
        rows.append({"height": height, "width": width, "max_abs_diff": diff})
    return rows
