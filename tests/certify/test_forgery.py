"""Adversarial certificate suite (issue 15 item 3): forged and malformed bundles.

Real bundles are made first with ``robustmem certify --cert`` on small networks whose proofs
have every kind of node the kernel reads (splits; output, empty, affine and linear leaves;
Motzkin multipliers for p = ∞ and 1, ℓ2 and S-lemma ones for p = 2; REFUTED entries; a
classifier's margins). Each is accepted untampered (the positive controls, so that the
rejections mean something); then each forgery class below must be rejected by
``robustmem check`` (exit 1; 3 only for a file it cannot read), never accepted and never an
internal error (exit 4), with a reason that names the problem.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import re
import time
from dataclasses import dataclass
from fractions import Fraction as F
from pathlib import Path

import pytest

from certify import kernel
from robustmem.cli import main

from .helpers import net_from

# ------------------------------------------------------------------------------ networks
# the issue's example: f = 1 + relu(x − 1) − relu(x − 2) on x ∈ {0, 2, 100}, labels 1, 2, 2
ISSUE_NET = {
    "format": "robustmem-network/1",
    "input_dim": 1,
    "layers": [{"weight": [[1], [1]], "bias": [-1, -2]}, {"weight": [[1, -1]], "bias": [1]}],
}
# f ≡ 2 written with cancelling ReLUs in 2-D: the proofs split and end in linear leaves
CANCEL2 = net_from([([[1, 1], [1, 1], [1, -1]], [0, 0, F(-1, 2)]), ([[1, -1, 0]], [2])], 2)
# a classifier: f = (relu(x1), relu(x2), 1/2), class 1 iff x1 > max(x2, 1/2)
THREE = net_from(
    [
        ([[1, 0], [0, 1], [-1, 0], [0, -1]], [0, 0, 0, 0]),
        ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]], [0, 0, "1/2"]),
    ],
    2,
)
NETS = {
    "issue": json.dumps(ISSUE_NET),
    "cancel": CANCEL2.to_json_text(),
    "three": THREE.to_json_text(),
}
DATA = {
    "issue": "0,1\n2,2\n100,2\n",
    "cancel": "0,0,2\n3,0,2\n0,3,1\n",
    "three": "2,0,1\n0,0,3\n0,2,2\n-3,-1,3\n",
}
# fixture name: (network and dataset, p, rho), bundles written by robustmem certify --cert
CERTIFIED = {
    "issue": ("issue", "inf", "1/2"),
    "cancel-inf": ("cancel", "inf", "1/2"),
    "cancel-1": ("cancel", "1", "1/2"),
    "cancel-2": ("cancel", "2", "1/2"),
    "three-inf": ("three", "inf", "1/2"),
    "three-1": ("three", "1", "1/2"),
    "three-2": ("three", "2", "1/2"),
    "three-refuted": ("three", "inf", "9/10"),
}
DEEP_H = 400  # hidden units of the network with a valid proof DEEP_H splits deep
BIG_H = 100_000  # hidden units of the network for proofs 100,000 splits deep


def deep_net(h: int) -> str:
    """f = 1 + Σ_i relu(x − i − 1) with h hidden units, all inactive on the ball (−1/2, 1/2)."""
    return json.dumps(
        {
            "format": "robustmem-network/1",
            "input_dim": 1,
            "layers": [
                {"weight": [[1]] * h, "bias": [-(i + 1) for i in range(h)]},
                {"weight": [[1] * h], "bias": [1]},
            ],
        }
    )


def deep_proof(h: int) -> list:
    """A valid chain h splits deep: each active side contradicts the bounds (empty)."""
    out: list = []
    for i in range(h):
        out += [{"split": [0, i]}, {"leaf": "empty"}]
    return [*out, {"leaf": "output"}]


@dataclass
class Fx:
    """A network file, a dataset file, the radius to check, and an honest bundle."""

    name: str
    net: Path
    data: Path
    p: str
    radius: tuple  # ("--rho", "1/2") or ("--mu", "1/2")
    bundle: dict

    @property
    def pn(self):
        return None if self.p == "inf" else int(self.p)

    def judge(self) -> kernel.Judge:
        kw = {self.radius[0][2:]: self.radius[1]}
        return kernel.Judge(self.net.read_text(), self.data.read_text(), self.pn, **kw)

    def copy(self) -> dict:
        return copy.deepcopy(self.bundle)


def _certified(root: Path, name: str) -> Fx:
    base, p, rho = CERTIFIED[name]
    d = root / name
    d.mkdir()
    (d / "net.json").write_text(NETS[base])
    (d / "data.csv").write_text(DATA[base])
    cert = d / "cert.json"
    args = [str(d / "net.json"), str(d / "data.csv"), "--rho", rho, "--p", p]
    code = main(["certify", *args, "--engine", "linear", "--quiet", "--cert", str(cert)])
    assert code in (0, 1), (name, code)  # every ball PROVED or REFUTED
    return Fx(name, d / "net.json", d / "data.csv", p, ("--rho", rho), json.loads(cert.read_text()))


def _hand(root: Path, name: str, net_text: str, data_text: str, balls: list) -> Fx:
    d = root / name
    d.mkdir()
    (d / "net.json").write_text(net_text)
    (d / "data.csv").write_text(data_text)
    _, net_sha = kernel.parse_network(net_text)
    *_, data_sha = kernel.parse_dataset(data_text)
    bundle = {
        "format": kernel.FORMAT,
        "network_sha256": net_sha,
        "dataset_sha256": data_sha,
        "p": "inf",
        "mu": "1/2",
        "balls": balls,
    }
    return Fx(name, d / "net.json", d / "data.csv", "inf", ("--mu", "1/2"), bundle)


def _build(root: Path, name: str, get) -> Fx:
    if name in CERTIFIED:
        return _certified(root, name)
    if name == "issue-hand":  # an empty leaf under a split (ball 0), an affine leaf (ball 2)
        fx = dataclasses.replace(get("issue"), name=name, bundle=get("issue").copy())
        ent = {e["index"]: e for e in fx.bundle["balls"]}
        ent[0]["proof"] = [{"split": [0, 0]}, {"leaf": "empty"}, {"leaf": "output"}]
        ent[2]["proof"] = [{"split": [0, 1]}, {"leaf": "affine", "pattern": [[1, 1]]}]
        ent[2]["proof"].append({"leaf": "empty"})
        return fx
    if name == "three-slemma":  # every ℓ2 certificate rewritten as the S-lemma one, ν = 1/2
        fx = dataclasses.replace(get("three-2"), name=name, bundle=get("three-2").copy())
        for _, _n, cont, key, cert in certs(fx.bundle, "l2"):
            cont[key] = {"slemma": {**cert["l2"], "nu": "1/2"}}
        return fx
    if name == "deep":
        proof = deep_proof(DEEP_H)
        return _hand(root, name, deep_net(DEEP_H), "0,1\n", [pr(0, proof)])
    if name == "big":  # 100,000 hidden units; the root bounds pin f = 1
        return _hand(root, name, deep_net(BIG_H), "0,1\n", [pr(0, [{"leaf": "output"}])])
    raise KeyError(name)


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    root = tmp_path_factory.mktemp("forgery")
    cache: dict = {}

    def get(name: str) -> Fx:
        if name not in cache:
            cache[name] = _build(root, name, get)
        return cache[name]

    return get


# ------------------------------------------------------------------------------ helpers
def pr(i: int, proof: list) -> dict:
    return {"index": i, "verdict": "PROVED", "proof": proof}


def entry(b: dict, i: int) -> dict:
    return next(e for e in b["balls"] if isinstance(e, dict) and e.get("index") == i)


def nodes(b: dict):
    """(ball index, node) for every proof node of the bundle."""
    for e in b["balls"]:
        for n in e.get("proof", []):
            yield e["index"], n


def leaves(b: dict, kind: str) -> list:
    return [(i, n) for i, n in nodes(b) if n.get("leaf") == kind]


def certs(b: dict, kind: str | None = None) -> list:
    """(ball index, leaf, container, key, certificate) for every emptiness certificate."""
    out = []
    for i, n in leaves(b, "linear"):
        slots = [(n, s) for s in ("above", "below") if s in n]
        slots += [(n["margins"], j) for j in range(len(n.get("margins", [])))]
        for cont, key in slots:
            c = cont[key]
            if isinstance(c, dict) and (kind is None or kind in c):
                out.append((i, n, cont, key, c))
    return out


def body_with(b: dict, kind: str, want) -> tuple:
    """(ball index, certificate body) of the first ``kind`` certificate with want(body)."""
    return next((i, c[kind]) for i, _, _, _, c in certs(b, kind) if want(c[kind]))


def nonzero(v) -> bool:
    return F(v) != 0


SERIAL = itertools.count()


def run_check(fx: Fx, cert, capsys, tmp_path, *, json_out=True, **over):
    """robustmem check on the bundle (a dict, or raw text / bytes): (exit code, stdout)."""
    path = tmp_path / f"cert-{next(SERIAL)}.json"
    if isinstance(cert, bytes):
        path.write_bytes(cert)
    else:
        path.write_text(cert if isinstance(cert, str) else json.dumps(cert))
    net, data = over.get("net", fx.net), over.get("data", fx.data)
    radius = over.get("radius", fx.radius)
    argv = ["check", str(net), str(data), str(path), *radius, "--p", over.get("p", fx.p)]
    capsys.readouterr()  # (what building the fixtures printed)
    code = main(argv + (["--json"] if json_out else []))
    out = capsys.readouterr()
    assert code != 4 and "internal error" not in out.err, out.err  # never a crash
    return code, out.out


def rejects(fx, cert, capsys, tmp_path, match, *, ball=None, status="REJECTED", text=True, **kw):
    """The bundle is rejected by robustmem check (exit 1) in text and JSON mode, the reason
    matching ``match``; with ``ball``, that ball's entry has ``status`` (never accepted)."""
    if text:
        code, out = run_check(fx, cert, capsys, tmp_path, json_out=False, **kw)
        assert code == 1, out
    code, out = run_check(fx, cert, capsys, tmp_path, **kw)
    assert code == 1, out
    res = json.loads(out)
    assert res["ok"] is False, res
    if "reason" in res:  # the bundle as a whole
        assert ball is None, res
        reasons = [res["reason"]]
    else:
        if ball is not None:
            mine = [b for b in res["balls"] if b["index"] == ball]
            assert mine and all(b["status"] == status and not b["ok"] for b in mine), res
        reasons = [b["message"] for b in res["balls"] if not b["ok"]] + res["problems"]
    assert any(re.search(match, r) for r in reasons), (match, reasons)
    for r in reasons:  # a clear reason: short, printable, encodable (no lone surrogates)
        assert len(r) < 400 and r.isprintable() and r.encode("utf-8"), r
    return res


