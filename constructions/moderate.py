"""The moderate-regime builder (THEORY §5, regime (ii); KMY B.5, Lemmas B.10/B.13), ℓ2 and ℓ∞.

0. Projection (``project``): ``"none"`` (m = d), ``"random"`` (the paper's m = min{d,
   max{⌈864 ln N⌉, ⌈10 ln d⌉}}, seeded, resampled until ε_φ ≥ (5/12)·√(m/d)·ε),
   ``"adaptive"`` (the smallest m whose sample meets that contract) — both from
   :mod:`constructions.projection` — or ``"auto"``: the random projection when paper m < d (as
   the small builder), kept only if its plan is smaller by the exact size formula. ‖φ‖ ≤ lip ≤ 1
   is proven, so an ℓ2 ball of radius μ maps into one of radius lip·μ (ℓ∞: lip·√d·μ). A
   projection makes the bands below oblique: the builder's error bound still holds, but
   ``certify --error`` (which isolates axis-parallel bands) cannot measure it.
1. Scale by s ≥ √m / (2ε_φ − r₂) (r₂ ≥ the ℓ2 radius of a projected ball): differently
   labelled points end up ≥ √m + s·r₂ apart, so a half-open unit cell that meets the ball of
   x_i holds no point of another label.
2. Groups (``grouping``). ``"paper"`` (KMY B.13, the paper's grouping): g consecutive
   points, g the largest with s·r < 1/(3g) (r ≥ the box radius of a projected ball); the
   Lemma B.15 translation of a group keeps its balls ≥ margin − s·r > 0 clear of every cell
   face (the paper's scale g ≈ 1/(5ρ√d)). ``"cover"`` (beyond the paper, same contract): a
   greedy cover, one dyadic translation per group chosen on the data, the group being every
   remaining point it clears by 9/8·s·r (:func:`_cover_groups`). ``"auto"`` (the default):
   the smaller of the two plans by the exact size formula, the paper's on a tie. Measured
   (bench/RESULTS_regimes.md): where both need one group they differ by a few dozen
   parameters either way (another translation, another grid index range); wherever the
   paper needs several groups the cover was smaller, by up to 15× at ρ₂ (ρ-slope 0.24–0.27
   against the paper grouping's 0.65 at N = 256/1024, d = 4). Its networks keep error ≤ η
   and are certified like the paper's (tests/constructions/test_moderate*.py).
3. Per group k: Floor gadgets on the m coordinates with ramp width γ_k = min{(margin_k −
   s·r)/2, γ_η} (exact where frac ≥ γ_k), the grid index Σ_j R^j ⌊z_j + t_kj⌋ (R > every
   floor), and an integer memorizer of the group's cell indices (other integers → 0):
   Lemma B.10's √|I| one (:func:`constructions.integer_memorizer.sqrt_memorizer`, its group
   size and delta bits chosen by the exact size *with the carried units*) or the plain one,
   whichever is smaller by exact count (``memorizer="auto"``).
4. f = max_k f_k, the groups one after another (the paper's running max). The scaled point
   v = s·φ(x) + off ≥ 1 is carried as m ReLU units; the floors are fused with that carry (the
   floor's own copy of its input *is* the carried v_j, so a coordinate costs v_j, acc_j and
   two ramps: 4 units, 3 in the first bit layer); the maximum acc ≥ 0 is one ReLU unit
   (acc ← acc + σ(f_k − acc), the σ in group k+1's first layer); the last group's memorizer
   carries acc only.

Error. On the ball of x_i, outside group k's bands {frac(z_j + t_kj) < γ_k}, f_k ∈ {0, y_i}
(step 1) and f_{group(i)} = y_i, so f = y_i. Band j of group k is {x : a_j·x ∈ an interval of
length γ_k/s} (a_j row j of the projection, e_j without one). It meets at most
φ_j·γ_k of a ball, φ_j = √d/(s·μ·‖a_j‖) for an ℓ2 ball of radius μ (a slab of width w meets
at most (w/μ)·V_{d−1}/V_d ≤ (w/μ)·√d of it) and φ_j = 1/(2s·μ·‖a_j‖_∞) for a cube of
half-width μ (the density of a·x on it is ≤ 1/(2μ‖a‖_∞)). A ball's extent per coordinate is
< 1, so it meets at most one band per coordinate and group. With γ_η = η/((K−1)·Σ_j φ_j)
(without a projection η·s·μ/((K−1)·d·√d), resp. 2η·s·μ/((K−1)·d)), rounded down to a dyadic,
the measure of a ball where f ≠ y_i is ≤ η — ``error_bounds`` holds the bound per ball (0 for
a ball no band of another group meets, checked exactly).

Size: :func:`moderate_widths` lists every layer's width from the plan (d, m, n, K, the
memorizers' hidden widths) and :func:`moderate_params` = Σ (w_{l−1} + 1)·w_l over it is
exactly the built network's ``num_params()`` (zeros included): per group n floor layers of
widths 3m + e₁, 4m + e₂, …, 4m + e₂ (e₁ = 0, 1, 2 and e₂ = 0, 1, 1 for the first, second and
later groups), the memorizer's hidden widths each + c_k carried units (c_k = m + [k > 1]
before the last group, 1 in the last), then (acc, σ(f_K − acc)) and the output; i.e.

    P = (d+1)(3m) + Σ_k [F_k + M_k] + 3,   F_k ≈ (n−1)(4m+2)(4m+1) + (3m+3)(4m+1),

M_k the memorizer's layers with their carry. :func:`moderate_size` gives P without building.

Threshold variant (``threshold=True``): step units (H(t) = 1 if t ≥ 0 else 0) make the floor
exact everywhere (bit by bit, as :func:`constructions.gadgets.floor_step`; per coordinate v_j,
the remainder and the bit: widths 2m + e₁, 3m + e₂, …), so there are no bands and every ball
is exact (error bound 0). The memorizers are chosen as for the ReLU design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from certify.ball import root_upper
from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network
from constructions.baseline import box_radius
from constructions.integer_memorizer import (
    plain_memorizer,
    sqrt_layout,
    sqrt_memorizer,
    sqrt_widths,
)
from constructions.lattice import LatticeShift, lattice_translation
from constructions.projection import Projection, adaptive_projection, paper_m, random_projection

__all__ = [
    "ModeratePlan",
    "ModerateReport",
    "build_moderate",
    "moderate_params",
    "moderate_size",
    "moderate_widths",
    "plan_moderate",
]


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
    m: int = 0
    projection: str = "none"
    memorizers: list[str] = field(default_factory=list)
    seed: int | None = None
    notes: list[str] = field(default_factory=list)
    grouping: str = "paper"  # the grouping used: "paper" or "cover"

    @property
    def max_error_bound(self) -> Fraction:
        return max(self.error_bounds, default=Fraction(0))


@dataclass
class _Group:
    points: list[int]
    shift: tuple[Fraction, ...]
    gamma: Fraction
    keys: list[int]
    labels: list[int]
    memorizer: str = "plain"  # "plain" or "sqrt"
    s: int | None = None  # sqrt layout (group size, delta bits)
    Bd: int | None = None
    hidden: list[int] = field(default_factory=list)  # the memorizer's hidden widths


@dataclass
class ModeratePlan:
    """Everything :func:`build_moderate` wires in, computed without building a layer."""

    d: int
    m: int
    A: list[list[Fraction]]  # m × d (identity without a projection)
    c: list[Fraction]
    scale: Fraction
    off: list[int]
    n: int  # floor bits: every v_j + t_kj lies in [0, 2^n) on every ball
    R: int  # grid base: every floor < R
    sr: Fraction  # s·r, r ≥ the box radius of a projected ball
    group_size: int
    groups: list[_Group]
    threshold: bool
    projection: Projection | None
    Z: list[list[Fraction]]  # v of every point
    row_factor: list[Fraction]  # per coordinate: band fraction per unit of γ (module doc)
    grouping: str = "paper"  # "paper" or "cover" (``"auto"`` resolves to one of them)

    @property
    def widths(self) -> list[int]:
        return moderate_widths(
            self.d, self.m, self.n, [g.hidden for g in self.groups], self.threshold
        )

    @property
    def params(self) -> int:
        return moderate_params(
            self.d, self.m, self.n, [g.hidden for g in self.groups], self.threshold
        )


def _sqrt_lower(q: Fraction) -> Fraction:
    """A rational ≤ √q."""
    if q <= 0:
        return Fraction(0)
    u = root_upper(q, 2)
    return q / u  # q/√q·(√q/u) ≤ √q since u ≥ √q


# ------------------------------------------------------------------------------ size formula


def _extra(k: int) -> tuple[int, int]:
    """(e₁, e₂): units of the running maximum in group k's first and later floor layers."""
    return (0, 0) if k == 0 else ((1, 1) if k == 1 else (2, 1))


