"""Paragraphs longer than a text encoder's window, embedded in overlapping chunks.

FILM-style descriptions (~190 words, 200+ tokens) exceed MiniLM's 128 and CLIP's 77 tokens.
For training and validation texts (never for run-time prompts, whose limit stays) the token ids
are cut into windows of the encoder's length that overlap by `overlap` tokens; each window is
embedded as a text of its own, the windows' token embeddings are concatenated in order (the
cross-attention sees every token, the overlapping ones twice, each in its own context), and the
pooled vector is the mean of the windows' pooled vectors, re-normalised to unit length.
Per-source texts (one paragraph for the infrared, one for the visible, as FILM gives them)
are combined the same way: tokens concatenated, pooled vectors averaged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from textfusion_ros.text.embedding import TextEmbedding
from textfusion_ros.text.encoders import ChunkableEncoder

DEFAULT_OVERLAP = 16


def windows(ids: list[int], size: int, overlap: int) -> list[list[int]]:
    """Cut `ids` into windows of at most `size` ids, consecutive windows sharing `overlap`."""
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"need size ≥ 1 and 0 ≤ overlap < size, got {size}, {overlap}")
    if len(ids) <= size:
        return [list(ids)]
    step = size - overlap
    starts = list(range(0, len(ids) - overlap, step))
    return [list(ids[s:s + size]) for s in starts]


def combine(parts: list[TextEmbedding]) -> TextEmbedding:
    """One embedding from several: tokens concatenated, pooled vectors averaged (unit length
    when the parts' pooled vectors are)."""
    if len(parts) == 1:
        return parts[0]
    pooled = torch.stack([p.pooled for p in parts]).mean(0)
    if all(abs(float(p.pooled.norm()) - 1.0) < 1e-3 for p in parts):
        pooled = F.normalize(pooled, dim=0)
    return TextEmbedding(pooled, torch.cat([p.tokens for p in parts]))


def encode_paragraphs(encoder: ChunkableEncoder, texts: list[str],
                      overlap: int = DEFAULT_OVERLAP) -> list[TextEmbedding]:
    """Embed texts of any length: one window when they fit, overlapping chunks otherwise."""
    chunked = [windows(encoder.token_ids(t), encoder.window, min(overlap, encoder.window - 1))
               for t in texts]
    flat = [c for chunks in chunked for c in chunks]
    embedded = encoder.encode_ids(flat) if flat else []
    out, start = [], 0
    for chunks in chunked:
        out.append(combine(embedded[start:start + len(chunks)]))
        start += len(chunks)
    return out
