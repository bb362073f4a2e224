"""VNN-LIB properties (a box and a disjunction of linear output constraints): the linear
engine's search for a proof the kernel checks (:mod:`certify.kernel.spec`) or an exact
counterexample.

The property is read by the kernel (kernel.parse_spec): the unsafe set is a disjunction of
conjunctions of rows h_m(x) = a_m·f(x) + c_m ≥ 0, and kernel.spec_layers folds the rows into
the network's last layer (the "goal" network). It holds on a region when every conjunction
has a row with h_m < 0 throughout (a leaf {"leaf": "output"}).

1. *Attack*: projected gradient ascent in float (numpy) on max_t min_{m ∈ t} h_m from the
   box's centre and random points, each promising point clamped to the box exactly and
   re-evaluated in exact arithmetic (kernel.fails_at): only that decides REFUTED.
2. *Branch and bound* over regions (box, split phases). Low input dimension (d ≤
   ``CUT_DIMS``, e.g. ACAS Xu's 5): input cuts at a coordinate's midpoint, the coordinate
   whose share of the worst open row's reach Σ_j r_j·|λ_j| is largest (λ: the row's
   back-substituted coefficients on x); high dimension (MNIST's 784): neuron splits, chosen
   BaBSR-like by the float guide. A float guide (guide.FloatGuide on the box) proposes each
   node's leaf; where it is unsure, the kernel's exact (outward-rounded) bounds decide.
   Every leaf is a claim the kernel re-checks; ``guided=False`` checks every leaf exactly
   here first (the runner's fallback when the kernel rejects a guided tree).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from certify.budget import memory_limit_mib, rss_mib
from certify.engines.linear.guide import TOL, FloatGuide
from certify.engines.linear.prepare import OutOfBudget, _Prepared, budget_tick, prepare
from certify.kernel import Box, Rejected, fails_at, preorder, rules, spec_layers
from certify.network import Network

CUT_DIMS = 16  # input cuts up to this many inputs, neuron splits beyond
BRANCH = "fsb"  # input cuts: "fsb" (score both halves per input) or "smear" (reach share)
THIN = 8  # an input is cut only while at least 1/THIN as wide (relative) as the widest
FEW = 3  # with input cuts, a node with at most this many unstable units splits them instead
LOOKAHEAD = 3  # a deep leaf gives way to at most 2^LOOKAHEAD shallow ones (~10× cheaper each)
ENGINE = "linear"


@dataclass
class SpecResult:
    """One property's outcome: status PROVED / REFUTED / UNKNOWN with the bundle entry
    (``entry``: the certificate, for the kernel) and statistics."""

    status: str
    reason: str
    entry: dict[str, Any]
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


def _floats(layers) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (
            np.array([[float(e) for e in r] for r in L.W], dtype=float),
            np.array([float(e) for e in L.b], dtype=float),
        )
        for L in layers
    ]


class BoxGuide(FloatGuide):
    """The float guide on boxes: the rows to prove positive are −h_m (the goal's last layer
    negated), so the guide's "margins" are the unsafe rows with their sign flipped."""

    def __init__(self, goal, floats, deep: bool) -> None:
        neg = [*floats[:-1], (-floats[-1][0], -floats[-1][1])]
        self.lams = {}
        self.W = [W for W, _ in neg]
        self.b = [b for _, b in neg]
        self.Wp = [np.maximum(W, 0) for W in self.W]
        self.Wn = [np.minimum(W, 0) for W in self.W]
        self.step = [np.array(L.step, dtype=bool) for L in goal]
        self.deep = deep
        self.p = None

    def on(self, lo: np.ndarray, hi: np.ndarray) -> BoxGuide:
        self.c, self.r = (lo + hi) / 2, (hi - lo) / 2
        return self

    def reach(self, A: np.ndarray) -> np.ndarray:
        return np.abs(A) @ self.r

    def rows(self, fixed: dict):
        """(safe, unsure, lo, λ, (lows, ups, sizes)): per goal row, −h_m clearly > 0 (safe) or
        within the margin of it (unsure), the lower bounds of −h_m, and their coefficients λ
        on x; "empty"; or None (unsure whether a split is contradicted)."""
        b = self.bounds(fixed)
        if b is None or isinstance(b, str):
            return b
        lows, ups, sizes, rel = b
        lo, size = self.margins_low(lows, rel)
        lam = np.array(self.W[-1], dtype=float)  # back to the input: the margins' λ on x
        for k in range(len(self.W) - 2, -1, -1):
            sl, su, _off, _pl, _pu, step = rel[k]
            lam = np.where(step, 0.0, np.where(lam > 0, lam * sl, lam * su)) @ self.W[k]
        safe = lo > TOL * size
        return safe, ~safe & (lo > -TOL * size), lo, lam, (lows, ups, sizes)


