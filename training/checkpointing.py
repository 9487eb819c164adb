"""Resumable training state: model file + optimizer tensors (safetensors) + JSON. No pickle."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from textfusion_ros.model.checkpoint import FusionModelFile, save_model_file

MODEL_NAME = "last.safetensors"
OPTIMIZER_NAME = "last_optimizer.safetensors"
STATE_NAME = "last_state.json"


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
