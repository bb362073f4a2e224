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

import math
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
WIDE = 6  # rows with more nonzeros than this go through one integer product per layer


class Layer:
    """One affine layer: rows of W and b as lists, W and b as flint matrices, W = Z/D (integer
    rows over one denominator, also as an integer matrix Zm), per row its nonzeros, and
    Z⁺, Z⁻ of its wide rows over the inputs J they read (W⁺ = Z⁺/D, W⁻ = Z⁻/D)."""

    def __init__(self, W, b, step=None):
        n, m = len(W), len(W[0])
        # step[i]: H after unit i, else ReLU (the last layer: no activation, all False)
        self.W, self.b, self.step = W, b, list(step) if step is not None else [False] * n
        self.M = M(n, m, [w for row in W for w in row])
        self.Zm, den = self.M.numer_denom()  # W = Z/D: integer rows over one denominator
        flat = [int(v) for v in self.Zm.entries()]
        self.Z, self.D = [flat[i * m : (i + 1) * m] for i in range(n)], int(den)
        self.flat = flat  # Z's entries, row after row
        self.bm = M(n, 1, b)
        self.nzZ = [[(j, v) for j, v in enumerate(r) if v] for r in self.Z]  # nonzeros per row
        # rows with many nonzeros: one product per layer over the inputs J they read
        self.wide = [i for i, r in enumerate(self.nzZ) if len(r) > WIDE]
        self.nz = [  # the narrow rows' nonzero weights (a wide row's are read as products)
            [(j, W[i][j]) for j, _ in r] if len(r) <= WIDE else r for i, r in enumerate(self.nzZ)
        ]
        self.J = sorted({j for i in self.wide for j, _ in self.nzZ[i]})
        if len(self.wide) == n and len(self.J) == m:  # dense: all of W
            sub = flat
        else:
            sub = [self.Z[i][j] for i in self.wide for j in self.J]
        shape = (len(self.wide), len(self.J))
        zP, zN = Z(*shape, [max(v, 0) for v in sub]), Z(*shape, [min(v, 0) for v in sub])
        self.zPm, self.zNm = zP, zN  # Z⁺, Z⁻ of the wide rows over J (W⁺ = Z⁺/D), and flat
        self.zP, self.zN = zP.entries(), zN.entries()


def rows(A) -> list:
    e, m = A.entries(), A.ncols()
    return [e[i * m : (i + 1) * m] for i in range(A.nrows())]


