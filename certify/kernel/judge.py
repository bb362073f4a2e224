"""The judge: the kernel's verdict on a certificate bundle, ball by ball.

A bundle (format "robustmem-certificate/2") names the network and the dataset by the sha256
that :mod:`certify.kernel.parse` computes from their text, and holds exactly one entry per
ball, indices 0..N−1:
  {"index": i, "verdict": "UNKNOWN"}                       no claim;
  {"index": i, "verdict": "REFUTED", "counterexample": [x...]}: x is in the open ball of the
      radius the user asks for (ρ·ε with ε computed here exactly from the dataset, or μ) and
      the property fails at x (evaluated here);
  {"index": i, "verdict": "PROVED", "proof": [node...]}: a case split over neuron phases
      written in preorder (a split node is followed by its active, then its inactive
      subtree), walked with an explicit stack. A split node is {"split": [k, i]} (pre-
      activation z_ki ≥ 0 / ≤ 0); a leaf is checked on the region R = open ball ∩ the splits
      on its path (leaf kinds: see :func:`check_leaf`). For p = ∞ a node {"cut": [j, v]}
      splits the input: its "low" subtree (x_j ≤ v), then its "high" one, on the halves of
      the ball's closed box c ± μ (a proof on the closure holds on the ball). A leaf may
      give its own "deep": true/false. For PROVED, an optional bundle
      "witness" pair [i, j] of different labels gives ε_w = ‖x_i − x_j‖/2 ≥ ε: proving the
      larger ball is sound, and it saves the O(N²d) search for ε. An optional "bits" (an
      integer 16..4096) makes every bound of the proof outward-rounded to dyadics of that many
      bits (sound, and the numbers stop growing); absent, the bounds are exact. An optional
      "deep": true also tightens every unit left unstable by back-substitution through the
      earlier layers' relaxations (DeepPoly-style; the same rules, only tighter bounds).
Property: one output ("equal"): f = y on the ball; C ≥ 2 outputs ("argmax", output index
y − 1 is class y): f_y > f_j for every j ≠ y, a tie failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from certify.kernel.parse import load_json, number, parse_dataset, parse_network, shown
from certify.kernel.rules import (
    Ball,
    Box,
    Q,
    Rejected,
    affine_forms,
    bounds,
    dot,
    evaluate,
    exact,
    exact_layers,
    goal_layers,
    output_uppers,
    phase,
    relaxation,
    root_up,
    safe,
)

FORMAT = "robustmem-certificate/2"
MAX_P = 1000  # the largest finite p the kernel takes (p = inf covers the rest)
BITS = (16, 4096)  # a proof's "bits" (outward dyadic rounding of its bounds), when given
STATUSES = ("PROVED", "REFUTED", "UNKNOWN", "REJECTED")
# what a malformed certificate can raise while it is read; each becomes a rejection
MALFORMED = (
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    AttributeError,
    ZeroDivisionError,
    RecursionError,
    OverflowError,
)


def _why(e: Exception) -> str:
    """An exception's message, short and printable, for a malformed-certificate reason."""
    try:
        s = str(e)
    except ValueError:  # e.g. a KeyError holding an integer of 5,000 digits
        s = "?"
    return s[:80].encode("ascii", "backslashreplace").decode("ascii")


def check_pattern(layers, ball, fixed, pattern, lows, ups):
    if not isinstance(pattern, list) or [
        len(r) if isinstance(r, list) and all(v in (0, 1) for v in r) else None for r in pattern
    ] != [len(L.W) for L in layers[:-1]]:
        raise Rejected("the pattern is not one 0/1 entry per hidden unit")
    for k, row in enumerate(pattern):
        for i, on in enumerate(row):
            if phase(layers[k].step[i], fixed.get((k, i)), lows[k][i], ups[k][i]) is not bool(on):
                raise Rejected(f"phase of neuron {(k, i)} does not follow on the leaf's region")


def box_rows(box: Box, items) -> list:
    """Multiplied facets [[j, s, λ]...] of a box as rows (a, constant, λ), a·x + constant ≥ 0:
    x_j − lo_j (s = 1) or hi_j − x_j (s = −1)."""
    out = []
    for j, s, lam in items:
        if type(j) is not int or j < 0 or type(s) is not int or s not in (1, -1):
            raise Rejected(f"bad box facet {shown([j, s])}")
        a = [Q(0)] * len(box.lo)  # (j ≥ d: an IndexError, a malformed certificate)
        a[j] = Q(s)
        out.append((a, -box.lo[j] if s == 1 else box.hi[j], number(lam)))
    return out


