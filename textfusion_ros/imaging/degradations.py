"""Degradation synthesis with clean targets (Text-IF style).

The network sees one degraded source plus a prompt naming the degradation and is trained
against the clean sources. Images are float32 in [0, 1]: IR H×W, VIS H×W×3 (BGR) or H×W.
Every function returns a new array and never modifies its input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

EVAL_LOW_LIGHT = {"gain": 0.3, "gamma": 1.8}
EVAL_OVEREXPOSURE = {"gain": 1.2, "gamma": 2.0}
EVAL_IR_NOISE = {"sigma": 20.0 / 255.0, "stripe_sigma": 0.0}
EVAL_LOW_CONTRAST = {"factor": 0.35, "offset": 0.0}

SourceFn = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _unit(image: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)


def vis_low_light(vis: np.ndarray, gain: float = 0.3, gamma: float = 1.8,
                  rng: np.random.Generator | None = None,
                  noise_sigma: float = 0.0) -> np.ndarray:
    """Darken: gain · vis^gamma, plus Gaussian sensor noise of `noise_sigma` (needs `rng`)."""
    out = np.float32(gain) * np.power(_unit(vis), np.float32(gamma))
    if noise_sigma > 0.0:
        if rng is None:
            raise ValueError("noise_sigma > 0 needs an rng")
        out = out + rng.normal(0.0, noise_sigma, out.shape).astype(np.float32)
    return np.clip(out, 0.0, 1.0)


def vis_overexposure(vis: np.ndarray, gain: float = 1.2, gamma: float = 2.0) -> np.ndarray:
    """Brighten: gain · (1 − (1 − vis)^gamma), clipped, so highlights saturate and flatten."""
    out = np.float32(gain) * (1.0 - np.power(1.0 - _unit(vis), np.float32(gamma)))
    return np.clip(out, 0.0, 1.0)


def ir_noise(ir: np.ndarray, rng: np.random.Generator, sigma: float = 20.0 / 255.0,
             stripe_sigma: float = 0.0) -> np.ndarray:
    """Add Gaussian noise of `sigma` and per-column stripe offsets of `stripe_sigma`, clipped."""
    ir = _unit(ir)
    noise = rng.normal(0.0, sigma, ir.shape).astype(np.float32)
    if stripe_sigma > 0.0:
        noise += rng.normal(0.0, stripe_sigma, ir.shape[-1]).astype(np.float32)
    return np.clip(ir + noise, 0.0, 1.0)


def ir_low_contrast(ir: np.ndarray, factor: float = 0.35, offset: float = 0.0) -> np.ndarray:
    """Compress contrast around the mean by `factor` and shift by `offset`, clipped."""
    ir = _unit(ir)
    mean = np.float32(ir.mean())
    return np.clip(mean + np.float32(factor) * (ir - mean) + np.float32(offset), 0.0, 1.0)


def _train_low_light(vis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gain U(0.15, 0.5), gamma U(1.4, 2.4), noise σ U(0, 0.02)."""
    return vis_low_light(vis, rng.uniform(0.15, 0.5), rng.uniform(1.4, 2.4), rng,
                         rng.uniform(0.0, 0.02))


def _train_overexposure(vis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gain U(1.05, 1.4), gamma U(1.5, 3.0)."""
    return vis_overexposure(vis, rng.uniform(1.05, 1.4), rng.uniform(1.5, 3.0))


def _train_ir_noise(ir: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """σ U(5, 30)/255, stripe σ U(0, 8)/255."""
    return ir_noise(ir, rng, rng.uniform(5.0, 30.0) / 255.0, rng.uniform(0.0, 8.0) / 255.0)


def _train_low_contrast(ir: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Factor U(0.2, 0.5), offset U(−0.1, 0.1)."""
    return ir_low_contrast(ir, rng.uniform(0.2, 0.5), rng.uniform(-0.1, 0.1))


@dataclass(frozen=True)
class Degradation:
    """A named degradation of one source ("ir" or "vis") with training and evaluation settings."""

    name: str
    source: str
    train: SourceFn
    fixed: SourceFn

    def sample(self, ir: np.ndarray, vis: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Degrade with a random strength from the training range; the other source is untouched."""
        return self._apply(self.train, ir, vis, rng)

    def evaluate(self, ir: np.ndarray, vis: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Degrade with the fixed evaluation setting; the other source is untouched."""
        return self._apply(self.fixed, ir, vis, rng)

    def _apply(self, fn: SourceFn, ir: np.ndarray, vis: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        if self.source == "ir":
            return fn(ir, rng), vis
        return ir, fn(vis, rng)


DEGRADATIONS: dict[str, Degradation] = {
    "vis_low_light": Degradation(
        "vis_low_light", "vis", _train_low_light,
        lambda vis, rng: vis_low_light(vis, **EVAL_LOW_LIGHT)),
    "vis_overexposure": Degradation(
        "vis_overexposure", "vis", _train_overexposure,
        lambda vis, rng: vis_overexposure(vis, **EVAL_OVEREXPOSURE)),
    "ir_noise": Degradation(
        "ir_noise", "ir", _train_ir_noise,
        lambda ir, rng: ir_noise(ir, rng, **EVAL_IR_NOISE)),
    "ir_low_contrast": Degradation(
        "ir_low_contrast", "ir", _train_low_contrast,
        lambda ir, rng: ir_low_contrast(ir, **EVAL_LOW_CONTRAST)),
}


def get_degradation(name: str) -> Degradation:
    """Look up a degradation by name; `KeyError` naming the known ones otherwise."""
    try:
        return DEGRADATIONS[name]
    except KeyError:
        known = ", ".join(sorted(DEGRADATIONS))
        raise KeyError(f"unknown degradation {name!r}; known: {known}") from None


def apply_degradation(name: str, ir: np.ndarray, vis: np.ndarray, rng: np.random.Generator,
                      evaluation: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Apply a named degradation: fixed evaluation setting or a random training strength."""
    degradation = get_degradation(name)
    if evaluation:
        return degradation.evaluate(ir, vis, rng)
    return degradation.sample(ir, vis, rng)
