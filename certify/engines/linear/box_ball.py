"""ℓ∞ balls of low input dimension: input cuts.

An ℓ∞ ball ‖x − c‖_∞ < μ lies in its closed box c ± μ, and a proof on the box holds on the
ball. For a low input dimension the strongest search is the VNN-LIB one (spec.py's
:func:`~certify.engines.linear.spec.region_search`: input cuts chosen FSB-style, shallow
leaves first, LP leaves with Motzkin multipliers on the box facets) run on that box against
the property's failure rows (kernel.goal_layers: f − y and y − f, failing where > 0, for one
output; f_j − f_y, failing where ≥ 0, for a classifier), each row its own conjunction. Its
tree is written in the ball judge's format (kernel.judge: "cut" nodes for p = ∞, linear
leaves with "above"/"below" or "margins"); a counterexample must lie in the open ball.
Between the attack and the search, a float-born network's ball gets one try of an LP leaf
on the whole ball (lp.py): ACAS Xu 2_1's ball #0 at r = 0.02, ~2,500 nodes of cuts, is one.
"""

from __future__ import annotations

import time
from dataclasses import replace
from fractions import Fraction
from typing import Any

from certify.ball import Ball, BallResult, refuted
from certify.engines.linear.attack import attack, attack_margins
from certify.engines.linear.lp import proved_by_lp
from certify.engines.linear.prepare import (
    OutOfBudget,
    _Prepared,
    budget_tick,
    kernel_ball,
    margin_prep,
)
from certify.engines.linear.search import ENGINE, proved_at_root
from certify.engines.linear.spec import (
    CUT_DIMS,
    BoxGuide,
    Problem,
    _exact_leaf,
    _floats,
    region_search,
)
from certify.kernel import rules
from certify.network import Network

BALL_CUT_DIMS = CUT_DIMS  # ℓ∞ balls with at most this many inputs take input cuts


def wants_cuts(net: Network, ball: Ball) -> bool:
    return ball.p is None and net.input_dim <= BALL_CUT_DIMS


def _goal(prep: _Prepared, y):
    """(goal layers, strict, their float copy) for label y: kernel.goal_layers, cached on
    the prepared network (the float copy of ACAS Xu's goal takes ~10 ms to make)."""
    cache = prep.__dict__.setdefault("_goals", {})
    if y not in cache:
        goal, strict = rules.goal_layers(prep.layers, y)
        cache[y] = (goal, strict, _floats(goal))
    return cache[y]


def _root_guess(goal, groups, box, floats) -> bool | None:
    """The float guide's root leaf: False (the shallow bounds close every row with a clear
    margin), True (the back-substituted ones do), None (neither)."""
    import numpy as np

    guide = BoxGuide(goal, floats, False)
    lo = np.array([float(v) for v in box.lo])
    hi = np.array([float(v) for v in box.hi])
    for deep in (False, True):
        guide.deep = deep
        g = guide.on(lo, hi).rows({})
        if isinstance(g, tuple) and all(g[0][t].any() for t in groups):
            return deep
    return None


class Boundary(Exception):
    """The property fails at a point of the box's boundary (outside the open ball) but at no
    point pulled towards the centre: input cuts on the closed box cannot prove it."""


