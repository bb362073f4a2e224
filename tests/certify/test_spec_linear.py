"""The kernel's "linear" leaf on VNN-LIB boxes (certify/kernel/spec.py: check_box_empty) and
the engine's LP leaves that produce it (certify/engines/linear/spec.py: _linear_leaf).

The tent case: on the box 0 ≤ x ≤ 1, f(x) = x − 2·relu(x − 1/2) (hidden units z₀ = x − 1/2,
unstable; z₁ = x, stable on) peaks at f(1/2) = 1/2, so "f ≥ θ" is unsafe exactly when θ ≤ 1/2.
Split on z₀, each half is one affine piece; the bounds over the whole box do not use the
split's side (the upper bound of f is 1 on both halves), but Motzkin multipliers do: on the
inactive half (x ≤ 1/2) 1·(1/2 − x) + 1·(x − θ) = 1/2 − θ, on the active half
1·(x − 1/2) + 1·(1 − x − θ) = 1/2 − θ; both < 0 iff θ > 1/2. With θ > 1 the box's facets
(1 − x ≥ 0, x ≥ 0) do it instead of the split side. Every item is checked at its edge: the
least θ the rule accepts, and 2^-EDGE less, which it must reject."""

from __future__ import annotations

import copy
import json
import random
from fractions import Fraction as F

import pytest

from certify import kernel
from certify.engines.linear.spec import check_spec
from certify.kernel import SpecJudge
from certify.network import Network

from .test_spec import net_text, prop

EDGE = 40
TENT = net_text([([[1], [1]], [F(-1, 2), 0]), ([[-2, 1]], [0])])


def tent_prop(theta) -> str:
    return prop(1, 1, [("0", "1")], f"(assert (>= Y_0 {theta}))")


def leaf(pattern, out, splits=(), box=()):
    body = {"out": [[m, str(v)] for m, v in out]}
    if splits:
        body["splits"] = [[k, i, str(v)] for k, i, v in splits]
    if box:
        body["box"] = [[j, s, str(v)] for j, s, v in box]
    return {"leaf": "linear", "pattern": pattern, "groups": [{"motzkin": body}]}


def split_tree():
    """The tent proved by its split side on each half (valid for θ > 1/2)."""
    return {
        "split": [0, 0],
        "active": leaf([[1, 1]], [(0, 1)], splits=[(0, 0, 1)]),
        "inactive": leaf([[0, 1]], [(0, 1)], splits=[(0, 0, 1)]),
    }


def facet_tree():
    """The tent proved by the box's facets on each half (valid for θ > 1)."""
    return {
        "split": [0, 0],
        "active": leaf([[1, 1]], [(0, 1)], box=[(0, 1, 1)]),  # (1 − x − θ) + (x − 0)
        "inactive": leaf([[0, 1]], [(0, 1)], box=[(0, -1, 1)]),  # (x − θ) + (1 − x)
    }


def entry(pt, tree, bits=None):
    e = {
        "property_sha256": kernel.parse_spec(pt).sha256,
        "verdict": "PROVED",
        "proof": kernel.preorder(tree),
    }
    if bits is not None:
        e["bits"] = bits
    return e


def verdict(nt, pt, e) -> str:
    return SpecJudge(nt, [pt]).check_entry(0, e)[1]


