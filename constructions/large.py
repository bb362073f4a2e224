"""The large-regime builder (THEORY §5, regime (iii)): projection cases, then a sequential
robust memorizer of width O(m + F) and depth O(N) whose every step is a linear test.

Stage 1 — projection (KMY B.14, cases I–V), ℓ2 only (``project="auto"``):
  * ρ ≥ 1/3 or d < 600·ln N: no projection (m = d), except d ≥ N: the projection onto the
    data's span (Prop B.21), with dyadic rows (``projection.dyadic_span_projection``: proven
    1-Lipschitz, ε_φ measured exactly; the exact rational basis has denominators that make
    exact certification crawl);
  * N < 600 ln N ≤ d (case III): the span projection;
  * N ≥ d ≥ 600 ln N (case IV): a seeded random projection to m = max{⌈9dρ²⌉, ⌈600 ln N⌉,
    ⌈10 ln d⌉} that makes the projected ratio r/ε_φ ≤ 5/6, checked exactly on the data
    (resampled on failure);
  * d > N ≥ 600 ln N (case V): the span projection R^d → R^r (r ≤ N − 1), then a random
    projection to m = max{⌈9Nρ²⌉, ⌈600 ln N⌉} — from N, not d — composed into one d → m layer
    (``projection.span_then_random``), same exact check; ``project="span-random"`` forces it.
    Size (d+1)m + Õ(N m²) = Õ(N d ρ² + N³ ρ⁴): d enters only through the first layer.
  For p ≠ 2 the default is no projection (the tests below then use the ℓp ball itself, which
  works for every ρ < 1, beyond the paper's ρ < 1/γ_p(d)); ``project="span"|"random"`` builds
  at the ℓ2 radius γ·μ that contains the ℓp ball (ρ' = γ_p(d)·ρ, as KMY Thm C.11 does).
  A bias b₀ makes every coordinate positive on every ball, so ReLU carries it unchanged.

Stage 2 — a circumscribed polytope per point. Let h(u) ≥ sup{⟨u, v⟩ : v in the ball} be an
exact rational upper bound of the ball's support function (ℓ∞: μ‖u‖₁, ℓ1: μ‖u‖∞, ℓ2:
√(μ²‖u‖²) rounded up, projected ℓ2: the same with radius lip·γ·μ). A *facet* of point k is
(u, τ) with s(z) = h(u) + τ − ⟨z − z_k, u⟩: s ≥ τ on k's ball, and s ≤ −τ on the ball of
every point l with ⟨z_l − z_k, u⟩ ≥ 2h(u) + 2τ ("l is cut off"). Candidates: the 2m box
faces ±e_j (τ = h(e_j)/4) and the bisector normals u = z_l − z_k (τ = G/4 with
G = ‖u‖² − 2h(u) > 0 iff the radius is below ε). A greedy set cover (float-guided, every
cut re-checked in exact integer arithmetic) picks facets until every differently labelled
point is cut off; each point's own bisector always cuts it, so the cover exists whenever
r < ε.

Stage 3 — the network. One block per point whose label is not the majority label c₀:
  layer A: t_f = ReLU(1 − 2·s_f(z)/τ_f) for the point's facets (0 on its ball, ≥ 3 on every
           cut-off ball), plus identity carries of z + b₀ and of the class sums S_c ≥ 0;
  layer B: ind_k = ReLU(1 − Σ_f t_f)  (1 on the point's ball, 0 on other-label balls);
  S_{y_k} += ind_k in the next layer. Finally f = c₀ + Σ_{c ≠ c₀} (c − c₀)·(1 − ReLU(1 − S_c)).
On the ball of a point with label c ≠ c₀: S_c ≥ 1 (its own indicator) and S_{c'} = 0 for
c' ≠ c, so f = c; on a c₀ ball every S_c = 0 and f = c₀. Every claim is a linear inequality
on the ball, so exact interval/symbolic bound propagation proves each ball in one node.
Size (:func:`large_size`, equal to ``num_params()``, zeros included): with C' = #classes − 1,
F_k the facets of block k (k = 1 … B, B = points off the majority label) and a = m + C',
the layer widths are [d, m, a+F_1, a+1, a+F_2, a+1, …, a+F_B, a+1, C', 1] — block 1's layer A
reads the m carried inputs only, every later one reads a + 1 (v, S and the previous
indicator) — so

    P = (d+1)m + (m+1)(a+F_1) + Σ_{k≥2} (a+2)(a+F_k) + Σ_k (a+F_k+1)(a+1) + (a+2)C' + C' + 1,

O(N·m·(m + F)), width a + max F_k, depth 2B + 3. THEORY's Õ(N m²) rate holds when F_k = O(m)
(the report gives F).
This design is exact (no error) for every ρ < 1, so it also serves the moderate regime.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from flint import fmpq, fmpq_mat

from certify.ball import root_upper
from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network
from constructions.projection import (
    Projection,
    dyadic_span_projection,
    random_projection,
    span_then_random,
)

__all__ = [
    "LargeReport",
    "build_large",
    "large_size",
    "large_widths",
    "paper_case_v_m",
    "paper_large_case",
    "paper_large_m",
    "support",
]


@dataclass
class LargeReport:
    """What was built: projection, facet counts, per-stage parameters, the seed used."""

    projection: str  # "none", "span", "random" or "span+random"
    m: int
    seed: int | None
    radius_bound: Fraction  # r: rational upper bound of the (projected) ball radius
    majority_label: int
    blocks: int
    facets: list[int]
    stages: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def max_facets(self) -> int:
        return max(self.facets, default=0)

    @property
    def mean_facets(self) -> float:
        return sum(self.facets) / len(self.facets) if self.facets else 0.0


CASE_LN = 600
"""The constant of KMY B.14's case split (600 ln N); a module constant so that tests can
exercise the case logic at small N."""


def paper_large_m(N: int, d: int, rho2: Fraction) -> int:
    """Case IV's m = max{⌈9dρ²⌉, ⌈600 ln N⌉, ⌈10 ln d⌉} (KMY B.14, α = 1/5), capped at d."""
    m = max(math.ceil(9 * d * rho2), math.ceil(CASE_LN * math.log(N)), math.ceil(10 * math.log(d)))
    return min(d, max(1, m))


