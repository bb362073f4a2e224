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


def rho_lt_one_over_gamma(d: int, rho: Fraction, p, c: Fraction = Fraction(1)) -> bool:
    """ρ < c/γ ⇔ (ρ/c)²·d^{2|1/2−1/p|} < 1."""
    e = gamma_exp2(p)
    a, b = e.numerator, e.denominator
    return ((rho / c) ** 2) ** b * Fraction(d) ** a < 1


def gamma_rho_lt_sqrt_d_inv(d: int, rho: Fraction, p) -> bool:
    """γρ < 1/√d (EYS25's seam in Table 1) ⇔ ρ²·d^{1+2|1/2−1/p|} < 1."""
    return rho_le_c_over_gamma(1, d, rho, p, Fraction(1), with_N=False, strict=True)


def big_N(N: int) -> bool:
    """N ≥ 600 ln N (Thm B.14's case split). N − 600 ln N is at least 0.13 away from 0 at
    every integer N ≥ 2 (it crosses 0 between 5125 and 5126), so floats decide it."""
    return N - 600 * math.log(N) >= 0


def large_case(N: int, d: int, rho: Fraction, p) -> str | None:
    """Which of Thm B.14's Cases III and V holds (at γρ for ℓp), or None."""
    if regime(N, d, rho, p) != "large" or not rho_lt_one_over_gamma(d, rho, p, Fraction(1, 3)):
        return None
    if not big_N(N) and 600 * math.log(N) <= d:
        return "III"
    if big_N(N) and d > N:
        return "V"
    return None


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
def case_upper(N: int, d: int, rho: Fraction, p, case: str) -> float:
    gr = gamma(d, p) * float(rho)
    return float(N**3 + d * N) if case == "III" else N**3 * gr**4 + N * d * gr**2


def upper_at(N: int, d: int, rho: Fraction, p, count: str = "all") -> float | None:
    reg = regime(N, d, rho, p)
    g, r = gamma(d, p), float(rho)
    if count == "all":
        theorem = {
            "small": math.sqrt(N),
            "moderate": N * d**0.25 * math.sqrt(g * r),
            "large": N * d**2 * (g * r) ** 4,
            "none": None,
        }[reg]
        case = large_case(N, d, rho, p)
        if case is not None and theorem is not None:
            return min(theorem, case_upper(N, d, rho, p, case))
        return theorem
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


def eys25_upper(N: int, d: int, rho: Fraction, p, count: str) -> float | None:
    """KMY Table 1's EYS25 rows (all counted) and Eq. (85)'s EYS25 cases (nonzero), at γρ:
    Õ(N) for γρ < 1/√d; above, up to γρ < 1, Õ(N d³(γρ)⁶) resp. Õ(N d²(γρ)⁴)."""
    gr = gamma(d, p) * float(rho)
    if gamma_rho_lt_sqrt_d_inv(d, rho, p):
        return float(N)
    if not rho_lt_one_over_gamma(d, rho, p):
        return None
    return N * d**3 * gr**6 if count == "all" else N * d**2 * gr**4


def prior_upper_at(N: int, d: int, rho: Fraction, p, count: str = "all") -> float | None:
    cands = []
    eys = eys25_upper(N, d, rho, p, count)
    if eys is not None:
        cands.append(eys)
    if count == "all":
        if p == 2 or p == INF:
            cands.append(N * d**2)
        elif Fraction(p).denominator == 1:
            cands.append(N * d**2 * float(p) ** 2)
    else:
        if p == 2 or p == INF:
            cands.append(N * d)
    return min(cands) if cands else None


def prior_lower_at(N: int, d: int, rho: Fraction, p, count: str = "all") -> float:
    plus = d if count == "all" else 0
    cands = [math.sqrt(N) + plus]
    if p == 2 and rho**2 > 1 - Fraction(1, d):
        cands.append(math.sqrt(N * d) + plus)
    if count == "all" and p == INF and d < N and rho >= Fraction(4, 5):
        cands.append(float(d * d))  # YGZ24, Table 1: Ω(d²)
    return max(cands)


def prior_first_width_at(N: int, d: int, rho: Fraction, p) -> float | None:
    cands = []
    if p == INF and d < N and rho >= Fraction(4, 5):
        cands.append(float(d))
    if p == 2 and rho * N * N > 4832:  # our reading: where 2 log N / log(4832/ρ) > 1
        cands.append(2 * math.log(N) / math.log(4832 / float(rho)))
    return max(cands) if cands else None


