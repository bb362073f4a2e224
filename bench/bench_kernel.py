"""Benchmark: the trusted kernel's re-check time against the certification (search) time on
the same instances (not a test).

    python bench/bench_kernel.py

Instances: baseline memorizers on random integer datasets (root proofs) and random
"plateau" networks whose proofs need branch and bound and solver leaves with multipliers.
Prints per-instance search seconds, kernel seconds and the ratio search / check.
"""

from __future__ import annotations

import random
import sys
import time
from fractions import Fraction as F
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_certify import dataset, plateau  # noqa: E402

from certify import kernel  # noqa: E402
from certify.ball import Ball  # noqa: E402
from certify.engines import linear  # noqa: E402
from certify.run import balls, make_radius  # noqa: E402
from constructions.baseline import build_baseline  # noqa: E402


def measure(net, bs) -> tuple[float, float, int]:
    prep = linear.prepare(net)
    t0 = time.perf_counter()
    results = [linear.check_ball(net, b, prep=prep) for b in bs]
    search = time.perf_counter() - t0
    t0 = time.perf_counter()
    layers = kernel.exact_layers(net)
    n = 0
    for b, r in zip(bs, results):
        if r.status == "PROVED" and r.certificate is not None:
            kernel.check_tree(layers, linear.kernel_ball(b), r.certificate["tree"], {})
            n += 1
    return search, time.perf_counter() - t0, n


def main() -> None:
    print(f"{'instance':<34} {'proved':>6} {'search s':>9} {'kernel s':>9} {'search/check':>13}")
    tot_s = tot_k = 0.0
    for N, d in [(16, 3), (32, 4)]:
        ds = dataset(N * 7 + d, N, d)
        for p in ("inf", "1", "2"):
            rad = make_radius(ds, p, mu=ds.epsilon_inf() * F(9, 10))
            net, _ = build_baseline(ds, rad.radius_power, None if p == "inf" else int(p))
            s, k, n = measure(net, balls(ds, rad))
            tot_s, tot_k = tot_s + s, tot_k + k
            print(f"{f'baseline N={N} d={d} p={p}':<34} {n:>6} {s:>9.3f} {k:>9.3f} {s / k:>13.1f}")
    rng = random.Random(7)
    for depth, width in [(1, 8), (2, 8), (2, 16)]:
        net = plateau(rng, 3, depth, width)
        for p in (None, 1, 2):
            mu = F(1, 2) if p in (None, 1) else F(1, 4)
            bs = [Ball((F(0),) * 3, 2, p, mu if p in (None, 1) else mu * mu) for _ in range(3)]
            s, k, n = measure(net, bs)
            if n:
                tot_s, tot_k = tot_s + s, tot_k + k
                label = f"plateau depth={depth} width={width} p={p or 'inf'}"
                print(f"{label:<34} {n:>6} {s:>9.3f} {k:>9.3f} {s / max(k, 1e-9):>13.1f}")
    print(f"overall: search {tot_s:.2f} s, kernel {tot_k:.2f} s, ratio {tot_s / tot_k:.1f}x")


if __name__ == "__main__":
    main()