def paper_case_v_m(N: int, rho2: Fraction) -> int:
    """Case V's m = max{⌈9Nρ²⌉, ⌈600 ln N⌉} (KMY B.14: after the span projection R^d → R^N),
    capped at N: independent of d."""
    m = max(math.ceil(9 * N * rho2), math.ceil(CASE_LN * math.log(N)))
    return min(N, max(1, m))


def paper_large_case(N: int, d: int, rho2: Fraction) -> tuple[str, int | None]:
    """KMY B.14's case at (N, d, ρ²) and its random-projection target m (None: no random
    stage). I ρ ≥ 1/3, II d < 600 ln N (no projection; the span when d ≥ N), III N < 600 ln N ≤
    d (the span), IV N ≥ d ≥ 600 ln N (random to :func:`paper_large_m`), V d > N ≥ 600 ln N
    (the span, then random to :func:`paper_case_v_m`)."""
    ln = CASE_LN * math.log(N)
    if rho2 >= Fraction(1, 9):
        return "I", None
    if d < ln:
        return "II", None
    if ln > N:
        return "III", None
    if d <= N:
        return "IV", paper_large_m(N, d, rho2)
    return "V", paper_case_v_m(N, rho2)


def large_widths(d: int, m: int, classes_minus_one: int, facets: list[int]) -> list[int]:
    """Layer widths [d, m, a+F_1, a+1, …, a+F_B, a+1, C', 1] of :func:`build_large` (module
    doc; a = m + C', ``facets`` = [F_1, …, F_B], one per block)."""
    if not facets or m < 1 or classes_minus_one < 1 or min(facets) < 1:
        raise InputError("large_widths needs m, C' >= 1 and at least one block with facets")
    a = m + classes_minus_one
    w = [d, m]
    for f in facets:
        w += [a + f, a + 1]
    return w + [classes_minus_one, 1]


def large_size(d: int, m: int, classes_minus_one: int, facets: list[int]) -> int:
    """The module doc's size formula: (d+1)m + (m+1)(a+F_1) + Σ_{k≥2} (a+2)(a+F_k)
    + Σ_k (a+F_k+1)(a+1) + (a+2)C' + C' + 1, a = m + C' — ``num_params()`` of the network
    :func:`build_large` builds with these facet counts (``LargeReport.facets``)."""
    large_widths(d, m, classes_minus_one, facets)  # the same argument checks
    c, a = classes_minus_one, m + classes_minus_one
    return (
        (d + 1) * m
        + (m + 1) * (a + facets[0])
        + sum((a + 2) * (a + f) for f in facets[1:])
        + sum((a + f + 1) * (a + 1) for f in facets)
        + (a + 2) * c
        + c
        + 1
    )