def _exact_point(x: np.ndarray, lo, hi) -> list:
    """A float point as exact rationals, clamped to the closed box [lo, hi]."""
    out = []
    for v, a, b in zip(x, lo, hi):
        q = rules.exact(Fraction(float(v)))
        out.append(min(max(q, a), b))
    return out


def _score(floats, groups, X: np.ndarray):
    """Per row of X: max over conjunctions of min over their rows of h (float), and per row
    of X the goal row that attains it (for its gradient)."""
    h = X
    for k, (W, b) in enumerate(floats):
        z = h @ W.T + b
        h = np.maximum(z, 0) if k < len(floats) - 1 else z
    best = np.full(len(X), -np.inf)
    pick = np.zeros(len(X), dtype=int)
    for g in groups:
        sub = h[:, g]
        m = sub.min(axis=1)
        arg = np.asarray(g)[sub.argmin(axis=1)]
        better = m > best
        best, pick = np.where(better, m, best), np.where(better, arg, pick)
    return best, pick


def _grad(floats, X: np.ndarray, pick: np.ndarray, leak: float) -> np.ndarray:
    masks, h = [], X
    for W, b in floats[:-1]:
        z = h @ W.T + b
        masks.append(np.where(z > 0, 1.0, leak))
        h = np.maximum(z, 0)
    g = floats[-1][0][pick]
    for k in range(len(floats) - 2, -1, -1):
        g = (g * masks[k]) @ floats[k][0]
    return g


def attack_box(
    goal, groups, floats, lo, hi, seed: int = 0, starts: int = 24, steps: int = 40, fails=None
):
    """PGD (ℓ∞ sign steps, clipped to the box) on the float score; the first point whose
    exact evaluation fails the property (``fails``: the counterexample it makes of a point,
    or None; default: the point itself if :func:`fails_at`), as exact rationals, or None."""
    fails = fails or _fails_at(goal, groups)
    if not groups:
        return None
    if any(not g for g in groups):  # an empty conjunction: every point is unsafe
        return list(lo)
    flo = np.array([float(v) for v in lo])
    fhi = np.array([float(v) for v in hi])
    rng = np.random.default_rng(seed)
    X = np.vstack([(flo + fhi) / 2, flo + (fhi - flo) * rng.random((starts - 1, len(flo)))])
    width = fhi - flo
    tried = 0
    for t in range(steps):
        s, pick = _score(floats, groups, X)
        for r in np.argsort(-s)[:2]:
            if s[r] >= -1e-9 and tried < 64:
                tried += 1
                x = fails(_exact_point(X[r], lo, hi))
                if x is not None:
                    return x
        g = _grad(floats, X, pick, 0.0 if t % 2 else 0.1)
        step = width * (0.25 * (1 - t / steps) + 0.01)
        X = np.clip(X + step * np.sign(g), flo, fhi)
    return None


@dataclass
class Problem:
    """A region search: no x of the closed box lo..hi may meet any conjunction of ``groups``
    (lists of goal rows h_m: every h_m ≥ 0, or > 0 if ``strict``). ``fails``: a point of the
    box → the exact counterexample it gives (the point, or one moved into the user's region
    and re-checked), or None. ``hybrid``: a node whose units are all stable or split (by the
    float guide) tries an LP leaf, one with at most FEW unstable units splits them, and no
    input is cut while it is THIN times narrower (relative to the root box) than the widest:
    the ball search's rules (box_ball.py), measured there; VNN-LIB keeps plain cuts."""

    goal: list
    groups: list
    strict: bool
    lo: list
    hi: list
    fails: Any
    hybrid: bool = False  # with input cuts also neuron splits (few unstable units), LP leaves
    floats: Any = None  # the goal's float copy, when the caller has it


