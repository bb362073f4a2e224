"""The kernel's exact primitives: one definition of each rule, used by the judge (proof trees
and bundles, :mod:`certify.kernel.judge`) and called by the engines for their own search.

Exact rational arithmetic only (python-flint fmpq); no solver, no float, no engine import.
  numbers      exact, root_up (a rational upper bound of a k-th root)
  regions      Ball(c, y, p, rp): contains(x) (open ball), reach(a) (dual norm: an upper
               bound of sup a·(x − c) over the ball); Box(lo, hi) (closed), which an ℓ∞
               ball's input cuts give
  the network  Layer(W, b, step), exact_layers(net), evaluate(layers, x[, trace]),
               goal_layers (the property as failure rows), safe
  unit rules   infeasible (a split contradicts the bounds), phase (on/off/unstable),
               relaxation (the row (sl, su, off, pl, pu) of one unit)
  bounds       combine (symbolic rows of a layer), bounds (forward propagation),
               back_rows / output_uppers (back-substitution), affine_forms (the exact
               affine piece of an activation pattern)
Bounds: symbolic interval propagation (first layer exact), concretised with the dual norm
(ℓ2 via a rounded-up square root), plus back-substitution for the output.
Step units (H(t) = 1 if t ≥ 0 else 0; a layer may mix them with ReLU units, decided unit by
unit): a step unit is 1 if its lower bound is ≥ 0 or its split is active (t ≥ 0), 0 if its
upper bound is < 0 or its split is inactive (t ≤ 0: the closed side only adds the boundary, so
it over-approximates), else anywhere in [0, 1]; it passes a constant on, never a multiple of x.
"""

from __future__ import annotations

from fractions import Fraction

from flint import fmpq as Q  # exact rationals in C: the same numbers as Fraction, faster
from flint import fmpq_mat as M
from flint import fmpz
from flint import fmpz_mat as Z

from certify.kernel import dyadic


class Rejected(Exception):
    """The certificate does not check; the message says where."""


def exact(v) -> Q:
    """The same rational as a flint fmpq (from an int, Fraction or fmpq)."""
    if isinstance(v, Q):
        return v
    v = Fraction(v)
    return Q(v.numerator, v.denominator)


def iroot_ceil(n: int, k: int) -> int:
    """The least integer r ≥ 0 with r^k ≥ n."""
    if n <= 1:
        return max(n, 0)
    r = int(fmpz(n).root(k))  # ⌊n^(1/k)⌋ (flint)
    return r if r**k >= n else r + 1


