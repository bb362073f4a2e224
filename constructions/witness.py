"""Lower-bound witnesses (docs/theory.md §2): the datasets and exact counterexamples behind them.

**LB-width** [KMY Prop 3.2]. The dataset D* ∈ D_{d,N,2} (:func:`dstar_dataset`): with
t = min{N−1, d}, the points e_1..e_t (label 2), the origin (label 1) and, when N−1 > d, the
points k·e_1 for k = 2..N−d (label 2). ε_{D*,p} = ½ for every p, so μ = ρ/2.
If W is the first-layer weight matrix of f and W x = W x', then f(x) = f(x'). With Z = Null W
and r_j = e_j − Proj_Z e_j (the projection of e_j onto the row space of W), the points
x = e_j − r_j/2 and x' = r_j/2 satisfy W x = W x', ‖x − e_j‖ = ‖x'‖ = ‖r_j‖/2, and carry
labels 2 and 1: whenever ‖r_j‖_p < 2μ one of them is misclassified. Because
Σ_{j ≤ t} ‖r_j‖_2² ≤ rank W, such a j exists as soon as rank W < w (:func:`width_bound`):

- p ≥ 2 (∞ included): w = ρ²·t;
- p = 1: w = (ρ/γ_1(d))²·t = ρ²·t/d;
- p = ∞ and ½ < ρ < 1: w = t (a kernel vector z ∈ Null W ∩ span(e_1..e_t), j = argmax |z_j|,
  r = e_j − z/(2 z_j) has ‖r‖_∞ = ½ < 2μ).

:func:`width_witness` computes r_j exactly (integer flint ``fmpz_mat`` algebra), checks
ball membership exactly (p-th powers; max for ∞) and evaluates f exactly at both points.
When rank W ≥ w no witness is guaranteed; it still tries the exact candidates above, then a
float-guided search (an LP for p ∈ {1, ∞}, a smooth minimisation otherwise) for
min_{z ∈ Z} ‖e_j − z‖_p whose result is rounded to a rational z = K·c with K an exact kernel
basis — so W x = W x' stays exact whatever the float did, and the ball membership is
re-checked exactly. Optionally the certifier then runs on D* (a single-point counterexample).

**LB-VC** [KMY Prop 3.3] (our reconstruction, see docs/theory.md §2; the tests check it):
k = min{d, ⌊1/(1 − ρ^p)⌋} (k = 1 for p = ∞), L = ⌊N/2⌋ groups with centres
c_l = 2d²(l−1)·e_1, the shattered set X = {c_l + e_j : l ≤ L, j ≤ k} and, for signs
s_{l,j} ∈ {±1} and a_l = Σ_j s_{l,j} e_j, the dataset x_{2l−1} = c_l + a_l (label 2),
x_{2l} = c_l − a_l (label 1), plus the far point c_{L+1} (label 1) when N is odd. Needs d ≥ 2.
ε_{D,p}^p = k and μ^p = ρ^p·k ≥ k − 1, and c_l + e_j is at ℓp-distance (k−1)^{1/p} from the
point whose label matches s_{l,j}; so every ρ-robust memorizer f (continuous) has
sign(2f − 3) = s on X (:func:`vc_check`). The sign string lists s_{l,j} with l major, j minor.
:func:`build_vc_memorizer` builds one such memorizer (so the pattern is realised).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from flint import fmpq_mat, fmpz_mat

from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network
from certify.numbers import display_number, format_number, parse_number
from certify.separation import norm_p

__all__ = [
    "VCCheck",
    "VCConstruction",
    "WidthWitness",
    "build_dstar_memorizer",
    "MAX_CELLS",
    "MAX_VC_CELLS",
    "build_vc_memorizer",
    "check_size",
    "dstar_csv_bytes",
    "dstar_csv_lines",
    "dstar_dataset",
    "dstar_points",
    "first_layer_rank",
    "format_signs",
    "parse_signs",
    "vc_check",
    "vc_csv_bytes",
    "vc_dataset",
    "vc_k",
    "width_bound",
    "width_witness",
]

Point = tuple[Fraction, ...]
_HALF = Fraction(1, 2)


def _s(v: Fraction | int) -> str:
    return str(format_number(Fraction(v)))


def _p_text(p: int | None) -> str:
    return "inf" if p is None else str(p)


def _norm_power(v: Sequence[Fraction], p: int | None) -> Fraction:
    """‖v‖_p^p for integer p, ‖v‖_∞ for p = None; exact."""
    if p is None:
        return max((abs(a) for a in v), default=Fraction(0))
    return sum((abs(a) ** p for a in v), Fraction(0))


def _check_count(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise InputError(f"{name} must be at least {low}, got {value}")
    return value


def _ratio(rho: object | None, mu: object | None, eps: Fraction) -> Fraction:
    """ρ from exactly one of ρ or μ (μ = ρ·ε with ε rational); 0 < ρ < 1 enforced."""
    if (rho is None) == (mu is None):
        raise InputError("give exactly one of rho (relative radius) or mu (absolute radius)")
    if rho is not None:
        r = parse_number(rho, "rho")
        if not 0 < r < 1:
            raise InputError(
                f"rho must satisfy 0 < rho < 1, got {format_number(r)} "
                "(rho >= 1 is impossible for a continuous network)"
            )
        return r
    m = parse_number(mu, "mu")
    if m <= 0:
        raise InputError(f"mu must be positive, got {format_number(m)}")
    if not m < eps:
        raise InputError(
            f"mu = {format_number(m)} is not below eps = {format_number(eps)}; "
            "rho = mu/eps must be below 1"
        )
    return m / eps


# ================================================================================ D* and LB-width


def dstar_points(N: int, d: int) -> tuple[list[Point], list[int]]:
    """The points and labels of D* (docs/theory.md §2) in a fixed order: e_1..e_t, 0, k·e_1."""
    _check_count(N, "N", 2)
    _check_count(d, "d", 1)
    t = min(N - 1, d)
    zero, one = Fraction(0), Fraction(1)
    X: list[Point] = []
    y: list[int] = []
    for j in range(t):
        X.append(tuple(one if k == j else zero for k in range(d)))
        y.append(2)
    X.append(tuple([zero] * d))
    y.append(1)
    for k in range(2, N - d + 1):
        X.append(tuple([Fraction(k)] + [zero] * (d - 1)))
        y.append(2)
    return X, y


#: The most coordinates (N·d) a witness dataset may have unless forced: ~20 MB of D* CSV and
#: a few hundred MB of exact numbers in memory for the constructions that build it there.
MAX_CELLS = 10**7


def _digits_sum(a: int, b: int) -> int:
    """Σ_{k=a..b} (number of decimal digits of k), for 1 ≤ a (0 when b < a), in O(log b)."""
    total, lo = 0, 1
    while lo <= b:
        hi = lo * 10 - 1
        s, e = max(a, lo), min(b, hi)
        if s <= e:
            total += (e - s + 1) * len(str(lo))
        lo *= 10
    return total


def dstar_csv_bytes(N: int, d: int) -> int:
    """The exact size in bytes of D*'s CSV (:func:`dstar_csv_lines`), without building it."""
    t = min(N - 1, d)
    rows = (t + 1) * (2 * d + 2)  # e_1..e_t and the origin: d one-digit fields, label, "\n"
    return rows + max(0, N - d - 1) * (2 * d + 1) + _digits_sum(2, N - d)