def _fails_at(goal, groups):
    return lambda x: x if fails_at(goal, groups, x) else None


def check_spec(
    net: Network,
    spec,
    *,
    timeout: float | None = None,
    max_nodes: int = 100_000,
    prep: _Prepared | None = None,
    seed: int = 0,
    guided: bool = True,
) -> SpecResult:
    """Decide one parsed property (kernel.Spec) on ``net``: PROVED (with a proof tree the
    kernel checks), REFUTED (an exact counterexample) or UNKNOWN (the reason)."""
    t0 = time.monotonic()
    prep = prep or prepare(net)
    goal, groups = spec_layers(prep.layers, spec)
    prob = Problem(goal, groups, False, spec.lo, spec.hi, _fails_at(goal, groups))
    entry: dict[str, Any] = {"property_sha256": spec.sha256, "verdict": "UNKNOWN"}
    stats: dict[str, Any] = {"nodes": 0}
    try:
        status, reason, got = region_search(prob, prep, stats, timeout, max_nodes, t0, seed, guided)
    except OutOfBudget as e:
        status, reason, got = "UNKNOWN", str(e), None
    if status == "REFUTED":
        entry.update(verdict="REFUTED", counterexample=[f"{v.p}/{v.q}" for v in got])
    elif status == "PROVED":
        entry.update(verdict="PROVED", proof=preorder(got), bits=prep.bits, deep=prep.deep)
    out = SpecResult(status, reason, entry)
    out.seconds, out.stats = time.monotonic() - t0, stats
    return out


