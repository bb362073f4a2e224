"""Exact numbers: parsing, printing and conversion.

Every number that enters a decision in certify is a :class:`fractions.Fraction` (or a
python-flint ``fmpq``, which is the same value). This module is the only door through which
numbers come in:

* :func:`parse_number` reads *exact* notations (integers, ``"p/q"``, decimal strings) and
  rejects floats, because a float in a JSON file has already lost the value its author meant.
* :func:`float_to_fraction` is for data that genuinely are floats (numpy arrays): it returns
  the float's exact binary value.
* :func:`format_number` writes a rational back as a JSON int or a ``"p/q"`` string.
* :func:`display_number` is for people: the exact text when it is short, else a short
  decimal such as ``≈1.2345e+307`` (machine output keeps :func:`format_number`).
"""

from __future__ import annotations

import decimal
import math
import numbers
import re
from fractions import Fraction

import flint
import numpy as np

from certify.errors import InputError

__all__ = [
    "ceil_root",
    "decimal_text",
    "display_number",
    "exact_root",
    "float_to_fraction",
    "fmpq_to_fraction",
    "format_number",
    "fraction_to_fmpq",
    "parse_number",
]

# An exponent beyond this would build integers with more digits than any sane input has
# (and a tiny string like "1e999999999" would exhaust memory).
MAX_DECIMAL_EXPONENT = 4096

# Python refuses int <-> decimal-string conversion beyond 4300 digits (sys.int_info); flint does
# not have that limit, so big integers go through flint. Below this bit length we use int().
_BIG_INT_BITS = 12_000

_INT_RE = re.compile(r"[+-]?[0-9]+")
_FRACTION_RE = re.compile(r"([+-]?[0-9]+)/([0-9]+)")
_DECIMAL_RE = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")

_HOW_TO_WRITE = 'write an integer, a fraction "p/q" or an exact decimal string such as "0.125"'


def _str_to_int(digits: str) -> int:
    """Exact int from a validated string of decimal digits (optional sign), of any length."""
    if len(digits) < 4000:
        return int(digits)
    return int(flint.fmpz(digits))


def _int_to_str(n: int) -> str:
    """Decimal string of an int of any size (no 4300-digit limit)."""
    if n.bit_length() < _BIG_INT_BITS:
        return str(n)
    return str(flint.fmpz(n))


def _parse_string(text: str, where: str) -> Fraction:
    s = text.strip()
    if not s:
        raise InputError(f"{where}: empty string is not a number; {_HOW_TO_WRITE}")
    if s.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise InputError(f"{where}: {text!r} is not a finite number; only finite values allowed")
    if _INT_RE.fullmatch(s):
        return Fraction(_str_to_int(s))
    m = _FRACTION_RE.fullmatch(s)
    if m:
        num, den = _str_to_int(m.group(1)), _str_to_int(m.group(2))
        if den == 0:
            raise InputError(f"{where}: {text!r} has denominator zero")
        return Fraction(num, den)
    m = _DECIMAL_RE.fullmatch(s)
    if m and (m.group(2) or m.group(3)):
        sign, int_part, frac_part, exp_part = m.groups()
        frac_part = frac_part or ""
        exponent = int(exp_part) if exp_part is not None else 0
        if abs(exponent) > MAX_DECIMAL_EXPONENT:
            raise InputError(
                f"{where}: exponent in {text!r} is beyond ±{MAX_DECIMAL_EXPONENT}; "
                'write the value as a fraction "p/q" if you really need it'
            )
        mantissa = _str_to_int((int_part or "0") + frac_part)
        shift = exponent - len(frac_part)
        value = Fraction(mantissa * 10**shift) if shift >= 0 else Fraction(mantissa, 10**-shift)
        return -value if sign == "-" else value
    raise InputError(f"{where}: cannot read {text!r} as an exact number; {_HOW_TO_WRITE}")


