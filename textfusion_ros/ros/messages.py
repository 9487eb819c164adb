"""sensor_msgs/Image (and CompressedImage) ↔ numpy arrays, and DiagnosticArray building."""

from __future__ import annotations

import array
from collections.abc import Mapping

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from textfusion_ros.imaging.compressed import decode_compressed
from textfusion_ros.imaging.image_codec import decode_image, image_layout


def image_to_array(msg: Image) -> np.ndarray:
    """Decode an Image message; raises BadImageError with the reason when it cannot be.

    Most encodings give a view of `msg.data` (no copy). Float images with NaN/Inf are refused.
    """
    return decode_image(msg.encoding, msg.height, msg.width, msg.step, msg.data,
                        bool(msg.is_bigendian))


def compressed_to_array(msg: CompressedImage) -> np.ndarray:
    """Decode a CompressedImage (JPEG, PNG, compressedDepth); BadImageError with the reason."""
    return decode_compressed(msg.format, msg.data)


def array_to_image(image: np.ndarray, header: Header) -> Image:
    """uint8 grey or BGR array → Image (mono8 / bgr8) carrying `header`; the pixels are
    copied once, straight into the message's array."""
    encoding, step = image_layout(image)
    msg = Image(header=header, height=image.shape[0], width=image.shape[1], encoding=encoding,
                is_bigendian=0, step=step)
    data = array.array("B")
    data.frombytes(np.ascontiguousarray(image))
    msg.data = data
    return msg


def stamp_ns(stamp: Time) -> int:
    """builtin_interfaces/Time → integer nanoseconds."""
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def diagnostic_array(stamp: Time, name: str, hardware_id: str, level: bytes, message: str,
                     values: Mapping[str, object]) -> DiagnosticArray:
    """A DiagnosticArray holding one status; values are formatted with str()."""
    status = DiagnosticStatus(
        level=level, name=name, hardware_id=hardware_id, message=message,
        values=[KeyValue(key=key, value=str(value)) for key, value in values.items()])
    return DiagnosticArray(header=Header(stamp=stamp), status=[status])
