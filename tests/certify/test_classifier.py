"""Classifiers (C ≥ 2 outputs, property argmax f = y with ties failing): the linear engine,
the kernel's margin leaves, the runner's property plumbing, ONNX import and the CLI."""

from __future__ import annotations

import copy
import itertools
import json
from fractions import Fraction as F

import numpy as np
import pytest

from certify import kernel
from certify.ball import Ball, argmax_holds
from certify.dataset import Dataset
from certify.engines.linear import check_ball
from certify.errors import InputError
from certify.network import Network
from certify.run import certify, make_radius
from tests.certify.helpers import bundle_check, make_ball, net_from

# f = (x1, x2): class 1 iff x1 > x2
LINEAR2 = [([[1, 0], [0, 1]], [0, 0])]
# f = (|x1|, 0): class 1 everywhere but on the line x1 = 0, where the classes tie
TIE = [([[1, 0], [-1, 0]], [0, 0]), ([[1, 1], [0, 0]], [0, 0])]
# f = (relu(x1), relu(x2), 1/2): class 1 iff x1 > max(x2, 1/2)
THREE = [
    ([[1, 0], [0, 1], [-1, 0], [0, -1]], [0, 0, 0, 0]),
    ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]], [0, 0, "1/2"]),
]


def kernel_ball(ball, label=None):
    return kernel.Ball(
        tuple(kernel.exact(v) for v in ball.center),
        ball.label if label is None else label,
        ball.p,
        kernel.exact(ball.radius_power),
    )


def verdict(net, ball):
    """The engine's verdict, with every PROVED certificate and REFUTED point re-checked."""
    res = check_ball(net, ball, timeout=60)
    if res.status == "PROVED":
        layers = kernel.exact_layers(net)
        assert kernel.check_tree(layers, kernel_ball(ball), res.certificate["tree"], {}) >= 1
    elif res.status == "REFUTED":
        x = res.counterexample
        assert ball.contains(x)
        assert not argmax_holds(net.evaluate_vector(x), ball.label)
        assert res.value == net.evaluate_vector(x)
    return res


# ------------------------------------------------------------------------ network helpers
def test_margin_network_and_evaluation():
    net = net_from(THREE, 2)
    assert net.output_dim == 3
    assert net.evaluate_vector([2, 1]) == (2, 1, F(1, 2))
    g = net.margins(1)
    assert g.output_dim == 2
    assert g.evaluate_vector([2, 1]) == (1, F(3, 2))  # f1 − f2, f1 − f3
    assert net.margins(3).evaluate_vector([2, 1]) == (F(-3, 2), F(-1, 2))
    with pytest.raises(InputError, match="classes 1..3"):
        net.margins(4)
    with pytest.raises(InputError, match="evaluate_vector"):
        net.evaluate([2, 1])
    assert Network.from_json(net.to_json()) == net
    assert argmax_holds((F(2), F(1)), 1) and not argmax_holds((F(1), F(1)), 1)
    assert not argmax_holds((F(1), F(2)), 3)  # no such class


# ------------------------------------------------------------------------ known boundaries
def ball2(center, label, mu_squared):
    """The open ℓ2 ball with μ² given (μ itself may be irrational)."""
    return Ball(tuple(F(c) for c in center), label, 2, F(mu_squared))


@pytest.mark.parametrize("p", [None, 1, 2])
def test_linear_boundary_tangent_proved_crossing_refuted(p):
    net = net_from(LINEAR2, 2)
    if p == 2:  # the distance from (2, 0) to the line x1 = x2 is √2
        assert verdict(net, ball2([2, 0], 1, 2)).status == "PROVED"
        assert verdict(net, ball2([2, 0], 1, 2 + F(1, 1000))).status == "REFUTED"
        return
    tangent = {None: F(1), 1: F(2)}[p]
    assert verdict(net, make_ball([2, 0], 1, p, tangent)).status == "PROVED"
    assert verdict(net, make_ball([2, 0], 1, p, tangent + F(1, 64))).status == "REFUTED"
    # the other class on the other side
    assert verdict(net, make_ball([0, 2], 2, p, tangent)).status == "PROVED"
    assert verdict(net, make_ball([0, 2], 1, p, F(1, 2))).status == "REFUTED"  # centre


