"""Night-quality measures: how conspicuous thermal targets stay, and how much noise shows in
flat areas. Both work on 8-bit grey images (any input is converted as the other metrics do)."""

from __future__ import annotations

import cv2
import numpy as np

from .grey import grey_float

HOT_PERCENTILE = 97.0
FLAT_PERCENTILE = 30.0


def thermal_target_mask(ir: np.ndarray, percentile: float = HOT_PERCENTILE) -> np.ndarray:
    """Pixels among the hottest `100 − percentile` % of the infrared (its warm targets)."""
    grey = grey_float(ir)
    return grey >= np.percentile(grey, percentile)


def thermal_target_contrast(fused: np.ndarray, hot: np.ndarray) -> float:
    """Mean grey level of the fused image on the thermal targets minus everywhere else."""
    grey = grey_float(fused)
    if hot.all() or not hot.any():
        return 0.0
    return float(grey[hot].mean() - grey[~hot].mean())


def flat_area_mask(reference: np.ndarray, percentile: float = FLAT_PERCENTILE) -> np.ndarray:
    """Pixels where the reference image's (lightly smoothed) gradient is among its smallest."""
    grey = cv2.GaussianBlur(grey_float(reference), (0, 0), 1.0)
    magnitude = np.hypot(cv2.Sobel(grey, cv2.CV_64F, 1, 0), cv2.Sobel(grey, cv2.CV_64F, 0, 1))
    return magnitude <= np.percentile(magnitude, percentile)


def flat_area_noise(image: np.ndarray, flat: np.ndarray) -> float:
    """Standard deviation of the image's fine band (image − Gaussian σ 1.5) over `flat`."""
    grey = grey_float(image)
    fine = grey - cv2.GaussianBlur(grey, (0, 0), 1.5)
    return float(fine[flat].std())
