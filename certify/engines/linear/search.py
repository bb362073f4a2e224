"""Branch and bound on unstable neurons, earliest layer first, under a node/time budget.

A node is a set of split phases ``fixed``; its bounds are the kernel's (rules.bounds: None
when a split contradicts them, an empty leaf). The property's test on the bounds (``closes``)
and the leaf decision at a full pattern (``decide``) come from the property's module
(equal.py, argmax.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from certify.ball import Ball, BallResult
from certify.budget import memory_limit_mib, rss_mib
from certify.kernel import rules

ENGINE = "linear"


@dataclass
class _Budget:
    deadline: float | None
    max_nodes: int
    nodes: int = 0
    guided: int = 0  # nodes decided by the float guide
    leaves: dict[str, int] = field(default_factory=dict)
    memory: float = field(default_factory=lambda: float(memory_limit_mib()))

    def out(self) -> str | None:
        """Why the search must stop now (nodes, time or memory), else None."""
        if self.nodes >= self.max_nodes:
            return f"budget exhausted after {self.nodes} nodes"
        if self.deadline is not None and time.monotonic() > self.deadline:
            return f"time budget exhausted after {self.nodes} nodes"
        if self.nodes % 16 == 0 and rss_mib() > self.memory:
            return f"memory limit ({self.memory:.0f} MiB) reached after {self.nodes} nodes"
        return None


def proved_at_root(ball: Ball, reason: str, t0: float) -> BallResult:
    """PROVED by the root's bounds alone (one output leaf)."""
    return BallResult(
        ball.index,
        "PROVED",
        ENGINE,
        reason=reason,
        seconds=time.monotonic() - t0,
        stats={"nodes": 1, "leaves": {"output": 1}},
        certificate={"tree": {"leaf": "output"}},
    )


def branch_and_bound(
    ball, prep, kb, timeout, max_nodes, t0, closes, decide, root=None, guide=None, probe=None
) -> BallResult:
    """Split unstable neurons until every node closes: ``closes(bounds, fixed)`` (the bounds
    prove the property) or, with every neuron stable or split, ``decide(bounds, fixed, ctx,
    time_left)`` returns (kind, leaf fields, missing certificates), a REFUTED result or
    "unknown". ``bounds`` are the kernel's (lows, ups) of the node; ``root``: the root's,
    already computed and known not to close. ``guide`` (a :class:`guide.FloatGuide`, or None)
    proposes each node's leaf or split from float bounds; where it is unsure the node's exact
    bounds decide. Guided leaves are claims the kernel re-checks (stats["guided"] counts
    them). ``probe(x)``: at each node the guide splits, its bound's minimiser x
    (guide.vertex) is tried as a counterexample (an exactly checked REFUTED result, or None)."""
    budget = _Budget(None if timeout is None else t0 + timeout, max_nodes)
    tree: dict[str, Any] = {}
    stack: list[tuple[dict[tuple[int, int], bool], dict[str, Any]]] = [({}, tree)]
    uncertified = 0
    ctx = _LazyContext()
    while stack:
        why = budget.out()
        if why:
            return BallResult(
                ball.index,
                "UNKNOWN",
                ENGINE,
                reason=why,
                seconds=time.monotonic() - t0,
                stats=_stats(budget),
            )
        fixed, node = stack.pop()
        budget.nodes += 1
        g = guide.propose(fixed) if guide is not None and (fixed or root is None) else None
        if g is not None:
            budget.guided += 1
            if isinstance(g, tuple):
                x = guide.vertex() if probe is not None else None
                got = probe(x) if x is not None else None
                if got is not None:
                    got.seconds = time.monotonic() - t0
                    got.stats.update(_stats(budget))
                    return got
                node.update(split=list(g), active={}, inactive={})
                stack.append(({**fixed, g: False}, node["inactive"]))
                stack.append(({**fixed, g: True}, node["active"]))
            else:
                _leaf(budget, g)
                node["leaf"] = g
            continue
        if root is not None and not fixed:
            b = root
        else:
            b = rules.bounds(prep.layers, kb, fixed)
            if b is None:
                _leaf(budget, "empty")
                node["leaf"] = "empty"
                continue
            if closes(b, fixed):
                _leaf(budget, "output")
                node["leaf"] = "output"
                continue
        lows, ups = b
        # first layer (in order) with an undetermined neuron
        choice = None
        for k in range(len(prep.layers) - 1):
            best = None
            step = prep.layers[k].step
            for i, (l, u) in enumerate(zip(lows[k], ups[k])):
                if (k, i) in fixed or rules.phase(step[i], None, l, u) is not None:
                    continue
                score = u * (-l) / (u - l)
                if best is None or score > best[0]:
                    best = (score, i)
            if best is not None:
                choice = (k, best[1])
                break
        if choice is not None:
            node.update(split=list(choice), active={}, inactive={})
            stack.append(({**fixed, choice: False}, node["inactive"]))
            stack.append(({**fixed, choice: True}, node["active"]))
            continue
        out = decide(b, fixed, ctx, timeout_left(budget))
        if isinstance(out, BallResult):
            out.seconds = time.monotonic() - t0
            out.stats.update(_stats(budget))
            return out
        if out == "unknown":
            return BallResult(
                ball.index,
                "UNKNOWN",
                ENGINE,
                reason="the exact solver could not decide a leaf",
                seconds=time.monotonic() - t0,
                stats=_stats(budget),
            )
        kind, fields, missing = out
        _leaf(budget, kind)
        node.update(fields)
        uncertified += missing
    stats = _stats(budget)
    stats["uncertified_leaves"] = uncertified
    return BallResult(
        ball.index,
        "PROVED",
        ENGINE,
        reason="every branch closed ("
        + ", ".join(f"{v} {k}" for k, v in sorted(budget.leaves.items()))
        + ")"
        + (f"; {uncertified} leaf sides without a certificate" if uncertified else ""),
        seconds=time.monotonic() - t0,
        stats=stats,
        certificate=None if uncertified else {"tree": tree},
    )


