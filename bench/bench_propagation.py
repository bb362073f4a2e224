"""Benchmark of bound propagation (not a test): the kernel's sparse row-wise propagation
(rules.bounds, which the linear engine calls) against the dense reference, in the same
process, on the large builder's networks for digits subsets.

    python bench/bench_propagation.py [--quick] [--sizes 30,60,120]

For each N: build the large-builder network (ℓ2, ρ = 9/10) on N digits, then time one
propagation over the first ball with ``rules.bounds`` (sparse) and with the dense reference
``propagate_dense`` (tests/certify/reference_propagation.py: dense flint products), check that
both give the same bounds, and print the ratio dense/sparse (> 1: the sparse one is faster).
"""

from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction as F
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certify.dataset import Dataset  # noqa: E402
from certify.kernel import rules  # noqa: E402
from certify.run import balls, make_radius  # noqa: E402
from constructions.large import build_large  # noqa: E402
from tests.certify.reference_propagation import propagate_dense  # noqa: E402


def digits(n: int) -> Dataset:
    import sklearn.datasets as skd

    b = skd.load_digits()
    idx = np.linspace(0, len(b.target) - 1, n).astype(int)
    return Dataset.from_arrays(b.data[idx], b.target[idx] + 1)


def measure(n: int) -> dict:
    ds = digits(n)
    rad = make_radius(ds, "2", rho=F(9, 10))
    net, _ = build_large(ds, rad.radius_power, rad.p)
    ball = balls(ds, rad)[0]
    layers = rules.exact_layers(net)
    kb = rules.Ball(
        tuple(rules.exact(v) for v in ball.center), ball.label, 2, rules.exact(ball.radius_power)
    )
    t0 = time.perf_counter()
    sparse = rules.bounds(layers, kb, {})
    t1 = time.perf_counter()
    dense = propagate_dense(net, ball, {})
    t2 = time.perf_counter()
    same = sparse == (dense.lower, dense.upper)
    return {
        "N": n,
        "params": net.num_params(),
        "depth": net.depth,
        "width": net.width,
        "sparse_s": t1 - t0,
        "dense_s": t2 - t1,
        "same": same,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="N = 16, 30 only")
    ap.add_argument("--sizes", default="30,60,120", help="comma-separated N (default 30,60,120)")
    a = ap.parse_args(argv)
    sizes = [16, 30] if a.quick else [int(v) for v in a.sizes.split(",")]
    print("bench_propagation: large builder on digits (ℓ2, ρ = 9/10), first ball")
    print(
        f"{'N':>5} {'params':>9} {'depth':>6} {'width':>6} {'sparse s':>9} {'dense s':>9} "
        f"{'ratio':>7} same"
    )
    ok = True
    for n in sizes:
        r = measure(n)
        ok &= r["same"]
        print(
            f"{r['N']:>5} {r['params']:>9} {r['depth']:>6} {r['width']:>6} {r['sparse_s']:>9.3f} "
            f"{r['dense_s']:>9.3f} {r['dense_s'] / r['sparse_s']:>7.1f} {r['same']}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