def _carry(k: int, K: int, m: int) -> int:
    """Units carried next to group k's memorizer: v (m) unless last, acc from group 2 on."""
    return (m if k < K - 1 else 0) + (1 if k > 0 else 0)


def moderate_widths(
    d: int, m: int, n: int, hidden: list[list[int]], threshold: bool = False
) -> list[int]:
    """Layer widths [d, …, 1] of the moderate network: K = len(hidden) groups, m projected
    coordinates, n floor bits, ``hidden[k]`` group k's memorizer hidden widths (module doc)."""
    if n < 2 or m < 1 or not hidden:
        raise InputError("moderate_widths needs n >= 2, m >= 1 and at least one group")
    K = len(hidden)
    first, later = (2, 3) if threshold else (3, 4)
    w = [d]
    for k, hid in enumerate(hidden):
        e1, e2 = _extra(k)
        w.append(first * m + e1)
        w += [later * m + e2] * (n - 1)
        c = _carry(k, K, m)
        w += [h + c for h in hid]
    if K > 1:
        w.append(2)  # (acc, σ(f_K − acc))
    return w + [1]


def moderate_params(
    d: int, m: int, n: int, hidden: list[list[int]], threshold: bool = False
) -> int:
    """Σ (w_{l−1} + 1)·w_l over :func:`moderate_widths`: the exact parameter count."""
    w = moderate_widths(d, m, n, hidden, threshold)
    return sum((a + 1) * b for a, b in zip(w, w[1:]))