def back_substitute(layers, ball, fixed: dict, lows, ups, j: int, sign: int = 1):
    """A lower bound of sign·(output j) on the region, by back-substitution (the kernel's
    rules.back_rows with every layer's rules.pulls)."""
    terms = [
        rules.pulls(layers[k], k, fixed, lows[k], ups[k], ball.bits) for k in range(len(layers) - 1)
    ]
    L = layers[-1]
    return rules.back_rows(layers, ball, terms, [[sign * w for w in L.W[j]]], [sign * L.b[j]])[0]


def output_upper(layers, ball, fixed: dict, lows, ups, j: int):
    """An upper bound of output j: the forward bound, tightened by back-substitution."""
    return min(ups[-1][j], -back_substitute(layers, ball, fixed, lows, ups, j, -1))


def output_bounds(prep, kb, b, fixed, y):
    """Forward output bounds, tightened by back-substitution when they do not pin y."""
    lows, ups = b
    lo, up = lows[-1][0], ups[-1][0]
    if len(prep.layers) > 1 and not (lo >= y and up <= y):
        lo = max(lo, back_substitute(prep.layers, kb, fixed, lows, ups, 0))
        up = output_upper(prep.layers, kb, fixed, lows, ups, 0)
    return lo, up


class _LazyContext:
    """A z3 context made on first use (most balls never reach a solver)."""

    def __init__(self) -> None:
        self._ctx = None

    def get(self):
        if self._ctx is None:
            import z3

            self._ctx = z3.Context()
        return self._ctx


def timeout_left(b: _Budget) -> float | None:
    return None if b.deadline is None else max(0.001, b.deadline - time.monotonic())


def _leaf(b: _Budget, kind: str) -> None:
    b.leaves[kind] = b.leaves.get(kind, 0) + 1


def _stats(b: _Budget) -> dict[str, Any]:
    out: dict[str, Any] = {"nodes": b.nodes, "leaves": dict(b.leaves)}
    if b.guided:
        out["guided"] = b.guided
    return out
