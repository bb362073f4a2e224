"""Batched back-substitution (rules.back_rows, used by rules.bounds with ``deep``): the same
numbers as the per-row rule it replaced (kept below as the reference), whatever the
batch size, on random small networks (exact and rounded bounds, ReLU and step units, units
pinned at z = 0, splits); sound (the bounds enclose sampled exact pre-activations); and the
deadline hook ``rules.Ball.tick``, which the linear engine turns into UNKNOWN."""

from __future__ import annotations

import math
import random
from fractions import Fraction as F

import pytest
from flint import fmpq as Q
from flint import fmpq_mat as M

from certify.ball import Ball
from certify.engines.linear import check_ball, prepare
from certify.engines.linear.prepare import kernel_ball
from certify.engines.linear.search import back_substitute
from certify.kernel import rules

from .test_guide import float_born


# ------------------------------------------------------------------ the per-row reference
def grid_down(row, bits):
    """The row rounded down to the grid 2^-s, s = bits − (the bit lengths of the numerator
    minus the denominator of its largest |entry|, in lowest terms): Fractions and math.floor,
    independent of the kernel's integer arithmetic."""
    big = max(abs(F(int(v.p), int(v.q))) for v in row)
    if not big:
        return list(row)
    s = bits - big.numerator.bit_length() + big.denominator.bit_length()
    out = [math.floor(F(int(v.p), int(v.q)) * F(2) ** s) * F(2) ** -s for v in row]
    return [Q(v.numerator, v.denominator) for v in out]


def per_row(layers, ball, fixed, lows, ups, j, sign=1):
    """The kernel's back-substitution of output row j of the last layer (times ``sign``),
    written plainly: per unit, per coefficient (the batched rule must give the same numbers)."""
    lam = [sign * w for w in layers[-1].W[j]]
    return per_row_lam(layers, ball, fixed, lows, ups, lam, sign * layers[-1].b[j])


def per_row_lam(layers, ball, fixed, lows, ups, lam, const):
    """A lower bound of lam·a + const (a the inputs of the last layer), per unit."""
    for k in range(len(layers) - 2, -1, -1):
        if ball.bits is not None:
            short = grid_down(lam, ball.bits)
            for i, (v, w, l, u) in enumerate(zip(lam, short, lows[k], ups[k])):
                if v != w:
                    rel = rules.relaxation(layers[k].step[i], fixed.get((k, i)), l, u, ball.bits)
                    const += min((v - w) * rel[3], (v - w) * rel[4])
            lam = short
        coef = []
        for i, (lm, l, u) in enumerate(zip(lam, lows[k], ups[k])):
            step, ph = layers[k].step[i], fixed.get((k, i))
            if lm == 0:
                coef.append(Q(0))
                continue
            sl, su, off, pl, pu = rules.relaxation(step, ph, l, u, ball.bits)
            if step:
                const += lm * (pl if lm > 0 else pu)
                coef.append(Q(0))
            elif lm > 0:
                coef.append(lm * sl)
            else:
                coef.append(lm * su)
                const += lm * off
        row = M(1, len(coef), coef)
        const += (row * layers[k].bm)[0, 0]
        lam = (row * layers[k].M).entries()
    return rules.dot(lam, ball.c) + const - ball.reach(lam)


def per_row_bounds(layers, ball, fixed):
    """rules.bounds with its batched back-substitution (rules.back_rows) replaced by the
    per-row rule: the same forward pass, the deep bounds of each unit row by row (the unit
    bounds the rule needs are those rules.bounds hands to rules.pulls, layer by layer)."""
    seen = {}
    pulls, back_rows = rules.pulls, rules.back_rows

    def recording(L, k, fx, lo, up, bits=None):
        seen[k] = (lo, up)
        return pulls(L, k, fx, lo, up, bits)

    def one_by_one(sub, ball, terms, lam, const):
        lows = [seen[k][0] for k in range(len(sub) - 1)]
        ups = [seen[k][1] for k in range(len(sub) - 1)]
        return [
            per_row_lam(sub, ball, fixed, lows, ups, [rules.exact(v) for v in r], c)
            for r, c in zip(lam, const)
        ]

    rules.pulls, rules.back_rows = recording, one_by_one
    try:
        return rules.bounds(layers, ball, fixed)
    finally:
        rules.pulls, rules.back_rows = pulls, back_rows


