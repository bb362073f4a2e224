"""Exactly certified linear projections (THEORY.md §5: Regime (i) step 1, Regime (iii)).

Every map here is φ(x) = A·x + b with A, b rational, and carries two exact certificates:

* ``lipschitz_bound`` L: a rational with ‖A‖_2 ≤ L ≤ 1 (proven, see each constructor);
* ``separation_ratio`` r²: the exact rational ε_{φ(D)}² / ε_D² achieved on the data
  (ε_{φ(D)} computed exactly on the projected points; points of different labels that collide
  make the projection fail).

Designs
-------
:func:`exact_span_projection` (Prop B.21, for any d; meant for d ≥ N). Exact orthonormal bases
need square roots, so we take an exact rational *orthogonal* basis b_1..b_r of the span of the
centred data (fraction-exact Gram–Schmidt; r = rank ≤ N − 1) and rows a_k = (s_k/‖b_k‖²)·b_k
with s_k a dyadic rational, s_k² ≤ ‖b_k‖², s_k ≥ ‖b_k‖·(1 − 2^-63). Then for every u
    ‖Au‖² = Σ_k (s_k²/‖b_k‖²)·⟨b_k,u⟩²/‖b_k‖²  ≤  ‖P_span u‖² ≤ ‖u‖²,
so ‖A‖ ≤ 1 (the rows are orthogonal with norms s_k/‖b_k‖ ≤ 1); and for data differences u
(which lie in the span) ‖Au‖² ≥ λ²·‖u‖² with λ² = min_k s_k²/‖b_k‖² ≥ 1 − 2^-62,
a known rational. So *every* pairwise distance is preserved up to the factor λ (exactly 1 on a
coordinate when ‖b_k‖² is a rational square) and ε_{φ(D)}² ≥ λ²·ε_D² — recorded exactly.
m = r ≤ N − 1, bias b = −A·x_0.

:func:`random_projection` (Regime (i) step 1, JL). Seeded Gaussian m×d matrix, rows
orthonormalised in floating point (a uniformly random m-dimensional subspace, as in Lemma B.18),
rounded to integers over 2^30, i.e. A₀ = Z/2^30. Exact bound: λ_max(A₀A₀ᵀ) ≤ G := max_i
Σ_j |(A₀A₀ᵀ)_ij| (Gershgorin on the exact integer Gram matrix ZZᵀ); we divide by
c = root_upper(G) ≥ √G, so ‖A‖ = ‖A₀‖/c ≤ √G/c ≤ 1. Then the stage contract
ε_{φ(D)} ≥ c₀·√(m/d)·ε_D (c₀ = 5/12) is checked exactly in squares on the data; on failure the
seed is re-derived deterministically (seed_k = SeedSequence([seed, k])) up to a budget.
m ≥ d gives the identity.

:func:`adaptive_projection`: the smallest m (doubling, then bisection) whose sample meets the
contract, never above the paper's m = min{d, max{⌈864 ln N⌉, ⌈10 ln d⌉}}; the identity when that
is d.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import flint
import numpy as np

from certify.ball import root_upper
from certify.dataset import Dataset
from certify.errors import InputError

__all__ = [
    "CONTRACT_RATIO",
    "Projection",
    "ProjectionError",
    "adaptive_projection",
    "exact_span_projection",
    "paper_m",
    "random_projection",
    "span_then_random",
]

CONTRACT_RATIO = Fraction(5, 12)
"""c₀ of the stage contract ε_{φ(D)} ≥ c₀·√(m/d)·ε_D (THEORY.md §5 (i) step 1)."""

_ROW_BITS = 30


class ProjectionError(InputError):
    """No sampled projection met the contract within the budget (the message says which)."""


@dataclass
class Projection:
    """φ(x) = A·x + b, exact. ``matrix`` is A as m rows of Fractions, ``bias`` is b.

    ``lipschitz_bound`` ≥ ‖A‖_2 and ≤ 1 (proven by construction, see the module docstring).
    ``separation_ratio`` = ε_{φ(D)}²/ε_D², exact, on the dataset it was built for.
    ``distance_factor2`` (span and identity maps): λ² with λ²‖x_i − x_j‖² ≤ ‖φ(x_i) − φ(x_j)‖²
    ≤ ‖x_i − x_j‖² for all data pairs, proven.
    ``seed`` is the seed of the sample used (None for deterministic maps); ``seeds_tried``
    lists every seed drawn, in order. ``kind``: "span", "random" or "identity".
    """

    matrix: list[list[Fraction]]
    bias: list[Fraction]
    m: int
    d: int
    seed: int | None
    lipschitz_bound: Fraction
    separation_ratio: Fraction
    kind: str
    seeds_tried: list[int] = field(default_factory=list)
    distance_factor2: Fraction | None = None
    notes: list[str] = field(default_factory=list)

    def apply(self, x: Sequence[Fraction]) -> tuple[Fraction, ...]:
        """φ(x), exact."""
        if len(x) != self.d:
            raise InputError(f"point has dimension {len(x)}, projection expects {self.d}")
        return tuple(
            sum((a * Fraction(v) for a, v in zip(row, x) if a), start=b)
            for row, b in zip(self.matrix, self.bias)
        )

    def apply_all(self, X: Sequence[Sequence[Fraction]]) -> list[tuple[Fraction, ...]]:
        """φ applied to every point, exact (batched with flint)."""
        return _apply_all(self.matrix, self.bias, X)

    def meets_contract(self, ratio: Fraction = CONTRACT_RATIO) -> bool:
        """ε_{φ(D)} ≥ ratio·√(m/d)·ε_D, compared exactly in squares."""
        return self.separation_ratio >= ratio**2 * Fraction(self.m, self.d)


def _apply_all(
    A: list[list[Fraction]], b: list[Fraction], X: Sequence[Sequence[Fraction]]
) -> list[tuple[Fraction, ...]]:
    m = len(A)
    if m == 0:
        return [() for _ in X]
    Am = flint.fmpq_mat([[_q(a) for a in row] for row in A])
    Xt = flint.fmpq_mat([[_q(Fraction(v)) for v in col] for col in zip(*X)])
    P = Am * Xt  # m × N
    out = []
    for i in range(len(X)):
        out.append(tuple(Fraction(int(P[k, i].p), int(P[k, i].q)) + b[k] for k in range(m)))
    return out


def _q(a: Fraction) -> flint.fmpq:
    return flint.fmpq(a.numerator, a.denominator)


def _f(a: flint.fmpq) -> Fraction:
    return Fraction(int(a.p), int(a.q))


def _separation_ratio(ds: Dataset, Z: list[tuple[Fraction, ...]]) -> Fraction | None:
    """ε_{φ(D)}²/ε_D², exact; None when two points of different labels collide."""
    seen: dict[tuple[Fraction, ...], int] = {}
    for z, lab in zip(Z, ds.y):
        if seen.setdefault(z, lab) != lab:
            return None
    if not Z or not Z[0]:
        return None
    proj = Dataset(Z, list(ds.y))
    return proj.epsilon_power(2) / ds.epsilon_power(2)


def _sqrt_lower(q: Fraction) -> Fraction:
    """A rational s with s² ≤ q and s ≥ √q·(1 − 2^-63) (q > 0): the largest s on a dyadic grid
    fine enough relative to q."""
    bits = 64 + max(0, (q.denominator.bit_length() - q.numerator.bit_length()) // 2 + 2)
    return Fraction(math.isqrt(q.numerator * (1 << (2 * bits)) // q.denominator), 1 << bits)


def _identity(ds: Dataset, note: str) -> Projection:
    d = ds.d
    A = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    return Projection(
        A,
        [Fraction(0)] * d,
        d,
        d,
        None,
        Fraction(1),
        Fraction(1),
        "identity",
        [],
        Fraction(1),
        notes=[note],
    )


# --------------------------------------------------------------------------- span (Prop B.21)


def exact_span_projection(ds: Dataset) -> Projection:
    """Prop B.21: R^d → R^r (r = rank of the centred data), ‖A‖ ≤ 1, data distances kept
    up to the exact rational factor λ (``distance_factor2`` = λ² ≥ 1 − 2^-62)."""
    x0 = ds.X[0]
    q0 = flint.fmpq_mat([[_q(a) for a in x0]])
    fbasis: list[flint.fmpq_mat] = []
    fnorms: list[flint.fmpq] = []
    for x in ds.X[1:]:  # exact Gram–Schmidt (flint rationals), skipping dependent vectors
        v = flint.fmpq_mat([[_q(a) for a in x]]) - q0
        for bk, nk in zip(fbasis, fnorms):
            c = (v * bk.transpose())[0, 0] / nk
            if c != 0:
                v = v - bk * c
        n2 = (v * v.transpose())[0, 0]
        if n2 != 0:
            fbasis.append(v)
            fnorms.append(n2)
    basis = [[_f(bk[0, j]) for j in range(ds.d)] for bk in fbasis]
    norms = [_f(nk) for nk in fnorms]
    rows: list[list[Fraction]] = []
    lam2 = Fraction(1)
    for bk, nk in zip(basis, norms):
        s = Fraction(math.isqrt(nk.numerator), math.isqrt(nk.denominator))
        if s * s != nk:  # not a rational square: round √‖b_k‖² down
            s = _sqrt_lower(nk)
            lam2 = min(lam2, s * s / nk)
        rows.append([s / nk * p for p in bk])
    bias = [-sum((a * v for a, v in zip(row, x0) if a), start=Fraction(0)) for row in rows]
    Z = _apply_all(rows, bias, ds.X)
    ratio = _separation_ratio(ds, Z)
    assert ratio is not None and ratio >= lam2  # the proof above, re-checked on the data
    # ‖A‖ = max_k s_k/‖b_k‖ ≤ 1 since the rows are orthogonal; certify it by a rational bound
    top = max((s_row_norm2(r) for r in rows), default=Fraction(0))
    lip = min(Fraction(1), root_upper(top, 2))
    return Projection(
        rows,
        bias,
        len(rows),
        ds.d,
        None,
        lip,
        ratio,
        "span",
        [],
        lam2,
        notes=[f"span of the centred data, rank {len(rows)}; λ² ≥ {float(lam2)}"],
    )


def s_row_norm2(row: Sequence[Fraction]) -> Fraction:
    """‖row‖², exact."""
    return sum((a * a for a in row), start=Fraction(0))


# --------------------------------------------------------------------------- random (JL)


def paper_m(N: int, d: int) -> int:
    """m = min{d, max{⌈864 ln N⌉, ⌈10 ln d⌉}} (Regime (i), α = 1/6)."""
    return min(d, max(math.ceil(864 * math.log(N)), math.ceil(10 * math.log(d)), 1))


def _derived_seed(seed: int, attempt: int) -> int:
    if attempt == 0:
        return seed
    return int(np.random.SeedSequence([seed, attempt]).generate_state(1, dtype=np.uint64)[0])


def _sample(ds: Dataset, m: int, seed: int) -> Projection | None:
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((ds.d, m))
    Q, _ = np.linalg.qr(G)  # d × m, orthonormal columns: a uniformly random subspace
    return _from_orthonormal(ds, Q, seed, "random", None)


def _from_orthonormal(
    ds: Dataset, Q: np.ndarray, seed: int | None, kind: str, x0: Sequence[Fraction] | None
) -> Projection | None:
    """Rows ≈ Qᵀ rounded to dyadics, scaled so that ‖A‖ ≤ 1 is proven (exact Gershgorin
    bound on the integer Gram matrix); bias −A·x0 (or 0); separation ratio checked exactly."""
    m = Q.shape[1]
    Z = np.rint(Q.T * (1 << _ROW_BITS)).astype(np.int64)  # m × d integer rows
    if not Z.any(axis=1).all():
        return None
    Zf = flint.fmpz_mat(Z.tolist())
    gram = Zf * Zf.transpose()  # exact integer Gram matrix (scaled by 4^ROW_BITS)
    gersh = max(sum(abs(int(gram[i, j])) for j in range(m)) for i in range(m))
    G_bound = Fraction(gersh, 1 << (2 * _ROW_BITS))  # ≥ λ_max(A₀A₀ᵀ) = ‖A₀‖²
    c = root_upper(G_bound, 2)  # ≥ √G_bound ≥ ‖A₀‖
    s = Fraction((1 << 64) * c.denominator // c.numerator, 1 << 64)  # dyadic, ≤ 1/c
    rows = [[Fraction(int(v)) * s / (1 << _ROW_BITS) for v in r] for r in Z.tolist()]
    # ‖A‖ = s·‖A₀‖ ≤ s·c ≤ 1 (proof above); the rational bound is capped at that 1
    lip = min(Fraction(1), root_upper(G_bound * s * s, 2))
    if x0 is None:
        bias = [Fraction(0)] * m
    else:
        bias = [-sum((a * v for a, v in zip(row, x0) if a), start=Fraction(0)) for row in rows]
    Zp = _apply_all(rows, bias, ds.X)
    ratio = _separation_ratio(ds, Zp)
    if ratio is None:
        return None
    return Projection(rows, bias, m, ds.d, seed, lip, ratio, kind)


def dyadic_span_projection(ds: Dataset, tol: float = 1e-9) -> Projection | None:
    """Onto (≈) the span of the centred data, with dyadic rows: an orthonormal basis from the
    SVD, rounded to 2^-30 and scaled so that ‖A‖ ≤ 1 is proven. Distances shrink by a factor
    ≈ 1 − 2^-30·√d (measured exactly: ``separation_ratio``). Dyadic weights keep the exact
    certifier fast (the exact span basis has huge denominators). None if the rank is d."""
    x0 = ds.X[0]
    Xf = np.asarray([[float(v) for v in x] for x in ds.X]) - np.asarray([float(v) for v in x0])
    _, S, Vt = np.linalg.svd(Xf, full_matrices=False)
    if not S.size or S[0] == 0:
        return None
    r = int((S[0] * tol < S).sum())
    if r >= ds.d:
        return None
    p = _from_orthonormal(ds, Vt[:r].T, None, "span", x0)
    if p is not None:
        p.notes.append(f"dyadic span of the centred data, rank {r} < d = {ds.d}")
    return p


def random_projection(
    ds: Dataset,
    m: int,
    seed: int,
    *,
    ratio: Fraction = CONTRACT_RATIO,
    budget: int = 20,
) -> Projection:
    """A seeded random projection to R^m, ‖A‖ ≤ 1 proven, meeting ε_{φ(D)} ≥ ratio·√(m/d)·ε_D
    exactly on ``ds``; resamples with deterministically derived seeds up to ``budget`` tries.

    m ≥ d returns the identity. Raises :class:`ProjectionError` (listing the seeds and the best
    ratio) when no sample qualifies."""
    if m < 1:
        raise InputError(f"m must be >= 1, got {m}")
    if m >= ds.d:
        return _identity(ds, f"m = {m} >= d = {ds.d}: identity")
    ratio = Fraction(ratio)
    need = ratio**2 * Fraction(m, ds.d)
    tried: list[int] = []
    best: Fraction | None = None
    for attempt in range(budget):
        s = _derived_seed(seed, attempt)
        tried.append(s)
        p = _sample(ds, m, s)
        if p is None:
            continue
        best = p.separation_ratio if best is None else max(best, p.separation_ratio)
        if p.separation_ratio >= need:
            p.seeds_tried = tried
            p.notes.append(
                f"seed {s} (attempt {attempt + 1} of {budget}, base seed {seed}); "
                f"ε_φ²/ε² = {float(p.separation_ratio):.6g} ≥ {float(need):.6g} required"
            )
            return p
    raise ProjectionError(
        f"no random projection to m = {m} (d = {ds.d}, N = {ds.N}) met "
        f"ε_φ ≥ {ratio}·√(m/d)·ε within {budget} samples (base seed {seed}, seeds {tried}); "
        f"best ε_φ²/ε² = {float(best) if best is not None else 'collision'} < {float(need):.6g}"
    )


def adaptive_projection(
    ds: Dataset,
    target_ratio: Fraction = CONTRACT_RATIO,
    seed: int = 0,
    *,
    budget: int = 4,
) -> Projection:
    """The smallest m (doubling, then bisection) whose sampled projection meets
    ε_{φ(D)} ≥ target_ratio·√(m/d)·ε_D on ``ds``; m never exceeds :func:`paper_m`, and the
    paper's m (identity if it equals d) is the fallback. ``budget`` samples per m."""
    d, cap = ds.d, paper_m(ds.N, ds.d)
    found: dict[int, Projection] = {}

    def ok(m: int) -> bool:
        if m >= d:
            found[m] = _identity(ds, f"m = {m} >= d = {d}: identity")
            return True
        try:
            found[m] = random_projection(ds, m, seed + m, ratio=target_ratio, budget=budget)
            return True
        except ProjectionError:
            return False

    lo, hi = 0, None  # lo: largest m known to fail (0 = none); hi: smallest known to succeed
    m = 1
    while m < cap:
        if ok(m):
            hi = m
            break
        lo, m = m, 2 * m
    if hi is None:
        if ok(cap):
            hi = cap
        else:  # the paper's m failed too within the budget: retry with a large budget
            found[cap] = random_projection(ds, cap, seed + cap, ratio=target_ratio, budget=50)
            hi = cap
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    p = found[hi]
    p.notes.append(f"adaptive: m = {hi} (paper m = {cap}, d = {d}); base seed {seed}")
    return p