def accepts(fx, cert, capsys, tmp_path, **kw):
    code, out = run_check(fx, cert, capsys, tmp_path, **kw)
    res = json.loads(out)
    assert code == 0 and res["ok"] is True, res
    assert all(b["status"] in ("PROVED", "REFUTED") for b in res["balls"]), res
    return res


# ------------------------------------------------------------------------ positive controls
ALL_FIXTURES = [*CERTIFIED, "issue-hand", "three-slemma", "deep"]


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_untampered_bundle_is_accepted(fixtures, name, capsys, tmp_path):
    fx = fixtures(name)
    res = accepts(fx, fx.bundle, capsys, tmp_path)
    assert len(res["balls"]) == len(fx.bundle["balls"])
    v = fx.judge().check_bundle(fx.copy())
    assert not v.problems and {st for _, st, _ in v.balls} <= {"PROVED", "REFUTED"}


def test_fixtures_cover_every_node_kind(fixtures):
    """The forgeries below tamper with real instances of every node the kernel reads."""
    kinds, sides, verdicts = set(), set(), set()
    for name in ALL_FIXTURES:
        b = fixtures(name).bundle
        for _, n in nodes(b):
            kinds.add("split" if "split" in n else n["leaf"])
            for s in (*(n.get(k) for k in ("above", "below")), *n.get("margins", [])):
                if s is not None:
                    sides.add(s if isinstance(s, str) else next(iter(s)))
        verdicts |= {(name.split("-")[0], e["verdict"]) for e in b["balls"]}
    assert kinds == {"split", "output", "empty", "affine", "linear"}
    assert sides == {"motzkin", "l2", "slemma", "bound"}
    assert {("issue", "REFUTED"), ("cancel", "REFUTED"), ("three", "REFUTED")} <= verdicts
    fac = {
        name: [f for *_, c in certs(fixtures(name).bundle, "motzkin") for f in c["motzkin"]["ball"]]
        for name in ("three-inf", "three-1")
    }
    assert fac["three-inf"] and fac["three-1"]  # box and cross-polytope ball facets occur
    assert leaves(fixtures("cancel-1").bundle, "linear") and certs(fixtures("cancel-2").bundle)


# ------------------------------------------------------------------------ the issue's example
def test_issue_example_far_witness_and_refuted_ball_zero(fixtures, capsys, tmp_path):
    """The issue's forgery: a far witness pair inflates ε (ε_w = 50, not 1) and ball 0 claims
    REFUTED at x = 2, which lies in the inflated ball but not in the open ball of radius
    ρ·ε = 1/2 around 0. The kernel computes ε itself for every REFUTED entry."""
    fx = fixtures("issue")
    b = fx.copy()
    b["witness"] = [0, 2]
    b["balls"][0] = {"index": 0, "verdict": "REFUTED", "counterexample": ["2"]}
    rejects(fx, b, capsys, tmp_path, "inside the open ball", ball=0)
    # the same counterexample without the witness: rejected all the same
    del b["witness"]
    rejects(fx, b, capsys, tmp_path, "inside the open ball", ball=0)


def test_issue_example_refuted_entry_is_exact(fixtures, capsys, tmp_path):
    """Control for the above: ball 1's counterexample 7/4 is inside its ball and f(7/4) ≠ 2."""
    fx = fixtures("issue")
    assert entry(fx.bundle, 1) == {"index": 1, "verdict": "REFUTED", "counterexample": ["7/4"]}
    res = accepts(fx, fx.bundle, capsys, tmp_path)
    assert res["counts"] == {"PROVED": 2, "REFUTED": 1, "UNKNOWN": 0, "REJECTED": 0}


