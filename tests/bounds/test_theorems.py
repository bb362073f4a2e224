"""Theorem regression tests: the relations between the bounds that the paper proves or that
must hold between results (symbolic where possible, dense grids otherwise)."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy as sp

from bounds.records import BY_KEY, R1, R2
from bounds.symbols import N, d, p, rho
from bounds.vectorized import evaluate

# ------------------------------------------------------------------------------ seams


@pytest.mark.parametrize("fam", ["l2", "lp"])
def test_seams_symbolic(fam):
    """(ii) at ρ₁ is √(N/5), (ii) at ρ₂ is N/√5, (iii) at ρ₂ is N/625 — for every p."""
    ii = BY_KEY[f"KMY.UB.ii.{fam}"].expr
    iii = BY_KEY[f"KMY.UB.iii.{fam}"].expr
    r1, r2 = (R1.subs(p, 2), R2.subs(p, 2)) if fam == "l2" else (R1, R2)
    assert sp.simplify(ii.subs(rho, r1) - sp.sqrt(N / 5)) == 0
    assert sp.simplify(ii.subs(rho, r2) - N / sp.sqrt(5)) == 0
    assert sp.simplify(iii.subs(rho, r2) - N / 625) == 0
    # (i) matches (ii) at ρ₁ up to the constant √5 — continuity in the Θ sense
    i = BY_KEY[f"KMY.UB.i.{fam}"].expr
    assert sp.simplify(i / ii.subs(rho, r1)) == sp.sqrt(5)


def test_seams_hold_numerically_for_sample_norms():
    for pv in (1, sp.Rational(3, 2), 3, sp.oo):
        for Nv, dv in ((10, 7), (1000, 300)):
            at = {N: Nv, d: dv, p: pv}
            ii = BY_KEY["KMY.UB.ii.lp"].expr.subs(at)
            assert sp.N(ii.subs(rho, R1.subs(at)) - sp.sqrt(sp.Integer(Nv) / 5), 30) == 0


# ------------------------------------------------------------------------------ ℓp at p = 2


def test_lp_records_reduce_to_l2_at_p_equal_2():
    for key in BY_KEY:
        if key.startswith("KMY.") and key.endswith(".lp"):
            lp, l2 = BY_KEY[key], BY_KEY[key[:-3] + ".l2"]
            assert sp.simplify(lp.expr.subs(p, 2) - l2.expr) == 0, key
            assert p not in l2.expr.free_symbols | l2.region.free_symbols, key
            assert sp.simplify(lp.region.subs(p, 2)) == sp.simplify(l2.region), key
    comb = BY_KEY["KMY.LB.combined.l2"].expr
    for key in ("KMY.LB.combined.p<2", "KMY.LB.combined.p>2"):
        assert sp.simplify(BY_KEY[key].expr.subs(p, 2) - comb) == 0, key
    assert (
        sp.simplify(BY_KEY["KMY.LB.width.p<2"].expr.subs(p, 2) - BY_KEY["KMY.LB.width.p>=2"].expr)
        == 0
    )


# ------------------------------------------------------------------------------ grids

RNG = np.random.default_rng(12345)
GRID_N = np.array([2, 3, 10, 100, 1797, 10**4, 10**6, 10**8], dtype=float)
GRID_D = np.array([1, 2, 5, 64, 100, 1000, 10**4], dtype=float)
RHOS = np.unique(np.concatenate([np.geomspace(1e-12, 0.5, 400), 1 - np.geomspace(1e-9, 0.5, 200)]))
PS = [1.0, 1.5, 2.0, 3.0, 4.0, np.inf]


def _curves(Nv, dv, pv, count="all"):
    return evaluate(float(Nv), float(dv), RHOS, pv, count)


@pytest.mark.parametrize("pv", PS)
def test_bounds_non_decreasing_in_rho(pv):
    """Lower bound non-decreasing in ρ everywhere; upper bound within each regime."""
    for Nv in GRID_N:
        for dv in GRID_D:
            for count in ("all", "nonzero"):
                c = _curves(Nv, dv, pv, count)
                low = c["lower"]
                assert np.all(np.diff(low) >= -1e-9 * np.abs(low[1:])), (Nv, dv, pv, count)
                up, reg = c["upper"], c["regime"]
                same = (reg[1:] == reg[:-1]) & (reg[1:] > 0)
                steps = np.diff(up)[same]
                assert np.all(steps >= -1e-9 * np.abs(up[1:][same])), (Nv, dv, pv, count)


@pytest.mark.parametrize("pv", PS)
def test_this_paper_improves_on_prior_work(pv):
    """With constants 1: KMY upper ≤ prior upper and KMY lower ≥ prior lower, wherever both
    exist (parameters, all counted)."""
    for Nv in GRID_N:
        for dv in GRID_D:
            c = _curves(Nv, dv, pv)
            both = ~np.isnan(c["upper"]) & ~np.isnan(c["prior_upper"])
            assert np.all(c["upper"][both] <= c["prior_upper"][both] * (1 + 1e-9)), (Nv, dv)
            assert np.all(c["lower"] >= c["prior_lower"] * (1 - 1e-9)), (Nv, dv)


def test_nonzero_upper_below_prior_up_to_the_explicit_plus_d():
    """Nonzero counts: Thm E.2 keeps an explicit +d (the prior N·d and N do not), so the
    comparison is of the rates: KMY − d ≤ prior wherever both exist."""
    for Nv in GRID_N:
        for dv in GRID_D:
            c = _curves(Nv, dv, 2.0, "nonzero")
            both = ~np.isnan(c["upper"]) & ~np.isnan(c["prior_upper"])
            assert np.all(c["upper"][both] - dv <= c["prior_upper"][both] * (1 + 1e-9)), (Nv, dv)


@pytest.mark.parametrize("pv", PS)
def test_small_regime_is_tight(pv):
    """In the small regime (upper + d)/lower stays bounded (Θ̃(√N) + d both ways)."""
    ratios = []
    for Nv in GRID_N:
        for dv in GRID_D:
            c = _curves(Nv, dv, pv)
            small = c["regime"] == 1
            ratios.append(((c["upper"][small] + dv) / c["lower"][small]).max(initial=0))
    assert max(ratios) <= 1 + 1e-9
    assert max(ratios) > 0.5  # the regime was actually exercised


def test_large_regime_width_meets_lb_width_when_n_exceeds_d():
    """(iii)'s width Õ(ρ² d) equals the exact LB-width ρ²·min{N−1, d} when N > d."""
    w = BY_KEY["KMY.width.iii.l2"].expr
    lb = BY_KEY["KMY.LB.width.p>=2"].expr
    assert sp.simplify((lb - w).subs(N, d + 1 + sp.Symbol("k", nonnegative=True))) == 0