# ------------------------------------------------------------------ random cases
def random_layers(rng: random.Random, d: int, widths: list[int], floaty: bool) -> list:
    """Kernel layers: float-born dyadic weights (2^-20) or small exact fractions; some step
    units, some rows of zeros (a unit pinned at z = 0: l = u = 0), sparse and wide rows."""
    dims = [d, *widths, rng.randint(1, 3)]
    out = []
    for k, (m, n) in enumerate(zip(dims, dims[1:])):
        last = k == len(dims) - 2

        def w():
            if rng.random() < 0.2:
                return F(0)
            if floaty:
                return F(rng.randint(-(2**20), 2**20), 2**20)
            return F(rng.randint(-6, 6), rng.randint(1, 7))

        W = [[w() for _ in range(m)] for _ in range(n)]
        b = [F(rng.randint(-3, 3), rng.randint(1, 5)) for _ in range(n)]
        if not last and rng.random() < 0.3:
            i = rng.randrange(n)
            W[i], b[i] = [F(0)] * m, F(0)
        step = [False] * n if last else [rng.random() < 0.15 for _ in range(n)]
        out.append(
            rules.Layer([[rules.exact(v) for v in r] for r in W], [rules.exact(v) for v in b], step)
        )
    return out


def random_case(seed: int):
    rng = random.Random(7000 + seed)
    d = rng.randint(2, 5)
    floaty = seed % 2 == 0
    layers = random_layers(rng, d, [rng.randint(2, 7) for _ in range(rng.randint(1, 3))], floaty)
    p = [None, 1, 2, 3][seed % 4]
    mu = F(rng.randint(5, 80), 100)
    rp = mu if p in (None, 1) else mu**p
    c = tuple(rules.exact(F(rng.randint(-20, 20), 16)) for _ in range(d))
    bits = [None, 96, 12][seed % 3]
    ball = rules.Ball(c, 1, p, rules.exact(rp), bits, True)
    fixed = {}
    shallow = rules.bounds(layers, rules.Ball(c, 1, p, rules.exact(rp), bits), {})
    for k, (lo, up) in enumerate(zip(shallow[0][:-1], shallow[1][:-1])):
        for i, (l, u) in enumerate(zip(lo, up)):
            if l < 0 < u and rng.random() < 0.3:
                fixed[(k, i)] = rng.random() < 0.5
    return rng, layers, ball, mu, fixed


def contradicting(layers, ball, fixed) -> dict:
    """``fixed`` plus the opposite phase of a unit its bounds make stable (an empty region),
    or ``fixed`` itself when no unit is stable."""
    b = rules.bounds(layers, ball, fixed)
    if b is None:
        return fixed
    for k, (lo, up) in enumerate(zip(b[0][:-1], b[1][:-1])):
        for i, (l, u) in enumerate(zip(lo, up)):
            ph = rules.phase(layers[k].step[i], None, l, u)
            if ph is not None and (k, i) not in fixed:
                return {**fixed, (k, i): not ph}
    return fixed


SEEDS = range(36)


@pytest.mark.parametrize("seed", SEEDS)
def test_batched_bounds_equal_the_per_row_rule(seed, monkeypatch):
    """rules.bounds gives exactly the per-row rule's numbers (or both find the region
    empty), with any batch size; back_substitute (the judge's) equals the per-row rule on
    every unit and output row, both signs."""
    _, layers, ball, _, fixed = random_case(seed)
    for phases in ({}, fixed, contradicting(layers, ball, fixed)):
        want = per_row_bounds(layers, ball, phases)
        assert rules.bounds(layers, ball, phases) == want
        for batch in (1, 3):
            monkeypatch.setattr(rules, "BATCH", batch)
            assert rules.bounds(layers, ball, phases) == want
        monkeypatch.undo()
        if want is None:
            continue
        lows, ups = want
        for k in range(len(layers)):
            for i in range(len(layers[k].W)):
                for sign in (1, -1):
                    got = back_substitute(layers[: k + 1], ball, phases, lows, ups, i, sign)
                    assert got == per_row(layers[: k + 1], ball, phases, lows, ups, i, sign)


def test_the_cases_exercise_every_rule():
    """The random cases reach what the rules distinguish: deep rows rounded in
    back-substitution, units pinned at l = u = 0, unstable step units, and empty regions."""
    seen = {"rounded": 0, "pinned": 0, "step": 0, "empty": 0, "deep": 0}
    for seed in SEEDS:
        _, layers, ball, _, fixed = random_case(seed)
        for phases in ({}, fixed, contradicting(layers, ball, fixed)):
            b = rules.bounds(layers, ball, phases)
            if b is None:
                seen["empty"] += 1
                continue
            lows, ups = b
            for k, L in enumerate(layers[:-1]):
                for i, (l, u) in enumerate(zip(lows[k], ups[k])):
                    seen["pinned"] += l == u == 0 and (k, i) not in phases
                    seen["step"] += L.step[i] and l < 0 <= u
            for k in range(1, len(layers)):
                for i in range(len(layers[k].W)):
                    seen["deep"] += 1
                    if ball.bits is None:
                        continue
                    long_rows = [0]
                    grid = rules.grid

                    def counting(row, q, bits, long_rows=long_rows, grid=grid):
                        got = grid(row, q, bits)
                        m, g = got[:2]
                        long_rows[0] += any(F(int(a), g) != F(int(v), q) for a, v in zip(m, row))
                        return got

                    rules.grid = counting  # back-substitution rounds a long row
                    try:
                        back_substitute(layers[: k + 1], ball, phases, lows, ups, i)
                    finally:
                        rules.grid = grid
                    seen["rounded"] += long_rows[0] > 0
    assert all(v > 0 for v in seen.values()), seen


