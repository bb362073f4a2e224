"""bounds.plot: the pictures are written (atomically, valid headers), bad output suffixes are
rejected before any work, and no curve is drawn across a jump."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from bounds.plot import breakpoints, n_sweep, plot_vs_N, plot_vs_rho, rho_sweep
from bounds.point import BoundsInputError
from bounds.symbols import N as N_SYM
from bounds.symbols import d as D_SYM
from bounds.symbols import p as P_SYM
from bounds.symbols import rho as RHO_SYM

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_svg(data: bytes) -> bool:
    head = data[:400].lstrip()
    return (
        head.startswith(b"<?xml") and b"<svg" in data[:2000] and data.rstrip().endswith(b"</svg>")
    )


def _only(tmp_path, name: str) -> None:
    """Exactly the output is left in the directory: no temporary files."""
    assert sorted(f.name for f in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("p", [2, "inf", 1])
def test_plot_vs_rho_png(tmp_path, p):
    out = tmp_path / "rho.png"
    got = plot_vs_rho(1797, 64, p, out=out)
    assert got == out
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    _only(tmp_path, "rho.png")


def test_plot_vs_rho_svg_nonzero_positional(tmp_path):
    out = tmp_path / "rho.svg"
    got = plot_vs_rho(1797, 64, 2, "nonzero", str(out))
    assert got == out
    assert _is_svg(out.read_bytes())
    _only(tmp_path, "rho.svg")


def test_plot_vs_N_png_and_svg(tmp_path):
    a = plot_vs_N(64, "1e-5", 2, out=tmp_path / "n.png", N_range=(2, 10**6))
    b = plot_vs_N(64, Fraction(3, 10), "inf", "all", tmp_path / "n.SVG")
    assert a.read_bytes().startswith(PNG_MAGIC)
    assert _is_svg(b.read_bytes())
    assert sorted(f.name for f in tmp_path.iterdir()) == ["n.SVG", "n.png"]


def test_existing_file_is_replaced(tmp_path):
    out = tmp_path / "old.png"
    out.write_bytes(b"stale")
    plot_vs_N(8, "0.01", 2, out=out, N_range=(2, 1000))
    assert out.read_bytes().startswith(PNG_MAGIC)
    _only(tmp_path, "old.png")


@pytest.mark.parametrize("name", ["x.pdf", "x.jpg", "x", "x.png.txt"])
def test_bad_suffix_rejected(tmp_path, name):
    for call in (
        lambda: plot_vs_rho(10, 3, 2, out=tmp_path / name),
        lambda: plot_vs_N(3, "0.1", 2, out=tmp_path / name),
    ):
        with pytest.raises(ValueError, match=r"\.png, \.svg"):
            call()
    assert list(tmp_path.iterdir()) == []


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        plot_vs_rho(10, 3, out=tmp_path / "missing" / "x.png")
    with pytest.raises(TypeError, match="out"):
        plot_vs_rho(10, 3)
    with pytest.raises(BoundsInputError):
        plot_vs_rho(10, 3, 2, "some", out=tmp_path / "x.png")
    with pytest.raises(BoundsInputError):
        plot_vs_rho(1, 3, out=tmp_path / "x.png")
    with pytest.raises(BoundsInputError):
        plot_vs_N(3, "1.5", out=tmp_path / "x.png")
    with pytest.raises(BoundsInputError):
        plot_vs_N(3, "0.5", out=tmp_path / "x.png", N_range=(100, 10))
    assert list(tmp_path.iterdir()) == []


def test_breakpoints_contain_the_regime_boundaries():
    fixed = {N_SYM: 1797, D_SYM: 64, P_SYM: 2}
    br = breakpoints(RHO_SYM, fixed, "all", Fraction(2), 1e-12, 1 - 1e-9)
    for want in (1 / (5 * 1797 * 8), 1 / 40, 1 / 8, math.sqrt(1 - 1 / 64)):
        assert any(math.isclose(b, want, rel_tol=1e-12) for b in br), (want, br)


@pytest.mark.parametrize("p", [Fraction(2), math.inf, Fraction(1)])
def test_no_line_across_a_jump(p):
    """Within a drawn piece every curve moves by less than 0.15 decades between samples, and
    the regime is constant; the known jump at ρ₂ ((ii) → (iii)) separates two pieces."""
    sw, marks = rho_sweep(1797, 64, p, "all")
    for sl in sw.pieces:
        assert len(set(sw.values["regime"][sl].tolist())) == 1
        for k in ("upper", "lower", "prior_upper", "prior_lower"):
            y = sw.values[k][sl]
            if len(y) > 1 and np.isfinite(y).all():
                assert np.abs(np.diff(np.log10(y))).max() < 0.15, (k, sw.x[sl][0])
    rho2 = marks["rho2"]
    cuts = [
        (sw.x[a.stop - 1], sw.x[b.start])
        for a, b in zip(sw.pieces[:-1], sw.pieces[1:], strict=True)
    ]
    assert any(lo < rho2 < hi for lo, hi in cuts), "ρ₂ must fall between two pieces"
    assert sw.x.min() < marks["rho1"] / 100 and sw.x.max() == pytest.approx(1 - 1e-6)


def test_n_sweep_splits_at_rho1():
    sw, marks = n_sweep(64, Fraction(1, 10**5), Fraction(2), "all", (2, 1e8))
    assert marks["N1"] == pytest.approx(1 / (5 * 8 * 1e-5))
    codes = [int(sw.values["regime"][sl][0]) for sl in sw.pieces]
    assert codes[0] == 1 and codes[-1] == 2


@pytest.mark.parametrize("p", [Fraction(1), Fraction(3, 2), Fraction(3), math.inf])
def test_lp_prior_curves_are_drawn(p):
    """KMY Table 1's EYS25 rows hold for every p: Õ(N) up to ρ = 1/(γ√d), then
    Õ(N d³ (γρ)⁶) (the smaller of it and YGZ24's where YGZ24 has a row), so the ℓp prior upper
    curve exists below 1/γ — for non-integer p too, which has no other prior row."""
    N, d = 1797, 64
    sw, marks = rho_sweep(N, d, p, "all")
    g = math.sqrt(d) if p == math.inf else d ** abs(0.5 - 1 / float(p))
    seam = 1 / (g * math.sqrt(d))
    pu = sw.values["prior_upper"]
    below = sw.x < seam * (1 - 1e-6)
    assert np.allclose(pu[below], N)
    mid = (sw.x > seam * (1 + 1e-6)) & (sw.x < marks["rho_top"] * (1 - 1e-6))
    assert mid.any()
    eys = N * d**3 * (g * sw.x[mid]) ** 6
    ygz = N * d**2 * (1 if p == math.inf else float(p) ** 2)
    want = np.minimum(eys, ygz) if p == math.inf or float(p).is_integer() else eys
    assert np.allclose(pu[mid], want, rtol=1e-9)
    above = sw.x > marks["rho_top"] * (1 + 1e-6)
    if p == Fraction(3, 2):
        assert np.isnan(pu[above]).all()  # no prior row at all above 1/γ
    else:
        assert np.allclose(pu[above], ygz)


def test_linf_prior_lower_has_ygz24_d_squared():
    sw, _ = rho_sweep(1797, 64, math.inf, "all")
    high = sw.x >= 0.8
    assert np.allclose(sw.values["prior_lower"][high], 64**2)
    assert np.allclose(sw.values["prior_lower"][sw.x < 0.8], math.sqrt(1797) + 64)


def test_plot_in_case_v_and_for_non_integer_p(tmp_path):
    a = plot_vs_rho(10**4, 10**5, "3/2", out=tmp_path / "a.png")
    b = plot_vs_N(10**5, "3/10", 2, out=tmp_path / "b.png", N_range=(2, 10**6))
    assert a.read_bytes().startswith(PNG_MAGIC) and b.read_bytes().startswith(PNG_MAGIC)
