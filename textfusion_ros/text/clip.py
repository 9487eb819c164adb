"""The CLIP text tower, from local weights only (nothing is downloaded), by two backends.

`transformers` loads a folder in the Hugging Face layout (``config.json``, ``model.safetensors``
and the tokenizer files, as ``openai/clip-vit-base-patch32`` ships them) as a
`CLIPTextModelWithProjection`; it needs no torchvision. `open_clip` loads a checkpoint file of
an open_clip architecture; it needs open_clip and a torchvision built for the installed torch.
Both give the same embedding: every token's final-layer-norm state through the text
projection, and as pooled vector the end-of-text token's, normalised (CLIP's text feature).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import torch
import torch.nn.functional as F

from textfusion_ros.text.embedding import TextEmbedding
from textfusion_ros.text.validation import check_token_limit

BACKENDS = ("auto", "open_clip", "transformers")
WEIGHTS_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
TOKENIZER_FILES = (("tokenizer.json",), ("vocab.json", "merges.txt"))


class _ClipText(ABC):
    """What both backends share: the <start_of_text> … <end_of_text> window, the token limit,
    the end-of-text pooling."""

    name = "clip"
    language = "English"
    description: str
    dim: int
    max_tokens: int
    window: int
    sot: int  # <start_of_text>
    eot: int  # <end_of_text>
    pad: int

    def _set_limit(self, context: int, max_tokens: int | None) -> None:
        if max_tokens is not None and max_tokens > context:
            raise ValueError(f"max_tokens {max_tokens} exceeds CLIP's context length {context}")
        self.max_tokens = context if max_tokens is None else max_tokens
        self.window = self.max_tokens - 2

    @abstractmethod
    def token_ids(self, text: str) -> list[int]:
        """The text's token ids, special tokens excluded."""

    @abstractmethod
    def _padded_length(self, longest: int) -> int:
        """The id rows' length for a batch whose longest row has `longest` ids."""

    @abstractmethod
    def _project(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Id rows (B×L) and their mask (1 = real) → projected token states (B×L×dim)."""

    def count_tokens(self, text: str) -> int:
        return len(self.token_ids(text)) + 2

    @torch.no_grad()
    def encode(self, texts: list[str]) -> list[TextEmbedding]:
        check_token_limit(texts, self.count_tokens, self.max_tokens, self.name)
        return self.encode_ids([self.token_ids(t) for t in texts])

    @torch.no_grad()
    def encode_ids(self, chunks: list[list[int]]) -> list[TextEmbedding]:
        lengths = torch.tensor([len(c) + 2 for c in chunks])
        ids = torch.full((len(chunks), self._padded_length(int(lengths.max()))), self.pad,
                         dtype=torch.long)
        for i, chunk in enumerate(chunks):
            ids[i, :len(chunk) + 2] = torch.tensor([self.sot, *chunk, self.eot])
        mask = (torch.arange(ids.shape[1]) < lengths[:, None]).long()
        tokens = self._project(ids, mask)
        pooled = F.normalize(tokens[torch.arange(len(chunks)), lengths - 1], dim=-1)
        return [TextEmbedding(pooled[i].clone(), tokens[i, :int(lengths[i])].clone())
                for i in range(len(chunks))]


def import_open_clip():
    """open_clip, or a RuntimeError that says what is missing (ImportError) or broken (a
    torchvision whose compiled operators do not match the installed torch)."""
    try:
        import open_clip
    except ImportError as exc:
        raise RuntimeError(
            "the open_clip CLIP backend needs open_clip (and torchvision): pip install -c "
            "constraints.txt open_clip_torch; or point text.clip_weights at a Hugging Face "
            f"CLIP folder for the transformers backend ({exc})") from exc
    except RuntimeError as exc:
        raise RuntimeError(
            "open_clip is installed but does not import: its torchvision does not match the "
            f"installed torch ({exc}); install the torchvision built for this torch, or point "
            "text.clip_weights at a Hugging Face CLIP folder for the transformers backend"
        ) from exc
    return open_clip


class ClipEncoder(_ClipText):
    """open_clip CLIP text tower: `model_name` an open_clip architecture (``ViT-B-32``,
    ``ViT-L-14``, …), `weights` a local checkpoint file of it. `max_tokens` defaults to the
    architecture's context length (77) and may not exceed it."""

    def __init__(self, model_name: str, weights: str, max_tokens: int | None = None) -> None:
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
        self._set_limit(int(model.context_length), max_tokens)
        self.sot, self.eot = (int(i) for i in tokenizer([""])[0][:2])
        self.pad = 0

    def count_unknown_tokens(self, text: str) -> tuple[int, int]:
        """CLIP's byte-level BPE has no unknown token: every text is spelled out in bytes."""
        return 0, len(self.token_ids(text))

    def token_ids(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text))

    def _padded_length(self, longest: int) -> int:
        return int(self.model.context_length)  # the positional embedding's full length

    def _project(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = self.model
        x = m.token_embedding(ids) + m.positional_embedding
        x = m.transformer(x, attn_mask=m.attn_mask)  # causal: padding never reaches a token
        return m.ln_final(x) @ m.text_projection


class TransformersClipEncoder(_ClipText):
    """CLIP text tower from a local Hugging Face folder (a full CLIP model's or a text tower's:
    the text weights and projection are read, the vision ones ignored), run offline."""

    def __init__(self, folder: str, max_tokens: int | None = None) -> None:
        _check_folder(Path(folder))
        try:
            from transformers import CLIPTokenizer
        except ImportError as exc:
            raise RuntimeError(
                f"the transformers CLIP backend needs the package 'transformers' ({exc})") from exc
        self.tokenizer = CLIPTokenizer.from_pretrained(folder, local_files_only=True)
        self.model = _load_text_tower(folder)
        self.weights = str(folder)
        self.description = f"CLIP {Path(folder).name} (transformers)"
        self.dim = int(self.model.config.projection_dim)
        self._set_limit(int(self.model.config.max_position_embeddings), max_tokens)
        self.sot, self.eot = self.tokenizer.bos_token_id, self.tokenizer.eos_token_id
        self.pad = self.eot  # masked, and the attention is causal: padding reaches no token

    def token_ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_unknown_tokens(self, text: str) -> tuple[int, int]:
        ids = self.token_ids(text)
        return sum(i == self.tokenizer.unk_token_id for i in ids), len(ids)

    def _padded_length(self, longest: int) -> int:
        return longest

    def _project(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.model.text_model(input_ids=ids, attention_mask=mask).last_hidden_state
        return self.model.text_projection(hidden)


def _load_text_tower(folder: str) -> torch.nn.Module:
    """The folder's text tower and projection; an error when any of their weights is missing
    (they would be left random). A full CLIP model's vision weights are skipped unreported."""
    from transformers import CLIPTextModelWithProjection
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the load report would list every skipped vision tensor
    try:
        model, info = CLIPTextModelWithProjection.from_pretrained(
            folder, local_files_only=True, dtype=torch.float32, output_loading_info=True)
    finally:
        hf_logging.set_verbosity(verbosity)
    missing = sorted(info["missing_keys"])
    if missing:
        raise ValueError(f"the CLIP folder {folder} lacks {len(missing)} text-tower weights "
                         f"({', '.join(missing[:3])}, …): not a CLIP model with a text projection")
    return model.eval()


def _check_folder(folder: Path) -> None:
    """Raise FileNotFoundError naming what a Hugging Face CLIP folder lacks."""
    missing = [] if (folder / "config.json").is_file() else ["config.json"]
    if not any((folder / f).is_file() for f in WEIGHTS_FILES):
        missing.append(" or ".join(WEIGHTS_FILES))
    if not any(all((folder / f).is_file() for f in group) for group in TOKENIZER_FILES):
        missing.append("tokenizer.json or vocab.json + merges.txt")
    if missing:
        raise FileNotFoundError(f"the CLIP folder {folder} lacks {'; '.join(missing)} (download "
                                "e.g. openai/clip-vit-base-patch32 with its tokenizer into it)")


def clip_encoder(model_name: str = "ViT-B-32", weights: str | None = None,
                 backend: str = "auto", max_tokens: int | None = None) -> _ClipText:
    """The CLIP text encoder for local `weights`: a folder loads through transformers, a file
    through open_clip (`model_name` is its architecture); `backend` may insist on either."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown CLIP backend {backend!r}; known: {list(BACKENDS)}")
    if not weights:
        raise RuntimeError(
            "the CLIP text encoder needs local weights (training YAML: text.clip_weights): a "
            "Hugging Face CLIP folder (transformers) or an open_clip checkpoint file; nothing "
            "is downloaded at run time")
    path = Path(weights)
    if not path.exists():
        raise FileNotFoundError(f"CLIP weights not found: {weights}")
    if path.is_dir():
        if backend == "open_clip":
            raise ValueError(f"the open_clip CLIP backend loads a checkpoint file; {weights} is a "
                             "folder (clip_backend: transformers or auto loads it)")
        return TransformersClipEncoder(str(path), max_tokens)
    if backend == "transformers":
        raise ValueError(f"the transformers CLIP backend loads a Hugging Face folder (config.json, "
                         f"model.safetensors, tokenizer files); {weights} is a file")
    return ClipEncoder(model_name, str(path), max_tokens)
