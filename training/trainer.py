"""The training loop: AdamW, warm-up + cosine decay, gradient clipping, seeded, resumable,
tqdm progress, TensorBoard scalars and image grids, DDP (torchrun) when launched that way."""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Sampler
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from textfusion_ros.model.checkpoint import FusionModelFile, load_model_file, save_model_file
from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings
from textfusion_ros.text.encoders import create_encoder
from training.checkpointing import (
    MODEL_NAME,
    has_training_state,
    load_training_state,
    restore_rng_states,
    save_rng_states,
    save_training_state,
)
from training.conditioning import ConditionedPairs, PromptTable
from training.config import TrainConfig
from training.datasets import PairDataset, PairRecord, find_pairs, split_three
from training.degraded_pairs import DegradedSamples, MixedSamples, find_degraded_pairs
from training.loss_presets import build_loss, check_chroma_loss, split_output
from training.pair_texts import embed_pair_texts
from training.prompts import DEFAULT_PROMPT, all_prompts

FINAL_MODEL_NAME = "model.safetensors"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def lr_factor(step: int, warmup: int, total: int, floor: float) -> float:
    """Linear warm-up, then cosine decay from 1 to `floor`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def embed_prompts(config: TrainConfig, records: list[PairRecord], text_dim: int
                  ) -> tuple[dict[str, TextEmbedding], dict]:
    """Embed every bank prompt (train and validation paraphrases) and the pairs' own texts
    once → (text → embedding, the encoder's description for the model file)."""
    encoder = create_encoder(config.text.name, **config.text.encoder_options())
    if encoder.dim != text_dim:
        raise ValueError(f"text encoder {config.text.name} gives {encoder.dim}-d embeddings but "
                         f"the network's text_dim is {text_dim}: set model.text_dim")
    texts = list(dict.fromkeys(t for t, _ in all_prompts("train") + all_prompts("val")))
    embeddings = dict(zip(texts, encoder.encode(texts), strict=True))
    embeddings.update(embed_pair_texts(encoder, records, config.text.chunk_overlap))
    info = {"name": config.text.name, **config.text.encoder_options(),
            "max_tokens": encoder.max_tokens}
    return embeddings, info


class ResumableSampler(Sampler[int]):
    """A seeded permutation per epoch (DistributedSampler's, one replica unless distributed)
    whose first pass can start part-way, so a resumed run sees the batches it had not seen."""

    def __init__(self, dataset: ConditionedPairs, seed: int, distributed: bool) -> None:
        self.epochs = (DistributedSampler(dataset, seed=seed) if distributed else
                       DistributedSampler(dataset, num_replicas=1, rank=0, seed=seed))
        self.skip = 0

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        """Select epoch `epoch`'s permutation, leaving out its first `skip` indices."""
        self.epochs.set_epoch(epoch)
        self.skip = skip

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(iter(self.epochs), self.skip, None)

    def __len__(self) -> int:
        return len(self.epochs) - self.skip


def _batches(loader: DataLoader, dataset: ConditionedPairs, sampler: ResumableSampler,
             start_step: int, steps_per_epoch: int) -> Iterator[dict[str, torch.Tensor]]:
    """Batches from step `start_step` on: epoch start_step // steps_per_epoch, part-way in."""
    epoch, done = divmod(start_step, steps_per_epoch)
    skip = done * loader.batch_size
    while True:
        dataset.set_epoch(epoch)
        sampler.set_epoch(epoch, skip)
        yield from loader
        epoch, skip = epoch + 1, 0


def _image_grid(batch: dict[str, torch.Tensor], fused: torch.Tensor, n: int = 4) -> torch.Tensor:
    """Rows of [IR input | visible input | fused] for the first n samples, 1×H×W."""
    rows = [torch.cat([batch["ir_in"][i], batch["vis_in"][i], fused[i]], dim=2)
            for i in range(min(n, fused.shape[0]))]
    return torch.cat(rows, dim=1).clamp(0, 1)


class Trainer:
    """One training run, as configured."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        loop = config.train
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        if self.distributed:
            dist.init_process_group("nccl" if loop.device.startswith("cuda") else "gloo")
        self.rank = dist.get_rank() if self.distributed else 0
        self.device = torch.device(loop.device)
        if self.device.type == "cuda" and self.distributed:
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(self.device)
        if loop.threads > 0:
            torch.set_num_threads(loop.threads)
        torch.set_flush_denormal(True)  # denormal floats slow CPU training many times over
        seed_everything(loop.seed + self.rank)
        self.out_dir = Path(loop.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)

        records = find_pairs(config.data.root, config.data.split)
        self.train_records, self.val_records, self.test_records = split_three(
            records, config.data.n_val, config.data.n_test, config.data.split_seed)
        self.model_config = ModelConfig.from_dict(config.model)
        descriptive = sorted({r.prompt_key for r in self.train_records if r.prompt_key})
        self.embeddings, self.encoder_info = embed_prompts(
            config, self.train_records, self.model_config.text_dim)
        self.prompts = PromptTable(descriptive)
        pooled, tokens, mask = collate_embeddings([self.embeddings[t] for t in self.prompts.texts])
        self.text = (pooled.to(self.device), tokens.to(self.device), mask.to(self.device))

        pairs = PairDataset(self.train_records, crop=loop.crop, augment=True, seed=loop.seed,
                            lazy=config.data.lazy)
        self.dataset = ConditionedPairs(pairs, self.prompts, loop.class_probs, loop.text_prob,
                                        loop.seed, loop.default_degraded_prob,
                                        config.night, config.night_targets)
        if config.data.degraded_root:
            real, _ = find_degraded_pairs(config.data.degraded_root, config.data.degraded_split,
                                          config.data.degraded_tasks)
            self.dataset = MixedSamples(self.dataset,
                                        DegradedSamples(real, self.prompts, loop.crop, loop.seed),
                                        config.data.degraded_prob, loop.seed)
        self.sampler = ResumableSampler(self.dataset, loop.seed, self.distributed)
        # The loader's own generator seeds its workers, so the global torch RNG (text noise)
        # is drawn from by the training steps only and its saved state resumes exactly.
        self.loader = DataLoader(self.dataset, batch_size=loop.batch_size, sampler=self.sampler,
                                 num_workers=loop.workers, drop_last=True,
                                 persistent_workers=False,
                                 generator=torch.Generator().manual_seed(loop.seed))

        self.net = TextFusionNet(self.model_config).to(self.device)
        self.loss = build_loss(config.loss, self.model_config).to(self.device)
        check_chroma_loss(self.loss, self.model_config.chroma_head)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=loop.lr,
                                           weight_decay=loop.weight_decay)
        floor = loop.min_lr / loop.lr
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(s, loop.warmup, loop.iterations, floor))
        self.step = 0
        if loop.resume and has_training_state(self.out_dir):
            self.net.load_state_dict(load_model_file(self.out_dir / MODEL_NAME).weights)
            self.step = load_training_state(self.out_dir, self.optimizer, self.scheduler)
            restore_rng_states(self.out_dir, self.rank)
        self.model = (DistributedDataParallel(self.net) if self.distributed else self.net)

    def model_file(self, info: dict) -> FusionModelFile:
        """The current weights with the prompt bank, as a shippable model file."""
        bank_texts = [t for t, _ in all_prompts("train") + all_prompts("val")]
        classes = dict(all_prompts("train") + all_prompts("val"))
        weights = {k: v.detach().cpu() for k, v in self.net.state_dict().items()}
        return FusionModelFile(
            self.model_config, weights, {t: self.embeddings[t] for t in bank_texts}, classes,
            DEFAULT_PROMPT, self.encoder_info, info)

    def fusion_loss(self, batch: dict[str, torch.Tensor]
                    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
        """Fused output, total fusion loss and its terms for one batch already on the device."""
        ids = batch["prompt_id"]
        pooled = self.text[0][ids]
        pooled = pooled + self.config.train.text_noise * torch.randn_like(pooled)
        fused, fused_crcb = split_output(self.model(
            batch["ir_in"], batch["vis_in"], pooled, self.text[1][ids], self.text[2][ids]), batch)
        chroma = {} if fused_crcb is None else {"fused_crcb": fused_crcb}
        total, terms = self.loss(fused, batch["ir"], batch["vis_y"], batch["vis_crcb"],
                                 batch["class_index"], batch["as_given"], **chroma)
        return fused, total, terms

    def run(self, stop_after: int | None = None) -> Path:
        """Train to the configured number of iterations; returns the final model file path.

        `stop_after` interrupts the run after that step, as a stopped job would: its training
        state is saved (and its path returned), no final model is written, and a new Trainer
        on the same out_dir resumes exactly where it stopped.
        """
        loop = self.config.train
        main = self.rank == 0
        writer = SummaryWriter(str(self.out_dir / "tensorboard")) if main else None
        if main:
            split = {"train": [r.stem for r in self.train_records],
                     "val": [r.stem for r in self.val_records],
                     "test": [r.stem for r in self.test_records]}
            (self.out_dir / "split.json").write_text(json.dumps(split, indent=1))
            (self.out_dir / "config.json").write_text(json.dumps(self.config.to_dict(), indent=1))
        steps_per_epoch = max(1, len(self.sampler.epochs) // loop.batch_size)
        batches = _batches(self.loader, self.dataset, self.sampler, self.step, steps_per_epoch)
        last_step = loop.iterations if stop_after is None else min(stop_after, loop.iterations)
        progress = tqdm(total=loop.iterations, initial=self.step, disable=not main,
                        desc="train", dynamic_ncols=True)
        started = time.monotonic()
        self.net.train()
        while self.step < last_step:
            batch = {k: v.to(self.device) for k, v in next(batches).items()}
            fused, total, terms = self.fusion_loss(batch)
            self.optimizer.zero_grad(set_to_none=True)
            total.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(self.net.parameters(), loop.grad_clip)
            self.optimizer.step()
            self.scheduler.step()
            self.step += 1
            progress.update(1)
            if writer and self.step % loop.log_every == 0:
                progress.set_postfix(loss=f"{total.item():.4f}")
                writer.add_scalar("loss/total", total.item(), self.step)
                for name, value in terms.items():
                    writer.add_scalar(f"loss/{name}", value, self.step)
                writer.add_scalar("lr", self.scheduler.get_last_lr()[0], self.step)
                writer.add_scalar("grad_norm", float(grad_norm), self.step)
            if writer and self.step % loop.image_every == 0:
                writer.add_image("ir_vis_fused", _image_grid(batch, fused.detach()), self.step)
            if self.step % loop.checkpoint_every == 0 or self.step == last_step:
                save_rng_states(self.out_dir, self.rank)
                if main:
                    save_training_state(self.out_dir, self.model_file({"step": self.step}),
                                        self.optimizer, self.scheduler, self.step)
        progress.close()
        final = self.out_dir / FINAL_MODEL_NAME
        if main and self.step == loop.iterations:
            info = {"iterations": self.step, "train_seconds_this_run":
                    round(time.monotonic() - started, 1),
                    "train_pairs": len(self.train_records), "val_pairs": len(self.val_records),
                    "test_pairs": len(self.test_records),
                    "data_root": str(self.config.data.root)}
            save_model_file(final, self.model_file(info))
        if writer:
            writer.close()
        if self.distributed:
            dist.destroy_process_group()
        return final if self.step == loop.iterations else self.out_dir / MODEL_NAME
