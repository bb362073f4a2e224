"""The linear engine's float guide (certify/engines/linear/guide.py): its proposals are only
claims. Differential tests against the unguided engine and the kernel's exact bounds, and a
misleading guide whose claims the kernel rejects (the ball is searched again without it)."""

from __future__ import annotations

import random
from fractions import Fraction as F

import numpy as np
import pytest

from certify.dataset import Dataset
from certify.engines.linear import guide as guide_mod
from certify.engines.linear import margin_prep, prepare
from certify.engines.linear.guide import FloatGuide
from certify.kernel import rules
from certify.network import Network
from certify.run import Radius, certify, check_one

from .helpers import make_ball

SCALE = 2**20  # float-born: dyadic weights with a large denominator, so bounds are rounded


def float_born(rng: random.Random, d: int, widths: list[int], classes: int) -> Network:
    dims = [d, *widths, classes]
    Ws, bs = [], []
    for m, n in zip(dims, dims[1:]):
        Ws.append([[F(rng.randint(-SCALE, SCALE), SCALE) for _ in range(m)] for _ in range(n)])
        bs.append([F(rng.randint(-SCALE // 4, SCALE // 4), SCALE) for _ in range(n)])
    return Network(Ws, bs, input_dim=d)


def label_at(net: Network, x) -> int | None:
    out = rules.evaluate(rules.exact_layers(net), [rules.exact(v) for v in x])
    best = max(out)
    return None if out.count(best) > 1 else out.index(best) + 1


def cases(n: int, seed: int):
    rng = random.Random(seed)
    for _ in range(n):
        d = rng.randint(2, 4)
        net = float_born(rng, d, [rng.randint(4, 9) for _ in range(rng.randint(1, 3))], 3)
        x = tuple(F(rng.randint(-SCALE, SCALE), SCALE) for _ in range(d))
        y = label_at(net, x)
        if y is None:
            continue
        p = rng.choice([None, 1, 2])
        yield net, make_ball(x, y, p, F(rng.randint(1, 40), 100))


def test_float_born_networks_get_rounded_bounds_and_the_guide():
    net, ball = next(cases(1, 0))
    assert prepare(net).bits is not None
    res = check_one(net, ball, "linear", 3)
    assert res.stats.get("guided")


@pytest.mark.parametrize("seed", range(4))
def test_guided_and_unguided_search_agree(seed):
    """The same verdict with and without the guide (every verdict kernel-checked), and no
    guided claim rejected by the kernel."""
    seen = 0
    for net, ball in cases(12, 100 + seed):
        a = check_one(net, ball, "linear", 3)
        b = check_one(net, ball, "linear", 3)  # warm caches do not change verdicts
        prep = prepare(net)
        from certify.engines.linear import check_ball

        c = check_ball(net, ball, timeout=3, prep=prep, guided=False)
        assert a.status == b.status
        if a.status != "UNKNOWN" and c.status != "UNKNOWN":
            assert a.status == c.status, (a.reason, c.reason)
        assert "without the float guide" not in a.reason
        seen += a.status == "PROVED"
    assert seen  # some balls are proved, so the guide's trees did reach the kernel


@pytest.mark.parametrize("seed", range(6))
def test_guide_bounds_follow_the_kernels_bounds(seed):
    """On random nodes the float bounds are within a tiny relative distance of the kernel's
    (a guide that drifts would propose leaves the kernel rejects)."""
    rng = random.Random(7 + seed)
    for net, ball in cases(6, 50 + seed):
        prep = margin_prep(prepare(net), net, ball.label)
        g = FloatGuide(prep, ball)
        kb = rules.Ball(
            tuple(rules.exact(v) for v in ball.center),
            ball.label,
            ball.p,
            rules.exact(ball.radius_power),
            prep.bits,
            prep.deep,
        )
        root = rules.bounds(prep.layers, kb, {})
        fixed = {}
        for k, (lo, up) in enumerate(zip(root[0][:-1], root[1][:-1])):
            for i, (l, u) in enumerate(zip(lo, up)):
                if l < 0 < u and rng.random() < 0.3:
                    fixed[(k, i)] = rng.random() < 0.5
        ex, fl = rules.bounds(prep.layers, kb, fixed), g.bounds(fixed)
        if ex is None or fl is None or isinstance(fl, str):
            continue  # an empty or near-empty node: the guide leaves it to the exact bounds
        for side, fside in ((ex[0], fl[0]), (ex[1], fl[1])):
            for e, f, s in zip(side, fside, fl[2]):
                assert np.all(np.abs(np.array([float(v) for v in e]) - f) <= 1e-9 * s)


def test_a_misleading_guide_is_caught_by_the_kernel(monkeypatch):
    """A guide that proposes "output" everywhere: its false trees are rejected by the kernel
    and the ball is searched again without it, so no verdict changes."""
    items = [(net, ball) for net, ball in cases(15, 5)]
    truth = [check_one(net, ball, "linear", 3).status for net, ball in items]
    monkeypatch.setattr(guide_mod.FloatGuide, "propose", lambda self, fixed: "output")
    rejected = 0
    for (net, ball), want in zip(items, truth):
        res = check_one(net, ball, "linear", 3)
        if want != "UNKNOWN" and res.status != "UNKNOWN":
            assert res.status == want
        rejected += "without the float guide" in res.reason
    assert rejected  # some proposals were false, and the kernel said so


def near_boundary(net, a, b, steps: int = 12):
    """A point within |b − a|/2^steps of the boundary between a's and b's labels."""
    ya = label_at(net, a)
    for _ in range(steps):
        m = tuple((u + v) / 2 for u, v in zip(a, b))
        if label_at(net, m) == ya:
            a = m
        else:
            b = m
    return a


def _lying_rows(real):
    """BoxGuide.rows that calls every row safe (the cut search's guide, lying)."""

    def rows(self, fixed):
        g = real(self, fixed)
        if not isinstance(g, tuple):
            return g
        safe = np.ones_like(g[0], dtype=bool)
        return (safe, ~safe, *g[2:])

    return rows


@pytest.mark.parametrize("search", ["splits", "cuts"])
def test_certify_searches_again_when_the_kernel_rejects_a_guided_tree(monkeypatch, search):
    """Balls next to a decision boundary (REFUTED) and far from it (PROVED); a guide that
    claims "output" everywhere (the neuron-split search's FloatGuide, or the ℓ∞ cut
    search's BoxGuide): certify's verdicts do not change, the false claims are searched
    again without the guide."""
    from certify.engines.linear import box_ball, spec

    if search == "splits":
        monkeypatch.setattr(box_ball, "BALL_CUT_DIMS", 0)
    rng = random.Random(0)
    net = float_born(rng, 2, [8, 8], 3)
    pts = []
    while len(pts) < 40:
        x = tuple(F(rng.randint(-SCALE, SCALE), SCALE) for _ in range(2))
        if label_at(net, x) is not None:
            pts.append(x)
    far = list(pts[:4] if search == "splits" else pts[:12])  # (cuts: some balls need nodes)
    pairs = [(a, b) for a in pts for b in pts if label_at(net, a) < label_at(net, b)]
    near = [near_boundary(net, a, b) for a, b in pairs[:3]]
    assert near
    xs = far + near
    ds = Dataset(xs, [label_at(net, x) for x in xs])
    mu = F(1, 20) if search == "splits" else F(1, 4)
    radius = Radius(None, mu, None, mu=mu)
    honest = certify(net, ds, radius, engine="linear", timeout=3)
    assert any(r.status == "REFUTED" for r in honest.results)  # so the guide lies somewhere
    if search == "splits":
        monkeypatch.setattr(guide_mod.FloatGuide, "propose", lambda self, fixed: "output")
    else:
        monkeypatch.setattr(spec.BoxGuide, "rows", _lying_rows(spec.BoxGuide.rows))
    misled = certify(net, ds, radius, engine="linear", timeout=3)
    for a, b in zip(honest.results, misled.results):
        if a.status != "UNKNOWN" and b.status != "UNKNOWN":
            assert a.status == b.status
    assert any("without the float guide" in r.reason for r in misled.results)


@pytest.mark.parametrize("seed", range(4))
def test_vertex_minimises_the_worst_margins_linear_bound(seed):
    """guide.vertex() after propose: the ℓ∞ corner (ℓ1 vertex) where the worst margin's
    back-substituted linear lower bound λ·x + κ is least (no other vertex is lower), and
    fails_at agrees with the exact evaluation of the network there."""
    n = 0
    for net, ball in cases(10, 300 + seed):
        if ball.p == 2:
            continue
        prep = margin_prep(prepare(net), net, ball.label)
        g = FloatGuide(prep, ball)
        if not isinstance(g.propose({}), tuple):
            continue
        x = g.vertex()
        lam = g.lams[-1][int(np.argmin(g.low))]
        rng = np.random.default_rng(seed)
        for _ in range(20):  # random vertices of the ball are never lower
            if ball.p is None:
                v = g.c + g.mu * rng.choice([-1.0, 1.0], size=len(g.c))
            else:
                v = g.c.copy()
                v[rng.integers(len(v))] += g.mu * rng.choice([-1.0, 1.0])
            assert lam @ x <= lam @ v + 1e-12
        exact = label_at(net, [F(float(t)) for t in x])
        if exact is not None:
            assert g.fails_at(x) == (exact != ball.label)
        n += 1
    assert n


def test_a_counterexample_at_a_split_nodes_vertex_is_found(monkeypatch):
    """With the attack switched off, balls that fail are still REFUTED (exactly checked) by
    the branch and bound's vertex probes, and never a ball another engine proves."""
    from certify.engines.linear import argmax

    monkeypatch.setattr(argmax, "attack_margins", lambda *a, **k: None)
    found = 0
    for net, ball in cases(40, 77):
        if ball.p == 2:
            continue
        res = check_one(net, ball, "linear", 5)
        if res.status == "REFUTED":
            x = res.counterexample
            assert label_at(net, x) != ball.label
            found += "vertex" in res.reason and res.stats.get("nodes", 0) >= 1
        if res.status == "PROVED":
            assert check_one(net, ball, "z3", 20).status != "REFUTED"
    assert found
