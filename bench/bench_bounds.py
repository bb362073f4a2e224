"""Benchmark: vectorised float evaluation of every bound against exact per-point queries.

    python bench/bench_bounds.py [--points 100000] [--subset 300] [--seed 20251028]

Draws random points (N log-uniform in [2, 1e7], d log-uniform in [1, 1e6], ρ log-uniform
in [1e-9, 1), p from {1, 3/2, 2, 3, ∞}), evaluates all parameter-count bounds under both counting
conventions with ``bounds.vectorized.evaluate`` (timed cold, i.e. including the lambdify
compile, and warm), and a random subset exactly with ``bounds.query.query`` (sympy,
rational input: ρ is the exact binary value of the float sample). Prints throughput in
points per second, the speed ratio (target ≥ 100×), and the agreement on the subset:
regimes must match and values agree to 1e-9 relative; every mismatch is listed with its
distance to the nearest region boundary (mismatches exactly at a boundary are tolerated
only because they are reported here).

Exit code 0 when the ratio target is met and there is no mismatch away from a boundary,
1 otherwise.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bounds.plot import breakpoints  # noqa: E402
from bounds.point import INF, Point  # noqa: E402
from bounds.query import QueryResult, query  # noqa: E402
from bounds.symbols import N as N_SYM  # noqa: E402
from bounds.symbols import d as D_SYM  # noqa: E402
from bounds.symbols import p as P_SYM  # noqa: E402
from bounds.symbols import rho as RHO_SYM  # noqa: E402
from bounds.vectorized import REGIME_CODES, compiled, evaluate  # noqa: E402

COUNTS = ("all", "nonzero")
P_CHOICES = np.array([1.0, 1.5, 2.0, 3.0, np.inf])
REL_TOL = 1e-9
BOUNDARY_TOL = 1e-9  # a mismatch is "at a boundary" when ρ is this close (relative) to one
TARGET_RATIO = 100.0


def sample(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """n random points; N and d are integers (stored as floats), ρ ∈ [1e-9, 1)."""
    N = np.rint(np.exp(rng.uniform(math.log(2), math.log(1e7), n))).clip(2, 1e7)
    d = np.rint(np.exp(rng.uniform(0.0, math.log(1e6), n))).clip(1, 1e6)  # d > N: Case V
    rho = np.exp(rng.uniform(math.log(1e-9), 0.0, n))
    rho = np.minimum(rho, np.nextafter(1.0, 0.0))  # exp(−tiny) may round to 1.0
    p = rng.choice(P_CHOICES, n)
    return {"N": N, "d": d, "rho": rho, "p": p}


def exact_point(s: dict[str, np.ndarray], i: int) -> Point:
    pv = INF if np.isinf(s["p"][i]) else Fraction(float(s["p"][i]))
    return Point(int(s["N"][i]), int(s["d"][i]), Fraction(float(s["rho"][i])), pv)


def _val(a) -> float:
    return math.nan if a is None else a.value


def compare(res: QueryResult, vec: dict[str, np.ndarray], i: int) -> list[tuple[str, float, float]]:
    """(what, exact, vectorised) for every disagreement at sample i."""
    bad: list[tuple[str, float, float]] = []
    code = REGIME_CODES[res.regime]
    if code != int(vec["regime"][i]):
        bad.append(("regime", code, int(vec["regime"][i])))
    pairs = {
        "upper": _val(res.upper),
        "lower": _val(res.lower),
        "prior_upper": _val(res.prior_upper),
        "prior_lower": _val(res.prior_lower),
    }
    if res.count == "all":
        pairs["first_width"] = _val(res.first_layer_width)
    for k, e in pairs.items():
        v = float(vec[k][i])
        if math.isnan(e) and math.isnan(v):
            continue
        if math.isnan(e) or math.isnan(v) or abs(e - v) > REL_TOL * max(abs(e), abs(v)):
            bad.append((k, e, v))
    return bad


def boundary_distance(pt: Point, count: str) -> tuple[float, float | None]:
    """Relative distance from ρ to the nearest ρ at which a record's region changes."""
    pv = INF if pt.p == INF else pt.p
    fixed = {N_SYM: pt.N, D_SYM: pt.d, P_SYM: pt.subs()[P_SYM]}
    br = breakpoints(RHO_SYM, fixed, count, pv, 0.0, 1.0)
    r = float(pt.rho)
    if not br:
        return math.inf, None
    b = min(br, key=lambda b: abs(r / b - 1))
    return abs(r / b - 1), b


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=100_000, help="vectorised sample size")
    ap.add_argument("--subset", type=int, default=300, help="points checked exactly")
    ap.add_argument("--seed", type=int, default=20251028)
    ap.add_argument("--repeats", type=int, default=3, help="warm timing: best of this many")
    ap.add_argument(
        "--boundary-probes",
        type=int,
        default=40,
        help="extra points placed on region boundaries (reported separately; 0 to skip)",
    )
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    s = sample(args.points, rng)
    subset = rng.choice(args.points, size=min(args.subset, args.points), replace=False)
    print(f"seed = {args.seed}   points = {args.points}   exact subset = {len(subset)}")
    print(
        "sampling: N ~ logU[2, 1e7] (int), d ~ logU[1, 1e6] (int), ρ ~ logU[1e-9, 1), "
        "p ∈ {1, 3/2, 2, 3, ∞}; counts: " + ", ".join(COUNTS)
    )

    # ---------------------------------------------------------------- vectorised (floats)
    t0 = time.perf_counter()
    compiled()
    t_compile = time.perf_counter() - t0
    vec = {c: evaluate(s["N"], s["d"], s["rho"], s["p"], c) for c in COUNTS}
    t_cold = time.perf_counter() - t0
    warm = []
    for _ in range(max(1, args.repeats)):
        t0 = time.perf_counter()
        vec = {c: evaluate(s["N"], s["d"], s["rho"], s["p"], c) for c in COUNTS}
        warm.append(time.perf_counter() - t0)
    t_warm = min(warm)
    n = args.points
    print("\nvectorised (bounds.vectorized.evaluate, both counts)")
    print(f"  lambdify compile      {t_compile:9.3f} s")
    print(f"  cold (compile + eval) {t_cold:9.3f} s   {n / t_cold:14,.0f} points/s")
    print(f"  warm (best of {len(warm)})     {t_warm:9.3f} s   {n / t_warm:14,.0f} points/s")
    codes, counts = np.unique(vec["all"]["regime"], return_counts=True)
    names = {v: k for k, v in REGIME_CODES.items()}
    print(
        "  regimes: "
        + ", ".join(f"{names[int(c)]} {k}" for c, k in zip(codes, counts, strict=True))
    )

    # ---------------------------------------------------------------- exact (sympy)
    mismatches: list[tuple[int, str, Point, list, float, float | None]] = []
    t0 = time.perf_counter()
    for j, i in enumerate(subset):
        pt = exact_point(s, int(i))
        for c in COUNTS:
            bad = compare(query(pt, c), vec[c], int(i))
            if bad:
                mismatches.append((int(i), c, pt, bad, math.nan, None))
        if (j + 1) % 50 == 0:
            el = time.perf_counter() - t0
            print(f"  exact: {j + 1}/{len(subset)} points, {el:.1f} s", file=sys.stderr)
    t_exact = time.perf_counter() - t0
    per_point = t_exact / len(subset)
    print("\nexact (bounds.query.query per point, both counts)")
    print(f"  {len(subset)} points       {t_exact:9.3f} s   {1 / per_point:14,.1f} points/s")
    print(
        f"  per point             {per_point * 1e3:9.2f} ms   extrapolated to {n} points: "
        f"{per_point * n:,.0f} s ({per_point * n / 3600:.2f} h)"
    )

    ratio_warm = (n / t_warm) * per_point
    ratio_cold = (n / t_cold) * per_point
    print(
        f"\nspeed ratio vectorised / exact: warm {ratio_warm:,.0f}×   cold {ratio_cold:,.0f}×"
        f"   (target ≥ {TARGET_RATIO:.0f}×: {'met' if ratio_warm >= TARGET_RATIO else 'MISSED'})"
    )

    # ---------------------------------------------------------------- agreement
    at_boundary = off_boundary = 0
    for k, (i, c, pt, bad, _, _) in enumerate(mismatches):
        dist, b = boundary_distance(pt, c)
        mismatches[k] = (i, c, pt, bad, dist, b)
        if dist <= BOUNDARY_TOL:
            at_boundary += 1
        else:
            off_boundary += 1
    checks = len(subset) * len(COUNTS)
    print(
        f"\nagreement on the subset ({checks} point×count checks; regimes exact, values to "
        f"{REL_TOL:g} relative)"
    )
    print(
        f"  mismatches: {len(mismatches)}   at a region boundary (|ρ/b − 1| ≤ "
        f"{BOUNDARY_TOL:g}): {at_boundary}   elsewhere: {off_boundary}"
    )
    for i, c, pt, bad, dist, b in mismatches:
        where = "AT BOUNDARY" if dist <= BOUNDARY_TOL else "off boundary"
        print(
            f"  #{i} count={c} N={pt.N} d={pt.d} ρ={float(pt.rho):.17g} p={pt.p}  {where} "
            f"(nearest boundary {b!r}, rel. distance {dist:.3g})"
        )
        for what, e, v in bad:
            print(f"      {what}: exact {e!r} vs vectorised {v!r}")
    if args.boundary_probes:
        probe_boundaries(s, rng, args.boundary_probes)
    ok = ratio_warm >= TARGET_RATIO and off_boundary == 0
    return 0 if ok else 1


