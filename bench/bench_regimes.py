"""Benchmark of the builders across the regimes (not a test).

    python bench/bench_regimes.py [--quick] [--seed 20251125] [--figure docs/builders_vs_rho.png]
                                  [--figure-n 64] [--json OUT]
    python bench/bench_regimes.py --rate [--json OUT]
    python bench/bench_regimes.py --projection [--json OUT]
    python bench/bench_regimes.py --error [--json OUT]

(a) Parameters against N in the moderate regime: seeded random datasets (N distinct dyadic
    points k/1024 in [0, 1)^d, 3 classes at random; generic data, not a grid: on integer grids
    the lattice step is trivial and the small builder works up to ρ ≈ 1/2) in d = 4 at ONE
    fixed ρ = 1/50 (ℓ2). ρ₂ = 1/(5√d) =
    1/10 and ρ₁(N) = 1/(5N√d) < 1/50 for every N ≥ 6, so every N of the sweep is in regime
    (ii) — checked exactly with bounds.query before anything is built. Built: the moderate
    builder (η = 1/10) with its default grouping (``moderate``: auto, the smaller of the
    paper's grouping and the cover by exact size) and with the paper's grouping
    (``moderate-paper``), and the large builder for comparison. Printed per N: params,
    nonzero, depth, width, bits, groups K, group size g, the groups' own sizes Σ_k P(f_k) (the
    builder's ``group_networks`` stage), for the paper's grouping the old "K groups × (d
    floors + plain memorizer of g points)" model Σ_k [d·(20n − 13) + 12·g_k + 1], the THEORY
    rate N·d^{1/4}·ρ^{1/2} + d and construction seconds; then least-squares log-log slopes
    (numpy.polyfit) of every column against N.
(b) Parameters against ρ at fixed N = 64 (``--figure-n``), d = 4 (the same generator): every
    builder at log-spaced ρ from ρ₁/100 to 0.95 plus ρ₁, ρ₂ (ℓ2) — small (where it builds:
    it refuses once the scaled balls no longer clear the cell faces, a data-dependent ρ),
    moderate (η = 1/10, for ρ ≤ ρ₂; default grouping and the paper's), large, baseline (the
    bump memorizer, while the box around the ℓ2 ball stays below ε∞) — with the slope of
    every builder's params against ρ inside regime (ii) (THEORY for moderate: 1/2).
    ``--figure PNG`` draws these counts (log-log) over the bound curves of bounds.plot (KMY
    upper/lower, prior upper/lower; constants 1, logs dropped) with the regime boundaries
    ρ₁, ρ₂ marked and the regimes shaded (matplotlib, Agg backend).

(c) ``--rate``: the moderate builder's rate (issue 13 item 3). At fixed N (d = 4, the same
    generator) and RATE_POINTS log-spaced ρ from 1.01·ρ₁ to ρ₂ (every one in regime (ii) by
    bounds.query): the exact size formula ``constructions.moderate.moderate_size`` for the
    paper's grouping and the cover grouping, the built network's count next to
    it where built (they must agree), groups K, and the slope of log params on log ρ, for
    paper, cover and the default (the smaller at each ρ). Then at ρ = √(ρ₁ρ₂) (rounded to a
    rational, regime (ii)) for N = 2^5 … 2^10: moderate (paper and cover, built), large
    (built), the lower bound of large that ``auto`` uses, and what ``construct(..., "auto")``
    picks — N₀ is the least N from which moderate is smaller (for the paper's grouping and
    for the default grouping).

(d) ``--projection``: the projection paths at d where they apply (never at d = 4). For
    (N, d) = (256, 256), (256, 1024), (1024, 1024) at ρ = √(ρ₁ρ₂) (ℓ2, regime (ii)), the same
    generator: the moderate builder's exact size (its plan, default grouping) with m = d,
    with the paper's rule (m = min{d, max{⌈864 ln N⌉, ⌈10 ln d⌉}}: d in every case, so no
    projection) and with the adaptive projection (built where small enough, its count equal
    to the formula), and the large builder's lower bound (every facet count 1) at m = d and
    at the data's rank (its span projection when d ≥ N). Then (d') one projected moderate
    network (N = 24, d = 64) built and certified ball by ball.

(e) ``--error``: ``certify --error``'s two stages on the banded moderate network of issue 13
    (N = 64, d = 4, ρ = 1/20, cover grouping): certify (linear engine, 2 s per ball), then the
    error measurement of every ball (60 s of wall clock each at most), per ball and in total.

Build time is the time of ``constructions.build.construct`` (ε is computed before, untimed).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bounds.point import Point  # noqa: E402
from bounds.query import boundaries, query  # noqa: E402
from certify.dataset import Dataset  # noqa: E402
from certify.errors import InputError  # noqa: E402
from certify.run import make_radius  # noqa: E402
from constructions.build import construct  # noqa: E402

SEED = 20251125
D = 4
CLASSES = 3
RHO_N = Fraction(1, 50)  # part (a): moderate for every N ≥ 6 at d = 4
ETA = Fraction(1, 10)
FULL_NS = [64, 128, 256, 512, 1024]
QUICK_NS = [32, 64, 128, 256]
FIG_N = 64
FULL_RHOS = 25
QUICK_RHOS = 10
GRID = 1024  # coordinates k / GRID
BUILDERS = ("small", "moderate", "moderate-paper", "large", "baseline")
MODERATES = ("moderate", "moderate-paper")  # default grouping (auto), the paper's grouping
P2 = Fraction(2)


def dataset(N: int, d: int, seed: int, classes: int = CLASSES) -> Dataset:
    """N distinct seeded random dyadic points k/1024 in [0, 1)^d (exact binary floats),
    labels 1..classes uniformly at random (every class present)."""
    rng = np.random.default_rng([seed, N, d])
    while True:
        X = rng.integers(0, GRID, size=(N, d))
        if len({tuple(r) for r in X.tolist()}) < N:
            continue
        y = rng.integers(1, classes + 1, size=N)
        if len(set(y.tolist())) == min(classes, N):
            return Dataset.from_arrays(X / float(GRID), y)


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y on log x (numpy.polyfit, degree 1); NaN below 2 points."""
    if len(xs) < 2:
        return float("nan")
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def check_moderate(Ns: list[int], d: int, rho: Fraction) -> None:
    """Every (N, d, ρ) of the sweep is in regime (ii), decided exactly by bounds.query."""
    for N in Ns:
        got = query(Point(N, d, rho, P2)).regime
        if got != "moderate":
            raise AssertionError(f"ρ = {rho} is in regime {got} at N = {N}, d = {d}")