def region_search(prob: Problem, prep, stats, timeout, max_nodes, t0, seed, guided, attack=True):
    """Branch and bound over regions (box, split phases): ("PROVED", reason, nested tree),
    ("REFUTED", reason, exact counterexample) or ("UNKNOWN", reason, None)."""
    goal, groups, strict = prob.goal, prob.groups, prob.strict
    tick = budget_tick(t0, timeout)
    floats = prob.floats if prob.floats is not None else _floats(goal)
    x = None
    if attack:
        x = attack_box(goal, groups, floats, prob.lo, prob.hi, seed, fails=prob.fails)
    if x is not None:
        return "REFUTED", "counterexample found by the attack, checked exactly", x
    guide = BoxGuide(goal, floats, prep.deep)
    cuts = len(prob.lo) <= CUT_DIMS
    limit = memory_limit_mib()
    tree: dict[str, Any] = {}
    leaves: dict[str, int] = {}
    stack = [(Box(prob.lo, prob.hi, prep.bits, prep.deep), {}, tree)]
    root_width = np.array([float(b - a) for a, b in zip(prob.lo, prob.hi)])
    root_width[root_width <= 0] = 1.0
    deadline = None if timeout is None else t0 + timeout
    stats.setdefault("nodes", 0)
    while stack:
        if stats["nodes"] >= max_nodes:
            return "UNKNOWN", f"budget exhausted after {stats['nodes']} nodes", None
        if deadline is not None and time.monotonic() > deadline:
            return "UNKNOWN", f"time budget exhausted after {stats['nodes']} nodes", None
        if stats["nodes"] % 64 == 0 and rss_mib() > limit:
            return "UNKNOWN", f"memory limit ({limit} MiB) reached", None
        region, fixed, node = stack.pop()
        stats["nodes"] += 1
        flo = np.array([float(v) for v in region.lo])
        fhi = np.array([float(v) for v in region.hi])
        leaf, g = None, None
        for deep in (False, True) if prep.deep else (False,):  # shallow leaves: ~10× cheaper
            guide.deep = deep
            g = guide.on(flo, fhi).rows(fixed)
            if g is None or (isinstance(g, tuple) and _near(g, groups)) or not guided:
                leaf = _exact_leaf(goal, groups, region, fixed, tick, deep, strict)
                kind = leaf
            elif g == "empty" or all(g[0][t].any() for t in groups):
                kind = leaf = "empty" if g == "empty" else "output"
                stats["guided"] = stats.get("guided", 0) + 1
            if leaf is not None:
                break
        if leaf == "output" and deep and cuts and guided:
            cover = _shallow_tree(guide, groups, region, fixed, LOOKAHEAD)
            guide.deep = True
            if cover is not None:  # a few shallow leaves cost the kernel less than a deep one
                stats["guided"] = stats.get("guided", 0) + 1
                node.update(cover)
                leaves["output"] = leaves.get("output", 0) + _count_leaves(cover)
                continue
        if leaf is not None:
            node["leaf"] = leaf
            if deep is not prep.deep:
                node["deep"] = deep
            leaves[kind] = leaves.get(kind, 0) + 1
            continue
        if cuts:  # is the region's centre a counterexample? (float first, exact decides)
            s, _ = _score(floats, groups, ((flo + fhi) / 2)[None, :])
            if s[0] >= -1e-9:
                x = prob.fails(_exact_point((flo + fhi) / 2, region.lo, region.hi))
                if x is not None:
                    return "REFUTED", "counterexample found by the search, checked exactly", x
        unit = None if cuts else _split_choice(guide, g, fixed, goal, region, tick)
        got = None
        free = None
        if prob.hybrid and cuts:  # (the guide unsure: the LP leaf's exact pattern decides)
            free = _unstable(g, fixed) if isinstance(g, tuple) else 0
        if free == 0:
            unit = "full"  # every unit stable or split (by the float guide): try an LP leaf
        elif free is not None and free <= FEW:  # a few units cross 0 in the box: split them
            unit = _split_choice(guide, g, fixed, goal, region, tick)
            if unit is not None:
                node.update(split=list(unit), active={}, inactive={})
                stack.append((region, {**fixed, unit: False}, node["inactive"]))
                stack.append((region, {**fixed, unit: True}, node["active"]))
                continue
            unit = "full"
        if (unit is None and not cuts) or unit == "full":
            got = _linear_leaf(goal, groups, region, fixed, tick, strict, prob.fails)
            if isinstance(got, list):
                return "REFUTED", "counterexample found by an LP leaf, checked exactly", got
            if got is not None:
                node.update(got)
                leaves["linear"] = leaves.get("linear", 0) + 1
                continue
            if not cuts:
                reason = (
                    "a node with every unit stable or split that neither the bounds nor an "
                    f"LP close (after {stats['nodes']} nodes)"
                )
                return "UNKNOWN", reason, None
        if cuts:
            rel = (fhi - flo) / root_width
            allowed = rel >= rel.max() / THIN if prob.hybrid else None
            j = _best_cut(guide, groups, flo, fhi, fixed, allowed) if BRANCH == "fsb" else None
            width = fhi - flo if allowed is None else np.where(allowed, fhi - flo, 0.0)
            j = _cut_choice(g, groups, width) if j is None else j
            v = (region.lo[j] + region.hi[j]) / 2
            node.update(cut=[j, f"{v.p}/{v.q}"], low={}, high={})
            stack.append((region.cut(j, v, True), fixed, node["high"]))
            stack.append((region.cut(j, v, False), fixed, node["low"]))
            continue
        node.update(split=list(unit), active={}, inactive={})
        stack.append((region, {**fixed, unit: False}, node["inactive"]))
        stack.append((region, {**fixed, unit: True}, node["active"]))
    stats["leaves"] = leaves
    n = sum(leaves.values())
    return "PROVED", f"every branch closed ({n} leaves)", tree


def _unstable(g, fixed) -> int:
    """How many units the float guide sees neither split nor stable."""
    lows, ups, _sizes = g[4]
    n = 0
    for k, (lo, up) in enumerate(zip(lows[:-1], ups[:-1])):
        n += sum((k, int(i)) not in fixed for i in np.flatnonzero((lo < 0) & (up > 0)))
    return n