@pytest.mark.parametrize("p", [None, 1, 2])
def test_tie_counts_as_failure(p):
    net = net_from(TIE, 2)
    # tangent to the tie line x1 = 0: margin |x1| > 0 on the whole open ball
    res = verdict(net, make_ball([1, 0], 1, p, 1))
    assert res.status == "PROVED"
    # the ball reaches over x1 = 0; its only failures are ties (|x1| > 0 = f_2 elsewhere)
    res = verdict(net, make_ball([1, 0], 1, p, F(9, 8)))
    assert res.status == "REFUTED"
    assert res.counterexample[0] == 0 and res.value == (0, 0)


@pytest.mark.parametrize("p", [None, 1, 2])
def test_three_classes_with_hidden_layer(p):
    net = net_from(THREE, 2)
    tangent = {None: F(1), 1: F(3, 2), 2: None}[p]
    if p == 2:  # distance to x1 = x2 is √2, to x1 = 1/2 is 3/2: μ² = 2 tangent
        assert verdict(net, ball2([2, 0], 1, 2)).status == "PROVED"
        assert verdict(net, ball2([2, 0], 1, 2 + F(1, 100))).status == "REFUTED"
    else:
        assert verdict(net, make_ball([2, 0], 1, p, tangent)).status == "PROVED"
        res = verdict(net, make_ball([2, 0], 1, p, tangent + F(1, 32)))
        assert res.status == "REFUTED"
    # class 3 around the origin: x1, x2 < 1/2 on the ball of radius 1/2 (ℓ∞, ℓ1, ℓ2)
    assert verdict(net, make_ball([0, 0], 3, p, F(1, 2))).status == "PROVED"
    assert verdict(net, make_ball([0, 0], 3, p, F(1, 2) + F(1, 64))).status == "REFUTED"


# ------------------------------------------------------------------------ differential
def _grid_failure(net, ball, steps=12):
    """Some exact grid point of the open ball where argmax ≠ label (or a tie), or None."""
    r = ball.box_radius
    ticks = [F(2 * i - steps, steps) * r for i in range(steps + 1)]
    for t in itertools.product(ticks, repeat=ball.d):
        x = tuple(c + v for c, v in zip(ball.center, t))
        if ball.contains(x) and not argmax_holds(net.evaluate_vector(x), ball.label):
            return x
    return None


@pytest.mark.parametrize("seed", range(12))
def test_differential_against_grid(seed):
    rng = np.random.default_rng(seed)
    h, C = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    W1 = [[F(int(v), 2) for v in rng.integers(-3, 4, 2)] for _ in range(h)]
    b1 = [F(int(v), 4) for v in rng.integers(-3, 4, h)]
    W2 = [[F(int(v), 2) for v in rng.integers(-3, 4, h)] for _ in range(C)]
    b2 = [F(int(v), 4) for v in rng.integers(-2, 3, C)]
    net = net_from([(W1, b1), (W2, b2)], 2)
    for p in (None, 1, 2):
        for _ in range(3):
            c = [F(int(v), 4) for v in rng.integers(-4, 5, 2)]
            mu = F(int(rng.integers(1, 13)), 8)
            vals = net.evaluate_vector(c)
            label = 1 + max(range(C), key=lambda j: vals[j])
            ball = make_ball(c, label, p, mu)
            res = verdict(net, ball)
            assert res.status in ("PROVED", "REFUTED")
            if res.status == "PROVED":
                assert _grid_failure(net, ball) is None


# ------------------------------------------------------------------------ kernel tampering
def _linear_leaves(node):
    if "split" in node:
        yield from _linear_leaves(node["active"])
        yield from _linear_leaves(node["inactive"])
    elif node.get("leaf") == "linear":
        yield node


