"""Training texts beyond prompts: long paragraphs in overlapping chunks, per-source paragraphs,
FILM's text features, the CLIP encoder path, and paragraphs in training and validation."""

import json

import numpy as np
import pytest
import torch
import yaml

from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.scenes import SceneConfig, write_sequence
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.text.chunking import encode_paragraphs, windows
from textfusion_ros.text.clip import ClipEncoder, import_open_clip
from textfusion_ros.text.encoders import create_encoder
from training.config import TextConfig, load_train_config
from training.datasets import find_pairs
from training.pair_texts import embed_pair_texts, load_features
from training.paragraph_validation import paragraph_report
from training.trainer import Trainer

# A FILM-style description (~190 words), longer than MiniLM's 128 tokens.
PARAGRAPH = " ".join([
    "The infrared image shows a street at night with two pedestrians walking on the left",
    "sidewalk, their bodies clearly warmer than the asphalt, and a parked car whose engine",
    "and wheels glow brightly. Trees line the right side of the road and appear dark and",
    "cold. The visible image is captured under weak street lighting: the road markings,",
    "a shop sign and the windows of a building are readable, but the pedestrians are",
    "almost invisible in the shadows and the far end of the street disappears into",
    "darkness. Headlights of an oncoming vehicle cause a bright halo that hides the",
    "details around it. The fused image should keep the warm pedestrians and the car",
    "from the infrared, the sign, the markings and the building texture from the visible",
    "image, and avoid the noise of the dark visible regions.",
] * 2)


def test_windows_cover_every_token_with_overlap():
    ids = list(range(23))
    chunks = windows(ids, 8, 3)
    assert all(len(c) <= 8 for c in chunks) and chunks[0] == ids[:8]
    assert chunks[-1][-1] == 22
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a[-3:] == b[:3]
    assert sorted(set(i for c in chunks for i in c)) == ids
    assert windows(ids[:5], 8, 3) == [ids[:5]]
    with pytest.raises(ValueError):
        windows(ids, 4, 4)


def test_long_paragraph_is_chunked_not_rejected(minilm):
    n = minilm.count_tokens(PARAGRAPH)
    assert n > minilm.max_tokens
    (long,) = encode_paragraphs(minilm, [PARAGRAPH], overlap=16)
    assert long.tokens.shape[0] > n and long.tokens.shape[1] == minilm.dim
    assert torch.isclose(long.pooled.norm(), torch.tensor(1.0), atol=1e-4)
    short = "visible camera is in low light"
    (chunked,) = encode_paragraphs(minilm, [short])
    (plain,) = minilm.encode([short])
    assert torch.allclose(chunked.tokens, plain.tokens, atol=1e-5)
    assert torch.allclose(chunked.pooled, plain.pooled, atol=1e-6)
    # The runtime limit stays: encode() still refuses the paragraph.
    with pytest.raises(ValueError, match="tokens"):
        minilm.encode([PARAGRAPH])


def _dataset(root, n=4, size=(64, 64)):
    write_sequence(root, SceneConfig(height=size[0], width=size[1], seed=2), n)
    stems = [p.stem for p in sorted((root / "ir").glob("*.png"))]
    (root / "text").mkdir()
    (root / "text" / f"{stems[0]}.txt").write_text(PARAGRAPH)
    (root / "text" / f"{stems[1]}_ir.txt").write_text("two warm pedestrians on the left")
    (root / "texts.json").write_text(json.dumps({f"{stems[1]}_vi": "a dark street, a sign"}))
    (root / "text_features").mkdir()
    np.save(root / "text_features" / f"{stems[2]}.npy",
            np.random.default_rng(0).normal(size=(1, 149, 384)).astype(np.float32))
    return stems


def test_pair_texts_per_source_and_features(tmp_path, minilm):
    stems = _dataset(tmp_path / "data")
    records = {r.stem: r for r in find_pairs(tmp_path / "data")}
    paragraph, per_source, features, none = (records[s] for s in stems)
    assert paragraph.prompt_key == PARAGRAPH
    assert (per_source.ir_text, per_source.vis_text) == ("two warm pedestrians on the left",
                                                         "a dark street, a sign")
    assert features.features and features.prompt_key.startswith("<text features")
    assert none.prompt_key is None
    embedded = embed_pair_texts(minilm, list(records.values()), overlap=16)
    assert set(embedded) == {paragraph.prompt_key, per_source.prompt_key, features.prompt_key}
    ir_part, vis_part = minilm.encode(["two warm pedestrians on the left",
                                       "a dark street, a sign"])
    both = embedded[per_source.prompt_key]
    assert torch.allclose(both.tokens, torch.cat([ir_part.tokens, vis_part.tokens]), atol=1e-5)
    assert embedded[features.prompt_key].tokens.shape == (149, 384)


