"""Benchmark of the builders' sizes against N (not a test).

    python bench/bench_constructions.py [--quick] [--seed 20251125] [--d 4] [--json OUT]

For N = 2^8 … 2^14 (``--quick``: 2^8 … 2^10) seeded random integer datasets in a fixed d
(3 classes, distinct points on a grid of side 2·⌈N^{1/d}⌉, so ε₂ = 1/2 in practice: some
two differently labelled points are grid neighbours; the exact ε is printed) are built with

* ``small``     — regime (i) (constructions.small), ℓ2, at ONE fixed ρ for every N:
                  ρ_s = 1/(10·2^14·⌈√d⌉) ≤ ρ₁(2^14)/2, ρ₁(N) = 1/(5N√d), so it is in the
                  small regime for every N of the sweep;
* ``small-sqrt``— the same with the √N integer memorizer: built with
                  ``build_small(..., memorizer="sqrt")`` when constructions.small offers that
                  option; otherwise the memorizer alone, "sqrt memorizer (formula)": the exact
                  size of integer_memorizer.sqrt_memorizer (``sqrt_widths``, tested equal to
                  the built count) for the very keys the small builder memorizes, cross-checked
                  against a built sqrt_memorizer where that is cheap;
* ``large``     — regime (iii) (constructions.large), ℓ2, ρ = 1/2 (and ρ = 9/10 up to a cap);
* ``baseline``  — the bump memorizer (constructions.baseline), ℓ∞, ρ = 1/2: built where it
                  is feasible, beyond that its exact parameter formula
                  (d+1)·2Nd + (2Nd+1)·N + (N+1)·2C + 2C + 1 (tested equal to the built count;
                  rows marked "formula", nonzero count not given there).

Printed per builder: N | params | nonzero | depth | width | bits | build seconds | source |
ratio params / THEORY formula value (construct's ``formula_value``: √N for small, N·d²·ρ⁴ + d
for large; the baseline's "formula" is its own exact count), then the least-squares slope of
log params against log N (numpy.polyfit), and N₀: the smallest N of the sweep where a builder
has fewer parameters than the baseline, with the crossover of the two fitted power laws.
Since every builder already beats the baseline at the sweep's first N, a last section
builds everything on N = 2^2 … 2^8 and reports the measured N₀ (below the baseline from
there on).
Build time is the time of ``constructions.build.construct`` (ε is computed before, untimed).
"""

from __future__ import annotations

import argparse
import inspect
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

from certify.dataset import Dataset  # noqa: E402
from certify.run import make_radius  # noqa: E402
from constructions.baseline import box_radius  # noqa: E402
from constructions.build import construct  # noqa: E402
from constructions.integer_memorizer import (  # noqa: E402
    plain_params,
    sqrt_layout,
    sqrt_memorizer,
    sqrt_widths,
)
from constructions.lattice import lattice_translation, smallest_grid  # noqa: E402
from constructions.small import build_small  # noqa: E402

SEED = 20251125
D = 4
CLASSES = 3
N_MAX = 2**14  # the sweep's largest N: fixes the small builder's ρ for every run
FULL = [2**k for k in range(8, 15)]
QUICK = [2**k for k in range(8, 11)]
# largest N that is actually built (beyond: formula rows, or the row is skipped)
FULL_CAPS = {"baseline": 2**10, "large-0.9": 2**12, "sqrt-build": 2**10, "small-sqrt": 2**14}
QUICK_CAPS = {"baseline": 2**9, "large-0.9": 2**9, "sqrt-build": 2**9, "small-sqrt": 2**10}


def ceil_sqrt(n: int) -> int:
    r = math.isqrt(n)
    return r if r * r == n else r + 1


def rho_small(d: int, n_max: int = N_MAX) -> Fraction:
    """One ρ below half of ρ₁ = 1/(5N√d) for every N ≤ n_max (exact rational)."""
    return Fraction(1, 10 * n_max * ceil_sqrt(d))