# ------------------------------------------------------------------------ forgery catalogue
def _set(path, value):
    """A mutation: bundle[path...] := value (a key path into the bundle)."""

    def f(b):
        t = b
        for k in path[:-1]:
            t = t[k] if not isinstance(k, tuple) else entry(t, k[1])
        t[path[-1]] = value
        return b

    return f


def _ball(i, value):
    """A mutation: the entry of ball i replaced."""

    def f(b):
        b["balls"][[e["index"] for e in b["balls"]].index(i)] = value
        return b

    return f


def _raw(old, new):
    """A mutation of the bundle's JSON text."""

    def f(b):
        text = json.dumps(b)
        assert old in text, old
        return text.replace(old, new, 1)

    return f


def _swap_index(b):
    b["balls"][0]["index"], b["balls"][1]["index"] = 1, 0
    return b


def _drop(i):
    def f(b):
        b["balls"] = [e for e in b["balls"] if e["index"] != i]
        return b

    return f


def _extra(value):
    def f(b):
        b["balls"].append(value if value is not None else copy.deepcopy(b["balls"][0]))
        return b

    return f


def _del(*path):
    """A mutation: delete a key; a leading int is a ball index (``_del(0, "proof")``)."""

    def f(b):
        t = b
        for k in path[:-1]:
            t = entry(t, k) if isinstance(k, int) else t[k]
        del t[path[-1]]
        return b

    return f


def _proof(i, fn):
    """A mutation of ball i's proof list."""

    def f(b):
        e = entry(b, i)
        e["proof"] = fn(e["proof"])
        return b

    return f


def _leaf(kind, fn, ball=None):
    """A mutation of the first ``kind`` leaf (of ``ball``)."""

    def f(b):
        i, n = next((i, n) for i, n in leaves(b, kind) if ball is None or i == ball)
        fn(n)
        return b

    return f


def _cert(kind, fn, want=lambda body: True):
    """A mutation of the body of the first ``kind`` emptiness certificate with want(body)."""

    def f(b):
        fn(body_with(b, kind, want)[1])
        return b

    return f


def _side(fn):
    """A mutation of the first certificate slot (leaf, container, key)."""

    def f(b):
        _, n, cont, key, _ = certs(b)[0]
        fn(n, cont, key)
        return b

    return f


def _first_split_lambda(body):
    return next(s for s in body["splits"] if nonzero(s[2]))


def _neg(s):
    s[2] = str(-F(s[2]))


def _zero_all(body):
    for s in body.get("splits", []):
        s[2] = "0"
    for fac in body.get("ball", []):
        fac[1] = "0"
    body["out"] = "0"


def _scale_all(body, t):
    for s in body.get("splits", []):
        s[2] = str(F(s[2]) * t)
    body["out"] = str(F(body["out"]) * t)


def _swap_subtrees(proof):
    def size(k):
        return 1 if "split" not in proof[k] else 1 + size(k + 1) + size(k + 1 + size(k + 1))

    a = size(1)
    return [proof[0], *proof[1 + a :], *proof[1 : 1 + a]]


def _flip_split_bit(n):
    n["pattern"][0][0] ^= 1


def _margin_bound(n, cont, key):
    cont[key] = "bound"


BIG_INT = "7" * 200_000
FAR = "7" * 5000  # an integer str() refuses (Python 3.11: over 4300 digits); JSON text

