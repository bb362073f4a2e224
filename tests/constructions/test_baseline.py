"""The baseline bump memorizer: construct, then certify every ball exactly."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from certify.dataset import Dataset
from certify.errors import InputError
from certify.run import certify, make_radius
from constructions.baseline import build_baseline


def random_dataset(seed: int, N: int, d: int) -> Dataset:
    rng = np.random.default_rng(seed)
    while True:
        X = rng.integers(0, 12, size=(N, d))
        y = rng.integers(1, 4, size=N)
        if len({tuple(r) for r in X}) == N and len(set(y.tolist())) >= 2:
            return Dataset.from_arrays(X, y)


@pytest.mark.parametrize("p", ["inf", "1", "2"])
@pytest.mark.parametrize("seed", range(3))
def test_baseline_is_proved_on_every_ball(p, seed):
    ds = random_dataset(seed, 12, 3)
    pn = None if p == "inf" else int(p)
    # the largest ρ the baseline supports: its box radius must stay below ε_∞
    rad = make_radius(ds, p, mu=ds.epsilon_inf() * F(9, 10))
    net, rep = build_baseline(ds, rad.radius_power, pn)
    assert rep.params == net.num_params() and rep.depth == 4
    for x, y in zip(ds.X, ds.y):
        assert net.evaluate(x) == y
    report = certify(net, ds, rad, engine="linear", timeout=60)
    assert report.counts == {"PROVED": ds.N, "REFUTED": 0, "UNKNOWN": 0}
    # and it is not vacuous: twice the radius breaks some ball (the bumps end at ε_∞)
    big = make_radius(ds, p, mu=ds.epsilon_inf() * 2)
    assert certify(net, ds, big, engine="linear", timeout=60).counts["REFUTED"] > 0


def test_baseline_refuses_radii_it_cannot_serve():
    ds = random_dataset(0, 6, 2)
    with pytest.raises(InputError, match="smaller rho"):
        build_baseline(ds, ds.epsilon_inf(), None)
