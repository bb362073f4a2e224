"""``robustmem certify``: verdicts, exit codes, reports, and errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from fractions import Fraction as F

import numpy as np
import pytest

from certify.io import load_network
from robustmem.cli import main

# f = 1 on x ≤ 1, x on [1, 2], 2 on x ≥ 2
STEP = {
    "format": "robustmem-network/1",
    "input_dim": 1,
    "layers": [{"weight": [[1], [1]], "bias": [-1, -2]}, {"weight": [[1, -1]], "bias": [1]}],
}


@pytest.fixture
def files(tmp_path):
    net = tmp_path / "net.json"
    net.write_text(json.dumps(STEP))
    data = tmp_path / "d.csv"
    data.write_text("x,label\n0,1\n3,2\n-1,1\n")  # ε₂ = ε∞ = ε₁ = 3/2
    return tmp_path, net, data


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("engine", ["linear", "z3", "auto"])
@pytest.mark.parametrize("p", ["1", "2", "inf"])
def test_proved_and_refuted_exit_codes(files, capsys, engine, p):
    tmp, net, data = files
    # ρ = 2/3: μ = 1 — ball (−1, 1) touches the plateau's edge (open: fine), (2, 4) too
    code, out, _ = run(
        capsys,
        "certify",
        str(net),
        str(data),
        "--rho",
        "2/3",
        "--p",
        p,
        "--engine",
        engine,
        "-q",
        "--json",
    )
    rep = json.loads(out)
    assert code == 0 and rep["counts"] == {"PROVED": 3, "REFUTED": 0, "UNKNOWN": 0}
    code, out, _ = run(
        capsys,
        "certify",
        str(net),
        str(data),
        "--rho",
        "0.9",
        "--p",
        p,
        "--engine",
        engine,
        "-q",
        "--json",
    )
    rep = json.loads(out)
    assert code == 1 and rep["verdict"] == "REFUTED"
    bad = [b for b in rep["balls"] if b["status"] == "REFUTED"]
    assert {b["index"] for b in bad} == {0, 1}
    for b in bad:
        x = F(b["counterexample"][0])
        centre = [F(0), F(3)][b["index"]]
        assert abs(x - centre) < F(9, 10) * F(3, 2)  # inside the open ball (d = 1: all p agree)
        fx = F(1) if x <= 1 else (x if x <= 2 else F(2))
        assert F(b["value"]) == fx and fx != [1, 2][b["index"]]


def test_report_file_and_mu(files, capsys):
    tmp, net, data = files
    out_path = tmp / "rep.json"
    code, out, _ = run(
        capsys,
        "certify",
        str(net),
        str(data),
        "--mu",
        "1/2",
        "--p",
        "inf",
        "-q",
        "-o",
        str(out_path),
    )
    assert code == 0 and "PROVED 3" in out
    rep = json.loads(out_path.read_text())
    assert rep["format"] == "robustmem-certify-report/1" and rep["mu"] == "1/2"
    assert len(rep["network_sha256"]) == 64


def test_jobs_gives_the_same_verdicts(files, capsys):
    tmp, net, data = files
    outs = []
    for jobs in ("1", "2"):
        code, out, _ = run(
            capsys, "certify", str(net), str(data), "--rho", "0.9", "--jobs", jobs, "-q", "--json"
        )
        outs.append([(b["index"], b["status"]) for b in json.loads(out)["balls"]])
    assert outs[0] == outs[1]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t, n, d: [str(t / "missing.json"), str(d), "--rho", "0.5"],
        lambda t, n, d: [str(n), str(t / "missing.csv"), "--rho", "0.5"],
        lambda t, n, d: [str(n), str(d), "--rho", "1"],
        lambda t, n, d: [str(n), str(d), "--rho", "0"],
        lambda t, n, d: [str(n), str(d)],
        lambda t, n, d: [str(n), str(d), "--rho", "0.5", "--mu", "1"],
        lambda t, n, d: [str(n), str(d), "--mu", "-1"],
        lambda t, n, d: [str(n), str(d), "--rho", "0.5", "--p", "0"],
        lambda t, n, d: [str(n), str(d), "--rho", "0.5", "--p", "2.5"],
        lambda t, n, d: [str(n), str(d), "--rho", "0.5", "--jobs", "0"],
        lambda t, n, d: [str(n), str(d), "--rho", "0.5", "--timeout", "-3"],
        lambda t, n, d: [str(n), str(d), "--rho", "0.5", "-o", str(t / "no" / "dir" / "r.json")],
        lambda t, n, d: [str(n), str(d), "--rho", "0.5", "--engine", "magic"],
    ],
)
def test_bad_input_exit_3_without_traceback(files, mutate):
    tmp, net, data = files
    proc = subprocess.run(
        [sys.executable, "-m", "robustmem", "certify", *mutate(tmp, net, data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "error" in proc.stderr


@pytest.mark.parametrize(
    "content, where",
    [
        ('{"format": "robustmem-network/1", "input_dim": 1, "layers": []}', "layer"),
        ('{"format": "robustmem-network/2", "input_dim": 1, "layers": []}', "format"),
        (
            '{"format": "robustmem-network/1", "input_dim": 2, "layers": '
            '[{"weight": [[1, 2]], "bias": [0.5]}]}',
            "float",
        ),
        ("not json", "JSON"),
    ],
)
def test_malformed_network_files(files, content, where):
    tmp, net, data = files
    net.write_text(content)
    proc = subprocess.run(
        [sys.executable, "-m", "robustmem", "certify", str(net), str(data), "--rho", "0.5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert where.lower() in proc.stderr.lower()


def test_dimension_mismatch_and_conflicting_duplicates(files):
    tmp, net, data = files
    d2 = tmp / "d2.csv"
    d2.write_text("0,0,1\n1,1,2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "robustmem", "certify", str(net), str(d2), "--rho", "0.5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3 and "d = 2" in proc.stderr
    dup = tmp / "dup.csv"
    dup.write_text("0,1\n0,2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "robustmem", "certify", str(net), str(dup), "--rho", "0.5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3 and "different labels" in proc.stderr


@pytest.mark.parametrize("engine", ["linear", "z3", "auto"])
@pytest.mark.parametrize("p", ["1", "2", "inf"])
@pytest.mark.parametrize("rho", ["2/3", "0.9"])
def test_cert_round_trip_through_check(files, capsys, engine, p, rho):
    tmp, net, data = files
    cert = tmp / "cert.json"
    code, _, _ = run(
        capsys,
        "certify",
        str(net),
        str(data),
        "--rho",
        rho,
        "--p",
        p,
        "--engine",
        engine,
        "-q",
        "--cert",
        str(cert),
    )
    assert code in (0, 1)
    code, out, _ = run(capsys, "check", str(net), str(data), str(cert), "--rho", rho, "--p", p)
    assert code == 0, out
    assert "0 unknown, 0 rejected of 3 balls" in out


def test_check_rejects_tampering(files, capsys):
    tmp, net, data = files
    cert = tmp / "cert.json"
    run(capsys, "certify", str(net), str(data), "--rho", "2/3", "-q", "--cert", str(cert))
    good = json.loads(cert.read_text())
    # asking about another radius than the bundle's is a usage error (exit 3, one line)
    code, out, err = run(capsys, "check", str(net), str(data), str(cert), "--rho", "0.9")
    assert code == 3 and "does not match the bundle" in err and out == ""
    # a bundle whose radius was edited upwards: its proofs (for 2/3) do not check at 0.9
    cert.write_text(json.dumps(dict(good, rho="9/10")))
    code, out, _ = run(capsys, "check", str(net), str(data), str(cert))
    assert code == 1 and "REJECTED" in out
    code, out, _ = run(capsys, "check", str(net), str(data), str(cert), "--rho", "0.9")
    assert code == 1 and "REJECTED" in out
    cert.write_text(json.dumps(good))
    # a different label in the dataset: the bundle names another dataset
    other = tmp / "other.csv"
    other.write_text("x,label\n0,1\n3,2\n-1,2\n")
    code, out, _ = run(capsys, "check", str(net), str(other), str(cert), "--rho", "2/3")
    assert code == 1 and "another dataset" in out
    # a dropped ball
    bad = dict(good, balls=good["balls"][:-1])
    cert.write_text(json.dumps(bad))
    code, out, _ = run(capsys, "check", str(net), str(data), str(cert), "--rho", "2/3")
    assert code == 1 and "1 balls have no entry (first: [2])" in out
    # not a certificate at all: a usage error (issue 16), not a rejection
    cert.write_text("{}")
    code, out, _ = run(capsys, "check", str(net), str(data), str(cert), "--rho", "2/3")
    assert code == 3


@pytest.mark.parametrize("method", ["baseline", "large"])
@pytest.mark.parametrize("p", ["inf", "1", "2"])
def test_construct_then_certify_and_check(tmp_path, capsys, p, method):
    data = tmp_path / "q.csv"
    data.write_text("0,0,1\n3,0,2\n0,3,2\n3,3,1\n1,1,1\n")
    net = tmp_path / "net.json"
    code, out, _ = run(
        capsys,
        "construct",
        str(data),
        "--rho",
        "0.6",
        "--p",
        p,
        "-o",
        str(net),
        "--json",
        "--method",
        method,
    )
    rep = json.loads(out)
    assert code == 0 and rep["method"] == method and rep["regime"] in ("moderate", "large", "none")
    for key in ("params", "params_nonzero", "depth", "width", "bits", "formula_value", "stages"):
        assert key in rep
    if method == "baseline":
        assert rep["params"] == rep["formula_value"] and rep["depth"] == 4
    else:
        assert rep["params"] == sum(rep["stages"].values()) and rep["seed"] is None
    cert = tmp_path / "cert.json"
    code, out, _ = run(
        capsys, "certify", str(net), str(data), "--rho", "0.6", "--p", p, "-q", "--cert", str(cert)
    )
    assert code == 0 and "PROVED 5" in out
    code, out, _ = run(capsys, "check", str(net), str(data), str(cert), "--rho", "0.6", "--p", p)
    assert code == 0


def test_construct_refuses_what_the_baseline_cannot_build(tmp_path, capsys):
    data = tmp_path / "q.csv"
    data.write_text("0,0,1\n3,0,2\n0,3,2\n3,3,1\n")
    # ℓ1 with ρ close to 1 at d = 2 is fine, but ℓ2 radius ρ·ε₂ with ε₂ > ε∞ can exceed ε∞
    data2 = tmp_path / "diag.csv"
    data2.write_text("0,0,1\n2,2,2\n")  # ε∞ = 1, ε₂ = √2: μ = 0.9·√2 > 1
    code, _, err = run(
        capsys,
        "construct",
        str(data2),
        "--rho",
        "0.9",
        "--p",
        "2",
        "-o",
        str(tmp_path / "n.json"),
        "--method",
        "baseline",
    )
    assert code == 3 and "smaller rho" in err
    assert not (tmp_path / "n.json").exists()


def test_construct_auto_uses_the_small_builder_in_the_small_regime(tmp_path, capsys):
    data = tmp_path / "q.csv"
    data.write_text("0,0,1\n3,0,2\n0,3,2\n3,3,1\n1,1,1\n")
    net = tmp_path / "net.json"
    code, out, _ = run(capsys, "construct", str(data), "--rho", "1/200", "-o", str(net), "--json")
    rep = json.loads(out)
    assert code == 0 and rep["regime"] == "small" and rep["method"] == "small"
    code, out, _ = run(capsys, "certify", str(net), str(data), "--rho", "1/200", "-q")
    assert code == 0 and "PROVED 5" in out
    code, out, _ = run(capsys, "construct", str(data), "--rho", "1/2", "-o", str(net), "--json")
    assert json.loads(out)["method"] == "large"
    code, out, _ = run(capsys, "certify", str(net), str(data), "--rho", "1/2", "-q")
    assert code == 0 and "PROVED 5" in out


def test_construct_small_with_options_reports_them_and_certifies(tmp_path, capsys):
    rng = np.random.default_rng(2)
    data = tmp_path / "hi.csv"
    X = rng.integers(-30, 31, size=(8, 16))
    data.write_text("".join(",".join(map(str, x)) + f",{1 + i % 2}\n" for i, x in enumerate(X)))
    net = tmp_path / "net.json"
    args = ["--rho", "1/2000", "--method", "small", "--project", "adaptive"]
    code, out, _ = run(
        capsys,
        "construct",
        str(data),
        *args,
        "--memorizer",
        "sqrt",
        "--seed",
        "5",
        "-o",
        str(net),
        "--json",
    )
    rep = json.loads(out)
    assert code == 0 and rep["method"] == "small" and rep["memorizer"] == "sqrt"
    assert rep["m"] < 16 and rep["seed"] is not None and rep["regime"] == "small"
    code, out, _ = run(capsys, "certify", str(net), str(data), "--rho", "1/2000", "-q")
    assert code == 0 and "PROVED 8" in out
    code, _, err = run(
        capsys,
        "construct",
        str(data),
        "--rho",
        "1/2",
        "--method",
        "large",
        "--project",
        "adaptive",
        "-o",
        str(net),
    )
    assert code == 3 and "project" in err


def _two_class_grid_data(tmp_path, seed: int):
    """24 random integer points in [-40, 40]², labels 1/2 (both present), as a CSV."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-40, 41, size=(24, 2))
    y = rng.integers(1, 3, size=24)
    y[0], y[1] = 1, 2
    data = tmp_path / "m.csv"
    data.write_text("".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, y)))
    return data


