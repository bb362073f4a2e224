"""The per-ball memory limit (certify.budget): the search stops with UNKNOWN and the reason
once the process holds more than the limit; the CLI option sets it for the workers."""

from __future__ import annotations

import subprocess
import sys

from certify.budget import MEMORY_ENV, memory_limit_mib, rss_mib
from certify.engines.linear import check_ball, prepare

from .test_guide import cases


def branching_ball():
    """A ball the linear engine decides only by branching (more than one node)."""
    for net, ball in cases(40, 11):
        res = check_ball(net, ball, timeout=5, prep=prepare(net))
        if res.stats.get("nodes", 0) > 1:
            return net, ball
    raise AssertionError("no branching ball among the cases")


def test_default_limit_is_below_the_machine():
    assert 256 <= memory_limit_mib() <= 4096
    assert rss_mib() > 0


def test_a_search_over_the_memory_limit_is_unknown_with_the_reason(monkeypatch):
    net, ball = branching_ball()
    assert rss_mib() > 64  # this test process holds more than the limit set below
    monkeypatch.setenv(MEMORY_ENV, "64")
    assert memory_limit_mib() == 64
    res = check_ball(net, ball, timeout=5, prep=prepare(net))
    assert res.status == "UNKNOWN"
    assert "memory limit (64 MiB)" in res.reason


def test_the_z3_engine_gets_the_limit(monkeypatch):
    import z3

    from certify.engines.z3_engine import check_ball as z3_check

    net, ball = branching_ball()
    monkeypatch.setenv(MEMORY_ENV, "300")
    z3_check(net, ball, timeout=5)
    assert int(z3.get_param("memory_max_size")) <= 300


def test_cli_memory_option_is_validated(tmp_path):
    net = tmp_path / "n.json"
    net.write_text(
        '{"format": "robustmem-network/1", "input_dim": 1, "layers": '
        '[{"weight": [["1"]], "bias": ["0"]}]}'
    )
    data = tmp_path / "d.csv"
    data.write_text("0,1\n2,2\n")
    run = [sys.executable, "-m", "robustmem", "certify", str(net), str(data), "--rho", "1/2"]
    bad = subprocess.run([*run, "--memory", "10"], capture_output=True, text=True)
    assert bad.returncode == 3 and "--memory must be at least 64" in bad.stderr
    ok = subprocess.run([*run, "--memory", "2048", "--quiet"], capture_output=True, text=True)
    assert ok.returncode in (0, 1), ok.stderr
