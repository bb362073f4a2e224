"""Tests of the z3 engine on networks whose truth is known by hand, and against brute force."""

from __future__ import annotations

import itertools
import random
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction as F

import flint
import pytest
import z3

from certify.ball import Ball, BallResult
from certify.engines.z3_engine import _candidate_points, _linearisation, check_ball
from certify.errors import InputError
from certify.network import Network

P_ALL = [None, 1, 2, 3]  # None is p = ∞
MODES = [
    {},  # defaults: presolve, linear outer phase for p >= 2
    {"presolve": False, "cut_rounds": 0},  # every unit an If; the pure whole-ball query
]


def make_ball(center, label, p, mu, index=0) -> Ball:
    """The open ball of radius μ (μ is given, not μ^p)."""
    center = tuple(F(c) for c in center)
    mu = F(mu)
    return Ball(center, label, p, mu if p is None else mu**p, index)


def make_ball_power(center, label, p, radius_power) -> Ball:
    return Ball(tuple(F(c) for c in center), label, p, F(radius_power))


def assert_proved(r: BallResult) -> None:
    assert r.status == "PROVED", (r.status, r.reason, r.counterexample, r.stats)
    assert r.engine == "z3"
    assert r.counterexample is None


def assert_refuted(r: BallResult, net: Network, ball: Ball) -> None:
    assert r.status == "REFUTED", (r.status, r.reason, r.stats)
    assert r.engine == "z3"
    x = r.counterexample
    assert x is not None and all(isinstance(v, F) for v in x)
    assert ball.contains(x)  # strictly inside the open ball, exactly
    assert net.evaluate(x) == r.value != ball.label


def plateau(lo, hi, label, sign=1) -> Network:
    """1-D: f(x) = label + sign·(relu(lo − x) + relu(x − hi)); f = label exactly on [lo, hi]."""
    lo, hi = F(lo), F(hi)
    return Network([[[-1], [1]], [[sign, sign]]], [[lo, -hi], [label]])


def halfplane(a, b, t, label, sign=1) -> Network:
    """2-D: f(x) = label + sign·relu(a·x_1 + b·x_2 − t); f = label exactly where a·x ≤ t."""
    return Network([[[a, b]], [[sign]]], [[-F(t)], [label]])


# ---------------------------------------------------------------------- hand-made truths


@pytest.mark.parametrize("p", P_ALL)
@pytest.mark.parametrize("mode", MODES)
def test_constant_network_is_proved(p, mode):
    zero2 = [[0, 0], [0, 0]]
    net = Network([zero2, zero2, [[0, 0]]], [[0, 0], [0, 0], [3]])
    ball = make_ball(("1/3", -2), 3, p, 5)
    r = check_ball(net, ball, **mode)
    assert_proved(r)
    assert r.seconds >= 0 and r.stats["neurons"] == 4


@pytest.mark.parametrize("p", [None, 1, 2, 3, 4])
@pytest.mark.parametrize("mode", MODES)
def test_identity_plus_label_is_refuted(p, mode):
    # f(x) = x_1 + 2, through a hidden layer (relu(x_1) − relu(−x_1) = x_1)
    net = Network([[[1, 0], [-1, 0]], [[1, -1]]], [[0, 0], [2]])
    ball = make_ball((0, "1/7"), 2, p, "1/10")
    r = check_ball(net, ball, **mode)
    assert_refuted(r, net, ball)


def test_affine_network_without_hidden_layer():
    net = Network([[[1, 0]]], [[2]])  # f(x) = x_1 + 2
    ball = make_ball((0, 0), 2, 2, "1/3")
    assert_refuted(check_ball(net, ball), net, ball)


@pytest.mark.parametrize("p", P_ALL)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sign", [1, -1])
def test_plateau_1d(p, mode, sign):
    net = plateau(0, 1, 3, sign)  # f = 3 exactly on [0, 1]
    inside = [("1/2", "1/4"), ("1/4", "1/5"), ("3/4", "1/4")]
    touching = [("1/2", "1/2"), ("1/4", "1/4"), ("9/10", "1/10")]  # open ball ⊂ (0, 1)
    poking = [("1/2", "501/1000"), ("1/4", "3/10"), ("9/10", "1/5"), ("1/2", 7)]
    for c, mu in inside + touching:
        assert_proved(check_ball(net, make_ball((c,), 3, p, mu), **mode))
    for c, mu in poking:
        ball = make_ball((c,), 3, p, mu)
        assert_refuted(check_ball(net, ball, **mode), net, ball)


