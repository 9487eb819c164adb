"""Building blocks: convolutions, FiLM modulation and token cross-attention."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class ConvBlock(nn.Module):
    """Two 3×3 convolutions with LeakyReLU; the first may downsample by 2."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.conv1(x), 0.1)
        return F.leaky_relu(self.conv2(x), 0.1)


def film(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """Feature-wise modulation (1 + γ)·x + β with per-sample, per-channel γ and β."""
    return x * (1.0 + gamma[:, :, None, None]) + beta[:, :, None, None]


class CrossAttention(nn.Module):
    """Multi-head attention of query tokens over key/value tokens, with an optional key mask.

    Written with plain matmuls and an additive mask so it exports cleanly to ONNX.
    """

    def __init__(self, dim: int, heads: int, kv_dim: int | None = None) -> None:
        super().__init__()
        kv_dim = kv_dim or dim
        self.heads = heads
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(kv_dim)
        self.to_q = nn.Linear(dim, dim)
        self.to_kv = nn.Linear(kv_dim, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, query: torch.Tensor, context: torch.Tensor,
                key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """query B×N×C, context B×T×Ck, key_mask B×T (1 = keep) → B×N×C update."""
        b, n, c = query.shape
        d = c // self.heads
        q = self.to_q(self.norm_q(query)).reshape(b, n, self.heads, d).transpose(1, 2)
        k, v = self.to_kv(self.norm_kv(context)).chunk(2, dim=-1)
        k = k.reshape(b, -1, self.heads, d).transpose(1, 2)
        v = v.reshape(b, -1, self.heads, d).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
        if key_mask is not None:
            scores = scores + (1.0 - key_mask[:, None, None, :].to(scores.dtype)) * -1e4
        attended = torch.matmul(scores.softmax(dim=-1), v)
        return self.out(attended.transpose(1, 2).reshape(b, n, c))


class FeedForward(nn.Module):
    """Pre-norm token MLP."""

    def __init__(self, dim: int, expansion: int = 2) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * expansion)
        self.fc2 = nn.Linear(dim * expansion, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(self.norm(x))))