def scale_rows(A, s):
    m = A.ncols()
    return M(A.nrows(), m, [v * s[i // m] for i, v in enumerate(A.entries())])


class Rows:
    """Symbolic rows over the d inputs: row i is N_i / q_i (N an integer matrix, q_i > 0;
    ``e``: N's entries, row after row)."""

    def __init__(self, N, q, e=None):
        self.N, self.q = N, list(q)
        self.e = N.entries() if e is None else e  # (``e``: N's entries, when the caller has them)


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


def combine(L: Layer, A: Rows, sa: list, B: Rows, sb: list, exact_rows: bool) -> Rows:
    """The symbolic rows Σ_j w_j·(sa_j·A_j if w_j > 0 else sb_j·B_j) of a layer (sa, sb ≥ 0:
    the slopes of the inputs' relaxations): rows with few nonzeros summed directly over the
    least common denominator of what they read, the wide rows as one integer product
    Y⁺·A_J + Y⁻·B_J (Y = W⁺, W⁻ with each column scaled to the common denominator of the
    rows it reads: kept apart from the narrow rows, whose large denominators would otherwise
    spread to every entry). ``exact_rows``: each row in lowest terms (exact bounds, whose
    denominators would otherwise compound)."""
    n, d = len(L.nz), A.N.ncols()
    fa = [s / q for s, q in zip(sa, A.q)]  # row j of A counts as fa_j·N_j
    fb = [s / q for s, q in zip(sb, B.q)]
    flat: list = [None] * n
    dens: list = [None] * n
    if len(L.wide) < n:
        ea, eb = A.e, B.e
        for i, nz in enumerate(L.nzZ):
            if len(nz) > WIDE:
                continue
            terms = [(v, fa[j] if v > 0 else fb[j], ea if v > 0 else eb, j) for j, v in nz]
            terms = [t for t in terms if t[1]]
            F = math.lcm(*(int(f.q) for _, f, _, _ in terms)) if terms else 1
            acc = [fmpz(0)] * d
            for v, f, e, j in terms:
                k = v * int(f.p) * (F // int(f.q))
                acc = [a + k * x for a, x in zip(acc, e[j * d : (j + 1) * d])]
            flat[i], dens[i] = acc, L.D * F
    if L.wide:
        J = L.J
        F = math.lcm(*(int(fa[j].q) for j in J), *(int(fb[j].q) for j in J))
        ka = [fmpz(int(fa[j].p) * (F // int(fa[j].q))) for j in J]
        kb = [fmpz(int(fb[j].p) * (F // int(fb[j].q))) for j in J]
        shape = (len(L.wide), len(J))
        if d < len(L.wide):  # few inputs: scale the rows of A_J and B_J (|J|·d products)
            P = L.zPm * _take(A, J, ka) + L.zNm * _take(B, J, kb)
        else:  # scale the columns of Z⁺, Z⁻ (|wide|·|J| products)
            YP = [z * k for z, k in zip(L.zP, ka * len(L.wide))]
            YN = [z * k for z, k in zip(L.zN, kb * len(L.wide))]
            if A is B:  # one product (Y⁺ + Y⁻)·A_J (Y⁺, Y⁻ have disjoint supports)
                P = Z(*shape, [u + v for u, v in zip(YP, YN)]) * _take(A, J)
            else:
                P = Z(*shape, YP) * _take(A, J) + Z(*shape, YN) * _take(B, J)
        if len(L.wide) == n:  # (dense layers: the product is the result)
            return _lowest(Rows(P, [L.D * F] * n)) if exact_rows else Rows(P, [L.D * F] * n)
        e = P.entries()
        for a, i in enumerate(L.wide):
            flat[i], dens[i] = e[a * d : (a + 1) * d], L.D * F
    out = Rows(Z(n, d, [v for r in flat for v in r]), dens)
    return _lowest(out) if exact_rows else out


def _take(A: Rows, J: list, scale=None):
    """The integer rows J of A as a matrix (A's own matrix when J is all of them), each row
    times its ``scale`` if given."""
    d = A.N.ncols()
    if scale is not None:
        return Z(len(J), d, [k * v for j, k in zip(J, scale) for v in A.e[j * d : (j + 1) * d]])
    if len(J) == A.N.nrows():
        return A.N
    return Z(len(J), d, [v for j in J for v in A.e[j * d : (j + 1) * d]])


def _lowest(R: Rows) -> Rows:
    """Each row in lowest terms."""
    n, d = R.N.nrows(), R.N.ncols()
    e = [int(v) for v in R.e]
    gs = [math.gcd(q, *e[i * d : (i + 1) * d]) for i, q in enumerate(R.q)]
    return Rows(
        Z(n, d, [v // gs[i // d] for i, v in enumerate(e)]), [q // g for q, g in zip(R.q, gs)]
    )


def interval(L: Layer, a: list, b: list) -> list:
    """The values b_i + Σ_j w_ij·(a_j if w_ij > 0 else b_j) of a layer's units (a lower end
    from lower ends a and upper ends b, or the reverse): few nonzeros summed directly, the
    wide rows as integer products Z⁺·a_J + Z⁻·b_J over common denominators."""
    out = [
        bi + sum((w * (a[j] if w > 0 else b[j]) for j, w in nz), Q(0)) if len(nz) <= WIDE else bi
        for nz, bi in zip(L.nz, L.b)
    ]
    if L.wide:
        n = len(L.J)
        an, ad = M(n, 1, [a[j] for j in L.J]).numer_denom()
        bn, bd = M(n, 1, [b[j] for j in L.J]).numer_denom()
        qa, qb = L.D * int(ad), L.D * int(bd)
        for u, v, i in zip((L.zPm * an).entries(), (L.zNm * bn).entries(), L.wide):
            out[i] += Q(u, qa) + Q(v, qb)
    return out


def enclosure(region) -> tuple:
    """(Σ_j min(lo_j, 0), Σ_j max(hi_j, 0)) over a box [lo, hi] enclosing the region: the box
    itself, or c ± r around a ball (r = μ for p = ∞ and p = 1, μ rounded up for p ≥ 2)."""
    if isinstance(region, Box):
        lo, hi = region.lo, region.hi
    else:
        r = region.rp if region.p in (None, 1) else root_up(region.rp, region.p)
        lo, hi = [v - r for v in region.c], [v + r for v in region.c]
    return sum((min(v, Q(0)) for v in lo), Q(0)), sum((max(v, Q(0)) for v in hi), Q(0))


class Frame:
    """What concretising rows over a region needs, computed once per bound computation: the
    centre as an integer column over one denominator, the weights of reach (p = ∞, boxes) the
    same way, and ‖·‖-free sums Σ_j min(lo_j, 0), Σ_j max(hi_j, 0) over an enclosing box
    (c ± μ, μ rounded up for p ≥ 2), which bound δ·x for a row change 0 ≤ δ_j ≤ 1."""

    def __init__(self, region):
        d = len(region.c)
        self.region = region
        self.cn, cd = M(d, 1, list(region.c)).numer_denom()
        self.cd = int(cd)
        w = region.weights()
        self.wn = self.wd = None
        if w is not None:
            self.wn, wd = M(d, 1, w).numer_denom()
            self.wd = int(wd)
        self.neg, self.pos = enclosure(region)

    def conc(self, R: Rows) -> list:
        """(a·c, reach(a)) of each row a of R: a·c as one integer product; reach through the
        weights (Σ w_j·|a_j| as one product), else row by row (the dual norm)."""
        n, d = R.N.nrows(), R.N.ncols()
        at = (R.N * self.cn).entries()
        if self.wn is not None:
            ab = (Z(n, d, [abs(v) for v in R.e]) * self.wn).entries()
            reach = [Q(v, q * self.wd) for v, q in zip(ab, R.q)]
        else:
            reach = [
                self.region.reach([Q(v, q) for v in R.e[i * d : (i + 1) * d]])
                for i, q in enumerate(R.q)
            ]
        return [(Q(a, q * self.cd), r) for a, q, r in zip(at, R.q, reach)]


def shorten(R: Rows, bits: int, frame: Frame) -> tuple:
    """The rows rounded down to short dyadics (:func:`grid`: each entry of row i changes by
    0 ≤ δ_j < h_i, its grid step), and per row the bounds (h_i·Σ min(lo_j, 0),
    h_i·Σ max(hi_j, 0)) of δ·x over the region's enclosing box (:class:`Frame`): a lower row
    r·x + b ≥ r̂·x + b + h·Σ min(lo, 0), an upper one ≤ r̂·x + b + h·Σ max(hi, 0). A row
    already on its grid keeps its numbers (no change)."""
    n, d = R.N.nrows(), R.N.ncols()
    flat, dens, lowfix, upfix = [], [], [], []
    for i, q in enumerate(R.q):
        m, g, h = grid(R.e[i * d : (i + 1) * d], q, bits)
        flat += m
        dens.append(g)
        lowfix.append(h * frame.neg)
        upfix.append(h * frame.pos)
    return Rows(Z(n, d, flat), dens, flat), lowfix, upfix


def bounds(layers, ball: Ball, fixed: dict):
    """Pre-activation bounds of every layer under the split phases ``fixed``; None if a split
    contradicts them (the region is empty). Each layer's symbolic lower and upper rows of z
    over the inputs (the first layer's are W's) are integer matrices (:class:`Rows`), made
    from the previous layer's by :func:`combine` with the relaxations' slopes, concretised
    by :class:`Frame`, and (``ball.bits``) rounded to short dyadics by :func:`shorten`."""
    frame = Frame(ball)
    exact_rows = ball.bits is None
    zL = zU = pL = pU = None
    sl = su = None
    bL = bU = None  # the constants of the rows of a = σ(z) (lower, upper)
    alo = aup = None
    lows, ups = [], []
    terms = []  # per layer: its units' pulls (back-substitution), made once
    for k, L in enumerate(layers):
        tick(ball)
        if k == 0:  # z = W·x + b: the rows of W, exact
            zL = zU = Rows(L.Zm, [L.D] * len(L.W), L.flat)
            zbL = zbU = list(L.b)
        else:
            same = pL is pU and sl == su
            nL = combine(L, pL, sl, pU, su, exact_rows)
            nU = nL if same else combine(L, pU, su, pL, sl, exact_rows)
            zL, zU = nL, nU
            zbL, zbU = interval(L, bL, bU), interval(L, bU, bL)
        cl = frame.conc(zL)
        cu = cl if zU is zL else frame.conc(zU)
        lo = [v + cv - rv for v, (cv, rv) in zip(zbL, cl)]
        up = [v + cv + rv for v, (cv, rv) in zip(zbU, cu)]
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
        if ball.bits is not None:  # the rows onto short grids, their change into the constants
            pL, fixL, fixU = shorten(zL, ball.bits, frame)
            if zU is not zL:
                pU, _, fixU = shorten(zU, ball.bits, frame)
            else:
                pU = pL
            zbL = [v + f for v, f in zip(zbL, fixL)]
            zbU = [v + f for v, f in zip(zbU, fixU)]
        else:
            pL, pU = zL, zU
        sl, su, off, pl, pu = [], [], [], [], []
        for i, (l, u) in enumerate(zip(lo, up)):
            ph = fixed.get((k, i))
            if infeasible(ph, l, u):
                return None
            for lst, v in zip((sl, su, off, pl, pu), relaxation(L.step[i], ph, l, u, ball.bits)):
                lst.append(v)
        bL = [v * t + (q if h else 0) for v, t, q, h in zip(zbL, sl, pl, L.step)]
        bU = [v * t + o for v, t, o in zip(zbU, su, off)]
        if ball.bits is not None:
            bL = [dyadic.down(v, ball.bits) for v in bL]
            bU = [dyadic.up(v, ball.bits) for v in bU]
        alo, aup = pl, pu
    return lows, ups


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
    keeps about ``bits`` bits: (integers m, scale g, h) with m/g ≤ row/q entrywise, g = 2^s
    (s ≥ 0) or 1 (each m then a multiple of 2^−s), each entry changed by less than h: the
    grid step 2^−s, or 0 when nothing changed."""
    top = Q(max(max(row), -min(row)), q)  # (a zero row: top = 0, s = bits + 1: zeros)
    s = bits - int(top.p).bit_length() + int(top.q).bit_length()
    t = q.bit_length() - 1
    if s >= 0 and q == 1 << t:  # q = 2^t (dyadic rows): shifts
        if t <= s:
            return [v << (s - t) for v in row], 1 << s, Q(0)
        unit = 1 << (t - s)  # (exact iff every entry is a multiple of it)
        return [v >> (t - s) for v in row], 1 << s, Q(int(any(v % unit for v in row)), 1 << s)
    if s >= 0:
        parts = [divmod(v << s, q) for v in row]
        return [a for a, _ in parts], 1 << s, Q(int(any(r for _, r in parts)), 1 << s)
    parts = [divmod(v, q << -s) for v in row]
    return [a << -s for a, _ in parts], 1, Q(int(any(r for _, r in parts)) << -s)


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
        e = Y.entries()
        X = []
        for r in range(R):
            row = e[r * n : (r + 1) * n]
            if ball.bits is not None:
                cst[r] += Q(before[r], qs[r] * pd)
                row, qs[r], _ = grid(row, qs[r], ball.bits)
            X += row + [min(row[i], 0) for i in U]
        X = Z(R, n + len(U), X)
        if ball.bits is not None:  # δ·pm = λ·pm − λ̂·pm
            cst = [v - Q(w, q * pd) for v, w, q in zip(cst, (X * pmx).entries(), qs)]
        cst = [v + Q(w, q * tq) for v, w, q in zip(cst, (X * tb).entries(), qs)]
        Y = X * T
        qs = [q * t for q in qs]
    m, e = Y.ncols(), Y.entries()
    A = [[Q(v, q) for v in e[r * m : (r + 1) * m]] for r, q in enumerate(qs)]
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