def parse_number(v: object, where: str) -> Fraction:
    """Read one exact number.

    Accepts: Python/numpy integers (not bools); ``Fraction``; flint ``fmpq``/``fmpz``;
    finite ``decimal.Decimal``; strings holding an integer (``"-12"``), a fraction
    (``"p/q"``, ``"-p/q"``, q > 0) or an exact decimal (``"0.125"``, ``"-3.5"``, ``"1e-3"``;
    surrounding whitespace is ignored). The result is the exact value.

    Rejects, with an :class:`InputError` whose message starts with ``where``: floats (they
    are inexact; the message says to write them as strings), bools, NaN/infinity, empty or
    unparsable strings, zero denominators, and any other type.
    """
    if isinstance(v, (bool, np.bool_)):
        raise InputError(f"{where}: got boolean {v!r}, expected a number")
    if isinstance(v, Fraction):
        return v
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _not_finite(v, where)
        return _reject_float(v, where)
    if isinstance(v, str):
        return _parse_string(v, where)
    if isinstance(v, flint.fmpq):
        return fmpq_to_fraction(v)
    if isinstance(v, flint.fmpz):
        return Fraction(int(v))
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            raise _not_finite(v, where)
        return Fraction(v)
    if isinstance(v, numbers.Integral):  # numpy integer scalars
        return Fraction(int(v))
    if isinstance(v, numbers.Real):  # numpy float32/longdouble and friends
        return _reject_float(v, where)
    raise InputError(
        f"{where}: expected a number, got {type(v).__name__} {_short_repr(v)}; {_HOW_TO_WRITE}"
    )


def _not_finite(v: object, where: str) -> InputError:
    return InputError(f"{where}: {v} is not a finite number; only finite values are allowed")


def _reject_float(v: object, where: str) -> Fraction:
    raise InputError(
        f"{where}: floating-point value {v} is not accepted because floats are inexact; "
        f'write it as a string, e.g. "{v}" (read as an exact decimal) or as a fraction "p/q"'
    )


def _short_repr(v: object) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def float_to_fraction(x: object, where: str = "value") -> Fraction:
    """The exact binary value of a float (Python float or numpy floating scalar).

    Integers (not bools) are accepted too and returned exactly. NaN and infinities raise
    :class:`InputError` naming ``where``.
    """
    if isinstance(x, (bool, np.bool_)):
        raise InputError(f"{where}: got boolean {x!r}, expected a number")
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    if isinstance(x, float):
        if not math.isfinite(x):
            raise _not_finite(x, where)
        return Fraction(x)
    if isinstance(x, numbers.Real) and hasattr(x, "as_integer_ratio"):
        try:
            num, den = x.as_integer_ratio()
        except (OverflowError, ValueError):
            raise InputError(
                f"{where}: {x!r} is not a finite number; only finite values are allowed"
            ) from None
        return Fraction(num, den)
    raise InputError(f"{where}: expected a float, got {type(x).__name__} {_short_repr(x)}")


def format_number(v: Fraction | int | flint.fmpq) -> int | str:
    """JSON form of an exact number: a JSON int for integers, else the string ``"p/q"``.

    ``parse_number(format_number(v), ...) == v`` always holds. Integers too long for Python's
    int-to-string limit (more than ~3600 decimal digits) are written as digit strings.
    """
    if isinstance(v, flint.fmpq):
        v = fmpq_to_fraction(v)
    if isinstance(v, bool) or not isinstance(v, (int, Fraction)):
        raise TypeError(f"format_number expects an int or Fraction, got {type(v).__name__}")
    v = Fraction(v)
    if v.denominator == 1:
        n = v.numerator
        return n if n.bit_length() < _BIG_INT_BITS else _int_to_str(n)
    return f"{_int_to_str(v.numerator)}/{_int_to_str(v.denominator)}"


def fraction_to_fmpq(v: Fraction | int) -> flint.fmpq:
    """The same rational as a flint ``fmpq``."""
    if isinstance(v, Fraction):
        return flint.fmpq(v.numerator, v.denominator)
    return flint.fmpq(v)


