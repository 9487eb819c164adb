"""Which backend runs: what the installed runtimes offer, and the `auto` order with reasons.

`auto` tries tensorrt → onnxruntime on a GPU → torch CUDA → onnxruntime CPU → torch CPU and
keeps a reason for every candidate it skips. `probe_runtimes` looks at the machine;
`plan_candidates` is a pure function of what it found (unit-tested with any combination).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

AUTO_ORDER = (("tensorrt", "cuda"), ("onnxruntime", "cuda"), ("torch", "cuda"),
              ("onnxruntime", "cpu"), ("torch", "cpu"))
ORT_GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


@dataclass(frozen=True)
class Runtimes:
    """What this machine offers: CUDA for torch, onnxruntime's providers, TensorRT."""

    cuda: bool
    cuda_detail: str
    ort_providers: tuple[str, ...] | None  # None: onnxruntime is not installed
    tensorrt: str | None  # version, None: not importable

    def available(self, backend: str, device: str) -> str | None:
        """None when `backend` can run on `device` kind (cpu / cuda), else why not."""
        if device == "cuda" and not self.cuda:
            return f"no CUDA device ({self.cuda_detail})"
        if backend == "onnxruntime":
            if self.ort_providers is None:
                return "onnxruntime is not installed (pip install onnxruntime)"
            if device == "cuda" and not set(ORT_GPU_PROVIDERS) & set(self.ort_providers):
                return (f"the onnxruntime build has no GPU provider (has "
                        f"{', '.join(self.ort_providers)}; pip install onnxruntime-gpu)")
        if backend == "tensorrt":
            if device == "cpu":
                return "TensorRT runs on GPUs only"
            if self.tensorrt is None:
                return "TensorRT is not installed (NVIDIA's tensorrt wheel)"
        return None


def probe_runtimes() -> Runtimes:
    """Look at the installed runtimes (imports onnxruntime; TensorRT is only located)."""
    import torch

    cuda = torch.cuda.is_available()
    detail = (torch.cuda.get_device_name(0) if cuda
              else f"torch {torch.__version__}, torch.cuda.is_available() is False")
    try:
        import onnxruntime
        providers: tuple[str, ...] | None = tuple(onnxruntime.get_available_providers())
    except ImportError:
        providers = None
    tensorrt = None
    if importlib.util.find_spec("tensorrt") is not None:
        try:
            import tensorrt as trt
            tensorrt = trt.__version__
        except ImportError:
            tensorrt = None
    return Runtimes(cuda, detail, providers, tensorrt)


@dataclass(frozen=True)
class Candidate:
    backend: str
    device: str
    precision: str


def plan_candidates(backend: str, device: str, precision: str, runtimes: Runtimes
                    ) -> tuple[list[Candidate], list[str]]:
    """Backends to try in order, and why the others were skipped.

    An explicit backend is the only candidate (device auto → cuda when there is one). `auto`
    walks AUTO_ORDER restricted to the requested device; on a CPU, fp16 falls back to fp32
    (said in the reasons). An explicit backend with fp16 on a CPU is an error.
    """
    kinds = ("cuda", "cpu") if device == "auto" else ("cpu",) if device == "cpu" else ("cuda",)
    if backend != "auto":
        if device == "auto":
            device = "cuda" if runtimes.available(backend, "cuda") is None else "cpu"
        why = runtimes.available(backend, device.split(":")[0])
        if why is not None:
            raise RuntimeError(f"backend {backend} cannot run on {device}: {why}")
        if device == "cpu" and precision == "fp16":
            raise ValueError(f"precision fp16 needs a GPU; {backend} on the CPU runs fp32")
        return [Candidate(backend, device, precision)], []
    candidates, skipped = [], []
    for name, kind in AUTO_ORDER:
        label = f"{name} ({kind})"
        if kind not in kinds:
            skipped.append(f"{label}: device is {device}")
            continue
        why = runtimes.available(name, kind)
        if why is not None:
            skipped.append(f"{label}: {why}")
            continue
        chosen_device = device if device.startswith("cuda") else kind
        chosen_precision = precision
        if kind == "cpu" and precision == "fp16":
            chosen_precision = "fp32"
            skipped.append(f"{label}: fp16 is GPU-only, runs fp32")
        candidates.append(Candidate(name, chosen_device, chosen_precision))
    if not candidates:
        raise RuntimeError("no backend can run here: " + "; ".join(skipped))
    return candidates, skipped
