"""training/evaluate.py on tiny data: every validation figure is computed and well formed."""

import cv2
import numpy as np

from textfusion_ros.imaging.color import to_uint8, to_unit_float
from textfusion_ros.imaging.degradations import vis_overexposure
from textfusion_ros.imaging.scenes import SceneConfig, generate_frame
from training.datasets import find_pairs
from training.degraded_pairs import find_degraded_pairs
from training.evaluate import evaluate_model, format_report
from training.model_card import night_rows
from training.prompts import PROMPT_CLASSES


def test_evaluate_model_on_two_tiny_pairs(tmp_path, shipped_model_path):
    for folder in ("ir", "vi"):
        (tmp_path / folder).mkdir()
    for seed in (0, 1):
        ir, vis = generate_frame(SceneConfig(height=64, width=96, seed=seed), 0)
        cv2.imwrite(str(tmp_path / "ir" / f"p{seed}.png"), ir)
        cv2.imwrite(str(tmp_path / "vi" / f"p{seed}.png"), vis)
    report = evaluate_model(shipped_model_path, find_pairs(tmp_path))
    assert report["pairs"] == 2
    assert {"textfusion", "laplacian_pyramid", "average", "maximum"} <= set(report["metrics"])
    night = report["night"]
    assert set(night["metrics"]) == {"textfusion", "laplacian_pyramid"}
    figures = night["low_light"]["canonical"]
    assert set(figures) == {"psnr_gain_db", "ssim_gain", "flat_noise_ratio",
                            "thermal_contrast_ratio", "brightness_gain",
                            "brightness_gain_darker_half", "qabf_ratio", "scd_ratio"}
    assert all(np.isfinite(v) for v in figures.values())
    controls = report["text_control"]
    assert set(controls) == {"thermal_corr_difference", "ir_noise_psnr_gain_db",
                             "night_psnr_gain_db", "overexposure_psnr_gain_db",
                             "ir_low_contrast_psnr_gain_db"}
    for values in controls.values():
        assert "canonical" in values and len(values) == 6  # canonical + 5 held-out
    assert controls["night_psnr_gain_db"]["canonical"] == figures["psnr_gain_db"]
    text = format_report(report)
    assert "night_psnr_gain_db: canonical" in text and "laplacian_pyramid" in text
    assert len(night_rows(night)) == 2 + 8
    # every prompt class has one figure; the film table differs from the vifb one in AG/SSIM
    assert set(report["class_figures"]) == set(PROMPT_CLASSES)
    assert all(np.isfinite(f["canonical"]) for f in report["class_figures"].values())
    vifb, film = report["metrics"]["textfusion"], report["metrics_film"]["textfusion"]
    assert vifb["EN"] == film["EN"] and vifb["AG"] != film["AG"]
    assert "FILM/CDDFuse convention" in text and "class ir_low_contrast:" in text


def test_real_degraded_pairs_get_a_figure_per_task(tmp_path, shipped_model_path):
    for folder in ("ir", "vi"):
        (tmp_path / folder).mkdir()
    task = tmp_path / "ems" / "Over_exposure" / "val"
    ir, vis = generate_frame(SceneConfig(height=64, width=96, seed=0), 0)
    cv2.imwrite(str(tmp_path / "ir" / "p0.png"), ir)
    cv2.imwrite(str(tmp_path / "vi" / "p0.png"), vis)
    for folder, image in (("Infrared", ir), ("Visible", to_uint8(vis_overexposure(
            to_unit_float(vis)))), ("Visible_gt", vis)):
        (task / folder).mkdir(parents=True)
        cv2.imwrite(str(task / folder / "p0.png"), image)
    degraded, _ = find_degraded_pairs(tmp_path / "ems", "val")
    report = evaluate_model(shipped_model_path, find_pairs(tmp_path), degraded)
    figures = report["real_degraded"]["Over_exposure"]
    assert figures["prompt_class"] == "vis_overexposure" and figures["pairs"] == 1
    assert np.isfinite(figures["psnr_gain_db"]) and figures["psnr_db"] > 10
    assert "real degraded Over_exposure" in format_report(report)
