"""The TensorRT engine cache: keys, files, and the checks that decide reuse or rebuild.

An engine is only valid for the ONNX graph, GPU, TensorRT version, precision and profile it
was built with; all of them form its key. The file name is the key's digest and a JSON beside
the engine repeats the full key, so a stale, foreign or half-written entry is detected and
rebuilt instead of loaded. ROS-free and TensorRT-free (unit-tested without a GPU).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from textfusion_ros.backends.cache import write_atomic


@dataclass(frozen=True)
class EngineKey:
    """Everything a serialised engine depends on."""

    onnx_sha256: str
    gpu_name: str
    compute_capability: str
    tensorrt_version: str
    precision: str
    profile: dict

    def as_dict(self) -> dict:
        return asdict(self)

    def digest(self) -> str:
        text = json.dumps(self.as_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class CacheLookup:
    """The cached engine bytes, or None and why it cannot be used."""

    engine: bytes | None
    reason: str


class EngineCache:
    """Engines and timing caches under `root/tensorrt/`."""

    def __init__(self, root: str | Path) -> None:
        self.folder = Path(root) / "tensorrt"

    def engine_path(self, key: EngineKey) -> Path:
        return self.folder / f"{key.digest()}.engine"

    def key_path(self, key: EngineKey) -> Path:
        return self.engine_path(key).with_suffix(".json")

    def timing_cache_path(self, key: EngineKey) -> Path:
        """One timing cache per GPU and TensorRT version (shared across graphs and profiles)."""
        device = f"{key.gpu_name}-{key.compute_capability}-{key.tensorrt_version}"
        return self.folder / f"timing-{hashlib.sha256(device.encode()).hexdigest()[:16]}.cache"

    def load(self, key: EngineKey) -> CacheLookup:
        """The cached engine of `key` if its stored key matches exactly."""
        engine, stored = self.engine_path(key), self.key_path(key)
        if not engine.is_file() or not stored.is_file():
            return CacheLookup(None, f"no cached engine at {engine}")
        try:
            stored_key = json.loads(stored.read_text())
        except (OSError, ValueError) as exc:
            return CacheLookup(None, f"{stored} is unreadable ({exc})")
        expected = json.loads(json.dumps(key.as_dict()))  # as stored: tuples become lists
        if stored_key != expected:
            changed = sorted(k for k in expected if stored_key.get(k) != expected[k])
            return CacheLookup(None, f"{engine} was built for another {', '.join(changed)}")
        return CacheLookup(engine.read_bytes(), f"cached engine {engine}")

    def store(self, key: EngineKey, engine: bytes) -> Path:
        """Write the engine, then its key (a missing key means an incomplete entry)."""
        self.key_path(key).unlink(missing_ok=True)
        path = write_atomic(self.engine_path(key), engine)
        write_atomic(self.key_path(key), (json.dumps(key.as_dict(), indent=1) + "\n").encode())
        return path

    def load_timing_cache(self, key: EngineKey) -> bytes:
        path = self.timing_cache_path(key)
        return path.read_bytes() if path.is_file() else b""

    def store_timing_cache(self, key: EngineKey, data: bytes) -> None:
        write_atomic(self.timing_cache_path(key), data)
