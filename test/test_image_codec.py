import array
import warnings

import numpy as np
import pytest

from textfusion_ros.imaging.image_codec import (
    AgcConfig,
    BadImageError,
    decode_image,
    encode_image,
    thermal_agc,
    to_fusion_inputs,
)

H, W = 6, 7
RNG = np.random.default_rng(0)
GREY8 = RNG.integers(0, 256, (H, W), dtype=np.uint8)
GREY16 = RNG.integers(0, 65536, (H, W), dtype=np.uint16)
FLOAT = RNG.normal(300.0, 20.0, (H, W)).astype(np.float32)
BGR = RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)
ALPHA = RNG.integers(0, 256, (H, W, 1), dtype=np.uint8)


def _wire(encoding: str, big_endian: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(array laid out as the message carries it, expected decoded array)."""
    order = ">" if big_endian else "<"
    if encoding in ("mono8", "8UC1"):
        return GREY8, GREY8
    if encoding in ("mono16", "16UC1"):
        return GREY16.astype(order + "u2"), GREY16
    if encoding == "32FC1":
        return FLOAT.astype(order + "f4"), FLOAT
    if encoding in ("bgr8", "8UC3"):
        return BGR, BGR
    if encoding == "rgb8":
        return BGR[..., ::-1], BGR
    if encoding == "bgra8":
        return np.concatenate([BGR, ALPHA], axis=2), BGR
    if encoding == "rgba8":
        return np.concatenate([BGR[..., ::-1], ALPHA], axis=2), BGR
    raise AssertionError(encoding)


def _pack(wire: np.ndarray, pad: int = 0) -> tuple[int, bytes]:
    """Row-major bytes with `pad` junk bytes after each row → (step, data)."""
    rows = np.ascontiguousarray(wire).view(np.uint8).reshape(wire.shape[0], -1)
    junk = np.full((rows.shape[0], pad), 0xAB, dtype=np.uint8)
    return rows.shape[1] + pad, np.hstack([rows, junk]).tobytes()


ENCODINGS = ["mono8", "8UC1", "mono16", "16UC1", "32FC1",
             "bgr8", "8UC3", "rgb8", "bgra8", "rgba8"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("pad", [0, 5])
def test_decode_every_encoding(encoding, pad):
    wire, expected = _wire(encoding)
    step, data = _pack(wire, pad)
    out = decode_image(encoding, H, W, step, data)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


def _yuv422(width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luma H×width and chroma H×width/2 of a scene whose left half is reddish (V high, U low)
    and right half bluish (U high, V low), with a luma ramp."""
    luma = np.tile(np.linspace(60, 200, width).astype(np.uint8), (H, 1))
    half = width // 2
    u = np.where(np.arange(half) < half // 2, 90, 200).astype(np.uint8)[None].repeat(H, 0)
    v = np.where(np.arange(half) < half // 2, 220, 100).astype(np.uint8)[None].repeat(H, 0)
    return luma, u, v


@pytest.mark.parametrize("pad", [0, 4])
def test_decode_yuv422_in_both_byte_orders(pad):
    """The same 4:2:2 samples as YUYV and as UYVY decode to one BGR image, colours in place."""
    width = 8
    luma, u, v = _yuv422(width)
    yuyv = np.stack([luma[:, 0::2], u, luma[:, 1::2], v], axis=2).reshape(H, width, 2)
    uyvy = np.stack([u, luma[:, 0::2], v, luma[:, 1::2]], axis=2).reshape(H, width, 2)
    decoded = {}
    for encoding, wire in (("yuyv", yuyv), ("yuv422_yuy2", yuyv), ("uyvy", uyvy),
                           ("yuv422", uyvy)):
        step, data = _pack(wire, pad)
        decoded[encoding] = decode_image(encoding, H, width, step, data)
        assert decoded[encoding].shape == (H, width, 3)
    for image in decoded.values():
        np.testing.assert_array_equal(image, decoded["yuyv"])
    left, right = decoded["yuyv"][:, :2].astype(int), decoded["yuyv"][:, -2:].astype(int)
    assert (left[..., 2] > left[..., 0]).all() and (right[..., 0] > right[..., 2]).all()


@pytest.mark.parametrize(("encoding", "offsets"), [
    ("bayer_rggb8", {"R": (0, 0), "B": (1, 1)}), ("bayer_bggr8", {"R": (1, 1), "B": (0, 0)}),
    ("bayer_gbrg8", {"R": (1, 0), "B": (0, 1)}), ("bayer_grbg8", {"R": (0, 1), "B": (1, 0)}),
])
def test_decode_bayer_mosaics(encoding, offsets):
    """A flat colour sampled through each filter pattern comes back as that colour."""
    colour = {"B": 30, "G": 120, "R": 210}
    mosaic = np.full((8, 10), colour["G"], np.uint8)
    for channel, (row, col) in offsets.items():
        mosaic[row::2, col::2] = colour[channel]
    step, data = _pack(mosaic, 3)
    out = decode_image(encoding, 8, 10, step, data)
    np.testing.assert_array_equal(out[2:-2, 2:-2], np.broadcast_to([30, 120, 210], (4, 6, 3)))


@pytest.mark.parametrize("encoding", ["mono16", "16UC1", "32FC1"])
@pytest.mark.parametrize("pad", [0, 3])
def test_decode_big_endian(encoding, pad):
    wire, expected = _wire(encoding, big_endian=True)
    step, data = _pack(wire, pad)
    out = decode_image(encoding, H, W, step, data, is_bigendian=True)
    assert out.dtype == expected.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("encoding", ["mono8", "mono16", "32FC1", "bgr8"])
def test_decode_is_zero_copy(encoding):
    wire, _ = _wire(encoding)
    step, data = _pack(wire, pad=4)
    buffer = bytearray(data)
    out = decode_image(encoding, H, W, step, buffer)
    assert np.shares_memory(out, np.frombuffer(buffer, dtype=np.uint8))


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview, lambda b: array.array("B", b)])
def test_decode_accepts_buffers(wrap):
    step, data = _pack(BGR)
    np.testing.assert_array_equal(decode_image("bgr8", H, W, step, wrap(data)), BGR)


def test_decode_ignores_trailing_bytes():
    step, data = _pack(GREY8)
    np.testing.assert_array_equal(decode_image("mono8", H, W, step, data + b"xyz"), GREY8)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("nv21", H, W, W, bytes(2 * W * H)), "unsupported encoding 'nv21'"),
        (("yuyv", H, W, 2 * W, bytes(2 * W * H)), "needs an even width"),
        (("mono8", 0, 0, 0, b""), "width and height must be > 0"),
        (("mono8", -1, W, W, bytes(W)), "width and height must be > 0"),
        (("mono8", H, -3, W, bytes(W * H)), "width and height must be > 0"),
        (("bgr8", H, W, 3 * W - 1, bytes(3 * W * H)), "step 20 is shorter than a bgr8 row"),
        (("mono16", H, W, W, bytes(2 * W * H)), "2 bytes per pixel = 14"),
        (("mono8", H, W, W, bytes(W * H - 1)), "fewer than step x height"),
        (("bgra8", H, W, 4 * W + 2, bytes(4 * W * H)), "fewer than step x height"),
    ],
)
def test_decode_rejects(args, reason):
    with pytest.raises(BadImageError, match=reason):
        decode_image(*args)


