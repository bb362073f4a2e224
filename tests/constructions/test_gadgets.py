"""Gadget contracts: exact evaluation against independently computed functions, exact
certification of the constant-output contracts (PROVED inside, REFUTED across a ramp), and
the stated size formulas."""

from __future__ import annotations

import math
import random
from fractions import Fraction as F

import pytest

from certify.ball import Ball
from certify.errors import InputError
from certify.run import check_one
from constructions.gadgets import (
    affine,
    bit_extract,
    compose,
    floor_gadget,
    floor_params,
    floor_step,
    floor_step_params,
    gate,
    identity_carry,
    interval_indicator,
    max2,
    parallel,
    pl_square,
    to_network,
    triangle,
)

TIMEOUT = 30


def box(lo: F, hi: F) -> tuple[F, F]:
    """Centre and radius of the open interval (lo, hi) as an ℓ∞ ball."""
    return (lo + hi) / 2, (hi - lo) / 2


def status(net, center, radius, label) -> str:
    ball = Ball(tuple(F(c) for c in center), label, None, F(radius))
    return check_one(net, ball, engine="linear", timeout=TIMEOUT).status


def shifted(g, row, shift):
    """Network computing row·g(x) + shift (labels must be integers ≥ 1)."""
    return to_network(compose(g, affine([row], [shift])))


def sizes_match(g) -> None:
    net = to_network(g) if g.out_dim == 1 else None
    if net is not None:
        assert (net.num_params(), net.depth, net.width) == (g.params, g.depth, g.width)


# ------------------------------------------------------------------------------------ floor


def random_points_in_floor_region(rng: random.Random, n: int, gamma: F, count: int) -> list[F]:
    pts = []
    for _ in range(count):
        k = rng.randrange(2**n)
        q = rng.randrange(1, 1000)
        frac = gamma + (1 - gamma) * F(rng.randrange(q), q)  # in [γ, 1)
        pts.append(k + frac)
    return pts


@pytest.mark.parametrize("n,gamma", [(1, F(1, 3)), (3, F(1, 8)), (6, F(1, 100)), (10, F(1, 7))])
def test_floor_exact_on_region(n, gamma):
    g = floor_gadget(n, gamma)
    rng = random.Random(n)
    pts = random_points_in_floor_region(rng, n, gamma, 300)
    pts += [k + gamma for k in range(min(2**n, 64))] + [2**n - F(1, 10**6)]
    for x in pts:
        assert g.evaluate([x]) == (math.floor(x),), x
    net = to_network(g)
    assert [net.evaluate([x]) for x in pts[:50]] == [math.floor(x) for x in pts[:50]]


def test_floor_ramps_below_integers():
    gamma = F(1, 4)
    g = floor_gadget(3, gamma)
    for k in range(1, 8):
        assert g.evaluate([F(k)]) == (k - 1,)  # frac 0: still the lower value
        assert g.evaluate([k + gamma / 2]) == (k - F(1, 2),)  # halfway up the ramp


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12])
def test_floor_sizes(n):
    g = floor_gadget(n, F(1, 5))
    assert g.depth == n + 1
    assert g.width == (3 if n == 1 else 4)
    assert g.params == floor_params(n) == (10 if n == 1 else 20 * n - 13)
    sizes_match(g)


def test_floor_certified():
    n, gamma = 4, F(1, 16)
    net = shifted(floor_gadget(n, gamma), [1], 1)  # label = ⌊x⌋ + 1
    for k in (0, 5, 11, 15):
        c, r = box(k + gamma, F(k + 1))  # frac(x) ∈ (γ, 1) on the open ball
        assert status(net, [c], r, k + 1) == "PROVED"
    big = shifted(floor_gadget(10, F(1, 64)), [1], 1)
    for k in (0, 512, 1000, 1023):
        c, r = box(k + F(1, 64), F(k + 1))
        assert status(big, [c], r, k + 1) == "PROVED"
    assert status(big, [F(700)], F(1, 100), 701) == "REFUTED"
    # straddling the integer 6: the output ramps from 5 to 6 just above it
    assert status(net, [F(6)], gamma / 2, 7) == "REFUTED"
    assert status(net, [F(6)], gamma / 2, 6) == "REFUTED"


