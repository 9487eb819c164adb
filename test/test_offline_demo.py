"""`textfusion demo`, the offline demo (no ROS): panel and metric table for three prompts."""

import cv2
import numpy as np

from textfusion_ros.cli import main
from textfusion_ros.demo.offline import DEMO_PROMPTS
from textfusion_ros.metrics import METRIC_NAMES

HEIGHT, WIDTH, CAPTION_H = 256, 320, 22  # run_offline_demo's defaults, labelled()'s caption bar


def test_offline_demo_writes_panel_and_metrics(tmp_path, shipped_model_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--frames", "2",
                 "--model", str(shipped_model_path)]) == 0
    printed = capsys.readouterr().out
    assert f"panel: {out}/panel.png" in printed

    table = (out / "metrics.txt").read_text()
    assert table.strip() in printed
    header, _, *rows = table.strip().splitlines()
    assert header.split()[1:] == list(METRIC_NAMES)
    assert [row[:len(p)] for row, p in zip(rows, DEMO_PROMPTS, strict=True)] == list(DEMO_PROMPTS)
    values = np.array([[float(v) for v in row.split()[-len(METRIC_NAMES):]] for row in rows])
    assert np.all(np.isfinite(values)) and np.all(values[:, 0] > 0)  # EN of a real image
    assert len({tuple(v) for v in values}) == len(DEMO_PROMPTS)  # each prompt fuses differently

    panel = cv2.imread(str(out / "panel.png"))
    # Rows: first and last frame; tiles: IR, VIS, one per prompt, each under a caption bar.
    # two frames under every prompt, then the night row
    assert panel.shape == (3 * (HEIGHT + CAPTION_H), (2 + len(DEMO_PROMPTS)) * WIDTH, 3)
    tiles = [panel[CAPTION_H:HEIGHT + CAPTION_H, i * WIDTH:(i + 1) * WIDTH] for i in range(5)]
    assert all(tile.std() > 1 for tile in tiles)
    assert not np.array_equal(tiles[2], tiles[3]) and not np.array_equal(tiles[3], tiles[4])


def test_offline_demo_reports_a_missing_model(tmp_path, capsys):
    missing = tmp_path / "absent.safetensors"
    assert main(["demo", "--out", str(tmp_path / "demo"), "--model", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
