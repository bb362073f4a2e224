"""Integer memorizers: exact values on keys, on non-key integers and within the 1/4 margin
(every integer of the key range and beyond, evaluated exactly by the network and by the
trusted kernel's ``rules.evaluate``); certified balls (PROVED on keys and non-keys, REFUTED
across two keys); the exact size formula of sqrt_memorizer (= the built count) and its
growth and crossover with the plain memorizer."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest

from certify.ball import Ball
from certify.errors import InputError
from certify.kernel import rules
from certify.run import check_one
from constructions.gadgets import affine, compose, to_network
from constructions.integer_memorizer import (
    plain_memorizer,
    plain_params,
    sqrt_layout,
    sqrt_memorizer,
    sqrt_params,
    sqrt_size,
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

OFFSETS = (0, F(1, 4), -F(1, 4), F(1, 9), -F(3, 16))


def exhaustive(g, keys, labels, offsets=OFFSETS, kernel_every: int = 7) -> None:
    """Every integer from min − 3 to max + 3 (and two far ones), at every offset, by the
    network's exact evaluator; every ``kernel_every``-th point also by the kernel's."""
    net = to_network(g)
    want = dict(zip(keys, labels))
    ns = list(range(min(keys) - 3, max(keys) + 4)) + [min(keys) - 10**6, max(keys) + 10**9]
    pts = [(n, dz) for n in ns for dz in offsets]
    got = net.evaluate_many([[n + dz] for n, dz in pts])
    bad = [(n, dz, v) for (n, dz), v in zip(pts, got) if v != want.get(n, 0)]
    assert not bad, bad[:5]
    layers = rules.exact_layers(net)
    for n, dz in pts[::kernel_every]:
        assert rules.evaluate(layers, [rules.exact(n + dz)]) == [want.get(n, 0)], (n, dz)


def check_size(g, lay) -> None:
    assert g.widths == lay.widths == sqrt_widths(lay.s, lay.g, lay.Bd, lay.L, lay.c)
    assert g.params == lay.params == sqrt_params(lay.s, lay.g, lay.Bd, lay.L, lay.c)
    assert to_network(g).num_params() == g.params
    assert g.depth == lay.K + 5 and lay.s * lay.L + (lay.s - 1) * lay.Bd == lay.K
    assert g.width == max(2 * (lay.g + 1), 7 if lay.K > 1 else 6, 2 * max(lay.c, 1))


@pytest.mark.parametrize("n,bits", [(1, 2), (2, 40), (5, 6), (10, 5), (33, 7)])
def test_sqrt_values(n, bits):
    keys, labels = data(n, bits, 100 + n)
    g = sqrt_memorizer(keys, labels)
    check_size(g, sqrt_layout(keys, labels))
    if bits <= 7:
        exhaustive(g, keys, labels)
    else:
        check_values(g, keys, labels)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("s,Bd", [(1, 1), (2, 1), (3, 2), (4, 3), (7, 6), (12, 9)])
def test_sqrt_every_layout_is_exact(seed, s, Bd):
    """Forced layouts (groups cut by size and by gaps >= 2^Bd), labels 0..c with c in
    {1, 3, 9}, keys with negatives, consecutive runs and big gaps: every integer checked."""
    rng = random.Random(1000 * seed + 10 * s + Bd)
    n = rng.randrange(2, 30)
    keys = sorted(rng.sample(range(-40, 40), n // 2) + rng.sample(range(200, 400), n - n // 2))
    c = (1, 3, 9)[seed % 3]
    labels = [rng.randrange(0, c + 1) for _ in keys]
    lay = sqrt_layout(keys, labels, s=s, Bd=Bd)
    assert all(0 <= dl < 2**Bd and dl < 2**Bd for _, grp in lay.groups for dl, _ in grp)
    g = sqrt_memorizer(keys, labels, s=s, Bd=Bd)
    check_size(g, lay)
    exhaustive(g, keys, labels, offsets=(0, F(1, 4), -F(1, 4)), kernel_every=23)


def test_sqrt_consecutive_keys_padding_and_zero_labels():
    keys, labels = [3, 4, 5, 6, 7, 9, 0], [0, 2, 0, 1, 6, 6, 5]
    for s in (1, 3, 7):
        g = sqrt_memorizer(keys, labels, s=s, Bd=2)
        assert [g.evaluate([n])[0] for n in range(-3, 13)] == [
            dict(zip(keys, labels)).get(n, 0) for n in range(-3, 13)
        ]
    g = sqrt_memorizer([5, 6], [0, 0])  # every label 0: the function is 0
    exhaustive(g, [5, 6], [0, 0])


def test_sqrt_large_keys_some_points():
    keys, labels = data(16, 40, 7)
    g = sqrt_memorizer(keys, labels)
    check_values(g, keys, labels, offsets=(0, F(1, 4)))


def test_sqrt_rejects():
    with pytest.raises(InputError):
        sqrt_memorizer([1, 2], [0, -1])
    with pytest.raises(InputError):
        sqrt_memorizer([1, 1], [0, 1])
    with pytest.raises(InputError):
        plain_memorizer([1], [0, 1])
    with pytest.raises(InputError):
        sqrt_layout([1, 2], [0, 1], s=0, Bd=1)


def test_sqrt_certified():
    keys, labels = [0, 1, 2, 5, 9], [3, 7, 0, 1, 4]
    for s, Bd in ((None, None), (2, 2), (5, 3)):
        g = sqrt_memorizer(keys, labels, s=s, Bd=Bd)
        for k, y in zip(keys, labels):
            assert status(g, k, y, 1) == "PROVED"
        for n in (3, 4, -1, 6, 20):
            assert status(g, n, 0, 1) == "PROVED"
        assert status(g, 0, 3, 1, radius=F(3, 4)) == "REFUTED"


def test_sqrt_certified_large_keys():
    keys, labels = data(6, 40, 3)
    g = sqrt_memorizer(keys, labels, s=3, Bd=41)
    for k, y in list(zip(keys, labels))[:3]:
        assert status(g, k, y, 1) == "PROVED"
        assert status(g, k + 1, 0, 1) == "PROVED"


@pytest.mark.parametrize(
    "s,g,Bd,L,c",
    [
        (s, g, Bd, L, c)
        for s in (2, 3, 9)
        for g in (1, 5)
        for Bd in (2, 7)
        for L, c in ((2, 2), (2, 3), (3, 5), (4, 9))
    ],
)
def test_sqrt_closed_form(s, g, Bd, L, c):
    closed = 8 * g + (s - 1) * (20 * Bd + 42 * L + 18) + 42 * L + 8 * c + 1 - (L == 2)
    w = sqrt_widths(s, g, Bd, L, c)
    assert sqrt_params(s, g, Bd, L, c) == closed == sum((a + 1) * b for a, b in zip(w, w[1:]))


@pytest.mark.parametrize("n,bits", [(1, 40), (3, 1), (16, 40), (8, 3), (64, 40), (256, 20)])
def test_sqrt_size_formulas(n, bits):
    keys, labels = data(n, bits, n, max_label=2 if bits < 10 else 9)
    lay = sqrt_layout(keys, labels)
    g = sqrt_memorizer(keys, labels)
    check_size(g, lay)
    assert sqrt_size(keys, labels) == g.params
    # the chosen (s, Bd) is the formula's optimum: no other layout is smaller
    for s in range(1, min(n, 3 * lay.s + 3) + 1):
        for Bd in range(1, bits + 3):
            assert sqrt_layout(keys, labels, s=s, Bd=Bd).params >= lay.params


def test_sqrt_params_grow_like_sqrt_n_and_beat_plain():
    """Keys like the small builder's (a 20-bit range, 3 labels): P ≈ c·√(N·(Bd + L))."""
    p = {}
    for n in (256, 1024, 4096, 16384):
        keys, labels = data(n, 20, n, max_label=3)
        p[n] = sqrt_size(keys, labels)
        if n <= 1024:
            assert sqrt_memorizer(keys, labels).params == p[n]
    ratios = [p[b] / p[a] for a, b in zip(p, list(p)[1:])]
    assert all(1.6 <= r <= 2.3 for r in ratios), (p, ratios)  # ≈ 2 per 4×N
    assert all(p[n] < plain_params(n) for n in p), p
    assert p[4096] < plain_params(4096) / 5, p
