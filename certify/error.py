"""Robust-memorization error of one ball: a sound upper bound and a Monte-Carlo estimate.

The error of f on the ball B = B_p(x_i, μ) is the measure vol{x ∈ B : f(x) ≠ y_i} / vol(B)
(THEORY §1).

* :func:`sound_bound` splits the ball's bounding box into sub-boxes (bisecting the longest
  side), proves f ≡ y_i on sub-boxes with the kernel-gated certifier (a sub-box is an ℓ∞
  ball), drops sub-boxes that miss B (decided exactly), and returns
  Σ vol(unproved sub-boxes) / vol_lower(B) ≥ the error, where vol_lower(B) is a rational lower
  bound of the ball's volume (ℓ∞: (2μ)^d; ℓ1: (2μ)^d/d!; ℓ2: V_d·μ^d with π ≥ 314159/100000).
  Exact arithmetic throughout; a PROVED sub-box has a kernel-checked certificate.
* :func:`monte_carlo` draws uniform points in B (float sampling, then each point converted to
  its exact binary value and kept only if it is strictly inside B, checked exactly), evaluates
  f exactly, and reports the fraction of errors with a Wilson 95% interval.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from certify.ball import Ball, root_upper
from certify.errors import InputError
from certify.network import Network

PI_LOWER = Fraction(314159, 100000)


@dataclass
class ErrorEstimate:
    index: int
    upper_bound: Fraction  # sound: error ≤ upper_bound
    boxes_proved: int
    boxes_open: int
    samples: int
    errors: int
    wilson_low: float
    wilson_high: float

    @property
    def estimate(self) -> float:
        return self.errors / self.samples if self.samples else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "error_upper_bound": str(self.upper_bound),
            "error_upper_bound_float": float(self.upper_bound),
            "mc_estimate": self.estimate,
            "mc_ci95": [self.wilson_low, self.wilson_high],
            "mc_samples": self.samples,
            "mc_errors": self.errors,
            "boxes_proved": self.boxes_proved,
            "boxes_open": self.boxes_open,
        }


def _mu_lower(ball: Ball) -> Fraction:
    if ball.p is None or ball.p == 1:
        return ball.radius_power
    u = root_upper(ball.radius_power, ball.p)
    # μ ≥ μ^p / u^(p−1) since u ≥ μ
    return ball.radius_power / u ** (ball.p - 1)


def volume_lower(ball: Ball) -> Fraction:
    """A rational lower bound of vol(B) (p ∈ {1, 2, ∞})."""
    d, mu = ball.d, _mu_lower(ball)
    if ball.p is None:
        return (2 * mu) ** d
    if ball.p == 1:
        return (2 * mu) ** d / math.factorial(d)
    if ball.p == 2:
        v = Fraction(1) if d % 2 == 0 else Fraction(2)  # V_0 = 1, V_1 = 2
        for k in range(2 if d % 2 == 0 else 3, d + 1, 2):
            v = v * 2 * PI_LOWER / k  # V_k = V_{k−2}·2π/k
        return v * mu**d
    raise InputError("error bounds support p = 1, 2 and inf")


def _box_misses_ball(lo: list[Fraction], hi: list[Fraction], ball: Ball) -> bool:
    """True if the closed box [lo, hi] does not meet the open ball (exact)."""
    gap = [max(lo_j - c, c - hi_j, Fraction(0)) for lo_j, hi_j, c in zip(lo, hi, ball.center)]
    if ball.p is None:
        return max(gap) >= ball.radius_power
    return sum(t**ball.p for t in gap) >= ball.radius_power


def sound_bound(
    net: Network,
    ball: Ball,
    *,
    budget: int = 48,
    timeout: float = 0.5,
    engine: str = "linear",
) -> tuple[Fraction, int, int]:
    """(upper bound of the error measure, sub-boxes proved, sub-boxes left open)."""
    from certify.run import check_one

    r = ball.box_radius
    lo0 = [c - r for c in ball.center]
    hi0 = [c + r for c in ball.center]
    queue = deque([(lo0, hi0, 0)])
    open_vol = Fraction(0)
    proved = calls = opened = 0
    while queue:
        lo, hi, depth = queue.popleft()
        if _box_misses_ball(lo, hi, ball):
            continue
        half = [(b - a) / 2 for a, b in zip(lo, hi)]
        w = max(half)
        if w == min(half):  # a cube: an ℓ∞ ball the certifier can take
            center = tuple((a + b) / 2 for a, b in zip(lo, hi))
            if calls < budget:
                calls += 1
                sub = Ball(center, ball.label, None, w, ball.index)
                res = check_one(net, sub, engine, timeout)
                if res.status == "PROVED":
                    proved += 1
                    continue
        if calls >= budget:
            vol = Fraction(1)
            for a, b in zip(lo, hi):
                vol *= b - a
            open_vol += vol
            opened += 1
            continue
        j = half.index(w)  # bisect the longest side
        mid = (lo[j] + hi[j]) / 2
        queue.append((lo, hi[:j] + [mid] + hi[j + 1 :], depth + 1))
        queue.append((lo[:j] + [mid] + lo[j + 1 :], hi, depth + 1))
    bound = min(Fraction(1), open_vol / volume_lower(ball)) if open_vol else Fraction(0)
    return bound, proved, opened


def _sample_ball(ball: Ball, rng: np.random.Generator, n: int) -> np.ndarray:
    d = ball.d
    c = np.asarray([float(v) for v in ball.center])
    mu = float(_mu_lower(ball))
    if ball.p is None:
        return c + rng.uniform(-mu, mu, size=(n, d))
    if ball.p == 2:
        g = rng.standard_normal((n, d))
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        return c + g * mu * rng.random((n, 1)) ** (1.0 / d)
    if ball.p == 1:  # uniform in the ℓ1 ball: signs × (Dirichlet with one slack coordinate)
        e = rng.exponential(size=(n, d + 1))
        e /= e.sum(axis=1, keepdims=True)
        return c + e[:, :d] * rng.choice([-1.0, 1.0], size=(n, d)) * mu
    raise InputError("Monte-Carlo error estimates support p = 1, 2 and inf")


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    ph = k / n
    den = 1 + z * z / n
    mid = (ph + z * z / (2 * n)) / den
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def monte_carlo(net: Network, ball: Ball, samples: int = 200, seed: int = 0) -> tuple[int, int]:
    """(points drawn and kept, points where f ≠ label), every point checked exactly."""
    rng = np.random.default_rng([seed, ball.index])
    kept = errors = 0
    while kept < samples:
        X = _sample_ball(ball, rng, samples - kept)
        for x in X:
            xq = tuple(Fraction(float(v)) for v in x)
            if not ball.contains(xq):  # float rounding pushed it out: drop, exactly decided
                continue
            kept += 1
            if net.evaluate(xq) != ball.label:
                errors += 1
    return kept, errors


def estimate_error(
    net: Network,
    ball: Ball,
    *,
    proved: bool = False,
    samples: int = 200,
    budget: int = 48,
    timeout: float = 0.5,
    seed: int = 0,
) -> ErrorEstimate:
    """Both measurements for one ball; a ball already PROVED has error 0 (no search)."""
    if proved:
        bound, bp, bo = Fraction(0), 0, 0
    else:
        bound, bp, bo = sound_bound(net, ball, budget=budget, timeout=timeout)
    n, k = monte_carlo(net, ball, samples, seed)
    lo, hi = _wilson(k, n)
    return ErrorEstimate(ball.index, bound, bp, bo, n, k, lo, hi)
