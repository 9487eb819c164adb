"""Tests for the training prompt bank."""

import pytest

from training.prompts import (
    DEFAULT_PROMPT,
    PROMPT_CLASSES,
    all_prompts,
    class_of,
    normalise,
)

CLASS_NAMES = [
    "default",
    "highlight_thermal",
    "preserve_visible",
    "vis_low_light",
    "vis_overexposure",
    "ir_noise",
    "ir_low_contrast",
]


def test_class_names_and_order():
    assert list(PROMPT_CLASSES) == CLASS_NAMES
    for name, pc in PROMPT_CLASSES.items():
        assert pc.name == name


def test_degradations():
    for name in ("default", "highlight_thermal", "preserve_visible"):
        assert PROMPT_CLASSES[name].degradation is None
    for name in ("vis_low_light", "vis_overexposure", "ir_noise", "ir_low_contrast"):
        assert PROMPT_CLASSES[name].degradation == name


def test_counts():
    for pc in PROMPT_CLASSES.values():
        assert len(pc.train) >= 20, pc.name
        assert len(pc.val) >= 5, pc.name


def test_no_duplicates_and_disjoint_splits():
    prompts = [normalise(p) for split in ("train", "val") for p, _ in all_prompts(split)]
    assert len(prompts) == len(set(prompts))
    for pc in PROMPT_CLASSES.values():
        assert not {normalise(p) for p in pc.train} & {normalise(p) for p in pc.val}


def test_printable_and_short():
    for split in ("train", "val"):
        for prompt, _ in all_prompts(split):
            assert prompt == prompt.strip() and prompt
            assert all(32 <= ord(c) < 127 for c in prompt), prompt
            assert len(prompt.split()) < 30, prompt


def test_default_prompt():
    assert DEFAULT_PROMPT == "fuse the infrared and visible images"
    assert PROMPT_CLASSES["default"].train[0] == DEFAULT_PROMPT


def test_class_of():
    assert class_of(DEFAULT_PROMPT) == "default"
    assert class_of("  Night driving,   RGB too DARK ") == "vis_low_light"
    assert class_of("make it purple") is None
    for split in ("train", "val"):
        for prompt, name in all_prompts(split):
            assert class_of(prompt) == name


def test_all_prompts_split():
    assert len(all_prompts("train")) == sum(len(pc.train) for pc in PROMPT_CLASSES.values())
    assert len(all_prompts("val")) == sum(len(pc.val) for pc in PROMPT_CLASSES.values())
    with pytest.raises(ValueError):
        all_prompts("test")


def test_shipped_model_was_trained_on_this_bank(shipped_model_path):
    """Every paraphrase here is in the shipped model's bank with its class, and nothing else is:
    a bank edited without retraining would leave the card describing another recipe."""
    from textfusion_ros.model.checkpoint import load_model_file

    model = load_model_file(shipped_model_path)
    bank = model.prompt_classes
    expected = dict(all_prompts("train") + all_prompts("val"))
    assert {t: bank.get(t) for t in expected} == expected
    assert set(bank) == set(expected)
