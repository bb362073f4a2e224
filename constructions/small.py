"""The small-regime builder (THEORY §5, regime (i)), first version: no projection (m = d).

Pipeline, every stage exact and checked on the data:
1. scale by s ≥ √d / (2ε₂) (a rational upper bound): differently labelled points end up
   ≥ √d apart in ℓ2, and a half-open unit cell has diameter < √d, so no cell holds two labels;
2. shift by integers so that every coordinate is ≥ 1, then the Lemma B.15 lattice translation
   t (``constructions.lattice``): every point is ≥ margin ≥ 1/(3N) from every hyperplane z_j ∈ Z;
3. Floor gadgets per coordinate, exact where frac ≥ γ with γ = margin − s·r (r ≥ μ the radius
   of the box around each ball): each scaled ball stays inside its point's cell, clear of faces;
4. grid index Σ_j R^j ⌊z_j⌋ (an affine map), then the integer memorizer of the data's indices.
The network equals y_i on the box of radius r around x_i, hence on the ℓp ball. It needs
s·r < margin, which holds in the small regime (ρ ≤ 1/(5N√d): s·r ≈ ρ√d/2·... < 1/(3N)).
The random projection of the paper (m = O(log N)) and the Õ(√N) memorizer come next; this
version uses the plain O(N) integer memorizer, so its size is O(d²·log R + N), not Õ(√N).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from certify.ball import root_upper
from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network
from constructions.baseline import box_radius
from constructions.gadgets import affine, compose, floor_gadget, parallel, to_network
from constructions.integer_memorizer import plain_memorizer
from constructions.lattice import lattice_translation, smallest_grid


@dataclass(frozen=True)
class SmallReport:
    scale: Fraction
    shift: tuple[Fraction, ...]
    margin: Fraction
    gamma: Fraction
    grid: int
    bits: int
    keys: int
    stages: dict[str, int] = field(default_factory=dict)


def build_small(ds: Dataset, radius_power: Fraction, p: int | None) -> tuple[Network, SmallReport]:
    """The regime-(i) pipeline above for balls of μ^p = ``radius_power`` (μ for p = ∞)."""
    N, d = ds.N, ds.d
    r = box_radius(radius_power, p)
    s = root_upper(Fraction(d) / (4 * ds.epsilon_power(2)), 2)
    Z = [[s * v for v in x] for x in ds.X]
    off = [1 - min(z[j] for z in Z).__floor__() for j in range(d)]
    Z = [[z[j] + off[j] for j in range(d)] for z in Z]
    lat = lattice_translation(Z, N)
    Zt = [list(lat.apply(z)) for z in Z]
    gamma = lat.margin - s * r
    if gamma <= 0:
        raise InputError(
            f"the small-regime builder needs scaled balls inside their cells (s·r = "
            f"{float(s * r):.3g} ≥ margin {float(lat.margin):.3g}); use a smaller rho or "
            "--method baseline"
        )
    R = smallest_grid(Zt)
    n = max(1, R.bit_length())
    floors = [[int(v.__floor__()) for v in z] for z in Zt]
    index = [sum(R**j * f[j] for j in range(d)) for f in floors]
    key_label: dict[int, int] = {}
    for k, y in zip(index, ds.y):
        if key_label.setdefault(k, y) != y:
            raise AssertionError("two labels in one grid cell: the scaling contract failed")
    keys = sorted(key_label)
    # stage 1+2: x ↦ s·x + off + t (one affine map), stage 3: floors, 4: index, 5: memorizer
    W1 = [[s if i == j else Fraction(0) for j in range(d)] for i in range(d)]
    b1 = [off[j] + lat.shift[j] for j in range(d)]
    fl = floor_gadget(n, gamma)
    floors_g = fl
    for _ in range(d - 1):
        floors_g = parallel(floors_g, fl)
    g = compose(affine(W1, b1), floors_g)
    g = compose(g, affine([[R**j for j in range(d)]], [0]))
    mem = plain_memorizer(keys, [key_label[k] for k in keys])
    g = compose(g, mem)
    net = to_network(g)
    stages = {
        "floors": floors_g.params,
        "memorizer": mem.params,
        "total_after_merging": net.num_params(),
    }
    rep = SmallReport(s, tuple(b1), lat.margin, gamma, R, n, len(keys), stages)
    return net, rep