# ------------------------------------------------------------------------------ step floor


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_floor_step_exact_everywhere(n):
    g = floor_step(n)
    net = to_network(g)
    rng = random.Random(7 * n)
    eps = F(1, 10**12)
    ints = range(2**n) if n <= 5 else [*range(40), *rng.sample(range(2**n), 40), 2**n - 1]
    pts = [F(k) for k in ints] + [F(k + 1) - eps for k in ints]  # integers, just below them
    pts += [F(k) + eps for k in ints] + [F(k) + F(1, 2) for k in ints]
    pts += [F(rng.randrange(2**n * 1000), 1000) for _ in range(100)]
    pts += [2**n - F(1, 2**40), F(0)]
    want = [math.floor(x) for x in pts]
    assert [g.evaluate([x])[0] for x in pts] == want
    assert net.evaluate_many([[x] for x in pts]) == want
    assert [net.evaluate([x]) for x in pts[:30]] == want[:30]


@pytest.mark.parametrize("n", [1, 2, 3, 6, 10, 20])
def test_floor_step_sizes(n):
    g = floor_step(n)
    assert g.depth == n + 1 and g.width == (2 if n == 1 else 3) <= 3
    assert g.params == floor_step_params(n) == (7 if n == 1 else 12 * n - 7)
    sizes_match(g)
    net = to_network(g)
    assert net.has_step and all(isinstance(a, tuple) for a in net.activations)
    # one step unit per layer (the bit), the others ReLU carries
    assert all(sum(net.step_units(k)) == 1 for k in range(n))


def test_floor_step_certified():
    for n in (3, 10):
        net = shifted(floor_step(n), [1], 1)  # label = ⌊x⌋ + 1
        for k in (0, 1, 5, 2**n - 2, 2**n - 1):
            c, r = box(F(k), F(k + 1))  # the open cell (k, k + 1): no margin needed
            assert status(net, [c], r, k + 1) == "PROVED"
            # a thin ball just above the integer k, where a ramped floor would not be exact
            assert status(net, [k + F(1, 10**6)], F(1, 10**6), k + 1) == "PROVED"
        # straddling an integer: the floor jumps there
        assert status(net, [F(5)], F(1, 10**6), 6) == "REFUTED"
        assert status(net, [F(5)], F(1, 10**6), 5) == "REFUTED"
    with pytest.raises(InputError):
        floor_step(0)


def test_parallel_concatenates_mixed_activations():
    a = parallel(floor_step(3), floor_step(3))
    assert a.activations[0] == ("relu", "step", "relu", "step")
    assert a.activations[1] == ("relu", "relu", "step") * 2
    b = parallel(floor_step(2), max2())  # max2 padded by a ReLU carry: mixed with the floor
    assert b.activations[0] == ("relu", "step") + ("relu",) * 3
    assert b.activations[1] == ("relu", "relu", "step") + ("relu",) * 2  # signed carry of max
    for x, u, v in ((F(7, 2), F(-1), F(2)), (F(0), F(3), F(-5, 2)), (F(3), F(0), F(0))):
        assert b.evaluate([x, u, v]) == (math.floor(x), max(u, v))
    net = to_network(compose(b, affine([[1, 1]], [0])))
    assert net.evaluate([F(7, 2), F(-1), F(2)]) == 5
    c = parallel(floor_step(2), floor_step(2), signed=False)
    assert c.activations == a.activations[:1] + (("relu", "relu", "step") * 2,)
    with pytest.raises(InputError, match="activations"):
        type(a)(a.layers, a.in_dim, a.out_dim, a.contract, (("relu",),) + a.activations[1:])


# ------------------------------------------------------------------------------ bit extract


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_bit_extract_exact(n):
    gamma = F(1, 9)
    g = bit_extract(n, gamma)
    rng = random.Random(100 + n)
    for x in random_points_in_floor_region(rng, n, gamma, 200):
        k = math.floor(x)
        assert g.evaluate([x]) == tuple((k >> j) & 1 for j in reversed(range(n))), x
    assert g.depth == n + 1
    expected_widths = [1, 3] + list(range(5, n + 4))[: n - 1] + [n]
    assert g.widths == expected_widths
    w = expected_widths
    assert g.params == sum((w[i - 1] + 1) * w[i] for i in range(1, len(w)))


def test_bit_extract_certified():
    n, gamma = 3, F(1, 8)
    g = bit_extract(n, gamma)
    k = 5  # 101
    c, r = box(k + gamma, F(k + 1))
    for j, bit in enumerate((1, 0, 1)):
        row = [1 if i == j else 0 for i in range(n)]
        assert status(shifted(g, row, 1), [c], r, bit + 1) == "PROVED"
    # the lowest bit flips at 6: a ball across it is refuted
    assert status(shifted(g, [0, 0, 1], 1), [F(6)], gamma / 2, 1) == "REFUTED"


# --------------------------------------------------------------------------------- triangle


