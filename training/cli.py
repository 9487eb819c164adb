"""Command-line entry points of the training subpackage (also plugged into `textfusion`)."""

from __future__ import annotations

import argparse


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="training YAML (see config/)")
    parser.add_argument("--iterations", type=int, help="override train.iterations")
    parser.add_argument("--out-dir", help="override train.out_dir")


def run_train(args: argparse.Namespace) -> int:
    """Train as configured; prints the final model path."""
    from training.config import load_train_config
    from training.trainer import Trainer

    config = load_train_config(args.config)
    if args.iterations is not None:
        config.train.iterations = args.iterations
    if args.out_dir:
        config.train.out_dir = args.out_dir
    print(Trainer(config).run())
    return 0


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="training YAML (its data split is used)")
    parser.add_argument("--model", required=True, help="model .safetensors to validate")
    parser.add_argument("--json", help="also write the full report to this JSON file")
    parser.add_argument("--card", help="also write a model card (Markdown) to this file")
    parser.add_argument("--split", choices=("val", "test"), default="val",
                        help="pairs to evaluate: val (choosing) or test (data.n_test > 0; "
                             "reported once)")
    parser.add_argument("--test-json", metavar="FILE",
                        help="with --card: also print the test split's figures from this "
                             "report (written by --split test --json FILE) when it reports "
                             "this model file; otherwise the card says why they are missing")
    parser.add_argument("--degraded", metavar="ROOT",
                        help="also real degraded pairs in Text-IF's per-task layout (default: "
                             "the config's data.degraded_root, if set)")
    parser.add_argument("--degraded-split", default="val",
                        help="split folder of the degraded pairs that holds restored targets")


def _test_report(path: str, model_sha256: str) -> tuple[dict | None, str]:
    """(the test-split report at `path`, "") when it is one of this very model file, else
    (None, why it is left out)."""
    import json
    from pathlib import Path

    remedy = "Report this model's test split once with `make test-report`."
    if not Path(path).is_file():
        return None, f"No test report at `{path}` yet. {remedy}"
    report = json.loads(Path(path).read_text())
    if report.get("split") != "test":
        raise ValueError(f"{path} is not a test-split report (split: {report.get('split')!r})")
    if report.get("model_sha256") != model_sha256:
        return None, (f"`{path}` reports another model file (or predates model hashes), so "
                      f"it is left out. {remedy}")
    return report, ""


def run_validate(args: argparse.Namespace) -> int:
    """Validation-split metrics against the baselines, and the text-control figures."""
    from textfusion_ros.backends.cache import sha256_files
    from training.config import load_train_config
    from training.datasets import find_pairs, split_three
    from training.degraded_pairs import find_degraded_pairs
    from training.evaluate import evaluate_model, format_report, save_report

    config = load_train_config(args.config)
    records = find_pairs(config.data.root, config.data.split)
    train, val, test = split_three(records, config.data.n_val, config.data.n_test,
                                   config.data.split_seed)
    if args.split == "test" and not test:
        raise ValueError("no test split: set data.n_test > 0 (and train on that split)")
    degraded = None
    degraded_root = args.degraded or config.data.degraded_root
    if degraded_root:
        degraded, skipped = find_degraded_pairs(degraded_root, args.degraded_split,
                                                config.data.degraded_tasks)
        if skipped:
            print(f"degraded task folders without a prompt class, skipped: {', '.join(skipped)}")
    model_sha256 = sha256_files(args.model)
    test_report, test_note = (_test_report(args.test_json, model_sha256) if args.test_json
                              else (None, ""))
    if test_note:
        print(test_note)
    report = evaluate_model(args.model, test if args.split == "test" else val, degraded)
    report["split"] = args.split
    report["model_sha256"] = model_sha256
    print(f"{'test' if args.split == 'test' else 'validation'} pairs: {report['pairs']}")
    print(format_report(report))
    if args.json:
        save_report(report, args.json)
    if args.card:
        from textfusion_ros.config import FusionConfig
        from textfusion_ros.demo.benchmark import benchmark_backend
        from training.model_card import write_model_card

        bench = benchmark_backend(FusionConfig(model=args.model), 512, 640, 20, flops=True)
        split = {"train": [r.stem for r in train], "val": [r.stem for r in val],
                 "test": [r.stem for r in test]}
        write_model_card(args.model, report, split, bench, args.card, test_report, test_note)
    return 0


def add_detect_tune_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True,
                        help="training YAML: data, fusion losses, and its detection: section")
    parser.add_argument("--out", default="out/detect-tune", help="output folder")
    parser.add_argument("--iterations", type=int, help="override detection.iterations")
    parser.add_argument("--synthetic", action="store_true",
                        help="tune on synthetic street scenes with their known boxes (written "
                             "to OUT/data with YOLO labels) instead of the config's data")
    parser.add_argument("--pseudo-labels", action="store_true",
                        help="targets: the detector's boxes on the clean daytime visible image")
    parser.add_argument("--pseudo-score", type=float, help="override detection.pseudo_score")


def run_detect_tune(args: argparse.Namespace) -> int:
    """Detection-driven fine-tuning (bilevel: fusion losses / frozen detector's loss); prints
    the held-out figures before and after. Writes OUT/report.json and OUT/tuned.safetensors
    (not a shipped model)."""
    from pathlib import Path

    from training.config import load_train_config
    from training.detection.report import format_tuning_report
    from training.detection.synthetic import write_labelled_scenes
    from training.detection.tune import DetectionTuner

    config = load_train_config(args.config)
    tuning = config.detection
    if args.synthetic:
        root = write_labelled_scenes(Path(args.out) / "data")
        config.data.root, config.data.split, config.data.n_val = str(root), None, 12
        config.data.n_test, config.data.degraded_root = 0, None
        tuning.labels = str(root / "labels")
    if args.pseudo_labels:
        tuning.pseudo_labels = True
    if args.pseudo_score is not None:
        tuning.pseudo_score = args.pseudo_score
    if args.iterations is not None:
        tuning.iterations = args.iterations
    report = DetectionTuner(config, tuning, args.out).run()
    print(format_tuning_report(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description=run_train.__doc__)
    add_train_arguments(parser)
    return run_train(parser.parse_args(argv))


def register(commands: argparse._SubParsersAction) -> None:
    """Plug `train` into the `textfusion` command (entry point textfusion_ros.commands)."""
    p = commands.add_parser("train", help="train a fusion model (training subpackage)",
                            description=run_train.__doc__)
    add_train_arguments(p)
    p.set_defaults(handler=run_train)
    p = commands.add_parser("validate", help="validation metrics and text-control figures",
                            description=run_validate.__doc__)
    add_validate_arguments(p)
    p.set_defaults(handler=run_validate)
    p = commands.add_parser("detect-tune", help="detection-driven fine-tuning of a model",
                            description=run_detect_tune.__doc__)
    add_detect_tune_arguments(p)
    p.set_defaults(handler=run_detect_tune)
