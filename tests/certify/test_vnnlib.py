"""VNN-LIB export: exact decimals (or outward rounding), the unsafe-set semantics checked on
the exact network, the file set, and — when maraboupy is installed — Marabou's verdicts on the
exported instances against robustmem's own."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import re
import warnings
from fractions import Fraction as F

import numpy as np
import pytest

from certify.dataset import Dataset
from certify.errors import InputError
from certify.io import load_network
from certify.network import Network
from certify.numbers import parse_number
from certify.run import certify, make_radius
from certify.vnnlib import decimal_text, export_vnnlib, vnnlib_property

pytest.importorskip("onnx")

# f = 1 on x <= 1, x on [1, 2], 2 on x >= 2
STEP = Network([[[1], [1]], [[1, -1]]], [[-1, -2], [1]])
STEP_DATA = Dataset([[0], [3], [-1]], [1, 2, 1])


def parse_property(text):
    """A tiny reader for the files we write: box bounds per X_i and the output clause."""
    lo, hi = {}, {}
    for op, i, v in re.findall(r"\(assert \((>=|<=) X_(\d+) (-?[0-9.]+)\)\)", text):
        (lo if op == ">=" else hi)[int(i)] = parse_number(v, "bound")
    num = r"(-?[0-9.]+)"
    out = re.search(rf"\(assert \(or \((<=|<) Y_0 {num}\) \((>=|>) Y_0 {num}\)\)\)", text)
    assert out is not None, text
    return lo, hi, out.group(1), parse_number(out.group(2), "y"), parse_number(out.group(4), "y")


@pytest.mark.parametrize(
    "q", [F(1, 2), F(-3, 8), F(7), F(0), F(-7, 10), F(1, 3), F(-1, 3), F(10**6, 7), F(1, 3 * 10**9)]
)
def test_decimal_text_is_exact_or_rounded_outward(q):
    down, ex_d = decimal_text(q, "down")
    up, ex_u = decimal_text(q, "up")
    assert ex_d == ex_u
    assert "e" not in down.lower() and "/" not in down
    d, u = parse_number(down, "d"), parse_number(up, "u")
    if ex_d:
        assert d == u == q
    else:
        assert d < q < u and (u - d) / abs(q) < F(1, 10**25)


def test_property_text_and_semantics():
    text, exact = vnnlib_property(["1/2", -2], "1/4", 3, delta="1/8")
    assert exact
    assert "(declare-const X_0 Real)" in text and "(declare-const X_1 Real)" in text
    assert "(declare-const Y_0 Real)" in text and "X_2" not in text
    lo, hi, op_lo, y_lo, y_hi = parse_property(text)
    assert lo == {0: F(1, 4), 1: F(-9, 4)} and hi == {0: F(3, 4), 1: F(-7, 4)}
    assert (op_lo, y_lo, y_hi) == ("<=", F(23, 8), F(25, 8))
    assert "OPEN" in text and "CLOSED" in text  # the documented difference
    strict, _ = vnnlib_property([0], 1, 2, delta=0)
    assert "(assert (or (< Y_0 2) (> Y_0 2)))" in strict


def test_inexact_numbers_round_outward():
    text, exact = vnnlib_property(["1/3"], "1/3", 1, delta="1/3")
    assert not exact
    lo, hi, _, y_lo, y_hi = parse_property(text)
    assert lo[0] <= 0 and hi[0] >= F(2, 3)  # the box only grows
    assert y_lo >= 1 - F(1, 3) and y_hi <= 1 + F(1, 3)  # the unsafe set only grows


def test_bad_arguments():
    with pytest.raises(InputError, match="mu"):
        vnnlib_property([0], 0, 1)
    with pytest.raises(InputError, match="delta"):
        vnnlib_property([0], 1, 1, delta=-1)
    with pytest.raises(InputError, match="float"):
        vnnlib_property([0.1], 1, 1)


def test_export_writes_the_instance_set(tmp_path):
    rep = export_vnnlib(STEP, STEP_DATA, F(3, 2), tmp_path / "out", balls=[2, 0], timeout=17)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "ball_0.vnnlib",
        "ball_2.vnnlib",
        "instances.csv",
        "manifest.json",
        "network.onnx",
    ]
    rows = list(csv.reader((out / "instances.csv").read_text().splitlines()))
    assert rows == [["network.onnx", f"ball_{i}.vnnlib", "17"] for i in (2, 0)]
    man = json.loads((out / "manifest.json").read_text())
    assert man["exact"] and man["onnx_exact"] and man["mu"] == "3/2" and man["delta"] == "1/2"
    assert [i["label"] for i in man["instances"]] == [1, 1]
    assert rep.exact and load_network(out / "network.onnx") == STEP
    # deterministic: the same export gives the same bytes
    export_vnnlib(STEP, STEP_DATA, F(3, 2), tmp_path / "again", balls=[2, 0], timeout=17)
    for p in out.iterdir():
        assert p.read_bytes() == (tmp_path / "again" / p.name).read_bytes()


def test_export_errors(tmp_path):
    with pytest.raises(InputError, match="out of range"):
        export_vnnlib(STEP, STEP_DATA, 1, tmp_path, balls=[3])
    with pytest.raises(InputError, match="repeat"):
        export_vnnlib(STEP, STEP_DATA, 1, tmp_path, balls=[0, 0])
    wide = Dataset([[0, 0], [1, 1]], [1, 2])
    with pytest.raises(InputError, match="input_dim"):
        export_vnnlib(STEP, wide, 1, tmp_path)


def test_counterexamples_of_robustmem_lie_in_the_unsafe_set(tmp_path):
    """robustmem's REFUTED balls: its exact counterexample satisfies the written property."""
    rad = make_radius(STEP_DATA, "inf", mu="3/2")
    rep = certify(STEP, STEP_DATA, rad, engine="linear", timeout=30)
    assert [r.status for r in rep.results] == ["REFUTED", "REFUTED", "PROVED"]
    for r in rep.results[:2]:
        text, _ = vnnlib_property(STEP_DATA.X[r.index], F(3, 2), STEP_DATA.y[r.index], delta=0)
        lo, hi, _, y, _ = parse_property(text)
        x = [F(v) for v in r.counterexample]
        assert all(lo[i] <= v <= hi[i] for i, v in enumerate(x))
        assert STEP.evaluate(x) != y