def tent_k(z: F, k: int) -> F:
    for _ in range(k):
        z = 1 - abs(2 * z - 1)
    return z


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_triangle_sawtooth(k):
    g = triangle(k)
    for i in range(0, 257):
        z = F(i, 256)
        assert g.evaluate([z]) == (tent_k(z, k),)
    for z in (F(-3), F(-1, 7)):
        assert g.evaluate([z]) == (0,)
    # Telgarsky's form σ(σ(2z) − σ(4z − 2)) for z ≤ 1
    relu = lambda t: max(t, F(0))  # noqa: E731
    for z in (F(-2), F(1, 3), F(3, 4), F(1)):
        assert triangle(1).evaluate([z]) == (relu(relu(2 * z) - relu(4 * z - 2)),)
    assert (g.depth, g.width, g.params) == (k + 1, 2, 6 * k + 1)
    sizes_match(g)


def test_triangle_certified_on_flat_part():
    # t(z) = 0 for z ≤ 0: constant, label 1 after a shift; across 0 it rises
    net = shifted(triangle(2), [1], 1)
    assert status(net, [F(-1)], F(1, 2), 1) == "PROVED"
    assert status(net, [F(0)], F(1, 8), 1) == "REFUTED"


# ----------------------------------------------------------------------- interval indicator


def indicator_ref(x: F, a: F, b: F, m: F) -> F:
    if a <= x <= b:
        return F(1)
    if x <= a - m or x >= b + m:
        return F(0)
    return (x - (a - m)) / m if x < a else ((b + m) - x) / m


def test_interval_indicator_exact():
    a, b, m = F(-3, 2), F(7, 3), F(1, 5)
    g = interval_indicator(a, b, m)
    for i in range(-400, 401):
        x = F(i, 80)
        assert g.evaluate([x]) == (indicator_ref(x, a, b, m),), x
    assert (g.depth, g.width, g.params) == (2, 4, 13)
    sizes_match(g)
    assert interval_indicator(F(2), F(2), F(1, 3)).evaluate([F(2)]) == (1,)


def test_interval_indicator_certified():
    a, b, m = F(1), F(3), F(1, 4)
    net = shifted(interval_indicator(a, b, m), [1], 1)
    c, r = box(a, b)
    assert status(net, [c], r, 2) == "PROVED"  # inside: 1 (+1)
    c, r = box(b + m, F(10))
    assert status(net, [c], r, 1) == "PROVED"  # outside: 0 (+1)
    c, r = box(F(-5), a - m)
    assert status(net, [c], r, 1) == "PROVED"
    assert status(net, [b + m / 2], m, 2) == "REFUTED"  # across the ramp
    assert status(net, [b + m / 2], m, 1) == "REFUTED"


# ---------------------------------------------------------------------------------- max2


def test_max2_exact():
    g = max2()
    rng = random.Random(7)
    for _ in range(400):
        x, y = (F(rng.randrange(-1000, 1000), rng.randrange(1, 50)) for _ in range(2))
        assert g.evaluate([x, y]) == (max(x, y),)
    assert (g.depth, g.width, g.params) == (2, 3, 13)
    sizes_match(g)


def test_max2_certified_via_composition():
    # h(x, y) = max(x, y) − y + 1 = 1 where y ≥ x: fan out y, run max2 beside a signed carry
    fan = affine([[1, 0], [0, 1], [0, 1]], [0, 0, 0])
    body = parallel(max2(), identity_carry(1, 2, signed=True))
    h = compose(compose(fan, body), affine([[1, -1]], [1]))
    net = to_network(h)
    for x, y in ((F(-3), F(5)), (F(2, 3), F(2, 3)), (F(9), F(1))):
        assert net.evaluate([x, y]) == max(x, y) - y + 1
    assert status(net, [F(0), F(1)], F(1, 2), 1) == "PROVED"
    assert status(net, [F(0), F(0)], F(1, 4), 1) == "REFUTED"


# ---------------------------------------------------------------------------------- gate


def test_gate_soft_threshold_between():
    M = F(2)
    g = gate(M)
    for s in (F(0), F(1, 4), F(1, 2), F(9, 10), F(1)):
        for i in range(-30, 31):
            v = F(i, 10)
            c = M * (1 - s)
            expected = (1 if v > 0 else -1) * max(abs(v) - c, F(0))
            assert g.evaluate([v, s]) == (expected,)


def test_report_records_contract_and_size():
    rep = floor_gadget(5, F(1, 10)).report()
    assert rep["depth"] == 6 and rep["width"] == 4 and rep["params"] == floor_params(5)
    assert rep["margin"] == "1/10" and "frac(x) >= 1/10" in rep["region"]


