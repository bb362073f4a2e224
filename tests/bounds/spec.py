"""An independent encoding of THEORY.md §2–§4, written without sympy and without reading
bounds/: exact Fraction arithmetic for every validity decision, floats (math) for values.

The tests compare bounds/ against this encoding record by record and query by query.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

INF = math.inf

Valid = Callable[[int, int, Fraction, object], bool]
Value = Callable[[int, int, float, float], float]


def frac_p(p) -> Fraction:
    return Fraction(p)


def gamma_exp2(p) -> Fraction:
    """2·|1/2 − 1/p| as an exact rational (γ² = d^{this})."""
    if p == INF:
        return Fraction(1)
    return abs(1 - 2 / Fraction(p))


def gamma(d: int, p) -> float:
    if p == INF:
        return math.sqrt(d)
    return d ** abs(0.5 - 1.0 / float(p))


def rho_le_c_over_gamma(
    N: int, d: int, rho: Fraction, p, c_num: Fraction, with_N: bool, strict: bool = False
) -> bool:
    """Decide ρ ≤ c/(K·√d·γ) exactly, K = N if with_N else 1:  (ρK/c)²·d^{1+2|1/2−1/p|} ≤ 1."""
    K = N if with_N else 1
    base = (rho * K / c_num) ** 2  # rational
    e = 1 + gamma_exp2(p)  # exponent of d, rational a/b
    a, b = e.numerator, e.denominator
    lhs = base**b * Fraction(d) ** a  # (base · d^{a/b})^b
    return lhs < 1 if strict else lhs <= 1


def rho_lt_one_over_gamma(d: int, rho: Fraction, p) -> bool:
    """ρ < 1/γ ⇔ ρ²·d^{2|1/2−1/p|} < 1."""
    e = gamma_exp2(p)
    a, b = e.numerator, e.denominator
    return (rho**2) ** b * Fraction(d) ** a < 1


def regime(N: int, d: int, rho: Fraction, p) -> str:
    if rho_le_c_over_gamma(N, d, rho, p, Fraction(1, 5), with_N=True):
        return "small"
    if rho_le_c_over_gamma(N, d, rho, p, Fraction(1, 5), with_N=False):
        return "moderate"
    if rho_lt_one_over_gamma(d, rho, p):
        return "large"
    return "none"


def vc_low(N: int, d: int, rho: Fraction, p) -> bool:
    """ρ ≤ (1 − 1/d)^{1/p} ⇔ ρ^a ≤ (1 − 1/d)^b for p = a/b (always true for p = ∞)."""
    if p == INF:
        return True
    P = Fraction(p)
    return rho**P.numerator <= (1 - Fraction(1, d)) ** P.denominator


# ------------------------------------------------------------------------ query-level values
def upper_at(N: int, d: int, rho: Fraction, p, count: str = "all") -> float | None:
    reg = regime(N, d, rho, p)
    g, r = gamma(d, p), float(rho)
    if count == "all":
        return {
            "small": math.sqrt(N),
            "moderate": N * d**0.25 * math.sqrt(g * r),
            "large": N * d**2 * (g * r) ** 4,
            "none": None,
        }[reg]
    return {
        "small": math.sqrt(N) + d,
        "moderate": N * d**0.25 * math.sqrt(g * r) + d,
        "large": N * d * (g * r) ** 2 + d,
        "none": None,
    }[reg]


def vc_part(N: int, d: int, rho: Fraction, p) -> float:
    if p == INF:
        return math.sqrt(N)
    r = float(rho)
    return min((1 - r ** float(p)) ** -0.5, math.sqrt(d)) * math.sqrt(N)


def width_factor(d: int, rho: Fraction, p) -> float:
    r = float(rho)
    if p == INF and rho > Fraction(1, 2):
        return 1.0
    if p != INF and Fraction(p) < 2:
        return (r / gamma(d, p)) ** 2
    return r * r


def lower_at(N: int, d: int, rho: Fraction, p, count: str = "all") -> float:
    if count == "nonzero":
        return vc_part(N, d, rho, p)
    return (width_factor(d, rho, p) * min(N, d) + 1) * d + vc_part(N, d, rho, p)


def first_width_at(N: int, d: int, rho: Fraction, p) -> float:
    return width_factor(d, rho, p) * min(N - 1, d)


def prior_upper_at(N: int, d: int, rho: Fraction, p, count: str = "all") -> float | None:
    r = float(rho)
    cands = []
    small_eys = rho**2 * d < 1  # ρ < 1/√d
    if count == "all":
        if p == 2:
            cands.append(N if small_eys else N * d**3 * r**6)
        if p == 2 or p == INF:
            cands.append(N * d**2)
        elif Fraction(p).denominator == 1:
            cands.append(N * d**2 * float(p) ** 2)
    else:
        if p == 2 and small_eys:
            cands.append(N)
        if p == 2 or p == INF:
            cands.append(N * d)
    return min(cands) if cands else None


def prior_lower_at(N: int, d: int, rho: Fraction, p, count: str = "all") -> float:
    plus = d if count == "all" else 0
    cands = [math.sqrt(N) + plus]
    if p == 2 and rho**2 > 1 - Fraction(1, d):
        cands.append(math.sqrt(N * d) + plus)
    return max(cands)


def prior_first_width_at(N: int, d: int, rho: Fraction, p) -> float | None:
    cands = []
    if p == INF and d < N and rho >= Fraction(4, 5):
        cands.append(float(d))
    if p == 2 and rho * N >= 4832:
        cands.append(2 * math.log(N) / math.log(4832 / float(rho)))
    return max(cands) if cands else None


def construction_at(N: int, d: int, rho: Fraction, p) -> dict[str, float]:
    reg = regime(N, d, rho, p)
    gr = gamma(d, p) * float(rho)
    return {
        "small": {"depth": math.sqrt(N), "width": 1.0, "bits": math.sqrt(N)},
        "moderate": {
            "depth": N * d**0.25 * math.sqrt(gr),
            "width": 1.0,
            "bits": d**-0.25 * gr**-0.5,
        },
        "large": {"depth": float(N), "width": gr**2 * d, "bits": float(N)},
        "none": {},
    }[reg]


# ------------------------------------------------------------------------ record-level spec
def _is_int(p) -> bool:
    return p != INF and Fraction(p).denominator == 1


def norms_ok(key: str, p) -> bool:
    """The norm range of each record, from THEORY (independent of bounds/records.py)."""
    fin = p != INF
    P = Fraction(p) if fin else None
    table = {
        "KMY.LB.width.p>=2": fin and P >= 2,
        "KMY.LB.width.inf.low": not fin,
        "KMY.LB.width.inf": not fin,
        "KMY.LB.width.p<2": fin and P < 2,
        "KMY.LB.VC": fin,
        "KMY.LB.VC.high": fin,
        "KMY.LB.VC.inf": not fin,
        "KMY.LB.combined.l2": p == 2,
        "KMY.LB.combined.p>2": fin and P > 2,
        "KMY.LB.combined.p<2": fin and P < 2,
        "KMY.LB.combined.inf": not fin,
        "KMY.LB.combined.inf.high": not fin,
        "KMY.LB.nonzero": fin,
        "KMY.LB.nonzero.inf": not fin,
        "PRIOR.LB.classical": True,
        "PRIOR.LB.LJZ22": p == 2,
        "PRIOR.LB.EYS25.width": p == 2,
        "PRIOR.LB.YGZ24.width": not fin,
        "PRIOR.LBnz.classical": True,
        "PRIOR.LBnz.LJZ22": p == 2,
        "PRIOR.UB.EYS25.small": p == 2,
        "PRIOR.UB.EYS25.large": p == 2,
        "PRIOR.UB.YGZ24": p == 2 or not fin,
        "PRIOR.UB.YGZ24.p": _is_int(p) and p != 2,
        "PRIOR.UBnz.YGZ24": p == 2 or not fin,
        "PRIOR.UBnz.EYS25": p == 2,
    }
    if key in table:
        return bool(table[key])
    fam = key.rsplit(".", 1)[1]  # KMY upper-side records end in .l2 / .lp
    assert fam in ("l2", "lp"), key
    return (p == 2) if fam == "l2" else (p != 2)


def record_spec(key: str, N: int, d: int, rho: Fraction, p) -> tuple[bool, float | None]:
    """(valid at the point, value) of the record ``key`` — independent encoding."""
    if not norms_ok(key, p):
        return False, None
    r = float(rho)
    reg = regime(N, d, rho, p)
    g = gamma(d, p)
    vlow = vc_low(N, d, rho, p)
    sqrtN = math.sqrt(N)
    if key.startswith("KMY.") and key.split(".")[1] in ("UB", "UBnz", "depth", "width", "bits"):
        kind, roman = key.split(".")[1:3]
        want = {"i": "small", "ii": "moderate", "iii": "large"}[roman]
        if reg != want:
            return False, None
        if kind == "UB":
            return True, upper_at(N, d, rho, p, "all")
        if kind == "UBnz":
            return True, upper_at(N, d, rho, p, "nonzero")
        return True, construction_at(N, d, rho, p)[kind]
    half = Fraction(1, 2)
    t_exact, t_omega = min(N - 1, d), min(N, d)
    vc = vc_part(N, d, rho, p)
    table: dict[str, tuple[bool, float]] = {
        "KMY.LB.width.p>=2": (True, r * r * t_exact),
        "KMY.LB.width.inf.low": (rho <= half, r * r * t_exact),
        "KMY.LB.width.inf": (rho > half, float(t_exact)),
        "KMY.LB.width.p<2": (True, (r / g) ** 2 * t_exact),
        "KMY.LB.VC": (vlow, math.sqrt(N / (1 - r ** float(p))) if p != INF else sqrtN),
        "KMY.LB.VC.high": (not vlow, math.sqrt(N * d)),
        "KMY.LB.VC.inf": (True, sqrtN),
        "KMY.LB.combined.l2": (True, (r * r * t_omega + 1) * d + vc),
        "KMY.LB.combined.p>2": (True, (r * r * t_omega + 1) * d + vc),
        "KMY.LB.combined.p<2": (True, ((r / g) ** 2 * t_omega + 1) * d + vc),
        "KMY.LB.combined.inf": (rho <= half, (r * r * t_omega + 1) * d + sqrtN),
        "KMY.LB.combined.inf.high": (rho > half, (t_omega + 1) * d + sqrtN),
        "KMY.LB.nonzero": (True, vc),
        "KMY.LB.nonzero.inf": (True, sqrtN),
        "PRIOR.LB.classical": (True, sqrtN + d),
        "PRIOR.LB.LJZ22": (rho**2 > 1 - Fraction(1, d), math.sqrt(N * d) + d),
        "PRIOR.LB.EYS25.width": (rho * N >= 4832, 2 * math.log(N) / math.log(4832 / r)),
        "PRIOR.LB.YGZ24.width": (d < N and rho >= Fraction(4, 5), float(d)),
        "PRIOR.LBnz.classical": (True, sqrtN),
        "PRIOR.LBnz.LJZ22": (rho**2 > 1 - Fraction(1, d), math.sqrt(N * d)),
        "PRIOR.UB.EYS25.small": (rho**2 * d < 1, float(N)),
        "PRIOR.UB.EYS25.large": (rho**2 * d >= 1, N * d**3 * r**6),
        "PRIOR.UB.YGZ24": (True, float(N * d * d)),
        "PRIOR.UB.YGZ24.p": (True, N * d * d * float(p) ** 2 if p != INF else 0.0),
        "PRIOR.UBnz.YGZ24": (True, float(N * d)),
        "PRIOR.UBnz.EYS25": (rho**2 * d < 1, float(N)),
    }
    valid, value = table[key]
    return (True, value) if valid else (False, None)