LP_MARGIN = 1e-7  # an LP optimum above −LP_MARGIN·scale is tried as a counterexample
DUAL_BITS = 48  # LP multipliers rounded to this many bits after the point


def _linear_leaf(goal, groups, region: Box, fixed: dict, tick, strict=False, fails=None):
    """A node whose units are all stable or split is one affine piece: per conjunction not
    closed by the bounds, the LP max t s.t. t ≤ h_m(x) (m in it), t ≤ s·z(x) (the split
    sides), x in the box (HiGHS, float). Optimum < 0: its duals, rounded to dyadics, are
    Motzkin multipliers; the box facets absorb the rounding's gradient exactly, and the exact
    constant must be < 0 (the kernel re-checks it all). ``strict`` (conjunctions of one row,
    failing where h > 0): a row h ≡ c ≤ 0 needs no LP, and an optimum t ≥ 0 is retried as
    max h s.t. the split sides, whose multipliers need a constant ≤ 0 only. Otherwise an
    optimum ≥ 0 gives its optimal point, clamped and evaluated exactly (``fails``), as a
    possible counterexample. Returns the leaf node, an exact counterexample (list), or None."""
    from scipy.optimize import linprog

    fails = fails or _fails_at(goal, groups)
    region.tick = tick
    try:
        b = rules.bounds(goal, region, fixed)
        if b is None:
            return {"leaf": "empty"}
        pattern = []
        for k in range(len(goal) - 1):
            row = []
            for i, (l, u) in enumerate(zip(b[0][k], b[1][k])):
                ph = rules.phase(goal[k].step[i], fixed.get((k, i)), l, u)
                if ph is None:
                    return None
                row.append(int(ph))
            pattern.append(row)
        up = rules.output_uppers(goal, region, fixed, *b, strict)
    finally:
        region.tick = None
    forms = rules.affine_forms(goal, pattern)
    A, beta = forms[-1]
    d = len(region.lo)
    splits = sorted(fixed)
    sides = []  # (k, i, s, exact coefficients, exact constant): s·z(x) ≥ 0 on the region
    for k, i in splits:
        s = 1 if fixed[(k, i)] else -1
        sides.append((k, i, s, forms[k][0][i], forms[k][1][i]))
    flo = [float(v) for v in region.lo]
    fhi = [float(v) for v in region.hi]
    box = list(zip(flo, fhi))
    certs = []
    for g in groups:
        if any(rules.safe(up[m], strict) for m in g):
            certs.append("bound")
            continue
        if strict and len(g) == 1 and not any(A[g[0]]) and beta[g[0]] <= 0:
            certs.append({"motzkin": {"splits": [], "out": [[g[0], "1"]], "box": []}})
            continue
        tick()
        # variables (x, t): minimise −t; t − h_m(x) ≤ 0; −s·z(x) ≤ 0
        rows_ub = [[-float(v) for v in A[m]] + [1.0] for m in g]
        b_ub = [float(beta[m]) for m in g]
        for _, _, s, P, p in sides:  # t ≤ s·z(x) too: t* < 0 also when the region is empty
            rows_ub.append([-s * float(v) for v in P] + [1.0])
            b_ub.append(s * float(p))
        res = linprog(
            [0.0] * d + [-1.0],
            A_ub=np.array(rows_ub),
            b_ub=np.array(b_ub),
            bounds=box + [(None, None)],
            method="highs",
        )
        if res.status != 0:
            return None
        scale = max(1.0, float(np.abs(b_ub).max()))
        if -res.fun >= -LP_MARGIN * scale:
            cert = _strict_lp(g[0], sides, A, beta, region, box) if strict and len(g) == 1 else None
            if cert is not None:
                certs.append(cert)
                continue
            return fails(_exact_point(res.x[:d], region.lo, region.hi))
        lam = [_dyadic_up(max(0.0, -v)) for v in res.ineqlin.marginals]
        cert = _motzkin(lam, g, sides, A, beta, region)
        if cert is None:
            return None
        certs.append(cert)
    return {"leaf": "linear", "pattern": pattern, "groups": certs}


