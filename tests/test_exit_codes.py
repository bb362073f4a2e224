"""Issue 16, item 4: exit codes as documented (README "Output files and exit codes"), per
subcommand: 0/1/2 for verdicts, 3 for usage and input errors (the table of
tests/test_bad_input_more.py), 4 only for a bug, 130 for SIGINT, 143 for SIGTERM.

The verdict rows run real commands on small inputs whose answer is known independently
(a network that is constant 1 cannot be a memorizer of two labels; a first layer of rank 3
is below the LB-width bound 3.24 of docs/theory.md §2). The 4/130/143 rows make every
subcommand's function raise (a bug, Ctrl-C, SIGTERM) and check the mapping of main()."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path

import pytest

import robustmem.cli as cli
from robustmem.exits import Terminated

ROOT = Path(__file__).resolve().parents[1]
# f = 1 everywhere: refutes any dataset with a label 2
CONST = (
    '{"format": "robustmem-network/1", "input_dim": 2, "layers": ['
    '{"weight": [[0, 0]], "bias": [0]}, {"weight": [[0]], "bias": [1]}]}'
)

VERDICTS = [
    ("bounds", "bounds --N 1797 --d 64 --rho 0.01", 0),
    ("bounds inverse", "bounds --N 1797 --d 64 --params 5000", 0),
    ("plot", "plot --N 20 --d 4 -o p.svg", 0),
    ("construct", "construct data.csv --rho 1/2 --p inf --method baseline -o c.json", 0),
    ("certify proved", "certify net.json data.csv --rho 1/2 --p inf -q", 0),
    ("certify refuted", "certify const.json data.csv --rho 1/2 --p inf -q", 1),
    ("certify unknown", "certify net.json data.csv --rho 1/2 --p inf -q --timeout 0.001", 2),
    ("check checked", "check net.json data.csv cert.json -q", 0),
    ("check refuted bundle checks", "check const.json data.csv ccert.json -q", 0),
    ("check rejected", "check net.json data.csv bad.json -q", 1),
    ("witness dataset width", "witness dataset width --N 5 --d 4 -o dstar.csv", 0),
    ("witness dataset vc", "witness dataset vc --N 6 --d 3 --rho 4/5 --seed 1 -o vc.csv", 0),
    ("witness width found", "witness width net3.json --N 5 --rho 9/10 --p 2", 0),
    ("witness width none", "witness width dm.json --N 5 --rho 1/2 --no-search", 1),
    ("witness vc holds", "witness vc vcnet.json --N 6 --rho 4/5 --signs +-+--+", 0),
    ("witness vc fails", "witness vc vcnet.json --N 6 --rho 4/5 --signs=-+-++-", 1),
    ("convert", "convert net.json net.onnx", 0),
    ("export-vnnlib", "export-vnnlib net.json data.csv --rho 1/2 --p inf -o vd", 0),
]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("codes")
    for f in (ROOT / "docs" / "examples").iterdir():
        shutil.copy(f, d / f.name)
    (d / "const.json").write_text(CONST)
    for argv in (
        "certify net.json data.csv --rho 1/2 --p inf -q --cert cert.json",
        "certify const.json data.csv --rho 1/2 --p inf -q --cert ccert.json",
        "witness dataset width --N 5 --d 4 -o ds.csv --memorizer dm.json --rho 1/2",
        "witness dataset vc --N 6 --d 3 --rho 4/5 --signs +-+--+ -o v0.csv --memorizer vcnet.json",
    ):
        cwd = os.getcwd()
        os.chdir(d)
        try:
            assert cli.main(shlex.split(argv)) in (0, 1)
        finally:
            os.chdir(cwd)
    bundle = json.loads((d / "cert.json").read_text())
    bundle["balls"] = bundle["balls"][1:]  # a ball without an entry
    (d / "bad.json").write_text(json.dumps(bundle))
    return d


@pytest.mark.parametrize("what, argv, code", VERDICTS, ids=[v[0] for v in VERDICTS])
def test_verdict_exit_codes(work, monkeypatch, capsys, what, argv, code):
    monkeypatch.chdir(work)
    got = cli.main(shlex.split(argv))
    out, err = capsys.readouterr()
    assert got == code, (what, out[-500:], err[-500:])
    assert "internal error" not in err and "Traceback" not in err


def test_every_subcommand_has_a_verdict_row():
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    assert set(sub.choices) - {v[1].split()[0] for v in VERDICTS} == {"demo"}  # minutes long


SUBCOMMANDS = [
    "bounds --N 5 --d 4 --rho 0.1",
    "plot --N 5 --d 4 -o p.svg",
    "construct data.csv --rho 1/2 -o c.json",
    "certify net.json data.csv --rho 1/2",
    "check net.json data.csv cert.json",
    "demo --out-dir demo",
    "witness dataset width --N 5 --d 4 -o w.csv",
    "witness width net3.json --N 5 --rho 9/10",
    "convert net.json n.onnx",
    "export-vnnlib net.json data.csv --rho 1/2 --p inf -o vd",
]


@pytest.mark.parametrize(
    "raised, code, words",
    [
        (RuntimeError("boom"), 4, ["internal error", "RuntimeError: boom", "ROBUSTMEM_DEBUG"]),
        (KeyboardInterrupt(), 130, ["interrupted"]),
        (Terminated(), 143, ["terminated"]),
    ],
    ids=["bug", "sigint", "sigterm"],
)
@pytest.mark.parametrize("argv", SUBCOMMANDS, ids=[a.split(" -")[0] for a in SUBCOMMANDS])
def test_bug_and_interrupt_exit_codes(work, monkeypatch, capsys, argv, raised, code, words):
    """Whatever the subcommand, an unexpected exception is exit 4 with one line, Ctrl-C 130
    and SIGTERM 143 (also with one line each); none of them writes the command's output."""
    monkeypatch.chdir(work)
    monkeypatch.delenv("ROBUSTMEM_DEBUG", raising=False)
    real = cli.build_parser

    def parser():
        p = real()
        parse = p.parse_args

        def parse_args(argv=None):
            args = parse(argv)

            def boom(_args):
                raise raised

            args.func = boom
            return args

        p.parse_args = parse_args
        return p

    monkeypatch.setattr(cli, "build_parser", parser)
    before = sorted(p.name for p in work.iterdir())
    assert cli.main(shlex.split(argv)) == code
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("robustmem: "), err
    for w in words:
        assert w in lines[0]
    assert sorted(p.name for p in work.iterdir()) == before
