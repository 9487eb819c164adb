"""rosbag2 bags of sensor_msgs/Image (and CompressedImage, read), with `rosbags` (no ROS
installation).

Messages are (de)serialized with the ROS 2 Kilted type store. Bags are written in rosbag2
format version 9 (or 8, for Humble-era readers) with the mcap or sqlite3 storage plugin, with
what rosbag2 records besides (ros_distro, offered QoS, MCAP topic_type_hash; see
rosbag2_meta); either is read back (a bag folder, or a single .mcap / .db3 file).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np
from rosbags.interfaces import Connection
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.serde import SerdeError
from rosbags.typesys import Stores, get_typestore

from textfusion_ros.bags.rosbag2_meta import BAG_VERSIONS, RELIABLE_PUBLISHER_QOS, finish_bag
from textfusion_ros.imaging.compressed import decode_compressed
from textfusion_ros.imaging.image_codec import BadImageError, decode_image, encode_image

IMAGE_MSGTYPE = "sensor_msgs/msg/Image"
COMPRESSED_MSGTYPE = "sensor_msgs/msg/CompressedImage"
IMAGE_MSGTYPES = (IMAGE_MSGTYPE, COMPRESSED_MSGTYPE)
STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
TYPESTORE = get_typestore(Stores.ROS2_KILTED)

_Image = TYPESTORE.types[IMAGE_MSGTYPE]
_Header = TYPESTORE.types["std_msgs/msg/Header"]
_Time = TYPESTORE.types["builtin_interfaces/msg/Time"]
_NS = 1_000_000_000


@dataclass(frozen=True)
class ImageMessage:
    """The fields of one sensor_msgs/Image, with the header stamp in nanoseconds."""

    stamp_ns: int
    frame_id: str
    encoding: str
    height: int
    width: int
    step: int
    data: bytes | np.ndarray
    is_bigendian: bool = False

    @classmethod
    def from_array(cls, image: np.ndarray, stamp_ns: int, frame_id: str) -> ImageMessage:
        """uint8 grey / BGR (mono8 / bgr8) or uint16 grey (mono16, little-endian) → message."""
        if image.dtype == np.uint16 and image.ndim == 2:
            data = np.ascontiguousarray(image, dtype="<u2").tobytes()
            encoding, step = "mono16", image.shape[1] * 2
        else:
            encoding, step, data = encode_image(image)
        return cls(stamp_ns, frame_id, encoding, image.shape[0], image.shape[1], step, data)

    @classmethod
    def deserialize(cls, raw: bytes | memoryview) -> ImageMessage:
        """CDR bytes → message; BadImageError when they are not a valid Image."""
        msg, stamp_ns = _deserialize(raw, IMAGE_MSGTYPE)
        return cls(stamp_ns, msg.header.frame_id, msg.encoding, msg.height, msg.width, msg.step,
                   msg.data, bool(msg.is_bigendian))

    def serialize(self) -> bytes:
        """Message → CDR bytes (the fields as they are, even inconsistent ones)."""
        msg = _Image(header=_header(self.stamp_ns, self.frame_id), height=self.height,
                     width=self.width, encoding=self.encoding,
                     is_bigendian=int(self.is_bigendian), step=self.step,
                     data=np.frombuffer(self.data, np.uint8))
        return bytes(TYPESTORE.serialize_cdr(msg, IMAGE_MSGTYPE))

    def decode(self) -> np.ndarray:
        """The image as an array (see image_codec.decode_image); BadImageError if invalid."""
        return decode_image(self.encoding, self.height, self.width, self.step, self.data,
                            self.is_bigendian)


@dataclass(frozen=True)
class CompressedImageMessage:
    """The fields of one sensor_msgs/CompressedImage, with the header stamp in nanoseconds."""

    stamp_ns: int
    frame_id: str
    format: str
    data: bytes | np.ndarray

    @classmethod
    def deserialize(cls, raw: bytes | memoryview) -> CompressedImageMessage:
        """CDR bytes → message; BadImageError when they are not a valid CompressedImage."""
        msg, stamp_ns = _deserialize(raw, COMPRESSED_MSGTYPE)
        return cls(stamp_ns, msg.header.frame_id, msg.format, msg.data)

    def serialize(self) -> bytes:
        """Message → CDR bytes."""
        msg = TYPESTORE.types[COMPRESSED_MSGTYPE](
            header=_header(self.stamp_ns, self.frame_id), format=self.format,
            data=np.frombuffer(self.data, np.uint8))
        return bytes(TYPESTORE.serialize_cdr(msg, COMPRESSED_MSGTYPE))

    def decode(self) -> np.ndarray:
        """The image as an array (see compressed.decode_compressed); BadImageError if invalid."""
        return decode_compressed(self.format, self.data)


def _deserialize(raw: bytes | memoryview, msgtype: str) -> tuple[object, int]:
    """(the rosbags message, its header stamp in ns); BadImageError when `raw` is not one."""
    try:
        msg = TYPESTORE.deserialize_cdr(raw, msgtype)
    except SerdeError as exc:
        raise BadImageError(f"cannot deserialize {msgtype}: {exc}") from exc
    return msg, msg.header.stamp.sec * _NS + msg.header.stamp.nanosec


def _header(stamp_ns: int, frame_id: str) -> object:
    sec, nanosec = divmod(stamp_ns, _NS)
    return _Header(stamp=_Time(sec=sec, nanosec=nanosec), frame_id=frame_id)


def deserialize_image(msgtype: str, raw: bytes | memoryview
                      ) -> ImageMessage | CompressedImageMessage:
    """CDR bytes of an Image or CompressedImage (by `msgtype`) → its message."""
    if msgtype == COMPRESSED_MSGTYPE:
        return CompressedImageMessage.deserialize(raw)
    return ImageMessage.deserialize(raw)


@dataclass(frozen=True)
class BagMessage:
    """One serialized message of a bag and the time it was recorded (log time)."""

    topic: str
    msgtype: str
    log_ns: int
    data: bytes | memoryview


def bag_topics(path: str | Path) -> dict[str, tuple[str, int]]:
    """Topic → (message type, message count) of a bag."""
    with Reader(path) as reader:
        return {topic: (info.msgtype or "", info.msgcount)
                for topic, info in reader.topics.items()}


def read_messages(path: str | Path, topics: Iterable[str] | None = None) -> Iterator[BagMessage]:
    """Messages of `topics` (all when None) in log-time order; unknown topics raise ValueError."""
    with Reader(path) as reader:
        connections = _select(reader.connections, topics)
        for connection, log_ns, data in reader.messages(connections):
            yield BagMessage(connection.topic, connection.msgtype, log_ns, data)


def _select(connections: list[Connection], topics: Iterable[str] | None) -> list[Connection]:
    if topics is None:
        return connections
    wanted = set(topics)
    missing = wanted - {c.topic for c in connections}
    if missing:
        available = sorted({c.topic for c in connections})
        raise ValueError(f"topic(s) {sorted(missing)} not in the bag; it has {available}")
    return [c for c in connections if c.topic in wanted]


class BagWriter:
    """Writes a new rosbag2 folder (use as a context manager); topics are added on first use.

    As with rosbags' Writer, leaving the context on an exception aborts the bag (no metadata).
    """

    def __init__(self, path: str | Path, storage: str = "mcap", version: int = 9) -> None:
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {sorted(STORAGES)}, got {storage!r}")
        if version not in BAG_VERSIONS:
            raise ValueError(f"bag version must be one of {list(BAG_VERSIONS)}, got {version}")
        if Path(path).exists():
            raise ValueError(f"{path} exists already; rosbag2 bags are not overwritten")
        self.path = Path(path)
        self._writer = Writer(path, version=version, storage_plugin=STORAGES[storage])
        self._connections: dict[str, Connection] = {}

    def __enter__(self) -> BagWriter:
        self._writer.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._writer.__exit__(exc_type, exc, traceback)
        if exc_type is None:
            finish_bag(self.path, {topic: c.digest for topic, c in self._connections.items()})

    def write(self, topic: str, log_ns: int, data: bytes | memoryview,
              msgtype: str = IMAGE_MSGTYPE) -> None:
        """Append serialized `data` of `msgtype` on `topic`, recorded at `log_ns`."""
        connection = self._connections.get(topic)
        if connection is None:
            connection = self._writer.add_connection(
                topic, msgtype, typestore=TYPESTORE,
                offered_qos_profiles=[RELIABLE_PUBLISHER_QOS])
            self._connections[topic] = connection
        self._writer.write(connection, log_ns, data)

    def write_image(self, topic: str, log_ns: int,
                    message: ImageMessage | CompressedImageMessage) -> None:
        """Append an Image (or CompressedImage) message."""
        msgtype = (COMPRESSED_MSGTYPE if isinstance(message, CompressedImageMessage)
                   else IMAGE_MSGTYPE)
        self.write(topic, log_ns, message.serialize(), msgtype)
