"""Exact closest cross-label pairs (certify.separation): fast paths vs a naive Fraction loop."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certify.dataset import Dataset
from certify.errors import InputError
from certify.separation import STRATEGIES, closest_pair

F = Fraction
INF = math.inf
NORMS = [1, 2, 3, INF]


def naive(points: list[tuple[Fraction, ...]], labels: list[int], p: float) -> Fraction:
    """min over y_i ≠ y_j of Σ|x_i − x_j|^p (integer p) or max|x_i − x_j| (p = ∞): brute force."""
    best = None
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            if labels[i] == labels[j]:
                continue
            diffs = [abs(a - b) for a, b in zip(points[i], points[j])]
            v = max(diffs) if p == INF else sum(t ** int(p) for t in diffs)
            if best is None or v < best:
                best = v
    assert best is not None
    return best


def check(points: list[tuple[Fraction, ...]], labels: list[int], p: float, **kw: object) -> None:
    i, j, value = closest_pair(points, labels, p, **kw)  # type: ignore[arg-type]
    assert value == naive(points, labels, p)
    assert i < j and labels[i] != labels[j]
    diffs = [abs(a - b) for a, b in zip(points[i], points[j])]
    assert value == (max(diffs) if p == INF else sum(t ** int(p) for t in diffs))


def _labels(n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, 3), min_size=n, max_size=n).filter(lambda ys: len(set(ys)) > 1)


@st.composite
def datasets(draw: st.DrawFn, values: st.SearchStrategy[Fraction]) -> tuple[list, list]:
    n = draw(st.integers(2, 10))
    d = draw(st.integers(1, 4))
    pts = draw(st.lists(st.tuples(*[values] * d), min_size=n, max_size=n, unique=True))
    return pts, draw(_labels(n))


small_ints = st.integers(-6, 6).map(Fraction)
wide_floats = st.floats(allow_nan=False, allow_infinity=False, width=64).map(Fraction)
scaled_floats = st.builds(
    lambda m, e: Fraction(math.ldexp(m, e)),
    st.floats(-2, 2, allow_nan=False),
    st.integers(-1000, 1000),
)
rationals = st.fractions(max_denominator=10**6).filter(lambda q: abs(q) < 10**6)
big_denominators = st.builds(
    lambda a, b: Fraction(a, b), st.integers(-(10**30), 10**30), st.integers(10**20, 10**25)
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("p", NORMS)
@given(data=datasets(small_ints))
@SETTINGS
def test_integers_default_plan(p: float, data: tuple) -> None:
    check(*data, p)


@pytest.mark.parametrize("p", NORMS)
@given(data=datasets(st.one_of(wide_floats, scaled_floats)))
@SETTINGS
def test_floats_default_plan(p: float, data: tuple) -> None:
    check(*data, p)


@pytest.mark.parametrize("p", NORMS)
@given(data=datasets(st.one_of(rationals, big_denominators)))
@SETTINGS
def test_rationals_default_plan(p: float, data: tuple) -> None:
    check(*data, p)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("p", [1, 2, 3, 5, INF])
@given(
    data=st.one_of(
        datasets(small_ints), datasets(scaled_floats), datasets(wide_floats), datasets(rationals)
    )
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_forced_plan_is_exact(strategy: str, p: float, data: tuple) -> None:
    try:
        check(*data, p, strategy=strategy)
    except ValueError as e:  # this plan does not apply to these numbers
        assert "float64" in str(e) or "int64" in str(e)


@pytest.mark.parametrize("p", [1, 2, 3, INF])
@pytest.mark.parametrize("bits", [1, 4])
@given(data=datasets(st.one_of(scaled_floats, rationals)))
@settings(max_examples=15, deadline=None)
def test_coarse_rounded_grids_stay_exact(p: float, bits: int, data: tuple) -> None:
    check(*data, p, strategy="rounded", bits=bits)
    check(*data, p, strategy="maxproxy", bits=bits)


def test_large_p_uses_a_sound_plan() -> None:
    rng = np.random.default_rng(5)
    pts = [tuple(F(int(v)) for v in row) for row in rng.integers(-1000, 1000, size=(30, 3))]
    floats = [tuple(F(float(v)) for v in row) for row in rng.normal(size=(30, 3))]
    labels = [1 + i % 3 for i in range(30)]
    for p in (17, 40):
        check(pts, labels, p)
        check(floats, labels, p)


def test_ties_and_many_equal_distances() -> None:
    pts = [(F(i), F(j)) for i in range(6) for j in range(6)]
    labels = [1 + (i + j) % 2 for i in range(6) for j in range(6)]  # checkerboard
    for p in NORMS:
        check(pts, labels, p)


def test_wide_dynamic_range_is_fast_and_exact() -> None:
    """A tight cluster next to a far point: a global integer grid would be too coarse."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4)) * 1e-9
    X[0] = 1e6
    X[75:] += 1e5
    y = [1 + i % 2 for i in range(150)]
    pts = [tuple(F(v) for v in row) for row in X.tolist()]
    for p in (1, 2, INF):
        check(pts, y, p)


