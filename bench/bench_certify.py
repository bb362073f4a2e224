"""Benchmark of the certifier's engines (not a test).

    python bench/bench_certify.py [--quick] [--timeout 60]

1. Same instances, both engines: balls per second of the linear engine vs the z3 engine,
   printed as a ratio (> 1 means the linear engine is faster).
   Instances: the baseline bump memorizer (constructions/baseline.py) on random integer
   datasets, certified for ℓ∞, ℓ1 and ℓ2 at a radius it supports (PROVED), and at twice
   the radius (mostly REFUTED).
2. Growth: time per ball of the linear engine against depth, width and number of balls,
   on random "plateau" networks label + relu(h(x) − t) with h a random ReLU network.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from fractions import Fraction as F
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certify.ball import Ball  # noqa: E402
from certify.dataset import Dataset  # noqa: E402
from certify.engines import linear, z3_engine  # noqa: E402
from certify.network import Network  # noqa: E402
from certify.run import balls, make_radius  # noqa: E402
from constructions.baseline import build_baseline  # noqa: E402


def dataset(seed: int, N: int, d: int) -> Dataset:
    rng = np.random.default_rng(seed)
    while True:
        X = rng.integers(0, 4 * N, size=(N, d))
        y = rng.integers(1, 4, size=N)
        if len({tuple(r) for r in X}) == N:
            return Dataset.from_arrays(X, y)


def time_engine(fn, net, bs, timeout):
    """Seconds for all balls, as ``certify`` runs them (the linear engine prepares the network
    once per run, included in the time)."""
    t0 = time.perf_counter()
    kw = {"prep": linear.prepare(net)} if fn is linear.check_ball else {}
    statuses = [fn(net, b, timeout=timeout, **kw).status for b in bs]
    return time.perf_counter() - t0, statuses


def part1(quick: bool, timeout: float) -> None:
    print("== 1. linear vs z3 on the same balls (baseline memorizers)")
    print(
        f"{'N':>4} {'d':>3} {'p':>4} {'radius':>7} {'linear b/s':>11} {'z3 b/s':>9} "
        f"{'ratio':>7}  verdicts (linear | z3)"
    )
    sizes = [(8, 2), (16, 3)] if quick else [(8, 2), (16, 3), (32, 4), (48, 6)]
    tot_lin = tot_z3 = 0.0
    nballs = 0
    for N, d in sizes:
        ds = dataset(N * 7 + d, N, d)
        for p in ("inf", "1", "2"):
            pn = None if p == "inf" else int(p)
            rad = make_radius(ds, p, mu=ds.epsilon_inf() * F(9, 10))
            net, _ = build_baseline(ds, rad.radius_power, pn)
            for label, r in (
                ("0.9ε∞", rad),
                ("1.8ε∞", make_radius(ds, p, mu=ds.epsilon_inf() * F(9, 5))),
            ):
                bs = balls(ds, r)
                t_lin, s_lin = time_engine(linear.check_ball, net, bs, timeout)
                t_z3, s_z3 = time_engine(z3_engine.check_ball, net, bs, timeout)
                tot_lin += t_lin
                tot_z3 += t_z3
                nballs += len(bs)
                summary = f"{_count(s_lin)} | {_count(s_z3)}"
                print(
                    f"{N:>4} {d:>3} {p:>4} {label:>7} {len(bs) / t_lin:>11.1f} "
                    f"{len(bs) / t_z3:>9.1f} {t_z3 / t_lin:>7.2f}  {summary}"
                )
    print(
        f"overall: {nballs} balls, linear {nballs / tot_lin:.1f} balls/s, z3 "
        f"{nballs / tot_z3:.1f} balls/s, ratio linear/z3 speed = {tot_z3 / tot_lin:.2f}"
    )


def _count(statuses) -> str:
    return "/".join(f"{statuses.count(s)}{s[0]}" for s in ("PROVED", "REFUTED", "UNKNOWN"))


def plateau(rng: random.Random, d: int, depth: int, width: int) -> Network:
    widths = [d] + [width] * depth + [1]
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers.append(
            {
                "weight": [[str(F(rng.randint(-4, 4), 4)) for _ in range(a)] for _ in range(b)],
                "bias": [str(F(rng.randint(-4, 4), 4)) for _ in range(b)],
            }
        )
    # shift so that h(0) is well below the threshold: a plateau around the origin
    net = Network.from_json({"format": "robustmem-network/1", "input_dim": d, "layers": layers})
    h0 = net.evaluate([0] * d)
    layers[-1]["bias"] = [str(F(layers[-1]["bias"][0]) - h0 - 1)]
    layers.append({"weight": [["1"]], "bias": ["2"]})
    return Network.from_json({"format": "robustmem-network/1", "input_dim": d, "layers": layers})


def part2(quick: bool, timeout: float) -> None:
    print("\n== 2. growth of the linear engine (ms per ball, ℓ∞ and ℓ2, d = 4)")
    rng = random.Random(1)
    print(f"{'depth':>5} {'width':>5} {'ℓ∞ ms':>8} {'ℓ2 ms':>8}  verdicts")
    grid = (
        [(1, 4), (2, 4), (3, 4), (2, 8), (2, 16)]
        if quick
        else [(1, 4), (2, 4), (3, 4), (4, 4), (6, 4), (2, 8), (2, 16), (2, 32), (3, 16)]
    )
    for depth, width in grid:
        net = plateau(rng, 4, depth, width)
        row = []
        verdicts = []
        for p in (None, 2):
            bs = [Ball((F(0),) * 4, 2, p, F(1, 8) if p is None else F(1, 64)) for _ in range(5)]
            t, s = time_engine(linear.check_ball, net, bs, timeout)
            row.append(1000 * t / len(bs))
            verdicts.append(_count(s))
        print(f"{depth:>5} {width:>5} {row[0]:>8.1f} {row[1]:>8.1f}  {' | '.join(verdicts)}")
    print("\n== 3. number of balls (baseline, d = 3, ℓ∞): total seconds of the linear engine")
    for N in [8, 16, 32] if quick else [8, 16, 32, 64, 128]:
        ds = dataset(N, N, 3)
        rad = make_radius(ds, "inf", mu=ds.epsilon_inf() * F(9, 10))
        net, _ = build_baseline(ds, rad.radius_power, None)
        bs = balls(ds, rad)
        t, s = time_engine(linear.check_ball, net, bs, timeout)
        print(f"  N = {N:>4}: {t:7.2f} s  ({1000 * t / N:.1f} ms/ball, {_count(s)})")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per ball")
    a = ap.parse_args()
    part1(a.quick, a.timeout)
    part2(a.quick, a.timeout)


if __name__ == "__main__":
    main()
