"""Fast checks of bench/bench_real.py's pure helpers (no benchmark files, no Marabou run):
the VNN-LIB box parser, the MNIST image recovery from a clipped box (round trip), the exact
re-check of a Marabou point, the ACAS Xu point sampler, and the skip path."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from tests.bench_loader import load_bench

pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def bench():
    return load_bench("bench_real")


TINY = """; a tiny property, label: 1
(declare-const X_0 Real)
(declare-const X_1 Real)
(declare-const X_2 Real)
(declare-const Y_0 Real)
(declare-const Y_1 Real)
(declare-const Y_2 Real)

(assert (<= X_0 0.25))
(assert (>= X_0 -0.5)) ; a comment (assert (<= X_0 9))
(assert (<= X_1 1.0))
(assert (>= X_1 0.97))
(assert (>= 0.125 X_2))
(assert (<= 0.0 X_2))
(assert (or
    (and (>= Y_0 Y_1))
    (and (>= Y_2 Y_1))
))
"""


def test_parse_vnnlib_box(bench):
    box = bench.parse_vnnlib_box(TINY)
    assert box.lo == [F(-1, 2), F(97, 100), F(0)]
    assert box.hi == [F(1, 4), F(1), F(1, 8)]
    assert box.label == 2 and box.outputs == 3  # output index 1 is class 2
    no_label = TINY.split("(assert (or")[0] + "(assert (>= Y_0 3.99))\n"
    assert bench.parse_vnnlib_box(no_label).label is None
    with pytest.raises(ValueError, match="X_1 needs a lower and an upper bound"):
        bench.parse_vnnlib_box(TINY.replace("(assert (>= X_1 0.97))", ""))
    with pytest.raises(ValueError, match="box is empty"):
        bench.parse_vnnlib_box(TINY.replace("0.97", "1.5"))


def test_image_recovery_round_trips(bench):
    eps = F("0.029999999329447746")
    image = [F(0), F(1), F(1, 100), F(45, 255), F(1, 2), F(99, 100), F(253, 255), F(0)]
    lo, hi = bench.clipped_box(image, eps)
    assert lo[0] == 0 and hi[1] == 1 and lo[2] == 0 and hi[5] == 1  # clipped on both sides
    # write it as a property file and read it back
    d = len(image)
    text = "".join(f"(declare-const X_{i} Real)\n" for i in range(d))
    text += "".join(f"(declare-const Y_{j} Real)\n" for j in range(3))
    for i, (a, b) in enumerate(zip(lo, hi)):
        text += f"(assert (<= X_{i} {float(b)!r}))\n(assert (>= X_{i} {float(a)!r}))\n"
    text += "(assert (or (and (>= Y_0 Y_2)) (and (>= Y_1 Y_2))))\n"
    box = bench.parse_vnnlib_box(text)
    assert box.label == 3
    e = bench.box_half_width(box, F(3, 100))
    assert e == F(repr(float(eps)))  # the smallest upper bound of a lo = 0 coordinate
    x = bench.recover_center(box.lo, box.hi, e)
    assert max(abs(a - b) for a, b in zip(x, image)) < F(1, 10**9)
    assert bench.roundtrip_error(x, e, box.lo, box.hi) < F(1, 10**12)
    # exact inputs recover exactly; a wrong ε does not round-trip
    assert bench.recover_center(lo, hi, eps) == image
    assert bench.roundtrip_error(bench.recover_center(lo, hi, eps * 2), eps, lo, hi) > F(1, 100)
    with pytest.raises(ValueError, match="not the property's"):
        bench.box_half_width(box, F(5, 100))


def test_acas_points_and_exact_recheck(bench):
    from certify.network import Network

    lo, hi = [F(3, 5), F(-1, 2)], [F(679857769, 10**9), F(1, 2)]
    pts = bench.acas_points(7, lo, hi, 5)
    assert pts == bench.acas_points(7, lo, hi, 5) and pts[:3] == bench.acas_points(7, lo, hi, 3)
    for x in pts:
        assert all(a <= t <= b and (t * 2**16).denominator == 1 for t, a, b in zip(x, lo, hi))
    # f(x) = (x_0, x_1): argmax is class 1 iff x_0 > x_1, a tie on x_0 = x_1
    net = Network([[[1, 0], [0, 1]], [[1, 0], [0, 1]]], [[0, 0], [0, 0]])
    assert bench.exact_label(net, (F(1), F(0))) == 1 and bench.exact_label(net, (1, 1)) is None
    c, r = (F(1, 2), F(1, 2)), F(1, 4)
    pt, how = bench.real_counterexample(net, c, r, 1, [0.5, 0.5])  # a tie inside: real
    assert pt == [F(1, 2), F(1, 2)] and how == "as given"
    pt, how = bench.real_counterexample(net, c, r, 1, [0.25, 0.5])  # on the face: pulled in
    assert pt is not None and "pulled" in how and max(abs(a - b) for a, b in zip(pt, c)) < r
    pt, how = bench.real_counterexample(net, c, r, 1, [0.75, 0.4])  # argmax = label
    assert pt is None and "not real" in how


def test_skip_when_the_benchmarks_are_missing(bench, tmp_path, capsys):
    out = tmp_path / "r.md"
    rc = bench.main(["--quick", "--data", str(tmp_path / "nope"), "--out", str(out)])
    assert rc == 0 and not out.exists()
    assert "skipped" in capsys.readouterr().out
    assert "lacks" in bench.unavailable(tmp_path, have_marabou=True)
    for p in [bench.acas_path(tmp_path, n) for n in bench.ACAS_NETS] + [
        tmp_path / "acasxu" / "prop_1.vnnlib",
        bench.mnist_net_path(tmp_path),
    ]:
        p.parent.mkdir(exist_ok=True)
        p.write_text("")
    assert bench.unavailable(tmp_path, have_marabou=True) is None
    assert "maraboupy" in bench.unavailable(tmp_path, have_marabou=False)
    assert bench.REPO.parent / "shared" / "benchmarks" == bench.DATA