def dataset(N: int, d: int, seed: int, classes: int = CLASSES) -> Dataset:
    """N distinct seeded random integer points in [0, 2·⌈N^{1/d}⌉)^d, labels 1..classes
    (every class present)."""
    rng = np.random.default_rng([seed, N, d])
    side = 2 * math.ceil(N ** (1 / d) - 1e-9)
    while side**d < 2 * N:
        side += 1
    while True:
        flat = rng.choice(side**d, size=N, replace=False)
        X = np.stack(np.unravel_index(flat, (side,) * d), axis=1).astype(np.int64)
        y = rng.integers(1, classes + 1, size=N)
        if len(set(y.tolist())) == min(classes, N):
            return Dataset.from_arrays(X, y)


def baseline_formula(N: int, d: int, C: int) -> int:
    """constructions.baseline's exact parameter count (tests/constructions: = built count)."""
    return (d + 1) * 2 * N * d + (2 * N * d + 1) * N + (N + 1) * 2 * C + 2 * C + 1


def small_keys(
    ds: Dataset, radius_power: Fraction, p: int | None
) -> tuple[list[int], list[int], int]:
    """The grid indices and labels constructions.small memorizes (its stages 1–4, replayed:
    scale, integer offset, lattice translation, floors, index), and the grid R."""
    from certify.ball import root_upper

    N, d = ds.N, ds.d
    s = root_upper(Fraction(d) / (4 * ds.epsilon_power(2)), 2)
    Z = [[s * v for v in x] for x in ds.X]
    off = [1 - math.floor(min(z[j] for z in Z)) for j in range(d)]
    Z = [[z[j] + off[j] for j in range(d)] for z in Z]
    lat = lattice_translation(Z, N)
    Zt = [list(lat.apply(z)) for z in Z]
    R = smallest_grid(Zt)
    kl: dict[int, int] = {}
    for z, y in zip(Zt, ds.y):
        kl[sum(R**j * math.floor(z[j]) for j in range(d))] = y
    keys = sorted(kl)
    return keys, [kl[k] for k in keys], R


def sqrt_params(keys: list[int], labels: list[int]) -> tuple[int, int, int, dict[str, int]]:
    """(params, depth, width, layout) of sqrt_memorizer(keys, labels) by the exact formula."""
    lay = sqrt_layout(keys, labels)
    w = sqrt_widths(lay["s"], lay["g"], lay["B"], lay["L"])
    params = sum((a + 1) * b for a, b in zip(w, w[1:]))
    small = {k: int(lay[k]) for k in ("s", "g", "B", "L")}
    return params, len(w) - 1, max(w[1:-1]), small


def has_sqrt_option() -> bool:
    return "memorizer" in inspect.signature(build_small).parameters


def _row(N: int, source: str, **kw: Any) -> dict[str, Any]:
    r = {"N": N, "source": source, "params": None, "nonzero": None, "depth": None}
    r.update({"width": None, "bits": None, "seconds": None, "formula_value": None, "note": ""})
    r.update(kw)
    return r


def _built(N: int, net, rep: dict[str, Any], seconds: float, note: str = "") -> dict[str, Any]:
    return _row(
        N,
        "built",
        params=rep["params"],
        nonzero=rep["params_nonzero"],
        depth=rep["depth"],
        width=rep["width"],
        bits=rep["bits"],
        seconds=seconds,
        formula_value=rep["formula_value"],
        num_params=net.num_params(),
        note=note,
    )


