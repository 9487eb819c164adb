"""Writes the model card of a trained model from its file and its validation report.

Everything in the card is generated; hand-written notes (run history, caveats) live in a
separate file beside it (`MODEL_HISTORY.md`), which the generator never touches and links to.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from textfusion_ros.metrics import format_table
from textfusion_ros.model.checkpoint import load_model_file
from textfusion_ros.model.config import ModelConfig

HISTORY_NAME = "MODEL_HISTORY.md"

TARGETS = {
    "thermal_corr_difference": ("IR-correlation difference, highlight vs preserve", 0.10),
    "ir_noise_psnr_gain_db": ("PSNR gain (dB), IR-noise prompt vs default, σ=20/255", 1.5),
    "night_psnr_gain_db": ("PSNR gain (dB) at night, low-light prompt vs default", 2.0),
}

# Low-light figures at night: (label, comparison, target).
NIGHT_TARGETS = {
    "psnr_gain_db": ("PSNR gain vs default (dB), clean-input fusion as reference", "≥", 2.0),
    "ssim_gain": ("SSIM gain vs default, clean-input fusion as reference", ">", 0.0),
    "flat_noise_ratio": ("flat-area noise / clean-input fusion's", "≤", 1.2),
    "thermal_contrast_ratio": ("thermal-target contrast / default's", "≥", 0.9),
    "brightness_gain": ("mean grey level gain vs default", "", None),
    "brightness_gain_darker_half": ("same, the darker half of the nights", "", None),
    "qabf_ratio": ("Qabf / default's", "", None),
    "scd_ratio": ("SCD / default's", "", None),
}


def _met(value: float, comparison: str, target: float | None) -> bool:
    if target is None:
        return True
    return {"≥": value >= target, ">": value > target, "≤": value <= target}[comparison]


def text_control_rows(report: dict) -> list[str]:
    rows = ["| figure | target | canonical prompt | validation paraphrases (min / mean) |",
            "|---|---|---|---|"]
    for key, (label, target) in TARGETS.items():
        values = report["text_control"][key]
        val = [v for k, v in values.items() if k != "canonical"]
        rows.append(f"| {label} | ≥ {target} | {values['canonical']:+.3f} | "
                    f"{min(val):+.3f} / {np.mean(val):+.3f} |")
    return rows


def class_rows(report: dict) -> list[str]:
    """One figure per prompt class: canonical prompt and held-out paraphrases (min / mean)."""
    rows = ["| prompt class | figure | canonical prompt | held-out paraphrases (min / mean) |",
            "|---|---|---|---|"]
    for name, figures in report.get("class_figures", {}).items():
        held_out = [v for k, v in figures.items() if k not in ("figure", "canonical")]
        spread = f"{min(held_out):+.3f} / {np.mean(held_out):+.3f}" if held_out else "—"
        rows.append(f"| {name} | {figures['figure']} | {figures['canonical']:+.3f} | {spread} |")
    return rows


def night_rows(night: dict) -> list[str]:
    """One row per low-light figure: target, canonical, held-out min / max, met by all."""
    rows = ["| figure | target | canonical prompt | held-out paraphrases (min / max) | met |",
            "|---|---|---|---|---|"]
    variants = night["low_light"]
    for key, (label, comparison, target) in NIGHT_TARGETS.items():
        values = {name: figures[key] for name, figures in variants.items()}
        held_out = [v for k, v in values.items() if k != "canonical"]
        met = all(_met(v, comparison, target) for v in values.values())
        goal = f"{comparison} {target}" if target is not None else "—"
        rows.append(f"| {label} | {goal} | {values['canonical']:+.3f} | "
                    f"{min(held_out):+.3f} / {max(held_out):+.3f} | "
                    f"{'yes' if met else 'NO'} |")
    return rows


def fenced_table(table: dict) -> list[str]:
    """A metrics table as a fenced Markdown block."""
    return ["```", format_table(table), "```"]


def wins(table: dict) -> str:
    """How many of EN, SF, AG, SCD, VIF, Qabf the default prompt wins against the pyramid."""
    ours, lp = table["textfusion"], table["laplacian_pyramid"]
    names = ("EN", "SF", "AG", "SCD", "VIF", "Qabf")
    won = [n for n in names if ours[n] > lp[n]]
    return f"{len(won)} of 6 ({', '.join(won) or 'none'})"


def night_wins(night: dict, table: str = "metrics") -> str:
    """`wins` on one of the night report's tables."""
    return wins(night[table])