CASES = [
    # --- the witness pair (it only ever sets the radius of PROVED entries, never lowers it)
    ("issue", "witness-inflated-for-proved", _set(["witness"], [0, 2]), "pin the label", 0),
    ("issue", "witness-one-label", _set(["witness"], [1, 2]), "witness", None),
    ("issue", "witness-out-of-range", _set(["witness"], [0, 3]), "witness", None),
    ("issue", "witness-negative", _set(["witness"], [-1, 0]), "witness", None),
    ("issue", "witness-bool", _set(["witness"], [False, True]), "witness", None),
    ("issue", "witness-same-point", _set(["witness"], [0, 0]), "witness", None),
    ("issue", "witness-not-a-pair-1", _set(["witness"], [0]), "witness", None),
    ("issue", "witness-not-a-pair-3", _set(["witness"], [0, 1, 2]), "witness", None),
    ("issue", "witness-not-a-pair-str", _set(["witness"], "0,1"), "witness", None),
    ("issue", "witness-string-indices", _set(["witness"], ["0", "1"]), "witness", None),
    # --- ball indices and coverage: exactly one entry per ball 0..N−1
    ("issue", "index-wrong", _swap_index, "inside the open ball", 0),
    ("issue", "index-duplicate", _set(["balls", 1, "index"], 0), "more than one entry", None),
    (
        "issue",
        "index-duplicate-leaves-a-gap",
        _set(["balls", 1, "index"], 0),
        r"1 balls have no entry \(first: \[1\]\)",
        None,
    ),
    ("issue", "index-negative", _set(["balls", 0, "index"], -1), "no ball has index -1", None),
    ("issue", "index-past-last", _set(["balls", 2, "index"], 3), "no ball has index 3", None),
    ("issue", "index-string", _set(["balls", 0, "index"], "0"), "no ball has index '0'", None),
    ("issue", "index-float", _raw('"index": 0', '"index": 0.0'), "JSON float 0.0", None),
    ("issue", "index-bool", _set(["balls", 0, "index"], True), "no ball has index True", None),
    ("issue", "index-null", _set(["balls", 0, "index"], None), "no ball has index None", None),
    ("issue", "index-list", _set(["balls", 0, "index"], [0]), r"no ball has index \[0\]", None),
    ("issue", "index-missing", _del(0, "index"), "no ball has index None", None),
    (
        "issue",
        "index-huge-int",
        _raw('"index": 0', f'"index": {FAR}'),
        "no ball has index <int too large",
        None,
    ),
    (
        "issue",
        "index-lone-surrogate",
        _set(["balls", 0, "index"], "\ud800"),
        r"no ball has index '\\ud800'",
        None,
    ),
    ("issue", "ball-missing", _drop(2), r"1 balls have no entry \(first: \[2\]\)", None),
    ("issue", "entry-extra-copy", _extra(None), "ball 0 has more than one entry", None),
    ("issue", "entry-not-object", _extra(5), "an entry without a valid ball index", None),
    ("issue", "balls-not-a-list", _set(["balls"], {"0": "PROVED"}), '"balls" list', None),
    ("issue", "balls-missing", _del("balls"), '"balls" list', None),
    # --- verdicts
    (
        "issue",
        "unknown-entry",
        _ball(0, {"index": 0, "verdict": "UNKNOWN"}),
        "no certificate",
        (0, "UNKNOWN"),
    ),
    ("issue", "verdict-unknown-word", _set(["balls", 0, "verdict"], "PROVEN"), "verdict", 0),
    ("issue", "verdict-lowercase", _set(["balls", 0, "verdict"], "proved"), "verdict", 0),
    ("issue", "verdict-missing", _del(0, "verdict"), "unknown verdict None", 0),
    ("issue", "verdict-accepted", _set(["balls", 0, "verdict"], "ACCEPTED"), "verdict", 0),
    ("issue", "proved-without-proof", _del(0, "proof"), "non-empty list of nodes", 0),
    ("issue", "proof-empty-list", _set(["balls", 0, "proof"], []), "non-empty list", 0),
    (
        "issue",
        "proof-nested-tree-format-1",
        _set(["balls", 0, "proof"], {"leaf": "output"}),
        "non-empty list of nodes",
        0,
    ),
    ("issue", "refuted-without-point", _del(1, "counterexample"), "must have 1 numbers", 1),
    # --- REFUTED entries: the point is re-evaluated, in the open ball of the asked radius
    ("issue", "cex-property-holds", _set(["balls", 1, "counterexample"], ["2"]), "holds", 1),
    (
        "issue",
        "cex-for-a-proved-ball",
        _ball(0, {"index": 0, "verdict": "REFUTED", "counterexample": ["1/4"]}),
        "property holds at the counterexample",
        0,
    ),
    ("issue", "cex-wrong-dim-2", _set(["balls", 1, "counterexample"], ["7/4", "0"]), "1 num", 1),
    ("issue", "cex-wrong-dim-0", _set(["balls", 1, "counterexample"], []), "must have 1", 1),
    ("issue", "cex-not-a-list", _set(["balls", 1, "counterexample"], "7/4"), "must have 1", 1),
    ("issue", "cex-word", _set(["balls", 1, "counterexample"], ["abc"]), "exact number", 1),
    ("issue", "cex-null", _set(["balls", 1, "counterexample"], [None]), "exact number", 1),
    ("issue", "cex-bool", _set(["balls", 1, "counterexample"], [True]), "exact number", 1),
    ("issue", "cex-nested", _set(["balls", 1, "counterexample"], [[1]]), "exact number", 1),
    ("issue", "cex-zero-denominator", _set(["balls", 1, "counterexample"], ["7/0"]), "zero", 1),
    ("issue", "cex-hex", _set(["balls", 1, "counterexample"], ["0x7"]), "exact number", 1),
    ("issue", "cex-huge-int-in-list", _raw('["7/4"]', f"[[{FAR}]]"), "exact", 1),
    # --- inexact or hostile numbers
    ("issue", "json-float", _raw('["7/4"]', "[1.75]"), "JSON float 1.75 is not exact", None),
    ("issue", "json-float-half", _raw('"rho": "1/2"', '"rho": 0.5'), "JSON float 0.5", None),
    ("issue", "json-nan", _raw('["7/4"]', "[NaN]"), "JSON constant NaN", None),
    ("issue", "json-infinity", _raw('["7/4"]', "[Infinity]"), "JSON constant Infinity", None),
    ("issue", "json-minus-infinity", _raw('["7/4"]', "[-Infinity]"), "JSON constant", None),
    ("issue", "json-exponent-literal", _raw('["7/4"]', "[1e999999]"), "JSON float 1e9", None),
    ("issue", "huge-json-integer", _raw('["7/4"]', f"[{BIG_INT}]"), "200000 digits", None),
    (
        "issue",
        "huge-string-integer",
        _set(["balls", 1, "counterexample"], [BIG_INT]),
        "a number of 200000 characters",
        1,
    ),
    (
        "issue",
        "huge-string-exponent",
        _set(["balls", 1, "counterexample"], ["1e999999"]),
        "decimal exponent beyond",
        1,
    ),
    (
        "issue",
        "huge-fraction-within-limit",
        _set(["balls", 1, "counterexample"], ["1" * 60_000 + "/" + "3" * 39_000]),
        "inside the open ball",
        1,
    ),
    # --- the header: which network, dataset, norm and property the bundle is for
    ("issue", "network-hash-other", _set(["network_sha256"], "0" * 64), "another network", None),
    ("issue", "network-hash-missing", _del("network_sha256"), "network", None),
    ("issue", "dataset-hash-other", _set(["dataset_sha256"], "f" * 64), "another dataset", None),
    # the bundle's p disagrees with --p: a usage error (issue 16), and the kernel rejects it
    ("issue", "p-wrong", _set(["p"], 2), "the bundle is for p = 2", "usage"),
    ("issue", "p-as-string", _set(["p"], "2"), "the bundle is for p = '2'", None),
    ("issue", "p-missing", _del("p"), "the bundle is for p = None", None),
    (
        "issue",
        "p-huge-int",
        _raw('"p": "inf"', f'"p": {FAR}'),
        "the bundle is for p = <int too large",
        None,
    ),
    ("issue", "p-lone-surrogate", _set(["p"], "\udcff"), r"p = '\\udcff'", None),
    ("three-inf", "property-equal-for-classifier", _set(["property"], "equal"), "argmax", None),
    ("three-inf", "property-missing-classifier", _del("property"), "prop", None),
    ("issue", "property-argmax-for-scalar", _set(["property"], "argmax"), "'equal'", None),
    ("issue", "format-1", _set(["format"], "robustmem-certificate/1"), "certificate/2", None),
    ("issue", "format-missing", _del("format"), "robustmem-certificate/2", None),
    ("issue", "not-an-object-list", lambda b: [b], "a JSON object", "usage"),
    ("issue", "not-an-object-string", lambda b: '"bundle"', "a JSON object", "usage"),
    ("issue", "not-an-object-null", lambda b: "null", "a JSON object", "usage"),
    ("issue", "empty-file", lambda b: "", "not valid JSON", "usage"),
    ("issue", "whitespace-file", lambda b: " \n", "not valid JSON", "usage"),
    ("issue", "invalid-utf8", lambda b: b"\xff\xfe" + json.dumps(b).encode(), "UTF-8", None),
    ("issue", "utf8-bom", lambda b: b"\xef\xbb\xbf" + json.dumps(b).encode(), "JSON", None),
    ("issue", "truncated-json", lambda b: json.dumps(b)[:-7], "not valid JSON", None),
    (
        "issue",
        "deeply-nested-list",
        _raw('[{"leaf": "output"}]', "[" * 100_000 + "]" * 100_000),
        "nested too deeply",
        None,
    ),
    (
        "issue",
        "deeply-nested-object",
        _raw('{"leaf": "output"}', '{"a": ' * 100_000 + "0" + "}" * 100_000),
        "nested too deeply",
        None,
    ),
    # --- proof structure: preorder, every subtree complete, splits on hidden units
    ("cancel-inf", "proof-truncated", _proof(0, lambda p: p[:-1]), "ends before", 0),
    ("cancel-inf", "proof-trailing-node", _proof(0, lambda p: [*p, p[-1]]), "after the end", 0),
    ("cancel-inf", "proof-only-splits", _proof(0, lambda p: p[:1]), "ends before", 0),
    (
        "cancel-inf",
        "split-repeated-on-path",
        _proof(0, lambda p: [p[0], {"split": p[0]["split"]}, *p[2:]]),
        r"split \[0, 0\] repeats a split on its path",
        0,
    ),
    ("cancel-inf", "subtrees-swapped", _proof(0, _swap_subtrees), "does not follow", 0),
    ("cancel-inf", "node-not-object", _proof(0, lambda p: [7, *p[1:]]), "an object, not 7", 0),
    ("cancel-inf", "node-null", _proof(0, lambda p: [*p[:2], None, *p[3:]]), "object", 0),
    ("cancel-inf", "leaf-unknown-kind", _leaf("output", _set(["leaf"], "trust-me")), "trust", 0),
    ("cancel-inf", "leaf-missing-kind", _leaf("output", _del("leaf")), "leaf None", 0),
    (
        "cancel-inf",
        "leaf-output-unjustified",
        _leaf("linear", lambda n: (n.clear(), n.update(leaf="output"))),
        "do not pin the label 2",
        0,
    ),
    (
        "cancel-inf",
        "real-proof-on-refuted-ball",
        lambda b: _ball(2, pr(2, entry(b, 0)["proof"]))(b),
        "do not pin the label 1|Motzkin",
        2,
    ),
    (
        "issue",
        "leaf-output-on-refuted-ball",
        _ball(1, pr(1, [{"leaf": "output"}])),
        "output bounds do not pin the label 2",
        1,
    ),
    (
        "issue",
        "leaf-empty-on-nonempty-region",
        _ball(0, pr(0, [{"split": [0, 0]}, {"leaf": "empty"}, {"leaf": "empty"}])),
        "unjustified leaf 'empty'",
        0,
    ),
    ("issue", "leaf-empty-at-root", _ball(0, pr(0, [{"leaf": "empty"}])), "'empty'", 0),
    (
        "issue",
        "leaf-output-on-empty-region",
        _ball(0, pr(0, [{"split": [0, 0]}, {"leaf": "output"}, {"leaf": "output"}])),
        "contradict the bounds, but the leaf says 'output'",
        0,
    ),
    (
        "issue",
        "leaf-surrogate-on-empty-region",
        _ball(0, pr(0, [{"split": [0, 0]}, {"leaf": "\ud800"}, {"leaf": "output"}])),
        r"the leaf says '\\ud800'",
        0,
    ),
    (
        "issue",
        "affine-leaf-non-constant",
        _ball(
            1,
            pr(
                1,
                [
                    {"split": [0, 1]},
                    {"leaf": "affine", "pattern": [[1, 1]]},
                    {"leaf": "affine", "pattern": [[1, 0]]},
                ],
            ),
        ),
        "the affine piece does not keep the label",
        1,
    ),
    (
        "issue-hand",
        "affine-leaf-unsplit-unstable-unit",
        _ball(1, pr(1, [{"leaf": "affine", "pattern": [[1, 1]]}])),
        r"phase of neuron \(0, 1\) does not follow",
        1,
    ),
    # --- split nodes naming no hidden unit (the network has layers 0 (3 units) and 1 (output))
    *(
        (
            "cancel-inf",
            f"split-not-hidden-unit-{tag}",
            _proof(0, lambda p, s=s: [{"split": s}, *p[1:]]),
            "is not a hidden unit",
            0,
        )
        for tag, s in [
            ("last-layer", [1, 0]),
            ("unit-past-width", [0, 3]),
            ("negative-unit", [0, -1]),
            ("negative-layer", [-1, 0]),
            ("bool-unit", [0, True]),
            ("string-layer", ["0", 0]),
            ("one-number", [0]),
            ("three-numbers", [0, 0, 0]),
            ("string", "0,0"),
            ("null", None),
        ]
    ),
    (
        "cancel-inf",
        "split-not-hidden-unit-huge-int",
        _raw('{"split": [0, 0]}', f'{{"split": [0, {FAR}]}}'),
        r"split <list too large or too deep to show> is not a hidden unit",
        0,
    ),
    # --- activation patterns of affine and linear leaves
    *(
        (
            "cancel-inf",
            f"pattern-{tag}",
            _leaf("linear", _set(["pattern"], pat)),
            "the pattern is not one 0/1 entry per hidden unit",
            0,
        )
        for tag, pat in [
            ("short-row", [[1, 0]]),
            ("long-row", [[1, 0, 1, 1]]),
            ("extra-row", [[1, 0, 1], [1]]),
            ("flat", [1, 0, 1]),
            ("missing", None),
            ("entry-2", [[2, 0, 1]]),
            ("entry-minus-1", [[-1, 0, 1]]),
            ("entry-string", [["1", 0, 1]]),
            ("entry-null", [[None, 0, 1]]),
        ]
    ),
    (
        "cancel-inf",
        "pattern-contradicts-split",
        _leaf("linear", _flip_split_bit),
        r"phase of neuron \(0, 0\) does not follow",
        0,
    ),
    (
        "issue-hand",
        "pattern-contradicts-bounds",
        _leaf("affine", _set(["pattern"], [[0, 1]])),
        r"phase of neuron \(0, 0\) does not follow",
        2,
    ),
    # --- Motzkin multipliers (p = ∞ and 1)
    (
        "cancel-inf",
        "multiplier-negative-split",
        _cert(
            "motzkin",
            lambda b: _neg(_first_split_lambda(b)),
            lambda b: any(nonzero(s[2]) for s in b["splits"]),
        ),
        "negative multiplier",
        0,
    ),
    (
        "cancel-inf",
        "multiplier-negative-out",
        _cert("motzkin", lambda b: b.update(out="-1")),
        "negative multiplier",
        0,
    ),
    (
        "three-inf",
        "multiplier-negative-ball-facet",
        _cert("motzkin", lambda b: b["ball"][0].__setitem__(1, "-1/2"), lambda b: b["ball"]),
        "negative multiplier",
        1,
    ),
    (
        "cancel-inf",
        "multiplier-triple-too-short",
        _cert("motzkin", lambda b: b["splits"][0].pop()),
        r"malformed certificate \(ValueError: not enough values to unpack",
        0,
    ),
    (
        "cancel-inf",
        "multiplier-triple-too-long",
        _cert("motzkin", lambda b: b["splits"][0].append("1")),
        r"malformed certificate \(ValueError: too many values to unpack",
        0,
    ),
    (
        "cancel-inf",
        "multiplier-on-missing-unit",
        _cert("motzkin", lambda b: b["splits"].append([0, 9, "1"])),
        r"multiplier on neuron \(0, 9\), which is not split on this path",
        0,
    ),
    (
        "cancel-inf",
        "multiplier-on-output-unit",
        _cert("motzkin", lambda b: b["splits"].append([1, 0, "1"])),
        "not split on this path",
        0,
    ),
    (
        "cancel-inf",
        "multiplier-not-a-number",
        _cert("motzkin", lambda b: b["splits"][0].__setitem__(2, "lots")),
        "not an exact number: 'lots'",
        0,
    ),
    (
        "cancel-inf",
        "multipliers-zeroed",
        _cert("motzkin", _zero_all),
        "Motzkin multipliers do not certify emptiness",
        0,
    ),
    (
        "cancel-inf",
        "multiplier-perturbed-1e-9",
        _cert("motzkin", lambda b: b.update(out=str(F(b["out"]) + F(1, 10**9)))),
        "Motzkin multipliers do not certify emptiness",
        0,
    ),
    (
        "cancel-1",
        "multiplier-perturbed-1e-9-p1",
        _cert("motzkin", lambda b: b.update(out=str(F(b["out"]) + F(1, 10**9)))),
        "Motzkin multipliers do not certify emptiness",
        0,
    ),
    (
        "cancel-inf",
        "multiplier-huge",
        _cert("motzkin", lambda b: b.update(out=BIG_INT)),
        "a number of 200000 characters",
        0,
    ),
    *(
        (
            fxn,
            f"ball-facet-{tag}",
            _cert("motzkin", lambda b, s=s: b["ball"][0].__setitem__(0, s), lambda b: b["ball"]),
            "bad ball facet",
            1,
        )
        for fxn, tag, s in [
            ("three-inf", "coordinate-past-d", [2, 1]),
            ("three-inf", "negative-coordinate", [-1, 1]),
            ("three-inf", "sign-2", [0, 2]),
            ("three-inf", "sign-0", [0, 0]),
            ("three-inf", "short", [0]),
            ("three-inf", "string", "x0+"),
            ("three-inf", "bool-coordinate", [False, 1]),
            ("three-1", "cross-polytope-too-long", [1, 1, 1]),
            ("three-1", "cross-polytope-zero", [1, 0]),
            ("three-1", "box-facet-at-p1", [5, 1]),
        ]
    ),
    # --- the certificate slots of a linear leaf
    (
        "cancel-inf",
        "side-a-number",
        _side(lambda n, c, k: c.__setitem__(k, 5)),
        "not an emptiness certificate: 5",
        0,
    ),
    (
        "cancel-inf",
        "side-bound-for-equal",
        _side(lambda n, c, k: c.__setitem__(k, "bound")),
        "the bounds do not exclude it",
        0,
    ),
    (
        "cancel-inf",
        "side-empty-object",
        _side(lambda n, c, k: c.__setitem__(k, {})),
        "unknown emptiness certificate None",
        0,
    ),
    (
        "cancel-inf",
        "side-unknown-kind",
        _side(lambda n, c, k: c.__setitem__(k, {"farkas": c[k]["motzkin"]})),
        "unknown emptiness certificate 'farkas'",
        0,
    ),
    (
        "cancel-inf",
        "side-l2-at-p-inf",
        _side(lambda n, c, k: c.__setitem__(k, {"l2": c[k]["motzkin"]})),
        "unknown emptiness certificate 'l2'",
        0,
    ),
    (
        "cancel-inf",
        "side-missing",
        _leaf("linear", _del("below")),
        "emptiness certificate: None",
        0,
    ),
    (
        "three-inf",
        "margins-one-too-many",
        _leaf("linear", lambda n: n["margins"].append(n["margins"][0])),
        r"one side certificate per failure row \(2\)",
        1,
    ),
    (
        "three-inf",
        "margins-one-too-few",
        _leaf("linear", lambda n: n["margins"].pop()),
        "one side certificate per failure row",
        1,
    ),
    (
        "three-inf",
        "margins-as-above-below",
        _leaf("linear", lambda n: n.update(above=n["margins"][0], below=n.pop("margins")[1])),
        "one side certificate per failure row",
        1,
    ),
    (
        "three-inf",
        "margin-bound-unjustified",
        _side(_margin_bound),
        "failure row 0: the bounds do not exclude it",
        1,
    ),
    # --- ℓ2 and S-lemma multipliers (p = 2)
    (
        "three-2",
        "l2-gap-too-small",
        _cert("l2", lambda b: _scale_all(b, F(1, 1000))),
        "ℓ2 multipliers do not keep the polyhedron outside the ball",
        1,
    ),
    ("three-2", "l2-overshoot", _cert("l2", lambda b: _scale_all(b, 1000)), "ℓ2 multipliers", 1),
    ("three-2", "l2-zeroed", _cert("l2", _zero_all), "ℓ2 multipliers", 1),
    ("three-2", "l2-negative", _cert("l2", lambda b: b.update(out="-1/2")), "negative", 1),
    (
        "three-slemma",
        "slemma-nu-zero",
        _cert("slemma", lambda b: b.update(nu="0")),
        "S-lemma multipliers do not certify emptiness",
        1,
    ),
    (
        "three-slemma",
        "slemma-nu-negative",
        _cert("slemma", lambda b: b.update(nu="-1/2")),
        "S-lemma multipliers",
        1,
    ),
    (
        "three-slemma",
        "slemma-nu-missing",
        _cert("slemma", lambda b: b.pop("nu")),
        "S-lemma multipliers",
        1,
    ),
    (
        "three-slemma",
        "slemma-nu-too-small",
        _cert("slemma", lambda b: b.update(nu="1/1000")),
        "S-lemma multipliers",
        1,
    ),
    (
        "three-slemma",
        "slemma-out-zeroed",
        _cert("slemma", lambda b: b.update(out="0")),
        "S-lemma multipliers",
        1,
    ),
]

