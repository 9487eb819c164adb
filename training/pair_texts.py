"""Embeddings of the training pairs' own texts: paragraphs (chunked when longer than the
encoder's window), per-source paragraphs (infrared and visible token sets concatenated, as
FILM concatenates T₁ and T₂), or FILM's released text features loaded from `.npy` files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from textfusion_ros.text.chunking import combine, encode_paragraphs
from textfusion_ros.text.embedding import TextEmbedding
from textfusion_ros.text.encoders import ChunkableEncoder
from training.datasets import PairRecord


def load_features(path: str | Path, dim: int) -> TextEmbedding:
    """A `.npy` of token features (T×D, or 1×T×D as FILM stores them) → TextEmbedding whose
    pooled vector is the unit-length mean of the tokens. The width must be `dim`."""
    path = Path(path)
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable text features: {exc}") from exc
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2 or array.shape[0] == 0 or not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{path}: text features must be a float T×D array, got "
                         f"{array.dtype} {array.shape}")
    if array.shape[1] != dim:
        raise ValueError(f"{path}: text features are {array.shape[1]}-d but the text encoder "
                         f"gives {dim}-d (the prompt bank and the pairs' texts share the "
                         "network's text width); use an encoder of that width")
    if not np.isfinite(array).all():
        raise ValueError(f"{path}: text features contain NaN or infinity")
    tokens = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    return TextEmbedding(F.normalize(tokens.mean(0), dim=0), tokens)


def embed_pair_texts(encoder: ChunkableEncoder, records: Sequence[PairRecord],
                     overlap: int) -> dict[str, TextEmbedding]:
    """prompt key → embedding for every record that has a text, per-source texts or
    features (see `PairRecord.prompt_key`)."""
    out: dict[str, TextEmbedding] = {}
    pending: dict[str, list[str]] = {}
    for record in records:
        key = record.prompt_key
        if key is None or key in out or key in pending:
            continue
        if record.features:
            out[key] = combine([load_features(p, encoder.dim) for p in record.features])
        elif record.ir_text or record.vis_text:
            pending[key] = [t for t in (record.ir_text, record.vis_text) if t]
        else:
            pending[key] = [key]
    texts = list(dict.fromkeys(t for parts in pending.values() for t in parts))
    embedded = dict(zip(texts, encode_paragraphs(encoder, texts, overlap), strict=True))
    for key, parts in pending.items():
        out[key] = combine([embedded[t] for t in parts])
    return out
