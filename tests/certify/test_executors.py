"""Executors: identical results whatever runs the balls; a lost worker never drops a ball."""

from __future__ import annotations

import functools
import os
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from certify.dataset import Dataset
from certify.executors import DaskExecutor, LocalExecutor, check_ball, make_executor
from certify.run import certify, make_radius
from constructions.build import construct

N_POINTS = 8


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 20, size=(N_POINTS, 3))
    y = np.array([1, 2] * (N_POINTS // 2))
    ds = Dataset.from_arrays(X, y)
    radius = make_radius(ds, "inf", rho=Fraction(1, 2))
    net, _ = construct(ds, radius, "large")
    return net, ds, radius


def _die_once(marker: str, index: int, net, prep, engine, timeout, ball):
    """Kill the worker process the first time it meets ball ``index``."""
    if ball.index == index and not os.path.exists(marker):
        Path(marker).write_text("died")
        os._exit(17)
    return check_ball(net, prep, engine, timeout, ball)


def _die_always(index: int, net, prep, engine, timeout, ball):
    if ball.index == index:
        os._exit(17)
    return check_ball(net, prep, engine, timeout, ball)


def _raise_always(index: int, net, prep, engine, timeout, ball):
    if ball.index == index:
        raise RuntimeError("simulated failure")
    return check_ball(net, prep, engine, timeout, ball)


def _raise_on_first_worker(marker: str, index: int, net, prep, engine, timeout, ball):
    """Ball ``index`` fails on whichever Dask worker meets it first, and only there."""
    if ball.index == index:
        from distributed import get_worker

        me = get_worker().address
        if not os.path.exists(marker):
            Path(marker).write_text(me)
        if Path(marker).read_text() == me:
            raise RuntimeError("this worker cannot do it")
    return check_ball(net, prep, engine, timeout, ball)


def _signature(rep, ds):
    verdicts = [(r.index, r.status, r.engine, r.reason) for r in rep.results]
    return verdicts, rep.certificate_bundle(ds)


def _serial(problem):
    net, ds, radius = problem
    return certify(net, ds, radius, engine="linear", timeout=60)


def test_local_pool_matches_serial(problem):
    net, ds, radius = problem
    a = _serial(problem)
    seen = []
    b = certify(net, ds, radius, engine="linear", timeout=60, jobs=2, progress=seen.append)
    assert a.counts["PROVED"] == N_POINTS
    assert _signature(a, ds) == _signature(b, ds)
    assert [r.index for r in seen] == list(range(N_POINTS))  # progress in the balls' order


def test_local_worker_lost_mid_run_loses_no_ball(problem, tmp_path):
    net, ds, radius = problem
    ex = LocalExecutor(2, task=functools.partial(_die_once, str(tmp_path / "m"), 3))
    rep = certify(net, ds, radius, engine="linear", timeout=60, executor=ex)
    assert (tmp_path / "m").exists()  # a worker really died
    assert _signature(rep, ds) == _signature(_serial(problem), ds)


def test_local_ball_that_always_kills_its_worker_is_unknown(problem):
    net, ds, radius = problem
    ex = LocalExecutor(2, task=functools.partial(_die_always, 5))
    rep = certify(net, ds, radius, engine="linear", timeout=60, executor=ex)
    assert [r.index for r in rep.results] == list(range(N_POINTS))
    assert rep.results[5].status == "UNKNOWN"
    assert "worker" in rep.results[5].reason
    assert all(r.status == "PROVED" for r in rep.results if r.index != 5)  # retried alone


def test_local_task_that_raises_is_unknown_with_reason(problem):
    net, ds, radius = problem
    ex = LocalExecutor(2, task=functools.partial(_raise_always, 1))
    rep = certify(net, ds, radius, engine="linear", timeout=60, executor=ex)
    assert rep.results[1].status == "UNKNOWN"
    assert "simulated failure" in rep.results[1].reason
    assert rep.counts["PROVED"] == N_POINTS - 1


def test_make_executor_errors():
    from certify.errors import InputError

    with pytest.raises(InputError, match="executor"):
        make_executor("spark")
    with pytest.raises(InputError, match="--scheduler"):
        make_executor("local", scheduler="tcp://127.0.0.1:8786")


# ------------------------------------------------------------------------------ dask
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    import cloudpickle
    import dask

    # the fault-injecting tasks live in this test module: ship them by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as lc,
        distributed.Client(lc) as client,
    ):
        yield lc, client


def test_dask_matches_local(problem, cluster):
    net, ds, radius = problem
    lc, _ = cluster
    a = certify(net, ds, radius, engine="linear", timeout=60, jobs=2)
    seen = []
    b = certify(
        net,
        ds,
        radius,
        engine="linear",
        timeout=60,
        executor="dask",
        scheduler=lc.scheduler_address,
        progress=seen.append,
    )
    assert _signature(a, ds) == _signature(b, ds)
    assert [r.index for r in seen] == list(range(N_POINTS))


def test_dask_worker_lost_mid_run_loses_no_ball(problem, cluster, tmp_path):
    net, ds, radius = problem
    _, client = cluster
    ex = DaskExecutor(client=client, task=functools.partial(_die_once, str(tmp_path / "m"), 2))
    rep = certify(net, ds, radius, engine="linear", timeout=60, executor=ex)
    assert (tmp_path / "m").exists()
    assert _signature(rep, ds) == _signature(_serial(problem), ds)
    client.wait_for_workers(2, timeout=60)


def test_dask_ball_that_always_fails_is_unknown_not_dropped(problem, cluster):
    net, ds, radius = problem
    _, client = cluster
    ex = DaskExecutor(client=client, task=functools.partial(_raise_always, 4))
    rep = certify(net, ds, radius, engine="linear", timeout=60, executor=ex)
    assert [r.index for r in rep.results] == list(range(N_POINTS))
    assert rep.results[4].status == "UNKNOWN"
    assert "simulated failure" in rep.results[4].reason
    assert rep.counts["PROVED"] == N_POINTS - 1


def test_dask_ball_that_always_kills_its_worker_is_unknown(problem, cluster):
    net, ds, radius = problem
    _, client = cluster
    ex = DaskExecutor(client=client, task=functools.partial(_die_always, 6))
    rep = certify(net, ds, radius, engine="linear", timeout=60, executor=ex)
    assert [r.index for r in rep.results] == list(range(N_POINTS))
    assert rep.results[6].status == "UNKNOWN"
    assert "worker failed twice" in rep.results[6].reason  # KilledWorker, twice
    assert rep.counts["REFUTED"] == 0
    client.wait_for_workers(2, timeout=60)


def test_cli_certify_dask_matches_local(problem, cluster, tmp_path, capsys):
    import json

    from robustmem.cli import main

    net, ds, _ = problem
    (tmp_path / "net.json").write_text(net.to_json_text())
    rows = [",".join(str(v) for v in x) + f",{y}" for x, y in zip(ds.X, ds.y)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    base = [str(tmp_path / "net.json"), str(tmp_path / "d.csv"), "--rho", "1/2", "--p", "inf"]
    out = {}
    for name, extra in (
        ("local", ["--jobs", "2"]),
        ("dask", ["--executor", "dask", "--scheduler", cluster[0].scheduler_address]),
    ):
        code = main(["certify", *base, "--engine", "linear", "-q", "--json", *extra])
        assert code == 0
        balls = json.loads(capsys.readouterr().out)["balls"]
        out[name] = [(b["index"], b["verdict"], b["reason"]) for b in balls]
    assert out["local"] == out["dask"]
    assert main(["certify", *base, "--scheduler", "tcp://127.0.0.1:1"]) == 3


def test_dask_task_that_raises_is_retried_on_another_worker(problem, cluster, tmp_path):
    net, ds, radius = problem
    _, client = cluster
    client.wait_for_workers(2, timeout=60)
    task = functools.partial(_raise_on_first_worker, str(tmp_path / "m"), 3)
    rep = certify(
        net,
        ds,
        radius,
        engine="linear",
        timeout=60,
        executor=DaskExecutor(client=client, task=task),
    )
    assert (tmp_path / "m").exists()
    assert _signature(rep, ds) == _signature(_serial(problem), ds)
