"""The trusted kernel: certificates of the engines are accepted, tampered ones rejected."""

from __future__ import annotations

import copy
import json
import random
from fractions import Fraction as F

import pytest

from certify import kernel
from certify.ball import Ball
from certify.dataset import Dataset
from certify.engines.linear import check_ball
from certify.network import Network
from certify.run import certify, make_radius

from .helpers import NORMS, bundle_check, make_ball, net_from


def kernel_check(net, ball, tree):
    return kernel.check_proof(net, ball.center, ball.label, ball.p, ball.radius_power, tree)


# f ≡ 2 written with cancelling ReLUs in 2-D: proofs need splits and solver leaves
CANCEL2 = net_from([([[1, 1], [1, 1], [1, -1]], [0, 0, F(-1, 2)]), ([[1, -1, 0]], [2])], 2)
# a plateau: f = 2 + relu(x1 + x2 − 3/2)
EDGE = net_from([([[1, 1]], [F(-3, 2)]), ([[4]], [2])], 2)


def proved_trees():
    out = []
    for p in NORMS:
        for net, mu in ((CANCEL2, 1), (EDGE, F(1, 2))):
            b = make_ball((0, 0), 2, p, mu)
            r = check_ball(net, b)
            assert r.status == "PROVED" and r.certificate is not None, (p, r.reason)
            out.append((net, b, r.certificate["tree"]))
    return out


TREES = proved_trees()


def test_engine_certificates_are_accepted():
    kinds = set()
    for net, b, tree in TREES:
        assert kernel_check(net, b, copy.deepcopy(tree)) >= 1
        kinds |= {n.get("leaf") for n in walk(tree)}
    assert {"linear", "output"} <= kinds  # the interesting leaf kinds occur


def walk(node):
    yield node
    for side in ("active", "inactive", "low", "high"):
        if side in node:
            yield from walk(node[side])


def multipliers(tree):
    """Paths to every multiplier in the tree: (container, key) pairs."""
    out = []
    for n in walk(tree):
        for side in ("above", "below"):
            if not isinstance(n.get(side), dict):  # absent, or "bound"
                continue
            kind, body = next(iter(n[side].items()))
            for s in body.get("splits", []):
                out.append((s, 2))
            out.append((body, "out"))
            for f in body.get("ball", []):
                out.append((f, 1))
    return out


def mutations(net, b, tree):
    """(name, net, ball, tree) variants, each of which is no longer a valid certificate."""
    for cont, key in multipliers(tree):
        if F(cont[key]) != 0:
            t = copy.deepcopy(tree)
            c2 = next(c for c, k in multipliers(t) if k == key and c == cont)
            c2[key] = str(-F(cont[key]))
            yield "negate a multiplier", net, b, t
    for n in walk(tree):
        if "pattern" in n:
            for k, row in enumerate(n["pattern"]):
                for i in range(len(row)):
                    t = copy.deepcopy(tree)
                    m = next(x for x in walk(t) if x.get("pattern") == n["pattern"])
                    m["pattern"][k][i] ^= 1
                    yield "flip a pattern bit", net, b, t
    if "split" in tree:
        t = copy.deepcopy(tree)
        del t["active"]
        yield "drop a subtree", net, b, t
        t = copy.deepcopy(tree)
        t["inactive"] = {"leaf": "output"}
        yield "replace a subtree by a bare leaf", net, b, t
    yield "change the label", net, Ball(b.center, b.label + 1, b.p, b.radius_power), tree
    if net is EDGE:  # (CANCEL2 is constant everywhere: any radius is right for it)
        yield "grow the radius", net, Ball(b.center, b.label, b.p, b.radius_power * 16), tree
    js = net.to_json()
    js["layers"][-1]["bias"] = [str(F(js["layers"][-1]["bias"][0]) + F(1, 1000))]
    yield "change a weight", Network.from_json(js), b, tree


# ------------------------------------------------------------------ bundles end to end
def small_dataset():
    return Dataset.from_arrays([[0, 0], [3, 0], [0, 3], [3, 3]], [1, 2, 2, 1])


def baseline_like():
    from constructions.baseline import build_baseline

    ds = small_dataset()
    rad = make_radius(ds, "inf", rho=F(1, 2))
    net, _ = build_baseline(ds, rad.radius_power, None)
    return ds, net


