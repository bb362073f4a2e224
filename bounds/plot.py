"""Pictures of the bounds: parameter counts against ρ (fixed N, d, p) or against N (fixed
d, ρ, p), this paper's upper and lower bounds next to prior work, log-log.

Curves come from ``bounds.vectorized.evaluate`` (floats: these are drawings of rates, not
verdicts). The bounds are piecewise with jumps where a record's region starts or stops; the
jump locations are read off the records' regions (solved exactly by sympy, then converted to
floats), the samples are clustered around them, and no line is drawn across one.

Contract of both entry points: validate the input (``BoundsInputError`` for bad numbers,
``ValueError`` for an output suffix other than .png/.svg), write the picture to a temporary
file in the output's directory and rename it over ``out`` (nothing half-written), return
the output path.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from .point import INF, BoundsInputError, parse_count, parse_p, parse_rho
from .records import R1, R2, R_TOP, RECORDS
from .symbols import N as N_SYM
from .symbols import d as D_SYM
from .symbols import p as P_SYM
from .symbols import rho as RHO_SYM
from .vectorized import REGIME_CODES, evaluate

ALLOWED_SUFFIXES = (".png", ".svg")
RHO_TOP_GAP = 1e-6  # the ρ axis ends at 1 − 1e-6
BELOW_RHO1 = 200.0  # the ρ axis starts at ρ₁ / 200 (a bit below ρ₁ / 100)
EDGE = 1e-7  # relative distance of the samples nearest to a jump

NOTE = {
    "all": "constants 1, log factors dropped; KMY upper omits the +d input-layer term "
    "(as the paper states it), the lower bounds include it; gap and crossing shading "
    "compare upper + d with the lower bound",
    "nonzero": "constants 1, log factors dropped; nonzero-count upper bounds keep the +d of "
    "KMY Thm E.2",
}

STYLE = {
    "upper": {"color": "#1f4e9c", "ls": "-", "lw": 2.2, "label": "KMY upper (this paper)"},
    "lower": {"color": "#c0392b", "ls": "-", "lw": 2.2, "label": "KMY lower (this paper)"},
    "prior_upper": {"color": "#7b3fa0", "ls": "--", "lw": 1.6, "label": "prior upper"},
    "prior_lower": {"color": "#e67e22", "ls": "--", "lw": 1.6, "label": "prior lower"},
}
FILL = {
    "imp_upper": {"color": "#2ca02c", "alpha": 0.28, "label": "upper improvement (KMY < prior)"},
    "imp_lower": {"color": "#f1c40f", "alpha": 0.40, "label": "lower improvement (KMY > prior)"},
    "gap": {"color": "#8c8c8c", "alpha": 0.22, "label": "remaining gap (KMY lower → upper)"},
    "inverted": {
        "color": "#d6336c",
        "alpha": 0.55,
        "hatch": "xxx",
        "label": "KMY upper (+d) < KMY lower (artefact of constants 1 / dropped logs)",
    },
}
NONE_LABEL = "no KMY upper bound (prior work only)"
LEGEND_ORDER = [
    STYLE["upper"]["label"],
    STYLE["lower"]["label"],
    STYLE["prior_upper"]["label"],
    STYLE["prior_lower"]["label"],
    FILL["imp_upper"]["label"],
    FILL["imp_lower"]["label"],
    FILL["gap"]["label"],
    FILL["inverted"]["label"],
    NONE_LABEL,
]
REGIME_TEXT = {1: "(i) small", 2: "(ii) moderate", 3: "(iii) large"}


# --------------------------------------------------------------------------------- inputs
def _output_path(out: str | Path | None, fname: str) -> tuple[Path, str]:
    if out is None:
        raise TypeError(f"{fname}() missing required argument 'out' (a .png or .svg path)")
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValueError(
            f"cannot write {str(path)!r}: unsupported output suffix {path.suffix or '(none)'!r}; "
            f"allowed suffixes are {', '.join(ALLOWED_SUFFIXES)}"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"cannot write {str(path)!r}: directory {str(parent)!r} does not exist")
    return path, suffix[1:]


def _count(count: str) -> str:
    if count not in ("all", "nonzero"):
        raise BoundsInputError(f"count = {count!r}: expected 'all' or 'nonzero'")
    return count


def _p_sym(pv: Fraction | float) -> sp.Expr:
    return sp.oo if pv == INF else sp.Rational(pv.numerator, pv.denominator)


def _p_float(pv: Fraction | float) -> float:
    return math.inf if pv == INF else float(pv)


def _p_text(pv: Fraction | float) -> str:
    return "∞" if pv == INF else str(pv)


def _gamma_is_one(pv: Fraction | float) -> bool:
    return pv == 2


# --------------------------------------------------------------------------- breakpoints
def breakpoints(
    var: sp.Symbol,
    fixed: dict[sp.Symbol, sp.Expr],
    count: str,
    pv: Fraction | float,
    lo: float,
    hi: float,
) -> list[float]:
    """Values of ``var`` in (lo, hi) where some parameter-count record's region starts or
    stops, with the other symbols fixed: the only places where a plotted curve may jump."""
    found: set[float] = set()
    for b in RECORDS:
        if b.quantity != "params" or b.count != count or not b.applies(pv):
            continue
        region = b.region.subs(fixed)
        if not isinstance(region, sp.Basic):
            continue
        for rel in region.atoms(sp.core.relational.Relational):
            if var not in rel.free_symbols:
                continue
            try:
                sols = sp.solve(sp.Eq(rel.lhs, rel.rhs), var)
            except (NotImplementedError, ValueError, TypeError):
                continue
            for s in sols:
                try:
                    v = float(sp.N(s, 30))
                except TypeError:  # non-real solution
                    continue
                if lo < v < hi:
                    found.add(v)
    return sorted(found)


# ------------------------------------------------------------------------------ sampling
@dataclass
class Sweep:
    """Samples of one axis variable, split into pieces on which every curve is continuous."""

    x: np.ndarray
    values: dict[str, np.ndarray]
    pieces: list[slice]
    breaks: list[float]

    def near_one(self, start: float) -> Sweep:
        """The samples with x ≥ ``start`` re-expressed in u = 1 − x (increasing order)."""
        keep = self.x >= start
        u = (1 - self.x[keep])[::-1]
        vals = {k: v[keep][::-1] for k, v in self.values.items()}
        ub = sorted(1 - b for b in self.breaks if b >= start)
        return Sweep(u, vals, _split(u, ub, vals["regime"]), ub)


def _cluster(lo: float, hi: float, breaks: Sequence[float], n: int) -> np.ndarray:
    parts = [np.geomspace(lo, hi, n)]
    offsets = np.geomspace(EDGE, 0.3, 60)
    for b in breaks:
        parts += [b * (1 - offsets), b * (1 + offsets)]
    x = np.unique(np.concatenate(parts))
    return x[(x >= lo) & (x <= hi)]


def _split(x: np.ndarray, breaks: Sequence[float], regime: np.ndarray) -> list[slice]:
    """Pieces between consecutive breakpoints; also cut where the regime code changes (a
    safety net should a float comparison disagree with the exact breakpoint)."""
    br = np.asarray(breaks, dtype=float)
    side = np.searchsorted(br, x)
    cut = np.flatnonzero((np.diff(side) != 0) | (np.diff(regime) != 0)) + 1
    bounds = [0, *cut.tolist(), len(x)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b - a >= 1]


def _sweep(x: np.ndarray, breaks: Sequence[float], Nv, dv, rv, pv, count: str) -> Sweep:
    keep = np.ones(len(x), dtype=bool)
    for b in breaks:  # never sample exactly on a jump
        keep &= np.abs(x / b - 1) > EDGE / 2
    x = x[keep]
    vals = evaluate(Nv(x), dv(x), rv(x), pv, count)
    # the gap compares the upper rate with the paper's "trivial additive factor d" put back
    # (nonzero-count rates state it already), as bounds.query does
    vals["upper_plus_d"] = vals["upper"] + (dv(x) if count == "all" else 0.0)
    return Sweep(x, vals, _split(x, breaks, vals["regime"]), list(breaks))


def rho_sweep(
    N: int, d: int, pv: Fraction | float, count: str, n: int = 900
) -> tuple[Sweep, dict[str, float]]:
    """Samples in ρ ∈ [ρ₁/200, 1 − 1e-6] and the regime boundaries ρ₁, ρ₂, 1/γ."""
    fixed = {N_SYM: sp.Integer(N), D_SYM: sp.Integer(d), P_SYM: _p_sym(pv)}
    marks = {
        k: float(sp.N(e.subs(fixed), 30))
        for k, e in (("rho1", R1), ("rho2", R2), ("rho_top", R_TOP))
    }
    lo, hi = marks["rho1"] / BELOW_RHO1, 1 - RHO_TOP_GAP
    breaks = breakpoints(RHO_SYM, fixed, count, pv, lo, hi)
    x = _cluster(lo, hi, breaks, n)
    near_one = 1 - np.geomspace(RHO_TOP_GAP, 0.5, 400)
    x = np.unique(np.concatenate([x, near_one[near_one >= lo]]))
    Nf, df = float(N), float(d)
    sw = _sweep(x, breaks, lambda x: Nf, lambda x: df, lambda x: x, _p_float(pv), count)
    return sw, marks


def n_sweep(
    d: int,
    rho: Fraction,
    pv: Fraction | float,
    count: str,
    N_range: tuple[float, float],
    n: int = 700,
) -> tuple[Sweep, dict[str, float]]:
    """Samples in N over ``N_range`` and the N where ρ = ρ₁(N) (small ↔ moderate)."""
    lo, hi = float(N_range[0]), float(N_range[1])
    fixed = {
        D_SYM: sp.Integer(d),
        RHO_SYM: sp.Rational(rho.numerator, rho.denominator),
        P_SYM: _p_sym(pv),
    }
    marks = {"rho2": float(sp.N(R2.subs(fixed), 30)), "rho_top": float(sp.N(R_TOP.subs(fixed), 30))}
    # ρ ≤ ρ₁(N) ⟺ N ≤ 1/(5 ρ √d γ)
    marks["N1"] = float(sp.N((R2 / RHO_SYM).subs(fixed), 30))  # R1 = R2 / N
    breaks = breakpoints(N_SYM, fixed, count, pv, lo, hi)
    x = _cluster(lo, hi, breaks, n)
    df, rf = float(d), float(rho)
    sw = _sweep(x, breaks, lambda x: x, lambda x: df, lambda x: rf, _p_float(pv), count)
    return sw, marks


# ------------------------------------------------------------------------------- drawing
def _labeller():
    used: set[str] = set()

    def once(label: str) -> str | None:
        if label in used:
            return None
        used.add(label)
        return label

    return once


def _draw_curves(ax: Any, sw: Sweep) -> None:
    once = _labeller()
    v = sw.values
    for sl in sw.pieces:
        x = sw.x[sl]
        up, lo, pu, pl = v["upper"][sl], v["lower"][sl], v["prior_upper"][sl], v["prior_lower"][sl]
        upd = v["upper_plus_d"][sl]
        with np.errstate(invalid="ignore"):
            fills = (
                ("imp_upper", pu, up, up < pu),
                ("imp_lower", pl, lo, lo > pl),
                ("gap", lo, up, up > lo),  # where up < lo ≤ up + d the rates meet: no fill
                ("inverted", upd, lo, upd < lo),  # the band by which upper + d falls short
            )
        for key, a, b, where in fills:
            where = where & np.isfinite(a) & np.isfinite(b)
            if where.any():
                f = FILL[key]
                if "hatch" in f:  # hatched, so that it stays legible over other fills
                    look = {"facecolor": "none", "edgecolor": f["color"], "hatch": f["hatch"]}
                else:
                    look = {"color": f["color"]}
                ax.fill_between(
                    x,
                    a,
                    b,
                    where=where,
                    interpolate=True,
                    alpha=f["alpha"],
                    lw=0,
                    label=once(f["label"]),
                    zorder=1,
                    **look,
                )
        for key in ("prior_upper", "prior_lower", "upper", "lower"):
            y = v[key][sl]
            if np.isfinite(y).any():
                s = STYLE[key]
                ax.plot(
                    x,
                    y,
                    color=s["color"],
                    ls=s["ls"],
                    lw=s["lw"],
                    label=once(s["label"]),
                    zorder=3 if key in ("upper", "lower") else 2,
                )


def _runs(x: np.ndarray, regime: np.ndarray) -> list[tuple[int, float, float]]:
    """Maximal runs of equal regime code as (code, first x, last x)."""
    out: list[tuple[int, float, float]] = []
    start = 0
    for i in range(1, len(x) + 1):
        if i == len(x) or regime[i] != regime[start]:
            out.append((int(regime[start]), float(x[start]), float(x[i - 1])))
            start = i
    return out


def _draw_regimes(ax: Any, sw: Sweep, var: str) -> None:
    """Regime names along the top; hatching where the paper gives no upper bound."""
    import matplotlib.transforms as mtransforms

    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    once = _labeller()
    none_code = REGIME_CODES["none"]
    for code, a, b in _runs(sw.x, sw.values["regime"]):
        mid = math.sqrt(a * b)
        if code == none_code:
            ax.axvspan(
                a,
                b,
                facecolor="none",
                edgecolor="#555555",
                hatch="//",
                lw=0,
                alpha=0.35,
                zorder=0,
                label=once(NONE_LABEL),
            )
            ax.text(
                mid,
                0.62,
                "no KMY upper bound (ρ ≥ 1/γ)",
                transform=trans,
                ha="center",
                va="center",
                fontsize=8,
                rotation=90,
                color="#333333",
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "#999999", "alpha": 0.9},
                zorder=5,
            )
        else:
            ax.text(
                mid,
                0.985,
                REGIME_TEXT[code],
                transform=trans,
                ha="center",
                va="top",
                fontsize=8.5,
                color="#1f4e9c",
                zorder=5,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
            )


def _vline(ax: Any, x: float, text: str, color: str = "#444444", ls: Any = (0, (5, 3))) -> None:
    """A labelled vertical line; the label sits just right of the line, reading upwards."""
    import matplotlib.transforms as mtransforms

    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    trans = mtransforms.offset_copy(trans, fig=ax.figure, x=2.5, y=0, units="points")
    ax.axvline(x, color=color, ls=ls, lw=1.1, zorder=4)
    ax.text(
        x,
        0.03,
        text,
        transform=trans,
        rotation=90,
        ha="left",
        va="bottom",
        fontsize=8,
        color=color,
        zorder=5,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
    )


def _ylim(axes: Sequence[Any], sw: Sweep) -> None:
    ys = np.concatenate([sw.values[k] for k in STYLE])
    ys = ys[np.isfinite(ys) & (ys > 0)]
    if ys.size:
        lo, hi = math.log10(ys.min()), math.log10(ys.max())
        span = max(hi - lo, 1.0)
        for ax in axes:
            ax.set_ylim(10 ** (lo - 0.06 * span), 10 ** (hi + 0.14 * span))


def _figure(title: str, zoom: bool):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12.5, 7.4), dpi=110)
    fig.suptitle(title, fontsize=12.5, y=0.975)
    if zoom:
        ax = fig.add_axes((0.065, 0.27, 0.66, 0.64))
        zx = fig.add_axes((0.745, 0.27, 0.235, 0.64), sharey=ax)
        zx.tick_params(labelleft=False)
    else:
        ax = fig.add_axes((0.065, 0.27, 0.915, 0.64))
        zx = None
    for a in (ax, zx):
        if a is not None:
            a.set_xscale("log")
            a.set_yscale("log")
            a.grid(True, which="major", color="#dddddd", lw=0.6)
    return fig, ax, zx


def _finish(fig: Any, axes: Sequence[Any], count: str, path: Path, fmt: str) -> Path:
    got: dict[str, Any] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            got.setdefault(lab, h)
    labels = [lab for lab in LEGEND_ORDER if lab in got]
    fig.legend(
        [got[lab] for lab in labels],
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.04),
        ncol=3,
        fontsize=9,
        frameon=False,
    )
    fig.text(
        0.5,
        0.012,
        NOTE[count],
        ha="center",
        va="bottom",
        fontsize=8.5,
        style="italic",
        color="#444444",
    )
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    # a fresh name in the output's directory, created with the umask's usual permissions
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        fig.savefig(tmp, format=fmt, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _count_text(count: str) -> str:
    return "all parameters" if count == "all" else "nonzero parameters"


# ---------------------------------------------------------------------------- public API
ZOOM_FROM = 0.5  # the ρ → 1 panel shows ρ ∈ [1/2, 1 − 1e-6] against 1 − ρ


def plot_vs_rho(
    N: int | str,
    d: int | str,
    p: Any = 2,
    count: str = "all",
    out: str | Path | None = None,
) -> Path:
    """Bounds on the parameter count against ρ ∈ (0, 1) at fixed N, d, p (log-log).

    Draws this paper's (KMY) upper and lower bound, the prior upper and lower bound, the
    improvement regions and the remaining gap, the regime boundaries ρ₁, ρ₂ (and 1/γ for
    p ≠ 2); a side panel magnifies ρ → 1 on a 1 − ρ axis (on a log ρ axis everything that
    happens above ρ ≈ 0.99 is squeezed into the last pixels). Writes ``out`` (.png or .svg)
    atomically and returns its path."""
    path, fmt = _output_path(out, "plot_vs_rho")
    Nn, dn, pv, count = parse_count(N, "N", 2), parse_count(d, "d", 1), parse_p(p), _count(count)
    sw, marks = rho_sweep(Nn, dn, pv, count)
    fig, ax, zx = _figure(
        f"Robust memorization bounds vs ρ:  N = {Nn},  d = {dn},  "
        f"p = {_p_text(pv)},  {_count_text(count)}",
        zoom=True,
    )
    g = "" if _gamma_is_one(pv) else "γ"
    lines = [
        (marks["rho1"], f"ρ₁ = 1/(5N√d{g}) ≈ {marks['rho1']:.3g}", "#444444"),
        (marks["rho2"], f"ρ₂ = 1/(5√d{g}) ≈ {marks['rho2']:.3g}", "#444444"),
    ]
    if not _gamma_is_one(pv) and marks["rho_top"] < 1:
        lines.append((marks["rho_top"], f"1/γ = d^−|1/2−1/p| ≈ {marks['rho_top']:.3g}", "#8e2c2c"))

    _draw_curves(ax, sw)
    ax.set_xlim(sw.x[0], 1.0)
    _draw_regimes(ax, sw, "rho")
    for x, text, color in lines:
        _vline(ax, x, text, color)
    ax.axvspan(ZOOM_FROM, 1.0, color="#4a90d9", alpha=0.07, lw=0, zorder=0)
    ax.set_xlabel("robustness ratio ρ = μ / ε_D  (log scale, up to 1 − 10⁻⁶)")
    ax.set_ylabel(f"{_count_text(count)}  P")

    zs = sw.near_one(ZOOM_FROM)
    _draw_curves(zx, zs)
    zx.set_xlim(zs.x[-1], zs.x[0])  # reversed: ρ grows to the right
    _draw_regimes(zx, zs, "rho")
    for x, text, color in lines:
        if x >= ZOOM_FROM:
            _vline(zx, 1 - x, text.split(" =")[0], color)
    if pv != INF and dn > 1:
        split = (1 - 1 / dn) ** (1 / float(pv))
        if split >= ZOOM_FROM and 1 - split > RHO_TOP_GAP:
            _vline(zx, 1 - split, "ρ = (1 − 1/d)^(1/p)", "#7a7a7a", ls=":")
    zx.set_facecolor("#f4f8fd")
    zx.set_title("zoom: ρ → 1", fontsize=10)
    zx.set_xlabel("1 − ρ  (log scale, reversed)")
    _ylim((ax, zx), sw)
    return _finish(fig, (ax, zx), count, path, fmt)


def plot_vs_N(
    d: int | str,
    rho: Any,
    p: Any = 2,
    count: str = "all",
    out: str | Path | None = None,
    N_range: tuple[float, float] = (2, 10**8),
) -> Path:
    """Bounds on the parameter count against N over ``N_range`` at fixed d, ρ, p (log-log),
    with the same curves and shading as :func:`plot_vs_rho`. Writes ``out`` atomically."""
    path, fmt = _output_path(out, "plot_vs_N")
    dn, pv, count = parse_count(d, "d", 1), parse_p(p), _count(count)
    rv = parse_rho(Fraction(rho) if isinstance(rho, float) else rho)
    lo, hi = N_range
    if not (2 <= lo < hi and math.isfinite(hi)):
        raise BoundsInputError(f"N_range = {N_range!r}: need 2 ≤ low < high < ∞")
    sw, marks = n_sweep(dn, rv, pv, count, (lo, hi))
    fig, ax, _ = _figure(
        f"Robust memorization bounds vs N:  d = {dn},  ρ = {float(rv):.4g},  "
        f"p = {_p_text(pv)},  {_count_text(count)}",
        zoom=False,
    )
    _draw_curves(ax, sw)
    ax.set_xlim(lo, hi)
    _draw_regimes(ax, sw, "N")
    g = "" if _gamma_is_one(pv) else "γ"
    if lo < marks["N1"] < hi and float(rv) <= marks["rho2"]:
        _vline(ax, marks["N1"], f"ρ = ρ₁(N) at N = 1/(5ρ√d{g}) ≈ {marks['N1']:.4g}")
    where = f"ρ₂ = 1/(5√d{g}) ≈ {marks['rho2']:.3g}" + (
        "" if _gamma_is_one(pv) else f",  1/γ ≈ {marks['rho_top']:.3g}"
    )
    ax.text(
        0.01, 0.985, where, transform=ax.transAxes, ha="left", va="top", fontsize=8, color="#444444"
    )
    ax.set_xlabel("number of points N  (log scale)")
    ax.set_ylabel(f"{_count_text(count)}  P")
    _ylim((ax,), sw)
    return _finish(fig, (ax,), count, path, fmt)


__all__ = ["plot_vs_rho", "plot_vs_N", "breakpoints", "rho_sweep", "n_sweep", "ALLOWED_SUFFIXES"]
