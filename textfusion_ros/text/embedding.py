"""The embedding of one prompt, and batching of several."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TextEmbedding:
    """Pooled sentence vector (D) and token vectors (T×D, real tokens only) of one prompt."""

    pooled: torch.Tensor
    tokens: torch.Tensor

    def __post_init__(self) -> None:
        if self.pooled.ndim != 1 or self.tokens.ndim != 2:
            raise ValueError("pooled must be D and tokens T×D")
        if self.tokens.shape[1] != self.pooled.shape[0] or self.tokens.shape[0] == 0:
            raise ValueError("token and pooled widths differ, or no tokens")


def collate_embeddings(embeddings: list[TextEmbedding]
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stack embeddings → (pooled B×D, tokens B×T×D zero-padded, mask B×T with 1 = real)."""
    length = max(e.tokens.shape[0] for e in embeddings)
    dim = embeddings[0].pooled.shape[0]
    tokens = torch.zeros(len(embeddings), length, dim)
    mask = torch.zeros(len(embeddings), length)
    for i, e in enumerate(embeddings):
        tokens[i, :e.tokens.shape[0]] = e.tokens
        mask[i, :e.tokens.shape[0]] = 1.0
    return torch.stack([e.pooled for e in embeddings]), tokens, mask
