"""Resumable training state: model file + optimizer tensors (safetensors) + JSON, and each
rank's random number generator states (JSON). No pickle."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from textfusion_ros.model.checkpoint import FusionModelFile, save_model_file

MODEL_NAME = "last.safetensors"
OPTIMIZER_NAME = "last_optimizer.safetensors"
STATE_NAME = "last_state.json"
RNG_NAME = "last_rng_rank{rank}.json"

_log = logging.getLogger(__name__)


def save_training_state(out_dir: Path, model: FusionModelFile, optimizer: torch.optim.Optimizer,
                        scheduler: torch.optim.lr_scheduler.LRScheduler, step: int) -> None:
    """Write the resumable state of a run into `out_dir` (model file first, state JSON last)."""
    save_model_file(out_dir / MODEL_NAME, model)
    state = optimizer.state_dict()
    tensors = {f"{index}.{key}": value.detach().cpu().contiguous()
               for index, param_state in state["state"].items()
               for key, value in param_state.items()}
    save_file(tensors, str(out_dir / OPTIMIZER_NAME))
    meta = {"step": step, "param_groups": state["param_groups"],
            "scheduler": scheduler.state_dict()}
    (out_dir / STATE_NAME).write_text(json.dumps(meta, indent=1))


def load_training_state(out_dir: Path, optimizer: torch.optim.Optimizer,
                        scheduler: torch.optim.lr_scheduler.LRScheduler) -> int:
    """Restore optimizer and scheduler from `out_dir`; returns the step to continue from."""
    meta = json.loads((out_dir / STATE_NAME).read_text())
    per_param: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in load_file(str(out_dir / OPTIMIZER_NAME)).items():
        index, key = name.split(".", 1)
        per_param.setdefault(int(index), {})[key] = value
    optimizer.load_state_dict({"state": per_param, "param_groups": meta["param_groups"]})
    scheduler.load_state_dict(meta["scheduler"])
    return int(meta["step"])


def has_training_state(out_dir: Path) -> bool:
    return all((out_dir / n).is_file() for n in (MODEL_NAME, OPTIMIZER_NAME, STATE_NAME))


def save_rng_states(out_dir: Path, rank: int) -> None:
    """Write this rank's Python, NumPy, torch CPU and CUDA (if initialised) RNG states."""
    version, python_state, gauss_next = random.getstate()
    kind, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    cuda = ([s.tolist() for s in torch.cuda.get_rng_state_all()]
            if torch.cuda.is_available() and torch.cuda.is_initialized() else [])
    states = {"python": [version, list(python_state), gauss_next],
              "numpy": [kind, keys.tolist(), position, has_gauss, cached_gaussian],
              "torch": torch.get_rng_state().tolist(), "cuda": cuda}
    (out_dir / RNG_NAME.format(rank=rank)).write_text(json.dumps(states))


def restore_rng_states(out_dir: Path, rank: int) -> None:
    """Restore what save_rng_states wrote; without the file (an older run, another world
    size) the seeded states stay and a warning says the resume is not exact."""
    path = out_dir / RNG_NAME.format(rank=rank)
    if not path.is_file():
        _log.warning("%s missing: RNG states not restored, the resumed run will not "
                     "reproduce an uninterrupted one exactly", path)
        return
    states = json.loads(path.read_text())
    version, python_state, gauss_next = states["python"]
    random.setstate((version, tuple(python_state), gauss_next))
    kind, keys, position, has_gauss, cached_gaussian = states["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), position, has_gauss,
                         cached_gaussian))
    torch.set_rng_state(torch.tensor(states["torch"], dtype=torch.uint8))
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in states["cuda"]])