def _chain(widths: list[int]) -> int:
    return sum((a + 1) * b for a, b in zip(widths, widths[1:]))


def _choose_memorizer(grp: _Group, choice: str, left: int, right: int, c: int) -> None:
    """Pick the memorizer of a group by its exact cost between the widths ``left`` (last floor
    layer) and ``right`` (the next layer), with c carried units in each memorizer layer."""
    options: list[tuple[int, str, int | None, int | None, list[int]]] = []
    if choice in ("plain", "auto"):
        hid = [4 * len(grp.keys)]
        options.append((_chain([left] + [h + c for h in hid] + [right]), "plain", None, None, hid))
    if choice in ("sqrt", "auto"):
        base = sqrt_layout(grp.keys, grp.labels)
        cmax = max(grp.labels)
        cands = {(base.s, base.Bd)}
        n_keys = len(grp.keys)
        for Bd in range(max(1, base.Bd - 2), base.Bd + 3):
            s = 1
            while s <= n_keys:
                cands.add((s, Bd))
                s = max(s + 1, int(s * 1.25))
        for s, Bd in sorted(cands):
            lay = sqrt_layout(grp.keys, grp.labels, s, Bd)
            hid = sqrt_widths(lay.s, lay.g, lay.Bd, lay.L, cmax)[1:-1]
            cost = _chain([left] + [h + c for h in hid] + [right])
            options.append((cost, "sqrt", s, Bd, hid))
    cost, kind, s, Bd, hid = min(options, key=lambda o: (o[0], o[1] != "plain"))
    grp.memorizer, grp.s, grp.Bd, grp.hidden = kind, s, Bd, hid


# ------------------------------------------------------------------------------------ plan


def _projection_for(ds: Dataset, project: str, seed: int) -> tuple[Projection | None, list[str]]:
    if project == "none":
        return None, []
    if project == "random":
        P = random_projection(ds, paper_m(ds.N, ds.d), seed)
    elif project == "adaptive":
        P = adaptive_projection(ds, seed=seed)
    else:
        raise InputError(
            "the moderate builder's project must be auto, none, random or adaptive, "
            f"got {project!r}"
        )
    if P.kind == "identity":
        return None, list(P.notes)
    return P, list(P.notes)