def sweep(
    Ns: list[int],
    d: int = D,
    seed: int = SEED,
    caps: dict[str, int] | None = None,
    rho_s: Fraction | None = None,
    log=print,
) -> dict[str, Any]:
    """Build every builder at every N (up to its cap); return {"builders": {name: rows}, ...}."""
    caps = dict(FULL_CAPS if caps is None else caps)
    rho_s = rho_small(d) if rho_s is None else rho_s
    sqrt_opt = has_sqrt_option()
    names = ["small", "small-sqrt" if sqrt_opt else "sqrt memorizer (formula)"]
    names += ["large ρ=1/2", "large ρ=9/10", "baseline"]
    out: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    eps: dict[int, str] = {}
    for N in Ns:
        ds = dataset(N, d, seed)
        C = len(ds.classes)
        eps[N] = f"ε₂² = {ds.epsilon_power(2)}, ε∞ = {ds.epsilon_inf()}"
        log(f"  N = {N}: {eps[N]}", flush=True)
        # small (plain memorizer)
        rad = make_radius(ds, "2", rho=rho_s)
        t0 = time.perf_counter()
        net, rep = construct(ds, rad, "small", seed=seed)
        t = time.perf_counter() - t0
        mem = rep["stages"]["memorizer"]
        out["small"].append(_built(N, net, rep, t, f"memorizer {mem} = 12·{(mem - 1) // 12}+1"))
        keys, labels, R = small_keys(ds, rad.radius_power, rad.p)
        assert plain_params(len(keys)) == mem, "replayed keys differ from the small builder's"
        # √N memorizer
        if sqrt_opt:
            if caps["small-sqrt"] >= N:
                t0 = time.perf_counter()
                net2, srep = build_small(ds, rad.radius_power, rad.p, memorizer="sqrt")
                t = time.perf_counter() - t0
                r2 = {
                    "params": net2.num_params(),
                    "params_nonzero": net2.num_nonzero(),
                    "depth": net2.depth,
                    "width": net2.width,
                    "bits": net2.bit_complexity(),
                    "formula_value": math.sqrt(N),
                }
                P, _, _, lay = sqrt_params(keys, labels)
                mem2 = srep.stages["memorizer"]
                assert mem2 == P, ("sqrt memorizer stage differs from the exact formula", mem2, P)
                note = "memorizer {m} = sqrt_widths formula (s={s} g={g} B={B} L={L})"
                out[names[1]].append(_built(N, net2, r2, t, note.format(m=mem2, **lay)))
        else:
            t0 = time.perf_counter()
            P, dep, wid, lay = sqrt_params(keys, labels)
            t = time.perf_counter() - t0
            note = "s={s} g={g} B={B} L={L}".format(**lay)
            row = _row(N, "formula", params=P, depth=dep, width=wid, seconds=t)
            row.update(formula_value=math.sqrt(N), note=note)
            if caps["sqrt-build"] >= N:
                t0 = time.perf_counter()
                g = sqrt_memorizer(keys, labels)
                row["seconds"] = time.perf_counter() - t0
                assert g.params == P, (g.params, P)
                row.update(source="built", num_params=g.params, bits=None)
            out[names[1]].append(row)
        # large
        for name, rho, cap in (
            ("large ρ=1/2", Fraction(1, 2), None),
            ("large ρ=9/10", Fraction(9, 10), caps["large-0.9"]),
        ):
            if cap is not None and cap < N:
                continue
            rad = make_radius(ds, "2", rho=rho)
            t0 = time.perf_counter()
            net, rep = construct(ds, rad, "large", seed=seed)
            t = time.perf_counter() - t0
            note = f"m={rep['m']} F̄={rep['facets_mean']:.2f} Fmax={rep['facets_max']}"
            out[name].append(_built(N, net, rep, t, note))
        # baseline
        rad = make_radius(ds, "inf", rho=Fraction(1, 2))
        assert box_radius(rad.radius_power, None) < ds.epsilon_inf()
        f = baseline_formula(N, d, C)
        if caps["baseline"] >= N:
            t0 = time.perf_counter()
            net, rep = construct(ds, rad, "baseline", seed=seed)
            t = time.perf_counter() - t0
            row = _built(N, net, rep, t, f"formula {'=' if f == rep['params'] else '≠'} built")
            row["formula_count"] = f
            out["baseline"].append(row)
        else:
            out["baseline"].append(
                _row(N, "formula", params=f, depth=4, width=2 * N * d, formula_value=f)
            )
            out["baseline"][-1]["formula_count"] = f
        log(
            "    "
            + ", ".join(f"{k}: {v[-1]['params']}" for k, v in out.items() if v and v[-1]["N"] == N),
            flush=True,
        )
    return {
        "d": d,
        "seed": seed,
        "rho_small": str(rho_s),
        "caps": caps,
        "eps": eps,
        "builders": out,
    }


