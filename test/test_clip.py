"""The CLIP text encoder's transformers backend, on tiny randomly initialised CLIP models saved
in the Hugging Face layout (config.json, model.safetensors, vocab.json + merges.txt) with a
tiny byte-level BPE vocabulary written here: no real CLIP weights are reachable offline."""

import json

import pytest
import torch
import torch.nn.functional as F
import yaml
from tokenizers.pre_tokenizers import ByteLevel
from transformers import (
    CLIPConfig,
    CLIPModel,
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPTokenizer,
)

from textfusion_ros.config import FusionConfig
from textfusion_ros.imaging.imageio import read_image
from textfusion_ros.imaging.scenes import SceneConfig, write_sequence
from textfusion_ros.pipeline import FusionPipeline
from textfusion_ros.text.chunking import encode_paragraphs, windows
from textfusion_ros.text.clip import TransformersClipEncoder
from textfusion_ros.text.embedding import collate_embeddings
from textfusion_ros.text.encoders import create_encoder
from textfusion_ros.text.validation import PromptRejected
from training.config import TextConfig, load_train_config
from training.datasets import find_pairs
from training.paragraph_validation import paragraph_report
from training.trainer import Trainer

DIM = 16  # projection width of the tiny towers
PARAGRAPH = ("The infrared image shows a street at night with two pedestrians on the left "
             "sidewalk, warmer than the asphalt, and a parked car whose wheels glow. The "
             "visible image is dark: the road markings and a shop sign are readable, but the "
             "pedestrians are almost invisible in the shadows. ") * 2
MERGES = ["t h", "th e</w>", "i n", "in g</w>", "e r</w>", "a n", "an d</w>", "r e", "o n</w>",
          "a l</w>", "e d</w>", "i s</w>"]


def _write_tokenizer(folder):
    """A CLIP-style byte-level BPE: the 256 byte symbols, each also as a word end (`</w>`), a
    few merges, and <|startoftext|> / <|endoftext|> last (as CLIP orders them)."""
    symbols = ByteLevel.alphabet()
    vocab = symbols + [s + "</w>" for s in symbols] + [m.replace(" ", "") for m in MERGES]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({s: i for i, s in enumerate(vocab)}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(MERGES) + "\n")
    return len(vocab)


def _text_config(vocab_size: int) -> CLIPTextConfig:
    return CLIPTextConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64,
                          num_hidden_layers=2, num_attention_heads=2, projection_dim=DIM,
                          max_position_embeddings=77, bos_token_id=vocab_size - 2,
                          eos_token_id=vocab_size - 1, pad_token_id=vocab_size - 1)


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    """A tiny full CLIPModel (text and vision towers), laid out like openai/clip-vit-base-patch32,
    and the model itself as the reference."""
    folder = tmp_path_factory.mktemp("tiny-clip")
    vocab_size = _write_tokenizer(folder)
    torch.manual_seed(0)
    config = CLIPConfig(text_config=_text_config(vocab_size).to_dict(), projection_dim=DIM,
                        vision_config={"hidden_size": 32, "intermediate_size": 64,
                                       "num_hidden_layers": 1, "num_attention_heads": 2,
                                       "image_size": 32, "patch_size": 16})
    model = CLIPModel(config).eval()
    model.save_pretrained(folder)
    return folder, model


@pytest.fixture(scope="module")
def clip(clip_folder):
    return create_encoder("clip", weights=str(clip_folder[0]))


def test_a_folder_loads_through_transformers_with_clips_window(clip, clip_folder):
    assert isinstance(clip, TransformersClipEncoder)
    assert clip.dim == DIM and clip.max_tokens == 77 and clip.window == 75
    assert clip.description == f"CLIP {clip_folder[0].name} (transformers)"
    assert create_encoder("clip", weights=str(clip_folder[0]), max_tokens=40).window == 38
    with pytest.raises(ValueError, match="exceeds CLIP's context length 77"):
        create_encoder("clip", weights=str(clip_folder[0]), max_tokens=78)


def test_embeddings_are_clips_text_features_with_real_tokens_only(clip, clip_folder):
    texts = ["infrared is noisy", "the visible image is too dark, keep the warm pedestrians"]
    embedded = clip.encode(texts)
    tokenizer = CLIPTokenizer.from_pretrained(str(clip_folder[0]))
    with torch.no_grad():
        for text, e in zip(texts, embedded, strict=True):
            ids = tokenizer(text, return_tensors="pt")["input_ids"]
            reference = clip_folder[1].get_text_features(input_ids=ids).pooler_output[0]
            assert e.tokens.shape == (clip.count_tokens(text), DIM) == (ids.shape[1], DIM)
            assert torch.allclose(e.pooled, F.normalize(reference, dim=0), atol=1e-5)
            assert torch.allclose(e.tokens[-1], reference, atol=1e-5)  # end-of-text, projected
    _, tokens, mask = collate_embeddings(embedded)
    assert mask.sum(1).tolist() == [clip.count_tokens(t) for t in texts]
    assert tokens.shape == (2, clip.count_tokens(texts[1]), DIM)
    (alone,) = clip.encode([texts[0]])  # padding in a batch changes nothing
    assert torch.allclose(alone.tokens, embedded[0].tokens, atol=1e-5)
    again = clip.encode(texts)
    assert all(torch.equal(a.tokens, b.tokens) and torch.equal(a.pooled, b.pooled)
               for a, b in zip(again, embedded, strict=True))
    assert clip.count_unknown_tokens("infrared is noisy") == (0, clip.count_tokens(texts[0]) - 2)


