"""``robustmem convert`` and ``robustmem export-vnnlib``: outputs, exit codes, errors, help."""

from __future__ import annotations

import json

import pytest

from certify.io import load_network
from robustmem.cli import main

pytest.importorskip("onnx")

STEP = {
    "format": "robustmem-network/1",
    "input_dim": 1,
    "layers": [{"weight": [[1], [1]], "bias": [-1, -2]}, {"weight": [[1, -1]], "bias": [1]}],
}
THIRD = {
    "format": "robustmem-network/1",
    "input_dim": 1,
    "layers": [{"weight": [["1/3"]], "bias": [0]}],
}


@pytest.fixture
def files(tmp_path):
    net = tmp_path / "net.json"
    net.write_text(json.dumps(STEP))
    data = tmp_path / "d.csv"
    data.write_text("0,1\n3,2\n-1,1\n")  # ε∞ = 3/2
    return tmp_path, net, data


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_convert_round_trip_is_exact(files, capsys):
    tmp, net, _ = files
    code, out, _ = run(capsys, "convert", net, tmp / "n.onnx", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["exact"] and info["inexact_params"] == 0 and info["widths"] == [1, 2, 1]
    code, out, _ = run(capsys, "convert", tmp / "n.onnx", tmp / "back.json")
    assert code == 0 and "wrote" in out
    assert load_network(tmp / "back.json") == load_network(net)
    assert (tmp / "back.json").read_text() == load_network(net).to_json_text()


def test_convert_inexact_warns_or_fails_with_require_exact(tmp_path, capsys):
    src = tmp_path / "third.json"
    src.write_text(json.dumps(THIRD))
    code, _, err = run(capsys, "convert", src, tmp_path / "t.onnx", "--require-exact")
    assert code == 3 and "inexact" in err and not (tmp_path / "t.onnx").exists()
    code, _, err = run(capsys, "convert", src, tmp_path / "t.onnx")
    assert code == 0 and "warning" in err and (tmp_path / "t.onnx").exists()


def test_convert_errors(files, capsys):
    tmp, net, _ = files
    code, _, err = run(capsys, "convert", net, tmp / "n.txt")
    assert code == 3 and "unknown network file type '.txt'" in err
    code, _, err = run(capsys, "convert", tmp / "missing.onnx", tmp / "n.json")
    assert code == 3 and "missing.onnx" in err


def test_certify_reads_onnx(files, capsys):
    tmp, net, data = files
    assert run(capsys, "convert", net, tmp / "n.onnx")[0] == 0
    for mu, want in (("1/2", 0), ("3/2", 1)):
        a = run(capsys, "certify", tmp / "n.onnx", data, "--mu", mu, "--p", "inf", "--json")
        b = run(capsys, "certify", net, data, "--mu", mu, "--p", "inf", "--json")
        assert a[0] == b[0] == want
        va, vb = json.loads(a[1]), json.loads(b[1])
        assert va["network_sha256"] == vb["network_sha256"]
        assert [x["status"] for x in va["balls"]] == [x["status"] for x in vb["balls"]]


def test_export_vnnlib(files, capsys):
    tmp, net, data = files
    out = tmp / "vnn"
    code, stdout, _ = run(
        capsys, "export-vnnlib", net, data, "--rho", "1/2", "--balls", "0,2", "-o", out, "--json"
    )
    assert code == 0
    man = json.loads(stdout)
    assert man["mu"] == "3/4" and man["rho"] == "1/2" and man["exact"]
    assert [i["vnnlib"] for i in man["instances"]] == ["ball_0.vnnlib", "ball_2.vnnlib"]
    assert (out / "instances.csv").read_text() == (
        "network.onnx,ball_0.vnnlib,60\nnetwork.onnx,ball_2.vnnlib,60\n"
    )
    text = (out / "ball_2.vnnlib").read_text()
    assert "(assert (>= X_0 -1.75))" in text and "(assert (<= X_0 -0.25))" in text
    assert "(assert (or (<= Y_0 0.5) (>= Y_0 1.5)))" in text
    code, stdout, _ = run(
        capsys, "export-vnnlib", net, data, "--mu", "1", "--delta", "0", "-o", out
    )
    assert code == 0 and "Y_0 != y" in stdout
    assert "(assert (or (< Y_0 2) (> Y_0 2)))" in (out / "ball_1.vnnlib").read_text()


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--p", "2"], "only ℓ∞"),
        (["--balls", "0,x"], "not a ball index"),
        (["--balls", "7"], "out of range"),
        (["--delta", "-1"], "delta"),
        (["--timeout", "0"], "timeout"),
    ],
)
def test_export_vnnlib_errors(files, capsys, extra, needle):
    tmp, net, data = files
    code, _, err = run(capsys, "export-vnnlib", net, data, "--mu", "1", "-o", tmp / "o", *extra)
    assert code == 3 and needle in err


def test_export_vnnlib_needs_one_radius(files, capsys):
    tmp, net, data = files
    code, _, err = run(capsys, "export-vnnlib", net, data, "-o", tmp / "o")
    assert code == 3 and "--rho" in err


@pytest.mark.parametrize("cmd", ["convert", "export-vnnlib"])
def test_help_teaches(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"robustmem {cmd} " in out
