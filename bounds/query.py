"""Exact point queries: which records hold at (N, d, ρ, p), the regime, best bounds, gap.

Every validity decision is exact: the point is substituted as integers/rationals into the
record's sympy region and sympy must answer True or False (irrational boundaries such as
1/(5N√d) are compared exactly, so points on a boundary land on the side the theorem says).
Values are reported as floats (and exact sympy strings) — they are rates, not verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy as sp

from .exact import Undecided, decide, exact_text, float_of
from .point import INF, Point, p_label
from .records import RECORDS, Bound, Count
from .symbols import N, d, p


class UndecidedRegion(RuntimeError):
    """sympy could not decide a region exactly (should not happen for rational input)."""


def holds(b: Bound, pt: Point) -> bool:
    """Whether record ``b`` applies at ``pt`` (norm range and region, decided exactly).

    Only p is substituted by sympy (symbolic work); N, d and ρ are evaluated by
    :mod:`bounds.exact`, which never hands sympy a number to factor."""
    if not b.applies(pt.p):
        return False
    try:
        return decide(_region_at_p(b.key, pt.p), pt.env())
    except (Undecided, ValueError) as e:
        raise UndecidedRegion(f"cannot decide the region of {b.key} at {pt}: {e}") from None


def exact_value(b: Bound, pt: Point) -> float:
    """The record's value at ``pt`` as a float (computed exactly or by intervals)."""
    return float_of(expr_at_p(b, pt), pt.env())


def exact_text_value(b: Bound, pt: Point) -> str:
    """The record's exact value at ``pt``: "a/b" when rational, else an expression."""
    return exact_text(expr_at_p(b, pt), pt.env())


def float_value(e: float) -> float:
    return float(e)


@lru_cache(maxsize=4096)
def _region_at_p(key: str, pv: Fraction | float) -> sp.Basic:
    from .records import BY_KEY

    ps = sp.oo if pv == INF else sp.Rational(pv.numerator, pv.denominator)
    return BY_KEY[key].region.xreplace({p: ps})


def expr_at_p(b: Bound, pt: Point) -> sp.Expr:
    """The record's expression with only p substituted: readable in N, d, ρ."""
    return _expr_at_p(b.key, pt.p)


@lru_cache(maxsize=4096)
def _expr_at_p(key: str, pv: Fraction | float) -> sp.Expr:
    from .records import BY_KEY

    ps = sp.oo if pv == INF else sp.Rational(pv.numerator, pv.denominator)
    return sp.simplify(BY_KEY[key].expr.xreplace({p: ps}))


@dataclass(frozen=True)
class Answer:
    record: Bound
    value: float
    exact: str
    expr: str
    latex: str

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "exact": self.exact,
            "expr": self.expr,
            "source": self.record.source,
            "record": self.record.key,
            "asymptotic": not self.record.exact,
        }


def _answer(b: Bound, pt: Point) -> Answer:
    ep = expr_at_p(b, pt)
    env = pt.env()
    return Answer(b, float_of(ep, env), exact_text(ep, env), str(ep), sp.latex(ep))