def test_decode_float_nonfinite():
    image = FLOAT.copy()
    image[1, 2], image[3, 4], image[5, 6] = np.nan, np.inf, -np.inf
    step, data = _pack(image)
    with pytest.raises(BadImageError, match=r"3 non-finite pixel\(s\)"):
        decode_image("32FC1", H, W, step, data)
    out = decode_image("32FC1", H, W, step, data, replace_nonfinite=0.0)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert out[1, 2] == out[3, 4] == out[5, 6] == 0.0
    np.testing.assert_array_equal(out[0], FLOAT[0])


@pytest.mark.parametrize(
    ("image", "encoding"),
    [(GREY8, "mono8"), (GREY8[..., None], "mono8"), (BGR, "bgr8"), (BGR[:, ::2], "bgr8")],
)
def test_encode_round_trip(image, encoding):
    got_encoding, step, data = encode_image(image)
    assert got_encoding == encoding and isinstance(data, bytes)
    assert step == image.shape[1] * (3 if encoding == "bgr8" else 1)
    out = decode_image(got_encoding, image.shape[0], image.shape[1], step, data)
    np.testing.assert_array_equal(out, image.reshape(out.shape))


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (GREY16, "cannot encode uint16"),
        (np.zeros((4, 4, 4), np.uint8), "shape"),
        (np.zeros((0, 4), np.uint8), "empty"),
    ],
)
def test_encode_rejects(image, reason):
    with pytest.raises(BadImageError, match=reason):
        encode_image(image)


