"""Full-resolution part of the network: band splitting and coefficient composition.

The heavy network runs at reduced resolution and predicts a few coefficient maps; full
resolution only sees cheap, fixed operations: a Gaussian band split of each source (fine, mid,
wide detail and a coarse base), a selection per band of the source with the larger local detail
activity (as a Laplacian-pyramid fusion chooses coefficients, but with smoothed activity so the
choice does not flicker pixel by pixel), and a per-pixel linear combination of all of these
(detail gains above 1 sharpen, below 1 denoise).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from textfusion_ros.model.config import ModelConfig

BANDS = ("fine", "mid", "wide")

# Coefficient maps predicted by the network, in channel order, with their neutral values.
COEFFICIENTS = (
    ("ir_base", 0.5), ("vis_base", 0.5), ("vis_tone", 0.0), ("bias", 0.0),
    *((f"ir_{b}", 0.0) for b in BANDS),
    *((f"vis_{b}", 0.0) for b in BANDS),
    *((f"selected_{b}", 1.0) for b in BANDS),
)

Bands = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """1-D normalised Gaussian of radius ⌈3σ⌉."""
    radius = max(1, math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def blur(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of B×C×H×W (per channel), mirrored borders."""
    r = kernel.numel() // 2
    b, c, h, w = x.shape
    x = F.pad(x.reshape(b * c, 1, h, w), (r, r, 0, 0), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1))
    x = F.pad(x, (0, 0, r, r), mode="reflect")
    return F.conv2d(x, kernel.view(1, 1, -1, 1)).reshape(b, c, h, w)


class BandComposer(nn.Module):
    """Band split of single-channel images, detail selection and recombination."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.stride = config.coef_stride
        for name, sigma in (("fine", config.fine_sigma), ("mid", config.mid_sigma),
                            ("coarse", config.coarse_sigma), ("activity", config.activity_sigma)):
            self.register_buffer(f"{name}_kernel", gaussian_kernel(sigma), persistent=False)
        self.register_buffer(
            "neutral", torch.tensor([v for _, v in COEFFICIENTS]).view(1, -1, 1, 1),
            persistent=False)

    def bands(self, x: torch.Tensor) -> Bands:
        """x B×1×H×W → (coarse, wide, mid, fine) whose sum is x."""
        fine_blur = blur(x, self.fine_kernel)
        mid_blur = blur(x, self.mid_kernel)
        coarse = blur(x, self.coarse_kernel)
        return coarse, mid_blur - coarse, fine_blur - mid_blur, x - fine_blur

    def select(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Per pixel, the detail band of the source with the larger smoothed |detail|."""
        activity = blur(torch.cat([a.abs(), b.abs()], dim=1), self.activity_kernel)
        return torch.where(activity[:, :1] >= activity[:, 1:], a, b)

    def selected_details(self, a: Bands, b: Bands) -> list[torch.Tensor]:
        """Selected (wide, mid, fine) detail bands of two sources."""
        return [self.select(x, y) for x, y in zip(a[1:], b[1:], strict=True)]

    def summary(self, x: torch.Tensor, bands: Bands) -> torch.Tensor:
        """Low-resolution description of a source: mean intensity and band energies."""
        _, wide, mid, fine = bands
        stacked = torch.cat([x, 2.0 * wide.abs(), 4.0 * mid.abs(), 8.0 * fine.abs()], dim=1)
        return F.avg_pool2d(stacked, self.stride)

    def compose(self, raw: torch.Tensor, ir: Bands, vis: Bands) -> torch.Tensor:
        """Upsample raw coefficient offsets and apply them to the bands → fused Y in [0, 1]."""
        c = F.interpolate(raw, scale_factor=float(self.stride), mode="bilinear",
                          align_corners=False) + self.neutral
        vis_tone = torch.sqrt(vis[0].clamp(min=0.0) + 1e-3)
        fused = c[:, 0:1] * ir[0] + c[:, 1:2] * vis[0] + c[:, 2:3] * vis_tone + c[:, 3:4]
        details = [*ir[1:], *vis[1:], *self.selected_details(ir, vis)]
        for i, band in enumerate(details):
            fused = fused + c[:, 4 + i:5 + i] * band
        return fused.clamp(0.0, 1.0)
