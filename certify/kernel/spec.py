"""VNN-LIB properties: the kernel reads them itself, and judges their certificates.

A property (the VNN-COMP subset of SMT-LIB) declares inputs X_0..X_{d-1} and outputs
Y_0..Y_{C-1} (``(declare-const X_0 Real)``) and asserts an input BOX (every X_i gets a lower and
an upper bound, ``(assert (<= X_0 0.5))``) and an UNSAFE output set: the conjunction of the
other asserts, each a linear comparison ``(<= s t)`` / ``(>= s t)`` of terms over the Y (numbers,
variables, ``+``, ``-``, ``*`` by a number), or an ``and`` / ``or`` of them. The unsafe set is
kept as a disjunction of conjunctions (DNF) of closed constraints g(Y) ≥ 0.
The property HOLDS (PROVED) when no x in the closed box has f(x) in the unsafe set; it FAILS
(REFUTED) at an x in the box where every constraint of some conjunction holds.

A bundle (format "robustmem-vnnlib/1") names the network by its sha256 and has one entry per
property, in order, each naming its property by the sha256 of its UTF-8 text:
  {"property_sha256": h, "verdict": "UNKNOWN"}
  {"property_sha256": h, "verdict": "REFUTED", "counterexample": [x...]}
  {"property_sha256": h, "verdict": "PROVED", "proof": [node...], "bits": b, "deep": t}
The proof is walked by :func:`certify.kernel.judge.walk` with input cuts allowed: besides neuron
splits, a node {"cut": [j, v]} splits the current box at x_j = v (lo_j < v < hi_j), its "low"
subtree (x_j ≤ v) first, then its "high" one (x_j ≥ v). Leaves: {"leaf": "empty"} (the bounds
contradict a split), {"leaf": "output"}: the recomputed bounds show, for every conjunction,
one constraint with g < 0 everywhere on the leaf's region, and {"leaf": "linear", "pattern": P,
"groups": [...]}: every phase of P is a split on the path or follows from the recomputed
bounds, so on the region each h_m is the exact affine function of the pattern's piece; per
conjunction "bound" (as for "output") or Motzkin multipliers
{"motzkin": {"splits": [[k, i, λ]...], "out": [[m, λ]...], "box": [[j, ±1, λ]...]}} over
closed rows r(x) ≥ 0 of the region (split sides, the conjunction's h_m, the box's facets
x_j − lo_j and hi_j − x_j) whose combination Σ λ·r has gradient 0 and a constant < 0: no x
of the region meets the conjunction. The entry's "deep" (back-substituted unit bounds) holds
for every leaf unless the leaf gives its own "deep": true/false.
"""

from __future__ import annotations

import hashlib
import re

from certify.kernel.judge import (
    MALFORMED,
    Verdict,
    _why,
    box_rows,
    check_pattern,
    leaf_depth,
    proof_arithmetic,
    walk,
)
from certify.kernel.parse import load_json, number, parse_network, shown
from certify.kernel.rules import (
    Box,
    Layer,
    M,
    Q,
    Rejected,
    affine_forms,
    bounds,
    evaluate,
    output_uppers,
    rows,
)

FORMAT = "robustmem-vnnlib/1"
MAX_DEPTH = 64  # nesting of one property's expressions
MAX_ATOMS = 100_000  # constraints in the unsafe set's DNF
_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_VAR = re.compile(r"([XY])_(0|[1-9][0-9]{0,6})")


class Spec:
    """A parsed property: the box (lo, hi), the unsafe set as conjunctions of rows (a, c)
    meaning a·Y + c ≥ 0, and the sha256 of the text."""

    def __init__(self, lo, hi, groups, n_out, sha256):
        self.lo, self.hi, self.groups, self.n_out, self.sha256 = lo, hi, groups, n_out, sha256


def _tree(text: str) -> list:
    """The s-expressions of the text (comments ";" to the end of a line) as nested lists."""
    text = "\n".join(line.split(";", 1)[0] for line in text.splitlines())
    top: list = []
    stack = [top]
    for tok in _TOKEN.findall(text):
        if tok == "(":
            if len(stack) > MAX_DEPTH:
                raise Rejected(f"expressions nested deeper than {MAX_DEPTH}")
            stack[-1].append([])
            stack.append(stack[-1][-1])
        elif tok == ")":
            if len(stack) == 1:
                raise Rejected("a ')' without its '('")
            stack.pop()
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise Rejected("a '(' without its ')'")
    return top


