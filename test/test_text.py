"""Prompt validation, the prompt cache and the text encoders."""

import pytest
import torch

from textfusion_ros.text import PromptCache, PromptRejected, TextEmbedding, validate_prompt
from textfusion_ros.text.embedding import collate_embeddings
from textfusion_ros.text.validation import check_readable


@pytest.mark.parametrize("prompt, reason", [
    ("", "empty"), ("   \n ", "empty"), ("x" * 1001, "1001 characters"),
    ("infrared\x00 noisy", "non-printable"), ("bell\x07", "non-printable"), (42, "string"),
])
def test_bad_prompts_are_rejected_with_reason(prompt, reason):
    with pytest.raises(PromptRejected, match=reason):
        validate_prompt(prompt)


def test_good_prompt_is_stripped():
    assert validate_prompt("  infrared is noisy\n") == "infrared is noisy"
    assert validate_prompt("line one\nline two") == "line one\nline two"


class CountingEncoder:
    name, description, language, dim, max_tokens = "fake", "a test encoder", "English", 4, 8
    calls = 0

    def count_tokens(self, text):
        return len(text.split())

    def count_unknown_tokens(self, text):
        """Words containing '?' are unknown."""
        words = text.split()
        return sum("?" in w for w in words), len(words)

    def encode(self, texts):
        CountingEncoder.calls += 1
        return [TextEmbedding(torch.full((4,), float(len(t))), torch.ones(2, 4)) for t in texts]


def test_cache_uses_bank_without_encoder_and_lru_otherwise():
    created = []

    def factory():
        created.append(1)
        return CountingEncoder()

    bank = {"known": TextEmbedding(torch.zeros(4), torch.zeros(1, 4))}
    cache = PromptCache(bank, factory, capacity=2)
    assert cache.get(" known ")[0] == "known" and not cache.encoder_loaded
    for _ in range(3):
        cache.get("a b")
    assert cache.encoder_calls == 1 and len(created) == 1
    cache.get("c")
    cache.get("d e f")        # evicts "a b" (least recently used)
    cache.get("a b")
    assert cache.encoder_calls == 4


def test_cache_rejects_prompts_mostly_unknown_to_the_encoder():
    cache = PromptCache({}, CountingEncoder, max_unknown_ratio=0.5)
    assert cache.get("warm ?? pedestrians")[0] == "warm ?? pedestrians"  # 1 of 3 unknown
    with pytest.raises(PromptRejected, match=r"2 of 3 tokens .* fake \(a test encoder\), "
                                             r"which reads English"):
        cache.get("?? ?? pedestrians")
    assert PromptCache({}, CountingEncoder, max_unknown_ratio=1.0).get("?? ??")[0] == "?? ??"


@pytest.mark.parametrize("prompt", ["\U0001f525\U0001f642\U0001f697", "红外图像噪声很大，请降噪"])
def test_minilm_does_not_read_emoji_or_chinese(minilm, prompt):
    unknown, total = minilm.count_unknown_tokens(prompt)
    assert total > 0 and unknown / total > 0.5
    with pytest.raises(PromptRejected, match="not understood.*minilm.*English"):
        check_readable(unknown, total, minilm.name, minilm.language)
    assert minilm.count_unknown_tokens("highlight warm pedestrians") == (0, 3)


def test_minilm_embeds_and_enforces_token_limit(minilm):
    a, b = minilm.encode(["visible camera is in low light", "infrared is noisy"])
    assert a.pooled.shape == (384,) and a.tokens.shape[1] == 384
    assert torch.isclose(a.pooled.norm(), torch.tensor(1.0), atol=1e-4)
    pooled, tokens, mask = collate_embeddings([a, b])
    assert tokens.shape[0] == 2 and mask.sum(1).tolist() == [a.tokens.shape[0], b.tokens.shape[0]]
    with pytest.raises(PromptRejected, match="tokens"):
        minilm.encode(["warm " * 200])


def test_paraphrases_are_closer_than_other_classes(minilm):
    dark, night, noisy = minilm.encode(["visible camera is in low light",
                                        "the RGB image is too dark at night",
                                        "infrared is noisy"])
    assert dark.pooled @ night.pooled > dark.pooled @ noisy.pooled
