"""Validation of a model file: metrics against the baselines and the text-control figures.

Text control, measured on the validation pairs:
- thermal emphasis: Pearson correlation of the fused grey image with the infrared under
  "highlight thermal targets" prompts minus under "preserve visible texture" prompts;
- IR noise: Gaussian noise σ = 20/255 on the infrared; PSNR against the fusion of the clean
  inputs (default prompt), IR-noise prompt minus default prompt;
- low light: the pairs through the night synthesis (`training.night_validation`); PSNR against
  the fusion of the clean inputs, low-light prompt minus default prompt.
Each is reported for the canonical prompt (first training paraphrase) and for every held-out
validation paraphrase. The night report (`night`) holds the night metric table and every
low-light figure.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from textfusion_ros.baselines import BASELINES
from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.degradations import ir_noise
from textfusion_ros.imaging.imageio import read_image
from textfusion_ros.metrics import compute_metrics, format_table, mean_metrics, to_grey8
from textfusion_ros.pipeline import FusionPipeline
from training.datasets import PairRecord
from training.night_validation import night_report
from training.paragraph_validation import paragraph_report
from training.prompts import PROMPT_CLASSES

Pair = tuple[str, np.ndarray, np.ndarray]


def load_pairs(records: list[PairRecord]) -> list[Pair]:
    return [(r.stem, read_image(r.ir_path, grey=True), read_image(r.vis_path)) for r in records]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((to_grey8(a).astype(np.float64) - to_grey8(b)) ** 2))
    return 10.0 * np.log10(255.0 ** 2 / max(mse, 1e-10))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(to_grey8(a).ravel(), to_grey8(b).ravel())[0, 1])


def prompt_variants(class_name: str) -> dict[str, str]:
    """Canonical prompt and held-out validation paraphrases of a class."""
    cls = PROMPT_CLASSES[class_name]
    return {"canonical": cls.train[0], **{f"val{i}": p for i, p in enumerate(cls.val)}}


def fuse_all(pipeline: FusionPipeline, pairs: list[Pair], prompt: str) -> list[np.ndarray]:
    pipeline.set_prompt(prompt)
    return [pipeline.fuse(ir, vis) for _, ir, vis in pairs]


def metric_table(pipeline: FusionPipeline, pairs: list[Pair]) -> dict[str, dict[str, float]]:
    """Mean metrics of the model (default prompt) and of each baseline."""
    fused = fuse_all(pipeline, pairs, pipeline.model.default_prompt)
    table = {"textfusion": mean_metrics([compute_metrics(ir, vis, f)
                                         for (_, ir, vis), f in zip(pairs, fused, strict=True)])}
    for name, baseline in BASELINES.items():
        table[name] = mean_metrics([compute_metrics(ir, vis, baseline(ir, vis))
                                    for _, ir, vis in pairs])
    return table


def thermal_emphasis(pipeline: FusionPipeline, pairs: list[Pair]) -> dict[str, float]:
    def mean_corr(prompt: str) -> float:
        fused = fuse_all(pipeline, pairs, prompt)
        return float(np.mean([correlation(f, ir) for (_, ir, _), f in zip(pairs, fused,
                                                                          strict=True)]))
    hot, keep = prompt_variants("highlight_thermal"), prompt_variants("preserve_visible")
    return {k: mean_corr(hot[k]) - mean_corr(keep[k]) for k in hot}


def ir_noise_gain(pipeline: FusionPipeline, pairs: list[Pair], seed: int = 0) -> dict[str, float]:
    reference = fuse_all(pipeline, pairs, pipeline.model.default_prompt)
    rng = np.random.default_rng(seed)
    noisy = [(s, to_uint8(ir_noise(to_unit_float(ir), rng)), vis) for s, ir, vis in pairs]

    def mean_psnr(prompt: str) -> float:
        fused = fuse_all(pipeline, noisy, prompt)
        return float(np.mean([psnr(f, r) for f, r in zip(fused, reference, strict=True)]))
    base = mean_psnr(pipeline.model.default_prompt)
    return {k: mean_psnr(p) - base for k, p in prompt_variants("ir_noise").items()}


def evaluate_model(model: str | Path, records: list[PairRecord]) -> dict:
    """All validation figures of a model file on the given pairs."""
    pipeline = FusionPipeline(FusionConfig(model=str(model)))
    pairs = load_pairs(records)
    night = night_report(pipeline, pairs, prompt_variants("vis_low_light"))
    paragraphs = paragraph_report(pipeline, records, pairs)
    return {
        **({"paragraphs": paragraphs} if paragraphs else {}),
        "pairs": len(pairs),
        "metrics": metric_table(pipeline, pairs),
        "night": night,
        "text_control": {
            "thermal_corr_difference": thermal_emphasis(pipeline, pairs),
            "ir_noise_psnr_gain_db": ir_noise_gain(pipeline, pairs),
            "night_psnr_gain_db": {k: v["psnr_gain_db"] for k, v in night["low_light"].items()},
        },
    }


def format_report(report: dict) -> str:
    """Metric table plus one line per text-control figure (canonical, min over val, mean)."""
    lines = [format_table(report["metrics"]), ""]
    if "paragraphs" in report:
        lines += [f"pairs with their own text ({report['paragraphs']['pairs']}): own text vs "
                  "default prompt", format_table(report["paragraphs"]["metrics"]), ""]
    for name, values in report["text_control"].items():
        val = [v for k, v in values.items() if k != "canonical"]
        lines.append(f"{name}: canonical {values['canonical']:+.3f}, validation paraphrases "
                     f"min {min(val):+.3f} mean {np.mean(val):+.3f}")
    return "\n".join(lines)


def save_report(report: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(report, indent=1) + "\n")
