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
    def gap_raw(self) -> float | None:
        """(upper + d)/lower: the paper's upper rate with its "trivial additive factor d" put
        back (count "all"; nonzero-count rates state their +d already), over the lower rate.
        Constants 1 and no logs on both sides, so this can fall below 1 (e.g. √N + d against
        √N/√(1−ρ²) + d in the small regime, or N/625 + d against √N + d just above ρ₂)."""
        if self.upper is None:
            return None
        plus = self.point.d if self.count == "all" else 0
        return (self.upper.value + plus) / self.lower.value

    @property
    def gap(self) -> float | None:
        """The multiplicative gap between this paper's bounds, max(1, :attr:`gap_raw`): an
        upper rate below a lower rate is an artefact of the dropped constants (THEORY §4), so
        it reads "the rates meet here", never "the bounds contradict"."""
        raw = self.gap_raw
        return None if raw is None else max(1.0, raw)

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
            "gap_raw": self.gap_raw,
            "improvement_upper": (
                None
                if self.upper is None or self.prior_upper is None
                else self.prior_upper.value / self.upper.value
            ),
            "improvement_lower": self.lower.value / self.prior_lower.value,
            "construction": {k: a.to_json() for k, a in self.construction.items()},
            "boundaries": boundaries(pt),
            "conventions": CONVENTIONS[self.count],
        }
        return out


CONVENTIONS = {
    "all": "constants 1, log factors dropped; upper omits the paper's +d; "
    "gap = max(1, (upper + d)/lower)",
    "nonzero": "constants 1, log factors dropped; nonzero upper rates include their +d; "
    "gap = max(1, upper/lower)",
}


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


def _is_theorem(key: str) -> bool:
    """KMY.UB.<roman>.<fam> (a theorem's statement), not KMY.UB.iii.<case>.<fam>."""
    return key.startswith("KMY.UB.") and key.count(".") == 3


def query(pt: Point, count: Count = "all") -> QueryResult:
    """All bounds at ``pt`` for the given counting convention."""
    kmy_up = applicable(pt, kind="upper", quantity="params", count=count, paper="KMY")
    regimes = {b.regime for b in kmy_up}
    if len(regimes) > 1:
        raise AssertionError(f"overlapping regimes at {pt}: {[b.key for b in kmy_up]}")
    regime = regimes.pop() if regimes else "none"
    assert regime is not None

    def pick(recs: list[Bound], kind: str) -> Answer | None:
        """The best of ``recs`` (largest lower, smallest upper; the first on a tie)."""
        if not recs:
            return None
        vals = [float_value(exact_value(b, pt)) for b in recs]
        choose = max if kind == "lower" else min
        return _answer(recs[vals.index(choose(vals))], pt)

    def best(kind: str, quantity: str, cnt: str, paper: str) -> Answer | None:
        return pick(applicable(pt, kind=kind, quantity=quantity, count=cnt, paper=paper), kind)

    # a theorem and the sharper count of one case of its proof may both hold: the smaller wins
    upper = pick(kmy_up, "upper")
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
        # the construction behind the chosen all-count upper record: its own depth/width/bits
        # records where it has them (a case of Thm B.14), else those of the theorem
        chosen = upper.record.key if count == "all" and upper is not None else None
        for q in ("depth", "width", "bits"):
            recs = applicable(pt, kind="upper", quantity=q, count="all", paper="KMY")
            own = [b for b in recs if chosen in b.rests_on]
            theorem = [b for b in recs if _is_theorem(b.rests_on[0])]  # KMY.UB.<roman>.<fam>
            if own or theorem:
                construction[q] = _answer((own or theorem)[0], pt)
    used = [a.record for a in (upper, lower, fw, prior_up, prior_low) if a is not None]
    return QueryResult(
        pt, count, regime, upper, lower, prior_up, prior_low, fw, prior_fw, construction, used
    )


def regime_of(pt: Point) -> str:
    """The regime ("small" | "moderate" | "large" | "none") at ``pt``."""
    return query(pt).regime


__all__ = ["QueryResult", "Answer", "query", "holds", "regime_of", "boundaries", "N", "d"]
