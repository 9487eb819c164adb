"""The model card lists data, split, compute, the metric tables and the text-control figures."""

from textfusion_ros.model.config import ModelConfig
from training.model_card import network_summary, write_model_card

METRICS = {"EN": 7.0, "SD": 40.0, "SF": 15.0, "AG": 7.0, "MI": 2.0, "SCD": 1.5, "VIF": 0.6,
           "Qabf": 0.5, "SSIM": 1.4}
WORSE = {**METRICS, "EN": 6.0, "SF": 14.0}


def test_card_contents(random_model_path, tmp_path):
    variants = {"canonical": 0.2, "val0": 0.15, "val1": 0.05}
    figures = {"psnr_gain_db": 2.5, "ssim_gain": 0.01, "flat_noise_ratio": 1.3,
               "thermal_contrast_ratio": 1.1, "brightness_gain": 20.0,
               "brightness_gain_darker_half": 12.0, "qabf_ratio": 0.95, "scd_ratio": 1.0}
    night = {"seed": 7, "metrics": {"textfusion": METRICS, "laplacian_pyramid": WORSE},
             "by_noise": {"quieter": {"pairs": 2, "noise_std": [1.25, 3.0], "metrics": {
                 "textfusion": METRICS, "laplacian_pyramid": WORSE}},
                          "noisier": {"pairs": 2, "noise_std": [4.0, 9.5], "metrics": {
                              "textfusion": WORSE, "laplacian_pyramid": METRICS}}},
             "low_light": {"canonical": figures, "val0": figures, "val1": figures}}
    report = {"metrics": {"textfusion": METRICS, "laplacian_pyramid": METRICS}, "night": night,
              "text_control": {"thermal_corr_difference": variants,
                               "ir_noise_psnr_gain_db": variants, "night_psnr_gain_db": variants}}
    bench = {"gmac": 1.5, "params": 600000, "median_ms": 55.0, "threads": 2, "backend": "torch"}
    out = tmp_path / "CARD.md"
    write_model_card(random_model_path, report, {"train": ["a"], "val": ["b", "c"]}, bench, out)
    card = out.read_text()
    for expected in ("RoadScene", "Validation stems: b, c", "1.5 GMAC", "laplacian_pyramid",
                     "+0.200 | +0.050 / +0.100", "≥ 1.5", "seed 7", "wins 2 of 6 (EN, SF)",
                     "| flat-area noise / clean-input fusion's | ≤ 1.2 | +1.300 | +1.300 / "
                     "+1.300 | NO |", "MODEL_HISTORY.md",
                     "- quieter half, 2 pairs, noise 1.2–3.0 grey levels: the default prompt "
                     "wins 2 of 6 (EN, SF).",
                     "- noisier half, 2 pairs, noise 4.0–9.5 grey levels: the default prompt "
                     "wins 0 of 6 (none).",
                     "3-level Laplacian pyramid at full resolution whose detail is selected by its "
                     "activity over blocks of 4×4 / 4×4 / 2×2 band pixels (finest band first); "
                     "fused base: both sources' bases and a tone curve of the visible."):
        assert expected in card, expected


def test_network_summary_names_the_normalised_bases():
    assert "normalised_bases" not in network_summary(ModelConfig())
    assert "standardised by its image mean and std (`normalised_bases`)" in network_summary(
        ModelConfig(normalised_bases=True))


def test_network_summary_names_the_selection_blocks():
    assert "blocks of 4×4 / 4×4 / 2×2 band pixels" in network_summary(ModelConfig())
    assert "blocks of 1×1 / 4×4 / 2×2 band pixels" in network_summary(
        ModelConfig(activity_blocks=(1, 4, 2)))


