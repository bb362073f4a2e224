"""Sweeps over (N, d, ρ, p) of exact queries, and the points of issue 14 pinned.

- every query on a grid of rational ρ down to 10⁻¹² (p = 1, 3/2, 2, 3, ∞) answers, with
  gap = max(1, (upper + d)/lower) ≥ 1, this paper no worse than prior work, and the
  vectorised evaluation (plots, inverse queries) agreeing with the exact one off boundaries;
- the readings of KMY that issue 14 settles (Table 1's rows, Thm B.14 Cases III and V, the
  gap's +d, EYS25's width region), at the points where they were wrong before.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from bounds.point import INF, Point
from bounds.query import query
from bounds.vectorized import evaluate

P_SWEEP = [Fraction(1), Fraction(3, 2), Fraction(2), Fraction(3), INF]
RHO_SWEEP = [Fraction(1, 10**k) for k in (12, 9, 6, 4, 3, 2)] + [
    Fraction(1, 7),
    Fraction(1, 3),
    Fraction(1, 2),
    Fraction(4, 5),
    1 - Fraction(1, 10**6),
]
N_SWEEP = [2, 1000, 10**6]
D_SWEEP = [1, 100, 10**5]


def _check(pt: Point, count: str) -> dict:
    r = query(pt, count)
    j = r.to_json()
    tol = 1e-9
    if r.upper is None:
        assert j["gap"] is None and j["gap_raw"] is None, pt
    else:
        plus = pt.d if count == "all" else 0
        raw = (r.upper.value + plus) / r.lower.value
        assert math.isclose(j["gap_raw"], raw, rel_tol=1e-12), pt
        assert j["gap"] == max(1.0, raw) and j["gap"] >= 1, pt
        if j["prior_upper"] is not None:
            # the paper's upper bound is never above the prior one (rates, constants 1; the
            # nonzero rates of Thm E.2 state a +d that the prior rates leave out)
            prior = j["prior_upper"]["value"]
            assert r.upper.value - (pt.d if count == "nonzero" else 0) <= prior * (1 + tol), (
                pt,
                count,
                j["prior_upper"],
            )
    assert j["improvement_lower"] >= 1 - tol, (pt, count, j["prior_lower"])
    for key in ("upper", "lower", "prior_upper", "prior_lower"):
        if j[key] is not None:
            assert math.isfinite(j[key]["value"]) and j[key]["value"] > 0, (pt, key)
    return j


def _grid(Ns, ds, ps, rhos):
    for N, d, p, rho in itertools.product(Ns, ds, ps, rhos):
        yield Point(N, d, rho, p)


def test_every_query_answers_and_gap_is_at_least_one():
    for pt in _grid(N_SWEEP, D_SWEEP, P_SWEEP, RHO_SWEEP):
        _check(pt, "all")
    for pt in _grid([1000], [100, 10**5], P_SWEEP, RHO_SWEEP):
        _check(pt, "nonzero")


@pytest.mark.slow
def test_every_query_answers_dense():
    """A denser grid (about 9000 exact queries, a few minutes): N and d on both sides of the
    Thm B.14 case splits, ρ from 10⁻¹² to 1 − 10⁻⁹, eight norms."""
    Ns = [2, 10, 1000, 5125, 5126, 10**6, 10**8]
    ds = [1, 7, 100, 1382, 10**4, 10**6]
    ps = [*P_SWEEP, Fraction(7, 3), Fraction(4), Fraction(1000)]
    rhos = [Fraction(1, 10**k) for k in range(1, 13)] + [
        Fraction(1, 7),
        Fraction(1, 3),
        Fraction(1, 2),
        Fraction(4, 5),
        1 - Fraction(1, 10**3),
        1 - Fraction(1, 10**6),
        1 - Fraction(1, 10**9),
    ]
    for pt in _grid(Ns, ds, ps, rhos):
        _check(pt, "all")
    for pt in _grid(Ns, ds, P_SWEEP, rhos):
        _check(pt, "nonzero")


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-5)


def test_vectorised_evaluation_agrees_with_exact_queries():
    """Plots and inverse queries use bounds.vectorized: off region boundaries its best bounds
    (now the smallest of a theorem and its cases) are those of the exact query."""
    keys = ("upper", "lower", "prior_upper", "prior_lower")
    rf = np.array([float(r) for r in RHO_SWEEP])
    checked = 0
    for count in ("all", "nonzero"):
        for N, d, p in itertools.product([1000, 6000], [100, 10**6], P_SWEEP):
            pv = math.inf if p == INF else float(p)
            near = [evaluate(float(N), float(d), rf * (1 + s), pv, count) for s in (-1e-7, 0, 1e-7)]
            for i, rho in enumerate(RHO_SWEEP):
                if not all(_same(near[0][k][i], near[2][k][i]) for k in keys):
                    continue  # a region boundary within 1e-7: floats may take either side
                j = query(Point(N, d, rho, p), count).to_json()
                for k in keys:
                    want = math.nan if j[k] is None else j[k]["value"]
                    assert _same(near[1][k][i], want), (N, d, rho, p, count, k)
                checked += 1
    assert checked > 300


# ------------------------------------------------------------------- issue 14's points
def q(N, d, rho, p, count="all") -> dict:
    return query(Point.parse(N, d, rho, p), count).to_json()


def test_eys25_for_general_p_is_a_prior_upper_bound():
    # Table 1: EYS25 Õ(N) for ρ < 1/(γ√d); at p = ∞, d = 100 that is ρ < 1/100
    j = q(1000, 100, "1/1000", "inf")
    assert j["prior_upper"]["value"] == 1000 and j["prior_upper"]["record"].startswith(
        "PRIOR.UB.EYS25.small"
    )
    assert j["improvement_upper"] == pytest.approx(1000 / (1000 * 10 * math.sqrt(1e-3)))
    # p = 1, ρ = 1/100: γρ = 1/10 ≥ 1/√d, EYS25's N d³(γρ)⁶ = 1000 = KMY's N d²(γρ)⁴
    j = q(1000, 100, "1/100", 1)
    assert j["prior_upper"]["value"] == pytest.approx(1000)
    assert j["improvement_upper"] == pytest.approx(1.0)
    # non-integer p: no YGZ24 row, but EYS25 applies
    j = q(1000, 100, "1/100", "3/2")
    assert j["prior_upper"] is not None and j["prior_upper"]["value"] == 1000
    # above 1/γ Table 1's EYS25 rows stop: only YGZ24 (integer p, ∞) is left
    j = q(1000, 100, "1/5", 1)
    assert j["prior_upper"]["record"] == "PRIOR.UB.YGZ24.p"
    assert q(1000, 100, "1/2", "3/2")["prior_upper"] is None  # 1/γ = 100^(−1/6) ≈ 0.46


def test_ygz24_omega_d_squared_is_a_parameter_lower_bound():
    j = q(1000, 100, "9/10", "inf")
    assert j["prior_lower"]["value"] == 100**2 and j["prior_lower"]["record"] == "PRIOR.LB.YGZ24"
    assert j["improvement_lower"] == pytest.approx((100 + 1) * 100 / 10**4 + math.sqrt(1000) / 1e4)
    # YGZ24 assume N > d and ρ ≥ 0.8; not for nonzero counts (a width bound counts zeros)
    assert q(100, 1000, "9/10", "inf")["prior_lower"]["record"] == "PRIOR.LB.classical"
    assert q(1000, 100, "79/100", "inf")["prior_lower"]["record"] == "PRIOR.LB.classical"
    assert q(1000, 100, "4/5", "inf")["prior_lower"]["record"] == "PRIOR.LB.YGZ24"
    assert q(1000, 100, "9/10", "inf", "nonzero")["prior_lower"]["record"] != "PRIOR.LB.YGZ24"


def test_gap_puts_back_the_papers_plus_d():
    j = q(100, 10000, "1/500", 2)  # was 0.004466: upper 44.7 against a lower bound with +d
    assert j["gap_raw"] == pytest.approx((100 * 10 * math.sqrt(1 / 500) + 10**4) / 10014.00002)
    assert j["gap"] == pytest.approx(j["gap_raw"]) and j["gap"] > 1
    # small regime: √N + d against √N/√(1−ρ²) + (ρ² min + 1)·d — the rates cross by a hair
    j = q(10**6, 10**4, "1/1500000000", 2)
    assert j["regime"] == "small" and j["gap_raw"] < 1 and j["gap"] == 1.0
    # nonzero counts: Thm E.2's rates carry their +d already
    j = q(1000, 100, "3/10", 2, "nonzero")
    assert j["gap_raw"] == pytest.approx(j["upper"]["value"] / j["lower"]["value"])


def test_case_v_of_thm_b14():
    """d > N ≥ 600 log N, ρ ∈ (1/(5√d), 1/3): Õ(N³ρ⁴ + Ndρ²), width Õ(ρ²N)."""
    j = q(10**4, 10**5, "3/10", 2)
    want = 10**12 * 0.3**4 + 10**9 * 0.3**2
    assert j["upper"]["record"] == "KMY.UB.iii.V.l2"
    assert j["upper"]["value"] == pytest.approx(want)
    assert j["upper"]["source"] == "KMY Thm B.14 Case V"
    assert j["gap"] == pytest.approx((want + 10**5) / 90100104.82848367)
    assert 90 < j["gap"] < 92  # was 8990 with the theorem's Õ(N d² ρ⁴)
    assert j["construction"]["width"]["value"] == pytest.approx(900)  # ρ²N, not ρ²d = 9000
    assert j["construction"]["width"]["record"] == "KMY.width.iii.V.l2"
    # Case V stops at ρ = 1/3 (Case I, YGZ24 directly) and needs N ≥ 600 log N (5126 is the
    # least such N) and d > N
    assert q(10**4, 10**5, "1/3", 2)["upper"]["record"] == "KMY.UB.iii.l2"
    assert q(5126, 10**6, "1/10", 2)["upper"]["record"] == "KMY.UB.iii.V.l2"
    assert q(5125, 10**6, "1/10", 2)["upper"]["record"] == "KMY.UB.iii.III.l2"
    assert q(10**5, 10**4, "1/10", 2)["upper"]["record"] == "KMY.UB.iii.l2"  # d < N: Case IV
    # near ρ₂ the theorem's own count is smaller (N d ρ² > N d² ρ⁴ while d ρ² < 1)
    j = q(10**4, 10**5, "1/1000", 2)
    assert j["upper"]["record"] == "KMY.UB.iii.l2"
    assert j["construction"]["width"]["record"] == "KMY.width.iii.l2"
    # ℓp by the γ-transfer: the case holds at γρ
    j = q(10**4, 10**6, "1/10000", "inf")  # γ = 1000, γρ = 1/10
    assert j["upper"]["record"] == "KMY.UB.iii.V.lp"
    assert j["upper"]["value"] == pytest.approx(10**12 * 1e-4 + 10**10 * 1e-2)


def test_case_iii_of_thm_b14():
    """N < 600 log N ≤ d, ρ ∈ (1/(5√d), 1/3): Õ(N³ + dN), width Õ(N)."""
    j = q(100, 10**4, "3/10", 2)
    assert j["upper"]["record"] == "KMY.UB.iii.III.l2"
    assert j["upper"]["value"] == 100**3 + 10**4 * 100
    assert j["construction"]["width"]["value"] == 100
    # 600 log 10 = 1381.55…: d = 1381 is Case II (no sharper count), d = 1382 Case III
    assert q(10, 1381, "3/10", 2)["upper"]["record"] == "KMY.UB.iii.l2"
    assert q(10, 1382, "3/10", 2)["upper"]["record"] == "KMY.UB.iii.III.l2"


def test_eq85_middle_case():
    """Nonzero prior: Õ(N) below 1/√d, EYS25's Õ(N d² ρ⁴) from there up to d^(−1/4), then
    YGZ24's Õ(N d) (KMY Eq. (85), our reconstruction)."""
    N, d = 1000, 10**4
    assert q(N, d, "1/200", 2, "nonzero")["prior_upper"]["value"] == N
    j = q(N, d, "1/50", 2, "nonzero")
    assert j["prior_upper"]["record"] == "PRIOR.UBnz.EYS25.mid"
    assert j["prior_upper"]["value"] == pytest.approx(N * d**2 / 50**4)
    assert q(N, d, "1/5", 2, "nonzero")["prior_upper"]["record"] == "PRIOR.UBnz.YGZ24"
    # continuous at both seams: N at ρ = 1/√d, N d at ρ = d^(−1/4)
    assert q(N, d, "1/100", 2, "nonzero")["prior_upper"]["value"] == pytest.approx(N)
    assert q(N, d, "1/10", 2, "nonzero")["prior_upper"]["value"] == pytest.approx(N * d)


