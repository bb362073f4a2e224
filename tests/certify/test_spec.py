"""The kernel's VNN-LIB rooms (certify/kernel/spec.py): the parser reads the VNN-COMP subset
exactly and refuses the rest with a reason; the judge accepts a proof (input cuts and neuron
splits) or a counterexample only when it is right, and never crashes on a forged bundle.

The proofs here come from a tiny prover written with the kernel's own leaf rule (cut the
widest side until the leaf check passes), and are cross-checked against brute force: a
property the prover proves has no failing point on an exact grid of the box."""

from __future__ import annotations

import json
import random
from fractions import Fraction as F
from pathlib import Path

import pytest

from certify.kernel import (
    Box,
    Rejected,
    SpecJudge,
    check_spec_bundle_text,
    check_spec_leaf,
    fails_at,
    parse_network,
    parse_spec,
    preorder,
    rules,
    spec_layers,
)
from certify.kernel.spec import FORMAT

BENCH = Path(__file__).resolve().parents[3] / "shared" / "benchmarks"


def net_text(layers) -> str:
    """A robustmem-network/1 text from [(W, b), ...] of Fractions (ReLU hidden layers)."""
    d = len(layers[0][0][0])
    out = []
    for W, b in layers:
        out.append({"weight": [[str(v) for v in r] for r in W], "bias": [str(v) for v in b]})
    return json.dumps({"format": "robustmem-network/1", "input_dim": d, "layers": out})


def prop(d: int, n_out: int, box, unsafe: str) -> str:
    lines = [f"(declare-const X_{i} Real)" for i in range(d)]
    lines += [f"(declare-const Y_{j} Real)" for j in range(n_out)]
    for i, (lo, hi) in enumerate(box):
        lines += [f"(assert (>= X_{i} {lo}))", f"(assert (<= X_{i} {hi}))"]
    return "\n".join([*lines, unsafe]) + "\n"


# ------------------------------------------------------------------ the parser
ACAS_LIKE = """; a property in the style of ACAS Xu property 7
(declare-const X_0 Real)
(declare-const X_1 Real)
(declare-const Y_0 Real)
(declare-const Y_1 Real)
(declare-const Y_2 Real)
(assert (<= X_0 0.5))
(assert (>= X_0 -0.25))
(assert (<= X_1 1/3))
(assert (>= X_1 -1e-2))
(assert (or
    (and (<= Y_2 Y_0) (<= Y_2 Y_1))
    (and (>= (+ Y_0 (* 2 Y_1)) 3) (<= (- Y_1) 0.5))
))
"""


def test_the_parser_reads_box_and_dnf_exactly():
    s = parse_spec(ACAS_LIKE)
    assert s.lo == [rules.exact(F(-1, 4)), rules.exact(F(-1, 100))]
    assert s.hi == [rules.exact(F(1, 2)), rules.exact(F(1, 3))]
    assert s.n_out == 3
    # Y_2 <= Y_0 is Y_0 − Y_2 ≥ 0; Y_0 + 2 Y_1 ≥ 3 is Y_0 + 2 Y_1 − 3 ≥ 0; −Y_1 ≤ 1/2 is
    # 1/2 + Y_1 ≥ 0
    want = [
        [([1, 0, -1], 0), ([0, 1, -1], 0)],
        [([1, 2, 0], -3), ([0, 1, 0], F(1, 2))],
    ]
    got = [
        [([F(int(v.p), int(v.q)) for v in a], F(int(c.p), int(c.q))) for a, c in g]
        for g in s.groups
    ]
    assert got == want
    assert len(s.sha256) == 64 and parse_spec(ACAS_LIKE.encode()).sha256 == s.sha256


def test_constant_atoms_fold_and_conjunctions_distribute():
    base = prop(1, 2, [(0, 1)], "")
    # (and (or A B) C) → A∧C ∨ B∧C; the false constant atom (>= 0 1) drops its conjunction
    s = parse_spec(base + "(assert (or (>= Y_0 1) (>= 0 1) (>= Y_1 2)))\n(assert (<= Y_0 5))\n")
    assert [len(g) for g in s.groups] == [2, 2]
    t = parse_spec(base + "(assert (>= 1 0))\n")  # a true constant: every output is unsafe
    assert t.groups == [[]]


