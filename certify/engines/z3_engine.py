"""The z3 engine: one whole-ball SMT query per robustness ball.

Question: is f(x) = label for every x in the open ball B_p(c, μ)? The engine asks z3 for a
point x in the ball with f(x) ≠ label:

* inputs x_1..x_d are real variables;
* the ball: p = ∞ — |x_j − c_j| < μ for every j (linear); p = 1 — t_j ≥ ±(x_j − c_j),
  Σ t_j < μ (linear); p = 2 — Σ (x_j − c_j)² < μ² (nonlinear); integer p ≥ 3 —
  Σ (x_j − c_j)^p < μ^p for even p, Σ t_j^p < μ^p with t_j ≥ ±(x_j − c_j) for odd p;
* the network: exact rational affine layers, every hidden unit a fresh real a = If(z ≥ 0, z, 0);
  units whose sign is fixed over the ball's bounding box (exact interval propagation, the
  ``presolve``) are replaced by z or 0;
* the query: output ≠ label; for a classifier (C ≥ 2 outputs, output index y − 1 is class
  y) the query is "f_j ≥ f_y for some j ≠ y" (a tie fails).

For curved balls (p ≥ 2) a linear phase comes first, because z3's nonlinear arithmetic
scales badly with the input dimension (d = 4 with ~20 unstable units already took over 120 s): z3
(linear arithmetic) is asked the same question on a polytope containing the ball — the
bounding box, refined by exact rational tangent/gradient cuts of the ball at z3's models
outside it (Kelley's cutting planes). unsat there → PROVED; a model inside the ball, or a
point found by a radial probe towards a model, verified exactly → REFUTED. After
``cut_rounds`` rounds (or half the time budget) the exact query runs with the cuts added.
``cut_rounds=0`` gives the pure whole-ball query.

unsat → PROVED ("z3 unsat"); sat → the model's x is turned into exact rationals (algebraic
model values of ℓ2/ℓp queries are approximated at increasing precision — the ball and
f ≠ label are open conditions, so a close rational approximation is still a counterexample;
a classifier's tie is not open, so a rounded tie may fail to verify) and must pass
:func:`certify.ball.refuted`, else UNKNOWN; z3 unknown/timeout → UNKNOWN.

An unsat answer is not yet re-checked by the trusted kernel; ``stats`` records what z3 did.
Floats never enter the encoding: every constant is a z3 rational built from an exact string.
Each call uses its own z3 Context, so calls may run in parallel threads.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import flint
import z3

from certify.ball import Ball, BallResult, argmax_holds, refuted, root_upper
from certify.budget import memory_limit_mib, rss_mib
from certify.engines.z3_ball import ball_constraints
from certify.engines.z3_ball import rational as _q
from certify.errors import InputError
from certify.network import Network
from certify.numbers import format_number

__all__ = ["ENGINE", "check_ball"]

ENGINE = "z3"

# Decimal digits tried, in order, when rounding algebraic model values to rationals.
_APPROX_DIGITS = (12, 24, 48, 96, 192)

Interval = tuple[Fraction, Fraction]


def check_ball(
    net: Network,
    ball: Ball,
    *,
    timeout: float | None = None,
    presolve: bool = True,
    cut_rounds: int = 64,
) -> BallResult:
    """Decide whether f(x) = ``ball.label`` on the whole open ball B_p(c, μ) with z3.

    Returns a :class:`BallResult` with ``engine="z3"``:

    * PROVED — z3 found "x in the ball (or in a polytope containing it) and f(x) ≠ label"
      unsatisfiable, or the ball is empty (μ = 0) and f(center) = label;
    * REFUTED — with an exact counterexample re-checked by :func:`certify.ball.refuted`
      (the center itself when f(center) ≠ label, else z3's model, rounded if algebraic);
    * UNKNOWN — z3 gave up or ran out of ``timeout`` seconds, or its model could not be
      turned into an exactly verified counterexample; ``reason`` says which.

    ``timeout`` bounds the whole call (seconds; z3's ``timeout`` in ms per query).
    ``presolve=False`` skips the interval propagation (every hidden unit gets an ``If``);
    ``cut_rounds`` caps the linear outer-approximation phase for p ≥ 2 (0 disables it).
    Neither changes what a verdict means, only speed. ``stats`` records the encoding (neuron
    counts, interval bounds of the output, logic), the phase that decided, z3's answer.

    Raises :class:`InputError` when the ball does not fit the network (dimension, p < 1,
    negative radius), ``timeout`` is not positive or ``cut_rounds`` is negative.
    """
    start = time.perf_counter()
    _validate(net, ball, timeout, cut_rounds)
    stats: dict[str, Any] = {"neurons": sum(net.widths[1:-1]), "p": ball.p_label()}

    def done(result: BallResult) -> BallResult:
        result.seconds = time.perf_counter() - start
        result.stats = {**stats, **result.stats}
        return result

    if net.output_dim == 1:
        center_bad = net.evaluate(ball.center) != ball.label
    else:
        center_bad = not argmax_holds(net.evaluate_vector(ball.center), ball.label)
    if center_bad:
        hit = refuted(ball, net, ball.center, ENGINE, "f(center) != label")
        if hit is not None:
            return done(hit)
        # Only an empty ball (μ = 0) does not contain its center.
        return done(
            BallResult(
                ball.index,
                "UNKNOWN",
                ENGINE,
                reason="radius 0: the open ball is empty, but f(center) != label",
            )
        )
    if ball.radius_power == 0:
        return done(
            BallResult(ball.index, "PROVED", ENGINE, reason="radius 0: the open ball is empty")
        )

    # z3's memory: the per-ball limit (certify.budget), over the memory already held here
    z3.set_param("memory_max_size", max(64, int(memory_limit_mib() - rss_mib())))
    ctx = z3.Context()
    deadline = None if timeout is None else start + timeout
    try:
        xs, net_cons, enc = _network_constraints(net, ball, ctx, presolve)
        stats.update(enc)
        if ball.p is not None and ball.p >= 2 and cut_rounds > 0:
            # at most half of the time left, so the exact query always gets its turn
            outer_deadline = None if deadline is None else (time.perf_counter() + deadline) / 2
            result = _outer_phase(net, ball, ctx, xs, net_cons, cut_rounds, outer_deadline, stats)
            if result is not None:
                return done(result)
        return done(_exact_phase(net, ball, ctx, xs, net_cons, deadline, stats))
    except z3.Z3Exception as e:  # e.g. interrupted or resource limits inside z3
        stats["z3_result"] = "error"
        return done(BallResult(ball.index, "UNKNOWN", ENGINE, reason=f"z3 error: {e}"))


def _check(solver: z3.Solver, deadline: float | None) -> z3.CheckSatResult | None:
    """solver.check() within the deadline; None when no time is left."""
    if deadline is not None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        solver.set("timeout", max(1, math.ceil(left * 1000)))
    return solver.check()


def _unknown(ball: Ball, solver: z3.Solver | None, stats: dict[str, Any]) -> BallResult:
    why = "timeout" if solver is None else solver.reason_unknown()
    stats["z3_reason_unknown"] = why
    label = "timeout" if "timeout" in why or "canceled" in why else "unknown"
    if "memory" in why:
        label = "memory limit"
    return BallResult(ball.index, "UNKNOWN", ENGINE, reason=f"z3 {label}: {why}")


def _exact_phase(
    net: Network,
    ball: Ball,
    ctx: z3.Context,
    xs: list[z3.ArithRef],
    net_cons: list[z3.BoolRef],
    deadline: float | None,
    stats: dict[str, Any],
) -> BallResult:
    """The whole-ball query with the exact ball constraint (nonlinear for p >= 2)."""
    ball_cons, logic = ball_constraints(ball, xs, ctx)
    stats["logic"] = logic
    solver = z3.Solver(ctx=ctx)
    solver.add(*ball_cons, *net_cons)
    answer = _check(solver, deadline)
    stats["z3_result"] = "unknown" if answer is None else str(answer)
    if answer is None or answer == z3.unknown:
        return _unknown(ball, solver if answer is not None else None, stats)
    if answer == z3.unsat:
        return BallResult(ball.index, "PROVED", ENGINE, reason="z3 unsat")
    model = solver.model()
    for digits, x in _candidate_points(model, xs):
        hit = refuted(ball, net, x, ENGINE, "z3 sat; model verified exactly")
        if hit is not None:
            if digits is not None:
                hit.reason = f"z3 sat; model rounded to {digits} digits, verified exactly"
                stats["approx_digits"] = digits
            return hit
    return BallResult(
        ball.index,
        "UNKNOWN",
        ENGINE,
        reason="z3 sat, but no rational point from its model verified exactly",
    )


def _outer_phase(
    net: Network,
    ball: Ball,
    ctx: z3.Context,
    xs: list[z3.ArithRef],
    net_cons: list[z3.BoolRef],
    rounds: int,
    deadline: float | None,
    stats: dict[str, Any],
) -> BallResult | None:
    """Linear outer approximations of a curved ball (p >= 2), refined by cutting planes.

    Start from the bounding box |x_j − c_j| < r (r ≥ μ) cut by the ℓ1 ball of radius
    r1 ≥ d^(1−1/p)·μ (Hölder), both containing the ball. Each round asks z3 (linear
    arithmetic, rational models) for a bad point x of the polytope. unsat → PROVED, since the
    polytope contains the ball. A bad x inside the ball → REFUTED. Otherwise probe the segment
    from c towards x for an exact counterexample, then cut x off with the linearisation of
    g(y) = Σ|y_j − c_j|^p (:func:`_linearisation`) at a short dyadic point near the sphere
    towards x (a tangent plane). Returns None when the rounds or time run out, or when x is
    too close to the sphere for a short cut (the bad set touches the ball: cuts would creep),
    after appending the cuts to ``net_cons`` (they hold on the whole ball, so the exact query
    may use them).
    """
    p = ball.p
    assert p is not None and p >= 2
    diffs = [x - _q(c, ctx) for x, c in zip(xs, ball.center)]
    solver = z3.Solver(ctx=ctx)
    solver.add(*net_cons)
    solver.add(*ball_constraints(ball, xs, ctx, box_only=True)[0])
    if len(xs) > 1:  # Hölder: ‖v‖_1 ≤ d^(1−1/p)·‖v‖_p < d^(1−1/p)·μ ≤ r1
        r1 = root_upper(len(xs) ** (p - 1) * ball.radius_power, p)
        ts = [z3.Real(f"s_{j}", ctx) for j in range(len(xs))]
        solver.add(*[c for t, dj in zip(ts, diffs) for c in (t >= dj, t >= -dj)])
        solver.add(z3.Sum(ts) < _q(r1, ctx))
    cuts: list[z3.BoolRef] = []
    stats["outer_cuts"] = 0
    for k in range(rounds):
        answer = _check(solver, deadline)
        stats["outer_rounds"] = k + 1
        if answer is None or answer == z3.unknown:
            break
        if answer == z3.unsat:
            stats["logic"] = "LRA (outer approximation)"
            stats["z3_result"] = "unsat"
            return BallResult(
                ball.index,
                "PROVED",
                ENGINE,
                reason=f"z3 unsat on a polytope containing the ball ({len(cuts)} cuts)",
            )
        model = solver.model()
        values = [model.eval(v, model_completion=True) for v in xs]
        if not all(z3.is_rational_value(v) for v in values):
            break
        x = tuple(_fraction(v) for v in values)
        if ball.contains(x):
            hit = refuted(ball, net, x, ENGINE, "z3 sat (outer approximation); model verified")
            if hit is not None:
                stats["logic"] = "LRA (outer approximation)"
                stats["z3_result"] = "sat"
                return hit
            break  # z3's model is wrong about f(x): leave the question to the exact query
        u = [a - c for a, c in zip(x, ball.center)]
        hit = _radial_probe(net, ball, _sphere_point(u, ball))
        if hit is not None:
            stats["logic"] = "LRA (outer approximation)"
            stats["z3_result"] = "sat"
            return hit
        cut_at = _separating_tangent(u, ball)
        if cut_at is None:
            # x is so close to the sphere that short cuts miss it: tangents would only creep
            # towards a boundary the bad set touches, with ever longer numbers
            stats["outer_stop"] = "model near the sphere"
            break
        grad, rhs = cut_at
        cut = _affine(grad, Fraction(0), diffs, ctx) < _q(rhs, ctx)
        cuts.append(cut)
        solver.add(cut)
        stats["outer_cuts"] = len(cuts)
    net_cons.extend(cuts)
    return None


def _linearisation(t: Sequence[Fraction], ball: Ball) -> tuple[list[Fraction], Fraction]:
    """The cut ∇g(c+t)·(y − c) < rhs valid on the whole open ball, g(y) = Σ|y_j − c_j|^p.

    Convexity: g(y) ≥ g(c+t) + ∇g(c+t)·(y − c − t), and g(y) < μ^p on the ball, so
    ∇g(c+t)·(y − c) < μ^p − g(c+t) + ∇g(c+t)·t =: rhs. For c + t on the sphere this is the
    tangent half-space there; for c + t outside the ball it cuts off c + t itself.
    """
    p = ball.p
    assert p is not None
    grad = [p * abs(tj) ** (p - 1) * (1 if tj > 0 else -1 if tj < 0 else 0) for tj in t]
    g = sum((abs(tj) ** p for tj in t), Fraction(0))
    rhs = ball.radius_power - g + sum((gj * tj for gj, tj in zip(grad, t)), Fraction(0))
    return grad, rhs


def _separating_tangent(
    u: Sequence[Fraction], ball: Ball
) -> tuple[list[Fraction], Fraction] | None:
    """A cut (:func:`_linearisation` at a short dyadic point near the sphere towards u) that
    cuts off c + u, or None if no such point of at most ~60 bits does."""
    for bits in (20, 40, 60):
        grad, rhs = _linearisation(_sphere_point(u, ball, bits), ball)
        if sum((gj * t for gj, t in zip(grad, u)), Fraction(0)) >= rhs:
            return grad, rhs
    return None


def _sphere_point(u: Sequence[Fraction], ball: Ball, bits: int = 20) -> list[Fraction]:
    """A short dyadic t close to μ·u/‖u‖_p (the sphere point towards u), guided by floats.

    Only a guide: any t gives a valid cut, and the caller checks exactly that it separates.
    """
    p = ball.p
    assert p is not None
    try:
        mu = float(ball.radius_power) ** (1.0 / p)
        norm = sum(abs(float(v)) ** p for v in u) ** (1.0 / p)
    except OverflowError:
        return list(u)
    if not (mu > 0 and norm > 0 and math.isfinite(mu) and math.isfinite(norm)):
        return list(u)
    scale = 2 ** (bits - math.floor(math.log2(mu)))
    return [Fraction(round(float(v) * mu / norm * scale), scale) for v in u]


def _radial_probe(net: Network, ball: Ball, t: Sequence[Fraction]) -> BallResult | None:
    """Look for a counterexample c + s·t on the segment from the center towards t."""
    for s in (Fraction(1023, 1024), Fraction(7, 8), Fraction(3, 4), Fraction(1, 2)):
        x = tuple(c + s * tj for c, tj in zip(ball.center, t))
        hit = refuted(ball, net, x, ENGINE, "z3 sat (outer approximation); radial probe verified")
        if hit is not None:
            return hit
    return None


# ---------------------------------------------------------------------- validation


def _validate(net: Network, ball: Ball, timeout: float | None, cut_rounds: int) -> None:
    if net.output_dim > 1 and not 1 <= ball.label <= net.output_dim:
        raise InputError(
            f"ball {ball.index}: label {ball.label} is not a class of this classifier "
            f"(classes 1..{net.output_dim}; output index y − 1 is class y)"
        )
    if ball.d != net.input_dim:
        raise InputError(
            f"ball {ball.index} has dimension {ball.d} but the network's input_dim is "
            f"{net.input_dim}"
        )
    if ball.p is not None and (
        isinstance(ball.p, bool) or not isinstance(ball.p, int) or ball.p < 1
    ):
        raise InputError(
            f"ball {ball.index}: p must be an integer >= 1 or None (∞), got {ball.p!r}"
        )
    if ball.radius_power < 0:
        raise InputError(f"ball {ball.index}: radius must be >= 0, got {ball.radius_power}")
    if cut_rounds < 0:
        raise InputError(f"cut_rounds must be >= 0, got {cut_rounds}")
    if timeout is not None and not timeout > 0:
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")


# ---------------------------------------------------------------------- encoding


def _affine(
    row: Sequence[Fraction],
    bias: Fraction,
    inputs: Sequence[z3.ArithRef | None],
    ctx: z3.Context,
) -> z3.ArithRef:
    """bias + Σ row[j]·inputs[j]; ``None`` inputs are the constant 0."""
    terms = [_q(w, ctx) * v for w, v in zip(row, inputs) if w != 0 and v is not None]
    if bias != 0 or not terms:
        terms.append(_q(bias, ctx))
    return terms[0] if len(terms) == 1 else z3.Sum(terms)


def _interval_affine(row: Sequence[Fraction], bias: Fraction, box: Sequence[Interval]) -> Interval:
    lo = hi = bias
    for w, (l, u) in zip(row, box):
        if w > 0:
            lo += w * l
            hi += w * u
        elif w < 0:
            lo += w * u
            hi += w * l
    return lo, hi


def _network_constraints(
    net: Network, ball: Ball, ctx: z3.Context, presolve: bool
) -> tuple[list[z3.ArithRef], list[z3.BoolRef], dict[str, Any]]:
    """Input variables, and constraints saying "the network's output at x is not the label"
    (for a classifier: "some f_j(x) ≥ f_y(x), j ≠ y", output index y − 1 being class y).

    With ``presolve``, hidden units whose sign is fixed on the ball's closed bounding box
    (exact interval propagation) become z or 0 instead of an ``If``. A step unit is
    H(z) = If(z ≥ 0, 1, 0) (constant 1 / 0 when fixed: lo ≥ 0 / hi < 0).
    """
    xs = [z3.Real(f"x_{j}", ctx) for j in range(ball.d)]
    cons: list[z3.BoolRef] = []

    # Exact interval bounds over the closed bounding box of the ball (a superset of it).
    r = ball.box_radius
    box: list[Interval] = [(c - r, c + r) for c in ball.center]
    values: list[z3.ArithRef | None] = list(xs)
    counts = {"stable_active": 0, "stable_inactive": 0, "unstable": 0}
    layers = net.layers
    for k, layer in enumerate(layers[:-1], start=1):
        next_values: list[z3.ArithRef | None] = []
        next_box: list[Interval] = []
        for i, (row, bias) in enumerate(zip(layer.weight, layer.bias)):
            lo, hi = _interval_affine(row, bias, box)
            if layer.is_step(i):
                on, off = lo >= 0, hi < 0
                next_box.append((Fraction(int(on)), Fraction(int(not off))))
                counts["stable_active" if on else "stable_inactive" if off else "unstable"] += 1
                z = _affine(row, bias, values, ctx)
                one, zero = _q(1, ctx), _q(0, ctx)
                next_values.append(
                    one
                    if presolve and on
                    else zero
                    if presolve and off
                    else z3.If(z >= 0, one, zero)
                )
                continue
            next_box.append((max(lo, Fraction(0)), max(hi, Fraction(0))))
            if presolve and hi <= 0:
                counts["stable_inactive"] += 1
                next_values.append(None)
                continue
            z = _affine(row, bias, values, ctx)
            if presolve and lo >= 0:
                counts["stable_active"] += 1
                next_values.append(z)
                continue
            counts["unstable"] += 1
            a = z3.Real(f"a_{k}_{i}", ctx)
            cons.append(a == z3.If(z >= 0, z, _q(0, ctx)))
            next_values.append(a)
        values, box = next_values, next_box
    last = layers[-1]
    outs = [_affine(w, b, values, ctx) for w, b in zip(last.weight, last.bias)]
    bounds = [
        [format_number(v) for v in _interval_affine(w, b, box)]
        for w, b in zip(last.weight, last.bias)
    ]
    if len(outs) == 1:
        cons.append(outs[0] != _q(ball.label, ctx))
    else:  # a classifier fails where some other class scores at least as high (ties fail)
        k = ball.label - 1
        cons.append(z3.Or([o >= outs[k] for j, o in enumerate(outs) if j != k]))
    enc = {"presolve": presolve, **counts, "output_bounds": bounds[0] if len(outs) == 1 else bounds}
    return xs, cons, enc


# ---------------------------------------------------------------------- models


def _fraction(v: z3.RatNumRef) -> Fraction:
    """A z3 rational numeral as a Fraction (any size: digits go through flint)."""
    return Fraction(
        int(flint.fmpz(v.numerator().as_string())), int(flint.fmpz(v.denominator().as_string()))
    )


def _value_fraction(v: z3.ExprRef, digits: int | None) -> Fraction | None:
    if z3.is_rational_value(v):
        return _fraction(v)
    if z3.is_algebraic_value(v) and digits is not None:
        return _fraction(v.approx(digits))
    return None


def _candidate_points(model: z3.ModelRef, xs: Sequence[z3.ArithRef]):
    """Yield (digits, x) rational points from the model: exact first, then rounded ones.

    ``digits`` is None for the exact model (all values rational).
    """
    values = [model.eval(x, model_completion=True) for x in xs]
    exact = [_value_fraction(v, None) for v in values]
    if all(e is not None for e in exact):
        yield None, tuple(exact)
        return
    for digits in _APPROX_DIGITS:
        approx = [_value_fraction(v, digits) for v in values]
        if any(a is None for a in approx):
            return
        yield digits, tuple(approx)
