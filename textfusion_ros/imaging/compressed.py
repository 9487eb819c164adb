"""sensor_msgs/CompressedImage payloads (image_transport's compressed and compressedDepth
transports: JPEG, PNG, also 16-bit PNG) → numpy arrays, as decode_image returns them.

ROS-free: callers pass the message's `format` string and its `data` buffer.
"""

from __future__ import annotations

import cv2
import numpy as np

from textfusion_ros.imaging.image_codec import BadImageError, Buffer

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode_compressed(format_: str, data: Buffer) -> np.ndarray:
    """Compressed bytes → uint8 H×W (grey) or H×W×3 (BGR), or uint16 H×W (16-bit PNG).

    `format_` is the message's format field ("jpeg", "png", "bgr8; jpeg compressed bgr8",
    "16UC1; compressedDepth png", ...): compressedDepth payloads carry a small header before
    their PNG, which is skipped; depth stored as inverse floats (32FC1) is refused. Colour comes
    back in BGR order, as compressed_image_transport encodes it. Raises BadImageError naming the
    format when the bytes cannot be decoded.
    """
    payload = np.frombuffer(memoryview(data).cast("B"), np.uint8)
    if "compresseddepth" in format_.lower():
        if format_.split(";")[0].strip().upper() == "32FC1":
            raise BadImageError(f"compressedDepth of 32FC1 depth is not an image ({format_!r})")
        start = bytes(payload[:64]).find(_PNG_SIGNATURE)
        if start < 0:
            raise BadImageError(f"no PNG in a compressedDepth payload ({format_!r})")
        payload = payload[start:]
    if not payload.size:
        raise BadImageError(f"empty compressed image ({format_!r})")
    image = cv2.imdecode(payload, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise BadImageError(f"cannot decode a {payload.size}-byte compressed image "
                            f"({format_!r}): not a JPEG, PNG or other format OpenCV reads")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.dtype not in (np.uint8, np.uint16) or (image.dtype == np.uint16 and image.ndim == 3):
        raise BadImageError(f"compressed image of {image.dtype} with shape {image.shape} "
                            f"({format_!r}): only 8-bit grey or colour and 16-bit grey")
    return image
