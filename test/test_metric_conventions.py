"""The two AG/SSIM conventions and `textfusion eval --convention / --list / --iqa`."""

import json

import cv2
import numpy as np
import pytest

from textfusion_ros.cli import main
from textfusion_ros.metrics import (
    average_gradient,
    average_gradient_central,
    compute_metrics,
    read_stem_list,
    ssim_pair_film,
)


def _checkerboard(h=8, w=10):
    return ((np.indices((h, w)).sum(0) % 2) * 255).astype(np.uint8)


def _ag_reference(img):
    """AG written out as FILM's / CDDFuse's evaluator states it: central differences inside,
    one-sided differences on the border rows and columns."""
    img = img.astype(np.float64)
    gx, gy = np.zeros_like(img), np.zeros_like(img)
    gx[:, 0], gx[:, -1] = img[:, 1] - img[:, 0], img[:, -1] - img[:, -2]
    gx[:, 1:-1] = (img[:, 2:] - img[:, :-2]) / 2
    gy[0, :], gy[-1, :] = img[1, :] - img[0, :], img[-1, :] - img[-2, :]
    gy[1:-1, :] = (img[2:, :] - img[:-2, :]) / 2
    return np.mean(np.sqrt((gx ** 2 + gy ** 2) / 2))


def test_ag_conventions_differ_as_documented():
    board = _checkerboard()
    assert average_gradient(board) == pytest.approx(255.0)  # every forward step is ±255
    # central differences cancel inside a checkerboard; only the border rows/columns remain
    assert average_gradient_central(board) == pytest.approx(_ag_reference(board))
    assert average_gradient_central(board) < 100
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (20, 30)).astype(np.uint8)
    assert average_gradient_central(noise) == pytest.approx(_ag_reference(noise))


def _ssim_reference(a, b, win=7, c1=(0.01 * 2) ** 2, c2=(0.03 * 2) ** 2):
    """Mean SSIM over all 7×7 windows fully inside the image, uniform weights and sample
    (N−1) covariances: scikit-image's defaults as the FILM/CDDFuse evaluators called it."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    values = []
    n = win * win
    for y in range(a.shape[0] - win + 1):
        for x in range(a.shape[1] - win + 1):
            pa, pb = a[y:y + win, x:x + win].ravel(), b[y:y + win, x:x + win].ravel()
            ma, mb = pa.mean(), pb.mean()
            va, vb = pa.var() * n / (n - 1), pb.var() * n / (n - 1)
            cov = ((pa - ma) * (pb - mb)).sum() / (n - 1)
            values.append((2 * ma * mb + c1) * (2 * cov + c2)
                          / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2)))
    return np.mean(values)


def test_film_ssim_matches_the_written_out_formula():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (16, 18)).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    # scikit-image reflects at the border, then crops (win-1)/2: the same windows as above
    assert ssim_pair_film(a, b) == pytest.approx(_ssim_reference(a, b), rel=1e-5)
    assert ssim_pair_film(a, a) == pytest.approx(1.0)


def test_conventions_share_every_other_metric():
    rng = np.random.default_rng(2)
    ir, vis = (rng.integers(0, 256, (40, 48)).astype(np.uint8) for _ in range(2))
    fused = ((ir.astype(int) + vis) // 2).astype(np.uint8)
    vifb, film = compute_metrics(ir, vis, fused), compute_metrics(ir, vis, fused, "film")
    assert {k for k in vifb if vifb[k] != film[k]} == {"AG", "SSIM"}
    with pytest.raises(ValueError, match="unknown metric convention"):
        compute_metrics(ir, vis, fused, "matlab")


def test_read_stem_list(tmp_path):
    listing = tmp_path / "test.txt"
    listing.write_text("# TNO subset\n00001.png\n\n00002\n00001\n")
    assert read_stem_list(listing) == ["00001", "00002"]
    listing.write_text("# nothing\n")
    with pytest.raises(ValueError, match="no stems"):
        read_stem_list(listing)


@pytest.fixture
def folders(tmp_path):
    rng = np.random.default_rng(3)
    for folder in ("ir", "vis", "fused"):
        (tmp_path / folder).mkdir()
    for stem in ("a", "b", "c"):
        ir, vis = (rng.integers(0, 256, (32, 40)).astype(np.uint8) for _ in range(2))
        cv2.imwrite(str(tmp_path / "ir" / f"{stem}.png"), ir)
        cv2.imwrite(str(tmp_path / "vis" / f"{stem}.png"), vis)
        if stem != "c":  # the fused folder holds only the listed test set
            cv2.imwrite(str(tmp_path / "fused" / f"{stem}.png"), ((ir.astype(int) + vis) // 2)
                        .astype(np.uint8))
    return tmp_path


def _eval(folders, *extra):
    return main(["eval", "--ir", str(folders / "ir"), "--vis", str(folders / "vis"),
                 "--fused", str(folders / "fused"), *map(str, extra)])


def test_eval_convention_list_and_iqa(folders, capsys):
    listing = folders / "list.txt"
    listing.write_text("a\nb\n")
    out = folders / "film.json"
    assert _eval(folders, "--list", listing, "--json", out, "--iqa", "niqe") == 0
    printed = capsys.readouterr().out
    film = json.loads(out.read_text())
    assert "convention: film" in printed
    assert film["convention"] == "film" and set(film["per_image"]) == {"a", "b"}
    if "niqe" in film["iqa_skipped"]:  # pyiqa missing, or its weights not on this machine
        assert "IQA niqe skipped" in printed
    else:
        assert "NIQE" in film["mean"]
    assert _eval(folders, "--list", listing, "--convention", "vifb", "--json", out) == 0
    vifb = json.loads(out.read_text())
    assert vifb["mean"]["EN"] == film["mean"]["EN"]
    assert vifb["mean"]["AG"] > film["mean"]["AG"]  # forward differences see more detail


def test_eval_list_with_a_missing_stem_is_an_error(folders, capsys):
    listing = folders / "list.txt"
    listing.write_text("a\nc\n")
    assert _eval(folders, "--list", listing) == 2
    assert "lack an ir, vis or fused image: c" in capsys.readouterr().err
