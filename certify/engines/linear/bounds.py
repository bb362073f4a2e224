"""Exact bounds over a ball: concretisation, symbolic propagation, back-substitution, affine
pieces."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from flint import fmpq, fmpq_mat

from certify.ball import Ball, root_upper
from certify.engines.linear.prepare import _F, _Q, _diag, _is_step, _Prepared, _scale_rows


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
