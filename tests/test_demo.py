"""``robustmem demo``: ρ inside every regime for the subset's N; the full loop certifies."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from bounds.point import INF, Point
from bounds.query import query
from robustmem.demo import NORMS, REGIMES, digits_subset, load_digits_dataset, regime_rhos


@pytest.mark.parametrize("N", [10, 20, 1797])
@pytest.mark.parametrize("p_text", NORMS)
def test_regime_rhos_lie_inside_their_regime(N, p_text):
    rhos = regime_rhos(N, 64, p_text)
    assert list(rhos) == list(REGIMES)
    pv = INF if p_text == "inf" else Fraction(2)
    for regime, rho in rhos.items():
        assert rho.numerator == 1
        assert query(Point(N, 64, rho, pv)).regime == regime


def test_digits_subset_takes_the_first_points_of_each_class():
    ds = load_digits_dataset()
    sub = digits_subset(ds, 2)
    assert sub.N == 20 and sub.d == 64
    assert sorted(sub.y) == sorted(list(range(1, 11)) * 2)
    first = [i for i, y in enumerate(ds.y) if y == ds.y[0]][:2]
    assert [list(ds.X[i]) for i in first] == [list(x) for x, y in zip(sub.X, sub.y) if y == ds.y[0]]


def test_demo_rejects_bad_subset_size(capsys):
    from robustmem.cli import main

    assert main(["demo", "--n-per-class", "0"]) == 3


@pytest.mark.slow
def test_demo_every_regime_every_ball_proved(tmp_path, capsys):
    """The demo's JSON summary: every (norm, regime) constructed and every ball PROVED.
    Uses --n-per-class 1 (N = 10; about 80 s on 2 cores); the default (N = 20) is timed in
    docs/demo.md."""
    from robustmem.cli import main

    code = main(["demo", "--out-dir", str(tmp_path), "--json", "--n-per-class", "1"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["subset"]["N"] == 10
    runs = out["runs"]
    assert {(r["p"], r["regime"]) for r in runs} == {(p, g) for p in NORMS for g in REGIMES}
    for r in runs:
        assert r["regime_checked"] == r["regime"]
        assert r["counts"] == {"PROVED": r["N"], "REFUTED": 0, "UNKNOWN": 0}, r
        assert r["method"] in ("small", "moderate", "large")  # what construct "auto" chose
        if r["regime"] == "moderate":  # auto built both candidates and says which it kept
            assert any(n.startswith("auto:") and r["method"] in n for n in r["notes"]), r
        assert r["params"] > 0 and r["kmy_lower"] > 0
    assert (tmp_path / "bounds_p2.png").stat().st_size > 1000
    assert (tmp_path / "builders_vs_rho.png").stat().st_size > 1000
