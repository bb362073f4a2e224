"""Exact evaluation of the bound expressions at a point, without sympy's number arithmetic.

sympy evaluates ``Integer ** Rational`` by factoring the base (to pull out perfect powers),
which is slow for large numbers and, in sympy 1.14, wrong for some of them (e.g.
``sqrt(2249999999999999999)`` raises "1499999999 is not a prime factor"). So the numbers of
a query point never meet sympy arithmetic: the records (with only p substituted, which is
symbolic work) are walked here, every subexpression is either an exact ``Fraction`` (when it
is rational: perfect roots are found with integer roots) or a rigorous mpmath interval, and
comparisons are decided exactly (rationals) or by intervals at increasing precision (an
irrational number never equals a rational one, so the intervals separate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import mpmath
import sympy as sp

__all__ = ["Undecided", "compare", "decide", "exact_text", "float_of", "value"]

_PRECISIONS = (80, 320, 1280, 5120, 20480)  # bits; a comparison escalates through these
_EXACT_POWER_BITS = 1 << 20  # beyond this size a rational power is kept as an interval
_IV = type(mpmath.iv)


class Undecided(RuntimeError):
    """A comparison the intervals could not separate even at the highest precision."""


@dataclass(frozen=True)
class Val:
    """A real number: ``q`` when it is rational (exact), and always an enclosing interval."""

    q: Fraction | None
    iv: Any
    inf: bool = False  # +∞ (only as p = ∞ may produce, e.g. in exponents)


@cache
def _ctx(prec: int):
    """One interval context per precision (building one costs about a millisecond; a context
    is never changed after it is made)."""
    c = _IV()
    c.prec = prec
    return c


def _iv_of(c, q: Fraction):
    return c.mpf(q.numerator) / c.mpf(q.denominator)


def _exact(c, q: Fraction) -> Val:
    return Val(q, _iv_of(c, q))


def _iroot(n: int, k: int) -> int | None:
    """r with r**k == n (n >= 0), else None; integer arithmetic only."""
    if n < 2 or k == 1:
        return n
    r = sp.integer_nthroot(n, k)  # (root, exact): integer Newton, no factoring
    return int(r[0]) if r[1] else None


def _pow(c, b: Val, e: Val) -> Val:
    if e.inf:  # x**oo for 0 <= x (rho**p at p = oo)
        s = 1 if b.inf else (b.q > 1) - (b.q < 1) if b.q is not None else None
        if s is None:
            s = 1 if b.iv.a > 1 else -1 if b.iv.b < 1 else None
        if s is None:
            raise ValueError("cannot decide x**oo for x near 1")
        return Val(None, None, inf=True) if s > 0 else _exact(c, Fraction(s == 0))
    if e.q is None:
        if b.q is not None and b.q == 1:
            return _exact(c, Fraction(1))
        return Val(None, c.exp(c.log(b.iv) * e.iv))
    q = e.q
    if b.inf:
        if q < 0:
            return _exact(c, Fraction(0))
        if q == 0:
            return _exact(c, Fraction(1))
        return Val(None, None, inf=True)
    if b.q is not None:
        x = b.q
        if x == 0:
            if q <= 0:
                raise ZeroDivisionError("0 to a non-positive power")
            return _exact(c, Fraction(0))
        if x < 0 and q.denominator != 1:
            raise ValueError("a negative number to a fractional power")
        m, n = q.numerator, q.denominator
        size = abs(m) * max(abs(x.numerator).bit_length(), x.denominator.bit_length())
        if size <= _EXACT_POWER_BITS:
            a, bb = _iroot(abs(x.numerator), n), _iroot(x.denominator, n)
            if a is not None and bb is not None:
                base = Fraction(a if x > 0 else -a, bb)
                return _exact(c, base**m)
        if q.denominator == 1 and size <= _EXACT_POWER_BITS:
            return _exact(c, x**m)
    if q.denominator == 1:
        return Val(None, b.iv ** int(q))
    return Val(None, c.exp(c.log(b.iv) * _iv_of(c, q)))


def value(expr: sp.Basic, env: dict[sp.Symbol, Fraction], prec: int = _PRECISIONS[0]) -> Val:
    """The value of ``expr`` (numbers, the symbols of ``env``, +, ×, powers, Min, Max, Abs,
    log) at ``env``: exact when rational, always with an enclosing interval."""
    return _value(expr, env, _ctx(prec))


def _value(e: sp.Basic, env: dict, c) -> Val:
    if e.is_Symbol:
        if e not in env:
            raise ValueError(f"no value for {e}")
        return _exact(c, Fraction(env[e]))
    if e.is_Rational:
        return _exact(c, Fraction(int(e.p), int(e.q)))
    if e is sp.oo:
        return Val(None, None, inf=True)
    if e is sp.S.Exp1:
        return Val(None, c.e)
    if e.is_Float:
        return _exact(c, Fraction(str(e)))
    args = [_value(a, env, c) for a in e.args]
    if isinstance(e, sp.Pow):
        return _pow(c, args[0], args[1])
    if any(a.inf for a in args):
        if isinstance(e, (sp.Add, sp.Max)) or (
            isinstance(e, sp.Mul) and all(a.inf or (a.q is not None and a.q > 0) for a in args)
        ):
            return Val(None, None, inf=True)
        if isinstance(e, sp.Min):
            finite = [a for a in args if not a.inf]
            return _minmax(c, finite, min) if finite else Val(None, None, inf=True)
        raise ValueError(f"cannot evaluate {e} with an infinite argument")
    if isinstance(e, sp.Add):
        if all(a.q is not None for a in args):
            return _exact(c, sum((a.q for a in args), Fraction(0)))
        s = args[0].iv
        for a in args[1:]:
            s = s + a.iv
        return Val(None, s)
    if isinstance(e, sp.Mul):
        if all(a.q is not None for a in args):
            return _exact(c, math.prod((a.q for a in args), start=Fraction(1)))
        s = args[0].iv
        for a in args[1:]:
            s = s * a.iv
        return Val(None, s)
    if isinstance(e, (sp.Min, sp.Max)):
        return _minmax(c, args, min if isinstance(e, sp.Min) else max)
    if isinstance(e, sp.Abs):
        a = args[0]
        if a.q is not None:
            return _exact(c, abs(a.q))
        lo, hi = a.iv.a, a.iv.b
        if lo >= 0:
            return a
        if hi <= 0:
            return Val(None, -a.iv)
        return Val(None, c.mpf([0, max(-lo, hi)]))
    if isinstance(e, sp.log):
        a = args[0]
        if a.q is not None and a.q == 1:
            return _exact(c, Fraction(0))
        return Val(None, c.log(a.iv))
    raise ValueError(f"cannot evaluate {type(e).__name__}: {e}")


def _minmax(c, args: list[Val], pick) -> Val:
    if all(a.q is not None for a in args):
        return _exact(c, pick(a.q for a in args))
    lo = pick(c.mpf(a.iv.a) for a in args)
    hi = pick(c.mpf(a.iv.b) for a in args)
    return Val(None, c.mpf([lo.a, hi.b]))


def compare(lhs: sp.Basic, rhs: sp.Basic, env: dict[sp.Symbol, Fraction]) -> int:
    """The sign of lhs − rhs (−1, 0 or 1), decided exactly."""
    for prec in _PRECISIONS:
        c = _ctx(prec)
        a, b = _value(lhs, env, c), _value(rhs, env, c)
        if a.inf or b.inf:
            if a.inf and b.inf:
                return 0
            return 1 if a.inf else -1
        if a.q is not None and b.q is not None:
            return (a.q > b.q) - (a.q < b.q)
        diff = a.iv - b.iv
        if diff.a > 0:
            return 1
        if diff.b < 0:
            return -1
    raise Undecided(f"cannot separate {lhs} and {rhs} at {env}")


_RELATIONS = {
    sp.StrictLessThan: lambda s: s < 0,
    sp.LessThan: lambda s: s <= 0,
    sp.StrictGreaterThan: lambda s: s > 0,
    sp.GreaterThan: lambda s: s >= 0,
    sp.Equality: lambda s: s == 0,
    sp.Unequality: lambda s: s != 0,
}


def decide(cond: sp.Basic, env: dict[sp.Symbol, Fraction]) -> bool:
    """Whether the sympy Boolean ``cond`` (relations joined by And/Or/Not) holds at ``env``."""
    if cond is sp.true or cond is True:
        return True
    if cond is sp.false or cond is False:
        return False
    if isinstance(cond, sp.And):
        return all(decide(a, env) for a in cond.args)
    if isinstance(cond, sp.Or):
        return any(decide(a, env) for a in cond.args)
    if isinstance(cond, sp.Not):
        return not decide(cond.args[0], env)
    rel = _RELATIONS.get(type(cond))
    if rel is None:
        raise ValueError(f"cannot decide {type(cond).__name__}: {cond}")
    return rel(compare(cond.lhs, cond.rhs, env))


def float_of(expr: sp.Basic, env: dict[sp.Symbol, Fraction]) -> float:
    """A float close to the value (within a few units in the last place)."""
    v = value(expr, env)
    if v.inf:
        return math.inf
    if v.q is not None:
        return _fraction_float(v.q)
    return float(v.iv.mid)


def _fraction_float(q: Fraction) -> float:
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def exact_text(expr: sp.Basic, env: dict[sp.Symbol, Fraction]) -> str:
    """The exact value as text: "a/b" when rational, else the expression with every rational
    part computed and every Min/Max decided (irrational powers are left as they are)."""
    with sp.evaluate(False):
        return str(_reduced(expr, env))


#: A rational part of an exact value is written out only up to this many bits (about 1000
#: digits) in numerator and denominator; larger ones (e.g. ρ**p for ρ = 10⁻¹², p = 1000) stay
#: as the expression that produces them.
_TEXT_BITS = 3322


def _reduced(e: sp.Basic, env: dict) -> sp.Basic:
    v = value(e, env)
    if v.q is not None:
        small = max(abs(v.q.numerator).bit_length(), v.q.denominator.bit_length()) <= _TEXT_BITS
        if small or not e.args:
            return sp.Rational(v.q.numerator, v.q.denominator)
    if v.inf:
        return sp.oo
    if isinstance(e, (sp.Min, sp.Max)):
        best = e.args[0]
        for a in e.args[1:]:
            try:
                s = compare(a, best, env)
            except Undecided:
                return e.func(*(_reduced(x, env) for x in e.args), evaluate=False)
            if (s < 0) if isinstance(e, sp.Min) else (s > 0):
                best = a
        return _reduced(best, env)
    return e.func(*(_reduced(x, env) for x in e.args), evaluate=False)
