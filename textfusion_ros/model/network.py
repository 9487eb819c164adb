"""TextFusionNet: a light, text-guided infrared + visible luminance fusion network."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from textfusion_ros.model.blocks import ConvBlock, CrossAttention, FeedForward, film
from textfusion_ros.model.chroma import ChromaHead
from textfusion_ros.model.composer import PyramidComposer, coefficients
from textfusion_ros.model.config import ModelConfig


class Encoder(nn.Module):
    """Per-modality encoder from the pyramid's base resolution down by 2 per stage."""

    def __init__(self, in_ch: int, widths: tuple[int, ...]) -> None:
        super().__init__()
        chans = (in_ch, *widths)
        self.stages = nn.ModuleList(
            ConvBlock(chans[i], chans[i + 1], stride=1 if i == 0 else 2)
            for i in range(len(widths)))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


class TextFusionNet(nn.Module):
    """Fuses IR and visible luminance under the guidance of a text embedding.

    Text guides the network in two ways: the pooled sentence embedding drives an MLP whose
    (γ, β) modulate every decoder stage as (1+γ)·F + β, and the token embeddings are attended
    to by the image tokens at the lowest resolution. At that resolution the two modalities
    also exchange queries in cross-attention. The network itself runs at the base resolution of
    a Laplacian pyramid (1/8) on a summary of each source; its decoder predicts coefficient
    maps that `PyramidComposer` applies to the pyramids of both sources. Inputs must have H, W
    divisible by `config.size_multiple`.
    """

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        cfg = self.config
        w = cfg.widths
        self.composer = PyramidComposer(cfg)
        summary_channels = 1 + cfg.pyramid_levels
        self.ir_encoder = Encoder(summary_channels, w)
        self.vis_encoder = Encoder(summary_channels, w)
        bottleneck = w[-1]
        self.ir_from_vis = CrossAttention(bottleneck, cfg.heads)
        self.vis_from_ir = CrossAttention(bottleneck, cfg.heads)
        self.merge = nn.Linear(2 * bottleneck, bottleneck)
        self.text_attention = CrossAttention(bottleneck, cfg.heads, kv_dim=cfg.text_dim)
        self.token_mlp = FeedForward(bottleneck)
        dec_in = (bottleneck, *cfg.decoder_widths[:-1])
        skips = tuple(reversed(w[:-1]))
        self.decoder = nn.ModuleList(
            ConvBlock(dec_in[i] + 2 * skips[i], cfg.decoder_widths[i])
            for i in range(len(cfg.decoder_widths)))
        self.film_channels = (bottleneck, *cfg.decoder_widths)
        self.film_mlp = nn.Sequential(
            nn.Linear(cfg.text_dim, cfg.film_hidden), nn.GELU(),
            nn.Linear(cfg.film_hidden, 2 * sum(self.film_channels)))
        self.head = nn.Conv2d(cfg.decoder_widths[-1], len(coefficients(cfg)), 1)
        for layer in (self.film_mlp[-1], self.head):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        if cfg.chroma_head:
            self.chroma = ChromaHead(cfg.decoder_widths[-1], 2 ** cfg.pyramid_levels)

    def _film_params(self, pooled: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        params = self.film_mlp(pooled)
        out, start = [], 0
        for ch in self.film_channels:
            out.append((params[:, start:start + ch], params[:, start + ch:start + 2 * ch]))
            start += 2 * ch
        return out

    def forward(self, ir: torch.Tensor, vis: torch.Tensor, text_pooled: torch.Tensor,
                text_tokens: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
        """ir, vis: B×1×H×W in [0, 1]; text_pooled B×D; text_tokens B×T×D; text_mask B×T.
        → fused luminance B×1×H×W, or with the chroma head B×3×H×W (luminance, then the Cr
        and Cb offsets to add to the visible CrCb)."""
        pyr = self.composer.pyramid(torch.cat([ir, vis], dim=1))
        ir_summary, vis_summary = self.composer.summary(pyr).chunk(2, dim=1)
        ir_feats = self.ir_encoder(ir_summary)
        vis_feats = self.vis_encoder(vis_summary)
        modulation = self._film_params(text_pooled)

        ir_low, vis_low = ir_feats[-1], vis_feats[-1]
        b, c, h, w = ir_low.shape
        ir_tok = ir_low.flatten(2).transpose(1, 2)
        vis_tok = vis_low.flatten(2).transpose(1, 2)
        ir_tok, vis_tok = (ir_tok + self.ir_from_vis(vis_tok, ir_tok),
                           vis_tok + self.vis_from_ir(ir_tok, vis_tok))
        tokens = self.merge(torch.cat([ir_tok, vis_tok], dim=-1))
        tokens = tokens + self.text_attention(tokens, text_tokens, text_mask)
        tokens = tokens + self.token_mlp(tokens)
        x = tokens.transpose(1, 2).reshape(b, c, h, w)
        x = film(x, *modulation[0])

        for i, block in enumerate(self.decoder):
            skip = len(ir_feats) - 2 - i
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = block(torch.cat([x, ir_feats[skip], vis_feats[skip]], dim=1))
            x = film(x, *modulation[i + 1])
        fused = self.composer.compose(self.head(x), pyr)
        if self.config.chroma_head:
            return torch.cat([fused, self.chroma(x)], dim=1)
        return fused
