"""Synthetic, registered infrared/visible road scenes for demos and tests (no real images).

The static background (sky, buildings with windows and signs, pavement, road) is built once
per config and cached; each frame only draws the moving pedestrians and cars. Warm objects are
bright in IR and dark, low-contrast in VIS. IR is a temperature map in [0, 1] quantised to
mono8, or to mono16 raw counts in [IR16_LOW, IR16_HIGH] that need gain control to be viewed.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.degradations import get_degradation
from textfusion_ros.imaging.imageio import write_image

IR16_LOW, IR16_HIGH = 20000, 30000
PAVEMENT_TOP, ROAD_TOP, LANE_Y = 0.55, 0.63, 0.80  # fractions of the height
_SHIFT = 4  # sub-pixel bits for cv2 drawing, so motion is smooth
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class SceneConfig:
    """Scene size, object counts, seed, IR bit depth (8 or 16) and a VIS illumination gain."""

    height: int = 256
    width: int = 320
    n_pedestrians: int = 3
    n_cars: int = 2
    seed: int = 0
    ir_bits: int = 8
    illumination: float = 1.0

    def __post_init__(self) -> None:
        if self.ir_bits not in (8, 16):
            raise ValueError(f"ir_bits must be 8 or 16, not {self.ir_bits}")
        if self.height < 32 or self.width < 32:
            raise ValueError("scene must be at least 32×32")


@dataclass(frozen=True)
class _Actor:
    kind: str  # "pedestrian" or "car"
    x0: float  # pixels, position at frame 0 on the wrapped track
    margin: float  # pixels off-screen on either side before the actor wraps round
    speed: float  # pixels per frame, signed
    foot_y: float  # pixels
    sway: float  # amplitude of slow vertical drift, pixels
    phase: float
    colour: tuple[float, float, float]  # VIS BGR, 0–255
    warmth: float  # IR body temperature in [0, 1]


@dataclass(frozen=True)
class _Scene:
    ir: np.ndarray  # float32 H×W, read-only
    vis: np.ndarray  # uint8 H×W×3, read-only
    actors: tuple[_Actor, ...]  # far to near


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x * _ONE), round(y * _ONE)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Band-limited noise in about [-1, 1]: a coarse random grid upsampled bicubically."""
    grid = rng.uniform(-1.0, 1.0, (cells, max(2, cells * w // h))).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Multi-octave texture in about [-1, 1]."""
    octaves = [(_smooth_noise(rng, h, w, cells), 0.5 ** i)
               for i, cells in enumerate((4, 12, 40, max(h // 3, 41)))]
    return sum(n * a for n, a in octaves) / sum(a for _, a in octaves)


def _draw_building(vis: np.ndarray, ir: np.ndarray, rng: np.random.Generator,
                   x0: int, x1: int, top: int, bottom: int) -> None:
    h = vis.shape[0]
    colour = rng.uniform(0.25, 0.55) * np.array([0.8, 0.95, 1.1]) * rng.uniform(0.85, 1.15, 3)
    vis[top:bottom, x0:x1] = colour
    heat = rng.uniform(0.30, 0.40)
    ir[top:bottom, x0:x1] = heat + 0.05 * np.linspace(0, 1, bottom - top)[:, None]
    cv2.rectangle(vis, (x0, top), (x1 - 1, bottom - 1), tuple(colour * 0.6), 1)
    win = max(3, h // 40)
    step_x, step_y = win * 2 + rng.integers(0, win), win * 3
    for y in range(top + win, bottom - 2 * win, step_y):
        for x in range(x0 + win, x1 - 2 * win, step_x):
            lit = rng.random() < 0.3
            shade = (0.45, 0.75, 0.9) if lit else tuple(colour * 0.35)
            cv2.rectangle(vis, (x, y), (x + win, y + win + win // 2), shade, -1)
            cv2.rectangle(ir, (x, y), (x + win, y + win + win // 2),
                          heat + (0.06 if lit else -0.04), -1)
    if x1 - x0 > 8 * win and rng.random() < 0.7:
        _draw_sign(vis, rng, x0 + win, bottom - 3 * win, x1 - win)


def _draw_sign(vis: np.ndarray, rng: np.random.Generator, x0: int, y: int, x1: int) -> None:
    """A shop sign with random text: fine VIS detail that IR does not show."""
    scale = max(0.5, vis.shape[0] / 512)
    n = max(3, int((x1 - x0) / (10 * scale)))
    text = "".join(rng.choice(list(string.ascii_uppercase + "  "), n))
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_PLAIN, scale, 1)
    board = tuple(rng.uniform(0.1, 0.9, 3))
    cv2.rectangle(vis, (x0, y - th - 4), (x0 + tw + 4, y + 2), board, -1)
    ink = 0.95 if sum(board) < 1.5 else 0.05
    mask = np.zeros((th + 6, tw + 4), np.uint8)  # putText draws on 8-bit images only
    cv2.putText(mask, text, (2, th + 4), cv2.FONT_HERSHEY_PLAIN, scale, 255, 1, cv2.LINE_AA)
    patch = vis[y - th - 4:y + 2, x0:x0 + tw + 4]
    alpha = (mask[:patch.shape[0], :patch.shape[1], None] / 255.0).astype(np.float32)
    patch[:] = patch * (1.0 - alpha) + ink * alpha


def _background(config: SceneConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Static (ir float32 H×W, vis float32 BGR H×W×3), both in [0, 1]."""
    h, w = config.height, config.width
    pave, road, lane = int(PAVEMENT_TOP * h), int(ROAD_TOP * h), int(LANE_Y * h)
    rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    vis = np.empty((h, w, 3), np.float32)
    ir = np.empty((h, w), np.float32)

    t = rows[:pave] / PAVEMENT_TOP
    vis[:pave] = np.array([0.50, 0.36, 0.24]) + t[..., None] * np.array([0.08, 0.16, 0.24])
    ir[:pave] = 0.06 + 0.12 * t
    vis[pave:road] = (0.50, 0.52, 0.53)
    ir[pave:road] = 0.42
    t = (rows[road:] - ROAD_TOP) / (1.0 - ROAD_TOP)
    vis[road:] = 0.25 + 0.07 * t[..., None]
    ir[road:] = 0.48 + 0.12 * t

    x = 0
    while x < w:
        width = int(rng.integers(w // 10, w // 4))
        top = int(rng.uniform(0.10, 0.38) * h)
        _draw_building(vis, ir, rng, x, min(x + width, w), top, pave)
        x += width + int(rng.integers(0, w // 30 + 1))

    for x in range(0, w, max(8, w // 16)):  # pavement slabs
        cv2.line(vis, (x, pave), (x, road), (0.40, 0.41, 0.42), 1)
    cv2.line(vis, (0, road), (w, road), (0.75, 0.75, 0.75), max(1, h // 128))  # kerb
    cv2.line(ir, (0, road), (w, road), 0.46, max(1, h // 128))
    dash = max(8, w // 10)
    for x in range(dash // 4, w, 2 * dash):  # lane marking, paint slightly cooler
        cv2.rectangle(vis, (x, lane), (x + dash, lane + max(2, h // 80)), (0.85, 0.85, 0.8), -1)
        cv2.rectangle(ir, (x, lane), (x + dash, lane + max(2, h // 80)), 0.5, -1)

    vis += (0.06 * _texture(rng, h, w))[..., None]
    vis += rng.normal(0.0, 0.015, vis.shape).astype(np.float32)
    ir += 0.02 * _smooth_noise(rng, h, w, 5)
    yy, xx = np.ogrid[-1.0:1.0:h * 1j, -1.0:1.0:w * 1j]
    ir -= (0.04 * (xx ** 2 + yy ** 2) / 2.0).astype(np.float32)  # lens vignetting
    ir = cv2.GaussianBlur(ir, (0, 0), max(1.0, h / 256))
    return np.clip(ir, 0.0, 1.0), np.clip(vis, 0.0, 1.0)


def _scale_at(config: SceneConfig, foot_y: float) -> float:
    """Apparent size factor: objects lower in the image are nearer, hence bigger."""
    depth = (foot_y / config.height - PAVEMENT_TOP) / (1.0 - PAVEMENT_TOP)
    return 0.45 + 0.75 * depth


def _actors(config: SceneConfig, rng: np.random.Generator) -> tuple[_Actor, ...]:
    h, w = config.height, config.width
    unit = w / 320
    actors = []
    for _ in range(config.n_pedestrians):
        clothing = rng.uniform(45, 85) * rng.uniform(0.8, 1.2, 3)  # close to the asphalt grey
        speed = rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 1.5) * unit
        actors.append(_Actor(
            "pedestrian", rng.uniform(0, w), 0.1 * h, speed, rng.uniform(0.58, 0.95) * h,
            rng.uniform(0.0, 0.02) * h, rng.uniform(0, 2 * math.pi), tuple(clothing),
            rng.uniform(0.78, 0.9)))
    lanes = ((0.76 * h, -rng.uniform(1.5, 3.0) * unit), (0.95 * h, rng.uniform(1.5, 3.0) * unit))
    for i in range(config.n_cars):
        foot_y, speed = lanes[i % 2]
        slot = (i // 2) / max(1, (config.n_cars + 1) // 2)
        paint = rng.uniform(20, 80) * rng.uniform(0.75, 1.25, 3)  # dark, muted
        actors.append(_Actor(
            "car", (slot + rng.uniform(0.0, 0.2)) * (w + 0.6 * h), 0.3 * h, speed, foot_y,
            0.0, 0.0, tuple(paint), rng.uniform(0.66, 0.74)))
    return tuple(sorted(actors, key=lambda a: a.foot_y))


@functools.lru_cache(maxsize=8)
def _scene(config: SceneConfig) -> _Scene:
    background_rng, actor_rng = np.random.default_rng(config.seed).spawn(2)
    ir, vis = _background(config, background_rng)
    vis8 = to_uint8(vis)
    ir.flags.writeable = False
    vis8.flags.writeable = False
    return _Scene(ir, vis8, _actors(config, actor_rng))


def _draw_pedestrian(vis: np.ndarray, ir: np.ndarray, actor: _Actor, x: float, foot: float,
                     size: float, travelled: float) -> None:
    swing = 0.1 * size * math.sin(2 * math.pi * travelled / (0.7 * size))
    thick = max(1, round(0.07 * size))
    skin = tuple(0.6 * c for c in actor.colour)
    for dx in (swing, -swing):  # a leg and the opposite arm per side
        for img, value in ((vis, actor.colour), (ir, actor.warmth - 0.05)):
            cv2.line(img, _pt(x, foot - 0.45 * size), _pt(x + dx, foot), value, thick,
                     cv2.LINE_AA, _SHIFT)
            cv2.line(img, _pt(x, foot - 0.78 * size), _pt(x - dx, foot - 0.45 * size), value,
                     max(1, thick - 1), cv2.LINE_AA, _SHIFT)
    axes = _pt(0.12 * size, 0.2 * size)
    head = round(0.08 * size * _ONE)
    for img, body, face in ((vis, actor.colour, skin), (ir, actor.warmth, actor.warmth + 0.08)):
        cv2.ellipse(img, _pt(x, foot - 0.6 * size), axes, 0, 0, 360, body, -1, cv2.LINE_AA, _SHIFT)
        cv2.circle(img, _pt(x, foot - 0.89 * size), head, face, -1, cv2.LINE_AA, _SHIFT)


def _draw_car(vis: np.ndarray, ir: np.ndarray, actor: _Actor, x: float, foot: float,
              size: float) -> None:
    length, front = 2.5 * size, math.copysign(1.0, actor.speed)
    left, right = x - length / 2, x + length / 2
    cabin = [(x - 0.3 * length, foot - 0.7 * size), (x - 0.2 * length, foot - size),
             (x + 0.2 * length, foot - size), (x + 0.3 * length, foot - 0.7 * size)]
    glass = [(cx * 0.8 + x * 0.2, cy + 0.06 * size) for cx, cy in cabin]
    body = (_pt(left, foot - 0.72 * size), _pt(right, foot - 0.15 * size))
    hood = (_pt(x + front * 0.3 * length, foot - 0.7 * size),
            _pt(x + front * 0.5 * length, foot - 0.2 * size))
    lamp = (_pt(x + front * 0.47 * length, foot - 0.6 * size),
            _pt(x + front * 0.5 * length, foot - 0.5 * size))
    tail = (_pt(x - front * 0.5 * length, foot - 0.6 * size),
            _pt(x - front * 0.47 * length, foot - 0.5 * size))
    wheels = [_pt(x + s * 0.3 * length, foot - 0.17 * size) for s in (-1, 1)]
    radius = round(0.17 * size * _ONE)
    layers = ((vis, actor.colour, None, (20, 20, 25), (15, 15, 15), (170, 230, 240), (30, 30, 160)),
              (ir, actor.warmth, actor.warmth + 0.15, 0.3, actor.warmth + 0.2, None, None))
    for img, paint, engine, window, tyre, head, rear in layers:
        cv2.fillPoly(img, [np.array([_pt(*p) for p in cabin])], paint, cv2.LINE_AA, _SHIFT)
        cv2.fillPoly(img, [np.array([_pt(*p) for p in glass])], window, cv2.LINE_AA, _SHIFT)
        cv2.rectangle(img, *body, paint, -1, cv2.LINE_AA, _SHIFT)
        if engine is not None:
            cv2.rectangle(img, *hood, engine, -1, cv2.LINE_AA, _SHIFT)
        for centre in wheels:
            cv2.circle(img, centre, radius, tyre, -1, cv2.LINE_AA, _SHIFT)
        if head is not None:
            cv2.rectangle(img, *lamp, head, -1, cv2.LINE_AA, _SHIFT)
            cv2.rectangle(img, *tail, rear, -1, cv2.LINE_AA, _SHIFT)


def _placements(config: SceneConfig, index: int) -> Iterator[tuple[_Actor, float, float, float]]:
    """(actor, x, foot y, drawing size) of every actor in frame `index`, far to near."""
    scene = _scene(config)
    h, w = config.height, config.width
    for actor in scene.actors:
        x = (actor.x0 + actor.speed * index) % (w + 2 * actor.margin) - actor.margin
        foot = actor.foot_y + actor.sway * math.sin(0.05 * index + actor.phase)
        scale = _scale_at(config, foot)
        yield actor, x, foot, (0.26 if actor.kind == "pedestrian" else 0.17) * h * scale


def object_boxes(config: SceneConfig, index: int,
                 min_visible: float = 0.3) -> list[tuple[str, float, float, float, float]]:
    """Ground-truth boxes of frame `index`: (COCO class "person" or "car", x1, y1, x2, y2) in
    pixels, clipped to the frame; objects with less than `min_visible` of their box inside the
    frame are left out. Occlusion between objects is not accounted for."""
    boxes = []
    for actor, x, foot, size in _placements(config, index):
        if actor.kind == "pedestrian":
            half, top, label = 0.15 * size, foot - 0.97 * size, "person"
        else:
            half, top, label = 1.25 * size, foot - size, "car"
        x1, x2 = x - half, x + half
        cx1, cx2 = max(0.0, x1), min(float(config.width), x2)
        cy1, cy2 = max(0.0, top), min(float(config.height), foot)
        if cx2 <= cx1 or cy2 <= cy1:
            continue
        if (cx2 - cx1) * (cy2 - cy1) < min_visible * (x2 - x1) * (foot - top):
            continue
        boxes.append((label, float(cx1), float(cy1), float(cx2), float(cy2)))
    return boxes


def _render(config: SceneConfig, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame `index` as (IR temperature float32 in [0, 1], VIS uint8 BGR)."""
    scene = _scene(config)
    ir, vis = scene.ir.copy(), scene.vis.copy()
    h = config.height
    for actor, x, foot, size in _placements(config, index):
        if actor.kind == "pedestrian":
            _draw_pedestrian(vis, ir, actor, x, foot, size, abs(actor.speed * index))
        else:
            _draw_car(vis, ir, actor, x, foot, size)
    ir = cv2.GaussianBlur(ir, (0, 0), max(0.8, h / 400))
    if config.illumination != 1.0:
        vis = cv2.convertScaleAbs(vis, alpha=config.illumination)
    return np.clip(ir, 0.0, 1.0), vis


def generate_frame(config: SceneConfig, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame `index` as (IR uint8 or uint16 H×W, VIS uint8 BGR H×W×3); deterministic."""
    ir, vis = _render(config, index)
    if config.ir_bits == 8:
        return to_uint8(ir), vis
    counts = IR16_LOW + ir * (IR16_HIGH - IR16_LOW)
    return np.rint(counts).astype(np.uint16), vis


def generate_sequence(config: SceneConfig,
                      frames: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Frames 0 … frames−1 of the scene, as `generate_frame` returns them."""
    for index in range(frames):
        yield generate_frame(config, index)


def write_sequence(out_dir: str | Path, config: SceneConfig, frames: int,
                   degradation: str | None = None) -> list[str]:
    """Write out_dir/ir/<stem>.png and out_dir/vis/<stem>.png; return the stems.

    With a `degradation` name, its evaluation setting is applied to the float frames and both
    sources are written as 8-bit (whatever `ir_bits` says); its noise is seeded by `config.seed`.
    """
    out_dir = Path(out_dir)
    degrade = None if degradation is None else get_degradation(degradation)
    rng = np.random.default_rng(config.seed)
    stems = []
    for index in range(frames):
        if degrade is None:
            ir, vis = generate_frame(config, index)
        else:
            ir_f, vis8 = _render(config, index)
            ir_f, vis_f = degrade.evaluate(ir_f, to_unit_float(vis8), rng)
            ir, vis = to_uint8(ir_f), to_uint8(vis_f)
        stem = f"frame_{index:04d}"
        write_image(out_dir / "ir" / f"{stem}.png", ir)
        write_image(out_dir / "vis" / f"{stem}.png", vis)
        stems.append(stem)
    return stems
