"""Error measurement: the sound bound is ≥ the true error measure, Monte-Carlo agrees."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

from certify import error
from certify.ball import Ball
from certify.error import (
    cross_section_upper,
    estimate_error,
    monte_carlo,
    sound_bound,
    volume_lower,
)
from certify.errors import InputError
from certify.network import Network


def ramp_net(a: F, k: int = 64) -> Network:
    """f(x) = 1 + min(1, relu(k(x_1 − a))): label 1 left of a, 2 right of a + 1/k."""
    return Network([[[k, 0], [k, 0]], [[1, -1]]], [[-k * a, -k * a - 1], [1]], input_dim=2)


def test_sound_bound_covers_the_true_error_linf():
    net = ramp_net(F(3, 10))
    ball = Ball((F(0), F(0)), 1, None, F(1, 2))  # the cube [-1/2, 1/2]²
    true = F(1, 2) - F(3, 10)  # error set: x_1 > 3/10, width 1/5 out of 1
    bound, proved, opened = sound_bound(net, ball, budget=40, timeout=2)
    assert true <= bound <= 1 and proved > 0 and opened > 0
    assert bound < true + F(1, 4)  # the refinement localises the error slab
    n, k = monte_carlo(net, ball, 400, seed=1)
    assert n == 400 and abs(k / n - float(true)) < 0.08


def test_sound_bound_covers_the_true_error_l2():
    net = ramp_net(F(1, 4))
    ball = Ball((F(0), F(0)), 1, 2, F(1, 4))  # disc of radius 1/2
    # error: the cap x_1 > 1/4 of the disc of radius 1/2: area r²·acos(h/r) − h·√(r²−h²)
    r, h = 0.5, 0.25
    true = (r * r * math.acos(h / r) - h * math.sqrt(r * r - h * h)) / (math.pi * r * r)
    bound, _, _ = sound_bound(net, ball, budget=40, timeout=2)
    assert float(bound) >= true
    est = estimate_error(net, ball, samples=400, budget=8, timeout=2, seed=2)
    assert est.wilson_low <= true + 0.02 and true - 0.02 <= est.wilson_high


def test_proved_ball_has_zero_bound_and_no_mc_errors():
    net = ramp_net(F(3))
    ball = Ball((F(0), F(0)), 1, 1, F(1))
    bound, proved, opened = sound_bound(net, ball, budget=4, timeout=2)
    assert bound == 0 and proved >= 1 and opened == 0
    assert monte_carlo(net, ball, 50)[1] == 0


@pytest.mark.parametrize("p, d", [(None, 3), (1, 3), (2, 2), (2, 3), (2, 6)])
def test_volume_lower_bounds_are_below_the_true_volume(p, d):
    mu = F(3, 7)
    ball = Ball(tuple([F(0)] * d), 1, p, mu if p in (None, 1) else mu**p)
    m = float(mu)
    true = {
        None: (2 * m) ** d,
        1: (2 * m) ** d / math.factorial(d),
        2: math.pi ** (d / 2) / math.gamma(d / 2 + 1) * m**d,
    }[p]
    v = float(volume_lower(ball))
    assert v <= true * (1 + 1e-12) and v > 0.999 * true


def test_unsupported_norms_are_refused():
    with pytest.raises(InputError):
        volume_lower(Ball((F(0),), 1, 3, F(1)))


def bump_net(a: F, w: F, layers_before: int = 0) -> Network:
    """f(x) = 1 + relu(x_1 − a + w) − 2 relu(x_1 − a) + relu(x_1 − a − w) (a tent of half-width
    w at x_1 = a, wrong only on the open slab |x_1 − a| < w), after ``layers_before`` identity
    carries of x + 4 (so the kinks sit in a deep layer, as in the moderate builder)."""
    Ws: list = []
    bs: list = []
    shift = F(0)
    for _ in range(layers_before):
        Ws.append([[1, 0], [0, 1]])
        bs.append([4, 4] if not Ws[:-1] else [0, 0])
        shift = F(4)
    Ws += [[[1, 0], [1, 0], [1, 0]], [[1, -2, 1]]]
    c = -a - shift
    bs += [[c + w, c, c - w], [1]]
    return Network(Ws, bs, input_dim=2)


@pytest.mark.parametrize("p", [None, 1, 2])
@pytest.mark.parametrize("layers_before", [0, 2])
def test_kinks_isolate_a_thin_band(p, layers_before):
    """The refinement splits at the tent's kinks, so the bound is the slab bound of a band of
    width 2w (≈ 2w·V_{d−1}/(μV_d)), far below what bisection of the box reaches."""
    w = F(1, 1000)
    net = bump_net(F(1, 7), w, layers_before)
    mu = F(1, 2)
    ball = Ball((F(0), F(0)), 1, p, mu if p in (None, 1) else mu**p)
    bound, proved, opened = sound_bound(net, ball, budget=20, timeout=2)
    slab = 2 * w * cross_section_upper(ball) / volume_lower(ball)
    assert 0 < bound <= slab and proved >= 2 and opened >= 1
    assert float(bound) < 0.01  # the band is 0.2% of the width; bisection alone gives ≥ 1/16
    assert monte_carlo(net, ball, 300, seed=5)[1] <= 3  # P(hit) ≈ 0.2%


def test_bound_is_zero_when_every_piece_is_proved():
    """A network equal to its label on the ball but with a kink inside: the whole-ball call can
    be UNKNOWN, the split pieces are each PROVED, so the bound is exactly 0."""
    # f = 1 + relu(x_1) − relu(x_1): two units with a kink at x_1 = 0 that cancel
    net = Network([[[1, 0], [1, 0]], [[1, -1]]], [[0, 0], [1]], input_dim=2)
    ball = Ball((F(0), F(0)), 1, 2, F(1, 4))
    assert sound_bound(net, ball, budget=4, timeout=2)[0] == 0


@pytest.mark.parametrize("seed", range(6))
def test_sound_bound_dominates_monte_carlo_on_random_nets(seed):
    """Differential: on random small networks (labels at their value at the centre, rounded),
    the sound bound is never below the Monte-Carlo lower confidence limit."""
    import numpy as np

    rng = np.random.default_rng(seed)
    W1 = rng.integers(-3, 4, size=(4, 2))
    b1 = rng.integers(-2, 3, size=4)
    W2 = rng.integers(-2, 3, size=(1, 4))
    net = Network([W1.tolist(), W2.tolist()], [b1.tolist(), [0]], input_dim=2)
    label = int(net.evaluate((0, 0)))
    ball = Ball((F(0), F(0)), label, 2, F(1, 4))
    bound, _, _ = sound_bound(net, ball, budget=24, timeout=2)
    est = estimate_error(net, ball, samples=400, budget=1, timeout=1, seed=seed)
    assert est.wilson_low <= float(bound) + 1e-12


def _moderate_with_bands():
    """A cover-grouped moderate network with bands (K ≥ 2) and its balls (ℓ2, N = 24, d = 2)."""
    from certify.run import balls, make_radius
    from constructions.moderate import build_moderate
    from tests.constructions.test_moderate_rate import dyadic_data

    ds = dyadic_data(24, 2)
    rad = make_radius(ds, "2", rho=F(1, 12))
    net, rep = build_moderate(ds, rad.radius_power, rad.p, F(1, 10), grouping="cover")
    assert rep.groups >= 2
    return net, rep, balls(ds, rad)


def test_guided_kink_search_agrees_with_the_exact_one():
    """The float-guided kink search (exact forms where the floats are unsure, exact cut)
    finds the same kink as the all-exact reference on random boxes in the balls and on the
    boxes a refinement produces (kinks on their faces)."""
    import random

    from certify import error

    net, rep, bl = _moderate_with_bands()
    rnd = random.Random(7)
    boxes = []
    for _ in range(60):
        b = bl[rnd.randrange(len(bl))]
        r = b.box_radius
        lo = [c - r + 2 * r * F(rnd.randrange(900), 1000) for c in b.center]
        boxes.append((lo, [v + 2 * r * F(rnd.randrange(1, 500), 1000) for v in lo]))
    seen = []
    orig = error.box_scan

    def record(net_, lo, hi, *a):
        seen.append((list(lo), list(hi)))
        return orig(net_, lo, hi, *a)

    error.box_scan = record
    try:
        for i in [k for k, e in enumerate(rep.error_bounds) if e > 0][:2]:
            error.refine(net, bl[i], budget=0, max_boxes=60)
    finally:
        error.box_scan = orig
    boxes += seen
    found = 0
    for lo, hi in boxes:
        exact = error.affine_kink_exact(net.layers, lo, hi)
        assert error.affine_kink(net, lo, hi) == exact
        found += exact is not None
    assert found >= 20  # the comparison is not vacuous


def test_refine_honours_its_wall_clock_and_stays_sound():
    net = ramp_net(F(3, 10))
    ball = Ball((F(0), F(0)), 1, None, F(1, 2))
    true = F(1, 2) - F(3, 10)
    res = error.refine(net, ball, budget=40, timeout=2, seconds=0)
    assert res.stopped == "time" and res.bound == 1 and res.calls == 0
    full = error.refine(net, ball, budget=40, timeout=2)
    assert full.stopped in ("complete", "budget", "boxes") and true <= full.bound < 1


def test_refine_stops_at_its_target_with_a_sound_bound():
    net = bump_net(F(1, 7), F(1, 1000), 1)
    ball = Ball((F(0), F(0)), 1, 2, F(1, 4))
    events = []
    res = error.refine(net, ball, budget=20, timeout=2, target=F(1, 2), progress=events.append)
    assert res.stopped == "target" and res.bound <= F(1, 2)
    slab = 2 * F(1, 1000) * cross_section_upper(ball) / volume_lower(ball)
    tight = error.refine(net, ball, budget=20, timeout=2)
    assert slab >= tight.bound > 0 and tight.bound <= res.bound
    assert events and [e["boxes"] for e in events] == sorted(e["boxes"] for e in events)
    assert all(0 <= e["bound"] <= 1 for e in events)


def test_a_proved_ball_is_not_sampled():
    net = ramp_net(F(3))
    ball = Ball((F(0), F(0)), 1, 1, F(1))
    est = estimate_error(net, ball, proved=True, samples=50)
    assert est.upper_bound == 0 and est.samples == 0 and est.stopped == "proved"
    assert (est.wilson_low, est.wilson_high) == (0.0, 0.0)
    est = estimate_error(net, ball, samples=50, budget=4, timeout=2)
    assert est.samples == 50 and est.errors == 0 and est.upper_bound == 0
    row = est.to_json()
    assert row["stopped"] == "complete" and row["mc_samples"] == 50


def test_moderate_band_balls_are_bounded_below_eta_within_budget():
    """Every ball of a banded moderate network: the sound bound (a few seconds per ball)
    is ≤ η and ≥ the Monte-Carlo lower confidence limit."""
    net, rep, bl = _moderate_with_bands()
    for i in [k for k, e in enumerate(rep.error_bounds) if e > 0][:3]:
        est = estimate_error(net, bl[i], samples=100, seconds=20)
        assert est.upper_bound <= F(1, 10), (i, est.upper_bound)
        assert est.wilson_low <= float(est.upper_bound) + 1e-12
        assert est.seconds < 40


def test_wilson_interval_ends_are_exact_at_zero_and_all_errors():
    assert error._wilson(0, 200)[0] == 0.0 and 0 < error._wilson(0, 200)[1] < 0.02
    assert error._wilson(200, 200)[1] == 1.0 and error._wilson(200, 200)[0] > 0.98
    lo, hi = error._wilson(20, 200)
    assert lo < 0.1 < hi
