"""Integer memorizers: exact values on keys, on non-key integers and within the 1/4 margin;
certified balls (PROVED on keys and non-keys, REFUTED across two keys); size formulas and
the √N parameter growth of sqrt_memorizer."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest

from certify.ball import Ball
from certify.errors import InputError
from certify.run import check_one
from constructions.gadgets import affine, compose, to_network
from constructions.integer_memorizer import (
    plain_memorizer,
    plain_params,
    sqrt_layout,
    sqrt_memorizer,
    sqrt_widths,
)

TIMEOUT = 30


def data(n: int, bits: int, seed: int, max_label: int = 9):
    rng = random.Random(seed)
    keys = rng.sample(range(-(2**bits), 2**bits), n)
    return keys, [rng.randrange(0, max_label + 1) for _ in keys]


def status(g, center: int, label: int, shift: int, radius=F(1, 4)) -> str:
    net = to_network(compose(g, affine([[1]], [shift])))
    ball = Ball((F(center),), label + shift, None, radius)
    return check_one(net, ball, engine="linear", timeout=TIMEOUT).status


def check_values(g, keys, labels, offsets=(0, F(1, 4), -F(1, 4), F(1, 9))) -> None:
    ks = set(keys)
    for k, y in zip(keys, labels):
        for dz in offsets:
            assert g.evaluate([k + dz]) == (y,), (k, dz)
    non = sorted({n for k in keys for n in (k - 1, k + 1, k + 3) if n not in ks})
    non += [min(keys) - 10**6, max(keys) + 10**6]
    for n in non:
        for dz in offsets[:2]:
            assert g.evaluate([n + dz]) == (0,), n


# ------------------------------------------------------------------------------------ plain


@pytest.mark.parametrize("n,bits", [(1, 3), (7, 4), (40, 40)])
def test_plain_values_and_size(n, bits):
    keys, labels = data(n, bits, n, max_label=5)
    labels = [y - 2 for y in labels]  # plain accepts any integer labels
    g = plain_memorizer(keys, labels)
    check_values(g, keys, labels)
    assert (g.depth, g.width, g.params) == (2, 4 * n, plain_params(n))
    net = to_network(g)
    assert net.num_params() == g.params


def test_plain_consecutive_keys_and_ramp():
    keys, labels = [0, 1, 2, 5], [3, 7, 3, 1]
    g = plain_memorizer(keys, labels)
    check_values(g, keys, labels)
    assert g.evaluate([2 + F(3, 4)]) == (0,)  # distance 3/4 from key 2, > 3/4 from others
    assert g.evaluate([F(1, 2)]) == (5,)  # ramps: halfway between labels 3 and 7


def test_plain_certified():
    keys, labels = [0, 1, 2, 5, 2**40], [3, 7, 3, 1, 4]
    g = plain_memorizer(keys, labels)
    for k, y in zip(keys, labels):
        assert status(g, k, y, 0) == "PROVED"
    for n in (3, 4, -1, 2**40 - 1):
        assert status(g, n, 0, 1) == "PROVED"  # f + 1 = 1 on non-keys
    assert status(g, 0, 3, 0, radius=F(3, 4)) == "REFUTED"  # reaches key 1 (label 7)


# ------------------------------------------------------------------------------------- sqrt


@pytest.mark.parametrize("n,bits", [(1, 2), (2, 40), (5, 6), (10, 5)])
def test_sqrt_values(n, bits):
    keys, labels = data(n, bits, 100 + n)
    g = sqrt_memorizer(keys, labels)
    check_values(g, keys, labels)


def test_sqrt_consecutive_keys_padding_and_zero_labels():
    keys, labels = [3, 4, 5, 6, 7, 9, 0], [0, 2, 0, 1, 6, 6, 5]  # N=7: s=3, g=3, padded
    g = sqrt_memorizer(keys, labels)
    check_values(g, keys, labels)
    assert [g.evaluate([n])[0] for n in range(-3, 13)] == [
        dict(zip(keys, labels)).get(n, 0) for n in range(-3, 13)
    ]


def test_sqrt_large_keys_some_points():
    keys, labels = data(16, 40, 7)
    g = sqrt_memorizer(keys, labels)
    check_values(g, keys[:5], labels[:5], offsets=(0, F(1, 4)))


def test_sqrt_rejects():
    with pytest.raises(InputError):
        sqrt_memorizer([1, 2], [0, -1])
    with pytest.raises(InputError):
        sqrt_memorizer([1, 1], [0, 1])
    with pytest.raises(InputError):
        plain_memorizer([1], [0, 1])


def test_sqrt_certified():
    keys, labels = [0, 1, 2, 5, 9], [3, 7, 0, 1, 4]
    g = sqrt_memorizer(keys, labels)
    for k, y in zip(keys, labels):
        assert status(g, k, y, 1) == "PROVED"
    for n in (3, 4, -1, 6, 20):
        assert status(g, n, 0, 1) == "PROVED"
    assert status(g, 0, 3, 1, radius=F(3, 4)) == "REFUTED"


def test_sqrt_certified_large_keys():
    keys, labels = data(6, 40, 3)
    g = sqrt_memorizer(keys, labels)
    for k, y in list(zip(keys, labels))[:3]:
        assert status(g, k, y, 1) == "PROVED"
        assert status(g, k + 1, 0, 1) == "PROVED"


def sqrt_depth(lay) -> int:
    s, g, B, L = lay["s"], lay["g"], lay["B"], lay["L"]
    return g + 1 + s * (max(B, L) + 2)


@pytest.mark.parametrize("n,bits", [(1, 40), (3, 1), (16, 40), (8, 3), (64, 40), (256, 40)])
def test_sqrt_size_formulas(n, bits):
    keys, labels = data(n, bits, n, max_label=2 if bits < 10 else 9)
    lay = sqrt_layout(keys, labels)
    g = sqrt_memorizer(keys, labels)
    assert g.depth == sqrt_depth(lay)
    assert g.width <= 16
    s, B, L = lay["s"], lay["B"], lay["L"]
    w = sqrt_widths(s, lay["g"], B, L)
    assert g.widths == w
    assert g.params == sum((a + 1) * b for a, b in zip(w, w[1:]))
    assert g.params <= 80 * lay["g"] + 300 * s * (max(B, L) + 3)
    assert to_network(g).num_params() == g.params


def test_sqrt_params_grow_like_sqrt_n():
    p = []
    for n in (16, 64, 256, 1024):
        keys, labels = data(n, 40, n)
        p.append(sqrt_memorizer(keys, labels).params)
    ratios = [b / a for a, b in zip(p, p[1:])]
    assert all(1.7 <= r <= 2.3 for r in ratios), (p, ratios)
    # plain is 12N + 1: with B = 41 key bits the constants (≈ 270·s·(B+2)) put the
    # crossover near N ≈ 5·10^5; below it the plain memorizer is smaller
    assert p[-1] > plain_params(1024)
