"""The `textfusion` command end to end on synthetic images, with the shipped model."""

import json
import subprocess
import sys

import cv2
import pytest

from textfusion_ros.cli import main


def textfusion(*args: str) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("scene")
    assert textfusion("synth", "--out", root, "--frames", 3, "--height", 72, "--width", 90) == 0
    return root


def test_fuse_folders_then_eval(scene, tmp_path, shipped_model_path, capsys):
    out = tmp_path / "fused"
    assert textfusion("fuse", "--ir", scene / "ir", "--vis", scene / "vis", "--out", out,
                      "--model", shipped_model_path, "--prompt", "highlight warm pedestrians") == 0
    fused = sorted(out.glob("*.png"))
    assert [p.name for p in fused] == [p.name for p in sorted((scene / "vis").glob("*.png"))]
    image = cv2.imread(str(fused[0]), cv2.IMREAD_UNCHANGED)
    assert image.shape == (72, 90, 3) and image.dtype.name == "uint8"

    report = tmp_path / "metrics.json"
    assert textfusion("eval", "--ir", scene / "ir", "--vis", scene / "vis", "--fused", out,
                      "--json", report) == 0
    table = capsys.readouterr().out
    assert "Qabf" in table and "mean" in table
    data = json.loads(report.read_text())
    assert set(data["per_image"]) == {p.stem for p in fused}
    assert data["mean"]["EN"] > 0


def test_fuse_single_file_and_errors(scene, tmp_path, shipped_model_path, capsys):
    out = tmp_path / "one.png"
    ir, vis = scene / "ir" / "frame_0000.png", scene / "vis" / "frame_0000.png"
    assert textfusion("fuse", "--ir", ir, "--vis", vis, "--out", out,
                      "--model", shipped_model_path) == 0
    assert cv2.imread(str(out)).shape == (72, 90, 3)
    assert textfusion("fuse", "--ir", ir, "--vis", scene / "vis", "--out", out) == 2
    assert textfusion("fuse", "--ir", ir, "--vis", vis, "--out", out, "--prompt", "\x00",
                      "--model", shipped_model_path) == 2
    assert "non-printable" in capsys.readouterr().err


def odd_folders(scene, root):
    """Two good pairs of the scene, one with an unreadable IR file, one whose 16-bit IR has
    half the visible's size (a thermal camera of another resolution)."""
    ir_dir, vis_dir = root / "ir", root / "vis"
    ir_dir.mkdir()
    vis_dir.mkdir()
    names = sorted(p.name for p in (scene / "vis").glob("*.png"))
    for name in names:
        (vis_dir / name).write_bytes((scene / "vis" / name).read_bytes())
    for name in names[:2]:
        (ir_dir / name).write_bytes((scene / "ir" / name).read_bytes())
    (ir_dir / names[2]).write_bytes(b"not an image")
    small_ir = cv2.imread(str(scene / "ir" / names[0]), cv2.IMREAD_GRAYSCALE)
    small_ir = cv2.resize(small_ir, (45, 36)).astype("uint16") * 257
    cv2.imwrite(str(ir_dir / "small.png"), small_ir)
    (vis_dir / "small.png").write_bytes((scene / "vis" / names[0]).read_bytes())
    return ir_dir, vis_dir, names


def test_fuse_folders_leaves_out_an_unreadable_pair_and_resizes_another_size(
        scene, tmp_path, shipped_model_path, capsys):
    ir_dir, vis_dir, names = odd_folders(scene, tmp_path)
    out = tmp_path / "fused"
    assert textfusion("fuse", "--ir", ir_dir, "--vis", vis_dir, "--out", out, "--backend",
                      "torch", "--model", shipped_model_path) == 1
    err = capsys.readouterr().err
    bad = names[2].removesuffix(".png")
    assert f"skipping pair {bad!r}: cannot read image" in err
    assert f"left out 1 of 4 pair(s) it could not read: {bad}" in err
    assert "infrared 45x36 resized to the visible's 90x72" in err
    assert sorted(p.name for p in out.glob("*.png")) == sorted([*names[:2], "small.png"])
    assert cv2.imread(str(out / "small.png")).shape == (72, 90, 3)


