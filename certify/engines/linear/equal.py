"""One output: f ≡ y on the ball."""

from __future__ import annotations

import time
from typing import Any

from certify.ball import Ball, BallResult
from certify.engines.linear.attack import attack
from certify.engines.linear.leaves import decide_leaf
from certify.engines.linear.prepare import _Prepared, budget_tick, kernel_ball
from certify.engines.linear.search import branch_and_bound, output_bounds, proved_at_root
from certify.kernel import rules
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
    kb = kernel_ball(ball, prep.bits, prep.deep, budget_tick(t0, timeout))
    y = rules.exact(ball.label)
    root = None
    # the root first: most balls of a good memorizer close here, and need no attack
    if rules.evaluate(prep.layers, kb.c) == [y]:
        root = rules.bounds(prep.layers, kb, {})
        lo, up = output_bounds(prep, kb, root, {}, y)
        if lo >= y and up <= y:
            return proved_at_root(ball, "output bounds pin the label on the whole ball", t0)
    res = attack(net, ball, prep, seed=seed)
    if res is not None:
        res.seconds = time.monotonic() - t0
        return res

    def closes(b, fixed) -> bool:
        lo, up = output_bounds(prep, kb, b, fixed, y)
        return lo >= y and up <= y

    def decide(b, fixed, ctx, time_left):
        out = decide_leaf(net, ball, prep, b, fixed, ctx, time_left)
        if not isinstance(out, tuple):
            return out
        kind, pattern, certs = out
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

    return branch_and_bound(ball, prep, kb, timeout, max_nodes, t0, closes, decide, root)
