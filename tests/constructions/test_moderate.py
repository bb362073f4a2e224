"""The moderate-regime builder: exact where no other group's band meets a ball, error ≤ η."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from bounds.point import Point
from bounds.query import query
from certify.dataset import Dataset
from certify.error import monte_carlo, sound_bound
from certify.errors import InputError
from certify.run import balls, certify, make_radius
from constructions.moderate import build_moderate


def dataset(seed: int, N: int = 40, d: int = 2) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.integers(-40, 41, size=(N, d))
    y = rng.integers(1, 4, size=N)
    y[0], y[1] = 1, 2
    return Dataset.from_arrays(X, y)


@pytest.mark.parametrize("p, rho", [("2", F(1, 40)), ("inf", F(1, 60))])
@pytest.mark.parametrize("seed", [0, 1])
def test_moderate_builder_is_exact_off_the_bands_and_within_eta(p, rho, seed):
    ds = dataset(seed)
    pv = float("inf") if p == "inf" else F(2)
    assert query(Point(ds.N, ds.d, rho, pv)).regime == "moderate"
    rad = make_radius(ds, p, rho=rho)
    eta = F(1, 10)
    # the paper's grouping (several groups here; the default picks the one-group cover)
    net, rep = build_moderate(ds, rad.radius_power, rad.p, eta, grouping="paper")
    assert (
        rep.grouping == "paper" and rep.groups > 1 and all(0 <= e <= eta for e in rep.error_bounds)
    )
    report = certify(net, ds, rad, engine="linear", timeout=2)
    assert report.counts["REFUTED"] + report.counts["UNKNOWN"] <= sum(
        1 for e in rep.error_bounds if e > 0
    )
    for res in report.results:  # a ball no foreign band meets is exact, hence PROVED
        if rep.error_bounds[res.index] == 0:
            assert res.status == "PROVED"
    bl = balls(ds, rad)
    for res in report.results:  # the others: certify's sound bound ≤ η, Monte Carlo agrees
        if res.status != "PROVED":
            bound, _, _ = sound_bound(net, bl[res.index], budget=48, timeout=0.5)
            assert bound <= eta
            n, k = monte_carlo(net, bl[res.index], 150, seed=3)
            assert k / n <= float(rep.error_bounds[res.index]) + 0.05
            assert k / n <= float(bound) + 0.05


def test_moderate_builder_smaller_eta_gives_thinner_bands():
    ds = dataset(2)
    rad = make_radius(ds, "2", rho=F(1, 40))
    _, coarse = build_moderate(ds, rad.radius_power, rad.p, F(1, 4), grouping="paper")
    _, fine = build_moderate(ds, rad.radius_power, rad.p, F(1, 400), grouping="paper")
    assert max(fine.gammas) <= max(coarse.gammas)
    assert fine.max_error_bound <= F(1, 400) and fine.bits == coarse.bits


def test_moderate_builder_refuses_bad_input():
    ds = dataset(3)
    rad = make_radius(ds, "2", rho=F(1, 40))
    with pytest.raises(InputError, match="eta"):
        build_moderate(ds, rad.radius_power, rad.p, F(3, 2))
    with pytest.raises(InputError, match="p = 2"):
        build_moderate(ds, rad.radius_power, 1)


@pytest.mark.parametrize("p, rho", [("2", F(1, 40)), ("inf", F(1, 60))])
def test_moderate_threshold_variant_is_proved_on_every_ball(p, rho):
    ds = dataset(0)
    rad = make_radius(ds, p, rho=rho)
    net, rep = build_moderate(ds, rad.radius_power, rad.p, threshold=True, grouping="paper")
    assert net.has_step and rep.groups > 1 and rep.max_error_bound == 0
    # the bit-by-bit step floor (12n − 7 params) is smaller than the ramped ReLU floor
    # (20n − 13), and the groups run one after another as in the ReLU design
    relu, _ = build_moderate(ds, rad.radius_power, rad.p, grouping="paper")
    assert net.depth == relu.depth and net.width <= relu.width
    assert net.num_params() < relu.num_params()
    assert any(isinstance(a, tuple) for a in net.activations)
    report = certify(net, ds, rad, engine="linear", timeout=5)
    assert report.counts["PROVED"] == ds.N


@pytest.mark.parametrize("p, rho", [("2", F(1, 40)), ("inf", F(1, 60))])
def test_auto_in_the_moderate_regime_keeps_the_smaller_of_moderate_and_large(p, rho):
    from constructions.build import construct
    from constructions.large import build_large

    ds = dataset(1)
    rad = make_radius(ds, p, rho=rho)
    net, rep = construct(ds, rad, "auto")
    assert rep["regime"] == "moderate" and rep["method"] in ("moderate", "large")
    pm = build_moderate(ds, rad.radius_power, rad.p, F(1, 10))[0].num_params()
    pl = build_large(ds, rad.radius_power, rad.p)[0].num_params()
    assert rep["params"] == net.num_params() == min(pm, pl)
    assert rep["method"] == ("moderate" if pm < pl else "large")
    assert any(str(pm) in n and str(pl) in n for n in rep["notes"])