def test_plateau_of_the_brief():
    # f(x) = 1 + relu(x − 1) − relu(x − 2): 1 on (−∞, 1], 2 on [2, ∞)
    net = Network([[[1], [1]], [[1, -1]]], [[-1, -2], [1]])
    for p in P_ALL:
        assert_proved(check_ball(net, make_ball((0,), 1, p, 1)))
        ball = make_ball((0,), 1, p, "11/10")
        assert_refuted(check_ball(net, ball), net, ball)
        assert_proved(check_ball(net, make_ball((3,), 2, p, 1)))


@pytest.mark.parametrize("mode", MODES)
def test_corner_of_the_box_sticks_out(mode):
    # f = 5 where x_1 + x_2 ≤ 3/2. Around 0 with μ = 1: the ℓ∞ box reaches x_1 + x_2 → 2,
    # the ℓ2 ball only √2 < 3/2, the ℓ1 ball only 1.
    for sign in (1, -1):
        net = halfplane(1, 1, "3/2", 5, sign)
        box = make_ball((0, 0), 5, None, 1)
        assert_refuted(check_ball(net, box, **mode), net, box)
        for p in (1, 2):
            assert_proved(check_ball(net, make_ball((0, 0), 5, p, 1), **mode))
        # ℓ3 reaches 2·2^(−1/3) ≈ 1.587 > 3/2
        ball3 = make_ball((0, 0), 5, 3, 1)
        assert_refuted(check_ball(net, ball3, **mode), net, ball3)


@pytest.mark.parametrize("mode", MODES)
def test_2d_boundaries_touching_exactly(mode):
    # ℓ2: max of 3x_1 + 4x_2 over the closed unit disk is 5, attained only on the circle.
    net = halfplane(3, 4, 5, 0)
    assert_proved(check_ball(net, make_ball_power((0, 0), 0, 2, 1), **mode))
    ball = make_ball_power((0, 0), 0, 2, "1000001/1000000")
    assert_refuted(check_ball(net, ball, **mode), net, ball)
    # ℓ1 radius 1 and ℓ∞ radius 1/2: x_1 + x_2 reaches 1 only on the boundary
    net = halfplane(1, 1, 1, 0, -1)
    for p, mu in ((1, 1), (None, "1/2")):
        assert_proved(check_ball(net, make_ball((0, 0), 0, p, mu), **mode))
        ball = make_ball((0, 0), 0, p, F(mu) + F(1, 10**6))
        assert_refuted(check_ball(net, ball, **mode), net, ball)


def test_center_counterexample_short_cut():
    net = plateau(0, 1, 3)
    ball = make_ball((2,), 3, 2, "1/10")
    r = check_ball(net, ball)
    assert_refuted(r, net, ball)
    assert r.counterexample == (F(2),)
    assert "center" in r.reason


def test_empty_ball():
    net = plateau(0, 1, 3)
    r = check_ball(net, make_ball_power((5,), 3, 2, 0))  # f(5) = 7
    assert r.status == "UNKNOWN" and "radius 0" in r.reason
    assert_proved(check_ball(net, make_ball_power(("1/2",), 3, None, 0)))


def test_ball_index_and_json():
    net = plateau(0, 1, 3)
    r = check_ball(net, make_ball(("1/2",), 3, 2, "1/4", index=17))
    assert r.index == 17
    out = r.to_json()
    assert out["engine"] == "z3" and out["status"] == "PROVED"
    assert out["stats"]["z3_result"] == "unsat"


def test_bad_inputs():
    net = plateau(0, 1, 3)
    with pytest.raises(InputError, match="dimension"):
        check_ball(net, make_ball((0, 0), 3, 2, 1))
    with pytest.raises(InputError, match="timeout"):
        check_ball(net, make_ball((0,), 3, 2, 1), timeout=0)
    with pytest.raises(InputError, match="p must be"):
        check_ball(net, Ball((F(0),), 3, 0, F(1)))
    with pytest.raises(InputError, match="radius"):
        check_ball(net, Ball((F(0),), 3, 2, F(-1)))
    with pytest.raises(InputError, match="cut_rounds"):
        check_ball(net, make_ball((0,), 3, 2, 1), cut_rounds=-1)


def test_threads_give_the_same_verdicts():
    net = halfplane(1, 1, "3/2", 5)
    balls = [make_ball((0, 0), 5, p, mu) for p in P_ALL for mu in ("1/2", 1, 2)]
    sequential = [check_ball(net, b).status for b in balls]
    with ThreadPoolExecutor(4) as pool:
        parallel = [r.status for r in pool.map(lambda b: check_ball(net, b), balls)]
    assert parallel == sequential
    assert set(sequential) == {"PROVED", "REFUTED"}


# ---------------------------------------------------------------------- brute force


def _rand_q(rng: random.Random, lo: int, hi: int) -> F:
    return F(rng.randint(2 * lo, 2 * hi), 2)  # integers and half-integers


