"""Names and defaults of the exported fusion graph (import-light: no torch, no onnx)."""

INPUT_NAMES = ("ir", "vis", "text_pooled", "text_tokens", "text_mask")
OUTPUT_NAME = "fused"
EXPORTERS = ("dynamo", "torchscript")
DEFAULT_EXPORTER = "dynamo"
DEFAULT_OPSET = 18