def test_kernel_rejects_tampered_margin_leaves():
    net = net_from(TIE, 2)
    ball = make_ball([1, 0], 1, None, 1)
    res = check_ball(net, ball)
    tree = res.certificate["tree"]
    leaves = list(_linear_leaves(tree))
    assert leaves and all("margins" in leaf for leaf in leaves)
    layers = kernel.exact_layers(net)
    kb = kernel_ball(ball)
    assert kernel.check_tree(layers, kb, tree, {}) >= 1

    def rejected(t, b=kb):
        with pytest.raises((kernel.Rejected, KeyError, TypeError)):
            kernel.check_tree(layers, b, t, {})

    # flipped multipliers
    bad = copy.deepcopy(tree)
    leaf = next(_linear_leaves(bad))
    body = next(iter(leaf["margins"][0].values()))
    for facet in body.get("ball", []):
        facet[1] = "-" + facet[1] if not facet[1].startswith("-") else facet[1][1:]
    body["out"] = "-" + body["out"] if body["out"] != "0" else "-1"
    rejected(bad)
    # the certificate replaced by "the bounds show it"
    bad = copy.deepcopy(tree)
    next(_linear_leaves(bad))["margins"][0] = "bound"
    rejected(bad)
    # wrong number of margin certificates, or scalar-style sides
    bad = copy.deepcopy(tree)
    leaf = next(_linear_leaves(bad))
    leaf["margins"].append(leaf["margins"][0])
    rejected(bad)
    bad = copy.deepcopy(tree)
    leaf = next(_linear_leaves(bad))
    leaf["above"] = leaf["below"] = leaf.pop("margins")[0]
    rejected(bad)
    # another label: the same tree does not prove class 2
    rejected(tree, kernel_ball(ball, label=2))
    rejected(tree, kernel_ball(ball, label=3))  # not a class at all
    # an output leaf where the bounds do not show it
    rejected({"leaf": "output"})
    rejected({"leaf": "affine", "pattern": leaves[0]["pattern"]})


def test_bundle_property_is_checked(tmp_path):
    net = net_from(THREE, 2)
    ds = Dataset([[2, 0], [0, 0], [0, 2]], [1, 3, 2])
    radius = make_radius(ds, "inf", mu=F(1, 4))
    rep = certify(net, ds, radius, engine="linear")
    assert rep.prop == "argmax" and rep.to_json()["property"] == "argmax"
    assert rep.counts["PROVED"] == 3
    bundle = json.loads(json.dumps(rep.certificate_bundle(ds)))
    assert bundle["property"] == "argmax"
    assert all(ok for _, ok, _ in bundle_check(net, ds, bundle, None, mu=F(1, 4)))
    old = dict(bundle)
    del old["property"]  # read as "equal": not this network's property
    with pytest.raises(kernel.Rejected, match="property"):
        bundle_check(net, ds, old, None, mu=F(1, 4))
    # a REFUTED entry must really fail: a point where class 1 wins is no counterexample
    bundle["balls"][0] = {"index": 0, "verdict": "REFUTED", "counterexample": ["2", "0"]}
    assert not bundle_check(net, ds, bundle, None, mu=F(1, 4))[0][1]
    bundle["balls"][0]["counterexample"] = ["1/2", "1/2"]  # a tie: 1/2 = 1/2 = 1/2
    bundle["balls"][0]["index"] = 1
    bundle["balls"][1] = {"index": 0, "verdict": "PROVED", "proof": [{"leaf": "output"}]}
    res = {i: ok for i, ok, _ in bundle_check(net, ds, bundle, None, mu=F(1, 4))}
    assert res[0] is True  # the root bounds pin class 1 on the small ball
    # ball 1 is class 3 at the origin; (1/2, 1/2) is outside its radius-1/4 ball
    assert res[1] is False


def test_scalar_reports_keep_the_equal_property():
    net = net_from([([[1, 0]], [0])], 2)
    ds = Dataset([[1, 0], [2, 0]], [1, 2])
    rep = certify(net, ds, make_radius(ds, "inf", mu=F(1, 4)), engine="linear")
    assert rep.to_json()["property"] == "equal"
    assert "property" not in rep.certificate_bundle(ds)


