"""Reading the image pairs of the folder commands (`fuse`, `detect`), as the node reads a pair:
the infrared warped by a homography, or resized, to the visible's size. In a folder, a pair that
cannot be read is named on stderr and left out; the others are still processed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from textfusion_ros.imaging.image_codec import BadImageError, check_visible
from textfusion_ros.imaging.imageio import read_image
from textfusion_ros.imaging.registration import align_ir_to_vis, parse_homography

PARTIAL_EXIT = 1
"""Exit status of a folder command that left out unreadable pairs (errors that stop it: 2)."""


def add_pair_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--homography", nargs=9, type=float, metavar="H",
                        help="row-major 3x3 IR-to-VIS pixel homography (9 numbers), as the "
                        "node's parameter; without it an IR image of another size is resized "
                        "to the VIS size")


class PairReader:
    """Reads (IR, VIS) files: IR as grey (8 or 16 bit), VIS as 8-bit BGR or grey, IR aligned to
    the VIS size. `pairs` skips (and reports) what `read` refuses; `finish` sums up."""

    def __init__(self, command: str, homography: Sequence[float] | None = None) -> None:
        self.command = command
        self.homography = parse_homography(homography)
        self.skipped: list[str] = []
        self._resize_noted = False

    def read(self, ir_path: Path, vis_path: Path) -> tuple[np.ndarray, np.ndarray]:
        """One pair; raises FileNotFoundError (unreadable file) or BadImageError."""
        ir, vis = read_image(ir_path, grey=True), read_image(vis_path)
        check_visible(vis)
        if self.homography is None and ir.shape[:2] != vis.shape[:2]:
            self._note_resize(ir.shape, vis.shape)
        return align_ir_to_vis(ir, vis.shape, self.homography), vis

    def pairs(self, jobs: Iterable[tuple[str, tuple[Path, ...]]]
              ) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """(stem, IR, VIS) for each readable job of `pair_by_stem`; the others are reported."""
        for stem, (ir_path, vis_path) in jobs:
            try:
                ir, vis = self.read(ir_path, vis_path)
            except (FileNotFoundError, BadImageError) as error:
                self.skipped.append(stem)
                self._say(f"skipping pair {stem!r}: {error}")
                continue
            yield stem, ir, vis

    def finish(self, total: int) -> int:
        """Report the pairs left out; the command's exit status (0, or PARTIAL_EXIT)."""
        if not self.skipped:
            return 0
        self._say(f"left out {len(self.skipped)} of {total} pair(s) it could not read: "
                  + ", ".join(self.skipped))
        return PARTIAL_EXIT

    def _note_resize(self, ir_shape: tuple[int, ...], vis_shape: tuple[int, ...]) -> None:
        if not self._resize_noted:
            self._resize_noted = True
            self._say(f"infrared {ir_shape[1]}x{ir_shape[0]} resized to the visible's "
                      f"{vis_shape[1]}x{vis_shape[0]} (no --homography: the cameras are taken "
                      "as registered up to scale)")

    def _say(self, text: str) -> None:
        tqdm.write(f"textfusion {self.command}: {text}", file=sys.stderr)
