"""A visible camera at night, synthesised from a daytime image.

Everything happens in linear light (display gamma undone, re-applied at the end):

1. the scene is darkened by an ambient exposure factor (log-uniform, 0.01–0.3 by default) and
   lit locally by artificial light: each street lamp or headlight lights a pool of the scene
   around it (the "well lit" areas where the visible camera still sees texture) and appears
   itself as a saturated core with bloom; the ambient light may carry a warm or cool colour
   cast;
2. optional motion blur;
3. signal-dependent sensor noise: Poisson–Gaussian (shot noise with variance ∝ signal, plus
   read noise), row and column offsets, and low-frequency chroma noise;
4. digital gain (the camera's auto-exposure: the sensor saw 1/gain of the light, so the gain
   amplifies its noise too), gamma, optional in-camera noise reduction (an edge-preserving
   bilateral filter, as most camera pipelines apply at night), 8-bit quantisation and optional
   JPEG compression.

`synthesize_night` returns the noisy night image together with the same night without noise
(what a perfect night camera would show) and the local signal-to-noise ratio of the luminance,
which training uses to decide where the visible is trustworthy. Images are float32 BGR (or
grey) in [0, 1]; the input is never modified. Every parameter is a field of `NightConfig`,
which the training YAML exposes as its `night:` section.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import cv2
import numpy as np

WARM_CAST = (0.55, 0.8, 1.0)   # BGR multipliers: sodium-lamp orange
COOL_CAST = (1.0, 0.93, 0.8)   # BGR multipliers: LED / moonlight blue
LAMP_COLOURS = ((0.35, 0.7, 1.0), (1.0, 0.95, 0.85), (0.9, 0.95, 1.0))  # warm, cool, white


@dataclass(frozen=True)
class NightConfig:
    """Parameters of the night synthesis (ranges are sampled uniformly unless noted)."""

    gamma: float = 2.2
    """Display gamma undone before, and re-applied after, the light simulation."""
    exposure: tuple[float, float] = (0.01, 0.3)
    """Ambient exposure factor in linear light (sampled log-uniformly)."""
    lamps_mean: float = 1.5
    """Mean number of artificial light sources (Poisson)."""
    lamp_core: tuple[float, float] = (0.004, 0.015)
    """Radius of a lamp's saturated core, as a fraction of the image width."""
    lamp_pool: tuple[float, float] = (0.08, 0.3)
    """Radius (Gaussian σ) of the pool of light a lamp casts, as a fraction of the width."""
    lamp_pool_light: tuple[float, float] = (0.03, 0.5)
    """Illumination at a pool's centre, as a fraction of daylight."""
    bloom: tuple[float, float] = (0.05, 0.6)
    """Peak linear intensity of a lamp's bloom (a wide halo around the core)."""
    cast_prob: tuple[float, float] = (0.45, 0.2)
    """Probabilities of a warm and of a cool ambient colour cast (else neutral)."""
    motion_blur_prob: float = 0.2
    motion_blur_length: tuple[int, int] = (3, 9)
    """Motion-blur kernel length in pixels."""
    shot_noise: tuple[float, float] = (2e-4, 3e-3)
    """Shot-noise variance per unit of linear signal (Poisson, Gaussian approximation)."""
    read_noise: tuple[float, float] = (5e-4, 4e-3)
    """Read-noise standard deviation in linear units."""
    line_noise: tuple[float, float] = (0.0, 0.3)
    """Row and column offset noise, relative to the read noise."""
    chroma_noise: tuple[float, float] = (0.0, 1.0)
    """Low-frequency per-channel noise (blotches), relative to the read noise."""
    digital_gain: tuple[float, float] = (1.0, 4.0)
    """Camera gain (sampled log-uniformly): the sensor sees the light divided by it."""
    denoise_prob: float = 0.5
    """Probability of in-camera noise reduction (bilateral filter, 5×5)."""
    denoise_strength: tuple[float, float] = (0.04, 0.12)
    """Its range (colour σ) in display units."""
    jpeg_prob: float = 0.3
    jpeg_quality: tuple[int, int] = (40, 90)

    @classmethod
    def from_dict(cls, data: dict | None) -> NightConfig:
        """Build from a mapping (YAML); unknown keys are an error naming them."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown night synthesis keys: {unknown}; known: {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass
class NightSample:
    """A synthesised night image, its noise-free version and its local luminance SNR."""

    noisy: np.ndarray
    clean: np.ndarray
    snr: np.ndarray


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]))))


def _luma(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    return image @ np.array([0.114, 0.587, 0.299], dtype=np.float32)


def _channels(image: np.ndarray) -> int:
    return 1 if image.ndim == 2 else image.shape[2]


def _lamps(shape: tuple[int, int], config: NightConfig, rng: np.random.Generator,
           channels: int) -> tuple[np.ndarray, np.ndarray]:
    """(illumination of the lamps' pools H×W, light of the lamps themselves H×W×C), linear."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    pools = np.zeros((h, w), np.float32)
    light = np.zeros((h, w, channels), np.float32)
    for _ in range(rng.poisson(config.lamps_mean)):
        headlight = rng.random() < 0.35
        cx = rng.uniform(0.05, 0.95) * w
        cy = (rng.uniform(0.45, 0.8) if headlight else rng.uniform(0.05, 0.55)) * h
        core = max(1.5, _uniform(rng, config.lamp_core) * w)
        pool = _uniform(rng, config.lamp_pool) * w
        # A lamp lights the ground below it, a headlight the road ahead of it.
        py = min(h - 1.0, cy + (0.5 if not headlight else 0.25) * pool)
        pools += _uniform(rng, config.lamp_pool_light) * np.exp(
            -((xx - cx) ** 2 + (yy - py) ** 2) / (2 * pool ** 2))
        r2 = (xx - cx) ** 2 + (yy - cy) ** 2
        glow = (8.0 * np.exp(-r2 / (2 * core ** 2))
                + _uniform(rng, config.bloom) * np.exp(-r2 / (2 * (4 * core) ** 2)))
        colour = np.array(LAMP_COLOURS[int(rng.integers(len(LAMP_COLOURS)))], np.float32)
        light += glow[..., None] * (colour[None, None, :channels] if channels == 3 else 1.0)
    return pools, light


def _motion_blur(image: np.ndarray, length: int, angle: float) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rotation = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    return cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6),
                        borderType=cv2.BORDER_REFLECT)


