"""Robustness balls and per-ball verdicts: the contract every engine works to.

A ball is OPEN: B_p(c, μ) = {x : ‖x − c‖_p < μ}. Radii are kept exact as μ^p for integer p
(so ℓ2 never needs a square root) and as μ for p = ∞.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from certify.kernel.rules import iroot_ceil
from certify.numbers import format_number

Status = Literal["PROVED", "REFUTED", "UNKNOWN"]


@dataclass(frozen=True)
class Ball:
    """The open ℓp ball around ``center`` (p an integer ≥ 1, or None for ∞)."""

    center: tuple[Fraction, ...]
    label: int
    p: int | None  # None: p = ∞
    radius_power: Fraction  # μ^p for integer p; μ for p = ∞
    index: int = 0  # the point's index in its dataset

    @property
    def d(self) -> int:
        return len(self.center)

    @property
    def box_radius(self) -> Fraction:
        """A rational r ≥ μ: the ball lies inside the box |x_j − c_j| < r."""
        if self.p is None or self.p == 1:
            return self.radius_power
        return root_upper(self.radius_power, self.p)

    def norm_power(self, x: tuple[Fraction, ...]) -> Fraction:
        """‖x − c‖_p^p (or ‖x − c‖_∞), exactly."""
        diffs = [abs(a - b) for a, b in zip(x, self.center)]
        if self.p is None:
            return max(diffs, default=Fraction(0))
        return sum((t**self.p for t in diffs), Fraction(0))

    def contains(self, x: tuple[Fraction, ...]) -> bool:
        """Exact strict membership in the open ball."""
        if len(x) != self.d:
            return False
        return self.norm_power(x) < self.radius_power

    def p_label(self) -> str:
        return "inf" if self.p is None else str(self.p)


def root_upper(q: Fraction, k: int, bits: int = 64) -> Fraction:
    """A rational r with r ≥ q^{1/k} (within ~2^-bits relative), for q ≥ 0."""
    if q <= 0:
        return Fraction(0)
    # integer k-th root of q·2^(k·bits), rounded up
    num, den = q.numerator << (k * bits), q.denominator
    target = -(-num // den)  # ceil(q·2^(k·bits))
    r = iroot_ceil(target, k)
    return Fraction(r, 1 << bits)


@dataclass
class BallResult:
    """One verdict. REFUTED carries an exact counterexample x' (‖x' − c‖_p < μ and
    f(x') ≠ label, both re-checked exactly before the result is made)."""

    index: int
    status: Status
    engine: str
    counterexample: tuple[Fraction, ...] | None = None
    value: Fraction | tuple[Fraction, ...] | None = None  # f(counterexample); a tuple for C ≥ 2
    reason: str = ""
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    certificate: Any = None  # engines that can, attach a proof object (checked by the kernel)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "verdict": self.status,
            "status": self.status,
            "engine": self.engine,
            "reason": self.reason,
            "seconds": round(self.seconds, 6),
            "counterexample": None,
        }
        if self.counterexample is not None:
            out["counterexample"] = [str(format_number(v)) for v in self.counterexample]
            v = self.value
            out["value"] = (
                None
                if v is None
                else [str(format_number(t)) for t in v]
                if isinstance(v, tuple)
                else str(format_number(v))
            )
        if self.stats:
            out["stats"] = self.stats
        return out


def refuted(
    ball: Ball, net: Any, x: tuple[Fraction, ...], engine: str, reason: str, **stats: Any
) -> BallResult | None:
    """A REFUTED result if ``x`` is an exact counterexample for ``ball``, else None: f(x) ≠ y
    for a scalar network, argmax f(x) ≠ y or a tie (some f_j(x) ≥ f_y(x), j ≠ y) for a
    classifier (output index y − 1 is class y)."""
    if not ball.contains(x):
        return None
    if getattr(net, "output_dim", 1) == 1:
        v = net.evaluate(x)
        if v == ball.label:
            return None
    else:
        v = Scores(net.evaluate_vector(x))
        if argmax_holds(v, ball.label):
            return None
    return BallResult(ball.index, "REFUTED", engine, tuple(x), v, reason, stats=dict(stats))


class Scores(tuple):
    """A classifier's exact output vector; prints as "(0, 1/2, -3)"."""

    def __str__(self) -> str:
        return "(" + ", ".join(str(v) for v in self) + ")"


def argmax_holds(values: tuple[Fraction, ...], label: int) -> bool:
    """f_y > f_j for every j ≠ y (classes 1..C, output index y − 1 is class y)."""
    k = label - 1
    return 0 <= k < len(values) and all(v < values[k] for j, v in enumerate(values) if j != k)
