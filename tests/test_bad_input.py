"""Bad input ends in one clear line and exit code 3 (issue 15, item 4), never exit 4."""

from __future__ import annotations

import ast
import json
import random
import time
from fractions import Fraction
from pathlib import Path

import pytest

from certify.numbers import exact_root
from certify.run import root_text
from robustmem.cli import main

ROOT = Path(__file__).resolve().parent.parent

# f = 1 for x1 <= 2, f = 2 for x1 >= 3 (K = 1): the engines must search, so every number
# goes through their floating-point guidance.
NET = (
    '{"format": "robustmem-network/1", "input_dim": 2, "layers": ['
    '{"weight": [[K, 0], [K, 0]], "bias": [-2K, -3K]}, {"weight": [[1, -1]], "bias": [1]}]}'
)


def net_text(k: str = "1", k2: str = "2", k3: str = "3") -> str:
    return NET.replace("-2K", "-" + k2).replace("-3K", "-" + k3).replace("K", k)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "net.json").write_text(net_text())
    (tmp_path / "data.csv").write_text("0,0,1\n4,4,2\n")
    return tmp_path


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(code: int, err: str, *words: str) -> str:
    """Exit 3 and a single 'robustmem: error:' line naming the problem."""
    assert code == 3, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("robustmem: error: "), err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------ files


def test_network_weight_literal_10_to_5000(files, capsys):
    big = "1" + "0" * 5000
    (files / "big.json").write_text(net_text(big, "2" + "0" * 5000, "3" + "0" * 5000))
    code, _, err = run(capsys, "certify", files / "big.json", files / "data.csv", "--rho", "1/4")
    one_error(code, err, "too large", "floating-point")