# ------------------------------------------------------------------------------ geometry


class _Shape:
    """Support-function upper bounds h(u) ≥ sup_{‖v‖ ≤ μ} ⟨u, v⟩ for integer vectors u."""

    def __init__(self, p: int | None, radius_power: Fraction):
        # p: None = ∞; for p == 2 the radius is kept squared (μ²) to stay rational
        self.p = p
        self.rp = radius_power
        if p == 2:
            self.r = root_upper(radius_power, 2)
        elif p is None or p == 1:
            self.r = radius_power
        else:
            self.r = root_upper(radius_power, p)

    def h(self, u: np.ndarray | list[int]) -> Fraction:
        ints = [int(t) for t in u]
        if self.p is None:
            return self.r * sum(abs(t) for t in ints)
        if self.p == 1:
            return self.r * max((abs(t) for t in ints), default=0)
        if self.p == 2:
            return root_upper(self.rp * sum(t * t for t in ints), 2)
        q = self.p / (self.p - 1)  # dual exponent; float guides, a relative slack keeps it safe
        val = sum(abs(t) ** q for t in ints) ** (1 / q) * float(self.r) * (1 + 1e-9)
        return Fraction(val).limit_denominator(1 << 40) + Fraction(1, 1 << 40)

    def hf(self, u: np.ndarray) -> float:
        """A float estimate of h(u) (guides the greedy search only)."""
        a = np.abs(np.asarray(u, dtype=float))
        r = float(self.r)
        if self.p is None:
            return r * float(a.sum())
        if self.p == 1:
            return r * float(a.max(initial=0.0))
        if self.p == 2:
            return r * float(np.sqrt((a * a).sum()))
        q = self.p / (self.p - 1)
        return r * float((a**q).sum() ** (1 / q))


def support(p: int | None, radius_power: Fraction, u: list[int]) -> Fraction:
    """h(u) ≥ sup{⟨u, v⟩ : ‖v‖_p < μ}, exact rational (μ^p = radius_power; μ for p = ∞)."""
    return _Shape(p, radius_power).h(u)