def leaf_depth(region, node):
    """The region as the leaf asks for it: a leaf's own "deep" (true/false; back-substitution
    costs ~10×) overrides the proof's."""
    deep = node.get("deep", region.deep)
    if deep is not True and deep is not False:
        raise Rejected("a leaf's deep must be true, false or absent")
    return region if deep is region.deep else region.at_depth(deep)


def check_empty_side(cert, forms, fixed, ball: Ball, g, strict: bool = True):
    """No x in the region has g(x) > 0 (g(x) ≥ 0 if not ``strict``); g = (coefficients,
    constant), a failure row. The region is a ball, or for p = ∞ a box (after input cuts)."""
    d = len(ball.c)
    rows = []  # (coefficients, constant, strict, λ): constraint coefficients·x + constant ≥/> 0
    if not isinstance(cert, dict):
        raise Rejected(f"not an emptiness certificate: {shown(cert)}")
    kind = next(iter(cert), None)
    body = cert.get(kind) or {}
    for k, i, lam in body.get("splits", []):
        if (k, i) not in fixed:
            raise Rejected(f"multiplier on neuron {shown((k, i))}, which is not split on this path")
        s = 1 if fixed[(k, i)] else -1
        P, p = forms[k]
        rows.append(([s * v for v in P[i]], s * p[i], False, number(lam)))
    rows.append((g[0], g[1], strict, number(body.get("out", 0))))
    if any(r[3] < 0 for r in rows):
        raise Rejected("negative multiplier")
    if kind == "motzkin" and "box" in body:  # closed facets of the ℓ∞ region's box
        rows += [(a, c, False, lam) for a, c, lam in box_rows(ball.box(), body["box"])]
    if isinstance(ball, Box) and (kind != "motzkin" or body.get("ball")):
        raise Rejected("a box region takes Motzkin multipliers on its box facets only")
    if kind == "motzkin":
        # facets of a polytope containing the ball: the box |x_j − c_j| < r (r = μ for ∞,
        # r ≥ μ rounded up for p ≥ 2), or for p = 1 the cross-polytope facets
        facets = body.get("ball", [])
        box = None
        if facets:
            box = ball.rp if ball.p is None else root_up(ball.rp, ball.p) if ball.p > 1 else None
        for s, lam in facets:
            if (
                box is not None
                and isinstance(s, list)
                and len(s) == 2
                and type(s[0]) is int
                and 0 <= s[0] < d
                and s[1] in (1, -1)
            ):  # r − ±(x_j − c_j) > 0
                j, sg = s
                a = [Q(0)] * d
                a[j] = Q(-sg)
                r = box
            elif ball.p == 1 and len(s) == d and all(v in (1, -1) for v in s):
                a, r = [Q(-v) for v in s], ball.rp  # μ − Σ s_j (x_j − c_j) > 0
            else:
                raise Rejected(f"bad ball facet {shown(s)}")
            rows.append((a, r - dot(a, ball.c), True, number(lam)))
        if any(r[3] < 0 for r in rows):
            raise Rejected("negative multiplier")
        grad = [sum((r[3] * r[0][j] for r in rows), Q(0)) for j in range(d)]
        const = sum((r[3] * r[1] for r in rows), Q(0))
        strict = any(r[2] and r[3] > 0 for r in rows)
        if any(grad) or const > 0 or (const == 0 and not strict):
            raise Rejected("Motzkin multipliers do not certify emptiness")
    elif kind == "l2" and ball.p == 2:  # polyhedron A x ≤ b with A = −coefficients, b = constant
        ATl = [sum((-r[3] * r[0][j] for r in rows), Q(0)) for j in range(d)]
        gap = sum((r[3] * (-dot(r[0], ball.c) - r[1]) for r in rows), Q(0))
        if 2 * gap - dot(ATl, ATl) < ball.rp:
            raise Rejected("ℓ2 multipliers do not keep the polyhedron outside the ball")
    elif kind == "slemma" and ball.p == 2:  # φ = Σλ g + ν(μ² − ‖x − c‖²) ≤ 0 everywhere
        nu = number(body.get("nu", 0))
        v = [sum((r[3] * r[0][j] for r in rows), Q(0)) for j in range(d)]
        kappa = sum((r[3] * r[1] for r in rows), Q(0)) + nu * ball.rp
        if nu <= 0 or 4 * nu * (dot(v, ball.c) + kappa) + dot(v, v) > 0:
            raise Rejected("S-lemma multipliers do not certify emptiness")
    else:
        raise Rejected(f"unknown emptiness certificate {shown(kind)}")


