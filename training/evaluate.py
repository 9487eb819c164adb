"""Validation of a model file: metrics against the baselines and the text-control figures.

Text control, measured on the validation pairs:
- thermal emphasis: Pearson correlation of the fused grey image with the infrared under
  "highlight thermal targets" prompts minus under "preserve visible texture" prompts;
- IR noise: Gaussian noise σ = 20/255 on the infrared; PSNR against the fusion of the clean
  inputs (default prompt), IR-noise prompt minus default prompt;
- low light: the pairs through the night synthesis (`training.night_validation`); PSNR against
  the fusion of the clean inputs, low-light prompt minus default prompt;
- visible over-exposure and infrared low contrast: the evaluation setting of the degradation
  (`textfusion_ros.imaging.degradations`); PSNR against the fusion of the clean inputs, class
  prompt minus default prompt.
`class_figures` gathers one figure per prompt class (all seven). With real degraded pairs
(`training.degraded_pairs`, Text-IF's layout), `real_degraded` gives per task the PSNR gain of
the task's prompt over the default prompt against the fusion of the restored targets.
Each text-control figure is reported for the canonical prompt (first training paraphrase)
and for every held-out validation paraphrase. The night report (`night`) holds the night
metric table and every low-light figure. `metrics` uses the VIFB convention (the model card's
figures, on which the targets are defined); `metrics_film` is the same table in the
FILM/CDDFuse convention (the seed papers' tables; `textfusion_ros.metrics.evaluate`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from textfusion_ros.baselines import BASELINES
from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.degradations import get_degradation, ir_noise
from textfusion_ros.imaging.imageio import read_image
from textfusion_ros.metrics import compute_metrics, format_table, mean_metrics, qabf, to_grey8
from textfusion_ros.metrics.evaluate import FILM, VIFB
from textfusion_ros.pipeline import FusionPipeline
from training.datasets import PairRecord
from training.degraded_pairs import DegradedRecord, read_degraded
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


def metric_table(pipeline: FusionPipeline, pairs: list[Pair],
                 convention: str = VIFB) -> dict[str, dict[str, float]]:
    """Mean metrics of the model (default prompt) and of each baseline."""
    fused = fuse_all(pipeline, pairs, pipeline.model.default_prompt)
    table = {"textfusion": mean_metrics([compute_metrics(ir, vis, f, convention)
                                         for (_, ir, vis), f in zip(pairs, fused, strict=True)])}
    for name, baseline in BASELINES.items():
        table[name] = mean_metrics([compute_metrics(ir, vis, baseline(ir, vis), convention)
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


def degradation_gain(pipeline: FusionPipeline, pairs: list[Pair], class_name: str,
                     seed: int = 0) -> dict[str, float]:
    """PSNR gain (dB) of the class's prompts over the default prompt on inputs degraded by the
    class's degradation (evaluation setting), against the fusion of the clean inputs."""
    reference = fuse_all(pipeline, pairs, pipeline.model.default_prompt)
    degradation = get_degradation(PROMPT_CLASSES[class_name].degradation)
    rng = np.random.default_rng(seed)
    degraded = []
    for stem, ir, vis in pairs:
        d_ir, d_vis = degradation.evaluate(to_unit_float(ir), to_unit_float(vis), rng)
        degraded.append((stem, to_uint8(d_ir), to_uint8(d_vis)))

    def mean_psnr(prompt: str) -> float:
        fused = fuse_all(pipeline, degraded, prompt)
        return float(np.mean([psnr(f, r) for f, r in zip(fused, reference, strict=True)]))
    base = mean_psnr(pipeline.model.default_prompt)
    return {k: mean_psnr(p) - base for k, p in prompt_variants(class_name).items()}


def source_emphasis(pipeline: FusionPipeline, pairs: list[Pair], class_name: str,
                    source: int) -> dict[str, float]:
    """Correlation of the fusion with a source (1 IR, 2 VIS) under the class's prompts minus
    under the default prompt."""
    def mean_corr(prompt: str) -> float:
        fused = fuse_all(pipeline, pairs, prompt)
        return float(np.mean([correlation(f, pair[source])
                              for pair, f in zip(pairs, fused, strict=True)]))
    base = mean_corr(pipeline.model.default_prompt)
    return {k: mean_corr(p) - base for k, p in prompt_variants(class_name).items()}


