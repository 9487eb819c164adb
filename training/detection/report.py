"""Text form of a detection-tuning report: figures before and after, side by side."""

from __future__ import annotations

FUSION_METRICS = ("EN", "SF", "AG", "VIF", "Qabf", "SSIM")


def _map(value: dict | None, key: str) -> str:
    return "n/a (no objects)" if value is None else f"{value[key]:.4f}"


def format_tuning_report(report: dict) -> str:
    """Detection loss (clean, per degradation), mAP (clean, low light), fusion metrics."""
    before, after = report["before"], report["after"]
    lines = [f"labels: {report['labels']}; pairs: {report['train_pairs']} train, "
             f"{report['val_pairs']} held out; {len(report['log'])} steps in "
             f"{report['seconds']} s",
             f"{'figure (held-out pairs)':<38}{'before':>18}{'after':>18}"]
    for condition, value in before["detection_loss"].items():
        lines.append(f"{'detection loss, ' + condition:<38}{value:>18.4f}"
                     f"{after['detection_loss'][condition]:>18.4f}")
    for condition in ("clean", "vis_low_light"):
        for key in ("map50", "map50_95"):
            lines.append(f"{key + ', ' + condition:<38}"
                         f"{_map(before['map_' + condition], key):>18}"
                         f"{_map(after['map_' + condition], key):>18}")
    for name in FUSION_METRICS:
        lines.append(f"{name + ' (clean, default prompt)':<38}"
                     f"{before['fusion_metrics'][name]:>18.4f}"
                     f"{after['fusion_metrics'][name]:>18.4f}")
    return "\n".join(lines)
