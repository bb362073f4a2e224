"""The moderate builder on real data (scikit-learn): error bound ≤ η on every ball, the balls
no other group's band meets are PROVED, and Monte Carlo agrees with the bound."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from bounds.point import Point
from bounds.query import query
from certify.dataset import Dataset
from certify.error import monte_carlo, sound_bound
from certify.run import balls, certify, make_radius
from constructions.moderate import build_moderate


@pytest.mark.parametrize("loader, n, p", [("iris", 30, "2"), ("wine", 30, "inf")])
def test_moderate_builder_on_scikit_learn_data(loader, n, p):
    import sklearn.datasets as skd

    b = getattr(skd, f"load_{loader}")()
    idx = np.linspace(0, len(b.target) - 1, n).astype(int)
    ds = Dataset.from_arrays(b.data[idx], b.target[idx] + 1)
    pv = float("inf") if p == "inf" else F(2)
    # ρ = √(ρ₁ρ₂)-ish, strictly inside the moderate regime for this N and d
    rho = F(1, 5 * ds.d * 4) if p == "inf" else F(1, 8 * (ds.d + 1))
    assert query(Point(ds.N, ds.d, rho, pv)).regime == "moderate"
    rad = make_radius(ds, p, rho=rho)
    eta = F(1, 10)
    net, rep = build_moderate(ds, rad.radius_power, rad.p, eta)
    assert all(0 <= e <= eta for e in rep.error_bounds)
    report = certify(net, ds, rad, engine="linear", timeout=2)
    bl = balls(ds, rad)
    for res in report.results:
        if rep.error_bounds[res.index] == 0:
            assert res.status == "PROVED"
        else:
            bound, _, _ = sound_bound(net, bl[res.index], budget=48, timeout=0.5)
            assert bound <= eta  # certify's own sound bound, independent of the builder's
            k_n = monte_carlo(net, bl[res.index], 60, seed=4)
            assert k_n[1] / k_n[0] <= float(rep.error_bounds[res.index]) + 0.08
            assert k_n[1] / k_n[0] <= float(bound) + 0.08
    assert report.counts["PROVED"] >= ds.N // 2