IDS = [c[1] for c in CASES]
assert len(IDS) == len(set(IDS)), [i for i in IDS if IDS.count(i) > 1]


@pytest.mark.parametrize(
    "name, mutate, match, ball", [pytest.param(c[0], *c[2:], id=c[1]) for c in CASES]
)
def test_forged_bundle_is_rejected_via_cli(fixtures, name, mutate, match, ball, capsys, tmp_path):
    fx = fixtures(name)
    forged = mutate(fx.copy())
    t0 = time.monotonic()
    if ball == "usage":  # not a certificate bundle at all: an input error (exit 3)
        for json_out in (False, True):
            code, _ = run_check(fx, forged, capsys, tmp_path, json_out=json_out)
            assert code == 3
        ball = None
    else:
        ball, status = ball if isinstance(ball, tuple) else (ball, "REJECTED")
        rejects(fx, forged, capsys, tmp_path, match, ball=ball, status=status)
    assert time.monotonic() - t0 < 10  # two CLI runs, each quick however hostile the file
    try:  # the kernel's own answer agrees, on a fresh judge
        v = fx.judge().check_bundle(
            forged if isinstance(forged, (dict, list)) else kernel.load_json(forged)
        )
    except kernel.Rejected as e:
        assert ball is None and re.search(match, str(e)), e
    else:
        assert v.problems or any(st not in ("PROVED", "REFUTED") for _, st, _ in v.balls)
        if ball is not None:
            assert all(st == status for i, st, _ in v.balls if i == ball), v.balls


