"""The open ℓp ball as z3 constraints, shared by the engines that ask z3 (untrusted).

Every constant is a z3 rational built from an exact string, never a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import z3

from certify.ball import Ball
from certify.numbers import format_number


def rational(v: Fraction | int, ctx: z3.Context) -> z3.ArithRef:
    """The exact rational v as a z3 real constant."""
    return z3.RealVal(str(format_number(Fraction(v))), ctx)


def ball_constraints(
    ball: Ball, xs: Sequence[z3.ArithRef], ctx: z3.Context, box_only: bool = False
) -> tuple[list[z3.BoolRef], str]:
    """Constraints saying x lies in the open ball, and the arithmetic logic they need:
    p = ∞ — |x_j − c_j| < μ; p = 1 — t_j ≥ ±(x_j − c_j), Σ t_j < μ; even p —
    Σ (x_j − c_j)^p < μ^p; odd p ≥ 3 — Σ t_j^p < μ^p with t_j ≥ ±(x_j − c_j). With
    ``box_only``: the open box |x_j − c_j| < r of a rational r ≥ μ that contains the ball
    (a linear relaxation)."""
    diffs = [x - rational(c, ctx) for x, c in zip(xs, ball.center)]
    if ball.p is None or box_only:
        r = rational(ball.box_radius, ctx)
        return [c for dj in diffs for c in (dj < r, -dj < r)], "LRA"
    r = rational(ball.radius_power, ctx)
    p = ball.p
    if p % 2 == 0:  # (x_j − c_j)^p is already |x_j − c_j|^p
        powers = [dj * dj if p == 2 else dj**p for dj in diffs]
        return [z3.Sum(powers) < r], "NRA"
    ts = [z3.Real(f"t_{j}", ctx) for j in range(len(xs))]
    cons = [c for t, dj in zip(ts, diffs) for c in (t >= dj, t >= -dj)]
    if p == 1:
        cons.append(z3.Sum(ts) < r)
        return cons, "LRA"
    cons.append(z3.Sum([t**p for t in ts]) < r)
    return cons, "NRA"
