"""Outward rounding to short dyadics (certify/kernel/dyadic.py): enclosures and sizes."""

from __future__ import annotations

import pytest
from flint import fmpq as Q
from hypothesis import given
from hypothesis import strategies as st

from certify.kernel.dyadic import down, up


def is_short(q: Q, bits: int) -> bool:
    """q is a dyadic m/2^k with |m| < 2^bits."""
    d = int(q.q)
    return d & (d - 1) == 0 and abs(int(q.p)).bit_length() <= bits


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


NET = (
    '{"format": "robustmem-network/1", "input_dim": 1, "layers": [{"weight": [[1], [1]], '
    '"bias": [-1, -2]}, {"weight": [[1, -1]], "bias": [1]}]}'
)
DATA = "x,label\n0,1\n2,2\n100,2\n"


def _bundle(judge, **entry):
    return {
        "format": "robustmem-certificate/2",
        "network_sha256": judge.network_sha256,
        "dataset_sha256": judge.dataset_sha256,
        "p": "inf",
        "balls": [
            {"index": 0, "verdict": "PROVED", "proof": [{"leaf": "output"}], **entry},
            {"index": 1, "verdict": "UNKNOWN"},
            {"index": 2, "verdict": "UNKNOWN"},
        ],
    }


@pytest.mark.parametrize("bits", [16, 64, 4096, None])
def test_proofs_with_rounded_bounds_are_checked(bits):
    from certify import kernel

    judge = kernel.Judge(NET, DATA, None, rho=Q(1, 2))
    extra = {} if bits is None else {"bits": bits}
    v = judge.check_bundle(_bundle(judge, **extra))
    assert v.balls[0][1] == "PROVED"


@pytest.mark.parametrize("bits", [0, 15, 4097, -64, "96", True, [64]])
def test_bad_bits_are_rejected(bits):
    from certify import kernel

    judge = kernel.Judge(NET, DATA, None, rho=Q(1, 2))
    v = judge.check_bundle(_bundle(judge, bits=bits))
    assert v.balls[0][1] == "REJECTED" and "bits" in v.balls[0][2]


def test_float_born_networks_get_rounded_certificates_the_kernel_accepts():
    """A network with float-like weights (dyadic, denominators ≥ 2^16): the engine rounds its
    bounds (ROUNDED_BITS), the certificate says so, and certify's kernel accepts it."""
    import random
    from fractions import Fraction as F

    from certify.dataset import Dataset
    from certify.engines.linear.prepare import ROUNDED_BITS, prepare
    from certify.network import Network
    from certify.run import certify, make_radius

    rng = random.Random(5)
    W1 = [[F(rng.randint(-(2**20), 2**20), 2**20) for _ in range(2)] for _ in range(6)]
    b1 = [F(rng.randint(-(2**18), 2**18), 2**20) for _ in range(6)]
    W2 = [[F(rng.randint(-(2**20), 2**20), 2**20) for _ in range(6)] for _ in range(2)]
    net = Network([W1, W2], [b1, [F(0), F(1, 2**20)]], input_dim=2)
    assert prepare(net).bits == ROUNDED_BITS
    pts = [[F(rng.randint(-8, 8), 4), F(rng.randint(-8, 8), 4)] for _ in range(6)]
    labels = [max((1, 2), key=lambda c: net.evaluate_vector(x)[c - 1]) for x in pts]
    if len(set(labels)) < 2:
        pytest.skip("one class")
    ds = Dataset(pts, labels)
    rep = certify(net, ds, make_radius(ds, "inf", mu=F(1, 64)), engine="linear")
    proved = [r for r in rep.results if r.status == "PROVED"]
    assert proved and all(r.certificate.get("bits") == ROUNDED_BITS for r in proved)
    bundle = rep.certificate_bundle(ds)
    assert all(e.get("bits") == ROUNDED_BITS for e in bundle["balls"] if e["verdict"] == "PROVED")
