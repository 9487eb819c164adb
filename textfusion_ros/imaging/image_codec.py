"""sensor_msgs/Image fields ↔ numpy arrays, and IR/VIS preparation for the fusion network.

ROS-free: callers pass the message fields as plain values. `data` may be any object with the
buffer protocol (bytes, bytearray, memoryview, array.array as rclpy gives for uint8[]).
"""

from __future__ import annotations

import array
from dataclasses import dataclass

import cv2
import numpy as np

from textfusion_ros.imaging.color import to_unit_float

Buffer = bytes | bytearray | memoryview | array.array

# encoding → (numpy element type, channels); multi-byte types get their byte order at decode.
_LAYOUTS: dict[str, tuple[str, int]] = {
    "mono8": ("u1", 1),
    "8UC1": ("u1", 1),
    "mono16": ("u2", 1),
    "16UC1": ("u2", 1),
    "32FC1": ("f4", 1),
    "bgr8": ("u1", 3),
    "8UC3": ("u1", 3),
    "rgb8": ("u1", 3),
    "bgra8": ("u1", 4),
    "rgba8": ("u1", 4),
    # Packed 4:2:2 (two bytes per pixel) as USB cameras send it: UYVY and YUYV byte orders.
    "yuv422": ("u1", 2),
    "uyvy": ("u1", 2),
    "yuv422_yuy2": ("u1", 2),
    "yuyv": ("u1", 2),
    # Raw 8-bit colour-filter mosaics, as machine-vision cameras send them.
    "bayer_rggb8": ("u1", 1),
    "bayer_bggr8": ("u1", 1),
    "bayer_gbrg8": ("u1", 1),
    "bayer_grbg8": ("u1", 1),
}
_TO_BGR = {
    "rgb8": cv2.COLOR_RGB2BGR,
    "bgra8": cv2.COLOR_BGRA2BGR,
    "rgba8": cv2.COLOR_RGBA2BGR,
    "yuv422": cv2.COLOR_YUV2BGR_UYVY,
    "uyvy": cv2.COLOR_YUV2BGR_UYVY,
    "yuv422_yuy2": cv2.COLOR_YUV2BGR_YUY2,
    "yuyv": cv2.COLOR_YUV2BGR_YUY2,
    "bayer_rggb8": cv2.COLOR_BayerRGGB2BGR,
    "bayer_bggr8": cv2.COLOR_BayerBGGR2BGR,
    "bayer_gbrg8": cv2.COLOR_BayerGBRG2BGR,
    "bayer_grbg8": cv2.COLOR_BayerGRBG2BGR,
}
SUPPORTED_ENCODINGS = tuple(_LAYOUTS)

# A percentile span this small relative to the values is treated as a flat image.
_FLAT_SPAN = 1e-6
_OPENCV_AGC_TYPES = (np.dtype(np.uint16), np.dtype(np.float32), np.dtype(np.float64))


class BadImageError(ValueError):
    """An image message cannot be decoded (or an array cannot be encoded); the message says why."""


def decode_image(
    encoding: str,
    height: int,
    width: int,
    step: int,
    data: Buffer,
    is_bigendian: bool = False,
    *,
    replace_nonfinite: float | None = None,
) -> np.ndarray:
    """Image message fields → uint16 / float32 H×W, or uint8 H×W (grey) / H×W×3 (BGR).

    mono8, mono16, 8UC1, 16UC1, 32FC1, bgr8 and 8UC3 are returned as views of `data` (no copy;
    read-only when `data` is bytes); row padding (`step` > width × bytes per pixel) is skipped
    by striding. rgb8, bgra8, rgba8, 4:2:2 YUV, 8-bit Bayer mosaics and big-endian
    multi-byte data are converted to BGR (one copy).
    A 32FC1 image with NaN/Inf raises, unless `replace_nonfinite` gives a value to put there.
    """
    layout = _LAYOUTS.get(encoding)
    if layout is None:
        raise BadImageError(
            f"unsupported encoding {encoding!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}")
    kind, channels = layout
    if height <= 0 or width <= 0:
        raise BadImageError(f"bad image size {width}x{height}: width and height must be > 0")
    if channels == 2 and width % 2:
        raise BadImageError(f"{encoding} needs an even width (pixel pairs share chroma); "
                            f"got {width}")
    dtype = np.dtype(kind).newbyteorder(">" if is_bigendian else "<")
    pixel_bytes = channels * dtype.itemsize
    if step < width * pixel_bytes:
        raise BadImageError(
            f"step {step} is shorter than a {encoding} row: "
            f"width {width} x {pixel_bytes} bytes per pixel = {width * pixel_bytes}")
    size = memoryview(data).nbytes
    if size < step * height:
        raise BadImageError(
            f"data holds {size} bytes, fewer than step x height = {step} x {height} "
            f"= {step * height}")

    if channels == 1:
        shape, strides = (height, width), (step, dtype.itemsize)
    else:
        shape, strides = (height, width, channels), (step, pixel_bytes, 1)
    image = np.ndarray(shape, dtype, buffer=data, strides=strides)
    if not dtype.isnative:
        image = image.astype(dtype.newbyteorder("="))
    if encoding in _TO_BGR:
        image = cv2.cvtColor(image, _TO_BGR[encoding])
    if encoding == "32FC1":
        image = _check_finite(image, replace_nonfinite)
    return image


