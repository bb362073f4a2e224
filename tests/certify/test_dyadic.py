"""Outward rounding to short dyadics (certify/kernel/dyadic.py): enclosures and sizes."""

from __future__ import annotations

from flint import fmpq as Q
from hypothesis import given
from hypothesis import strategies as st

from certify.kernel.dyadic import down, is_short, up


def mantissa_bits(q: Q) -> int:
    p = abs(int(q.p))
    while p and p % 2 == 0:
        p //= 2
    return p.bit_length()


rationals = st.builds(
    lambda a, b: Q(a, b),
    st.integers(-(10**40), 10**40),
    st.integers(1, 10**40),
)


@given(rationals, st.sampled_from([1, 8, 53, 64, 128]))
def test_outward_rounding_encloses_and_is_short(q, bits):
    lo, hi = down(q, bits), up(q, bits)
    assert lo <= q <= hi
    for v in (lo, hi):
        assert int(v.q) & (int(v.q) - 1) == 0  # a dyadic
        assert mantissa_bits(v) <= bits + 1
    assert (hi - lo) * 2 ** max(bits - 2, 0) <= abs(q) * 2  # relative error about 2^-bits


@given(st.integers(-(2**60), 2**60), st.integers(0, 80))
def test_short_dyadics_are_kept(m, k):
    q = Q(m, 2**k)
    if is_short(q, 64):
        assert down(q, 64) == q == up(q, 64)


def test_rounding_can_differ_from_the_value():
    third = Q(1, 3)
    assert down(third, 8) < third < up(third, 8)
