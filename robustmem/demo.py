"""``robustmem demo``: a tour on scikit-learn's digits dataset (embedded in the package,
no network): exact separation ε for ℓ2 and ℓ∞, the bound table at ρ in every regime, plots,
then the full loop on a subset of the digits — for ρ in each regime (small, moderate, large)
and each norm (ℓ2, ℓ∞): the bounds, a construction (``construct(..., "auto")``), an exact
certification of every ball (linear engine, every PROVED re-checked by the kernel), a table
of actual parameters against the bounds, and one figure of the builders against ρ.

The default subset is the first ``n_per_class`` = 2 images of each digit (N = 20, in the
dataset's order), so that the whole demo runs in a few minutes on 2 cores; ``full=True``
(``--full``) uses all 1797 images (hours: progress bars show how far it is). The regimes
depend on N and d, so the ρ values are chosen for the subset's N, exactly (bounds.query).
"""

from __future__ import annotations

import json
import math
import os
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from bounds.plot import plot_vs_rho
from bounds.point import INF, Point
from bounds.query import query
from bounds.report import text_table
from certify.dataset import Dataset
from certify.errors import InputError
from certify.io import write_output


def load_digits_dataset() -> Dataset:
    """The 1797 8×8 digit images (integer pixels 0..16), labels shifted to 1..10."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return Dataset.from_arrays(data.data.astype(int), data.target.astype(int) + 1)


def _sqrt_text(q: Fraction) -> str:
    """√q written exactly (q a non-negative rational)."""
    num, den = q.numerator, q.denominator
    rn, rd = math.isqrt(num), math.isqrt(den)
    if rn * rn == num and rd * rd == den:
        return str(Fraction(rn, rd))
    return f"sqrt({q})"


#: ρ values, one per regime, for N = 1797, d = 64 (checked against the exact regime below).
DEMO_RHOS = {
    "2": ["1/200000", "1/100", "1/2"],
    "inf": ["1/1000000", "1/1000", "1/20", "1/2"],
}


def _certify_subset(ds: Dataset, say) -> dict[str, Any]:
    """Build the baseline memorizer on the first digits and certify it exactly (ℓ∞, ρ = 1/2)."""
    from certify.run import certify, make_radius
    from constructions.baseline import build_baseline

    n = 8
    sub = Dataset.from_arrays([list(x) for x in ds.X[:n]], list(ds.y[:n]))
    rad = make_radius(sub, "inf", rho=Fraction(1, 2))
    net, rep = build_baseline(sub, rad.radius_power, None)
    say(
        f"\nconstruct + certify: baseline memorizer of the first {n} digits (ℓ∞, ρ = 1/2, "
        f"μ = {rad.radius_power}): {rep.params} parameters, depth {rep.depth}, width {rep.width}"
    )
    report = certify(net, sub, rad, engine="linear", timeout=60)
    c = report.counts
    say(
        f"  PROVED {c['PROVED']}  REFUTED {c['REFUTED']}  UNKNOWN {c['UNKNOWN']}  "
        f"(every PROVED re-checked by the trusted kernel; {report.seconds:.1f} s)"
    )
    return {"N": n, "p": "inf", "rho": "1/2", "params": rep.params, "counts": c}


def digits_subset(ds: Dataset, n_per_class: int) -> Dataset:
    """The first ``n_per_class`` points of every class, in the dataset's order."""
    if n_per_class < 1:
        raise InputError(f"--n-per-class must be at least 1, got {n_per_class}")
    seen: dict[int, int] = {}
    keep = []
    for i, y in enumerate(ds.y):
        if seen.get(y, 0) < n_per_class:
            keep.append(i)
            seen[y] = seen.get(y, 0) + 1
    return Dataset.from_arrays([list(ds.X[i]) for i in keep], [ds.y[i] for i in keep])


REGIMES = ("small", "moderate", "large")
NORMS = ("2", "inf")


def _pv(p_text: str) -> Fraction | float:
    return INF if p_text == "inf" else Fraction(p_text)