def fmpq_to_fraction(q: flint.fmpq) -> Fraction:
    """The same rational as a ``Fraction`` (flint keeps it reduced with q > 0)."""
    return Fraction(int(q.p), int(q.q))


def ceil_root(x: Fraction | int, p: int) -> int:
    """The least integer r >= 0 with r**p >= x, for x >= 0 and integer p >= 1 (exact)."""
    if p < 1:
        raise ValueError("ceil_root needs p >= 1")
    x = Fraction(x)
    if x < 0:
        raise ValueError("ceil_root needs x >= 0")
    n = -(-x.numerator // x.denominator)  # ceil(x): r**p >= x  iff  r**p >= ceil(x)
    if n <= 1:
        return n
    r = int(flint.fmpz(n).root(p))  # floor of the p-th root
    return r if r**p >= n else r + 1


def exact_root(n: int, p: int) -> int | None:
    """The integer r >= 0 with r**p == n when there is one, else None (n >= 0, p >= 1).

    Integer arithmetic only (flint's floor root), exact for integers of any size."""
    if p < 1:
        raise ValueError("exact_root needs p >= 1")
    if n < 0:
        raise ValueError("exact_root needs n >= 0")
    if n <= 1 or p == 1:
        return n
    r = flint.fmpz(n).root(p)  # floor of the p-th root
    return int(r) if r**p == n else None


#: Exact numbers longer than this (characters) are shown to people as a short decimal.
DISPLAY_CHARS = 30
_LOG10_2 = math.log10(2)


def decimal_text(v: Fraction | int, sig: int = 5) -> str:
    """``v`` as a decimal with ``sig`` significant digits, correctly rounded (half to even)
    from the exact value, in scientific notation when its exponent is outside [−4, sig)
    (as ``"%g"`` does): ``"1.2346e+307"``, ``"0.33333"``, ``"-2.5e-40"``. Exact integer
    arithmetic, so it works for numbers of any size (no float overflow)."""
    v = Fraction(v)
    if v == 0:
        return "0"
    sign, a = ("-" if v < 0 else ""), abs(v)
    num, den = a.numerator, a.denominator
    e = math.floor((num.bit_length() - den.bit_length()) * _LOG10_2)  # within 1 of log10 a
    while True:  # e = floor(log10 a): 10^e <= a < 10^(e+1)
        lo = (num * 10**-e >= den) if e < 0 else (num >= den * 10**e)
        if not lo:
            e -= 1
            continue
        hi = (num * 10 ** (-e - 1) >= den) if e + 1 < 0 else (num >= den * 10 ** (e + 1))
        if hi:
            e += 1
            continue
        break
    shift = sig - 1 - e  # digits = round(a · 10^shift), sig digits
    q = Fraction(num * 10**shift, den) if shift >= 0 else Fraction(num, den * 10**-shift)
    digits = round(q)
    if digits >= 10**sig:  # rounding carried into a new digit
        digits //= 10
        e += 1
    text = str(digits)
    if -4 <= e < sig:
        shift = sig - 1 - e
        if shift <= 0:
            return sign + text + "0" * (-shift)
        text = text.rjust(shift + 1, "0")
        whole, frac = text[:-shift], text[-shift:].rstrip("0")
        return sign + whole + ("." + frac if frac else "")
    mant = text[0] + ("." + text[1:].rstrip("0") if text[1:].rstrip("0") else "")
    return f"{sign}{mant}e{'+' if e >= 0 else '-'}{abs(e):02d}"


def display_number(v: Fraction | int, limit: int = DISPLAY_CHARS, sig: int = 5) -> str:
    """``v`` for a person: its exact text (:func:`format_number`) when that has at most
    ``limit`` characters, else ``≈`` and :func:`decimal_text` (``"≈1.2346e+307"``)."""
    v = Fraction(v)
    # the exact text's length, without building a huge string first
    bits = v.numerator.bit_length() + v.denominator.bit_length()
    if bits < 4 * limit:
        exact = str(format_number(v))
        if len(exact) <= limit:
            return exact
    return "≈" + decimal_text(v, sig)
