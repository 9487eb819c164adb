"""Classic fusion baselines: shapes, dtypes, no stretching, and the fusion rules themselves."""

import numpy as np
import pytest

from textfusion_ros.baselines import BASELINES, average, laplacian_pyramid, maximum
from textfusion_ros.imaging.color import split_luma, to_unit_float


@pytest.fixture
def pair() -> tuple[np.ndarray, np.ndarray]:
    """Odd-sized IR (uint16) and colour visible (uint8) images."""
    rng = np.random.default_rng(2)
    ir = rng.integers(0, 65536, (37, 51), dtype=np.uint16)
    vis = rng.integers(0, 256, (37, 51, 3), dtype=np.uint8)
    return ir, vis


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_shapes_and_dtypes(name: str, pair: tuple[np.ndarray, np.ndarray]) -> None:
    ir, vis = pair
    fused = BASELINES[name](ir, vis)
    assert fused.dtype == np.uint8 and fused.shape == vis.shape
    grey = BASELINES[name](ir, vis[..., 1])
    assert grey.dtype == np.uint8 and grey.shape == vis.shape[:2]
    with pytest.raises(ValueError):
        BASELINES[name](ir[:-1], vis)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_no_contrast_stretch(name: str) -> None:
    ir = np.full((9, 12), 0.4, np.float32)
    ir[3:6, 4:8] = 0.5
    vis = np.full((9, 12), 110, np.uint8)
    fused = BASELINES[name](ir, vis)
    assert 90 <= fused.min() and fused.max() <= 130


def test_average_and_maximum_rules(pair: tuple[np.ndarray, np.ndarray]) -> None:
    ir, vis = pair
    grey_vis = vis[..., 0]
    ir_f = to_unit_float(ir)
    vis_f = to_unit_float(grey_vis)
    mean = average(ir, grey_vis)
    high = maximum(ir, grey_vis)
    np.testing.assert_allclose(mean / 255.0, (ir_f + vis_f) / 2, atol=0.5 / 255 + 1e-6)
    np.testing.assert_allclose(high / 255.0, np.maximum(ir_f, vis_f), atol=0.5 / 255 + 1e-6)
    assert np.all(high >= mean)
    y_mean, _ = split_luma(to_unit_float(average(ir, vis)))
    y_high, _ = split_luma(to_unit_float(maximum(ir, vis)))
    assert np.all(y_high >= y_mean - 1.5 / 255)


def test_colour_keeps_visible_chroma(pair: tuple[np.ndarray, np.ndarray]) -> None:
    ir, vis = pair
    neutral = np.repeat(vis[..., :1], 3, axis=2)
    fused = maximum(ir, neutral)
    assert np.abs(fused.astype(int) - fused[..., :1]).max() <= 1  # grey stays grey


def split_grey(vis: np.ndarray) -> np.ndarray:
    """The visible luminance as float32 in [0, 1]."""
    return split_luma(to_unit_float(vis))[0]


@pytest.mark.parametrize("levels", [1, 4, 8])
def test_laplacian_reproduces_identical_inputs(levels: int,
                                               pair: tuple[np.ndarray, np.ndarray]) -> None:
    _, vis = pair
    grey = vis[..., 2]
    fused = laplacian_pyramid(grey, grey, levels=levels)
    assert np.abs(fused.astype(int) - grey).max() <= 1
    colour = laplacian_pyramid(split_grey(vis), vis, levels=levels)
    assert np.abs(colour.astype(int) - vis).max() <= 1


def test_laplacian_keeps_the_stronger_detail() -> None:
    ir = np.full((32, 32), 0.5, np.float32)
    vis = np.full((32, 32), 0.5, np.float32)
    ir[10:20, 10:20] = 0.9
    fused = laplacian_pyramid(ir, (vis * 255).astype(np.uint8)).astype(float) / 255
    assert fused[15, 15] > 0.8 and abs(fused[1, 1] - 0.5) < 0.05
    with pytest.raises(ValueError):
        laplacian_pyramid(ir, vis, levels=0)