def test_eys25_width_region_reading():
    """KMY §3 says EYS25's width 2 log N / log(4832/ρ) is nontrivial "only when ρ ≥ 4832/N";
    the formula exceeds 1 exactly when ρ > 4832/N². We read the record as holding there."""
    N = 10**4
    at = Fraction(4832, N * N)
    assert q(N, 10, at, 2)["prior_first_layer_width_lower"] is None  # exactly 1: trivial
    j = q(N, 10, at * (1 + Fraction(1, 10**9)), 2)
    assert j["prior_first_layer_width_lower"]["value"] == pytest.approx(1.0, abs=1e-9)
    assert j["prior_first_layer_width_lower"]["value"] > 1
    j = q(N, 10, "1/100", 2)  # 4832/N² < 1/100 < 4832/N: KMY's wording would leave it out
    assert j["prior_first_layer_width_lower"]["value"] == pytest.approx(
        2 * math.log(N) / math.log(483200)
    )
    j = q(N, 10, Fraction(4832, N), 2)  # at KMY's threshold the formula is already 2
    assert j["prior_first_layer_width_lower"]["value"] == pytest.approx(2.0)


def test_huge_exact_parts_stay_symbolic():
    """ρ = 10⁻¹², p = 1000: ρ^p has 12000 digits; the exact text keeps it as a power instead of
    failing (Python refuses to print integers of more than 4300 digits)."""
    j = q(2, 1, "1/1000000000000", 1000)
    assert "(1/1000000000000)**1000" in j["lower"]["exact"]
    assert j["lower"]["value"] == pytest.approx(1 + 1e-24 + math.sqrt(2))