def test_gate_exact():
    M = F(5)
    g = gate(M)
    for i in range(-50, 51):
        v = F(i, 10)
        assert g.evaluate([v, F(1)]) == (v,)
        assert g.evaluate([v, F(0)]) == (0,)
    assert g.evaluate([F(7), F(0)]) == (2,)  # outside |v| ≤ M the gate leaks
    assert (g.depth, g.width, g.params) == (2, 2, 9)
    sizes_match(g)


def test_gate_certified_closed():
    net = shifted(gate(F(4)), [1], 1)
    # s near 0 and |v| < M(1 − s): output 0
    assert status(net, [F(0), F(0)], F(1, 4), 1) == "PROVED"
    assert status(net, [F(2), F(1, 10)], F(1, 10), 1) == "PROVED"
    # s near 1 passes v through: not constant
    assert status(net, [F(1), F(1)], F(1, 4), 1) == "REFUTED"


# ------------------------------------------------------------------------------ pl_square


@pytest.mark.parametrize("n,lo,hi", [(1, F(0), F(1)), (8, F(-2), F(3)), (33, F(1, 3), F(17, 5))])
def test_pl_square_interpolates_with_bound(n, lo, hi):
    g = pl_square(n, lo, hi)
    h = (hi - lo) / n
    knots = [lo + i * h for i in range(n + 1)]
    for t in knots:
        assert g.evaluate([t]) == (t * t,)
    # g is linear between knots (its breakpoints are the knots), so on each piece the error
    # q − t² = (t − t_i)(t_{i+1} − t) is checked exactly at sample points, max at midpoints
    for i in range(n):
        for j in range(0, 9):
            t = knots[i] + h * F(j, 8)
            err = g.evaluate([t])[0] - t * t
            assert err == (t - knots[i]) * (knots[i + 1] - t)
            assert 0 <= err <= h * h / 4
        mid = knots[i] + h / 2
        assert g.evaluate([mid])[0] - mid * mid == h * h / 4
    assert g.evaluate([lo - 1]) == (lo * lo,)
    assert (g.depth, g.width, g.params) == (2, n, 3 * n + 1)
    sizes_match(g)


# ------------------------------------------------------------------------------- wiring


def test_compose_merges_layers_and_parallel_pads():
    f = floor_gadget(3, F(1, 4))
    t = triangle(3)
    c = compose(f, affine([[1]], [0]))
    assert c.depth == f.depth and c.params == f.params
    p = parallel(f, max2())  # depth 4 vs 2: max2 padded with a signed carry
    assert p.depth == f.depth and (p.in_dim, p.out_dim) == (3, 2)
    for x, a, b in ((F(13, 2), F(-3), F(2)), (F(1, 2), F(5), F(-7, 3))):
        assert p.evaluate([x, a, b]) == (math.floor(x), max(a, b))
    q = parallel(t, triangle(1), signed=False)  # tent outputs are ≥ 0 on [0, 1]
    assert q.evaluate([F(1, 8), F(1, 4)]) == (tent_k(F(1, 8), 3), F(1, 2))
    assert compose(triangle(1), triangle(1)).evaluate([F(1, 8)]) == (F(1, 2),)
    ic = identity_carry(3, 4)
    assert ic.evaluate([F(1), F(0), F(5, 2)]) == (1, 0, F(5, 2))
    assert (ic.width, ic.params) == (3, 4 * 4 * 3)
    sc = identity_carry(2, 3, signed=True)
    assert sc.evaluate([F(-1), F(3)]) == (-1, 3)
    assert sc.params == 3 * 4 + 5 * 4 + 5 * 2


def test_bad_arguments_are_rejected():
    with pytest.raises(InputError):
        floor_gadget(3, F(1))
    with pytest.raises(InputError):
        interval_indicator(F(2), F(1), F(1))
    with pytest.raises(InputError):
        compose(max2(), max2())
    with pytest.raises(InputError, match="one output"):
        to_network(bit_extract(2, F(1, 2)))


def test_pl_square_into_floor_certified():
    # ⌊q(t)⌋ with q the 8-piece interpolant of t² on [0, 4] (error ≤ 1/16, q ≥ 0)
    g = compose(pl_square(8, F(0), F(4)), floor_gadget(5, F(1, 8)))
    net = shifted(g, [1], 1)
    assert net.evaluate([F(3, 2)]) == 3
    # t ∈ (1.5, 1.6): t² ∈ (2.25, 2.56), so q ∈ (2.25, 2.63): ⌊q⌋ = 2
    assert status(net, [F(31, 20)], F(1, 20), 3) == "PROVED"
    # across t ≈ √2, q crosses 2
    assert status(net, [F(141, 100)], F(1, 20), 3) == "REFUTED"