def _strict_lp(m: int, sides, A, beta, region: Box, box) -> dict | None:
    """max h_m(x) s.t. the split sides, x in the box (HiGHS): an optimum ≤ 0 gives Motzkin
    multipliers with h_m's own multiplier 1 (the strict row), whose exact constant must be
    ≤ 0; None otherwise."""
    from scipy.optimize import linprog

    if not sides:
        return None
    rows_ub = [[-s * float(v) for v in P] for _, _, s, P, _ in sides]
    b_ub = [s * float(p) for _, _, s, _, p in sides]
    res = linprog(
        [-float(v) for v in A[m]],
        A_ub=np.array(rows_ub),
        b_ub=np.array(b_ub),
        bounds=box,
        method="highs",
    )
    if res.status != 0 or -res.fun + float(beta[m]) > LP_MARGIN:
        return None
    lam = [Fraction(1)] + [_dyadic_up(max(0.0, -v)) for v in res.ineqlin.marginals]
    return _motzkin(lam, [m], sides, A, beta, region, strict=True)


def _dyadic_up(v: float) -> Fraction:
    return Fraction(int(np.ceil(v * 2.0**DUAL_BITS)), 2**DUAL_BITS)


def _motzkin(lam, g, sides, A, beta, region: Box, strict: bool = False) -> dict | None:
    """The exact certificate from rounded multipliers (the conjunction's rows, then the
    split sides): box facets cancel the gradient, and the constant must come out < 0 (≤ 0
    when ``strict`` and a row of the conjunction has a positive multiplier)."""
    d = len(region.lo)
    q = [rules.exact(v) for v in lam]
    grad = [rules.Q(0)] * d
    const = rules.Q(0)
    terms = [(A[m], beta[m], v) for m, v in zip(g, q)]
    terms += [([s * w for w in P], s * p, v) for (_, _, s, P, p), v in zip(sides, q[len(g) :])]
    for a, c, v in terms:
        if v:
            grad = [x + v * w for x, w in zip(grad, a)]
            const += v * c
    box = []
    for j, v in enumerate(grad):  # +v·x_j cancelled by v·(hi_j − x_j); −v·x_j by x_j − lo_j
        if v > 0:
            box.append([j, -1, f"{v.p}/{v.q}"])
            const += v * region.hi[j]
        elif v < 0:
            box.append([j, 1, f"{(-v).p}/{(-v).q}"])
            const += v * region.lo[j]
    if const > 0 or (const == 0 and not (strict and any(q[: len(g)]))):
        return None
    show = lambda v: f"{v.p}/{v.q}"  # noqa: E731
    return {
        "motzkin": {
            "splits": [[k, i, show(v)] for (k, i, _, _, _), v in zip(sides, q[len(g) :]) if v],
            "out": [[m, show(v)] for m, v in zip(g, q) if v],
            "box": box,
        }
    }


def _near(g, groups) -> bool:
    """The float guide is unsure: every conjunction it does not close has a row within the
    margin of closing it (one clearly open conjunction keeps the node open whatever the
    exact bounds say)."""
    safe, unsure = g[0], g[1]
    open_ = [t for t in groups if not safe[t].any()]
    return bool(open_) and all(unsure[t].any() for t in open_)


def _closeness(g, groups) -> float:
    """How close a node is to closing: min over conjunctions of the best row's lower bound
    of −h (relative to its size); > 0 closes it. −inf when the guide has no bounds."""
    if not isinstance(g, tuple):
        return float("inf") if g == "empty" else -float("inf")
    lo = g[2]
    return min((float(np.max(lo[t])) if t else -float("inf")) for t in groups) if groups else 1.0