def slope(rows: list[dict[str, Any]]) -> float:
    """Least-squares slope of log params on log N (numpy.polyfit, degree 1)."""
    if len(rows) < 2:
        return float("nan")
    x = np.log([r["N"] for r in rows])
    y = np.log([r["params"] for r in rows])
    return float(np.polyfit(x, y, 1)[0])


def fit(rows: list[dict[str, Any]]) -> tuple[float, float]:
    x = np.log([r["N"] for r in rows])
    y = np.log([r["params"] for r in rows])
    k, c = np.polyfit(x, y, 1)
    return float(k), float(c)


def crossover(rows: list[dict[str, Any]], base: list[dict[str, Any]]) -> dict[str, Any]:
    """N₀ in the sweep (smallest N with fewer params than the baseline) and the crossover N*
    of the two fitted power laws (None when the lines do not cross at N > 0 usefully)."""
    bp = {r["N"]: r["params"] for r in base}
    wins = [r["N"] for r in rows if r["N"] in bp and r["params"] < bp[r["N"]]]
    n0 = min(wins) if wins else None
    below_all = bool(wins) and n0 == min(r["N"] for r in rows if r["N"] in bp)
    nstar = None
    if len(rows) >= 2 and len(base) >= 2:
        k1, c1 = fit(rows)
        k2, c2 = fit(base)
        if abs(k2 - k1) > 1e-9:
            nstar = math.exp((c1 - c2) / (k2 - k1))
    return {"N0": n0, "already_at_first_N": below_all, "fitted_crossover": nstar}


def summarize(res: dict[str, Any]) -> dict[str, Any]:
    b = res["builders"]
    base = b["baseline"]
    summ: dict[str, Any] = {"slopes": {k: slope(v) for k, v in b.items()}, "N0": {}}
    for k, v in b.items():
        if k != "baseline" and v:
            summ["N0"][k] = crossover(v, base)
    if b.get("small-sqrt") and b.get("small"):
        summ["sqrt_vs_plain"] = crossover(b["small-sqrt"], b["small"])
    return summ


def _fmt(v: Any, spec: str = "") -> str:
    if v is None:
        return "-"
    return format(v, spec)


def report(res: dict[str, Any], summ: dict[str, Any]) -> None:
    for name, rows in res["builders"].items():
        print(f"\n== {name}")
        print(
            f"{'N':>6} {'params':>12} {'nonzero':>10} {'depth':>6} {'width':>6} {'bits':>5} "
            f"{'build s':>8} {'source':>8} {'P/formula':>10}  note"
        )
        for r in rows:
            fv = r["formula_value"]
            ratio = r["params"] / fv if fv else None
            print(
                f"{r['N']:>6} {r['params']:>12} {_fmt(r['nonzero']):>10} {_fmt(r['depth']):>6} "
                f"{_fmt(r['width']):>6} {_fmt(r['bits']):>5} {_fmt(r['seconds'], '.2f'):>8} "
                f"{r['source']:>8} {_fmt(ratio, '.4g'):>10}  {r['note']}"
            )
        print(
            f"   fitted slope d log P / d log N = {summ['slopes'][name]:.3f}  ({len(rows)} points)"
        )
    print("\n== slopes (least squares on log params vs log N)")
    for name, s in summ["slopes"].items():
        print(f"  {name:<26} {s:6.3f}")
    print("\n== N₀: smallest N of the sweep with fewer parameters than the baseline")
    for name, c in summ["N0"].items():
        n0 = c["N0"]
        txt = "never in the sweep" if n0 is None else f"N₀ = {n0}"
        if c["already_at_first_N"]:
            txt += " (already at the sweep's first N: the true crossover is below it)"
        ns = c["fitted_crossover"]
        txt += "; fitted power laws cross at N* ≈ " + ("-" if ns is None else f"{ns:.3g}")
        print(f"  {name:<26} {txt}")
    c = summ.get("sqrt_vs_plain")
    if c is not None:
        n0 = "never in the sweep" if c["N0"] is None else f"from N = {c['N0']}"
        ns = c["fitted_crossover"]
        print(
            f"  small-sqrt beats small (plain memorizer): {n0}; fitted power laws cross at "
            f"N* ≈ {'-' if ns is None else f'{ns:.3g}'}"
        )


