"""Classic pixel-level fusion baselines applied to the luminance: average, maximum, Laplacian."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .imaging.color import merge_luma, split_luma, to_uint8, to_unit_float


def _luminances(ir: np.ndarray, vis: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(IR in [0, 1], visible Y in [0, 1], visible CrCb or None), all float32 H×W."""
    ir_f = to_unit_float(ir)
    if ir_f.ndim == 3:
        ir_f = cv2.cvtColor(ir_f, cv2.COLOR_BGR2GRAY)
    vis_y, vis_crcb = split_luma(to_unit_float(vis))
    if ir_f.shape != vis_y.shape:
        raise ValueError(f"ir size {ir_f.shape} differs from vis size {vis_y.shape}")
    return ir_f, vis_y, vis_crcb


def _fuse(ir: np.ndarray, vis: np.ndarray,
          rule: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Fuse the luminances with `rule`, clip to [0, 1] and put the visible chroma back."""
    ir_f, vis_y, vis_crcb = _luminances(ir, vis)
    return to_uint8(merge_luma(rule(ir_f, vis_y), vis_crcb))


def average(ir: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """Pixelwise mean of IR and visible luminance."""
    return _fuse(ir, vis, lambda a, b: (a + b) / 2.0)


def maximum(ir: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """Pixelwise maximum of IR and visible luminance."""
    return _fuse(ir, vis, np.maximum)


def _laplacian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """Detail bands (finest first) followed by the low-pass residual; exact for odd sizes."""
    bands = []
    for _ in range(levels):
        if min(image.shape) < 2:
            break
        smaller = cv2.pyrDown(image)
        height, width = image.shape
        bands.append(image - cv2.pyrUp(smaller, dstsize=(width, height)))
        image = smaller
    bands.append(image)
    return bands


def _collapse(bands: list[np.ndarray]) -> np.ndarray:
    """Inverse of _laplacian_pyramid."""
    image = bands[-1]
    for detail in reversed(bands[:-1]):
        height, width = detail.shape
        image = detail + cv2.pyrUp(image, dstsize=(width, height))
    return image


def laplacian_pyramid(ir: np.ndarray, vis: np.ndarray, levels: int = 4) -> np.ndarray:
    """Laplacian-pyramid fusion: `levels` detail bands take the coefficient of larger magnitude,
    the low-pass residual is averaged."""
    if levels < 1:
        raise ValueError(f"levels must be at least 1, got {levels}")

    def rule(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        bands_a, bands_b = _laplacian_pyramid(a, levels), _laplacian_pyramid(b, levels)
        fused = [np.where(np.abs(da) >= np.abs(db), da, db)
                 for da, db in zip(bands_a[:-1], bands_b[:-1], strict=True)]
        fused.append((bands_a[-1] + bands_b[-1]) / 2.0)
        return _collapse(fused)

    return _fuse(ir, vis, rule)


BASELINES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "average": average,
    "maximum": maximum,
    "laplacian_pyramid": laplacian_pyramid,
}