def _best_cut(guide: BoxGuide, groups, flo, fhi, fixed, allowed=None) -> int | None:
    """FSB-style: the input (among ``allowed``) whose midpoint cut leaves the better worse
    half (2d float bound passes at the guide's current depth); None when no cut scores."""
    best, pick = -float("inf"), None
    for j in range(len(flo)):
        if allowed is not None and not allowed[j]:
            continue
        mid = (flo[j] + fhi[j]) / 2
        worst = float("inf")
        for a, b in ((flo[j], mid), (mid, fhi[j])):
            lo, hi = flo.copy(), fhi.copy()
            lo[j], hi[j] = a, b
            worst = min(worst, _closeness(guide.on(lo, hi).rows(fixed), groups))
        if worst > best:
            best, pick = worst, j
    guide.on(flo, fhi)
    return pick if best > -float("inf") else None


def _shallow_tree(guide: BoxGuide, groups, region: Box, fixed: dict, depth: int):
    """A subtree of input cuts (at most ``depth`` deep) whose leaves all close with the
    shallow bounds (no back-substitution), by the float guide with a clear margin; None if
    there is none."""
    flo = np.array([float(v) for v in region.lo])
    fhi = np.array([float(v) for v in region.hi])
    guide.deep = False
    h = guide.on(flo, fhi).rows(fixed)
    if h == "empty":
        return {"leaf": "empty", "deep": False}
    if not isinstance(h, tuple) or _near(h, groups):
        return None
    if all(h[0][t].any() for t in groups):
        return {"leaf": "output", "deep": False}
    if depth == 0:
        return None
    j = _cut_choice(h, groups, fhi - flo)
    v = (region.lo[j] + region.hi[j]) / 2
    low = _shallow_tree(guide, groups, region.cut(j, v, False), fixed, depth - 1)
    high = low and _shallow_tree(guide, groups, region.cut(j, v, True), fixed, depth - 1)
    return high and {"cut": [j, f"{v.p}/{v.q}"], "low": low, "high": high}


def _count_leaves(tree) -> int:
    return 1 if "leaf" in tree else _count_leaves(tree["low"]) + _count_leaves(tree["high"])


def _exact_leaf(
    goal, groups, region: Box, fixed: dict, tick, deep: bool, strict: bool = False
) -> str | None:
    """The kernel's exact (outward-rounded) bounds on the region (back-substituted unit
    bounds if ``deep``): "empty", "output", or None (they do not close it)."""
    region = Box(region.lo, region.hi, region.bits, deep)
    region.tick = tick
    try:
        b = rules.bounds(goal, region, fixed)
        if b is None:
            return "empty"
        up = rules.output_uppers(goal, region, fixed, *b, strict)
        for g in groups:
            if not any(rules.safe(up[m], strict) for m in g):
                return None
        return "output"
    except Rejected:
        return None


def _cut_choice(g, groups, width: np.ndarray) -> int:
    """The input to cut: the largest share r_j·|λ_j| of the worst open row's reach (λ its
    coefficients on x from the guide); the widest input when the guide has none."""
    if isinstance(g, tuple):
        safe, _, lo, lam, _ = g
        open_rows = [m for t in groups if not safe[t].any() for m in t]
        if open_rows:
            worst = min(open_rows, key=lambda m: lo[m])
            share = np.abs(lam[worst]) * width
            if share.max() > 0:
                return int(np.argmax(share))
    return int(np.argmax(width))


def _split_choice(guide: BoxGuide, g, fixed, goal, region: Box, tick):
    """The unit to split: BaBSR-like from the guide's float bounds, else the earliest layer's
    exact unstable unit with the largest u·(−l)/(u − l); None when every unit is stable or
    split."""
    if isinstance(g, tuple):
        lo = g[2]
        lows, ups, sizes = g[4]
        size = np.ones_like(lo)
        unit = guide._babsr(fixed, lows, ups, sizes, lo, size)
        if unit is not None:
            return unit
    region.tick = tick
    try:
        b = rules.bounds(goal, region, fixed)
    finally:
        region.tick = None
    if b is None:
        return None
    for k in range(len(goal) - 1):
        best = None
        for i, (l, u) in enumerate(zip(b[0][k], b[1][k])):
            if (k, i) in fixed or rules.phase(goal[k].step[i], None, l, u) is not None:
                continue
            score = u * (-l) / (u - l)
            if best is None or score > best[0]:
                best = (score, i)
        if best is not None:
            return (k, best[1])
    return None