@dataclass
class QueryResult:
    """The answer to ``robustmem bounds`` at one point."""

    point: Point
    count: Count
    regime: str
    upper: Answer | None
    lower: Answer
    prior_upper: Answer | None
    prior_lower: Answer
    first_layer_width: Answer
    prior_first_layer_width: Answer | None
    construction: dict[str, Answer] = field(default_factory=dict)
    used: list[Bound] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Multiplicative gap upper/lower of this paper's bounds (constants 1, no logs)."""
        return None if self.upper is None else self.upper.value / self.lower.value

    def to_json(self) -> dict[str, Any]:
        pt = self.point
        out: dict[str, Any] = {
            "N": pt.N,
            "d": pt.d,
            "rho": str(pt.rho),
            "p": p_label(pt.p),
            "count": self.count,
            "regime": self.regime,
            "upper": None if self.upper is None else self.upper.to_json(),
            "lower": self.lower.to_json(),
            "first_layer_width_lower": self.first_layer_width.value,
            "first_layer_width_lower_exact": self.first_layer_width.exact,
            "first_layer_width_source": self.first_layer_width.record.source,
            "prior_first_layer_width_lower": (
                None
                if self.prior_first_layer_width is None
                else self.prior_first_layer_width.to_json()
            ),
            "prior_upper": None if self.prior_upper is None else self.prior_upper.to_json(),
            "prior_lower": self.prior_lower.to_json(),
            "gap": self.gap,
            "improvement_upper": (
                None
                if self.upper is None or self.prior_upper is None
                else self.prior_upper.value / self.upper.value
            ),
            "improvement_lower": self.lower.value / self.prior_lower.value,
            "construction": {k: a.to_json() for k, a in self.construction.items()},
            "boundaries": boundaries(pt),
            "conventions": "constants 1, log factors dropped; upper omits the paper's +d",
        }
        return out


def boundaries(pt: Point) -> dict[str, float | None]:
    """ρ₁, ρ₂ and the top of the paper's range (1/γ), as floats, for this (N, d, p)."""
    from .records import R1, R2, R_TOP

    ps = sp.oo if pt.p == INF else sp.Rational(pt.p.numerator, pt.p.denominator)
    env = pt.env()
    return {
        k: float_of(e.xreplace({p: ps}), env)
        for k, e in (("rho1", R1), ("rho2", R2), ("rho_top", R_TOP))
    }


def applicable(pt: Point, *, kind: str, quantity: str, count: str, paper: str) -> list[Bound]:
    return [
        b
        for b in RECORDS
        if b.kind == kind
        and b.quantity == quantity
        and b.count == count
        and b.paper == paper
        and holds(b, pt)
    ]


def query(pt: Point, count: Count = "all") -> QueryResult:
    """All bounds at ``pt`` for the given counting convention."""
    kmy_up = applicable(pt, kind="upper", quantity="params", count=count, paper="KMY")
    if len(kmy_up) > 1:
        raise AssertionError(f"overlapping regimes at {pt}: {[b.key for b in kmy_up]}")
    upper = _answer(kmy_up[0], pt) if kmy_up else None
    regime = kmy_up[0].regime if kmy_up else "none"
    assert regime is not None

    def best(kind: str, quantity: str, cnt: str, paper: str) -> Answer | None:
        recs = applicable(pt, kind=kind, quantity=quantity, count=cnt, paper=paper)
        if not recs:
            return None
        vals = [float_value(exact_value(b, pt)) for b in recs]
        pick = max if kind == "lower" else min
        return _answer(recs[vals.index(pick(vals))], pt)

    lower = best("lower", "params", count, "KMY")
    assert lower is not None, f"no lower bound at {pt}"
    fw = best("lower", "first_width", "all", "KMY")
    assert fw is not None
    prior_up = best("upper", "params", count, "prior")
    prior_low = best("lower", "params", count, "prior")
    assert prior_low is not None
    prior_fw = best("lower", "first_width", "all", "prior")

    construction: dict[str, Answer] = {}
    if regime != "none":
        for q in ("depth", "width", "bits"):
            recs = applicable(pt, kind="upper", quantity=q, count="all", paper="KMY")
            if recs:
                construction[q] = _answer(recs[0], pt)
    used = [a.record for a in (upper, lower, fw, prior_up, prior_low) if a is not None]
    return QueryResult(
        pt, count, regime, upper, lower, prior_up, prior_low, fw, prior_fw, construction, used
    )


def regime_of(pt: Point) -> str:
    """The regime ("small" | "moderate" | "large" | "none") at ``pt``."""
    return query(pt).regime


__all__ = ["QueryResult", "Answer", "query", "holds", "regime_of", "boundaries", "N", "d"]
