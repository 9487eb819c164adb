"""The model card lists data, split, compute, the metric table and the text-control figures."""

from training.model_card import write_model_card

METRICS = {"EN": 7.0, "SD": 40.0, "SF": 15.0, "AG": 7.0, "MI": 2.0, "SCD": 1.5, "VIF": 0.6,
           "Qabf": 0.5, "SSIM": 1.4}


def test_card_contents(random_model_path, tmp_path):
    variants = {"canonical": 0.2, "val0": 0.15, "val1": 0.05}
    report = {"metrics": {"textfusion": METRICS, "laplacian_pyramid": METRICS},
              "text_control": {"thermal_corr_difference": variants,
                               "ir_noise_psnr_gain_db": variants, "low_light_en_gain": variants}}
    bench = {"gmac": 1.5, "params": 600000, "median_ms": 55.0, "threads": 2}
    out = tmp_path / "CARD.md"
    write_model_card(random_model_path, report, {"train": ["a"], "val": ["b", "c"]}, bench, out)
    card = out.read_text()
    for expected in ("RoadScene", "Validation stems: b, c", "1.5 GMAC", "laplacian_pyramid",
                     "+0.200 | +0.050 / +0.100", "≥ 1.5"):
        assert expected in card, expected
