"""Differential campaign: the linear engine and the z3 engine must agree on every ball, every
counterexample must verify exactly, and no exact random sample inside a PROVED ball may
contradict it."""

from __future__ import annotations

import dataclasses
import random
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certify import kernel
from certify.ball import Ball
from certify.engines import linear, z3_engine
from certify.network import Network

from .helpers import NORMS, make_ball, net_from


def exact_samples(b: Ball, rng: random.Random, n: int):
    """Rational points of the open ball (rejection sampling in the box, exactly checked)."""
    r = b.box_radius
    got = 0
    for _ in range(20 * n):
        x = tuple(c + F(rng.randint(-(10**6), 10**6), 10**6) * r for c in b.center)
        if b.contains(x):
            got += 1
            yield x
            if got >= n:
                return


# PROVED balls of the linear engine (the engine that emits certificates; z3 is the oracle and
# emits none) whose result lacks a kernel-accepted certificate: one list per campaign
UNCERTIFIED: list[str] = []
UNCERTIFIED_LARGE: list[str] = []


def record_uncertified(net: Network, b: Ball, r, sink: list[str]) -> None:
    """Append to ``sink`` a line for ``r`` if it is PROVED without a certificate the trusted
    kernel accepts (no certificate at all, or one the kernel rejects)."""
    if r.status != "PROVED":
        return
    if r.certificate is None:
        sink.append(f"no certificate: {b} ({r.reason})")
        return
    try:
        n = kernel.check_proof(net, b.center, b.label, b.p, b.radius_power, r.certificate["tree"])
    except (kernel.Rejected, KeyError, TypeError, ValueError, IndexError) as e:
        sink.append(f"rejected: {b}: {e!r}")
        return
    if n < 1:
        sink.append(f"empty proof tree: {b}")


def check_pair(
    net: Network, b: Ball, rng: random.Random, sink: list[str] = UNCERTIFIED
) -> tuple[str, str]:
    a = linear.check_ball(net, b, timeout=30)
    z = z3_engine.check_ball(net, b, timeout=30)
    for r in (a, z):
        if r.status == "REFUTED":
            x = r.counterexample
            assert b.contains(x), "counterexample outside the open ball"
            assert net.evaluate(x) != b.label and net.evaluate(x) == r.value
    if "UNKNOWN" not in (a.status, z.status):
        assert a.status == z.status, (a.status, a.reason, z.status, z.reason)
    record_uncertified(net, b, a, sink)  # the certificate must round-trip through the kernel
    if "PROVED" in (a.status, z.status):
        for x in exact_samples(b, rng, 40):
            assert net.evaluate(x) == b.label, "a sample contradicts PROVED"
    return a.status, z.status


# ------------------------------------------------------------------ hand-built, exact edges
EDGE = net_from([([[3, 4]], [-5]), ([[7]], [2])], 2)  # f = 2 + 7·relu(3x + 4y − 5)


@pytest.mark.parametrize(
    "p, mu, want",
    [
        (2, 1, "PROVED"),  # the line 3x + 4y = 5 is at ℓ2 distance exactly 1: tangent, open ball
        (2, None, "REFUTED"),  # radius² = 1 + 10⁻²⁰: the counterexample lies just inside
        (1, F(5, 4), "PROVED"),  # ℓ1 distance to the line is 5/4 (dual norm ∞ of (3,4))
        (1, F(5, 4) + F(1, 10**15), "REFUTED"),
        (None, F(5, 7), "PROVED"),  # ℓ∞ distance is 5/7 (dual norm 1)
        (None, F(5, 7) + F(1, 10**15), "REFUTED"),
    ],
)
def test_exact_edges_both_engines(p, mu, want):
    if mu is None:
        b = Ball((F(0), F(0)), 2, 2, 1 + F(1, 10**20))
    else:
        b = make_ball((0, 0), 2, p, mu)
    rng = random.Random(0)
    assert check_pair(EDGE, b, rng) == (want, want)


# ------------------------------------------------------------------ random campaign
half = st.integers(-6, 6).map(lambda k: F(k, 2))