def random_case(rng: random.Random) -> tuple[Network, Ball]:
    """A tiny random net (d ≤ 2, ≤ 2 hidden layers of width ≤ 3) and a ball with f(c) = label.

    Half of the nets end in a "dead zone" layer label ± relu(±(g − g(c)) − T), which makes
    f constant near c, so PROVED and REFUTED both occur.
    """
    d = rng.randint(1, 2)
    plateau_wrap = rng.random() < 0.5
    hidden = [rng.randint(1, 3) for _ in range(rng.randint(0 if plateau_wrap else 1, 1))]
    dims = [d, *hidden, 1]
    W = [
        [[_rand_q(rng, -2, 2) for _ in range(dims[k])] for _ in range(dims[k + 1])]
        for k in range(len(dims) - 1)
    ]
    B = [[_rand_q(rng, -2, 2) for _ in range(dims[k + 1])] for k in range(len(dims) - 1)]
    center = tuple(_rand_q(rng, -1, 1) for _ in range(d))
    label = rng.randint(0, 3)
    g_c = Network(W, B).evaluate(center)
    if plateau_wrap:
        row, bias = W[-1][0], B[-1][0] - g_c  # g − g(c)
        t1, t2 = (F(rng.choice([0, 1, 2, 3, 4]), 4) for _ in range(2))
        W[-1] = [list(row), [-w for w in row]]
        B[-1] = [bias - t1, -bias - t2]
        W.append([[rng.choice([1, -1, 2]), rng.choice([1, -1, F(1, 2)])]])
        B.append([label])
    else:
        B[-1][0] += label - g_c
    net = Network(W, B)
    assert net.evaluate(center) == label
    p = rng.choice(P_ALL)
    mu = F(rng.randint(1, 8), 4)
    return net, make_ball(center, label, p, mu)


def grid_counterexample(net: Network, ball: Ball, n: int = 20) -> tuple[F, ...] | None:
    """A point of a fine rational grid inside the open ball where f ≠ label, if any."""
    r = ball.box_radius
    steps = [F(k, n) * r for k in range(-n, n + 1)]
    points = [
        tuple(c + s for c, s in zip(ball.center, offs))
        for offs in itertools.product(steps, repeat=ball.d)
    ]
    points = [x for x in points if ball.contains(x)]
    for x, v in zip(points, net.evaluate_many(points)):
        if v != ball.label:
            return x
    return None


def test_differential_against_brute_force():
    rng = random.Random(20251024)
    seen = {"PROVED": 0, "REFUTED": 0, "UNKNOWN": 0}
    for case in range(150):
        net, ball = random_case(rng)
        grid_bad = grid_counterexample(net, ball)
        verdicts = []
        for mode in MODES:
            r = check_ball(net, ball, timeout=20, **mode)
            where = f"case {case}: {net.to_json()} ball {ball} mode {mode}: {r.reason}"
            assert r.status != "UNKNOWN", where  # tiny cases: z3 must decide
            if grid_bad is not None:
                assert r.status != "PROVED", f"{where}; grid point {grid_bad} has f != label"
            if r.status == "REFUTED":
                assert_refuted(r, net, ball)
            verdicts.append(r.status)
            seen[r.status] += 1
        assert len(set(verdicts)) == 1, (case, verdicts)
    assert seen["PROVED"] >= 50 and seen["REFUTED"] >= 50, seen


# ---------------------------------------------------------------------- timeouts


def moderate_net(seed: int = 1, d: int = 4, widths=(25, 25)) -> Network:
    """label 1 + relu(g(x) + 1) with g(0) = −2: a random 4-25-25 g behind a dead zone."""
    rng = random.Random(seed)
    dims = [d, *widths, 1]
    W = [
        [[F(rng.randint(-8, 8), 8) for _ in range(dims[k])] for _ in range(dims[k + 1])]
        for k in range(len(dims) - 1)
    ]
    B = [[F(rng.randint(-8, 8), 8) for _ in range(dims[k + 1])] for k in range(len(dims) - 1)]
    B[-1][0] -= Network(W, B).evaluate((0,) * d) + 1
    W.append([[1]])
    B.append([1])
    return Network(W, B)


def test_tiny_timeout_gives_unknown_or_a_verified_verdict():
    net = moderate_net()
    for p in P_ALL:
        ball = make_ball((0, 0, 0, 0), 1, p, "5/32")
        t = time.perf_counter()
        r = check_ball(net, ball, timeout=0.001)
        assert time.perf_counter() - t < 5
        assert r.status in ("UNKNOWN", "PROVED", "REFUTED")
        if r.status == "REFUTED":
            assert_refuted(r, net, ball)
        if r.status == "UNKNOWN":
            assert "timeout" in r.reason or "canceled" in r.reason, r.reason


