"""Mixed layers (ReLU and step units in one layer): format, exact evaluation against an
independent evaluator, kernel checks and tampering, engine verdicts against brute force."""

from __future__ import annotations

import copy
import hashlib
import json
import random
from fractions import Fraction as F

import numpy as np
import pytest

from certify import kernel
from certify.ball import Ball
from certify.engines.linear import affine_piece, check_ball, prepare
from certify.engines.z3_engine import check_ball as z3_check
from certify.errors import InputError
from certify.network import Network
from tests.certify.test_step import grid, inside

W3 = [[[1], [1]], [[1, 1], [1, -1]], [[1, F(1, 3)]]]
B3 = [[0, -1], [0, 0], [0]]


def mixed_net() -> Network:
    return Network(W3, B3, activations=[["step", "relu"], "step"])


def reference(weights, biases, acts, x) -> tuple[list[list[F]], list[F]]:
    """Pre-activations and output by hand: plain Fractions, per-unit activation lists."""
    v = [F(t) for t in x]
    pre = []
    for k, (W, b) in enumerate(zip(weights, biases)):
        z = [sum((F(w) * t for w, t in zip(row, v)), F(bi)) for row, bi in zip(W, b)]
        pre.append(z)
        if k < len(acts):
            v = [F(int(t >= 0)) if a == "step" else max(t, F(0)) for t, a in zip(z, acts[k])]
        else:
            v = z
    return pre, v


# ------------------------------------------------------------------------------ format


def test_old_forms_keep_their_text_and_hash() -> None:
    # computed with the code at the branch point (before per-unit activations)
    expected = {
        None: (
            "3f56f06701bd315c45f18e7fd4fdf81f4ae6448702c602ea3233837cbc250e59",
            "e4cc1228787f615aab8ef4c7e8b7ea1b757efa9ca3f26a9541dfb6f7ddff8ec9",
        ),
        ("step", "relu"): (
            "bf3e14d543b950d7574a0fb3b46c13cdf98507106c4cea0e9323c31633ec1e20",
            "c629f7aaf1e8591bbc102f2c45000cef0c759c094f77bb3665295499a6547e90",
        ),
        ("step", "step"): (
            "294cf6838c53ced6077a19c48c407e61472601117a1c5fbfba9b9e111b9f30be",
            "98aa0d40f8e7a8bb1e5271a34aec955194778cea4fd089054a41716ffbb82132",
        ),
    }
    for acts, (content, text) in expected.items():
        net = Network(W3, B3, activations=acts)
        assert net.content_hash() == content
        assert hashlib.sha256(net.to_json_text().encode()).hexdigest() == text
        # uniform lists are the same network, written in the old form
        if acts is not None:
            listed = Network(W3, B3, activations=[[a, a] for a in acts])
            assert listed == net and listed.content_hash() == content
            assert listed.activations == acts
            assert not any(
                isinstance(lay.get("activation"), list) for lay in net.to_json()["layers"]
            )


def test_mixed_round_trip_and_hash() -> None:
    net = mixed_net()
    obj = net.to_json()
    assert obj["layers"][0]["activation"] == ["step", "relu"]
    assert obj["layers"][1]["activation"] == "step"
    assert "activation" not in obj["layers"][2]
    text = net.to_json_text()
    assert '"activation": ["step", "relu"]' in text
    back = Network.from_json(json.loads(text))
    assert back == net and back.content_hash() == net.content_hash()
    assert back.activations == (("step", "relu"), "step")
    assert back.step_units(0) == (True, False) and back.step_units(1) == (True, True)
    assert back.layers[0].is_step(0) and not back.layers[0].is_step(1)
    assert back.has_step
    # the other mix is another network
    other = Network(W3, B3, activations=[["relu", "step"], "step"])
    assert other != net and other.content_hash() != net.content_hash()
    relu = Network(W3, B3, activations=[["relu", "relu"], "relu"])
    assert not relu.has_step and "activation" not in relu.to_json_text()


@pytest.mark.parametrize(
    "act, match",
    [
        (["step"], "layer 1 activation list has 1 entries but the layer has 2 units"),
        (["step", "relu", "relu"], "layer 1 activation list has 3"),
        (["step", "tanh"], r"layer 1 activation\[1\]"),
        (["step", 1], r"layer 1 activation\[1\]"),
        ({"a": 1}, "layer 1 has activation"),
        (3, "layer 1 has activation"),
        ("tanh", "layer 1 has activation"),
    ],
)
def test_bad_activation_lists_are_rejected(act, match) -> None:
    obj = mixed_net().to_json()
    obj["layers"][0]["activation"] = act
    with pytest.raises(InputError, match=match):
        Network.from_json(obj)