@pytest.mark.parametrize("p", ["inf", "1", "2"])
def test_bundle_round_trip_and_tampering(p):
    ds, net = baseline_like()
    pn = None if p == "inf" else int(p)
    rad = make_radius(ds, p, rho=F(1, 2))
    rep = certify(net, ds, rad, engine="linear")
    assert rep.counts["PROVED"] == ds.N
    bundle = json.loads(json.dumps(rep.certificate_bundle(ds)))
    res = bundle_check(net, ds, bundle, pn, rho=F(1, 2))
    assert all(ok for _, ok, _ in res) and len(res) == ds.N
    # another dataset (one label changed) or another network: rejected as a whole
    other = Dataset.from_arrays([[0, 0], [3, 0], [0, 3], [3, 3]], [1, 2, 2, 2])
    with pytest.raises(kernel.Rejected, match="dataset"):
        bundle_check(net, other, bundle, pn, rho=F(1, 2))
    js = net.to_json()
    js["layers"][0]["bias"][0] = str(F(js["layers"][0]["bias"][0]) + 1)
    with pytest.raises(kernel.Rejected, match="network"):
        bundle_check(Network.from_json(js), ds, bundle, pn, rho=F(1, 2))
    # a witness pair with one label cannot justify ε
    b2 = copy.deepcopy(bundle)
    b2["witness"] = [0, 3]
    with pytest.raises(kernel.Rejected, match="witness"):
        bundle_check(net, ds, b2, pn, rho=F(1, 2))
    # a larger radius than certified: the balls now reach the other labels
    res = bundle_check(net, ds, bundle, pn, rho=F(99, 100))
    assert not all(ok for _, ok, _ in res)


def test_refuted_counterexamples_are_rechecked():
    ds, net = baseline_like()
    rad = make_radius(ds, "inf", rho=F(99, 100))
    rep = certify(net, ds, rad, engine="linear")
    assert rep.counts["REFUTED"] > 0
    bundle = json.loads(json.dumps(rep.certificate_bundle(ds)))
    assert all(ok for _, ok, _ in bundle_check(net, ds, bundle, None, rho=F(99, 100)))
    for e in bundle["balls"]:
        if e["verdict"] == "REFUTED":
            e["counterexample"] = [str(F(v)) for v in ds.X[e["index"]]]  # the centre: f = y
    res = bundle_check(net, ds, bundle, None, rho=F(99, 100))
    assert any(not ok for _, ok, _ in res)


def test_random_plateaus_certificates_accepted():
    rng = random.Random(3)
    checked = 0
    for _ in range(40):
        d = rng.randint(1, 2)
        h = [[F(rng.randint(-4, 4), 2) for _ in range(d)] for _ in range(3)]
        net = net_from(
            [
                (h, [F(rng.randint(-4, 4), 2) for _ in range(3)]),
                ([[F(rng.randint(-2, 2)) for _ in range(3)]], [F(-1)]),
                ([[1]], [2]),
            ],
            d,
        )
        b = make_ball([0] * d, 2, rng.choice(NORMS), F(rng.randint(1, 6), 4))
        r = check_ball(net, b)
        if r.status == "PROVED" and r.certificate is not None:
            assert kernel_check(net, b, r.certificate["tree"]) >= 1
            checked += 1
    assert checked >= 5


# the half-planes x1 ± x2 ≥ 1 meet the closed unit disk only at (1, 0): tangent to the open disk
PLANES = net_from([([[1, 1], [1, -1]], [-1, -1]), ([[1, 1]], [0])], 2)


@pytest.mark.parametrize("route", ["l2", "slemma", "motzkin-box"])
@pytest.mark.parametrize("r2, empty", [(F(1), True), (1 + F(1, 10**6), False)])
def test_tangent_region_multipliers(route, r2, empty):
    """Region {x1 + x2 − 1 ≥ 0, x1 − x2 − 1 ≥ 0, x2 > 0} ∩ open disk: empty iff r² ≤ 1; every
    route certifies r² = 1 exactly (tangency; the box |x_j| < 1 also excludes x1 ≥ 1)."""
    from certify.engines import multipliers

    b = Ball((F(0), F(0)), 2, 2, r2)
    rows = [
        ([F(1), F(1)], F(-1), False, ("split", 0, 0)),
        ([F(1), F(-1)], F(-1), False, ("split", 0, 1)),
        ([F(0), F(1)], F(0), True, ("out",)),
    ]
    make = {
        "l2": multipliers.l2_multipliers,
        "slemma": multipliers.slemma_multipliers,
        "motzkin-box": lambda rows, ball: multipliers.motzkin(rows, ball),
    }[route]
    cert = make(rows, b)
    if not empty:
        assert cert is None  # a larger disk meets the region
        return
    assert cert is not None and route.split("-")[0] in cert
    layers = kernel.exact_layers(PLANES)
    forms = kernel.affine_forms(layers, [[1, 1]])
    fixed = {(0, 0): True, (0, 1): True}
    kb = kernel.Ball((kernel.Q(0), kernel.Q(0)), 2, 2, kernel.exact(r2))
    g = ([kernel.Q(0), kernel.Q(1)], kernel.Q(0))
    kernel.check_empty_side(json.loads(json.dumps(cert)), forms, fixed, kb, g)
    # the same multipliers do not prove a larger disk empty
    kb2 = kernel.Ball((kernel.Q(0), kernel.Q(0)), 2, 2, kernel.exact(r2 + F(1, 10**6)))
    with pytest.raises(kernel.Rejected):
        kernel.check_empty_side(cert, forms, fixed, kb2, g)
    if route == "slemma":  # and a smaller ν breaks it
        bad = copy.deepcopy(cert)
        bad["slemma"]["nu"] = "1/2"
        with pytest.raises(kernel.Rejected):
            kernel.check_empty_side(bad, forms, fixed, kb, g)
