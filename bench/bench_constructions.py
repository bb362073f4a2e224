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
                  size of integer_memorizer.sqrt_memorizer (``sqrt_params``, tested equal to
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
from constructions.gadgets import to_network  # noqa: E402
from constructions.integer_memorizer import (  # noqa: E402
    plain_params,
    sqrt_layout,
    sqrt_memorizer,
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
    """(params, depth, width, layout) of sqrt_memorizer(keys, labels) by the exact formula
    (``integer_memorizer.sqrt_params`` for the layout the memorizer itself chooses)."""
    lay = sqrt_layout(keys, labels)
    w = lay.widths
    small = {"s": lay.s, "g": lay.g, "Bd": lay.Bd, "L": lay.L}
    return lay.params, len(w) - 1, max(w[1:-1]), small


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
        net, rep = construct(ds, rad, "small", seed=seed, memorizer="plain")
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
                note = "memorizer {m} = sqrt_params formula (s={s} g={g} Bd={Bd} L={L})"
                out[names[1]].append(_built(N, net2, r2, t, note.format(m=mem2, **lay)))
        else:
            t0 = time.perf_counter()
            P, dep, wid, lay = sqrt_params(keys, labels)
            t = time.perf_counter() - t0
            note = "s={s} g={g} Bd={Bd} L={L}".format(**lay)
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


# ------------------------------------------------------------------ the memorizers on their own

MEM_NS = [2**k for k in range(2, 17)]  # N = 4 … 65536
MEM_FIT = (2**10, 2**16)  # the range of the fitted slope (issue 13: slope ≤ 0.6 there)


def check_memorizer(g, keys: list[int], labels: list[int], sample: int, seed: int) -> int:
    """Exact values of a built memorizer: every key (or ``sample`` of them) and as many
    non-keys (neighbours k ± 1 not in the set, at offsets 0 and ±1/4), by the network's exact
    evaluator; returns the number of points checked (an AssertionError on any mismatch)."""
    rng = np.random.default_rng(seed)
    want = dict(zip(keys, labels))
    ks = keys if len(keys) <= sample else [keys[i] for i in rng.choice(len(keys), sample, False)]
    non = sorted({k + t for k in ks for t in (-1, 1) if k + t not in want})[:sample]
    pts = [(k, dz) for k in ks for dz in (0, Fraction(1, 4), -Fraction(1, 4))]
    pts += [(n, dz) for n in non for dz in (0, Fraction(1, 4))]
    got = to_network(g).evaluate_many([[n + dz] for n, dz in pts])
    bad = [(n, dz) for (n, dz), v in zip(pts, got) if v != want.get(n, 0)]
    assert not bad, ("sqrt memorizer wrong at", bad[:5])
    return len(pts)


def memorizer_sweep(
    Ns: list[int] = MEM_NS,
    d: int = D,
    seed: int = SEED,
    build_cap: int = 2**16,
    sample: int = 1500,
    log=print,
) -> dict[str, Any]:
    """For the keys the small builder memorizes (its grid indices, replayed), the plain
    memorizer's 12N' + 1 against the √N memorizer's exact formula; the √N memorizer is also
    built up to ``build_cap`` (built count asserted equal to the formula) and evaluated exactly
    on every key (N' ≤ ``sample``) or on ``sample`` keys and as many non-keys."""
    rows = []
    for N in Ns:
        ds = dataset(N, d, seed)
        rad = make_radius(ds, "2", rho=rho_small(d, max(Ns)))
        keys, labels, _ = small_keys(ds, rad.radius_power, rad.p)
        P, depth, width, lay = sqrt_params(keys, labels)
        row = {"N": N, "keys": len(keys), "plain": plain_params(len(keys)), "sqrt": P}
        row.update(depth=depth, width=width, **lay, built=False, checked=0, seconds=None)
        if build_cap >= N:
            t0 = time.perf_counter()
            g = sqrt_memorizer(keys, labels)
            row["seconds"] = time.perf_counter() - t0
            assert g.params == P == to_network(g).num_params(), (g.params, P)
            row["built"] = True
            row["bits"] = to_network(g).bit_complexity()
            row["checked"] = check_memorizer(g, keys, labels, sample, seed)
        rows.append(row)
        log(
            f"{N:>6} {row['keys']:>6} {row['plain']:>8} {P:>8} {P / row['plain']:>7.3f} "
            f"{lay['s']:>4} {lay['g']:>5} {lay['Bd']:>3} {lay['L']:>2} {depth:>5} {width:>5} "
            f"{row.get('bits', '-'):>5} {_fmt(row['seconds'], '.2f'):>7} {row['checked']:>6}",
            flush=True,
        )
    fit = [r for r in rows if MEM_FIT[0] <= r["N"] <= MEM_FIT[1]]
    k = float(np.polyfit(np.log([r["N"] for r in fit]), np.log([r["sqrt"] for r in fit]), 1)[0])
    # the smallest N of the sweep from which on the √N memorizer stays below plain
    cross = next(
        (r["N"] for i, r in enumerate(rows) if all(q["sqrt"] < q["plain"] for q in rows[i:])),
        None,
    )
    return {"rows": rows, "slope": k, "fit_range": MEM_FIT, "crossover": cross}


def crossover_fine(lo: int, hi: int, d: int = D, seed: int = SEED) -> int | None:
    """The smallest N in [lo, hi] from which on (to hi) sqrt < plain, by the formulas."""
    wins = []
    for N in range(lo, hi + 1):
        ds = dataset(N, d, seed)
        rad = make_radius(ds, "2", rho=rho_small(d, hi))
        keys, labels, _ = small_keys(ds, rad.radius_power, rad.p)
        wins.append((N, sqrt_layout(keys, labels).params < plain_params(len(keys))))
    return next((n for i, (n, _) in enumerate(wins) if all(w for _, w in wins[i:])), None)


def certify_small_sqrt(
    N: int = 2**10, d: int = 2, ps: tuple[str, ...] = ("2", "inf"), seed: int = SEED, log=print
) -> dict[str, Any]:
    """The small builder with memorizer="sqrt" at N, d, certified ball by ball (linear
    engine, 60 s per ball); per-ball seconds (mean, median, max) for each norm."""
    from certify.run import certify

    ds = dataset(N, d, seed)
    out = {}
    for p in ps:
        # ℓ2: ρ ≤ ρ₁/2 = 1/(10N√d); ℓ∞ builds at the ℓ2 radius √d·μ: ρ ≤ 1/(10·N·d)
        rho = rho_small(d, N) if p == "2" else Fraction(1, 10 * N * d)
        rad = make_radius(ds, p, rho=rho)
        t0 = time.perf_counter()
        net, rep = build_small(ds, rad.radius_power, rad.p, memorizer="sqrt")
        tb = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = certify(net, ds, rad, engine="linear", timeout=60)
        tc = time.perf_counter() - t0
        secs = sorted(r.seconds for r in report.results)
        rec = {
            "p": p,
            "rho": str(rho),
            "params": net.num_params(),
            "memorizer_params": rep.stages["memorizer"],
            "depth": net.depth,
            "width": net.width,
            "bits": net.bit_complexity(),
            "build_s": tb,
            "certify_s": tc,
            "counts": report.counts,
            "ball_mean_s": sum(secs) / len(secs),
            "ball_median_s": secs[len(secs) // 2],
            "ball_max_s": secs[-1],
        }
        out[p] = rec
        log(
            f"  p = {p}: rho = {rho}, params {rec['params']} (memorizer {rec['memorizer_params']}),"
            f" depth {rec['depth']}, width {rec['width']}, bits {rec['bits']}; build "
            f"{tb:.1f} s; certify {tc:.1f} s: {report.counts}; per ball mean "
            f"{rec['ball_mean_s']:.3f} s, median {rec['ball_median_s']:.3f} s, max "
            f"{rec['ball_max_s']:.3f} s",
            flush=True,
        )
    return out


def memorizer_main(a: argparse.Namespace) -> None:
    print(
        f"bench_constructions --memorizer: d = {a.d}, seed = {a.seed}; "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
    )
    t0 = time.perf_counter()
    Ns = [n for n in MEM_NS if n <= (2**12 if a.quick else 2**16)]
    print(
        "\n== √N memorizer vs plain on the small builder's keys (grid indices, replayed); "
        "sqrt = exact formula, built and equal where 'build s' is given"
    )
    print(
        f"{'N':>6} {'keys':>6} {'plain':>8} {'sqrt':>8} {'ratio':>7} {'s':>4} {'g':>5} "
        f"{'Bd':>3} {'L':>2} {'depth':>5} {'width':>5} {'bits':>5} {'build s':>7} {'checked':>6}"
    )
    res = memorizer_sweep(Ns, a.d, a.seed)
    print(
        f"   fitted slope d log P / d log N over N = {MEM_FIT[0]}…{min(MEM_FIT[1], Ns[-1])}: "
        f"{res['slope']:.3f}"
    )
    print(f"   sqrt < plain for every N ≥ {res['crossover']} of the sweep")
    fine = crossover_fine(4, 128, a.d, a.seed)
    print(f"   finer (every N = 4…128, formulas): sqrt < plain for every N ≥ {fine}")
    res["crossover_fine"] = fine
    if a.certify:
        print(f"\n== small builder, memorizer=sqrt, N = {a.certify_n}, d = 2: certified")
        res["certify"] = certify_small_sqrt(a.certify_n, 2, seed=a.seed)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1, default=str))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="N = 2^8 … 2^10 only (< 60 s)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--d", type=int, default=D)
    ap.add_argument("--json", metavar="OUT", help="write the numbers as JSON")
    ap.add_argument(
        "--memorizer",
        action="store_true",
        help="only the memorizer parts: √N vs plain on N = 4…65536 (slope, crossover)",
    )
    ap.add_argument(
        "--certify",
        action="store_true",
        help="with --memorizer: certify the small builder with the √N memorizer (per-ball time)",
    )
    ap.add_argument("--certify-n", type=int, default=2**10, help="N for --certify (2^10)")
    a = ap.parse_args()
    if a.memorizer:
        memorizer_main(a)
        return
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