def probe_boundaries(s: dict[str, np.ndarray], rng: np.random.Generator, k: int) -> None:
    """Points whose ρ is the float nearest to a region boundary of their (N, d, p): where
    float and exact comparisons may legitimately differ. Reported, not failed."""
    rows, pts = [], []
    for i in rng.permutation(len(s["N"])):
        if len(rows) == k:
            break
        pt = exact_point(s, int(i))
        pv = INF if pt.p == INF else pt.p
        fixed = {N_SYM: pt.N, D_SYM: pt.d, P_SYM: pt.subs()[P_SYM]}
        br = breakpoints(RHO_SYM, fixed, "all", pv, 0.0, 1.0)
        if not br:
            continue
        b = float(br[int(rng.integers(len(br)))])
        rows.append((int(i), b))
        pts.append(Point(pt.N, pt.d, Fraction(b), pt.p))
    idx = np.array([i for i, _ in rows])
    sub = {key: s[key][idx].copy() for key in ("N", "d", "p")}
    sub["rho"] = np.array([b for _, b in rows])
    vec = {c: evaluate(sub["N"], sub["d"], sub["rho"], sub["p"], c) for c in COUNTS}
    n_bad = 0
    lines = []
    for j, pt in enumerate(pts):
        for c in COUNTS:
            bad = compare(query(pt, c), vec[c], j)
            if bad:
                n_bad += 1
                lines.append(
                    f"  N={pt.N} d={pt.d} ρ={float(pt.rho):.17g} p={pt.p} count={c}: "
                    + "; ".join(f"{w} exact {e!r} vs vectorised {v!r}" for w, e, v in bad)
                )
    print(
        f"\nboundary probes ({len(pts)} points with ρ = the float nearest to a region "
        f"boundary, both counts): {n_bad} disagreements (float vs exact side of the boundary)"
    )
    for line in lines:
        print(line)


if __name__ == "__main__":
    sys.exit(main())
