"""Step (Heaviside) layers: format, exact evaluation, engine verdicts, kernel checks."""

from __future__ import annotations

import copy
import itertools
import json
from fractions import Fraction as F

import pytest

from certify import kernel
from certify.ball import Ball
from certify.engines.linear import check_ball
from certify.engines.z3_engine import check_ball as z3_check
from certify.errors import InputError
from certify.network import Network


def step_net() -> Network:
    # f(x) = H(x) + H(x − 1) + relu(...) style: a step layer then a ReLU layer
    return Network(
        [[[1], [1]], [[1, 1], [1, -1]], [[1, 1]]],
        [[0, -1], [0, 0], [0]],
        activations=["step", "relu"],
    )


def test_json_round_trip_and_hash() -> None:
    net = step_net()
    text = net.to_json_text()
    assert '"activation": "step"' in text and text.count('"activation"') == 1
    back = Network.from_json(json.loads(text))
    assert back == net and back.content_hash() == net.content_hash()
    relu = Network([[[1], [1]], [[1, 1], [1, -1]], [[1, 1]]], [[0, -1], [0, 0], [0]])
    assert relu != net and relu.content_hash() != net.content_hash()
    assert "activation" not in relu.to_json_text()
    with pytest.raises(InputError, match="activation"):
        Network([[[1]], [[1]]], [[0], [0]], activations=["tanh"])


def test_exact_evaluation_convention_at_zero() -> None:
    net = step_net()
    # H(0) = 1: x = 0 gives bits (1, 0) -> relu layer (1, 1) -> 2
    assert net.evaluate([0]) == 2
    assert net.evaluate([F(-1, 3)]) == 0
    assert net.evaluate([1]) == 2  # bits (1, 1) -> (2, 0)
    assert net.pre_activations([0]) == [[0, -1], [1, 1], [2]]
    assert [float(v) for v in net.evaluate_float([[0.0], [-0.5], [3.0]])] == [2.0, 0.0, 2.0]
    assert net.evaluate_many([[0], [-1], [1]]) == [2, 0, 2]


def test_onnx_export_refuses_step() -> None:
    from certify.onnx_io import network_to_onnx

    with pytest.raises(InputError, match="step"):
        network_to_onnx(step_net())


def tiny_nets():
    # g(x) = 2·H(x1 − x2) + H(x1 + x2 − 1/2) − 1/2·relu-free: one step layer
    yield Network([[[1, -1], [1, 1]], [[2, 1]]], [[0, F(-1, 2)], [0]], activations=["step"])
    yield Network(
        [[[1, 0], [0, 1]], [[1, 1]], [[1]]],
        [[F(-1, 4), 0], [-1], [1]],
        activations=["step", "relu"],
    )


def grid(ball: Ball, k: int = 8):
    r = ball.box_radius
    for t in itertools.product(range(-k + 1, k), repeat=ball.d):
        x = [c + r * F(s, k) for c, s in zip(ball.center, t)]
        if inside(ball, x):
            yield x


def inside(ball: Ball, x) -> bool:
    kb = kernel.Ball(
        tuple(kernel.exact(v) for v in ball.center), 0, ball.p, kernel.exact(ball.radius_power)
    )
    return kb.contains([kernel.exact(v) for v in x])


@pytest.mark.parametrize("p", [None, 1, 2])
def test_verdicts_match_brute_force(p) -> None:
    for net in tiny_nets():
        for center in ([0, 0], [1, 0], [F(1, 4), F(1, 4)], [1, 1]):
            for mu in (F(1, 8), F(1, 2)):
                label = net.evaluate(center)
                rp = mu if p is None else mu**p
                ball = Ball(tuple(F(c) for c in center), int(label), p, rp)
                brute_fail = any(net.evaluate(x) != label for x in grid(ball))
                res = check_ball(net, ball, timeout=10)
                assert res.status in ("PROVED", "REFUTED")
                if res.status == "REFUTED":
                    x = res.counterexample
                    assert inside(ball, x) and net.evaluate(x) != label
                else:
                    assert not brute_fail
                    tree = res.certificate["tree"]
                    kernel.check_proof(net, ball.center, int(label), p, rp, tree)
                if p != 2:
                    zr = z3_check(net, ball, timeout=10)
                    assert zr.status == res.status


def disjoint(threshold: int = -1) -> Network:
    """f = 1 + relu(H(x) + H(−x − 1) − 1) = 1: the two steps never fire together."""
    return Network(
        [[[1], [-1]], [[1, 1]], [[1]]],
        [[0, threshold], [-1], [1]],
        activations=["step", "relu"],
    )


def _leaves(node):
    if "split" in node:
        yield from _leaves(node["active"])
        yield from _leaves(node["inactive"])
    else:
        yield node


def test_kernel_checks_step_proofs_and_rejects_tampering() -> None:
    net = disjoint()
    ball = Ball((F(0),), 1, None, F(2))
    res = check_ball(net, ball, timeout=10)
    assert res.status == "PROVED"
    tree = res.certificate["tree"]
    assert "split" in tree and any(lf.get("pattern") for lf in _leaves(tree))
    assert kernel.check_proof(net, ball.center, 1, None, F(2), tree) >= 2
    # a flipped phase on a step unit in a leaf pattern
    flipped = 0
    for k in range(len(list(_leaves(tree)))):
        bad = copy.deepcopy(tree)
        leaf = list(_leaves(bad))[k]
        if not leaf.get("pattern"):
            continue
        leaf["pattern"][0][0] = 1 - leaf["pattern"][0][0]
        flipped += 1
        with pytest.raises(kernel.Rejected):
            kernel.check_proof(net, ball.center, 1, None, F(2), bad)
    assert flipped
    # the split phases swapped
    bad = copy.deepcopy(tree)
    bad["active"], bad["inactive"] = bad["inactive"], bad["active"]
    with pytest.raises(kernel.Rejected):
        kernel.check_proof(net, ball.center, 1, None, F(2), bad)
    # a changed threshold (H(−x + 1): both fire on [0, 1], f = 2 there): rejected
    other = disjoint(threshold=1)
    assert other.evaluate([F(1, 2)]) == 2
    with pytest.raises(kernel.Rejected):
        kernel.check_proof(other, ball.center, 1, None, F(2), tree)
    # the same weights read as ReLU are another network: the tree does not check
    relu = Network([[[1], [-1]], [[1, 1]], [[1]]], [[0, -1], [-1], [1]])
    assert relu.content_hash() != net.content_hash()
    with pytest.raises(kernel.Rejected):
        kernel.check_proof(relu, ball.center, 1, None, F(2), tree)
