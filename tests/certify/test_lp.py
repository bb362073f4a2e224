"""LP leaves (kernel.judge.check_lp_side, engines/linear/lp.py): the LP relaxation of a region
with the kernel's own bounds, certified by exact multipliers.

Cases: seeded random networks and ℓ∞ balls where back-substituted output bounds fail but the
LP relaxation excludes every failure row; the engine's leaf must be accepted, the whole ball
must hold (the z3 engine, exact, finds no counterexample), and every tampering — a multiplier
moved, a kind swapped, a unit rule misapplied, the constant pushed to the edge — rejected."""

from __future__ import annotations

import copy
import random
from fractions import Fraction as F

import pytest

from certify import kernel
from certify.engines.linear.lp import lp_leaf
from certify.engines.z3_engine import check_ball as check_ball_z3
from certify.kernel import rules
from certify.kernel.judge import box_rows, lp_rows
from certify.network import Network

from .helpers import make_ball

EDGE = F(1, 2**100)


def _net(rng: random.Random, d: int, widths, classes: int, step=False) -> Network:
    """Random layers; one output (``classes`` 1) is clamped, f = relu(g) − relu(g − 1) with g
    a random layer (so f is 1 wherever g ≥ 1: an "equal" property can hold on a ball)."""
    W, B, acts, n = [], [], [], d
    tail = [2, 1] if classes == 1 else [classes]
    for m in [*widths, *tail]:
        W.append([[F(rng.randint(-8, 8), 8) for _ in range(n)] for _ in range(m)])
        B.append([F(rng.randint(-4, 4), 8) + 2 for _ in range(m)])
        n = m
    if classes == 1:
        W[-2][1], B[-2][1] = list(W[-2][0]), B[-2][0] - 1
        W[-1], B[-1] = [[1, -1]], [0]
    for m in widths + ([2] if classes == 1 else []):
        acts.append(["step" if step and rng.random() < 0.2 else "relu" for _ in range(m)])
    return Network(W, B, input_dim=d, activations=acts)


def lp_cases(seed: int = 0, want: int = 6, bits=None, step=False, classes=2, splits=False):
    """(net, ball, fixed, leaf, bits) where "output" fails on the region (the ball, or with
    ``splits`` the ball under one split) and the engine's LP leaf closes it; for one output
    (strict failure rows) any region the LP leaf closes, every row by the LP."""
    rng = random.Random(seed)
    out = []
    for _ in range(400):
        if len(out) >= want:
            break
        d = rng.randint(2, 3)
        net = _net(rng, d, [rng.randint(4, 7), rng.randint(4, 7)], classes, step)
        c = [F(rng.randint(-8, 8), 8) for _ in range(d)]
        layers = kernel.exact_layers(net)
        y = 1 + max(range(classes), key=lambda j: net.evaluate_vector([*c])[j])
        if classes == 1:
            y = net.evaluate(list(c))
        goal, strict = rules.goal_layers(layers, kernel.exact(y))
        for mu in (F(1, 16), F(1, 8), F(1, 4), F(1, 2)):
            ball = make_ball(c, y, None, mu)
            kb = kernel.Ball(
                tuple(kernel.exact(v) for v in c), y, None, kernel.exact(mu), bits, True
            )
            fixed = {}
            got = rules.bounds(goal, kb, fixed)
            if got is None:
                continue
            if splits:
                unst = [
                    (k, i)
                    for k, lo in enumerate(got[0][:-1])
                    for i, l in enumerate(lo)
                    if l < 0 < got[1][k][i]
                ]
                if not unst:
                    continue
                fixed = {unst[0]: rng.random() < 0.5}
                got = rules.bounds(goal, kb, fixed)
                if got is None:
                    continue
            top = rules.output_uppers(goal, kb, fixed, *got, strict)
            safe = {j for j, u in enumerate(top) if rules.safe(u, strict)}
            if strict:  # one output: every row by the LP (constants 0: the strict rule)
                safe = set()
            elif len(safe) == len(top):
                continue
            leaf = lp_leaf(goal, strict, kb, fixed, *got, safe)
            if leaf is not None:
                out.append((net, ball, fixed, leaf, bits))
                break
    return out


