"""A short real training run on synthetic pairs: the loss falls, checkpoints resume."""

import json

import pytest
import torch
import yaml
from torch.utils.data import default_collate

from textfusion_ros.imaging.scenes import SceneConfig, write_sequence
from textfusion_ros.model.checkpoint import load_model_file
from training.config import load_train_config
from training.trainer import Trainer, lr_factor


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    write_sequence(root / "data", SceneConfig(height=96, width=128, seed=3), 8)
    config = {
        "data": {"root": str(root / "data"), "n_val": 2},
        "train": {"out_dir": str(root / "run"), "iterations": 20, "batch_size": 4, "crop": 64,
                  "lr": 3e-3, "warmup": 2, "log_every": 5, "image_every": 10,
                  "checkpoint_every": 10, "threads": 2},
    }
    path = root / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def fixed_batch_loss(trainer: Trainer, batch) -> float:
    ids = batch["prompt_id"]
    with torch.no_grad():
        fused = trainer.net(batch["ir_in"], batch["vis_in"], trainer.text[0][ids],
                            trainer.text[1][ids], trainer.text[2][ids])
        return trainer.loss(fused, batch["ir"], batch["vis_y"], batch["vis_crcb"],
                            batch["class_index"], batch["as_given"])[0].item()


def test_twenty_steps_lower_the_loss_and_resume(config_file):
    config = load_train_config(config_file)
    trainer = Trainer(config)
    trainer.dataset.set_epoch(0)
    batch = default_collate([trainer.dataset[i] for i in range(6)])
    before = fixed_batch_loss(trainer, batch)
    final = trainer.run()
    after = fixed_batch_loss(trainer, batch)
    assert after < 0.97 * before, (before, after)

    model = load_model_file(final)
    assert model.info["iterations"] == 20 and model.default_prompt in model.prompt_bank
    run_dir = final.parent
    split = json.loads((run_dir / "split.json").read_text())
    assert len(split["val"]) == 2 and not set(split["val"]) & set(split["train"])
    assert any((run_dir / "tensorboard").iterdir())

    config.train.iterations = 25
    resumed = Trainer(config)
    assert resumed.step == 20 and resumed.optimizer.state
    for name, value in resumed.net.state_dict().items():
        assert torch.equal(value, model.weights[name])
    resumed.run()
    assert load_model_file(final).info["iterations"] == 25


def short_run_config(config_file, out_dir, iterations: int):
    config = load_train_config(config_file)
    config.train.out_dir = str(out_dir)
    config.train.iterations = iterations
    config.train.batch_size = 2  # 6 training pairs: 3 steps an epoch, a stop at 7 is mid-epoch
    config.train.checkpoint_every = 1000
    return config


def test_stop_and_resume_equals_the_uninterrupted_run_bit_for_bit(config_file, tmp_path):
    whole = Trainer(short_run_config(config_file, tmp_path / "whole", 12))
    whole.run()
    rng_after_whole = torch.get_rng_state()

    Trainer(short_run_config(config_file, tmp_path / "parts", 12)).run(stop_after=7)
    resumed = Trainer(short_run_config(config_file, tmp_path / "parts", 12))
    assert resumed.step == 7
    resumed.run()
    assert torch.equal(torch.get_rng_state(), rng_after_whole)

    assert resumed.step == whole.step == 12
    reference = whole.net.state_dict()
    for name, value in resumed.net.state_dict().items():
        assert torch.equal(value, reference[name]), name
    for index, state in whole.optimizer.state_dict()["state"].items():
        for key, value in state.items():
            assert torch.equal(resumed.optimizer.state_dict()["state"][index][key], value)
    assert resumed.scheduler.state_dict() == whole.scheduler.state_dict()


def test_schedule_warms_up_then_decays():
    assert lr_factor(0, 10, 100, 0.1) == pytest.approx(0.1)
    assert lr_factor(9, 10, 100, 0.1) == pytest.approx(1.0)
    assert lr_factor(100, 10, 100, 0.1) == pytest.approx(0.1)
    assert lr_factor(55, 10, 100, 0.1) == pytest.approx(0.55)


def test_config_rejects_unknown_keys(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {iterationz: 5}\n")
    with pytest.raises(ValueError, match="iterationz"):
        load_train_config(bad)
    bad.write_text("loss: {classes: {nonsense: {intensity: 1}}}\n")
    with pytest.raises(ValueError, match="nonsense"):
        load_train_config(bad)
    bad.write_text("loss: {class_max_mix: {nonsense: 0.0}}\n")
    with pytest.raises(ValueError, match="nonsense"):
        load_train_config(bad)