def _linear(e, names: dict) -> tuple[dict, Q]:
    """A term as ({variable: coefficient}, constant)."""
    if isinstance(e, str):
        if e in names:
            return {e: Q(1)}, Q(0)
        if _VAR.fullmatch(e):
            raise Rejected(f"{e} is not declared")
        return {}, number(e)
    if not e or not isinstance(e[0], str) or e[0] not in ("+", "-", "*") or len(e) < 2:
        raise Rejected(f"not a linear term: {shown(e)}")
    parts = [_linear(t, names) for t in e[1:]]
    if e[0] == "*":  # a product with at most one factor that has variables
        var, k = ({}, Q(1)), Q(1)
        for v, c in parts:
            if v and var[0]:
                raise Rejected(f"a product of two variables: {shown(e)}")
            var, k = ((v, c), k) if v else (var, k * c)
        return {x: w * k for x, w in var[0].items()}, var[1] * k if var[0] else k
    if e[0] == "-":  # (- a) is −a; (- a b c) is a − b − c
        parts = [
            ({x: -w for x, w in v.items()}, -c) if n or len(parts) == 1 else (v, c)
            for n, (v, c) in enumerate(parts)
        ]
    out, const = {}, Q(0)
    for v, c in parts:
        for x, w in v.items():
            out[x] = out.get(x, Q(0)) + w
        const += c
    return {k: w for k, w in out.items() if w}, const


def _atom(e, names: dict) -> tuple[dict, Q]:
    """A comparison (<= s t) / (>= s t) as (coefficients, constant): the constraint
    coefficients·v + constant ≥ 0."""
    if not (isinstance(e, list) and len(e) == 3 and e[0] in ("<=", ">=")):
        raise Rejected(f"not a comparison (<= s t) or (>= s t): {shown(e)}")
    (va, ca), (vb, cb) = _linear(e[1], names), _linear(e[2], names)
    if e[0] == "<=":  # t − s ≥ 0
        (va, ca), (vb, cb) = (vb, cb), (va, ca)
    out = dict(va)
    for k, w in vb.items():
        out[k] = out.get(k, Q(0)) - w
    return {k: w for k, w in out.items() if w}, ca - cb


def _dnf(e, names: dict) -> list:
    """An assertion as a list of conjunctions of atoms."""
    if isinstance(e, list) and e and e[0] in ("and", "or"):
        parts = [_dnf(t, names) for t in e[1:]]
        if e[0] == "or":
            return [c for p in parts for c in p]
        out = [[]]
        for p in parts:
            out = [a + b for a in out for b in p]
            if sum(map(len, out)) > MAX_ATOMS:
                raise Rejected(f"the unsafe set has more than {MAX_ATOMS} constraints")
        return out
    return [[_atom(e, names)]]