def regime_rhos(N: int, d: int, p_text: str) -> dict[str, Fraction]:
    """One simple ρ strictly inside each regime at (N, d, p), checked exactly by bounds.query:
    small ρ₁/2, moderate √(ρ₁ρ₂), large halfway between ρ₂ and the top of the paper's range
    (1, or 1/γ for p ≠ 2), each rounded down to a unit fraction 1/k."""
    from bounds.query import boundaries

    pv = _pv(p_text)
    b = boundaries(Point(N, d, Fraction(1, 2), pv))
    r1, r2, top = b["rho1"], b["rho2"], min(1.0, b["rho_top"])
    targets = {"small": r1 / 2, "moderate": math.sqrt(r1 * r2), "large": (r2 + top) / 2}
    out = {}
    for regime, x in targets.items():
        rho = Fraction(1, math.ceil(1 / x))
        got = query(Point(N, d, rho, pv)).regime
        if got != regime:  # pragma: no cover - the targets sit far inside their regimes
            raise AssertionError(f"ρ = {rho} lies in regime {got}, not {regime}")
        out[regime] = rho
    return out


def _bar(total: int, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(
        total=total, desc=desc, unit="ball", file=sys.stderr, disable=True if quiet else None
    )


def regime_runs(
    sub: Dataset,
    say,
    *,
    jobs: int = 2,
    timeout: float = 120,
    quiet: bool = False,
) -> list[dict[str, Any]]:
    """For each norm and regime: bounds, construct (auto), certify (linear engine)."""
    import time

    from certify.run import certify, make_radius
    from constructions.build import construct

    runs = []
    for p_text in NORMS:
        pv = _pv(p_text)
        for regime, rho in regime_rhos(sub.N, sub.d, p_text).items():
            res = query(Point(sub.N, sub.d, rho, pv))
            rad = make_radius(sub, p_text, rho=rho)
            t0 = time.monotonic()
            net, rep = construct(sub, rad, "auto")
            t_build = time.monotonic() - t0
            label = f"ℓ{'∞' if p_text == 'inf' else p_text} {regime} ρ={rho}"
            say(
                f"\n{label}: regime {res.regime}; {rep['method']} builder → {rep['params']} "
                f"parameters (nonzero {rep['params_nonzero']}), depth {rep['depth']}, width "
                f"{rep['width']}  ({t_build:.1f} s)"
            )
            for note in rep["notes"]:
                if note.startswith("auto:"):  # why auto picked this builder
                    say(f"  {note}")
            bar = _bar(sub.N, f"certify {label}", quiet)
            try:
                cr = certify(
                    net,
                    sub,
                    rad,
                    engine="linear",
                    timeout=timeout,
                    jobs=jobs,
                    progress=lambda r, bar=bar: bar.update(1),
                )
            finally:
                bar.close()
            c = cr.counts
            say(
                f"  certify: PROVED {c['PROVED']}  REFUTED {c['REFUTED']}  UNKNOWN "
                f"{c['UNKNOWN']}  ({cr.seconds:.1f} s; every PROVED re-checked by the kernel)"
            )
            runs.append(
                {
                    "p": p_text,
                    "regime": regime,
                    "regime_checked": res.regime,
                    "rho": str(rho),
                    "N": sub.N,
                    "method": rep["method"],
                    "params": rep["params"],
                    "params_nonzero": rep["params_nonzero"],
                    "depth": rep["depth"],
                    "width": rep["width"],
                    "bits": rep["bits"],
                    "kmy_lower": res.lower.value,
                    "kmy_upper": None if res.upper is None else res.upper.value,
                    "prior_upper": None if res.prior_upper is None else res.prior_upper.value,
                    "prior_lower": res.prior_lower.value,
                    "counts": c,
                    "construct_seconds": round(t_build, 3),
                    "certify_seconds": round(cr.seconds, 3),
                    "notes": rep["notes"],
                }
            )
    return runs


def runs_table(runs: list[dict[str, Any]]) -> str:
    """Actual parameter counts against the bounds (rates, constants 1, logs dropped)."""

    def g(v: float | None) -> str:
        return "—" if v is None else f"{v:.3g}"

    head = (
        f"{'p':<4}{'regime':<10}{'ρ':<11}{'builder':<8}{'params':>9}{'KMY lower':>11}"
        f"{'KMY upper':>11}{'prior up':>10}{'actual/up':>11}  {'PROVED/REF/UNK':<16}"
        f"{'build s':>8}{'cert s':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        c = r["counts"]
        ratio = None if not r["kmy_upper"] else r["params"] / r["kmy_upper"]
        lines.append(
            f"{r['p']:<4}{r['regime']:<10}{r['rho']:<11}{r['method']:<8}{r['params']:>9}"
            f"{g(r['kmy_lower']):>11}{g(r['kmy_upper']):>11}{g(r['prior_upper']):>10}"
            f"{g(ratio):>11}  {c['PROVED']}/{c['REFUTED']}/{c['UNKNOWN']:<12}"
            f"{r['construct_seconds']:>8.1f}{r['certify_seconds']:>8.1f}"
        )
    return "\n".join(lines)


def builder_sweep(sub: Dataset, p_text: str, points: int = 5) -> list[dict[str, Any]]:
    """Construction only (no certification): the small builder in the small regime and the
    large builder from ρ₁ to the top of the range, at a few log-spaced ρ."""
    from bounds.query import boundaries
    from certify.errors import InputError as CertInputError
    from certify.run import make_radius
    from constructions.build import construct

    b = boundaries(Point(sub.N, sub.d, Fraction(1, 2), _pv(p_text)))
    r1, top = b["rho1"], min(1.0, b["rho_top"])
    plan = [("small", r1 / 10)]
    plan += [("large", float(x)) for x in np.geomspace(r1, top * 0.95, points)]
    out = []
    for method, x in plan:
        rho = Fraction(x).limit_denominator(10**9)
        try:
            net, rep = construct(sub, make_radius(sub, p_text, rho=rho), method)
        except CertInputError:  # pragma: no cover - a builder refusing is not fatal here
            continue
        out.append({"method": rep["method"], "rho": float(rho), "params": rep["params"]})
    return out


MARK = {
    "small": ("o", "#2a7f62"),
    "moderate": ("D", "#6a4c9c"),
    "large": ("s", "#b5562a"),
    "baseline": ("^", "#555555"),
}


def plot_builders(
    sub: Dataset, runs: list[dict[str, Any]], sweeps: dict[str, list], out: Path
) -> Path:
    """One PNG, a panel per norm: the bound curves against ρ (as in ``robustmem plot``), the
    builders' actual parameter counts on top (filled: constructed and certified by the demo;
    hollow: constructed only)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bounds.plot import _draw_curves, rho_sweep

    fig, axes = plt.subplots(1, len(NORMS), figsize=(14, 6.6), layout="constrained")
    for ax, p_text in zip(axes, NORMS):
        sw, marks = rho_sweep(sub.N, sub.d, _pv(p_text), "all", n=300)
        _draw_curves(ax, sw)
        for key, name in (("rho1", "ρ₁"), ("rho2", "ρ₂"), ("rho_top", "1/γ")):
            if marks[key] < 1:
                ax.axvline(marks[key], color="#444444", ls=(0, (5, 3)), lw=0.8)
                ax.text(
                    marks[key],
                    0.98,
                    f" {name}",
                    transform=ax.get_xaxis_transform(),
                    va="top",
                    fontsize=8,
                    color="#444444",
                )
        seen: set[str] = set()
        for s in sweeps.get(p_text, []):
            m, col = MARK[s["method"]]
            lab = f"{s['method']} builder (constructed)"
            ax.scatter(
                s["rho"],
                s["params"],
                marker=m,
                facecolors="none",
                edgecolors=col,
                s=42,
                zorder=5,
                label=None if lab in seen else lab,
            )
            seen.add(lab)
        for r in runs:
            if r["p"] != p_text:
                continue
            m, col = MARK[r["method"]]
            ok = r["counts"]["PROVED"] == r["N"]
            lab = f"{r['method']} builder, certified ({'all balls PROVED' if ok else 'not all'})"
            ax.scatter(
                float(Fraction(r["rho"])),
                r["params"],
                marker=m,
                color=col,
                s=70,
                zorder=6,
                edgecolors="black",
                label=None if lab in seen else lab,
            )
            seen.add(lab)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(sw.x[0], 1.0)
        ax.set_xlabel("robustness ratio ρ = μ / ε_D  (log scale)")
        ax.set_ylabel("parameters P")
        norm = "∞" if p_text == "inf" else p_text
        ax.set_title(f"ℓ{norm}: N = {sub.N}, d = {sub.d} (digits subset)", fontsize=10)
        ax.grid(True, which="major", alpha=0.25)
        ax.set_ylim(bottom=1)
    handles: dict[str, Any] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="outside lower center",
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    fig.suptitle(
        "Actual parameter counts of the builders vs the bounds (bound rates: constants 1, "
        "logs dropped)",
        fontsize=11,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_output(out, lambda tmp: fig.savefig(tmp, dpi=110))
    finally:
        plt.close(fig)
    return out


def output_dir(out_dir: str | Path) -> Path:
    """``--out-dir``: an existing directory, or one created here (with its parents); a path
    naming an existing file, or one that cannot be created, is a one-line InputError. Each
    plot inside it is written with :func:`certify.io.write_output`."""
    target = Path(out_dir)
    if not str(out_dir):
        raise InputError("--out-dir is empty; give a directory")
    if target.exists() and not target.is_dir():
        raise InputError(f"--out-dir {out_dir}: exists and is not a directory; give a directory")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(
            f"--out-dir {out_dir}: cannot create the directory: {e.strerror}"
        ) from None
    if not os.access(target, os.W_OK | os.X_OK):
        raise InputError(f"--out-dir {out_dir}: the directory is not writable (permission denied)")
    return target


def run_demo(
    out_dir: str | Path = "robustmem-demo",
    json_out: bool = False,
    *,
    full: bool = False,
    n_per_class: int = 2,
    jobs: int = 2,
    timeout: float = 120,
) -> int:
    say = (lambda *a: print(*a, file=sys.stderr)) if json_out else print
    target = output_dir(out_dir)  # before any work: a bad --out-dir fails at once
    say("robustmem demo — scikit-learn digits (embedded), exact arithmetic throughout\n")
    ds = load_digits_dataset()
    for note in getattr(ds, "notes", []):
        say(f"note: {note}")
    eps2_sq = ds.epsilon_power(2) / 1  # ε₂² (exact rational)
    eps_inf = ds.epsilon_inf()
    say(f"dataset: N = {ds.N} points, d = {ds.d}, {len(ds.classes)} classes")
    say(f"separation ε₂ = {_sqrt_text(eps2_sq)}  (ε₂² = {eps2_sq}, ≈ {math.sqrt(eps2_sq):.6g})")
    say(f"separation ε∞ = {eps_inf}  (≈ {float(eps_inf):.6g})\n")

    out: dict[str, Any] = {
        "dataset": "sklearn digits",
        "N": ds.N,
        "d": ds.d,
        "classes": len(ds.classes),
        "epsilon_2_squared": str(eps2_sq),
        "epsilon_inf": str(eps_inf),
        "queries": [],
        "plots": [],
    }
    for p_text, rhos in DEMO_RHOS.items():
        pv = INF if p_text == "inf" else Fraction(2)
        for r in rhos:
            rho = Fraction(r)
            res = query(Point(ds.N, ds.d, rho, pv))
            mu = (
                f"μ = ρ·ε∞ = {rho * eps_inf}"
                if pv == INF
                else (f"μ² = ρ²·ε₂² = {rho * rho * eps2_sq}")
            )
            say(text_table(res))
            say(f"  {'radius':<20} {mu}\n")
            out["queries"].append(res.to_json())
    for p_text in DEMO_RHOS:
        pv = INF if p_text == "inf" else Fraction(2)
        path = target / f"bounds_p{p_text}.png"
        write_output(path, lambda tmp, pv=pv: plot_vs_rho(ds.N, ds.d, pv, out=tmp))
        say(f"wrote {path}")
        out["plots"].append(str(path))
    out["certified"] = _certify_subset(ds, say)

    # ---- the full loop: bounds → construct → certify, per regime and norm
    sub = ds if full else digits_subset(ds, n_per_class)
    which = (
        "all 1797 digits" if full else f"the first {n_per_class} digits of each class (N = {sub.N})"
    )
    say(
        f"\nconstruct + certify in every regime on {which}, d = {sub.d}; ρ chosen inside "
        f"each regime for this N (exactly, by bounds.query); {jobs} worker process(es)"
    )
    runs = regime_runs(sub, say, jobs=jobs, timeout=timeout, quiet=False)
    say("\nactual parameters against the bounds (KMY = Kim, Moon & Yun; rates, constants 1):")
    say(runs_table(runs))
    sweeps = {p_text: builder_sweep(sub, p_text) for p_text in NORMS}
    fig = plot_builders(sub, runs, sweeps, target / "builders_vs_rho.png")
    say(f"wrote {fig}")
    out["plots"].append(str(fig))
    out["subset"] = {
        "full": full,
        "n_per_class": None if full else n_per_class,
        "N": sub.N,
        "d": sub.d,
        "jobs": jobs,
    }
    out["runs"] = runs
    out["builder_sweep"] = sweeps
    proved = sum(r["counts"]["PROVED"] for r in runs)
    say(f"\n{proved} of {sub.N * len(runs)} balls PROVED across {len(runs)} constructions")
    regimes = {q["regime"] for q in out["queries"]}
    say(f"regimes shown: {', '.join(sorted(regimes))}")
    say("next: 'robustmem bounds --help', 'robustmem plot --help', 'robustmem certify --help'")
    if json_out:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0 if all(r["counts"]["PROVED"] == sub.N for r in runs) else 2
