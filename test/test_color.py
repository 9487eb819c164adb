"""The colour path around the network (split, chroma cleaning, merge, 8-bit output).

The float helpers (training, evaluation) give bit-identical results to their straightforward
numpy formulation, which they replaced for speed (OpenCV channel split/merge, in-place
arithmetic, one-pass 8-bit conversion). The runtime's 8-bit path (`color8`, used by the
pipeline) stays within 3 grey levels of that formulation, its luminance within 0.02."""

import cv2
import numpy as np
import pytest

from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.bounding import enlarge, shrink
from textfusion_ros.imaging.color import (
    clean_chroma,
    merge_luma,
    split_luma,
    to_uint8,
    to_unit_float,
)
from textfusion_ros.imaging.color8 import merge_fused, split_for_fusion
from textfusion_ros.imaging.image_codec import AgcConfig
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame
from textfusion_ros.pipeline import finish_pair, prepare_pair


# The reference: the formulation the fast functions replaced, kept here as the oracle.
def reference_unit(image):
    scale = 255.0 if image.dtype == np.uint8 else 65535.0
    return image.astype(np.float32) / scale


def reference_split(vis_bgr):
    ycrcb = cv2.cvtColor(vis_bgr.astype(np.float32), cv2.COLOR_BGR2YCrCb)
    return np.ascontiguousarray(ycrcb[..., 0]), np.ascontiguousarray(ycrcb[..., 1:])


def reference_clean(crcb, vis_y, dark=0.03, lit=0.12):
    def quarter(image):
        h, w = image.shape[:2]
        for _ in range(2):
            w, h = max(1, w // 2), max(1, h // 2)
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        return image

    h, w = vis_y.shape
    c = cv2.GaussianBlur(quarter(crcb), (0, 0), 0.5)
    y = cv2.GaussianBlur(quarter(vis_y), (0, 0), 0.5)
    saturation = np.clip((y - dark) / (lit - dark), 0.0, 1.0)[..., None]
    c = 0.5 + (c - 0.5) * saturation
    return cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR)


def reference_merge(y, crcb):
    y = np.clip(y.astype(np.float32), 0.0, 1.0)
    if crcb is None:
        return y
    bgr = cv2.cvtColor(np.dstack([y, crcb]).astype(np.float32), cv2.COLOR_YCrCb2BGR)
    return np.clip(bgr, 0.0, 1.0)


def reference_uint8(image):
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def visible_images():
    rng = np.random.default_rng(7)
    images = [generate_frame(SceneConfig(height=96, width=128), i)[1] for i in range(2)]
    images += [rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
               for h, w in ((37, 53), (1, 1), (2, 3), (64, 81))]
    images.append((rng.random((40, 48, 3)) * 30).astype(np.uint8))  # dark: chroma fades
    return images


@pytest.mark.parametrize("index", range(7))
def test_colour_path_is_bit_identical_to_the_reference(index):
    vis = visible_images()[index]
    unit = to_unit_float(vis)
    assert unit.dtype == np.float32 and np.array_equal(unit, reference_unit(vis))
    y, crcb = split_luma(unit)
    ref_y, ref_crcb = reference_split(unit)
    assert np.array_equal(y, ref_y) and np.array_equal(crcb, ref_crcb)
    cleaned = clean_chroma(crcb.copy(), y)
    assert np.array_equal(cleaned, reference_clean(ref_crcb, ref_y))
    rng = np.random.default_rng(index)
    fused_y = (y * 1.3 - 0.1 + rng.normal(0, 0.1, y.shape)).astype(np.float32)  # beyond [0, 1]
    merged = merge_luma(fused_y, cleaned)
    assert np.array_equal(merged, reference_merge(fused_y, cleaned))
    assert np.array_equal(to_uint8(merged), reference_uint8(merged))
    assert np.array_equal(merge_luma(fused_y, None), reference_merge(fused_y, None))


