"""Which detector classes a prompt names ("highlight pedestrians" → person), by text similarity."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import torch

from textfusion_ros.detection.coco import SYNONYMS
from textfusion_ros.text.embedding import TextEmbedding

MIN_WORD_CHARS = 3


class PromptClassMatcher:
    """Marks class c when some prompt word's pooled text embedding has a cosine similarity of at
    least `threshold` with c's name or one of its synonyms (same encoder for both)."""

    def __init__(self, encode: Callable[[list[str]], list[TextEmbedding]],
                 classes: Sequence[str], threshold: float) -> None:
        self._encode = encode
        self.threshold = threshold
        self._phrases = [(name, word) for name in classes for word in SYNONYMS.get(name, (name,))]
        self._vectors: torch.Tensor | None = None  # embedded by prepare() or on first use

    def prepare(self) -> None:
        """Embed the class names and synonyms now (loads the encoder if it is not loaded)."""
        if self._vectors is None and self._phrases:
            self._vectors = _unit(self._encode([word for _, word in self._phrases]))

    def similarities(self, prompt: str) -> dict[str, float]:
        """Best cosine similarity of any prompt word to each class (0 for an empty prompt)."""
        words = sorted({w for w in re.findall(r"[a-z]+", prompt.lower())
                        if len(w) >= MIN_WORD_CHARS})
        best = dict.fromkeys(dict.fromkeys(name for name, _ in self._phrases), 0.0)
        if not words or not self._phrases:
            return best
        self.prepare()
        cosine = _unit(self._encode(words)) @ self._vectors.T  # words × phrases
        for column, (name, _) in enumerate(self._phrases):
            best[name] = max(best[name], float(cosine[:, column].max()))
        return best

    def match(self, prompt: str) -> tuple[str, ...]:
        """The classes the prompt names, most similar first."""
        scores = self.similarities(prompt)
        named = [name for name, score in scores.items() if score >= self.threshold]
        return tuple(sorted(named, key=lambda name: -scores[name]))


def _unit(embeddings: list[TextEmbedding]) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.stack([e.pooled for e in embeddings]), dim=1)
