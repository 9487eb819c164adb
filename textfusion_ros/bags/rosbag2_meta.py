"""What rosbag2 records about a bag beyond the messages, added to bags written with `rosbags`.

rosbags writes `ros_distro: rosbags`, no QoS unless given, and MCAP channels without the
`topic_type_hash` that rosbag2 (Jazzy and later) stores. `finish_bag` sets the distro in
metadata.yaml and in the copy inside the storage file, and adds the type hash to each MCAP
channel (the file is rewritten with the `mcap` library, uncompressed as rosbags writes it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml
from mcap.reader import make_reader
from mcap.writer import CompressionType, Writer
from rosbags.interfaces import (
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)

ROS_DISTRO = "kilted"  # the type store the bags are serialized with (rosbags Stores.ROS2_KILTED)
BAG_VERSIONS = (8, 9)  # rosbag2 metadata versions: 8 for Humble-era readers, 9 = Jazzy/Kilted
_INFINITE = QosTime(sec=9223372036, nsec=854775807)  # rosbag2's "infinite" duration
# What rosbag2 records for a default reliable publisher: history and depth are not discovered.
RELIABLE_PUBLISHER_QOS = Qos(
    history=QosHistory.UNKNOWN, depth=0, reliability=QosReliability.RELIABLE,
    durability=QosDurability.VOLATILE, deadline=_INFINITE, lifespan=_INFINITE,
    liveliness=QosLiveliness.AUTOMATIC, liveliness_lease_duration=_INFINITE,
    avoid_ros_namespace_conventions=False)


def _with_distro(serialized: str) -> str:
    data = yaml.safe_load(serialized)
    info = data.get("rosbag2_bagfile_information", data)
    info["ros_distro"] = ROS_DISTRO
    return yaml.safe_dump(data, sort_keys=False)


def finish_bag(path: str | Path, type_hashes: dict[str, str]) -> None:
    """Set ros_distro everywhere and the MCAP channels' topic_type_hash (topic → RIHS01 hash)."""
    path = Path(path)
    metadata_file = path / "metadata.yaml"
    metadata_file.write_text(_with_distro(metadata_file.read_text()))
    info = yaml.safe_load(metadata_file.read_text())["rosbag2_bagfile_information"]
    for name in info["relative_file_paths"]:
        storage_file = path / name
        if info["storage_identifier"] == "sqlite3":
            _fix_sqlite3(storage_file)
        else:
            _rewrite_mcap(storage_file, type_hashes)


def _fix_sqlite3(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT rowid, metadata FROM metadata").fetchall()
        for rowid, text in rows:
            connection.execute("UPDATE metadata SET metadata = ? WHERE rowid = ?",
                               (_with_distro(text), rowid))


def _rewrite_mcap(file: Path, type_hashes: dict[str, str]) -> None:
    rewritten = file.with_suffix(".mcap.tmp")
    with open(file, "rb") as source, open(rewritten, "wb") as target:
        reader = make_reader(source)
        header, summary = reader.get_header(), reader.get_summary()
        writer = Writer(target, compression=CompressionType.NONE)
        writer.start(profile=header.profile, library=header.library)
        schema_ids = {schema.id: writer.register_schema(schema.name, schema.encoding, schema.data)
                      for schema in summary.schemas.values()}
        channel_ids = {}
        for channel in summary.channels.values():
            metadata = dict(channel.metadata)
            if channel.topic in type_hashes:
                metadata["topic_type_hash"] = type_hashes[channel.topic]
            channel_ids[channel.id] = writer.register_channel(
                channel.topic, channel.message_encoding, schema_ids.get(channel.schema_id, 0),
                metadata)
        for _, channel, message in reader.iter_messages(log_time_order=False):
            writer.add_message(channel_ids[channel.id], message.log_time, message.data,
                               message.publish_time, message.sequence)
        for record in reader.iter_metadata():
            data = dict(record.metadata)
            if record.name == "rosbag2" and "serialized_metadata" in data:
                data["serialized_metadata"] = _with_distro(data["serialized_metadata"])
            writer.add_metadata(record.name, data)
        writer.finish()
    rewritten.replace(file)
