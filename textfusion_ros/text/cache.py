"""Prompt-embedding cache: one encoder run per distinct prompt, never one per frame."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

from textfusion_ros.text.embedding import TextEmbedding
from textfusion_ros.text.encoders import TextEncoder
from textfusion_ros.text.validation import (
    MAX_PROMPT_CHARS,
    MAX_UNKNOWN_TOKEN_RATIO,
    check_readable,
    validate_prompt,
)


class PromptCache:
    """Validated prompt → TextEmbedding.

    Prompts of the model's prompt bank (stored in its checkpoint) are answered without any
    encoder; other prompts load the encoder on first need (lazily) and are kept in an LRU of
    `capacity` entries. A prompt whose tokens are mostly unknown to the encoder (more than
    `max_unknown_ratio`) is rejected.
    """

    def __init__(self, bank: Mapping[str, TextEmbedding],
                 encoder_factory: Callable[[], TextEncoder], capacity: int = 64,
                 max_chars: int = MAX_PROMPT_CHARS,
                 max_unknown_ratio: float = MAX_UNKNOWN_TOKEN_RATIO) -> None:
        self.bank = dict(bank)
        self._factory = encoder_factory
        self._encoder: TextEncoder | None = None
        self._lru: OrderedDict[str, TextEmbedding] = OrderedDict()
        self.capacity = capacity
        self.max_chars = max_chars
        self.max_unknown_ratio = max_unknown_ratio
        self.encoder_calls = 0
        self._lock = threading.Lock()

    @property
    def encoder_loaded(self) -> bool:
        return self._encoder is not None

    def load_encoder(self) -> None:
        """Load the text encoder now (no-op when loaded), so that a new prompt is fast."""
        with self._lock:
            self._load_encoder()

    def _load_encoder(self) -> TextEncoder:
        if self._encoder is None:
            self._encoder = self._factory()
        return self._encoder

    def get(self, prompt: object) -> tuple[str, TextEmbedding]:
        """Validate and embed a prompt → (normalised prompt, embedding); raises PromptRejected."""
        text = validate_prompt(prompt, self.max_chars)
        if text in self.bank:
            return text, self.bank[text]
        with self._lock:
            if text in self._lru:
                self._lru.move_to_end(text)
                return text, self._lru[text]
            encoder = self._load_encoder()
            check_readable(*encoder.count_unknown_tokens(text),
                           f"{encoder.name} ({encoder.description})", encoder.language,
                           self.max_unknown_ratio)
            embedding = encoder.encode([text])[0]
            self.encoder_calls += 1
            self._lru[text] = embedding
            if len(self._lru) > self.capacity:
                self._lru.popitem(last=False)
            return text, embedding

    def encode(self, texts: list[str]) -> list[TextEmbedding]:
        """Embed `texts` with the encoder (loaded on first need), outside the prompt LRU."""
        with self._lock:
            if self._encoder is None:
                self._encoder = self._factory()
            return self._encoder.encode(texts)
