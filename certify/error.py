"""Robust-memorization error of one ball: a sound upper bound and a Monte-Carlo estimate.

The error of f on the ball B = B_p(x_i, μ) is the measure vol{x ∈ B : f(x) ≠ y_i} / vol(B)
(THEORY §1).

* :func:`refine` (and :func:`sound_bound`, its bound) refines the ball's bounding box
  best-first. A box is split at an axis-parallel kink of the network when one cuts it (a
  unit whose pre-activation is exactly affine in one input coordinate on the box and changes
  phase inside it — the floor gadgets' ramps are such kinks, so their error bands end up
  isolated in thin boxes; found by :func:`box_scan`, floats guiding, the cut exact). A box
  without one is proved f ≡ y_i by the kernel's own rules on the kernel's Box region (its
  bounds and one output leaf, on the network as the kernel parsed it), or, where some unit
  is not affine on it, by the certifier on the box mapped onto the unit cube (an ℓ∞ ball of a
  composed network; its PROVED claim kernel-checked); a box where f is affine and not ≡ y_i
  is error and stays open; any other box is halved. Boxes that miss B are dropped (decided
  exactly). An open box counts for min(vol(box), width_min · cross_section_upper(B)) — the
  slab bound: a slab of width w meets at most w·V_{d−1}μ^{d−1} of a d-ball of radius μ —, and
  the sum divided by a rational lower bound of vol(B) (ℓ∞: (2μ)^d; ℓ1: (2μ)^d/d!; ℓ2: V_d·μ^d
  with π ≥ 314159/100000) is ≥ the error. Exact arithmetic decides everything; floats only
  choose where to cut. Budgets: certifier calls, boxes, wall clock (every stop sound).
* :func:`monte_carlo` draws uniform points in B (float sampling, then each point converted to
  its exact binary value and kept only if it is strictly inside B, checked exactly), evaluates
  f exactly, and reports the fraction of errors with a Wilson 95% interval.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from flint import fmpq, fmpq_mat

from certify.ball import Ball, root_upper
from certify.errors import InputError
from certify.network import Network

DEFAULT_SECONDS = 60.0
"""Wall clock per ball for :func:`estimate_error`'s sound bound unless the caller gives one
(``seconds=None``: no limit); past it the boxes still open count in full."""

GIVE_UP = 8
"""The refinement stops calling the certifier after this many calls in a row that proved
nothing (on band crossings its calls time out or find the error; halving is cheaper)."""

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
    calls: int = 0  # certifier calls of the refinement
    boxes: int = 0  # boxes it examined
    stopped: str = "complete"  # why it stopped (see refine); "proved": the ball was PROVED
    seconds: float = 0.0

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
            "certifier_calls": self.calls,
            "boxes": self.boxes,
            "stopped": self.stopped,
            "seconds": self.seconds,
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


_FLOAT: dict[int, tuple] = {}


def float_layers(layers) -> list:
    """Per hidden layer: (W, |W|, b, step mask) as float64 arrays — a guide only (cached)."""
    hit = _FLOAT.get(id(layers))
    if hit is None or hit[0] is not layers:
        _FLOAT.clear()
        data = []
        for layer in layers[:-1]:
            W = np.array([[float(w) for w in row] for row in layer.weight])
            b = np.array([float(v) for v in layer.bias])
            step = np.array([layer.is_step(i) for i in range(len(layer.bias))], dtype=bool)
            data.append((W, np.abs(W), b, step))
        hit = _FLOAT[id(layers)] = (layers, data)
    return hit[1]


def affine_kink_exact(
    layers, lo: list[Fraction], hi: list[Fraction]
) -> tuple[int, Fraction] | None:
    """An axis-parallel kink that cuts the box: the first unit whose pre-activation is an exact
    affine function a·x + c of the input on the box (every unit feeding it is stable there),
    that is unstable on the box, and whose a has one nonzero entry a_j; returns (j, −c/a_j),
    strictly inside (lo_j, hi_j). Splitting there makes the unit stable on both halves. The
    floor gadgets' ramps are such kinks, so the splits isolate their bands. Exact arithmetic
    over every unit of every layer (the reference of :func:`affine_kink`); None if no such
    unit exists."""
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


_ACTIVE, _INACTIVE, _ONE = 1, 0, 2  # a stable unit's phase (−1: not affine on the box)

_EXACT: dict[int, tuple] = {}


def exact_layers_flint(net: Network) -> list:
    """Per hidden layer (W, b) as flint fmpq matrices (cached per network)."""
    hit = _EXACT.get(id(net))
    if hit is None or hit[0] is not net:
        _EXACT.clear()
        hit = _EXACT[id(net)] = (net, net.flint_layers()[:-1])
    return hit[1]


def _range(coef, const, lo, hi) -> tuple:
    mn = mx = const
    for a, l, h in zip(coef, lo, hi):
        if a > 0:
            mn, mx = mn + a * l, mx + a * h
        elif a < 0:
            mn, mx = mn + a * h, mx + a * l
    return mn, mx


def affine_kink(
    net: Network, lo: list[Fraction], hi: list[Fraction]
) -> tuple[int, Fraction] | None:
    """An axis-parallel kink that cuts the box (the contract of :func:`affine_kink_exact`),
    found by :func:`box_scan`; None if it finds none."""
    scan = box_scan(net, lo, hi)
    return (scan[1], scan[2]) if scan[0] == "kink" else None


def box_scan(net: Network, lo: list[Fraction], hi: list[Fraction], rel: float = 1e-9) -> tuple:
    """One pass over the box, classifying it:

    * ("kink", j, c): an axis-parallel kink that cuts the box (the contract of
      :func:`affine_kink_exact`);
    * ("affine", a, c): no kink, and every hidden unit looked stable, so f = a·x + c on the box
      (flint matrices, exact for the phases found; one row per output);
    * ("other",): neither.

    Every unit's affine form on the box is propagated twice, layer by layer: in float64 and
    exactly (flint matrix products, the rows of units not affine on the box zeroed). A unit's
    phase is decided from the floats unless its float range comes within ``rel`` (relative
    to the form's size) of 0 — then from its exact form (the splits put kinks exactly on box
    faces, so that case is common). In the first layer with candidates (units that look
    affine, unstable and one-coordinate, kink inside the box), the first whose exact form has
    one nonzero a_j and its zero −c/a_j strictly inside (lo_j, hi_j) is the kink. Any cut of a
    box is sound for the error bound (its halves cover it), and the classification only
    chooses what is tried next (a box is PROVED only by the kernel), so a float misjudgement
    can cost tightness, never soundness; the cut point is exact."""
    layers = net.layers
    d = len(lo)
    qlo = [fmpq(v.numerator, v.denominator) for v in lo]
    qhi = [fmpq(v.numerator, v.denominator) for v in hi]
    flo = np.array([float(v) for v in lo])
    fhi = np.array([float(v) for v in hi])
    width = fhi - flo
    xmax = np.maximum(np.abs(flo), np.abs(fhi))
    A = np.eye(d)  # units × d coefficients of the affine forms (rows of non-affine units: 0)
    c = np.zeros(d)
    Ae = fmpq_mat(d, d, [fmpq(int(i == j)) for i in range(d) for j in range(d)])
    ce = fmpq_mat(d, 1)
    aff = np.ones(d, dtype=bool)
    exact = exact_layers_flint(net)
    for k, (W, aW, b, step) in enumerate(float_layers(layers)):
        if not aff.any():
            return ("other",)
        We, be = exact[k]
        A2e, c2e = We * Ae, We * ce + be
        A2 = W @ A
        c2 = W @ c + b
        aff2 = (aW @ (~aff).astype(np.float64)) == 0
        pos, neg = np.maximum(A2, 0.0), np.minimum(A2, 0.0)
        mn = c2 + pos @ flo + neg @ fhi
        mx = c2 + pos @ fhi + neg @ flo
        t = rel * (np.abs(c2) + np.abs(A2) @ xmax) + 1e-300
        n = len(b)
        ph = np.full(n, -1, dtype=np.int8)
        ph[aff2 & (mn >= t)] = _ACTIVE
        ph[aff2 & (mx <= -t) & (mn < -t)] = _INACTIVE
        ent = A2e.entries()
        for i in np.flatnonzero(aff2 & ((np.abs(mn) < t) | (np.abs(mx) < t))):
            row = ent[i * d : (i + 1) * d]
            emn, emx = _range(row, c2e[i, 0], qlo, qhi)
            if step[i]:
                ph[i] = _ONE if emn >= 0 else _INACTIVE if emx < 0 else -1
            else:
                ph[i] = _ACTIVE if emn >= 0 else _INACTIVE if emx <= 0 else -1
            A2[i] = [float(a) for a in row]
            c2[i] = float(c2e[i, 0])
        ph[(ph == _ACTIVE) & step] = _ONE
        unstable = aff2 & (ph < 0)
        if unstable.any():
            big = np.abs(A2).max(axis=1, initial=0.0)
            nz = np.abs(A2) > 1e-12 * big[:, None]
            for i in np.flatnonzero(unstable & (nz.sum(axis=1) == 1)):
                j = int(np.flatnonzero(nz[i])[0])
                x = -c2[i] / A2[i, j]
                if not flo[j] + 1e-9 * width[j] < x < fhi[j] - 1e-9 * width[j]:
                    continue
                row = ent[i * d : (i + 1) * d]
                nzj = [jj for jj, a in enumerate(row) if a != 0]
                if len(nzj) != 1:
                    continue
                j = nzj[0]
                cut = -c2e[i, 0] / row[j]
                cut = Fraction(int(cut.p), int(cut.q))
                if lo[j] < cut < hi[j]:
                    return "kink", j, cut
        keep = ph == _ACTIVE
        A = np.where(keep[:, None], A2, 0.0)
        c = np.where(keep, c2, np.where(ph == _ONE, 1.0, 0.0))
        zero, one = fmpq(0), fmpq(1)
        Ae = fmpq_mat(n, d, [e if keep[i // d] else zero for i, e in enumerate(ent)])
        ce = fmpq_mat(
            n, 1, [c2e[i, 0] if keep[i] else one if ph[i] == _ONE else zero for i in range(n)]
        )
        aff = ph >= 0
    if not aff.all():
        return ("other",)
    WL, bL = net.flint_layers()[-1]
    return "affine", WL * Ae, WL * ce + bL


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


_GOALS: dict[int, tuple] = {}


def _kernel_goal(net: Network, label: int) -> tuple:
    """The kernel's failure rows for ``label`` on ``net`` (the kernel parses the network's
    canonical text itself), cached per network and label."""
    from certify import kernel

    hit = _GOALS.get(id(net))
    if hit is None or hit[0] is not net:
        _GOALS.clear()
        layers, _ = kernel.parse_network(net.to_json_text())
        hit = _GOALS[id(net)] = (net, layers, {})
    goals = hit[2]
    if label not in goals:
        goals[label] = kernel.goal_layers(hit[1], label)
    return goals[label]


class _OutOfTime(Exception):
    pass


def _kernel_proves_box(net: Network, label: int, lo, hi, tick) -> bool:
    """Whether the kernel's own rules show f ≡ label on the closed box [lo, hi]: its bounds
    (:func:`certify.kernel.rules.bounds` over the kernel's Box region, exact arithmetic)
    and one output leaf (:func:`certify.kernel.judge.check_leaf`), on the network as the
    kernel parsed it — no composed network, no engine. False when the leaf is rejected."""
    from certify import kernel

    goal, strict = _kernel_goal(net, label)
    box = kernel.Box([kernel.exact(v) for v in lo], [kernel.exact(v) for v in hi], tick=tick)
    try:
        kernel.check_leaf(goal, strict, box, {"leaf": "output"}, {}, label)
    except kernel.Rejected:
        return False
    return True


@dataclass
class BoundResult:
    """What :func:`refine` found: the sound bound and how the refinement went."""

    bound: Fraction  # error ≤ bound (exact)
    proved: int  # boxes proved (kernel leaf or kernel-checked certifier claim)
    open: int  # boxes left open
    calls: int  # certifier calls
    boxes: int  # boxes examined
    stopped: str  # "complete", "target", "budget", "boxes" or "time"
    seconds: float


def refine(
    net: Network,
    ball: Ball,
    *,
    budget: int = 48,
    timeout: float = 0.5,
    engine: str = "linear",
    max_boxes: int | None = None,
    seconds: float | None = None,
    target: Fraction | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> BoundResult:
    """The sound error bound of one ball by best-first refinement of its bounding box.

    The open box with the largest volume bound is taken next and classified by
    :func:`box_scan`. At an axis-parallel kink of the network it is split there. If f looks
    affine on it and that affine piece is not the constant y, it is error (up to B's edge):
    it stays open and is not split again. Otherwise the kernel tries to prove f ≡ y on it
    from its own bounds (:func:`_kernel_proves_box`, no engine); failing that, a box where
    some unit is not affine gets a certifier call (at most ``budget`` calls, ``timeout``
    seconds each, none after :data:`GIVE_UP` failures in a row; the box composed into an ℓ∞
    ball; a PROVED claim is kernel-checked); a box still not proved is halved
    (:func:`_split_axis`). An open box counts for min(vol(box), width_min ·
    cross_section_upper(B)); the bound is the sum over the open
    boxes divided by :func:`volume_lower` (B), capped at 1. Boxes missing B are dropped
    (exact). The refinement stops when no box is left to refine ("complete"; "budget" if the
    certifier calls ran out on the way), the bound is ≤ ``target`` ("target"), ``max_boxes``
    boxes were examined ("boxes"), or ``seconds`` of wall clock have passed ("time": the
    certifier's timeout and the kernel's bounds are cut to the time left). Every stop is
    sound: the boxes still open count in full. ``progress`` is called after every box with
    {"boxes", "calls", "proved", "open", "bound" (float), "seconds"}."""
    from certify.run import check_one

    t0 = time.monotonic()
    deadline = None if seconds is None else t0 + seconds
    r = ball.box_radius
    scalar, y = net.output_dim == 1, ball.label
    cross = cross_section_upper(ball)
    vol_b = volume_lower(ball)
    max_boxes = 8 * budget + 64 if max_boxes is None else max_boxes
    limit = None if target is None else target * vol_b  # stop once the open weight is ≤ this

    def weight(lo, hi) -> Fraction:
        vol = Fraction(1)
        for a, c in zip(lo, hi):
            vol *= c - a
        return min(vol, min(c - a for a, c in zip(lo, hi)) * cross)

    def tick() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise _OutOfTime

    heap: list = []
    tie = 0
    open_w = Fraction(0)  # Σ weight over every open box (the heap and left_w), kept as we go
    left_w: list[Fraction] = []  # boxes kept open for good (f affine, not ≡ y, on them)

    def push(lo, hi) -> None:
        nonlocal tie, open_w
        if _box_misses_ball(lo, hi, ball):
            return
        tie += 1
        w = weight(lo, hi)
        open_w += w
        heapq.heappush(heap, (-w, tie, lo, hi))

    push([c - r for c in ball.center], [c + r for c in ball.center])
    sub = Ball((Fraction(0),) * ball.d, ball.label, None, Fraction(1), ball.index)
    proved = calls = boxes = left = misses = 0
    stopped = "complete"

    def certifier(lo, hi) -> bool:
        """One certifier call on the box (composed into the unit ℓ∞ ball), kernel-checked."""
        nonlocal calls, misses
        tick()
        calls += 1
        t = timeout if deadline is None else min(timeout, deadline - time.monotonic())
        done = check_one(_compose_box(net, lo, hi), sub, engine, t).status == "PROVED"
        misses = 0 if done else misses + 1
        return done

    while heap:
        if limit is not None and open_w <= limit:
            stopped = "target"
            break
        if boxes >= max_boxes:
            stopped = "boxes"
            break
        if deadline is not None and time.monotonic() > deadline:
            stopped = "time"
            break
        negw, _, lo, hi = heapq.heappop(heap)
        open_w += negw  # popped: out of the open set until it is put back or split
        boxes += 1
        scan = box_scan(net, lo, hi)
        if scan[0] == "kink":
            _, j, cut = scan
        elif scan[0] == "affine" and scalar and (any(scan[1].entries()) or scan[2][0, 0] != y):
            # f is affine on the box and not ≡ y: error (up to B's edge); no split shrinks it,
            # so it stays open, counted in full
            left += 1
            left_w.append(-negw)
            open_w -= negw
            _report(progress, boxes, calls, proved, len(heap) + left, open_w, vol_b, t0)
            continue
        else:
            try:
                done = _kernel_proves_box(net, y, lo, hi, tick)
                if not done and scan[0] == "other":
                    if calls < budget and misses < GIVE_UP:
                        done = certifier(lo, hi)
                    else:
                        stopped = "budget"
            except _OutOfTime:
                heapq.heappush(heap, (negw, 0, lo, hi))
                open_w -= negw
                stopped = "time"
                break
            if done:
                proved += 1
                _report(progress, boxes, calls, proved, len(heap) + left, open_w, vol_b, t0)
                continue
            j = _split_axis(lo, hi, cross)
            cut = (lo[j] + hi[j]) / 2
        push(lo, hi[:j] + [cut] + hi[j + 1 :])
        push(lo[:j] + [cut] + lo[j + 1 :], hi)
        _report(progress, boxes, calls, proved, len(heap) + left, open_w, vol_b, t0)
    total = sum((-w for w, *_ in heap), sum(left_w, Fraction(0)))  # recomputed, not the tally
    assert total == open_w, "the open-weight tally drifted"
    bound = min(Fraction(1), total / vol_b) if total else Fraction(0)
    return BoundResult(
        bound, proved, len(heap) + left, calls, boxes, stopped, time.monotonic() - t0
    )


def _split_axis(lo, hi, cross: Fraction) -> int:
    """The axis whose halving leaves the least open weight min(vol, width_min·cross) summed
    over the two halves, the longest side on a tie: a thin slab is halved across, where its
    slab bound halves, not along, where each half keeps the whole slab bound."""
    widths = [c - a for a, c in zip(lo, hi)]
    vol = Fraction(1)
    for w in widths:
        vol *= w
    order = sorted(range(len(widths)), key=widths.__getitem__)
    best = None
    for j in range(len(widths)):
        other = widths[order[0]] if order[0] != j else widths[order[1]] if len(order) > 1 else None
        wmin = widths[j] / 2 if other is None else min(other, widths[j] / 2)
        key = (2 * min(vol / 2, wmin * cross), -widths[j])
        if best is None or key < best[0]:
            best = (key, j)
    return best[1]


def _report(progress, boxes, calls, proved, n_open, open_w, vol_b, t0) -> None:
    if progress is not None:
        progress(
            {
                "boxes": boxes,
                "calls": calls,
                "proved": proved,
                "open": n_open,
                "bound": min(1.0, float(open_w / vol_b)),
                "seconds": time.monotonic() - t0,
            }
        )


def sound_bound(
    net: Network,
    ball: Ball,
    *,
    budget: int = 48,
    timeout: float = 0.5,
    engine: str = "linear",
    max_boxes: int | None = None,
    seconds: float | None = None,
    target: Fraction | None = None,
) -> tuple[Fraction, int, int]:
    """(upper bound of the error measure, sub-boxes proved, sub-boxes left open): the
    bound of :func:`refine` with the same options."""
    res = refine(
        net,
        ball,
        budget=budget,
        timeout=timeout,
        engine=engine,
        max_boxes=max_boxes,
        seconds=seconds,
        target=target,
    )
    return res.bound, res.proved, res.open


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
    low = 0.0 if k == 0 else max(0.0, mid - half)  # exactly 0 (mid − half rounds to ~1e-18)
    high = 1.0 if k == n else min(1.0, mid + half)
    return low, high


def monte_carlo(net: Network, ball: Ball, samples: int = 200, seed: int = 0) -> tuple[int, int]:
    """(points drawn and kept, points where f ≠ label), every point checked exactly: each
    float sample is taken at its exact binary value, kept only if strictly inside B (exact),
    and f is evaluated exactly on the kept points as one batch."""
    rng = np.random.default_rng([seed, ball.index])
    kept = errors = 0
    while kept < samples:
        X = _sample_ball(ball, rng, samples - kept)
        pts = [tuple(Fraction(float(v)) for v in x) for x in X]
        pts = [x for x in pts if ball.contains(x)]  # float rounding pushed the rest out
        if net.output_dim == 1:
            values = net.evaluate_many(pts)
        else:
            values = [net.evaluate_vector(x) for x in pts]
        kept += len(pts)
        errors += sum(1 for v in values if not _correct(v, ball.label))
    return kept, errors


def _correct(value, label: int) -> bool:
    """f(x) = label for a memorizer; for a classifier, class ``label`` is the unique argmax."""
    if not isinstance(value, tuple):
        return value == label
    k = label - 1
    return 0 <= k < len(value) and all(v < value[k] for i, v in enumerate(value) if i != k)


def estimate_error(
    net: Network,
    ball: Ball,
    *,
    proved: bool = False,
    samples: int = 200,
    budget: int = 48,
    timeout: float = 0.5,
    seed: int = 0,
    seconds: float | None = DEFAULT_SECONDS,
    target: Fraction | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> ErrorEstimate:
    """Both measurements for one ball; a ball already PROVED has error 0 (no search, no
    samples: mc_samples 0 and the interval [0, 0]). The
    sound bound is :func:`refine` with ``budget`` certifier calls of ``timeout`` seconds and
    at most ``seconds`` of wall clock (None: no limit), stopping early once it is ≤
    ``target``; the Monte-Carlo estimate is ``samples`` exact evaluations."""
    t0 = time.monotonic()
    if proved:
        res = BoundResult(Fraction(0), 0, 0, 0, 0, "proved", 0.0)
    else:
        res = refine(
            net,
            ball,
            budget=budget,
            timeout=timeout,
            seconds=seconds,
            target=target,
            progress=progress,
        )
    if proved:  # the error is exactly 0: no sampling (mc_samples 0, interval [0, 0])
        n, k, lo, hi = 0, 0, 0.0, 0.0
    else:
        n, k = monte_carlo(net, ball, samples, seed)
        lo, hi = _wilson(k, n)
    return ErrorEstimate(
        ball.index,
        res.bound,
        res.proved,
        res.open,
        n,
        k,
        lo,
        hi,
        calls=res.calls,
        boxes=res.boxes,
        stopped=res.stopped,
        seconds=time.monotonic() - t0,
    )
