"""Fusion metrics against hand-computed values and the community's conventions."""

import math

import cv2
import numpy as np
import pytest

from textfusion_ros.imaging.imageio import write_image
from textfusion_ros.metrics import (
    METRIC_NAMES,
    average_gradient,
    compute_metrics,
    entropy,
    evaluate_folders,
    format_table,
    mean_metrics,
    mutual_information,
    qabf,
    scd,
    spatial_frequency,
    ssim_sum,
    standard_deviation,
    to_grey8,
    vif,
)
from textfusion_ros.metrics.information import pair_mutual_information
from textfusion_ros.metrics.vif import vifp


@pytest.fixture
def textured() -> np.ndarray:
    """A 64×64 smooth random texture, uint8."""
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(64, 64))
    return cv2.normalize(cv2.GaussianBlur(noise, (0, 0), 2.0), None, 0, 255,
                         cv2.NORM_MINMAX).astype(np.uint8)


def test_grey_conventions() -> None:
    grey = np.array([[0, 7], [128, 255]], dtype=np.uint8)
    assert to_grey8(grey) is grey
    unit = np.array([[0.0, 0.5 / 255], [0.6 / 255, 1.0]])
    np.testing.assert_array_equal(to_grey8(unit), [[0, 0], [1, 255]])
    bgr = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(to_grey8(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    np.testing.assert_array_equal(to_grey8(bgr.astype(np.float32) / 255), to_grey8(bgr))
    np.testing.assert_array_equal(to_grey8(np.array([[0, 257, 65535]], np.uint16)), [[0, 1, 255]])
    with pytest.raises(ValueError):
        to_grey8(np.full((2, 2), 3.0))


def test_constant_image_has_no_information() -> None:
    flat = np.full((16, 16), 90, np.uint8)
    for metric in (entropy, standard_deviation, spatial_frequency, average_gradient):
        assert metric(flat) == 0.0


def test_entropy_counts_bits() -> None:
    two_levels = np.array([[0, 255], [255, 0]], np.uint8)
    assert entropy(two_levels) == pytest.approx(1.0)
    four_levels = np.array([[0, 1], [2, 3]], np.uint8)
    assert entropy(four_levels) == pytest.approx(2.0)


def test_sd_sf_ag_by_hand() -> None:
    image = np.array([[0, 2], [4, 6]], np.uint8)
    assert standard_deviation(image) == pytest.approx(math.sqrt(5.0))  # deviations ±3, ±1
    assert spatial_frequency(image) == pytest.approx(math.sqrt(2.0**2 + 4.0**2))
    assert average_gradient(image) == pytest.approx(math.sqrt((2.0**2 + 4.0**2) / 2))
    ramp = np.array([[0, 3, 6], [0, 3, 6], [0, 3, 6]], np.uint8)
    assert spatial_frequency(ramp) == pytest.approx(3.0)
    assert average_gradient(ramp) == pytest.approx(3.0 / math.sqrt(2.0))


def test_mutual_information_by_hand(textured: np.ndarray) -> None:
    ir = np.array([[0, 0], [9, 9]], np.uint8)
    fused = np.array([[0, 9], [0, 9]], np.uint8)  # independent of ir, one bit of information
    assert pair_mutual_information(ir, fused) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information(ir, fused, fused) == pytest.approx(math.log(2.0))
    entropy_nats = entropy(textured) * math.log(2.0)
    assert pair_mutual_information(textured, textured) == pytest.approx(entropy_nats)


def test_scd_correlations(textured: np.ndarray) -> None:
    ir = textured // 2
    vis = np.ascontiguousarray(textured.T) // 2
    fused = ir + vis
    assert scd(ir, vis, fused) == pytest.approx(2.0)
    fused = ((ir.astype(int) + 2 * vis) // 3).astype(np.uint8)
    f, a, b = (x.astype(float).ravel() for x in (fused, ir, vis))
    expected = np.corrcoef(f - b, a)[0, 1] + np.corrcoef(f - a, b)[0, 1]
    assert scd(ir, vis, fused) == pytest.approx(expected)
    assert scd(vis, ir, fused) == pytest.approx(expected)
    inverted = 255 - ir
    assert scd(ir, np.zeros_like(ir), inverted) == pytest.approx(-1.0)


def test_vif_of_identical_images_is_one(textured: np.ndarray) -> None:
    assert vifp(textured, textured) == pytest.approx(1.0, abs=1e-6)
    assert vif(textured, textured, textured) == pytest.approx(2.0, abs=1e-6)
    blurred = cv2.GaussianBlur(textured, (0, 0), 3.0)
    assert 0.0 < vifp(textured, blurred) < 1.0
    assert vifp(np.full_like(textured, 50), textured) == 0.0


def test_qabf_ceiling_and_floor(textured: np.ndarray) -> None:
    # F = A and B = 0 (no edges, even with zero padding): every weighted pixel has G = A = 1.
    ceiling = (0.9994 / (1 + math.exp(-15 * (1 - 0.5)))) * (0.9879 / (1 + math.exp(-22 * 0.2)))
    black = np.zeros_like(textured)
    assert qabf(textured, black, textured) == pytest.approx(ceiling)
    assert qabf(black, textured, textured) == pytest.approx(ceiling)
    assert qabf(textured, textured, black) < 0.01
    assert qabf(black, black, textured) == 0.0
    other = np.ascontiguousarray(textured[::-1])
    assert 0.0 <= qabf(textured, other, textured // 2 + other // 2) <= 1.0


def test_ssim_by_hand(textured: np.ndarray) -> None:
    assert ssim_sum(textured, textured, textured) == pytest.approx(2.0)
    c1 = (0.01 * 255) ** 2  # constant images: only the luminance term remains
    expected = (2 * 100 * 50 + c1) / (100**2 + 50**2 + c1)
    hundred, fifty = np.full((16, 16), 100, np.uint8), np.full((16, 16), 50, np.uint8)
    assert ssim_sum(hundred, hundred, fifty) == pytest.approx(2 * expected)


def test_compute_metrics_and_tables(textured: np.ndarray) -> None:
    vis = cv2.cvtColor(np.ascontiguousarray(textured.T), cv2.COLOR_GRAY2BGR)
    row = compute_metrics(textured, vis, textured // 2 + textured.T // 2)
    assert tuple(row) == METRIC_NAMES
    assert all(math.isfinite(value) for value in row.values())
    with pytest.raises(ValueError):
        compute_metrics(textured, vis[:32], textured)
    mean = mean_metrics([row, {name: 0.0 for name in row}])
    assert mean["EN"] == pytest.approx(row["EN"] / 2)
    table = format_table({"fused": row, "mean": mean})
    lines = table.splitlines()
    assert lines[0].split() == ["Method", *METRIC_NAMES]
    assert len(lines) == 4 and len({len(line) for line in lines}) == 1
    assert f"{row['SSIM']:.4f}" in lines[2]


def test_evaluate_folders(tmp_path, textured: np.ndarray) -> None:
    for folder, image in (("ir", textured), ("vis", textured.T), ("fused", textured)):
        write_image(tmp_path / folder / "a.png", np.ascontiguousarray(image))
    results = evaluate_folders(tmp_path / "ir", tmp_path / "vis", tmp_path / "fused")
    assert list(results) == ["a"]
    assert results["a"]["SSIM"] == pytest.approx(compute_metrics(textured, textured.T,
                                                                 textured)["SSIM"])
