"""bounds/ against the independent encoding of THEORY in tests/bounds/spec.py.

- every record: validity (decided exactly, boundary points included) and value;
- every query field of ``robustmem bounds --json``;
- mutation: changing any exponent in any record (expression or region) makes the
  comparison fail somewhere on the grid.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from bounds.point import INF, Point
from bounds.query import exact_value, float_value, holds, query
from bounds.records import RECORDS
from bounds.symbols import SYMBOLS

from . import spec

P_VALUES = [Fraction(1), Fraction(3, 2), Fraction(2), Fraction(5, 2), Fraction(3), Fraction(4), INF]


def _exact_root(base: int, e: Fraction) -> Fraction | None:
    """base**e if it is rational (e = a/b), else None."""
    a, b = e.numerator, e.denominator
    r = round(base ** (1 / b))
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**b == base:
            return Fraction(c) ** a
    return None


def boundary_rhos(N: int, d: int, p) -> list[Fraction]:
    """The rational boundary values of ρ at (N, d, p), each with tiny nudges either side."""
    e = Fraction(1, 2) + spec.gamma_exp2(p) / 2  # √d·γ = d^e
    out: list[Fraction | None] = [Fraction(1, 2), Fraction(4, 5), Fraction(1, 3)]
    out += [Fraction(4832, N * N), Fraction(4832, N)]  # EYS25 width: our reading and KMY's
    root = _exact_root(d, e)
    if root is not None:
        out += [1 / (5 * N * root), 1 / (5 * root), 1 / root]  # ρ₁, ρ₂, EYS25's 1/(γ√d)
    g = _exact_root(d, spec.gamma_exp2(p) / 2)
    if g is not None and g > 1:
        out += [1 / g, 1 / (3 * g)]  # the paper's range, Thm B.14's 1/3 at γρ
    q = _exact_root(d, Fraction(1, 4))
    if q is not None and q > 1:
        out.append(1 / q)  # Eq. (85): EYS25's nonzero rate meets YGZ24's at ρ = d^(−1/4)
    if d > 1 and _exact_root(d - 1, Fraction(1, 2)) and _exact_root(d, Fraction(1, 2)):
        out.append(_exact_root(d - 1, Fraction(1, 2)) / _exact_root(d, Fraction(1, 2)))
    out += [1 - Fraction(1, 10 * d), 1 - Fraction(1, 10**6)]
    if p != INF and d > 1:  # the VC split (1 − 1/d)^{1/p}, irrational in general: nudge only
        v = Fraction((1 - 1 / d) ** (1 / float(p)))
        out += [v * (1 + Fraction(1, 10**7)), v * (1 - Fraction(1, 10**7))]
    res: list[Fraction] = []
    for b in out:
        if b is None or not 0 < b < 1:
            continue
        for nudge in (Fraction(0), Fraction(1, 10**9), Fraction(-1, 10**9)):
            r = b * (1 + nudge)
            if 0 < r < 1:
                res.append(r)
    return res


def grid_points(seed: int = 7, n_random: int = 90) -> list[Point]:
    rng = random.Random(seed)
    pts: list[Point] = []
    for N, d in [
        (2, 1),
        (5, 4),
        (10, 16),
        (97, 8),
        (1797, 64),
        (10**4, 100),
        (10**6, 9),
        (10**6, 10**4),
        (100, 10**4),  # Thm B.14 Case III: N < 600 log N ≤ d
        (10, 1382),  # Case III from d = 1382 > 600 log 10 = 1381.6 on
        (10, 1381),
        (6000, 10**6),  # Case V: d > N ≥ 600 log N
        (5126, 10**6),  # 5126 is the least N ≥ 600 log N
        (5125, 10**6),
    ]:
        for p in P_VALUES:
            for r in boundary_rhos(N, d, p):
                pts.append(Point(N, d, r, p))
    for _ in range(n_random):
        N = int(10 ** rng.uniform(0.31, 7))
        d = int(10 ** rng.uniform(0, 6))
        r = Fraction(10 ** rng.uniform(-9, -1e-9)).limit_denominator(10**12)
        if not 0 < r < 1:
            continue
        pts.append(Point(max(N, 2), max(d, 1), r, rng.choice(P_VALUES)))
    return pts


POINTS = grid_points()


def rel_close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def test_grid_has_boundary_points():
    # every regime and the p = ∞, ρ > 1/2 case are represented
    regimes = {spec.regime(pt.N, pt.d, pt.rho, pt.p) for pt in POINTS}
    assert regimes == {"small", "moderate", "large", "none"}
    assert any(pt.p == INF and pt.rho > Fraction(1, 2) for pt in POINTS)


@pytest.mark.parametrize("record", RECORDS, ids=lambda b: b.key)
def test_record_matches_spec(record):
    seen_valid = 0
    for pt in POINTS:
        want_valid, want_value = spec.record_spec(record.key, pt.N, pt.d, pt.rho, pt.p)
        got_valid = holds(record, pt)
        assert got_valid == want_valid, f"{record.key} validity at {pt}"
        if got_valid:
            seen_valid += 1
            got = float_value(exact_value(record, pt))
            assert rel_close(got, want_value), f"{record.key} at {pt}: {got} != {want_value}"
    assert seen_valid > 0, f"{record.key} never valid on the grid"


@pytest.mark.parametrize("count", ["all", "nonzero"])
def test_query_matches_spec(count):
    for pt in POINTS[::2]:
        r = query(pt, count).to_json()
        reg = spec.regime(pt.N, pt.d, pt.rho, pt.p)
        assert r["regime"] == reg, pt
        up = spec.upper_at(pt.N, pt.d, pt.rho, pt.p, count)
        if up is None:
            assert r["upper"] is None and r["gap"] is None
        else:
            assert rel_close(r["upper"]["value"], up), pt
        low = spec.lower_at(pt.N, pt.d, pt.rho, pt.p, count)
        assert rel_close(r["lower"]["value"], low), pt
        if up is not None:
            gap, raw = spec.gap_at(pt.N, pt.d, pt.rho, pt.p, count)
            assert rel_close(r["gap"], gap) and rel_close(r["gap_raw"], raw), pt
            assert r["gap"] >= 1
        assert rel_close(
            r["first_layer_width_lower"], spec.first_width_at(pt.N, pt.d, pt.rho, pt.p)
        )
        pu = spec.prior_upper_at(pt.N, pt.d, pt.rho, pt.p, count)
        assert (r["prior_upper"] is None) == (pu is None), pt
        if pu is not None:
            assert rel_close(r["prior_upper"]["value"], pu), pt
        assert rel_close(
            r["prior_lower"]["value"], spec.prior_lower_at(pt.N, pt.d, pt.rho, pt.p, count)
        ), pt
        pfw = spec.prior_first_width_at(pt.N, pt.d, pt.rho, pt.p)
        assert (r["prior_first_layer_width_lower"] is None) == (pfw is None), pt
        if pfw is not None:
            assert rel_close(r["prior_first_layer_width_lower"]["value"], pfw), pt
        if count == "all":
            cons = spec.construction_at(pt.N, pt.d, pt.rho, pt.p)
            assert set(r["construction"]) == set(cons)
            for q, v in cons.items():
                assert rel_close(r["construction"][q]["value"], v), (pt, q)


def test_boundaries_belong_to_the_lower_regime():
    # N = 5, d = 4: ρ₁ = 1/50 is "small", ρ₂ = 1/10 is "moderate" (THEORY §3)
    assert query(Point(5, 4, Fraction(1, 50))).regime == "small"
    assert query(Point(5, 4, Fraction(1, 50) + Fraction(1, 10**30))).regime == "moderate"
    assert query(Point(5, 4, Fraction(1, 10))).regime == "moderate"
    assert query(Point(5, 4, Fraction(1, 10) + Fraction(1, 10**30))).regime == "large"
    # ℓ∞, d = 4: γ = 2, so the paper's range ends at ρ = 1/2 (exclusive)
    assert query(Point(5, 4, Fraction(1, 2) - Fraction(1, 10**30), INF)).regime == "large"
    assert query(Point(5, 4, Fraction(1, 2), INF)).regime == "none"


# ------------------------------------------------------------------------------ mutations
def _pow_nodes(e: sp.Basic) -> list[sp.Pow]:
    return [n for n in sp.preorder_traversal(e) if isinstance(n, sp.Pow) and n.exp.is_number]


def _mutants(e: sp.Basic):
    for node in set(_pow_nodes(e)):
        for delta in (sp.Rational(1, 3), sp.Rational(-1, 3)):
            new = e.xreplace({node: sp.Pow(node.base, node.exp + delta, evaluate=False)})
            if new != e:
                yield node, new


def _arrays(points):
    cols = list(
        zip(
            *[
                (pt.N, pt.d, float(pt.rho), math.inf if pt.p == INF else float(pt.p))
                for pt in points
            ]
        )
    )
    return [np.array(c, dtype=float) for c in cols]


MUT_POINTS = [pt for pt in POINTS]


@pytest.mark.parametrize("record", RECORDS, ids=lambda b: b.key)
def test_exponent_mutations_are_caught(record):
    """Changing any numeric exponent of the record's expression or region must contradict
    the independent encoding at some grid point."""
    pts = [pt for pt in MUT_POINTS if spec.norms_ok(record.key, pt.p)]
    specs = [spec.record_spec(record.key, pt.N, pt.d, pt.rho, pt.p) for pt in pts]
    arr = _arrays(pts)
    valid = np.array([v for v, _ in specs])
    values = np.array([x if x is not None else np.nan for _, x in specs], dtype=float)
    # points away from exact boundaries, where float evaluation of a region is reliable
    for node, mutant in _mutants(record.expr):
        f = sp.lambdify(SYMBOLS, mutant, "numpy")
        with np.errstate(all="ignore"):
            got = np.broadcast_to(np.asarray(f(*arr), dtype=float), valid.shape)
        diff = np.abs(got - values) > 1e-6 * np.maximum(1.0, np.abs(values))
        assert np.any(diff[valid] | ~np.isfinite(got[valid])), (
            f"{record.key}: exponent of {node} changed in the expression, nothing noticed"
        )
    for node, mutant in _mutants(record.region):
        caught = False
        for pt, (v, _) in zip(pts, specs):
            try:
                r = mutant.xreplace(pt.subs())
            except (TypeError, ValueError):
                caught = True
                break
            if (r is sp.true) != v:
                caught = True
                break
        assert caught, f"{record.key}: exponent of {node} changed in the region, nothing noticed"