@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_agc_flat_image(dtype):
    flat = np.full((64, 80), 1234, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = thermal_agc(flat)
    assert out.dtype == np.float32 and out.shape == flat.shape
    assert np.isfinite(out).all() and (out == 0.0).all()


def test_agc_ramp_full_range():
    ramp = np.tile(np.linspace(1000, 5000, 80).astype(np.uint16), (64, 1))
    out = thermal_agc(ramp, 0.0, 100.0, stride=1)
    expected = (ramp.astype(np.float64) - 1000) / 4000
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_agc_ramp_subsampled_is_monotonic_in_unit_range():
    ramp = np.tile(np.arange(640, dtype=np.float32) * 0.05 + 280.0, (512, 1))
    out = thermal_agc(ramp)
    assert out.min() == 0.0 and out.max() == 1.0
    assert (np.diff(out[0]) >= 0).all()


@pytest.mark.parametrize("stride", [1, 4])
def test_agc_clips_outliers_by_percentile(stride):
    image = np.tile(np.linspace(1000, 2000, 200), (200, 1)).astype(np.uint16)
    where = np.random.default_rng(1).permutation(image.size)
    hot, cold = where[:400], where[400:800]  # 1 % of the pixels each
    image.flat[hot], image.flat[cold] = 65535, 0
    out = thermal_agc(image, 3.0, 97.0, stride=stride)
    assert (out.flat[hot] == 1.0).all() and (out.flat[cold] == 0.0).all()
    body = np.delete(out.ravel(), where[:800])
    assert body.max() - body.min() > 0.9  # the outliers do not squash the scene's range


def test_agc_rejects_bad_settings():
    with pytest.raises(ValueError, match="percentiles"):
        thermal_agc(GREY16, 99.0, 1.0)
    with pytest.raises(ValueError, match="stride"):
        AgcConfig(stride=0)
    with pytest.raises(ValueError, match="H×W"):
        thermal_agc(BGR)


def test_fusion_inputs_uint16_ir_through_agc():
    ir, vis = to_fusion_inputs(GREY16, BGR, AgcConfig(0.0, 100.0, 1))
    assert ir.dtype == np.float32 and ir.shape == (H, W)
    assert ir.min() == 0.0 and ir.max() == 1.0
    assert vis is BGR


def test_fusion_inputs_float_ir_through_agc():
    ir, _ = to_fusion_inputs(FLOAT, GREY8, AgcConfig())
    assert ir.dtype == np.float32 and 0.0 <= ir.min() and ir.max() <= 1.0


def test_fusion_inputs_uint8_ir_scaled():
    ir, vis = to_fusion_inputs(GREY8, GREY8, AgcConfig())
    np.testing.assert_allclose(ir, GREY8 / 255.0, atol=1e-7)
    assert vis is GREY8


@pytest.mark.parametrize("ir_colour", [BGR, np.concatenate([BGR, ALPHA], axis=2)])
def test_fusion_inputs_colour_ir_to_grey(ir_colour):
    ir, _ = to_fusion_inputs(ir_colour, BGR, AgcConfig())
    assert ir.shape == (H, W) and ir.dtype == np.float32


@pytest.mark.parametrize(
    ("ir", "vis", "reason"),
    [
        (GREY8, GREY16, "VIS image must be uint8"),
        (GREY8, np.zeros((H, W, 2), np.uint8), "VIS image must be H×W or H×W×3"),
        (GREY8.astype(np.int32), BGR, "unsupported IR dtype"),
        (np.zeros((H, W, 2), np.uint8), BGR, "IR image must be"),
    ],
)
def test_fusion_inputs_reject(ir, vis, reason):
    with pytest.raises(BadImageError, match=reason):
        to_fusion_inputs(ir, vis, AgcConfig())