LP_KINDS = ("lo", "up", "ge", "pos", "cap", "split")


def pre_activation(goal, k: int, i: int) -> tuple:
    """z_ki = W_k[i]·a_{k−1} + b_k[i] over the variables: input j is the key j, the output of
    unit i of hidden layer k the key (k, i) (a_{−1} = x): ({key: coef}, const)."""
    L = goal[k]
    return {(j if k == 0 else (k - 1, j)): L.W[i][j] for j, _ in L.nzZ[i]}, L.b[i]


def lp_rows(goal, region, fixed: dict, lows, ups, units) -> list:
    """The rows (coefficients {var: c}, constant, λ) ≥ 0 of the LP relaxation that ``units``
    names, [[k, i, kind, λ], ...], for unit i of hidden layer k with z = z_ki, a = a_ki and
    (sl, su, off, pl, pu) its :func:`relaxation` on the region (the recomputed bounds):
    "lo" a − sl·z ≥ 0, "up" su·z + off − a ≥ 0, "ge" a − z ≥ 0 (ReLU units), "pos" a − pl ≥ 0,
    "cap" pu − a ≥ 0, "split" ±z ≥ 0 (a split on the path: + active, − inactive)."""
    out = []
    for item in units:
        if not (isinstance(item, list) and len(item) == 4):
            raise Rejected(f"bad LP multiplier {shown(item)}")
        k, i, kind, lam = item
        if not (type(k) is int and type(i) is int and 0 <= k < len(goal) - 1):
            raise Rejected(f"LP multiplier on {shown([k, i])}, not a hidden unit")
        if not 0 <= i < len(goal[k].W) or kind not in LP_KINDS:
            raise Rejected(f"LP multiplier {shown(item)}: no such unit or kind")
        step, ph = goal[k].step[i], fixed.get((k, i))
        sl, su, off, pl, pu = relaxation(step, ph, lows[k][i], ups[k][i], region.bits)
        z, zc = pre_activation(goal, k, i)
        a = (k, i)
        if kind in ("lo", "up", "ge", "split"):
            s = {"lo": -sl, "up": su, "ge": Q(-1), "split": Q(1 if ph else -1)}[kind]
            if (kind == "ge" and step) or (kind == "split" and ph is None):
                raise Rejected(f"LP multiplier {shown(item)} is not valid for that unit")
            row = {v: s * c for v, c in z.items()}
            const = s * zc + (off if kind == "up" else 0)
            if kind != "split":
                row[a] = row.get(a, Q(0)) + (-1 if kind == "up" else 1)
        else:
            row, const = {a: Q(1 if kind == "pos" else -1)}, -pl if kind == "pos" else pu
        out.append((row, const, number(lam)))
    return out


def check_lp_side(goal, region, fixed: dict, lows, ups, cert, j: int, strict: bool) -> Q:
    """No point of the region's LP relaxation has failure row j > 0 (≥ 0 if not ``strict``):
    multipliers λ ≥ 0 on rows of :func:`lp_rows`, on the box facets of the region ("box",
    p = ∞ only) and on the failure row ("out"), whose combination has every coefficient 0 and
    a constant < 0 (≤ 0 if the failure row is strict and its multiplier positive), which is
    returned."""
    if not isinstance(cert, dict) or not set(cert) <= {"units", "box", "out"}:
        raise Rejected(f"not an LP certificate: {shown(cert)}")
    rows = lp_rows(goal, region, fixed, lows, ups, cert.get("units", []))
    for a, c, lam in box_rows(region.box(), cert.get("box", [])):
        rows.append(({v: w for v, w in enumerate(a) if w}, c, lam))
    h, hc = pre_activation(goal, len(goal) - 1, j)  # the failure row over the last outputs
    out = number(cert.get("out", 0))
    rows.append((h, hc, out))
    if any(lam < 0 for _, _, lam in rows):
        raise Rejected("negative multiplier")
    grad: dict = {}
    const = Q(0)
    for row, c, lam in rows:
        if lam:
            for v, w in row.items():
                grad[v] = grad.get(v, Q(0)) + lam * w
            const += lam * c
    if any(grad.values()) or const > 0 or (const == 0 and not (strict and out > 0)):
        raise Rejected("LP multipliers do not certify emptiness")
    return const


