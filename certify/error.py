"""Robust-memorization error of one ball: a sound upper bound and a Monte-Carlo estimate.

The error of f on the ball B = B_p(x_i, μ) is the measure vol{x ∈ B : f(x) ≠ y_i} / vol(B)
(THEORY §1).

* :func:`sound_bound` refines the ball's bounding box best-first. A box is split at an
  axis-parallel kink of the network when one cuts it (a unit whose pre-activation is exactly
  affine in one input coordinate on the box and changes phase inside it — the floor gadgets'
  ramps are such kinks, so their error bands end up isolated in thin boxes), otherwise the
  kernel-gated certifier tries to prove f ≡ y_i on the box (the box, mapped affinely onto the
  unit cube, is an ℓ∞ ball of a composed network) and splits it at the middle of its longest
  side if it cannot. Boxes that miss B are dropped (decided exactly). An open box counts for
  min(vol(box), width_j · cross_section_upper(B)) — the slab bound: a slab of width w meets
  at most w·V_{d−1}μ^{d−1} of a d-ball of radius μ —, and the sum divided by a rational lower
  bound of vol(B) (ℓ∞: (2μ)^d; ℓ1: (2μ)^d/d!; ℓ2: V_d·μ^d with π ≥ 314159/100000) is
  ≥ the error. Exact arithmetic throughout; a PROVED box has a kernel-checked certificate.
* :func:`monte_carlo` draws uniform points in B (float sampling, then each point converted to
  its exact binary value and kept only if it is strictly inside B, checked exactly), evaluates
  f exactly, and reports the fraction of errors with a Wilson 95% interval.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from flint import fmpq, fmpq_mat

from certify.ball import Ball, root_upper
from certify.errors import InputError
from certify.network import Network

PI_LOWER = Fraction(314159, 100000)
PI_UPPER = Fraction(314160, 100000)


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


def _mu_upper(ball: Ball) -> Fraction:
    if ball.p is None or ball.p == 1:
        return ball.radius_power
    return root_upper(ball.radius_power, ball.p)


def cross_section_upper(ball: Ball) -> Fraction:
    """A rational upper bound of the largest (d−1)-volume of B ∩ {x_j = c} (any j, c): the
    central section, a (d−1)-ball of radius μ (ℓ2: V_{d−1}μ^{d−1}, π ≤ 314160/100000; ℓ∞:
    (2μ)^{d−1}; ℓ1: (2μ)^{d−1}/(d−1)!). A slab {c ≤ x_j ≤ c + w} meets B in volume
    ≤ w times this (the slab bound of THEORY §5)."""
    d, mu = ball.d, _mu_upper(ball)
    k = d - 1
    if ball.p is None:
        return (2 * mu) ** k
    if ball.p == 1:
        return (2 * mu) ** k / math.factorial(k)
    if ball.p == 2:
        v = Fraction(1) if k % 2 == 0 else Fraction(2)
        for i in range(2 if k % 2 == 0 else 3, k + 1, 2):
            v = v * 2 * PI_UPPER / i
        return v * mu**k
    raise InputError("error bounds support p = 1, 2 and inf")


_SPARSE: dict[int, tuple] = {}


def sparse_layers(layers) -> list:
    """Per hidden layer, per unit: (nonzero weights [(j, w)], bias, is step) — computed once
    per tuple of layers (the kink search walks them for every box)."""
    hit = _SPARSE.get(id(layers))
    if hit is None or hit[0] is not layers:
        _SPARSE.clear()
        data = [
            [
                ([(j, w) for j, w in enumerate(row) if w], b, layer.is_step(i))
                for i, (row, b) in enumerate(zip(layer.weight, layer.bias))
            ]
            for layer in layers[:-1]
        ]
        hit = _SPARSE[id(layers)] = (layers, data)
    return hit[1]


def _affine_kink(layers, lo: list[Fraction], hi: list[Fraction]) -> tuple[int, Fraction] | None:
    """An axis-parallel kink that cuts the box: the first unit whose pre-activation is an exact
    affine function a·x + c of the input on the box (every unit feeding it is stable there),
    that is unstable on the box, and whose a has one nonzero entry a_j; returns (j, −c/a_j),
    strictly inside (lo_j, hi_j). Splitting there makes the unit stable on both halves. The
    floor gadgets' ramps are such kinks, so the splits isolate their bands. Exact arithmetic;
    None if no such unit exists."""
    d = len(lo)
    # an affine form: (dict coordinate -> coefficient, constant); None: not affine on the box
    forms: list = [({j: Fraction(1)}, Fraction(0)) for j in range(d)]
    for layer in sparse_layers(layers):
        if all(f is None for f in forms):
            return None
        out: list = []
        for nz, b, step in layer:
            coef: dict[int, Fraction] = {}
            const = b
            ok = True
            for j0, w in nz:
                f = forms[j0]
                if f is None:
                    ok = False
                    break
                fc, f0 = f
                const += w * f0
                for j, a in fc.items():
                    coef[j] = coef.get(j, 0) + w * a
            if not ok:
                out.append(None)
                continue
            coef = {j: a for j, a in coef.items() if a}
            mn = const + sum(a * (lo[j] if a > 0 else hi[j]) for j, a in coef.items())
            mx = const + sum(a * (hi[j] if a > 0 else lo[j]) for j, a in coef.items())
            if step:
                if mn >= 0:
                    out.append(({}, Fraction(1)))
                    continue
                if mx < 0:
                    out.append(({}, Fraction(0)))
                    continue
            else:
                if mn >= 0:
                    out.append((coef, const))
                    continue
                if mx <= 0:
                    out.append(({}, Fraction(0)))
                    continue
            if len(coef) == 1:
                ((j, a),) = coef.items()
                c = -const / a
                if lo[j] < c < hi[j]:
                    return j, c
            out.append(None)
        forms = out
    return None


def _compose_box(net: Network, lo: list[Fraction], hi: list[Fraction]) -> Network:
    """f(mid + diag(h)·u) as a network of u ∈ [−1, 1]^d (exact): a box becomes an ℓ∞ ball."""
    layers = net.flint_layers()
    W, b = layers[0]
    d = len(lo)
    mid = fmpq_mat(d, 1, [_fq((a + c) / 2) for a, c in zip(lo, hi)])
    diag = fmpq_mat(d, d)
    for j in range(d):
        diag[j, j] = _fq((hi[j] - lo[j]) / 2)
    layers[0] = (W * diag, b + W * mid)
    return Network([w for w, _ in layers], [c for _, c in layers], activations=net.activations)


def _fq(v: Fraction) -> fmpq:
    return fmpq(v.numerator, v.denominator)


def sound_bound(
    net: Network,
    ball: Ball,
    *,
    budget: int = 48,
    timeout: float = 0.5,
    engine: str = "linear",
    max_boxes: int | None = None,
) -> tuple[Fraction, int, int]:
    """(upper bound of the error measure, sub-boxes proved, sub-boxes left open).

    Best-first refinement of the ball's bounding box: the open box with the largest volume
    bound is split next — at an axis-parallel kink of the network when it has one (free, see
    :func:`_affine_kink`), else after a certifier call (at most ``budget`` calls) that did not
    prove it, at the middle of its longest side. An open box counts for
    min(vol(box), width_j · cross_section_upper(B) over j), and the sum is divided by
    :func:`volume_lower` (B). Every PROVED box is kernel-checked; boxes missing B are dropped
    (exact)."""
    from certify.run import check_one

    r = ball.box_radius
    layers = net.layers
    cross = cross_section_upper(ball)
    vol_b = volume_lower(ball)
    max_boxes = 8 * budget + 64 if max_boxes is None else max_boxes

    def weight(lo, hi) -> Fraction:
        vol = Fraction(1)
        for a, c in zip(lo, hi):
            vol *= c - a
        return min(vol, min(c - a for a, c in zip(lo, hi)) * cross)

    heap: list = []
    tie = 0

    def push(lo, hi) -> None:
        nonlocal tie
        if _box_misses_ball(lo, hi, ball):
            return
        tie += 1
        heapq.heappush(heap, (-weight(lo, hi), tie, lo, hi))

    push([c - r for c in ball.center], [c + r for c in ball.center])
    proved = calls = boxes = 0
    left_open: list[Fraction] = []
    while heap and boxes < max_boxes:
        _, _, lo, hi = heapq.heappop(heap)
        boxes += 1
        kink = _affine_kink(layers, lo, hi)
        if kink is None:
            if calls >= budget:  # no call left: the box stays open
                left_open.append(weight(lo, hi))
                continue
            calls += 1
            sub = Ball((Fraction(0),) * ball.d, ball.label, None, Fraction(1), ball.index)
            res = check_one(_compose_box(net, lo, hi), sub, engine, timeout)
            if res.status == "PROVED":
                proved += 1
                continue
            widths = [c - a for a, c in zip(lo, hi)]
            j = widths.index(max(widths))
            cut = (lo[j] + hi[j]) / 2
        else:
            j, cut = kink
        push(lo, hi[:j] + [cut] + hi[j + 1 :])
        push(lo[:j] + [cut] + lo[j + 1 :], hi)
    open_w = sum((-w for w, *_ in heap), sum(left_open, Fraction(0)))
    bound = min(Fraction(1), open_w / vol_b) if open_w else Fraction(0)
    return bound, proved, len(heap) + len(left_open)


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