# ------------------------------------------------------------------------------ Lemma A.1


def _exact_projection_distances(basis_rows: list[list[int]], dim: int) -> list[Fraction]:
    """dist(e_j, Z)² for Z = row span of ``basis_rows`` (integer vectors), exactly."""
    A = flint.fmpq_mat(basis_rows)  # k × dim
    G = A * A.transpose()
    Pm = A.transpose() * G.inv() * A  # dim × dim projection onto Z
    out = []
    for j in range(dim):
        proj_sq = Pm[j, j]  # ‖P e_j‖² = e_jᵀ P e_j
        out.append(Fraction(int((1 - proj_sq).p), int((1 - proj_sq).q)))
    return out


def _lemma_a1_violations(dist2: list[Fraction], m: int) -> list[tuple[int, ...]]:
    """The coordinate sets S breaking Lemma A.1's conclusion min_{j ∈ S} dist(e_j, Z)² ≤ m/|S|
    (THEORY states it for S = {1..t}; the lemma does not depend on the coordinates' order, so
    every S is checked — all of them, the dimensions here are ≤ 9)."""
    n = len(dist2)
    return [
        S
        for t in range(1, n + 1)
        for S in itertools.combinations(range(n), t)
        if min(dist2[j] for j in S) > Fraction(m, t)
    ]


def _random_subspace(rng: random.Random, dim: int, k: int) -> list[list[int]]:
    while True:
        rows = [[rng.randint(-5, 5) for _ in range(dim)] for _ in range(k)]
        if flint.fmpq_mat(rows).rank() == k:
            return rows


@pytest.mark.parametrize("seed", range(12))
def test_lemma_a1_on_random_subspaces(seed):
    """Lemma A.1: for Z of dimension ≥ d − m, min_{j ≤ t} dist(e_j, Z)² ≤ m/t for every
    t ≤ d; and the squared distances of all basis vectors sum to d − dim Z (exact rational
    arithmetic)."""
    rng = random.Random(seed)
    dim = rng.randint(2, 9)
    m = rng.randint(1, dim - 1)
    k = rng.randint(dim - m, dim - 1)  # dim Z ≥ d − m, as the lemma requires
    dist2 = _exact_projection_distances(_random_subspace(rng, dim, k), dim)
    assert sum(dist2) == dim - k
    for t in range(1, dim + 1):  # THEORY's statement, prefix by prefix
        assert min(dist2[:t]) <= Fraction(m, t), (t, dist2, m)
    assert _lemma_a1_violations(dist2, m) == []  # and for every set of t coordinates


def test_lemma_a1_needs_its_hypothesis_and_is_tight():
    """The check above can fail: Z = span(e_{t+1}..e_d) has dim Z = d − t, so every e_j with
    j ≤ t is at distance 1. With m = t the lemma applies and holds with equality at {1..t}
    (≤, not <); with m = t − 1 (dim Z < d − m, hypothesis broken) {1..t} violates it."""
    dim = 6
    for t in range(2, dim):
        rows = [[int(i == j) for i in range(dim)] for j in range(t, dim)]
        dist2 = _exact_projection_distances(rows, dim)
        assert dist2 == [1] * t + [0] * (dim - t)
        assert _lemma_a1_violations(dist2, t) == []
        assert min(dist2[:t]) == Fraction(t, t)  # equality: the bound m/t is attained
        assert tuple(range(t)) in _lemma_a1_violations(dist2, t - 1)
        assert min(dist2[:t]) > Fraction(t - 1, t)  # the prefix form fails too