def check_leaf(goal, strict: bool, ball: Ball, node, fixed: dict, label) -> None:
    """One leaf on R = ball ∩ splits ``fixed``, against the failure rows ``goal`` (see
    :func:`goal_layers`):
    {"leaf": "output"}  bounds recomputed here show every failure row safe on R;
    {"leaf": "empty"}   recomputed bounds contradict a split: R is empty;
    {"leaf": "affine", "pattern": P}  every phase of P is a split on the path or follows from
        the recomputed bounds, and each failure row is a constant, safe, on R;
    {"leaf": "linear", "pattern": P, ...}  phases as for "affine"; per failure row a
        certificate that no x ∈ R makes it fail: "above"/"below" (equal) or "margins"
        (argmax); "bound" where the recomputed bounds suffice, or Motzkin multipliers
        {"motzkin": {"splits": [[k, i, λ]...], "out": λ, "ball": [[facet, λ]...]}} (for
        p = ∞ also "box": [[j, ±1, λ]...], the closed facets x_j − lo_j / hi_j − x_j of the
        region's box; after a cut only those), or for
        p = 2 {"l2": {"splits", "out"}} with 2λᵀ(Ac − b) − ‖Aᵀλ‖² ≥ μ², or
        {"slemma": {"splits", "out", "nu": ν > 0}}: Σλ_r g_r + ν(μ² − ‖x − c‖²) ≤ 0;
    {"leaf": "lp", "rows": [...]}  per failure row "bound", or multipliers of the LP
        relaxation of R (:func:`check_lp_side`: every unit relaxed by the recomputed bounds,
        p = ∞ box facets)."""
    if not isinstance(node, dict):
        raise Rejected(f"a proof node must be an object, not {shown(node)}")
    leaf = node.get("leaf")
    ball = leaf_depth(ball, node)
    b = bounds(goal, ball, fixed)
    if leaf == "empty" and b is None:
        return
    if b is None:
        where = shown(sorted(fixed), 80)
        raise Rejected(f"splits {where} contradict the bounds, but the leaf says {shown(leaf)}")
    lows, ups = b
    n = len(goal[-1].W)
    up: list = []

    def bounded(j: int) -> bool:
        if not up:
            up.extend(output_uppers(goal, ball, fixed, lows, ups, strict))
        return safe(up[j], strict)

    if leaf == "output":
        if not all(bounded(j) for j in range(n)):
            raise Rejected(f"output bounds do not pin the label {label}")
        return
    if leaf == "lp":  # per failure row: "bound", or multipliers of the LP relaxation
        sides = node.get("rows")
        if not isinstance(sides, list) or len(sides) != n:
            raise Rejected(f"an LP leaf needs one certificate per failure row ({n})")
        for j, cert in enumerate(sides):
            if cert == "bound":
                if not bounded(j):
                    raise Rejected(f"failure row {j}: the bounds do not exclude it")
            else:
                check_lp_side(goal, ball, fixed, lows, ups, cert, j, strict)
        return
    if leaf not in ("affine", "linear"):
        raise Rejected(f"unknown or unjustified leaf {shown(leaf)}")
    check_pattern(goal, ball, fixed, node.get("pattern"), lows, ups)
    forms = affine_forms(goal, node["pattern"])
    A, beta = forms[-1]
    if leaf == "affine":
        if any(any(a) or not safe(v, strict) for a, v in zip(A, beta)):
            raise Rejected("the affine piece does not keep the label")
        return
    sides = [node.get("above"), node.get("below")] if strict else node.get("margins")
    if not isinstance(sides, list) or len(sides) != n:
        raise Rejected(f"a linear leaf needs one side certificate per failure row ({n})")
    for j, cert in enumerate(sides):
        if cert == "bound":
            if not bounded(j):
                raise Rejected(f"failure row {j}: the bounds do not exclude it")
        else:
            check_empty_side(cert, forms, fixed, ball, (A[j], beta[j]), strict)


