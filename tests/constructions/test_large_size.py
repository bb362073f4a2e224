"""The large builder's documented size formula (``constructions.large.large_size``, the module
docstring's P) is the built network's ``num_params()`` — projections, ℓp norms, 2–4 classes —
and ``auto``'s lower bound of it is the same formula with every facet count 1."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from certify.dataset import Dataset
from certify.errors import InputError
from certify.run import make_radius
from constructions.build import _large_size_lower
from constructions.large import build_large, large_size, large_widths


def dataset(seed: int, N: int, d: int, classes: int) -> Dataset:
    rng = np.random.default_rng([seed, N, d, classes])
    X = rng.integers(-20, 21, size=(N, d))
    y = rng.integers(1, classes + 1, size=N)
    y[: min(classes, N)] = np.arange(1, min(classes, N) + 1)
    return Dataset.from_arrays(X, y)


CASES = [
    # seed, N, d, classes, p, rho, build_large kwargs
    (0, 20, 3, 3, "2", F(1, 2), {}),
    (1, 24, 2, 2, "inf", F(1, 3), {}),
    (2, 16, 4, 4, "1", F(3, 5), {}),
    (3, 12, 20, 3, "2", F(1, 4), {}),  # d ≥ N: the span projection
    (4, 18, 6, 3, "2", F(1, 3), {"project": "random", "m": 4, "seed": 2}),
    (5, 10, 3, 2, "2", F(9, 10), {}),
]


@pytest.mark.parametrize("seed, N, d, classes, p, rho, kw", CASES)
def test_documented_formula_is_the_built_count(seed, N, d, classes, p, rho, kw):
    ds = dataset(seed, N, d, classes)
    rad = make_radius(ds, p, rho=rho)
    net, rep = build_large(ds, rad.radius_power, rad.p, **kw)
    c1 = len(ds.classes) - 1
    assert len(rep.facets) == rep.blocks >= 1
    assert large_widths(d, rep.m, c1, rep.facets) == net.widths
    assert large_size(d, rep.m, c1, rep.facets) == net.num_params()
    assert sum(rep.stages.values()) == net.num_params()
    if "project" not in kw:  # auto's bound: the same formula with every F_k = 1
        low = _large_size_lower(ds, rad, "auto")
        if rep.projection == "none":
            assert low == large_size(d, d, c1, [1] * rep.blocks)
        assert low <= net.num_params()


def test_the_old_docstring_formula_undercounted():
    """The docstring read every layer A from m + C' + 1 inputs (block 1 reads m, the later
    ones m + C' + 2) and the clip layer from m + C' + 1 (it reads m + C' + 2)."""
    ds = dataset(0, 20, 3, 3)
    rad = make_radius(ds, "2", rho=F(1, 2))
    net, rep = build_large(ds, rad.radius_power, rad.p)
    m, c = rep.m, len(ds.classes) - 1
    old = (ds.d + 1) * m + sum(
        (m + c + 1) * (m + c + f) + (m + c + f + 1) * (m + c + 1) for f in rep.facets
    )
    old += (m + c + 1) * c + c + 1
    assert old < net.num_params() == large_size(ds.d, m, c, rep.facets)


def test_large_size_refuses_empty_plans():
    with pytest.raises(InputError):
        large_size(3, 3, 1, [])
    with pytest.raises(InputError):
        large_widths(3, 3, 0, [2])
