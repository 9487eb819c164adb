"""`textfusion export`: write fusion.onnx (+ sidecar JSON) for deployments, checked for parity."""

from __future__ import annotations

import argparse
from pathlib import Path

from textfusion_ros.backends.onnx_names import DEFAULT_EXPORTER, DEFAULT_OPSET, EXPORTERS

PARITY_TOLERANCE = 1e-4


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "export", help="export the model to ONNX",
        description="Writes DIR/fusion.onnx (dynamic batch, height, width and prompt length; "
        "the prompt's embeddings are inputs) and DIR/fusion.json (model hash, inputs, size "
        "multiple, normalisation), checks the graph, and compares ONNX Runtime with PyTorch at "
        "three frame sizes. The backends export automatically; this is for deployments.")
    p.add_argument("--model", default="", help="model .safetensors (default: shipped model)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    p.add_argument("--exporter", choices=EXPORTERS, default=DEFAULT_EXPORTER)
    p.add_argument("--fp16", action="store_true",
                   help="half-precision weights and arithmetic (float32 inputs and output)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.backends.onnx_export import export_onnx, model_hash
    from textfusion_ros.backends.parity import onnx_parity
    from textfusion_ros.model.checkpoint import load_model_file
    from textfusion_ros.paths import default_model_path

    model_path = args.model or str(default_model_path())
    model = load_model_file(model_path)
    out = export_onnx(model, Path(args.out) / "fusion.onnx", source_hash=model_hash(model_path),
                      exporter=args.exporter, opset=args.opset, fp16=args.fp16)
    print(f"wrote {out} and {out.with_suffix('.json')} ({args.exporter}, opset {args.opset}"
          f"{', fp16' if args.fp16 else ''})")
    worst = 0.0
    for row in onnx_parity(model, out):
        worst = max(worst, row["max_abs_diff"])
        print(f"parity {row['height']}x{row['width']}: max |onnxruntime - torch| = "
              f"{row['max_abs_diff']:.2e}")
    if not args.fp16 and worst > PARITY_TOLERANCE:
        print(f"textfusion export: parity {worst:.2e} exceeds {PARITY_TOLERANCE:.0e}")
        return 1
    return 0