# ------------------------------------------------------------------------ the open ball
@pytest.mark.parametrize("name", ["cancel-inf", "cancel-1", "cancel-2"])
def test_counterexample_on_the_sphere_is_outside_the_open_ball(fixtures, name, capsys, tmp_path):
    """Ball 2 is (0, 3) with label 1 and radius μ = 3/4 (ε = 3/2, ρ = 1/2) in every norm; f ≡ 2
    fails everywhere, but a point at distance exactly μ is not in the open ball."""
    fx = fixtures(name)
    assert entry(fx.bundle, 2)["verdict"] == "REFUTED"
    b = fx.copy()
    entry(b, 2)["counterexample"] = ["3/4", "3"]
    rejects(fx, b, capsys, tmp_path, "not inside the open ball", ball=2)
    entry(b, 2)["counterexample"] = ["-3/4", "3"]
    rejects(fx, b, capsys, tmp_path, "not inside the open ball", ball=2)
    # a hair inside is a genuine counterexample
    entry(b, 2)["counterexample"] = [str(F(3, 4) - F(1, 10**9)), "3"]
    accepts(fx, b, capsys, tmp_path)


def test_issue_counterexample_on_the_sphere(fixtures, capsys, tmp_path):
    fx = fixtures("issue")  # ball 1 = (3/2, 5/2) around 2; f(3/2) = 3/2 ≠ 2 but |3/2 − 2| = μ
    b = fx.copy()
    entry(b, 1)["counterexample"] = ["3/2"]
    rejects(fx, b, capsys, tmp_path, "inside the open ball", ball=1)
    entry(b, 1)["counterexample"] = ["1.5000000001"]  # an exact decimal just inside
    accepts(fx, b, capsys, tmp_path)