def span_then_random(
    ds: Dataset, m: int, seed: int, *, need: Fraction, budget: int = 20
) -> Projection:
    """KMY B.14 Case V: the dyadic span projection (Prop B.21, d → r ≤ N − 1, distances kept up
    to ≈ 2^-30), then a seeded random projection of the projected data R^r → R^m, composed into
    one d → m map A = A₂A₁, b = A₂b₁ + b₂ (dyadic rows). ‖A‖ ≤ ‖A₂‖·‖A₁‖ ≤ lip₂·lip₁ ≤ 1 is
    proven; the random stage is resampled until the composed map has ε_φ²/ε² ≥ ``need``
    (checked exactly). m ≥ r returns the span projection itself (ε_φ²/ε² ≥ need checked too);
    without a proper span (rank d) the random projection of the data itself."""
    P1 = dyadic_span_projection(ds)
    if P1 is None:
        ratio = root_upper(need * Fraction(ds.d, m), 2)
        return random_projection(ds, m, seed, ratio=ratio, budget=budget)
    if P1.separation_ratio < need:
        raise ProjectionError(
            f"the span projection keeps ε_φ²/ε² = {float(P1.separation_ratio):.6g} < "
            f"{float(need):.6g} required"
        )
    if m >= P1.m:
        P1.notes.append(f"m = {m} >= rank {P1.m}: the span projection alone")
        return P1
    ds1 = Dataset(P1.apply_all(ds.X), list(ds.y))
    ratio2 = root_upper(need / P1.separation_ratio * Fraction(P1.m, m), 2)
    P2 = random_projection(ds1, m, seed, ratio=ratio2, budget=budget)
    A1 = flint.fmpq_mat([[_q(a) for a in row] for row in P1.matrix])
    A2 = flint.fmpq_mat([[_q(a) for a in row] for row in P2.matrix])
    A = A2 * A1
    rows = [[_f(A[i, j]) for j in range(ds.d)] for i in range(m)]
    bias = [
        sum((a * b for a, b in zip(row, P1.bias) if a), start=c)
        for row, c in zip(P2.matrix, P2.bias)
    ]
    ratio = _separation_ratio(ds, _apply_all(rows, bias, ds.X))
    assert ratio is not None and ratio >= need, "composition changed the projected points"
    lip = min(Fraction(1), P1.lipschitz_bound * P2.lipschitz_bound)
    P = Projection(rows, bias, m, ds.d, P2.seed, lip, ratio, "span+random", P2.seeds_tried)
    P.notes += P1.notes + P2.notes
    P.notes.append(
        f"case V: span (rank {P1.m}) then random to m = {m}; ε_φ²/ε² = {float(ratio):.6g}"
    )
    return P