def test_to_uint8_rounds_and_clips_like_numpy():
    rng = np.random.default_rng(3)
    halves = (np.arange(256, dtype=np.float32) + 0.5) / 255  # ties: round half to even
    values = np.concatenate([rng.random(100_000, dtype=np.float32) * 1.6 - 0.3, halves,
                             np.arange(256, dtype=np.float32) / 255])
    assert np.array_equal(to_uint8(values.reshape(1, -1)), reference_uint8(values.reshape(1, -1)))
    for shape in ((5, 7), (5, 7, 1), (4, 4, 3), (3, 3, 4)):
        image = (rng.random(shape) * 1.4 - 0.2).astype(np.float32)
        assert to_uint8(image).shape == shape
        assert np.array_equal(to_uint8(image), reference_uint8(image))
    doubles = rng.random((20, 20))  # float64 keeps numpy's path
    assert np.array_equal(to_uint8(doubles), reference_uint8(doubles))


@pytest.mark.parametrize("index", range(7))
def test_runtime_colour_path_stays_within_three_grey_levels_of_the_float_path(index):
    vis = visible_images()[index]
    ref_y, ref_crcb = reference_split(reference_unit(vis))
    ref_crcb = reference_clean(ref_crcb, ref_y)
    y, ycrcb = split_for_fusion(vis)
    assert y.dtype == np.float32 and ycrcb.dtype == np.uint8 and ycrcb.shape == vis.shape
    assert np.abs(y - ref_y).max() * 255 < 0.02  # the network's input: unchanged
    # the cleaned chroma (8-bit YCrCb centres it on 128, not 127.5): rounded at quarter size
    # (0.5), then enlarged with OpenCV's 11-bit fixed-point weights (0.5 more, plus up to
    # 0.25 from the weights' own rounding)
    assert np.abs(ycrcb[..., 1:] - (ref_crcb * 255 + 0.5)).max() <= 1.25
    rng = np.random.default_rng(index)
    fused_y = (ref_y * 1.3 - 0.1 + rng.normal(0, 0.1, ref_y.shape)).astype(np.float32)
    fused = merge_fused(fused_y, ycrcb)
    reference = reference_uint8(reference_merge(fused_y, ref_crcb))
    assert fused.dtype == np.uint8 and fused.shape == vis.shape
    assert np.abs(fused.astype(int) - reference).max() <= 3


def test_runtime_grey_path_is_bit_identical():
    vis = visible_images()[0][..., 1]
    y, ycrcb = split_for_fusion(vis)
    assert ycrcb is None and np.array_equal(y, reference_unit(vis))
    fused_y = (y * 1.3 - 0.1).astype(np.float64)  # beyond [0, 1], and not float32
    assert np.array_equal(merge_fused(fused_y, None),
                          reference_uint8(reference_merge(fused_y, None)))


@pytest.mark.parametrize("grey", [False, True])
@pytest.mark.parametrize("max_pixels", [FusionConfig().max_pixels, 1000])
def test_prepared_pair_follows_the_float_path(grey, max_pixels):
    ir, vis = generate_frame(SceneConfig(height=64, width=80, ir_bits=16), 1)
    vis = np.ascontiguousarray(vis[..., 1]) if grey else vis
    before = vis.copy()
    pair = prepare_pair(ir, vis, AgcConfig(), max_pixels)
    assert pair.reduced == (max_pixels == 1000) and pair.shape == (64, 80)
    assert (pair.ycrcb is None) == grey
    ref_y, ref_crcb = reference_split(reference_unit(vis)) if not grey else (
        reference_unit(vis), None)
    if not pair.reduced:
        assert np.abs(pair.vis_y - ref_y).max() * 255 < 0.02
    fused = finish_pair(pair, pair.vis_y)
    ref_y = enlarge(shrink(ref_y, pair.vis_y.shape), pair.shape) if pair.reduced else ref_y
    ref_crcb = None if grey else reference_clean(ref_crcb, reference_split(reference_unit(vis))[0])
    reference = reference_uint8(reference_merge(ref_y, ref_crcb))
    assert fused.dtype == np.uint8 and fused.shape == vis.shape
    assert np.abs(fused.astype(int) - reference).max() <= (0 if grey else 3)
    assert np.array_equal(vis, before)