def check_ball_cuts(
    net: Network,
    ball: Ball,
    prep: _Prepared,
    timeout: float | None,
    max_nodes: int,
    seed: int,
    t0: float,
    guided: bool = True,
) -> BallResult | None:
    """f ≡ label (argmax f = label for a classifier) on the open ℓ∞ ball by input cuts:
    PROVED (a tree the ball judge checks), REFUTED (an exact counterexample in the open
    ball), UNKNOWN, or None when the property fails on the box's boundary (a tangent ball:
    only the open ball's own search, with its strict facets, can prove it)."""
    kb = kernel_ball(ball, prep.bits, prep.deep)
    goal, strict, floats = _goal(prep, kb.y)

    def bad(z) -> bool:
        return any(not rules.safe(t, strict) for t in rules.evaluate(goal, z))

    def fails(x):
        """x, or for a point on the ball's boundary one pulled towards the centre, if it is
        a counterexample in the open ball. A boundary point that fails where no pulled one
        does raises :class:`Boundary`: the property may fail on the box but not on the ball."""
        for k in (0, 20, 40, 60, 90):
            z = x if k == 0 else [c + (v - c) * (1 - rules.Q(1, 2**k)) for v, c in zip(x, kb.c)]
            if kb.contains(z):
                if bad(z):
                    return z
                if k == 0:
                    return None
        if bad(x):
            raise Boundary
        return None

    groups = [[j] for j in range(len(goal[-1].W))]
    box = kb.box()
    tick = budget_tick(t0, timeout)
    stats: dict[str, Any] = {"nodes": 0, "cuts": True}
    res = refuted(ball, net, ball.center, ENGINE, "the centre fails the property")
    try:
        # the root first: most balls close here, with no attack. Float-born networks ask the
        # float guide (shallow, then deep bounds; the kernel re-checks the claim), exact ones
        # (robustmem's constructions, whose proofs rest on exact cancellations) the exact
        # shallow bounds.
        guess = guided and prep.bits is not None
        deep = _root_guess(goal, groups, box, floats) if res is None and guess else None
        exact_root = deep is None and res is None and not guess
        if exact_root and _exact_leaf(goal, groups, box, {}, tick, False, strict) == "output":
            deep = False
        if deep is not None:
            out = proved_at_root(ball, "output bounds keep the label on the whole ball", t0)
            out.certificate["deep"] = deep
            out.stats["guided"] = int(guess)
            return out
        if res is None and net.output_dim > 1:
            res = attack_margins(net, ball, margin_prep(prep, net, ball.label), seed)
        elif res is None:
            res = attack(net, ball, prep, seed=seed)
        if res is not None:
            res.seconds = time.monotonic() - t0
            return res
        res = proved_by_lp(ball, goal, strict, kb, tick, t0, prep)  # one LP leaf, if it suffices
        if res is not None:
            return res
        prob = Problem(goal, groups, strict, box.lo, box.hi, fails, hybrid=True, floats=floats)
        deep = replace(prep, deep=True)  # measured: exact-born random networks 2x faster
        status, reason, got = region_search(
            prob, deep, stats, timeout, max_nodes, t0, seed, guided, attack=False
        )
    except OutOfBudget as e:
        status, reason, got = "UNKNOWN", f"{e} (after {stats['nodes']} nodes)", None
    except Boundary:  # a proof on the closed box cannot exist: the ball's own search decides
        return None
    out = None
    if status == "REFUTED":
        x = tuple(Fraction(int(v.p), int(v.q)) for v in got)
        out = refuted(ball, net, x, ENGINE, reason, **stats)
    if out is None:
        out = BallResult(ball.index, status, ENGINE, reason=reason, stats=stats)
    if status == "PROVED":
        out.certificate = {"tree": ball_tree(got, strict)}
        out.certificate["deep"] = True
    elif status == "REFUTED" and out.status != "REFUTED":  # never expected: both are exact
        out.status, out.reason = "UNKNOWN", "a search counterexample failed the re-check"
    out.seconds = time.monotonic() - t0
    return out


def ball_tree(tree: dict, strict: bool) -> dict:
    """A region-search tree (searched with back-substituted bounds) in the ball judge's
    format: every leaf says its "deep"; linear leaves' per-conjunction certificates become
    "above"/"below" (``strict``, one output) or "margins", each Motzkin multiplier of a row
    a plain number (iterative: trees can be deep)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if "cut" in node:
            todo += [node["low"], node["high"]]
        elif "split" in node:
            todo += [node["active"], node["inactive"]]
        else:
            node.setdefault("deep", True)  # explicit: the tree reads the same in any bundle
            if node.get("leaf") == "linear" and "groups" in node:
                sides = [_side(c) for c in node.pop("groups")]
                if strict:
                    node["above"], node["below"] = sides
                else:
                    node["margins"] = sides
    return tree


def _side(cert):
    if cert == "bound":
        return cert
    body = dict(cert["motzkin"])
    out = body.pop("out", [])
    body["out"] = out[0][1] if out else "0"
    return {"motzkin": body}
