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


def run_validate(args: argparse.Namespace) -> int:
    """Validation-split metrics against the baselines, and the text-control figures."""
    from training.config import load_train_config
    from training.datasets import find_pairs, split_records
    from training.evaluate import evaluate_model, format_report, save_report

    config = load_train_config(args.config)
    records = find_pairs(config.data.root, config.data.split)
    train, val = split_records(records, config.data.n_val, config.data.split_seed)
    report = evaluate_model(args.model, val)
    print(f"validation pairs: {report['pairs']}")
    print(format_report(report))
    if args.json:
        save_report(report, args.json)
    if args.card:
        from textfusion_ros.config import FusionConfig
        from textfusion_ros.demo.benchmark import benchmark_backend
        from training.model_card import write_model_card

        bench = benchmark_backend(FusionConfig(model=args.model), 512, 640, 20, flops=True)
        split = {"train": [r.stem for r in train], "val": [r.stem for r in val]}
        write_model_card(args.model, report, split, bench, args.card)
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