def proof_arithmetic(entry: dict) -> tuple:
    """A PROVED entry's (bits, deep): the outward-rounding precision (an integer in BITS, or
    None: exact) and whether unit bounds are back-substituted."""
    bits = entry.get("bits")
    if bits is not None and not (type(bits) is int and BITS[0] <= bits <= BITS[1]):
        raise Rejected(f"bits must be an integer {BITS[0]}..{BITS[1]} or absent")
    deep = entry.get("deep", False)
    if deep is not True and deep is not False:
        raise Rejected("deep must be true, false or absent")
    return bits, deep


def check_nodes(layers, ball: Ball, nodes, fixed: dict | None = None) -> int:
    """Checks a preorder proof (a list of nodes) for one ball; returns its number of leaves."""
    goal, strict = goal_layers(layers, ball.y)
    return walk(
        nodes,
        goal,
        ball,
        lambda region, node, fx: check_leaf(goal, strict, region, node, fx, ball.y),
        cuts=ball.p is None,
        fixed=fixed,
    )


def walk(nodes, layers, region, leaf, *, cuts: bool = False, fixed: dict | None = None) -> int:
    """Walks a preorder proof (a list of nodes) with an explicit stack, so the depth of the
    tree costs no stack, calling ``leaf(region, node, fixed)`` on every leaf; returns the
    number of leaves. A split node {"split": [k, i]} is followed by its active, then its
    inactive subtree; with ``cuts`` (a box region), a node {"cut": [j, v]} by the subtree on
    the box's half x_j ≤ v, then the one on x_j ≥ v (lo_j < v < hi_j)."""
    if not isinstance(nodes, list) or not nodes:
        raise Rejected("a proof is a non-empty list of nodes")
    fixed = dict(fixed or {})
    undo = object()
    todo: list = [(None, None, region)]  # (split to set first, phase, region) or (undo, key)
    pos = leaves = 0
    while todo:
        key, ph, *reg = todo.pop()
        if key is undo:
            del fixed[ph]
            continue
        if key is not None:
            fixed[key] = ph
        try:
            node, here = nodes[pos], reg[0]
        except IndexError:
            raise Rejected("the proof ends before its tree does") from None
        pos += 1
        if isinstance(node, dict) and "split" in node:
            s = node["split"]
            if not (
                isinstance(s, list)
                and len(s) == 2
                and all(type(v) is int for v in s)
                and 0 <= s[0] < len(layers) - 1
                and 0 <= s[1] < len(layers[s[0]].W)
            ):
                raise Rejected(f"split {shown(s)} is not a hidden unit [layer, unit]")
            if tuple(s) in fixed:
                raise Rejected(f"split {s} repeats a split on its path")
            children = [(tuple(s), False, here), (tuple(s), True, here)]
        elif cuts and isinstance(node, dict) and "cut" in node:
            s = node["cut"]
            if not (isinstance(s, list) and len(s) == 2 and type(s[0]) is int):
                raise Rejected(f"cut {shown(s)} is not [input, value]")
            j, v = s[0], number(s[1])
            if not (j in range(len(here.lo)) and here.lo[j] < v < here.hi[j]):
                raise Rejected(f"cut {shown(s)} is not inside the box on its path")
            children = [(None, None, here.cut(j, v, True)), (None, None, here.cut(j, v, False))]
        else:
            leaf(here, node, fixed)
            leaves += 1
            if key is not None:
                del fixed[key]
            continue
        if key is not None:
            todo.append((undo, key))
        todo += children
    if pos != len(nodes):
        raise Rejected(f"{len(nodes) - pos} nodes after the end of the proof tree")
    return leaves


def preorder(tree) -> list:
    """A nested tree ({"split", "active", "inactive"}, {"cut", "low", "high"}, or a leaf) as a
    preorder list (iterative)."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, dict) and "split" in node:
            out.append({"split": node["split"]})
            todo += [node.get("inactive"), node.get("active")]
        elif isinstance(node, dict) and "cut" in node:
            out.append({"cut": node["cut"]})
            todo += [node.get("high"), node.get("low")]
        else:
            out.append(node)
    return out


def check_tree(layers, ball: Ball, tree, fixed: dict | None = None) -> int:
    """:func:`check_nodes` for a nested tree."""
    return check_nodes(layers, ball, preorder(tree), fixed)


def check_proof(net, center, label: int, p, radius_power, tree) -> int:
    """One ball's nested proof tree for a :class:`certify.network.Network` (tests, tools)."""
    ball = Ball(tuple(exact(v) for v in center), label, p, exact(radius_power))
    return check_tree(exact_layers(net), ball, tree)