class _ExactDots:
    """Exact ⟨z_l − z_k, u⟩ for integer u: common-denominator integers (numpy int64 when the
    products fit, Python ints otherwise), or flint rationals when the denominator is huge
    (e.g. after the exact span projection)."""

    def __init__(self, Z: list[tuple[Fraction, ...]]):
        den = 1
        for z in Z:
            for v in z:
                den = math.lcm(den, v.denominator)
        self.den = den
        self.flint = den.bit_length() > 2048
        if self.flint:
            self.Zq = fmpq_mat([[fmpq(v.numerator, v.denominator) for v in z] for z in Z])
            return
        self.Zi = [[int(v * den) for v in z] for z in Z]
        big = max((abs(v) for z in self.Zi for v in z), default=0)
        self.i64 = np.asarray(self.Zi, dtype=np.int64) if big < (1 << 26) else None

    def cut(self, k: int, rows: list[int], u: list[int], thr: Fraction) -> list[int]:
        """The rows l with ⟨z_l − z_k, u⟩ ≥ thr, decided exactly."""
        if self.flint:
            vals = (self.Zq * fmpq_mat(len(u), 1, [fmpq(t) for t in u])).entries()
            t = fmpq(thr.numerator, thr.denominator) + vals[k]
            return [r for r in rows if vals[r] >= t]
        scaled = self.den * thr  # integer LHS ≥ den·thr ⟺ LHS ≥ ⌈den·thr⌉
        t = -((-scaled.numerator) // scaled.denominator)
        if self.i64 is not None and max(abs(v) for v in u) < (1 << 30) and len(u) < (1 << 6):
            vals = self.i64 @ np.asarray(u, dtype=np.int64)
            t += int(vals[k])
            return [r for r in rows if int(vals[r]) >= t]
        t += sum(a * b for a, b in zip(self.Zi[k], u))
        return [r for r in rows if sum(a * b for a, b in zip(self.Zi[r], u)) >= t]


@dataclass
class _Facet:
    u: list[int]  # integer normal
    h: Fraction  # ≥ sup of ⟨v, u⟩ over the ball
    tau: Fraction  # margin: s ≥ τ on the own ball, s ≤ −τ on every cut-off ball


def _facets_for(
    k: int,
    Z: list[tuple[Fraction, ...]],
    Zf: np.ndarray,
    exact: _ExactDots,
    labels: np.ndarray,
    shape: _Shape,
    near: int = 48,
) -> list[_Facet]:
    """Greedy cover of every differently labelled point of k by facets (exactly checked)."""
    m = Zf.shape[1]
    remaining = [int(i) for i in np.flatnonzero(labels != labels[k])]
    facets: list[_Facet] = []
    box_h = [shape.h([int(j == jj) for jj in range(m)]) for j in range(m)]

    def exact_cut(f: _Facet, rows: list[int]) -> list[int]:
        if f.tau <= 0:  # two balls that touch along u: this facet separates nothing
            return []
        return exact.cut(k, rows, f.u, 2 * f.h + 2 * f.tau)

    while remaining:
        rem = np.asarray(remaining)
        diffs = Zf[rem] - Zf[k]  # float guide of z_l − z_k
        scores: list[tuple[np.ndarray, float]] = []  # (≈⟨z_l − z_k, u⟩, ≈ 2h(u) + 2τ)
        for j in range(m):
            for sgn in (1, -1):
                scores.append((sgn * diffs[:, j], 2.5 * float(box_h[j])))
        order = np.argsort((diffs**2).sum(axis=1))[:near]
        for o in order:  # float scores only; the exact facet is made for the winner
            u = np.asarray(_dual(diffs[int(o)], shape.p), dtype=float)
            proj = diffs @ u
            hf = shape.hf(u)
            G = float(proj[int(o)]) - 2 * hf
            scores.append((proj, 2 * hf + G / 2 if G > 0 else np.inf))
        best, best_count = None, 0
        for idx, (proj, thr) in enumerate(scores):
            c = int((proj >= thr + 1e-9 * abs(thr)).sum())
            if c > best_count:
                best, best_count = idx, c
        chosen: _Facet | None = None
        if best is not None and best < 2 * m:
            j, sgn = divmod(best, 2)
            u = [0] * m
            u[j] = 1 if sgn == 0 else -1
            chosen = _Facet(u, box_h[j], box_h[j] / 4)
        elif best is not None:
            o = int(order[best - 2 * m])
            chosen = _dual_facet(k, remaining[o], Z, diffs[o], shape)
        cut = exact_cut(chosen, remaining) if chosen is not None else []
        if not cut:  # fall back on the nearest remaining point's own dual facet
            o = int(order[0])
            chosen = _dual_facet(k, remaining[o], Z, diffs[o], shape)
            cut = exact_cut(chosen, remaining)
            if remaining[o] not in cut:
                raise InputError(
                    f"points {k} and {remaining[o]} have different labels but their balls "
                    "are too close for the large-regime builder (it needs radius < ε): "
                    "use a smaller rho"
                )
        facets.append(chosen)
        gone = set(cut)
        remaining = [r for r in remaining if r not in gone]
    return facets


def _dual(diff: np.ndarray, p: int | None) -> list[int]:
    """An integer normal u (≈ 2^30 scale) maximising ⟨diff, u⟩ − 2h(u) for the ℓp ball."""
    a = np.abs(diff)
    top = float(a.max())
    if p is None:  # ℓ∞ ball: the coordinate of largest |diff|
        j = int(np.argmax(a))
        return [(1 if diff[j] > 0 else -1) if i == j else 0 for i in range(len(diff))]
    if p == 1:  # ℓ1 ball: the sign vector
        return [int(t > 0) - int(t < 0) for t in diff]
    w = np.sign(diff) * (a / top) ** (p - 1)  # the dual direction (p = 2: diff itself)
    return [int(round(t * (1 << 30))) for t in w]


def _dual_facet(
    k: int, l: int, Z: list[tuple[Fraction, ...]], diff: np.ndarray, shape: _Shape
) -> _Facet:
    """The facet along the dual direction u of z_l − z_k: τ = G/4 with G = ⟨z_l − z_k, u⟩ −
    2h(u), exact (G > 0 iff the two balls are apart along u; else τ = 0: unusable)."""
    u = _dual(diff, shape.p)
    h = shape.h(u)
    G = sum((t * (a - b) for t, a, b in zip(u, Z[l], Z[k]) if t), start=Fraction(0)) - 2 * h
    return _Facet(u, h, G / 4 if G > 0 else Fraction(0))


# ------------------------------------------------------------------------------ projection


def _choose_projection(
    ds: Dataset,
    radius_power: Fraction,
    p: int | None,
    project: str,
    seed: int,
    m_override: int | None = None,
) -> tuple[Projection | None, Fraction, list[str]]:
    """(projection or None, R² ≥ the squared ℓ2 radius of the projected balls, notes)."""
    N, d = ds.N, ds.d
    notes: list[str] = []
    if project not in ("auto", "none", "span", "random", "span-random"):
        raise InputError(
            "the large builder's project must be auto, none, span, random or span-random, "
            f"got {project!r}"
        )
    if project == "auto":
        if p != 2:
            return None, Fraction(1), [f"p = {p or 'inf'}: facets use the ℓp ball directly"]
        rho2 = radius_power / ds.epsilon_power(2)
        case, _ = paper_large_case(N, d, rho2)
        if case in ("I", "II", "III"):
            if d >= N:
                project = "span"
                notes.append(f"case {case} with d ≥ N → exact span projection (Prop B.21)")
            else:
                return None, Fraction(1), [f"case {case} (d < N) → no projection"]
        elif case == "IV":
            project = "random"
            notes.append("case IV: N ≥ d ≥ 600 ln N → random projection, m from d")
        else:
            project = "span-random"
            notes.append("case V: d > N ≥ 600 ln N → span, then random projection, m from N")
    if project == "none":
        return None, Fraction(1), notes
    # the ℓp ball of radius μ lies in the ℓ2 ball of radius γ·μ (γ² = max(1, d^(1−2/p)))
    if p == 2 or p == 1:
        g2 = Fraction(1)
    elif p is None:
        g2 = Fraction(d)
    else:
        g2 = max(Fraction(1), root_upper(Fraction(d) ** (p - 2), p))
    mu2 = radius_power**2 if p is None else (radius_power if p == 2 else None)
    if mu2 is None:
        mu2 = root_upper(radius_power, p) ** 2
    if project == "span":
        P = dyadic_span_projection(ds)
        if P is None:
            return None, Fraction(1), notes + ["the data span R^d: no projection"]
        if g2 * P.lipschitz_bound**2 * mu2 >= P.separation_ratio * ds.epsilon_power(2):
            return None, Fraction(1), notes + ["the span projection shrinks ε below the radius"]
    else:
        rho2 = g2 * mu2 / ds.epsilon_power(2)
        # contract: projected ratio ≤ 5/6, i.e. ε_φ² ≥ (36/25)·ρ'²·ε² (ρ' = γρ)
        need = Fraction(36, 25) * rho2
        if need >= 1:
            raise InputError(
                f"ρ' = γ·ρ = {math.sqrt(float(rho2)):.4g} ≥ 5/6: a projection cannot keep the "
                "balls apart; use project='none'"
            )
        if project == "span-random":
            m = paper_case_v_m(N, rho2) if m_override is None else m_override
            P = span_then_random(ds, m, seed, need=need, budget=20)
        else:
            m = paper_large_m(N, d, rho2) if m_override is None else m_override
            ratio = root_upper(need * Fraction(d, m), 2)
            P = random_projection(ds, m, seed, ratio=ratio, budget=20)
    notes.extend(P.notes)
    return P, g2 * P.lipschitz_bound**2 * mu2, notes


# ------------------------------------------------------------------------------ the network


def build_large(
    ds: Dataset,
    radius_power: Fraction,
    p: int | None,
    *,
    project: str = "auto",
    seed: int = 0,
    m: int | None = None,
) -> tuple[Network, LargeReport]:
    """A robust memorizer for balls of μ^p = ``radius_power`` (μ for p = ∞); see the module
    docstring for the stages and the contract. ``m`` overrides the paper's target dimension
    of the random projection (``project="random"``). Raises InputError when no facet can
    separate two differently labelled balls (radius too close to ε)."""
    N, d = ds.N, ds.d
    if m is not None and (m < 1 or project not in ("random", "span-random")):
        raise InputError("m (target dimension) needs project='random' or 'span-random', m >= 1")
    P, R2, notes = _choose_projection(ds, Fraction(radius_power), p, project, seed, m)
    if P is None:
        Z = [tuple(x) for x in ds.X]
        m = d
        shape = _Shape(p, Fraction(radius_power))
        W1 = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
        c1 = [Fraction(0)] * d
    else:
        Z = P.apply_all(ds.X)
        m = P.m
        shape = _Shape(2, R2)  # the image of a ball lies in the ℓ2 ball of radius² μ²γ²lip²
        W1 = [list(r) for r in P.matrix]
        c1 = list(P.bias)
    labels = np.asarray(ds.y)
    values, counts = np.unique(labels, return_counts=True)
    c0 = int(values[np.argmax(counts)])
    others = [int(c) for c in values if c != c0]
    C1 = len(others)
    cls = {c: i for i, c in enumerate(others)}
    # bias b0: every coordinate of z + b0 is ≥ 1 on every ball (ReLU = identity there)
    box = [shape.h([int(i == j) for i in range(m)]) for j in range(m)]
    b0 = [Fraction(math.floor(-min(z[j] for z in Z) + box[j]) + 1) for j in range(m)]
    exact = _ExactDots(Z)
    Zf = np.asarray([[float(v) for v in z] for z in Z])
    blocks = [k for k in range(N) if int(labels[k]) != c0]
    facets: list[list[_Facet]] = []
    for k in blocks:
        facets.append(_facets_for(k, Z, Zf, exact, labels, shape))
    F = [len(f) for f in facets]

    zero = Fraction(0)
    Ws: list[list[list[Fraction]]] = []
    bs: list[list[Fraction]] = []
    # layer 1: v = z + b0 (z = φ(x))
    Ws.append(W1)
    bs.append([c + b for c, b in zip(c1, b0)])
    prev_kind = "v"  # previous layer's outputs: "v" = [v]; "B" = [v, S, ind]
    prev_label: int | None = None
    for k, fs in zip(blocks, facets):
        n_in = m if prev_kind == "v" else m + C1 + 1
        rows: list[list[Fraction]] = []
        bias: list[Fraction] = []
        for j in range(m):  # carry v
            r = [zero] * n_in
            r[j] = Fraction(1)
            rows.append(r)
            bias.append(zero)
        for c in range(C1):  # carry S_c (+ previous indicator)
            r = [zero] * n_in
            if prev_kind == "B":
                r[m + c] = Fraction(1)
                if cls[prev_label] == c:  # type: ignore[index]
                    r[m + C1] = Fraction(1)
            rows.append(r)
            bias.append(zero)
        zk = Z[k]
        for f in fs:  # t = ReLU(1 − 2 s/τ), s = h + τ − ⟨v − b0 − z_k, u⟩
            w = [2 * t / f.tau for t in f.u]
            shift = sum((t * (a + b) for t, a, b in zip(f.u, zk, b0) if t), start=zero)
            r = [zero] * n_in
            r[:m] = w
            rows.append(r)
            bias.append(1 - 2 * (f.h + f.tau + shift) / f.tau)
        Ws.append(rows)
        bs.append(bias)
        # layer B: carries and the indicator
        n_a = m + C1 + len(fs)
        rows, bias = [], []
        for j in range(m + C1):
            r = [zero] * n_a
            r[j] = Fraction(1)
            rows.append(r)
            bias.append(zero)
        rows.append([zero] * (m + C1) + [Fraction(-1)] * len(fs))
        bias.append(Fraction(1))
        Ws.append(rows)
        bs.append(bias)
        prev_kind, prev_label = "B", int(labels[k])
    assert blocks, "Dataset guarantees two classes, so some point is not of label c0"
    # clip layer: g_c = ReLU(1 − S_c − [c = last]·ind), output c0 + Σ (c − c0)(1 − g_c)
    rows, bias = [], []
    for c in range(C1):
        r = [zero] * (m + C1 + 1)
        r[m + c] = Fraction(-1)
        if cls[prev_label] == c:  # type: ignore[index]
            r[m + C1] = Fraction(-1)
        rows.append(r)
        bias.append(Fraction(1))
    Ws.append(rows)
    bs.append(bias)
    Ws.append([[-Fraction(c - c0) for c in others]])
    bs.append([Fraction(c0) + sum((Fraction(c - c0) for c in others), start=zero)])
    net = Network(Ws, bs, input_dim=d)
    stages = {
        "projection": (d + 1) * m,
        "blocks": sum((len(W[0]) + 1) * len(W) for W in Ws[1:-2]),
        "clip_output": (m + C1 + 2) * C1 + C1 + 1,
    }
    kind = "none" if P is None else P.kind
    rep = LargeReport(
        kind,
        m,
        None if P is None else P.seed,
        shape.r,
        c0,
        len(blocks),
        F,
        stages,
        notes,
    )
    return net, rep