def _check_finite(image: np.ndarray, replacement: float | None) -> np.ndarray:
    finite = np.isfinite(image)
    if finite.all():
        return image
    if replacement is None:
        bad = image.size - int(np.count_nonzero(finite))
        raise BadImageError(
            f"32FC1 image has {bad} non-finite pixel(s) (NaN/Inf); "
            "set replace_nonfinite to substitute a value")
    return np.where(finite, image, np.float32(replacement))


def encode_image(image: np.ndarray) -> tuple[str, int, bytes]:
    """uint8 grey (H×W or H×W×1) or BGR (H×W×3) → (encoding, step, data) for an Image message."""
    encoding, step = image_layout(image)
    return encoding, step, np.ascontiguousarray(image).tobytes()


def image_layout(image: np.ndarray) -> tuple[str, int]:
    """(encoding, step) of an Image message holding `image`, uint8 grey (H×W or H×W×1) or BGR
    (H×W×3); its data is the array's bytes in C order. Raises BadImageError otherwise."""
    if image.dtype != np.uint8:
        raise BadImageError(f"cannot encode {image.dtype} images: only uint8 grey or BGR")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        encoding, channels = "mono8", 1
    elif image.ndim == 3 and image.shape[2] == 3:
        encoding, channels = "bgr8", 3
    else:
        raise BadImageError(f"cannot encode an array of shape {image.shape}: need H×W or H×W×3")
    if image.size == 0:
        raise BadImageError(f"cannot encode an empty image of shape {image.shape}")
    return encoding, image.shape[1] * channels


def _check_agc(low_pct: float, high_pct: float, stride: int) -> None:
    if not 0.0 <= low_pct < high_pct <= 100.0:
        raise ValueError(
            f"AGC percentiles must satisfy 0 <= low < high <= 100, got {low_pct}, {high_pct}")
    if stride < 1:
        raise ValueError(f"AGC stride must be >= 1, got {stride}")


@dataclass(frozen=True)
class AgcConfig:
    """Thermal automatic gain control: percentiles mapped to 0 and 1, and the sampling stride."""

    low_pct: float = 1.0
    high_pct: float = 99.0
    stride: int = 4

    def __post_init__(self) -> None:
        _check_agc(self.low_pct, self.high_pct, self.stride)


def thermal_agc(
    image: np.ndarray, low_pct: float = 1.0, high_pct: float = 99.0, stride: int = 4
) -> np.ndarray:
    """H×W uint16 or float thermal image → float32 in [0, 1] by a percentile window.

    The percentiles are estimated on every `stride`-th pixel in each direction (1 = exact).
    Values outside the window are clipped. On a flat image (window of zero width) the result
    is 0 at and below the window and 1 above it: no division by zero. Input must be finite.
    """
    _check_agc(low_pct, high_pct, stride)
    if image.ndim != 2:
        raise ValueError(f"thermal_agc needs an H×W image, got shape {image.shape}")
    # The strided sample is copied first: np.percentile on the contiguous copy is ~0.07 ms
    # faster per 640×512 frame, with the same result.
    sample = np.ascontiguousarray(image[::stride, ::stride])
    low, high = (float(v) for v in np.percentile(sample, (low_pct, high_pct)))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("thermal image has non-finite values")
    span = high - low
    if span <= _FLAT_SPAN * max(1.0, abs(low), abs(high)):
        return (image > high).astype(np.float32)
    if image.dtype not in _OPENCV_AGC_TYPES:
        image = image.astype(np.float32)
    # OpenCV converts and shifts in one pass, and clips in place: 0.04 ms less per 640×512
    # frame than numpy's astype, subtraction and clip.
    out = cv2.subtract(image, low, dtype=cv2.CV_32F)
    out *= np.float32(1.0 / span)
    cv2.min(out, 1.0, dst=out)
    return cv2.max(out, 0.0, dst=out)


def to_fusion_inputs(
    ir_array: np.ndarray, vis_array: np.ndarray, agc: AgcConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Decoded IR and VIS → (IR float32 H×W in [0, 1], VIS uint8 BGR or grey, unchanged).

    uint16 and float IR go through `thermal_agc`; uint8 IR is divided by 255; colour IR
    (H×W×3 BGR, H×W×4 BGRA) is converted to grey first. VIS must already be 8-bit.
    """
    ir = _ir_to_grey(ir_array)
    if ir.dtype == np.uint8:
        ir = to_unit_float(ir)
    elif ir.dtype == np.uint16 or np.issubdtype(ir.dtype, np.floating):
        ir = thermal_agc(ir, agc.low_pct, agc.high_pct, agc.stride)
    else:
        raise BadImageError(f"unsupported IR dtype {ir.dtype}: need uint8, uint16 or float")
    check_visible(vis_array)
    return ir, vis_array


def check_visible(vis_array: np.ndarray) -> None:
    """Raise BadImageError unless the visible image is uint8 grey (H×W) or BGR (H×W×3)."""
    if vis_array.dtype != np.uint8:
        raise BadImageError(f"VIS image must be uint8 (8-bit encodings), got {vis_array.dtype}")
    if not (vis_array.ndim == 2 or (vis_array.ndim == 3 and vis_array.shape[2] == 3)):
        raise BadImageError(f"VIS image must be H×W or H×W×3, got shape {vis_array.shape}")


def _ir_to_grey(ir: np.ndarray) -> np.ndarray:
    if ir.ndim == 2:
        return ir
    if ir.ndim == 3 and ir.shape[2] == 1:
        return ir[..., 0]
    if ir.ndim == 3 and ir.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2GRAY if ir.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        return cv2.cvtColor(ir, code)
    raise BadImageError(f"IR image must be H×W, H×W×3 or H×W×4, got shape {ir.shape}")
