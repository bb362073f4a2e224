"""Classifiers: argmax f = y on the ball, decided on the margin network."""

from __future__ import annotations

import time
from typing import Any

from flint import fmpq

from certify.ball import Ball, BallResult, refuted
from certify.engines.linear.attack import _attack_margins
from certify.engines.linear.bounds import (
    _Concretiser,
    _Propagation,
    affine_piece,
    backward_lower,
    propagate,
)
from certify.engines.linear.leaves import _leaf_pattern, _side_status, _split_constraints
from certify.engines.linear.prepare import _F, _Prepared, margin_prep
from certify.engines.linear.search import ENGINE, _branch_and_bound
from certify.engines.multipliers import emptiness_certificate
from certify.network import Network


def check_argmax(
    net: Network,
    ball: Ball,
    prep: _Prepared,
    timeout: float | None,
    max_nodes: int,
    seed: int,
    t0: float,
) -> BallResult:
    """argmax f = y on the open ball, ties failing, for a classifier f : R^d → R^C (output
    index y − 1 is class y). Works on the margin network g = (f_y − f_j)_{j ≠ y}: the
    property is g > 0 componentwise. Nodes close when every margin's lower bound is > 0;
    full-pattern leaves get, per margin j, "bound" or an emptiness certificate for
    {x ∈ region : g_j(x) ≤ 0}."""
    mprep = margin_prep(prep, net, ball.label)
    conc = _Concretiser(ball)

    def lows(prop: _Propagation, fixed) -> list[fmpq]:
        out = []
        for j, lo in enumerate(prop.lower[-1]):
            if lo <= 0 and len(mprep.layers) > 1:
                lo = max(lo, backward_lower(mprep, conc, prop, fixed, j))
            out.append(lo)
        return out

    def closes(prop: _Propagation, fixed) -> bool:
        return all(lo > 0 for lo in lows(prop, fixed))

    res = refuted(ball, net, ball.center, ENGINE, "argmax at the centre is not the label")
    if res is None and closes(propagate(mprep, conc, {}), {}):
        return BallResult(
            ball.index,
            "PROVED",
            ENGINE,
            reason="margin bounds keep the label on the whole ball",
            seconds=time.monotonic() - t0,
            stats={"nodes": 1, "leaves": {"output": 1}},
            certificate={"tree": {"leaf": "output"}},
        )
    res = res or _attack_margins(net, ball, mprep, seed)
    if res is not None:
        res.seconds = time.monotonic() - t0
        return res

    def decide(prop: _Propagation, fixed, ctx, time_left):
        pattern = _leaf_pattern(mprep, prop, fixed)
        forms = affine_piece(mprep, pattern)
        P, q = forms[-1]
        A = [[_F(P[j, i]) for i in range(P.ncols())] for j in range(P.nrows())]
        beta = [_F(q[j, 0]) for j in range(P.nrows())]
        bits = [[int(v) for v in r] for r in pattern]
        if all(not any(a) and b > 0 for a, b in zip(A, beta)):
            return "affine", {"leaf": "affine", "pattern": bits}, 0
        constraints = _split_constraints(forms, fixed)
        split_rows = [
            ([(1 if ph else -1) * v for v in row], (1 if ph else -1) * b0, False, ("split", k, i))
            for (row, b0, ph), (k, i) in zip(constraints, fixed)
        ]
        sides: list[Any] = []
        missing = 0
        for a, b, lo in zip(A, beta, lows(prop, fixed)):
            if lo > 0:
                sides.append("bound")
                continue
            st = _side_status(net, ball, constraints, ctx, time_left, a, b, lambda e, q: e <= 0)
            if st != "unsat":
                return st
            cert = emptiness_certificate(
                split_rows + [([-v for v in a], -b, False, ("out",))], ball
            )
            sides.append(cert if cert is not None else {"missing": None})
            missing += cert is None
        return "solver", {"leaf": "linear", "pattern": bits, "margins": sides}, missing

    return _branch_and_bound(ball, mprep, conc, timeout, max_nodes, t0, closes, decide)