def test_timeout_on_a_hard_nonlinear_query():
    # the pure ℓ2 query on this 4-25-25 net takes z3 minutes; the outer phase proves it fast
    net = moderate_net()
    ball = make_ball_power((0, 0, 0, 0), 1, 2, F(1, 16) ** 2)
    t = time.perf_counter()
    r = check_ball(net, ball, timeout=0.5, cut_rounds=0)
    assert time.perf_counter() - t < 5
    assert r.status in ("UNKNOWN", "PROVED"), r.reason  # PROVED is the truth (below)
    assert_proved(check_ball(net, ball, timeout=20))


def test_algebraic_model_values_are_rounded_ever_closer():
    ctx = z3.Context()
    x, y = z3.Real("x", ctx), z3.Real("y", ctx)
    s = z3.Solver(ctx=ctx)
    s.add(x * x == 2, x > 0, y == z3.RealVal("1/3", ctx))
    assert s.check() == z3.sat
    points = list(_candidate_points(s.model(), [x, y]))
    assert len(points) >= 3
    for digits, (ax, ay) in points:
        assert digits is not None and ay == F(1, 3)
        assert abs(ax * ax - 2) < F(1, 10 ** (digits - 1))


def test_rational_model_is_taken_exactly():
    ctx = z3.Context()
    x = z3.Real("x", ctx)
    s = z3.Solver(ctx=ctx)
    big = 10**5000 + 1  # beyond Python's default int-to-string limit
    s.add(x == z3.RealVal(f"{flint.fmpz(big)}/3", ctx))
    assert s.check() == z3.sat
    assert list(_candidate_points(s.model(), [x])) == [(None, (F(big, 3),))]


@pytest.mark.parametrize(
    ("p", "a", "norm_power"),
    [(2, (3, 4), 25), (3, (1, 4), 81), (4, (1, 8), 17**3)],
)
def test_halfplanes_near_the_critical_radius(p, a, norm_power):
    """sup of a·x over the open ℓp ball of radius μ is μ·‖a‖_q (1/p + 1/q = 1, attained only
    on the sphere): f = label on the ball iff μ^p·‖a‖_q^p ≤ t^p. Here ‖a‖_q^p is rational:
    25 for (3, 4) in ℓ2; (1 + 4^(3/2))^2 = 81 for (1, 4) in ℓ3; (1 + 8^(4/3))^3 = 17^3 for
    (1, 8) in ℓ4. These balls need cuts (or the nonlinear query)."""
    t = F(5)
    # two hidden layers: a·x = relu(a·x) − relu(−a·x), then label + relu(a·x − t)
    net = Network(
        [[list(a), [-v for v in a]], [[1, -1]], [[1]]],
        [[0, 0], [-t], [0]],
    )
    critical = t**p / norm_power  # μ^p at which the ball touches the half-plane
    for factor, proved in ((F(9, 10), True), (F(1), True), (F(11, 10), False)):
        ball = make_ball_power((0, 0), 0, p, critical * factor)
        for mode in MODES:
            r = check_ball(net, ball, timeout=20, **mode)
            if proved:
                assert_proved(r)
            else:
                assert_refuted(r, net, ball)


def test_linearisation_cuts_are_valid_on_the_ball():
    rng = random.Random(7)
    for _ in range(100):
        p = rng.choice([2, 3, 4])
        d = rng.randint(1, 3)
        ball = make_ball(
            tuple(_rand_q(rng, -1, 1) for _ in range(d)), 0, p, F(rng.randint(1, 8), 4)
        )
        t = [F(rng.randint(-12, 12), 4) for _ in range(d)]
        grad, rhs = _linearisation(t, ball)
        for _ in range(20):
            # the point of the ball farthest along a random direction w, up to 2^-20
            w = [F(rng.randint(-8, 8), 4) for _ in range(d)]
            lo, hi = 0, 2**24
            while hi - lo > 1:
                mid = (lo + hi) // 2
                y = tuple(c + F(mid, 2**20) * wj for c, wj in zip(ball.center, w))
                lo, hi = (mid, hi) if ball.contains(y) else (lo, mid)
            y = tuple(c + F(lo, 2**20) * wj for c, wj in zip(ball.center, w))
            assert ball.contains(y)
            assert sum(gj * (yj - c) for gj, yj, c in zip(grad, y, ball.center)) < rhs
        if sum(abs(v) ** p for v in t) >= ball.radius_power:  # c + t outside: cut off
            assert sum(gj * tj for gj, tj in zip(grad, t)) >= rhs