@st.composite
def instances(draw):
    d = draw(st.integers(1, 3))
    widths = [d] + [draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 2)))]
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers.append(
            ([[draw(half) for _ in range(a)] for _ in range(b)], [draw(half) for _ in range(b)])
        )
    # last hidden layer → one unit h, then out = label + c·relu(h − t): plateaus in the ball
    layers.append(([[draw(half) for _ in range(widths[-1])]], [draw(half)]))
    label = draw(st.integers(1, 3))
    t = draw(st.integers(-8, 8).map(lambda k: F(k, 4)))
    layers[-1] = (layers[-1][0], [layers[-1][1][0] - t])
    layers.append(([[draw(st.sampled_from([F(1), F(-1), F(1, 2)]))]], [F(label)]))
    center = [draw(half) for _ in range(d)]
    mu = draw(st.integers(1, 8).map(lambda k: F(k, 4)))
    p = draw(st.sampled_from(NORMS))
    return net_from(layers, d), make_ball(center, label, p, mu)


STATS: dict[tuple[str, str], int] = {}


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances(), st.integers(0, 10**6))
def test_random_campaign(inst, seed):
    net, b = inst
    key = check_pair(net, b, random.Random(seed))
    STATS[key] = STATS.get(key, 0) + 1


def test_campaign_proofs_all_certified():
    """Every PROVED ball of the linear engine in the (derandomized) default campaign carried a
    certificate that the kernel accepted (rare ℓ2 leaves without multipliers would make the
    engine report PROVED without a certificate; none occur in this campaign)."""
    if not STATS:  # run on its own (-k, another order): run the campaign here
        test_random_campaign()
    proved = sum(n for (a, _), n in STATS.items() if a == "PROVED")
    assert proved >= 20, STATS  # the assertion below is about a real number of proofs
    assert not UNCERTIFIED, UNCERTIFIED


def test_uncertified_proofs_are_recorded():
    """The recording path of the campaign is live: a PROVED result without a certificate, and
    one whose certificate the kernel rejects, are both recorded; a valid one is not."""
    net, b = EDGE, make_ball((0, 0), 2, 2, 1)
    good = linear.check_ball(net, b, timeout=30)
    assert good.status == "PROVED" and good.certificate is not None
    sink: list[str] = []
    record_uncertified(net, b, good, sink)
    assert sink == []
    bare = dataclasses.replace(good, certificate=None)
    record_uncertified(net, b, bare, sink)
    assert len(sink) == 1 and sink[0].startswith("no certificate")
    forged = dataclasses.replace(good, certificate={"tree": {"leaf": "empty"}})
    record_uncertified(net, b, forged, sink)  # the ball is not empty
    assert len(sink) == 2 and sink[1].startswith("rejected"), sink
    # REFUTED and UNKNOWN results are not proofs: nothing to record
    record_uncertified(net, b, dataclasses.replace(bare, status="UNKNOWN"), sink)
    assert len(sink) == 2


def test_campaign_exercised_both_verdicts():
    """Guard against a vacuous campaign: the generator produces PROVED and REFUTED balls."""
    rng = random.Random(5)
    seen = set()
    for _ in range(60):
        d = rng.randint(1, 2)
        h = [[F(rng.randint(-4, 4), 2) for _ in range(d)]]
        t = F(rng.randint(-8, 8), 4)
        net = net_from([(h, [-t]), ([[1]], [2])], d)
        b = make_ball([0] * d, 2, rng.choice(NORMS), F(rng.randint(1, 8), 4))
        seen.add(check_pair(net, b, rng)[0])
    assert {"PROVED", "REFUTED"} <= seen


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 10**6))
def test_random_campaign_large(inst, seed):
    net, b = inst
    check_pair(net, b, random.Random(seed), UNCERTIFIED_LARGE)
    # a certificate the kernel rejects is a bug in the engine or the kernel: never allowed
    assert not [u for u in UNCERTIFIED_LARGE if not u.startswith("no certificate")], (
        UNCERTIFIED_LARGE
    )
    assert len(UNCERTIFIED_LARGE) <= 30, UNCERTIFIED_LARGE  # ≤ 1% may lack a certificate
