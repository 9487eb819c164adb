"""Standard deviation (SD) of the fused image, the usual contrast metric."""

from __future__ import annotations

import numpy as np

from .grey import grey_float


def standard_deviation(fused: np.ndarray) -> float:
    """SD: population standard deviation (ddof = 0) of the 8-bit grey fused image."""
    return float(np.std(grey_float(fused)))
