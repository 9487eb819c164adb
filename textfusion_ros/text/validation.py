"""Prompt validation: every way a prompt enters (CLI, service, topic, parameter) goes here."""

from __future__ import annotations

from collections.abc import Callable

MAX_PROMPT_CHARS = 1000
MAX_UNKNOWN_TOKEN_RATIO = 0.5


class PromptRejected(ValueError):
    """A prompt was refused; the message says why. The previous prompt stays active."""


def validate_prompt(text: object, max_chars: int = MAX_PROMPT_CHARS) -> str:
    """Return the prompt with outer whitespace stripped, or raise PromptRejected with a reason.

    Token limits depend on the encoder and are checked where the prompt is encoded.
    """
    if not isinstance(text, str):
        raise PromptRejected(f"prompt must be a string, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise PromptRejected("prompt is empty")
    if len(stripped) > max_chars:
        raise PromptRejected(f"prompt is {len(stripped)} characters long; the limit is {max_chars}")
    bad = sorted({c for c in stripped if not c.isprintable() and c not in "\n\t"})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5])
        raise PromptRejected(f"prompt contains non-printable characters: {shown}")
    return stripped


def check_readable(unknown: int, total: int, encoder: str, language: str,
                   max_unknown_ratio: float = MAX_UNKNOWN_TOKEN_RATIO) -> None:
    """Raise PromptRejected when more than `max_unknown_ratio` of a prompt's `total` tokens are
    `unknown` to the text encoder (emoji, scripts it was not trained on): such a prompt would
    be embedded as near-meaningless noise. The reason names the encoder and its language."""
    if total and unknown / total <= max_unknown_ratio:
        return
    raise PromptRejected(
        f"prompt not understood: {unknown} of {total} tokens are unknown to the active text "
        f"encoder {encoder}, which reads {language} (at most {max_unknown_ratio:.0%} unknown "
        "tokens are accepted)")


def check_token_limit(texts: list[str], count_tokens: Callable[[str], int], limit: int,
                      encoder: str) -> None:
    """Raise PromptRejected for the first text with more than `limit` tokens (special tokens
    included) by the `encoder`'s count."""
    for text in texts:
        n = count_tokens(text)
        if n > limit:
            raise PromptRejected(f"prompt has {n} tokens; the {encoder} encoder's limit is {limit}")
