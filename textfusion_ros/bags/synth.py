"""A synthetic IR + VIS camera recording as a rosbag2 bag, from
`textfusion_ros.imaging.scenes` scenes.

Both cameras run at `rate` Hz. Frame i is stamped near START_NS + i / rate: the VIS stamp
with uniform jitter in ±jitter_ms, the IR stamp `ir_offset_ms` later with its own jitter, as
two free-running cameras would be. Each message's log time is its stamp plus a transport delay
drawn from TRANSPORT_MS; messages are written in log-time order, which needs the spread of
one frame's log times to be shorter than the frame period (checked).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textfusion_ros.bags.io import BagWriter, ImageMessage
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame

START_NS = 1_750_000_000 * 1_000_000_000  # a fixed start time, so bags are reproducible
TRANSPORT_MS = (1.0, 4.0)
IR_FRAME_ID = "ir_camera"
VIS_FRAME_ID = "vis_camera"
_MS = 1_000_000


@dataclass(frozen=True)
class BagTiming:
    """Frame rate and stamp offsets of the synthetic cameras."""

    rate: float = 30.0
    ir_offset_ms: float = 5.0
    jitter_ms: float = 2.0

    def __post_init__(self) -> None:
        if not self.rate > 0.0:
            raise ValueError(f"rate must be > 0 Hz, got {self.rate}")
        if self.jitter_ms < 0.0:
            raise ValueError(f"jitter_ms must be >= 0, got {self.jitter_ms}")
        spread = abs(self.ir_offset_ms) + 2 * self.jitter_ms + TRANSPORT_MS[1] - TRANSPORT_MS[0]
        if spread >= 1000.0 / self.rate:
            raise ValueError(
                f"|ir_offset_ms| + 2 x jitter_ms + {TRANSPORT_MS[1] - TRANSPORT_MS[0]:g} ms "
                f"of transport spread = {spread:g} ms must be shorter than the frame period "
                f"{1000.0 / self.rate:g} ms")


def write_synthetic_bag(out: str | Path, scene: SceneConfig, frames: int,
                        timing: BagTiming = BagTiming(), storage: str = "mcap",
                        ir_topic: str = "/ir/image", vis_topic: str = "/vis/image",
                        version: int = 9) -> int:
    """Write `frames` IR + VIS pairs (IR mono8 or mono16 per scene.ir_bits, VIS bgr8) to a new
    bag at `out`; return the number of messages written."""
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    rng = np.random.default_rng(scene.seed)
    with BagWriter(out, storage, version) as writer:
        for index in range(frames):
            ir, vis = generate_frame(scene, index)
            nominal = START_NS + round(index * 1e9 / timing.rate)
            jitter = rng.uniform(-timing.jitter_ms, timing.jitter_ms, 2)
            ir_stamp = nominal + round((timing.ir_offset_ms + jitter[0]) * _MS)
            vis_stamp = nominal + round(jitter[1] * _MS)
            ir_msg = ImageMessage.from_array(ir, ir_stamp, IR_FRAME_ID)
            vis_msg = ImageMessage.from_array(vis, vis_stamp, VIS_FRAME_ID)
            delays = np.round(rng.uniform(*TRANSPORT_MS, 2) * _MS).astype(int)
            entries = [(ir_stamp + int(delays[0]), ir_topic, ir_msg),
                       (vis_stamp + int(delays[1]), vis_topic, vis_msg)]
            for log_ns, topic, message in sorted(entries, key=lambda entry: entry[0]):
                writer.write_image(topic, log_ns, message)
    return 2 * frames