def test_bad_activations_in_constructor_and_last_layer() -> None:
    with pytest.raises(InputError, match="layer 2 activation list has 1 entries"):
        Network(W3, B3, activations=["step", ["relu"]])
    with pytest.raises(InputError, match=r"layer 2 activation\[0\]"):
        Network(W3, B3, activations=["step", ["sigmoid", "relu"]])
    obj = mixed_net().to_json()
    obj["layers"][2]["activation"] = ["step"]
    with pytest.raises(InputError, match="layer 3 .*last layer has no activation"):
        Network.from_json(obj)


def test_onnx_export_refuses_mixed() -> None:
    from certify.onnx_io import network_to_onnx

    with pytest.raises(InputError, match="step"):
        network_to_onnx(mixed_net())


# -------------------------------------------------------------------------- evaluation


def random_mixed(rng: random.Random, d: int, widths: list[int], mixed_only: bool = False):
    Ws, bs, acts = [], [], []
    w_in = d
    for w in widths:
        Ws.append(
            [[F(rng.randint(-4, 4), rng.randint(1, 3)) for _ in range(w_in)] for _ in range(w)]
        )
        bs.append([F(rng.randint(-3, 3), rng.randint(1, 2)) for _ in range(w)])
        units = [rng.choice(("relu", "step")) for _ in range(w)]
        if mixed_only or rng.random() < 0.7:
            units[0], units[-1] = "relu", "step"  # surely mixed
        acts.append(units)
        w_in = w
    Ws.append([[F(rng.randint(-3, 3), 2) for _ in range(w_in)]])
    bs.append([F(rng.randint(-2, 2))])
    return Ws, bs, acts


@pytest.mark.parametrize("seed", range(6))
def test_mixed_evaluation_matches_reference(seed) -> None:
    rng = random.Random(seed)
    d = rng.randint(1, 3)
    Ws, bs, acts = random_mixed(rng, d, [rng.randint(2, 5) for _ in range(rng.randint(1, 3))])
    net = Network(Ws, bs, input_dim=d, activations=acts)
    assert Network.from_json(json.loads(net.to_json_text())) == net
    layers = kernel.exact_layers(net)
    # points on the units' thresholds too: integers and halves hit z = 0 often
    pts = [[F(rng.randint(-6, 6), rng.choice((1, 2, 3))) for _ in range(d)] for _ in range(60)]
    pts += [[F(0)] * d]
    want = []
    for x in pts:
        pre, out = reference(Ws, bs, acts, x)
        want.append(out[0])
        assert net.pre_activations(x) == pre
        assert net.evaluate(x) == out[0]
        assert [kernel.Q(v.numerator, v.denominator) for v in out] == kernel.evaluate(
            layers, [kernel.exact(v) for v in x]
        )
    assert net.evaluate_many(pts) == want
    fl = net.evaluate_float(np.array([[float(v) for v in x] for x in pts]))
    # floats guide only; away from thresholds they agree
    close = [abs(float(a) - b) < 1e-9 for a, b in zip(want, fl)]
    assert sum(close) >= len(pts) * 0.8


@pytest.mark.parametrize("seed", range(6))
def test_affine_forms_on_mixed_patterns(seed) -> None:
    """Kernel and engine affine pieces reproduce the exact pre-activations at a point, with
    the pattern read there (step: z ≥ 0; ReLU: z > 0)."""
    rng = random.Random(100 + seed)
    d = rng.randint(1, 3)
    Ws, bs, acts = random_mixed(rng, d, [rng.randint(2, 5) for _ in range(rng.randint(1, 3))], True)
    net = Network(Ws, bs, input_dim=d, activations=acts)
    layers = kernel.exact_layers(net)
    prep = prepare(net)
    for _ in range(20):
        x = [F(rng.randint(-6, 6), rng.choice((1, 2, 3))) for _ in range(d)]
        pre = net.pre_activations(x)
        pattern = [
            [int(z >= 0) if a == "step" else int(z > 0) for z, a in zip(pre[k], acts[k])]
            for k in range(len(acts))
        ]
        forms = kernel.affine_forms(layers, pattern)
        engine = affine_piece(prep, [[bool(b) for b in row] for row in pattern])
        for k, ((P, p), (EP, Eq)) in enumerate(zip(forms, engine)):
            vals = [sum((a * kernel.exact(v) for a, v in zip(row, x)), c) for row, c in zip(P, p)]
            assert vals == [kernel.exact(z) for z in pre[k]]
            ev = (EP * kernel.M(d, 1, [kernel.exact(v) for v in x]) + Eq).entries()
            assert list(ev) == vals


# ---------------------------------------------------------------- kernel and tampering