def test_signed_numbers_are_read_exactly(fixtures, capsys, tmp_path):
    """A sign "+" is read as the syntax says ("+7/4" = 7/4): flint refuses it, so it was a
    ValueError (a valid counterexample rejected as malformed; in a dataset or network file, an
    internal error of robustmem check and certify)."""
    fx = fixtures("issue")
    b = fx.copy()
    entry(b, 1)["counterexample"] = ["+7/4"]
    accepts(fx, b, capsys, tmp_path)
    entry(b, 1)["counterexample"] = ["+1.75e+0"]
    accepts(fx, b, capsys, tmp_path)
    assert kernel.number("+2") == 2 and kernel.number("+1/2") == kernel.Q(1, 2)
    data = tmp_path / "plus.csv"
    data.write_text("+0,1\n+2,+2\n100,2\n")
    code, _ = run_check(fx, fx.bundle, capsys, tmp_path, data=data)
    assert code == 0  # the same points: the same dataset hash
    net = tmp_path / "plus.json"
    js = copy.deepcopy(ISSUE_NET)
    js["layers"][0]["weight"][0] = ["+1"]
    js["layers"][0]["bias"] = ["-1", "-2.0e+0"]
    net.write_text(json.dumps(js))
    code, _ = run_check(fx, fx.bundle, capsys, tmp_path, net=net)
    assert code == 0


def test_unreadable_inputs_exit_3(fixtures, capsys, tmp_path):
    fx = fixtures("issue")
    code = main(["check", str(fx.net), str(fx.data), str(tmp_path / "missing.json"), *fx.radius])
    assert code == 3 and "cannot read certificate" in capsys.readouterr().err
    net = tmp_path / "net.json"  # a network the kernel cannot take: a usage error, not a crash
    for bad in (
        "[]",
        '{"format": 5}',
        json.dumps(ISSUE_NET).replace('"input_dim": 1', f'"input_dim": {FAR}'),
    ):
        net.write_text(bad)
        code, _ = run_check(fx, fx.bundle, capsys, tmp_path, net=net)
        assert code == 3
    net.write_text(json.dumps(ISSUE_NET).replace('"robustmem-network/1"', FAR))
    code, _ = run_check(fx, fx.bundle, capsys, tmp_path, net=net)
    assert code == 3


# ------------------------------------------------------------------------ other inputs
def test_bundle_checked_against_another_network_or_dataset(fixtures, capsys, tmp_path):
    fx = fixtures("issue")
    net = tmp_path / "net.json"
    js = copy.deepcopy(ISSUE_NET)
    js["layers"][-1]["bias"] = ["1000000001/1000000000"]
    net.write_text(json.dumps(js))
    rejects(fx, fx.bundle, capsys, tmp_path, "another network", net=net)
    data = tmp_path / "data.csv"
    data.write_text("0,1\n2,2\n100,1\n")  # one label changed
    rejects(fx, fx.bundle, capsys, tmp_path, "another dataset", data=data)
    data.write_text("0,1\n2,2\n")  # a ball dropped
    rejects(fx, fx.bundle, capsys, tmp_path, "another dataset", data=data)


def mismatch(fx, cert, capsys, tmp_path, **kw) -> None:
    """robustmem check with options that disagree with the bundle: a usage error (exit 3,
    one line, issue 16), in text and JSON mode."""
    for json_out in (False, True):
        code, out = run_check(fx, cert, capsys, tmp_path, json_out=json_out, **kw)
        assert code == 3 and out == "", out


@pytest.mark.parametrize("p", ["1", "2", "7"])
def test_bundle_checked_with_another_norm(fixtures, p, capsys, tmp_path):
    fx = fixtures("issue")  # made for p = inf
    mismatch(fx, fx.bundle, capsys, tmp_path, p=p)
    judge = kernel.Judge(fx.net.read_text(), fx.data.read_text(), int(p), rho="1/2")
    with pytest.raises(kernel.Rejected, match="the bundle is for p = 'inf'"):
        judge.check_bundle(fx.copy())  # the kernel itself never takes it for another norm


def test_bundle_for_a_smaller_radius(fixtures, capsys, tmp_path):
    """A bundle made at ρ = 1/2 proves nothing at ρ = 9/10, where ball 1 (class 3 at the
    origin) is refuted: asking for 9/10 is a usage error (the bundle is for 1/2), a bundle
    whose "rho" field was raised to 9/10 is checked at 9/10 and rejected, and the kernel
    judges the radius it is given (its "epsilon_power" field is never read)."""
    fx = fixtures("three-inf")
    mismatch(fx, fx.bundle, capsys, tmp_path, radius=("--rho", "9/10"))
    b = fx.copy()
    b.update(rho="9/10", epsilon_power="1/1000")
    rejects(fx, b, capsys, tmp_path, "do not certify", ball=1, radius=())
    rejects(fx, b, capsys, tmp_path, "do not certify", ball=1, radius=("--rho", "9/10"))
    judge = kernel.Judge(fx.net.read_text(), fx.data.read_text(), fx.pn, rho="9/10")
    v = judge.check_bundle(fx.copy())
    assert [st for i, st, _ in v.balls if i == 1] == ["REJECTED"]
    b = fx.copy()
    b.update(epsilon_power="1/1000")
    accepts(fx, b, capsys, tmp_path)  # and at the bundle's radius the field changes nothing


def test_refuted_classifier_entries(fixtures, capsys, tmp_path):
    fx = fixtures("three-refuted")
    (i,) = [e["index"] for e in fx.bundle["balls"] if e["verdict"] == "REFUTED"]
    b = fx.copy()
    entry(b, i)["counterexample"] = [str(v) for v in DATA["three"].splitlines()[i].split(",")[:2]]
    rejects(fx, b, capsys, tmp_path, "property holds", ball=i)  # the centre keeps its class
    entry(b, i)["counterexample"] = ["9/10", "9/10"]  # the corner: on the sphere
    rejects(fx, b, capsys, tmp_path, "inside the open ball", ball=i)
    entry(b, i)["counterexample"] = ["1/2", "1/2"]  # a tie fails the argmax property
    accepts(fx, b, capsys, tmp_path)