def forged(tree):
    """(name, tree) forgeries of the split tree, each one rule broken."""
    out = []

    def edit(name, f):
        t = copy.deepcopy(tree)
        f(t)
        out.append((name, t))

    body = lambda t, side="active": t[side]["groups"][0]["motzkin"]  # noqa: E731
    edit("multiplier on an unsplit unit", lambda t: body(t)["splits"].append([0, 1, "1"]))
    edit("negative multiplier", lambda t: body(t)["splits"].__setitem__(0, [0, 0, "-1"]))
    edit("no split multiplier (gradient left)", lambda t: body(t).pop("splits"))
    edit("out row not in the conjunction", lambda t: body(t)["out"].__setitem__(0, [1, "1"]))
    edit("out row true", lambda t: body(t)["out"].__setitem__(0, [True, "1"]))
    edit("box facet sign 0", lambda t: body(t).__setitem__("box", [[0, 0, "0"]]))
    edit("box facet sign true", lambda t: body(t).__setitem__("box", [[0, True, "0"]]))
    edit("box facet index d", lambda t: body(t).__setitem__("box", [[1, 1, "0"]]))
    edit("box facet index -1", lambda t: body(t).__setitem__("box", [[-1, 1, "0"]]))
    edit("box facet index false", lambda t: body(t).__setitem__("box", [[False, 1, "0"]]))
    edit("pattern flipped", lambda t: t["active"].__setitem__("pattern", [[0, 1]]))
    edit("pattern short", lambda t: t["active"].__setitem__("pattern", [[1]]))
    edit("two certificates for one conjunction", lambda t: t["active"]["groups"].append("bound"))
    edit("no certificates", lambda t: t["active"].__setitem__("groups", []))
    edit("bound that does not hold", lambda t: t["active"].__setitem__("groups", ["bound"]))
    edit("certificate with an extra key", lambda t: t["active"]["groups"][0].update(x=1))
    edit("certificate not a dict", lambda t: t["active"]["groups"].__setitem__(0, [1]))
    edit("unknown kind", lambda t: t["active"]["groups"].__setitem__(0, {"farkas": {}}))
    edit("sides swapped", lambda t: t.update(active=t["inactive"], inactive=t["active"]))
    return out


# ------------------------------------------------------------------ the kernel's rule
@pytest.mark.parametrize("bits", [None, 16])
def test_split_sides_prove_the_tent_above_its_peak(bits):
    """Accepted for θ = 1/2 + 2^-EDGE, rejected at θ = 1/2 (the constant is 0 there, and
    x = 1/2 is a counterexample the kernel accepts)."""
    above, at = F(1, 2) + F(1, 2**EDGE), F(1, 2)
    assert verdict(TENT, tent_prop(above), entry(tent_prop(above), split_tree(), bits)) == "PROVED"
    assert verdict(TENT, tent_prop(at), entry(tent_prop(at), split_tree(), bits)) == "REJECTED"
    e = {"property_sha256": kernel.parse_spec(tent_prop(at)).sha256, "verdict": "REFUTED"}
    assert verdict(TENT, tent_prop(at), {**e, "counterexample": ["1/2"]}) == "REFUTED"


def test_box_facets_prove_the_tent_above_one():
    above, at = 1 + F(1, 2**EDGE), F(1)
    assert verdict(TENT, tent_prop(above), entry(tent_prop(above), facet_tree())) == "PROVED"
    assert verdict(TENT, tent_prop(at), entry(tent_prop(at), facet_tree())) == "REJECTED"
    # the facet certificate is not a proof at θ = 3/4 (true there, but 1 − θ > 0)
    t = tent_prop(F(3, 4))
    assert verdict(TENT, t, entry(t, facet_tree())) == "REJECTED"
    assert verdict(TENT, t, entry(t, split_tree())) == "PROVED"


def test_scaled_multipliers_are_accepted():
    """Any λ ≥ 0 with gradient 0 and a negative constant: the split tree scaled by 3/7."""
    t = tent_prop(F(3, 4))
    tree = split_tree()
    for side in ("active", "inactive"):
        body = tree[side]["groups"][0]["motzkin"]
        body["splits"] = [[0, 0, "3/7"]]
        body["out"] = [[0, "3/7"]]
    assert verdict(TENT, t, entry(t, tree)) == "PROVED"


def flat_case(theta):
    """f(x₀, x₁) = relu(x₀) on [0, 1]²: "f ≥ θ" is excluded by the facet 1 − x₀ ≥ 0 with
    λ = 1/2 (scaled), an idle facet of x₁ with λ = 0, for θ > 1."""
    nt = net_text([([[1, 0]], [0]), ([[1]], [0])])
    pt = prop(2, 1, [("0", "1"), ("0", "1")], f"(assert (>= Y_0 {theta}))")
    tree = leaf([[1]], [(0, F(1, 2))], box=[(0, -1, F(1, 2)), (1, 1, 0)])
    return nt, pt, tree


def test_facets_in_two_dimensions_scaled_and_idle():
    for theta, ok in ((1 + F(1, 2**EDGE), "PROVED"), (F(1), "REJECTED")):
        nt, pt, tree = flat_case(theta)
        assert verdict(nt, pt, entry(pt, tree)) == ok