def _cover_groups(
    Z: list[list[Fraction]], sr: Fraction, bits: int = 10
) -> tuple[list[list[int]], list[LatticeShift]]:
    """Groups by a greedy cover (beyond the paper; Lemma B.15's role, on the actual data): one
    dyadic translation t (``bits`` fractional bits per coordinate, chosen coordinate by
    coordinate to clear the most remaining points, proposed in floating point) per group, the
    group being every remaining point whose box of radius s·r stays ≥ s·r·(1 + 1/8) from every
    face of the shifted lattice, decided exactly. A translation that centres the first remaining
    point's cell always clears that point, so every round makes progress."""
    m = len(Z[0])
    need = sr + sr / 8
    need_f = float(need)
    scale = 1 << bits
    cand = np.arange(scale) / scale
    Zf = np.asarray([[float(v) for v in z] for z in Z])
    left = list(range(len(Z)))
    members: list[list[int]] = []
    lats: list[LatticeShift] = []
    while left:
        alive = np.ones(len(left), dtype=bool)
        shift: list[Fraction] = []
        for j in range(m):
            fr = (Zf[left, j][:, None] + cand[None, :]) % 1.0
            ok = np.minimum(fr, 1 - fr) >= need_f * (1 + 1e-9)
            cnt = (ok & alive[:, None]).sum(axis=0)
            best = int(np.argmax(cnt))
            if cnt[best] == 0:  # centre the first alive point (exact fallback below)
                i0 = left[int(np.flatnonzero(alive)[0])] if alive.any() else left[0]
                best = int((Fraction(1, 2) - (Z[i0][j] - math.floor(Z[i0][j]))) % 1 * scale)
            shift.append(Fraction(best, scale))
            alive &= ok[:, best]
        grp = [i for i in left if all(_dist_int(Z[i][j] + shift[j]) >= need for j in range(m))]
        if not grp:  # floating point disagreed: the paper's translation of one point
            lat = lattice_translation([Z[left[0]]], 1)
            grp, shift = [left[0]], list(lat.shift)
        margin = min(_dist_int(Z[i][j] + shift[j]) for i in grp for j in range(m))
        members.append(grp)
        lats.append(LatticeShift(tuple(shift), margin, bits, len(grp)))
        chosen = set(grp)
        left = [i for i in left if i not in chosen]
    return members, lats


def _dist_int(x: Fraction) -> Fraction:
    f = x - math.floor(x)
    return min(f, 1 - f)


