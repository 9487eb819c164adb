"""The model card lists data, split, compute, the metric tables and the text-control figures."""

from training.model_card import write_model_card

METRICS = {"EN": 7.0, "SD": 40.0, "SF": 15.0, "AG": 7.0, "MI": 2.0, "SCD": 1.5, "VIF": 0.6,
           "Qabf": 0.5, "SSIM": 1.4}
WORSE = {**METRICS, "EN": 6.0, "SF": 14.0}


def test_card_contents(random_model_path, tmp_path):
    variants = {"canonical": 0.2, "val0": 0.15, "val1": 0.05}
    figures = {"psnr_gain_db": 2.5, "ssim_gain": 0.01, "flat_noise_ratio": 1.3,
               "thermal_contrast_ratio": 1.1, "brightness_gain": 20.0, "qabf_ratio": 0.95,
               "scd_ratio": 1.0}
    night = {"seed": 7, "metrics": {"textfusion": METRICS, "laplacian_pyramid": WORSE},
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
                     "+1.300 | NO |", "MODEL_HISTORY.md"):
        assert expected in card, expected
