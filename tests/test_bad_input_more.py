"""Issue 16, done-when: at least 40 more bad-input classes, across every subcommand, beyond
tests/test_bad_input.py and tests/test_outputs.py. One table: each row is a command line run
in a directory of fixture files; each must exit 3 with exactly one ``robustmem: error:`` line
containing the row's words (argparse may print its usage first), change no file that existed
before, create nothing, and leave no child process behind."""

from __future__ import annotations

import json
import os
import shlex
import stat
from pathlib import Path

import numpy as np
import psutil
import pytest

from robustmem.cli import main

# f = 1 for x1 <= 2, f = 2 for x1 >= 3; a 2-class classifier (argmax of (x1, -x1))
NET = (
    '{"format": "robustmem-network/1", "input_dim": 2, "layers": ['
    '{"weight": [[1, 0], [1, 0]], "bias": [-2, -3]}, {"weight": [[1, -1]], "bias": [1]}]}'
)
CLF = (
    '{"format": "robustmem-network/1", "input_dim": 2, "layers": ['
    '{"weight": [[1, 0], [-1, 0]], "bias": [0, 0]}, {"weight": [[1, 0], [0, 1]], "bias": [0, 0]}]}'
)
TEXT = {
    "net.json": NET,
    "clf.json": CLF,
    "data.csv": "0,0,1\n4,4,2\n",
    "nan.csv": "0,nan,1\n4,4,2\n",
    "ragged.csv": "0,0,1\n4,2\n",
    "one.csv": "0,0,1\n4,4,1\n",
    "clash.csv": "0,0,1\n0,0,2\n4,4,2\n",
    "empty.csv": "",
    "three.csv": "0,0,0,1\n4,4,4,2\n",
    "label3.csv": "0,0,1\n4,4,3\n",
    "data.txt": "0,0,1\n4,4,2\n",
    "notjson.json": "{not json",
    "float.json": NET.replace("-2", "-2.5"),
    "badformat.json": NET.replace("robustmem-network/1", "robustmem-network/9"),
    "shape.json": NET.replace("[[1, -1]]", "[[1, -1, 1]]"),
    "third.json": NET.replace("[[1, -1]]", '[["1/3", -1]]'),
    "p.vnnlib": "(declare-const X_0 Real)\n",
    "nop.json": json.dumps(
        {"format": "robustmem-certificate/2", "network_sha256": "x", "balls": []}
    ),
    "norad.json": json.dumps({"format": "robustmem-certificate/2", "p": "inf", "balls": []}),
    "empty.onnx": "",
    "garbage.onnx": "garbage\n",
}