def plan_moderate(
    ds: Dataset,
    radius_power: Fraction,
    p: int | None,
    eta: Fraction | str | float = "1/10",
    *,
    threshold: bool = False,
    projection: Projection | None = None,
    memorizer: str = "auto",
    grouping: str = "auto",
) -> ModeratePlan:
    """Steps 0–3 of the module doc for one projection (None: the identity), nothing built.
    ``grouping="auto"``: both plans, the smaller by exact size (the paper's on a tie)."""
    if grouping == "auto":
        kw = {"threshold": threshold, "projection": projection, "memorizer": memorizer}
        paper = plan_moderate(ds, radius_power, p, eta, grouping="paper", **kw)
        cover = plan_moderate(ds, radius_power, p, eta, grouping="cover", **kw)
        return cover if cover.params < paper.params else paper
    eta = Fraction(str(eta)) if not isinstance(eta, Fraction) else eta
    if not 0 < eta < 1:
        raise InputError(f"eta must satisfy 0 < eta < 1, got {eta}")
    if p not in (2, None):
        raise InputError("the moderate builder supports p = 2 and p = inf (use --method large)")
    if memorizer not in ("auto", "plain", "sqrt"):
        raise InputError(f"memorizer must be auto, plain or sqrt, got {memorizer!r}")
    N, d = ds.N, ds.d
    P = projection
    if P is None:
        m = d
        A = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
        c = [Fraction(0)] * d
        Z0 = [list(x) for x in ds.X]
        r = box_radius(radius_power, p)  # box half-width ≥ μ
        r2 = r if p == 2 else root_upper(d * radius_power**2, 2)
        eps2 = _sqrt_lower(ds.epsilon_power(2))
    else:
        m, A, c = P.m, [list(row) for row in P.matrix], list(P.bias)
        Z0 = [list(z) for z in P.apply_all(ds.X)]
        g2mu2 = radius_power if p == 2 else d * radius_power**2  # the ℓ2 radius² of the ball
        r = root_upper(P.lipschitz_bound**2 * g2mu2, 2)
        r2 = r
        eps2 = _sqrt_lower(P.separation_ratio * ds.epsilon_power(2))
    mu_lo = _sqrt_lower(radius_power) if p == 2 else radius_power  # ≤ μ
    if 2 * eps2 <= r2:
        raise InputError("the radius is too large for the moderate builder: use --method large")
    s = root_upper(Fraction(m), 2) / (2 * eps2 - r2)
    sr = s * r
    g = max(1, min(N, math.ceil(1 / (3 * sr)) - 1))
    while g > 1 and Fraction(1, 3 * g) <= sr:
        g -= 1
    if Fraction(1, 3 * g) <= sr:
        raise InputError(
            f"balls too large for the grid (s·r = {float(sr):.3g} ≥ 1/3): use --method large"
        )
    Z = [[s * v for v in z] for z in Z0]
    off = [1 - math.floor(min(z[j] for z in Z) - sr) for j in range(m)]
    Z = [[z[j] + off[j] for j in range(m)] for z in Z]
    if grouping == "paper":
        members = [list(range(i, min(N, i + g))) for i in range(0, N, g)]
        lats = [lattice_translation([Z[i] for i in grp], len(grp)) for grp in members]
    elif grouping == "cover":
        members, lats = _cover_groups(Z, sr)
    else:
        raise InputError(f"grouping must be auto, paper or cover, got {grouping!r}")
    K = len(members)
    sqrt_d_up = root_upper(Fraction(d), 2)
    # band fraction per unit of γ for coordinate j (module doc): √d/(s·μ·‖a_j‖) (ℓ2),
    # ‖a_j‖₂/(2·s·μ·‖a_j‖_∞) (ℓ∞); identity rows: √d/(s·μ) and 1/(2·s·μ)
    row_factor: list[Fraction] = []
    for row in A:
        n2 = sum((a * a for a in row), start=Fraction(0))
        if p == 2:
            row_factor.append(sqrt_d_up / (s * mu_lo * _sqrt_lower(n2)))
        else:
            amax = max(abs(a) for a in row)
            row_factor.append(1 / (2 * s * mu_lo * amax))
    if K > 1:
        g_eta = eta / ((K - 1) * sum(row_factor))  # Σ_j γ·factor_j·(K − 1) ≤ η
    else:
        g_eta = Fraction(1, 2)
    top = max(max(z) for z in Z) + 2  # > v + t + s·r on every ball
    n = max(2, math.ceil(top).bit_length())
    R = math.ceil(top)
    groups: list[_Group] = []
    for grp, lat in zip(members, lats):
        if lat.margin <= sr:
            raise AssertionError("Lemma B.15 margin below the ball: grouping contract failed")
        gam = min((lat.margin - sr) / 2, g_eta)
        gam = Fraction(1, 2 ** math.ceil(math.log2(1 / gam)))  # dyadic, ≤ the bound
        gam = Fraction(0) if threshold else gam
        keys: dict[int, int] = {}
        for i in grp:
            cell = [math.floor(Z[i][j] + lat.shift[j]) for j in range(m)]
            key = sum(cj * R**j for j, cj in enumerate(cell))
            if keys.setdefault(key, ds.y[i]) != ds.y[i]:
                raise AssertionError("two labels in one cell: the scaling contract failed")
        ks = sorted(keys)
        groups.append(_Group(grp, lat.shift, gam, ks, [keys[k] for k in ks]))
    for k, grp in enumerate(groups):  # by the ReLU design's widths (threshold: the same choice)
        left = 4 * m + _extra(k)[1]
        if k < K - 1:
            right = 3 * m + _extra(k + 1)[0]
        else:
            right = 2 if K > 1 else 1
        _choose_memorizer(grp, memorizer, left, right, _carry(k, K, m))
    g = g if grouping == "paper" else max(len(grp) for grp in members)
    return ModeratePlan(
        d, m, A, c, s, off, n, R, sr, g, groups, threshold, P, Z, row_factor, grouping
    )


