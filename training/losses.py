"""Fusion losses with per-prompt-class weights α(t).

Terms (each a per-sample mean): intensity L1 towards a mix of the sources' maximum and mean;
Sobel-gradient-max L1 against a boosted target; an explicit detail term (L1 of the fused
image's Laplacian-pyramid bands against the boosted activity-based selection of the sources'
bands, as a Laplacian pyramid fusion would choose them); a source-correlation term (each source
should explain what the other lacks: corr(F − V, I) and corr(F − I, V) high); SSIM against the
visible plus δ_ir(t)·SSIM against the infrared; CbCr colour consistency of the recombined
colour image; optional L1 anchors towards one source. Targets are the clean sources, also when
inputs were degraded, except where `training.conditioning` builds them otherwise (degradations
fused as given; night samples, whose visible target is illumination-aware). Samples fused "as
given" use their own intensity max/mean mix, and a class may set its own mix.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

import kornia
import torch
from torch import nn

from textfusion_ros.model.composer import PyramidComposer
from textfusion_ros.model.config import ModelConfig
from training.fast_ssim import ssim


@dataclass(frozen=True)
class LossWeights:
    """Weights of one prompt class."""

    intensity: float = 10.0
    gradient: float = 10.0
    detail: float = 10.0
    correlation: float = 0.0
    ssim: float = 1.0
    ir_ssim: float = 0.5
    colour: float = 2.0
    ir_anchor: float = 0.0
    vis_anchor: float = 0.0

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def sobel_abs(x: torch.Tensor) -> torch.Tensor:
    """|Sobel| responses along x and y: B×1×H×W → B×2×H×W."""
    return kornia.filters.spatial_gradient(x, mode="sobel").abs().flatten(1, 2)


def pearson(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-sample Pearson correlation of two B×1×H×W tensors."""
    a = a.flatten(1) - a.flatten(1).mean(1, keepdim=True)
    b = b.flatten(1) - b.flatten(1).mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + 1e-8)


def source_correlation(fused: torch.Tensor, ir: torch.Tensor, vis: torch.Tensor) -> torch.Tensor:
    """2 − [corr(F − V, I) + corr(F − I, V)]: low when each source's contribution is kept."""
    return 2.0 - pearson(fused - vis, ir) - pearson(fused - ir, vis)


def colour_drift(fused_y: torch.Tensor, crcb: torch.Tensor) -> torch.Tensor:
    """Per-pixel |CrCb change| when fused Y is recombined with the visible CrCb and clipped."""
    ycbcr = torch.cat([fused_y, crcb[:, 1:2], crcb[:, 0:1]], dim=1)
    rgb = kornia.color.ycbcr_to_rgb(ycbcr).clamp(0.0, 1.0)
    back = kornia.color.rgb_to_ycbcr(rgb)[:, 1:]
    return (back - torch.cat([crcb[:, 1:2], crcb[:, 0:1]], dim=1)).abs()


class FusionLoss(nn.Module):
    """Weighted sum of the fusion terms, weights looked up per sample by prompt class."""

    def __init__(self, class_weights: list[LossWeights], gradient_boost: float = 1.1,
                 detail_boost: float = 1.2, intensity_max_mix: float = 0.5,
                 bands: PyramidComposer | None = None, as_given_max_mix: float = 0.5,
                 class_max_mix: list[float | None] | None = None,
                 ssim_normalised: bool = True) -> None:
        super().__init__()
        self.ssim_normalised = ssim_normalised
        self.gradient_boost = gradient_boost
        self.detail_boost = detail_boost
        self.intensity_max_mix = intensity_max_mix
        self.as_given_max_mix = as_given_max_mix
        self.bands = bands or PyramidComposer(ModelConfig())
        self.register_buffer("table", torch.tensor([astuple(w) for w in class_weights]))
        mixes = class_max_mix or [None] * len(class_weights)
        self.register_buffer("mix_table", torch.tensor(
            [intensity_max_mix if m is None else m for m in mixes]))

    def sample_max_mix(self, class_index: torch.Tensor,
                       as_given: torch.Tensor | None = None) -> torch.Tensor:
        """Per-sample intensity max/mean mix: the class's, or `as_given_max_mix` where flagged."""
        mix = self.mix_table[class_index]
        if as_given is None:
            return mix
        return torch.where(as_given, torch.full_like(mix, self.as_given_max_mix), mix)

    def terms(self, fused: torch.Tensor, ir: torch.Tensor, vis_y: torch.Tensor,
              vis_crcb: torch.Tensor, max_mix: torch.Tensor | None = None) -> torch.Tensor:
        """Unweighted per-sample terms, B×len(LossWeights.names()); `max_mix` is per sample."""
        def mean(x: torch.Tensor) -> torch.Tensor:
            return x.flatten(1).mean(1)

        m = self.intensity_max_mix if max_mix is None else max_mix.view(-1, 1, 1, 1)
        grad_target = self.gradient_boost * torch.maximum(sobel_abs(ir), sobel_abs(vis_y))
        selected = self.bands.selected_details(self.bands.pyramid(torch.cat([ir, vis_y], 1)))
        detail = sum(mean((f - self.detail_boost * s).abs())
                     for f, s in zip(self.bands.pyramid(fused).bands, selected, strict=True))
        intensity_target = m * torch.maximum(ir, vis_y) + (1.0 - m) * 0.5 * (ir + vis_y)
        ssim_vis = ssim(fused, vis_y)
        ssim_ir = ssim(fused, ir)
        return torch.stack([
            mean((fused - intensity_target).abs()),
            mean((sobel_abs(fused) - grad_target).abs()),
            detail,
            source_correlation(fused, ir, vis_y),
            1.0 - ssim_vis,
            1.0 - ssim_ir,
            mean(colour_drift(fused, vis_crcb)),
            mean((fused - ir).abs()),
            mean((fused - vis_y).abs()),
        ], dim=1)

    def forward(self, fused: torch.Tensor, ir: torch.Tensor, vis_y: torch.Tensor,
                vis_crcb: torch.Tensor, class_index: torch.Tensor,
                as_given: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        """→ (scalar loss, mean of each unweighted term for logging)."""
        terms = self.terms(fused, ir, vis_y, vis_crcb, self.sample_max_mix(class_index, as_given))
        weights = self.table[class_index]
        # SSIM: (1 - s_v) + δ·(1 - s_i), normalised by (1 + δ) when `ssim_normalised` (the
        # textfusion preset's choice; Text-IF's Eq. 11 has no normalisation); δ is ir_ssim.
        s, d = LossWeights.names().index("ssim"), LossWeights.names().index("ir_ssim")
        delta = weights[:, d:d + 1]
        ssim_term = weights[:, s:s + 1] * (terms[:, s:s + 1] + delta * terms[:, d:d + 1])
        if self.ssim_normalised:
            ssim_term = ssim_term / (1.0 + delta)
        others = torch.cat([weights[:, :s], weights[:, d + 1:]], 1) * torch.cat(
            [terms[:, :s], terms[:, d + 1:]], 1)
        total = (ssim_term.sum(1) + others.sum(1)).mean()
        logged = dict(zip(LossWeights.names(), terms.mean(0).tolist(), strict=True))
        return total, logged