# (class, command line, words of the one error line)
CASES = [
    # bounds
    ("bounds N not an integer", "bounds --N 1.5 --d 4 --rho 0.1", ["N = 1.5 is not an integer"]),
    ("bounds N below 2", "bounds --N 1 --d 4 --rho 0.1", ["below 2"]),
    ("bounds d zero", "bounds --N 5 --d 0 --rho 0.1", ["d = 0 is below 1"]),
    ("bounds rho zero", "bounds --N 5 --d 4 --rho 0", ["outside (0, 1)"]),
    ("bounds rho one", "bounds --N 5 --d 4 --rho 1", ["outside (0, 1)"]),
    ("bounds rho text", "bounds --N 5 --d 4 --rho abc", ["'abc' is not a number"]),
    ("bounds rho 1/0", "bounds --N 5 --d 4 --rho 1/0", ["division by zero"]),
    ("bounds p below 1", "bounds --N 5 --d 4 --rho 0.1 --p 0.5", ["below 1"]),
    ("bounds params negative", "bounds --N 5 --d 4 --params -5", ["must be positive"]),
    ("bounds params with rho", "bounds --N 5 --d 4 --params 100 --rho 0.1", ["either --rho"]),
    ("bounds no rho", "bounds --N 5 --d 4", ["--rho is required"]),
    ("bounds json and latex", "bounds --N 5 --d 4 --rho 0.1 --json --latex", ["not allowed"]),
    ("bounds unknown option", "bounds --N 5 --d 4 --rho 0.1 --foo", ["unrecognized"]),
    # plot
    ("plot wrong suffix", "plot --N 5 --d 4 -o p.pdf", [".png or .svg"]),
    ("plot sweep N without rho", "plot --d 4 --sweep N -o p.png", ["needs --rho"]),
    ("plot p nan", "plot --N 5 --d 4 --p nan -o p.png", ["'nan' is not a number"]),
    # construct
    ("construct missing dataset", "construct missing.csv --rho 1/2 -o o.json", ["missing.csv"]),
    ("construct NaN coordinate", "construct nan.csv --rho 1/2 -o o.json", ["not a finite"]),
    ("construct ragged rows", "construct ragged.csv --rho 1/2 -o o.json", ["line 2 has 2"]),
    ("construct one class with rho", "construct one.csv --rho 1/2 -o o.json", ["one class"]),
    ("construct one point two labels", "construct clash.csv --rho 1/2 -o o.json", ["different"]),
    ("construct rho and mu", "construct data.csv --rho 1/2 --mu 1 -o o.json", ["exactly one"]),
    ("construct no radius", "construct data.csv -o o.json", ["exactly one of --rho"]),
    ("construct mu negative", "construct data.csv --mu -1 -o o.json", ["mu must be positive"]),
    ("construct rho 2", "construct data.csv --rho 2 -o o.json", ["0 < rho < 1"]),
    ("construct empty dataset", "construct empty.csv --rho 1/2 -o o.json", ["no data rows"]),
    ("construct non-UTF-8 dataset", "construct binary.csv --rho 1/2 -o o.json", ["utf-8"]),
    (
        "construct eta out of range",
        "construct data.csv --rho 1/2 --method moderate --eta 2 -o o.json",
        ["eta must satisfy"],
    ),
    (
        "construct small builder at large rho",
        "construct data.csv --rho 9/10 --method small -o o.json",
        ["small-regime builder"],
    ),
    # certify
    ("certify missing network", "certify missing.json data.csv --rho 1/2", ["missing.json"]),
    ("certify network not JSON", "certify notjson.json data.csv --rho 1/2", ["not valid JSON"]),
    ("certify JSON float weight", "certify float.json data.csv --rho 1/2", ["floats are inexact"]),
    ("certify wrong network format", "certify badformat.json data.csv --rho 1/2", ["format"]),
    ("certify dimension mismatch", "certify net.json three.csv --rho 1/2", ["2 inputs"]),
    ("certify layer shape mismatch", "certify shape.json data.csv --rho 1/2", ["3 columns"]),
    ("certify label not a class", "certify clf.json label3.csv --rho 1/2", ["labels [3]"]),
    ("certify p not an integer", "certify net.json data.csv --rho 1/2 --p 2.5", ["integer"]),
    ("certify p zero", "certify net.json data.csv --rho 1/2 --p 0", ["integer >= 1"]),
    ("certify p above 1000", "certify net.json data.csv --rho 1/2 --p 1001", ["above 1000"]),
    ("certify unknown engine", "certify net.json data.csv --rho 1/2 --engine bogus", ["bogus"]),
    (
        "certify scheduler without dask",
        "certify net.json data.csv --rho 1/2 --scheduler tcp://127.0.0.1:1",
        ["needs --executor dask"],
    ),
    ("certify vnnlib and dataset", "certify net.json data.csv --vnnlib p.vnnlib", ["no dataset"]),
    ("certify no dataset", "certify net.json --rho 1/2", ["certify needs NET DATA"]),
    ("certify mu zero", "certify net.json data.csv --mu 0", ["mu must be positive"]),
    ("certify npz without X", "certify net.json nox.npz --rho 1/2", ["'X'"]),
    ("certify unknown dataset type", "certify net.json data.txt --rho 1/2", ["'.txt'"]),
    # check
    ("check rho and mu", "check net.json data.csv cert.json --rho 1/2 --mu 1", ["at most one"]),
    ("check missing certificate", "check net.json data.csv gone.json", ["gone.json"]),
    ("check certificate is a directory", "check net.json data.csv adir", ["Is a directory"]),
    ("check p disagrees with bundle", "check net.json data.csv cert.json --p 2", ["p = inf"]),
    (
        "check rho disagrees with bundle",
        "check net.json data.csv cert.json --rho 1/3",
        ["does not match the bundle"],
    ),
    ("check mu against a rho bundle", "check net.json data.csv cert.json --mu 1", ["rho = 1/2"]),
    ("check bundle without p", "check net.json data.csv nop.json", ["no usable norm p"]),
    ("check bundle without radius", "check net.json data.csv norad.json", ["no usable radius"]),
    ("check dataset of another dimension", "check net.json three.csv cert.json", ["3 coordinates"]),
    # witness
    ("witness D* N below 2", "witness dataset width --N 1 --d 3 -o w.csv", ["at least 2"]),
    ("witness D* d text", "witness dataset width --N 5 --d abc -o w.csv", ["expected an integer"]),
    ("witness D* rho alone", "witness dataset width --N 5 --d 3 --rho 1/2 -o w.csv", ["only"]),
    (
        "witness D* memorizer without rho",
        "witness dataset width --N 5 --d 3 --memorizer m.json -o w.csv",
        ["needs --rho"],
    ),
    (
        "witness D* memorizer is the dataset",
        "witness dataset width --N 5 --d 3 --memorizer w.csv --rho 1/2 -o w.csv",
        ["the same file"],
    ),
    ("witness D* too large", "witness dataset width --N 10000 --d 10000 -o w.csv", ["--force"]),
    ("witness vc d 1", "witness dataset vc --N 6 --d 1 --rho 4/5 --seed 1 -o v.csv", ["--d 1"]),
    (
        "witness vc wrong sign count",
        "witness dataset vc --N 6 --d 3 --rho 4/5 --signs ++ -o v.csv",
        ["has 2 signs"],
    ),
    (
        "witness vc signs and seed",
        "witness dataset vc --N 6 --d 3 --rho 4/5 --signs +-+--+ --seed 1 -o v.csv",
        ["exactly one of --signs"],
    ),
    (
        "witness vc rho above 1",
        "witness dataset vc --N 6 --d 3 --rho 1.5 --seed 1 -o v.csv",
        ["0 < rho < 1"],
    ),
    (
        "witness vc too large",
        "witness dataset vc --N 100000 --d 1000 --rho 1/2 --seed 1 -o v.csv",
        ["--force"],
    ),
    ("witness width d mismatch", "witness width net.json --N 5 --rho 1/2 --d 3", ["--d is 3"]),
    ("witness width mu too big", "witness width net.json --N 5 --mu 0.6", ["not below eps"]),
    ("witness width p zero", "witness width net.json --N 5 --rho 1/2 --p 0", ["integer >= 1"]),
    (
        "witness width certify too large",
        "witness width net.json --N 100000000 --rho 1/2 --certify",
        ["smaller N"],
    ),
    ("witness vc bad sign", "witness vc net.json --N 6 --rho 4/5 --signs +x+", ["found 'x'"]),
    (
        "witness vc construction too large",
        "witness vc net.json --N 100000000 --rho 4/5 --seed 1",
        ["smaller N"],
    ),
    # convert
    ("convert unknown suffix", "convert net.json out.txt", ["'.txt'"]),
    ("convert missing input", "convert missing.json out.onnx", ["missing.json"]),
    ("convert empty ONNX file", "convert empty.onnx out.json", ["empty (0 bytes)"]),
    ("convert corrupt ONNX file", "convert garbage.onnx out.json", ["not a readable ONNX"]),
    ("convert inexact export", "convert third.json out.onnx --require-exact", ["not float64"]),
    # export-vnnlib
    ("export-vnnlib p 2", "export-vnnlib net.json data.csv --rho 1/2 --p 2 -o vd", ["ℓ∞"]),
    (
        "export-vnnlib negative delta",
        "export-vnnlib net.json data.csv --rho 1/2 --p inf --delta -1 -o vd",
        ["delta must be >= 0"],
    ),
    (
        "export-vnnlib bad ball list",
        "export-vnnlib net.json data.csv --rho 1/2 --p inf --balls bogus -o vd",
        ["not a ball index"],
    ),
    (
        "export-vnnlib output is a file",
        "export-vnnlib net.json data.csv --rho 1/2 --p inf -o data.csv",
        ["data.csv"],
    ),
    # demo and the top level
    ("demo out-dir under a file", "demo --out-dir data.csv/sub", ["Not a directory"]),
    ("no command", "", ["a COMMAND is required"]),
    ("unknown command", "bogus", ["invalid choice"]),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch, capsys) -> Path:
    for name, text in TEXT.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81")
    (tmp_path / "adir").mkdir()
    np.savez(tmp_path / "nox.npz", A=np.zeros((2, 2)))
    monkeypatch.chdir(tmp_path)
    code = main(["certify", "net.json", "data.csv", "--rho", "1/2", "--p", "inf", "-q",
                 "--cert", "cert.json"])  # fmt: skip
    assert code == 0
    capsys.readouterr()
    return tmp_path


