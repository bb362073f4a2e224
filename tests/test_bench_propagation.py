"""Smoke test of bench/bench_propagation.py: the sparse and dense propagations agree on a
large-builder network (N = 16 digits) and the report has its columns."""

from __future__ import annotations

from tests.bench_loader import load_bench


def test_bench_propagation_agrees_on_a_small_instance(capsys):
    bench = load_bench("bench_propagation")
    r = bench.measure(16)
    assert r["same"] and r["depth"] > 10 and r["sparse_s"] > 0 and r["dense_s"] > 0
    assert bench.main(["--sizes", "12"]) == 0
    out = capsys.readouterr().out
    assert "ratio" in out and "True" in out
