"""Leaf decisions: a node whose neurons are all stable or split is one affine piece (the
kernel's rules.affine_forms); each side of the property is closed by an emptiness certificate
or decided by z3 over the region (ball ∩ split half-spaces)."""

from __future__ import annotations

import time
from fractions import Fraction

from flint import fmpq_mat

from certify.ball import BallResult, refuted
from certify.engines.linear.prepare import _F, _Prepared
from certify.engines.linear.search import ENGINE
from certify.engines.multipliers import emptiness_certificate
from certify.kernel import rules


def leaf_pattern(prep: _Prepared, b, fixed) -> list[list[bool]]:
    """The activation pattern of a node whose neurons are all stable or split (the kernel's
    phase rule on the node's bounds ``b``)."""
    lows, ups = b
    return [
        [
            rules.phase(L.step[i], fixed.get((k, i)), l, u) is True
            for i, (l, u) in enumerate(zip(lows[k], ups[k]))
        ]
        for k, L in enumerate(prep.layers[:-1])
    ]


def piece(prep: _Prepared, pattern) -> list[tuple[list, list]]:
    """The exact affine forms z_k = P_k x + p_k of every layer on the pattern's piece, as
    (rows of P_k, entries of p_k) (rules.affine_forms)."""
    return rules.affine_forms(prep.layers, pattern)


def affine_piece(prep: _Prepared, pattern) -> list[tuple[fmpq_mat, fmpq_mat]]:
    """:func:`piece` as flint matrices (P_k, p_k as a column)."""
    return [(fmpq_mat(P), fmpq_mat(len(p), 1, p)) for P, p in piece(prep, pattern)]


def split_constraints(forms, fixed) -> list[tuple[list[Fraction], Fraction, bool]]:
    """The split half-spaces as (row, constant, phase): row·x + constant ≥ 0 (≤ 0 if off)."""
    return [
        ([_F(v) for v in forms[k][0][i]], _F(forms[k][1][i]), ph) for (k, i), ph in fixed.items()
    ]


def split_rows(constraints, fixed) -> list:
    """The split half-spaces as multiplier rows g(x) ≥ 0 tagged ("split", k, i)."""
    return [
        ([(1 if ph else -1) * v for v in row], (1 if ph else -1) * b0, False, ("split", k, i))
        for (row, b0, ph), (k, i) in zip(constraints, fixed)
    ]


def decide_leaf(net, ball, prep, b, fixed, ctx, time_left):
    """All neurons stable or split: f = a·x + β on the region. Returns (kind, pattern,
    certificates) with kind "affine" or "solver" (certificates: the emptiness certificate of
    each side, above and below, or None), a REFUTED BallResult, or "unknown".

    Each side is first closed by an emptiness certificate (cheap, and needed anyway); only a
    side without one is decided by z3 over the region (a model is a counterexample candidate,
    re-checked exactly; unsat closes the side without a certificate)."""
    deadline = None if time_left is None else time.monotonic() + time_left
    pattern = leaf_pattern(prep, b, fixed)
    forms = piece(prep, pattern)
    a = [_F(e) for e in forms[-1][0][0]]
    beta = _F(forms[-1][1][0])
    bits = [[int(v) for v in r] for r in pattern]
    if not any(a) and beta == ball.label:
        return "affine", bits, []
    constraints = split_constraints(forms, fixed)
    y = Fraction(ball.label)
    rows = split_rows(constraints, fixed)
    outs = [(list(a), beta - y, True, ("out",)), ([-v for v in a], y - beta, True, ("out",))]
    certs = [emptiness_certificate([*rows, out], ball) for out in outs]
    saw_unknown = False
    for sense, cert in zip((1, -1), certs):
        if cert is not None:
            continue

        def goal(e, q, sense=sense):
            return e > q(y) if sense > 0 else e < q(y)

        st = side_status(net, ball, constraints, ctx, deadline, a, beta, goal)
        if isinstance(st, BallResult):
            return st
        saw_unknown |= st == "unknown"
    if saw_unknown:
        return "unknown"
    return "solver", bits, certs


def _region(ball, constraints, ctx, box_only: bool = False):
    """A z3 solver with x in the open ball (or, with ``box_only``, in a box containing it)
    and the split ``constraints``; returns (solver, x variables, rational constant maker)."""
    import z3

    from certify.engines.z3_ball import ball_constraints, rational

    def q(v: Fraction):
        return rational(v, ctx)

    xs = [z3.Real(f"x{j}", ctx) for j in range(ball.d)]
    s = z3.Solver(ctx=ctx)
    s.add(*ball_constraints(ball, xs, ctx, box_only)[0])
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


def side_status(net, ball, constraints, ctx, deadline, a, beta, goal):
    """Does the region (ball ∩ splits) hold a point with goal(a·x + β, q)? "unsat", a REFUTED
    result (a model re-checked exactly on the network) or "unknown" (also once the absolute
    time.monotonic() ``deadline`` has passed: a leaf's several sides share one budget)."""
    import z3

    # ℓ2 and higher p: a linear relaxation (the box around the ball) first — unsat there
    # closes the branch without nonlinear arithmetic; a model may already be a witness.
    modes = (True, False) if ball.p not in (None, 1) else (False,)
    status = "unsat"
    for box_only in modes:
        s, xs, q = _region(ball, constraints, ctx.get(), box_only)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return "unknown"
            s.set("timeout", max(1, int(left * 1000)))
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
