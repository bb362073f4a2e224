"""Classifiers: argmax f = y on the ball, decided on the margin network."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from certify.ball import Ball, BallResult, refuted
from certify.engines.linear.attack import _vertex_refutation, attack_margins
from certify.engines.linear.guide import FloatGuide
from certify.engines.linear.leaves import (
    leaf_pattern,
    piece,
    side_status,
    split_constraints,
    split_rows,
)
from certify.engines.linear.prepare import (
    _F,
    _Prepared,
    budget_tick,
    kernel_ball,
    margin_prep,
)
from certify.engines.linear.search import (
    ENGINE,
    back_substitute,
    branch_and_bound,
    proved_at_root,
)
from certify.engines.multipliers import emptiness_certificate
from certify.kernel import rules
from certify.network import Network


def check_argmax(
    net: Network,
    ball: Ball,
    prep: _Prepared,
    timeout: float | None,
    max_nodes: int,
    seed: int,
    t0: float,
    guided: bool = True,
) -> BallResult:
    """argmax f = y on the open ball, ties failing, for a classifier f : R^d → R^C (output
    index y − 1 is class y). Works on the margin network g = (f_y − f_j)_{j ≠ y}: the
    property is g > 0 componentwise. Nodes close when every margin's lower bound is > 0;
    full-pattern leaves get, per margin j, "bound" or an emptiness certificate for
    {x ∈ region : g_j(x) ≤ 0}. With ``guided`` and rounded bounds (``prep.bits``), a float
    guide (guide.py) proposes the nodes' leaves and splits; the kernel re-checks them."""
    mprep = margin_prep(prep, net, ball.label)
    kb = kernel_ball(ball, prep.bits, prep.deep, budget_tick(t0, timeout))
    layers = mprep.layers

    def lows(b, fixed) -> list:
        """Each margin's lower bound: forward, tightened by back-substitution if ≤ 0."""
        out = []
        for j, lo in enumerate(b[0][-1]):
            if lo <= 0 and len(layers) > 1:
                lo = max(lo, back_substitute(layers, kb, fixed, *b, j))
            out.append(lo)
        return out

    def closes(b, fixed) -> bool:
        return all(lo > 0 for lo in lows(b, fixed))

    root = None
    guide = FloatGuide(mprep, ball) if guided and prep.bits is not None else None
    res = refuted(ball, net, ball.center, ENGINE, "argmax at the centre is not the label")
    if res is None:
        shallow = guide is not None and prep.deep  # the cheaper shallow bounds first
        if shallow and FloatGuide(mprep, ball, deep=False).propose({}) == "output":
            out = proved_at_root(ball, "margin bounds keep the label on the whole ball", t0)
            out.stats["guided"] = 1
            out.certificate["deep"] = False  # the kernel checks it without back-substitution
            return out
        at_root = guide.propose({}) if guide is not None else None
        if at_root == "output":
            out = proved_at_root(ball, "margin bounds keep the label on the whole ball", t0)
            out.stats["guided"] = 1
            return out
        if at_root is None:
            root = rules.bounds(layers, kb, {})
            if closes(root, {}):
                return proved_at_root(ball, "margin bounds keep the label on the whole ball", t0)
    res = res or attack_margins(net, ball, mprep, seed)
    if res is not None:
        res.seconds = time.monotonic() - t0
        return res

    def decide(b, fixed, ctx, time_left):
        deadline = None if time_left is None else time.monotonic() + time_left
        pattern = leaf_pattern(mprep, b, fixed)
        forms = piece(mprep, pattern)
        P, q = forms[-1]
        A = [[_F(v) for v in row] for row in P]
        beta = [_F(v) for v in q]
        bits = [[int(v) for v in r] for r in pattern]
        if all(not any(a) and c > 0 for a, c in zip(A, beta)):
            return "affine", {"leaf": "affine", "pattern": bits}, 0
        constraints = split_constraints(forms, fixed)
        rows = split_rows(constraints, fixed)
        sides: list[Any] = []
        missing = 0
        for a, c, lo in zip(A, beta, lows(b, fixed)):
            if lo > 0:
                sides.append("bound")
                continue
            st = side_status(net, ball, constraints, ctx, deadline, a, c, lambda e, q: e <= 0)
            if st != "unsat":
                return st
            cert = emptiness_certificate([*rows, ([-v for v in a], -c, False, ("out",))], ball)
            sides.append(cert if cert is not None else {"missing": None})
            missing += cert is None
        return "solver", {"leaf": "linear", "pattern": bits, "margins": sides}, missing

    seen: set = set()

    def probe(x):
        """x (a vertex of the ball) as a counterexample, once per vertex: floats filter, the
        exact points c + (1 − 2^-k)·μ·u decide."""
        key = np.sign(x - guide.c).tobytes()
        if key in seen or not guide.fails_at(x):
            return None
        seen.add(key)
        return _vertex_refutation(net, ball, x)

    return branch_and_bound(
        ball, mprep, kb, timeout, max_nodes, t0, closes, decide, root, guide, probe
    )
