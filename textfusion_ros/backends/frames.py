"""Frame preparation shared by the backends: size checks, padding to the size multiple, crop."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from textfusion_ros.model.padding import pad_to_multiple


@dataclass(frozen=True)
class PaddedFrame:
    """One IR + VIS luminance pair as 1×1×H'×W' float32 arrays, H' and W' padded up to the
    size multiple; `crop` cuts a network output back to the original H×W."""

    ir: np.ndarray
    vis: np.ndarray
    height: int
    width: int

    @classmethod
    def of(cls, ir: np.ndarray, vis_y: np.ndarray, multiple: int) -> PaddedFrame:
        if ir.shape != vis_y.shape or ir.ndim != 2:
            raise ValueError(f"infrared {ir.shape} and visible {vis_y.shape} must be equal H×W")
        h, w = ir.shape
        ir_p, vis_p = (pad_to_multiple(np.asarray(a, np.float32), multiple)[None, None]
                       for a in (ir, vis_y))
        return cls(np.ascontiguousarray(ir_p), np.ascontiguousarray(vis_p), h, w)

    def crop(self, fused: np.ndarray) -> np.ndarray:
        """B×1×H'×W' network output → H×W float32."""
        return np.asarray(fused[0, 0, :self.height, :self.width], dtype=np.float32)
