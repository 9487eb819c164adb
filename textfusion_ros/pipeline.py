"""The fusion pipeline: images in any supported form + the active prompt → fused image."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from textfusion_ros.backends.base import FusionBackend, create_backend
from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.bounding import bounded_size, enlarge, shrink
from textfusion_ros.imaging.color8 import merge_fused, split_for_fusion
from textfusion_ros.imaging.image_codec import AgcConfig, to_fusion_inputs
from textfusion_ros.memory import release_free_memory
from textfusion_ros.model.checkpoint import FusionModelFile, load_model_file
from textfusion_ros.paths import default_model_path
from textfusion_ros.stats import RollingStats
from textfusion_ros.text.cache import PromptCache
from textfusion_ros.text.embedding import TextEmbedding
from textfusion_ros.text.encoders import create_encoder

TIMING_WINDOW = 300  # frames behind the inference and pre/post-processing percentiles


class FusionPipeline:
    """Loads a model once, keeps the active prompt, and fuses frames.

    `set_prompt` validates and embeds a prompt; a rejected prompt raises PromptRejected and the
    active prompt stays. A new prompt applies to the next `fuse` call.
    """

    def __init__(self, config: FusionConfig | None = None) -> None:
        self.config = config or FusionConfig()
        self.model_path = self.config.model or str(default_model_path())
        self.model: FusionModelFile = load_model_file(self.model_path)
        encoder = dict(self.model.text_encoder)
        encoder_name = encoder.pop("name", "minilm")
        self.prompts = PromptCache(self.model.prompt_bank,
                                   lambda: create_encoder(encoder_name, **encoder),
                                   capacity=self.config.prompt_cache_size,
                                   max_chars=self.config.max_prompt_chars,
                                   max_unknown_ratio=self.config.max_unknown_token_ratio)
        self.backend: FusionBackend
        self.backend, self.choice = create_backend(self.config, self.model, self.model_path)
        # Per frame: the backend call (padding, transfers, network) and, in `fuse`, the
        # pre/post-processing around it (gain control, colour split and merge).
        self.inference_ms = RollingStats(TIMING_WINDOW)
        self.prepost_ms = RollingStats(TIMING_WINDOW)
        self.agc = AgcConfig(self.config.agc_low_percentile, self.config.agc_high_percentile)
        self._lock = threading.Lock()
        self._active: tuple[str, TextEmbedding] = self.prompts.get(
            self.config.prompt or self.model.default_prompt)
        self.backend.prepare(*self.config.profile_opt_hw, self._active[1])

    @property
    def active_prompt(self) -> str:
        return self._active[0]

    @property
    def active_embedding(self) -> TextEmbedding:
        return self._active[1]

    def set_prompt(self, prompt: object) -> str:
        """Make `prompt` active (after validation) and return it as stored."""
        active = self.prompts.get(prompt)
        with self._lock:
            self._active = active
        return active[0]

    def fuse_luma(self, ir: np.ndarray, vis_y: np.ndarray,
                  text: TextEmbedding | None = None) -> np.ndarray:
        """Float [0, 1] infrared and visible luminance → fused luminance (active prompt)."""
        start = time.perf_counter()
        fused = self.backend.fuse(ir, vis_y, text or self._active[1])
        self.inference_ms.add((time.perf_counter() - start) * 1e3)
        return fused

    def fuse(self, ir: np.ndarray, vis: np.ndarray,
             text: TextEmbedding | None = None) -> np.ndarray:
        """Infrared (8-bit, or 16-bit / float through gain control) + visible (uint8 BGR or
        grey, same H×W) → uint8 BGR (grey when the visible is grey) of the visible's size.
        The colour is the visible's, cleaned of sensor noise (`clean_chroma`). `text`, when
        given, replaces the active prompt's embedding for this call (validation of a pair's
        own paragraph).

        A pair larger than `config.max_pixels` is fused at a reduced size; the fused luminance
        is upsampled to the visible size and recombined with the full-size visible colour, and
        the freed heap is handed back to the system afterwards.
        """
        start = time.perf_counter()
        pair = prepare_pair(ir, vis, self.agc, self.config.max_pixels)
        middle = time.perf_counter()
        fused_y = self.fuse_luma(pair.ir, pair.vis_y, text)
        resumed = time.perf_counter()
        fused = finish_pair(pair, fused_y)
        self.prepost_ms.add((middle - start + time.perf_counter() - resumed) * 1e3)
        if pair.reduced:
            del pair, fused_y
            release_free_memory()
        return fused


@dataclass
class PreparedPair:
    """A pair ready for the network, IR and visible luminance as float [0, 1] at the size it
    is fused at, with what `finish_pair` needs to give the fused image the visible's colour."""

    ir: np.ndarray
    vis_y: np.ndarray
    ycrcb: np.ndarray | None
    """uint8 YCrCb at the visible's full size: its cleaned chroma, the Y channel left for the
    fused luminance (`split_for_fusion`); None for a grey visible image."""
    shape: tuple[int, int]
    """The visible's H×W."""
    reduced: bool
    """True when the pair is fused below its size (`max_pixels`)."""


def prepare_pair(ir: np.ndarray, vis: np.ndarray, agc: AgcConfig,
                 max_pixels: int) -> PreparedPair:
    """The work before the network: gain control, luminance/chroma split, chroma cleaning, and
    the reduction of a pair above `max_pixels` (0: no bound)."""
    if ir.shape[:2] != vis.shape[:2]:
        raise ValueError(f"infrared {ir.shape[:2]} and visible {vis.shape[:2]} sizes differ; "
                         "align them first (textfusion_ros.imaging.registration)")
    ir_unit, vis = to_fusion_inputs(ir, vis, agc)
    y, ycrcb = split_for_fusion(vis)
    reduced = bounded_size(*y.shape, max_pixels)
    if reduced is None:
        return PreparedPair(ir_unit, y, ycrcb, y.shape, False)
    return PreparedPair(shrink(ir_unit, reduced), shrink(y, reduced), ycrcb, y.shape, True)


def finish_pair(pair: PreparedPair, fused_y: np.ndarray) -> np.ndarray:
    """The work after the network: the fused luminance (upsampled when the pair was reduced)
    with the visible's chroma → uint8 BGR, or grey for a grey visible image."""
    if pair.reduced:
        fused_y = enlarge(fused_y, pair.shape)
    return merge_fused(fused_y, pair.ycrcb)
