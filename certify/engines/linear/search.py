"""Branch and bound on unstable neurons, earliest layer first, under a node/time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flint import fmpq

from certify.ball import BallResult
from certify.engines.linear.bounds import backward_output_bounds, propagate
from certify.engines.linear.prepare import _undetermined

ENGINE = "linear"


@dataclass
class _Budget:
    deadline: float | None
    max_nodes: int
    nodes: int = 0
    leaves: dict[str, int] = field(default_factory=dict)

    def out(self) -> bool:
        return self.nodes >= self.max_nodes or (
            self.deadline is not None and time.monotonic() > self.deadline
        )


def _branch_and_bound(ball, prep, conc, timeout, max_nodes, t0, closes, decide) -> BallResult:
    """Split unstable neurons until every node closes: ``closes(prop, fixed)`` (the bounds
    prove the property) or, with every neuron stable or split, ``decide(prop, fixed, ctx,
    time_left)`` returns (kind, leaf fields, missing certificates), a REFUTED result or
    "unknown"."""
    budget = _Budget(None if timeout is None else t0 + timeout, max_nodes)
    tree: dict[str, Any] = {}
    stack: list[tuple[dict[tuple[int, int], bool], dict[str, Any]]] = [({}, tree)]
    uncertified = 0
    ctx = _LazyContext()
    while stack:
        if budget.out():
            return BallResult(
                ball.index,
                "UNKNOWN",
                ENGINE,
                reason=f"budget exhausted after {budget.nodes} nodes",
                seconds=time.monotonic() - t0,
                stats=_stats(budget),
            )
        fixed, node = stack.pop()
        budget.nodes += 1
        prop = propagate(prep, conc, fixed)
        if prop.empty:
            _leaf(budget, "empty")
            node["leaf"] = "empty"
            continue
        if closes(prop, fixed):
            _leaf(budget, "output")
            node["leaf"] = "output"
            continue
        # first layer (in order) with an undetermined neuron
        choice = None
        for k in range(len(prep.layers) - 1):
            best = None
            for i, (l, u) in enumerate(zip(prop.lower[k], prop.upper[k])):
                if (k, i) in fixed or not _undetermined(prep, k, i, l, u):
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
        out = decide(prop, fixed, ctx, timeout_left(budget))
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


def _output_bounds(prep, conc, prop, fixed, y) -> tuple[fmpq, fmpq]:
    """Forward output bounds, tightened by back-substitution when they do not pin y."""
    lo, up = prop.lower[-1][0], prop.upper[-1][0]
    if len(prep.layers) > 1 and not (lo >= y and up <= y):
        blo, bup = backward_output_bounds(prep, conc, prop, fixed)
        lo, up = max(lo, blo), min(up, bup)
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
    return {"nodes": b.nodes, "leaves": dict(b.leaves)}
