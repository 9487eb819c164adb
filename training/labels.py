"""Detection labels of fusion datasets, as boxes in pixels with COCO class names.

Formats (`read_labels(folder, fmt)`):
- ``yolo``: one ``<stem>.txt`` per image, ``class cx cy w h`` normalised (Ultralytics); class
  names from a ``classes.txt`` beside the files (one a line) or the caller's list;
- ``voc`` (LLVIP ``Annotations/``): Pascal VOC XML per image, ``<object><name>`` and
  ``<bndbox>`` xmin/ymin/xmax/ymax in pixels;
- ``m3fd`` (M3FD ``Annotation/``): the same VOC XML, with M3FD's six classes mapped to COCO names
  (People → person, Car, Bus, Motorcycle, Truck; Lamp has no COCO class and is dropped).
``auto`` picks ``yolo`` for a folder of .txt files and ``voc`` for .xml.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Sequence
from pathlib import Path

from textfusion_ros.detection.evaluation import read_yolo_labels
from textfusion_ros.detection.types import Detection

FORMATS = ("auto", "yolo", "voc", "m3fd")
M3FD_CLASSES: dict[str, str | None] = {
    "people": "person", "car": "car", "bus": "bus", "motorcycle": "motorcycle",
    "truck": "truck", "lamp": None,
}
LLVIP_CLASSES: dict[str, str | None] = {"person": "person"}

SizeOf = Callable[[str], tuple[int, int]]


def read_voc_xml(path: Path, classes: dict[str, str | None] | None = None) -> list[Detection]:
    """A VOC XML file → boxes in pixels; `classes` maps lower-cased names (None drops a
    class); without it names are kept, lower-cased."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise ValueError(f"{path}: not a VOC XML file ({error})") from error
    boxes = []
    for obj in root.iter("object"):
        name = (obj.findtext("name") or "").strip().lower()
        label = classes.get(name, name) if classes is not None else name
        if classes is not None and name in classes and classes[name] is None:
            continue
        box = obj.find("bndbox")
        try:
            x1, y1, x2, y2 = (float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
        except (AttributeError, TypeError, ValueError) as error:
            raise ValueError(f"{path}: object {name!r} without a valid bndbox") from error
        boxes.append(Detection(x1, y1, x2, y2, 1.0, label))
    return boxes


def detect_format(folder: Path) -> str:
    """``yolo`` for a folder of .txt label files, ``voc`` for .xml ones."""
    suffixes = {p.suffix.lower() for p in folder.iterdir() if p.is_file()}
    if ".xml" in suffixes:
        return "voc"
    if ".txt" in suffixes - {""}:
        return "yolo"
    raise ValueError(f"{folder}: no .txt (YOLO) or .xml (VOC) label files")


def read_labels(folder: str | Path, fmt: str = "auto", size_of: SizeOf | None = None,
                names: Sequence[str] = ()) -> dict[str, list[Detection]]:
    """stem → boxes for every label file in `folder`.

    YOLO boxes are normalised, so they need each image's (width, height) from `size_of(stem)`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"labels folder not found: {folder}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown label format {fmt!r}; known: {', '.join(FORMATS)}")
    fmt = detect_format(folder) if fmt == "auto" else fmt
    if fmt in ("voc", "m3fd"):
        classes = M3FD_CLASSES if fmt == "m3fd" else None
        return {p.stem: read_voc_xml(p, classes) for p in sorted(folder.glob("*.xml"))}
    class_file = folder / "classes.txt"
    if class_file.is_file():
        names = [n.strip() for n in class_file.read_text().splitlines() if n.strip()]
    if not names:
        raise ValueError(f"{folder}: YOLO labels need class names (classes.txt or names)")
    if size_of is None:
        raise ValueError("YOLO labels are normalised: pass size_of(stem) -> (width, height)")
    return {p.stem: read_yolo_labels(p, *size_of(p.stem), names)
            for p in sorted(folder.glob("*.txt")) if p.name != "classes.txt"}
