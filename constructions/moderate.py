"""The moderate-regime builder (THEORY §5, regime (ii); KMY B.5, Lemma B.13), ℓ2 and ℓ∞.

1. Scale by s ≥ √d / (2ε₂ − r₂) (r₂ ≥ the ℓ2 radius of a ball): differently labelled points
   end up ≥ √d + s·r₂ apart, so a half-open unit cell that meets the ball of x_i holds no
   point of another label (‖x_i − x_l‖ < s·r₂ + √d otherwise).
2. Groups of g consecutive points, g the largest with s·r < 1/(3g) (r ≥ the box radius of a
   ball): per group, the Lemma B.15 translation computed from the group's points only keeps the
   group's balls ≥ margin − s·r > 0 clear of every cell face (the paper's grouping scale:
   g ≈ 1/(5ρ√d)).
3. Per group k: Floor gadgets with ramp width γ_k = min{(margin_k − s·r)/2, γ_η} (exact where
   frac ≥ γ_k), grid index, plain integer memorizer of the group's cell indices (other
   integers → 0). On its own group's balls the sub-network is exact.
4. f = max_k f_k, the groups run one after another with a running maximum (the paper's
   design): the input (signed carry) and the maximum travel along, so the width stays
   O(w + d) and the parameters add up over the groups.
Error. On the ball of x_i, outside group k's bands {frac(z_j) < γ_k}, f_k ∈ {0, y_i} (step 1),
and f_{group(i)} = y_i, so f = y_i. A slab of width w meets at most (w/μ)·V_{d−1}/V_d ≤
(w/μ)·√d of a d-ball of radius μ (ℓ2) and exactly w/(2μ) of a cube of half-width μ (ℓ∞); a
ball's extent per axis is < 1, so it meets at most one band per axis and group. With
γ_η = η·s·μ / ((K−1)·d·√d) (ℓ2) or 2η·s·μ / ((K−1)·d) (ℓ∞), rounded down, the measure of
the ball where f ≠ y_i is ≤ η — the bound ``error_bound`` reports per ball (0 for a ball no
band of another group meets, checked exactly).

Threshold variant (``threshold=True``): step units (H(t) = 1 if t ≥ 0 else 0) make the floor
exact everywhere (:func:`constructions.gadgets.floor_step`: bit by bit, width 3, depth n + 1,
params 12n − 7), so there are no bands and every ball is exact (error bound 0). Its layers mix
step and ReLU units, so the input is carried through them by ReLU units and the groups run
one after another exactly as in the ReLU design (step 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from certify.ball import root_upper
from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network
from constructions.baseline import box_radius
from constructions.gadgets import (
    Gadget,
    affine,
    compose,
    floor_gadget,
    floor_step,
    identity_carry,
    max2,
    parallel,
    to_network,
)
from constructions.integer_memorizer import plain_memorizer
from constructions.lattice import lattice_translation

__all__ = ["ModerateReport", "build_moderate"]


@dataclass
class ModerateReport:
    scale: Fraction
    group_size: int
    groups: int
    gammas: list[Fraction]
    eta: Fraction
    bits: int
    error_bounds: list[Fraction]  # per ball: a sound upper bound of the error measure
    stages: dict[str, int] = field(default_factory=dict)

    @property
    def max_error_bound(self) -> Fraction:
        return max(self.error_bounds, default=Fraction(0))


def _sqrt_lower(q: Fraction) -> Fraction:
    """A rational ≤ √q."""
    if q <= 0:
        return Fraction(0)
    u = root_upper(q, 2)
    return q / u  # q/√q·(√q/u) ≤ √q since u ≥ √q


def _sequential_max(parts: list[Gadget], d: int, B: list[int]) -> Gadget:
    """x ↦ max_k g_k(x), the groups run one after another (the paper's running max): the
    input travels as v = x + B ≥ 0 (B ≥ −x on every ball, so ReLU carries it unchanged and the
    carries stay stable under bound propagation), the running maximum as a signed value; the
    width stays max_k width(g_k) + d + 3 and the parameters add up over the groups."""
    eye = [[int(i == j) for j in range(d)] for i in range(d)]
    zero_row = [0] * d
    fan = affine(eye + eye, list(B) + [0] * d)  # x ↦ (x + B, x)
    acc = compose(fan, parallel(identity_carry(d, 1), parts[0], signed=False))  # (v, acc)
    for gk in parts[1:]:
        # (v, acc) ↦ (v, v − B, acc) ↦ (v, g_k(x), acc) ↦ (v, acc, g_k(x)) ↦ (v, max)
        fan = affine(
            [r + [0] for r in eye] + [r + [0] for r in eye] + [zero_row + [1]],
            [0] * d + [-b for b in B] + [0],
        )
        stage = parallel(parallel(identity_carry(d, 1), gk, signed=False), identity_carry(1, 1))
        order = affine(
            [r + [0, 0] for r in eye] + [zero_row + [0, 1], zero_row + [1, 0]], [0] * (d + 2)
        )
        comb = parallel(identity_carry(d, 1), max2(), signed=False)
        acc = compose(compose(compose(compose(acc, fan), stage), order), comb)
    return compose(acc, affine([zero_row + [1]], [0]))


def build_moderate(
    ds: Dataset,
    radius_power: Fraction,
    p: int | None,
    eta: Fraction | str | float = "1/10",
    threshold: bool = False,
) -> tuple[Network, ModerateReport]:
    """The regime-(ii) network for balls of μ^p = ``radius_power`` (μ for p = ∞), p ∈ {2, ∞},
    with error measure ≤ η on every ball (module docstring); with ``threshold`` step units
    make it exact on every ball."""
    eta = Fraction(str(eta)) if not isinstance(eta, Fraction) else eta
    if not 0 < eta < 1:
        raise InputError(f"eta must satisfy 0 < eta < 1, got {eta}")
    if p not in (2, None):
        raise InputError("the moderate builder supports p = 2 and p = inf (use --method large)")
    N, d = ds.N, ds.d
    r = box_radius(radius_power, p)  # box half-width ≥ μ
    if p == 2:
        mu_lo = _sqrt_lower(radius_power)  # ≤ μ (for the error bound)
        r2 = r
    else:
        mu_lo = radius_power
        r2 = root_upper(d * radius_power**2, 2)  # the cube lies in the ℓ2 ball of radius √d·μ
    eps2 = _sqrt_lower(ds.epsilon_power(2))
    if 2 * eps2 <= r2:
        raise InputError("the radius is too large for the moderate builder: use --method large")
    s = root_upper(Fraction(d), 2) / (2 * eps2 - r2)
    sr = s * r
    g = max(1, min(N, math.ceil(1 / (3 * sr)) - 1))
    while g > 1 and Fraction(1, 3 * g) <= sr:
        g -= 1
    if Fraction(1, 3 * g) <= sr:
        raise InputError(
            f"balls too large for the grid (s·r = {float(sr):.3g} ≥ 1/3): use --method large"
        )
    groups = [list(range(i, min(N, i + g))) for i in range(0, N, g)]
    K = len(groups)
    Z = [[s * v for v in x] for x in ds.X]
    off = [1 - math.floor(min(z[j] for z in Z) - sr) for j in range(d)]
    Z = [[z[j] + off[j] for j in range(d)] for z in Z]
    sqrt_d_up = root_upper(Fraction(d), 2)
    if K > 1:
        if p == 2:
            g_eta = eta * s * mu_lo / ((K - 1) * d * sqrt_d_up)
        else:
            g_eta = 2 * eta * s * mu_lo / ((K - 1) * d)
    else:
        g_eta = Fraction(1, 2)
    top = max(max(z) for z in Z) + 2
    n = max(1, math.ceil(top).bit_length())
    R = 2**n
    parts: list[Gadget] = []
    gammas: list[Fraction] = []
    shifts: list[tuple[Fraction, ...]] = []
    for grp in groups:
        lat = lattice_translation([Z[i] for i in grp], len(grp))
        if lat.margin <= sr:
            raise AssertionError("Lemma B.15 margin below the ball: grouping contract failed")
        gam = min((lat.margin - sr) / 2, g_eta)
        gam = Fraction(1, 2 ** math.ceil(math.log2(1 / gam)))  # dyadic, ≤ the bound
        gam = Fraction(0) if threshold else gam
        gammas.append(gam)
        shifts.append(lat.shift)
        keys: dict[int, int] = {}
        for i in grp:
            cell = [math.floor(Z[i][j] + lat.shift[j]) for j in range(d)]
            key = sum(c * R**j for j, c in enumerate(cell))
            if keys.setdefault(key, ds.y[i]) != ds.y[i]:
                raise AssertionError("two labels in one cell: the scaling contract failed")
        fl = floor_step(n) if threshold else floor_gadget(n, gam)
        floors = fl
        for _ in range(d - 1):
            floors = parallel(floors, fl)
        W1 = [[s if i == j else Fraction(0) for j in range(d)] for i in range(d)]
        b1 = [off[j] + lat.shift[j] for j in range(d)]
        gk = compose(affine(W1, b1), floors)
        gk = compose(gk, affine([[R**j for j in range(d)]], [0]))
        gk = compose(gk, identity_carry(1, 2))  # index ≥ 0 as a width-1 layer (fewer params)
        ks = sorted(keys)
        gk = compose(gk, plain_memorizer(ks, [keys[k] for k in ks]))
        parts.append(gk)
    lows = [min(x[j] for x in ds.X) - r for j in range(d)]
    net_g = _sequential_max(parts, d, [1 - math.floor(v) for v in lows])
    net = to_network(net_g)
    # per-ball error bounds: bands of the other groups that the ball's box meets, exactly
    errs: list[Fraction] = []
    for i in range(N if not threshold else 0):
        gi = i // g
        total = Fraction(0)
        for k in range(K):
            if k == gi:
                continue
            for j in range(d):
                lo = Z[i][j] + shifts[k][j] - sr
                hi = Z[i][j] + shifts[k][j] + sr
                # the band [n, n + γ) for the integer n with n ≤ hi: met iff n + γ > lo
                nint = math.floor(hi)
                if nint + gammas[k] > lo:
                    w = gammas[k]
                    frac = w * sqrt_d_up / (s * mu_lo) if p == 2 else w / (2 * s * mu_lo)
                    total += frac
        errs.append(min(total, Fraction(1)))
    if threshold:
        errs = [Fraction(0)] * N
    stages = {
        "group_networks": sum(gk.params for gk in parts),
        "total_after_merging": net.num_params(),
    }
    rep = ModerateReport(s, g, K, gammas, eta, n, errs, stages)
    return net, rep
