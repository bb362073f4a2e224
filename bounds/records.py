"""Every bound of THEORY.md §2–§4 as a data record.

A record is data, not a code path: what it bounds (parameters, first-layer width, depth,
width, bits), how parameters are counted (all / nonzero), for which norms it holds, where in
(N, d, ρ) it holds (a sympy Boolean), the expression, whether the expression is exact or an
asymptotic rate (constants 1, log factors dropped), and where it comes from.

Value conventions (shared with the JSON output of ``robustmem bounds``):
- upper bounds are the theorem's rate without the additive +d the paper omits ("the trivial
  additive factor d"); the gap of a query adds it back (bounds.query);
- lower bounds are the Ω expression with constant 1;
- nonzero-count upper bounds keep the +d that Thm E.2 states explicitly.

Several upper records may hold at one point (a theorem and the sharper count of one case of
its proof, e.g. KMY Thm B.14 Case V); a query takes the smallest. Every record is a row or a
case of KMY (Table 1, Thm B.14, Eq. (85)) or of THEORY.md, tagged with its source.
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

# KMY Thm B.14 splits the large regime into five cases (its Figure 6): Case I ρ ≥ 1/3; Cases
# II–V ρ < 1/3 with  II: d < 600 log N,  III: N < 600 log N ≤ d,  IV: N ≥ d ≥ 600 log N,
# V: d > N ≥ 600 log N.  "log" is read as the natural logarithm (the JL lemma's). For ℓp the
# cases hold at γρ (the γ-transfer that proves Thm C.11).
THIRD = sp.Rational(1, 3)
LOG_N = 600 * sp.log(N)
CASE_III = sp.And(rho > R2, gamma * rho < THIRD, N < LOG_N, d >= LOG_N)
CASE_V = sp.And(rho > R2, gamma * rho < THIRD, d > N, LOG_N <= N)

# EYS25's seam in Table 1: Õ(N) on (0, 1/(γ√d)), Õ(N d³ (γρ)⁶) on [1/(γ√d), 1/γ). The open
# endpoints of the table leave ρ = 1/(γ√d) itself to neither row; both rates equal N there, so
# it is given to the second (as the ℓ2 records do).
EYS_SEAM = 1 / (sp.sqrt(d) * gamma)

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
        # Thm B.14's proof counts two of its five cases more sharply than the theorem states
        # (it then bounds both by Õ(N d² ρ⁴) for the statement). Case III: project onto the
        # data span (Prop B.21, d·N parameters) and run YGZ24 in R^N (N·N² parameters).
        # Case V: Prop B.21, then the JL projection R^N → R^m with m = Õ(ρ²N) (Prop B.19),
        # then YGZ24 in R^m: (d+1)·m + N·m² parameters.
        cases = (
            (
                "III",
                CASE_III,
                N**3 + d * N,
                N,
                "Õ(N³ + dN)",
                "N < 600 log N ≤ d",
                ("KMY Prop B.21", "YGZ24"),
            ),
            (
                "V",
                CASE_V,
                _g(N**3 * rho**4 + N * d * rho**2),
                _g(rho**2 * N),
                f"Õ(N³({t}ρ)⁴ + N d ({t}ρ)²)",
                "d > N ≥ 600 log N",
                ("KMY Prop B.21", "KMY Prop B.19", "YGZ24"),
            ),
        )
        for case, region, count_e, width_e, rate, cond, deps in cases:
            add(
                Bound(
                    f"KMY.UB.iii.{case}.{fam}",
                    "upper",
                    "params",
                    "all",
                    norms,
                    region,
                    count_e,
                    False,
                    f"KMY Thm B.14 Case {case}" + (" + γ-transfer" if fam == "lp" else ""),
                    "KMY",
                    f"P = {rate} for {t}ρ ∈ (1/(5√d), 1/3), {cond} (proof of Thm B.14)",
                    "large",
                    base + deps,
                )
            )
            add(
                Bound(
                    f"KMY.width.iii.{case}.{fam}",
                    "upper",
                    "width",
                    "all",
                    norms,
                    region,
                    width_e,
                    False,
                    f"KMY Thm B.14 Case {case}" + (" + γ-transfer" if fam == "lp" else ""),
                    "KMY",
                    f"width = Õ({width_e}) (Case {case})",
                    "large",
                    (f"KMY.UB.iii.{case}.{fam}",),
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
    # EYS25's first-layer width bound is a width record (the prior counterpart of LB-width);
    # Table 1 has no parameter row for it. KMY (§3) says it "exceeds the trivial lower bound 1
    # only when ρ ≥ 4832/N", but the formula exceeds 1 exactly when ρ > 4832/N² (at ρ = 4832/N
    # it is already 2). Our reading: the record holds where it says more than the trivial
    # width 1, ρ > 4832/N² (pinned by tests/bounds/test_records_spec.py).
    eys_w = 2 * sp.log(N) / sp.log(4832 / rho)
    add(
        Bound(
            "PRIOR.LB.EYS25.width",
            "lower",
            "first_width",
            "all",
            L2,
            rho > 4832 / N**2,
            eys_w,
            True,
            "EYS25",
            "prior",
            "first width ≥ 2 log N / log(4832/ρ) (> 1 iff ρ > 4832/N²)",
        )
    )
    # YGZ24's ℓ∞ width d is also Table 1's parameter row "p = ∞, ρ ≥ 0.8, Ω(d²)": a first
    # hidden layer of width d on d inputs has ≥ d² weights. YGZ24 assume N > d (KMY §3).
    add(
        Bound(
            "PRIOR.LB.YGZ24",
            "lower",
            "params",
            "all",
            INF_ONLY,
            sp.And(d < N, rho >= sp.Rational(4, 5)),
            d**2,
            False,
            "YGZ24 (KMY Table 1)",
            "prior",
            "P = Ω(d²) for ρ ≥ 0.8 when N > d (ℓ∞; first width ≥ d)",
            rests_on=("PRIOR.LB.YGZ24.width",),
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
    # Table 1's EYS25 rows for general p (the γ-transfer of the ℓ2 ones; p = ∞ included).
    add(
        Bound(
            "PRIOR.UB.EYS25.small.lp",
            "upper",
            "params",
            "all",
            P_NOT_2,
            rho < EYS_SEAM,
            N,
            False,
            "EYS25 (KMY Table 1)",
            "prior",
            "P = Õ(N) for ρ < 1/(γ√d)",
            rests_on=("EYS25", "γ-transfer"),
        )
    )
    add(
        Bound(
            "PRIOR.UB.EYS25.large.lp",
            "upper",
            "params",
            "all",
            P_NOT_2,
            sp.And(rho >= EYS_SEAM, rho < R_TOP),
            _g(N * d**3 * rho**6),
            False,
            "EYS25 (KMY Table 1, as counted in KMY D.3)",
            "prior",
            "P = Õ(N d³ (γρ)⁶) for 1/(γ√d) ≤ ρ < 1/γ",
            rests_on=("EYS25", "γ-transfer"),
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
    # KMY Eq. (85), the middle case: EYS25's network has Θ(N k) layers of width Θ(k) through
    # which the projected point is carried (KMY D.3): Θ(N k³) parameters but Θ(N k²) nonzero
    # ones (a carried coordinate and the constant-width part each touch O(k) weights per
    # layer); with KMY D.3's translation k = Θ(d ρ²) this is Õ(N d² ρ⁴) for ρ ≥ 1/√d, below
    # YGZ24's Õ(N d) up to ρ = d^(−1/4). (Eq. (85) itself is not legible in our copy of the
    # paper; this is our reconstruction from its text, see README.)
    add(
        Bound(
            "PRIOR.UBnz.EYS25.mid",
            "upper",
            "params",
            "nonzero",
            L2,
            rho >= 1 / sp.sqrt(d),
            N * d**2 * rho**4,
            False,
            "EYS25 (KMY Eq. (85), translated as in D.3)",
            "prior",
            "P_nz = Õ(N d² ρ⁴) for ρ ≥ 1/√d",
            rests_on=("EYS25",),
        )
    )
    # The nonzero prior rows for p ≠ 2 by the γ-transfer, as for KMY's Thm E.2 (a reading:
    # KMY states no ℓp nonzero rows).
    add(
        Bound(
            "PRIOR.UBnz.EYS25.lp",
            "upper",
            "params",
            "nonzero",
            P_NOT_2,
            rho < EYS_SEAM,
            N,
            False,
            "EYS25 + γ-transfer",
            "prior",
            "P_nz = Õ(N) for ρ < 1/(γ√d)",
            rests_on=("EYS25", "γ-transfer"),
        )
    )
    add(
        Bound(
            "PRIOR.UBnz.EYS25.mid.lp",
            "upper",
            "params",
            "nonzero",
            P_NOT_2,
            sp.And(rho >= EYS_SEAM, rho < R_TOP),
            _g(N * d**2 * rho**4),
            False,
            "EYS25 (KMY Eq. (85)) + γ-transfer",
            "prior",
            "P_nz = Õ(N d² (γρ)⁴) for 1/(γ√d) ≤ ρ < 1/γ",
            rests_on=("EYS25", "γ-transfer"),
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