def test_unknown_entries_are_not_certified(fixtures, capsys, tmp_path):
    fx = fixtures("issue")
    b = fx.copy()
    b["balls"] = [{"index": e["index"], "verdict": "UNKNOWN"} for e in b["balls"]]
    res = rejects(fx, b, capsys, tmp_path, "no certificate", ball=0, status="UNKNOWN")
    assert res["verdict"] == "UNKNOWN" and res["counts"]["UNKNOWN"] == 3


def test_multiplier_on_an_unsplit_neuron(fixtures):
    """check_empty_side directly: a real Motzkin certificate with a nonzero multiplier on a
    hidden unit, checked on the same region but with that unit's split removed."""
    fx = fixtures("cancel-inf")
    judge = fx.judge()
    i, n = next((i, n) for i, n in leaves(fx.bundle, "linear"))
    proof = entry(fx.bundle, i)["proof"]
    fixed = path_to(proof, proof.index(n))
    ball = judge.ball(i, exact_eps=False)
    goal, strict = kernel.goal_layers(judge.layers, ball.y)
    forms = kernel.affine_forms(goal, n["pattern"])
    A, beta = forms[-1]
    kernel.check_empty_side(n["above"], forms, fixed, ball, (A[0], beta[0]), strict)
    (k, u, _) = _first_split_lambda(n["above"]["motzkin"])
    del fixed[(k, u)]
    with pytest.raises(kernel.Rejected, match=rf"neuron \({k}, {u}\), which is not split"):
        kernel.check_empty_side(n["above"], forms, fixed, ball, (A[0], beta[0]), strict)


def path_to(proof: list, target: int) -> dict:
    """The split phases on the path from the root to node ``target`` of a preorder proof."""
    out: dict = {}

    def rec(pos: int, fixed: dict) -> int:  # returns the position after the subtree at pos
        if pos == target:
            out.update(fixed)
        node = proof[pos]
        if "split" not in node:
            return pos + 1
        key = tuple(node["split"])
        end = rec(pos + 1, {**fixed, key: True})
        return rec(end, {**fixed, key: False})

    rec(0, {})
    return out


def test_reused_judge_keeps_no_witness_of_another_bundle(fixtures):
    """A Judge checking several bundles: each bundle's witness sets its own radius (the
    radius of a far witness cached by an earlier bundle made the honest bundle fail, and an
    honest bundle's radius made a later far-witness bundle pass)."""
    fx = fixtures("issue")
    far = fx.copy()
    far["witness"] = [0, 2]
    judge = fx.judge()
    assert judge.check_bundle(far).verdict == "REJECTED"
    assert judge.check_bundle(fx.copy()).verdict == "REFUTED"  # all checked
    judge = fx.judge()
    assert judge.check_bundle(fx.copy()).verdict == "REFUTED"
    v = judge.check_bundle(far)
    assert v.verdict == "REJECTED" and v.balls[0][2] == "output bounds do not pin the label 1"


# ------------------------------------------------------------------------ deep proofs
def test_deep_repeated_splits_5000(fixtures, capsys, tmp_path):
    fx = fixtures("issue")  # two hidden units: a chain 5,000 deep must repeat a split
    b = fx.copy()
    chain = [{"split": [0, i % 2]} for i in range(5000)]
    entry(b, 0)["proof"] = chain + [{"leaf": "output"}] * 5001
    t0 = time.monotonic()
    rejects(fx, b, capsys, tmp_path, r"split \[0, 0\] repeats a split on its path", ball=0)
    assert time.monotonic() - t0 < 5


def test_deep_valid_proof_is_accepted_and_its_forgeries_rejected(fixtures, capsys, tmp_path):
    fx = fixtures("deep")  # DEEP_H splits deep, DEEP_H + 1 leaves (positive control above)
    assert sum("split" in n for _, n in nodes(fx.bundle)) == DEEP_H
    b = fx.copy()
    proof = entry(b, 0)["proof"]
    proof[2 * (DEEP_H // 2) + 1] = {"leaf": "output"}  # an active side in the middle
    rejects(fx, b, capsys, tmp_path, "contradict the bounds, but the leaf says 'output'", ball=0)
    b = fx.copy()
    entry(b, 0)["proof"] = entry(b, 0)["proof"][:-1]
    rejects(fx, b, capsys, tmp_path, "ends before", ball=0, text=False)


@pytest.mark.slow
def test_deep_valid_proof_5000_splits(tmp_path):
    h = 5000
    net, data = deep_net(h), "0,1\n"
    judge = kernel.Judge(net, data, None, mu="1/2")
    b = {
        "format": kernel.FORMAT,
        "network_sha256": judge.network_sha256,
        "dataset_sha256": judge.dataset_sha256,
        "p": "inf",
        "balls": [pr(0, deep_proof(h))],
    }
    v = kernel.check_bundle_text(net, data, json.dumps(b), None, mu="1/2")
    assert v.verdict == "PROVED" and v.balls[0][2] == f"proof checked ({h + 1} leaves)"


def test_deep_100000_splits(fixtures, capsys, tmp_path):
    """Proofs 100,000 splits deep on a network with 100,000 hidden units: each rejected
    cleanly in seconds (the walk uses no recursion; the first leaf checked is the deepest)."""
    fx = fixtures("big")
    chain = [{"split": [0, i]} for i in range(BIG_H)]
    b = fx.copy()
    entry(b, 0)["proof"] = chain  # truncated: no leaf at all
    t0 = time.monotonic()
    rejects(fx, b, capsys, tmp_path, "the proof ends before its tree does", ball=0, text=False)
    judge = fx.judge()
    assert judge.check_bundle(fx.copy()).verdict == "PROVED"  # the positive control
    b = fx.copy()  # the deepest leaf claims "output" on a region its splits make empty
    entry(b, 0)["proof"] = [*chain, *[{"leaf": "output"}] * (BIG_H + 1)]
    v = judge.check_bundle(b)
    assert v.balls[0][1] == "REJECTED" and "the leaf says 'output'" in v.balls[0][2]
    b = fx.copy()  # a chain of 100,000 splits on one unit: the second one repeats
    entry(b, 0)["proof"] = [{"split": [0, 7]}] * BIG_H + [{"leaf": "output"}] * (BIG_H + 1)
    v = judge.check_bundle(b)
    assert v.balls[0][1] == "REJECTED" and "repeats a split" in v.balls[0][2]
    assert time.monotonic() - t0 < 30


# ------------------------------------------------------------------------ hostile sizes
@pytest.mark.parametrize(
    "cex",
    [BIG_INT, "1e999999", "1e-999999", "9" * 99_999, "1/" + "3" * 99_997],
    ids=["200000-digits", "exp-999999", "exp-minus-999999", "99999-digits", "99999-char-fraction"],
)
def test_huge_numbers_are_rejected_quickly(fixtures, cex, capsys, tmp_path):
    fx = fixtures("issue")
    b = fx.copy()
    entry(b, 1)["counterexample"] = [cex]
    t0 = time.monotonic()
    rejects(fx, b, capsys, tmp_path, "characters|exponent|inside the open ball|holds", ball=1)
    assert time.monotonic() - t0 < 5
