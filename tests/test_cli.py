"""The robustmem command line: JSON schema, exit codes, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from bounds.point import Point
from bounds.query import query
from robustmem.cli import main

from .bounds import spec


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_bounds_json_schema(capsys):
    code, out, _ = run(capsys, "bounds", "--N", "1797", "--d", "64", "--rho", "0.01", "--json")
    assert code == 0
    obj = json.loads(out)
    for key in (
        "regime",
        "upper",
        "lower",
        "first_layer_width_lower",
        "prior_upper",
        "prior_lower",
        "gap",
    ):
        assert key in obj
    assert obj["regime"] == "moderate"
    for key in ("value", "expr", "source"):
        assert key in obj["upper"] and key in obj["lower"]
    assert {"value", "source"} <= set(obj["prior_upper"]) and {"value", "source"} <= set(
        obj["prior_lower"]
    )
    want = 1797 * 64**0.25 * 0.01**0.5
    assert abs(obj["upper"]["value"] - want) < 1e-9 * want
    raw = (obj["upper"]["value"] + obj["d"]) / obj["lower"]["value"]  # the paper's +d put back
    assert abs(obj["gap_raw"] - raw) < 1e-12 and obj["gap"] == max(1.0, raw)


@pytest.mark.parametrize("rho", ["1/20000", "5e-5", "0.00005"])
def test_rho_spellings_are_exact_and_equivalent(capsys, rho):
    code, out, _ = run(capsys, "bounds", "--N", "100", "--d", "9", "--rho", rho, "--json")
    assert code == 0
    assert json.loads(out)["rho"] == "1/20000"


def test_none_regime_has_null_upper(capsys):
    code, out, _ = run(
        capsys, "bounds", "--N", "50", "--d", "16", "--rho", "1/4", "--p", "inf", "--json"
    )
    obj = json.loads(out)
    assert code == 0 and obj["regime"] == "none"  # 1/γ = 1/4 exactly: ρ = 1/4 is outside
    assert obj["upper"] is None and obj["gap"] is None
    assert obj["prior_upper"]["value"] == 50 * 16**2


@pytest.mark.parametrize(
    "argv",
    [
        ["--N", "1", "--d", "3", "--rho", "0.1"],
        ["--N", "10", "--d", "0", "--rho", "0.1"],
        ["--N", "10", "--d", "3", "--rho", "1"],
        ["--N", "10", "--d", "3", "--rho", "0"],
        ["--N", "10", "--d", "3", "--rho", "-0.5"],
        ["--N", "10", "--d", "3", "--rho", "abc"],
        ["--N", "10", "--d", "3", "--rho", "nan"],
        ["--N", "10", "--d", "3", "--rho", "1/0"],
        ["--N", "10", "--d", "3", "--rho", "0.1", "--p", "0.5"],
        ["--N", "10", "--d", "3", "--rho", "0.1", "--p", "two"],
        ["--N", "ten", "--d", "3", "--rho", "0.1"],
        ["--N", "10.5", "--d", "3", "--rho", "0.1"],
        ["--N", "10", "--d", "3"],
        ["--N", "10", "--d", "3", "--rho", "0.1", "--params", "100"],
        ["--N", "10", "--d", "3", "--params", "-5"],
        ["--N", "10", "--d", "3", "--rho", "0.1", "--count", "some"],
        ["--N", "10", "--d", "3", "--rho", "0.1", "--json", "--latex"],
    ],
)
def test_bad_input_one_line_exit_3(argv):
    proc = subprocess.run(
        [sys.executable, "-m", "robustmem", "bounds", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "error:" in proc.stderr.splitlines()[-1]
    assert proc.stdout == ""


def test_latex_and_explain(capsys):
    code, out, _ = run(capsys, "bounds", "--N", "1000", "--d", "100", "--rho", "0.3", "--latex")
    assert code == 0 and "\\begin{tabular}" in out and "\\end{tabular}" in out
    code, out, _ = run(capsys, "bounds", "--N", "1000", "--d", "100", "--rho", "0.3", "--explain")
    assert code == 0
    assert "rests on" in out and "KMY Lemma B.18" in out and "GJ95" in out
    code, out, _ = run(
        capsys, "bounds", "--N", "1000", "--d", "100", "--rho", "0.3", "--json", "--explain"
    )
    names = [e["result"] for e in json.loads(out)["explain"]]
    # foundations come before the results that rest on them
    assert names.index("KMY Lemma B.18") < names.index("KMY.UB.iii.l2")


@pytest.mark.parametrize("pv", ["2", "inf", "1"])
@pytest.mark.parametrize("budget", ["150", "5000", "1e6"])
def test_inverse_query_is_consistent_with_point_queries(capsys, pv, budget):
    N, d = 1797, 64
    code, out, _ = run(
        capsys, "bounds", "--N", str(N), "--d", str(d), "--p", pv, "--params", budget, "--json"
    )
    assert code == 0
    ivs = json.loads(out)["intervals"]
    P = float(budget)
    assert ivs[0]["rho_from"] == 0 and ivs[-1]["rho_to"] == 1
    for a, b in zip(ivs, ivs[1:]):
        assert a["rho_to"] == b["rho_from"]
    pnum = float("inf") if pv == "inf" else Fraction(pv)
    for iv in ivs:
        lo, hi = iv["rho_from"], iv["rho_to"]
        for t in (0.25, 0.5, 0.75):
            r = Fraction(lo + t * (hi - lo)).limit_denominator(10**15)
            if not 0 < r < 1:
                continue
            low = spec.lower_at(N, d, r, pnum)
            if iv["status"] == "insufficient":
                assert low > P * (1 - 1e-9)
            if iv["status"] in ("sufficient", "open"):
                assert low <= P * (1 + 1e-9)
            if iv["status"] == "sufficient":
                # some ρ' ≥ ρ (here: the interval's end) has upper + d ≤ P
                r_end = Fraction(hi * (1 - 1e-9)).limit_denominator(10**15)
                res = query(Point(N, d, r_end, pnum)).to_json()
                assert res["upper"] is not None and res["upper"]["value"] + d <= P * (1 + 1e-6)


def test_help_teaches():
    for sub in ("bounds", "plot", "demo"):
        proc = subprocess.run(
            [sys.executable, "-m", "robustmem", sub, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0 and "usage" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "robustmem", "bounds", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "examples" in proc.stdout and "moderate" in proc.stdout


def test_plot_command(tmp_path, capsys):
    out = tmp_path / "b.png"
    code, _, _ = run(capsys, "plot", "--N", "100", "--d", "10", "-o", str(out))
    assert code == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run(capsys, "plot", "--N", "100", "--d", "10", "-o", str(tmp_path / "b.jpg"))
    assert code == 3 and ".png" in err
    assert not (tmp_path / "b.jpg").exists()


@pytest.mark.slow  # the whole default demo (construct + certify in every regime): minutes
def test_demo_json(tmp_path, capsys):
    code, out, _ = run(capsys, "demo", "--out-dir", str(tmp_path), "--json")
    assert code == 0
    obj = json.loads(out)
    assert obj["N"] == 1797 and obj["d"] == 64 and obj["classes"] == 10
    assert {q["regime"] for q in obj["queries"]} == {"small", "moderate", "large", "none"}
    assert obj["certified"]["counts"] == {"PROVED": 8, "REFUTED": 0, "UNKNOWN": 0}
    for path in obj["plots"]:
        assert (tmp_path / path.split("/")[-1]).stat().st_size > 1000
