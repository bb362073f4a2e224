"""Exact projections: Lipschitz ≤ 1 proven and re-checked, separation contract exact."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine

from certify.dataset import Dataset
from certify.separation import distance_power
from constructions.projection import (
    CONTRACT_RATIO,
    Projection,
    ProjectionError,
    adaptive_projection,
    exact_span_projection,
    paper_m,
    random_projection,
)


def random_dataset(seed: int, N: int, d: int) -> Dataset:
    rng = np.random.default_rng(seed)
    while True:
        X = rng.integers(-20, 21, size=(N, d))
        y = rng.integers(1, 4, size=N)
        if len({tuple(r) for r in X}) == N and len(set(y.tolist())) >= 2:
            return Dataset.from_arrays(X, y)


def check_lipschitz(p: Projection, seed: int, trials: int = 30) -> None:
    """Independent checks of ‖A‖ ≤ lipschitz_bound ≤ 1: exact on random rational u, and
    against numpy's largest singular value."""
    assert p.lipschitz_bound <= 1
    rng = np.random.default_rng(seed)
    zero = [F(0)] * p.d
    base = p.apply(zero)
    for _ in range(trials):
        u = [F(int(a), int(b)) for a, b in zip(rng.integers(-50, 51, p.d), rng.integers(1, 9, p.d))]
        pu = [a - b for a, b in zip(p.apply(u), base)]
        assert sum(v * v for v in pu) <= p.lipschitz_bound**2 * sum(v * v for v in u)
    A = np.array([[float(a) for a in row] for row in p.matrix])
    smax = np.linalg.svd(A, compute_uv=False)[0]
    assert smax <= float(p.lipschitz_bound) * (1 + 1e-12)
    assert smax >= 0.5  # sanity: not a trivially shrunk map


def exact_ratio(ds: Dataset, p: Projection) -> F:
    Z = [p.apply(x) for x in ds.X]
    best = min(
        distance_power(Z[i], Z[j], 2) for i in range(ds.N) for j in range(i) if ds.y[i] != ds.y[j]
    )
    return best / 4 / ds.epsilon_power(2)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("N,d", [(6, 20), (10, 12), (8, 3)])
def test_span_projection_preserves_distances(seed, N, d):
    ds = random_dataset(seed, N, d)
    p = exact_span_projection(ds)
    assert p.kind == "span" and p.m <= min(N - 1, d)
    assert p.m == np.linalg.matrix_rank(np.array(ds.X, dtype=float) - np.array(ds.X[0], float))
    check_lipschitz(p, seed)
    # the proof's premise, re-checked exactly: rows pairwise orthogonal, each of norm ≤ 1
    for a in range(p.m):
        for b in range(a + 1):
            dot = sum(u * v for u, v in zip(p.matrix[a], p.matrix[b]))
            assert dot <= 1 if a == b else dot == 0
    Z = p.apply_all(ds.X)
    assert [p.apply(x) for x in ds.X] == Z
    lam2 = p.distance_factor2
    assert p.separation_ratio == exact_ratio(ds, p) and lam2 <= p.separation_ratio <= 1
    assert lam2 >= F(1) - F(1, 2**60)
    for i in range(ds.N):
        for j in range(i):
            dz, dx = distance_power(Z[i], Z[j], 2), distance_power(ds.X[i], ds.X[j], 2)
            assert lam2 * dx <= dz <= dx  # every distance kept up to the known factor


def test_span_projection_exact_when_norms_are_squares():
    # axis-aligned data: orthogonal basis with square norms, so distances are kept exactly
    X = [[0, 0, 0, 0], [3, 0, 0, 0], [0, 4, 0, 0], [3, 4, 0, 0]]
    ds = Dataset.from_arrays(np.array(X), np.array([1, 2, 2, 1]))
    p = exact_span_projection(ds)
    assert p.m == 2 and p.separation_ratio == 1
    Z = p.apply_all(ds.X)
    for i in range(4):
        for j in range(i):
            assert distance_power(Z[i], Z[j], 2) == distance_power(ds.X[i], ds.X[j], 2)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("N,d,m", [(12, 40, 20), (20, 30, 12), (15, 8, 5)])
def test_random_projection_contract(seed, N, d, m):
    ds = random_dataset(seed, N, d)
    p = random_projection(ds, m, seed)
    assert p.kind == "random" and p.m == m and p.seed == p.seeds_tried[-1]
    assert p.seeds_tried[0] == seed
    check_lipschitz(p, seed)
    assert p.separation_ratio == exact_ratio(ds, p)
    assert p.separation_ratio >= CONTRACT_RATIO**2 * F(m, d) and p.meets_contract()
    # reproducible from the recorded seed
    again = random_projection(ds, m, p.seed, budget=1)
    assert again.matrix == p.matrix