def test_card_shows_both_conventions_the_class_figures_and_the_test_split(random_model_path,
                                                                           tmp_path):
    variants = {"canonical": 0.2, "val0": 0.15, "val1": 0.05}
    figures = {"psnr_gain_db": 2.5, "ssim_gain": 0.01, "flat_noise_ratio": 1.0,
               "thermal_contrast_ratio": 1.1, "brightness_gain": 20.0,
               "brightness_gain_darker_half": 12.0, "qabf_ratio": 0.95, "scd_ratio": 1.0}
    night = {"seed": 7, "metrics": {"textfusion": METRICS, "laplacian_pyramid": WORSE},
             "low_light": {"canonical": figures, "val0": figures}}
    film = {**METRICS, "AG": 5.5, "SSIM": 1.35}
    report = {"metrics": {"textfusion": METRICS}, "metrics_film": {"textfusion": film},
              "night": night,
              "text_control": {"thermal_corr_difference": variants,
                               "ir_noise_psnr_gain_db": variants, "night_psnr_gain_db": variants},
              "class_figures": {"vis_overexposure": {"figure": "PSNR gain (dB), over-exposed",
                                                     **variants},
                                "default": {"figure": "Qabf", "canonical": 0.61}}}
    bench = {"gmac": 1.5, "params": 600000, "median_ms": 55.0, "threads": 2, "backend": "torch"}
    out = tmp_path / "CARD.md"
    write_model_card(random_model_path, report,
                     {"train": ["a"], "val": ["b"], "test": ["d", "e"]}, bench, out)
    card = out.read_text()
    for expected in ("Test stems (untouched, reported once): d, e", "FILM/CDDFuse convention",
                     "5.5000", "VIFB convention",
                     "| vis_overexposure | PSNR gain (dB), over-exposed | +0.200 | +0.050 / "
                     "+0.100 |", "| default | Qabf | +0.610 | — |"):
        assert expected in card, expected
    write_model_card(random_model_path, {k: v for k, v in report.items()
                                         if k not in ("metrics_film", "class_figures")},
                     {"train": ["a"], "val": ["b"]}, bench, out)
    assert "No test split (`data.n_test: 0`)" in out.read_text()


def test_card_prints_the_test_reports_figures(random_model_path, tmp_path):
    figures = {"psnr_gain_db": 2.5, "ssim_gain": 0.01, "flat_noise_ratio": 1.0,
               "thermal_contrast_ratio": 0.8, "brightness_gain": 20.0,
               "brightness_gain_darker_half": 12.0, "qabf_ratio": 0.95, "scd_ratio": 1.0}
    variants = {"canonical": 0.2, "val0": 0.15}
    night = {"seed": 7, "metrics": {"textfusion": METRICS, "laplacian_pyramid": WORSE},
             "low_light": {"canonical": figures, "val0": figures}}
    report = {"metrics": {"textfusion": METRICS}, "night": night,
              "text_control": {"thermal_corr_difference": variants,
                               "ir_noise_psnr_gain_db": variants, "night_psnr_gain_db": variants}}
    test_metrics = {**METRICS, "EN": 7.123}
    test_night = {**night, "metrics": {"textfusion": WORSE, "laplacian_pyramid": METRICS},
                  "metrics_noise_free": {"textfusion": METRICS, "laplacian_pyramid": WORSE}}
    test_report = {"pairs": 3, "split": "test", "night": test_night,
                   "metrics": {"textfusion": test_metrics}}
    bench = {"gmac": 1.5, "params": 600000, "median_ms": 55.0, "threads": 2, "backend": "torch"}
    out = tmp_path / "CARD.md"
    write_model_card(random_model_path, report, {"train": ["a"], "val": ["b"], "test": ["d"]},
                     bench, out, test_report)
    card = out.read_text()
    test_part = card[card.index("## Test split (3 untouched pairs"):]
    for expected in ("7.1230", "wins 0 of 6 (none); before the sensor noise, 2 of 6 (EN, SF)",
                     "| thermal-target contrast / default's | ≥ 0.9 | +0.800 | +0.800 / "
                     "+0.800 | NO |"):
        assert expected in test_part, expected
    write_model_card(random_model_path, report, {"train": ["a"], "val": ["b"]}, bench, out)
    assert "## Test split" not in out.read_text()
    write_model_card(random_model_path, report, {"train": ["a"], "val": ["b"]}, bench, out,
                     None, "`t.json` reports another model file. Report this model's test "
                     "split once with `make test-report`.")
    assert "## Test split\n\n`t.json` reports another model file. Report this model's test " \
        "split once with `make test-report`." in out.read_text()