def distance_power(a, b, p) -> Q:
    """‖a − b‖_p^p (p integer), or ‖a − b‖_∞ (p None)."""
    t = [abs(u - v) for u, v in zip(a, b)]
    return max(t) if p is None else sum((v**p for v in t), Q(0))


def min_cross_distance(X, y, p) -> Q | None:
    """min ‖x_i − x_j‖_p^p (‖·‖_∞ for p None) over pairs of different labels; None if one
    label. A sweep along the first coordinate skips pairs whose gap there is already too
    large (every ‖·‖_p^p is at least that gap to the p)."""
    order = sorted(range(len(X)), key=lambda i: X[i][0])
    best = None
    for a, i in enumerate(order):
        for j in order[a + 1 :]:
            gap = X[j][0] - X[i][0]
            if best is not None and (gap if p is None else gap**p) >= best:
                break
            if y[i] != y[j]:
                dist = distance_power(X[i], X[j], p)
                if best is None or dist < best:
                    best = dist
    return best


@dataclass
class Verdict:
    """The kernel's answer for a bundle: per ball (index, status, reason), status one of
    STATUSES, and the bundle-level problems (missing or repeated balls)."""

    balls: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def verdict(self) -> str:
        s = {st for _, st, _ in self.balls}
        if self.problems or "REJECTED" in s:
            return "REJECTED"
        return next(v for v in ("REFUTED", "UNKNOWN", "PROVED") if v in s or v == "PROVED")


