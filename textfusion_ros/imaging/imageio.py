"""Reading, writing and pairing image files by stem."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class PairingError(ValueError):
    """Raised when image folders cannot be paired one-to-one by file stem."""


def read_image(path: str | Path, grey: bool = False) -> np.ndarray:
    """Read an image as stored (8 or 16 bit); BGR colour unless `grey` or single-channel."""
    flags = cv2.IMREAD_UNCHANGED
    image = cv2.imread(str(path), flags)
    if image is None:
        raise FileNotFoundError(f"cannot read image: {path}")
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if grey and image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return image


def write_image(path: str | Path, image: np.ndarray) -> None:
    """Write an image, creating parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cannot write image: {path}")


def list_images(folder: str | Path) -> dict[str, Path]:
    """Map stem → path for the image files directly inside `folder`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"not a folder: {folder}")
    images: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            if path.stem in images:
                raise PairingError(f"two images share the stem {path.stem!r} in {folder}")
            images[path.stem] = path
    return images


def pair_by_stem(*folders: str | Path) -> list[tuple[str, tuple[Path, ...]]]:
    """Pair the images of several folders by stem; any unpaired file is an error that names it."""
    listings = [list_images(folder) for folder in folders]
    stems = set().union(*listings)
    problems = []
    for folder, listing in zip(folders, listings, strict=True):
        missing = sorted(stems - set(listing))
        if missing:
            shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
            problems.append(f"{folder} lacks {len(missing)} image(s) present elsewhere: {shown}")
    if problems:
        raise PairingError("unpaired images: " + "; ".join(problems))
    if not stems:
        raise PairingError(f"no images found in {', '.join(str(f) for f in folders)}")
    return [(stem, tuple(listing[stem] for listing in listings)) for stem in sorted(stems)]