def test_network_deeply_nested_json(files, capsys):
    (files / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run(capsys, "certify", files / "deep.json", files / "data.csv", "--rho", "1/4")
    one_error(code, err, "nested too deeply")


@pytest.mark.parametrize("cmd", ["certify", "construct"])
def test_dataset_coordinate_1e400(files, capsys, cmd):
    (files / "big.csv").write_text("0,0,1\n1e400,4,2\n")
    net = [files / "net.json"] if cmd == "certify" else []
    out = ["-o", files / "out.json"] if cmd == "construct" else []
    code, _, err = run(capsys, cmd, *net, files / "big.csv", "--rho", "1/4", *out)
    one_error(code, err, "big.csv: line 2 field 1", "too large", "10^150")


def test_dataset_label_10_to_20(files, capsys):
    (files / "lab.csv").write_text("0,0,1\n4,4,100000000000000000000\n")
    code, _, err = run(capsys, "certify", files / "net.json", files / "lab.csv", "--rho", "1/4")
    one_error(code, err, "lab.csv: line 2 label", "above 1000000")


# ------------------------------------------------------------------ bounds


def test_bounds_rho_with_20000_digits(capsys):
    rho = "1/1" + "0" * 20000
    code, _, err = run(capsys, "bounds", "--N", "100", "--d", "10", "--rho", rho)
    one_error(code, err, "rho", "at most 100 digits")


def test_bounds_N_with_5000_digits(capsys):
    code, _, err = run(capsys, "bounds", "--N", "1" + "0" * 4999, "--d", "10", "--rho", "0.1")
    one_error(code, err, "N = ", "at most 100 digits")


def test_bounds_params_1e400(capsys):
    code, _, err = run(capsys, "bounds", "--N", "100", "--d", "10", "--params", "1e400")
    one_error(code, err, "params = 1e400", "at most 100 digits")


@pytest.mark.parametrize("p", ["1e400", "1001"])
def test_bounds_p_too_large_is_quick(capsys, p):
    t0 = time.monotonic()
    code, _, err = run(capsys, "bounds", "--N", "100", "--d", "10", "--rho", "0.1", "--p", p)
    one_error(code, err, "above 1000", "p = inf")
    assert time.monotonic() - t0 < 5


def test_bounds_p_1e_minus_400_is_below_one(capsys):
    code, _, err = run(capsys, "bounds", "--N", "100", "--d", "10", "--rho", "0.1", "--p", "1e-400")
    one_error(code, err, "below 1")


def test_bounds_at_rho_whose_sympy_power_failed(capsys):
    """sympy 1.14 raised 'not a prime factor' evaluating (1 − ρ²)^(−1/2) here."""
    code, out, err = run(
        capsys,
        *("bounds", "--N", "1000000", "--d", "10000", "--rho", "1/1500000000", "--json"),
    )
    assert code == 0, err
    obj = json.loads(out)
    assert obj["regime"] == "small"  # ρ ≤ ρ₁ = 1/(5·10⁶·100) = 1/500000000
    assert obj["upper"]["exact"] == "1000"  # √N
    assert obj["lower"]["value"] == pytest.approx(10000 * (1 + 1e4 / 2.25e18) + 1000)


def test_bounds_regime_boundaries_stay_exact(capsys):
    code, out, _ = run(capsys, "bounds", "--N", "5", "--d", "4", "--rho", "1/50", "--json")
    assert code == 0 and json.loads(out)["regime"] == "small"  # ρ = ρ₁ exactly
    code, out, _ = run(capsys, "bounds", "--N", "5", "--d", "4", "--rho", "1/49", "--json")
    assert code == 0 and json.loads(out)["regime"] == "moderate"


# ------------------------------------------------------------------ certify options


def test_certify_p_100000_is_refused_quickly(files, capsys):
    t0 = time.monotonic()
    code, _, err = run(
        capsys, "certify", files / "net.json", files / "data.csv", "--rho", "1/4", "--p", "100000"
    )
    one_error(code, err, "p = 100000 is above 1000", "p = inf")
    assert time.monotonic() - t0 < 5


@pytest.mark.parametrize("t", ["nan", "inf", "-inf", "-5", "0"])
def test_certify_bad_timeout(files, capsys, t):
    code, _, err = run(
        capsys, "certify", files / "net.json", files / "data.csv", "--rho", "1/4", f"--timeout={t}"
    )
    one_error(code, err, "--timeout must be positive and finite")


@pytest.mark.parametrize("opt", ["--samples", "--error-budget"])
def test_certify_bad_samples(files, capsys, opt):
    code, _, err = run(
        capsys, "certify", files / "net.json", files / "data.csv", "--rho", "1/4", opt, "-5"
    )
    one_error(code, err, f"{opt} must be a positive integer, got -5")


# ------------------------------------------------------------------ exact root_text


def test_root_text_is_exact_for_huge_rationals():
    assert root_text(Fraction(9, 4), 2) == "3/2"
    assert root_text(Fraction(2), 2) == "(2)^(1/2)"
    assert root_text(Fraction(0), 3) == "0"
    big = Fraction(3**700, 7**500)  # far beyond the float range
    assert root_text(big**3, 3) == f"{3**700}/{7**500}"
    assert root_text(big**3 + 1, 3).endswith(")^(1/3)")
    assert root_text(Fraction(5, 7), None) == "5/7"
    rng = random.Random(0)
    for _ in range(300):
        a, b, k = rng.randrange(10**30), rng.randrange(1, 10**30), rng.randrange(2, 9)
        q = Fraction(a, b)
        assert Fraction(root_text(q**k, k)) == q
    assert exact_root(10**400, 2) == 10**200 and exact_root(10**400 + 1, 2) is None


def _exact_decimal(rng: random.Random) -> str:
    """A Gaussian value with 170 decimals, written exactly (ε² then has ~340-digit terms)."""
    return f"{rng.gauss(0, 1):.17f}" + "".join(rng.choice("0123456789") for _ in range(153))


def test_construct_gaussian_d200_small_regime(tmp_path, capsys):
    """ε² of 30 Gaussian points in d = 200 written as long exact decimals is beyond the float
    range; root_text took float roots of it (OverflowError) and the report was exit 4."""
    rng = random.Random(1)
    rows = [",".join(_exact_decimal(rng) for _ in range(200)) + f",{i % 2 + 1}" for i in range(30)]
    (tmp_path / "g.csv").write_text("\n".join(rows) + "\n")
    code, out, err = run(
        capsys,
        *("construct", tmp_path / "g.csv", "--rho", "1/1000000000", "--p", "2"),
        *("-o", tmp_path / "g.json", "--method", "small", "--json"),
    )
    assert code == 0, err
    rep = json.loads(out)
    assert rep["epsilon"].startswith("(") and rep["epsilon"].endswith(")^(1/2)")
    num, den = (int(t) for t in rep["epsilon_power"].split("/"))
    assert den > 10**330  # the float route overflows here


# ------------------------------------------------------------------ import structure


def test_no_cmd_module_imports_the_cli():
    """robustmem.cli imports the subcommand modules; they take exits from robustmem.exits."""
    for path in (ROOT / "robustmem").glob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [
                    f"{node.module}.{a.name}" for a in node.names if node.module
                ]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(n == "robustmem.cli" for n in names), f"{path.name} imports the cli"
