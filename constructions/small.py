"""The small-regime builder (THEORY §5, regime (i)).

Pipeline, every stage exact and checked on the data:
0. projection (optional): ``project="random"`` (the paper's m = min{d, max{⌈864 ln N⌉,
   ⌈10 ln d⌉}}, seeded, resampled until ε_φ ≥ (5/12)·√(m/d)·ε holds exactly) or
   ``"adaptive"`` (the smallest m whose sample meets that contract; far below the paper's m on
   real data). Rows are dyadic and ‖φ‖ ≤ 1 is proven, so each ℓp ball maps into the ℓ2 ball
   of radius γ·lip·μ (γ² = max(1, d^(1−2/p))). ``"none"``/``"auto"`` (auto = the paper's m,
   which is d unless d > 864 ln N): identity, and the ℓp ball's own bounding box is used;
1. scale by s ≥ √m / (2ε_φ) (a rational upper bound): differently labelled points end up
   ≥ √m apart in ℓ2, and a half-open unit cell has diameter < √m, so no cell holds two labels;
2. shift by integers so that every coordinate is ≥ 1, then the Lemma B.15 lattice translation
   t (``constructions.lattice``): every point is ≥ margin ≥ 1/(3N) from every hyperplane z_j ∈ Z;
3. Floor gadgets per coordinate, exact where frac ≥ γ with γ = (margin − s·r)/2 (r ≥ the radius
   of the box around each (projected) ball): each scaled ball stays inside its cell with slack γ
   (no bound sits exactly on a ramp's foot, so rounded ℓ2 bounds stay stable);
4. grid index Σ_j R^j ⌊z_j⌋ (an affine map), then an integer memorizer of the indices:
   ``memorizer="plain"`` (12N' + 1 parameters), ``"sqrt"`` (the lean [VYS21]-style Õ(√N)
   design, ≈ 8g + 20·s·(Bd + 2L) parameters, smaller than plain from N' ≈ 20 on) or ``"auto"``
   (the smaller of the two by their exact size formulas).
The network equals y_i on the box of radius r around x_i, hence on the ℓp ball. It needs
s·r < margin, which holds in the small regime (ρ ≤ 1/(5N√d)). Size:
(d+1)m + m·floor(n) + (index) + memorizer, i.e. O(dm + m² log R) + Õ(√N) with "sqrt".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from certify.ball import root_upper
from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network
from constructions.baseline import box_radius
from constructions.gadgets import (
    affine,
    compose,
    floor_gadget,
    identity_carry,
    parallel,
    to_network,
)
from constructions.integer_memorizer import (
    plain_memorizer,
    plain_params,
    sqrt_memorizer,
    sqrt_size,
)
from constructions.lattice import lattice_translation, smallest_grid
from constructions.projection import adaptive_projection, paper_m, random_projection


@dataclass
class SmallReport:
    scale: Fraction
    shift: tuple[Fraction, ...]
    margin: Fraction
    gamma: Fraction
    grid: int
    bits: int
    keys: int
    stages: dict[str, int] = field(default_factory=dict)
    m: int = 0
    memorizer: str = "plain"
    seed: int | None = None
    notes: list[str] = field(default_factory=list)


def build_small(
    ds: Dataset,
    radius_power: Fraction,
    p: int | None,
    *,
    project: str = "none",
    memorizer: str = "plain",
    seed: int = 0,
) -> tuple[Network, SmallReport]:
    """The regime-(i) pipeline above for balls of μ^p = ``radius_power`` (μ for p = ∞)."""
    if project not in ("none", "auto", "random", "adaptive"):
        raise InputError(
            f"the small builder's project must be none, auto, random or adaptive, got {project!r}"
        )
    if memorizer not in ("plain", "sqrt", "auto"):
        raise InputError(f"memorizer must be plain, sqrt or auto, got {memorizer!r}")
    N, d = ds.N, ds.d
    P = None
    if project == "auto" and paper_m(N, d) < d:
        project = "random"
    if project == "random":
        P = random_projection(ds, paper_m(N, d), seed)
    elif project == "adaptive":
        P = adaptive_projection(ds, seed=seed)
    if P is not None and P.kind == "identity":
        P = None
    if P is None:
        m = d
        A = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
        c = [Fraction(0)] * d
        Z0 = [list(x) for x in ds.X]
        r = box_radius(radius_power, p)
        eps2 = ds.epsilon_power(2)
    else:
        m, A, c = P.m, [list(row) for row in P.matrix], list(P.bias)
        Z0 = [list(z) for z in P.apply_all(ds.X)]
        # the ℓp ball lies in the ℓ2 ball of radius γμ; φ maps it into radius lip·γ·μ
        if p is None:
            g2mu2 = d * radius_power**2
        elif p in (1, 2):
            g2mu2 = radius_power if p == 2 else radius_power**2
        else:
            g2mu2 = (
                max(Fraction(1), root_upper(Fraction(d) ** (p - 2), p))
                * root_upper(radius_power, p) ** 2
            )
        r = root_upper(P.lipschitz_bound**2 * g2mu2, 2)
        eps2 = P.separation_ratio * ds.epsilon_power(2)
    s = root_upper(Fraction(m) / (4 * eps2), 2)
    Z = [[s * v for v in z] for z in Z0]
    off = [1 - min(z[j] for z in Z).__floor__() for j in range(m)]
    Z = [[z[j] + off[j] for j in range(m)] for z in Z]
    lat = lattice_translation(Z, N)
    Zt = [list(lat.apply(z)) for z in Z]
    gamma = (lat.margin - s * r) / 2  # half the clearance: balls stay strictly inside
    if gamma <= 0:
        raise InputError(
            f"the small-regime builder needs scaled balls inside their cells (s·r = "
            f"{float(s * r):.3g} ≥ margin {float(lat.margin):.3g}); use a smaller rho or "
            "--method large"
        )
    R = smallest_grid(Zt)
    n = max(1, R.bit_length())
    floors = [[int(v.__floor__()) for v in z] for z in Zt]
    index = [sum(R**j * f[j] for j in range(m)) for f in floors]
    key_label: dict[int, int] = {}
    for k, y in zip(index, ds.y):
        if key_label.setdefault(k, y) != y:
            raise AssertionError("two labels in one grid cell: the scaling contract failed")
    keys = sorted(key_label)
    labels = [key_label[k] for k in keys]
    if memorizer == "auto":  # the smaller by the exact size formulas (nothing built twice)
        memorizer = "sqrt" if sqrt_size(keys, labels) < plain_params(len(keys)) else "plain"
    # stage 0+1+2: x ↦ s·(A x + c) + off + t (one affine map), 3: floors, 4: index, memorizer
    W1 = [[s * a for a in row] for row in A]
    b1 = [s * c[j] + off[j] + lat.shift[j] for j in range(m)]
    fl = floor_gadget(n, gamma)
    floors_g = fl
    for _ in range(m - 1):
        floors_g = parallel(floors_g, fl)
    g = compose(affine(W1, b1), floors_g)
    g = compose(g, affine([[R**j for j in range(m)]], [0]))
    g = compose(g, identity_carry(1, 2))  # the index (≥ 0) as its own width-1 ReLU layer,
    # so the memorizer's first layer reads one value, not the m floor outputs
    mem = (sqrt_memorizer if memorizer == "sqrt" else plain_memorizer)(keys, labels)
    g = compose(g, mem)
    net = to_network(g)
    stages = {
        "projection": (d + 1) * m,
        "floors": floors_g.params,
        "memorizer": mem.params,
        "total_after_merging": net.num_params(),
    }
    rep = SmallReport(s, tuple(b1), lat.margin, gamma, R, n, len(keys), stages)
    rep.m = m
    rep.memorizer = memorizer
    rep.seed = None if P is None else P.seed
    rep.notes = [] if P is None else list(P.notes)
    return net, rep
