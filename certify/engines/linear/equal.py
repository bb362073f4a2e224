"""One output: f ≡ y on the ball."""

from __future__ import annotations

import time
from typing import Any

from certify.ball import Ball, BallResult
from certify.engines.linear.attack import attack
from certify.engines.linear.bounds import _Concretiser, _Propagation, propagate
from certify.engines.linear.leaves import _decide_leaf
from certify.engines.linear.prepare import _Q, _Prepared
from certify.engines.linear.search import ENGINE, _branch_and_bound, _output_bounds
from certify.network import Network


def check_equal(
    net: Network,
    ball: Ball,
    prep: _Prepared,
    timeout: float | None,
    max_nodes: int,
    seed: int,
    t0: float,
) -> BallResult:
    """f ≡ label on the open ball for a network with one output: PROVED, REFUTED (exact
    counterexample) or UNKNOWN."""
    conc = _Concretiser(ball)
    y = _Q(ball.label)
    # the root first: most balls of a good memorizer close here, and need no attack
    if net.evaluate(ball.center) == ball.label:
        lo, up = _output_bounds(prep, conc, propagate(prep, conc, {}), {}, y)
        if lo >= y and up <= y:
            return BallResult(
                ball.index,
                "PROVED",
                ENGINE,
                reason="output bounds pin the label on the whole ball",
                seconds=time.monotonic() - t0,
                stats={"nodes": 1, "leaves": {"output": 1}},
                certificate={"tree": {"leaf": "output"}},
            )
    res = attack(net, ball, prep, seed=seed)
    if res is not None:
        res.seconds = time.monotonic() - t0
        return res

    def closes(prop: _Propagation, fixed) -> bool:
        lo, up = _output_bounds(prep, conc, prop, fixed, y)
        return lo >= y and up <= y

    def decide(prop: _Propagation, fixed, ctx, time_left):
        out = _decide_leaf(net, ball, prep, prop, fixed, ctx, time_left)
        if not isinstance(out, tuple):
            return out
        kind, pattern, rows, certs = out
        fields: dict[str, Any] = {
            "leaf": "affine" if kind == "affine" else "linear",
            "pattern": pattern,
        }
        missing = 0
        if kind == "solver":
            for side, cert in zip(("above", "below"), certs):
                fields[side] = cert if cert is not None else {"missing": None}
                missing += cert is None
        return kind, fields, missing

    return _branch_and_bound(ball, prep, conc, timeout, max_nodes, t0, closes, decide)