@pytest.mark.parametrize("seed", SEEDS)
def test_batched_bounds_are_sound(seed):
    """The deep bounds enclose the exact pre-activations at sampled points of the region."""
    rng, layers, ball, mu, fixed = random_case(seed)
    d, p = len(ball.c), ball.p
    for phases in ({}, fixed):
        b = rules.bounds(layers, ball, phases)
        hits = 0
        for _ in range(150):
            t = [F(rng.randint(-99, 99), 100) for _ in range(d)]
            s = max(abs(v) for v in t) if p is None else sum(abs(v) ** p for v in t)
            if not s or s >= 1:
                continue
            x = [ci + rules.exact(ti * mu) for ci, ti in zip(ball.c, t)]
            pre = rules.evaluate(layers, x, trace=True)
            if any((pre[k][i] >= 0) != ph for (k, i), ph in phases.items()):
                continue
            assert b is not None  # a point of the region: it is not empty
            hits += 1
            for z, lo, up in zip(pre, *b):
                assert all(a <= v <= e for v, a, e in zip(z, lo, up))
        assert hits or phases


# ------------------------------------------------------------------ the deadline hook
class Stop(Exception):
    pass


def test_bounds_call_the_tick_between_layers_and_batches(monkeypatch):
    """bounds() calls the hook at every layer and every batch of rows (and back_rows at
    every layer it passes); a hook that raises stops the computation there."""
    rng = random.Random(11)
    layers = random_layers(rng, 3, [6, 6, 6], True)
    c = tuple(rules.exact(F(1, 4)) for _ in range(3))
    calls = []
    ball = rules.Ball(c, 1, None, rules.exact(F(1, 2)), 96, True, lambda: calls.append(1))
    want = per_row_bounds(layers, rules.Ball(c, 1, None, rules.exact(F(1, 2)), 96, True), {})
    monkeypatch.setattr(rules, "BATCH", 1)
    assert rules.bounds(layers, ball, {}) == want
    unstable = sum(1 for lo, up in zip(want[0][1:], want[1][1:]) for l, u in zip(lo, up))
    assert len(calls) > len(layers) + 1  # layers, batches, and the layers of each batch
    assert unstable  # (the net has units to back-substitute)
    for stop_at in (1, 2, len(calls) - 1):
        n = [0]

        def tick(n=n, stop_at=stop_at):
            n[0] += 1
            if n[0] >= stop_at:
                raise Stop

        with pytest.raises(Stop):
            rules.bounds(layers, rules.Ball(c, 1, None, rules.exact(F(1, 2)), 96, True, tick), {})
        assert n[0] == stop_at
    assert rules.Ball(c, 1, None, Q(1)).tick is None  # the judge's balls have none


def mnist_like():
    """A float-born classifier wide enough that its root bounds take a while."""
    rng = random.Random(5)
    net = float_born(rng, 24, [24, 24], 3)
    x = tuple(F(rng.randint(-(2**10), 2**10), 2**10) for _ in range(24))
    from .test_guide import label_at

    return net, x, label_at(net, x)


def test_the_engine_turns_a_deadline_in_the_bounds_into_unknown():
    """With no time left when the bounds start, the linear engine answers UNKNOWN with the
    reason (not a crash, not a verdict); with time, the same ball is decided; kernel_ball
    outside the engine has no hook."""
    net, x, y = mnist_like()
    prep = prepare(net)
    assert prep.deep
    ball = Ball(x, y, None, F(1, 8))
    res = check_ball(net, ball, timeout=0, prep=prep, guided=False)
    assert res.status == "UNKNOWN"
    assert res.reason == "time budget exhausted in the bound computation"
    assert res.engine == "linear"
    ok = check_ball(net, Ball(x, y, None, F(1, 2**20)), timeout=60, prep=prep, guided=False)
    assert ok.status == "PROVED"
    assert kernel_ball(ball, prep.bits, prep.deep).tick is None
