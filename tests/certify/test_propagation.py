"""Bound propagation: the kernel's sparse row-wise rules.bounds (the only production
propagation: the linear engine calls it) gives exactly the bounds of the dense reference
(tests/certify/reference_propagation.py) on random sparse networks (ReLU, step and mixed
layers), balls and split phases."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest

from certify.ball import Ball
from certify.engines.linear import kernel_ball, prepare
from certify.engines.linear.search import output_upper
from certify.kernel import rules
from certify.kernel.rules import WIDE
from certify.network import Network
from tests.certify.reference_propagation import propagate_dense


def sparse_net(
    rng: random.Random, d: int, depth: int, step_layer: int | None, mixed: bool = False
) -> Network:
    """Layers mixing unit-weight carries, narrow rows and rows wider than WIDE; ``mixed``: every
    hidden layer mixes ReLU and step units."""
    Ws, bs, acts = [], [], []
    width_in = d
    for k in range(depth):
        width = rng.randint(WIDE + 2, WIDE + 5)
        W = []
        for _ in range(width):
            kind = rng.random()
            row = [F(0)] * width_in
            if kind < 0.3:  # a carry
                row[rng.randrange(width_in)] = F(1)
            elif kind < 0.6:  # narrow
                for j in rng.sample(range(width_in), min(width_in, 2)):
                    row[j] = F(rng.randint(-5, 5), rng.randint(1, 4))
            else:  # wide (every input)
                row = [F(rng.randint(-5, 5), rng.randint(1, 7)) for _ in range(width_in)]
            W.append(row)
        Ws.append(W)
        bs.append([F(rng.randint(-3, 3), rng.randint(1, 3)) for _ in range(width)])
        if mixed:
            units = [rng.choice(("relu", "step")) for _ in range(width)]
            units[0], units[1] = "relu", "step"
            acts.append(units)
        else:
            acts.append("step" if k == step_layer else "relu")
        width_in = width
    Ws.append([[F(rng.randint(-3, 3), 2) for _ in range(width_in)]])
    bs.append([F(1)])
    return Network(Ws, bs, input_dim=d, activations=acts)


@pytest.mark.parametrize("seed", range(15))
def test_kernel_propagation_equals_dense_reference(seed):
    rng = random.Random(seed)
    d = rng.randint(WIDE + 1, WIDE + 4)  # wide rows really are wide in the first layer
    net = sparse_net(
        rng, d, rng.randint(2, 4), step_layer=1 if seed % 3 == 0 else None, mixed=seed % 3 == 1
    )
    assert (seed % 3 == 1) == any(isinstance(a, tuple) for a in net.activations)
    p = [None, 1, 2, 3][seed % 4]
    mu = F(rng.randint(1, 9), 10)
    center = tuple(F(rng.randint(-4, 4), 3) for _ in range(d))
    ball = Ball(center, 1, p, mu if p in (None, 1) else mu**p)
    ref = propagate_dense(net, ball, {})
    # split phases: some units of the first layers fixed active or inactive
    fixed = {}
    for k, (lo, up) in enumerate(zip(ref.lower[:-1], ref.upper[:-1])):
        for i, (l, u) in enumerate(zip(lo, up)):
            if l < 0 < u and rng.random() < 0.4:
                fixed[(k, i)] = rng.random() < 0.5
    kb = rules.Ball(tuple(rules.exact(v) for v in center), 1, p, rules.exact(ball.radius_power))
    layers = rules.exact_layers(net)
    assert [L.step for L in prepare(net).layers] == [L.step for L in layers]
    assert kernel_ball(ball).c == kb.c and kernel_ball(ball).rp == kb.rp
    for phases in ({}, fixed):
        b = propagate_dense(net, ball, phases)
        got = rules.bounds(layers, kb, phases)
        if b.empty:
            assert got is None
        else:
            assert got is not None
            assert got[0] == b.lower and got[1] == b.upper


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("bits", [4, 16, 64])
def test_bounded_precision_bounds_enclose_the_exact_ones(seed, bits):
    """With ``bits`` (outward dyadic rounding of bounds, slopes, coefficients and the
    back-substituted forms) every forward bound is at least as wide as the exact one (the
    back-substituted output bound is sound and within the rounding of it), every number
    stays short, and an exact split contradiction is never missed in a way that claims
    emptiness the exact bounds do not show."""
    rng = random.Random(1000 + seed)
    d = rng.randint(WIDE + 1, WIDE + 4)
    net = sparse_net(
        rng, d, rng.randint(2, 4), step_layer=1 if seed % 3 == 0 else None, mixed=seed % 3 == 1
    )
    p = [None, 1, 2, 3][seed % 4]
    mu = F(rng.randint(1, 9), 10)
    center = tuple(F(rng.randint(-4, 4), 3) for _ in range(d))
    rp = rules.exact(mu if p in (None, 1) else mu**p)
    c = tuple(rules.exact(v) for v in center)
    layers = rules.exact_layers(net)
    exact_ball, short_ball = rules.Ball(c, 1, p, rp), rules.Ball(c, 1, p, rp, bits=bits)
    ref = rules.bounds(layers, exact_ball, {})
    fixed = {}
    for k, (lo, up) in enumerate(zip(ref[0][:-1], ref[1][:-1])):
        for i, (l, u) in enumerate(zip(lo, up)):
            if l < 0 < u and rng.random() < 0.4:
                fixed[(k, i)] = rng.random() < 0.5
    for phases in ({}, fixed):
        ex = rules.bounds(layers, exact_ball, phases)
        got = rules.bounds(layers, short_ball, phases)
        if got is None:  # the rounded bounds may only find emptiness the exact ones find
            assert ex is None
            continue
        if ex is None:
            continue  # wider bounds may miss a contradiction: sound, only weaker
        for a, b in zip(got[0], ex[0]):
            assert all(x <= y for x, y in zip(a, b))
        for a, b in zip(got[1], ex[1]):
            assert all(x >= y for x, y in zip(a, b))
        for lo in (*got[0], *got[1]):
            for v in lo:
                assert int(v.q) & (int(v.q) - 1) == 0  # dyadic
        # soundness itself: the pre-activations at points of the region lie in the bounds
        outs = []
        for _ in range(20):
            t = [rules.exact(F(rng.randint(-99, 99), 100)) for _ in range(d)]
            s = max(abs(v) for v in t) if p is None else sum(abs(v) ** p for v in t)
            if not s or s >= 1:
                continue
            x = [ci + ti * rules.exact(mu) for ci, ti in zip(c, t)]
            pre = rules.evaluate(layers, x, trace=True)
            if any(((v >= 0) != ph) for (k, i), ph in phases.items() for v in [pre[k][i]]):
                continue  # outside the split region
            for z, lo, up in zip(pre, *got):
                assert all(a <= v <= b for v, a, b in zip(z, lo, up))
            outs.append(pre[-1])
        for j in range(len(layers[-1].W)):
            up_exact = output_upper(layers, exact_ball, phases, *ex, j)
            up_short = output_upper(layers, short_ball, phases, *got, j)
            # not ≥ up_exact: rounding a back-substituted row down moves δ = λ − λ̂ onto the
            # units' interval lower bounds, which can beat their relaxations (both are sound);
            # so: above every sampled output, and below the exact one by at most the rounding
            assert all(up_short >= v[j] for v in outs)
            assert up_short >= up_exact - rules.exact(F(2**4, 2**bits)) * (1 + abs(up_exact))
