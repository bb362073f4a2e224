"""The small-regime builder: construct, then certify every ball exactly (ℓ∞, ℓ1, ℓ2)."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest

from certify.dataset import Dataset
from certify.errors import InputError
from certify.run import certify, make_radius
from constructions.small import build_small


def random_dataset(seed: int, N: int, d: int) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 10, size=(N, d))
    y = rng.integers(1, 4, size=N)
    y[0], y[1] = 1, 2  # two classes at least
    return Dataset.from_arrays(X, y)


def rho_small(N: int, d: int) -> F:
    """A rational ρ below ρ₁ = 1/(5N√d)."""
    return F(1, 5 * N * (math.isqrt(d) + 1))


@pytest.mark.parametrize("p", ["inf", "1", "2"])
@pytest.mark.parametrize("seed, N, d", [(0, 6, 2), (1, 12, 3), (2, 20, 4)])
def test_small_builder_is_proved_on_every_ball(p, seed, N, d):
    ds = random_dataset(seed, N, d)
    rad = make_radius(ds, p, rho=rho_small(ds.N, ds.d))
    net, rep = build_small(ds, rad.radius_power, rad.p)
    for x, y in zip(ds.X, ds.y):
        assert net.evaluate(x) == y
    assert rep.gamma > 0 and rep.margin >= F(1, 3 * ds.N)
    report = certify(net, ds, rad, engine="linear", timeout=60)
    assert report.counts == {"PROVED": ds.N, "REFUTED": 0, "UNKNOWN": 0}


def test_small_builder_on_iris_subset():
    from sklearn.datasets import load_iris

    iris = load_iris()
    idx = list(range(0, 150, 10))  # 15 points, all three classes
    ds = Dataset.from_arrays(np.round(iris.data[idx] * 10).astype(int), iris.target[idx] + 1)
    rad = make_radius(ds, "2", rho=rho_small(ds.N, ds.d))
    net, _ = build_small(ds, rad.radius_power, rad.p)
    report = certify(net, ds, rad, engine="linear", timeout=60)
    assert report.counts["PROVED"] == ds.N


def test_small_builder_refuses_large_radii():
    ds = random_dataset(3, 8, 2)
    rad = make_radius(ds, "inf", rho=F(1, 2))
    with pytest.raises(InputError, match="smaller rho"):
        build_small(ds, rad.radius_power, rad.p)


@pytest.mark.parametrize("p", ["2", "inf"])
@pytest.mark.parametrize("memorizer", ["plain", "sqrt"])
def test_small_builder_with_adaptive_projection_and_both_memorizers(p, memorizer):
    rng = np.random.default_rng(4)
    N, d = 10, 24
    ds = Dataset.from_arrays(rng.integers(-30, 31, size=(N, d)), np.array([1, 2] * 5))
    rho = rho_small(N, d) if p == "2" else F(1, 5 * N * d + 1)  # ℓ∞: ρ ≤ 1/(5N√d·√d)
    rad = make_radius(ds, p, rho=rho)
    net, rep = build_small(
        ds, rad.radius_power, rad.p, project="adaptive", memorizer=memorizer, seed=3
    )
    assert rep.m < d and rep.memorizer == memorizer and rep.seed is not None
    report = certify(net, ds, rad, engine="linear", timeout=60)
    assert report.counts == {"PROVED": N, "REFUTED": 0, "UNKNOWN": 0}
    again, rep2 = build_small(
        ds, rad.radius_power, rad.p, project="adaptive", memorizer=memorizer, seed=3
    )
    assert again == net and rep2.seed == rep.seed  # the seed determines the network


def test_small_builder_auto_memorizer_picks_the_smaller_exact_size():
    from constructions.integer_memorizer import plain_params

    ds = random_dataset(5, 12, 2)
    rad = make_radius(ds, "inf", rho=F(1, 5 * 12 * 2 + 1))
    sizes = {}
    for mem in ("plain", "sqrt"):
        _, rep = build_small(ds, rad.radius_power, rad.p, memorizer=mem)
        sizes[mem] = rep.stages["memorizer"]
    assert sizes["plain"] == plain_params(rep.keys)
    _, auto = build_small(ds, rad.radius_power, rad.p, memorizer="auto")
    assert auto.memorizer == min(sizes, key=sizes.get)


def test_small_builder_on_a_digits_subset_with_adaptive_projection():
    from sklearn.datasets import load_digits

    dig = load_digits()
    idx = list(range(0, 200, 10))  # 20 images, d = 64
    ds = Dataset.from_arrays(dig.data[idx].astype(int), dig.target[idx] + 1)
    rad = make_radius(ds, "2", rho=rho_small(ds.N, ds.d))
    net, rep = build_small(ds, rad.radius_power, rad.p, project="adaptive", seed=1)
    assert rep.m < ds.d
    report = certify(net, ds, rad, engine="linear", timeout=60)
    assert report.counts["PROVED"] == ds.N


def test_small_builder_rejects_unknown_options():
    ds = random_dataset(3, 8, 2)
    rad = make_radius(ds, "inf", rho=F(1, 1000))
    with pytest.raises(InputError, match="project"):
        build_small(ds, rad.radius_power, rad.p, project="span")
    with pytest.raises(InputError, match="memorizer"):
        build_small(ds, rad.radius_power, rad.p, memorizer="huge")


@pytest.mark.parametrize("loader, n, p", [("wine", 30, "2"), ("breast_cancer", 24, "inf")])
def test_small_builder_on_scikit_learn_datasets(loader, n, p):
    import sklearn.datasets as skd

    b = getattr(skd, f"load_{loader}")()
    idx = np.linspace(0, len(b.target) - 1, n).astype(int)
    ds = Dataset.from_arrays(b.data[idx], b.target[idx] + 1)
    rho = rho_small(ds.N, ds.d) if p == "2" else F(1, 5 * ds.N * ds.d + 1)
    rad = make_radius(ds, p, rho=rho)
    net, rep = build_small(ds, rad.radius_power, rad.p, project="adaptive", seed=2)
    report = certify(net, ds, rad, engine="linear", timeout=60)
    assert report.counts == {"PROVED": ds.N, "REFUTED": 0, "UNKNOWN": 0}


@pytest.mark.parametrize("p", ["2", "inf"])
def test_small_builder_with_the_sqrt_memorizer_is_proved_on_every_ball(p):
    """The lean √N memorizer (deep, narrow, wide dyadic weights) behind the small builder: at
    N = 200, d = 2 the formula picks s > 1 (several keys per group), and every ball is PROVED."""
    rng = np.random.default_rng(11)
    N, d = 200, 2
    flat = rng.choice(40 * 40, size=N, replace=False)
    X = np.stack(np.unravel_index(flat, (40, 40)), axis=1)
    y = rng.integers(1, 4, size=N)
    y[0], y[1] = 1, 2
    ds = Dataset.from_arrays(X, y)
    rad = make_radius(ds, p, rho=rho_small(N, d) / (2 if p == "inf" else 1))
    net, rep = build_small(ds, rad.radius_power, rad.p, memorizer="sqrt")
    assert rep.memorizer == "sqrt" and net.depth > 20  # s > 1: a stream of delta and label bits
    report = certify(net, ds, rad, engine="linear", timeout=60)
    assert report.counts == {"PROVED": N, "REFUTED": 0, "UNKNOWN": 0}
    _, auto = build_small(ds, rad.radius_power, rad.p, memorizer="auto")
    assert auto.memorizer == "sqrt"  # far smaller than 12N + 1 here
