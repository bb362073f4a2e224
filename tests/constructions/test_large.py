"""The large-regime builder: construct, certify every ball, and evaluate it independently."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest

from certify.dataset import Dataset
from certify.errors import InputError
from certify.run import certify, make_radius
from constructions.large import build_large, support


def random_dataset(seed: int, N: int, d: int, classes: int = 3, spread: int = 20) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.integers(-spread, spread + 1, size=(N, d))
    y = rng.integers(1, classes + 1, size=N)
    y[0], y[1] = 1, 2
    return Dataset.from_arrays(X, y)


def norm_power(v: list[F], p: int | None) -> F:
    if p is None:
        return max(abs(t) for t in v)
    return sum(abs(t) ** p for t in v)


def inside_points(x, rp: F, p: int | None, rng, count: int = 12) -> list[list[F]]:
    """Exact points strictly inside the open ball, many of them very close to its boundary
    (an evaluator independent of the certifier: plain exact arithmetic)."""
    d = len(x)
    out = []
    for k in range(count):
        v = [F(int(t)) for t in rng.integers(-9, 10, size=d)]
        if k < 2 and p is None:  # the box corners, the ℓ∞ ball's hardest points
            v = [F(1 if rng.random() < 0.5 else -1) for _ in range(d)]
        if not any(v):
            continue
        nv = norm_power(v, p)
        # scale t with ‖t·v‖ just below μ: t^p·‖v‖_p^p < μ^p (t·‖v‖∞ < μ for p = ∞)
        t = F(1)
        target = rp * (1 - F(1, 1 << 12)) if p is not None else rp * (1 - F(1, 1 << 12))
        lo, hi = F(0), F(1 << 20)
        for _ in range(60):  # bisection on t, exact
            t = (lo + hi) / 2
            val = t * nv if p is None else t**p * nv
            if val < target:
                lo = t
            else:
                hi = t
        t = lo
        xp = [a + t * b for a, b in zip(x, v)]
        diff = [a - b for a, b in zip(xp, x)]
        assert norm_power(diff, p) < rp
        out.append(xp)
    return out


def all_proved(net, ds, rad) -> None:
    report = certify(net, ds, rad, engine="linear", timeout=60)
    assert report.counts == {"PROVED": ds.N, "REFUTED": 0, "UNKNOWN": 0}


def size_formula(d: int, m: int, C1: int, F_list: list[int]) -> int:
    total = (d + 1) * m
    first = True
    for f in F_list:
        n_in = m if first else m + C1 + 1
        total += (n_in + 1) * (m + C1 + f) + (m + C1 + f + 1) * (m + C1 + 1)
        first = False
    return total + (m + C1 + 2) * C1 + C1 + 1


@pytest.mark.parametrize("p", ["inf", "1", "2", "3"])
@pytest.mark.parametrize("rho", ["1/2", "9/10", "99/100"])
def test_large_builder_is_proved_and_exact_near_the_boundary(p, rho):
    ds = random_dataset(11, 16, 3)
    rad = make_radius(ds, p, rho=rho)
    net, rep = build_large(ds, rad.radius_power, rad.p)
    all_proved(net, ds, rad)
    rng = np.random.default_rng(5)
    for x, y in zip(ds.X, ds.y):
        for xp in inside_points(list(x), rad.radius_power, rad.p, rng, 6):
            assert net.evaluate(xp) == y
    C1 = len(ds.classes) - 1
    assert net.num_params() == size_formula(ds.d, rep.m, C1, rep.facets)
    assert net.depth == 2 * rep.blocks + 3
    assert rep.blocks == sum(1 for t in ds.y if t != rep.majority_label)


@pytest.mark.parametrize("seed, N, d, classes", [(0, 24, 2, 2), (1, 30, 5, 4), (2, 20, 8, 3)])
def test_large_builder_random_datasets_l2_and_linf(seed, N, d, classes):
    ds = random_dataset(seed, N, d, classes)
    for p in ("2", "inf"):
        rad = make_radius(ds, p, rho=F(19, 20))
        net, rep = build_large(ds, rad.radius_power, rad.p)
        assert rep.projection == "none" and rep.m == d
        all_proved(net, ds, rad)


def test_large_builder_fails_just_outside_its_contract():
    """The same network is not robust at a larger radius: the certifier finds a
    counterexample in some ball once the radius passes ε (balls of two labels touch)."""
    ds = Dataset.from_arrays(np.array([[0, 0], [4, 0], [0, 9]]), np.array([1, 2, 1]))
    rad = make_radius(ds, "inf", rho=F(1, 2))
    net, _ = build_large(ds, rad.radius_power, rad.p)
    all_proved(net, ds, rad)
    bigger = make_radius(ds, "inf", mu=F(21, 10))  # ε∞ = 2: the balls of 0 and 1 overlap
    report = certify(net, ds, bigger, engine="linear", timeout=60)
    assert report.counts["REFUTED"] >= 1


def test_large_builder_refuses_radii_at_or_beyond_epsilon():
    ds = Dataset.from_arrays(np.array([[0, 0], [4, 0], [0, 9]]), np.array([1, 2, 1]))
    with pytest.raises(InputError, match="too close"):
        build_large(ds, F(2), None)  # μ = ε∞ = 2: the two balls touch


def test_support_function_bounds():
    u = [3, -4, 0]
    assert support(None, F(1, 2), u) == F(7, 2)  # ℓ∞ ball: μ‖u‖₁
    assert support(1, F(1, 2), u) == 2  # ℓ1 ball: μ‖u‖∞
    h2 = support(2, F(1, 4), u)  # μ = 1/2: μ‖u‖₂ = 5/2, a rational upper bound
    assert F(5, 2) <= h2 < F(5, 2) + F(1, 10**12)
    h3 = support(3, F(1, 8), u)  # μ = 1/2, dual exponent 3/2
    exact = 0.5 * (3**1.5 + 4**1.5) ** (2 / 3)
    assert exact <= float(h3) < exact * (1 + 1e-6)


def test_exact_span_projection_when_d_at_least_N():
    rng = np.random.default_rng(3)
    X = rng.integers(-5, 6, size=(6, 12))
    ds = Dataset.from_arrays(X, np.array([1, 2, 1, 2, 1, 2]))
    rad = make_radius(ds, "2", rho=F(1, 2))
    net, rep = build_large(ds, rad.radius_power, rad.p)
    assert rep.projection == "span" and rep.m <= ds.N - 1
    all_proved(net, ds, rad)


@pytest.mark.parametrize("p", ["2", "inf"])
def test_random_projection_is_seeded_and_certified(p):
    rng = np.random.default_rng(4)
    X = rng.integers(-30, 31, size=(10, 24))
    ds = Dataset.from_arrays(X, np.array([1, 2] * 5))
    rho = F(1, 5) if p == "2" else F(1, 25)  # ℓ∞ builds at ρ' = √d·ρ (KMY C.11)
    rad = make_radius(ds, p, rho=rho)
    net, rep = build_large(ds, rad.radius_power, rad.p, project="random", seed=9, m=12)
    assert rep.projection == "random" and rep.m == 12 and rep.seed is not None
    all_proved(net, ds, rad)
    net2, rep2 = build_large(ds, rad.radius_power, rad.p, project="random", seed=9, m=12)
    assert net2 == net and rep2.seed == rep.seed  # deterministic given the seed


REAL = [("iris", 50, "2"), ("wine", 40, "inf"), ("breast_cancer", 30, "2"), ("digits", 16, "inf")]
REAL_FULL = [("iris", 150, "2"), ("iris", 150, "inf"), ("wine", 178, "2"), ("digits", 40, "2")]


@pytest.mark.parametrize(
    "loader, n, p", REAL + [pytest.param(*c, marks=pytest.mark.slow) for c in REAL_FULL]
)
def test_large_builder_on_scikit_learn_datasets(loader, n, p):
    import sklearn.datasets as skd

    b = getattr(skd, f"load_{loader}")()
    idx = np.linspace(0, len(b.target) - 1, n).astype(int)
    ds = Dataset.from_arrays(b.data[idx], b.target[idx] + 1)  # iris: the duplicate is merged
    rad = make_radius(ds, p, rho=F(9, 10))
    net, rep = build_large(ds, rad.radius_power, rad.p)
    all_proved(net, ds, rad)


# ------------------------------------------------------------------------------ KMY B.14 cases


def test_paper_cases_and_case_v_dimension():
    from constructions.large import paper_case_v_m, paper_large_case, paper_large_m

    r2 = F(1, 16)
    assert paper_large_case(100, 50, F(1, 9))[0] == "I"
    assert paper_large_case(10**4, 100, r2)[0] == "II"  # d < 600 ln N
    assert paper_large_case(100, 10**4, r2) == ("III", None)  # N < 600 ln N <= d
    case, m = paper_large_case(10**4, 6000, r2)
    assert case == "IV" and m == paper_large_m(10**4, 6000, r2) == math.ceil(600 * math.log(1e4))
    for N in (6000, 20000):
        for d in (4 * N, 8 * N):
            case, m = paper_large_case(N, d, r2)
            # case V: m from N (max{⌈9Nρ²⌉, ⌈600 ln N⌉}), the same for every d > N
            assert case == "V" and m == paper_case_v_m(N, r2)
            assert m == max(math.ceil(9 * N / 16), math.ceil(600 * math.log(N)))
    assert paper_large_m(20000, 80000, r2) == 45000 > paper_case_v_m(20000, r2) == 11250


def case_v_dataset(N: int, d: int) -> Dataset:
    rng = np.random.default_rng([7, N, d])
    X = rng.integers(-20, 21, size=(N, d))
    y = rng.integers(1, 4, size=N)
    y[0], y[1] = 1, 2
    return Dataset.from_arrays(X, y)


def test_case_v_auto_projects_to_m_from_n_and_is_proved(monkeypatch):
    """Case V needs N >= 600 ln N (N >= 5,300): with the case constant patched to 1 the auto
    case logic takes its branch at N = 16, d = 4N: span, then random to m = ⌈9Nρ²⌉ = 9."""
    import constructions.large as large

    monkeypatch.setattr(large, "CASE_LN", 1)
    N, d = 16, 64
    ds = case_v_dataset(N, d)
    rad = make_radius(ds, "2", rho=F(1, 4))
    net, rep = build_large(ds, rad.radius_power, rad.p, seed=3)
    m = large.paper_case_v_m(N, rad.radius_power / ds.epsilon_power(2))
    assert rep.projection == "span+random" and rep.m == m == 9
    assert any("case V" in n for n in rep.notes)
    assert rep.stages["projection"] == (d + 1) * rep.m
    for x, y in zip(ds.X, ds.y):
        assert net.evaluate(x) == y
    all_proved(net, ds, rad)


def test_case_v_size_grows_through_the_first_layer_only():
    """At d = 4N and 8N the span-then-random network has the same m (from N); only the first
    layer (d+1)m grows with d; the case-IV choice m = ⌈9dρ²⌉ would be far larger."""
    N, rho = 16, F(1, 4)
    sizes = {}
    for d in (4 * N, 8 * N):
        ds = case_v_dataset(N, d)
        rad = make_radius(ds, "2", rho=rho)
        m = math.ceil(9 * N * rho**2)
        net, rep = build_large(ds, rad.radius_power, 2, project="span-random", seed=1, m=m)
        assert rep.projection == "span+random" and rep.m == m
        assert rep.stages["projection"] == (d + 1) * m
        for x, y in zip(ds.X, ds.y):
            assert net.evaluate(x) == y
        sizes[d] = (net.num_params(), rep.stages["blocks"])
        old, orep = build_large(
            ds, rad.radius_power, 2, project="random", seed=1, m=math.ceil(9 * d * rho**2)
        )
        assert old.num_params() > 3 * net.num_params()
    (p4, b4), (p8, b8) = sizes[4 * N], sizes[8 * N]
    assert b8 < 1.5 * b4 and p8 < 1.5 * p4  # blocks: Õ(N m²), independent of d
