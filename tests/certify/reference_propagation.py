"""The reference implementation of bound propagation: dense flint matrix products and its own
dual-norm concretisation, written independently of the kernel's sparse row-wise
rules.bounds / Ball.reach (the only production propagation). tests/certify/test_propagation.py
checks that both give the same bounds; bench/bench_propagation.py times them."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from flint import fmpq, fmpq_mat

from certify.ball import Ball, root_upper
from certify.network import Network


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


class Concretiser:
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

    def bounds(self, AL, bL, AU, bU) -> tuple[list[fmpq], list[fmpq]]:
        cl = (AL * self.c + bL).entries()
        cu = (AU * self.c + bU).entries()
        rl = self.radius_terms(AL)
        ru = rl if AU is AL else self.radius_terms(AU)
        return [a - r for a, r in zip(cl, rl)], [a + r for a, r in zip(cu, ru)]


@dataclass
class Propagation:
    lower: list[list[fmpq]]  # per layer (hidden and output), per neuron
    upper: list[list[fmpq]]
    empty: bool = False  # a split phase contradicts the bounds: the region is empty


def propagate_dense(net: Network, ball: Ball, fixed: dict[tuple[int, int], bool]) -> Propagation:
    """Pre-activation bounds of every layer under the split phases ``fixed``, with dense flint
    products W⁺A_L + W⁻A_U, W⁺A_U + W⁻A_L (``empty``: a split contradicts the bounds)."""
    conc = Concretiser(ball)
    layers = net.flint_layers()
    splits = [_split(W) for W, _ in layers]
    steps = [list(net.step_units(k)) for k in range(net.depth - 1)]
    d = ball.d
    AL = AU = fmpq_mat(d, d)
    for i in range(d):
        AL[i, i] = fmpq(1)
    bL = bU = fmpq_mat(d, 1)
    lows: list[list[fmpq]] = []
    ups: list[list[fmpq]] = []
    alo = aup = None  # concrete bounds of the previous layer's outputs (None: the input)
    last = len(layers) - 1
    for k, ((W, b), (Wp, Wn)) in enumerate(zip(layers, splits)):
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
        step = steps[k]
        post_lo: list[fmpq] = []
        post_up: list[fmpq] = []
        zero = fmpq(0)
        for i, (l, u) in enumerate(zip(lo, up)):
            ph = fixed.get((k, i))
            if ph is True and u < 0 or ph is False and l > 0:
                return Propagation(lows, ups, empty=True)
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
    return Propagation(lows, ups)