def root_up(q: Q, k: int) -> Q:
    """The rational ⌈q·2^(64k)⌉^(1/k) rounded up, over 2^64: an upper bound of q^(1/k)."""
    return Q(iroot_ceil(-(-(int(q.p) << (64 * k)) // int(q.q)), k), 1 << 64)


class Ball:
    """The open ball ‖x − c‖_p < μ with label y (rp = μ^p, or μ for p = ∞: p None), and the
    arithmetic of its bounds: ``bits`` None is exact; an integer rounds every bound, slope
    and symbolic coefficient outward to a dyadic of that many bits (see :mod:`dyadic`).
    ``deep``: :func:`bounds` also back-substitutes every unit left unstable (DeepPoly).
    ``tick``: None, or a no-argument callable that :func:`bounds` and :func:`back_rows` call
    between layers and batches of rows (an engine's deadline: it may raise)."""

    def __init__(self, c, y, p, rp, bits=None, deep=False, tick=None):
        self.c, self.y, self.p, self.rp, self.bits, self.deep = c, y, p, rp, bits, deep
        self.tick = tick

    def at_depth(self, deep: bool) -> Ball:
        return Ball(self.c, self.y, self.p, self.rp, self.bits, deep, self.tick)

    def box(self) -> Box:
        """p = ∞: the closed box c ± μ (the ball's closure: a proof on it holds on the ball)."""
        if self.p is not None:
            raise Rejected("input cuts and box facets need an ℓ∞ ball")
        lo, hi = [v - self.rp for v in self.c], [v + self.rp for v in self.c]
        return Box(lo, hi, self.bits, self.deep, self.tick)

    @property
    def lo(self):
        return self.box().lo

    @property
    def hi(self):
        return self.box().hi

    def cut(self, j: int, v, high: bool) -> Box:
        return self.box().cut(j, v, high)

    def contains(self, x) -> bool:
        t = [abs(a - b) for a, b in zip(x, self.c)]
        return len(x) == len(self.c) and (
            max(t) < self.rp if self.p is None else sum(v**self.p for v in t) < self.rp
        )

    def weights(self):
        """w with reach(a) = Σ w_j·|a_j| (p = ∞), else None."""
        return [self.rp] * len(self.c) if self.p is None else None

    def reach(self, a) -> Q:
        """An upper bound of sup a·(x − c) over the ball (dual norm)."""
        if self.p is None:
            return self.rp * sum(abs(v) for v in a)
        if self.p == 1:
            return self.rp * max(abs(v) for v in a)
        if self.p == 2:
            s = sum(v * v for v in a)
            return root_up(self.rp * s, 2) if s else Q(0)
        box = root_up(self.rp, self.p) * sum(abs(v) for v in a)
        if not box:
            return box
        # dual norm: t_i ≥ |a_i|^q (q = p/(p−1)), then (μ^p·(Σ t_i)^{p−1})^{1/p}, rounded up
        S = sum((root_up(abs(v) ** self.p, self.p - 1) for v in a if v), Q(0))
        return min(box, root_up(S ** (self.p - 1) * self.rp, self.p))


class Box:
    """The closed box lo ≤ x ≤ hi as the rules take a region (p None): centre c, reach(a) =
    Σ r_j·|a_j| with r = (hi − lo)/2 (the exact sup of a·(x − c) over the box); bits, deep and
    tick as for :class:`Ball`."""

    p = None

    def __init__(self, lo, hi, bits=None, deep=False, tick=None):
        self.lo, self.hi, self.bits, self.deep = tuple(lo), tuple(hi), bits, deep
        self.tick = tick  # the caller's deadline hook (rules.bounds calls it; it may raise)
        self.c = tuple((a + b) / 2 for a, b in zip(lo, hi))
        self.r = [(b - a) / 2 for a, b in zip(lo, hi)]

    def at_depth(self, deep: bool) -> Box:
        return Box(self.lo, self.hi, self.bits, deep, self.tick)

    def box(self) -> Box:
        return self

    def contains(self, x) -> bool:
        return len(x) == len(self.lo) and all(a <= v <= b for a, v, b in zip(self.lo, x, self.hi))

    def weights(self) -> list:
        """reach(a) = Σ r_j·|a_j|."""
        return self.r

    def reach(self, a) -> Q:
        return sum((r * abs(v) for r, v in zip(self.r, a)), Q(0))

    def cut(self, j: int, v, high: bool) -> Box:
        """The half of the box with x_j ≥ v (``high``) or x_j ≤ v."""
        lo, hi = list(self.lo), list(self.hi)
        (lo if high else hi)[j] = v
        return Box(lo, hi, self.bits, self.deep, self.tick)


def dot(a, b) -> Q:
    return sum((u * v for u, v in zip(a, b)), Q(0))


BATCH = 128  # deep bounds: rows back-substituted together (a tick between batches)
WIDE = 6  # rows with more nonzeros than this go through one flint product per layer


class Layer:
    """One affine layer: rows of W and b as lists, W and b as flint matrices, and W⁺, W⁻ of
    its wide rows over the inputs J they read."""

    def __init__(self, W, b, step=None):
        n, m = len(W), len(W[0])
        # step[i]: H after unit i, else ReLU (the last layer: no activation, all False)
        self.W, self.b, self.step = W, b, list(step) if step is not None else [False] * n
        self.M = M(n, m, [w for row in W for w in row])
        num, den = self.M.numer_denom()  # W = Z/D: integer rows over one denominator
        self.Z, self.D = [[int(v) for v in r] for r in rows(num)], int(den)
        self.bm = M(n, 1, b)
        self.nz = [[(j, w) for j, w in enumerate(row) if w] for row in W]  # nonzeros per row
        # rows with many nonzeros: one product per layer over the inputs J they read
        self.wide = [i for i, r in enumerate(self.nz) if len(r) > WIDE]
        self.J = sorted({j for i in self.wide for j, _ in self.nz[i]})
        sub = [self.Z[i][j] for i in self.wide for j in self.J]
        shape, over = (len(self.wide), len(self.J)), Q(1, self.D)
        self.wP = M(Z(*shape, [max(v, 0) for v in sub])) * over
        self.wN = M(Z(*shape, [min(v, 0) for v in sub])) * over


def rows(A) -> list:
    e, m = A.entries(), A.ncols()
    return [e[i * m : (i + 1) * m] for i in range(A.nrows())]


def rows_of(A) -> list:
    """The rows of A as 1×m matrices."""
    return [M(1, A.ncols(), r) for r in rows(A)]


def scale_rows(A, s):
    m = A.ncols()
    return M(A.nrows(), m, [v * s[i // m] for i, v in enumerate(A.entries())])


def evaluate(layers, x, *, trace: bool = False) -> list:
    """The exact outputs at x; with ``trace``, every layer's pre-activations (the last entry is
    the outputs)."""
    v = M(len(x), 1, list(x))
    pre = []
    for k, L in enumerate(layers):
        v = L.M * v + L.bm
        pre.append(v.entries())
        if k < len(layers) - 1:
            v = M(
                v.nrows(),
                1,
                [Q(t >= 0) if h else max(t, Q(0)) for t, h in zip(v.entries(), L.step)],
            )
    return pre if trace else v.entries()


def goal_layers(layers, y):
    """The property as failure rows h: the network with its last layer replaced so that the
    property fails at x iff some h_j(x) > 0 (strict) or ≥ 0 (not strict). One output
    ("equal"): h = (f − y, y − f), strict. C ≥ 2 outputs ("argmax", output index y − 1 is
    class y): h_j = f_j − f_y for j ≠ y, not strict (a tie fails)."""
    W, b = layers[-1].W, layers[-1].b
    if len(W) == 1:
        y = Q(y)
        rows, bias, strict = [W[0], [-w for w in W[0]]], [b[0] - y, y - b[0]], True
    else:
        if not (y == int(y) and 1 <= y <= len(W)):
            raise Rejected(f"label {y} is not a class 1..{len(W)}")
        k = int(y) - 1
        rows = [[u - v for u, v in zip(W[j], W[k])] for j in range(len(W)) if j != k]
        bias, strict = [b[j] - b[k] for j in range(len(W)) if j != k], False
    return [*layers[:-1], Layer(rows, bias)], strict


def safe(v, strict: bool) -> bool:
    return v <= 0 if strict else v < 0


def infeasible(fixed, l, u) -> bool:
    """A split contradicts a unit's bounds l ≤ z ≤ u: active (z ≥ 0) with u < 0, or inactive
    (z ≤ 0) with l > 0; the region is empty."""
    return (fixed is True and u < 0) or (fixed is False and l > 0)


def phase(step: bool, fixed, l, u):
    """A unit's phase on the region: True (on), False (off) or None (unstable). A split
    (``fixed``: True active z ≥ 0, False inactive z ≤ 0) decides; otherwise l ≥ 0 is on, and
    u < 0 is off (for ReLU u ≤ 0 too, where ReLU(z) = 0 as well)."""
    if fixed is not None:
        return fixed
    if l >= 0:
        return True
    if u < 0 or (not step and u <= 0):
        return False
    return None


def relaxation(step: bool, fixed, l, u, bits=None) -> tuple:
    """The row (sl, su, off, pl, pu) of one unit a = σ(z) with l ≤ z ≤ u on the region:
    sl·z ≤ a ≤ su·z + off (a step unit: sl = su = 0, a ∈ [pl, pu] with pl, pu ∈ {0, 1}), and
    pl ≤ a ≤ pu. On: ReLU is z (H is 1); off: 0; unstable ReLU: α·z ≤ a ≤ s·(z − l) with
    s = u/(u − l), α = 1 if u ≥ −l else 0; unstable H: a ∈ [0, 1]."""
    ph = phase(step, fixed, l, u)
    if step:  # constant 1, 0, or in [0, 1]
        top = Q(int(ph is not False))
        return Q(0), Q(0), top, Q(int(ph is True)), top
    if ph is True:  # ReLU = identity
        return Q(1), Q(1), Q(0), max(l, Q(0)), max(u, Q(0))
    if ph is False:  # ReLU = 0
        return (Q(0),) * 5
    s = u / (u - l)  # any s' ≥ s is sound too: s'(z − l) ≥ s(z − l) on z ≥ l
    if bits is not None:
        s = dyadic.up(s, bits)
    return Q(int(u >= -l)), s, -s * l, Q(0), u


def combine(L: Layer, A: list, B: list, d: int, prev=None, diff=frozenset()) -> list:
    """The symbolic rows Σ_j w_j·(A_j if w_j > 0 else B_j) of a layer (rows are 1×d
    matrices): few nonzeros: summed directly; many:
    one product W⁺·A_J + W⁻·B_J per layer (kept apart from the narrow rows, whose large
    denominators would otherwise spread to every entry of the product). With ``prev`` (the
    rows for (B, A)), a row reading no input j in ``diff`` (A_j is not B_j) is prev's row."""

    def reuse(nz) -> bool:
        return prev is not None and not any(j in diff for j, _ in nz)

    out = []
    for i, nz in enumerate(L.nz):
        if reuse(nz):
            out.append(prev[i])
        else:
            acc = M(1, d)
            if len(nz) <= WIDE:
                for j, w in nz:
                    acc += (A[j] if w > 0 else B[j]) * w
            out.append(acc)
    if L.wide and not all(reuse(L.nz[i]) for i in L.wide):
        SA = M(len(L.J), d, [v for j in L.J for v in A[j].entries()])
        SB = SA if A is B else M(len(L.J), d, [v for j in L.J for v in B[j].entries()])
        e = (L.wP * SA + L.wN * SB).entries()
        for a, i in enumerate(L.wide):
            out[i] = M(1, d, e[a * d : (a + 1) * d])
    return out


def interval(L: Layer, a: list, b: list) -> list:
    """The values b_i + Σ_j w_ij·(a_j if w_ij > 0 else b_j) of a layer's units (a lower end
    from lower ends a and upper ends b, or the reverse): few nonzeros summed directly, the
    wide rows as one product W⁺·a_J + W⁻·b_J (as in :func:`combine`)."""
    out = [
        bi + sum((w * (a[j] if w > 0 else b[j]) for j, w in nz), Q(0)) if len(nz) <= WIDE else bi
        for nz, bi in zip(L.nz, L.b)
    ]
    if L.wide:
        n = len(L.J)
        e = (L.wP * M(n, 1, [a[j] for j in L.J]) + L.wN * M(n, 1, [b[j] for j in L.J])).entries()
        for v, i in zip(e, L.wide):
            out[i] += v
    return out


def bounds(layers, ball: Ball, fixed: dict):
    """Pre-activation bounds of every layer under the split phases ``fixed``; None if a split
    contradicts them (the region is empty). Symbolic rows are built from each weight row's
    nonzeros; the values are those of the dense
    products W⁺A_L + W⁻A_U, W⁺A_U + W⁻A_L."""
    d = len(ball.c)
    c = M(d, 1, list(ball.c))
    AL = AU = [None] * d  # (the first layer's rows are W's: the identity is never formed)
    bL = bU = [Q(0)] * d
    alo = aup = None
    lows, ups = [], []
    seen: dict = {}  # id(row) -> (row, a·c, reach): shared rows are concretised once

    def conc(rs) -> list:
        """(a·c, reach(a)) of each row; each distinct row once (:func:`conc_rows`)."""
        todo = {id(r): r for r in rs if seen.get(id(r), (None,))[0] is not r}
        new = list(todo.values())
        ints, dens = [], []
        for r in new:
            n, q = r.numer_denom()
            ints.append([int(v) for v in n.entries()])
            dens.append(int(q))
        for r, got in zip(new, conc_rows(ints, dens, ball)):
            seen[id(r)] = (r, *got)
        return [seen[id(r)][1:] for r in rs]

    terms = []  # per layer: its units' pulls (back-substitution), made once
    for k, L in enumerate(layers):
        tick(ball)
        zL = rows_of(L.M) if k == 0 else combine(L, AL, AU, d)  # (first layer: z = W·x + b)
        diff = {j for j, (a, b) in enumerate(zip(AL, AU)) if a is not b}
        zU = zL if not diff else combine(L, AU, AL, d, zL, diff)
        zbL, zbU = interval(L, bL, bU), interval(L, bU, bL)
        lo = [v + cv - rv for v, (cv, rv) in zip(zbL, conc(zL))]
        up = [v + cv + rv for v, (cv, rv) in zip(zbU, conc(zU))]
        if alo is not None:  # plain interval arithmetic, when tighter
            lo = [max(x, v) for x, v in zip(lo, interval(L, alo, aup))]
            up = [min(x, v) for x, v in zip(up, interval(L, aup, alo))]
            if ball.deep:  # each unit still unstable: back-substituted through layers < k
                todo = [i for i, (l, u) in enumerate(zip(lo, up)) if l < 0 < u]
                while todo:
                    tick(ball)
                    part, todo = todo[:BATCH], todo[BATCH:]
                    lam = [L.W[i] for i in part] + [[-w for w in L.W[i]] for i in part]
                    con = [L.b[i] for i in part] + [-L.b[i] for i in part]
                    got = back_rows(layers[: k + 1], ball, terms, lam, con)
                    for i, a, b in zip(part, got, got[len(part) :]):
                        lo[i], up[i] = max(lo[i], a), min(up[i], -b)
        if ball.bits is not None:  # outward: l down, u up (signs and zeros are kept)
            lo = [dyadic.down(v, ball.bits) for v in lo]
            up = [dyadic.up(v, ball.bits) for v in up]
        lows.append(lo)
        ups.append(up)
        if k == len(layers) - 1:
            break
        if ball.deep:
            terms.append(pulls(L, k, fixed, lo, up, ball.bits))
        sl, su, off, pl, pu = [], [], [], [], []
        for i, (l, u) in enumerate(zip(lo, up)):
            ph = fixed.get((k, i))
            if infeasible(ph, l, u):
                return None
            for lst, v in zip((sl, su, off, pl, pu), relaxation(L.step[i], ph, l, u, ball.bits)):
                lst.append(v)
        AL = [r if t == 1 else r * t for r, t in zip(zL, sl)]
        AU = [r if t == 1 else r * t for r, t in zip(zU, su)]
        if all(a is b for a, b in zip(AL, AU)):  # the same rows: share the list again
            AU = AL
        bL = [v * t + (q if h else 0) for v, t, q, h in zip(zbL, sl, pl, L.step)]
        bU = [v * t + o for v, t, o in zip(zbU, su, off)]
        if ball.bits is not None:
            AL, AU, bL, bU = shorten(AL, AU, bL, bU, ball, c, seen)
        alo, aup = pl, pu
    return lows, ups


def conc_rows(ints: list, dens: list, ball: Ball) -> list:
    """(a·c, reach(a)) for the rows a = ints_r / dens_r (integer rows over positive
    integers): a·c as one integer product; reach through the ball's weights (p = ∞, boxes:
    Σ w_j·|a_j| as one product), else row by row."""
    if not ints:
        return []
    d = len(ball.c)
    cn, cd = M(d, 1, list(ball.c)).numer_denom()
    at = (Z(len(ints), d, [v for r in ints for v in r]) * cn).entries()
    w = ball.weights()
    if w is None:
        reach = [ball.reach([Q(v, q) for v in r]) for r, q in zip(ints, dens)]
    else:
        wn, wd = M(d, 1, w).numer_denom()
        ab = (Z(len(ints), d, [abs(v) for r in ints for v in r]) * wn).entries()
        reach = [Q(int(v), q * int(wd)) for v, q in zip(ab, dens)]
    return [(Q(int(a), q * int(cd)), r) for a, q, r in zip(at, dens, reach)]


def shorten(AL, AU, bL, bU, ball: Ball, c, seen: dict):
    """The symbolic rows rounded down to short dyadics (:func:`grid`), each row's change
    δ ≥ 0 moved into its constant over the ball (a lower row r·x + b ≥ r̂·x + b + δ·c −
    reach(δ); an upper one ≤ r̂·x + b + δ·c + reach(δ)), constants rounded outward. A row
    shared by several units (or by the lower and upper side) is rounded once."""
    bits, d, memo = ball.bits, len(ball.c), {}
    moved, deltas, dens = [], [], []
    for r in {id(r): r for r in AL + AU}.values():
        n, q = r.numer_denom()
        row, q = [int(v) for v in n.entries()], int(q)
        m, g = grid(row, q, bits)
        delta = [v * g - w * q for v, w in zip(row, m)]  # δ = row/q − m/g, over q·g
        seen.pop(id(r), None)
        if any(delta):
            memo[id(r)] = M(Z(1, d, m)) * Q(1, g)
            moved.append(id(r))
            deltas.append(delta)
            dens.append(q * g)
        else:  # already short: the row itself (shared rows stay shared)
            memo[id(r)] = r
    change = dict(zip(moved, conc_rows(deltas, dens, ball)))
    zero = (Q(0), Q(0))
    outL, outU, nbL, nbU = [], [], [], []
    for r, b in zip(AL, bL):
        dc, rad = change.get(id(r), zero)
        outL.append(memo[id(r)])
        nbL.append(dyadic.down(b + dc - rad, bits))
    for r, b in zip(AU, bU):
        dc, rad = change.get(id(r), zero)
        outU.append(memo[id(r)])
        nbU.append(dyadic.up(b + dc + rad, bits))
    if AU is AL:
        outU = outL
    return outL, outU, nbL, nbU


def pulls(L: Layer, k: int, fixed: dict, lo, up, bits=None) -> tuple:
    """What back-substitution puts for a coefficient λ on the output a of each unit i of
    hidden layer k (the side of its :func:`relaxation` that keeps λ·a bounded below), in
    terms of that layer's inputs: λ > 0: λ·(sl·z + cl), λ < 0: λ·(su·z + cu), z = W·a' + b.
    Returned in integers: (U, T, t, tb, q, pm, pd), the rows of T/t being diag(sl)·W for
    every unit, then diag(su − sl)·W for the units U whose two sides differ; the entries of
    tb/q: sl∘b + cl, then (su∘b + cu) − (sl∘b + cl) on U; pm/pd = min(pl, pu) ≤ a (also
    padded with zeros on U; a step
    unit is a constant in [pl, pu], so the worse end for λ)."""
    sl, su, cl, cu, pm = [], [], [], [], []
    for i, (l, u) in enumerate(zip(lo, up)):
        step, ph = L.step[i], fixed.get((k, i))
        a, b, off, p, q = relaxation(step, ph, l, u, bits)
        sl.append(a)
        su.append(b)
        cl.append(p if step else Q(0))
        cu.append(off)
        pm.append(min(p, q))
    bl = [v * w + c for v, w, c in zip(sl, L.b, cl)]
    bu = [v * w + c for v, w, c in zip(su, L.b, cu)]
    U = [i for i in range(len(sl)) if sl[i] != su[i] or bl[i] != bu[i]]
    T, t = M(len(sl) + len(U), 1, sl + [su[i] - sl[i] for i in U]).numer_denom()
    rows_ = [L.Z[i] for i in range(len(sl))] + [L.Z[i] for i in U]
    T = Z(T.nrows(), L.M.ncols(), [s * w for s, r in zip(T.entries(), rows_) for w in r])
    tb, q = M(len(bl) + len(U), 1, bl + [bu[i] - bl[i] for i in U]).numer_denom()
    pm, pd = M(len(pm), 1, pm).numer_denom()
    pmx = Z(len(sl) + len(U), 1, pm.entries() + [0] * len(U))  # (zeros on the rows of U)
    return U, T, int(t) * L.D, tb, int(q), (pm, pmx), int(pd)


def tick(ball: Ball) -> None:
    """The caller's hook between steps of a bound computation (a deadline; the judge sets
    none)."""
    if ball.tick is not None:
        ball.tick()


def grid(row: list, q: int, bits: int) -> tuple:
    """The row of rationals row/q rounded down to the grid 2^−s on which its largest entry
    keeps about ``bits`` bits: (integers m, scale g) with m/g ≤ row/q entrywise, g = 2^s
    (s ≥ 0) or 1 (each m then a multiple of 2^−s)."""
    top = Q(max(abs(v) for v in row), q)  # (a zero row: top = 0, s = bits + 1: zeros)
    s = bits - int(top.p).bit_length() + int(top.q).bit_length()
    if s >= 0:
        return [(v << s) // q for v in row], 1 << s
    return [(v // (q << -s)) << -s for v in row], 1


def back_rows(layers, ball: Ball, terms: list, lam: list, const: list) -> list:
    """Lower bounds of the rows lam_r·a + const_r on the region, a the inputs of the last
    layer, by back-substitution: all rows at once, pushed back through layers len − 2 … 0 by
    each layer's ``terms`` (:func:`pulls`: stable units pass exactly, so cancellations
    survive), then concretised over the ball. Row r is an integer row over a positive integer
    q_r; each layer is one integer product X·T, X = the row and its negative part on U. With
    ``ball.bits`` the rows are rounded down before each layer (:func:`grid`), the change
    δ = λ − λ̂ ≥ 0 moved into the constant (λ·a ≥ λ̂·a + δ·pm)."""
    R = len(lam)
    Y, den = M(R, len(lam[0]), [v for r in lam for v in r]).numer_denom()
    qs = [int(den)] * R
    cst = list(const)
    for k in range(len(layers) - 2, -1, -1):
        tick(ball)
        U, T, t, tb, tq, (pm, pmx), pd = terms[k]
        n = T.nrows() - len(U)
        if ball.bits is not None:
            before = (Y * pm).entries()  # λ·pm (over q)
        e = [int(v) for v in Y.entries()]
        X = []
        for r in range(R):
            row = e[r * n : (r + 1) * n]
            if ball.bits is not None:
                cst[r] += Q(int(before[r]), qs[r] * pd)
                row, qs[r] = grid(row, qs[r], ball.bits)
            X += row + [min(row[i], 0) for i in U]
        X = Z(R, n + len(U), X)
        if ball.bits is not None:  # δ·pm = λ·pm − λ̂·pm
            cst = [v - Q(int(w), q * pd) for v, w, q in zip(cst, (X * pmx).entries(), qs)]
        cst = [v + Q(int(w), q * tq) for v, w, q in zip(cst, (X * tb).entries(), qs)]
        Y = X * T
        qs = [q * t for q in qs]
    m, e = Y.ncols(), Y.entries()
    A = [[Q(int(v), q) for v in e[r * m : (r + 1) * m]] for r, q in enumerate(qs)]
    return [dot(a, ball.c) + w - ball.reach(a) for a, w in zip(A, cst)]


def output_uppers(layers, ball: Ball, fixed: dict, lows, ups, strict: bool) -> list:
    """Upper bounds of every output: the forward bound, tightened by back-substitution
    (:func:`back_rows` with every layer's :func:`pulls`; all outputs together),
    except that an output whose forward bound is already :func:`safe` (``strict``) keeps it
    (back-substitution would only tighten a bound that suffices)."""
    out = list(ups[-1])
    todo = [j for j, u in enumerate(out) if not safe(u, strict)]
    if not todo:
        return out
    terms = [pulls(layers[k], k, fixed, lows[k], ups[k], ball.bits) for k in range(len(layers) - 1)]
    L = layers[-1]
    got = back_rows(
        layers, ball, terms, [[-w for w in L.W[j]] for j in todo], [-L.b[j] for j in todo]
    )
    for j, g in zip(todo, got):
        out[j] = min(out[j], -g)
    return out


def affine_forms(layers, pattern):
    """z_k(x) = P_k x + p_k for every layer under an activation pattern (as row lists)."""
    d = len(layers[0].W[0])
    P, p, forms = M(d, d, [Q(int(i == j)) for i in range(d) for j in range(d)]), M(d, 1), []
    for k, L in enumerate(layers):
        if k:  # ReLU: the phase times z; H passes the constant phase, no x
            on = [Q(int(bool(v))) for v in pattern[k - 1]]
            h = layers[k - 1].step
            P = scale_rows(P, [Q(0) if s else t for t, s in zip(on, h)])
            p = M(len(on), 1, [t if s else t * v for t, s, v in zip(on, h, p.entries())])
        P, p = L.M * P, L.M * p + L.bm
        forms.append((rows(P), p.entries()))
    return forms


def exact_layers(net):
    """The network's weights and biases as exact rationals, layer by layer, with each unit's
    activation (a layer's "relu"/"step", or a tuple of them per unit)."""
    out = []
    for lay in net.layers:
        act = getattr(lay, "activation", "relu")
        acts = [act] * len(lay.weight) if isinstance(act, str) else list(act)
        if len(acts) != len(lay.weight):
            raise Rejected("a layer's activations do not match its units")
        W = [[exact(w) for w in row] for row in lay.weight]
        out.append(Layer(W, [exact(v) for v in lay.bias], [a == "step" for a in acts]))
    return out