def _state(root: Path) -> dict:
    out = {}
    for p in sorted(root.rglob("*")):
        st = os.lstat(p)
        body = p.read_bytes() if stat.S_ISREG(st.st_mode) else None
        out[str(p)] = (stat.S_IFMT(st.st_mode), st.st_mtime_ns, body)
    return out


def test_the_table_is_large_and_covers_every_subcommand():
    assert len(CASES) >= 40 and len({c for c, _, _ in CASES}) == len(CASES)
    from robustmem.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    firsts = {argv.split()[0] for _, argv, _ in CASES if argv}
    assert set(sub.choices) <= firsts


@pytest.mark.parametrize("what, argv, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_3_and_changes_nothing(workdir, capsys, what, argv, words):
    before = _state(workdir)
    kids = {p.pid for p in psutil.Process().children(recursive=True)}
    try:
        code = main(shlex.split(argv))
    except SystemExit as e:  # argparse's own errors leave through parse_args
        code = e.code
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("robustmem: error: ")]
    usage = [ln for ln in lines if ln not in errors]
    assert code == 3, (what, code, err)
    assert len(errors) == 1, err
    assert not usage or usage[0].startswith("usage: "), err  # argparse's usage, nothing else
    for w in words:
        assert w in errors[0], (w, errors[0])
    assert _state(workdir) == before
    left = {p.pid for p in psutil.Process().children(recursive=True)} - kids
    assert not left
