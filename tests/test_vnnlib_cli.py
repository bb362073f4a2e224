"""``robustmem certify NET --vnnlib P...`` and ``robustmem check NET CERT --vnnlib P...``:
verdicts and exit codes, the bundle round trip through the kernel, and one-line errors."""

from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path

import pytest

from robustmem.cli import main

from .certify.test_spec import net_text, prop

BENCH = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
CLAMP = net_text([([[F(1)], [F(1)]], [F(0), F(-1)]), ([[F(1), F(-1)]], [F(0)])])  # [0, 1]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "net.json").write_text(CLAMP)
    (tmp_path / "holds.vnnlib").write_text(prop(1, 1, [("-1", "2")], "(assert (>= Y_0 1.5))"))
    (tmp_path / "fails.vnnlib").write_text(prop(1, 1, [("-1", "2")], "(assert (>= Y_0 1))"))
    return tmp_path


def run(capsys, *argv):
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "internal error" not in out.err, out.err
    return code, out.out, out.err


def test_verdicts_exit_codes_and_json(files, capsys):
    net, holds, fails = files / "net.json", files / "holds.vnnlib", files / "fails.vnnlib"
    code, out, _ = run(capsys, "certify", net, "--vnnlib", holds, "-q")
    assert code == 0 and "PROVED (unsat)" in out
    code, out, _ = run(capsys, "certify", net, "--vnnlib", holds, fails, "-q")
    assert code == 1 and "REFUTED (sat)" in out and "x = (" in out
    code, out, _ = run(capsys, "certify", net, "--vnnlib", holds, fails, "--json", "-q")
    rep = json.loads(out)
    assert code == 1 and rep["summary"] == {"PROVED": 1, "REFUTED": 1, "UNKNOWN": 0}
    assert [p["vnncomp"] for p in rep["properties"]] == ["unsat", "sat"]
    x = F(rep["properties"][1]["counterexample"][0])
    assert F(1) <= x <= F(2)  # the clamp is 1 exactly there


def test_cert_round_trip_and_tampering(files, capsys):
    net, holds, fails = files / "net.json", files / "holds.vnnlib", files / "fails.vnnlib"
    cert = files / "cert.json"
    code, _, _ = run(capsys, "certify", net, "--vnnlib", holds, fails, "--cert", cert, "-q")
    assert code == 1 and cert.exists()
    code, out, _ = run(capsys, "check", net, cert, "--vnnlib", holds, fails)
    assert code == 0 and "kernel verdict REFUTED" in out
    # the properties in the other order: each entry names its property by hash
    code, out, _ = run(capsys, "check", net, cert, "--vnnlib", fails, holds)
    assert code == 1 and "another property" in out
    b = json.loads(cert.read_text())
    b["properties"][0]["proof"] = [{"leaf": "output"}]  # the root alone does not close it
    cert.write_text(json.dumps(b))
    code, out, _ = run(capsys, "check", net, cert, "--vnnlib", holds, fails, "--json")
    res = json.loads(out)
    assert code == 1 and res["ok"] is False and res["properties"][0]["status"] == "REJECTED"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["certify", "{net}", "{data}", "--vnnlib", "{holds}"], "takes no dataset"),
        (["certify", "{net}", "--vnnlib", "{holds}", "--rho", "1/2"], "--rho does not apply"),
        (["certify", "{net}", "--vnnlib", "{holds}", "--p", "inf"], "--p does not apply"),
        (["certify", "{net}", "--vnnlib", "{holds}", "--engine", "z3"], "linear engine"),
        (["certify", "{net}", "--vnnlib", "{holds}", "--jobs", "2"], "--jobs does not apply"),
        (["certify", "{net}", "--vnnlib", "{bad}"], "not a VNN-LIB property"),
        (["certify", "{net}", "--vnnlib", "{missing}"], "cannot read"),
        (["certify", "{net}", "--vnnlib", "{two_in}"], "inputs"),
        (["certify", "{net}", "--vnnlib", "{holds}", "-o", "{holds}"], "input of this command"),
        (["certify", "{net}"], "--vnnlib"),
        (["check", "{net}", "{net}", "--vnnlib", "{holds}"], "not a robustmem-vnnlib/1 bundle"),
        (["check", "{net}", "--vnnlib", "{holds}"], "NET CERT"),
    ],
)
def test_bad_input_is_one_line_exit_3(files, capsys, argv, message):
    (files / "bad.vnnlib").write_text("(declare-const X_0 Real)(assert (>= X_0 0)")
    (files / "data.csv").write_text("0,1\n")
    two = prop(2, 1, [("0", "1"), ("0", "1")], "(assert (>= Y_0 1))")
    (files / "two_in.vnnlib").write_text(two)
    names = {
        "net": files / "net.json",
        "holds": files / "holds.vnnlib",
        "bad": files / "bad.vnnlib",
        "missing": files / "missing.vnnlib",
        "two_in": files / "two_in.vnnlib",
        "data": files / "data.csv",
    }
    before = (files / "holds.vnnlib").read_bytes()
    code, _, err = run(capsys, *[a.format(**names) for a in argv])
    assert code == 3, err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert (files / "holds.vnnlib").read_bytes() == before


@pytest.mark.slow
@pytest.mark.skipif(not BENCH.is_dir(), reason="../shared/benchmarks is absent")
def test_acas_xu_property_1_on_net_1_1(capsys, tmp_path):
    """The public ACAS Xu network 1_1 and property 1 (VNN-COMP: unsat), and property 7
    (sat on this network): decided and kernel-checked."""
    net = BENCH / "acasxu" / "ACASXU_run2a_1_1_batch_2000.onnx"
    p1, p7 = BENCH / "acasxu" / "prop_1.vnnlib", BENCH / "acasxu" / "prop_7.vnnlib"
    cert = tmp_path / "c.json"
    code, out, _ = run(capsys, "certify", net, "--vnnlib", p1, p7, "--cert", cert, "-q")
    assert code == 1 and "PROVED (unsat)" in out and "REFUTED (sat)" in out, out
    code, out, _ = run(capsys, "check", net, cert, "--vnnlib", p1, p7)
    assert code == 0, out