# ------------------------------------------------------------------ Marabou

HAVE_MARABOU = importlib.util.find_spec("maraboupy") is not None


def marabou_verdict(onnx_path, vnnlib_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from maraboupy import Marabou

        net = Marabou.read_onnx(str(onnx_path))
        opts = Marabou.createOptions(verbosity=0, timeoutInSeconds=30)
        with contextlib.redirect_stdout(io.StringIO()):
            verdict, vals, _ = net.solve(
                propertyFilename=str(vnnlib_path), options=opts, verbose=False
            )
    xs = [vals[v] for v in np.asarray(net.inputVars[0]).flatten()] if verdict == "sat" else None
    return verdict, xs


def tiny_dataset(seed):
    rng = np.random.default_rng(seed)
    while True:
        X = rng.integers(0, 8, size=(5, 2))
        y = rng.integers(1, 3, size=5)
        if len({tuple(r) for r in X}) == 5 and len(set(y.tolist())) == 2:
            return Dataset.from_arrays(X, y)


def compare_with_marabou(net, ds, mu, outdir, delta=F(1, 64)):
    rad = make_radius(ds, "inf", mu=mu)
    rep = certify(net, ds, rad, engine="linear", timeout=30)
    ex = export_vnnlib(net, ds, mu, outdir, delta=delta)
    pairs = []
    for inst, res in zip(ex.instances, rep.results):
        verdict, xs = marabou_verdict(outdir / ex.onnx, outdir / inst["vnnlib"])
        pairs.append((res.status, verdict))
        if verdict == "sat":  # Marabou's counterexample, re-checked exactly (floats -> exact)
            c = ds.X[inst["index"]]
            x = [F(v) for v in xs]
            assert max(abs(a - b) for a, b in zip(x, c)) <= mu + F(1, 10**6)
            assert abs(net.evaluate(x) - ds.y[inst["index"]]) >= delta - F(1, 10**6)
    return pairs


@pytest.mark.skipif(not HAVE_MARABOU, reason="maraboupy is not installed (pip install maraboupy)")
def test_marabou_agrees_on_the_baseline_memorizer(tmp_path):
    from constructions.baseline import build_baseline

    ds = tiny_dataset(0)
    eps = ds.epsilon_inf()
    net, _ = build_baseline(ds, eps / 2, None)
    expect = {"PROVED": "unsat", "REFUTED": "sat"}
    for k, mu in enumerate((eps / 2, eps * F(3, 2))):
        pairs = compare_with_marabou(net, ds, mu, tmp_path / str(k))
        assert [m for _, m in pairs] == [expect[s] for s, _ in pairs], pairs
        assert {s for s, _ in pairs} == ({"PROVED"} if k == 0 else {"REFUTED"})


@pytest.mark.skipif(not HAVE_MARABOU, reason="maraboupy is not installed (pip install maraboupy)")
def test_marabou_agrees_on_a_network_with_known_counterexamples(tmp_path):
    pairs = compare_with_marabou(STEP, STEP_DATA, F(3, 2), tmp_path)
    assert pairs == [("REFUTED", "sat"), ("REFUTED", "sat"), ("PROVED", "unsat")]
    pairs = compare_with_marabou(STEP, STEP_DATA, F(1, 2), tmp_path / "small")
    assert pairs == [("PROVED", "unsat")] * 3


# ------------------------------------------------------------------ classifiers (argmax)

# f_1 = relu(x), f_2 = relu(−x) + 1: class 1 iff x > 1, class 2 iff x < 1, a tie at x = 1
CLF = Network([[[1], [-1]], [[1, 0], [0, 1]]], [[0, 0], [0, 1]])
CLF_DATA = Dataset([[2], [-2], [F(3, 4)]], [1, 2, 1])


def parse_argmax(text):
    lo, hi = {}, {}
    for op, i, v in re.findall(r"\(assert \((>=|<=) X_(\d+) (-?[0-9.]+)\)\)", text):
        (lo if op == ">=" else hi)[int(i)] = parse_number(v, "bound")
    pairs = [(int(a), int(b)) for a, b in re.findall(r"\(and \(>= Y_(\d+) Y_(\d+)\)\)", text)]
    return lo, hi, pairs


def test_argmax_property_text_and_semantics():
    text, exact = vnnlib_property([F(3, 4)], F(1, 8), 1, classes=3)
    assert exact and "(declare-const Y_2 Real)" in text
    lo, hi, pairs = parse_argmax(text)
    assert lo == {0: F(5, 8)} and hi == {0: F(7, 8)} and pairs == [(1, 0), (2, 0)]
    with pytest.raises(InputError, match="not a class"):
        vnnlib_property([0], 1, 4, classes=3)


def test_argmax_export_matches_certify_on_a_classifier(tmp_path):
    """unsat ⟺ no point of the box where some other class ties or wins: checked on the exact
    network; robustmem's REFUTED counterexamples lie in the written unsafe set."""
    rad = make_radius(CLF_DATA, "inf", mu="1/2")
    rep = certify(CLF, CLF_DATA, rad, engine="linear", timeout=30)
    assert [r.status for r in rep.results] == ["PROVED", "PROVED", "REFUTED"]
    ex = export_vnnlib(CLF, CLF_DATA, F(1, 2), tmp_path)
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert man["property"] == "argmax" and man["classes"] == 2 and man["delta"] is None
    for inst, res in zip(ex.instances, rep.results):
        lo, hi, pairs = parse_argmax((tmp_path / inst["vnnlib"]).read_text())
        k = CLF_DATA.y[inst["index"]] - 1
        assert pairs == [(1 - k, k)]
        if res.status == "REFUTED":
            x = [F(v) for v in res.counterexample]
            assert lo[0] <= x[0] <= hi[0]
            out = CLF.evaluate_vector(x)
            assert out[1 - k] >= out[k]
    bad = Dataset([[0], [5]], [1, 3])
    with pytest.raises(InputError, match="not a class"):
        export_vnnlib(CLF, bad, 1, tmp_path / "bad")
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())