def cancel_net(first=("step", "step", "relu", "relu")) -> Network:
    """f = 1 + relu(H(x) + H(−x − 1) − 1) + relu(x + 3) − relu(x + 3) = 1 on x > −3: the steps
    never fire together and the two ReLU units cancel (as ReLU units only)."""
    return Network(
        [[[1], [-1], [1], [1]], [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], [[1, 1, -1]]],
        [[0, -1, 3, 3], [-1, 0, 0], [1]],
        activations=[list(first), "relu"],
    )


def _leaves(node):
    if "split" in node:
        yield from _leaves(node["active"])
        yield from _leaves(node["inactive"])
    else:
        yield node


def test_kernel_checks_mixed_proofs_and_rejects_tampering() -> None:
    net = cancel_net()
    assert net.activations[0] == ("step", "step", "relu", "relu")
    ball = Ball((F(0),), 1, None, F(2))
    res = check_ball(net, ball, timeout=10)
    assert res.status == "PROVED"
    tree = res.certificate["tree"]
    assert "split" in tree
    assert kernel.check_proof(net, ball.center, 1, None, F(2), tree) >= 2
    # flipped phases in leaf patterns, on step and on ReLU units
    flipped = 0
    for k in range(len(list(_leaves(tree)))):
        for unit in (0, 1, 2):
            bad = copy.deepcopy(tree)
            leaf = list(_leaves(bad))[k]
            if not leaf.get("pattern"):
                continue
            leaf["pattern"][0][unit] = 1 - leaf["pattern"][0][unit]
            flipped += 1
            with pytest.raises(kernel.Rejected):
                kernel.check_proof(net, ball.center, 1, None, F(2), bad)
    bad = copy.deepcopy(tree)
    bad["active"], bad["inactive"] = bad["inactive"], bad["active"]
    with pytest.raises(kernel.Rejected):
        kernel.check_proof(net, ball.center, 1, None, F(2), bad)
    # a step unit read as ReLU: relu(x) + H(−x − 1) − 1 > 0 on (1, 2), f ≠ 1 there
    as_relu = cancel_net(("relu", "step", "relu", "relu"))
    assert as_relu.evaluate([F(3, 2)]) != 1
    with pytest.raises(kernel.Rejected):
        kernel.check_proof(as_relu, ball.center, 1, None, F(2), tree)
    # a cancelling ReLU unit read as step: f = 1 + 1 − (x + 3) is not constant
    as_step = cancel_net(("step", "step", "step", "relu"))
    assert as_step.evaluate([F(0)]) != 1
    with pytest.raises(kernel.Rejected):
        kernel.check_proof(as_step, ball.center, 1, None, F(2), tree)
    # bundles: the kernel reads the mixed activations from the network itself
    layers = kernel.exact_layers(net)
    assert [lay.step for lay in layers] == [[True, True, False, False], [False] * 3, [False]]


# ------------------------------------------------------------- engines vs brute force


def tiny_mixed(rng: random.Random) -> Network:
    """Two mixed hidden layers of width 3 with small nonzero integer weights (integer centres
    have integer labels). The output reads only the last layer's step units, so f is piecewise
    constant and balls across the pieces of the ReLU units feeding those steps need splits."""
    d, Ws, bs, acts = 2, [], [], []
    w_in = d
    for _ in range(2):
        Ws.append([[F(rng.choice((-2, -1, 1, 2))) for _ in range(w_in)] for _ in range(3)])
        bs.append([F(rng.randint(-2, 2)) for _ in range(3)])
        units = ["relu", "step", rng.choice(("relu", "step"))]
        rng.shuffle(units)
        acts.append(units)
        w_in = 3
    Ws.append([[F(rng.choice((-1, 1, 2))) if a == "step" else F(0) for a in acts[-1]]])
    bs.append([F(0)])
    return Network(Ws, bs, input_dim=d, activations=acts)


@pytest.mark.parametrize("p", [None, 1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_mixed_verdicts_match_brute_force(p, seed) -> None:
    rng = random.Random(1000 + seed)
    net = tiny_mixed(rng)
    for _ in range(5):
        center = [F(rng.randint(-3, 3)) for _ in range(2)]
        mu = F(rng.choice((1, 2, 4, 6)), 4)
        label = int(net.evaluate(center))
        rp = mu if p is None else mu**p
        ball = Ball(tuple(center), label, p, rp)
        brute_fail = any(net.evaluate(x) != label for x in grid(ball, 6))
        res = check_ball(net, ball, timeout=10)
        assert res.status in ("PROVED", "REFUTED")
        if res.status == "REFUTED":
            x = res.counterexample
            assert inside(ball, x) and net.evaluate(x) != label
        else:
            assert not brute_fail
            kernel.check_proof(net, ball.center, label, p, rp, res.certificate["tree"])
        if p != 2:
            zr = z3_check(net, ball, timeout=10)
            assert zr.status == res.status
            if zr.status == "REFUTED":
                assert inside(ball, zr.counterexample) and net.evaluate(zr.counterexample) != label
