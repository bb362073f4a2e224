"""Exact closest pairs between differently-labelled points, fast.

The quantity is min{ ‖x_i − x_j‖_p : y_i ≠ y_j } over exact rational points; the result is
its exact value (the p-th power for integer p, to stay rational). The search has two stages:

1. **Proxy (numpy, vectorised).** Every pair gets a proxy value S with a *proved* error bound
   against the true (scaled) distance. Three proxies:

   * ``exact``  — integer grid n = L·x with L the common denominator; S = Σ|Δn|^p or max|Δn|
     in int64 (sizes checked so nothing overflows; for p = 2 a float64 Gram matrix whose
     entries are integers below 2^53, hence exact). S is exactly L^p × distance.
   * ``float``  — when every coordinate is exactly a float64: scaled by a power of two c
     (c·|x| <= ½), differences, |·|^p by repeated multiplication, sums, in float64. Each IEEE
     operation is modelled as r(1 + δ) + η with |δ| <= 2^-53, |η| <= 2^-1020 (the η also
     covers flush-to-zero/denormals-are-zero modes); the bound (R, A) with
     |S − c^p·dist| <= R·c^p·dist + A is computed in exact rational arithmetic.
   * ``rounded`` — integer grid n = round(2^k·x) (each coordinate off by <= ½, so each
     difference by <= 1) for rationals that are neither: Minkowski's inequality bounds S.

   Large p can use the ℓ∞ of the same grid as proxy (``‖v‖_∞ <= ‖v‖_p``).

2. **Exact minimum (Fractions).** The proxy-minimal pair's exact distance U bounds the
   minimum above. Every pair whose proxy is compatible with a distance <= U (threshold from
   the proved bound) is a candidate; the answer is the exact minimum over the candidates. A
   pair attaining the true minimum is always a candidate, so the answer is exact. With the
   ``exact`` proxy, S itself is exact and U is the answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from certify.errors import InputError
from certify.numbers import ceil_root

__all__ = [
    "STRATEGIES",
    "closest_over",
    "closest_pair",
    "distance_inf",
    "distance_power",
    "norm_p",
]

Point = tuple[Fraction, ...]

STRATEGIES = ("exact", "float", "floatmax", "rounded", "maxproxy")

_INT64_LIMIT = 2**63  # every int64 numpy computes stays strictly below this
_FLOAT_EXACT = 2**53  # integers up to this are exact in float64
_CHUNK_ELEMS = 1 << 22  # elements per broadcast block (~32 MB at 8 bytes)
_MIN_ROUNDED_BITS = 10  # a power-sum proxy coarser than this is useless; use the ℓ∞ proxy
_FLOAT_MAX_P = 16  # above this the float proxy uses ℓ∞ (p−1 multiplications per entry)
_U = Fraction(1, 2**53)  # unit roundoff of float64
_ETA = Fraction(1, 2**1020)  # absolute error per float64 operation (underflow, FTZ, DAZ)


# --------------------------------------------------------------------------- exact norms


def norm_p(p: object) -> int | None:
    """Validate a norm exponent: an integer p >= 1, or ∞ (``math.inf`` or ``"inf"``).

    Returns the int, or None for ∞. Raises :class:`InputError` otherwise.
    """
    if isinstance(p, str) and p.strip().lower() in {"inf", "infinity", "∞"}:
        return None
    if isinstance(p, float) and p == math.inf:
        return None
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise InputError(f"norm exponent p must be an integer >= 1 or inf, got {p!r}")
    if p < 1:
        raise InputError(f"norm exponent p must be an integer >= 1 or inf, got {p}")
    return int(p)


def distance_power(a: Sequence[Fraction], b: Sequence[Fraction], p: int) -> Fraction:
    """‖a − b‖_p^p = Σ_k |a_k − b_k|^p, exactly (integer p >= 1)."""
    return sum((abs(u - v) ** p for u, v in zip(a, b, strict=True)), Fraction(0))


def distance_inf(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    """‖a − b‖_∞ = max_k |a_k − b_k|, exactly."""
    return max((abs(u - v) for u, v in zip(a, b, strict=True)), default=Fraction(0))


def _exact_distance(a: Point, b: Point, p: int | None) -> Fraction:
    return distance_inf(a, b) if p is None else distance_power(a, b, p)


# --------------------------------------------------------------------------- helpers


def _small_dtype(max_abs: int) -> type[np.signedinteger]:
    """Smallest signed dtype holding differences of integers of size <= max_abs."""
    if 2 * max_abs < 2**15:
        return np.int16
    if 2 * max_abs < 2**31:
        return np.int32
    return np.int64


def _log2_ceil(x: Fraction) -> int:
    """Least integer t with x <= 2^t, for x > 0."""
    t = x.numerator.bit_length() - x.denominator.bit_length()
    return t + 1 if x > Fraction(2) ** t else t


def _float_up(x: Fraction) -> float:
    """A float64 >= x (inf if x exceeds the float range)."""
    try:
        f = float(x)
    except OverflowError:
        return math.inf
    if Fraction(f) < x:
        f = math.nextafter(f, math.inf)
    return f


def _root_up(x: Fraction, p: int) -> Fraction:
    """A rational >= x^(1/p) (within 2^-64 of it), x >= 0."""
    return Fraction(ceil_root(x * 2 ** (64 * p), p), 2**64)


def _pow_one_plus(eps: Fraction, n: int) -> Fraction:
    """An upper bound on (1 + eps)^n: 1/(1 − n·eps) (needs n·eps < 1)."""
    if n <= 0:
        return Fraction(1)
    assert n * eps < 1
    return 1 / (1 - n * eps)


# --------------------------------------------------------------------------- proxies


@dataclass
class _Proxy:
    """A vectorised proxy: ``block`` gives S for row blocks, ``threshold(U)`` the largest S a
    pair at exact distance <= U can have. ``exact``: S equals ``scale_p`` × exact distance."""

    name: str
    data: np.ndarray
    kind: str  # "pow" or "max"
    p: int | None
    exact: bool
    scale_p: Fraction  # factor between exact distance (p-th power / ℓ∞) and the proxy's unit
    threshold_fn: object
    matmul: bool = False
    # float proxies: (c, R, A) with |S − v| <= R·v + A, v the exact value of the computed
    # quantity (c^p·Σ|Δ|^p, or c·max|Δ| for the ℓ∞ kinds)
    error: tuple[Fraction, Fraction, Fraction] | None = None

    def threshold(self, U: Fraction) -> float | int:
        return self.threshold_fn(U)  # type: ignore[operator]

    def block(self, ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
        A, B = self.data[ra], self.data[rb]
        if self.kind == "max":
            return np.abs(A[:, None, :] - B[None, :, :]).max(axis=2)
        p = self.p
        assert p is not None
        if self.matmul:  # p == 2 with d·M² <= 2^53: every product and partial sum exact
            G = (A.astype(np.float64) @ B.astype(np.float64).T).astype(np.int64)
            sa = (A.astype(np.int64) ** 2).sum(axis=1)
            sb = (B.astype(np.int64) ** 2).sum(axis=1)
            return sa[:, None] + sb[None, :] - 2 * G
        D = np.abs(A[:, None, :] - B[None, :, :])
        if p == 1:
            return D.sum(axis=2, dtype=D.dtype if D.dtype == np.float64 else np.int64)
        if D.dtype != np.float64:
            return (D.astype(np.int64) ** p).sum(axis=2)
        W = D.copy()
        for _ in range(p - 1):  # repeated multiplication: the error model is per operation
            np.multiply(W, D, out=W)
        return W.sum(axis=2)


def _exact_int_proxy(points: Sequence[Point], p: int | None, use_max: bool) -> _Proxy | None:
    """The exact integer grid n = L·x, or None if the sizes do not fit int64 safely."""
    limit = 1 << 61
    den = 1
    for q in {v.denominator for row in points for v in row}:
        den = math.lcm(den, q)
        if den >= limit:
            return None
    max_abs_x = max(abs(v) for row in points for v in row)
    if max_abs_x * den >= limit:
        return None
    M = int(max_abs_x * den)
    d = len(points[0])
    kind = "max" if (p is None or use_max) else "pow"
    if kind == "pow" and d * (2 * M) ** p >= _INT64_LIMIT:  # type: ignore[operator]
        return None
    ints = np.array(
        [[v.numerator * (den // v.denominator) for v in row] for row in points],
        dtype=_small_dtype(M),
    )
    Lf = Fraction(den)
    if p is None:
        return _Proxy("exact", ints, "max", None, True, Lf, lambda U: math.floor(U * Lf))
    if kind == "pow":
        Lp = Lf**p
        matmul = p == 2 and d * M * M <= _FLOAT_EXACT
        return _Proxy("exact", ints, "pow", p, True, Lp, lambda U: math.floor(U * Lp), matmul)
    # ℓ∞ proxy for integer p: max|Δn| = L‖Δx‖_∞ <= L‖Δx‖_p <= (L^p U)^{1/p}
    Lp = Lf**p
    return _Proxy("maxproxy", ints, "max", p, False, Lp, lambda U: ceil_root(U * Lp, p))


def _rounded_int_proxy(
    points: Sequence[Point], p: int | None, bits: int | None, use_max: bool
) -> _Proxy:
    """n = round(2^k·x) with max|n| <= 2^bits; each difference off by at most 1."""
    d = len(points[0])
    kind = "max" if (p is None or use_max) else "pow"
    if bits is None:
        bits = 60
        if kind == "pow":
            bits = 0
            while d * (2 ** (bits + 2)) ** p < _INT64_LIMIT and bits < 60:  # type: ignore[operator]
                bits += 1
            if bits < _MIN_ROUNDED_BITS:
                kind, bits = "max", 60
    bound = 1 << bits
    if kind == "pow" and d * (2 * bound) ** p >= _INT64_LIMIT:  # type: ignore[operator]
        raise ValueError(f"bits={bits} would overflow int64 for p={p}, d={d}")
    max_abs = max(abs(v) for row in points for v in row)
    k = bits - _log2_ceil(max_abs) if max_abs else 0  # then |x|·2^k <= 2^bits
    up, down = (1 << k, 1) if k >= 0 else (1, 1 << -k)
    rows = [[_round_scaled(v, up, down) for v in row] for row in points]
    ints = np.array(rows, dtype=_small_dtype(bound))
    s = Fraction(up, down)
    if p is None:  # max|Δn| <= s‖Δx‖_∞ + 1
        return _Proxy("rounded", ints, "max", None, False, s, lambda U: math.floor(U * s) + 1)
    sp = s**p
    if kind == "pow":  # Minkowski: ‖Δn‖_p <= s‖Δx‖_p + ‖rounding‖_p <= (s^p U)^{1/p} + d^{1/p}
        rd = ceil_root(d, p)
        return _Proxy(
            "rounded", ints, "pow", p, False, sp, lambda U: (ceil_root(U * sp, p) + rd) ** p
        )
    # max|Δn| − 1 <= s‖Δx‖_∞ <= s‖Δx‖_p <= (s^p U)^{1/p}
    return _Proxy("maxproxy", ints, "max", p, False, sp, lambda U: ceil_root(U * sp, p) + 1)


def _round_scaled(v: Fraction, up: int, down: int) -> int:
    """round(v·up/down) = floor((2·a·up + q·down) / (2·q·down)) for v = a/q; error <= 1/2."""
    return (2 * v.numerator * up + v.denominator * down) // (2 * v.denominator * down)


def _float_exact_array(points: Sequence[Point]) -> np.ndarray | None:
    """The points as float64 if every coordinate is exactly a float64, else None."""
    out = []
    for row in points:
        frow = []
        for v in row:
            if v.denominator & (v.denominator - 1):
                return None
            try:
                f = float(v)
            except OverflowError:
                return None
            if Fraction(f) != v:
                return None
            frow.append(f)
        out.append(frow)
    return np.array(out, dtype=np.float64)


def _float_proxy(
    points: Sequence[Point], p: int | None, use_max: bool, X: np.ndarray | None = None
) -> _Proxy | None:
    """Float64 proxy with a proved error bound, or None if some coordinate is not a float64."""
    if X is None:
        X = _float_exact_array(points)
        if X is None:
            return None
    d = X.shape[1]
    max_abs = max(abs(v) for row in points for v in row)
    # c = 2^e with c·max|x| <= 1/2, clamped to the float range (then still <= 1/2)
    e = -(_log2_ceil(max_abs) + 1) if max_abs else 0
    e = max(-1074, min(1023, e))
    c = Fraction(2) ** e
    Xs = X * math.ldexp(1.0, e)  # exact unless it underflows: modelled by an absolute error
    # z = c|Δ| after subtraction: |ẑ − z| <= u·z + α  (scaling: η; subtraction: (1+δ), η)
    theta, alpha = _U, 4 * _ETA
    kind = "max" if (p is None or use_max) else "pow"
    if kind == "max":
        R, A = theta, alpha
    else:
        assert p is not None
        R, A = theta, alpha  # bounds for w_1 = z; then w_k = w_{k-1}·z: values stay <= 1
        for _ in range(p - 1):
            R, A = (
                (1 + R) * (1 + theta) * (1 + _U) - 1,
                (A * (1 + theta) + alpha * (1 + R) + A * alpha) * (1 + _U) + _ETA,
            )
        # sum of d nonnegative terms in any order: (1+u)^(d-1) and one η per addition
        grow = _pow_one_plus(_U, d - 1)
        R, A = (1 + R) * grow - 1, (d * A + (d - 1) * _ETA) * grow
    name = "floatmax" if kind == "max" else "float"
    if p is None:
        proxy = _Proxy(name, Xs, "max", None, False, c, lambda U: _float_up(U * c * (1 + R) + A))
    elif kind == "pow":
        cp = c**p
        proxy = _Proxy(name, Xs, "pow", p, False, cp, lambda U: _float_up(U * cp * (1 + R) + A))
    else:  # ℓ∞ proxy for integer p: c‖Δx‖_∞ <= c‖Δx‖_p <= (c^p U)^{1/p}
        cp = c**p
        proxy = _Proxy(
            name, Xs, "max", p, False, cp, lambda U: _float_up(_root_up(U * cp, p) * (1 + R) + A)
        )
    proxy.error = (c, R, A)
    return proxy


def _plan(points: Sequence[Point], p: int | None, strategy: str | None, bits: int | None) -> _Proxy:
    """Choose the proxy (see module docstring); ``strategy``/``bits`` force one (tests)."""
    if strategy is not None and strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {STRATEGIES}")
    if strategy == "exact":
        proxy = _exact_int_proxy(points, p, use_max=False)
        if proxy is None:
            raise ValueError("exact integer grid does not fit int64 for these points")
        return proxy
    if strategy in ("float", "floatmax"):
        proxy = _float_proxy(points, p, use_max=strategy == "floatmax")
        if proxy is None:
            raise ValueError("some coordinate is not exactly a float64")
        return proxy
    if strategy == "rounded":
        return _rounded_int_proxy(points, p, bits, use_max=False)
    if strategy == "maxproxy":
        exact = _exact_int_proxy(points, p, use_max=True)
        return (
            exact
            if exact is not None and bits is None
            else _rounded_int_proxy(points, p, bits, use_max=True)
        )
    proxy = _exact_int_proxy(points, p, use_max=False)
    if proxy is not None:
        return proxy
    proxy = _float_proxy(points, p, use_max=p is not None and p > _FLOAT_MAX_P)
    if proxy is not None:
        return proxy
    return _rounded_int_proxy(points, p, None, use_max=False)


# --------------------------------------------------------------------------- the search


def _blocks(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], d: int, matmul: bool
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for rows_a, rows_b in groups:
        if len(rows_a) == 0 or len(rows_b) == 0:
            continue
        per_row = len(rows_b) if matmul else len(rows_b) * d
        step = max(1, _CHUNK_ELEMS // max(per_row, 1))
        for start in range(0, len(rows_a), step):
            yield rows_a[start : start + step], rows_b


def closest_over(
    points: Sequence[Point],
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
    p: int | None,
    *,
    strategy: str | None = None,
    bits: int | None = None,
    plan_cache: dict[object, object] | None = None,
) -> tuple[int, int, Fraction]:
    """Exact minimum of the distance over pairs (i, j) with i in ``rows_a``, j in ``rows_b``,
    for each (rows_a, rows_b) in ``groups`` (integer index arrays).

    Returns (i, j, value), i < j, for a minimising pair; value = ‖x_i − x_j‖_p^p (integer p)
    or ‖x_i − x_j‖_∞ (p None). Needs at least one pair and i ≠ j within pairs.
    ``plan_cache`` (a dict owned by the caller, used only with the same ``points``) keeps
    the vectorised data between calls, e.g. for many one-point queries.
    """
    d = len(points[0])
    key = ("plan", p, strategy, bits)
    if plan_cache is not None and key in plan_cache:
        proxy = plan_cache[key]
        assert isinstance(proxy, _Proxy)
    else:
        proxy = _plan(points, p, strategy, bits)
        if plan_cache is not None:
            plan_cache[key] = proxy
    best: tuple[float | int, int, int] | None = None
    U = Fraction(0)
    T: float | int = -1
    cand_i: list[np.ndarray] = []
    cand_j: list[np.ndarray] = []
    cand_s: list[np.ndarray] = []
    for rows_a, rows_b in _blocks(groups, d, proxy.matmul):
        S = proxy.block(rows_a, rows_b)
        r, c = np.unravel_index(int(np.argmin(S)), S.shape)
        smin = S[r, c].item()
        if best is None or smin < best[0]:
            i, j = int(rows_a[r]), int(rows_b[c])
            best = (smin, i, j)
            U = _exact_distance(points[i], points[j], p)
            T = proxy.threshold(U)
            if isinstance(T, int):
                T = min(T, _INT64_LIMIT - 1)
        if not proxy.exact:
            rr, cc = np.nonzero(S <= T)
            cand_i.append(rows_a[rr])
            cand_j.append(rows_b[cc])
            cand_s.append(S[rr, cc])
    if best is None:
        raise ValueError("no pairs to compare")
    smin, bi, bj = best
    if proxy.exact:
        if U * proxy.scale_p != smin:  # an overflow slipped through: never trust it
            raise RuntimeError(
                f"internal error: proxy {smin} != exact {U * proxy.scale_p} for rows {bi}, {bj}"
            )
        return (*_ordered(bi, bj), U)
    keep = np.concatenate(cand_s) <= T
    ci = np.concatenate(cand_i)[keep].tolist()
    cj = np.concatenate(cand_j)[keep].tolist()
    best_val, best_pair = U, _ordered(bi, bj)
    for i, j in zip(ci, cj):
        v = _exact_distance(points[i], points[j], p)
        pair = _ordered(i, j)
        if v < best_val or (v == best_val and pair < best_pair):
            best_val, best_pair = v, pair
    return (*best_pair, best_val)


def _ordered(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i <= j else (j, i)


def closest_pair(
    points: Sequence[Sequence[Fraction]],
    labels: Sequence[int],
    p: object,
    *,
    strategy: str | None = None,
    bits: int | None = None,
    plan_cache: dict[object, object] | None = None,
) -> tuple[int, int, Fraction]:
    """An exact closest pair with different labels: (i, j, value), i < j.

    ``value`` = ‖x_i − x_j‖_p^p for integer p, ‖x_i − x_j‖_∞ for p = ∞; it is exactly the
    minimum over all pairs with y_i ≠ y_j. ``strategy`` (one of :data:`STRATEGIES`) and
    ``bits`` force an internal search plan, for tests; every plan gives the same exact value.
    ``plan_cache``: see :func:`closest_over`.
    Needs equal-length rows of Fractions and at least two distinct labels.
    """
    pn = norm_p(p)
    pts = [tuple(r) for r in points]
    lab = np.asarray(labels)
    classes = np.unique(lab)
    if len(classes) < 2:
        raise InputError("the separation ε needs at least two classes; all labels are equal")
    groups = []
    for k, c in enumerate(classes[:-1]):
        groups.append((np.nonzero(lab == c)[0], np.nonzero(np.isin(lab, classes[k + 1 :]))[0]))
    return closest_over(pts, groups, pn, strategy=strategy, bits=bits, plan_cache=plan_cache)
