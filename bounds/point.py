"""Query points (N, d, ρ, p) and the parsing of user input into exact numbers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from .symbols import N, d, p, rho

INF = math.inf
_INF_WORDS = {"inf", "infinity", "∞", "oo", "+inf"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_FRACTION = re.compile(r"^[+-]?\d+/\d+$")


class BoundsInputError(ValueError):
    """Bad input to a bound query: the message says what is wrong and what is expected."""


#: Every number given to a bound query (N, d, ρ, p, a parameter budget) has at most this many
#: digits in its numerator and in its denominator: far beyond any dataset, and it keeps every
#: value a finite float and every query fast.
MAX_DIGITS = 100
#: The largest finite p a bound query takes (larger p made the symbolic work run for minutes);
#: for larger p use p = inf: ‖x‖_∞ ≤ ‖x‖_p ≤ d^{1/p}·‖x‖_∞.
MAX_P = 1000
_MAX_EXPONENT = 10 * MAX_DIGITS
_LIMIT = 10**MAX_DIGITS


def _too_long(what: str, shown: str) -> BoundsInputError:
    return BoundsInputError(
        f"{what} = {shown}: too large; numbers in a bound query may have at most "
        f"{MAX_DIGITS} digits in the numerator and in the denominator"
    )


def _shown(s: str) -> str:
    return s if len(s) <= 40 else f"{s[:20]}...{s[-10:]} ({len(s)} characters)"


def parse_exact(text: str | int | Fraction, what: str) -> Fraction:
    """Parse an integer, a decimal ("0.001", "1e-5") or a fraction ("1/20000") exactly.

    Numerator and denominator may have at most :data:`MAX_DIGITS` digits each."""
    if isinstance(text, bool):
        raise BoundsInputError(f"{what}: expected a number, got {text!r}")
    if isinstance(text, (int, Fraction)):
        v = Fraction(text)
        shown = str(text) if abs(v.numerator).bit_length() < 4 * MAX_DIGITS else "(a huge number)"
    else:
        s = str(text).strip()
        shown = _shown(s)
        if _FRACTION.match(s):
            num, den = s.lstrip("+-").split("/")
            if len(num.lstrip("0")) > MAX_DIGITS or len(den.lstrip("0")) > MAX_DIGITS:
                raise _too_long(what, shown)
            if int(den) == 0:
                raise BoundsInputError(f"{what}: division by zero in {s!r}")
            v = Fraction(int(num), int(den)) * (-1 if s.startswith("-") else 1)
        elif _NUMBER.match(s):
            mant, _, exp = s.lower().partition("e")
            if len(mant) > 2 * MAX_DIGITS + 2 or (exp and abs(int(exp)) > _MAX_EXPONENT):
                raise _too_long(what, shown)
            v = Fraction(s)
        else:
            raise BoundsInputError(
                f"{what}: {s!r} is not a number (use a decimal like 0.01, a fraction like "
                "1/20000, or scientific notation like 1e-5)"
            )
    if abs(v.numerator) >= _LIMIT or v.denominator >= _LIMIT:
        raise _too_long(what, shown)
    return v


def parse_rho(text: str | int | Fraction) -> Fraction:
    """ρ must lie in the open interval (0, 1)."""
    r = parse_exact(text, "rho")
    if not 0 < r < 1:
        raise BoundsInputError(
            f"rho = {text} is outside (0, 1): robust memorization needs 0 < ρ < 1 "
            "(ρ = 0 is plain memorization; ρ ≥ 1 is impossible for continuous networks)"
        )
    return r


def parse_p(text: str | int | float | Fraction) -> Fraction | float:
    """p is 1, 2, inf (∞) or any real ≥ 1; returns a Fraction or ``math.inf``."""
    if isinstance(text, float) and math.isinf(text) and text > 0:
        return INF
    s = str(text).strip().lower()
    if s in _INF_WORDS:
        return INF
    try:
        v = parse_exact(s, "p")
    except BoundsInputError:
        if not (_NUMBER.match(s) or _FRACTION.match(s)):
            raise
        # too many digits: report it as out of range on the side it lies
        if _FRACTION.match(s):
            num, den = (t.lstrip("+-0") for t in s.split("/"))
            small = len(num) < len(den)
        else:
            small = float(s) < 1
        v = Fraction(0) if small else Fraction(MAX_P + 1)
    if v < 1:
        raise BoundsInputError(f"p = {_shown(s)} is below 1: ℓp norms need p ≥ 1 (or p = inf)")
    if v > MAX_P:
        raise BoundsInputError(
            f"p = {_shown(s)} is above {MAX_P}, the largest finite p supported; "
            "use p = inf for large p (ℓp is then within a factor d^(1/p) of ℓ∞)"
        )
    return v


def parse_count(text: str | int, what: str, minimum: int) -> int:
    """A positive integer such as N or d."""
    v = parse_exact(text, what)
    if Fraction(v).denominator != 1:
        raise BoundsInputError(f"{what} = {_shown(str(text))} is not an integer")
    v = int(v)
    if v < minimum:
        need = {"N": "at least two points", "d": "input dimension at least 1"}.get(what, "")
        raise BoundsInputError(f"{what} = {v} is below {minimum} ({need})")
    return v


def p_label(pv: Fraction | float) -> str:
    if pv == INF:
        return "inf"
    return str(pv)


@dataclass(frozen=True)
class Point:
    """An exact query point: integers N ≥ 2, d ≥ 1, rational ρ ∈ (0, 1), p ∈ [1, ∞]."""

    N: int
    d: int
    rho: Fraction
    p: Fraction | float = Fraction(2)

    @classmethod
    def parse(cls, N: str | int, d: str | int, rho: str | Fraction, p: str | int = 2) -> Point:
        return cls(parse_count(N, "N", 2), parse_count(d, "d", 1), parse_rho(rho), parse_p(p))

    def env(self) -> dict[sp.Symbol, Fraction]:
        """N, d and ρ as exact numbers (p is substituted symbolically, see bounds.query)."""
        return {N: Fraction(self.N), d: Fraction(self.d), rho: self.rho}

    def subs(self) -> dict[sp.Symbol, sp.Expr]:
        pv = sp.oo if self.p == INF else sp.Rational(self.p.numerator, self.p.denominator)
        return {
            N: sp.Integer(self.N),
            d: sp.Integer(self.d),
            rho: sp.Rational(self.rho.numerator, self.rho.denominator),
            p: pv,
        }
