"""Issue 16, item 2: every budget holds. --timeout is honoured at any size (a claim found
after it is UNKNOWN, the kernel's re-check stops at it), SIGTERM and SIGINT end a parallel
run and all its worker processes within seconds, and witness datasets above the size limit
are refused with an estimate before anything is written. Plus the short decimal view of
huge numbers (item 6) against Python's decimal module."""

from __future__ import annotations

import decimal
import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import psutil
import pytest

from certify.ball import BallResult
from certify.numbers import decimal_text, display_number
from certify.run import over_budget
from constructions.witness import MAX_CELLS, dstar_csv_bytes, dstar_csv_lines, dstar_dataset
from robustmem.cli import main

ROOT = Path(__file__).resolve().parents[1]


def cli(*argv, cwd, timeout=300, **kw):
    return subprocess.run(
        [sys.executable, "-m", "robustmem", *map(str, argv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        **kw,
    )


@pytest.fixture(scope="module")
def iris(tmp_path_factory) -> Path:
    """Iris (duplicate removed) and the large builder's exact memorizer of it at ρ = 1/2, ℓ∞."""
    from sklearn.datasets import load_iris

    d = tmp_path_factory.mktemp("iris")
    X, y = load_iris(return_X_y=True)
    seen, rows = set(), []
    for x, lab in zip(X, y):
        key = tuple(float(v) for v in x)
        if key not in seen:
            seen.add(key)
            rows.append(",".join(repr(v) for v in key) + f",{lab + 1}\n")
    (d / "iris.csv").write_text("".join(rows))
    r = cli("construct", "iris.csv", "--rho", "1/2", "--p", "inf", "--method", "large",
            "-o", "net.json", cwd=d)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return d


# ----------------------------------------------------------------------------- --timeout
def test_claim_past_the_budget_is_unknown():
    late = BallResult(3, "PROVED", "linear", reason="pinned", seconds=0.5)
    res = over_budget(late, 0.25)
    assert res is not None and res.status == "UNKNOWN" and res.index == 3
    assert "time budget" in res.reason and res.certificate is None
    assert over_budget(late, 1.0) is None and over_budget(late, None) is None
    unk = BallResult(3, "UNKNOWN", "linear", reason="x", seconds=9.0)
    assert over_budget(unk, 0.25) is None


def test_tiny_timeout_takes_effect(iris):
    """--timeout 0.001: no ball can be decided within a millisecond, so none is PROVED (the
    issue: all 149 iris balls were still PROVED), and the run still ends."""
    rows = (iris / "iris.csv").read_text().splitlines(keepends=True)
    (iris / "sub.csv").write_text("".join(rows[::3]))  # 50 points of all three classes
    t0 = time.monotonic()
    r = cli("certify", "net.json", "sub.csv", "--rho", "1/2", "--p", "inf", "--timeout",
            "0.001", "--json", "-q", cwd=iris)  # fmt: skip
    (iris / "sub.csv").unlink()
    assert r.returncode == 2, r.stderr
    rep = json.loads(r.stdout)
    assert rep["counts"] == {"PROVED": 0, "REFUTED": 0, "UNKNOWN": 50}
    assert all("time budget" in b["reason"] for b in rep["balls"])
    assert time.monotonic() - t0 < 60  # (~3 s here: no stage gets a floor of its own)


# ----------------------------------------------------------------------------- signals
def _default_signals() -> None:
    """The child starts with the default SIGINT/SIGTERM dispositions: a disposition of SIG_IGN
    is inherited across exec, and Python then installs no KeyboardInterrupt handler (seen in
    full-suite runs: the run ignored SIGINT and ended with exit 0)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_ends_a_parallel_run_and_its_workers(iris, sig, code):
    before = {p.name for p in iris.iterdir()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "robustmem", "certify", "net.json", "iris.csv", "--rho", "1/2",
         "--p", "inf", "--jobs", "2", "-q", "-o", "report.json", "--cert", "cert.json"],
        cwd=iris, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=_default_signals,
    )  # fmt: skip
    try:
        me = psutil.Process(proc.pid)
        deadline = time.monotonic() + 60
        kids: list = []
        while len(kids) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            kids = me.children(recursive=True)
        assert len(kids) >= 2, "the worker processes never started"
        time.sleep(1.0)  # the workers are busy with balls
        assert proc.poll() is None, "the run ended before the signal"
        t0 = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=15)
        gone, alive = psutil.wait_procs(kids, timeout=5)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not alive, f"worker processes outlived the run: {alive}"
    assert proc.returncode == code, err
    assert elapsed < 8, elapsed
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("robustmem: "), err
    assert {p.name for p in iris.iterdir()} == before  # no report, no bundle, no temp file


# ----------------------------------------------------------------------------- witness sizes
@pytest.mark.parametrize(
    "N, d",
    [("1000000000", "1000000000"), ("100000", "100000"), (str(MAX_CELLS + 1), "1")],
)
def test_huge_witness_dataset_is_refused_with_an_estimate(tmp_path, capsys, N, d):
    code = main(["witness", "dataset", "width", "--N", N, "--d", d, "-o", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 3 and len(err.splitlines()) == 1
    assert "--force" in err and "coordinates" in err and "B" in err  # a size estimate
    assert list(tmp_path.iterdir()) == []


def test_huge_vc_dataset_is_refused(tmp_path, capsys):
    code = main(["witness", "dataset", "vc", "--N", "100000", "--d", "1000", "--rho", "1/2",
                 "--seed", "1", "-o", str(tmp_path / "x.csv")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 3 and "--force" in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("N, d", [(2, 1), (5, 4), (9, 3), (120, 7), (1005, 2), (12, 12)])
def test_dstar_stream_is_the_dataset(tmp_path, N, d):
    """The streamed CSV is exactly what Dataset.save_csv writes for D*, and its size is
    the predicted one."""
    dstar_dataset(N, d).save_csv(tmp_path / "a.csv")
    text = "".join(dstar_csv_lines(N, d))
    assert text == (tmp_path / "a.csv").read_text()
    assert dstar_csv_bytes(N, d) == len(text.encode())


def test_forced_dataset_is_streamed(tmp_path, capsys):
    N = MAX_CELLS + 5
    out = tmp_path / "big.csv"
    code = main(["witness", "dataset", "width", "--N", str(N), "--d", "1", "-o", str(out),
                 "--force", "--json"])  # fmt: skip
    rep = json.loads(capsys.readouterr().out)
    assert code == 0 and rep["labels"] is None
    assert out.stat().st_size == rep["bytes"] == dstar_csv_bytes(N, 1)
    with open(out, "rb") as fh:
        fh.seek(-30, os.SEEK_END)
        assert fh.read().splitlines()[-1] == f"{N - 1},2".encode()


# ----------------------------------------------------------------------------- short decimals
def _oracle(v: Fraction, sig: int) -> decimal.Decimal:
    ctx = decimal.Context(prec=sig, rounding=decimal.ROUND_HALF_EVEN, Emax=10**8, Emin=-(10**8))
    return ctx.divide(decimal.Decimal(v.numerator), decimal.Decimal(v.denominator))


@pytest.mark.parametrize(
    "v",
    [
        Fraction(12345678) * 10**307,
        Fraction(1, 3),
        Fraction(-5, 2) / 10**40,
        Fraction(99999, 100000),
        Fraction(999995, 100000),
        Fraction(4614883703693923851, 2**53),
        Fraction(2) ** 4000 + 1,
        Fraction(-7, 2**3000),
        Fraction(10) ** 15,
        Fraction(1, 10**5),
    ],
)
def test_decimal_text_is_the_correctly_rounded_value(v):
    shown = decimal_text(v, 5)
    assert decimal.Decimal(shown) == _oracle(v, 5)
    assert len(shown) <= 12


def test_display_keeps_short_exact_text():
    assert display_number(Fraction(3, 2)) == "3/2"
    assert display_number(Fraction(2) ** 1000).startswith("≈1.0715e+301")
    assert display_number(-(Fraction(2) ** 1000)).startswith("≈-1.0715e+301")


STUCK = """
import hashlib
import sys
import robustmem.cli as cli
real = cli.build_parser
def parser():
    p = real()
    parse = p.parse_args
    def parse_args(argv=None):
        args = parse(argv)
        # tens of seconds inside one C call that never returns to Python's signal handler
        args.func = lambda a: hashlib.pbkdf2_hmac("sha256", b"x", b"y", 10**8) and 0
        return args
    p.parse_args = parse_args
    return p
cli.build_parser = parser
print("started", flush=True)
sys.exit(cli.main(["bounds", "--N", "5", "--d", "4", "--rho", "0.1"]))
"""


def test_sigterm_ends_a_run_stuck_in_c_code(tmp_path):
    """The main thread is inside one long C call (where Python signal handlers cannot run):
    the watchdog still ends the process with 143 a grace period after SIGTERM."""
    from robustmem.cli import TERM_GRACE

    proc = subprocess.Popen([sys.executable, "-c", STUCK], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(1.0)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=TERM_GRACE + 20)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert "no clean stop in time" in err
    assert TERM_GRACE - 0.5 <= elapsed < TERM_GRACE + 5


def _hang_on(index: int, net, prep, engine, timeout, ball):
    """A worker that never returns from ball ``index`` (an engine step that overruns)."""
    if ball.index == index:
        time.sleep(3600)
    return BallResult(ball.index, "UNKNOWN", "test", reason="quick", seconds=0.0)


def test_a_worker_stuck_past_the_hard_limit_is_stopped():
    """--timeout at any size: a local worker still on a ball HARD_FACTOR·timeout + HARD_SLACK
    seconds after it started is stopped, that ball is UNKNOWN, every other ball is returned
    (in order), and no worker process is left."""
    import functools

    from certify.ball import Ball
    from certify.executors import LocalExecutor, hard_limit

    net_json = json.loads(
        '{"format": "robustmem-network/1", "input_dim": 1, "layers": '
        '[{"weight": [[1]], "bias": [0]}, {"weight": [[1]], "bias": [1]}]}'
    )
    balls = [Ball((Fraction(i),), 1, None, Fraction(1, 4), i) for i in range(5)]
    timeout = 0.5
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    t0 = time.monotonic()
    ex = LocalExecutor(2, task=functools.partial(_hang_on, 2))
    got = list(ex.run(net_json, "linear", timeout, balls))
    elapsed = time.monotonic() - t0
    assert [r.index for r in got] == [0, 1, 2, 3, 4]
    assert got[2].status == "UNKNOWN" and "stopped" in got[2].reason
    assert all(r.reason == "quick" for i, r in enumerate(got) if i != 2)
    assert hard_limit(timeout) <= elapsed < hard_limit(timeout) + 10
    time.sleep(0.2)
    assert {p.pid for p in me.children(recursive=True) if p.is_running()} - before == set()


def test_an_in_process_search_past_the_hard_limit_is_stopped(monkeypatch):
    """--jobs 1: the search runs on this process; one that overruns its budget by far (an
    engine step that never looks at the clock) is stopped by SIGALRM, its ball UNKNOWN, and
    the other balls are still searched and judged."""
    import certify.executors
    import certify.run
    from certify.dataset import Dataset
    from certify.network import Network
    from certify.run import certify as run_certify
    from certify.run import make_radius

    monkeypatch.setattr(certify.executors, "HARD_SLACK", 0.5)
    real = certify.run.search_one

    def slow(net, ball, engine, timeout, prep=None, guided=True):
        if ball.index == 1:
            while True:  # a Python loop: the signal handler runs between its bytecodes
                time.sleep(0.01)
        return real(net, ball, engine, timeout, prep, guided)

    monkeypatch.setattr(certify.run, "search_one", slow)
    net = Network.from_json(json.loads(
        '{"format": "robustmem-network/1", "input_dim": 1, "layers": '
        '[{"weight": [[1]], "bias": [-5]}, {"weight": [[1]], "bias": [1]}]}'
    ))  # fmt: skip
    ds = Dataset([(Fraction(0),), (Fraction(1),), (Fraction(10),)], [1, 1, 6])
    radius = make_radius(ds, "inf", rho=Fraction(1, 2))
    t0 = time.monotonic()
    rep = run_certify(net, ds, radius, engine="linear", timeout=0.2)
    elapsed = time.monotonic() - t0
    st = [r.status for r in rep.results]
    assert st[1] == "UNKNOWN" and "stopped" in rep.results[1].reason
    # f = 1 up to x = 5, then x - 4: ε = 9/2, μ = 9/4, so the ball at 0 holds, the ball at 10
    # (label 6) does not
    assert st[0] == "PROVED" and st[2] == "REFUTED"
    assert 0.9 <= elapsed < 10
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
