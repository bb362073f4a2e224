"""Smoke test of bench/bench_peers.py on tiny instances (fast): robustmem's linear engine, its
z3 engine and (when maraboupy is importable) Marabou agree on every decided ball, a planted
wrong verdict is reported as a disagreement, and the fitted time-vs-balls slope is finite."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from fractions import Fraction as F

import pytest

from tests.bench_loader import load_bench

pytest.importorskip("onnx")

HAVE_MARABOU = importlib.util.find_spec("maraboupy") is not None
NO_MARABOU = "maraboupy is not importable (pip install maraboupy; wheels for CPython 3.10/3.11)"


def _load():
    return load_bench("bench_peers")


@pytest.fixture(scope="module")
def bench():
    return _load()


@pytest.fixture(scope="module")
def instances(bench):
    """A constructed memorizer at a radius that refutes some balls and one that proves all,
    and a small random saturating network with labels round(f(x_i))."""
    from certify.run import make_radius
    from constructions.build import construct

    ds = bench.dataset(3, 6, 2)
    eps = ds.epsilon_inf()
    net, _ = construct(ds, make_radius(ds, "inf", rho=F(1, 2)), "baseline")
    rnet, rds = bench.random_instance(7, 2, 1, 6, 10)
    return [
        bench.Instance("baseline ρ=1/2", net, ds, eps / 2),
        bench.Instance("baseline 3ε/2", net, ds, eps * F(3, 2)),
        bench.Instance("random", rnet, rds, F(1, 2)),
    ]


def test_random_instance_labels_are_rounded_outputs(bench, instances):
    rnet, rds = instances[2].net, instances[2].ds
    assert set(rds.y) == {1, 2} and min(rds.y.count(1), rds.y.count(2)) >= rds.N // 4
    for x, y in zip(rds.X, rds.y):
        v = rnet.evaluate(list(x))
        assert 1 <= v <= 2 and y == math.floor(v + F(1, 2))


def test_linear_and_z3_agree_on_every_ball(bench, instances):
    sr = bench.run_set("tiny", instances, 30, 30, use_marabou=False)
    assert sr.z3_bad == [] and sr.mar_bad == []
    assert sr.z3_decided == sr.z3_agree == sr.balls == len(sr.lin) == len(sr.z3)
    assert sr.lin == sr.z3
    assert {"PROVED", "REFUTED"} <= set(sr.lin)  # the instances give a mix
    assert sr.lin_s > 0 and sr.z3_s > 0


@pytest.mark.skipif(not HAVE_MARABOU, reason=NO_MARABOU)
def test_marabou_agrees_on_every_ball(bench, instances):
    sr = bench.run_set("tiny", instances, 30, 30, use_marabou=True)
    assert sr.mar_bad == [] and sr.z3_bad == []
    assert sr.mar_decided == sr.mar_agree == sr.balls
    assert set(sr.mar) == {"sat", "unsat"}
    expect = {"PROVED": "unsat", "REFUTED": "sat"}
    # with δ-gap balls excluded, robustmem's verdict maps to Marabou's answer one to one
    mism = [(a, b) for a, b in zip(sr.lin, sr.mar) if expect[a] != b]
    assert len(mism) == sr.mar_gap and all(m == ("REFUTED", "unsat") for m in mism)


@pytest.mark.skipif(not HAVE_MARABOU, reason=NO_MARABOU)
def test_a_wrong_verdict_is_reported(bench, instances, tmp_path):
    from certify.run import certify, make_radius

    inst = instances[1]  # every ball REFUTED
    rep = certify(inst.net, inst.ds, make_radius(inst.ds, "inf", mu=inst.mu), engine="linear")
    assert {r.status for r in rep.results} == {"REFUTED"}
    rep.results[0] = dataclasses.replace(rep.results[0], status="PROVED", counterexample=None)
    sr = bench.SetResult("planted", inst.ds.N)
    bench.compare_marabou(inst, rep.results, tmp_path, 30, sr)
    assert len(sr.mar_bad) == 1 and "robustmem PROVED, Marabou sat" in sr.mar_bad[0]
    assert sr.mar_agree == sr.mar_decided - 1


def test_slope(bench, capsys):
    assert bench.loglog_slope([1, 2, 4, 8], [3.0, 12.0, 48.0, 192.0]) == pytest.approx(2.0)
    ns, ts, slope = bench.part3(True, 30, 0, ns=[8, 16, 32])
    assert ns == [8, 16, 32] and all(t > 0 for t in ts)
    assert math.isfinite(slope) and 0 < slope < 4
    assert "fitted log-log slope" in capsys.readouterr().out