def _kernel_ball(ball, bits) -> kernel.Ball:
    """The kernel's ℓ∞ ball for ``ball``, with back-substituted bounds (as the engine's)."""
    c = tuple(kernel.exact(v) for v in ball.center)
    return kernel.Ball(
        c, kernel.exact(ball.label), None, kernel.exact(ball.radius_power), bits, True
    )


def _check(net, ball, fixed, leaf, bits) -> int:
    kb = _kernel_ball(ball, bits)
    return kernel.check_nodes(kernel.exact_layers(net), kb, [leaf], dict(fixed))


CASES = (
    lp_cases(1)
    + lp_cases(2, 3, bits=16)
    + lp_cases(3, 3, step=True)
    + lp_cases(4, 3, classes=3)
    + lp_cases(5, 3, classes=1)
    + lp_cases(6, 3, splits=True)
)


def test_cases_exist():
    """The cases reach every rule: argmax and one output, step units, splits, rounding."""
    assert len(CASES) >= 15, len(CASES)
    assert any(c[2] for c in CASES) and any(c[4] for c in CASES)
    kinds = {u[2] for c in CASES for r in c[3]["rows"] if r != "bound" for u in r["units"]}
    assert kinds >= {"lo", "up", "ge", "pos", "cap", "split"}, kinds


@pytest.mark.parametrize("n", range(len(CASES)))
def test_lp_leaf_is_accepted_and_the_ball_holds(n):
    net, ball, fixed, leaf, bits = CASES[n]
    assert _check(net, ball, fixed, leaf, bits) == 1
    if not fixed:  # the whole ball: the exact z3 engine finds no counterexample
        assert check_ball_z3(net, ball, timeout=60).status != "REFUTED"


def _tampered(leaf, argmax=True):
    """(name, tampered copy) for every way of breaking one certificate."""
    j = next(j for j, c in enumerate(leaf["rows"]) if c != "bound")
    cert = leaf["rows"][j]
    for t, (_, _, kind, lam) in enumerate(cert["units"][:12]):
        for new in ("lo", "up", "ge", "pos", "cap", "split"):
            if new != kind:
                bad = copy.deepcopy(leaf)
                bad["rows"][j]["units"][t][2] = new
                yield f"unit {t} kind {kind} -> {new}", bad
        bad = copy.deepcopy(leaf)
        bad["rows"][j]["units"][t][3] = str(F(lam) + F(1, 2**30))
        yield f"unit {t} multiplier +2^-30", bad
    for t in range(len(cert["box"])):
        bad = copy.deepcopy(leaf)
        bad["rows"][j]["box"][t][1] *= -1
        yield f"box facet {t} side", bad
    bad = copy.deepcopy(leaf)
    bad["rows"][j]["out"] = 0
    yield "no multiplier on the failure row", bad
    bad = copy.deepcopy(leaf)
    del bad["rows"][j]["out"]
    yield "the failure row's multiplier left out", bad
    if argmax:  # (one output: the cases certify rows by the LP that the bounds close too)
        bad = copy.deepcopy(leaf)
        bad["rows"][j] = "bound"
        yield "bound where the bounds do not suffice", bad
    bad = copy.deepcopy(leaf)
    bad["rows"][j]["units"][0][3] = "-1"
    yield "negative multiplier", bad
    bad = copy.deepcopy(leaf)
    bad["rows"] = bad["rows"][:-1]
    yield "one certificate short", bad


@pytest.mark.parametrize("n", range(len(CASES)))
def test_tampered_lp_leaves_are_rejected(n):
    net, ball, fixed, leaf, bits = CASES[n]
    for name, bad in _tampered(leaf, len(net.layers[-1].bias) > 1):
        try:
            _check(net, ball, fixed, bad, bits)
        except kernel.Rejected:
            continue
        except (KeyError, TypeError, ValueError, IndexError):
            continue
        # a kind swap can leave an equal row (e.g. "lo" and "pos" of an off unit): only a
        # change that keeps the combination exactly the same may pass
        assert "kind" in name, name


