"""Validation with the pairs' own texts: paragraphs (chunked), per-source paragraphs or text
features, against the default prompt on the same pairs (FILM's setting: a descriptive text per
image pair)."""

from __future__ import annotations

from collections.abc import Sequence

from textfusion_ros.metrics import compute_metrics, mean_metrics
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.text.chunking import DEFAULT_OVERLAP
from textfusion_ros.text.encoders import create_encoder
from training.datasets import PairRecord
from training.pair_texts import embed_pair_texts


def paragraph_report(pipeline: FusionPipeline, records: Sequence[PairRecord],
                     pairs: Sequence[tuple], overlap: int = DEFAULT_OVERLAP) -> dict | None:
    """Mean metrics of the pairs that have their own text, fused with it and with the default
    prompt; None when no pair has one."""
    chosen = [(r, p) for r, p in zip(records, pairs, strict=True) if r.prompt_key]
    if not chosen:
        return None
    options = dict(pipeline.model.text_encoder)
    encoder = create_encoder(options.pop("name", "minilm"), **options)
    embeddings = embed_pair_texts(encoder, [r for r, _ in chosen], overlap)

    def metrics(prompt_of) -> dict[str, float]:
        return mean_metrics([compute_metrics(ir, vis, pipeline.fuse(ir, vis, prompt_of(r)))
                             for r, (_, ir, vis) in chosen])

    pipeline.set_prompt(pipeline.model.default_prompt)
    return {"pairs": len(chosen),
            "tokens": {r.stem: int(embeddings[r.prompt_key].tokens.shape[0]) for r, _ in chosen},
            "metrics": {"own_text": metrics(lambda r: embeddings[r.prompt_key]),
                        "default_prompt": metrics(lambda r: None)}}
