"""The linear engine against hand-worked truths and against brute force on tiny networks."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction as F

import pytest

from certify.ball import Ball
from certify.engines.linear import check_ball
from certify.network import Network

NORMS = [None, 1, 2]


def net_from(layers, d):
    return Network.from_json(
        {
            "format": "robustmem-network/1",
            "input_dim": d,
            "layers": [{"weight": w, "bias": b} for w, b in layers],
        }
    )


def ball(center, label, p, mu):
    mu = F(mu)
    return Ball(tuple(F(c) for c in center), label, p, mu if p in (None, 1) else mu**p)


# f(x) = 1 on x ≤ 1, x on [1, 2], 2 on x ≥ 2
STEP = net_from([([[1], [1]], [-1, -2]), ([[1, -1]], [1])], 1)
# f ≡ 1 but written with cancelling ReLUs: interval bounds cannot see it, branching must
CANCEL = net_from([([[1], [1]], [0, 0]), ([[1, -1]], [1])], 1)


@pytest.mark.parametrize("p", NORMS)
def test_plateau_inside_touching_and_outside(p):
    assert check_ball(STEP, ball([0], 1, p, F(1, 2))).status == "PROVED"
    # open ball (−1, 1) touches the edge x = 1 of the plateau: still PROVED
    assert check_ball(STEP, ball([0], 1, p, 1)).status == "PROVED"
    r = check_ball(STEP, ball([0], 1, p, F(11, 10)))
    assert r.status == "REFUTED"
    x = r.counterexample
    assert abs(x[0]) < F(11, 10) and STEP.evaluate(x) != 1


@pytest.mark.parametrize("p", NORMS)
def test_branching_proves_cancelling_relus(p):
    r = check_ball(CANCEL, ball([0], 1, p, 3))
    assert r.status == "PROVED"
    assert r.stats["nodes"] > 1  # it had to branch


def test_corner_sticks_out_only_for_linf():
    # g(x) = 1 + relu(x1 + x2 − 3/2)·4: constant 1 on {x1 + x2 ≤ 3/2}. Ball at 0 radius 1:
    # the ℓ∞ box reaches x1 + x2 → 2 (REFUTED); ℓ2 reaches √2 < 3/2, ℓ1 reaches 1 (PROVED).
    g = net_from([([[1, 1]], [F(-3, 2)]), ([[4]], [1])], 2)
    assert check_ball(g, ball([0, 0], 1, None, 1)).status == "REFUTED"
    assert check_ball(g, ball([0, 0], 1, 2, 1)).status == "PROVED"
    assert check_ball(g, ball([0, 0], 1, 1, 1)).status == "PROVED"
    # exactly on the edge for ℓ1 radius 3/2: the open ball never reaches x1 + x2 = 3/2
    assert check_ball(g, ball([0, 0], 1, 1, F(3, 2))).status == "PROVED"
    assert check_ball(g, ball([0, 0], 1, 1, F(3, 2) + F(1, 10**12))).status == "REFUTED"


def test_refuted_when_wrong_everywhere_or_at_centre():
    r = check_ball(STEP, ball([F(3, 2)], 1, None, F(1, 100)))
    assert r.status == "REFUTED" and r.counterexample == (F(3, 2),)


# ------------------------------------------------------------------ brute force differential
def random_net(rng: random.Random, d: int) -> Network:
    """Tiny nets with small half-integer weights, biased to have plateaus."""
    widths = [d] + [rng.randint(1, 3) for _ in range(rng.randint(1, 2))] + [1]
    layers = []
    for a, b in zip(widths, widths[1:]):
        W = [[F(rng.randint(-4, 4), 2) for _ in range(a)] for _ in range(b)]
        bias = [F(rng.randint(-4, 4), 2) for _ in range(b)]
        layers.append((W, bias))
    return net_from(layers, d)


def grid_points(b: Ball, steps: int):
    r = b.box_radius
    ticks = [F(2 * k - steps, steps) * r for k in range(steps + 1)]
    for offs in itertools.product(ticks, repeat=b.d):
        x = tuple(c + o for c, o in zip(b.center, offs))
        if b.contains(x):
            yield x


@pytest.mark.parametrize("seed", range(40))
def test_differential_against_grid(seed):
    rng = random.Random(seed)
    d = rng.choice([1, 2])
    net = random_net(rng, d)
    center = tuple(F(rng.randint(-4, 4), 2) for _ in range(d))
    label = net.evaluate(center)  # the label the network gives at the centre
    if label.denominator != 1 or label < 1:
        # shift the last bias so the centre's value is an integer label ≥ 1
        js = net.to_json()
        shift = 1 + abs(int(label)) - label if label < 1 else label.__ceil__() - label
        last = js["layers"][-1]
        last["bias"] = [str(F(last["bias"][0]) + shift)]
        net = Network.from_json(js)
        label = net.evaluate(center)
    assert label.denominator == 1 and label >= 1
    for p in NORMS:
        b = ball(center, int(label), p, F(rng.randint(1, 6), 4))
        r = check_ball(net, b, timeout=20)
        assert r.status != "UNKNOWN", r.reason
        wrong = next(
            (x for x in grid_points(b, 16 if d == 1 else 8) if net.evaluate(x) != label), None
        )
        if wrong is not None:
            assert r.status == "REFUTED", (seed, p, wrong)
        if r.status == "REFUTED":
            assert b.contains(r.counterexample) and net.evaluate(r.counterexample) != label


def plateau_net(rng: random.Random, d: int, center, radius_box: F, label: int):
    """label + relu(h(x) − t) for a random tiny h, with t near max h on the ball's grid: the
    net is constant on the ball exactly when h ≤ t there. Half the cases either way."""
    h = random_net(rng, d)
    js = h.to_json()
    probe = Ball(tuple(center), 1, None, radius_box)
    vals = sorted(h.evaluate(x) for x in grid_points(probe, 12 if d == 1 else 6))
    t = vals[-1] + F(rng.choice([-1, 1]) * rng.randint(0, 3), 8)
    js["layers"][-1]["bias"] = [str(F(js["layers"][-1]["bias"][0]) - t)]
    js["layers"].append({"weight": [[1]], "bias": [label]})
    return Network.from_json(js)


@pytest.mark.parametrize("seed", range(60))
def test_differential_plateaus_against_grid(seed):
    rng = random.Random(1000 + seed)
    d = rng.choice([1, 2, 3])
    center = tuple(F(rng.randint(-4, 4), 2) for _ in range(d))
    mu = F(rng.randint(1, 6), 4)
    net = plateau_net(rng, d, center, mu, 3)
    for p in NORMS:
        b = ball(center, 3, p, mu)
        r = check_ball(net, b, timeout=30)
        assert r.status != "UNKNOWN", r.reason
        steps = {1: 24, 2: 10, 3: 6}[d]
        wrong = next((x for x in grid_points(b, steps) if net.evaluate(x) != 3), None)
        if wrong is not None:
            assert r.status == "REFUTED", (seed, p, wrong)
        if r.status == "REFUTED":
            assert b.contains(r.counterexample) and net.evaluate(r.counterexample) != 3


def test_root_bounds_computed_once(monkeypatch):
    """Branch and bound reuses the root's bounds: one kernel propagation per node (the
    neuron-split search: ℓ∞ balls of low dimension take input cuts, box_ball.py)."""
    from certify.engines.linear import box_ball
    from certify.kernel import rules

    monkeypatch.setattr(box_ball, "BALL_CUT_DIMS", 0)

    calls = []
    real = rules.bounds
    monkeypatch.setattr(rules, "bounds", lambda *a: calls.append(a[2]) or real(*a))
    r = check_ball(CANCEL, ball([0], 1, None, 3))
    assert r.status == "PROVED" and r.stats["nodes"] > 1
    assert len(calls) == r.stats["nodes"] and sum(not f for f in calls) == 1


@pytest.mark.parametrize("seed", range(8))
def test_attack_gradients_are_the_centre_piece(seed):
    """The attack's exact gradients (backward row products) are the output rows of the
    kernel's affine forms on the centre's pattern."""
    from certify.engines.linear import piece, prepare
    from certify.engines.linear.attack import _centre_gradients
    from certify.kernel import rules

    rng = random.Random(seed)
    d = rng.randint(1, 3)
    net = random_net(rng, d)
    js = net.to_json()
    widths = [len(layer["weight"]) for layer in js["layers"][:-1]]
    net = Network(
        [[[F(v) for v in r] for r in layer["weight"]] for layer in js["layers"]],
        [[F(v) for v in layer["bias"]] for layer in js["layers"]],
        input_dim=d,
        activations=[[rng.choice(("relu", "step")) for _ in range(w)] for w in widths],
    )
    prep = prepare(net)
    b = ball([F(rng.randint(-4, 4), 2) for _ in range(d)], 1, None, 1)
    pre = rules.evaluate(prep.layers, [rules.exact(v) for v in b.center], trace=True)
    P = piece(prep, [[z > 0 for z in layer] for layer in pre[:-1]])[-1][0]
    assert _centre_gradients(prep, b) == [[F(int(v.p), int(v.q)) for v in row] for row in P]
