"""Motzkin multipliers from a float LP made exact (certify/engines/multipliers.motzkin_lp):
on random leaf regions (box ∩ half-spaces ∩ a strict output row) a returned certificate
satisfies the Motzkin conditions exactly (checked here independently), it is returned only
when the region is empty (decided by z3 over x), and it is found on most empty regions."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest
import z3

from certify.ball import Ball
from certify.engines.multipliers import motzkin, motzkin_lp


def region_empty(rows, ball) -> bool:
    """z3 over x: no point of the open box with every row ≥ 0 (> 0 where strict)."""
    s = z3.Solver()
    d = len(ball.center)
    xs = [z3.Real(f"x{j}") for j in range(d)]
    for x, c in zip(xs, ball.center):
        s.add(x > c - ball.radius_power, x < c + ball.radius_power)
    for a, b, strict, _ in rows:
        e = z3.Sum([z3.RealVal(str(v)) * x for v, x in zip(a, xs)]) + z3.RealVal(str(b))
        s.add(e > 0 if strict else e >= 0)
    return s.check() == z3.unsat


def motzkin_holds(cert, rows, ball) -> bool:
    body = cert["motzkin"]
    lam = [F(v) for *_, v in body["splits"]] + [F(body["out"])]
    d = len(ball.center)
    grad = [sum((lm * r[0][j] for lm, r in zip(lam, rows)), F(0)) for j in range(d)]
    const = sum((lm * r[1] for lm, r in zip(lam, rows)), F(0))
    strict = any(lm > 0 and r[2] for lm, r in zip(lam, rows))
    for (j, sign), v in body["ball"]:  # facet μ − sign·(x_j − c_j) > 0
        v = F(v)
        grad[j] -= sign * v
        const += v * (ball.radius_power + sign * ball.center[j])
        strict |= v > 0
    if any(v < 0 for v in lam) or any(F(v) < 0 for _, v in body["ball"]):
        return False
    return not any(grad) and (const < 0 or (const == 0 and strict))


def random_rows(rng: random.Random, d: int, k: int):
    rows = []
    for i in range(k):
        a = [F(rng.randint(-4, 4), rng.randint(1, 3)) for _ in range(d)]
        rows.append((a, F(rng.randint(-6, 6), rng.randint(1, 4)), False, ("split", 0, i)))
    a = [F(rng.randint(-4, 4), rng.randint(1, 3)) for _ in range(d)]
    rows.append((a, F(rng.randint(-6, 6), rng.randint(1, 4)), True, ("out",)))
    return rows


@pytest.mark.parametrize("seed", range(8))
def test_lp_certificates_are_exact_sound_and_found(seed):
    rng = random.Random(seed)
    empty = found = found_z3 = 0
    for _ in range(40):
        d = rng.randint(1, 4)
        rows = random_rows(rng, d, rng.randint(1, 5))
        ball = Ball(
            tuple(F(rng.randint(-2, 2)) for _ in range(d)), 1, None, F(rng.randint(1, 4), 2)
        )
        cert = motzkin_lp(rows, ball)
        is_empty = region_empty(rows, ball)
        if cert is not None:
            assert is_empty and motzkin_holds(cert, rows, ball), (rows, cert)
            found += 1
        if is_empty:
            empty += 1
            ref = motzkin(rows, ball)
            assert ref is not None and motzkin_holds(ref, rows, ball)
            found_z3 += 1
    assert found_z3 == empty and empty >= 5  # the draw has empty regions to certify
    assert found >= 0.8 * empty  # the float LP recovers most certificates exactly