BAD = {
    "unbalanced": ("(declare-const X_0 Real", "without its ')'"),
    "stray close": ("(declare-const X_0 Real))", "without its '('"),
    "deep": ("(assert " + "(+ " * 80 + "Y_0" + ")" * 81, "nested deeper"),
    "undeclared": (prop(1, 1, [(0, 1)], "(assert (>= Y_3 0))"), "not declared"),
    "product of variables": (
        prop(1, 1, [(0, 1)], "(assert (>= (* Y_0 Y_0) 0))"),
        "product of two variables",
    ),
    "mixed": (prop(1, 1, [(0, 1)], "(assert (>= Y_0 X_0))"), "mixes inputs"),
    "not a box": (
        prop(2, 1, [(0, 1), (0, 1)], "(assert (>= X_0 X_1))"),
        "bound one X_i",
    ),
    "input disjunction": (
        prop(1, 1, [(0, 1)], "(assert (or (>= X_0 0.5) (<= X_0 0.2)))"),
        "not a disjunction",
    ),
    "no upper bound": (
        "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (>= X_0 0))",
        "needs a lower and an upper bound",
    ),
    "empty box": (prop(1, 1, [(1, 0)], ""), "box is empty"),
    "other command": (prop(1, 1, [(0, 1)], "(check-sat)"), "only declare-const and assert"),
    "other operator": (prop(1, 1, [(0, 1)], "(assert (>= (+- Y_0 1) 0))"), "not a linear term"),
    "strict comparison": (prop(1, 1, [(0, 1)], "(assert (< Y_0 0))"), "not a comparison"),
    "twice declared": ("(declare-const X_0 Real)(declare-const X_0 Real)", "once"),
    "integer sort": ("(declare-const X_0 Int)", "as Real"),
    "gap in names": ("(declare-const X_1 Real)(declare-const Y_0 Real)", "X_0..X_{d-1}"),
    "no outputs": ("(declare-const X_0 Real)(assert (>= X_0 0))", "outputs Y_j"),
    "huge exponent": (prop(1, 1, [(0, "1e99999999")], ""), "exponent"),
    "not a number": (prop(1, 1, [(0, "one")], ""), "not"),
    "not utf-8": (b"(declare-const X_0 Real)\xff", "UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_parser_refuses_what_it_does_not_read(case):
    text, why = BAD[case]
    with pytest.raises(Rejected, match=None) as e:
        parse_spec(text)
    assert why in str(e.value)


@pytest.mark.skipif(not BENCH.is_dir(), reason="../shared/benchmarks is absent")
def test_the_public_properties_parse():
    """ACAS Xu properties 1 and 7 and the MNIST ones: the shapes VNN-COMP states."""
    p1 = parse_spec((BENCH / "acasxu" / "prop_1.vnnlib").read_text())
    assert (len(p1.lo), p1.n_out, [len(g) for g in p1.groups]) == (5, 5, [1])
    p7 = parse_spec((BENCH / "acasxu" / "prop_7.vnnlib").read_text())
    assert (len(p7.lo), [len(g) for g in p7.groups]) == (5, [3, 3])
    m = parse_spec((BENCH / "mnistfc" / "prop_0_0.03.vnnlib").read_text())
    assert (len(m.lo), m.n_out, [len(g) for g in m.groups]) == (784, 10, [1] * 9)
    assert all(0 <= a <= b <= 1 for a, b in zip(m.lo, m.hi))


# ------------------------------------------------------------------ a tiny prover
def prove(goal, groups, box: Box, depth: int):
    """A nested proof by input cuts (widest side at its midpoint) with the kernel's leaf
    rule, or None past ``depth``."""
    for leaf in ("output", "empty"):
        try:
            check_spec_leaf(goal, groups, box, {"leaf": leaf}, {})
            return {"leaf": leaf}
        except Rejected:
            pass
    if depth == 0:
        return None
    j = max(range(len(box.lo)), key=lambda i: box.hi[i] - box.lo[i])
    v = (box.lo[j] + box.hi[j]) / 2
    low = prove(goal, groups, box.cut(j, v, False), depth - 1)
    high = low and prove(goal, groups, box.cut(j, v, True), depth - 1)
    return high and {"cut": [j, f"{v.p}/{v.q}"], "low": low, "high": high}


def grid(spec, n: int):
    """The exact grid of n points per side of the box (corners included)."""
    pts = [[]]
    for lo, hi in zip(spec.lo, spec.hi):
        pts = [p + [lo + (hi - lo) * k / (n - 1)] for p in pts for k in range(n)]
    return pts


def random_case(seed: int):
    rng = random.Random(900 + seed)
    d, h, c = rng.randint(1, 2), rng.randint(2, 5), rng.randint(1, 3)

    def mat(m, n):
        return [[F(rng.randint(-8, 8), 4) for _ in range(n)] for _ in range(m)]

    layers = [(mat(h, d), [F(rng.randint(-4, 4), 4) for _ in range(h)])]
    if rng.random() < 0.5:
        layers.append((mat(h, h), [F(rng.randint(-4, 4), 4) for _ in range(h)]))
    layers.append((mat(c, h), [F(rng.randint(-4, 4), 4) for _ in range(c)]))
    box = []
    for _ in range(d):
        lo = F(rng.randint(-8, 4), 8)
        box.append((lo, lo + F(rng.randint(1, 8), 8)))
    atoms = []
    if seed % 2:  # tight: Y_j ≥ (its grid maximum + an eighth of its range) usually holds
        j = rng.randrange(c)
        pts = [[]]
        for lo, hi in box:
            pts = [p + [rules.exact(lo + (hi - lo) * k / 8)] for p in pts for k in range(9)]
        kl = parse_network(net_text(layers))[0]
        ys = [rules.evaluate(kl, x)[j] for x in pts]
        top, spread = max(ys), max(ys) - min(ys)
        t = top + (spread / 8 if spread else rules.exact(F(1, 8)))
        atoms.append(f"(and (>= Y_{j} {t.p}/{t.q}))")
    for _ in range(rng.randint(0 if seed % 2 else 1, 2)):
        conj = []
        for _ in range(rng.randint(1, 2)):
            j, k = rng.randrange(c), rng.randrange(c)
            t = F(rng.randint(-12, 12), 4)
            op = rng.choice(["<=", ">="])
            rhs = f"Y_{k}" if k != j and rng.random() < 0.5 else str(t)
            conj.append(f"({op} Y_{j} {rhs})")
        atoms.append("(and " + " ".join(conj) + ")")
    unsafe = "(assert (or " + " ".join(atoms) + "))"
    text = prop(d, c, [(str(a), str(b)) for a, b in box], unsafe)
    return net_text(layers), text


def judged(nt, pt, entry):
    bundle = {"format": FORMAT, "network_sha256": parse_network(nt)[1], "properties": [entry]}
    return check_spec_bundle_text(nt, [pt], json.dumps(bundle))


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_proofs_and_counterexamples_agree_with_brute_force(seed):
    """A proof the kernel accepts leaves no failing grid point; a failing grid point is a
    counterexample the kernel accepts; the kernel rejects the proof's root as a lone leaf
    when the prover had to cut, and rejects a PROVED at a failing property."""
    nt, pt = random_case(seed)
    layers, _ = parse_network(nt)
    spec = parse_spec(pt)
    goal, groups = spec_layers(layers, spec)
    tree = prove(goal, groups, Box(spec.lo, spec.hi), 7)
    bad = next((x for x in grid(spec, 9) if fails_at(goal, groups, x)), None)
    sha = spec.sha256
    if tree is not None:
        assert bad is None, "the kernel accepted a proof of a property that fails"
        v = judged(nt, pt, {"property_sha256": sha, "verdict": "PROVED", "proof": preorder(tree)})
        assert v.verdict == "PROVED", v.balls
        if "cut" in tree:
            lone = {"property_sha256": sha, "verdict": "PROVED", "proof": [{"leaf": "output"}]}
            assert judged(nt, pt, lone).verdict == "REJECTED"
    if bad is not None:
        x = [f"{v.p}/{v.q}" for v in bad]
        v = judged(nt, pt, {"property_sha256": sha, "verdict": "REFUTED", "counterexample": x})
        assert v.verdict == "REFUTED", v.balls
        for proof in ([{"leaf": "output"}], [{"leaf": "empty"}]):
            e = {"property_sha256": sha, "verdict": "PROVED", "proof": proof}
            assert judged(nt, pt, e).verdict == "REJECTED"


def test_the_random_cases_reach_both_verdicts_and_cuts():
    seen = {"proved": 0, "cut": 0, "refuted": 0}
    for seed in SEEDS:
        nt, pt = random_case(seed)
        spec = parse_spec(pt)
        goal, groups = spec_layers(parse_network(nt)[0], spec)
        tree = prove(goal, groups, Box(spec.lo, spec.hi), 7)
        seen["proved"] += tree is not None
        seen["cut"] += tree is not None and "cut" in tree
        seen["refuted"] += any(fails_at(goal, groups, x) for x in grid(spec, 9))
    assert all(v >= 3 for v in seen.values()), seen


# ------------------------------------------------------------------ forged bundles
def clamp_case():
    """f(x) = (relu(x) − relu(x − 1)) on [−1, 2] (the clamp to [0, 1]); the property "f ≥ 1.5"
    holds, and the root's relaxation cannot show it (the prover needs cuts)."""
    nt = net_text([([[F(1)], [F(1)]], [F(0), F(-1)]), ([[F(1), F(-1)]], [F(0)])])
    pt = prop(1, 1, [("-1", "2")], "(assert (>= Y_0 1.5))")
    spec = parse_spec(pt)
    goal, groups = spec_layers(parse_network(nt)[0], spec)
    tree = prove(goal, groups, Box(spec.lo, spec.hi), 8)
    assert tree is not None and "cut" in tree
    return nt, pt, spec, tree


def entry(spec, tree, **kw):
    return {"property_sha256": spec.sha256, "verdict": "PROVED", "proof": preorder(tree), **kw}


def test_the_clamp_proof_is_accepted():
    nt, pt, spec, tree = clamp_case()
    v = judged(nt, pt, entry(spec, tree))
    assert v.verdict == "PROVED" and "leaves" in v.balls[0][2]


def _forge(kind, spec, tree):
    e = entry(spec, tree)
    nodes = e["proof"]
    cut = next(n for n in nodes if "cut" in n)
    j, v = cut["cut"]
    if kind == "cut outside the box":
        cut["cut"] = [j, "5"]
    elif kind == "cut at the box's end":
        cut["cut"] = [j, "-1"]
    elif kind == "cut on a missing input":
        cut["cut"] = [1, v]
    elif kind == "cut on a negative input":
        cut["cut"] = [-1, v]
    elif kind == "cut value a float":
        cut["cut"] = [j, 0.5]
    elif kind == "cut not a pair":
        cut["cut"] = [j]
    elif kind == "cut subtree dropped":
        e["proof"] = [n for n in nodes if "cut" not in n]
    elif kind == "proof truncated":
        e["proof"] = nodes[:-1]
    elif kind == "extra node":
        e["proof"] = [*nodes, {"leaf": "output"}]
    elif kind == "unknown leaf":
        e["proof"] = [{"leaf": "trust me"}]
    elif kind == "empty leaf that is not":
        e["proof"] = [{"leaf": "empty"}]
    elif kind == "proof not a list":
        e["proof"] = {"leaf": "output"}
    elif kind == "other property":
        e["property_sha256"] = "0" * 64
    elif kind == "bits out of range":
        e["bits"] = 3
    elif kind == "bits a float":
        e["bits"] = 64.0
    elif kind == "deep not a bool":
        e["deep"] = 1
    elif kind == "unknown verdict":
        e["verdict"] = "PROBABLY"
    elif kind == "counterexample outside the box":
        e = {"property_sha256": spec.sha256, "verdict": "REFUTED", "counterexample": ["3"]}
    elif kind == "counterexample that holds":
        e = {"property_sha256": spec.sha256, "verdict": "REFUTED", "counterexample": ["1/2"]}
    elif kind == "counterexample too long":
        e = {"property_sha256": spec.sha256, "verdict": "REFUTED", "counterexample": ["1", "1"]}
    elif kind == "counterexample as floats":
        e = {"property_sha256": spec.sha256, "verdict": "REFUTED", "counterexample": [0.5]}
    elif kind == "entry not an object":
        e = ["PROVED"]
    elif kind == "split on the output layer":
        e["proof"] = [{"split": [1, 0]}, {"leaf": "output"}, {"leaf": "output"}]
    return e


FORGED = [
    "cut outside the box",
    "cut at the box's end",
    "cut on a missing input",
    "cut on a negative input",
    "cut value a float",
    "cut not a pair",
    "cut subtree dropped",
    "proof truncated",
    "extra node",
    "unknown leaf",
    "empty leaf that is not",
    "proof not a list",
    "other property",
    "bits out of range",
    "bits a float",
    "deep not a bool",
    "unknown verdict",
    "counterexample outside the box",
    "counterexample that holds",
    "counterexample too long",
    "counterexample as floats",
    "entry not an object",
    "split on the output layer",
]


@pytest.mark.parametrize("kind", FORGED)
def test_forged_entries_are_rejected_with_a_reason(kind):
    nt, pt, spec, tree = clamp_case()
    try:
        v = judged(nt, pt, _forge(kind, spec, tree))
    except Rejected as e:  # the whole bundle (a JSON float is refused as it is read)
        assert "float" in str(e)
        return
    assert v.verdict == "REJECTED", (kind, v.balls)
    assert v.balls[0][1] == "REJECTED" and v.balls[0][2]


def test_bundle_level_forgeries():
    nt, pt, spec, tree = clamp_case()
    sha = parse_network(nt)[1]
    good = {"format": FORMAT, "network_sha256": sha, "properties": [entry(spec, tree)]}
    assert check_spec_bundle_text(nt, [pt], json.dumps(good)).verdict == "PROVED"
    for bad in (
        {**good, "format": "robustmem-cert/1"},
        {**good, "network_sha256": "f" * 64},
        {**good, "properties": {"0": entry(spec, tree)}},
        [],
    ):
        with pytest.raises(Rejected):
            check_spec_bundle_text(nt, [pt], json.dumps(bad))
    for props in ([], [entry(spec, tree)] * 2):
        v = check_spec_bundle_text(nt, [pt], json.dumps({**good, "properties": props}))
        assert v.verdict == "REJECTED" and v.problems
    with pytest.raises(Rejected, match="nested|deep"):
        check_spec_bundle_text(nt, [pt], "[" * 100_000 + "]" * 100_000)


def test_a_property_for_another_network_is_refused():
    nt, _, _, _ = clamp_case()
    with pytest.raises(Rejected, match="inputs"):
        SpecJudge(nt, [prop(2, 1, [(0, 1), (0, 1)], "(assert (>= Y_0 1))")])
    with pytest.raises(Rejected, match="outputs"):
        SpecJudge(nt, [prop(1, 2, [(0, 1)], "(assert (>= Y_1 1))")])
    with pytest.raises(Rejected, match="property 2"):
        SpecJudge(nt, [prop(1, 1, [(0, 1)], "(assert (>= Y_0 1))"), "(assert"])


def test_a_5000_cut_chain_is_walked_without_recursion():
    """Cuts at k/5001, each low side a leaf: 5,001 leaves, depth 5,000, no RecursionError."""
    nt = net_text([([[F(1)]], [F(0)]), ([[F(1)]], [F(0)])])
    pt = prop(1, 1, [("0", "1")], "(assert (>= Y_0 2))")
    spec = parse_spec(pt)
    n = 5000
    nodes = []
    for k in range(1, n + 1):
        nodes += [{"cut": [0, f"{k}/{n + 1}"]}, {"leaf": "output"}]
    nodes.append({"leaf": "output"})
    v = judged(nt, pt, {"property_sha256": spec.sha256, "verdict": "PROVED", "proof": nodes})
    assert v.verdict == "PROVED" and f"{n + 1} leaves" in v.balls[0][2]
    nodes[2 * 2500] = {"cut": [0, "1/5001"]}  # a cut below its box on the path
    v = judged(nt, pt, {"property_sha256": spec.sha256, "verdict": "PROVED", "proof": nodes})
    assert v.verdict == "REJECTED"


def test_the_robustness_judge_refuses_cuts():
    """Input cuts exist only for boxes: a ball proof with a cut node is rejected."""
    from certify.kernel import check_nodes

    layers, _ = parse_network(net_text([([[F(1)]], [F(0)]), ([[F(1)]], [F(1)])]))
    ball = rules.Ball((rules.exact(F(1, 2)),), 1, None, rules.exact(F(1, 4)))
    with pytest.raises(Rejected):
        check_nodes(layers, ball, [{"cut": [0, "1/2"]}, {"leaf": "output"}, {"leaf": "output"}])
