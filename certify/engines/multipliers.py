"""Exact emptiness certificates for the linear engine's solver leaves (untrusted: the kernel
re-checks everything these functions produce).

A leaf region is the open ball ∩ {g_r(x) ≥ 0} (split half-spaces) ∩ {g_out(x) > 0}. Two
kinds of multipliers show it empty:
- Motzkin (linear): λ ≥ 0 with Σ λ_r ∇g_r = 0 and Σ λ_r g_r(0) < 0, or ≤ 0 with some strict
  row weighted. For p = ∞ and p = 1 the ball's facets take part; found exactly by z3 (LRA)
  as a linear feasibility problem in λ.
- ℓ2: the closed polyhedron A x ≤ b stays at distance ≥ μ from c, shown by λ ≥ 0 with
  2λᵀ(Ac − b) − ‖Aᵀλ‖² ≥ μ². λ is the exact KKT multiplier of min ‖x − c‖² on the active set
  that a float solver proposes.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from certify.ball import Ball

Row = tuple[list[Fraction], Fraction, bool, tuple]  # coefficients, constant, strict, tag


def _s(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def _split_entries(rows: list[Row], lam: list[Fraction]):
    splits = [[t[1], t[2], _s(v)] for (_, _, _, t), v in zip(rows, lam) if t[0] == "split"]
    out = next((v for (_, _, _, t), v in zip(rows, lam) if t[0] == "out"), Fraction(0))
    return splits, _s(out)


def motzkin(rows: list[Row], ball: Ball | None, timeout_ms: int = 10000) -> dict | None:
    """Motzkin multipliers (with the ball's facets if ``ball`` is given, p ∈ {1, ∞})."""
    import z3

    ctx = z3.Context()
    s = z3.Solver(ctx=ctx)
    s.set("timeout", timeout_ms)
    d = len(rows[0][0])

    def q(v: Fraction):
        return z3.RealVal(_s(v), ctx)

    lam = [z3.Real(f"l{r}", ctx) for r in range(len(rows))]
    grad = [
        z3.Sum(
            [q(row[0][j]) * lam[r] for r, row in enumerate(rows) if row[0][j] != 0]
            + [z3.RealVal(0, ctx)]
        )
        for j in range(d)
    ]
    const = z3.Sum([q(row[1]) * lam[r] for r, row in enumerate(rows)] + [z3.RealVal(0, ctx)])
    strict = [lam[r] for r, row in enumerate(rows) if row[2]]
    for v in lam:
        s.add(v >= 0)
    extra = []
    if ball is not None and ball.p != 1:  # the box around the ball (radius μ for ∞)
        mu = q(ball.radius_power if ball.p is None else ball.box_radius)
        up = [z3.Real(f"u{j}", ctx) for j in range(d)]  # μ − (x_j − c_j) > 0
        dn = [z3.Real(f"w{j}", ctx) for j in range(d)]  # μ + (x_j − c_j) > 0
        for j in range(d):
            s.add(up[j] >= 0, dn[j] >= 0)
            grad[j] = grad[j] - up[j] + dn[j]
            const = const + up[j] * (mu + q(ball.center[j])) + dn[j] * (mu - q(ball.center[j]))
        strict += up + dn
        extra = [("inf", up, dn)]
    elif ball is not None and ball.p == 1:
        mu = q(ball.radius_power)
        L = z3.Real("L", ctx)
        v = [z3.Real(f"v{j}", ctx) for j in range(d)]  # L·μ − v·(x − c) > 0, |v_j| ≤ L
        s.add(L >= 0)
        for j in range(d):
            s.add(v[j] <= L, v[j] >= -L)
            grad[j] = grad[j] - v[j]
            const = const + v[j] * q(ball.center[j])
        const = const + L * mu
        strict.append(L)
        extra = [("one", L, v)]
    for g in grad:
        s.add(g == 0)
    s.add(const <= 0)
    s.add(z3.Or(const <= -1, z3.Sum(strict + [z3.RealVal(0, ctx)]) >= 1))
    if s.check() != z3.sat:
        return None
    m = s.model()

    def val(x) -> Fraction:
        r = m.eval(x, model_completion=True)
        return Fraction(r.numerator_as_long(), r.denominator_as_long())

    lv = [val(x) for x in lam]
    splits, out = _split_entries(rows, lv)
    body: dict = {"splits": splits, "out": out}
    if extra and extra[0][0] == "inf":
        _, up, dn = extra[0]
        body["ball"] = [[[j, 1], _s(val(up[j]))] for j in range(d) if val(up[j])] + [
            [[j, -1], _s(val(dn[j]))] for j in range(d) if val(dn[j])
        ]
    elif extra:
        _, L, v = extra[0]
        body["ball"] = _l1_facets(val(L), [val(x) for x in v])
    return {"motzkin": body}


def _l1_facets(L: Fraction, v: list[Fraction]) -> list:
    """Write v (|v_j| ≤ L) as Σ λ_s s over sign vectors s with Σ λ_s = L, exactly."""
    if L == 0:
        return []
    t = [(1 + x / L) / 2 for x in v]  # in [0, 1]; s_j(θ) = +1 iff θ < t_j, θ ~ U[0, 1]
    cuts = sorted(set([Fraction(0), Fraction(1), *t]))
    out = []
    for a, b in zip(cuts, cuts[1:]):
        if b > a:
            s = [1 if a < tj else -1 for tj in t]
            out.append([s, _s(L * (b - a))])
    return out


def l2_multipliers(rows: list[Row], ball: Ball) -> dict | None:
    """KKT multipliers of min ‖x − c‖² over the closed polyhedron of ``rows`` (p = 2)."""
    from flint import fmpq, fmpq_mat
    from scipy.optimize import minimize

    A = [[-v for v in r[0]] for r in rows]  # g ≥ 0  ⇔  A x ≤ b
    b = [r[1] for r in rows]
    c = list(ball.center)
    Af = np.array([[float(v) for v in row] for row in A])
    bf = np.array([float(v) for v in b])
    cf = np.array([float(v) for v in c])
    res = minimize(
        lambda x: float(np.sum((x - cf) ** 2)),
        cf,
        jac=lambda x: 2 * (x - cf),
        constraints=[{"type": "ineq", "fun": lambda x: bf - Af @ x, "jac": lambda x: -Af}],
        method="SLSQP",
        options={"maxiter": 500, "ftol": 1e-15},
    )
    x = res.x
    scale = 1e-7 * (1 + np.abs(bf))
    active = [r for r in range(len(rows)) if abs(Af[r] @ x - bf[r]) <= scale[r] * 10 + 1e-9]
    # keep a linearly independent subset of the active rows
    chosen: list[int] = []
    for r in active:
        M = fmpq_mat([[fmpq(v.numerator, v.denominator) for v in A[i]] for i in chosen + [r]])
        if M.rank() == len(chosen) + 1:
            chosen.append(r)
    if not chosen:
        return None
    AS = fmpq_mat([[fmpq(v.numerator, v.denominator) for v in A[i]] for i in chosen])
    cq = fmpq_mat([[fmpq(v.numerator, v.denominator)] for v in c])
    bS = fmpq_mat([[fmpq(b[i].numerator, b[i].denominator)] for i in chosen])
    try:
        # KKT: x = c − Aᵀλ/2 with λ = 2λ'; the kernel takes λ' (2λ'ᵀ(Ac − b) − ‖Aᵀλ'‖² ≥ μ²)
        lamS = (AS * AS.transpose()).solve(AS * cq - bS)
    except ZeroDivisionError:
        return None
    lam = [Fraction(0)] * len(rows)
    for i, r in enumerate(chosen):
        e = lamS[i, 0]
        lam[r] = Fraction(int(e.p), int(e.q))
    if any(v < 0 for v in lam):
        return None
    ATl = [sum((lam[r] * A[r][j] for r in range(len(rows))), Fraction(0)) for j in range(len(c))]
    gap = sum(
        (lam[r] * (sum(A[r][j] * c[j] for j in range(len(c))) - b[r]) for r in range(len(rows))),
        Fraction(0),
    )
    if 2 * gap - sum(v * v for v in ATl) < ball.radius_power:
        return None
    splits, out = _split_entries(rows, lam)
    return {"l2": {"splits": splits, "out": out}}


def slemma_multipliers(rows: list[Row], ball: Ball) -> dict | None:
    """p = 2: λ ≥ 0 and ν = 1 with φ(x) = Σ λ_r g_r(x) + (μ² − ‖x − c‖²) ≤ 0 for every x.

    max φ = ‖v + 2c‖²/4 − ‖c‖² + hᵀλ + μ² with v = Gλ (G: gradients, h: constants), so we
    minimise F(λ) = ‖Gλ + 2c‖² + 4hᵀλ over λ ≥ 0 in floats, then solve its KKT system exactly
    on the support and keep the result if F ≤ 4‖c‖² − 4μ² holds exactly."""
    from flint import fmpq, fmpq_mat
    from scipy.optimize import minimize

    m, d = len(rows), len(ball.center)
    G = [[r[0][j] for r in rows] for j in range(d)]  # d × m
    h = [r[1] for r in rows]
    c = list(ball.center)
    Gf = np.array([[float(v) for v in row] for row in G])
    hf = np.array([float(v) for v in h])
    cf = np.array([float(v) for v in c])

    def F(lam):
        r = Gf @ lam + 2 * cf
        return float(r @ r + 4 * hf @ lam), 2 * Gf.T @ r + 4 * hf

    res = minimize(F, np.zeros(m), jac=True, method="L-BFGS-B", bounds=[(0, None)] * m)
    lam_f = res.x
    support = [i for i in range(m) if lam_f[i] > 1e-9 * max(1.0, float(np.max(lam_f)))]
    for S in (support, [i for i in range(m) if lam_f[i] > 1e-6]):
        if not S:
            continue
        GS = fmpq_mat([[fmpq(G[j][i].numerator, G[j][i].denominator) for i in S] for j in range(d)])
        rhs = fmpq_mat(
            [[_q(-2 * (sum((G[j][i] * c[j] for j in range(d)), Fraction(0)) + h[i]))] for i in S]
        )
        try:
            sol = (GS.transpose() * GS).solve(rhs)
        except ZeroDivisionError:
            continue
        lam = [Fraction(0)] * m
        for t, i in enumerate(S):
            e = sol[t, 0]
            lam[i] = Fraction(int(e.p), int(e.q))
        if any(v < 0 for v in lam):
            continue
        v = [sum((G[j][i] * lam[i] for i in range(m)), Fraction(0)) for j in range(d)]
        kappa = sum((h[i] * lam[i] for i in range(m)), Fraction(0)) + ball.radius_power
        if 4 * (sum(a * b for a, b in zip(v, c)) + kappa) + sum(a * a for a in v) <= 0:
            splits, out = _split_entries(rows, lam)
            return {"slemma": {"splits": splits, "out": out, "nu": "1"}}
    return None


def _q(v: Fraction):
    from flint import fmpq

    return fmpq(v.numerator, v.denominator)


def _exact_on_support(E: list[list[Fraction]], e: list[Fraction], x: np.ndarray):
    """An exact z ≥ 0 with E z = e supported on the float solution x's largest entries
    (independent columns, normal equations), or None."""
    from flint import fmpq, fmpq_mat

    def q(v: Fraction):
        return fmpq(v.numerator, v.denominator)

    rows = len(E)
    order = sorted((i for i in range(len(x)) if x[i] > 1e-10), key=lambda i: -x[i])
    chosen: list[int] = []
    for i in order:
        cols = chosen + [i]
        if fmpq_mat([[q(E[k][t]) for t in cols] for k in range(rows)]).rank() == len(cols):
            chosen = cols
    if not chosen:
        return None
    ES = fmpq_mat([[q(E[k][t]) for t in chosen] for k in range(rows)])
    eq = fmpq_mat([[q(v)] for v in e])
    try:
        sol = (ES.transpose() * ES).solve(ES.transpose() * eq)
    except ZeroDivisionError:
        return None
    if ES * sol != eq:
        return None
    z = [Fraction(0)] * len(x)
    for t, i in enumerate(chosen):
        z[i] = Fraction(int(sol[t, 0].p), int(sol[t, 0].q))
    return None if any(v < 0 for v in z) else z


def motzkin_lp(rows: list[Row], ball: Ball) -> dict | None:
    """p = ∞: the Motzkin multipliers of :func:`motzkin` from float LPs (HiGHS), made exact.

    Variables z = (λ_r, u_j, w_j) ≥ 0 (rows, then the box facets μ ∓ (x_j − c_j) > 0) with
    the gradient Σ λ_r a_r − u + w = 0 and Σ z = 1; const = Σ λ_r b_r + Σ u_j(μ + c_j) +
    Σ w_j(μ − c_j). First minimise const; if the optimum is not negative, maximise the strict
    weight subject to const = 0. The float optimum proposes a support, on which the
    equalities are solved exactly; the result is kept only if the kernel's condition holds
    exactly (const < 0, or const = 0 with a strict row weighted) — the z3 search of
    :func:`motzkin` is the fallback. Untrusted either way: the kernel re-checks."""
    from scipy.optimize import linprog

    if ball.p is not None or not rows:
        return None
    m, d = len(rows), len(rows[0][0])
    mu = ball.radius_power
    c = list(ball.center)
    n = m + 2 * d
    E = [[Fraction(0)] * n for _ in range(d + 1)]  # gradient rows, then Σ z = 1
    for r, row in enumerate(rows):
        for j in range(d):
            E[j][r] = row[0][j]
    for j in range(d):
        E[j][m + j] = Fraction(-1)
        E[j][m + d + j] = Fraction(1)
    E[d] = [Fraction(1)] * n
    e = [Fraction(0)] * d + [Fraction(1)]
    cost = [row[1] for row in rows] + [mu + cj for cj in c] + [mu - cj for cj in c]
    strict = [rows[r][2] for r in range(m)] + [True] * (2 * d)
    Ef = np.array([[float(v) for v in row] for row in E])
    ef = np.array([float(v) for v in e])
    cf = np.array([float(v) for v in cost])

    def certified(z) -> bool:
        const = sum((a * b for a, b in zip(cost, z)), Fraction(0))
        return const < 0 or (const == 0 and any(v > 0 and st for v, st in zip(z, strict)))

    z = None
    try:
        res = linprog(cf, A_eq=Ef, b_eq=ef, bounds=[(0, None)] * n, method="highs")
        if res.status == 0 and res.fun < -1e-9:
            z = _exact_on_support(E, e, res.x)
        elif res.status == 0 and res.fun < 1e-9:  # const = 0: put weight on strict rows
            E2, e2 = E + [cost], e + [Fraction(0)]
            res = linprog(
                -np.array([float(st) for st in strict]),
                A_eq=np.vstack([Ef, cf]),
                b_eq=np.append(ef, 0.0),
                bounds=[(0, None)] * n,
                method="highs",
            )
            if res.status == 0 and res.fun < -1e-9:
                z = _exact_on_support(E2, e2, res.x)
    except ValueError:
        return None
    if z is None or not certified(z):
        return None
    splits, out = _split_entries(rows, z[:m])
    body: dict = {"splits": splits, "out": out}
    body["ball"] = [[[j, 1], _s(z[m + j])] for j in range(d) if z[m + j]] + [
        [[j, -1], _s(z[m + d + j])] for j in range(d) if z[m + d + j]
    ]
    return {"motzkin": body}


def emptiness_certificate(rows: list[Row], ball: Ball) -> dict | None:
    """Some certificate that no point of the ball satisfies all ``rows``, or None."""
    if ball.p is None:
        return motzkin_lp(rows, ball) or motzkin(rows, ball)
    if ball.p == 1:
        return motzkin(rows, ball)
    if ball.p == 2:
        cert = l2_multipliers(rows, ball) or slemma_multipliers(rows, ball)
        if cert is not None:
            return cert
    return motzkin(rows, ball)  # with the box around the ball (which also covers no box)