def moderate_model(rep: dict[str, Any], N: int, d: int) -> int:
    """Σ_k [d·P(floor_gadget(n)) + P(plain_memorizer(g_k))] over the K groups."""
    n = rep["bits_grid"]
    floor = 10 if n == 1 else 20 * n - 13
    g, K = rep["group_size"], rep["groups"]
    sizes = [min(g, N - k * g) for k in range(K)]
    return sum(d * floor + 12 * s + 1 for s in sizes)


def _build(ds: Dataset, rho: Fraction, method: str, seed: int) -> dict[str, Any]:
    """One construction; ``method`` "moderate-paper" is the moderate builder with
    grouping="paper" (plain "moderate": its default grouping)."""
    rad = make_radius(ds, "2", rho=rho)
    kw: dict[str, Any] = {"eta": ETA}
    if method == "moderate-paper":
        method, kw["grouping"] = "moderate", "paper"
    t0 = time.perf_counter()
    net, rep = construct(ds, rad, method, seed=seed, **kw)
    t = time.perf_counter() - t0
    row = {
        "N": ds.N,
        "rho": rho,
        "method": rep["method"],
        "params": rep["params"],
        "num_params": net.num_params(),
        "nonzero": rep["params_nonzero"],
        "depth": rep["depth"],
        "width": rep["width"],
        "bits": rep["bits"],
        "seconds": t,
        "formula_value": rep["formula_value"],
        "regime": rep["regime"],
    }
    if rep["method"] == "moderate":
        row.update(
            groups=rep["groups"],
            group_size=rep["group_size"],
            grouping=rep["grouping"],
            group_networks=rep["stages"]["group_networks"],
            error_bound_max=rep["error_bound_max_float"],
            bits_grid=rep["bits_grid"],
        )
    return row


def n_sweep(
    Ns: list[int], d: int = D, rho: Fraction = RHO_N, seed: int = SEED, log=print
) -> dict[str, Any]:
    """Part (a): moderate (default and paper grouping) and large builders at every N, fixed
    (d, ρ) in regime (ii)."""
    check_moderate(Ns, d, rho)
    rows: dict[str, list[dict[str, Any]]] = {m: [] for m in (*MODERATES, "large")}
    for N in Ns:
        ds = dataset(N, d, seed)
        b = boundaries(Point(N, d, rho, P2))
        for method in rows:
            row = _build(ds, rho, method, seed)
            row["rho1"], row["rho2"] = b["rho1"], b["rho2"]
            if method == "moderate-paper":
                row["model"] = moderate_model(row, N, d)
            rows[method].append(row)
        log(
            f"  N = {N}: "
            + ", ".join(
                f"{m} {r[-1]['params']} ({r[-1]['seconds']:.2f} s)" for m, r in rows.items()
            ),
            flush=True,
        )
    return {"d": d, "rho": str(rho), "seed": seed, "Ns": Ns, "rows": rows}


