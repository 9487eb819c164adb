"""Input-size profiles of shape-specialised engines (TensorRT): min / opt / max H×W, the input
shapes they imply, and how a frame larger than the maximum is handled (resized down)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


@dataclass(frozen=True)
class ShapeProfile:
    """Sizes (already multiples of the network's size multiple) and prompt lengths an engine
    accepts; `opt` is the size it is tuned for."""

    min_hw: tuple[int, int]
    opt_hw: tuple[int, int]
    max_hw: tuple[int, int]
    multiple: int
    text_dim: int
    max_tokens: int
    opt_tokens: int = 16

    @classmethod
    def from_config(cls, min_hw: list[int], opt_hw: list[int], max_hw: list[int],
                    multiple: int, text_dim: int, max_tokens: int) -> ShapeProfile:
        """Round each configured size up to the size multiple."""
        def rounded(hw: list[int]) -> tuple[int, int]:
            return round_up(int(hw[0]), multiple), round_up(int(hw[1]), multiple)
        return cls(rounded(min_hw), rounded(opt_hw), rounded(max_hw), multiple, text_dim,
                   max_tokens, min(16, max_tokens))

    def input_shapes(self) -> dict[str, tuple[tuple[int, ...], ...]]:
        """(min, opt, max) shape of every graph input, batch 1."""
        def image(hw: tuple[int, int]) -> tuple[int, ...]:
            return (1, 1, *hw)
        tokens = (1, self.opt_tokens, self.max_tokens)
        text = tuple((1, t, self.text_dim) for t in tokens)
        mask = tuple((1, t) for t in tokens)
        images = (image(self.min_hw), image(self.opt_hw), image(self.max_hw))
        pooled = ((1, self.text_dim),) * 3
        return {"ir": images, "vis": images, "text_pooled": pooled, "text_tokens": text,
                "text_mask": mask}

    def padded_size(self, height: int, width: int) -> tuple[int, int]:
        """The network input size for an H×W frame: padded to the multiple and to the minimum."""
        return (max(round_up(height, self.multiple), self.min_hw[0]),
                max(round_up(width, self.multiple), self.min_hw[1]))

    def fitted_size(self, height: int, width: int) -> tuple[int, int] | None:
        """None when an H×W frame fits; else the largest size of the same aspect that does
        (frames over the maximum are resized down, fused, and the result resized back)."""
        if height <= self.max_hw[0] and width <= self.max_hw[1]:
            return None
        scale = min(self.max_hw[0] / height, self.max_hw[1] / width)
        return max(1, int(height * scale)), max(1, int(width * scale))

    def as_dict(self) -> dict:
        return asdict(self)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-average down / linear up resize of an H×W float image."""
    shrink = height < image.shape[0] or width < image.shape[1]
    return cv2.resize(image, (width, height),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
