"""Validation at night: the validation pairs through the night synthesis, seeded and fixed.

- Default prompt against the Laplacian pyramid of the same night inputs, with every metric
  computed against the night sources, as a user sees them; the same on the quieter and the
  noisier half of the pairs (by the sensor noise they were given); and the same on the night
  before its sensor noise, which shows the metrics that reward passing the noise on.
- Low-light prompt (canonical and held-out paraphrases) against the default prompt, with the
  fusion of the clean daytime inputs (default prompt) as reference: PSNR and SSIM gains;
  flat-area noise relative to the reference's; thermal-target contrast relative to the
  default's; brightness gain in grey levels, on all nights and on the darker half (by the night
  visible's mean grey level); Qabf and SCD relative to the default's.
"""

from __future__ import annotations

import numpy as np

from textfusion_ros.baselines import laplacian_pyramid
from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.night import NightConfig, synthesize_night
from textfusion_ros.metrics import compute_metrics, mean_metrics, qabf, scd, ssim_pair, to_grey8
from textfusion_ros.metrics.night import (
    flat_area_mask,
    flat_area_noise,
    thermal_target_contrast,
    thermal_target_mask,
)
from textfusion_ros.pipeline import FusionPipeline

NIGHT_SEED = 2026
Pair = tuple[str, np.ndarray, np.ndarray]


def night_pairs(pairs: list[Pair], seed: int = NIGHT_SEED, config: NightConfig | None = None,
                noise_free: bool = False) -> list[Pair]:
    """Each pair with its visible image through the night synthesis (pair i: seed [seed, i]);
    `noise_free`: the same night before its sensor noise (same darkening, lamps and casts)."""
    out = []
    for i, (stem, ir, vis) in enumerate(pairs):
        sample = synthesize_night(to_unit_float(vis), np.random.default_rng([seed, i]), config)
        out.append((stem, ir, to_uint8(sample.clean if noise_free else sample.noisy)))
    return out


def _per_pair_against_pyramid(fused: list[np.ndarray], night: list[Pair]
                              ) -> dict[str, list[dict[str, float]]]:
    """Per-pair metrics of `fused` and of the Laplacian pyramid, against the night sources."""
    return {
        "textfusion": [compute_metrics(ir, vis, f)
                       for (_, ir, vis), f in zip(night, fused, strict=True)],
        "laplacian_pyramid": [compute_metrics(ir, vis, laplacian_pyramid(ir, vis))
                              for _, ir, vis in night],
    }


def _mean_tables(per_pair: dict[str, list[dict[str, float]]],
                 index: list[int] | None = None) -> dict:
    """Mean metrics of each method, over the pairs in `index` (default: all)."""
    return {method: mean_metrics([rows[i] for i in index] if index is not None else rows)
            for method, rows in per_pair.items()}


def sensor_noise(night: list[Pair], quiet: list[Pair]) -> list[float]:
    """Each night pair's sensor noise as delivered: std of the visible's grey levels minus
    those of its noise-free twin (after in-camera noise reduction and compression)."""
    return [float(np.std(to_grey8(vis).astype(np.float64) - to_grey8(clean)))
            for (_, _, vis), (_, _, clean) in zip(night, quiet, strict=True)]


def by_noise(per_pair: dict[str, list[dict[str, float]]], noise: list[float]) -> dict:
    """The night comparison on the quieter and the noisier half of the pairs (split at the
    median sensor noise), with each half's noise range in grey levels."""
    order = sorted(range(len(noise)), key=noise.__getitem__)
    halves = {"quieter": order[:len(order) // 2], "noisier": order[len(order) // 2:]}
    return {name: {"pairs": len(index),
                   "noise_std": [noise[index[0]], noise[index[-1]]],
                   "metrics": _mean_tables(per_pair, index)}
            for name, index in halves.items() if index}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((to_grey8(a).astype(np.float64) - to_grey8(b)) ** 2))
    return 10.0 * np.log10(255.0 ** 2 / max(mse, 1e-10))


def _fuse_all(pipeline: FusionPipeline, pairs: list[Pair], prompt: str) -> list[np.ndarray]:
    pipeline.set_prompt(prompt)
    return [pipeline.fuse(ir, vis) for _, ir, vis in pairs]


def _mean(values) -> float:
    return float(np.mean(list(values)))


def low_light_figures(night: list[Pair], reference: list[np.ndarray], default: list[np.ndarray],
                      low_light: list[np.ndarray]) -> dict[str, float]:
    """Low-light output against the default output on the same night pairs."""
    flat = [flat_area_mask(r) for r in reference]
    hot = [thermal_target_mask(ir) for _, ir, _ in night]

    def grey_mean(images: list[np.ndarray]) -> float:
        return _mean(to_grey8(i).mean() for i in images)

    night_grey = [to_grey8(vis).mean() for _, _, vis in night]
    darker = np.argsort(night_grey, kind="stable")[:max(1, len(night) // 2)]

    def quality(images: list[np.ndarray], fn) -> float:
        return _mean(fn(ir, vis, f) for (_, ir, vis), f in zip(night, images, strict=True))

    def contrast(images: list[np.ndarray]) -> float:
        return _mean(thermal_target_contrast(f, h) for f, h in zip(images, hot, strict=True))

    return {
        "psnr_gain_db": _mean(psnr(f, r) for f, r in zip(low_light, reference, strict=True))
        - _mean(psnr(f, r) for f, r in zip(default, reference, strict=True)),
        "ssim_gain": _mean(ssim_pair(f, r) for f, r in zip(low_light, reference, strict=True))
        - _mean(ssim_pair(f, r) for f, r in zip(default, reference, strict=True)),
        "flat_noise_ratio": _mean(flat_area_noise(f, m) for f, m in zip(low_light, flat,
                                                                        strict=True))
        / max(_mean(flat_area_noise(r, m) for r, m in zip(reference, flat, strict=True)), 1e-9),
        "thermal_contrast_ratio": contrast(low_light) / max(contrast(default), 1e-9),
        "brightness_gain": grey_mean(low_light) - grey_mean(default),
        "brightness_gain_darker_half": grey_mean([low_light[i] for i in darker])
        - grey_mean([default[i] for i in darker]),
        "qabf_ratio": quality(low_light, qabf) / max(quality(default, qabf), 1e-9),
        "scd_ratio": quality(low_light, scd) / max(quality(default, scd), 1e-9),
    }


def night_report(pipeline: FusionPipeline, pairs: list[Pair],
                 low_light_prompts: dict[str, str]) -> dict:
    """Night metrics table and the low-light figures of each prompt variant."""
    default_prompt = pipeline.model.default_prompt
    reference = _fuse_all(pipeline, pairs, default_prompt)
    night = night_pairs(pairs)
    default = _fuse_all(pipeline, night, default_prompt)
    quiet = night_pairs(pairs, noise_free=True)
    low_light = {name: low_light_figures(night, reference, default,
                                         _fuse_all(pipeline, night, prompt))
                 for name, prompt in low_light_prompts.items()}
    per_pair = _per_pair_against_pyramid(default, night)
    return {"seed": NIGHT_SEED, "metrics": _mean_tables(per_pair),
            "metrics_noise_free": _mean_tables(_per_pair_against_pyramid(
                _fuse_all(pipeline, quiet, default_prompt), quiet)),
            "by_noise": by_noise(per_pair, sensor_noise(night, quiet)),
            "low_light": low_light}