def n_slopes(res: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m, rows in res["rows"].items():
        Ns = [r["N"] for r in rows]
        out[f"{m} params"] = slope(Ns, [r["params"] for r in rows])
        out[f"{m} nonzero"] = slope(Ns, [r["nonzero"] for r in rows])
        out[f"{m} width"] = slope(Ns, [r["width"] for r in rows])
        out[f"{m} seconds"] = slope(Ns, [max(r["seconds"], 1e-6) for r in rows])
    for m in MODERATES:
        mod = res["rows"][m]
        Ns = [r["N"] for r in mod]
        out[f"{m} Σ groups"] = slope(Ns, [r["group_networks"] for r in mod])
    out["moderate-paper model"] = slope(Ns, [r["model"] for r in mod])
    out["THEORY N·d^¼·ρ^½ + d"] = slope(Ns, [r["formula_value"] for r in mod])
    return out


def rho_grid(N: int, d: int, points: int) -> list[Fraction]:
    """Log-spaced ρ from ρ₁/100 to 0.95, plus ρ₁ and ρ₂ themselves (rounded to rationals)."""
    b = boundaries(Point(N, d, Fraction(1, 2), P2))
    xs = list(np.geomspace(b["rho1"] / 100, 0.95, points)) + [b["rho1"], b["rho2"]]
    return sorted({Fraction(float(x)).limit_denominator(10**6) for x in xs})


def rho_sweep(
    N: int = FIG_N, d: int = D, points: int = FULL_RHOS, seed: int = SEED, log=print
) -> dict[str, Any]:
    """Part (b): every builder at every ρ of ``rho_grid`` (refusals recorded, not fatal)."""
    ds = dataset(N, d, seed)
    b = boundaries(Point(N, d, Fraction(1, 2), P2))
    rows: dict[str, list[dict[str, Any]]] = {m: [] for m in BUILDERS}
    refused: dict[str, list[str]] = {m: [] for m in BUILDERS}
    skipped: list[float] = []
    for rho in rho_grid(N, d, points):
        regime = query(Point(N, d, rho, P2)).regime
        for m in BUILDERS:
            if m in MODERATES and regime not in ("small", "moderate"):
                skipped.append(float(rho))  # above ρ₂: K → N groups, slow and huge
                continue
            try:
                row = _build(ds, rho, m, seed)
            except InputError as e:
                refused[m].append(f"ρ = {float(rho):.4g}: {str(e)[:70]}")
                continue
            row["regime_query"] = regime
            rows[m].append(row)
        log(
            f"  ρ = {float(rho):.4g} ({regime}): "
            + ", ".join(
                f"{m} {r[-1]['params']}" for m, r in rows.items() if r and r[-1]["rho"] == rho
            ),
            flush=True,
        )
    return {
        "N": N,
        "d": d,
        "seed": seed,
        "eps2_squared": str(ds.epsilon_power(2)),
        "rho1": b["rho1"],
        "rho2": b["rho2"],
        "rows": rows,
        "refused": refused,
        "moderate_skipped": skipped,
    }


def rho_slopes(res: dict[str, Any]) -> dict[str, float]:
    """Slopes of log params on log ρ, per builder, over the points inside regime (ii) (and,
    for the large builder, also inside regime (iii))."""
    out = {}
    for m, rows in res["rows"].items():
        mod = [r for r in rows if r["regime_query"] == "moderate"]
        out[f"{m} in (ii)"] = slope([float(r["rho"]) for r in mod], [r["params"] for r in mod])
    lg = [r for r in res["rows"]["large"] if r["regime_query"] == "large"]
    out["large in (iii)"] = slope([float(r["rho"]) for r in lg], [r["params"] for r in lg])
    for m in MODERATES:
        mod = [r for r in res["rows"][m] if r["regime_query"] == "moderate"]
        out[f"{m} nonzero in (ii)"] = slope(
            [float(r["rho"]) for r in mod], [r["nonzero"] for r in mod]
        )
    return out


# ------------------------------------------------------------------------------- (c) rate
RATE_NS = [256, 1024]
RATE_BUILT_MAX_N = 256  # build (and compare with the formula) at every ρ up to this N
RATE_POINTS = 9
CROSS_NS = [32, 64, 128, 256, 512, 1024]


def rate_rhos(N: int, d: int, points: int = RATE_POINTS) -> list[Fraction]:
    """Log-spaced ρ from 1.01·ρ₁ to ρ₂, rounded to rationals, all in regime (ii) (checked)."""
    b = boundaries(Point(N, d, Fraction(1, 2), P2))
    out = []
    for x in np.geomspace(b["rho1"] * 1.01, b["rho2"], points):
        rho = Fraction(float(x)).limit_denominator(10**7)
        while query(Point(N, d, rho, P2)).regime != "moderate":  # ρ₂ rounded up: step down
            rho = Fraction(rho.numerator - 1, rho.denominator)
        out.append(rho)
    return out


def rate_sweep(
    Ns: list[int] = RATE_NS, d: int = D, points: int = RATE_POINTS, seed: int = SEED, log=print
) -> dict[str, Any]:
    """Part (c1): moderate size against ρ at fixed N, paper and cover grouping."""
    from constructions.moderate import build_moderate, plan_moderate

    out: dict[str, Any] = {"d": d, "seed": seed, "sweeps": []}
    for N in Ns:
        ds = dataset(N, d, seed)
        rows = []
        for rho in rate_rhos(N, d, points):
            rad = make_radius(ds, "2", rho=rho)
            row: dict[str, Any] = {"N": N, "rho": rho}
            for grouping in ("paper", "cover"):
                t0 = time.perf_counter()
                plan = plan_moderate(ds, rad.radius_power, 2, ETA, grouping=grouping)
                row[grouping] = plan.params
                row[f"{grouping} K"] = len(plan.groups)
                row[f"{grouping} sqrt"] = sum(g.memorizer == "sqrt" for g in plan.groups)
                row[f"{grouping} plan s"] = time.perf_counter() - t0
                if N <= RATE_BUILT_MAX_N:
                    t0 = time.perf_counter()
                    net, rep = build_moderate(ds, rad.radius_power, 2, ETA, grouping=grouping)
                    row[f"{grouping} built"] = net.num_params()
                    row[f"{grouping} build s"] = time.perf_counter() - t0
                    row[f"{grouping} η-bound"] = float(rep.max_error_bound)
            rows.append(row)
            log(
                f"  N = {N}, ρ = {float(rho):.4g}: paper {row['paper']} (K {row['paper K']}), "
                f"cover {row['cover']} (K {row['cover K']})",
                flush=True,
            )
        xs = [float(r["rho"]) for r in rows]
        out["sweeps"].append(
            {
                "N": N,
                "rows": rows,
                "slope paper": slope(xs, [r["paper"] for r in rows]),
                "slope cover": slope(xs, [r["cover"] for r in rows]),
                "slope default": slope(xs, [min(r["paper"], r["cover"]) for r in rows]),
            }
        )
    return out


def crossover(Ns: list[int] = CROSS_NS, d: int = D, seed: int = SEED, log=print) -> dict[str, Any]:
    """Part (c2): at ρ = √(ρ₁ρ₂), moderate (paper, cover) against large, and auto's pick."""
    from constructions.build import _large_size_lower
    from constructions.moderate import build_moderate, moderate_size

    rows = []
    for N in Ns:
        b = boundaries(Point(N, d, Fraction(1, 2), P2))
        rho = Fraction(math.sqrt(b["rho1"] * b["rho2"])).limit_denominator(10**7)
        assert query(Point(N, d, rho, P2)).regime == "moderate"
        ds = dataset(N, d, seed)
        rad = make_radius(ds, "2", rho=rho)
        row: dict[str, Any] = {"N": N, "rho": rho}
        for grouping in ("paper", "cover"):
            t0 = time.perf_counter()
            net, rep = build_moderate(ds, rad.radius_power, 2, ETA, grouping=grouping)
            row[grouping] = net.num_params()
            row[f"{grouping} formula"] = moderate_size(
                ds, rad.radius_power, 2, ETA, grouping=grouping
            )
            row[f"{grouping} K"] = rep.groups
            row[f"{grouping} s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        row["large"] = construct(ds, rad, "large", seed=seed)[1]["params"]
        row["large s"] = time.perf_counter() - t0
        row["large lower"] = _large_size_lower(ds, rad, "auto")
        t0 = time.perf_counter()
        _, arep = construct(ds, rad, "auto", seed=seed, eta=ETA)
        row["auto"] = arep["method"]
        row["auto params"] = arep["params"]
        row["auto s"] = time.perf_counter() - t0
        row["default"] = min(row["paper"], row["cover"])  # the default grouping (auto)
        row["auto built large"] = not (
            arep["method"] == "moderate" and row["default"] < row["large lower"]
        )
        rows.append(row)
        log(
            f"  N = {N}, ρ = {float(rho):.4g}: moderate {row['paper']} (cover {row['cover']}), "
            f"large {row['large']} (≥ {row['large lower']}), auto → {row['auto']}",
            flush=True,
        )

    def n0(key: str) -> int | None:
        out = None
        for r in reversed(rows):
            if r[key] < r["large"]:
                out = r["N"]
            else:
                break
        return out

    return {"d": d, "seed": seed, "rows": rows, "N0": n0("paper"), "N0 default": n0("default")}


def report_rate(res: dict[str, Any], cross: dict[str, Any]) -> None:
    for sw in res["sweeps"]:
        print(f"\n== (c1) moderate builder against ρ, ℓ2, N = {sw['N']}, d = {res['d']}, η = {ETA}")
        print(
            f"{'ρ':>10} {'paper':>9} {'built':>9} {'K':>4} {'√':>4} {'η-bnd':>7}"
            f" {'cover':>9} {'built':>9} {'K':>4} {'√':>4} {'η-bnd':>7} {'build s':>8}"
        )
        for r in sw["rows"]:
            print(
                f"{float(r['rho']):>10.4g} {r['paper']:>9} {_g(r.get('paper built')):>9} "
                f"{r['paper K']:>4} {r['paper sqrt']:>4} {_g(r.get('paper η-bound'), '.3g'):>7} "
                f"{r['cover']:>9} {_g(r.get('cover built')):>9} {r['cover K']:>4} "
                f"{r['cover sqrt']:>4} {_g(r.get('cover η-bound'), '.3g'):>7} "
                f"{_g(r.get('paper build s'), '.2f'):>8}"
            )
        print(
            f"  slope d log params / d log ρ: paper grouping {sw['slope paper']:.3f}, "
            f"cover grouping {sw['slope cover']:.3f}, default (the smaller) "
            f"{sw['slope default']:.3f} (THEORY 0.5)"
        )
    print(f"\n== (c2) at ρ = √(ρ₁ρ₂), ℓ2, d = {cross['d']}: moderate against large")
    print(
        f"{'N':>6} {'ρ':>10} {'paper':>9} {'formula':>9} {'K':>4} {'cover':>9} {'K':>4}"
        f" {'large':>9} {'large ≥':>9} {'auto':>9} {'auto s':>7} {'large built':>11}"
    )
    for r in cross["rows"]:
        print(
            f"{r['N']:>6} {float(r['rho']):>10.4g} {r['paper']:>9} {r['paper formula']:>9} "
            f"{r['paper K']:>4} {r['cover']:>9} {r['cover K']:>4} {r['large']:>9} "
            f"{r['large lower']:>9} {r['auto']:>9} {r['auto s']:>7.2f} "
            f"{str(r['auto built large']):>11}"
        )
    print(f"  N₀ (moderate, paper grouping, smaller than large from here on): {cross['N0']}")
    print(
        "  N₀ (moderate, default grouping = the smaller of paper and cover, smaller than large "
        f"from here on): {cross['N0 default']}"
    )


# --------------------------------------------------------------------------------- figure
MARK = {
    "small": ("o", "#2a7f62"),
    "moderate": ("D", "#6a4c9c"),
    "moderate-paper": ("v", "#b08fd8"),
    "large": ("s", "#b5562a"),
    "baseline": ("^", "#333333"),
}


LABEL = {
    "moderate": "moderate builder (default grouping)",
    "moderate-paper": "moderate builder (paper's grouping)",
}


def plot(res: dict[str, Any], out: str | Path) -> Path:
    """One log-log panel: the bound curves of bounds.plot against ρ at (N, d), ρ₁ and ρ₂, and
    the builders' actual parameter counts (all parameters, zeros included, as the bounds
    count them; the moderate builder's nonzero count hollow)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from bounds.plot import _draw_curves, _draw_regimes, _vline
    from bounds.plot import rho_sweep as bound_sweep

    N, d = res["N"], res["d"]
    sw, marks = bound_sweep(N, d, P2, "all", n=400)
    fig = Figure(figsize=(12.0, 7.6), dpi=100)
    ax = fig.add_axes((0.07, 0.28, 0.91, 0.65))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="major", color="#dddddd", lw=0.6)
    _draw_curves(ax, sw)
    _draw_regimes(ax, sw, "rho")
    _vline(ax, marks["rho1"], f"ρ₁ = 1/(5N√d) ≈ {marks['rho1']:.3g}")
    _vline(ax, marks["rho2"], f"ρ₂ = 1/(5√d) = {marks['rho2']:.3g}")
    for m, rows in res["rows"].items():
        if not rows:
            continue
        mk, col = MARK[m]
        xs = [float(r["rho"]) for r in rows]
        ax.plot(
            xs,
            [r["params"] for r in rows],
            marker=mk,
            color=col,
            ms=8 if m == "small" else 6,
            mfc="none" if m == "small" else col,
            mew=1.4 if m == "small" else 1.0,
            lw=1.0,
            zorder=7 if m == "small" else 6,  # hollow rings around coinciding moderate marks
            label=LABEL.get(m, f"{m} builder"),
        )
        if m == "moderate":
            ax.plot(
                xs,
                [r["nonzero"] for r in rows],
                marker=mk,
                color=col,
                mfc="none",
                ms=6,
                lw=0.8,
                ls=":",
                zorder=6,
                label="moderate builder (default grouping), nonzero",
            )
    ax.set_xlim(sw.x[0], 1.0)
    ys = [r["params"] for rows in res["rows"].values() for r in rows]
    ys += [r["nonzero"] for r in res["rows"].get("moderate", [])]
    finite = [v for k in ("upper", "lower", "prior_upper", "prior_lower") for v in sw.values[k]]
    finite = [v for v in finite if np.isfinite(v) and v > 0]
    lo, hi = min(ys + finite), max(ys + finite)
    ax.set_ylim(lo / 2, hi * 4)
    ax.set_xlabel("robustness ratio ρ = μ / ε₂  (log scale)")
    ax.set_ylabel("parameters P, all weights and biases (log scale)")
    fig.suptitle(
        f"Builders vs bounds: actual parameter counts against ρ, ℓ2, N = {N} random points "
        f"in d = {d} (seed {res['seed']})",
        fontsize=11.5,
        y=0.975,
    )
    h, lab = ax.get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", bbox_to_anchor=(0.5, 0.03), ncol=3, fontsize=8)
    fig.text(
        0.5,
        0.008,
        "bound curves: rates with constants 1, log factors dropped (bounds.plot); builders: "
        "exact counts of the constructed networks",
        ha="center",
        va="bottom",
        fontsize=8,
        style="italic",
        color="#444444",
    )
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, format="png", metadata={"Software": None})
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------------- report
def _g(v: Any, spec: str = "") -> str:
    return "-" if v is None else format(v, spec)


def report_n(res: dict[str, Any], sl: dict[str, float]) -> None:
    for m, rows in res["rows"].items():
        print(f"\n== (a) {m} builder, ℓ2, d = {res['d']}, ρ = {res['rho']} (regime (ii) ∀N)")
        head = (
            f"{'N':>6} {'params':>10} {'nonzero':>9} {'depth':>5} {'width':>6} {'bits':>5}"
            f" {'K':>4} {'g':>4} {'Σ groups':>9} {'model':>8} {'rate':>8} {'build s':>8}"
        )
        print(head)
        for r in rows:
            print(
                f"{r['N']:>6} {r['params']:>10} {r['nonzero']:>9} {r['depth']:>5} "
                f"{r['width']:>6} {r['bits']:>5} {_g(r.get('groups')):>4} "
                f"{_g(r.get('group_size')):>4} {_g(r.get('group_networks')):>9} "
                f"{_g(r.get('model')):>8} {r['formula_value']:>8.4g} {r['seconds']:>8.2f}"
            )
    print("\n== (a) slopes d log(·) / d log N (numpy.polyfit)")
    for k, v in sl.items():
        print(f"  {k:<26} {v:6.3f}")


def report_rho(res: dict[str, Any], sl: dict[str, float]) -> None:
    print(
        f"\n== (b) every builder against ρ, ℓ2, N = {res['N']}, d = {res['d']}, "
        f"ε₂² = {res['eps2_squared']}; ρ₁ ≈ {res['rho1']:.4g}, ρ₂ = {res['rho2']:.4g}"
    )
    rhos = sorted({r["rho"] for rows in res["rows"].values() for r in rows})
    by = {m: {r["rho"]: r for r in rows} for m, rows in res["rows"].items()}
    print(
        f"{'ρ':>10} {'regime':>9} "
        + " ".join(f"{m:>14}" for m in BUILDERS)
        + f" {'mod. nz':>9} {'K':>4} {'K pap.':>6} {'mod. η-bound':>12}"
    )
    for rho in rhos:
        reg = next(by[m][rho]["regime_query"] for m in BUILDERS if rho in by[m])
        mod = by["moderate"].get(rho)
        pap = by["moderate-paper"].get(rho)
        print(
            f"{float(rho):>10.4g} {reg:>9} "
            + " ".join(
                f"{_g(by[m][rho]['params'] if rho in by[m] else None):>14}" for m in BUILDERS
            )
            + f" {_g(mod and mod['nonzero']):>9} {_g(mod and mod['groups']):>4}"
            + f" {_g(pap and pap['groups']):>6}"
            + f" {_g(mod and mod['error_bound_max'], '.3g'):>12}"
        )
    for m, msgs in res["refused"].items():
        if msgs:
            print(f"  {m} refused (InputError) at {len(msgs)} ρ, first {msgs[0]}")
    if res["moderate_skipped"]:
        print(
            f"  moderate not attempted above ρ₂ ({len(set(res['moderate_skipped']))} ρ): "
            "outside its regime (the paper's grouping needs a group per point there)"
        )
    print("\n== (b) slopes d log params / d log ρ (numpy.polyfit)")
    for k, v in sl.items():
        print(f"  {k:<32} {v:6.3f}")
    print(f"  {'THEORY (ii): N·d^¼·ρ^½':<32} {0.5:6.3f}")
    print(f"  {'THEORY (iii): N·d²·ρ⁴':<32} {4.0:6.3f}")


PROJ_CASES = [(256, 256), (256, 1024), (1024, 1024)]
PROJ_CERT = (24, 64)  # the projected network certified end to end
PROJ_BUILD = 200_000  # build (and count) the projected moderate network up to this size


def _sqrt_rho(N: int, d: int) -> Fraction:
    """ρ = √(ρ₁ρ₂) rounded to a rational, in regime (ii) (checked)."""
    b = boundaries(Point(N, d, Fraction(1, 2), P2))
    rho = Fraction(math.sqrt(b["rho1"] * b["rho2"])).limit_denominator(10**7)
    assert query(Point(N, d, rho, P2)).regime == "moderate"
    return rho


def _moderate_plan(ds: Dataset, rad, projection) -> Any:
    """The smaller of the paper and cover plans (the default grouping) for one projection."""
    from constructions.moderate import plan_moderate

    plans = [
        plan_moderate(ds, rad.radius_power, 2, ETA, projection=projection, grouping=g)
        for g in ("paper", "cover")
    ]
    return min(plans, key=lambda p: p.params)


def projection_sweep(
    cases: list[tuple[int, int]] = PROJ_CASES,
    seed: int = SEED,
    build_limit: int = PROJ_BUILD,
    log=print,
) -> dict[str, Any]:
    """Part (d): the builders with and without their projection at d where it applies. At
    ρ = √(ρ₁ρ₂) (ℓ2, regime (ii)) on the bench generator's data: the moderate builder's
    exact size formula (its plan, default grouping) without projection (m = d), with the
    paper's rule (``project="auto"``: m = paper_m = min{d, max{⌈864 ln N⌉, ⌈10 ln d⌉}}, which
    is d at every case here, so no projection) and with ``project="adaptive"`` (the smallest
    m whose seeded sample meets the contract, beyond the paper), built where it has at most
    ``build_limit`` parameters (its num_params() must equal the formula); and the large
    builder's size lower bound (large_size with every facet count 1, the tested formula)
    at m = d and at m = the data's rank (the span projection it takes when d ≥ N; its
    exact networks are far too large to build here)."""
    from constructions.large import large_size
    from constructions.moderate import build_moderate
    from constructions.projection import adaptive_projection, paper_m

    rows = []
    for N, d in cases:
        t0 = time.perf_counter()
        ds = dataset(N, d, seed)
        rho = _sqrt_rho(N, d)
        rad = make_radius(ds, "2", rho=rho)
        row: dict[str, Any] = {"N": N, "d": d, "rho": rho, "paper m": paper_m(N, d)}
        t = time.perf_counter()
        plan = _moderate_plan(ds, rad, None)
        row.update(none=plan.params, none_K=len(plan.groups), none_s=time.perf_counter() - t)
        t = time.perf_counter()
        P = adaptive_projection(ds, seed=seed)
        plan = _moderate_plan(ds, rad, P)
        row.update(
            adaptive_m=P.m,
            adaptive=plan.params,
            adaptive_K=len(plan.groups),
            adaptive_s=time.perf_counter() - t,
        )
        if plan.params <= build_limit:
            t = time.perf_counter()
            net, rep = build_moderate(ds, rad.radius_power, 2, ETA, project="adaptive", seed=seed)
            row.update(
                adaptive_built=net.num_params(),
                adaptive_eta_bound=float(rep.max_error_bound),
                build_s=time.perf_counter() - t,
            )
        counts: dict[int, int] = {}
        for y in ds.y:
            counts[y] = counts.get(y, 0) + 1
        B, C1 = N - max(counts.values()), len(counts) - 1
        X = np.array([[float(v) for v in x] for x in ds.X])
        rank = int(np.linalg.matrix_rank(X - X.mean(axis=0))) if d >= N else d
        row.update(
            large_rank=rank,
            large_none_lower=large_size(d, d, C1, [1] * B),
            large_span_lower=large_size(d, rank, C1, [1] * B),
            seconds=time.perf_counter() - t0,
        )
        log(
            f"  N = {N}, d = {d}, ρ = {float(rho):.4g}: moderate none {row['none']}, "
            f"adaptive m = {P.m} {row['adaptive']} ({row['seconds']:.0f} s)",
            flush=True,
        )
        rows.append(row)
    return {"seed": seed, "rows": rows}


def projection_certified(N: int = PROJ_CERT[0], d: int = PROJ_CERT[1], seed: int = SEED):
    """Part (d'): one projected moderate network built and certified (linear engine, every
    ball; PROVED verdicts kernel-checked), with its unprojected size by formula."""
    from certify.run import certify
    from constructions.moderate import build_moderate, moderate_size

    ds = dataset(N, d, seed)
    rho = _sqrt_rho(N, d)
    rad = make_radius(ds, "2", rho=rho)
    net, rep = build_moderate(ds, rad.radius_power, 2, ETA, project="adaptive", seed=seed)
    t = time.perf_counter()
    r = certify(net, ds, rad, engine="linear", timeout=30)
    return {
        "N": N,
        "d": d,
        "rho": rho,
        "m": rep.m,
        "groups": rep.groups,
        "params": net.num_params(),
        "none": moderate_size(ds, rad.radius_power, 2, ETA, project="none"),
        "eta_bound": float(rep.max_error_bound),
        "counts": r.counts,
        "certify_s": time.perf_counter() - t,
    }


def report_projection(res: dict[str, Any], cert: dict[str, Any] | None) -> None:
    print("\n== (d) projection: moderate (exact formula) and large (lower bound), ℓ2, ρ = √(ρ₁ρ₂)")
    head = (
        f"{'N':>5} {'d':>5} {'ρ':>10} {'paper m':>8} {'mod. m=d':>10} {'K':>3} "
        f"{'adapt. m':>8} {'mod. adapt.':>11} {'K':>3} {'built':>8} {'η-bnd':>7} {'ratio':>6} "
        f"{'large m=d ≥':>12} {'rank':>5} {'large span ≥':>12}"
    )
    print(head)
    for r in res["rows"]:
        built = r.get("adaptive_built", "-")
        eta = f"{r['adaptive_eta_bound']:.3g}" if "adaptive_eta_bound" in r else "-"
        print(
            f"{r['N']:>5} {r['d']:>5} {float(r['rho']):>10.4g} {r['paper m']:>8} "
            f"{r['none']:>10} {r['none_K']:>3} {r['adaptive_m']:>8} {r['adaptive']:>11} "
            f"{r['adaptive_K']:>3} {built:>8} {eta:>7} {r['none'] / r['adaptive']:>6.1f} "
            f"{r['large_none_lower']:>12} {r['large_rank']:>5} {r['large_span_lower']:>12}"
        )
    if cert is not None:
        c = cert
        print(
            f"  (d') certified: N = {c['N']}, d = {c['d']}, ρ = {float(c['rho']):.4g}: moderate "
            f"adaptive m = {c['m']}, K = {c['groups']}, {c['params']} params (m = d: "
            f"{c['none']}), η-bound {c['eta_bound']:.3g}; certify (linear) {c['counts']} in "
            f"{c['certify_s']:.1f} s"
        )


ERROR_CASE = (64, 4, Fraction(1, 20))  # N, d, ρ: the cover-grouped network of issue 13


def error_measurement(
    N: int = ERROR_CASE[0],
    d: int = ERROR_CASE[1],
    rho: Fraction = ERROR_CASE[2],
    seed: int = SEED,
    timeout: float = 2.0,
    seconds: float = 60.0,
    log=print,
) -> dict[str, Any]:
    """Part (e): ``certify --error``'s two stages on a banded moderate network (cover
    grouping, ℓ2): certify every ball (linear engine, ``timeout`` s per ball), then
    :func:`certify.error.estimate_error` on every ball (``seconds`` of wall clock each; PROVED
    balls have error 0 and are not sampled). Per ball: the sound bound, boxes, calls, stop
    reason, Monte-Carlo errors and seconds; the maximum bound against the builder's η."""
    from certify.error import estimate_error
    from certify.run import balls, certify
    from constructions.moderate import build_moderate

    ds = dataset(N, d, seed)
    rad = make_radius(ds, "2", rho=rho)
    net, rep = build_moderate(ds, rad.radius_power, 2, ETA, grouping="cover")
    t0 = time.perf_counter()
    r = certify(net, ds, rad, engine="linear", timeout=timeout)
    t1 = time.perf_counter()
    bl = balls(ds, rad)
    rows = []
    for res in r.results:
        e = estimate_error(net, bl[res.index], proved=res.status == "PROVED", seconds=seconds)
        rows.append({"index": res.index, "status": res.status, **e.to_json()})
        if res.status != "PROVED":
            log(
                f"  ball {res.index:>3}: bound {float(e.upper_bound):.3g}, {e.boxes} boxes, "
                f"{e.calls} calls, {e.stopped}, MC {e.errors}/{e.samples}, {e.seconds:.1f} s",
                flush=True,
            )
    t2 = time.perf_counter()
    return {
        "N": N,
        "d": d,
        "rho": rho,
        "params": net.num_params(),
        "groups": rep.groups,
        "builder_max_bound": float(rep.max_error_bound),
        "counts": r.counts,
        "certify_s": t1 - t0,
        "error_s": t2 - t1,
        "max_bound": max(float(Fraction(x["error_upper_bound"])) for x in rows),
        "zero_bound_unknown": sum(
            1 for x in rows if x["status"] != "PROVED" and x["error_upper_bound"] == "0"
        ),
        "mc_errors": sum(x["mc_errors"] for x in rows),
        "rows": rows,
    }