def moderate_size(
    ds: Dataset,
    radius_power: Fraction,
    p: int | None,
    eta: Fraction | str | float = "1/10",
    *,
    threshold: bool = False,
    project: str = "auto",
    memorizer: str = "auto",
    grouping: str = "auto",
    seed: int = 0,
) -> int:
    """Parameters of ``build_moderate(...)`` with the same arguments, by the exact formula
    (the plan is computed, no network is built)."""
    return _best_plan(ds, radius_power, p, eta, threshold, project, memorizer, seed, grouping)[
        0
    ].params


def _best_plan(ds, radius_power, p, eta, threshold, project, memorizer, seed, grouping):
    """The plan build_moderate wires in: for ``project="auto"`` the paper's rule (a random
    projection to paper_m only when paper_m < d, as the small builder), kept only when its
    plan is smaller; for ``grouping="auto"`` the smaller of the paper and cover plans."""
    notes: list[str] = []
    projections: list[Projection | None] = [None]
    if project == "auto":
        if paper_m(ds.N, ds.d) < ds.d:
            try:
                projections.append(_projection_for(ds, "random", seed)[0])
            except InputError as e:
                notes.append(f"random projection failed ({e}); no projection")
    else:
        P, pn = _projection_for(ds, project, seed)
        projections, notes = [P], pn
    kinds = ("paper", "cover") if grouping == "auto" else (grouping,)
    best: ModeratePlan | None = None
    err: InputError | None = None
    for P in projections:
        for kind in kinds:
            try:
                plan = plan_moderate(
                    ds,
                    radius_power,
                    p,
                    eta,
                    threshold=threshold,
                    projection=P,
                    memorizer=memorizer,
                    grouping=kind,
                )
            except InputError as e:
                err = e
                continue
            m = ds.d if P is None else P.m
            notes.append(
                f"m = {m}, {kind} grouping: {len(plan.groups)} groups, {plan.params} params"
            )
            if best is None or plan.params < best.params:
                best = plan
    if best is None:
        assert err is not None
        raise err
    if best.projection is not None:
        notes += best.projection.notes
    return best, notes


# ----------------------------------------------------------------------------------- build

Form = dict  # {unit index in the previous layer (int) | None (constant): Fraction}


def _lin(*terms: tuple[Fraction | int, int | None]) -> Form:
    out: Form = {}
    for coef, key in terms:
        if coef:
            out[key] = out.get(key, Fraction(0)) + Fraction(coef)
    return out


def _add(*forms: Form) -> Form:
    out: Form = {}
    for f in forms:
        for k, v in f.items():
            out[k] = out.get(k, Fraction(0)) + v
    return out


def _mul(f: Form, a: Fraction | int) -> Form:
    return {k: v * a for k, v in f.items()} if a else {}


class _Net:
    """Layers as lists of units, each an affine form over the previous layer's units."""

    def __init__(self, d: int) -> None:
        self.width = d
        self.Ws: list[list[list[Fraction]]] = []
        self.bs: list[list[Fraction]] = []
        self.acts: list[list[str]] = []

    def layer(self, units: list[tuple[Form, str]]) -> list[Form]:
        """Append a hidden layer; returns the forms selecting its units."""
        zero = Fraction(0)
        W, b = [], []
        for form, _ in units:
            row = [zero] * self.width
            for k, v in form.items():
                if k is not None:
                    row[k] += v
            W.append(row)
            b.append(form.get(None, zero))
        self.Ws.append(W)
        self.bs.append(b)
        self.acts.append([a for _, a in units])
        self.width = len(units)
        return [{i: Fraction(1)} for i in range(len(units))]

    def network(self, out: Form) -> Network:
        zero = Fraction(0)
        row = [zero] * self.width
        for k, v in out.items():
            if k is not None:
                row[k] += v
        Ws, bs = self.Ws + [[row]], self.bs + [[out.get(None, zero)]]
        acts = [a[0] if all(u == a[0] for u in a) else tuple(a) for a in self.acts]
        return Network(Ws, bs, input_dim=len(Ws[0][0]), activations=acts)


