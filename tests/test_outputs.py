"""Issue 16, items 1, 3 and 4 (check): outputs never destroy anything, options mean what they
say, and ``check`` tells a wrong file (exit 3) from a failed proof (exit 1).

Every refusal is exit 3 with one ``robustmem: error:`` line, and no file that existed before
the command (in the test's directory, or a device such as /dev/null) changed: bytes, mtime,
mode and file type are compared before and after."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from certify.errors import InputError
from certify.io import check_output, protect_inputs, write_output
from robustmem.cli import main

# f = 1 for x1 <= 2, f = 2 for x1 >= 3 (the fixture of tests/test_bad_input.py)
NET = (
    '{"format": "robustmem-network/1", "input_dim": 2, "layers": ['
    '{"weight": [[1, 0], [1, 0]], "bias": [-2, -3]}, {"weight": [[1, -1]], "bias": [1]}]}'
)
DATA = "0,0,1\n4,4,2\n"
NON_ROOT = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permissions"
)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "net.json").write_text(NET)
    (tmp_path / "data.csv").write_text(DATA)
    (tmp_path / "other.json").write_text('{"keep": "me"}\n')
    return tmp_path


def snapshot(*roots: Path | str) -> dict:
    """Type, mode, size, mtime and content of every entry under ``roots`` (not following
    symlinks), and of the roots themselves."""
    out = {}
    for root in map(Path, roots):
        paths = [root] + (
            sorted(root.rglob("*")) if root.is_dir() and not root.is_symlink() else []
        )
        for p in paths:
            st = os.lstat(p)
            content = None
            if stat.S_ISREG(st.st_mode):
                content = p.read_bytes()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(p)
            out[str(p)] = (
                stat.S_IFMT(st.st_mode),
                stat.S_IMODE(st.st_mode),
                st.st_mtime_ns,
                content,
            )
    return out


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, watch, *argv: object, words=()) -> str:
    """The command exits 3 with one error line containing ``words`` and changes nothing
    under ``watch`` (a directory or a list of paths)."""
    watch = watch if isinstance(watch, list | tuple) else [watch]
    before = snapshot(*watch)
    code, _, err = run(capsys, *argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 3, err
    assert len(lines) == 1 and lines[0].startswith("robustmem: error: "), err
    for w in words:
        assert w in lines[0], lines[0]
    assert snapshot(*watch) == before
    return lines[0]


# ================================================================ item 1: one output writer


def test_construct_output_is_its_own_dataset(files, capsys):
    refused(
        capsys,
        files,
        "construct",
        files / "data.csv",
        "--rho",
        "1/4",
        "-o",
        files / "data.csv",
        words=["data.csv", "an input of this command"],
    )


def test_certify_report_over_the_network(files, capsys):
    refused(
        capsys,
        files,
        "certify",
        files / "net.json",
        files / "data.csv",
        "--rho",
        "1/4",
        "-q",
        "-o",
        files / "net.json",
        words=["refusing to write over"],
    )


def test_certify_cert_over_the_dataset(files, capsys):
    refused(
        capsys,
        files,
        "certify",
        files / "net.json",
        files / "data.csv",
        "--rho",
        "1/4",
        "-q",
        "--cert",
        files / "data.csv",
        words=["data.csv", "an input"],
    )


def test_certify_report_and_cert_the_same_file(files, capsys):
    refused(
        capsys,
        files,
        "certify",
        files / "net.json",
        files / "data.csv",
        "--rho",
        "1/4",
        "-q",
        "-o",
        files / "r.json",
        "--cert",
        files / "r.json",
        words=["name the same file"],
    )
    assert not (files / "r.json").exists()


def test_output_symlink_to_an_input_is_refused(files, capsys):
    (files / "link.json").symlink_to(files / "data.csv")
    msg = refused(
        capsys,
        files,
        "construct",
        files / "data.csv",
        "--rho",
        "1/4",
        "-o",
        files / "link.json",
        words=["a symlink to", "an input"],
    )
    assert "link.json" in msg


def test_output_hard_link_to_an_input_is_refused(files, capsys):
    os.link(files / "net.json", files / "hard.json")
    refused(
        capsys,
        files,
        "certify",
        files / "net.json",
        files / "data.csv",
        "--rho",
        "1/4",
        "-q",
        "-o",
        files / "hard.json",
        words=["hard.json", "an input"],
    )


def test_output_symlink_is_followed_target_replaced_link_kept(files, capsys):
    (files / "link.json").symlink_to("other.json")
    code, _, err = run(
        capsys, "construct", files / "data.csv", "--rho", "1/4", "-o", files / "link.json"
    )
    assert code == 0, err
    assert (files / "link.json").is_symlink() and os.readlink(files / "link.json") == "other.json"
    assert json.loads((files / "other.json").read_text())["format"] == "robustmem-network/1"
    assert not [p for p in files.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("dev", ["/dev/null", "/dev/full"])
def test_output_device_is_refused(files, capsys, dev):
    if not os.path.exists(dev):
        pytest.skip(f"no {dev}")
    refused(
        capsys,
        [files, dev],
        "certify",
        files / "net.json",
        files / "data.csv",
        "--rho",
        "1/4",
        "-q",
        "-o",
        dev,
        words=[dev, "character device", "not a regular file"],
    )
    assert stat.S_ISCHR(os.stat(dev).st_mode)


def test_output_fifo_is_refused(files, capsys):
    os.mkfifo(files / "pipe.json")
    refused(
        capsys,
        files,
        "construct",
        files / "data.csv",
        "--rho",
        "1/4",
        "-o",
        files / "pipe.json",
        words=["FIFO"],
    )


def test_output_directory_is_refused(files, capsys):
    (files / "sub").mkdir()
    refused(
        capsys,
        files,
        "construct",
        files / "data.csv",
        "--rho",
        "1/4",
        "-o",
        files / "sub",
        words=["is a directory"],
    )


def test_output_missing_directory(files, capsys):
    refused(
        capsys,
        files,
        "construct",
        files / "data.csv",
        "--rho",
        "1/4",
        "-o",
        files / "nodir" / "net.json",
        words=["does not exist"],
    )


@NON_ROOT
def test_output_read_only_folder(files, capsys):
    ro = files / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        refused(
            capsys,
            files,
            "certify",
            files / "net.json",
            files / "data.csv",
            "--rho",
            "1/4",
            "-q",
            "--cert",
            ro / "c.json",
            words=["not writable"],
        )
    finally:
        ro.chmod(0o755)


@NON_ROOT
def test_output_read_only_file(files, capsys):
    (files / "other.json").chmod(0o444)
    refused(
        capsys,
        files,
        "construct",
        files / "data.csv",
        "--rho",
        "1/4",
        "-o",
        files / "other.json",
        words=["read-only"],
    )


def test_read_only_paths_as_any_user(files, capsys, monkeypatch):
    """The read-only checks, also where the tests run as root (which os.access would let
    through): os.access is made to deny writing to the folder ``ro`` and the file."""
    import certify.io

    ro = files / "ro"
    ro.mkdir()
    real = os.access

    def access(path, mode, *a, **kw):
        p = os.fspath(path)
        if mode & os.W_OK and (p == str(ro) or p == str(files / "other.json")):
            return False
        return real(path, mode, *a, **kw)

    monkeypatch.setattr(certify.io.os, "access", access)
    refused(capsys, files, *_certify(files, "--cert", ro / "c.json"), words=["not writable"])
    refused(
        capsys,
        files,
        "plot",
        "--N",
        "5",
        "--d",
        "4",
        "-o",
        ro / "p.png",
        words=["the directory", "not writable"],
    )
    refused(capsys, files, *_certify(files, "-o", files / "other.json"), words=["read-only"])


def test_plot_missing_directory(files, capsys):
    refused(
        capsys,
        files,
        "plot",
        "--N",
        "5",
        "--d",
        "4",
        "-o",
        files / "nodir" / "p.png",
        words=["does not exist"],
    )


@NON_ROOT
def test_plot_read_only_folder(files, capsys):
    ro = files / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        refused(
            capsys,
            files,
            "plot",
            "--N",
            "5",
            "--d",
            "4",
            "-o",
            ro / "p.png",
            words=["not writable"],
        )
    finally:
        ro.chmod(0o755)


def test_plot_fifo_is_refused(files, capsys):
    os.mkfifo(files / "p.svg")
    refused(capsys, files, "plot", "--N", "5", "--d", "4", "-o", files / "p.svg", words=["FIFO"])


def test_plot_writes_through_the_writer(files, capsys):
    (files / "p.svg").write_text("old")
    (files / "p.svg").chmod(0o640)
    code, out, err = run(capsys, "plot", "--N", "5", "--d", "4", "-o", files / "p.svg")
    assert code == 0, err
    assert (files / "p.svg").read_text().lstrip().startswith("<?xml")
    assert stat.S_IMODE(os.stat(files / "p.svg").st_mode) == 0o640  # the file keeps its mode
    assert sorted(p.name for p in files.iterdir()) == [
        "data.csv",
        "net.json",
        "other.json",
        "p.svg",
    ]


def test_demo_out_dir_names_an_existing_file(files, capsys):
    refused(
        capsys,
        files,
        "demo",
        "--out-dir",
        files / "other.json",
        words=["--out-dir", "not a directory"],
    )


def test_witness_dataset_outputs(files, capsys):
    refused(
        capsys,
        files,
        "witness",
        "dataset",
        "width",
        "--N",
        "5",
        "--d",
        "4",
        "-o",
        files / "d.csv",
        "--memorizer",
        files / "d.csv",
        "--rho",
        "1/2",
        words=["name the same file"],
    )
    refused(
        capsys,
        [files, "/dev/null"],
        "witness",
        "dataset",
        "width",
        "--N",
        "5",
        "--d",
        "4",
        "-o",
        "/dev/null",
        words=["not a regular file"],
    )
    os.mkfifo(files / "m.json")
    refused(
        capsys,
        files,
        "witness",
        "dataset",
        "vc",
        "--N",
        "6",
        "--d",
        "3",
        "--rho",
        "4/5",
        "--signs",
        "+-+--+",
        "-o",
        files / "vc.csv",
        "--memorizer",
        files / "m.json",
        words=["FIFO"],
    )
    assert not (files / "vc.csv").exists()  # refused before anything was written


def test_convert_onto_its_input(files, capsys):
    refused(
        capsys,
        files,
        "convert",
        files / "net.json",
        files / "net.json",
        words=["an input of this command"],
    )


def test_export_vnnlib_into_a_fifo(files, capsys):
    out = files / "vnn"
    out.mkdir()
    os.mkfifo(out / "manifest.json")
    code, _, err = run(
        capsys, "export-vnnlib", files / "net.json", files / "data.csv", "--rho", "1/4", "-o", out
    )
    assert code == 3 and "FIFO" in err and len(err.strip().splitlines()) == 1, err
    assert stat.S_ISFIFO(os.lstat(out / "manifest.json").st_mode)


def test_write_output_library_contract(tmp_path):
    inp = tmp_path / "in.csv"
    inp.write_text("x")
    with pytest.raises(InputError, match="an input of this command"):
        write_output(inp, "y", inputs=[str(inp)])
    with protect_inputs([str(inp)]), pytest.raises(InputError, match="an input"):
        write_output(tmp_path / "." / "in.csv", "y")
    assert inp.read_text() == "x"
    with pytest.raises(InputError, match="empty"):
        check_output("")

    def boom(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_output(inp, boom)
    assert inp.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    assert write_output(tmp_path / "new.txt", b"z") == tmp_path / "new.txt"
    assert (tmp_path / "new.txt").read_bytes() == b"z"


# ================================================================ item 3: option validation


def _certify(files, *extra):
    return ("certify", files / "net.json", files / "data.csv", "--rho", "1/4", "-q", *extra)


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--timeout", "nan"], ["--timeout must be positive and finite"]),
        (["--timeout", "inf"], ["--timeout must be positive and finite"]),
        (["--error", "--samples", "-5"], ["--samples must be a positive integer, got -5"]),
        (["--error", "--error-budget", "0"], ["--error-budget must be a positive integer"]),
        (["--samples", "10"], ["--samples applies only with --error"]),
        (["--error-budget", "10"], ["--error-budget applies only with --error"]),
        (["--jobs", "0"], ["--jobs must be a positive integer"]),
        (["--jobs", "-3"], ["--jobs must be a positive integer"]),
        (["--memory", "10"], ["--memory must be at least 64"]),
        (
            ["--executor", "dask", "--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"],
            ["--jobs applies only with"],
        ),
    ],
)
def test_certify_options(files, capsys, extra, words):
    refused(capsys, files, *_certify(files, *extra), words=words)


def test_certify_jobs_is_capped_by_the_balls(files, capsys, monkeypatch):
    import certify.run

    seen = []
    real = certify.run.certify

    def spy(*a, **kw):
        seen.append(kw["jobs"])
        return real(*a, **kw)

    monkeypatch.setattr(certify.run, "certify", spy)
    code, _, err = run(capsys, *_certify(files, "--jobs", "64"))
    assert code == 0, err
    assert seen == [2]  # 2 balls: at most 2 workers, silently


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--method", "large", "--memorizer", "sqrt"], ["--memorizer applies only with"]),
        (["--method", "baseline", "--project", "random"], ["--project applies only with"]),
        (["--method", "large", "--eta", "1/5"], ["--eta applies only with"]),
        (["--method", "small", "--threshold"], ["--threshold applies only with"]),
        (["--method", "baseline", "--seed", "3"], ["--seed applies only with"]),
        (["--seed", "-1"], ["--seed must be at least 0"]),
        (["--method", "moderate", "--eta", "nan"], ["eta", "not a finite number"]),
    ],
)
def test_construct_options(files, capsys, extra, words):
    refused(
        capsys,
        files,
        "construct",
        files / "data.csv",
        "--rho",
        "1/4",
        "-o",
        files / "out.json",
        *extra,
        words=words,
    )
    assert not (files / "out.json").exists()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--N", "5", "--sweep", "N", "--rho", "0.1"], ["--N applies only with"]),
        (["--N", "5", "--sweep-N", "--rho", "0.1"], ["--N applies only with"]),
        (["--N", "5", "--rho", "0.1"], ["--rho applies only with --sweep N"]),
    ],
)
def test_plot_options_that_do_not_apply(files, capsys, argv, words):
    refused(capsys, files, "plot", "--d", "4", *argv, "-o", files / "p.png", words=words)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--full", "--n-per-class", "3"], ["--n-per-class applies only with"]),
        (["--n-per-class", "0"], ["--n-per-class must be a positive integer"]),
        (["--jobs", "0"], ["--jobs must be a positive integer"]),
    ],
)
def test_demo_options(files, capsys, argv, words):
    refused(capsys, files, "demo", "--out-dir", files / "demo", *argv, words=words)
    assert not (files / "demo").exists()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--timeout", "5"], ["--timeout applies only with --certify"]),
        (["--certify", "--timeout", "nan"], ["--timeout must be positive and finite"]),
        (["--certify", "--timeout", "-1"], ["--timeout must be positive and finite"]),
        (["--no-search", "--search-limit", "3"], ["--search-limit applies only with"]),
    ],
)
def test_witness_width_options(files, capsys, argv, words):
    refused(
        capsys,
        files,
        "witness",
        "width",
        files / "net.json",
        "--N",
        "5",
        "--rho",
        "1/2",
        *argv,
        words=words,
    )


# ================================================================ item 4: check's exit codes


@pytest.fixture
def bundle(files, capsys) -> Path:
    cert = files / "cert.json"
    code, _, err = run(capsys, *_certify(files, "--cert", cert, "-o", files / "report.json"))
    assert code == 0, err
    return cert


def _check(files, cert):
    return ("check", files / "net.json", files / "data.csv", cert, "--rho", "1/4")


def test_check_a_dataset_is_not_a_certificate(files, capsys, bundle):
    refused(
        capsys,
        files,
        *_check(files, files / "data.csv"),
        words=["data.csv", "not a certificate bundle"],
    )


def test_check_the_report_is_not_a_certificate(files, capsys, bundle):
    refused(
        capsys,
        files,
        *_check(files, files / "report.json"),
        words=["robustmem-certificate/2", "report of robustmem certify"],
    )


def test_check_the_network_is_not_a_certificate(files, capsys, bundle):
    refused(capsys, files, *_check(files, files / "net.json"), words=["a network file"])


@pytest.mark.parametrize("text, words", [("[]", ["a JSON list"]), ("{}", ['without "format"'])])
def test_check_an_empty_bundle(files, capsys, text, words):
    (files / "c.json").write_text(text)
    refused(capsys, files, *_check(files, files / "c.json"), words=words)


def test_check_duplicated_entries_are_a_rejection(files, capsys, bundle):
    b = json.loads(bundle.read_text())
    b["balls"] = b["balls"] + b["balls"]  # 4 entries for 2 balls
    bundle.write_text(json.dumps(b))
    code, out, _ = run(capsys, *_check(files, bundle))
    assert code == 1, out
    assert "more than one entry" in out and "REJECTED" in out
    assert "0 proved, 0 refuted, 0 unknown, 2 rejected of 2 balls" in out, out
    code, out, _ = run(capsys, *_check(files, bundle), "--json")
    res = json.loads(out)
    assert code == 1 and res["ok"] is False and sum(res["counts"].values()) <= 2, res