def below_sweep(
    d: int, seed: int, rho_s: Fraction, log=print, Ns: list[int] | None = None
) -> dict[str, Any]:
    """The sweep's first N already favours every builder over the baseline, so measure N₀
    itself on N = 2^2 … 2^8 (or ``Ns``), everything built (a few seconds)."""
    Ns = [2**k for k in range(2, 9)] if Ns is None else Ns
    caps = {"baseline": Ns[-1], "large-0.9": Ns[-1], "sqrt-build": Ns[-1], "small-sqrt": Ns[-1]}
    res = sweep(Ns, d, seed, caps, rho_s, log=lambda *a, **k: None)
    b = res["builders"]
    base = {r["N"]: r["params"] for r in b["baseline"]}
    log(f"\n== below the sweep: N₀ measured on N = {Ns[0]}…{Ns[-1]} (all built), params")
    names = list(b)
    log(f"{'N':>6} " + " ".join(f"{n:>16}" for n in names))
    for i, n in enumerate(Ns):
        log(f"{n:>6} " + " ".join(f"{b[k][i]['params']:>16}" for k in names))
    out = {}
    for k in names[:-1]:
        wins = [r["N"] for r in b[k] if r["params"] < base[r["N"]]]
        # N₀ = the smallest N from which on the builder stays below the baseline
        n0 = next((n for n in Ns if all(m in wins for m in Ns if m >= n)), None)
        out[k] = n0
        log(f"  {k:<26} below the baseline for every N ≥ {n0}")
    return {"N": Ns, "params": {k: [r["params"] for r in v] for k, v in b.items()}, "N0": out}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="N = 2^8 … 2^10 only (< 60 s)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--d", type=int, default=D)
    ap.add_argument("--json", metavar="OUT", help="write the numbers as JSON")
    a = ap.parse_args()
    Ns, caps = (QUICK, QUICK_CAPS) if a.quick else (FULL, FULL_CAPS)
    rho_s = rho_small(a.d)
    print(
        f"bench_constructions: d = {a.d}, seed = {a.seed}, N = {Ns[0]}…{Ns[-1]}, "
        f"{CLASSES} classes; {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}"
    )
    print(
        f"small: ℓ2, fixed ρ = {rho_s} ≤ ρ₁(2^14)/2 = 1/(10·2^14·√d) for every N; "
        "large: ℓ2, ρ = 1/2 and 9/10; baseline: ℓ∞, ρ = 1/2"
    )
    print(
        f"caps: baseline built for N ≤ {caps['baseline']} (exact formula beyond), "
        f"large ρ=9/10 built for N ≤ {caps['large-0.9']}, "
        + (
            f"small-sqrt built for N ≤ {caps['small-sqrt']}"
            if has_sqrt_option()
            else "constructions.small has no memorizer='sqrt' option: sqrt memorizer by its "
            f"exact formula, also built for N ≤ {caps['sqrt-build']} (equal, asserted)"
        )
    )
    t0 = time.perf_counter()
    res = sweep(Ns, a.d, a.seed, caps, rho_s)
    summ = summarize(res)
    report(res, summ)
    low = below_sweep(a.d, a.seed, rho_s)
    total = time.perf_counter() - t0
    print(f"\ntotal {total:.1f} s")
    if a.json:
        Path(a.json).write_text(
            json.dumps({**res, **summ, "below_sweep": low, "seconds": total}, indent=1, default=str)
        )


if __name__ == "__main__":
    main()
