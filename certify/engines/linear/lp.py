"""LP leaves: the LP relaxation of a region, solved in floats (HiGHS), certified exactly.

On a box region (an ℓ∞ ball's closed box, or a half of it after input cuts) every hidden unit
is relaxed as the kernel relaxes it (kernel.judge.lp_rows: the sides of rules.relaxation and,
for an unstable ReLU, both a ≥ 0 and a ≥ z — the "triangle"), with the kernel's own bounds.
The LP max h_j over that polytope is far tighter than back-substituted bounds: ACAS Xu 2_1's
ball #0 at r = 0.02 has h_3 ≤ 2.9·10⁻⁴ by back-substitution and h_3 ≤ −2.5·10⁻⁵ by the LP.
HiGHS's duals, rounded to dyadics, are the certificate: the exact combination's leftover
coefficient on each variable is cancelled by that variable's own bound rows (box facets for
inputs, "pos"/"cap" for unit outputs), and the kernel (kernel.judge.check_lp_side) checks
that every coefficient is 0 and the constant negative. A float result never decides: a
rounded certificate the exact check would refuse is not offered.
"""

from __future__ import annotations

import numpy as np

from certify.kernel import Q, rules
from certify.kernel.judge import lp_rows, pre_activation

DUAL_BITS = 48  # LP multipliers rounded to this many bits after the point
TINY = 2.0**-60  # multipliers below this are dropped


def _units(goal, fixed, lows, ups, bits) -> list:
    """The LP's rows, [[k, i, kind, 1]...]: per unit the sides of its relaxation, for an
    unstable ReLU also a ≥ z, its bound rows "pos"/"cap", and a split's side."""
    out = []
    for k, L in enumerate(goal[:-1]):
        for i in range(len(L.W)):
            ph = rules.phase(L.step[i], fixed.get((k, i)), lows[k][i], ups[k][i])
            kinds = ["lo", "up", "pos", "cap"]
            if ph is None and not L.step[i]:
                kinds.append("ge")
            if (k, i) in fixed:
                kinds.append("split")
            out += [[k, i, kind, 1] for kind in kinds]
    return out


def lp_leaf(goal, strict: bool, region, fixed: dict, lows, ups, safe_rows) -> dict | None:
    """An {"leaf": "lp", "rows": [...]} the kernel accepts on ``region`` (a Ball with p = ∞
    or a Box) under the splits ``fixed`` with its bounds (lows, ups), or None. Failure rows
    in ``safe_rows`` are "bound" (the bounds already exclude them)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    units = _units(goal, fixed, lows, ups, region.bits)
    rows = lp_rows(goal, region, fixed, lows, ups, units)
    d = len(goal[0].W[0])
    keys = list(range(d)) + [(k, i) for k, L in enumerate(goal[:-1]) for i in range(len(L.W))]
    col = {v: n for n, v in enumerate(keys)}
    data, ri, ci = [], [], []
    for r, (row, _, _) in enumerate(rows):
        for v, w in row.items():
            data.append(-float(w))
            ri.append(r)
            ci.append(col[v])
    A = csr_matrix((data, (ri, ci)), shape=(len(rows), len(keys)))
    b = np.array([float(c) for _, c, _ in rows])
    box = region.box()
    bnds = [(float(lo), float(hi)) for lo, hi in zip(box.lo, box.hi)]
    bnds += [(None, None)] * (len(keys) - d)
    L = goal[-1]
    certs = []
    for j in range(len(L.W)):
        if j in safe_rows:
            certs.append("bound")
            continue
        if region.tick is not None:  # the ball's deadline, between LPs (it may raise)
            region.tick()
        h, h0 = pre_activation(goal, len(goal) - 1, j)
        c = np.zeros(len(keys))
        for v, w in h.items():
            c[col[v]] = -float(w)
        res = linprog(c, A_ub=A, b_ub=b, bounds=bnds, method="highs")
        if res.status != 0 or -res.fun + float(h0) >= 0:
            return None
        cert = _exact_cert(rows, units, box, h, h0, -res.ineqlin.marginals, strict)
        if cert is None:
            return None
        certs.append(cert)
    return {"leaf": "lp", "rows": certs}


def root_lp(goal, strict: bool, region, tick) -> dict | None:
    """:func:`lp_leaf` on the whole region (no splits) with its back-substituted bounds, or
    None (also when the bounds already close every row: an "output" leaf is cheaper)."""
    region.tick = tick
    got = rules.bounds(goal, region, {})
    if got is None:
        return None
    lows, ups = got
    top = rules.output_uppers(goal, region, {}, lows, ups, strict)
    safe_rows = {j for j, u in enumerate(top) if rules.safe(u, strict)}
    if len(safe_rows) == len(top):
        return None
    return lp_leaf(goal, strict, region, {}, lows, ups, safe_rows)


def proved_by_lp(ball, goal, strict: bool, kb, tick, t0: float, prep):
    """A PROVED result whose proof is one LP leaf on the whole ℓ∞ ball (back-substituted
    bounds), or None: not an ℓ∞ ball, not a float-born network (``prep.bits``: robustmem's
    exact constructions and small exact networks close in a few cheap nodes, where the LP
    only adds its cost — measured: bench_peers' random networks 0.63 s → 0.91 s), or the LP
    does not exclude every failure row."""
    from certify.engines.linear.search import proved_at_root

    if ball.p is not None or prep.bits is None:
        return None
    leaf = root_lp(goal, strict, kb.at_depth(True), tick)
    if leaf is None:
        return None
    out = proved_at_root(ball, "the LP relaxation keeps the label on the whole ball", t0)
    out.certificate = {"tree": leaf, "deep": True}
    out.stats["leaves"] = {"lp": 1}
    return out


def _dyadic(v: float) -> Q:
    return Q(int(round(v * 2.0**DUAL_BITS)), 1 << DUAL_BITS)


def _exact_cert(rows, units, box, h, h0, duals, strict) -> dict | None:
    """The rounded duals as multipliers, each variable's leftover coefficient cancelled by its
    bound rows; None unless the exact combination is a certificate."""
    lam = [_dyadic(y) if y > TINY else Q(0) for y in duals]
    grad = dict(h)
    const = h0
    for (row, c, _), y in zip(rows, lam):
        if y:
            for v, w in row.items():
                grad[v] = grad.get(v, Q(0)) + y * w
            const += y * c
    # per unit output, the rows a − pl ≥ 0 ("pos") and pu − a ≥ 0 ("cap") cancel what is left
    where = {(k, i, kind): n for n, (k, i, kind, _) in enumerate(units) if kind in ("pos", "cap")}
    boxes = []
    for v, g in grad.items():
        if not g:
            continue
        if not isinstance(v, tuple):  # x_j − lo_j ≥ 0 (times −g, for g < 0) or hi_j − x_j ≥ 0
            boxes.append([v, 1 if g < 0 else -1, -g if g < 0 else g])
            const += g * box.lo[v] if g < 0 else g * box.hi[v]
            continue
        n = where[(*v, "pos" if g < 0 else "cap")]
        lam[n] += -g if g < 0 else g
        const += (-g) * rows[n][1] if g < 0 else g * rows[n][1]
    if const > 0 or (const == 0 and not strict):
        return None
    out = [[k, i, kind, str(y)] for (k, i, kind, _), y in zip(units, lam) if y]
    return {"units": out, "box": [[j, s, str(y)] for j, s, y in boxes], "out": 1}


__all__ = ["lp_leaf", "pre_activation", "proved_by_lp", "root_lp"]