def _floors(
    net: _Net,
    v: list[Form],
    shift: tuple[Fraction, ...],
    n: int,
    gamma: Fraction,
    accs: list[Form],
    threshold: bool,
) -> tuple[list[Form], list[Form], list[Form]]:
    """The fused floors of one group: ⌊v_j + t_j⌋ for every coordinate, with v (and the
    running maximum ``accs``: one or two forms summed into one unit after the first layer)
    carried. Returns (v, floors, acc) as forms over the last floor layer."""
    m = len(v)
    x = [_add(v[j], {None: shift[j]}) for j in range(m)]  # the floor's input, affine in v
    acc_in = accs
    rem: list[Form] = list(x)  # remainder r_j (ReLU) / bits so far (ramp design)
    bits: list[Form] = [{} for _ in range(m)]
    for step in range(n):
        k = n - 1 - step
        units: list[tuple[Form, str]] = [(v[j], "relu") for j in range(m)]
        if step == 0:
            units += [(a, "relu") for a in acc_in]
        elif acc_in:
            units.append((_add(*acc_in), "relu"))
        idx_r: list[int] = []
        idx_a: list[int] = []
        for j in range(m):
            if threshold:
                if step > 0:
                    r_j = _add(rem[j], _mul(bits[j], -(2 ** (k + 1))))
                    idx_r.append(len(units))
                    units.append((r_j, "relu"))
                else:
                    r_j = rem[j]
                idx_a.append(len(units))
                units.append((_add(r_j, {None: Fraction(-(2**k))}), "step"))
            else:
                if step > 0:  # acc_j ← acc_j + 2^(k+1)·b_{k+1}
                    acc_j = _add(rem[j], bits[j])
                    idx_r.append(len(units))
                    units.append((acc_j, "relu"))
                else:
                    acc_j = {}
                r_j = _add(x[j], _mul(acc_j, -1))
                idx_a.append(len(units))
                units.append((_add(r_j, {None: Fraction(-(2**k))}), "relu"))
                units.append((_add(r_j, {None: Fraction(-(2**k)) - gamma}), "relu"))
        sel = net.layer(units)
        v = sel[:m]
        x = [_add(v[j], {None: shift[j]}) for j in range(m)]
        if acc_in:
            acc_in = [sel[m]] if step > 0 else [_add(*sel[m : m + len(acc_in)])]
        for j in range(m):
            if threshold:
                rem[j] = sel[idx_r[j]] if step > 0 else x[j]
                bits[j] = sel[idx_a[j]]
            else:
                rem[j] = sel[idx_r[j]] if step > 0 else {}
                a = idx_a[j]
                bits[j] = _mul(_lin((1, a), (-1, a + 1)), Fraction(2**k) / gamma)
    if threshold:  # ⌊x⌋ = x − (r − b_0)
        floors = [_add(x[j], _mul(rem[j], -1), bits[j]) for j in range(m)]
    else:
        floors = [_add(rem[j], bits[j]) for j in range(m)]
    return v, floors, acc_in


def _memorizer_layers(grp: _Group):
    if grp.memorizer == "plain":
        return plain_memorizer(grp.keys, grp.labels).layers
    return sqrt_memorizer(grp.keys, grp.labels, grp.s, grp.Bd).layers


def _apply_affine(W, b, inputs: list[Form]) -> list[Form]:
    return [
        _add({None: bi}, *(_mul(f, w) for w, f in zip(row, inputs) if w)) for row, bi in zip(W, b)
    ]