class Judge:
    """The kernel for one network text, dataset text, norm and radius: ρ (0 < ρ < 1, with
    ε computed here) or μ > 0, the radius the user asks about, never the certificate's."""

    def __init__(self, net_text, data_text, p, *, rho=None, mu=None):
        self.layers, self.network_sha256 = parse_network(net_text)
        self.X, self.y, self.dataset_sha256 = parse_dataset(data_text)
        if len(self.X[0]) != len(self.layers[0].W[0]):
            raise Rejected(
                f"the network takes {len(self.layers[0].W[0])} inputs, the dataset has "
                f"{len(self.X[0])} coordinates"
            )
        if p is not None and (type(p) is not int or not 1 <= p <= MAX_P):
            raise Rejected(f"p must be an integer 1..{MAX_P} or inf")
        if (rho is None) == (mu is None):
            raise Rejected("give exactly one of rho and mu")
        self.p = p
        self.rho = None if rho is None else exact(rho)
        self.mu = None if mu is None else exact(mu)
        if self.rho is not None and not 0 < self.rho < 1:
            raise Rejected("rho must satisfy 0 < rho < 1")
        if self.mu is not None and self.mu <= 0:
            raise Rejected("mu must be positive")
        self.outputs = len(self.layers[-1].W)
        self.prop = "equal" if self.outputs == 1 else "argmax"
        self.witness = None
        self._rp: dict = {}

    def _radius(self, eps_dist: Q) -> Q:
        """μ^p (μ for ∞) from the separation distance power ‖x_i − x_j‖^p of a cross pair."""
        if self.p is None:
            return self.rho * eps_dist / 2
        return self.rho**self.p * eps_dist / 2**self.p

    def radius_power(self, exact_eps: bool) -> Q:
        """μ^p (μ for p = ∞); with ρ, from ε exactly, or (PROVED only) from the witness."""
        if self.mu is not None:
            return self.mu if self.p is None else self.mu**self.p
        # keyed by the pair: a Judge reused for another bundle must not keep its witness
        use = "exact" if exact_eps or self.witness is None else self.witness
        if use not in self._rp:
            if use != "exact":
                i, j = use
                dist = distance_power(self.X[i], self.X[j], self.p)
            else:
                dist = min_cross_distance(self.X, self.y, self.p)
                if dist is None:
                    raise Rejected("ε needs points of two labels: the dataset has one")
            if dist == 0:
                raise Rejected("two points of different labels coincide: ε = 0")
            self._rp[use] = self._radius(dist)
        return self._rp[use]

    def set_witness(self, w) -> None:
        if not (
            isinstance(w, list)
            and len(w) == 2
            and all(type(v) is int and 0 <= v < len(self.X) for v in w)
            and self.y[w[0]] != self.y[w[1]]
        ):
            raise Rejected("the witness is not a pair of points with different labels")
        self.witness = tuple(w)

    def ball(self, i: int, exact_eps: bool, bits=None, deep=False) -> Ball:
        return Ball(self.X[i], self.y[i], self.p, self.radius_power(exact_eps), bits, deep)

    def check_entry(self, entry) -> tuple:
        """(index, status, reason) for one bundle entry; index None if it has none."""
        i = entry.get("index") if isinstance(entry, dict) else None
        if type(i) is not int or not 0 <= i < len(self.X):
            return None, "REJECTED", f"no ball has index {shown(i, 20)}"
        try:
            v = entry.get("verdict")
            if v == "UNKNOWN":
                return i, "UNKNOWN", "no certificate"
            if v == "REFUTED":
                x = entry.get("counterexample")
                if not isinstance(x, list) or len(x) != len(self.X[0]):
                    raise Rejected(f"the counterexample must have {len(self.X[0])} numbers")
                x = [number(t) for t in x]
                ball = self.ball(i, exact_eps=True)
                if not ball.contains(x):
                    raise Rejected("the counterexample is not inside the open ball")
                goal, strict = goal_layers(self.layers, ball.y)
                if all(safe(t, strict) for t in evaluate(goal, x)):
                    raise Rejected("the property holds at the counterexample")
                return i, "REFUTED", "counterexample checked"
            if v == "PROVED":
                bits, deep = proof_arithmetic(entry)
                ball = self.ball(i, exact_eps=False, bits=bits, deep=deep)
                n = check_nodes(self.layers, ball, entry.get("proof"))
                return i, "PROVED", f"proof checked ({n} leaves)"
            raise Rejected(f"unknown verdict {shown(v, 20)}")
        except Rejected as e:
            return i, "REJECTED", str(e)
        except MALFORMED as e:
            return i, "REJECTED", f"malformed certificate ({type(e).__name__}: {_why(e)})"

    def check_header(self, bundle) -> None:
        """The bundle is for this network, dataset, norm and property."""
        if not isinstance(bundle, dict):
            raise Rejected("a certificate bundle is a JSON object")
        if bundle.get("format") != FORMAT:
            raise Rejected(f"not a {FORMAT} bundle (re-run robustmem certify --cert)")
        if bundle.get("network_sha256") != self.network_sha256:
            raise Rejected("the bundle is for another network")
        if bundle.get("dataset_sha256") != self.dataset_sha256:
            raise Rejected("the bundle is for another dataset")
        if bundle.get("p") != ("inf" if self.p is None else self.p):
            raise Rejected(f"the bundle is for p = {shown(bundle.get('p'), 20)}")
        if bundle.get("property", "equal") != self.prop:
            raise Rejected(f"the bundle's property is not {self.prop!r}")
        if not isinstance(bundle.get("balls"), list):
            raise Rejected('the bundle has no "balls" list')
        self.witness = None
        if "witness" in bundle:
            self.set_witness(bundle["witness"])

    def coverage(self, indices) -> list:
        """Problems with the entries' indices: every ball exactly once, nothing else."""
        seen, problems = set(), []
        for i in indices:
            if i is None:
                problems.append("an entry without a valid ball index")
            elif i in seen:
                problems.append(f"ball {i} has more than one entry")
            seen.add(i)
        missing = [i for i in range(len(self.X)) if i not in seen]
        if missing:
            problems.append(f"{len(missing)} balls have no entry (first: {missing[:5]})")
        return problems

    def check_bundle(self, bundle) -> Verdict:
        """The verdict on a parsed bundle (:func:`load_json`); raises Rejected for a bundle
        that is not for this network, dataset and norm."""
        self.check_header(bundle)
        out = Verdict([self.check_entry(e) for e in bundle["balls"]])
        out.problems = self.coverage([i for i, _, _ in out.balls])
        return out


def check_bundle_text(net_text, data_text, bundle_text, p, *, rho=None, mu=None) -> Verdict:
    """The kernel's whole job from the three texts (see :class:`Judge`)."""
    return Judge(net_text, data_text, p, rho=rho, mu=mu).check_bundle(load_json(bundle_text))