@pytest.mark.skipif(not HAVE_MARABOU, reason="maraboupy is not installed (pip install maraboupy)")
def test_marabou_agrees_on_a_classifier(tmp_path):
    """Marabou reads the argmax properties: unsat on the PROVED balls, sat on the REFUTED one
    with a point where the other class wins or ties (re-checked exactly). At μ = 1 the box of
    ball 0 ([1, 3]) touches the tie x = 1 that robustmem's open ball excludes: Marabou's sat
    there is a boundary tie, which decides nothing (certify/vnnlib.py)."""
    for mu in (F(1, 2), F(1)):
        rad = make_radius(CLF_DATA, "inf", mu=mu)
        rep = certify(CLF, CLF_DATA, rad, engine="linear", timeout=30)
        ex = export_vnnlib(CLF, CLF_DATA, mu, tmp_path / str(mu).replace("/", "_"))
        for inst, res in zip(ex.instances, rep.results):
            verdict, xs = marabou_verdict(
                tmp_path / str(mu).replace("/", "_") / ex.onnx,
                tmp_path / str(mu).replace("/", "_") / inst["vnnlib"],
            )
            k = CLF_DATA.y[inst["index"]] - 1
            if res.status == "REFUTED" or (mu == 1 and inst["index"] == 0):
                assert verdict == "sat"
                x = [F(v) for v in xs]
                out = CLF.evaluate_vector(x)
                assert out[1 - k] >= out[k] - F(1, 10**6)
                if res.status == "PROVED":  # the tie on the boundary of the closed box
                    assert abs(x[0] - 1) <= F(1, 10**6)
            else:
                assert res.status == "PROVED" and verdict == "unsat"