def noise_range(half: dict) -> str:
    """A `by_noise` half's sensor-noise range, in grey levels."""
    low, high = half["noise_std"]
    return f"{low:.1f}–{high:.1f} grey levels"


def noise_rows(night: dict) -> list[str]:
    """The night comparison on the quieter and the noisier half of the pairs."""
    halves = night.get("by_noise")
    if not halves:
        return []
    lines = ["By the sensor noise each night was given (std of its grey levels minus those of "
             "its noise-free twin, after in-camera noise reduction and compression; pairs "
             "split at the median):", ""]
    for name, half in halves.items():
        lines += [f"- {name} half, {half['pairs']} pairs, noise {noise_range(half)}: the "
                  f"default prompt wins {wins(half['metrics'])}.", ""]
        lines += [*fenced_table(half["metrics"]), ""]
    return lines


def test_rows(test_report: dict) -> list[str]:
    """The card's test-split section: the clean table and the night comparison of a report
    made with `textfusion validate --split test`."""
    night = test_report["night"]
    return [
        f"## Test split ({test_report['pairs']} untouched pairs, reported once)",
        "",
        "Default prompt, clean inputs; baselines on the same pairs (VIFB convention):",
        "",
        *fenced_table(test_report["metrics"]),
        "",
        "Synthetic night of the test pairs (same synthesis and seed as above), default prompt "
        f"against the Laplacian pyramid: the default prompt wins {night_wins(night)}"
        + "".join(f"; {name} half (noise {noise_range(half)}), {wins(half['metrics'])}"
                  for name, half in night.get("by_noise", {}).items())
        + (f"; before the sensor noise, {night_wins(night, 'metrics_noise_free')}"
           if "metrics_noise_free" in night else "") + ".",
        "",
        *night_rows(night),
        "",
    ]


def network_summary(config: ModelConfig) -> str:
    """One line on the network's shape: widths, pyramid and the terms of its fused base."""
    base = "both sources' bases and a tone curve of the visible"
    if config.normalised_bases:
        base += (", the visible base over its image mean and the infrared base standardised by "
                 "its image mean and std (`normalised_bases`)")
    blocks = " / ".join(f"{b}×{b}" for b in config.activity_block_sides())
    return (f"encoder widths {list(config.widths)}, decoder {list(config.decoder_widths)} at "
            f"1/8 resolution, a {config.pyramid_levels}-level Laplacian pyramid at full "
            f"resolution whose detail is selected by its activity over blocks of {blocks} band "
            f"pixels (finest band first); fused base: {base}.")


