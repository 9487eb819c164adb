"""Optional chroma head: CrCb offsets for the visible colour, predicted at low resolution.

Without it the fused colour is the visible input's (cleaned), so a colour loss cannot teach
anything and colour lost to over-exposure or night cannot come back. With it
(`ModelConfig.chroma_head`), a 1×1 convolution on the decoder's last features (at the
pyramid's base resolution, 1/2^levels) predicts two offsets bounded to ±0.5 by a tanh; they are
upsampled bilinearly to full resolution (colour needs less resolution than luminance, as 4:2:0
video carries it) and are meant to be added to the visible CrCb. Zero-initialised: an untrained
head leaves the colour as it is.
"""

from __future__ import annotations

import torch
from torch import nn

from textfusion_ros.model.composer import upsample

CHROMA_CHANNELS = ("cr_offset", "cb_offset")  # OpenCV order, as `split_luma` gives CrCb


class ChromaHead(nn.Module):
    """Decoder features at 1/`factor` resolution → B×2×H×W CrCb offsets in [−0.5, 0.5]."""

    def __init__(self, channels: int, factor: int) -> None:
        super().__init__()
        self.factor = factor
        self.conv = nn.Conv2d(channels, len(CHROMA_CHANNELS), 1)
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return upsample(0.5 * torch.tanh(self.conv(features)), self.factor)
