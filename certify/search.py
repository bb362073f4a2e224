"""The untrusted search for one ball: which engine runs, with what budget.

Its PROVED and REFUTED are claims; :mod:`certify.run` passes each through the kernel."""

from __future__ import annotations

import time

from certify.ball import Ball, BallResult
from certify.budget import MEMORY_ENV, memory_limit_mib, rss_mib  # noqa: F401
from certify.network import Network

AUTO_LINEAR_NODES = 3000  # branch-and-bound nodes the linear engine gets before z3 in "auto"


def search_one(
    net: Network,
    ball: Ball,
    engine: str,
    timeout: float | None,
    prep=None,
    guided: bool = True,
) -> BallResult:
    """One ball with the chosen engine (untrusted: its PROVED/REFUTED are claims until the
    kernel accepts them, see :func:`judge_result`).

    "auto" runs the linear engine with a node budget, then z3 on what stays UNKNOWN. z3's
    unsat answers carry no certificate: such balls go back to the linear engine for one.
    ``guided``: the linear engine's float guide is on (see engines/linear/guide.py); a guided
    proof the kernel rejects is searched again with ``guided=False`` (:func:`rejudged`)."""
    from functools import partial

    from certify.engines.linear import check_ball

    lin_check = partial(check_ball, guided=guided)

    t0 = time.monotonic()

    def left() -> float | None:
        return None if timeout is None else timeout - (time.monotonic() - t0)

    def spent(why: str) -> BallResult:  # the budget ran out between stages
        out = BallResult(ball.index, "UNKNOWN", engine, reason=f"time budget exhausted {why}")
        out.stats = {"out_of_time": True}
        return out

    if engine == "linear":
        res = lin_check(net, ball, timeout=timeout, prep=prep)
    else:
        from certify.engines.z3_engine import check_ball as z3_check

        first = None
        if engine == "auto":
            share = None if timeout is None else timeout / 2
            first = lin_check(net, ball, timeout=share, prep=prep, max_nodes=AUTO_LINEAR_NODES)
        rest = left()
        if first is not None and first.status != "UNKNOWN":
            res = first
        elif rest is not None and rest <= 0:
            res = spent(f"before z3 (linear: {first.reason})" if first else "before z3")
        else:
            res = z3_check(net, ball, timeout=rest)
            if first is not None:
                res.reason = f"linear: {first.reason}; z3: {res.reason}"
                res.engine = "auto(z3)"
            rest = left()
            if res.status == "PROVED" and rest is not None and rest <= 0:
                res = spent("after z3's unsat, before a certificate")
            elif res.status == "PROVED":  # z3's proof has no certificate: ask the linear engine
                lin = lin_check(net, ball, timeout=rest, prep=prep)
                lin.engine = f"{res.engine}+linear"
                lin.reason = f"z3 unsat; certificate by the linear engine: {lin.reason}"
                res = (
                    lin
                    if lin.status == "PROVED"
                    else BallResult(
                        ball.index,
                        "UNKNOWN",
                        res.engine,
                        reason="z3 found no counterexample, but no certificate could be built",
                        stats=res.stats,
                    )
                )
    res.seconds = time.monotonic() - t0
    return res


def guided_claim(res: BallResult) -> bool:
    """A PROVED claim whose tree the float guide proposed (in part)."""
    return res.status == "PROVED" and bool(res.stats.get("guided"))
