"""`textfusion gpu-check`: the offline check for a machine with an NVIDIA GPU.

Runs the GPU-marked tests (when the test folder is present), benchmarks every backend that
runs there at 640×512 and 1280×1024 (fp16 on the GPU backends, fp32 on the CPU ones, then the
GPU backends once more in fp32), and writes one JSON report. Needs no network.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_SIZES = ("640x512", "1280x1024")
TESTS = Path(__file__).resolve().parents[2] / "test" / "test_gpu.py"


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("gpu-check", help="GPU tests + benchmarks → JSON (offline)",
                            description=__doc__)
    p.add_argument("--out", default="out/gpu-check.json", help="JSON report")
    p.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES), help="WxH sizes")
    p.add_argument("--frames", type=int, default=100, help="timed frames per backend and size")
    p.add_argument("--model", default="", help="model .safetensors (default: shipped model)")
    p.add_argument("--engine-cache-dir", default="")
    p.add_argument("--skip-tests", action="store_true", help="benchmarks only")
    p.set_defaults(handler=run)


def environment() -> dict:
    """Versions and devices the report was made with."""
    import torch

    from textfusion_ros.backends.selection import probe_runtimes

    runtimes = probe_runtimes()
    return {"python": platform.python_version(), "machine": platform.machine(),
            "torch": torch.__version__, "torch_cuda": torch.version.cuda,
            "cuda_available": runtimes.cuda, "gpu": runtimes.cuda_detail,
            "onnxruntime_providers": runtimes.ort_providers, "tensorrt": runtimes.tensorrt}


def run_gpu_tests() -> dict:
    """pytest -m gpu on test/test_gpu.py; its exit code and summary line."""
    if not TESTS.is_file():
        return {"ran": False, "reason": f"{TESTS} not found (installed package)"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-rs", str(TESTS)],
                          capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    return {"ran": True, "exit_code": done.returncode, "summary": lines[-1] if lines else "",
            "output_tail": lines[-40:]}


def run(args: argparse.Namespace) -> int:
    from textfusion_ros.config import FusionConfig
    from textfusion_ros.demo.benchmark import benchmark_all, format_table

    report: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "environment": environment()}
    if not report["environment"]["cuda_available"]:
        print("gpu-check: no CUDA device here; the GPU tests skip and only CPU backends run")
    report["tests"] = {"ran": False, "reason": "--skip-tests"} if args.skip_tests \
        else run_gpu_tests()
    report["benchmarks"] = []
    cuda = report["environment"]["cuda_available"]
    for size in args.sizes:
        width, height = (int(n) for n in size.lower().split("x"))
        # CPU backends once (fp32); GPU backends in fp16, then again in fp32.
        for precision in ("fp16", "fp32") if cuda else ("fp32",):
            config = FusionConfig(model=args.model, precision=precision,
                                  engine_cache_dir=args.engine_cache_dir)
            result = benchmark_all(config, height, width, args.frames,
                                   include_cpu=precision == "fp16" or not cuda)
            result["precision_requested"] = precision
            report["benchmarks"].append(result)
            print(format_table(result))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {out}")
    tests_ok = args.skip_tests or report["tests"].get("exit_code", 1) == 0
    return 0 if cuda and tests_ok else 1
