"""Input cuts on ℓ∞ balls: the ball judge's "cut" nodes (certify/kernel/judge.py) and the
linear engine's search that writes them (certify/engines/linear/box_ball.py).

The hand case (``VEE``): f = (θ, relu(x₁ + x₂) + relu(x₁ − x₂)) on the ℓ∞ ball of radius 1
around 0, label 1 (f₁ = θ must beat f₂). The true max of f₂ on the closed box is 2; the root's
triangle relaxations give x₁ + 2 ≤ 3; after the cut x₁ = 0 the halves give (4x₁ + 4)/3 ≤ 8/3
and (2x₁ + 4)/3 ≤ 4/3. So the root proves θ > 3, the one-cut tree θ > 8/3 and the two-cut
tree (x₂ = 0 on the high half) θ > 5/2 — each checked at its edge (the least θ accepted, and
2^-EDGE less, rejected)."""

from __future__ import annotations

import copy
import random
from fractions import Fraction as F

import pytest

from certify import kernel
from certify.ball import Ball
from certify.engines.linear import box_ball, check_ball
from certify.engines.z3_engine import check_ball as check_ball_z3
from certify.network import Network

from .helpers import make_ball, net_from

EDGE = 40
TINY = F(1, 2**EDGE)


def vee(theta) -> Network:
    return net_from([([[1, 1], [1, -1]], [0, 0]), ([[0, 0], [1, 1]], [theta, 0])], 2)


CUT_TREE = {"cut": [0, "0"], "low": {"leaf": "output"}, "high": {"leaf": "output"}}
TWO_CUTS = {
    **CUT_TREE,
    "high": {"cut": [1, "0"], "low": {"leaf": "output"}, "high": {"leaf": "output"}},
}


def accepts(net, ball, tree) -> bool:
    try:
        kernel.check_proof(net, ball.center, ball.label, ball.p, ball.radius_power, tree)
        return True
    except kernel.Rejected:
        return False


@pytest.mark.parametrize(
    "theta,tree,ok",
    [
        (3 + TINY, {"leaf": "output"}, True),
        (F(3), {"leaf": "output"}, False),
        (F(8, 3) + TINY, CUT_TREE, True),
        (F(8, 3), CUT_TREE, False),
        # the second cut x₂ = 0 on the high half: on its quarters z₀ (or z₁) is stable and
        # f₂ ≤ 3x₁/2 ± x₂/2 + 1/2 ≤ 5/2
        (F(5, 2) + TINY, TWO_CUTS, True),
        (F(5, 2), TWO_CUTS, False),
    ],
)
def test_cut_edges(theta, tree, ok):
    b = make_ball((0, 0), 1, None, 1)
    assert accepts(vee(theta), b, tree) is ok


def test_cut_forgeries():
    net, b = vee(F(11, 4)), make_ball((0, 0), 1, None, 1)
    assert accepts(net, b, CUT_TREE)
    bad = {
        "cut at the box edge": {**CUT_TREE, "cut": [0, "1"]},
        "cut outside the box": {**CUT_TREE, "cut": [0, "2"]},
        "cut on a missing input": {**CUT_TREE, "cut": [2, "0"]},
        "cut value not a number": {**CUT_TREE, "cut": [0, "zero"]},
        "cut without a value": {**CUT_TREE, "cut": [0]},
        "one half missing": {"cut": [0, "0"], "low": {"leaf": "output"}},
        "leaf deep not a boolean": {**CUT_TREE, "low": {"leaf": "output", "deep": "yes"}},
    }
    for name, tree in bad.items():
        assert not accepts(net, b, tree), name
    # the cut's halves are the box's: a larger ball, or the cut on another ball, is rejected
    assert not accepts(net, make_ball((0, 0), 1, None, F(9, 8)), CUT_TREE)
    for p in (1, 2):  # cuts are for ℓ∞ balls only
        assert not accepts(net, make_ball((0, 0), 1, p, F(1, 2)), CUT_TREE)


def test_box_facets_on_cut_regions():
    """f = (θ, 2·relu(x₁)) on the ball |x|∞ < 1, label 1. On the half 1/2 ≤ x₁ ≤ 1 (the unit
    on) the failure row f₂ − f₁ = 2x₁ − θ plus 2·(1 − x₁), the facet hi₁ − x₁ ≥ 0 of the
    region's box, is 2 − θ: a certificate exactly when θ > 2 (the lower half closes by its
    bounds, 2·relu(x₁) ≤ 1 there). Motzkin multipliers on box facets are read with the
    region's box, after the cuts."""
    for theta, ok in ((2 + TINY, True), (F(2), False)):
        net = net_from([([[1, 0]], [0]), ([[0], [2]], [theta, 0])], 2)  # f = (θ, 2 relu(x₁))
        b = make_ball((0, 0), 1, None, 1)
        leaf = {
            "leaf": "linear",
            "pattern": [[1]],
            "margins": [{"motzkin": {"out": "1", "box": [[0, -1, "2"]]}}],
        }
        tree = {"cut": [0, "1/2"], "low": {"leaf": "output"}, "high": leaf}
        assert accepts(net, b, tree) is ok, theta
        # at the root the unit is unstable: the leaf's pattern does not follow there
        assert not accepts(net, b, leaf)
        # ball facets are not read on a cut region
        forged = copy.deepcopy(tree)
        forged["high"]["margins"][0]["motzkin"] = {"out": "1", "ball": [[[0, 1], "2"]]}
        assert not accepts(net, b, forged)
        # a facet of the wrong side, or too small a multiplier, is rejected
        for facet in ([[0, 1, "2"]], [[0, -1, "1"]], [[1, -1, "2"]]):
            f2 = copy.deepcopy(tree)
            f2["high"]["margins"][0]["motzkin"]["box"] = facet
            assert not accepts(net, b, f2), facet


