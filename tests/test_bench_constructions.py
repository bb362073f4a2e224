"""Smoke test of bench/bench_constructions.py on N = 2^4 … 2^6 (fast)."""

from __future__ import annotations

import math

import pytest

from certify.run import make_radius
from constructions.baseline import build_baseline
from constructions.large import build_large
from tests.bench_loader import load_bench

NS = [16, 32, 64]
CAPS = {"baseline": 32, "large-0.9": 32, "sqrt-build": 32, "small-sqrt": 64}


def _load():
    return load_bench("bench_constructions")


@pytest.fixture(scope="module")
def bench():
    return _load()


@pytest.fixture(scope="module")
def result(bench):
    res = bench.sweep(NS, caps=CAPS, log=lambda *a, **k: None)
    return res, bench.summarize(res)


def test_slopes_finite_and_ordered(result):
    res, summ = result
    for name, rows in res["builders"].items():
        assert rows, name
        assert math.isfinite(summ["slopes"][name]), name
    base = summ["slopes"]["baseline"]
    assert 1.5 < base < 2.2  # Θ(N²d) design
    for name in ("small", "large ρ=1/2"):
        assert summ["slopes"][name] < base - 0.3, (name, summ["slopes"])


def test_built_counts_are_network_counts(result, bench):
    res, _ = result
    built = 0
    for rows in res["builders"].values():
        for r in rows:
            if r["source"] == "built":
                assert r["params"] == r["num_params"]
                built += 1
    assert built >= 10
    # independent rebuilds reproduce the recorded counts
    ds = bench.dataset(32, bench.D, bench.SEED)
    net, _ = build_large(ds, make_radius(ds, "2", rho="1/2").radius_power, 2, seed=bench.SEED)
    (row,) = [r for r in res["builders"]["large ρ=1/2"] if r["N"] == 32]
    assert row["params"] == net.num_params()
    assert [r["N"] for r in res["builders"]["large ρ=9/10"]] == [16, 32]  # capped


def test_baseline_formula_equals_built(result, bench):
    res, _ = result
    rows = res["builders"]["baseline"]
    assert [r["source"] for r in rows] == ["built", "built", "formula"]
    for r in rows:
        assert r["formula_count"] == bench.baseline_formula(r["N"], bench.D, 3)
        if r["source"] == "built":
            assert r["params"] == r["formula_count"]
    # the formula row (N = 64) against a real build
    ds = bench.dataset(64, bench.D, bench.SEED)
    net, _ = build_baseline(ds, make_radius(ds, "inf", rho="1/2").radius_power, None)
    assert net.num_params() == rows[-1]["params"]


def test_small_rows_and_crossover(result):
    res, summ = result
    small = res["builders"]["small"]
    assert all(r["params"] < b["params"] for r, b in zip(small, res["builders"]["baseline"]))
    assert summ["N0"]["small"]["N0"] <= 16  # beats the baseline from the first N


def test_sqrt_formula_fallback(bench, monkeypatch):
    """Without build_small(memorizer=...) the bench reports the √N memorizer by its formula,
    built and compared where N <= the cap."""
    monkeypatch.setattr(bench, "has_sqrt_option", lambda: False)
    res = bench.sweep([16, 64], caps=CAPS, log=lambda *a, **k: None)
    rows = res["builders"]["sqrt memorizer (formula)"]
    assert [r["source"] for r in rows] == ["built", "formula"]
    assert rows[0]["params"] == rows[0]["num_params"]
    assert all(r["params"] > 0 and r["width"] >= 7 for r in rows)


def test_below_sweep_n0(bench):
    Ns = [4, 8, 16, 32, 64, 128]
    low = bench.below_sweep(
        bench.D, bench.SEED, bench.rho_small(bench.D), log=lambda *a: None, Ns=Ns
    )
    assert low["N"] == Ns
    assert low["N0"]["small"] <= 32  # small beats the O(N²d) baseline early
    for name, n0 in low["N0"].items():
        assert n0 is not None and n0 <= 128, name
        i = low["N"].index(n0)
        assert all(p < q for p, q in zip(low["params"][name][i:], low["params"]["baseline"][i:]))


def test_memorizer_sweep_slope_and_crossover(bench):
    """The memorizer section on N = 4 … 1024: formula = built count (asserted inside), exact
    values checked, √N below plain from N = 32 on, slope well below 1 over 256 … 1024."""
    bench_mod = bench
    bench_mod_fit = bench_mod.MEM_FIT
    try:
        bench_mod.MEM_FIT = (256, 1024)
        res = bench_mod.memorizer_sweep(
            [4, 16, 32, 64, 256, 1024], sample=200, log=lambda *a, **k: None
        )
    finally:
        bench_mod.MEM_FIT = bench_mod_fit
    rows = res["rows"]
    assert all(r["built"] and r["checked"] > 0 for r in rows)
    assert res["crossover"] <= 32 and res["slope"] < 0.7
    assert rows[-1]["sqrt"] < rows[-1]["plain"] / 3