@pytest.mark.parametrize(
    "name,tree", forged(split_tree()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_forged_linear_leaves_are_rejected(name, tree):
    t = tent_prop(F(3, 4))
    v = SpecJudge(TENT, [t]).check_entry(0, entry(t, tree))
    assert v[1] == "REJECTED", (name, v)
    assert v[2]  # with a reason


def test_a_conjunction_of_two_rows_needs_both():
    """f = (x, 1 − x) on [0, 1] (through relu(x), stable): Y_0 ≥ θ and Y_1 ≥ θ meet iff
    θ ≤ 1/2; neither row alone is excluded by the bounds, their sum is."""
    nt = net_text([([[1]], [0]), ([[1], [-1]], [0, 1])])
    for theta, ok in ((F(1, 2) + F(1, 2**EDGE), "PROVED"), (F(1, 2), "REJECTED")):
        pt = prop(1, 2, [("0", "1")], f"(assert (>= Y_0 {theta}))\n(assert (>= Y_1 {theta}))")
        tree = leaf([[1]], [(0, 1), (1, 1)])
        assert verdict(nt, pt, entry(pt, tree)) == ok
        one = leaf([[1]], [(0, 1)])  # one row: its gradient is left
        assert verdict(nt, pt, entry(pt, one)) == "REJECTED"


# ------------------------------------------------------------------ the engine's LP leaves
def _random_net(rng, d, widths):
    W, b, n = [], [], d
    for m in [*widths, 1]:
        W.append([[F(rng.randint(-8, 8), 8) for _ in range(n)] for _ in range(m)])
        b.append([F(rng.randint(-4, 4), 8) for _ in range(m)])
        n = m
    return Network(W, b, input_dim=d)


@pytest.mark.parametrize("seed", range(8))
def test_lp_leaves_decide_high_dimensional_boxes(seed):
    """d = 20 > CUT_DIMS (neuron splits only): the search ends at full patterns, where LP
    leaves decide; every PROVED is accepted by the kernel and agrees with sampling (no
    sampled point fails); every REFUTED is the kernel's."""
    rng = random.Random(seed)
    net = _random_net(rng, 20, [6, 4])
    box = [("-1/2", "1/2")] * 20
    xs = [[F(rng.randint(-50, 50), 100) for _ in range(20)] for _ in range(400)]
    vals = [net.evaluate(x) for x in xs]
    theta = max(vals) + (max(vals) - min(vals)) / 2  # above every sample: proved or refuted
    pt = prop(20, 1, box, f"(assert (>= Y_0 {theta}))")
    nt = net.to_json_text()
    judge = SpecJudge(nt, [pt])
    spec = judge.specs[0][0]
    res = check_spec(net, spec, timeout=60)
    assert res.status in ("PROVED", "REFUTED"), res.reason
    assert judge.check_entry(0, json.loads(json.dumps(res.entry)))[1] == res.status
    if res.status == "REFUTED":
        x = [F(v) for v in res.entry["counterexample"]]
        assert net.evaluate(x) >= theta


def test_the_engine_cases_use_lp_leaves(monkeypatch):
    from certify.engines.linear import spec as E

    used, seen = [], set()
    real = E._linear_leaf
    monkeypatch.setattr(E, "_linear_leaf", lambda *a: used.append(1) or real(*a))
    for seed in range(8):
        rng = random.Random(seed)
        net = _random_net(rng, 20, [6, 4])
        xs = [[F(rng.randint(-50, 50), 100) for _ in range(20)] for _ in range(400)]
        vals = [net.evaluate(x) for x in xs]
        theta = max(vals) + (max(vals) - min(vals)) / 2
        pt = prop(20, 1, [("-1/2", "1/2")] * 20, f"(assert (>= Y_0 {theta}))")
        spec = SpecJudge(net.to_json_text(), [pt]).specs[0][0]
        res = check_spec(net, spec, timeout=60)
        seen.add(res.status)
        if res.status == "PROVED":
            seen.update(n.get("leaf") for n in res.entry["proof"] if "leaf" in n)
    assert used  # the cases reach full patterns
    assert {"PROVED", "linear"} <= seen, seen  # and LP leaves close some of them
