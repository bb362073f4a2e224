"""``robustmem witness``: datasets, witness pairs and the VC reduction through the CLI.

Networks are written to files as an outside user would; every JSON witness is re-verified
exactly here (own norm code, W x − W x' from the network's layers, Network.evaluate).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from fractions import Fraction as F

import pytest

from certify.dataset import Dataset
from certify.io import load_network, save_network
from certify.network import Network
from certify.numbers import parse_number
from constructions.witness import build_dstar_memorizer
from robustmem.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def save(tmp_path, net: Network, name="net.json") -> str:
    path = tmp_path / name
    save_network(net, path)
    return str(path)


def random_narrow_net(seed: int, d: int, rank: int, width: int) -> Network:
    rng = random.Random(seed)
    A = [[rng.randint(-3, 3) for _ in range(rank)] for _ in range(width)]
    B = [[rng.randint(-3, 3) for _ in range(d)] for _ in range(rank)]
    W1 = [[sum(A[i][k] * B[k][j] for k in range(rank)) for j in range(d)] for i in range(width)]
    h = rng.randint(1, 3)
    W2 = [[rng.randint(-2, 2) for _ in range(width)] for _ in range(h)]
    return Network(
        [W1, W2, [[rng.randint(-2, 2) for _ in range(h)]]],
        [[F(rng.randint(-3, 3), 2) for _ in range(width)], [0] * h, [rng.randint(0, 3)]],
        input_dim=d,
    )


def check_json_witness(net: Network, obj: dict, N: int, rho: F, p) -> None:
    d = net.input_dim
    assert obj["found"] is True
    x = [parse_number(v, "x") for v in obj["x"]]
    xp = [parse_number(v, "x'") for v in obj["x_prime"]]
    assert all(isinstance(v, str) for v in obj["x"] + obj["x_prime"])
    j = obj["j"]
    assert 1 <= j <= min(N - 1, d)
    mu = rho / 2
    diff = [a - F(int(k == j - 1)) for k, a in enumerate(x)]
    if p is None:
        assert max(map(abs, diff)) < mu and max(map(abs, xp)) < mu
    else:
        assert sum(abs(a) ** p for a in diff) < mu**p
        assert sum(abs(a) ** p for a in xp) < mu**p
    for row in net.layers[0].weight:
        assert sum(w * (a - b) for w, a, b in zip(row, x, xp)) == 0
    fx, fxp = net.evaluate(x), net.evaluate(xp)
    assert fx == fxp
    want = "both" if fx != 2 and fxp != 1 else ("x" if fx != 2 else "x_prime")
    assert obj["misclassified"] == want


# ----------------------------------------------------------------------------- help


@pytest.mark.parametrize(
    "argv",
    [
        ["witness"],
        ["witness", "dataset"],
        ["witness", "dataset", "width"],
        ["witness", "dataset", "vc"],
        ["witness", "width"],
        ["witness", "vc"],
    ],
)
def test_every_subcommand_has_teaching_help(capsys, argv):
    with pytest.raises(SystemExit) as e:
        main([*argv, "--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    assert "example" in text and "robustmem witness" in text
    if argv[1:] in (["width"], ["vc"], ["dataset", "vc"], ["dataset", "width"]):
        assert "exit codes" in text


def test_bare_witness_prints_help_and_exits_3(capsys):
    code, _, err = run(capsys, "witness")
    assert code == 3 and "witness dataset width" in err


# ----------------------------------------------------------------------------- datasets


@pytest.mark.parametrize("N,d", [(5, 4), (8, 3), (3, 5)])
def test_dataset_width_writes_dstar(capsys, tmp_path, N, d):
    out = tmp_path / "dstar.csv"
    code, text, _ = run(
        capsys, "witness", "dataset", "width", "--N", str(N), "--d", str(d), "-o", str(out)
    )
    assert code == 0 and "wrote D*" in text
    ds = Dataset.load(out)
    t = min(N - 1, d)
    expect = {tuple(F(int(k == j)) for k in range(d)): 2 for j in range(t)}
    expect[tuple([F(0)] * d)] = 1
    for k in range(2, N - d + 1):
        expect[tuple([F(k)] + [F(0)] * (d - 1))] = 2
    assert dict(zip(ds.X, ds.y)) == expect and ds.N == N
    assert ds.epsilon_power(2) == F(1, 4) and ds.epsilon_inf() == F(1, 2)


def test_dataset_width_memorizer_is_certified(capsys, tmp_path):
    data, net = tmp_path / "d.csv", tmp_path / "m.json"
    code, text, _ = run(
        capsys, "witness", "dataset", "width", "--N", "7", "--d", "3", "-o", str(data),
        "--memorizer", str(net), "--rho", "3/4", "--json",
    )  # fmt: skip
    assert code == 0
    obj = json.loads(text)
    assert obj["first_width"] == 3 and obj["bounds"]["inf"] == "3"
    for p in ("inf", "2", "1"):
        code, text, _ = run(capsys, "certify", str(net), str(data), "--rho", "3/4", "--p", p, "-q")
        assert code == 0, text
    code, text, _ = run(
        capsys, "witness", "width", str(net), "--N", "7", "--rho", "3/4", "--p", "inf"
    )
    assert code == 1 and "NO WITNESS PAIR FOUND" in text and "no witness is guaranteed" in text


def test_dataset_vc_with_seed_is_recorded_and_deterministic(capsys, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    args = ["witness", "dataset", "vc", "--N", "7", "--d", "3", "--rho", "4/5", "--seed", "11"]
    code, text, _ = run(capsys, *args, "-o", str(a), "--json")
    assert code == 0
    obj = json.loads(text)
    assert obj["seed"] == 11 and obj["k"] == 2 and obj["shattered"] == 6
    assert len(obj["signs"]) == 6 and set(obj["signs"]) <= {"+", "-"}
    assert obj["epsilon_power"] == "2" and obj["radius_power"] == "32/25"
    run(capsys, *args, "-o", str(b))
    assert a.read_text() == b.read_text()
    ds = Dataset.load(a)
    assert ds.N == 7 and ds.epsilon_power(2) == 2


def test_vc_reduction_holds_on_written_memorizer_and_fails_elsewhere(capsys, tmp_path):
    data, net = tmp_path / "vc.csv", tmp_path / "vcnet.json"
    base = ["--N", "6", "--d", "3", "--rho", "4/5", "--p", "2"]
    code, _, _ = run(
        capsys, "witness", "dataset", "vc", *base, "--signs", "+-+--+", "-o", str(data),
        "--memorizer", str(net),
    )  # fmt: skip
    assert code == 0
    code, text, _ = run(capsys, "certify", str(net), str(data), "--rho", "4/5", "-q")
    assert code == 0, text  # the memorizer is certified robust
    code, text, _ = run(capsys, "witness", "vc", str(net), *base, "--signs", "+-+--+")
    assert code == 0 and "HOLDS" in text
    code, text, _ = run(capsys, "witness", "vc", str(net), *base, "--signs=--+--+", "--json")
    obj = json.loads(text)
    assert code == 1 and obj["holds"] is False and obj["mismatches"] == [0]
    assert obj["network_signs"] == "+-+--+" and obj["signs"] == "--+--+"
    # independent: the network's sign on X from its own evaluation
    X = [[parse_number(v, "X") for v in pt] for pt in obj["points"]]
    ev = load_network(net)
    assert "".join("+" if 2 * ev.evaluate(x) > 3 else "-" for x in X) == "+-+--+"


# ----------------------------------------------------------------------------- width


@pytest.mark.parametrize("seed", range(8))
def test_width_json_witness_on_unseen_networks(capsys, tmp_path, seed):
    p = [2, None, 3, 2][seed % 4]
    d = 3 + seed % 3
    N = d + 1 + seed % 2
    rho = F(19, 20)
    bound = d if p is None else rho * rho * d
    rank = -(-bound // 1) - 1  # largest integer below the bound
    net = random_narrow_net(seed, d, int(rank), int(rank) + seed % 3)
    path = save(tmp_path, net)
    ptxt = "inf" if p is None else str(p)
    code, text, _ = run(capsys, "witness", "width", path, "--N", str(N), "--rho", "19/20",
                        "--p", ptxt, "--json")  # fmt: skip
    obj = json.loads(text)
    assert code == 0 and obj["guaranteed"] is True
    assert obj["rank"] <= rank and parse_number(obj["bound"], "w") == bound
    check_json_witness(net, obj, N, rho, p)


def test_width_human_output_and_mu(capsys, tmp_path):
    net = Network(
        [[[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1]], [[8, 8, 8], [8, 8, 8]], [[1, -1]]],
        [["-1/2"] * 3, [0, -1], [1]],
        input_dim=4,
    )
    path = save(tmp_path, net)
    code, text, _ = run(capsys, "witness", "width", path, "--N", "5", "--mu", "9/20")
    assert code == 0 and "WITNESS" in text and "misclassified" in text and "81/25" in text
    code, text, _ = run(capsys, "witness", "width", path, "--N", "5", "--rho", "9/10", "--json")
    check_json_witness(net, json.loads(text), 5, F(9, 10), 2)
    code, text, _ = run(capsys, "witness", "width", path, "--N", "5", "--rho", "1/2", "--json")
    obj = json.loads(text)
    assert code == 1 and obj["found"] is False and obj["x"] is None and obj["guaranteed"] is False


@pytest.mark.parametrize(
    "argv,match",
    [
        (["--N", "5", "--rho", "1"], "rho"),
        (["--N", "5", "--rho=-1/2"], "rho"),
        (["--N", "5"], "exactly one"),
        (["--N", "5", "--rho", "1/2", "--mu", "1/4"], "exactly one"),
        (["--N", "1", "--rho", "1/2"], "N"),
        (["--N", "five", "--rho", "1/2"], "integer"),
        (["--N", "5", "--rho", "1/2", "--d", "7"], "input dimension"),
        (["--N", "5", "--rho", "1/2", "--p", "0"], "norm"),
        (["--N", "5", "--mu", "1/2"], "mu"),
    ],
)
def test_width_input_errors_exit_3(capsys, tmp_path, argv, match):
    path = save(tmp_path, random_narrow_net(0, 4, 2, 3))
    code, _, err = run(capsys, "witness", "width", path, *argv)
    assert code == 3 and match in err


def test_width_rejects_a_bad_network_file(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "robustmem-network/1", "input_dim": 2, "layers": []}')
    code, _, err = run(capsys, "witness", "width", str(bad), "--N", "3", "--rho", "1/2")
    assert code == 3 and "error" in err


@pytest.mark.parametrize(
    "extra,match",
    [
        (["--signs", "+-?+"], "string of"),
        (["--signs", "+-+"], "give exactly 4"),
        ([], "exactly one of --signs"),
        (["--signs", "++++", "--seed", "1"], "exactly one of --signs"),
    ],
)
def test_vc_input_errors_exit_3(capsys, tmp_path, extra, match):
    code, _, err = run(
        capsys, "witness", "dataset", "vc", "--N", "4", "--d", "3", "--rho", "4/5", *extra,
        "-o", str(tmp_path / "x.csv"),
    )  # fmt: skip
    assert code == 3 and match in err
    assert not (tmp_path / "x.csv").exists()


def test_vc_dimension_mismatch_and_small_d(capsys, tmp_path):
    path = save(tmp_path, random_narrow_net(1, 4, 2, 3))
    code, _, err = run(capsys, "witness", "vc", path, "--N", "4", "--d", "3", "--rho", "4/5",
                       "--seed", "1")  # fmt: skip
    assert code == 3 and "input dimension" in err
    code, _, err = run(capsys, "witness", "dataset", "vc", "--N", "4", "--d", "1", "--rho",
                       "1/2", "--seed", "1", "-o", str(tmp_path / "x.csv"))  # fmt: skip
    assert code == 3 and "at least 2" in err


def test_missing_output_directory_is_an_input_error(capsys, tmp_path):
    code, _, err = run(capsys, "witness", "dataset", "width", "--N", "3", "--d", "2", "-o",
                       str(tmp_path / "no" / "d.csv"))  # fmt: skip
    assert code == 3 and "does not exist" in err


def test_entry_point_subprocess(tmp_path):
    net = random_narrow_net(2, 3, 1, 2)
    path = save(tmp_path, net)
    r = subprocess.run(
        [sys.executable, "-m", "robustmem", "witness", "width", path, "--N", "4", "--rho",
         "9/10", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    check_json_witness(net, json.loads(r.stdout), 4, F(9, 10), 2)


def test_the_docs_worked_example(capsys, tmp_path):
    """docs/witness.md: a 3-wide net, certified at ρ = 1/2, broken at ρ = 9/10 by x = (5/8, ...)."""
    net = Network(
        [[[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1]], [[8, 8, 8], [8, 8, 8]], [[1, -1]]],
        [["-1/2"] * 3, [0, -1], [1]],
        input_dim=4,
    )
    path = save(tmp_path, net, "net3.json")
    data = tmp_path / "dstar.csv"
    assert (
        run(capsys, "witness", "dataset", "width", "--N", "5", "--d", "4", "-o", str(data))[0] == 0
    )
    code, text, _ = run(capsys, "certify", path, str(data), "--rho", "1/2", "--p", "2", "-q")
    assert code == 0 and "PROVED 5" in text
    code, text, _ = run(capsys, "witness", "width", path, "--N", "5", "--rho", "9/10", "--json")
    obj = json.loads(text)
    assert obj["x"] == ["5/8", "1/8", "1/8", "-1/8"] and obj["x_prime"] == [
        "3/8",
        "-1/8",
        "-1/8",
        "1/8",
    ]
    assert obj["misclassified"] == "x" and obj["value"] == "1" and obj["bound"] == "81/25"
    check_json_witness(net, obj, 5, F(9, 10), 2)
    code, text, _ = run(capsys, "witness", "width", path, "--N", "5", "--rho", "3/5", "--p", "inf",
                        "--json")  # fmt: skip
    obj = json.loads(text)
    assert obj["x"] == ["3/4", "1/4", "1/4", "-1/4"] and obj["bound"] == "4"
    check_json_witness(net, obj, 5, F(3, 5), None)


def test_certify_fallback_when_no_pair_exists(capsys, tmp_path):
    # rank 3 = d: no pair with W x = W x' exists, but f = 1 + Σ ReLU(x_k) is not robust at 0
    net = Network([[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 1, 1]]], [[0, 0, 0], [1]], input_dim=3)
    path = save(tmp_path, net)
    code, text, _ = run(capsys, "witness", "width", path, "--N", "4", "--rho", "1/2")
    assert code == 1 and "NO WITNESS PAIR FOUND" in text
    code, text, _ = run(capsys, "witness", "width", path, "--N", "4", "--rho", "1/2", "--certify",
                        "--json")  # fmt: skip
    obj = json.loads(text)
    assert code == 0 and obj["found"] is False and obj["certifier"]["counts"]["REFUTED"] >= 1
    cex = obj["certifier"]["counterexample"]
    x = [parse_number(v, "x") for v in cex["point"]]
    c = [parse_number(v, "c") for v in cex["center"]]
    assert sum((a - b) ** 2 for a, b in zip(x, c)) < F(1, 16)  # inside the ℓ2 ball, μ = 1/4
    assert net.evaluate(x) != cex["label"] and str(net.evaluate(x)) == cex["value"]
    # a certified robust memorizer: the certifier proves every ball, nothing to report
    good = save(tmp_path, build_dstar_memorizer(2, 3, "1/2"), "g.json")
    code, text, _ = run(capsys, "witness", "width", good, "--N", "2", "--rho", "1/2", "--certify")
    assert code == 1 and "PROVED 2" in text