def test_construct_moderate_then_certify_with_error_measurement(tmp_path, capsys):
    data = _two_class_grid_data(tmp_path, 0)
    net = tmp_path / "net.json"
    code, out, _ = run(
        capsys,
        "construct",
        str(data),
        "--rho",
        "1/30",
        "--method",
        "moderate",
        "--eta",
        "1/8",
        "-o",
        str(net),
        "--json",
    )
    rep = json.loads(out)
    assert code == 0 and rep["method"] == "moderate" and rep["eta"] == "1/8"
    assert rep["error_bound_max_float"] <= 1 / 8
    code, out, _ = run(
        capsys,
        "certify",
        str(net),
        str(data),
        "--rho",
        "1/30",
        "--timeout",
        "2",
        "--error",
        "--samples",
        "40",
        "--error-budget",
        "8",
        "-q",
        "--json",
    )
    res = json.loads(out)
    err = res["error"]
    assert len(err["balls"]) == 24 and err["samples"] == 40
    for b, e in zip(res["balls"], err["balls"]):
        assert 0 <= Fraction(e["error_upper_bound"]) <= Fraction(1, 8)  # certify's bound ≤ η
        assert e["mc_ci95"][0] <= float(Fraction(e["error_upper_bound"])) + 1e-12
        if b["verdict"] == "PROVED":
            assert e["error_upper_bound_float"] == 0 and e["mc_errors"] == 0