# ------------------------------------------------------------------------ runner errors
def test_runner_label_errors():
    net = net_from(THREE, 2)
    ds = Dataset([[2, 0], [0, 0], [0, 3]], [1, 3, 4])
    with pytest.raises(InputError, match=r"labels \[4\].*1\.\.3"):
        certify(net, ds, make_radius(ds, "inf", mu=F(1, 4)))
    from certify.engines.z3_engine import check_ball as z3_check

    with pytest.raises(InputError, match="not a class"):
        z3_check(net, make_ball([0, 0], 4, None, 1))


@pytest.mark.parametrize("p", [None, 1, 2])
def test_engines_agree_on_classifiers(p):
    from certify.engines.z3_engine import check_ball as z3_check

    net = net_from(THREE, 2)
    ds = Dataset([[2, 0], [0, 0], [0, 2], [1, 1], [-3, -1]], [1, 3, 2, 1, 3])
    for mu in (F(1, 4), F(3, 4), F(3, 2)):
        radius = make_radius(ds, p if p else "inf", mu=mu)
        reps = {e: certify(net, ds, radius, engine=e) for e in ("linear", "z3", "auto")}
        verdicts = {e: [r.status for r in rep.results] for e, rep in reps.items()}
        assert verdicts["linear"] == verdicts["z3"] == verdicts["auto"], verdicts
        assert "UNKNOWN" not in verdicts["z3"]
    # the tie point is found by the whole-ball query too
    tie = net_from(TIE, 2)
    for q in (None, 1, 2):
        res = z3_check(tie, make_ball([1, 0], 1, q, F(9, 8)), timeout=30)
        assert res.status == "REFUTED" and res.counterexample[0] == 0
        assert z3_check(tie, make_ball([1, 0], 1, q, 1), timeout=30).status == "PROVED"


# ------------------------------------------------------------------------ ONNX and the CLI
def _onnx_classifier(path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    W1 = np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], dtype=np.float32)
    W2 = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=np.float32)
    b2 = np.array([0, 0, 0.5], dtype=np.float32)
    inits = [
        numpy_helper.from_array(W1, "W1"),
        numpy_helper.from_array(np.zeros(4, dtype=np.float32), "b1"),
        numpy_helper.from_array(W2, "W2"),
        numpy_helper.from_array(b2, "b2"),
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["a"]),
        helper.make_node("Gemm", ["a", "W2", "b2"], ["y"], transB=1),
    ]
    g = helper.make_graph(
        nodes,
        "classifier",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def test_onnx_classifier_certified_and_checked_via_cli(tmp_path, capsys):
    from certify.onnx_io import load_onnx, network_to_onnx
    from robustmem.cli import main

    path = tmp_path / "clf.onnx"
    _onnx_classifier(path)
    net = load_onnx(path)
    assert net == net_from(THREE, 2)
    model, rep = network_to_onnx(net)  # export round trip keeps C outputs
    assert rep.exact and model.graph.output[0].type.tensor_type.shape.dim[1].dim_value == 3
    data = tmp_path / "data.csv"
    data.write_text("x1,x2,label\n2,0,1\n0,0,3\n0,2,2\n-3,-1,3\n")
    cert = tmp_path / "cert.json"
    code = main(
        [
            "certify",
            str(path),
            str(data),
            "--mu",
            "1/4",
            "--p",
            "inf",
            "--json",
            "--quiet",
            "--cert",
            str(cert),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert out["property"] == "argmax"
    assert code == 0 and out["counts"]["PROVED"] == 4
    code = main(["check", str(path), str(data), str(cert), "--mu", "1/4", "--p", "inf"])
    text = capsys.readouterr().out
    assert code == 0 and "4 proved, 0 refuted, 0 unknown, 0 rejected of 4 balls" in text, text
    # a refuted ball: class 1 at (2, 0) with μ = 3/2 reaches x1 = x2
    code = main(["certify", str(path), str(data), "--mu", "3/2", "--p", "inf", "--json", "--quiet"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["balls"][0]["verdict"] == "REFUTED"
    assert len(out["balls"][0]["value"]) == 3
    # the human report prints the exact score vector
    code = main(["certify", str(path), str(data), "--mu", "3/2", "--p", "inf", "--quiet"])
    text = capsys.readouterr().out
    assert code == 1 and "REFUTED" in text and "f(x') = (" in text
