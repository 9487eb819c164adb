"""Full-resolution part of the network: a Laplacian pyramid of both sources, detail selection
and recombination.

The heavy network runs at 1/8 resolution and predicts a few coefficient maps there. Everything
else is cheap and fixed, and full resolution sees only a handful of operations per pixel:

- each source is split into a Laplacian pyramid by 2×2 averaging and bilinear upsampling:
  fine (full resolution), mid (1/2), wide (1/4) detail bands and a base at 1/8;
- per band, the source with the larger local detail activity (mean |detail| over blocks of
  the band: 4×4 by default, 2×2 for the widest, `ModelConfig.activity_blocks` to choose) is
  selected, as a Laplacian pyramid fusion chooses coefficients; with blocks the bilinear
  upsampling of the resulting gains blends the choice between them; a block of 1 selects pixel
  by pixel, as the pyramid fusion's choose-max rule does;
- the fused base is a per-pixel combination of both bases (and a tone curve of the visible),
  computed at 1/8; with `normalised_bases` it also combines the visible base over its image
  mean (so a dark visible is brightened by a moderate coefficient) and the infrared base
  standardised by its image mean and std (so a low-contrast infrared is restored without
  large, image-dependent coefficients);
- each band adds a per-pixel gain of each source's band plus a gain of the selected band;
  gains above 1 sharpen, below 1 denoise. The selected-band gain is folded into the two source
  gains at the activity's resolution, so a band costs one upsampling of two gain maps, two
  multiplications and a sum.

Sources travel together as a B×2×H×W tensor (channel 0 infrared, channel 1 visible).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textfusion_ros.model.config import ModelConfig

BANDS = ("fine", "mid", "wide")

# Coefficient maps predicted by the network at the base resolution, in channel order, with
# their neutral values.
COEFFICIENTS = (
    ("ir_base", 0.5), ("vis_base", 0.5), ("vis_tone", 0.0), ("bias", 0.0),
    *(item for b in BANDS for item in ((f"ir_{b}", 0.0), (f"vis_{b}", 0.0),
                                       (f"selected_{b}", 1.0))),
)
BASE_COEFFICIENTS = 4
# Appended when `ModelConfig.normalised_bases` is set: gains of the exposed visible base and of
# the standardised infrared base.
NORMALISED_COEFFICIENTS = (("vis_exposed", 0.0), ("ir_normalised", 0.0))
NORMALISE_FLOOR = 0.02  # added to the image mean / std the normalised bases divide by
SELECTION_RAMP = 1e-3  # activity difference over which the selection passes between sources


def coefficients(config: ModelConfig) -> tuple[tuple[str, float], ...]:
    """The coefficient maps a network of this config predicts, in channel order."""
    return COEFFICIENTS + (NORMALISED_COEFFICIENTS if config.normalised_bases else ())


def exposed(base: torch.Tensor) -> torch.Tensor:
    """A base over its image mean: mid-grey-centred whatever the exposure."""
    return base / (base.mean(dim=(2, 3), keepdim=True).clamp(min=0.0) + NORMALISE_FLOOR)


def standardised(base: torch.Tensor) -> torch.Tensor:
    """A base minus its image mean over its image std: unit contrast whatever the contrast."""
    centred = base - base.mean(dim=(2, 3), keepdim=True)
    return centred / (centred.square().mean(dim=(2, 3), keepdim=True).sqrt() + NORMALISE_FLOOR)


def upsample2(x: torch.Tensor) -> torch.Tensor:
    """Bilinear ×2 upsampling (half-pixel centres)."""
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


def downsample2(x: torch.Tensor) -> torch.Tensor:
    """2×2 averaging (strided slices: several times faster than avg_pool2d on CPU)."""
    return 0.25 * (x[..., ::2, ::2] + x[..., 1::2, ::2] + x[..., ::2, 1::2]
                   + x[..., 1::2, 1::2])


@dataclass
class Pyramid:
    """Laplacian pyramid of stacked sources and the detail activity of each band.

    `bands[k]` is at 1/2^k resolution, `base` at 1/2^levels; `activity[k]` is the mean
    |bands[k]| over blocks of `blocks[k]`×`blocks[k]` band pixels.
    """

    base: torch.Tensor
    bands: list[torch.Tensor]
    activity: list[torch.Tensor]
    blocks: tuple[int, ...]

    def reconstruct(self) -> torch.Tensor:
        """The image the pyramid came from (exact up to rounding)."""
        x = self.base
        for band in reversed(self.bands):
            x = upsample2(x) + band
        return x

    def masks(self) -> list[torch.Tensor]:
        """Per band, 1 where the infrared (channel 0) is the more active source, 0 where the
        visible is (B×1 at the activity's resolution)."""
        # A ramp of width SELECTION_RAMP rather than a hard comparison: where the two
        # activities (nearly) tie, runtimes that round differently would otherwise flip the
        # choice and disagree by far more than their rounding; a tie now takes half of each.
        return [(0.5 + (a[:, :1] - a[:, 1:]) / SELECTION_RAMP).clamp(0.0, 1.0)
                for a in self.activity]


def upsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Bilinear upsampling by a power of two, in ×2 steps."""
    while factor > 1:
        x = upsample2(x)
        factor //= 2
    return x


class PyramidComposer(nn.Module):
    """Laplacian pyramid split, detail activity, selection and recombination."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.levels = config.pyramid_levels
        self.blocks = config.activity_block_sides()
        self.normalised = config.normalised_bases
        self.register_buffer(
            "neutral", torch.tensor([v for _, v in coefficients(config)]).view(1, -1, 1, 1),
            persistent=False)

    def pyramid(self, x: torch.Tensor) -> Pyramid:
        """B×C×H×W (H, W multiples of 2^levels) → its Laplacian pyramid and band activities."""
        bands, activity = [], []
        for block in self.blocks:
            low = downsample2(x)
            band = x - upsample2(low)
            act = band.abs()
            for _ in range(block.bit_length() - 1):
                act = downsample2(act)
            bands.append(band)
            activity.append(act)
            x = low
        return Pyramid(x, bands, activity, self.blocks)

    def selected_details(self, pyr: Pyramid) -> list[torch.Tensor]:
        """Per band, the selected source's detail (B×1 at the band's resolution)."""
        out = []
        for band, mask, block in zip(pyr.bands, pyr.masks(), pyr.blocks, strict=True):
            m = upsample(mask, block)
            out.append(m * band[:, :1] + (1.0 - m) * band[:, 1:])
        return out

    def summary(self, pyr: Pyramid) -> torch.Tensor:
        """Each source described at the base resolution: base intensity and the activity of
        each band, scaled to comparable ranges (B×2·(1+levels), grouped per source: ir…,
        vis…)."""
        parts = [pyr.base]
        for k, (act, block) in enumerate(zip(pyr.activity, pyr.blocks, strict=True)):
            for _ in range((2 ** (self.levels - k) // block).bit_length() - 1):
                act = downsample2(act)
            parts.append(float(2 ** (self.levels - k)) * act)
        return torch.stack(parts, dim=2).flatten(1, 2)

    def compose(self, raw: torch.Tensor, pyr: Pyramid) -> torch.Tensor:
        """Coefficient offsets at the base resolution + the pyramid → fused luminance in [0, 1]."""
        c = raw + self.neutral
        ir_base, vis_base = pyr.base[:, :1], pyr.base[:, 1:]
        fused = (c[:, 0:1] * ir_base + c[:, 1:2] * vis_base
                 + c[:, 2:3] * torch.sqrt(vis_base.clamp(min=0.0) + 1e-3) + c[:, 3:4])
        if self.normalised:
            fused = fused + c[:, -2:-1] * exposed(vis_base) + c[:, -1:] * standardised(ir_base)
        masks = pyr.masks()
        for k in reversed(range(self.levels)):
            start = BASE_COEFFICIENTS + 3 * k
            gains = upsample(c[:, start:start + 3], 2 ** (self.levels - k) // pyr.blocks[k])
            m = masks[k]
            source_gains = torch.cat([gains[:, 0:1] + gains[:, 2:3] * m,
                                      gains[:, 1:2] + gains[:, 2:3] * (1.0 - m)], dim=1)
            detail = (upsample(source_gains, pyr.blocks[k]) * pyr.bands[k]).sum(1, keepdim=True)
            fused = upsample2(fused) + detail
        return fused.clamp(0.0, 1.0)
