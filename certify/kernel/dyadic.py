"""Outward rounding to short dyadics: bounded-size numbers with guaranteed enclosures.

Exact symbolic bounds grow without limit (each unstable ReLU's slope u/(u − l) multiplies into
every later coefficient). Rounding a bound *outward* to a dyadic m·2^e with |m| < 2^bits keeps
it a bound; rounding a linear bound row's coefficients and moving the change into its constant
(over the ball, through the dual norm) keeps the row a bound. Every function here returns an
exact rational; no float is involved.
"""

from __future__ import annotations

from flint import fmpq as Q
from flint import fmpz


def _shift(q: Q, bits: int) -> int:
    """The exponent e with q·2^e of about ``bits`` bits before the point."""
    p, d = int(q.p), int(q.q)
    return bits - (abs(p).bit_length() - d.bit_length()) - 1


def down(q: Q, bits: int) -> Q:
    """The largest m·2^(−e) ≤ q with |m| < 2^(bits+1) (q itself when already short: then
    q·2^e is an integer)."""
    if q == 0:
        return q
    e = _shift(q, bits)
    p, d = int(q.p), int(q.q)
    m = (p << e) // d if e >= 0 else p // (d << -e)
    return Q(m, 1 << e) if e >= 0 else Q(fmpz(m) << -e)


def up(q: Q, bits: int) -> Q:
    """The smallest m·2^(−e) ≥ q with |m| < 2^(bits+1)."""
    return -down(-q, bits)