def build_from_plan(plan: ModeratePlan) -> Network:
    """The network of the module doc for a plan of :func:`plan_moderate`."""
    d, m, K = plan.d, plan.m, len(plan.groups)
    net = _Net(d)
    s = plan.scale
    v = [
        _add({None: s * plan.c[j] + plan.off[j]}, {i: s * a for i, a in enumerate(plan.A[j]) if a})
        for j in range(m)
    ]
    accs: list[Form] = []
    out: Form = {}
    for k, grp in enumerate(plan.groups):
        v, floors, acc = _floors(net, v, grp.shift, plan.n, grp.gamma, accs, plan.threshold)
        index = _add(*(_mul(f, plan.R**j) for j, f in enumerate(floors)))
        last = k == K - 1
        layers = _memorizer_layers(grp)
        cur = [index]
        for W, b in layers[:-1]:
            pre = _apply_affine(W, b, cur)
            carried = ([] if last else v) + acc
            sel = net.layer([(u, "relu") for u in carried + pre])
            nc = len(carried)
            if not last:
                v = sel[:m]
            acc = sel[nc - len(acc) : nc] if acc else []
            cur = sel[nc:]
        (f,) = _apply_affine(*layers[-1], cur)
        if not acc:  # the first group: acc = σ(f) (f ≥ 0: both memorizers' outputs are)
            accs = [f]
        else:  # acc + σ(f − acc) = max(acc, f), the σ in the next layer
            accs = [acc[0], _add(f, _mul(acc[0], -1))]
        if last:
            if K == 1:
                out = f
            else:
                sel = net.layer([(accs[0], "relu"), (accs[1], "relu")])
                out = _add(sel[0], sel[1])
    return net.network(out)


def _error_bounds(plan: ModeratePlan, N: int) -> list[Fraction]:
    """Per ball: Σ over the other groups' bands that meet the ball's box (exact) of the band's
    measure bound (module doc), capped at 1."""
    if plan.threshold:
        return [Fraction(0)] * N
    owner = {i: k for k, grp in enumerate(plan.groups) for i in grp.points}
    errs: list[Fraction] = []
    for i in range(N):
        total = Fraction(0)
        for k, grp in enumerate(plan.groups):
            if k == owner[i]:
                continue
            for j in range(plan.m):
                lo = plan.Z[i][j] + grp.shift[j] - plan.sr
                hi = plan.Z[i][j] + grp.shift[j] + plan.sr
                nint = math.floor(hi)  # the band [n, n + γ) with n ≤ hi: met iff n + γ > lo
                if nint + grp.gamma > lo:
                    total += grp.gamma * plan.row_factor[j]
        errs.append(min(total, Fraction(1)))
    return errs


def build_moderate(
    ds: Dataset,
    radius_power: Fraction,
    p: int | None,
    eta: Fraction | str | float = "1/10",
    threshold: bool = False,
    *,
    project: str = "auto",
    memorizer: str = "auto",
    grouping: str = "auto",
    seed: int = 0,
) -> tuple[Network, ModerateReport]:
    """The regime-(ii) network for balls of μ^p = ``radius_power`` (μ for p = ∞), p ∈ {2, ∞},
    with error measure ≤ η on every ball (module docstring); with ``threshold`` step units
    make it exact on every ball. Its size is :func:`moderate_size` (same arguments)."""
    eta = Fraction(str(eta)) if not isinstance(eta, Fraction) else eta
    plan, notes = _best_plan(
        ds, radius_power, p, eta, threshold, project, memorizer, seed, grouping
    )
    net = build_from_plan(plan)
    errs = _error_bounds(plan, ds.N)
    assert max(errs, default=Fraction(0)) <= eta, "band widths exceed the error budget"
    mems = [g.memorizer for g in plan.groups]
    stages = {
        "projection_and_first_layer": (plan.d + 1) * plan.widths[1],
        "group_networks": plan.params - (plan.d + 1) * plan.widths[1],
        "memorizers_sqrt": mems.count("sqrt"),
        "total_after_merging": net.num_params(),
    }
    rep = ModerateReport(
        plan.scale,
        plan.group_size,
        len(plan.groups),
        [g.gamma for g in plan.groups],
        eta,
        plan.n,
        errs,
        stages,
        plan.m,
        "none" if plan.projection is None else plan.projection.kind,
        mems,
        None if plan.projection is None else plan.projection.seed,
        notes,
        plan.grouping,
    )
    return net, rep
