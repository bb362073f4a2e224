"""Exact number parsing/printing: certify.numbers."""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

import flint
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from certify.errors import InputError
from certify.numbers import (
    ceil_root,
    float_to_fraction,
    fmpq_to_fraction,
    format_number,
    fraction_to_fmpq,
    parse_number,
)

F = Fraction


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, F(3)),
        (-7, F(-7)),
        (0, F(0)),
        (F(2, 6), F(1, 3)),
        ("12", F(12)),
        ("-12", F(-12)),
        ("+5", F(5)),
        ("  4 ", F(4)),
        ("3/4", F(3, 4)),
        ("-3/4", F(-3, 4)),
        ("6/8", F(3, 4)),
        ("0/5", F(0)),
        ("0.125", F(1, 8)),
        ("-3.5", F(-7, 2)),
        (".5", F(1, 2)),
        ("5.", F(5)),
        ("1e-3", F(1, 1000)),
        ("2.5E2", F(250)),
        ("-1.25e+1", F(-25, 2)),
        ("0.1", F(1, 10)),
        (np.int64(-9), F(-9)),
        (np.uint8(200), F(200)),
        (flint.fmpq(-2, 3), F(-2, 3)),
        (flint.fmpz(10), F(10)),
        (decimal.Decimal("0.3"), F(3, 10)),
    ],
)
def test_parse_number_accepts_exact_notations(value: object, expected: Fraction) -> None:
    got = parse_number(value, "here")
    assert got == expected
    assert type(got) is Fraction


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (0.5, "write it as a string"),
        (np.float64(0.25), "write it as a string"),
        (np.float32(0.25), "write it as a string"),
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
        (True, "boolean"),
        (np.bool_(False), "boolean"),
        ("nan", "not a finite number"),
        ("-inf", "not a finite number"),
        ("Infinity", "not a finite number"),
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "cannot read"),
        ("1/0", "denominator zero"),
        ("1/-2", "cannot read"),
        ("1.5/2", "cannot read"),
        ("0x10", "cannot read"),
        ("1_000", "cannot read"),
        ("1e", "cannot read"),
        (".", "cannot read"),
        ("e5", "cannot read"),
        ("1e99999", "exponent"),
        (None, "expected a number"),
        ([1], "expected a number"),
        (decimal.Decimal("NaN"), "not a finite number"),
    ],
)
def test_parse_number_rejects_with_location(value: object, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        parse_number(value, "layer 2 weight[3][1]")
    msg = str(info.value)
    assert msg.startswith("layer 2 weight[3][1]: ")
    assert fragment in msg
    assert "\n" not in msg


def test_float_rejection_tells_how_to_write_it() -> None:
    with pytest.raises(InputError, match=r'"0\.1"'):
        parse_number(0.1, "w")


def test_input_error_is_a_value_error_and_one_line() -> None:
    err = InputError("a\nb   c")
    assert isinstance(err, ValueError)
    assert str(err) == "a b c"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(F(3), 3), (F(-3), -3), (F(0), 0), (F(1, 2), "1/2"), (F(-7, 3), "-7/3"), (5, 5)],
)
def test_format_number(value: Fraction, expected: object) -> None:
    assert format_number(value) == expected


def test_format_number_accepts_fmpq_and_rejects_floats() -> None:
    assert format_number(flint.fmpq(6, 4)) == "3/2"
    with pytest.raises(TypeError):
        format_number(0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_number(True)


@given(st.fractions())
def test_format_parse_round_trip(q: Fraction) -> None:
    assert parse_number(format_number(q), "x") == q


def test_huge_numbers_round_trip_beyond_python_digit_limit() -> None:
    big = F(10**5000 + 1, 3**4000)
    text = format_number(big)
    assert isinstance(text, str)
    assert parse_number(text, "x") == big
    huge_int = F(7**9000)
    assert parse_number(format_number(huge_int), "x") == huge_int


def test_float_to_fraction_is_exact_binary_value() -> None:
    assert float_to_fraction(0.1) == F(3602879701896397, 2**55)
    assert float_to_fraction(np.float32(0.1)) == F(13421773, 2**27)
    assert float_to_fraction(-2.5) == F(-5, 2)
    assert float_to_fraction(5e-324) == F(1, 2**1074)
    assert float_to_fraction(np.longdouble(0.5)) == F(1, 2)
    assert float_to_fraction(3) == F(3)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float32("nan"), True])
def test_float_to_fraction_rejects_non_finite(bad: object) -> None:
    with pytest.raises(InputError, match="^X\\[1\\]\\[2\\]: "):
        float_to_fraction(bad, "X[1][2]")


@given(st.fractions())
def test_fmpq_conversions_round_trip(q: Fraction) -> None:
    assert fmpq_to_fraction(fraction_to_fmpq(q)) == q


@given(st.fractions(min_value=0, max_value=10**12), st.integers(1, 7))
def test_ceil_root_is_least_integer_root(x: Fraction, p: int) -> None:
    r = ceil_root(x, p)
    assert r >= 0
    assert r**p >= x
    assert r == 0 or (r - 1) ** p < x
