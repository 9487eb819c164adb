"""Model files: round trip, and clear errors that name a bad file."""

import json
import shutil

import pytest
import torch

from textfusion_ros.model.checkpoint import ModelFileError, config_path, load_model_file


def copy_model(src, dst_dir):
    dst = dst_dir / "model.safetensors"
    shutil.copy(src, dst)
    shutil.copy(config_path(src), config_path(dst))
    return dst


def test_round_trip_keeps_weights_and_bank(random_model_path, tmp_path):
    model = load_model_file(random_model_path)
    assert model.default_prompt in model.prompt_bank
    assert model.prompt_classes["highlight warm pedestrians"] == "highlight_thermal"
    net = model.build_network()
    again = load_model_file(copy_model(random_model_path, tmp_path))
    for name, value in net.state_dict().items():
        assert torch.equal(value, again.weights[name])
    for text, emb in model.prompt_bank.items():
        assert torch.equal(emb.tokens, again.prompt_bank[text].tokens)


def test_truncated_file_names_itself(random_model_path, tmp_path):
    path = copy_model(random_model_path, tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelFileError, match=str(path)):
        load_model_file(path)


def test_missing_files_and_bad_config(random_model_path, tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        load_model_file(tmp_path / "absent.safetensors")
    path = copy_model(random_model_path, tmp_path)
    meta = json.loads(config_path(path).read_text())
    meta["model"]["widths"] = [8, 16, 24, 32]
    config_path(path).write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="do not match"):
        load_model_file(path)
    config_path(path).write_text("{not json")
    with pytest.raises(ModelFileError, match="invalid model config"):
        load_model_file(path)