def _noise(signal: np.ndarray, config: NightConfig, rng: np.random.Generator) -> np.ndarray:
    """Poisson–Gaussian, row/column and chroma noise for a linear image."""
    h, w = signal.shape[:2]
    read = _uniform(rng, config.read_noise)
    shot = _uniform(rng, config.shot_noise)
    sigma = np.sqrt(shot * np.clip(signal, 0.0, None) + read ** 2)
    noise = sigma * rng.standard_normal(signal.shape, dtype=np.float32)
    line = _uniform(rng, config.line_noise) * read
    rows = line * rng.standard_normal((h, 1), dtype=np.float32)
    cols = line * rng.standard_normal((1, w), dtype=np.float32)
    offsets = rows + cols
    noise += offsets[..., None] if signal.ndim == 3 else offsets
    blotch = _uniform(rng, config.chroma_noise) * read
    if blotch > 0 and signal.ndim == 3:
        low = rng.standard_normal((max(1, h // 8), max(1, w // 8), signal.shape[2]),
                                  dtype=np.float32)
        noise += blotch * cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    return noise.astype(np.float32)


def _encode(linear: np.ndarray, gain: float, gamma: float) -> np.ndarray:
    return np.power(np.clip(gain * linear, 0.0, 1.0), 1.0 / gamma).astype(np.float32)


def _quantise(image: np.ndarray, rng: np.random.Generator, config: NightConfig,
              jpeg_quality: int | None) -> np.ndarray:
    q = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        ok, data = cv2.imencode(".jpg", q, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        if ok:
            q = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    return q.astype(np.float32) / 255.0


def synthesize_night(day: np.ndarray, rng: np.random.Generator,
                     config: NightConfig | None = None) -> NightSample:
    """A night version of a daytime visible image (float BGR or grey in [0, 1])."""
    config = config or NightConfig()
    day = np.clip(np.asarray(day, dtype=np.float32), 0.0, 1.0)
    channels = _channels(day)
    linear = np.power(day, config.gamma)
    exposure = _log_uniform(rng, config.exposure)
    gain = _log_uniform(rng, config.digital_gain)
    pools, lamp_light = _lamps(day.shape[:2], config, rng, channels)
    illumination = exposure + pools
    cast_draw = rng.random()
    warm, cool = config.cast_prob
    cast = (WARM_CAST if cast_draw < warm else COOL_CAST if cast_draw < warm + cool
            else (1.0, 1.0, 1.0))
    lit = linear * (illumination[..., None] if channels == 3 else illumination)
    if channels == 3:
        lit = lit * np.array(cast, np.float32)
    scene = (lit + (lamp_light if channels == 3 else lamp_light[..., 0])) / gain
    if rng.random() < config.motion_blur_prob:
        length = int(rng.integers(config.motion_blur_length[0], config.motion_blur_length[1] + 1))
        scene = _motion_blur(scene, length, float(rng.uniform(0.0, 180.0)))
    noise = _noise(scene, config, rng)
    jpeg = (int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
            if rng.random() < config.jpeg_prob else None)
    denoise = (_uniform(rng, config.denoise_strength) if rng.random() < config.denoise_prob
               else None)
    clean = _encode(scene, gain, config.gamma)
    noisy = _encode(scene + noise, gain, config.gamma)
    if denoise is not None:
        noisy = cv2.bilateralFilter(noisy, 5, denoise, 1.5)
    noisy = _quantise(noisy, rng, config, jpeg)
    # Local luminance SNR: smoothed clean luminance over the smoothed error of the delivered
    # image (noise left after noise reduction, quantisation and compression).
    luma_clean = _luma(clean)
    luma_noise = np.abs(_luma(noisy) - luma_clean)
    sigma = max(2.0, day.shape[1] / 160.0)
    local_signal = cv2.GaussianBlur(luma_clean, (0, 0), sigma)
    local_noise = cv2.GaussianBlur(luma_noise, (0, 0), sigma) * 1.2533 + 0.5 / 255.0
    snr = (local_signal / local_noise).astype(np.float32)
    return NightSample(noisy, clean, snr)


def smoothstep(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 below `low`, 1 above `high`, a smooth cubic between (float32)."""
    t = np.clip((np.asarray(x, dtype=np.float32) - low) / (high - low), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)