def write_model_card(model_path: str | Path, report: dict, split: dict, bench: dict,
                     out: str | Path, test_report: dict | None = None,
                     test_note: str = "") -> None:
    """Markdown card: data, split, training, compute, validation metrics, night, text control,
    and the test split's figures when its report is given (else `test_note`, if any, says why
    they are missing)."""
    model = load_model_file(model_path)
    info = model.info
    night = report["night"]
    lines = [
        f"# Model card: {Path(model_path).name}",
        "",
        "Text-guided infrared + visible fusion network of textfusion_ros (TextFusionNet), "
        f"text encoder `{model.text_encoder.get('name')}` (all-MiniLM-L6-v2, frozen). "
        "Generated by `make validate`; hand-written notes and the run history: "
        f"[{HISTORY_NAME}]({HISTORY_NAME}).",
        "",
        "## Data",
        f"- RoadScene (Xu et al., FusionDN, AAAI 2020; U2Fusion, TPAMI 2020): "
        f"{info.get('train_pairs')} training pairs, {info.get('val_pairs')} validation pairs "
        "(seeded split by file stem; validation pairs never trained on, but they did choose "
        "between training runs, so they are not an untouched test set).",
        f"- Validation stems: {', '.join(split['val'])}",
        *([f"- Test stems (untouched, reported once): {', '.join(split['test'])}"]
          if split.get("test") else
          ["- No test split (`data.n_test: 0`): the shipped recipe's train/validation split "
           "is kept as it was when this model was trained."]),
        "",
        "## Training",
        f"- Iterations: {info.get('iterations')}; wall time: "
        f"{info.get('train_seconds_this_run')} s on a 2-core CPU (no GPU).",
        "- Recipe: `config/train_roadscene.yaml` (`make train`): degradation-aware prompt "
        "classes with clean targets; night synthesis of the visible (linear-light darkening, "
        "Poisson–Gaussian, row/column and chroma noise, lamps with bloom and pools of light, "
        "colour casts, motion blur, JPEG) with illumination-aware targets (default prompt: "
        "infrared where the night visible is dark or noisy, with the visible's faint coarse "
        "structure and enhanced infrared details there; low-light prompt: most of the way to "
        "daytime brightness where the visible holds a signal, details only where their SNR "
        "allows, the infrared's warm targets composited on top); "
        "losses: intensity, Sobel-gradient-max, Laplacian band detail, source correlation, "
        "SSIM, CbCr colour, source anchors, with per-class weights.",
        f"- Network: {network_summary(model.model_config)}",
        "",
        "## Compute",
        f"- {bench['gmac']} GMAC per 640×512 frame; {bench['params']} parameters; "
        f"{bench['median_ms']} ms median per frame on this CPU ({bench['threads']} threads, "
        f"{bench['backend']} backend).",
        "",
        "## Validation metrics (default prompt, clean inputs; baselines on the same pairs)",
        "",
        *fenced_table(report["metrics"]),
        "",
        "Conventions: 8-bit grey (BGR→GRAY, rounded); MI, SCD, VIF, Qabf, SSIM summed over the "
        "two sources; no min–max stretching; AG and SSIM in the VIFB convention "
        "(forward-difference AG, 11×11 Gaussian-window SSIM), on which this card's targets are "
        "defined.",
        "",
        *([
            "The same table in the FILM/CDDFuse convention (`np.gradient` AG, scikit-image "
            "SSIM as their Python evaluators; the convention of the seed papers' tables and "
            "the default of `textfusion eval`):",
            "",
            *fenced_table(report["metrics_film"]),
            "",
        ] if "metrics_film" in report else []),
        f"## Synthetic night (validation pairs, night synthesis seed {night['seed']})",
        "",
        "Default prompt against the Laplacian pyramid of the same night inputs, metrics against "
        f"the night sources: the default prompt wins {night_wins(night)}.",
        "",
        *fenced_table(night["metrics"]),
        "",
        *noise_rows(night),
        *([
            "The same on the night before its sensor noise (same seeds, darkening, lamps and "
            "casts; metrics against those noise-free sources): the default prompt wins "
            f"{night_wins(night, 'metrics_noise_free')}. Where the pyramid's lead on the noisy "
            "night shrinks or turns here, the metric rewarded the noise it passes on.",
            "",
            *fenced_table(night["metrics_noise_free"]),
            "",
        ] if "metrics_noise_free" in night else []),
        "Low-light prompt against the default prompt on the same night inputs:",
        "",
        *night_rows(night),
        "",
        "## Text control (validation split)",
        "",
        *text_control_rows(report),
        "",
        *([
            "## One figure per prompt class (validation split)",
            "",
            *class_rows(report),
            "",
        ] if "class_figures" in report else []),
        *(test_rows(test_report) if test_report else
          ["## Test split", "", test_note, ""] if test_note else []),
    ]
    Path(out).write_text("\n".join(lines))