def test_construct_moderate_threshold_variant_is_proved_everywhere(tmp_path, capsys):
    data = _two_class_grid_data(tmp_path, 1)
    net = tmp_path / "net.json"
    code, out, _ = run(
        capsys,
        "construct",
        str(data),
        "--rho",
        "1/30",
        "--method",
        "moderate",
        "--threshold",
        "-o",
        str(net),
        "--json",
    )
    rep = json.loads(out)
    assert code == 0 and rep["method"] == "moderate" and rep["error_bound_max_float"] == 0
    text = net.read_text()  # the bit-by-bit step floors: mixed layers, written as lists
    assert '"activation": [' in text and '"step"' in text
    assert load_network(net).has_step
    code, out, _ = run(capsys, "certify", str(net), str(data), "--rho", "1/30", "-q")
    assert code == 0 and "PROVED 24" in out
    code, _, err = run(
        capsys,
        "construct",
        str(data),
        "--rho",
        "1/2",
        "--method",
        "large",
        "--threshold",
        "-o",
        str(net),
    )
    assert code == 3


def test_error_measurement_refuses_unsupported_norms_before_certifying(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("0,0,1\n3,0,2\n0,3,2\n")
    net = tmp_path / "net.json"
    code, _, _ = run(capsys, "construct", str(data), "--rho", "1/2", "--p", "3", "-o", str(net))
    assert code == 0
    code, out, err = run(
        capsys, "certify", str(net), str(data), "--rho", "1/2", "--p", "3", "--error"
    )
    assert code == 3 and "--error supports p = 1, 2 and inf" in err and "PROVED" not in out


def test_mu_with_a_single_class_dataset(files, capsys):
    """--mu needs no ε: a one-class dataset is certified and checked; --rho is refused."""
    tmp, net, _ = files
    one = tmp / "one.csv"
    one.write_text("x,label\n-1,1\n0,1\n")
    cert = tmp / "c.json"
    code, out, err = run(
        capsys, "certify", str(net), str(one), "--mu", "1/4", "-q", "--cert", str(cert)
    )
    assert code == 0 and "PROVED 2" in out and "only one class" in err
    code, out, _ = run(capsys, "check", str(net), str(one), str(cert), "--mu", "1/4")
    assert code == 0 and "2 proved" in out
    code, _, err = run(capsys, "certify", str(net), str(one), "--rho", "1/2", "-q")
    assert code == 3 and "give an absolute radius with --mu" in err
