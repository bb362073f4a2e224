"""Leaf decisions: a node whose neurons are all stable or split is one affine piece; each side
of the property is closed by an emptiness certificate or decided by z3 over the region."""

from __future__ import annotations

from fractions import Fraction

from certify.ball import Ball, BallResult, refuted
from certify.engines.linear.bounds import _Propagation, affine_piece
from certify.engines.linear.prepare import _F, _Prepared
from certify.engines.linear.search import ENGINE
from certify.engines.multipliers import emptiness_certificate


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
