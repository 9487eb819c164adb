import array

import cv2
import numpy as np
import pytest

from textfusion_ros.imaging.compressed import decode_compressed
from textfusion_ros.imaging.image_codec import BadImageError

RNG = np.random.default_rng(1)
GREY16 = RNG.integers(0, 65536, (12, 10), dtype=np.uint16)
BGR = np.zeros((16, 24, 3), np.uint8)
BGR[:, :12] = (200, 40, 10)  # blue half
BGR[:, 12:] = (10, 40, 200)  # red half


def encoded(image: np.ndarray, extension: str) -> bytes:
    ok, data = cv2.imencode(extension, image)
    assert ok
    return data.tobytes()


def test_jpeg_colour_comes_back_bgr():
    out = decode_compressed("rgb8; jpeg compressed bgr8", encoded(BGR, ".jpg"))
    assert out.dtype == np.uint8 and out.shape == BGR.shape
    assert np.abs(out.astype(int) - BGR).mean() < 8
    assert out[8, 4, 0] > out[8, 4, 2] and out[8, 20, 2] > out[8, 20, 0]


def test_png_keeps_sixteen_bits_and_grey_stays_grey():
    data = array.array("B", encoded(GREY16, ".png"))  # as rclpy gives uint8[]
    np.testing.assert_array_equal(decode_compressed("mono16; png compressed ", data), GREY16)
    grey = decode_compressed("png", encoded(GREY16.astype(np.uint8), ".png"))
    assert grey.shape == (12, 10) and grey.dtype == np.uint8


def test_png_alpha_is_dropped():
    bgra = np.dstack([BGR, np.full(BGR.shape[:2], 128, np.uint8)])
    np.testing.assert_array_equal(decode_compressed("png", encoded(bgra, ".png")), BGR)


def test_compressed_depth_skips_its_header():
    header = np.array([0], np.int32).tobytes() + np.zeros(2, np.float32).tobytes()
    payload = header + encoded(GREY16, ".png")
    np.testing.assert_array_equal(
        decode_compressed("16UC1; compressedDepth png", payload), GREY16)


@pytest.mark.parametrize(("format_", "data", "reason"), [
    ("jpeg", b"", "empty compressed image"),
    ("jpeg", b"not an image at all", "cannot decode a 19-byte compressed image"),
    ("bgr8; jpeg compressed bgr8", encoded(BGR, ".jpg")[:30], "cannot decode"),
    ("32FC1; compressedDepth", bytes(12) + encoded(GREY16, ".png"), "32FC1 depth"),
    ("16UC1; compressedDepth png", bytes(80), "no PNG"),
    ("png", encoded(np.zeros((4, 4, 3), np.uint16), ".png"), "16-bit grey"),
])
def test_bad_payloads_are_refused_with_the_format(format_, data, reason):
    with pytest.raises(BadImageError, match=reason):
        decode_compressed(format_, data)
