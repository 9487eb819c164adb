"""Detection-driven fine-tuning of a fusion model ("From Text to Pixels" / TarDAL, within reach).

A frozen, differentiable detector (the shipped SSDLite's convolutional part, `ssd.FrozenSsd`)
judges the fused image; its multibox loss (`loss.DetectionLoss`) is one level of a bilevel
schedule that alternates `fusion_steps` steps of the fusion losses (the training recipe's
batches, `Trainer.fusion_loss`) with `detection_steps` steps of the detection loss, both
updating the fusion network. The detector is the loss network only, never trained.

Boxes come from labels (`training.labels`: YOLO, LLVIP VOC, M3FD) or, with `pseudo_labels`,
from the detector itself (ONNX Runtime, as deployed) on the clean daytime visible image, used as
targets while the inputs are degraded. Before and after, on the configuration's validation
pairs: the detection loss on clean and degraded inputs (fixed evaluation degradations), mAP of
the deployed detector on the fused images (pycocotools), and the fusion metrics.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from textfusion_ros.config import DetectorConfig, FusionConfig
from textfusion_ros.detection.detector import create_detector, detector_path
from textfusion_ros.detection.evaluation import mean_average_precision
from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.degradations import get_degradation
from textfusion_ros.imaging.imageio import read_image
from textfusion_ros.metrics import compute_metrics, mean_metrics
from textfusion_ros.model.checkpoint import load_model_file, save_model_file
from textfusion_ros.paths import find_shipped
from textfusion_ros.pipeline import FusionPipeline
from training.config import TrainConfig
from training.detection.config import EVAL_DEGRADATIONS, DetectionTuning
from training.detection.loss import DetectionLoss
from training.detection.samples import (
    DetectionSamples,
    LabelledPair,
    collate,
    degradation_class,
    label_pairs,
    pseudo_labels,
)
from training.detection.ssd import FrozenSsd
from training.labels import read_labels

SHIPPED_MODEL = "models/textfusion_minilm.safetensors"


def level_of(step: int, fusion_steps: int, detection_steps: int) -> str:
    """Which level step `step` belongs to: rounds of fusion steps then detection steps."""
    return "fusion" if step % (fusion_steps + detection_steps) < fusion_steps else "detection"


def _labels(tuning: DetectionTuning, records) -> dict:
    if tuning.pseudo_labels:
        return pseudo_labels(records, tuning.pseudo_score, tuning.detector)
    if not tuning.labels:
        raise ValueError("detection tuning needs detection.labels or detection.pseudo_labels")
    sizes = {r.stem: r for r in records}

    def size_of(stem: str) -> tuple[int, int]:
        image = read_image(sizes[stem].ir_path, grey=True)
        return image.shape[1], image.shape[0]
    labels = read_labels(tuning.labels, tuning.label_format, size_of, tuning.label_names)
    return {stem: boxes for stem, boxes in labels.items() if stem in sizes}


class DetectionTuner:
    """Builds the recipe's trainer around the initial model, the frozen detector and both
    levels' data; `run()` tunes and returns the report."""

    def __init__(self, config: TrainConfig, tuning: DetectionTuning, out_dir: str | Path) -> None:
        from training.trainer import Trainer

        self.tuning = tuning
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.init_path = Path(tuning.init_model) if tuning.init_model else find_shipped(
            SHIPPED_MODEL)
        initial = load_model_file(self.init_path)
        config.model = initial.model_config.to_dict()
        config.train.out_dir = str(self.out_dir / "fusion")
        config.train.resume = False
        config.train.batch_size = min(config.train.batch_size, tuning.batch_size)
        self.trainer = Trainer(config)
        self.trainer.net.load_state_dict(initial.weights)
        self.detector = FrozenSsd(detector_path(DetectorConfig(model=tuning.detector)))
        self.loss = DetectionLoss(self.detector.anchors)
        columns = {name: column for column, name in self.detector.names.items()
                   if column < self._class_columns()}
        records = self.trainer.train_records + self.trainer.val_records
        labels = _labels(tuning, records)
        self.train_pairs = label_pairs(self.trainer.train_records, labels)
        self.val_pairs = label_pairs(self.trainer.val_records, labels)
        frame = (tuning.frame_hw[0], tuning.frame_hw[1])
        multiple = initial.model_config.size_multiple
        if frame[0] % multiple or frame[1] % multiple:
            raise ValueError(f"detection.frame_hw {frame} must be multiples of {multiple}")
        self.samples = DetectionSamples(self.train_pairs, self.trainer.prompts, columns, frame,
                                        tuning.degradations, tuning.degraded_prob,
                                        config.train.seed)
        self.columns = columns
        self.optimizer = torch.optim.AdamW(self.trainer.net.parameters(), lr=tuning.lr,
                                           weight_decay=config.train.weight_decay)

    def _class_columns(self) -> int:
        with torch.no_grad():
            return self.detector(torch.zeros(1, 1, 64, 64))[1].shape[-1]

    def detection_loss(self, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        """The detection loss of the fusion of a detection batch (text as in training)."""
        text = self.trainer.text
        ids = batch["prompt_id"]
        fused = self.trainer.net(batch["ir_in"], batch["vis_in"], text[0][ids], text[1][ids],
                                 text[2][ids])
        encodings, logits = self.detector(fused)
        return self.loss(encodings, logits, batch["targets"])

    def held_out_loss(self) -> dict[str, float]:
        """Mean detection loss on the validation pairs, clean and under each evaluation
        degradation (fixed strength), with the matching prompt class."""
        figures = {}
        self.trainer.net.eval()
        for degradation in (None, *EVAL_DEGRADATIONS):
            samples = DetectionSamples(self.val_pairs, self.trainer.prompts, self.columns,
                                       self.samples.frame_hw, seed=0)
            losses = []
            for index in range(len(samples)):
                item = samples[index]
                if degradation is not None:
                    item = self._degrade(item, degradation)
                with torch.no_grad():
                    loss, _ = self.detection_loss(collate([item]))
                losses.append(float(loss))
            figures[degradation or "clean"] = float(np.mean(losses))
        self.trainer.net.train()
        return figures

    def _degrade(self, item: dict, degradation: str) -> dict:
        ir = item["ir_in"][0].numpy()
        vis = np.repeat(item["vis_in"][0].numpy()[..., None], 3, axis=2)
        ir, vis = get_degradation(degradation).evaluate(ir, vis, np.random.default_rng(0))
        class_ids = self.trainer.prompts.class_ids[degradation_class(degradation)]
        return {**item, "ir_in": torch.from_numpy(np.ascontiguousarray(ir))[None],
                "vis_in": torch.from_numpy(np.ascontiguousarray(vis[..., 0]))[None],
                "prompt_id": torch.tensor(class_ids[0])}

    def deployed_figures(self, model_path: Path) -> dict:
        """mAP of the deployed detector on the model's fused validation images (clean and night-
        like low light, with the matching prompt) and the fusion metrics (default prompt)."""
        return deployed_figures(model_path, self.val_pairs, self.tuning)

    def run(self) -> dict:
        tuning = self.tuning
        before = {"detection_loss": self.held_out_loss(),
                  **self.deployed_figures(self.init_path)}
        loader = DataLoader(self.samples, batch_size=tuning.batch_size, shuffle=True,
                            collate_fn=collate, drop_last=len(self.samples) > tuning.batch_size,
                            generator=torch.Generator().manual_seed(0))
        detection_batches = cycle_epochs(loader, self.samples)
        fusion_batches = cycle_epochs(self.trainer.loader, self.trainer.dataset)
        log: list[dict] = []
        started = time.monotonic()
        self.trainer.net.train()
        for step in tqdm(range(tuning.iterations), desc="detect-tune", dynamic_ncols=True):
            level = level_of(step, tuning.fusion_steps, tuning.detection_steps)
            if level == "fusion":
                batch = {k: v.to(self.trainer.device) for k, v in next(fusion_batches).items()}
                _, total, _ = self.trainer.fusion_loss(batch)
            else:
                total, _ = self.detection_loss(next(detection_batches))
                total = tuning.detection_weight * total
            self.optimizer.zero_grad(set_to_none=True)
            total.backward()
            torch.nn.utils.clip_grad_norm_(self.trainer.net.parameters(),
                                           self.trainer.config.train.grad_clip)
            self.optimizer.step()
            log.append({"step": step + 1, "level": level, "loss": float(total.detach())})
        seconds = round(time.monotonic() - started, 1)
        tuned = self.out_dir / "tuned.safetensors"
        save_model_file(tuned, self.trainer.model_file(
            {"detection_tuned_from": str(self.init_path), "iterations": tuning.iterations,
             "tuning": asdict(tuning)}))
        after = {"detection_loss": self.held_out_loss(), **self.deployed_figures(tuned)}
        report = {"tuning": asdict(tuning), "labels": "pseudo" if tuning.pseudo_labels else
                  str(tuning.labels), "train_pairs": len(self.train_pairs),
                  "val_pairs": len(self.val_pairs), "seconds": seconds, "model": str(tuned),
                  "before": before, "after": after, "log": log}
        (self.out_dir / "report.json").write_text(json.dumps(report, indent=1) + "\n")
        return report


def cycle_epochs(loader: DataLoader, dataset) -> Iterator:
    """Batches forever, a new epoch (and the dataset's epoch-seeded randomness) each pass."""
    epoch = 0
    while True:
        dataset.set_epoch(epoch)
        yield from loader
        epoch += 1


def deployed_figures(model_path: Path, pairs: list[LabelledPair], tuning: DetectionTuning
                     ) -> dict:
    """mAP@0.5 / @0.5:0.95 of the deployed detector on fused validation images (clean and with
    the visible darkened at the low-light evaluation setting, low-light prompt), over the
    classes the detector has, and the mean fusion metrics of the clean fusions (default
    prompt)."""
    pipeline = FusionPipeline(FusionConfig(model=str(model_path)))
    detector = create_detector(DetectorConfig(model=tuning.detector, classes=[],
                                              score_threshold=tuning.eval_score))
    known = set(detector.names.values())  # a class the detector lacks would only add AP 0
    truth = {p.record.stem: [b for b in p.boxes if b.label in known] for p in pairs}
    figures: dict = {}
    metrics = []
    low_light = get_degradation("vis_low_light")
    prompt = pipeline.model.default_prompt
    for condition in ("clean", "vis_low_light"):
        pipeline.set_prompt(prompt if condition == "clean" else _canonical("vis_low_light"))
        predictions = {}
        for pair in pairs:
            ir = read_image(pair.record.ir_path, grey=True)
            vis = read_image(pair.record.vis_path)
            if condition != "clean":
                vis = to_uint8(low_light.evaluate(to_unit_float(ir), to_unit_float(vis),
                                                  np.random.default_rng(0))[1])
            fused = pipeline.fuse(ir, vis)
            predictions[pair.record.stem] = detector.detect(fused)
            if condition == "clean":
                metrics.append(compute_metrics(ir, vis, fused))
        has_objects = any(truth.values())
        figures[f"map_{condition}"] = (mean_average_precision(truth, predictions)
                                       if has_objects else None)
    figures["fusion_metrics"] = mean_metrics(metrics)
    return figures


def _canonical(class_name: str) -> str:
    from training.prompts import PROMPT_CLASSES
    return PROMPT_CLASSES[class_name].train[0]