def gap_at(N: int, d: int, rho: Fraction, p, count: str = "all") -> tuple[float, float] | None:
    """(gap, raw): raw = (upper + d)/lower (count all) or upper/lower (nonzero, whose upper
    rates state their +d); gap = max(1, raw)."""
    up = upper_at(N, d, rho, p, count)
    if up is None:
        return None
    raw = (up + (d if count == "all" else 0)) / lower_at(N, d, rho, p, count)
    return max(1.0, raw), raw


def construction_at(N: int, d: int, rho: Fraction, p) -> dict[str, float]:
    reg = regime(N, d, rho, p)
    gr = gamma(d, p) * float(rho)
    out = {
        "small": {"depth": math.sqrt(N), "width": 1.0, "bits": math.sqrt(N)},
        "moderate": {
            "depth": N * d**0.25 * math.sqrt(gr),
            "width": 1.0,
            "bits": d**-0.25 * gr**-0.5,
        },
        "large": {"depth": float(N), "width": gr**2 * d, "bits": float(N)},
        "none": {},
    }[reg]
    case = large_case(N, d, rho, p)
    if case is not None and case_upper(N, d, rho, p, case) < N * d**2 * gr**4:
        out["width"] = float(N) if case == "III" else gr**2 * N  # the case's own network
    return out


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
        "PRIOR.LB.YGZ24": not fin,
        "PRIOR.UB.EYS25.small": p == 2,
        "PRIOR.UB.EYS25.large": p == 2,
        "PRIOR.UB.EYS25.small.lp": p != 2,
        "PRIOR.UB.EYS25.large.lp": p != 2,
        "PRIOR.UBnz.EYS25.mid": p == 2,
        "PRIOR.UBnz.EYS25.lp": p != 2,
        "PRIOR.UBnz.EYS25.mid.lp": p != 2,
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
    parts = key.split(".")
    if len(parts) == 5 and parts[2] == "iii" and parts[3] in ("III", "V"):
        # KMY.UB.iii.<case>.<fam>, KMY.width.iii.<case>.<fam>: the cases of Thm B.14
        case = parts[3]
        if large_case(N, d, rho, p) != case:
            return False, None
        if parts[1] == "UB":
            return True, case_upper(N, d, rho, p, case)
        assert parts[1] == "width", key
        return True, float(N) if case == "III" else (g * r) ** 2 * N
    if key.startswith("KMY.") and parts[1] in ("UB", "UBnz", "depth", "width", "bits"):
        kind, roman = parts[1:3]
        want = {"i": "small", "ii": "moderate", "iii": "large"}[roman]
        if reg != want:
            return False, None
        if kind == "UB" and roman == "iii":
            return True, N * d**2 * (g * r) ** 4  # the theorem's statement, not the minimum
        if kind == "width" and roman == "iii":
            return True, (g * r) ** 2 * d
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
        "PRIOR.LB.EYS25.width": (rho * N * N > 4832, 2 * math.log(N) / math.log(4832 / r)),
        "PRIOR.LB.YGZ24": (d < N and rho >= Fraction(4, 5), float(d * d)),
        "PRIOR.LB.YGZ24.width": (d < N and rho >= Fraction(4, 5), float(d)),
        "PRIOR.LBnz.classical": (True, sqrtN),
        "PRIOR.LBnz.LJZ22": (rho**2 > 1 - Fraction(1, d), math.sqrt(N * d)),
        "PRIOR.UB.EYS25.small": (rho**2 * d < 1, float(N)),
        "PRIOR.UB.EYS25.large": (rho**2 * d >= 1, N * d**3 * r**6),
        "PRIOR.UB.YGZ24": (True, float(N * d * d)),
        "PRIOR.UB.YGZ24.p": (True, N * d * d * float(p) ** 2 if p != INF else 0.0),
        "PRIOR.UBnz.YGZ24": (True, float(N * d)),
        "PRIOR.UBnz.EYS25": (rho**2 * d < 1, float(N)),
        "PRIOR.UBnz.EYS25.mid": (rho**2 * d >= 1, N * d**2 * r**4),
    }
    if key.startswith("PRIOR.") and "EYS25" in key and key.endswith(".lp"):
        nz = key.startswith("PRIOR.UBnz.")
        small = gamma_rho_lt_sqrt_d_inv(d, rho, p)
        top = rho_lt_one_over_gamma(d, rho, p)
        gr = g * r
        if key.split(".")[3] == "small" or key == "PRIOR.UBnz.EYS25.lp":
            return (True, float(N)) if small else (False, None)
        if small or not top:
            return False, None
        return True, (N * d**2 * gr**4) if nz else (N * d**3 * gr**6)
    valid, value = table[key]
    return (True, value) if valid else (False, None)
