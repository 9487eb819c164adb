"""Hyper-parameters of the fusion network (stored in every checkpoint's JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ModelConfig:
    """Widths and sizes of TextFusionNet.

    The network predicts per-pixel coefficient maps at the base resolution of a Laplacian
    pyramid of `pyramid_levels` detail bands (1/2^levels) and applies them to the bands of
    both sources (see `composer.py`). The encoders start at that resolution.
    """

    text_dim: int = 384
    widths: tuple[int, int, int, int] = (24, 32, 48, 64)
    decoder_widths: tuple[int, int, int] = (48, 32, 24)
    heads: int = 4
    film_hidden: int = 128
    pyramid_levels: int = 3
    chroma_head: bool = False  # also predict CrCb offsets (output B×3: Y, Cr and Cb offsets)
    normalised_bases: bool = False  # also combine the exposed visible and standardised IR bases
    # Per band, finest first: side of the blocks of band pixels over which the detail activity
    # that selects a source is measured (powers of two). Empty: 4×4 blocks, 2×2 for the widest.
    activity_blocks: tuple[int, ...] = ()

    @property
    def size_multiple(self) -> int:
        """Input height and width must be multiples of this (the padding wrapper ensures it)."""
        return 2 ** (self.pyramid_levels + len(self.widths) - 1)

    def activity_block_sides(self) -> tuple[int, ...]:
        """Per band, finest first, the block side over which its detail activity is measured."""
        if self.activity_blocks and len(self.activity_blocks) != self.pyramid_levels:
            raise ValueError(f"activity_blocks needs one block per band ({self.pyramid_levels})")
        sides = []
        for band in range(self.pyramid_levels):
            span = 2 ** (self.pyramid_levels - band)  # band pixels per base pixel
            block = self.activity_blocks[band] if self.activity_blocks else min(4, span)
            if block < 1 or block & (block - 1) or block > span:
                raise ValueError(f"activity block {block} of band {band}: a power of two ≤ {span}")
            sides.append(block)
        return tuple(sides)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)
