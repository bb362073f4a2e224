"""Human renderings of a bound query: a text table and a LaTeX table."""

from __future__ import annotations

import sympy as sp

from .graph import explain
from .inverse import Interval
from .point import p_label
from .query import Answer, QueryResult, boundaries

NOTE = (
    "rates with constants 1 and log factors dropped; the upper rate omits the paper's +d, "
    "the gap puts it back: max(1, (upper + d)/lower)"
)
NOTE_NZ = (
    "rates with constants 1 and log factors dropped; nonzero upper rates include their +d; "
    "gap = max(1, upper/lower)"
)


def _num(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.4g}"


def _big(x: object, limit: int = 30) -> str:
    """``x`` as text, or a short decimal (5 significant digits; the exact value is in --json)
    when its text is longer than ``limit`` characters."""
    text = str(x)
    if len(text) <= limit:
        return text
    try:
        from fractions import Fraction

        return f"≈{float(Fraction(text)):.5g}"  # bound queries keep numbers below 10^100
    except (ValueError, ZeroDivisionError, OverflowError):
        return f"{text[:12]}...({len(text)} characters; exact: --json)"


def _row(label: str, a: Answer | None, missing: str = "none known") -> str:
    if a is None:
        return f"  {label:<20} {missing}"
    return f"  {label:<20} {_num(a.value):<11} {a.expr:<44} {a.record.source}"


def text_table(r: QueryResult) -> str:
    pt = r.point
    b = boundaries(pt)
    rho_f = float(pt.rho)
    rho_t = str(pt.rho)
    rho_t = f"{rho_t} (≈ {rho_f:.6g})" if len(rho_t) <= 30 else f"≈ {rho_f:.6g} (exact: --json)"
    lines = [
        f"robustmem bounds   N = {_big(pt.N)}   d = {_big(pt.d)}   ρ = {rho_t}   "
        f"p = {_big(p_label(pt.p))}   count = {r.count}",
        f"  {'regime':<20} {r.regime}   (ρ₁ = {_num(b['rho1'])}, ρ₂ = {_num(b['rho2'])}"
        + (f", paper's range ends at 1/γ = {_num(b['rho_top'])})" if b["rho_top"] < 1 else ")"),
        _row(
            "upper (this paper)",
            r.upper,
            "none: the paper gives no upper bound here (ρ ≥ 1/γ_p(d)); see prior upper",
        ),
        _row("lower (this paper)", r.lower),
        _row("prior upper", r.prior_upper),
        _row("prior lower", r.prior_lower),
        _gap_row(r),
        f"  {'first-layer width ≥':<20} {_num(r.first_layer_width.value):<11} "
        f"exact {_big(r.first_layer_width.exact):<38} {r.first_layer_width.record.source}",
    ]
    if r.prior_first_layer_width is not None:
        lines.append(_row("prior width ≥", r.prior_first_layer_width))
    if r.construction:
        parts = [f"{q} Õ({a.expr}) ≈ {_num(a.value)}" for q, a in r.construction.items()]
        lines.append(f"  {'construction':<20} " + "; ".join(parts))
    lines.append(f"  note: {NOTE if r.count == 'all' else NOTE_NZ}")
    return "\n".join(lines)


def _gap_row(r: QueryResult) -> str:
    label = "gap (upper+d)/lower" if r.count == "all" else "gap upper/lower"
    if r.gap is None:
        return f"  {label:<20} —"
    text = f"  {label:<20} {_num(r.gap)}×"
    if r.gap_raw is not None and r.gap_raw < 1:
        raw = r.gap_raw
        shown = _num(raw) if raw < 0.9999 else f"1 − {1 - raw:.2g}"
        text += f"   (rates cross at constants 1: raw ratio {shown})"
    return text


def latex_table(r: QueryResult) -> str:
    pt = r.point

    def row(label: str, a: Answer | None) -> str:
        if a is None:
            return f"{label} & --- & --- & --- \\\\"
        return f"{label} & ${a.latex}$ & {a.value:.4g} & {a.record.source} \\\\"

    rho_tex = sp.latex(sp.Rational(pt.rho.numerator, pt.rho.denominator))
    p_tex = p_label(pt.p).replace("inf", "\\infty")
    out = [
        "% robustmem bounds: " + (NOTE if r.count == "all" else NOTE_NZ),
        "\\begin{tabular}{llrl}",
        "\\hline",
        f"\\multicolumn{{4}}{{l}}{{$N={pt.N}$, $d={pt.d}$, $\\rho={rho_tex}$, "
        f"$p={p_tex}$, regime: {r.regime}, "
        f"count: {r.count}}} \\\\",
        "\\hline",
        "bound & rate & value & source \\\\",
        "\\hline",
        row("upper", r.upper),
        row("lower", r.lower),
        row("prior upper", r.prior_upper),
        row("prior lower", r.prior_lower),
        row("first-layer width", r.first_layer_width),
        "\\hline",
        "\\end{tabular}",
    ]
    return "\n".join(out)


def explain_text(r: QueryResult) -> str:
    lines = ["This answer rests on (foundations first):"]
    for name, source, text in explain([b.key for b in r.used]):
        lines.append(f"  - {name} [{source}]: {text}")
    return "\n".join(lines)


def inverse_text(N: int, d: int, p: str, P: float, count: str, ivs: list[Interval]) -> str:
    lines = [f"robustmem bounds --params {P:g}   N = {N}   d = {d}   p = {p}   count = {count}"]
    for iv in ivs:
        lines.append(
            f"  ρ ∈ ({iv.lo:.6g}, {iv.hi:.6g}{')' if iv.hi == 1 else ']'}  {iv.status:<13}"
            f" regimes: {', '.join(iv.regimes)}"
        )
    lines.append(
        "  sufficient: the paper's upper rate (+d) ≤ P at some ρ' ≥ ρ; "
        "insufficient: its lower rate > P; conflict: rates without constants disagree"
    )
    lines.append(f"  note: {NOTE}; interval ends located in floating point")
    return "\n".join(lines)
