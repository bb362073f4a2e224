"""The linear engine: exact bound propagation, affine pieces, branch and bound.

For one open ball B = {x : ‖x − c‖_p < μ} and label y it decides whether f ≡ y on B:

1. *Attack* (cheap): f at the centre; float samples in the ball and points along the local
   gradient, each re-checked exactly. A float only proposes a point; exact evaluation decides.
2. *Symbolic bound propagation* (exact rationals, python-flint): every neuron gets linear lower
   and upper functions of x, concretised over the ball with the dual norm (ℓ2 through a
   rational upper bound of the square root, so bounds stay sound). The first layer is exact.
   Neurons whose bounds do not straddle 0 are stable.
3. *Branch and bound* on unstable neurons, earliest layer first, so that once every neuron is
   stable or split, f is one exact affine map a·x + β on the node's region (the ball ∩ the
   split half-spaces). Leaves:
   - output leaf: the propagated output bounds are both y;
   - affine leaf: a = 0 and β = y;
   - empty leaf: a split contradicts the propagated bounds;
   - otherwise an exact solver (z3: LRA for ℓ1/ℓ∞, NRA for ℓ2 and integer p) decides whether
     the region contains a point with a·x + β ≠ y — a model is turned into an exact
     counterexample (re-evaluated on the real network), unsat closes the leaf.
Budget exhausted (time or nodes) gives UNKNOWN.

Step units (H(t) = 1 if t ≥ 0 else 0; a layer may mix them with ReLU units, so every
decision below is taken unit by unit) are piecewise constant: a unit with lower bound ≥ 0
is 1, with upper bound < 0 is 0, otherwise unstable with output in [0, 1] (constant symbolic
bounds 0 / 1). Splits work as for ReLU: active t ≥ 0 (output 1), inactive t ≤ 0 (output 0;
the closed side only adds the boundary, a sound over-approximation for proofs — refutations
are always re-evaluated exactly). With every unit fixed a step unit contributes a constant.

Classifiers (C ≥ 2 outputs, output index y − 1 is class y) are decided on the margin network
g = (f_y − f_j)_{j ≠ y} (:func:`check_argmax`): the property is g > 0 componentwise, ties
failing; the same steps run with "every margin's lower bound > 0" as the closing test and,
at full patterns, one exact solver check and emptiness certificate per margin.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from flint import fmpq, fmpq_mat

from certify.ball import Ball, BallResult, refuted, root_upper
from certify.engines.multipliers import emptiness_certificate
from certify.network import Network

ENGINE = "linear"


def _F(q: fmpq) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _Q(x: Fraction | int) -> fmpq:
    x = Fraction(x)
    return fmpq(x.numerator, x.denominator)


def _split(W: fmpq_mat) -> tuple[fmpq_mat, fmpq_mat]:
    n, m = W.nrows(), W.ncols()
    pos = [e if e > 0 else fmpq(0) for e in W.entries()]
    neg = [e if e < 0 else fmpq(0) for e in W.entries()]
    return fmpq_mat(n, m, pos), fmpq_mat(n, m, neg)


def _scale_rows(A: fmpq_mat, s: list[fmpq]) -> fmpq_mat:
    """diag(s)·A without forming the diagonal matrix."""
    n, m = A.nrows(), A.ncols()
    ent = A.entries()
    return fmpq_mat(n, m, [ent[i * m + j] * s[i] for i in range(n) for j in range(m)])


def _diag(values: list[fmpq]) -> fmpq_mat:
    n = len(values)
    D = fmpq_mat(n, n)
    for i, v in enumerate(values):
        D[i, i] = v
    return D


@dataclass
class _Prepared:
    """Per-network data reused across balls."""

    layers: list[tuple[fmpq_mat, fmpq_mat]]
    splits: list[tuple[fmpq_mat, fmpq_mat]]
    floats: list[tuple[np.ndarray, np.ndarray]]  # float copies: they only guide the attack
    # per hidden layer, per unit: a step unit (else ReLU)
    steps: list[list[bool]] = field(default_factory=list)
    margins: dict[int, _Prepared] = field(default_factory=dict)  # classifiers: per label
    sparse: list[list[list[tuple[int, fmpq]]]] = field(default_factory=list)  # W's nonzeros
    wide: list = field(default_factory=list)  # per layer: _wide_block(W) (rows with many inputs)


WIDE = 6  # rows with more nonzeros than this go through one flint product per layer


def _wide_block(W: fmpq_mat, nz: list[list[tuple[int, fmpq]]]):
    """(row indices, input indices J, W⁺ and W⁻ restricted to them) for the rows of W with more
    than WIDE nonzeros, or None: their symbolic rows come from one flint product per layer."""
    rows = [i for i, r in enumerate(nz) if len(r) > WIDE]
    if not rows:
        return None
    J = sorted({j for i in rows for j, _ in nz[i]})
    pos = {j: t for t, j in enumerate(J)}
    P = fmpq_mat(len(rows), len(J))
    Nm = fmpq_mat(len(rows), len(J))
    for a, i in enumerate(rows):
        for j, w in nz[i]:
            if w > 0:
                P[a, pos[j]] = w
            else:
                Nm[a, pos[j]] = w
    return rows, J, P, Nm


def _sparse_rows(W: fmpq_mat) -> list[list[tuple[int, fmpq]]]:
    n, m = W.nrows(), W.ncols()
    ent = W.entries()
    return [[(j, ent[i * m + j]) for j in range(m) if ent[i * m + j] != 0] for i in range(n)]


def margin_prep(prep: _Prepared, net: Network, label: int) -> _Prepared:
    """The prepared margin network g = (f_y − f_j)_{j ≠ y} of a classifier (cached)."""
    if label not in prep.margins:
        prep.margins[label] = prepare(net.margins(label))
    return prep.margins[label]


def prepare(net: Network) -> _Prepared:
    layers = net.flint_layers()
    floats = [
        (
            np.array([[float(e) for e in row] for row in W.tolist()], dtype=float),
            np.array([float(e) for e in b.entries()], dtype=float),
        )
        for W, b in layers
    ]
    steps = [list(net.step_units(k)) for k in range(net.depth - 1)]
    sparse = [_sparse_rows(W) for W, _ in layers]
    wide = [_wide_block(W, nz) for (W, _), nz in zip(layers, sparse)]
    return _Prepared(
        layers, [_split(W) for W, _ in layers], floats, steps=steps, sparse=sparse, wide=wide
    )


def _is_step(prep: _Prepared, k: int, i: int) -> bool:
    """Unit i of layer k is a step unit (the output layer has none)."""
    return k < len(prep.steps) and prep.steps[k][i]


def _step_mask(prep: _Prepared, k: int) -> np.ndarray:
    """Layer k's step units as a boolean array (float guidance)."""
    return np.array(prep.steps[k], dtype=bool)


