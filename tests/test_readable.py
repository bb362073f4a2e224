"""Issue 16, item 6: readable output. Long exact numbers are shown as short decimals in text
output (exact in --json), counterexamples get a decimal view, p = ∞ prints no "radius^p",
construct names each report field once, convert summarises long width lists, and ONNX
messages say what to do (a final Softmax can be dropped; an empty file is empty)."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from robustmem.cli import main

# f(x) = x1 + x2 + 1 on R^2: both balls of the two points refuted (f(1,1) = 3 ≠ 2, f near 0
# is above 1); the attack's counterexample near the origin has long binary fractions
NET = (
    '{"format": "robustmem-network/1", "input_dim": 2, "layers": ['
    '{"weight": [[1, 1]], "bias": [0]}, {"weight": [[1]], "bias": [1]}]}'
)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "net.json").write_text(NET)
    (tmp_path / "data.csv").write_text("0,0,1\n1,1,2\n")
    return tmp_path


@pytest.mark.parametrize("p", ["inf", "2"])
def test_certify_text_has_decimal_counterexamples_and_no_radius_power_for_inf(files, capsys, p):
    code, out, _ = run(capsys, "certify", files / "net.json", files / "data.csv", "--rho",
                       "1/2", "--p", p, "-q")  # fmt: skip
    assert code == 1
    header = out.splitlines()[0]
    assert ("radius^" in header) == (p != "inf")
    code, js, _ = run(capsys, "certify", files / "net.json", files / "data.csv", "--rho",
                      "1/2", "--p", p, "-q", "--json")  # fmt: skip
    rep = json.loads(js)
    for ball in rep["balls"]:
        x = [Fraction(v) for v in ball["counterexample"]]
        long = any(len(str(v)) > 12 for v in x)
        lines = out.splitlines()
        at = next(k for k, ln in enumerate(lines) if ln.startswith(f"  ball {ball['index']:>5}:"))
        line = lines[at + 1]
        if long:  # a decimal view, each coordinate within 5 significant digits of the exact
            shown = re.search(r"x' ≈ \(([^)]*)\)", line).group(1).split(", ")
            for s, v in zip(shown, x):
                assert abs(Fraction(s) - v) <= abs(v) * Fraction(1, 10**4)
            assert all("/" not in s for s in shown)
        else:
            assert f"x' = ({', '.join(str(v) for v in x)})" in line


def test_bounds_header_shortens_a_long_rho(capsys):
    rho = "0." + "3" * 99
    code, out, _ = run(capsys, "bounds", "--N", "5", "--d", "4", "--rho", rho)
    header = out.splitlines()[0]
    assert code == 0 and "3333333333333333" not in header and "0.333333" in header
    code, js, _ = run(capsys, "bounds", "--N", "5", "--d", "4", "--rho", rho, "--json")
    assert "3" * 99 in js  # the exact value stays in --json


def test_construct_report_names_each_field_once(tmp_path, capsys):
    rows = [f"{i},{(i * 7) % 5},{1 + i % 2}\n" for i in range(12)]
    (tmp_path / "d.csv").write_text("".join(rows))
    code, out, _ = run(capsys, "construct", tmp_path / "d.csv", "--rho", "1/2", "--p", "2",
                       "--method", "large", "-o", tmp_path / "n.json")  # fmt: skip
    assert code == 0
    design = next(ln for ln in out.splitlines() if ln.strip().startswith("design:"))
    stages = next(ln for ln in out.splitlines() if ln.strip().startswith("parameters by stage:"))
    for word in ("projection", "blocks"):  # once as a choice/count, once as parameters
        assert sum(ln.split()[0] == word for ln in out.splitlines() if ln.split()) == 0
        assert design.count(word) == 1 and stages.count(word) == 1


def test_convert_summarises_a_deep_network(tmp_path, capsys):
    layers = [{"weight": [[1]], "bias": [0]} for _ in range(200)]
    net = {"format": "robustmem-network/1", "input_dim": 1, "layers": layers}
    (tmp_path / "deep.json").write_text(json.dumps(net))
    code, out, _ = run(capsys, "convert", tmp_path / "deep.json", tmp_path / "deep2.json")
    assert code == 0 and "200 layers" in out and len(out) < 300
    code, js, _ = run(capsys, "convert", tmp_path / "deep.json", tmp_path / "deep3.json",
                      "--json")  # fmt: skip
    assert len(json.loads(js)["widths"]) == 201


def test_onnx_softmax_and_empty_messages(tmp_path, capsys):
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    W = numpy_helper.from_array(np.eye(2, dtype=np.float32), "W")
    b = numpy_helper.from_array(np.zeros(2, dtype=np.float32), "b")
    g = helper.make_graph(
        [
            helper.make_node("Gemm", ["x", "W", "b"], ["h"]),
            helper.make_node("Softmax", ["h"], ["y"]),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        [W, b],
    )
    onnx.save(helper.make_model(g), tmp_path / "sm.onnx")
    (tmp_path / "empty.onnx").write_bytes(b"")
    code, _, err = run(capsys, "convert", tmp_path / "sm.onnx", tmp_path / "x.json")
    assert code == 3 and "argmax" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "convert", tmp_path / "empty.onnx", tmp_path / "x.json")
    assert code == 3 and "empty" in err and "0 inputs" not in err
    assert not (tmp_path / "x.json").exists()