def with_zero(leaf):
    """The leaf with an explicit zero multiplier added to its first LP certificate (valid)."""
    out = copy.deepcopy(leaf)
    cert = next(c for c in out["rows"] if c != "bound")
    cert["units"].append([*cert["units"][0][:3], "0"])
    return out


def _shifted(net: Network, delta, m: int = 0) -> Network:
    """net with the bias of output m raised by delta (argmax: the failure row of class m + 1
    moves by delta)."""
    W = [lay.weight for lay in net.layers]
    B = [list(lay.bias) for lay in net.layers]
    B[-1][m] = F(B[-1][m]) + delta
    acts = [getattr(lay, "activation", "relu") for lay in net.layers[:-1]]
    return Network(W, B, input_dim=net.input_dim, activations=acts)


def _constant(net, ball, fixed, cert, j, bits):
    """The exact constant of certificate ``cert`` for failure row j (its gradient is 0)."""
    layers = kernel.exact_layers(net)
    goal, strict = rules.goal_layers(layers, kernel.exact(ball.label))
    kb = _kernel_ball(ball, bits)
    lows, ups = rules.bounds(goal, kb, fixed)
    rows = lp_rows(goal, kb, fixed, lows, ups, cert["units"])
    rows += [({}, c, lam) for _, c, lam in box_rows(kb.box(), cert["box"])]
    L = goal[-1]
    const = L.b[j] * kernel.exact(cert["out"]) + sum((lam * c for _, c, lam in rows), rules.Q(0))
    return F(int(const.p), int(const.q))


def test_strict_rows_need_their_multiplier():
    """One output: the failure rows f − y > 0 and y − f > 0 are strict, so a combination with
    constant 0 certifies (the row itself has a positive multiplier); the cases have such."""
    done = 0
    for net, ball, fixed, leaf, bits in CASES:
        if len(net.layers[-1].bias) != 1:
            continue
        for j, cert in enumerate(leaf["rows"]):
            if _constant(net, ball, fixed, cert, j, bits) == 0:
                assert _check(net, ball, fixed, leaf, bits) == 1  # accepted: a strict row
                done += 1
    assert done >= 2


def edges(net, ball, fixed, leaf, bits):
    """Argmax: for each failure row r the LP certifies, (row, class index m, constant): the
    certificate stays valid with class m's bias raised by δ < −constant, a tie at δ = −constant."""
    C = len(net.layers[-1].bias)
    if C < 2:
        return []
    others = [m for m in range(C) if m != ball.label - 1]
    return [
        (r, others[r], _constant(net, ball, fixed, cert, r, bits))
        for r, cert in enumerate(leaf["rows"])
        if cert != "bound"
    ]


def test_lp_leaf_at_its_edge():
    """Raising the bias of the class of failure row r by δ moves the certificate's constant by
    δ: accepted up to −const − 2^-100, rejected at −const (a tie fails), same multipliers."""
    done = 0
    for net, ball, fixed, leaf, bits in CASES:
        for _, m, const in edges(net, ball, fixed, leaf, bits):
            assert const < 0
            assert _check(_shifted(net, -const - EDGE, m), ball, fixed, leaf, bits) == 1
            with pytest.raises(kernel.Rejected):
                _check(_shifted(net, -const, m), ball, fixed, leaf, bits)
            done += 1
    assert done >= 10


def test_zero_multipliers_are_allowed():
    for net, ball, fixed, leaf, bits in CASES:
        assert _check(net, ball, fixed, with_zero(leaf), bits) == 1


def test_lp_leaf_needs_box_facets_of_an_inf_ball():
    net, ball, fixed, leaf, bits = next(
        c for c in CASES if any(r != "bound" and r["box"] for r in c[3]["rows"])
    )
    b2 = make_ball(ball.center, ball.label, 2, ball.radius_power)
    layers = kernel.exact_layers(net)
    kb = kernel.Ball(
        tuple(kernel.exact(v) for v in b2.center),
        kernel.exact(b2.label),
        2,
        kernel.exact(b2.radius_power),
        bits,
        True,
    )
    with pytest.raises(kernel.Rejected):
        kernel.check_nodes(layers, kb, [leaf], dict(fixed))