def test_fuse_applies_the_homography_option(scene, tmp_path, shipped_model_path, capsys):
    ir_dir, vis_dir, names = odd_folders(scene, tmp_path)
    out = tmp_path / "fused"
    scale_up = ["2", "0", "0", "0", "2", "0", "0", "0", "1"]  # IR 45x36 -> VIS 90x72 pixels
    assert textfusion("fuse", "--ir", ir_dir / "small.png", "--vis", vis_dir / "small.png",
                      "--out", out / "small.png", "--backend", "torch", "--homography",
                      *scale_up, "--model", shipped_model_path) == 0
    assert "resized" not in capsys.readouterr().err
    assert cv2.imread(str(out / "small.png")).shape == (72, 90, 3)
    assert textfusion("fuse", "--ir", ir_dir / "small.png", "--vis", vis_dir / "small.png",
                      "--out", out / "x.png", "--homography", *["0"] * 9) == 2
    assert "singular" in capsys.readouterr().err
    # one pair alone that cannot be read: an error
    assert textfusion("fuse", "--ir", ir_dir / names[2], "--vis", vis_dir / names[2], "--out",
                      out / "bad.png") == 2
    assert "cannot read image" in capsys.readouterr().err


def test_fuse_takes_the_backend_options_and_backends_agree(scene, tmp_path, shipped_model_path,
                                                           capsys):
    ir, vis = sorted((scene / "ir").glob("*.png"))[0], sorted((scene / "vis").glob("*.png"))[0]
    images = {}
    for backend in ("torch", "onnxruntime"):
        out = tmp_path / f"{backend}.png"
        assert textfusion("fuse", "--ir", ir, "--vis", vis, "--out", out, "--model",
                          shipped_model_path, "--backend", backend, "--device", "cpu",
                          "--precision", "fp32") == 0
        assert f"backend: {backend} on cpu (fp32)" in capsys.readouterr().out
        images[backend] = cv2.imread(str(out), cv2.IMREAD_UNCHANGED).astype(int)
    assert abs(images["torch"] - images["onnxruntime"]).max() <= 1


def test_bench_reports_gmac_and_latency(shipped_model_path, capsys):
    assert textfusion("bench", "--height", 64, "--width", 80, "--frames", 3, "--flops",
                      "--json", "--model", shipped_model_path) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["gmac"] > 0 and result["median_ms"] > 0


def test_bench_all_is_one_table_with_every_backend_that_runs_here(shipped_model_path, capsys):
    assert textfusion("bench", "--backend", "all", "--height", 48, "--width", 64, "--frames", 2,
                      "--json", "--model", shipped_model_path) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["gmac"] > 0 and report["params"] > 0
    rows = {(row["backend"], row["device"]): row for row in report["backends"]}
    assert {("torch", "cpu"), ("onnxruntime", "cpu")} <= set(rows)
    assert rows[("torch", "cpu")]["speedup_vs_torch_cpu"] == 1.0
    for row in rows.values():
        assert row["median_ms"] > 0 and row["p90_ms"] >= row["median_ms"]
        assert row["fps"] > 0 and row["peak_rss_mb"] > 0 and row["cpu_ms"] > 0
    assert any(reason.startswith("tensorrt") for reason in report["skipped"])


def test_gpu_check_without_a_gpu_reports_and_fails(shipped_model_path, tmp_path, capsys):
    out = tmp_path / "gpu.json"
    assert textfusion("gpu-check", "--out", out, "--sizes", "64x48", "--frames", 2,
                      "--skip-tests", "--model", shipped_model_path) == 1
    assert "no CUDA device" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["environment"]["cuda_available"] is False
    (bench,) = report["benchmarks"]
    assert bench["size"] == "64x48" and len(bench["backends"]) >= 2


def test_console_script_lists_plugin_commands():
    result = subprocess.run([sys.executable, "-m", "textfusion_ros.cli", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for command in ("fuse", "detect", "eval", "bench", "synth", "train", "validate", "demo",
                    "ros-demo", "synth-bag", "bag-play", "bag-eval", "export", "gpu-check",
                    "detect-tune"):
        assert command in result.stdout


def test_validate_test_split_needs_n_test(scene, tmp_path, shipped_model_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"data: {{root: {scene}, n_val: 1}}\n")
    assert textfusion("validate", "--config", config, "--model", shipped_model_path,
                      "--split", "test") == 2
    assert "no test split: set data.n_test > 0" in capsys.readouterr().err


def test_validate_refuses_a_report_of_another_split_as_test_report(scene, tmp_path,
                                                                  shipped_model_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"data: {{root: {scene}, n_val: 1}}\n")
    report = tmp_path / "validation.json"
    report.write_text(json.dumps({"split": "val"}))
    assert textfusion("validate", "--config", config, "--model", shipped_model_path,
                      "--card", tmp_path / "CARD.md", "--test-json", report) == 2
    assert "is not a test-split report" in capsys.readouterr().err
    assert not (tmp_path / "CARD.md").exists()
