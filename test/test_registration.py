import numpy as np
import pytest

from textfusion_ros.imaging.registration import HomographyError, align_ir_to_vis, parse_homography

IR = np.random.default_rng(0).random((48, 64)).astype(np.float32)


def _translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def test_identity_leaves_image_unchanged():
    out = align_ir_to_vis(IR, IR.shape, np.eye(3))
    np.testing.assert_allclose(out, IR, atol=1e-6)


def test_identity_uint8_exact():
    ir8 = (IR * 255).astype(np.uint8)
    np.testing.assert_array_equal(align_ir_to_vis(ir8, (48, 64, 3), np.eye(3)), ir8)


def test_translation_shifts_content():
    tx, ty = 7, 3
    out = align_ir_to_vis(IR, (48, 64), _translation(tx, ty))
    np.testing.assert_allclose(out[ty:, tx:], IR[:-ty, :-tx], atol=1e-6)
    # Replicated border: the uncovered top rows repeat IR's first row, shifted.
    np.testing.assert_allclose(out[0, tx:], IR[0, :-tx], atol=1e-6)


def test_homography_into_larger_vis_frame():
    scale = np.diag([2.0, 2.0, 1.0])
    out = align_ir_to_vis(IR, (96, 128, 3), scale)
    assert out.shape == (96, 128) and out.dtype == np.float32
    np.testing.assert_allclose(out[20, 30], IR[10, 15], atol=1e-6)


def test_flat_list_equals_matrix():
    matrix = np.array([[1.01, 0.02, 2.5], [-0.01, 0.99, -1.5], [1e-5, 0.0, 1.0]])
    expected = align_ir_to_vis(IR, IR.shape, matrix)
    np.testing.assert_array_equal(align_ir_to_vis(IR, IR.shape, matrix.ravel().tolist()), expected)


def test_resize_when_no_homography():
    out = align_ir_to_vis(IR, (96, 128, 3), None)
    assert out.shape == (96, 128) and out.dtype == IR.dtype
    assert align_ir_to_vis(IR, (96, 128), []).shape == (96, 128)


def test_same_size_returned_as_is():
    assert align_ir_to_vis(IR, (48, 64, 3), None) is IR


def test_parse_homography_none_and_empty():
    assert parse_homography(None) is None
    assert parse_homography([]) is None
    parsed = parse_homography([1, 2, 3, 4, 5, 6, 7, 8, 10])
    np.testing.assert_array_equal(parsed, [[1, 2, 3], [4, 5, 6], [7, 8, 10]])
    assert parsed.dtype == np.float64


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (np.eye(2), "3x3 or a flat list of 9"),
        ([1.0] * 8, "3x3 or a flat list of 9"),
        (np.eye(4), "3x3 or a flat list of 9"),
        ([1, 0, 0, 0, 1, 0, 0, 0, float("nan")], "non-finite"),
        ([[np.inf, 0, 0], [0, 1, 0], [0, 0, 1]], "non-finite"),
        (np.zeros((3, 3)), "singular"),
        ([1, 2, 3, 2, 4, 6, 0, 0, 1], "singular"),
        (["a"] * 9, "must be numbers"),
    ],
)
def test_invalid_homography_rejected(value, reason):
    with pytest.raises(HomographyError, match=reason):
        align_ir_to_vis(IR, IR.shape, value)


def test_bad_vis_size_rejected():
    with pytest.raises(ValueError, match="bad VIS size"):
        align_ir_to_vis(IR, (0, 64), None)