def test_text_features_of_the_wrong_width_name_their_file(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((1, 10, 768), np.float32))
    with pytest.raises(ValueError, match=r"a\.npy.*768-d.*384-d"):
        load_features(path, 384)
    np.save(path, np.zeros((3, 2, 5, 384), np.float32))
    with pytest.raises(ValueError, match=r"a\.npy.*T×D"):
        load_features(path, 384)


def test_training_uses_paragraphs_and_validation_reports_them(tmp_path):
    _dataset(tmp_path / "data", n=5)
    config = {
        "data": {"root": str(tmp_path / "data"), "n_val": 0},
        "train": {"out_dir": str(tmp_path / "run"), "iterations": 3, "batch_size": 2,
                  "crop": 64, "warmup": 1, "threads": 1, "text_prob": 1.0,
                  "class_probs": {"default": 1.0}, "checkpoint_every": 100},
    }
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    trainer = Trainer(load_train_config(path))
    lengths = trainer.text[2].sum(1)
    assert lengths.max() > 128  # the chunked paragraph and the 149 feature tokens
    final = trainer.run()
    records = find_pairs(tmp_path / "data")
    pipeline = FusionPipeline(FusionConfig(model=str(final), backend="torch"))
    pairs = [(r.stem, *_read(r)) for r in records]
    report = paragraph_report(pipeline, records, pairs)
    assert report["pairs"] == 3 and max(report["tokens"].values()) > 128
    assert set(report["metrics"]) == {"own_text", "default_prompt"}


def _read(record):
    from textfusion_ros.imaging.imageio import read_image
    return read_image(record.ir_path, grey=True), read_image(record.vis_path)


def test_clip_needs_local_weights_and_says_so(tmp_path):
    with pytest.raises(RuntimeError, match="needs local weights.*Hugging Face CLIP folder"):
        create_encoder("clip")
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        create_encoder("clip", weights=str(tmp_path / "missing.pt"))
    options = TextConfig(name="clip", clip_model="ViT-B-16", clip_weights="w.pt").encoder_options()
    assert options == {"model_name": "ViT-B-16", "weights": "w.pt", "backend": "auto"}
    assert TextConfig(max_tokens=64).encoder_options() == {"max_tokens": 64}


def test_clip_without_a_working_open_clip_is_a_clear_error(tmp_path):
    try:
        import_open_clip()
    except RuntimeError as exc:
        assert "open_clip" in str(exc)
        weights = tmp_path / "w.pt"
        weights.write_bytes(b"")
        with pytest.raises(RuntimeError, match="open_clip"):
            create_encoder("clip", weights=str(weights))
    else:
        pytest.skip("open_clip imports here; the tiny-tower test covers it")


def test_tiny_open_clip_text_tower_embeds_and_chunks():
    try:
        open_clip = import_open_clip()
    except RuntimeError as exc:
        pytest.skip(f"open_clip does not import here: {exc}")
    torch.manual_seed(0)
    model = open_clip.CLIP(embed_dim=16, vision_cfg={"layers": 1, "width": 32, "patch_size": 16,
                                                    "image_size": 32},
                           text_cfg={"context_length": 24, "vocab_size": 49408, "width": 32,
                                     "heads": 2, "layers": 1})
    encoder = ClipEncoder.from_model(model, open_clip.get_tokenizer("ViT-B-32"), "tiny CLIP")
    assert encoder.max_tokens == 24 and encoder.dim == 16
    (short,) = encoder.encode(["infrared is noisy"])
    assert short.pooled.shape == (16,) and short.tokens.shape[0] == encoder.count_tokens(
        "infrared is noisy")
    (long,) = encode_paragraphs(encoder, [PARAGRAPH], overlap=4)
    assert long.tokens.shape[0] > 24
    with pytest.raises(ValueError, match="tokens"):
        encoder.encode([PARAGRAPH])
