"""Every bound of THEORY.md §2–§4 as a data record.

A record is data, not a code path: what it bounds (parameters, first-layer width, depth,
width, bits), how parameters are counted (all / nonzero), for which norms it holds, where in
(N, d, ρ) it holds (a sympy Boolean), the expression, whether the expression is exact or an
asymptotic rate (constants 1, log factors dropped), and where it comes from.

Value conventions (shared with the JSON output of ``robustmem bounds``):
- upper bounds are the theorem's rate without the additive +d the paper omits;
- lower bounds are the Ω expression with constant 1;
- nonzero-count upper bounds keep the +d that Thm E.2 states explicitly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Literal

import sympy as sp

from .symbols import N, d, gamma, p, rho

Kind = Literal["lower", "upper"]
Count = Literal["all", "nonzero"]
Quantity = Literal["params", "first_width", "depth", "width", "bits"]

HALF = sp.Rational(1, 2)
QUARTER = sp.Rational(1, 4)


@dataclass(frozen=True)
class Norms:
    """A set of exponents p ∈ [1, ∞]: an interval of finite p, optionally with p = ∞."""

    lo: Fraction = Fraction(1)
    hi: Fraction | None = None  # None: no finite upper end
    lo_open: bool = False
    hi_open: bool = False
    finite: bool = True  # finite p in the interval are included
    inf: bool = True  # p = ∞ is included
    integer: bool = False  # finite p must be an integer
    exclude: tuple[Fraction, ...] = ()

    def contains(self, pv: Fraction | float) -> bool:
        """Whether the exponent ``pv`` (a Fraction, or ``math.inf``) is in the set."""
        if pv == math.inf:
            return self.inf
        if not self.finite or pv in self.exclude:
            return False
        if self.integer and Fraction(pv).denominator != 1:
            return False
        if pv < self.lo or (self.lo_open and pv == self.lo):
            return False
        return not (self.hi is not None and (pv > self.hi or (self.hi_open and pv == self.hi)))

    def label(self) -> str:
        if not self.finite:
            return "p = ∞"
        if self.hi is not None and self.lo == self.hi:
            return f"p = {self.lo}"
        left = "(" if self.lo_open else "["
        if self.hi is None:
            right = "∞]" if self.inf else "∞)"
            core = f"{left}{self.lo}, {right}"
        else:
            core = f"{left}{self.lo}, {self.hi}{')' if self.hi_open else ']'}"
            if self.inf:
                core += " ∪ {∞}"
        text = f"p ∈ {core}"
        if self.integer:
            text += ", integer"
        if self.exclude:
            text += ", p ∉ {" + ", ".join(str(x) for x in self.exclude) + "}"
        return text


L2 = Norms(lo=Fraction(2), hi=Fraction(2), inf=False)
ALL_P = Norms()
FINITE_P = Norms(inf=False)
P_BELOW_2 = Norms(hi=Fraction(2), hi_open=True, inf=False)
P_ABOVE_2 = Norms(lo=Fraction(2), lo_open=True)  # (2, ∞]
P_NOT_2 = Norms(exclude=(Fraction(2),))
P_GE_2 = Norms(lo=Fraction(2))
INF_ONLY = Norms(finite=False)
INTEGER_NOT_2 = Norms(integer=True, inf=False, exclude=(Fraction(2),))
L2_AND_INF = Norms(lo=Fraction(2), hi=Fraction(2))


@dataclass(frozen=True)
class Bound:
    """One result: ``quantity`` ≥ expr (kind lower) or ≤ expr (kind upper) on ``region``."""

    key: str
    kind: Kind
    quantity: Quantity
    count: Count
    norms: Norms
    region: sp.Basic  # sympy Boolean in N, d, rho, p (0 < ρ < 1, N ≥ 2, d ≥ 1 implied)
    expr: sp.Expr
    exact: bool  # True: an exact statement; False: Ω/Õ rate with constants 1, no logs
    source: str
    paper: Literal["KMY", "prior"]
    statement: str
    regime: str | None = None
    rests_on: tuple[str, ...] = field(default=())

    def applies(self, pv: Fraction | float) -> bool:
        return self.norms.contains(pv)


def _g(expr: sp.Expr) -> sp.Expr:
    """Substitute ρ ↦ γ_p(d)·ρ (the ℓp transfer of THEORY §1)."""
    return expr.subs(rho, gamma * rho)


# ---------------------------------------------------------------------------------------------
# Regime boundaries in ρ, for norm p (γ = 1 when p = 2).
R1 = 1 / (5 * N * sp.sqrt(d) * gamma)
R2 = 1 / (5 * sp.sqrt(d) * gamma)
R_TOP = 1 / gamma

SMALL = rho <= R1
MODERATE = sp.And(rho > R1, rho <= R2)
LARGE = sp.And(rho > R2, rho < R_TOP)
EVERYWHERE = sp.true

# LB-VC split point ρ* = (1 − 1/d)^{1/p}.
VC_SPLIT = (1 - 1 / d) ** (1 / p)

# Width part of the combined lower bound (t = min{N, d}) and the exact first-layer width
# (t = min{N − 1, d}), per norm family.
_T_OMEGA = sp.Min(N, d)
_T_EXACT = sp.Min(N - 1, d)
_W_GE2 = rho**2
_W_LT2 = (rho / gamma) ** 2
_VC = sp.Min(1 / sp.sqrt(1 - rho**p), sp.sqrt(d)) * sp.sqrt(N)


def _records() -> tuple[Bound, ...]:
    R: list[Bound] = []
    add = R.append

    # ---------------------------------------------------------------- KMY lower bounds (§2)
    add(
        Bound(
            "KMY.LB.width.p>=2",
            "lower",
            "first_width",
            "all",
            Norms(lo=Fraction(2), inf=False),
            EVERYWHERE,
            _W_GE2 * _T_EXACT,
            True,
            "KMY Prop 3.2",
            "KMY",
            "first hidden width m ≥ ρ²·min{N−1, d} (2 ≤ p < ∞)",
            rests_on=("KMY Lemma A.1", "hard dataset D*"),
        )
    )
    add(
        Bound(
            "KMY.LB.width.inf.low",
            "lower",
            "first_width",
            "all",
            INF_ONLY,
            rho <= HALF,
            _W_GE2 * _T_EXACT,
            True,
            "KMY Prop 3.2",
            "KMY",
            "first hidden width m ≥ ρ²·min{N−1, d} (p = ∞, ρ ≤ 1/2)",
            rests_on=("KMY Lemma A.1", "hard dataset D*"),
        )
    )
    add(
        Bound(
            "KMY.LB.width.inf",
            "lower",
            "first_width",
            "all",
            INF_ONLY,
            rho > HALF,
            _T_EXACT,
            True,
            "KMY Prop C.7",
            "KMY",
            "first hidden width m ≥ min{N−1, d} (p = ∞, ρ > 1/2)",
            rests_on=("hard dataset D*",),
        )
    )
    add(
        Bound(
            "KMY.LB.width.p<2",
            "lower",
            "first_width",
            "all",
            P_BELOW_2,
            EVERYWHERE,
            _W_LT2 * _T_EXACT,
            True,
            "KMY Prop C.6",
            "KMY",
            "first hidden width m ≥ (ρ/γ_p(d))²·min{N−1, d} (1 ≤ p < 2)",
            rests_on=("KMY Lemma A.1", "hard dataset D*", "γ-transfer"),
        )
    )
    add(
        Bound(
            "KMY.LB.VC",
            "lower",
            "params",
            "all",
            FINITE_P,
            rho <= VC_SPLIT,
            sp.sqrt(N / (1 - rho**p)),
            False,
            "KMY Prop 3.3, C.8",
            "KMY",
            "P = Ω(√(N/(1−ρ^p))) for ρ ≤ (1−1/d)^{1/p}",
            rests_on=("VC shattering set", "GJ95"),
        )
    )
    add(
        Bound(
            "KMY.LB.VC.high",
            "lower",
            "params",
            "all",
            FINITE_P,
            rho > VC_SPLIT,
            sp.sqrt(N * d),
            False,
            "KMY Prop 3.3, C.8",
            "KMY",
            "P = Ω(√(N d)) for ρ > (1−1/d)^{1/p}",
            rests_on=("VC shattering set", "GJ95"),
        )
    )
    add(
        Bound(
            "KMY.LB.VC.inf",
            "lower",
            "params",
            "all",
            INF_ONLY,
            EVERYWHERE,
            sp.sqrt(N),
            False,
            "classical VC [GJ95]",
            "KMY",
            "P = Ω(√N) (p = ∞: only the classical term remains)",
            rests_on=("GJ95",),
        )
    )
    # Combined Ω bound: width part (w(t=min{N,d}) + 1)·d plus the VC part.
    comb = "combined: (w·min{N,d} + 1)·d + VC part"
    add(
        Bound(
            "KMY.LB.combined.l2",
            "lower",
            "params",
            "all",
            L2,
            EVERYWHERE,
            (_W_GE2 * _T_OMEGA + 1) * d + _VC,
            False,
            "KMY Thm 3.1",
            "KMY",
            "P = Ω((ρ² min{N,d} + 1)·d + min{1/√(1−ρ²), √d}·√N)",
            rests_on=("KMY.LB.width.p>=2", "KMY.LB.VC", "KMY.LB.VC.high"),
        )
    )
    add(
        Bound(
            "KMY.LB.combined.p>2",
            "lower",
            "params",
            "all",
            Norms(lo=Fraction(2), lo_open=True, inf=False),
            EVERYWHERE,
            (_W_GE2 * _T_OMEGA + 1) * d + _VC,
            False,
            "KMY Thm 3.1 (ℓp: Props C.6–C.8)",
            "KMY",
            comb + " with w = ρ², VC = min{(1−ρ^p)^{−1/2}, √d}·√N",
            rests_on=("KMY.LB.width.p>=2", "KMY.LB.VC", "KMY.LB.VC.high"),
        )
    )
    add(
        Bound(
            "KMY.LB.combined.p<2",
            "lower",
            "params",
            "all",
            P_BELOW_2,
            EVERYWHERE,
            (_W_LT2 * _T_OMEGA + 1) * d + _VC,
            False,
            "KMY Thm 3.1 (ℓp: Props C.6–C.8)",
            "KMY",
            comb + " with w = (ρ/γ)², VC = min{(1−ρ^p)^{−1/2}, √d}·√N",
            rests_on=("KMY.LB.width.p<2", "KMY.LB.VC", "KMY.LB.VC.high"),
        )
    )
    add(
        Bound(
            "KMY.LB.combined.inf",
            "lower",
            "params",
            "all",
            INF_ONLY,
            rho <= HALF,
            (_W_GE2 * _T_OMEGA + 1) * d + sp.sqrt(N),
            False,
            "KMY Thm 3.1 (ℓp: Props C.6–C.8)",
            "KMY",
            comb + " with w = ρ², VC = √N (p = ∞, ρ ≤ 1/2)",
            rests_on=("KMY.LB.width.inf.low", "KMY.LB.VC.inf"),
        )
    )
    add(
        Bound(
            "KMY.LB.combined.inf.high",
            "lower",
            "params",
            "all",
            INF_ONLY,
            rho > HALF,
            (_T_OMEGA + 1) * d + sp.sqrt(N),
            False,
            "KMY Thm 3.1 (ℓp: Props C.6–C.8)",
            "KMY",
            comb + " with w = 1, VC = √N (p = ∞, ρ > 1/2)",
            rests_on=("KMY.LB.width.inf", "KMY.LB.VC.inf"),
        )
    )
    add(
        Bound(
            "KMY.LB.nonzero",
            "lower",
            "params",
            "nonzero",
            FINITE_P,
            EVERYWHERE,
            _VC,
            False,
            "KMY Thm E.1",
            "KMY",
            "P_nz = Ω(min{(1−ρ^p)^{−1/2}, √d}·√N)",
            rests_on=("KMY.LB.VC", "KMY.LB.VC.high"),
        )
    )
    add(
        Bound(
            "KMY.LB.nonzero.inf",
            "lower",
            "params",
            "nonzero",
            INF_ONLY,
            EVERYWHERE,
            sp.sqrt(N),
            False,
            "KMY Thm E.1",
            "KMY",
            "P_nz = Ω(√N) (p = ∞)",
            rests_on=("KMY.LB.VC.inf",),
        )
    )

    # ---------------------------------------------------------------- KMY upper bounds (§3)
    # ℓ2 (Thm 4.2) and ℓp (Thm C.11) share expressions: γ = 1 at p = 2.
    for fam, norms, src in (("l2", L2, "KMY Thm 4.2"), ("lp", P_NOT_2, "KMY Thm C.11")):
        t = "" if fam == "l2" else "γ"
        base = ("γ-transfer",) if fam == "lp" else ()
        add(
            Bound(
                f"KMY.UB.i.{fam}",
                "upper",
                "params",
                "all",
                norms,
                SMALL,
                sp.sqrt(N),
                False,
                f"{src}(i)",
                "KMY",
                "P = Õ(√N), exact robust memorization",
                "small",
                base + ("KMY Lemma B.18", "KMY Lemma B.15", "KMY Lemma B.16", "KMY Lemma B.10"),
            )
        )
        add(
            Bound(
                f"KMY.UB.ii.{fam}",
                "upper",
                "params",
                "all",
                norms,
                MODERATE,
                _g(N * d**QUARTER * rho**HALF),
                False,
                f"{src}(ii)",
                "KMY",
                f"P = Õ(N d^(1/4) ({t}ρ)^(1/2)), error η (exact with threshold units)",
                "moderate",
                base + ("KMY Lemma B.13", "KMY Lemma B.15", "KMY Lemma B.16", "KMY Lemma B.10"),
            )
        )
        add(
            Bound(
                f"KMY.UB.iii.{fam}",
                "upper",
                "params",
                "all",
                norms,
                LARGE,
                _g(N * d**2 * rho**4),
                False,
                f"{src}(iii)",
                "KMY",
                f"P = Õ(N d² ({t}ρ)⁴), exact robust memorization",
                "large",
                base + ("KMY Lemma B.18", "KMY Prop B.21", "YGZ24"),
            )
        )
        # nonzero-count versions (Thm E.2; ℓp by the γ-transfer)
        nz_src = "KMY Thm E.2" if fam == "l2" else "KMY Thm E.2 + γ-transfer"
        add(
            Bound(
                f"KMY.UBnz.i.{fam}",
                "upper",
                "params",
                "nonzero",
                norms,
                SMALL,
                sp.sqrt(N) + d,
                False,
                f"{nz_src}(i)",
                "KMY",
                "P_nz = Õ(√N + d)",
                "small",
                (f"KMY.UB.i.{fam}",),
            )
        )
        add(
            Bound(
                f"KMY.UBnz.ii.{fam}",
                "upper",
                "params",
                "nonzero",
                norms,
                MODERATE,
                _g(N * d**QUARTER * rho**HALF) + d,
                False,
                f"{nz_src}(ii)",
                "KMY",
                f"P_nz = Õ(N d^(1/4) ({t}ρ)^(1/2) + d)",
                "moderate",
                (f"KMY.UB.ii.{fam}",),
            )
        )
        add(
            Bound(
                f"KMY.UBnz.iii.{fam}",
                "upper",
                "params",
                "nonzero",
                norms,
                LARGE,
                _g(N * d * rho**2) + d,
                False,
                f"{nz_src}(iii)",
                "KMY",
                f"P_nz = Õ(N d ({t}ρ)² + d)",
                "large",
                (f"KMY.UB.iii.{fam}",),
            )
        )
        # depth / width / bit complexity of the constructions
        for q, reg, region, e in (
            ("depth", "small", SMALL, sp.sqrt(N)),
            ("width", "small", SMALL, sp.Integer(1)),
            ("bits", "small", SMALL, sp.sqrt(N)),
            ("depth", "moderate", MODERATE, _g(N * d**QUARTER * rho**HALF)),
            ("width", "moderate", MODERATE, sp.Integer(1)),
            ("bits", "moderate", MODERATE, _g(d**-QUARTER * rho**-HALF)),
            ("depth", "large", LARGE, N),
            ("width", "large", LARGE, _g(rho**2 * d)),
            ("bits", "large", LARGE, N),
        ):
            roman = {"small": "i", "moderate": "ii", "large": "iii"}[reg]
            add(
                Bound(
                    f"KMY.{q}.{roman}.{fam}",
                    "upper",
                    q,
                    "all",
                    norms,
                    region,
                    e,
                    False,
                    f"{src}({roman})",
                    "KMY",
                    f"{q} = Õ({e})",
                    reg,
                    (f"KMY.UB.{roman}.{fam}",),
                )
            )

    # ---------------------------------------------------------------- prior work (§4)
    add(
        Bound(
            "PRIOR.LB.classical",
            "lower",
            "params",
            "all",
            ALL_P,
            EVERYWHERE,
            sp.sqrt(N) + d,
            False,
            "classical VC [GJ95]",
            "prior",
            "P = Ω(√N) (memorization, any ρ) plus the input layer d",
            rests_on=("GJ95",),
        )
    )
    add(
        Bound(
            "PRIOR.LB.LJZ22",
            "lower",
            "params",
            "all",
            L2,
            rho > sp.sqrt(1 - 1 / d),
            sp.sqrt(N * d) + d,
            False,
            "LJZ22",
            "prior",
            "P = Ω(√(N d)) for ρ > √(1 − 1/d), plus d",
            rests_on=("GJ95",),
        )
    )
    # EYS25 and YGZ24 proved first-layer *width* bounds; they are kept as width records (the
    # prior counterpart of LB-width), not as parameter bounds: with constants 1, (w + 1)·d for
    # EYS25's w = 2 log N / log(4832/ρ) is not comparable with the Ω-rates of parameters.
    eys_w = 2 * sp.log(N) / sp.log(4832 / rho)
    add(
        Bound(
            "PRIOR.LB.EYS25.width",
            "lower",
            "first_width",
            "all",
            L2,
            rho >= 4832 / N,
            eys_w,
            True,
            "EYS25",
            "prior",
            "first width ≥ 2 log N / log(4832/ρ)",
        )
    )
    add(
        Bound(
            "PRIOR.LB.YGZ24.width",
            "lower",
            "first_width",
            "all",
            INF_ONLY,
            sp.And(d < N, rho >= sp.Rational(4, 5)),
            d,
            True,
            "YGZ24",
            "prior",
            "first width ≥ d when N > d and ρ ≥ 0.8 (ℓ∞)",
        )
    )
    add(
        Bound(
            "PRIOR.LBnz.classical",
            "lower",
            "params",
            "nonzero",
            ALL_P,
            EVERYWHERE,
            sp.sqrt(N),
            False,
            "classical VC [GJ95]",
            "prior",
            "P_nz = Ω(√N)",
            rests_on=("GJ95",),
        )
    )
    add(
        Bound(
            "PRIOR.LBnz.LJZ22",
            "lower",
            "params",
            "nonzero",
            L2,
            rho > sp.sqrt(1 - 1 / d),
            sp.sqrt(N * d),
            False,
            "LJZ22",
            "prior",
            "P_nz = Ω(√(N d)) for ρ > √(1 − 1/d)",
            rests_on=("GJ95",),
        )
    )

    add(
        Bound(
            "PRIOR.UB.EYS25.small",
            "upper",
            "params",
            "all",
            L2,
            rho < 1 / sp.sqrt(d),
            N,
            False,
            "EYS25",
            "prior",
            "P = Õ(N) for ρ < 1/√d (width log N)",
        )
    )
    add(
        Bound(
            "PRIOR.UB.EYS25.large",
            "upper",
            "params",
            "all",
            L2,
            rho >= 1 / sp.sqrt(d),
            N * d**3 * rho**6,
            False,
            "EYS25 (as counted in KMY D.3)",
            "prior",
            "P = Õ(N d³ ρ⁶) for ρ ≥ 1/√d",
        )
    )
    add(
        Bound(
            "PRIOR.UB.YGZ24",
            "upper",
            "params",
            "all",
            L2_AND_INF,
            EVERYWHERE,
            N * d**2,
            False,
            "YGZ24 (as counted in KMY D.2)",
            "prior",
            "P = Õ(N d²), any ρ",
        )
    )
    add(
        Bound(
            "PRIOR.UB.YGZ24.p",
            "upper",
            "params",
            "all",
            INTEGER_NOT_2,
            EVERYWHERE,
            N * d**2 * p**2,
            False,
            "YGZ24 (as counted in KMY D.2)",
            "prior",
            "P = Õ(N d² p²), any ρ (integer p)",
        )
    )
    add(
        Bound(
            "PRIOR.UBnz.YGZ24",
            "upper",
            "params",
            "nonzero",
            L2_AND_INF,
            EVERYWHERE,
            N * d,
            False,
            "YGZ24",
            "prior",
            "P_nz = Õ(N d), any ρ",
        )
    )
    add(
        Bound(
            "PRIOR.UBnz.EYS25",
            "upper",
            "params",
            "nonzero",
            L2,
            rho < 1 / sp.sqrt(d),
            N,
            False,
            "EYS25",
            "prior",
            "P_nz = Õ(N) for ρ < 1/√d",
        )
    )
    # The ℓ2 family is written with γ = 1 (p = 2 substituted): p-free, as Thm 4.2 states it.
    two = sp.Integer(2)
    R = [
        replace(b, region=b.region.subs(p, two), expr=b.expr.subs(p, two))
        if b.key.endswith(".l2")
        else b
        for b in R
    ]
    return tuple(R)


RECORDS: tuple[Bound, ...] = _records()
BY_KEY: dict[str, Bound] = {b.key: b for b in RECORDS}
assert len(BY_KEY) == len(RECORDS), "duplicate record keys"
