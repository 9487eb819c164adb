"""Model files: round trip, and clear errors that name a bad file."""

import hashlib
import json
import logging
import re
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


def flip_last_byte(path):
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def edit_config(path, change):
    meta = json.loads(config_path(path).read_text())
    change(meta)
    config_path(path).write_text(json.dumps(meta))


def test_same_size_byte_flip_is_refused_naming_the_file(random_model_path, tmp_path):
    path = copy_model(random_model_path, tmp_path)
    size = path.stat().st_size
    flip_last_byte(path)
    assert path.stat().st_size == size
    with pytest.raises(ModelFileError,
                       match=rf"{re.escape(str(path))}: content hash \w+ does not match"):
        load_model_file(path)


def test_file_without_hash_loads_with_a_warning(random_model_path, tmp_path, caplog):
    path = copy_model(random_model_path, tmp_path)
    edit_config(path, lambda meta: meta.pop("sha256"))
    flip_last_byte(path)  # what the hash would have caught
    with caplog.at_level(logging.WARNING, logger="textfusion_ros.model.checkpoint"):
        model = load_model_file(path)
    assert model.default_prompt in model.prompt_bank
    assert f"{path}: no sha256" in caplog.text


def test_truncated_file_without_hash_is_still_refused(random_model_path, tmp_path):
    path = copy_model(random_model_path, tmp_path)
    edit_config(path, lambda meta: meta.pop("sha256"))
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelFileError,
                       match=rf"{re.escape(str(path))}: corrupt or unreadable safetensors"):
        load_model_file(path)


def test_saved_hash_is_the_sha256_of_the_weights_file(random_model_path):
    meta = json.loads(config_path(random_model_path).read_text())
    assert meta["sha256"] == hashlib.sha256(random_model_path.read_bytes()).hexdigest()


def test_format_mismatch_names_the_config(random_model_path, tmp_path):
    path = copy_model(random_model_path, tmp_path)
    edit_config(path, lambda meta: meta.update(format="textfusion_ros/fusion-model/0"))
    with pytest.raises(ModelFileError,
                       match=rf"{re.escape(str(config_path(path)))}: invalid model config: "
                             r"format is 'textfusion_ros/fusion-model/0'"):
        load_model_file(path)


@pytest.mark.parametrize("change", ["extra prompt", "missing prompt"])
def test_prompt_bank_mismatch_names_both_files(random_model_path, tmp_path, change):
    path = copy_model(random_model_path, tmp_path)

    def edit(meta):
        if change == "extra prompt":
            meta["prompt_bank"].append({"text": "a prompt with no embedding", "class": "default"})
        else:
            meta["prompt_bank"].pop()

    edit_config(path, edit)
    with pytest.raises(ModelFileError,
                       match=rf"{re.escape(str(path))}: prompt bank does not match "
                             rf"{re.escape(config_path(path).name)}"):
        load_model_file(path)


def test_shipped_model_carries_a_matching_hash(shipped_model_path, caplog):
    meta = json.loads(config_path(shipped_model_path).read_text())
    assert meta["sha256"] == hashlib.sha256(shipped_model_path.read_bytes()).hexdigest()
    with caplog.at_level(logging.WARNING, logger="textfusion_ros.model.checkpoint"):
        load_model_file(shipped_model_path)
    assert "no sha256" not in caplog.text