def class_figures(pipeline: FusionPipeline, pairs: list[Pair], text_control: dict) -> dict:
    """One figure per prompt class, all seven: {class: {"figure": name, variant: value}}."""
    fused = fuse_all(pipeline, pairs, pipeline.model.default_prompt)
    default_qabf = float(np.mean([qabf(to_grey8(ir), to_grey8(vis), to_grey8(f))
                                  for (_, ir, vis), f in zip(pairs, fused, strict=True)]))
    return {
        "default": {"figure": "Qabf, clean inputs (VIFB convention)", "canonical": default_qabf},
        "highlight_thermal": {"figure": "corr(fused, IR) gain over the default prompt",
                              **source_emphasis(pipeline, pairs, "highlight_thermal", 1)},
        "preserve_visible": {"figure": "corr(fused, VIS) gain over the default prompt",
                             **source_emphasis(pipeline, pairs, "preserve_visible", 2)},
        "vis_low_light": {"figure": "PSNR gain (dB) at synthetic night",
                          **text_control["night_psnr_gain_db"]},
        "vis_overexposure": {"figure": "PSNR gain (dB), over-exposed visible",
                             **text_control["overexposure_psnr_gain_db"]},
        "ir_noise": {"figure": "PSNR gain (dB), IR noise σ=20/255",
                     **text_control["ir_noise_psnr_gain_db"]},
        "ir_low_contrast": {"figure": "PSNR gain (dB), low-contrast IR",
                            **text_control["ir_low_contrast_psnr_gain_db"]},
    }


def real_degraded_report(pipeline: FusionPipeline,
                         records: list[DegradedRecord]) -> dict[str, dict]:
    """Per task folder: PSNR gain of the task's canonical prompt over the default prompt, both
    on the degraded inputs, against the default-prompt fusion of the restored targets."""
    tasks: dict[str, list[DegradedRecord]] = {}
    for record in records:
        if record.has_targets:
            tasks.setdefault(record.task, []).append(record)
    report = {}
    default_prompt = pipeline.model.default_prompt
    for task, task_records in sorted(tasks.items()):
        prompt_class = task_records[0].prompt_class
        gains, pair_psnr = [], []
        for record in task_records:
            images = read_degraded(record)
            pipeline.set_prompt(default_prompt)
            reference = pipeline.fuse(images["ir_target"], images["vis_target"])
            as_default = pipeline.fuse(images["ir"], images["vis"])
            pipeline.set_prompt(prompt_variants(prompt_class)["canonical"])
            prompted = pipeline.fuse(images["ir"], images["vis"])
            pair_psnr.append(psnr(prompted, reference))
            gains.append(pair_psnr[-1] - psnr(as_default, reference))
        report[task] = {"prompt_class": prompt_class, "pairs": len(task_records),
                        "psnr_db": float(np.mean(pair_psnr)),
                        "psnr_gain_db": float(np.mean(gains))}
    return report


def evaluate_model(model: str | Path, records: list[PairRecord],
                   degraded: list[DegradedRecord] | None = None) -> dict:
    """All validation figures of a model file on the given pairs (and real degraded pairs)."""
    pipeline = FusionPipeline(FusionConfig(model=str(model)))
    pairs = load_pairs(records)
    night = night_report(pipeline, pairs, prompt_variants("vis_low_light"))
    paragraphs = paragraph_report(pipeline, records, pairs)
    text_control = {
        "thermal_corr_difference": thermal_emphasis(pipeline, pairs),
        "ir_noise_psnr_gain_db": ir_noise_gain(pipeline, pairs),
        "night_psnr_gain_db": {k: v["psnr_gain_db"] for k, v in night["low_light"].items()},
        "overexposure_psnr_gain_db": degradation_gain(pipeline, pairs, "vis_overexposure"),
        "ir_low_contrast_psnr_gain_db": degradation_gain(pipeline, pairs, "ir_low_contrast"),
    }
    report = {
        **({"paragraphs": paragraphs} if paragraphs else {}),
        "pairs": len(pairs),
        "metrics": metric_table(pipeline, pairs),
        "metrics_film": metric_table(pipeline, pairs, FILM),
        "night": night,
        "text_control": text_control,
        "class_figures": class_figures(pipeline, pairs, text_control),
    }
    if degraded:
        report["real_degraded"] = real_degraded_report(pipeline, degraded)
    return report


def format_report(report: dict) -> str:
    """Metric table plus one line per text-control figure (canonical, min over val, mean)."""
    lines = ["Metrics (VIFB convention, the model card's):", format_table(report["metrics"]), ""]
    if "metrics_film" in report:
        lines += ["Metrics (FILM/CDDFuse convention, the seed papers' tables):",
                  format_table(report["metrics_film"]), ""]
    if "paragraphs" in report:
        lines += [f"pairs with their own text ({report['paragraphs']['pairs']}): own text vs "
                  "default prompt", format_table(report["paragraphs"]["metrics"]), ""]
    for name, values in report["text_control"].items():
        val = [v for k, v in values.items() if k != "canonical"]
        lines.append(f"{name}: canonical {values['canonical']:+.3f}, validation paraphrases "
                     f"min {min(val):+.3f} mean {np.mean(val):+.3f}")
    for name, figures in report.get("class_figures", {}).items():
        lines.append(f"class {name}: {figures['figure']}: canonical {figures['canonical']:+.3f}")
    for task, figures in report.get("real_degraded", {}).items():
        lines.append(f"real degraded {task} ({figures['prompt_class']}, {figures['pairs']} "
                     f"pairs): PSNR {figures['psnr_db']:.2f} dB, gain over default "
                     f"{figures['psnr_gain_db']:+.2f} dB")
    return "\n".join(lines)


def save_report(report: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(report, indent=1) + "\n")