def test_requires_two_classes() -> None:
    with pytest.raises(InputError, match="at least two classes"):
        closest_pair([(F(0),), (F(1),)], [1, 1], 2)


def test_unknown_strategy() -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        closest_pair([(F(0),), (F(1),)], [1, 2], 2, strategy="magic")


def _digits() -> tuple[np.ndarray, np.ndarray]:
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    data = sklearn_datasets.load_digits()
    return data.data.astype(np.int64), data.target.astype(np.int64) + 1


def _digits_reference(X: np.ndarray, y: np.ndarray) -> dict[float, int]:
    """Independent exact integer computation (int64, values 0..16: no overflow possible)."""
    out = {1: None, 2: None, INF: None}
    for i in range(len(X) - 1):
        D = np.abs(X[i + 1 :] - X[i])
        mask = y[i + 1 :] != y[i]
        if not mask.any():
            continue
        D = D[mask]
        for p, v in ((1, D.sum(1).min()), (2, (D * D).sum(1).min()), (INF, D.max(1).min())):
            out[p] = int(v) if out[p] is None else min(out[p], int(v))
    return out  # type: ignore[return-value]


def test_digits_epsilon_is_exact_and_fast() -> None:
    X, y = _digits()
    ds = Dataset.from_arrays(X, y)
    assert (ds.N, ds.d, ds.num_classes) == (1797, 64, 10)
    start = time.perf_counter()
    eps1, eps2, epsinf = ds.epsilon_power(1), ds.epsilon_power(2), ds.epsilon_inf()
    elapsed = time.perf_counter() - start
    ref = _digits_reference(X, y)
    assert eps1 == F(ref[1], 2)
    assert eps2 == F(ref[2], 4)
    assert epsinf == F(ref[INF], 2)
    assert elapsed < 10, f"ε for p = 1, 2, ∞ on digits took {elapsed:.1f}s"


# ----------------------------------------------------------------------------- margins
# The margins below are what make the fast paths exact; these cases fail without them.


def test_rounded_linf_margin_is_needed() -> None:
    # bits = 1 and max|x| = 2 give scale 1: n = round(x). The pair (0.495, 0.505) is the true
    # minimum (0.01) but rounds to (0, 1), proxy 1; pairs rounding to equal integers have proxy 0.
    xs = [F("0.1"), F("0.45"), F("0.495"), F("0.505"), F(2)]
    pts = [(v,) for v in xs]
    labels = [1, 2, 1, 2, 1]
    assert closest_pair(pts, labels, INF, strategy="rounded", bits=1)[2] == F(1, 100)
    assert closest_pair(pts, labels, 1, strategy="maxproxy", bits=1)[2] == F(1, 100)


def test_rounded_minkowski_margin_is_needed() -> None:
    # ℓ2 on the same grid: (0.495, 0.495) vs (0.505, 0.505) has proxy 1 + 1 = 2, exact 2/10^4;
    # (0.1, 0.1) vs (0.495, 0.495) has proxy 0 but exact 2·0.395².
    pts = [(F("0.1"),) * 2, (F("0.495"),) * 2, (F("0.505"),) * 2, (F(2),) * 2]
    labels = [2, 1, 2, 1]
    assert closest_pair(pts, labels, 2, strategy="rounded", bits=1)[2] == F(2, 10**4)
    assert closest_pair(pts, labels, 3, strategy="rounded", bits=1)[2] == 2 * F(1, 100) ** 3


@pytest.mark.parametrize("p", [1, 2, 3, 7, INF])
def test_float_proxy_error_bound_holds(p: float) -> None:
    """|S − v| <= R·v + A for the float proxy's own computed S, v exact, on awkward data."""
    from certify.separation import _float_proxy

    rng = np.random.default_rng(11)
    X = rng.normal(size=(40, 5)) * np.exp2(rng.integers(-40, 40, size=(40, 5)))
    X[:5] = 1 + rng.integers(0, 8, size=(5, 5)) * 2.0**-52  # near-cancellation
    X[5:10] = rng.normal(size=(5, 5)) * 2.0**-1060  # subnormals
    pts = [tuple(F(v) for v in row) for row in X.tolist()]
    pn = None if p == INF else int(p)
    proxy = _float_proxy(pts, pn, use_max=False)
    assert proxy is not None and proxy.error is not None
    c, R, A = proxy.error
    rows = np.arange(len(pts))
    S = proxy.block(rows, rows)
    worst = F(0)
    for i in range(len(pts)):
        for j in range(len(pts)):
            diffs = [abs(a - b) for a, b in zip(pts[i], pts[j])]
            v = c * max(diffs) if pn is None else c**pn * sum(t**pn for t in diffs)
            err = abs(F(S[i, j].item()) - v)
            assert err <= R * v + A, (i, j)
            if v > A * 2**60:  # relative error where underflow plays no part
                worst = max(worst, err / v)
    # the bound is not vacuous: rounding errors really occur and R is within a small factor
    if pn not in (None, 1):
        assert 0 < worst <= R < 100 * worst
