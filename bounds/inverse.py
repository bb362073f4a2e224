"""Inverse queries: for a parameter budget P, where in ρ ∈ (0, 1) does P suffice (this paper's
upper bound ≤ P), provably not suffice (its lower bound > P), or remain open?

The bounds are rates with constants 1 and no log factors, so interval ends are located in
floating point (a dense log grid in ρ and in 1 − ρ, then bisection on each change); they are
guidance about rates, not certified statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .point import INF
from .vectorized import REGIME_NAMES, evaluate

STATUS = ("sufficient", "insufficient", "open", "conflict")


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float
    status: str  # one of STATUS
    regimes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "rho_from": self.lo,
            "rho_to": self.hi,
            "status": self.status,
            "regimes": list(self.regimes),
        }


def _curves(N: int, d: int, pf: float, rhos: np.ndarray, count: str):
    out = evaluate(float(N), float(d), rhos, pf, count)
    upper = np.nan_to_num(out["upper"], nan=np.inf)
    if count == "all":  # the paper's rate omits the input layer's +d; real counts include it
        upper = upper + d
    return upper, out["lower"], out["regime"]


def _refine(pred, a: float, b: float) -> float:
    """Bisection for the switch of ``pred`` between a (pred(a)) and b (not pred(b))."""
    for _ in range(100):
        m = 0.5 * (a + b)
        if m in (a, b):
            break
        if pred(m):
            a = m
        else:
            b = m
    return a


def inverse(N: int, d: int, pv, P: float, count: str = "all") -> list[Interval]:
    """ρ-intervals, in increasing ρ, where the budget ``P`` is sufficient / open /
    insufficient (or "conflict": the rates, which ignore constants and logs, disagree).

    Sufficiency is closed downwards: a network that robustly memorizes at ratio ρ' does so
    at every ρ < ρ', so P suffices at ρ when the upper bound is ≤ P at some ρ' ≥ ρ. For
    ``count="all"`` the upper rate is compared with the input layer's +d added back."""
    pf = float("inf") if pv == INF else float(pv)
    lo = min(1e-14, 1.0 / (5.0 * N * np.sqrt(d) * max(1.0, d) * 100))
    grid = np.unique(
        np.concatenate(
            [
                np.geomspace(lo, 0.5, 6000),
                1.0 - np.geomspace(1e-15, 0.5, 6000),
            ]
        )
    )
    upper, lower, regimes = _curves(N, d, pf, grid, count)

    def ok(x: float) -> bool:
        return bool(_curves(N, d, pf, np.array([x]), count)[0][0] <= P)

    def allowed(x: float) -> bool:
        return not bool(_curves(N, d, pf, np.array([x]), count)[1][0] > P)

    ok_idx = np.nonzero(upper <= P)[0]
    if len(ok_idx) == 0:
        s = 0.0
    elif ok_idx[-1] == len(grid) - 1:
        s = 1.0
    else:
        i = int(ok_idx[-1])
        s = _refine(ok, float(grid[i]), float(grid[i + 1]))
    no_idx = np.nonzero(lower > P)[0]
    if len(no_idx) == 0:
        t = 1.0
    elif no_idx[0] == 0:
        t = 0.0
    else:
        j = int(no_idx[0])
        t = _refine(allowed, float(grid[j - 1]), float(grid[j]))

    pieces: list[tuple[float, float, str]] = []
    first = min(s, t)
    if first > 0:
        pieces.append((0.0, first, "sufficient"))
    if s < t:
        pieces.append((s, t, "open"))
    elif t < s:
        pieces.append((t, s, "conflict"))
    if max(s, t) < 1:
        pieces.append((max(s, t), 1.0, "insufficient"))
    out = []
    for a, b, status in pieces:
        inside = (grid > a) & (grid <= b)
        r = (
            regimes[inside]
            if inside.any()
            else _curves(N, d, pf, np.array([0.5 * (a + b)]), count)[2]
        )
        names = tuple(dict.fromkeys(REGIME_NAMES[int(x)] for x in r))
        out.append(Interval(a, b, status, names))
    return out
