"""Each prompt class of the shipped model does what it claims, on small synthetic scenes.

Not "the output changes" but the direction: thermal emphasis raises the correlation with the
infrared, visible texture raises the one with the visible, the IR-noise and over-exposure
prompts bring a degraded input's fusion closer to the clean fusion, the IR-low-contrast prompt
brings the infrared's structure back, and the low-light prompt brightens a synthetic night
without amplifying its noise.
"""

import numpy as np
import pytest

from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.degradations import ir_low_contrast, ir_noise, vis_overexposure
from textfusion_ros.imaging.night import synthesize_night
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame
from textfusion_ros.metrics import to_grey8
from textfusion_ros.metrics.night import flat_area_mask, flat_area_noise
from textfusion_ros.pipeline import FusionPipeline
from training.night_validation import psnr
from training.prompts import PROMPT_CLASSES

PROMPTS = {name: cls.train[0] for name, cls in PROMPT_CLASSES.items()}
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def fuse(shipped_model_path):
    pipeline = FusionPipeline(FusionConfig(model=str(shipped_model_path), backend="torch"))

    def run(name: str, ir: np.ndarray, vis: np.ndarray) -> np.ndarray:
        pipeline.set_prompt(PROMPTS[name])
        return pipeline.fuse(ir, vis)
    return run


def scenes():
    return [generate_frame(SceneConfig(height=128, width=160, seed=s), 0) for s in SEEDS]


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(to_grey8(a).ravel().astype(float),
                             to_grey8(b).ravel().astype(float))[0, 1])


@pytest.mark.parametrize("index", range(len(SEEDS)))
def test_thermal_and_visible_emphasis_pull_apart(fuse, index):
    ir, vis = scenes()[index]
    hot, keep = fuse("highlight_thermal", ir, vis), fuse("preserve_visible", ir, vis)
    assert corr(hot, ir) > corr(keep, ir) + 0.1
    assert corr(keep, vis) > corr(hot, vis) + 0.1


@pytest.mark.parametrize("index", range(len(SEEDS)))
def test_degradation_prompts_restore_towards_the_clean_fusion(fuse, index):
    ir, vis = scenes()[index]
    clean = fuse("default", ir, vis)
    noisy = to_uint8(ir_noise(to_unit_float(ir), np.random.default_rng(index)))
    assert psnr(fuse("ir_noise", noisy, vis), clean) > psnr(fuse("default", noisy, vis),
                                                            clean) + 1.0
    # Clipped highlights hold little to restore on these small scenes: the shipped models gain
    # +1.0 to +1.9 dB here (+6 to +7 dB on the RoadScene validation pairs), so the margin is
    # half a decibel, still far above any numerical difference.
    over = to_uint8(vis_overexposure(to_unit_float(vis), 1.2, 2.0))
    assert psnr(fuse("vis_overexposure", ir, over), clean) > psnr(fuse("default", ir, over),
                                                                  clean) + 0.5
    flat_ir = to_uint8(ir_low_contrast(to_unit_float(ir), 0.35))
    assert corr(fuse("ir_low_contrast", flat_ir, vis), ir) > corr(fuse("default", flat_ir, vis),
                                                                  ir)


def test_low_light_brightens_a_night_without_amplifying_noise(fuse):
    gains = []
    for index, (ir, vis) in enumerate(scenes()):
        clean = fuse("default", ir, vis)
        night = to_uint8(synthesize_night(to_unit_float(vis), np.random.default_rng(100 + index))
                         .noisy)
        default, low_light = fuse("default", ir, night), fuse("vis_low_light", ir, night)
        gains.append(to_grey8(low_light).mean() - to_grey8(default).mean())
        flat = flat_area_mask(clean)
        assert flat_area_noise(low_light, flat) <= 1.2 * flat_area_noise(clean, flat)
    # On average over the scenes; one of the three (seed 2) is not brightened (see README).
    assert np.mean(gains) > 10.0
