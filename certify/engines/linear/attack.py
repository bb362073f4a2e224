"""Counterexample search (floats propose, exact evaluation decides): gradient steps from the
centre's piece, the ball's vertices, projected gradient search, random samples."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from certify.ball import Ball, BallResult, refuted, root_upper
from certify.engines.linear.prepare import _F, _Prepared
from certify.engines.linear.search import ENGINE
from certify.kernel import rules
from certify.kernel.rules import M, Q
from certify.network import Network


def _float_forward(prep: _Prepared, X: np.ndarray, leak: float = 0.0, pick=None):
    """All outputs at the rows of X in float64, and per row the gradient of output ``pick[r]``
    (output 0 if None). Guidance only. With ``leak`` > 0 the gradient is that of the
    leaky-ReLU network (slope ``leak`` below 0): on a plateau it still points towards where
    inactive units would switch on; step units are flat (no gradient through H)."""
    masks = []
    h = X
    for k, (W, b) in enumerate(prep.floats):
        z = h @ W.T + b
        if k < len(prep.floats) - 1:
            st = np.array(prep.layers[k].step, dtype=bool)
            masks.append(np.where(st, 0.0, np.where(z > 0, 1.0, leak)))
            h = np.where(st, (z >= 0).astype(float), z * (z > 0))
        else:
            h = z
    g = prep.floats[-1][0][np.zeros(len(X), dtype=int) if pick is None else pick(h)]
    for k in range(len(prep.floats) - 2, -1, -1):
        g = (g * masks[k]) @ prep.floats[k][0]
    return h, g


def _centre_gradients(prep: _Prepared, ball: Ball) -> list[list[Fraction]]:
    """The exact gradient of every output on the centre's affine piece (the pattern read at
    the centre by the kernel's evaluation: z > 0). Guidance only, so computed backwards by
    row-vector products (one per output), far cheaper than the full affine forms of the
    piece that leaves need (rules.affine_forms gives the same numbers)."""
    pre = rules.evaluate(prep.layers, [rules.exact(v) for v in ball.center], trace=True)
    v = prep.layers[-1].M  # outputs × units of the last hidden layer
    for k in range(len(prep.layers) - 2, -1, -1):
        L, n = prep.layers[k], v.ncols()
        keep = [Q(int(z > 0 and not h)) for z, h in zip(pre[k], L.step)]  # H passes no x
        v = M(v.nrows(), n, [e * keep[i % n] for i, e in enumerate(v.entries())]) * L.M
    return [[_F(e) for e in row] for row in rules.rows(v)]


def _pgd(ball: Ball, X0: np.ndarray, rng, ascent, offer, mu: float, steps: int = 40):
    """Projected gradient ascent from the rows of X0 (floats): ``ascent(X, leak)`` gives
    (rows worth an exact check, ascent directions); ``offer(x)`` checks a float point exactly
    and returns a REFUTED result or None. Rows with no gradient move at random."""
    c = np.array([float(v) for v in ball.center])
    X = X0.copy()
    for t in range(steps):
        hit, g = ascent(X, 0.0 if t % 2 else 0.1)
        for i in np.nonzero(hit)[0][:3]:
            r = offer(X[i])
            if r is not None:
                return r
        alpha = mu * (0.5 if t < steps // 2 else 0.1)
        if ball.p is None:
            step = np.sign(g)
        elif ball.p == 1:
            step = np.zeros_like(g)
            j = np.argmax(np.abs(g), axis=1)
            step[np.arange(len(g)), j] = np.sign(g[np.arange(len(g)), j])
        else:
            step = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-300)
        stuck = ~np.any(g != 0, axis=1)
        step[stuck] = rng.standard_normal((int(stuck.sum()), X.shape[1]))
        X = _project(ball, c, X + alpha * step, mu)
    return None


def _starts(ball: Ball, rng, starts: int = 6):
    """(μ as a float, a little inside, and the PGD starts: the centre and random points), or
    None when μ has no usable float."""
    mu = 0.999 * _float_radius(ball)
    if not np.isfinite(mu) or mu <= 0:
        return None
    c = np.array([float(v) for v in ball.center])
    return mu, np.vstack([c[None, :], _sample(ball, rng, starts - 1)])


# ------------------------------------------------------------------------ attack
def attack(
    net: Network, ball: Ball, prep: _Prepared, seed: int = 0, samples: int = 64
) -> BallResult | None:
    c = ball.center
    r = refuted(ball, net, c, ENGINE, "f(centre) differs from the label")
    if r is not None:
        return r
    # along the gradient of the centre's affine piece (both ways, shrinking steps)
    a = _centre_gradients(prep, ball)[0]
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
    rng = np.random.default_rng(seed)
    y = float(ball.label)
    # the ball's vertices: where a saturated network (zero gradient) still reaches its extremes
    V = _vertices(ball, rng)
    if len(V):
        vals = net.evaluate_float(V)
        for idx in np.argsort(-np.abs(vals - y))[:4]:
            if abs(vals[idx] - y) <= 1e-12 * (1 + abs(y)):
                break
            r = _vertex_refutation(net, ball, V[idx])
            if r is not None:
                return r
    # projected gradient steps in float, from the centre and random starts, both directions
    start = _starts(ball, rng)
    if start is not None:
        for sign in (1.0, -1.0):

            def ascent(X, leak, sign=sign):
                v, g = _float_forward(prep, X, leak)
                return sign * (v[:, 0] - y) > 1e-9 * (1 + abs(y)), sign * g

            def offer(x):
                x = tuple(Fraction(float(u)) for u in x)
                return refuted(ball, net, x, ENGINE, "projected gradient search")

            r = _pgd(ball, start[1], rng, ascent, offer, start[0])
            if r is not None:
                return r
    # random float samples in the ball, exactly re-checked
    X = _sample(ball, rng, samples)
    vals = net.evaluate_float(X)
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


VERTICES = 1024  # the most vertices of an ℓ∞ ball probed (all of them up to d = 10)


def _vertices(ball: Ball, rng) -> np.ndarray:
    """Float points just inside the ball's extreme points, where a piecewise-linear function
    on a polytope attains its extremes: the 2^d corners of an ℓ∞ ball (VERTICES at random
    beyond d = 10), the 2d vertices ±μe_j of an ℓ1 ball, for other p the points ±μe_j and
    the corners of the inscribed cube. Empty when μ has no usable float."""
    mu = (1 - 2.0**-20) * _float_radius(ball)
    if not np.isfinite(mu) or mu <= 0:
        return np.zeros((0, ball.d))
    d = ball.d
    if d <= 10:
        S = 1.0 - 2.0 * ((np.arange(2**d)[:, None] >> np.arange(d)) & 1)
    else:
        S = rng.choice([-1.0, 1.0], size=(VERTICES, d))
    E = np.vstack([np.eye(d), -np.eye(d)])
    if ball.p is None:
        U = S
    elif ball.p == 1:
        U = E
    else:
        U = np.vstack([E, S * d ** (-1.0 / ball.p)])
    return np.array([float(v) for v in ball.center]) + mu * U


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


def attack_margins(
    net: Network, ball: Ball, mprep: _Prepared, seed: int, steps: int = 40, starts: int = 6
) -> BallResult | None:
    """Look for x in the ball with some margin ≤ 0: exact steps down the centre piece's
    margin gradients, projected gradient descent on the smallest margin, random samples.
    Every proposal is re-checked exactly on the classifier."""
    c = ball.center
    for g in _centre_gradients(mprep, ball):
        a = [-v for v in g]
        if any(a):
            for k in range(1, 30):
                for dvec in _directions(ball, a):
                    t = _step(ball, k)
                    x = tuple(ci + t * di for ci, di in zip(c, dvec))
                    r = refuted(ball, net, x, ENGINE, "step down a margin's gradient")
                    if r is not None:
                        return r
    rng = np.random.default_rng(seed)
    V = _vertices(ball, rng)
    if len(V):
        low = _float_forward(mprep, V)[0].min(axis=1)
        for i in np.argsort(low)[:4]:
            if low[i] > 0:
                break
            r = _vertex_refutation(net, ball, V[i])
            if r is not None:
                return r
    start = _starts(ball, rng, starts)
    if start is None:
        return None

    def ascent(X, leak):
        V, G = _float_forward(mprep, X, leak, pick=lambda h: np.argmin(h, axis=1))
        return V.min(axis=1) <= 0, -G

    r = _pgd(
        ball,
        start[1],
        rng,
        ascent,
        lambda x: _short_refutation(net, ball, x, "projected gradient search"),
        start[0],
        steps,
    )
    if r is not None:
        return r
    X = _sample(ball, rng, 64)
    V = _float_forward(mprep, X)[0].min(axis=1)
    for i in np.argsort(V)[:8]:
        if V[i] > 0:
            break
        r = _short_refutation(net, ball, X[i], "random sample in the ball")
        if r is not None:
            return r
    return None


def _vertex_refutation(net: Network, ball: Ball, v: np.ndarray) -> BallResult | None:
    """An exact counterexample near the probed vertex v: for ℓ∞ and ℓ1 balls the exact points
    c + (1 − 2^-k)·μ·u (u the vertex's direction, k = 1, 2, 4, …, 32: the shortest that fails
    first, for readable reports), else the short roundings of v."""
    if ball.p in (None, 1):
        c, mu = ball.center, ball.radius_power
        u = [int(np.sign(a - float(b))) for a, b in zip(v, c)]
        for k in (1, 2, 4, 8, 16, 20, 32):
            t = mu * (1 - Fraction(1, 2**k))
            r = refuted(
                ball, net, tuple(ci + t * s for ci, s in zip(c, u)), ENGINE, "vertex of the ball"
            )
            if r is not None:
                return r
        return None
    return _short_refutation(net, ball, v, "vertex of the ball")


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