def report_error(res: dict[str, Any]) -> None:
    e = res
    print(
        f"\n== (e) error measurement: moderate (cover), ℓ2, N = {e['N']}, d = {e['d']}, "
        f"ρ = {e['rho']}, {e['params']} params, K = {e['groups']}, builder bound "
        f"{e['builder_max_bound']:.3g}"
    )
    print(
        f"  certify (linear, 2 s per ball): {e['counts']} in {e['certify_s']:.1f} s; error "
        f"measurement {e['error_s']:.1f} s: max sound bound {e['max_bound']:.3g} (η = {ETA}), "
        f"{e['zero_bound_unknown']} of the undecided balls with bound exactly 0, Monte-Carlo "
        f"errors {e['mc_errors']}"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help=f"N = {QUICK_NS}, {QUICK_RHOS} ρ (< 60 s)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--figure", metavar="PNG", help="write the builders-vs-ρ figure of (b)")
    ap.add_argument("--figure-n", type=int, default=FIG_N, help=f"N of (b) (default {FIG_N})")
    ap.add_argument("--json", metavar="OUT", help="write the numbers as JSON")
    ap.add_argument("--rate", action="store_true", help="only part (c), the moderate rate")
    ap.add_argument(
        "--projection", action="store_true", help="only part (d), the builders' projection"
    )
    ap.add_argument("--error", action="store_true", help="only part (e), certify --error")
    a = ap.parse_args(argv)
    if a.error:
        print(
            f"bench_regimes --error: seed = {a.seed}, {CLASSES} classes, η = {ETA}; "
            f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
        )
        t0 = time.perf_counter()
        res_e = error_measurement(*ERROR_CASE, seed=a.seed)
        report_error(res_e)
        print(f"\ntime: {time.perf_counter() - t0:.1f} s")
        if a.json:
            Path(a.json).write_text(json.dumps({"error": res_e}, indent=1, default=str))
        return
    if a.projection:
        print(
            f"bench_regimes --projection: seed = {a.seed}, {CLASSES} classes, η = {ETA}; "
            f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
        )
        t0 = time.perf_counter()
        res_d = projection_sweep(PROJ_CASES, a.seed)
        cert = projection_certified(*PROJ_CERT, seed=a.seed)
        report_projection(res_d, cert)
        print(f"\ntime: {time.perf_counter() - t0:.1f} s")
        if a.json:
            Path(a.json).write_text(
                json.dumps({"projection": res_d, "certified": cert}, indent=1, default=str)
            )
        return
    if a.rate:
        print(
            f"bench_regimes --rate: d = {D}, seed = {a.seed}, {CLASSES} classes, η = {ETA}; "
            f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
        )
        t0 = time.perf_counter()
        res_c = rate_sweep(RATE_NS, D, RATE_POINTS, a.seed)
        cross = crossover(CROSS_NS, D, a.seed)
        report_rate(res_c, cross)
        print(f"\ntime: {time.perf_counter() - t0:.1f} s")
        if a.json:
            Path(a.json).write_text(
                json.dumps({"rate": res_c, "crossover": cross}, indent=1, default=str)
            )
        return
    Ns, pts = (QUICK_NS, QUICK_RHOS) if a.quick else (FULL_NS, FULL_RHOS)
    print(
        f"bench_regimes: d = {D}, seed = {a.seed}, {CLASSES} classes, η = {ETA}; "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
    )
    t0 = time.perf_counter()
    print(f"(a) N = {Ns}, ρ = {RHO_N}: regime (ii) at every N (bounds.query)")
    res_n = n_sweep(Ns, D, RHO_N, a.seed)
    sl_n = n_slopes(res_n)
    report_n(res_n, sl_n)
    t1 = time.perf_counter()
    print(f"\n(b) N = {a.figure_n}, {pts} log-spaced ρ (+ ρ₁, ρ₂)")
    res_r = rho_sweep(a.figure_n, D, pts, a.seed)
    sl_r = rho_slopes(res_r)
    report_rho(res_r, sl_r)
    t2 = time.perf_counter()
    if a.figure:
        print(f"\nwrote {plot(res_r, a.figure)}")
    t3 = time.perf_counter()
    print(f"\ntime: (a) {t1 - t0:.1f} s, (b) {t2 - t1:.1f} s, figure {t3 - t2:.1f} s")
    if a.json:
        Path(a.json).write_text(
            json.dumps(
                {"n_sweep": res_n, "n_slopes": sl_n, "rho_sweep": res_r, "rho_slopes": sl_r},
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