def dstar_csv_lines(N: int, d: int) -> Iterator[str]:
    """D*'s CSV lines in :func:`dstar_points`' order ("x_1,...,x_d,label\n"), one at a
    time: memory O(d) whatever N (the text :meth:`Dataset.save_csv` writes for D*)."""
    _check_count(N, "N", 2)
    _check_count(d, "d", 1)
    t = min(N - 1, d)
    zeros = "0," * (d - 1)
    for j in range(t):
        yield "0," * j + "1," + "0," * (d - 1 - j) + "2\n"
    yield zeros + "0,1\n"
    for k in range(2, N - d + 1):
        yield f"{k},{zeros}2\n"


def vc_csv_bytes(N: int, d: int) -> int:
    """An upper bound on the size in bytes of the LB-VC dataset's CSV for N points in R^d
    (first coordinate up to 2d²·⌊N/2⌋ with a sign, the others in {−1, 0, 1})."""
    first = len(str(2 * d * d * (N // 2))) + 1
    return N * (first + 3 * (d - 1) + 4)


def human_bytes(n: int) -> str:
    """``n`` bytes as a short decimal with a unit (B, kB, MB, GB, TB, PB, EB, then 10^k B)."""
    for i, unit in enumerate(("B", "kB", "MB", "GB", "TB", "PB", "EB")):
        if n < 1000 ** (i + 1) or unit == "EB":
            if n >= 1000 ** (i + 1):
                return f"{n:.3g} B"
            return f"{n / 1000**i:.3g} {unit}" if i else f"{n} B"
    return f"{n} B"  # pragma: no cover


#: The VC construction is built in memory as exact numbers (~0.3 kB per coordinate, ~20 s per
#: 10^6 coordinates): its limit is lower.
MAX_VC_CELLS = 10**6


def check_size(
    what: str, N: int, d: int, size_bytes: int, *, force: bool, hint: str, limit: int = MAX_CELLS
) -> None:
    """Refuse (InputError, one line) a dataset of more than ``limit`` coordinates (N·d)
    unless ``force``, with the estimate; ``hint`` says what to do instead."""
    cells = N * d
    if cells > limit and not force:
        raise InputError(
            f"{what} with N = {N}, d = {d} has N·d = {display_number(cells, 12)} "
            f"coordinates, a CSV of about {human_bytes(size_bytes)}: above the limit of "
            f"{limit:.0e} coordinates; {hint}"
        )


def dstar_dataset(N: int, d: int) -> Dataset:
    """D* as a :class:`Dataset` (N points in R^d, two classes, ε_{D*,p} = ½ for every p)."""
    X, y = dstar_points(N, d)
    return Dataset(X, y)


def width_bound(N: int, d: int, rho: Fraction, p: int | None) -> Fraction:
    """w of docs/theory.md §2 LB-width: every ρ-robust memorizer of D* has first width ≥ w.

    Exact rational: ρ²·t (p ≥ 2 or ∞), ρ²·t/d (p = 1, γ_1(d)² = d), t (p = ∞, ρ > ½).
    """
    t = min(N - 1, d)
    if p is None and rho > _HALF:
        return Fraction(t)
    if p == 1:
        return rho * rho * t / d
    return rho * rho * t


def _integer_rows(W: fmpq_mat) -> fmpz_mat:
    """W with each row scaled by the lcm of its denominators (same row space and kernel)."""
    m, d = W.nrows(), W.ncols()
    out: list[int] = []
    for row in W.tolist():
        lcm = 1
        for e in row:
            lcm = math.lcm(lcm, int(e.q))
        out.extend(int(e.p) * (lcm // int(e.q)) for e in row)
    return fmpz_mat(m, d, out)


def _row_basis(Wz: fmpz_mat, rank: int) -> fmpz_mat:
    """``rank`` linearly independent rows of Wz (greedy, exact)."""
    m, d = Wz.nrows(), Wz.ncols()
    if rank == m:
        return Wz
    rows = Wz.tolist()
    chosen: list[list[int]] = []
    for row in rows:
        trial = chosen + [row]
        if fmpz_mat(len(trial), d, [v for r in trial for v in r]).rank() == len(trial):
            chosen = trial
            if len(chosen) == rank:
                break
    return fmpz_mat(rank, d, [v for r in chosen for v in r])


def _kernel_columns(M: fmpz_mat) -> list[list[int]]:
    """An exact integer basis of {v : M v = 0}, one list per basis vector."""
    X, nullity = M.nullspace()
    return [[int(X[k, c]) for k in range(M.ncols())] for c in range(nullity)]


def first_layer_rank(net: Network) -> int:
    """rank of the first-layer weight matrix, exactly."""
    return _integer_rows(net.flint_layers()[0][0]).rank()


@dataclass(frozen=True)
class WidthWitness:
    """The result of :func:`width_witness`.

    ``found`` means: x ∈ B_p(e_j, μ), x' ∈ B_p(0, μ) (open balls, checked exactly), W x = W x'
    (checked exactly) and f(x) = f(x') (evaluated exactly) differs from 2 or from 1 — so f
    does not ρ-robustly memorize D*. ``guaranteed`` means rank W < w (the theory promises a
    witness). ``j`` is 1-based (the point e_j). Norms are p-th powers (ℓ∞: the norm itself).
    """

    N: int
    d: int
    p: int | None
    rho: Fraction
    radius_power: Fraction
    rank: int
    first_width: int
    bound: Fraction
    guaranteed: bool
    found: bool
    j: int | None = None
    x: Point | None = None
    x_prime: Point | None = None
    value: Fraction | None = None
    misclassified: str | None = None
    distance_power: Fraction | None = None
    method: str | None = None
    candidates: int = 0
    notes: list[str] = field(default_factory=list)
    certifier: dict[str, Any] | None = None  # the certifier's verdicts on D* (when asked)

    @property
    def mu(self) -> Fraction:
        return self.rho / 2

    def to_json(self) -> dict[str, Any]:
        """Stable JSON: numbers as exact strings ("p/q"), rank and counts as ints."""

        def pts(v: Point | None) -> list[str] | None:
            return None if v is None else [_s(a) for a in v]

        return {
            "found": self.found,
            "j": self.j,
            "x": pts(self.x),
            "x_prime": pts(self.x_prime),
            "misclassified": self.misclassified,
            "rank": self.rank,
            "bound": _s(self.bound),
            "guaranteed": self.guaranteed,
            "first_width": self.first_width,
            "value": None if self.value is None else _s(self.value),
            "labels": {"x": 2, "x_prime": 1},
            "distance_power": None if self.distance_power is None else _s(self.distance_power),
            "radius_power": _s(self.radius_power),
            "mu": _s(self.mu),
            "rho": _s(self.rho),
            "epsilon": "1/2",
            "N": self.N,
            "d": self.d,
            "p": _p_text(self.p),
            "method": self.method,
            "candidates": self.candidates,
            "notes": list(self.notes),
            "certifier": self.certifier,
        }


def _float_guide(W: fmpq_mat, rank: int, t: int, p: int | None) -> list[int]:
    """Indices j < t ordered by a float estimate of ‖Proj_{row W} e_j‖_p (untrusted guide)."""
    import numpy as np

    try:
        Wf = np.array([[float(e) for e in row] for row in W.tolist()], dtype=float)
        if rank == 0 or not np.all(np.isfinite(Wf)):
            return list(range(t))
        _, _, Vt = np.linalg.svd(Wf, full_matrices=False)
        V = Vt[:rank]  # rank × d, orthonormal rows spanning (approximately) the row space
        R = V.T @ V[:, :t]  # column j: the residual of e_j
        est = np.max(np.abs(R), axis=0) if p is None else np.sum(np.abs(R) ** p, axis=0)
        if not np.all(np.isfinite(est)):
            return list(range(t))
        return [int(j) for j in np.argsort(est, kind="stable")]
    except (np.linalg.LinAlgError, OverflowError, ValueError):  # pragma: no cover
        return list(range(t))


def _scaled(v: int, s: int) -> float:
    """≈ v / 2^s for |v| < 2^s, without overflowing float for huge s."""
    if s <= 60:
        return v / float(1 << s)
    return (v >> (s - 60)) / float(1 << 60)


def _float_search(
    j: int, K: list[list[int]], p: int | None, d: int
) -> tuple[list[int], int] | None:
    """Float-guided z = K·c minimising ‖e_j − z‖_p; returns (u, den) with r = u/den exact.

    Untrusted: K is exact, c is rounded to dyadic rationals, so W·(e_j − r) = 0 holds exactly
    for whatever c the float solver returns; the caller re-checks the ball membership exactly.
    """
    import numpy as np

    if not K:
        return None
    shifts = [max(max(abs(v) for v in col).bit_length(), 1) for col in K]
    A = np.array([[_scaled(v, s) for v in col] for col, s in zip(K, shifts)]).T  # d × q
    q = A.shape[1]
    e = np.zeros(d)
    e[j] = 1.0
    try:
        if p is None or p == 1:
            from scipy.optimize import linprog

            slack = 1 if p is None else d  # ℓ∞: one bound s; ℓ1: one per coordinate
            S = np.ones((d, 1)) if p is None else np.eye(d)
            cost = np.r_[np.zeros(q), np.ones(slack)]
            A_ub = np.block([[A, -S], [-A, -S]])  # −s ≤ e − A c ≤ s
            b_ub = np.r_[e, -e]
            bounds = [(None, None)] * q + [(0, None)] * slack
            res = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
            if res.status != 0:
                return None
            c = res.x[:q]
        else:
            from scipy.optimize import minimize

            c0 = np.linalg.lstsq(A, e, rcond=None)[0]

            def obj(c: np.ndarray) -> float:
                return float(np.sum(np.abs(e - A @ c) ** p))

            def grad(c: np.ndarray) -> np.ndarray:
                r = e - A @ c
                return -A.T @ (p * np.abs(r) ** (p - 1) * np.sign(r))

            c = minimize(obj, c0, jac=grad, method="BFGS").x
    except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - a float failure only
        return None
    if not np.all(np.isfinite(c)):
        return None
    # coefficient of K_k is c_k / 2^{s_k} ≈ n_k / 2^{40 + s_k}; common denominator 2^{40 + S}
    S = max(shifts)
    den = 1 << (40 + S)
    num = [int(round(float(ck) * 2.0**40)) << (S - sk) for ck, sk in zip(c, shifts)]
    u = [(den if k == j else 0) - sum(nk * col[k] for nk, col in zip(num, K)) for k in range(d)]
    return u, den


def width_witness(
    net: Network,
    N: int,
    *,
    rho: object | None = None,
    mu: object | None = None,
    p: object = 2,
    search: bool = True,
    search_limit: int = 64,
    use_certifier: bool = False,
    timeout: float = 30.0,
) -> WidthWitness:
    """The exact LB-width witness for ``net`` on D* (docs/theory.md §2), or a report of none.

    d is the network's input dimension. Exactly one of ``rho`` (0 < ρ < 1) or ``mu``
    (0 < μ < ½; μ = ρ/2 since ε_{D*,p} = ½) is needed; ``p`` is an integer ≥ 1 or "inf".
    Candidates: the ℓ2 residual r_j for j in a float-estimated order (the first that passes
    the exact check), for p = ∞ every kernel-basis construction; the pair with the smallest
    exact ‖x − e_j‖_p among these is returned. Only when none passes (and ``search``) the
    float-guided kernel search runs, j by j in the float order (at most ``search_limit``
    indices), until one passes exactly. If still none is found and ``use_certifier``, the
    certifier runs on D* (``timeout`` seconds per ball); its verdict counts and first exact
    counterexample (re-checked here) go to ``certifier`` — a single point, not a pair.
    """
    if isinstance(p, str) and p.strip().isdigit():
        p = int(p.strip())
    pn = norm_p(p)
    _check_count(N, "N", 2)
    d = net.input_dim
    r = _ratio(rho, mu, _HALF)
    mu_ = r / 2
    radius_power = mu_ if pn is None else mu_**pn
    t = min(N - 1, d)
    W = net.flint_layers()[0][0]
    Wz = _integer_rows(W)
    rank = Wz.rank()
    bound = width_bound(N, d, r, pn)
    guaranteed = rank < bound
    notes: list[str] = []
    mnum, mden = mu_.numerator, mu_.denominator

    def dist_of(u: list[int], den: int) -> Fraction | None:
        """‖u/(2 den)‖_p^p (∞: the norm) if it is below μ^p (μ), else None; exact integers."""
        if pn is None:
            top = max((abs(v) for v in u), default=0)
            return Fraction(top, 2 * den) if top * mden < mnum * 2 * den else None
        top = sum(abs(v) ** pn for v in u)
        return Fraction(top, (2 * den) ** pn) if top * mden**pn < (mnum * 2 * den) ** pn else None

    found: list[tuple[Fraction, int, list[int], int, str]] = []
    ncand = 0

    # (1) ℓ2: r_j = Proj_{row space} e_j = Bᵀ G⁻¹ B e_j = Bᵀ adj(G) B e_j / det G, G = B Bᵀ
    order = _float_guide(W, rank, t, pn)
    if rank == 0:
        ncand += 1
        dist = dist_of([0] * d, 1)
        if dist is not None:
            found.append((dist, order[0], [0] * d, 1, "l2-projection"))
    else:
        B = _row_basis(Wz, rank)
        G = B * B.transpose()
        det = int(G.det())
        adj = fmpq_mat(G).inv() * det
        A = fmpz_mat(rank, rank, [int(v.p) for v in adj.entries()]) * B  # adj(G)·B, rank × d
        Bt = B.transpose()
        for j in order:
            ncand += 1
            col = Bt * fmpz_mat(rank, 1, [A[i, j] for i in range(rank)])
            u = [int(v) for v in col.entries()]
            dist = dist_of(u, det)
            if dist is not None:
                found.append((dist, j, u, det, "l2-projection"))
                break

    # (2) ℓ∞: z ∈ Null W ∩ span(e_1..e_t), j = argmax_k |z_k|, r = e_j − z/(2 z_j)
    if pn is None:
        sub = fmpz_mat(Wz.nrows(), t, [Wz[i, k] for i in range(Wz.nrows()) for k in range(t)])
        for z in _kernel_columns(sub):
            j = max(range(t), key=lambda k: abs(z[k]))
            den = 2 * z[j]
            u = [(den if k == j else 0) - (z[k] if k < t else 0) for k in range(d)]
            if den < 0:
                den, u = -den, [-v for v in u]
            ncand += 1
            dist = dist_of(u, den)
            if dist is not None:
                found.append((dist, j, u, den, "linf-kernel"))

    # (3) float-guided search over the kernel (ℓ2 needs none: the projection is optimal)
    if not found and search and rank < d and pn != 2:
        K = _kernel_columns(Wz)
        if len(order) > search_limit:
            notes.append(
                f"the float-guided search tried {search_limit} of the {len(order)} points e_j "
                "(raise the search limit to try more)"
            )
        for j in order[:search_limit]:
            cand = _float_search(j, K, pn, d)
            if cand is None:
                continue
            ncand += 1
            dist = dist_of(*cand)
            if dist is not None:
                found.append((dist, j, cand[0], cand[1], "kernel-search"))
                break
    if rank == d:
        notes.append("the first layer is injective (rank = d): W x = W x' forces x = x'")

    if not found:
        if guaranteed:  # pragma: no cover - contradicts docs/theory.md §2; would be a bug
            raise AssertionError("rank below the bound but no witness: please report this")
        cert = _certify_dstar(net, N, r, pn, timeout) if use_certifier else None
        if cert is None:
            notes.append(
                "no witness is guaranteed (rank >= bound) and none was found; the network may "
                "still fail elsewhere: run the certifier on D* (--certify)"
            )
        return WidthWitness(
            N, d, pn, r, radius_power, rank, W.nrows(), bound, guaranteed, False,
            candidates=ncand, notes=notes, certifier=cert,
        )  # fmt: skip
    dist, j, u, den, method = min(found, key=lambda c: c[0])
    x = tuple(Fraction(int(k == j)) - Fraction(u[k], 2 * den) for k in range(d))
    xp = tuple(Fraction(u[k], 2 * den) for k in range(d))
    # exact re-checks of the whole claim (cheap; the tests check it independently too)
    if any(sum(int(Wz[i, k]) * u[k] for k in range(d)) != int(Wz[i, j]) * den
           for i in range(Wz.nrows())):  # fmt: skip
        raise AssertionError("W x != W x' for a witness: please report this")  # pragma: no cover
    fx, fxp = net.evaluate(x), net.evaluate(xp)
    if fx != fxp:  # pragma: no cover - impossible when W x = W x'
        raise AssertionError("f(x) != f(x') for a witness: please report this")
    bad_x, bad_xp = fx != 2, fxp != 1
    mis = "both" if bad_x and bad_xp else ("x" if bad_x else "x_prime")
    return WidthWitness(
        N, d, pn, r, radius_power, rank, W.nrows(), bound, guaranteed, True,
        j + 1, x, xp, fx, mis, dist, method, ncand, notes,
    )  # fmt: skip


def _certify_dstar(
    net: Network, N: int, rho: Fraction, p: int | None, timeout: float
) -> dict[str, Any]:
    """Run the certifier on D*; the first REFUTED ball's point is re-checked exactly here."""
    from certify.run import certify, make_radius

    ds = dstar_dataset(N, net.input_dim)
    rad = make_radius(ds, "inf" if p is None else p, rho=rho)
    rep = certify(net, ds, rad, engine="auto", timeout=timeout)
    out: dict[str, Any] = {"counts": rep.counts, "counterexample": None}
    for res in rep.results:
        if res.status != "REFUTED" or res.counterexample is None:
            continue
        x = tuple(res.counterexample)
        c = ds.X[res.index]
        gap = _norm_power([a - b for a, b in zip(x, c)], p)
        fx = net.evaluate(x)
        if gap < rad.radius_power and fx != ds.y[res.index]:
            out["counterexample"] = {
                "center": [_s(v) for v in c],
                "label": ds.y[res.index],
                "point": [_s(v) for v in x],
                "value": _s(fx),
                "distance_power": _s(gap),
            }
            break
    return out


def build_dstar_memorizer(
    N: int, d: int, rho: object, rows: Sequence[int] | None = None
) -> Network:
    """A ρ-robust memorizer of D* (every p) with first-layer width t = min{N−1, d}.

    f(x) = 1 + min{1, c·Σ_{j ∈ rows} ReLU(x_j − ½)}, c = 2/(1 − ρ): on B(0, ρ/2) every term is 0;
    on B(e_j, ρ/2) (and B(k·e_1, ρ/2)) term j exceeds (1 − ρ)/2, so the min is 1 (ℓp balls lie
    in the ℓ∞ ball of the same radius). ``rows`` (0-based coordinates, default 0..t−1) lets a
    test drop coordinates and get a too-narrow network.
    """
    r = parse_number(rho, "rho")
    if not 0 < r < 1:
        raise InputError(f"rho must satisfy 0 < rho < 1, got {format_number(r)}")
    t = min(_check_count(N, "N", 2) - 1, _check_count(d, "d", 1))
    idx = list(range(t)) if rows is None else list(rows)
    if not idx or any(not 0 <= k < d for k in idx):
        raise InputError(f"rows must be a nonempty list of coordinates in 0..{d - 1}")
    W1 = [[int(k == j) for k in range(d)] for j in idx]
    c = Fraction(2) / (1 - r)
    W2 = [[c] * len(idx), [c] * len(idx)]
    return Network(
        [W1, W2, [[1, -1]]],
        [[Fraction(-1, 2)] * len(idx), [0, -1], [1]],
        input_dim=d,
    )


# ================================================================================ LB-VC


def vc_k(d: int, rho: Fraction, p: int | None) -> int:
    """k = min{d, ⌊1/(1 − ρ^p)⌋} for integer p; k = 1 for p = ∞ (exact)."""
    if p is None:
        return 1
    return min(d, math.floor(1 / (1 - rho**p)))


def parse_signs(text: str, expected: int | None = None) -> tuple[int, ...]:
    """A sign string of '+' and '-' (also '±1' words: "+1,-1"; spaces and commas ignored)."""
    if not isinstance(text, str):
        raise InputError(f"signs must be a string of + and -, got {type(text).__name__}")
    s = text.replace(",", "").replace(" ", "").replace("1", "")
    bad = sorted({ch for ch in s if ch not in "+-"})
    if bad or not s:
        shown = ", ".join(repr(b) for b in bad) if bad else "nothing"
        raise InputError(
            f"--signs {text!r}: expected a string of '+' and '-' (e.g. +-+-), found {shown}"
        )
    signs = tuple(1 if ch == "+" else -1 for ch in s)
    if expected is not None and len(signs) != expected:
        raise InputError(
            f"--signs has {len(signs)} signs but the construction shatters "
            f"{expected} points (floor(N/2)·k); give exactly {expected} signs, group by group"
        )
    return signs


def format_signs(signs: Sequence[int]) -> str:
    """The '+'/'-' string of a sign tuple."""
    return "".join("+" if s > 0 else "-" for s in signs)


@dataclass(frozen=True)
class VCConstruction:
    """The shattering construction for one sign pattern (module docstring, LB-VC).

    ``points`` is the shattered set X in sign order (group l major, coordinate j minor);
    ``X``/``y`` the dataset (N points); ``seed`` the seed that drew the signs, if any.
    """

    N: int
    d: int
    p: int | None
    rho: Fraction
    k: int
    groups: int
    signs: tuple[int, ...]
    points: tuple[Point, ...]
    X: tuple[Point, ...]
    y: tuple[int, ...]
    seed: int | None = None

    @property
    def radius_power(self) -> Fraction:
        """μ^p = ρ^p·k (μ = ρ for p = ∞: ε_{D,∞} = 1)."""
        return self.rho if self.p is None else self.rho**self.p * self.k

    @property
    def sphere_power(self) -> Fraction:
        """(k − 1) (p-th power of the distance from X to its matching data point; ℓ∞: 1 or 0)."""
        if self.p is None:
            return Fraction(0) if self.k == 1 else Fraction(1)
        return Fraction(self.k - 1)

    def dataset(self) -> Dataset:
        return Dataset(list(self.X), list(self.y))

    def to_json(self) -> dict[str, Any]:
        return {
            "N": self.N,
            "d": self.d,
            "p": _p_text(self.p),
            "rho": _s(self.rho),
            "k": self.k,
            "groups": self.groups,
            "shattered": self.groups * self.k,
            "signs": format_signs(self.signs),
            "seed": self.seed,
            "epsilon_power": _s(1 if self.p is None else self.k),
            "radius_power": _s(self.radius_power),
            "points": [[_s(v) for v in pt] for pt in self.points],
        }


def vc_dataset(
    N: int,
    d: int,
    rho: object,
    p: object = 2,
    signs: str | Sequence[int] | None = None,
    seed: int | None = None,
) -> VCConstruction:
    """The LB-VC dataset for a sign pattern (a '+'/'-' string or ±1 sequence) or random signs.

    Exactly one of ``signs`` or ``seed`` is needed. Requires N ≥ 2, d ≥ 2, 0 < ρ < 1.
    """
    if isinstance(p, str) and p.strip().isdigit():
        p = int(p.strip())
    pn = norm_p(p)
    _check_count(N, "N", 2)
    _check_count(d, "d", 2)
    r = _ratio(rho, None, Fraction(1))
    k = vc_k(d, r, pn)
    L = N // 2
    m = L * k
    if (signs is None) == (seed is None):
        raise InputError("give exactly one of signs (a string of + and -) or seed (random signs)")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InputError(f"seed must be an integer, got {seed!r}")
        rng = random.Random(seed)
        sg = tuple(rng.choice((1, -1)) for _ in range(m))
    elif isinstance(signs, str):
        sg = parse_signs(signs, m)
    else:
        sg = tuple(int(s) for s in signs)  # type: ignore[union-attr]
        if any(s not in (1, -1) for s in sg) or len(sg) != m:
            raise InputError(f"signs must be {m} values in {{+1, -1}}, got {list(sg)}")
    zero = Fraction(0)
    gap = 2 * d * d
    X: list[Point] = []
    y: list[int] = []
    pts: list[Point] = []
    for l in range(L):
        c = [Fraction(gap * l)] + [zero] * (d - 1)
        a = [Fraction(sg[l * k + j]) if j < k else zero for j in range(d)]
        X.append(tuple(ci + ai for ci, ai in zip(c, a)))
        y.append(2)
        X.append(tuple(ci - ai for ci, ai in zip(c, a)))
        y.append(1)
        for j in range(k):
            pts.append(tuple(ci + (1 if q == j else 0) for q, ci in enumerate(c)))
    if N % 2:
        X.append(tuple([Fraction(gap * L)] + [zero] * (d - 1)))
        y.append(1)
    return VCConstruction(N, d, pn, r, k, L, sg, tuple(pts), tuple(X), tuple(y), seed)


@dataclass(frozen=True)
class VCCheck:
    """Whether sign(2f − 3) = s on X for a network f (exact values)."""

    holds: bool
    values: tuple[Fraction, ...]
    signs: tuple[int, ...]
    mismatches: tuple[int, ...]  # 0-based positions in X where the sign differs (or 2f = 3)
    memorizes_data: bool  # f(x_i) = y_i at the data points themselves

    def to_json(self) -> dict[str, Any]:
        return {
            "holds": self.holds,
            "signs": format_signs(self.signs),
            "network_signs": "".join(
                "+" if 2 * v > 3 else ("-" if 2 * v < 3 else "0") for v in self.values
            ),
            "mismatches": list(self.mismatches),
            "values": [_s(v) for v in self.values],
            "memorizes_data": self.memorizes_data,
        }


def vc_check(net: Network, con: VCConstruction) -> VCCheck:
    """Evaluate f exactly on X and compare sign(2f − 3) with the pattern."""
    if net.input_dim != con.d:
        raise InputError(
            f"the network's input dimension is {net.input_dim} but the construction has "
            f"d = {con.d}; give --d {net.input_dim} or the network built for this dataset"
        )
    vals = tuple(net.evaluate(x) for x in con.points)
    mism = tuple(i for i, (v, s) in enumerate(zip(vals, con.signs)) if (2 * v - 3) * s <= 0)
    mem = all(net.evaluate(x) == yi for x, yi in zip(con.X, con.y))
    return VCCheck(not mism, vals, con.signs, mism, mem)


def build_vc_memorizer(con: VCConstruction) -> Network:
    """A ρ-robust memorizer (ℓp, the construction's p) of the VC dataset ``con``.

    Group l is recognised by a trapezoid in x_1 (1 on |x_1 − c_l| ≤ d + 1, 0 beyond the
    midpoint to the next centre), the label inside it by g_l(x) = ⟨a_l, x − c_l⟩, which is
    ≥ k(1−ρ) on the closed label-2 ball and ≤ −k(1−ρ) on the label-1 ball (Hölder:
    |⟨a_l, v⟩| ≤ k^{1−1/p}·‖v‖_p < k^{1−1/p}·ρ·k^{1/p}). f = 1 + Σ_l min{h_l, T_l} with
    h_l = clamp(g_l/(k(1−ρ)), 0, 1) and T_l the trapezoid — so f ∈ {1, 2} on every closed ball.
    """
    d, k, L = con.d, con.k, con.groups
    gap = Fraction(2 * d * d)
    plateau = Fraction(d + 1)
    ramp = (gap - 2 * plateau) / 2  # > 0 for d ≥ 2
    scale = 1 / (k * (1 - con.rho))
    W1: list[list[Fraction]] = []
    b1: list[Fraction] = []
    zero = Fraction(0)
    for l in range(L):
        c1 = gap * l
        a = [Fraction(con.signs[l * k + j]) if j < k else zero for j in range(d)]
        ac = a[0] * c1  # ⟨a, c_l⟩
        g = [scale * v for v in a]
        W1.append(g)  # ReLU(s·g_l)
        b1.append(-scale * ac)
        W1.append(g)  # ReLU(s·g_l − 1)
        b1.append(-scale * ac - 1)
        e1 = [Fraction(1)] + [zero] * (d - 1)
        # trapezoid T(x_1) = ReLU(u + P + R) − ReLU(u + P) − ReLU(u − P) + ReLU(u − P − R), /R
        for off in (plateau + ramp, plateau, -plateau, -plateau - ramp):
            W1.append(list(e1))
            b1.append(off - c1)
    # layer 2: h_l = ReLU(sg) − ReLU(sg − 1) ∈ [0,1]; T_l ∈ [0,1]; min(h, T) = ReLU(h + T − 1)
    W2: list[list[Fraction]] = []
    b2: list[Fraction] = []
    n1 = len(W1)
    for l in range(L):
        row = [zero] * n1
        base = 6 * l
        row[base], row[base + 1] = Fraction(1), Fraction(-1)
        for q, sgn in zip(range(2, 6), (1, -1, -1, 1)):
            row[base + q] = sgn / ramp
        W2.append(row)
        b2.append(Fraction(-1))
    W3 = [[Fraction(1)] * L]
    return Network([W1, W2, W3], [b1, b2, [Fraction(1)]], input_dim=d)