def parse_spec(text) -> Spec:
    """A VNN-LIB property (str or UTF-8 bytes) → :class:`Spec`; Rejected if it is not of the
    form above."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Rejected(f"not UTF-8 text: {e}") from None
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    names: dict = {}
    asserts = []
    for cmd in _tree(text):
        if not isinstance(cmd, list) or not cmd:
            raise Rejected(f"not a command: {shown(cmd)}")
        if cmd[0] == "declare-const":
            m = _VAR.fullmatch(cmd[1]) if len(cmd) == 3 and isinstance(cmd[1], str) else None
            if m is None or cmd[2] != "Real" or cmd[1] in names:
                raise Rejected(f"declare X_i or Y_j once, as Real: {shown(cmd)}")
            names[cmd[1]] = (m.group(1), int(m.group(2)))
        elif cmd[0] == "assert" and len(cmd) == 2:
            asserts.append(cmd[1])
        else:
            raise Rejected(f"only declare-const and assert are read: {shown(cmd)}")
    d = sum(1 for k, _ in names.values() if k == "X")
    n_out = len(names) - d
    if {v for v in names.values()} != {("X", i) for i in range(d)} | {
        ("Y", j) for j in range(n_out)
    }:
        raise Rejected("the inputs must be X_0..X_{d-1} and the outputs Y_0..Y_{C-1}")
    if not d or not n_out:
        raise Rejected("a property declares inputs X_i and outputs Y_j")
    lo: list = [None] * d
    hi: list = [None] * d
    conj = [[]]
    for e in asserts:
        dnf = _dnf(e, names)
        kinds = {names[v][0] for c in dnf for a, _ in c for v in a}
        if kinds == {"X"}:  # an input bound: one conjunction of a·X_i + c ≥ 0
            if len(dnf) != 1:
                raise Rejected(f"an input constraint must be a bound, not a disjunction: {e!s:.60}")
            for a, c in dnf[0]:
                if len(a) != 1:
                    raise Rejected("input constraints must bound one X_i each (a box)")
                ((v, w),) = a.items()
                i, t = names[v][1], -c / w
                if w > 0:  # X_i ≥ t
                    lo[i] = t if lo[i] is None else max(lo[i], t)
                else:
                    hi[i] = t if hi[i] is None else min(hi[i], t)
        elif kinds == {"Y"} or not kinds:
            conj = [a + b for a in conj for b in dnf]
            if sum(map(len, conj)) > MAX_ATOMS:
                raise Rejected(f"the unsafe set has more than {MAX_ATOMS} constraints")
        else:
            raise Rejected("an assertion mixes inputs X and outputs Y")
    if any(v is None for v in lo + hi):
        raise Rejected(
            f"X_{next(i for i in range(d) if lo[i] is None or hi[i] is None)} needs a lower "
            "and an upper bound"
        )
    if any(a > b for a, b in zip(lo, hi)):
        raise Rejected("the input box is empty (a lower bound above an upper bound)")
    groups = []
    for c in conj:  # drop true constant atoms; a false one empties its conjunction
        rows = [([a.get(f"Y_{j}", Q(0)) for j in range(n_out)], b) for a, b in c]
        if all(any(r) or b >= 0 for r, b in rows):
            groups.append([(r, b) for r, b in rows if any(r)])
    return Spec(lo, hi, groups, n_out, sha)


def spec_layers(layers, spec: Spec) -> tuple[list, list]:
    """The network with its last layer replaced by one row h = g(f(x)) per constraint, and the
    conjunctions as lists of row indices: the property fails at x iff for some conjunction
    every one of its rows has h(x) ≥ 0."""
    L = layers[-1]
    if L.M.nrows() != spec.n_out:
        raise Rejected(f"the network has {L.M.nrows()} outputs, the property {spec.n_out}")
    coef, const, groups = [], [], []
    for g in spec.groups:
        groups.append(list(range(len(coef), len(coef) + len(g))))
        coef += [a for a, _ in g]
        const += [c for _, c in g]
    if not coef:  # no row to bound: the unsafe set is empty ([]) or everything ([[], ...])
        return list(layers), groups
    A = M(len(coef), spec.n_out, [v for r in coef for v in r])
    bias = [v + c for v, c in zip((A * L.bm).entries(), const)]
    return [*layers[:-1], Layer(rows(A * L.M), bias)], groups


def fails_at(goal, groups, x) -> bool:
    """The property fails at x: every row of some conjunction is ≥ 0 (exact evaluation)."""
    h = evaluate(goal, x)
    return any(all(h[m] >= 0 for m in g) for g in groups)


def check_spec_leaf(goal, groups, box: Box, node, fixed: dict) -> None:
    """One leaf on R = box ∩ splits: "empty" (the bounds contradict a split), "output"
    (every conjunction has a row whose upper bound is < 0 on R) or "linear" (the pattern's
    affine piece, and per conjunction "bound" or Motzkin multipliers: :func:`check_box_empty`)."""
    if not isinstance(node, dict):
        raise Rejected(f"a proof node must be an object, not {shown(node)}")
    leaf = node.get("leaf")
    box = leaf_depth(box, node)
    b = bounds(goal, box, fixed)
    if leaf == "empty" and b is None:
        return
    if b is None:
        raise Rejected(
            f"splits {shown(sorted(fixed), 80)} contradict the bounds, "
            f"but the leaf says {shown(leaf)}"
        )
    up = output_uppers(goal, box, fixed, *b, False)
    if leaf == "output":
        for t, g in enumerate(groups):
            if not any(up[m] < 0 for m in g):
                raise Rejected(f"output bounds do not exclude conjunction {t} of the unsafe set")
        return
    if leaf != "linear":
        raise Rejected(f"unknown or unjustified leaf {shown(leaf)}")
    check_pattern(goal, box, fixed, node.get("pattern"), *b)
    forms = affine_forms(goal, node["pattern"])
    certs = node.get("groups")
    if not isinstance(certs, list) or len(certs) != len(groups):
        raise Rejected(f"a linear leaf needs one certificate per conjunction ({len(groups)})")
    for t, (g, cert) in enumerate(zip(groups, certs)):
        if cert == "bound":
            if not any(up[m] < 0 for m in g):
                raise Rejected(f"conjunction {t}: the bounds do not exclude it")
        else:
            check_box_empty(cert, forms, fixed, box, g)


def check_box_empty(cert, forms, fixed: dict, box: Box, g: list) -> None:
    """Motzkin multipliers show that no x of the region (box ∩ split sides) has h_m(x) ≥ 0
    for every m of the conjunction ``g``: λ ≥ 0 on closed rows r ≥ 0 of that set, Σ λ·r with
    gradient 0 and a constant < 0."""
    body = cert.get("motzkin") if isinstance(cert, dict) and set(cert) == {"motzkin"} else None
    if not isinstance(body, dict):
        raise Rejected(f"not a Motzkin certificate: {shown(cert)}")
    d = len(box.lo)
    rows_ = []  # (coefficients, constant, λ)
    for k, i, lam in body.get("splits", []):
        if (k, i) not in fixed:
            raise Rejected(f"multiplier on neuron {shown((k, i))}, which is not split on this path")
        s = 1 if fixed[(k, i)] else -1
        P, p = forms[k]
        rows_.append(([s * v for v in P[i]], s * p[i], number(lam)))
    A, beta = forms[-1]
    for m, lam in body.get("out", []):
        if type(m) is not int or m not in g:
            raise Rejected(f"multiplier on row {shown(m)}, which is not in the conjunction")
        rows_.append((A[m], beta[m], number(lam)))
    rows_ += box_rows(box, body.get("box", []))
    if any(lam < 0 for _, _, lam in rows_):
        raise Rejected("negative multiplier")
    grad = [sum((lam * a[j] for a, _, lam in rows_), Q(0)) for j in range(d)]
    const = sum((lam * c for _, c, lam in rows_), Q(0))
    if any(grad) or const >= 0:
        raise Rejected("Motzkin multipliers do not certify emptiness")


class SpecJudge:
    """The kernel for one network text and a list of property texts."""

    def __init__(self, net_text, prop_texts):
        self.layers, self.network_sha256 = parse_network(net_text)
        self.specs = []
        for k, t in enumerate(prop_texts):
            try:
                s = parse_spec(t)
            except Rejected as e:
                raise Rejected(f"property {k + 1}: {e}") from None
            if len(s.lo) != self.layers[0].M.ncols():
                raise Rejected(
                    f"property {k + 1} has {len(s.lo)} inputs, the network "
                    f"{self.layers[0].M.ncols()}"
                )
            self.specs.append((s, *spec_layers(self.layers, s)))

    def check_entry(self, k: int, entry, tick=None) -> tuple:
        """(k, status, reason) for property k's entry; ``tick``: the caller's deadline hook
        for the proof's bound computations (what it raises propagates: no verdict)."""
        spec, goal, groups = self.specs[k]
        try:
            if not isinstance(entry, dict) or entry.get("property_sha256") != spec.sha256:
                raise Rejected("the entry is for another property")
            v = entry.get("verdict")
            if v == "UNKNOWN":
                return k, "UNKNOWN", "no certificate"
            if v == "REFUTED":
                x = entry.get("counterexample")
                if not isinstance(x, list) or len(x) != len(spec.lo):
                    raise Rejected(f"the counterexample must have {len(spec.lo)} numbers")
                x = [number(t) for t in x]
                if not Box(spec.lo, spec.hi).contains(x):
                    raise Rejected("the counterexample is not inside the input box")
                if not fails_at(goal, groups, x):
                    raise Rejected("the property holds at the counterexample")
                return k, "REFUTED", "counterexample checked"
            if v == "PROVED":
                bits, deep = proof_arithmetic(entry)
                box = Box(spec.lo, spec.hi, bits, deep, tick)
                n = walk(
                    entry.get("proof"),
                    goal,
                    box,
                    lambda region, node, fixed: check_spec_leaf(goal, groups, region, node, fixed),
                    cuts=True,
                )
                return k, "PROVED", f"proof checked ({n} leaves)"
            raise Rejected(f"unknown verdict {shown(v, 20)}")
        except Rejected as e:
            return k, "REJECTED", str(e)
        except MALFORMED as e:
            return k, "REJECTED", f"malformed certificate ({type(e).__name__}: {_why(e)})"

    def check_bundle(self, bundle) -> Verdict:
        if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
            raise Rejected(f"not a {FORMAT} bundle (re-run robustmem certify --vnnlib --cert)")
        if bundle.get("network_sha256") != self.network_sha256:
            raise Rejected("the bundle is for another network")
        entries = bundle.get("properties")
        if not isinstance(entries, list):
            raise Rejected('the bundle has no "properties" list')
        out = Verdict([self.check_entry(k, e) for k, e in enumerate(entries[: len(self.specs)])])
        if len(entries) != len(self.specs):
            out.problems.append(
                f"{len(entries)} entries for {len(self.specs)} properties (one each, in order)"
            )
        return out


def check_spec_bundle_text(net_text, prop_texts, bundle_text) -> Verdict:
    """The kernel's verdict on a VNN-LIB bundle from the texts."""
    return SpecJudge(net_text, prop_texts).check_bundle(load_json(bundle_text))