def test_bound_side_for_the_equal_property():
    """A strict ("equal") failure row may be closed by the recomputed bounds ("bound"),
    and only where they do close it."""
    net = net_from([([[1]], [0]), ([[1]], [0])], 1)  # f = relu(x)
    b = make_ball((F(-2),), 0, None, 1)  # f ≡ 0 on (−3, −1)
    leaf = {"leaf": "linear", "pattern": [[0]], "above": "bound", "below": "bound"}
    assert accepts(net, b, leaf)
    assert not accepts(net, make_ball((F(-1, 2),), 0, None, 1), leaf)


# ------------------------------------------------------------------ the engine


def _random_net(rng: random.Random, d: int, classes: int) -> Network:
    w = [rng.randint(3, 6), rng.randint(2, 5)]
    widths = [d, *w, classes]
    return net_from(
        [
            (
                [[F(rng.randint(-4, 4), 4) for _ in range(a)] for _ in range(b)],
                [F(rng.randint(-4, 4), 4) for _ in range(b)],
            )
            for a, b in zip(widths, widths[1:])
        ],
        d,
    )


def _argmax(net, x) -> int | None:
    v = net.evaluate_vector(list(x))
    m = max(v)
    return None if v.count(m) > 1 else v.index(m) + 1


@pytest.mark.parametrize("seed", range(6))
def test_engine_cuts_agree_with_z3_and_kernel(seed):
    """Differential: the cut search against the z3 engine (a whole-ball exact encoding) on
    random classifiers, d = 2 and 3; every PROVED tree re-checked by the kernel, every
    counterexample exactly inside the open ball and failing."""
    rng = random.Random(seed)
    d = 2 + seed % 2
    net = _random_net(rng, d, 3)
    decided = 0
    for t in range(8):
        c = tuple(F(rng.randint(-8, 8), 4) for _ in range(d))
        y = _argmax(net, c)
        if y is None:
            continue
        b = Ball(c, y, None, F(rng.randint(1, 6), 8), t)
        assert box_ball.wants_cuts(net, b)
        got = check_ball(net, b, timeout=30)
        ref = check_ball_z3(net, b, timeout=30)
        if "UNKNOWN" in (got.status, ref.status):
            continue
        decided += 1
        assert got.status == ref.status, (seed, t, got.reason, ref.reason)
        if got.status == "PROVED":
            assert got.certificate is not None
            tree = got.certificate["tree"]
            cq = tuple(kernel.exact(v) for v in c)
            kb = kernel.Ball(cq, y, None, kernel.exact(b.radius_power), None, True)
            assert kernel.check_tree(kernel.exact_layers(net), kb, tree) >= 1
        else:
            assert b.contains(got.counterexample)
            assert _argmax(net, got.counterexample) != y
    assert decided >= 4


@pytest.mark.parametrize("seed", range(4))
def test_engine_cuts_equal_property(seed):
    """One output (f ≡ y, failing where f ≠ y): saturating random networks f = 1 + relu(h) −
    relu(h − 1), whose constant regions end on kinks; the cut search agrees with z3."""
    rng = random.Random(100 + seed)
    d, w = 2, 4
    q = lambda: F(rng.randint(-4, 4), 4)  # noqa: E731
    v, c = [q() for _ in range(w)], q()
    net = net_from(
        [
            ([[q() for _ in range(d)] for _ in range(w)], [q() for _ in range(w)]),
            ([[2 * e for e in v], [2 * e for e in v]], [2 * c, 2 * c - 1]),  # relu(h), relu(h − 1)
            ([[1, -1]], [1]),
        ],
        d,
    )
    for t in range(10):
        x = tuple(F(rng.randint(-6, 6), 2) for _ in range(d))
        y = net.evaluate(list(x))
        if y not in (1, 2):
            continue
        b = Ball(x, int(y), None, F(rng.randint(1, 4), 4), t)
        got = check_ball(net, b, timeout=30)
        ref = check_ball_z3(net, b, timeout=30)
        if "UNKNOWN" not in (got.status, ref.status):
            assert got.status == ref.status, (seed, t, got.reason, ref.reason)
        if got.status == "REFUTED":
            assert b.contains(got.counterexample) and net.evaluate(list(got.counterexample)) != y


def test_tangent_ball_falls_back_to_the_ball_search():
    """A tie on the closed box's corner only: the cut search cannot prove it on the box, and
    hands the ball to the open ball's own search (strict facets), which does."""
    net = net_from([([[1, 1]], [0]), ([[0], [1]], [2, 0])], 2)  # f = (2, relu(x₁ + x₂))
    b = make_ball((0, 0), 1, None, 1)  # x₁ + x₂ < 2 on the open ball, = 2 at the corner
    res = check_ball(net, b, timeout=30)
    assert res.status == "PROVED"
    assert accepts(net, b, res.certificate["tree"])
    res = check_ball(net, make_ball((0, 0), 1, None, 1 + F(1, 64)), timeout=30)
    assert res.status == "REFUTED"
