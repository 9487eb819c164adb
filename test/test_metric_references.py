"""Fusion metrics against values computed independently of this code, and a mutation check.

Hand-worked cases (MI, SCD, AG, Qabf) give their derivation in the comments; the expected
values are written from it with plain arithmetic, never by calling this project's code.
VIF and SSIM come from published reference implementations, run once on the integer scene
below (`reference_scene`) with float64 inputs in [0, 255]:

- VIFp: piq 0.8.0 (torch 2.13.0+cpu), ``piq.vif.vif_p(fused, source, sigma_n_sq=2.0,
  data_range=255.0)`` (piq's second argument is the reference). piq's package __init__ imports
  torchvision, so its ``vif`` module was imported on its own. piq adds EPS = 1e-8 in places
  where this code adds 1e-10: the two agree to 2e-7.
- SSIM: scikit-image 0.26.0, ``skimage.metrics.structural_similarity(source, fused,
  gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255.0)``
  (Wang et al. 2004's settings); piq 0.8.0's ``ssim(..., kernel_size=11, kernel_sigma=1.5,
  downsample=False)`` gives the same values to 1e-14.

`test_reference_checks_catch_mutants` is the mutation check: it rebuilds each metric module
from its source with one constant changed (VIF's σn² 2 → 0.01, Qabf's orientation normalised
by π instead of π/2, ...) and expects the reference check of that metric to fail.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from textfusion_ros.metrics import (
    average_gradient,
    mutual_information,
    qabf,
    scd,
    ssim_sum,
    vif,
)

# The package exports functions named like some of its modules (qabf, vif): import by name.
vif_module, qabf_module, structural, information, correlation, gradient = (
    importlib.import_module(f"textfusion_ros.metrics.{name}")
    for name in ("vif", "qabf", "structural", "information", "correlation", "gradient"))

# The VIF reference sums two VIFp values of about 0.1 and 0.5; piq differs by at most 2e-7.
VIF_TOLERANCE = 1e-6
SSIM_TOLERANCE = 1e-9


def reference_scene() -> tuple[np.ndarray, ...]:
    """96×96 uint8 IR (warm disc + texture), visible (checkerboard + texture) and two fusions,
    from integer arithmetic only (the inputs the reference values were computed on)."""
    y, x = np.mgrid[0:96, 0:96]
    ir = 30 + 150 * (((x - 60) ** 2 + (y - 40) ** 2) < 400) + (x * 7 + y * 13) % 17
    vis = 60 + 90 * ((x // 12 + y // 12) % 2) + (x * x + 3 * y) % 23
    fused_mean = (ir + vis) // 2 + (x + y) % 5
    fused_max = np.maximum(ir, vis)
    return tuple(a.astype(np.uint8) for a in (ir, vis, fused_mean, fused_max))


# (fusion, VIFp(ir, F), VIFp(vis, F), SSIM(ir, F), SSIM(vis, F)) from piq / scikit-image.
REFERENCE_VALUES = {
    "fused_mean": (0.087003144443548, 0.4322859552395691,
                   0.34546762119467217, 0.7206969115480507),
    "fused_max": (0.1143998412970614, 0.6444895662488151,
                  0.24713799750091983, 0.8288459721571487),
}


def check_vif(metric: Callable) -> None:
    ir, vis, fused_mean, fused_max = reference_scene()
    for name, fused in (("fused_mean", fused_mean), ("fused_max", fused_max)):
        vif_ir, vif_vis, _, _ = REFERENCE_VALUES[name]
        assert metric(ir, vis, fused) == pytest.approx(vif_ir + vif_vis, abs=VIF_TOLERANCE), name


def check_ssim(metric: Callable) -> None:
    ir, vis, fused_mean, fused_max = reference_scene()
    for name, fused in (("fused_mean", fused_mean), ("fused_max", fused_max)):
        _, _, ssim_ir, ssim_vis = REFERENCE_VALUES[name]
        assert metric(ir, vis, fused) == pytest.approx(ssim_ir + ssim_vis, abs=SSIM_TOLERANCE)


def check_mi(metric: Callable) -> None:
    # ir rows (0 0 0 0 / 255 255 255 255), fused (0 0 128 128 / 128 128 255 255): the joint
    # histogram has four cells of 2/8, so H(ir) = ln 2, H(F) = -(2·¼ ln ¼ + ½ ln ½) = 1.5 ln 2,
    # H(ir, F) = ln 4 and MI(ir, F) = 0.5 ln 2.
    # vis columns (0 255 0 255 twice): every vis level meets 0, 128 (twice) and 255 once each
    # within its 4 pixels, so H(vis, F) = H(vis) + H(F) and MI(vis, F) = 0.
    ir = np.array([[0, 0, 0, 0], [255, 255, 255, 255]], np.uint8)
    vis = np.array([[0, 255, 0, 255], [0, 255, 0, 255]], np.uint8)
    fused = np.array([[0, 0, 128, 128], [128, 128, 255, 255]], np.uint8)
    assert metric(ir, vis, fused) == pytest.approx(0.5 * math.log(2.0), abs=1e-12)
    # With the visible equal to the fusion: MI(vis, F) = H(F) = 1.5 ln 2, in nats.
    assert metric(ir, fused, fused) == pytest.approx(2.0 * math.log(2.0), abs=1e-12)


def check_scd(metric: Callable) -> None:
    # One row each: ir (0 10 20 30), vis (30 0 10 20), F (10 10 20 50).
    # F − vis = (−20 10 10 30), centred (−27.5 2.5 2.5 22.5); ir centred (−15 −5 5 15):
    #   Σ products 750, Σ squares 1275 and 500 → corr = 750 / √(1275·500).
    # F − ir = (10 0 0 20), centred (2.5 −7.5 −7.5 12.5); vis centred (15 −15 −5 5):
    #   Σ products 250, Σ squares 275 and 500 → corr = 250 / √(275·500).
    ir = np.array([[0, 10, 20, 30]], np.uint8)
    vis = np.array([[30, 0, 10, 20]], np.uint8)
    fused = np.array([[10, 10, 20, 50]], np.uint8)
    expected = 750 / math.sqrt(1275 * 500) + 250 / math.sqrt(275 * 500)
    assert metric(ir, vis, fused) == pytest.approx(expected, abs=1e-12)


def check_ag(metric: Callable) -> None:
    # F = (0 3 3 / 4 0 0 / 4 0 0); forward differences on the 2×2 grid of top-left corners:
    # (0,0): dx 3, dy 4 → √(25/2); (0,1): dx 0, dy −3 → √(9/2); (1,0): dx −4, dy 0 → √(16/2);
    # (1,1): 0. Mean = (5 + 3 + 4 + 0) / (4 √2) = 3 / √2.
    fused = np.array([[0, 3, 3], [4, 0, 0], [4, 0, 0]], np.uint8)
    assert metric(fused) == pytest.approx(3.0 / math.sqrt(2.0), abs=1e-12)


# Xydeas & Petrovic (2000): Γ, κ, σ of the edge-strength and orientation sigmoids.
def _q(g_src: tuple[float, float], g_fused: tuple[float, float]) -> float:
    """Q^{XF} at one pixel from hand-derived Sobel vectors (gx, gy), per the paper."""
    def strength_orientation(g: tuple[float, float]) -> tuple[float, float]:
        gx, gy = g
        return math.hypot(gx, gy), math.pi / 2 if gx == 0 else math.atan(gy / gx)

    (s_a, a_a), (s_f, a_f) = strength_orientation(g_src), strength_orientation(g_fused)
    ratio = min(s_a, s_f) / max(s_a, s_f)
    alignment = 1.0 - abs(a_a - a_f) / (math.pi / 2)
    q_g = 0.9994 / (1.0 + math.exp(-15.0 * (ratio - 0.5)))
    q_a = 0.9879 / (1.0 + math.exp(-22.0 * (alignment - 0.8)))
    return q_g * q_a


def check_qabf(metric: Callable) -> None:
    # 7×7 images. ir: 200 at the centre, 0 elsewhere; vis: all 0 (no edge, weight 0), so
    # Qabf = Σ Q^{irF}·g_ir / Σ g_ir over the 8 neighbours of the centre, the only pixels with
    # an IR edge (zero padding adds none). F = 10·column + 100 at the centre.
    # Sobel (correlation, Kx = [-1 0 1; -2 0 2; -1 0 1], Ky = Kxᵀ) at neighbour (dr, dc):
    # the centre sits at kernel cell (1−dr, 1−dc), so a centre value u gives
    # (u·Kx[1−dr, 1−dc], u·Ky[1−dr, 1−dc]); the ramp adds (8·10, 0) everywhere inside.
    # neighbour:        ir (gx, gy)     F (gx, gy)
    neighbours = {
        (0, -1): ((400, 0), (80 + 200, 0)),
        (0, 1): ((-400, 0), (80 - 200, 0)),
        (-1, 0): ((0, 400), (80, 200)),
        (1, 0): ((0, -400), (80, -200)),
        (-1, -1): ((200, 200), (80 + 100, 100)),
        (-1, 1): ((-200, 200), (80 - 100, 100)),
        (1, -1): ((200, -200), (80 + 100, -100)),
        (1, 1): ((-200, -200), (80 - 100, -100)),
    }
    weights = {k: math.hypot(*g_ir) for k, (g_ir, _) in neighbours.items()}
    expected = (sum(_q(g_ir, g_f) * weights[k] for k, (g_ir, g_f) in neighbours.items())
                / sum(weights.values()))
    ir = np.zeros((7, 7), np.uint8)
    ir[3, 3] = 200
    fused = np.tile(np.arange(7, dtype=np.uint8) * 10, (7, 1))
    fused[3, 3] += 100
    assert metric(ir, np.zeros_like(ir), fused) == pytest.approx(expected, abs=1e-12)
    # The roles of the sources are symmetric.
    assert metric(np.zeros_like(ir), ir, fused) == pytest.approx(expected, abs=1e-12)


def test_vif_matches_piq():
    check_vif(vif)


def test_ssim_matches_scikit_image():
    check_ssim(ssim_sum)


def test_mutual_information_hand_worked():
    check_mi(mutual_information)


def test_scd_hand_worked():
    check_scd(scd)


def test_average_gradient_hand_worked():
    check_ag(average_gradient)


def test_qabf_hand_worked():
    check_qabf(qabf)


def test_reference_scene_is_not_degenerate():
    """The reference images have edges and information in both sources (keeps VIF meaningful)."""
    ir, vis, fused_mean, _ = reference_scene()
    assert len(np.unique(ir)) > 20 and len(np.unique(vis)) > 20
    assert 0.05 < vif_module.vifp(ir, fused_mean) < 0.95
    assert qabf_module.qabf(ir, vis, fused_mean) > 0.1


def mutated(module: ModuleType, old: str, new: str) -> ModuleType:
    """A fresh copy of `module` built from its source with `old` (which must occur exactly
    once) replaced by `new`."""
    source = inspect.getsource(module)
    assert source.count(old) == 1, f"mutation target {old!r} not unique in {module.__name__}"
    spec = importlib.util.spec_from_loader(f"{module.__name__}_mutant", loader=None)
    copy = importlib.util.module_from_spec(spec)
    copy.__package__ = module.__package__
    exec(compile(source.replace(old, new), f"<mutant of {module.__name__}>", "exec"),
         copy.__dict__)
    return copy


# (module, text in its source, replacement, function name, reference check)
MUTANTS = [
    (vif_module, "_SIGMA_N_SQ = 2.0", "_SIGMA_N_SQ = 0.01", "vif", check_vif),
    (vif_module, "size / 5.0", "size / 3.0", "vif", check_vif),
    (qabf_module, "np.abs(a_x - a_f) / (np.pi / 2)", "np.abs(a_x - a_f) / np.pi", "qabf",
     check_qabf),
    (qabf_module, "_KAPPA_A, _SIGMA_A = 0.9879, -22.0, 0.8",
     "_KAPPA_A, _SIGMA_A = 0.9879, -22.0, 0.7", "qabf", check_qabf),
    (qabf_module, "orientation[vertical] = np.pi / 2", "orientation[vertical] = 0.0", "qabf",
     check_qabf),
    (structural, "K=(0.01, 0.03)", "K=(0.01, 0.05)", "ssim_sum", check_ssim),
    (structural, "_WIN_SIZE, _WIN_SIGMA = 11, 1.5", "_WIN_SIZE, _WIN_SIGMA = 11, 2.0",
     "ssim_sum", check_ssim),
    (information, "h_a + h_b - h_ab", "h_a + h_b - 0.5 * h_ab", "mutual_information",
     check_mi),
    (correlation, "_pearson(fused_f - vis_f, ir_f) + _pearson(fused_f - ir_f, vis_f)",
     "_pearson(fused_f - ir_f, ir_f) + _pearson(fused_f - vis_f, vis_f)", "scd", check_scd),
    (gradient, "(dx * dx + dy * dy) / 2.0", "(dx * dx + dy * dy)", "average_gradient",
     check_ag),
]


@pytest.mark.parametrize("module, old, new, function, check", MUTANTS,
                         ids=[f"{m[0].__name__.rsplit('.', 1)[1]}:{m[2]}" for m in MUTANTS])
def test_reference_checks_catch_mutants(module, old, new, function, check):
    check(getattr(mutated(module, old, old), function))  # the rebuilt original still passes
    mutant = mutated(module, old, new)
    with pytest.raises(AssertionError):
        check(getattr(mutant, function))