def test_long_paragraph_is_chunked_in_clip_windows(clip):
    n = clip.count_tokens(PARAGRAPH)
    assert n > 3 * clip.max_tokens
    with pytest.raises(PromptRejected, match=f"{n} tokens.*limit is 77"):
        clip.encode([PARAGRAPH])
    (long,) = encode_paragraphs(clip, [PARAGRAPH], overlap=16)
    chunks = windows(clip.token_ids(PARAGRAPH), 75, 16)
    assert long.tokens.shape == (sum(len(c) + 2 for c in chunks), DIM)
    assert torch.isclose(long.pooled.norm(), torch.tensor(1.0), atol=1e-5)
    first = clip.encode_ids(chunks[:1])[0]
    assert torch.allclose(long.tokens[:77], first.tokens, atol=1e-5)
    short = "thermal targets"
    (chunked,) = encode_paragraphs(clip, [short])
    (plain,) = clip.encode([short])
    assert torch.allclose(chunked.tokens, plain.tokens) and torch.allclose(chunked.pooled,
                                                                           plain.pooled)


def test_a_text_tower_folder_loads_the_same(clip, clip_folder, tmp_path):
    tower = CLIPTextModelWithProjection.from_pretrained(str(clip_folder[0]))
    tower.save_pretrained(tmp_path)
    CLIPTokenizer.from_pretrained(str(clip_folder[0])).save_pretrained(tmp_path)  # tokenizer.json
    encoder = create_encoder("clip", weights=str(tmp_path), backend="transformers")
    a, b = encoder.encode(["bright pedestrians"])[0], clip.encode(["bright pedestrians"])[0]
    assert torch.equal(a.tokens, b.tokens)


def test_clip_backend_choice_and_incomplete_folders_are_clear_errors(clip_folder, tmp_path):
    folder = str(clip_folder[0])
    with pytest.raises(ValueError, match="open_clip CLIP backend loads a checkpoint file"):
        create_encoder("clip", weights=folder, backend="open_clip")
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"")
    with pytest.raises(ValueError, match="transformers CLIP backend loads a Hugging Face folder"):
        create_encoder("clip", weights=str(weights), backend="transformers")
    with pytest.raises(ValueError, match="unknown CLIP backend 'hf'"):
        create_encoder("clip", weights=folder, backend="hf")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="lacks config.json; model.safetensors.*; "
                                                "tokenizer.json or vocab.json"):
        create_encoder("clip", weights=str(empty))
    plain = tmp_path / "no-projection"  # a text tower without CLIP's projection
    CLIPTextModel(_text_config(_write_tokenizer(plain.parent))).save_pretrained(plain)
    _write_tokenizer(plain)
    with pytest.raises(ValueError, match="lacks 1 text-tower weights .text_projection.weight"):
        create_encoder("clip", weights=str(plain))
    options = TextConfig(name="clip", clip_backend="transformers",
                         clip_weights=folder).encoder_options()
    assert options == {"model_name": "ViT-B-32", "weights": folder, "backend": "transformers"}


def test_training_with_the_tiny_clip_and_the_pipeline_reloading_it(tmp_path, clip_folder):
    data = tmp_path / "data"
    stems = write_sequence(data, SceneConfig(height=64, width=64, seed=2), 4)
    (data / "text").mkdir()
    (data / "text" / f"{stems[0]}.txt").write_text(PARAGRAPH)
    (data / "text" / f"{stems[1]}_ir.txt").write_text("two warm pedestrians on the left")
    (data / "text" / f"{stems[1]}_vi.txt").write_text("a dark street and a shop sign")
    config = {
        "data": {"root": str(data), "n_val": 0},
        "train": {"out_dir": str(tmp_path / "run"), "iterations": 2, "batch_size": 2,
                  "crop": 64, "warmup": 1, "threads": 1, "text_prob": 1.0,
                  "class_probs": {"default": 1.0}, "checkpoint_every": 100},
        "model": {"text_dim": DIM},
        "text": {"name": "clip", "clip_weights": str(clip_folder[0])},
    }
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    trainer = Trainer(load_train_config(path))
    assert trainer.text[2].sum(1).max() > 77  # the chunked paragraph
    final = trainer.run()
    pipeline = FusionPipeline(FusionConfig(model=str(final), backend="torch"))
    assert pipeline.model.text_encoder == {"name": "clip", "model_name": "ViT-B-32",
                                           "weights": str(clip_folder[0]), "backend": "auto",
                                           "max_tokens": 77}
    pipeline.set_prompt("keep the warm pedestrians and the shop sign")  # not in the bank
    records = find_pairs(data)
    pairs = [(r.stem, read_image(r.ir_path, grey=True), read_image(r.vis_path)) for r in records]
    report = paragraph_report(pipeline, records, pairs)
    assert report["pairs"] == 2 and max(report["tokens"].values()) > 77