def _undetermined(prep: _Prepared, k: int, i: int, lo: fmpq, up: fmpq) -> bool:
    """Unit (k, i)'s phase does not follow from its bounds (step: l ≥ 0 or u < 0 decide)."""
    return not (lo >= 0 or (up < 0 if _is_step(prep, k, i) else up <= 0))


def _float_value_grad(
    prep: _Prepared, X: np.ndarray, leak: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """f and ∇f at the rows of X in float64 (guidance only). With ``leak`` > 0 the gradient
    is that of the leaky-ReLU network (slope ``leak`` below 0): on a plateau of f it still
    points towards where inactive units would switch on."""
    acts = [X]
    masks = []
    h = X
    for k, (W, b) in enumerate(prep.floats):
        z = h @ W.T + b
        if k < len(prep.floats) - 1:
            m = z > 0
            st = _step_mask(prep, k)  # step units are flat: no gradient through H
            masks.append(np.where(st, 0.0, np.where(m, 1.0, leak)))
            h = np.where(st, (z >= 0).astype(float), z * m)
            acts.append(h)
        else:
            h = z
    g = np.broadcast_to(prep.floats[-1][0], (X.shape[0], prep.floats[-1][0].shape[1])).copy()
    for k in range(len(prep.floats) - 2, -1, -1):
        g = (g * masks[k]) @ prep.floats[k][0]
    return h[:, 0], g


# ------------------------------------------------------------------------ concretisation
class _Concretiser:
    """Lower/upper bounds over the open ball of linear functions a·x + β (rows of A)."""

    def __init__(self, ball: Ball):
        self.ball = ball
        self.c = fmpq_mat(ball.d, 1, [_Q(v) for v in ball.center])
        self.p = ball.p
        self.mu_pow = ball.radius_power
        self.box = _Q(ball.box_radius)
        self.mu_q = _Q(ball.radius_power) if ball.p in (None, 1) else None

    def radius_terms(self, A: fmpq_mat) -> list[fmpq]:
        """For each row a: an upper bound of sup_{‖x−c‖_p<μ} a·(x − c) (the dual norm × μ)."""
        n, d = A.nrows(), A.ncols()
        ent = A.entries()
        out: list[fmpq] = []
        for i in range(n):
            row = ent[i * d : (i + 1) * d]
            if self.p is None:  # ℓ∞: μ·‖a‖₁ (exact)
                out.append(self.mu_q * sum((abs(e) for e in row), fmpq(0)))
            elif self.p == 1:  # ℓ1: μ·‖a‖∞ (exact)
                out.append(self.mu_q * max((abs(e) for e in row), default=fmpq(0)))
            elif self.p == 2:  # ℓ2: √(μ²·‖a‖²), rounded up
                s = sum((e * e for e in row), fmpq(0))
                out.append(_Q(root_upper(self.mu_pow * _F(s), 2)) if s != 0 else fmpq(0))
            else:  # integer p ≥ 3: min of the box bound and the dual norm μ·‖a‖_q
                box = self.box * sum((abs(e) for e in row), fmpq(0))
                out.append(min(box, self._dual(row)) if box != 0 else box)
        return out

    def _dual(self, row) -> fmpq:
        """≥ μ·(Σ|a_i|^q)^{1/q}, q = p/(p−1): t_i ≥ |a_i|^q by a (p−1)-th root rounded up,
        then (μ^p·(Σ t_i)^{p−1})^{1/p} rounded up."""
        p = self.p
        S = sum((root_upper(_F(abs(e)) ** p, p - 1) for e in row if e != 0), Fraction(0))
        return _Q(root_upper(S ** (p - 1) * self.mu_pow, p))

    def row_radius(self, row: fmpq_mat | None) -> fmpq:
        """radius_terms for one row (a 1×d matrix; None is the zero row)."""
        if row is None:
            return fmpq(0)
        return self.radius_terms(row)[0]

    def row_center(self, row: fmpq_mat | None) -> fmpq:
        """a·c for one row."""
        return fmpq(0) if row is None else (row * self.c)[0, 0]

    def bounds(self, AL, bL, AU, bU) -> tuple[list[fmpq], list[fmpq]]:
        cl = (AL * self.c + bL).entries()
        cu = (AU * self.c + bU).entries()
        rl = self.radius_terms(AL)
        ru = rl if AU is AL else self.radius_terms(AU)
        return [a - r for a, r in zip(cl, rl)], [a + r for a, r in zip(cu, ru)]


@dataclass
class _Propagation:
    lower: list[list[fmpq]]  # per layer (hidden and output), per neuron
    upper: list[list[fmpq]]
    empty: bool = False  # a split phase contradicts the bounds: the region is empty


def propagate_dense(
    prep: _Prepared, conc: _Concretiser, fixed: dict[tuple[int, int], bool]
) -> _Propagation:
    """:func:`propagate` with dense flint matrix products (the reference implementation; the
    differential tests check that both give the same bounds)."""
    d = conc.ball.d
    AL = AU = fmpq_mat(d, d)
    for i in range(d):
        AL[i, i] = fmpq(1)
    bL = bU = fmpq_mat(d, 1)
    lows: list[list[fmpq]] = []
    ups: list[list[fmpq]] = []
    alo = aup = None  # concrete bounds of the previous layer's outputs (None: the input)
    last = len(prep.layers) - 1
    for k, ((W, b), (Wp, Wn)) in enumerate(zip(prep.layers, prep.splits)):
        if AL is AU and bL is bU:
            zL = zU = W * AL
            zbL = zbU = W * bL + b
        else:
            zL = Wp * AL + Wn * AU
            zU = Wp * AU + Wn * AL
            zbL = Wp * bL + Wn * bU + b
            zbU = Wp * bU + Wn * bL + b
        lo, up = conc.bounds(zL, zbL, zU, zbU)
        if alo is not None:  # plain interval arithmetic: sometimes tighter, keep the best
            ilo = (Wp * alo + Wn * aup + b).entries()
            iup = (Wp * aup + Wn * alo + b).entries()
            lo = [max(x, y) for x, y in zip(lo, ilo)]
            up = [min(x, y) for x, y in zip(up, iup)]
        lows.append(lo)
        ups.append(up)
        if k == last:
            break
        sL: list[fmpq] = []
        sU: list[fmpq] = []
        off: list[fmpq] = []
        step = prep.steps[k]
        post_lo: list[fmpq] = []
        post_up: list[fmpq] = []
        zero = fmpq(0)
        for i, (l, u) in enumerate(zip(lo, up)):
            ph = fixed.get((k, i))
            if ph is True and u < 0 or ph is False and l > 0:
                return _Propagation(lows, ups, empty=True)
            if step[i]:  # constant: 1 (on), 0 (off) or in [0, 1] (unstable)
                on = ph is True or (ph is None and l >= 0)
                c = fmpq(int(on or (ph is None and u >= 0)))
                sL.append(zero)
                sU.append(zero)
                off.append(c)
                post_lo.append(fmpq(int(on)))
                post_up.append(c)
            elif ph is True or (ph is None and l >= 0):
                sL.append(fmpq(1))
                sU.append(fmpq(1))
                off.append(zero)
                post_lo.append(max(l, zero))
                post_up.append(max(u, zero))
            elif ph is False or u <= 0:
                sL.append(zero)
                sU.append(zero)
                off.append(zero)
                post_lo.append(zero)
                post_up.append(zero)
            else:
                s = u / (u - l)
                sU.append(s)
                off.append(-s * l)
                sL.append(fmpq(1) if u >= -l else zero)
                post_lo.append(zero)
                post_up.append(u)
        AL, bL = _scale_rows(zL, sL), _scale_rows(zbL, sL)
        if any(step):  # a step unit's lower bound is its constant lower value
            bL = bL + fmpq_mat(len(post_lo), 1, [v if h else zero for v, h in zip(post_lo, step)])
        AU, bU = _scale_rows(zU, sU), _scale_rows(zbU, sU) + fmpq_mat(len(off), 1, off)
        alo = fmpq_mat(len(post_lo), 1, post_lo)
        aup = fmpq_mat(len(post_up), 1, post_up)
    return _Propagation(lows, ups)


def _phase_row(step: bool, ph: bool | None, l: fmpq, u: fmpq):
    """(sL, sU, offset, post_lo, post_up) of one unit: the relaxation slopes and the concrete
    bounds of its output (see :func:`propagate_dense`)."""
    zero, one = fmpq(0), fmpq(1)
    if step:  # constant: 1 (on), 0 (off) or in [0, 1] (unstable)
        on = ph is True or (ph is None and l >= 0)
        c = fmpq(int(on or (ph is None and u >= 0)))
        return zero, zero, c, fmpq(int(on)), c
    if ph is True or (ph is None and l >= 0):
        return one, one, zero, max(l, zero), max(u, zero)
    if ph is False or u <= 0:
        return zero, zero, zero, zero, zero
    sl = u / (u - l)
    return (one if u >= -l else zero), sl, -sl * l, zero, u


def _combine(nz, A, B) -> fmpq_mat | None:
    """Σ_j w_j·(A_j if w_j > 0 else B_j) over the nonzeros (j, w_j) of a weight row; rows are
    1×d matrices or None (zero). A single unit weight reuses the row object itself."""
    if len(nz) == 1:
        j, w = nz[0]
        r = A[j] if w > 0 else B[j]
        if r is None or w == 1:
            return r
        return r * w
    acc = None
    for j, w in nz:
        r = A[j] if w > 0 else B[j]
        if r is None:
            continue
        t = r * w
        acc = t if acc is None else acc + t
    return acc


def _stack(rows: list, J: list[int], d: int) -> fmpq_mat:
    zero = fmpq(0)
    ent: list = []
    for j in J:
        r = rows[j]
        ent.extend(r.entries() if r is not None else [zero] * d)
    return fmpq_mat(len(J), d, ent)


def _wide_rows(
    block, AL: list, AU: list, d: int, same: bool, nzs=None, diff=frozenset()
) -> tuple[dict, dict]:
    """The symbolic rows (lower, upper) of a layer's wide rows: W⁺·A_L + W⁻·A_U and
    W⁺·A_U + W⁻·A_L on the stacked input rows J, as {row index: 1×d matrix}. The upper
    product is skipped (``same``) when no wide row reads an input j in ``diff``."""
    if block is None:
        return {}, {}
    rows, J, P, Nm = block
    if not same and nzs is not None and not any(j in diff for i in rows for j, _ in nzs[i]):
        same = True
    SL = _stack(AL, J, d)
    SU = SL if same else _stack(AU, J, d)
    ZL = P * SL + Nm * SU
    ZU = ZL if same else P * SU + Nm * SL

    def split(Z: fmpq_mat) -> dict:
        e = Z.entries()
        return {i: fmpq_mat(1, d, e[a * d : (a + 1) * d]) for a, i in enumerate(rows)}

    outL = split(ZL)
    return outL, (outL if same else split(ZU))


def _combine_scalar(nz, a, b, bias: fmpq) -> fmpq:
    out = bias
    for j, w in nz:
        out += w * (a[j] if w > 0 else b[j])
    return out


def propagate(
    prep: _Prepared, conc: _Concretiser, fixed: dict[tuple[int, int], bool]
) -> _Propagation:
    """Symbolic interval propagation over the ball, honouring the split phases ``fixed``.

    Row by row over the weights' nonzeros: a unit carried by a single unit weight shares its
    input's symbolic row (and the row's concrete bound is computed once). The constructed
    networks are sparse and deep (identity carries of the input through hundreds of layers),
    where this is one to two orders of magnitude faster than dense rational products, whose
    common denominators blow up. Same bounds as :func:`propagate_dense`."""
    d = conc.ball.d
    AL: list = []
    for i in range(d):
        e = fmpq_mat(1, d)
        e[0, i] = fmpq(1)
        AL.append(e)
    AU = AL
    bL = bU = [fmpq(0)] * d
    lows: list[list[fmpq]] = []
    ups: list[list[fmpq]] = []
    alo = aup = None
    last = len(prep.layers) - 1
    cache: dict[int, tuple[fmpq_mat, fmpq, fmpq]] = {}  # id(row) -> (row, a·c, radius)

    def concrete(row) -> tuple[fmpq, fmpq]:
        if row is None:
            return fmpq(0), fmpq(0)
        hit = cache.get(id(row))
        if hit is None or hit[0] is not row:
            hit = cache[id(row)] = (row, conc.row_center(row), conc.row_radius(row))
        return hit[1], hit[2]

    for k, ((_, b), nzs) in enumerate(zip(prep.layers, prep.sparse)):
        bias = b.entries()
        same = AL is AU and bL is bU
        diff = set() if AL is AU else {j for j, (a, c) in enumerate(zip(AL, AU)) if a is not c}
        wide_L, wide_U = _wide_rows(prep.wide[k], AL, AU, d, not diff, nzs, diff)
        zL: list = []
        zU: list = []
        zbL: list[fmpq] = []
        zbU: list[fmpq] = []
        lo: list[fmpq] = []
        up: list[fmpq] = []
        for i, (nz, bi) in enumerate(zip(nzs, bias)):
            if i in wide_L:
                rl = wide_L[i]
            else:
                rl = _combine(nz, AL, AU)
            cl = _combine_scalar(nz, bL, bU, bi)
            if same:
                ru, cu = rl, cl
            else:
                if not diff or not any(j in diff for j, _ in nz):
                    ru = rl  # every input row is shared: the upper row is the lower one
                else:
                    ru = wide_U[i] if i in wide_U else _combine(nz, AU, AL)
                cu = _combine_scalar(nz, bU, bL, bi)
            zL.append(rl)
            zU.append(ru)
            zbL.append(cl)
            zbU.append(cu)
            vl, rad_l = concrete(rl)
            vu, rad_u = (vl, rad_l) if ru is rl else concrete(ru)
            l_, u_ = vl + cl - rad_l, vu + cu + rad_u
            if alo is not None:  # plain interval arithmetic: sometimes tighter, keep the best
                l_ = max(l_, _combine_scalar(nz, alo, aup, bi))
                u_ = min(u_, _combine_scalar(nz, aup, alo, bi))
            lo.append(l_)
            up.append(u_)
        lows.append(lo)
        ups.append(up)
        if k == last:
            break
        step = prep.steps[k]
        nAL: list = []
        nAU: list = []
        nbL: list[fmpq] = []
        nbU: list[fmpq] = []
        post_lo: list[fmpq] = []
        post_up: list[fmpq] = []
        for i, (l, u) in enumerate(zip(lo, up)):
            ph = fixed.get((k, i))
            if ph is True and u < 0 or ph is False and l > 0:
                return _Propagation(lows, ups, empty=True)
            sl, su, off, pl, pu = _phase_row(step[i], ph, l, u)
            nAL.append(_scale(zL[i], sl))
            nAU.append(nAL[-1] if zU[i] is zL[i] and su == sl else _scale(zU[i], su))
            nbL.append(zbL[i] * sl + (pl if step[i] else 0))
            nbU.append(zbU[i] * su + off)
            post_lo.append(pl)
            post_up.append(pu)
        AL, AU, bL, bU = nAL, nAU, nbL, nbU
        if all(a is c for a, c in zip(AL, AU)) and bL == bU:
            AU, bU = AL, bL
        alo, aup = post_lo, post_up
    return _Propagation(lows, ups)


def _scale(row, s: fmpq):
    if row is None or s == 0:
        return None
    return row if s == 1 else row * s


def backward_output_bounds(
    prep: _Prepared, conc: _Concretiser, prop: _Propagation, fixed: dict[tuple[int, int], bool]
) -> tuple[fmpq, fmpq]:
    """Bounds of the output by back-substitution (CROWN-style): the output's linear form is
    pushed back through the layers, relaxing each unstable ReLU on the side its coefficient
    needs; stable neurons pass through exactly, so cancellations (a − (a − 1) = 1) survive."""
    return (
        backward_lower(prep, conc, prop, fixed, 0, 1),
        -backward_lower(prep, conc, prop, fixed, 0, -1),
    )


def backward_lower(
    prep: _Prepared,
    conc: _Concretiser,
    prop: _Propagation,
    fixed: dict[tuple[int, int], bool],
    row: int,
    sign: int = 1,
) -> fmpq:
    """A lower bound of sign·(output ``row``) over the node's region, by back-substitution."""
    L = len(prep.layers)
    W_last, b_last = prep.layers[-1]
    n = W_last.ncols()
    lam = [sign * e for e in W_last.entries()[row * n : (row + 1) * n]]
    const = sign * b_last[row, 0]
    for k in range(L - 2, -1, -1):
        coef: list[fmpq] = []
        for i, (lm, l, u) in enumerate(zip(lam, prop.lower[k], prop.upper[k])):
            ph = fixed.get((k, i))
            if _is_step(prep, k, i):  # a constant: 1 if on, 0 if off, else the worse for lm
                on = ph is True or (ph is None and l >= 0)
                if on or (ph is None and u >= 0 and lm < 0):
                    const += lm
                coef.append(fmpq(0))
            elif lm == 0 or ph is False or (ph is None and u <= 0):
                coef.append(fmpq(0))
            elif ph is True or l >= 0:
                coef.append(lm)
            elif lm > 0:  # a ≥ α·z with α ∈ {0, 1}
                coef.append(lm if u >= -l else fmpq(0))
            else:  # a ≤ s·(z − l), s = u/(u − l), and lm < 0
                s = u / (u - l)
                coef.append(lm * s)
                const += -lm * s * l
        W, b = prep.layers[k]
        lz = fmpq_mat(1, len(coef), coef)
        const += (lz * b)[0, 0]
        lam = (lz * W).entries()
    out = fmpq_mat(1, len(lam), lam)
    return (out * conc.c)[0, 0] + const - conc.radius_terms(out)[0]


# ------------------------------------------------------------------------ exact affine pieces
def affine_piece(prep: _Prepared, pattern: list[list[bool]]):
    """Exact affine forms of every pre-activation under an activation pattern.

    Returns [(P_k, p_k)] with z_k(x) = P_k x + p_k on the pattern's region; the last entry is
    the output (a as a 1×d matrix, β as 1×1)."""
    forms = []
    W, b = prep.layers[0]
    P, q = W, b
    forms.append((P, q))
    for k in range(1, len(prep.layers)):
        ons = [fmpq(1) if on else fmpq(0) for on in pattern[k - 1]]
        W, b = prep.layers[k]
        st = prep.steps[k - 1]
        # ReLU units pass the phase times z; step units (H) the constant phase on, no x
        relu = [fmpq(0) if h else o for o, h in zip(ons, st)]
        const = [o if h else fmpq(0) for o, h in zip(ons, st)]
        WD = W * _diag(relu)
        P, q = WD * P, WD * q + b
        if any(st):
            q = q + W * fmpq_mat(len(const), 1, const)
        forms.append((P, q))
    return forms


def output_gradient(prep: _Prepared, pattern: list[list[bool]]) -> list[Fraction]:
    """The exact gradient a of f on the piece of ``pattern`` (row-vector products, cheap)."""
    v = prep.layers[-1][0]  # 1 × n_{L-1}
    for k in range(len(prep.layers) - 2, -1, -1):
        v = _scale_cols(
            v,
            [
                fmpq(1) if on and not _is_step(prep, k, i) else fmpq(0)
                for i, on in enumerate(pattern[k])
            ],
        )
        v = v * prep.layers[k][0]
    return [_F(e) for e in v.entries()]


def _scale_cols(v: fmpq_mat, s: list[fmpq]) -> fmpq_mat:
    ent = v.entries()
    return fmpq_mat(1, len(s), [e * t for e, t in zip(ent, s)])


# ------------------------------------------------------------------------ z3 leaf decisions
def _z3_region(ball: Ball, constraints, ctx, box_only: bool = False):
    """A z3 solver with x in the open ball (or, with ``box_only``, in the open box of radius
    ≥ μ that contains it: a linear relaxation) and the linear ``constraints``."""
    import z3

    xs = [z3.Real(f"x{j}", ctx) for j in range(ball.d)]
    s = z3.Solver(ctx=ctx)

    def q(v: Fraction):
        return z3.RealVal(f"{v.numerator}/{v.denominator}", ctx)

    diffs = [x - q(c) for x, c in zip(xs, ball.center)]
    if ball.p is None or box_only:
        r = q(ball.radius_power if ball.p is None else ball.box_radius)
        for t in diffs:
            s.add(t < r, t > -r)
    else:
        ts = [z3.Real(f"t{j}", ctx) for j in range(ball.d)]
        for t, df in zip(ts, diffs):
            s.add(t >= df, t >= -df)
        if ball.p == 1:
            s.add(z3.Sum(ts) < q(ball.radius_power))
        elif ball.p == 2:
            s.add(z3.Sum([df * df for df in diffs]) < q(ball.radius_power))
        else:
            s.add(z3.Sum([t**ball.p for t in ts]) < q(ball.radius_power))
    for row, beta, phase in constraints:
        e = z3.Sum([q(a) * x for a, x in zip(row, xs) if a != 0] + [q(beta)])
        s.add(e >= 0 if phase else e <= 0)
    return s, xs, q


def _model_candidates(model, xs):
    """Exact rational points from a z3 model (algebraic values approximated, finer and finer)."""
    import z3

    vals = [model.eval(x, model_completion=True) for x in xs]
    if all(z3.is_rational_value(v) for v in vals):
        yield tuple(Fraction(v.numerator_as_long(), v.denominator_as_long()) for v in vals)
        return
    for prec in (20, 40, 80, 160):
        pt = []
        for v in vals:
            if z3.is_rational_value(v):
                pt.append(Fraction(v.numerator_as_long(), v.denominator_as_long()))
            else:
                a = v.approx(prec)
                pt.append(Fraction(a.numerator_as_long(), a.denominator_as_long()))
        yield tuple(pt)


@dataclass
class _Budget:
    deadline: float | None
    max_nodes: int
    nodes: int = 0
    leaves: dict[str, int] = field(default_factory=dict)

    def out(self) -> bool:
        return self.nodes >= self.max_nodes or (
            self.deadline is not None and time.monotonic() > self.deadline
        )


# ------------------------------------------------------------------------ attack
def attack(
    net: Network, ball: Ball, prep: _Prepared, seed: int = 0, samples: int = 64
) -> BallResult | None:
    c = ball.center
    r = refuted(ball, net, c, ENGINE, "f(centre) differs from the label")
    if r is not None:
        return r
    # along the gradient of the centre's affine piece (both ways, shrinking steps)
    pre = net.pre_activations(c)
    pattern = [[z > 0 for z in layer] for layer in pre[:-1]]
    a = output_gradient(prep, pattern)
    if any(a):
        dirs = _directions(ball, a)
        for k in range(1, 40):
            for sgn in (1, -1):
                for dvec in dirs:
                    t = _step(ball, k)
                    x = tuple(ci + sgn * t * di for ci, di in zip(c, dvec))
                    r = refuted(ball, net, x, ENGINE, "gradient step from the centre")
                    if r is not None:
                        return r
    # projected gradient steps in float, from the centre and random starts, both directions
    rng = np.random.default_rng(seed)
    r = _pgd(net, ball, prep, rng)
    if r is not None:
        return r
    # random float samples in the ball, exactly re-checked
    X = _sample(ball, rng, samples)
    vals = net.evaluate_float(X)
    y = float(ball.label)
    order = np.argsort(-np.abs(vals - y))
    for idx in order[: min(8, len(order))]:
        if abs(vals[idx] - y) <= 1e-12 * (1 + abs(y)):
            break
        x = tuple(Fraction(float(v)) for v in X[idx])
        r = refuted(ball, net, x, ENGINE, "random sample in the ball")
        if r is not None:
            return r
    return None


def _float_radius(ball: Ball) -> float:
    if ball.p in (None, 1):
        return float(ball.radius_power)
    return float(ball.radius_power) ** (1.0 / ball.p)


def _project(ball: Ball, c: np.ndarray, X: np.ndarray, mu: float) -> np.ndarray:
    D = X - c
    if ball.p is None:
        D = np.clip(D, -mu, mu)
    else:
        n = np.linalg.norm(D, ord=ball.p, axis=1, keepdims=True)
        D = np.where(n > mu, D * (mu / np.maximum(n, 1e-300)), D)
    return c + D


def _pgd(
    net: Network, ball: Ball, prep: _Prepared, rng, steps: int = 40, starts: int = 6
) -> BallResult | None:
    c = np.array([float(v) for v in ball.center])
    mu = 0.999 * _float_radius(ball)
    if not np.isfinite(mu) or mu <= 0:
        return None
    y = float(ball.label)
    X0 = np.vstack([c[None, :], _sample(ball, rng, starts - 1)])
    for sign in (1.0, -1.0):
        X = X0.copy()
        for t in range(steps):
            v, g = _float_value_grad(prep, X, leak=0.0 if t % 2 else 0.1)
            dev = sign * (v - y)
            hit = np.nonzero(dev > 1e-9 * (1 + abs(y)))[0]
            for i in hit[:3]:
                x = tuple(Fraction(float(u)) for u in X[i])
                r = refuted(ball, net, x, ENGINE, "projected gradient search")
                if r is not None:
                    return r
            alpha = mu * (0.5 if t < steps // 2 else 0.1)
            gs = sign * g
            if ball.p is None:
                step = np.sign(gs)
            elif ball.p == 1:
                step = np.zeros_like(gs)
                j = np.argmax(np.abs(gs), axis=1)
                step[np.arange(len(gs)), j] = np.sign(gs[np.arange(len(gs)), j])
            else:
                n = np.linalg.norm(gs, axis=1, keepdims=True)
                step = gs / np.maximum(n, 1e-300)
            stuck = ~np.any(gs != 0, axis=1)
            step[stuck] = rng.standard_normal((int(stuck.sum()), X.shape[1]))
            X = _project(ball, c, X + alpha * step, mu)
    return None


def _directions(ball: Ball, a: list[Fraction]) -> list[tuple[Fraction, ...]]:
    """Unit-ish rational directions of steepest change: ‖dir‖_p ≤ 1."""
    if ball.p is None:
        return [tuple(Fraction((v > 0) - (v < 0)) for v in a)]
    j = max(range(len(a)), key=lambda i: abs(a[i]))
    e = tuple(Fraction(0) if i != j else Fraction((a[j] > 0) - (a[j] < 0)) for i in range(len(a)))
    l1 = sum(abs(v) for v in a)
    g = tuple(v / l1 for v in a)  # ‖g‖_p ≤ ‖g‖_1 = 1
    return [g, e]


def _step(ball: Ball, k: int) -> Fraction:
    """A step t with t < μ: (1 − 2^-k)-ish fractions of a lower bound of μ."""
    if ball.p is None or ball.p == 1:
        mu_low = ball.radius_power
    else:
        mu_low = root_upper(ball.radius_power, ball.p) * Fraction(1, 2)  # crude lower bound
        while mu_low**ball.p >= ball.radius_power:
            mu_low /= 2
    return mu_low * (1 - Fraction(1, 2**k)) if k < 3 else mu_low / 2 ** (k - 2)


def _sample(ball: Ball, rng, n: int) -> np.ndarray:
    c = np.array([float(v) for v in ball.center])
    mu = (
        float(ball.radius_power)
        if ball.p in (None, 1)
        else float(ball.radius_power) ** (1.0 / ball.p)
    )
    d = ball.d
    if ball.p is None:
        U = rng.uniform(-1, 1, size=(n, d))
    else:
        G = rng.standard_normal((n, d))
        if ball.p == 1:
            G = rng.laplace(size=(n, d))
        norms = np.linalg.norm(G, ord=ball.p, axis=1, keepdims=True)
        U = G / norms * rng.uniform(0, 1, size=(n, 1)) ** (1.0 / d)
    return c + 0.999 * mu * U


# ------------------------------------------------------------------------ branch and bound
def check_ball(
    net: Network,
    ball: Ball,
    *,
    timeout: float | None = None,
    max_nodes: int = 20000,
    prep: _Prepared | None = None,
    seed: int = 0,
) -> BallResult:
    """Decide f ≡ label on the open ball (argmax f = label for a classifier, see
    :func:`check_argmax`): PROVED, REFUTED (exact counterexample) or UNKNOWN."""
    t0 = time.monotonic()
    prep = prep or prepare(net)
    if net.output_dim > 1:
        return check_argmax(net, ball, prep, timeout, max_nodes, seed, t0)
    conc = _Concretiser(ball)
    y = _Q(ball.label)
    # the root first: most balls of a good memorizer close here, and need no attack
    if net.evaluate(ball.center) == ball.label:
        lo, up = _output_bounds(prep, conc, propagate(prep, conc, {}), {}, y)
        if lo >= y and up <= y:
            return BallResult(
                ball.index,
                "PROVED",
                ENGINE,
                reason="output bounds pin the label on the whole ball",
                seconds=time.monotonic() - t0,
                stats={"nodes": 1, "leaves": {"output": 1}},
                certificate={"tree": {"leaf": "output"}},
            )
    res = attack(net, ball, prep, seed=seed)
    if res is not None:
        res.seconds = time.monotonic() - t0
        return res

    def closes(prop: _Propagation, fixed) -> bool:
        lo, up = _output_bounds(prep, conc, prop, fixed, y)
        return lo >= y and up <= y

    def decide(prop: _Propagation, fixed, ctx, time_left):
        out = _decide_leaf(net, ball, prep, prop, fixed, ctx, time_left)
        if not isinstance(out, tuple):
            return out
        kind, pattern, rows, certs = out
        fields: dict[str, Any] = {
            "leaf": "affine" if kind == "affine" else "linear",
            "pattern": pattern,
        }
        missing = 0
        if kind == "solver":
            for side, cert in zip(("above", "below"), certs):
                fields[side] = cert if cert is not None else {"missing": None}
                missing += cert is None
        return kind, fields, missing

    return _branch_and_bound(ball, prep, conc, timeout, max_nodes, t0, closes, decide)


def _branch_and_bound(ball, prep, conc, timeout, max_nodes, t0, closes, decide) -> BallResult:
    """Split unstable neurons until every node closes: ``closes(prop, fixed)`` (the bounds
    prove the property) or, with every neuron stable or split, ``decide(prop, fixed, ctx,
    time_left)`` returns (kind, leaf fields, missing certificates), a REFUTED result or
    "unknown"."""
    budget = _Budget(None if timeout is None else t0 + timeout, max_nodes)
    tree: dict[str, Any] = {}
    stack: list[tuple[dict[tuple[int, int], bool], dict[str, Any]]] = [({}, tree)]
    uncertified = 0
    ctx = _LazyContext()
    while stack:
        if budget.out():
            return BallResult(
                ball.index,
                "UNKNOWN",
                ENGINE,
                reason=f"budget exhausted after {budget.nodes} nodes",
                seconds=time.monotonic() - t0,
                stats=_stats(budget),
            )
        fixed, node = stack.pop()
        budget.nodes += 1
        prop = propagate(prep, conc, fixed)
        if prop.empty:
            _leaf(budget, "empty")
            node["leaf"] = "empty"
            continue
        if closes(prop, fixed):
            _leaf(budget, "output")
            node["leaf"] = "output"
            continue
        # first layer (in order) with an undetermined neuron
        choice = None
        for k in range(len(prep.layers) - 1):
            best = None
            for i, (l, u) in enumerate(zip(prop.lower[k], prop.upper[k])):
                if (k, i) in fixed or not _undetermined(prep, k, i, l, u):
                    continue
                score = u * (-l) / (u - l)
                if best is None or score > best[0]:
                    best = (score, i)
            if best is not None:
                choice = (k, best[1])
                break
        if choice is not None:
            node.update(split=list(choice), active={}, inactive={})
            stack.append(({**fixed, choice: False}, node["inactive"]))
            stack.append(({**fixed, choice: True}, node["active"]))
            continue
        out = decide(prop, fixed, ctx, timeout_left(budget))
        if isinstance(out, BallResult):
            out.seconds = time.monotonic() - t0
            out.stats.update(_stats(budget))
            return out
        if out == "unknown":
            return BallResult(
                ball.index,
                "UNKNOWN",
                ENGINE,
                reason="the exact solver could not decide a leaf",
                seconds=time.monotonic() - t0,
                stats=_stats(budget),
            )
        kind, fields, missing = out
        _leaf(budget, kind)
        node.update(fields)
        uncertified += missing
    stats = _stats(budget)
    stats["uncertified_leaves"] = uncertified
    return BallResult(
        ball.index,
        "PROVED",
        ENGINE,
        reason="every branch closed ("
        + ", ".join(f"{v} {k}" for k, v in sorted(budget.leaves.items()))
        + ")"
        + (f"; {uncertified} leaf sides without a certificate" if uncertified else ""),
        seconds=time.monotonic() - t0,
        stats=stats,
        certificate=None if uncertified else {"tree": tree},
    )


def _output_bounds(prep, conc, prop, fixed, y) -> tuple[fmpq, fmpq]:
    """Forward output bounds, tightened by back-substitution when they do not pin y."""
    lo, up = prop.lower[-1][0], prop.upper[-1][0]
    if len(prep.layers) > 1 and not (lo >= y and up <= y):
        blo, bup = backward_output_bounds(prep, conc, prop, fixed)
        lo, up = max(lo, blo), min(up, bup)
    return lo, up


class _LazyContext:
    """A z3 context made on first use (most balls never reach a solver)."""

    def __init__(self) -> None:
        self._ctx = None

    def get(self):
        if self._ctx is None:
            import z3

            self._ctx = z3.Context()
        return self._ctx


def timeout_left(b: _Budget) -> float | None:
    return None if b.deadline is None else max(0.001, b.deadline - time.monotonic())


def _leaf(b: _Budget, kind: str) -> None:
    b.leaves[kind] = b.leaves.get(kind, 0) + 1


def _stats(b: _Budget) -> dict[str, Any]:
    return {"nodes": b.nodes, "leaves": dict(b.leaves)}


def _decide_leaf(net, ball, prep, prop, fixed, ctx, time_left):
    """All neurons stable or split: f = a·x + β on the region. Returns (kind, pattern, rows,
    certificates) with kind "affine" or "solver" (rows: the split rows, then the two output
    rows; certificates: the emptiness certificate of each side, or None), a REFUTED
    BallResult, or "unknown".

    Each side is first closed by an emptiness certificate (cheap, and needed anyway); only a
    side without one is decided by z3 over the region (a model is a counterexample candidate,
    re-checked exactly; unsat closes the side without a certificate)."""
    pattern = _leaf_pattern(prep, prop, fixed)
    forms = affine_piece(prep, pattern)
    a = [_F(e) for e in forms[-1][0].entries()]
    beta = _F(forms[-1][1][0, 0])
    bits = [[int(v) for v in r] for r in pattern]
    if not any(a) and beta == ball.label:
        return "affine", bits, [], []
    constraints = _split_constraints(forms, fixed)
    y = Fraction(ball.label)
    rows = []
    for row, b0, ph in constraints:
        sg = 1 if ph else -1
        rows.append(([sg * v for v in row], sg * b0, False, None))
    tags = [("split", k, i) for (k, i) in fixed]
    rows = [(r[0], r[1], r[2], t) for r, t in zip(rows, tags)]
    rows.append((list(a), beta - y, True, ("out",)))
    rows.append(([-v for v in a], y - beta, True, ("out",)))
    certs = [emptiness_certificate(rows[:-2] + [out_row], ball) for out_row in rows[-2:]]
    saw_unknown = False
    for sense, cert in zip((1, -1), certs):
        if cert is not None:
            continue

        def goal(e, q, sense=sense):
            return e > q(y) if sense > 0 else e < q(y)

        st = _side_status(net, ball, constraints, ctx, time_left, a, beta, goal)
        if isinstance(st, BallResult):
            return st
        saw_unknown |= st == "unknown"
    if saw_unknown:
        return "unknown"
    return "solver", bits, rows, certs


def _leaf_pattern(prep: _Prepared, prop: _Propagation, fixed) -> list[list[bool]]:
    """The activation pattern of a node whose neurons are all stable or split."""
    pattern = []
    for k in range(len(prep.layers) - 1):
        row = []
        for i, (l, _u) in enumerate(zip(prop.lower[k], prop.upper[k])):
            ph = fixed.get((k, i))
            row.append(ph if ph is not None else bool(l >= 0))
        pattern.append(row)
    return pattern


def _split_constraints(forms, fixed) -> list[tuple[list[Fraction], Fraction, bool]]:
    """The split half-spaces as (row, constant, phase): row·x + constant ≥ 0 (≤ 0 if off)."""
    constraints = []
    for (k, i), ph in fixed.items():
        P, q = forms[k]
        row = [_F(P[i, j]) for j in range(P.ncols())]
        constraints.append((row, _F(q[i, 0]), ph))
    return constraints


def _side_status(net, ball, constraints, ctx, time_left, a, beta, goal):
    """Does the region (ball ∩ splits) hold a point with goal(a·x + β, q)? "unsat", a REFUTED
    result (a model re-checked exactly on the network) or "unknown"."""
    import z3

    # ℓ2 and higher p: a linear relaxation (the box around the ball) first — unsat there
    # closes the branch without nonlinear arithmetic; a model may already be a witness.
    modes = (True, False) if ball.p not in (None, 1) else (False,)
    status = "unsat"
    for box_only in modes:
        s, xs, q = _z3_region(ball, constraints, ctx.get(), box_only)
        if time_left is not None:
            s.set("timeout", int(time_left * 1000))
        e = z3.Sum([q(v) * x for v, x in zip(a, xs) if v != 0] + [q(beta)])
        s.add(goal(e, q))
        r = s.check()
        if r == z3.unsat:
            return "unsat"
        if r == z3.sat:
            m = s.model()
            for x in _model_candidates(m, xs):
                found = refuted(ball, net, x, ENGINE, "solver model of an affine piece")
                if found is not None:
                    return found
            if not box_only:
                status = "unknown"  # sat in the ball, but no exact witness recovered
        elif r == z3.unknown and not box_only:
            status = "unknown"
    return status


# ------------------------------------------------------------------------ classifiers
def check_argmax(
    net: Network,
    ball: Ball,
    prep: _Prepared,
    timeout: float | None,
    max_nodes: int,
    seed: int,
    t0: float,
) -> BallResult:
    """argmax f = y on the open ball, ties failing, for a classifier f : R^d → R^C (output
    index y − 1 is class y). Works on the margin network g = (f_y − f_j)_{j ≠ y}: the
    property is g > 0 componentwise. Nodes close when every margin's lower bound is > 0;
    full-pattern leaves get, per margin j, "bound" or an emptiness certificate for
    {x ∈ region : g_j(x) ≤ 0}."""
    mprep = margin_prep(prep, net, ball.label)
    conc = _Concretiser(ball)

    def lows(prop: _Propagation, fixed) -> list[fmpq]:
        out = []
        for j, lo in enumerate(prop.lower[-1]):
            if lo <= 0 and len(mprep.layers) > 1:
                lo = max(lo, backward_lower(mprep, conc, prop, fixed, j))
            out.append(lo)
        return out

    def closes(prop: _Propagation, fixed) -> bool:
        return all(lo > 0 for lo in lows(prop, fixed))

    res = refuted(ball, net, ball.center, ENGINE, "argmax at the centre is not the label")
    if res is None and closes(propagate(mprep, conc, {}), {}):
        return BallResult(
            ball.index,
            "PROVED",
            ENGINE,
            reason="margin bounds keep the label on the whole ball",
            seconds=time.monotonic() - t0,
            stats={"nodes": 1, "leaves": {"output": 1}},
            certificate={"tree": {"leaf": "output"}},
        )
    res = res or _attack_margins(net, ball, mprep, seed)
    if res is not None:
        res.seconds = time.monotonic() - t0
        return res

    def decide(prop: _Propagation, fixed, ctx, time_left):
        pattern = _leaf_pattern(mprep, prop, fixed)
        forms = affine_piece(mprep, pattern)
        P, q = forms[-1]
        A = [[_F(P[j, i]) for i in range(P.ncols())] for j in range(P.nrows())]
        beta = [_F(q[j, 0]) for j in range(P.nrows())]
        bits = [[int(v) for v in r] for r in pattern]
        if all(not any(a) and b > 0 for a, b in zip(A, beta)):
            return "affine", {"leaf": "affine", "pattern": bits}, 0
        constraints = _split_constraints(forms, fixed)
        split_rows = [
            ([(1 if ph else -1) * v for v in row], (1 if ph else -1) * b0, False, ("split", k, i))
            for (row, b0, ph), (k, i) in zip(constraints, fixed)
        ]
        sides: list[Any] = []
        missing = 0
        for a, b, lo in zip(A, beta, lows(prop, fixed)):
            if lo > 0:
                sides.append("bound")
                continue
            st = _side_status(net, ball, constraints, ctx, time_left, a, b, lambda e, q: e <= 0)
            if st != "unsat":
                return st
            cert = emptiness_certificate(
                split_rows + [([-v for v in a], -b, False, ("out",))], ball
            )
            sides.append(cert if cert is not None else {"missing": None})
            missing += cert is None
        return "solver", {"leaf": "linear", "pattern": bits, "margins": sides}, missing

    return _branch_and_bound(ball, mprep, conc, timeout, max_nodes, t0, closes, decide)


def _float_margins(prep: _Prepared, X: np.ndarray, leak: float = 0.0):
    """All outputs at the rows of X, and the gradient of the smallest one (floats: guidance)."""
    masks = []
    h = X
    for k, (W, b) in enumerate(prep.floats):
        z = h @ W.T + b
        if k < len(prep.floats) - 1:  # step units are flat: no gradient through H
            st = _step_mask(prep, k)
            masks.append(np.where(st, 0.0, np.where(z > 0, 1.0, leak)))
            h = np.where(st, (z >= 0).astype(float), z * (z > 0))
        else:
            h = z
    g = prep.floats[-1][0][np.argmin(h, axis=1)]
    for k in range(len(prep.floats) - 2, -1, -1):
        g = (g * masks[k]) @ prep.floats[k][0]
    return h, g


def _attack_margins(
    net: Network, ball: Ball, mprep: _Prepared, seed: int, steps: int = 40, starts: int = 6
) -> BallResult | None:
    """Look for x in the ball with some margin ≤ 0: exact steps down the centre piece's
    margin gradients, projected gradient descent on the smallest margin, random samples.
    Every proposal is re-checked exactly on the classifier."""
    c = ball.center
    pre = net.pre_activations(c)
    forms = affine_piece(mprep, [[z > 0 for z in layer] for layer in pre[:-1]])
    P = forms[-1][0]
    for j in range(P.nrows()):
        a = [-_F(P[j, i]) for i in range(P.ncols())]
        if any(a):
            for k in range(1, 30):
                for dvec in _directions(ball, a):
                    t = _step(ball, k)
                    x = tuple(ci + t * di for ci, di in zip(c, dvec))
                    r = refuted(ball, net, x, ENGINE, "step down a margin's gradient")
                    if r is not None:
                        return r
    rng = np.random.default_rng(seed)
    cf = np.array([float(v) for v in c])
    mu = 0.999 * _float_radius(ball)
    if not np.isfinite(mu) or mu <= 0:
        return None
    X = np.vstack([cf[None, :], _sample(ball, rng, starts - 1)])
    for t in range(steps):
        V, G = _float_margins(mprep, X, leak=0.0 if t % 2 else 0.1)
        for i in np.nonzero(V.min(axis=1) <= 0)[0][:3]:
            r = _short_refutation(net, ball, X[i], "projected gradient search")
            if r is not None:
                return r
        alpha = mu * (0.5 if t < steps // 2 else 0.1)
        if ball.p is None:
            step = -np.sign(G)
        elif ball.p == 1:
            step = np.zeros_like(G)
            j = np.argmax(np.abs(G), axis=1)
            step[np.arange(len(G)), j] = -np.sign(G[np.arange(len(G)), j])
        else:
            step = -G / np.maximum(np.linalg.norm(G, axis=1, keepdims=True), 1e-300)
        stuck = ~np.any(G != 0, axis=1)
        step[stuck] = rng.standard_normal((int(stuck.sum()), X.shape[1]))
        X = _project(ball, cf, X + alpha * step, mu)
    X = _sample(ball, rng, 64)
    V = _float_margins(mprep, X)[0].min(axis=1)
    for i in np.argsort(V)[:8]:
        if V[i] > 0:
            break
        r = _short_refutation(net, ball, X[i], "random sample in the ball")
        if r is not None:
            return r
    return None


def _short_refutation(net: Network, ball: Ball, x: np.ndarray, reason: str) -> BallResult | None:
    """An exact counterexample at or near the float point x: short dyadic roundings of x
    first (readable reports), then x's exact binary value."""
    for bits in (4, 8, 16, 32):
        r = refuted(
            ball,
            net,
            tuple(Fraction(round(float(u) * 2**bits), 2**bits) for u in x),
            ENGINE,
            reason,
        )
        if r is not None:
            return r
    return refuted(ball, net, tuple(Fraction(float(u)) for u in x), ENGINE, reason)