def test_random_projection_identity_when_m_ge_d():
    ds = random_dataset(0, 8, 3)
    p = random_projection(ds, 5, 0)
    assert p.kind == "identity" and p.m == 3 and p.separation_ratio == 1
    assert all(p.apply(x) == x for x in ds.X)


def test_resampling_and_failure_are_reported():
    ds = random_dataset(3, 40, 30)
    # an unreachable ratio: every sample fails, the error lists the seeds tried
    with pytest.raises(ProjectionError, match="within 3 samples") as e:
        random_projection(ds, 2, 7, ratio=F(3), budget=3)
    assert "seeds [7, " in str(e.value)
    # a demanding but reachable ratio exercises resampling somewhere across seeds
    attempts = []
    for s in range(6):
        try:
            p = random_projection(ds, 4, s, ratio=F(9, 10), budget=8)
        except ProjectionError:
            attempts.append(None)
            continue
        attempts.append(len(p.seeds_tried))
        assert p.separation_ratio >= F(81, 100) * F(4, 30)
    assert any(a is None or a > 1 for a in attempts)


@pytest.mark.parametrize("seed", range(3))
def test_adaptive_at_most_paper_m(seed):
    ds = random_dataset(seed, 15, 60)
    p = adaptive_projection(ds, seed=seed)
    cap = paper_m(ds.N, ds.d)
    assert p.m <= cap and p.meets_contract()
    assert p.separation_ratio == exact_ratio(ds, p)
    check_lipschitz(p, seed)
    assert any("adaptive" in n for n in p.notes)


def test_paper_m():
    assert paper_m(10, 5) == 5
    assert paper_m(10, 10**4) == 1990  # ⌈864 ln 10⌉
    assert paper_m(2, 10**40) == 922  # ⌈10 ln 10^40⌉ > ⌈864 ln 2⌉ = 599


@pytest.mark.parametrize("loader", [load_iris, load_wine])
def test_sklearn_data(loader):
    X, y = loader(return_X_y=True)
    idx = np.arange(0, len(y), 3)  # a subset keeps the exact checks fast
    ds = Dataset.from_arrays(X[idx], y[idx] + 1)
    span = exact_span_projection(ds)
    assert span.m == min(ds.d, ds.N - 1) and span.separation_ratio >= 1 - F(1, 2**60)
    check_lipschitz(span, 0)
    p = adaptive_projection(ds, seed=5)
    assert p.meets_contract() and p.m <= paper_m(ds.N, ds.d)
    assert p.separation_ratio == exact_ratio(ds, p)
    if p.kind == "random":
        check_lipschitz(p, 1)


def test_iris_duplicates_merged():
    X, y = load_iris(return_X_y=True)
    ds = Dataset.from_arrays(X, y + 1)
    assert len(y) > ds.N
    p = random_projection(ds, 3, 11)
    assert p.meets_contract() and p.separation_ratio == exact_ratio(ds, p)


def test_dyadic_span_projection_is_dyadic_lipschitz_and_keeps_separation():
    from constructions.projection import dyadic_span_projection

    rng = np.random.default_rng(8)
    B = rng.standard_normal((3, 20))  # the data live in a 3-dim affine subspace of R^20
    C = rng.integers(-5, 6, size=(9, 3)).astype(float)
    ds = Dataset.from_arrays(C @ B + 1.5, np.array([1, 2, 3] * 3))
    P = dyadic_span_projection(ds)
    assert P is not None and P.m == 3 and P.kind == "span"
    for row in P.matrix:  # dyadic rows: every denominator a power of two
        assert all(v.denominator & (v.denominator - 1) == 0 for v in row)
    # ‖A‖² ≤ max row sum of |A Aᵀ| (Gershgorin), recomputed here exactly
    G = [[sum(a * b for a, b in zip(r1, r2)) for r2 in P.matrix] for r1 in P.matrix]
    assert max(sum(abs(v) for v in r) for r in G) <= 1
    assert P.separation_ratio > F(999_999, 1_000_000)  # distances kept up to rounding
    full = Dataset.from_arrays(rng.standard_normal((5, 4)), np.array([1, 2, 1, 2, 1]))
    assert dyadic_span_projection(full) is None  # rank d: nothing to gain
