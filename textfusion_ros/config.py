"""The inference configuration schema shared by the CLI, the ROS node and evaluation tools."""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml


@dataclass
class FusionConfig:
    """How to run fusion. Every field is also a ROS parameter of the node (same name)."""

    model: str = ""
    """Path of a .safetensors model file; empty = the shipped model."""
    backend: str = "auto"
    """Inference backend: auto, torch, onnxruntime or tensorrt. auto takes the first that works
    of tensorrt, onnxruntime on a GPU, torch CUDA, onnxruntime CPU, torch CPU (logged)."""
    device: str = "auto"
    """auto (the GPU when there is one), cpu or cuda[:N]."""
    precision: str = "fp32"
    """fp32, or fp16 (GPU backends only; a CPU backend chosen by auto falls back to fp32)."""
    threads: int = 0
    """CPU threads for inference; 0 = the runtime's default."""
    cpu_spin_wait: bool = False
    """ONNX Runtime CPU threads busy-wait for work between operators: faster alone (9.6 vs 12.4
    ms at 640×512 here), but the spinning takes CPU from the node's receive threads and its
    other model (60 Hz soak: 0.14 % vs 0 % input loss, 20.6 vs 27.2 fused frames/s)."""
    onnx_model: str = ""
    """An exported fusion.onnx (textfusion export) to run instead of exporting `model`
    automatically; its sidecar JSON must name the same model hash."""
    engine_cache_dir: str = ""
    """Folder for exported ONNX graphs, optimised ONNX Runtime models and TensorRT engines and
    timing caches; empty = $XDG_CACHE_HOME/textfusion_ros (~/.cache/textfusion_ros)."""
    force_engine_update: bool = False
    """Rebuild the TensorRT engine even when the cached one matches."""
    profile_min_hw: list[int] = field(default_factory=lambda: [128, 128])
    """TensorRT optimisation profile: smallest input [height, width]."""
    profile_opt_hw: list[int] = field(default_factory=lambda: [512, 640])
    """... the size the engine is tuned for (and CUDA graphs are captured at in configure)."""
    profile_max_hw: list[int] = field(default_factory=lambda: [1024, 1280])
    """... largest input; larger frames are resized down to fit and the result resized back."""
    cuda_graphs: bool = True
    """torch on CUDA: replay a captured CUDA graph for each input size seen."""
    prompt: str = ""
    """Initial prompt; empty = the model's default prompt."""
    prompt_cache_size: int = 64
    """Distinct free-text prompts kept embedded (LRU)."""
    max_prompt_chars: int = 1000
    """Longer prompts are rejected."""
    max_unknown_token_ratio: float = 0.5
    """A free-text prompt with a larger share of tokens unknown to the text encoder (emoji,
    scripts it does not read) is rejected with a reason."""
    max_pixels: int = 1280 * 1024
    """Larger pairs are fused at a reduced size (aspect kept) and the fused luminance is
    upsampled to the visible size (colour stays at full size); 0 = no limit."""
    agc_low_percentile: float = 1.0
    """Automatic gain control of 16-bit / float thermal images: low percentile → black."""
    agc_high_percentile: float = 99.0
    """… high percentile → white."""

    @classmethod
    def from_dict(cls, data: dict) -> FusionConfig:
        """Build from a mapping; unknown keys are an error naming them."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown fusion config keys: {unknown}; known: {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: str | Path, section: str = "fusion") -> FusionConfig:
        """Read the `section` mapping of a YAML file (the whole file when it has no such key)."""
        data = yaml.safe_load(Path(path).read_text()) or {}
        return cls.from_dict(data.get(section, data))

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if not (self.device in ("auto", "cpu") or self.device.startswith("cuda")):
            raise ValueError(f"device must be auto, cpu or cuda[:N], got {self.device!r}")
        sizes = (self.profile_min_hw, self.profile_opt_hw, self.profile_max_hw)
        if any(len(hw) != 2 or min(hw) < 1 for hw in sizes):
            raise ValueError("profile_min_hw, profile_opt_hw and profile_max_hw need two "
                             f"positive numbers [height, width], got {[list(s) for s in sizes]}")
        for axis in (0, 1):
            if not sizes[0][axis] <= sizes[1][axis] <= sizes[2][axis]:
                raise ValueError(f"profile sizes need min <= opt <= max, got "
                                 f"{[list(s) for s in sizes]}")
        if self.max_pixels < 0:
            raise ValueError(f"max_pixels must be >= 0, got {self.max_pixels}")
        if not 0.0 <= self.max_unknown_token_ratio <= 1.0:
            raise ValueError("max_unknown_token_ratio must be within [0, 1], "
                             f"got {self.max_unknown_token_ratio}")

    def to_dict(self) -> dict:
        return asdict(self)


BACKENDS = ("auto", "torch", "onnxruntime", "tensorrt")
PRECISIONS = ("fp32", "fp16")
RELIABILITY_MODES = ("auto", "reliable", "best_effort")
TRANSPORTS = ("raw", "compressed")
DETECTIONS_MSG_MODES = ("auto", "vision_msgs", "textfusion")
DEFAULT_DETECTOR_CLASSES = ("person", "bicycle", "car", "motorcycle", "bus", "truck")


@dataclass
class NodeConfig:
    """How the ROS node connects, pairs and reports. Every field is a ROS parameter (same name)."""

    ir_topic: str = "ir/image"
    """Infrared sensor_msgs/Image topic (mono8, mono16, 32FC1, ...)."""
    vis_topic: str = "vis/image"
    """Visible sensor_msgs/Image topic (bgr8, rgb8, mono8, ...)."""
    ir_transport: str = "raw"
    """raw (sensor_msgs/Image on ir_topic) or compressed (sensor_msgs/CompressedImage on
    `<ir_topic>/compressed`, as image_transport's compressed and compressedDepth publish)."""
    vis_transport: str = "raw"
    """raw or compressed (JPEG/PNG CompressedImage on `<vis_topic>/compressed`)."""
    fused_topic: str = "fused/image"
    """Output topic: bgr8, or mono8 when the visible image is grey; stamp and frame of the VIS."""
    prompt_topic: str = "prompt"
    """std_msgs/String topic that sets the prompt."""
    queue_size: int = 20
    """Unpaired images kept per camera while waiting for a partner: as many as `qos_depth`, so
    that one camera's callbacks running ahead of the other's do not evict pairs (at 5, 60 Hz
    soaks lost 1 pair in 20 to 1 in 5 that way: `late_partners` in diagnostics)."""
    slop: float = 0.015
    """Largest stamp difference (s) within a pair. Under half the 33 ms period of 30 Hz cameras,
    so a frame has at most one candidate partner."""
    time_jump_threshold: float = 1.0
    """A stamp this many seconds older than the newest of its camera is a time jump (bag loop,
    clock reset): the pairing queues are cleared."""
    reliability: str = "auto"
    """Image subscriptions: auto (match the publishers found, re-checked as they come and go;
    sensor-data QoS until one is found), reliable or best_effort."""
    qos_depth: int = 20
    """History depth of the image subscriptions and of the fused publisher: 20 frames (1/3 s at
    60 Hz) cover the callbacks' stalls while the model is busy (soak benchmark, README)."""
    qos_check_period: float = 1.0
    """With reliability auto: seconds between checks of the publishers' reliability."""
    worker_nice: int = 10
    """Nice increment of the model work (fusion worker thread, inference thread pools) over the
    input path (middleware threads, image callbacks), Linux; 0 = the same priority. A busy
    model then takes only the CPU the cameras' messages leave (soak benchmark, README)."""
    homography: list[float] = field(default_factory=list)
    """Row-major 3x3 IR-to-VIS pixel homography (9 numbers); empty = resize IR to the VIS size."""
    autostart: bool = True
    """Configure and activate at startup; false = wait for lifecycle transitions."""
    hardware_id: str = "none"
    """hardware_id of the diagnostic status: name the camera pair (e.g. front_ir_rgb)."""
    preload_text_encoder: bool = True
    """At configure, load the text encoder in the background so the first free-text prompt is
    fast (not ~7 s); skipped, with a log line, when less than 4 GB of memory is available."""
    diagnostics_period: float = 1.0
    """Seconds between /diagnostics messages."""
    stats_window: int = 300
    """Latency samples behind the p50/p99 in diagnostics (the last plausible ones)."""
    latency_horizon: float = 10.0
    """A fused frame whose VIS stamp is more than this many seconds old, or in the future, has a
    bad stamp: its latency is counted apart from the p50/p99 and a warning is logged (not with
    use_sim_time)."""
    silence_timeout: float = 3.0
    """A camera silent this long (s) while active turns the diagnostics level to WARN."""
    log_throttle: float = 5.0
    """Least seconds between two warnings of one kind (bad images, time jumps, errors)."""
    detections_topic: str = "detections"
    """Detection2DArray of every fused frame (empty included); `<topic>/image` draws them."""
    detections_msg: str = "auto"
    """auto (vision_msgs when importable, else textfusion_interfaces), vision_msgs or
    textfusion: the Detection2DArray type published (both have the same fields)."""

    def __post_init__(self) -> None:
        if self.reliability not in RELIABILITY_MODES:
            raise ValueError(
                f"reliability must be one of {', '.join(RELIABILITY_MODES)}, "
                f"got {self.reliability!r}")
        for name in ("ir_transport", "vis_transport"):
            if getattr(self, name) not in TRANSPORTS:
                raise ValueError(f"{name} must be one of {', '.join(TRANSPORTS)}, "
                                 f"got {getattr(self, name)!r}")
        for name in ("ir_topic", "vis_topic", "fused_topic", "prompt_topic", "detections_topic"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        if not 0 <= self.worker_nice <= 19:
            raise ValueError(f"worker_nice must be in 0..19, got {self.worker_nice}")
        for name in ("queue_size", "qos_depth", "stats_window"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.slop >= 0.0:
            raise ValueError(f"slop must be >= 0 s, got {self.slop}")
        for name in ("time_jump_threshold", "qos_check_period", "diagnostics_period",
                     "silence_timeout", "latency_horizon"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"{name} must be > 0 s, got {getattr(self, name)}")
        if not self.log_throttle >= 0.0:
            raise ValueError(f"log_throttle must be >= 0 s, got {self.log_throttle}")
        if self.detections_msg not in DETECTIONS_MSG_MODES:
            raise ValueError(f"detections_msg must be one of {', '.join(DETECTIONS_MSG_MODES)}, "
                             f"got {self.detections_msg!r}")
        if len(self.homography) not in (0, 9):
            raise ValueError(
                f"homography needs 9 numbers (or none), got {len(self.homography)}")


DETECTOR_FORMATS = ("ssd_tf", "yolo")


@dataclass
class DetectorConfig:
    """The detector run on the fused image. YAML block `detector:`; node parameters
    `detector.<field>` (a nested YAML block under ros__parameters gives exactly these names)."""

    enabled: bool = True
    """Run the detector on every fused frame (the shipped SSDLite when `model` is empty; the
    node turns detection off, warning, when that is not installed)."""
    model: str = ""
    """Path of a detector .onnx; empty = the shipped models/ssdlite_mobilenet_v2_coco.onnx."""
    format: str = "ssd_tf"
    """ssd_tf (TF Object Detection API export) or yolo (v8/v11 (1,4+nc,N) or v5 (1,N,5+nc))."""
    classes: list[str] = field(default_factory=lambda: list(DEFAULT_DETECTOR_CLASSES))
    """Class names kept; [] = every class of the model."""
    score_threshold: float = 0.5
    """Detections scoring less are dropped."""
    iou_threshold: float = 0.45
    """Class-aware non-maximum suppression overlap (IoU) limit."""
    max_detections: int = 100
    """Most detections kept per frame (best first)."""
    input_size: int = 0
    """Square network input side (px); 0 = from the model (metadata, fixed input, or 300 SSD)."""
    threads: int = 0
    """CPU threads of the detector's ONNX Runtime session; 0 = the runtime's default."""
    cpu_spin_wait: bool = False
    """The detector session's CPU threads busy-wait between operators (see FusionConfig)."""
    prompt_class_threshold: float = 0.75
    """A prompt word this similar (text-encoder cosine) to a class name or synonym marks it."""

    def __post_init__(self) -> None:
        if self.format not in DETECTOR_FORMATS:
            raise ValueError(f"detector format must be one of {', '.join(DETECTOR_FORMATS)}, "
                             f"got {self.format!r}")
        for name in ("score_threshold", "iou_threshold", "prompt_class_threshold"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"detector {name} must be in [0, 1], got {getattr(self, name)}")
        if self.max_detections < 1:
            raise ValueError(f"detector max_detections must be >= 1, got {self.max_detections}")
        if self.input_size < 0 or self.threads < 0:
            raise ValueError("detector input_size and threads must be >= 0")

    @classmethod
    def from_yaml(cls, path: str | Path, section: str = "detector") -> DetectorConfig:
        """Read the `section` mapping of a YAML file: at the top level, or inside a ROS
        parameters file's `ros__parameters` (defaults when absent); unknown keys fail."""
        data = yaml.safe_load(Path(path).read_text()) or {}
        nodes = [v["ros__parameters"] for v in data.values()
                 if isinstance(v, dict) and isinstance(v.get("ros__parameters"), dict)]
        block = next((d[section] for d in [data, *nodes] if section in d), None) or {}
        unknown = sorted(set(block) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown detector config keys: {unknown}")
        return cls(**block)

def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass (whitespace collapsed), by field name."""
    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
    docs = {}
    for statement, following in zip(body, body[1:], strict=False):
        if (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            docs[statement.target.id] = " ".join(following.value.value.split())
    return docs
