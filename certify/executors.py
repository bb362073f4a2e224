"""Where the balls of :func:`certify.run.certify` are checked: local processes or Dask.

An executor takes the network (as its JSON record), the engine settings and the balls, and
yields one :class:`~certify.ball.BallResult` per ball, **in the balls' order**, whatever order
the workers finish in. Every ball is searched by the same :func:`certify.search.search_one` (the
engines only: the kernel judges every result on the coordinator, in :func:`certify.run.certify`),
so verdicts and certificates do not depend on the executor.

Fault tolerance (the same contract for both executors): a ball whose worker is lost (the
process dies) or whose task raises is retried once on a fresh/other worker; if that fails too
it is reported UNKNOWN with the reason. No ball is ever dropped.

- ``LocalExecutor(jobs)``: a pool of ``jobs`` forked processes (the default). At most ``jobs``
  balls are in flight, so a dying process costs at most ``jobs`` retries; retries run one at a
  time, so an innocent ball is never charged for the ball that killed the pool.
- ``DaskExecutor(address)``: a ``dask.distributed`` cluster (``pip install
  'robustmem[dask]'``). The network travels once per worker (a task that every ball depends
  on, recomputed by the scheduler if lost); workers cache the prepared network. The scheduler
  itself reschedules the tasks of a dead worker on live ones (up to its
  ``allowed-failures``); after that (KilledWorker), and for tasks that raise, this client
  retries once more (a task that raised goes to a different worker), then reports UNKNOWN.
  With no address, a local cluster of ``jobs`` worker processes on 127.0.0.1 is started (and
  closed) for the run.

Stopping: when the run ends early — an exception in the coordinator, SIGINT
(KeyboardInterrupt), SIGTERM (the CLI raises :class:`KeyboardInterrupt`'s subclass
``Terminated``), or the consumer closing the iterator — the local executor terminates its
worker processes (SIGTERM, then SIGKILL after :data:`STOP_GRACE` seconds) instead of waiting
for the balls in flight; workers also get SIGTERM if the coordinator dies (Linux
``PR_SET_PDEATHSIG``), so no process of a run outlives it.

Time: a local worker still on one ball :func:`hard_limit` seconds (2·timeout + 5) after it
started is stopped with its pool; the ball is UNKNOWN ("time budget exhausted") and the
other balls in flight run again on a fresh pool. (The engines honour the budget between
their steps; this bounds a step that overruns.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from certify.ball import Ball, BallResult
from certify.errors import InputError

EXECUTORS = ("local", "dask")

#: ``task(net, prep, engine, timeout, ball) -> BallResult``: checks one ball on a worker
#: (``net`` the worker's Network, ``prep`` the linear engine's preparation of it).
Task = Callable[[Any, Any, str, "float | None", Ball], BallResult]

_CACHE: dict[Any, Any] = {}

#: Seconds a terminated worker process gets to exit before it is killed.
STOP_GRACE = 2.0
#: A local worker still on one ball ``HARD_FACTOR·timeout + HARD_SLACK`` seconds after it
#: started is stopped (the engines check their clock between steps, and one step may run
#: long); the ball is reported UNKNOWN, the other balls in flight are run again.
HARD_FACTOR, HARD_SLACK = 2.0, 5.0


def hard_limit(timeout: float | None) -> float | None:
    """Seconds after which a local worker's ball is stopped (None: never)."""
    return None if timeout is None else HARD_FACTOR * timeout + HARD_SLACK


def _prepared(net_json: dict, key: Any) -> tuple[Any, Any]:
    """The worker's network and the linear engine's preparation, made once per network."""
    hit = _CACHE.get(key)
    if hit is None:
        from certify.engines.linear import prepare
        from certify.network import Network

        net = Network.from_json(net_json)
        _CACHE.clear()
        hit = _CACHE[key] = (net, prepare(net))
    return hit


def check_ball(net: Any, prep: Any, engine: str, timeout: float | None, ball: Ball) -> BallResult:
    """The default task: :func:`certify.search.search_one` (the engine; the kernel judges the
    result on the coordinator)."""
    from certify.search import search_one

    return search_one(net, ball, engine, timeout, prep)


def _init_local(net_json: dict) -> None:
    _worker_signals()
    _CACHE.clear()
    _prepared(net_json, "local")


def _worker_signals() -> None:
    """A forked worker: SIGTERM kills it (the coordinator's handler, inherited through fork,
    would turn it into an exception the pool reports and survives), and it gets SIGTERM
    when its parent dies (Linux; elsewhere the coordinator's ``finally`` does the stopping)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def stop_pool(pool) -> None:
    """Stop a ``ProcessPoolExecutor`` now: cancel what is queued, SIGTERM every worker
    process, SIGKILL those still alive after :data:`STOP_GRACE` seconds, and reap them."""
    import time

    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        with contextlib.suppress(OSError, ValueError):
            p.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for p in procs:
        try:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(1.0)
        except (OSError, ValueError, AssertionError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _local_task(task: Task, engine: str, timeout: float | None, ball: Ball) -> BallResult:
    net, prep = _CACHE["local"]
    return task(net, prep, engine, timeout, ball)


def _lost(ball: Ball, why: str) -> BallResult:
    return BallResult(
        ball.index,
        "UNKNOWN",
        "executor",
        reason=f"worker failed twice on this ball ({why}); not checked",
    )


def _overdue(ball: Ball, limit: float) -> BallResult:
    return BallResult(
        ball.index,
        "UNKNOWN",
        "executor",
        reason=f"time budget exhausted: the worker was stopped after {limit:g} s on this ball",
        seconds=limit,
        stats={"out_of_time": True},
    )


def _describe(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


class LocalExecutor:
    """A pool of forked worker processes (``multiprocessing`` fork context when available)."""

    name = "local"

    def __init__(self, jobs: int = 2, task: Task | None = None) -> None:
        if jobs < 1:
            raise InputError(f"--jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self.task = task or check_ball

    def _pool(self, net_json: dict):
        import multiprocessing as mp
        import os
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
        return ProcessPoolExecutor(
            self.jobs, mp_context=ctx, initializer=_init_local, initargs=(net_json,)
        )

    def run(
        self, net_json: dict, engine: str, timeout: float | None, balls: Sequence[Ball]
    ) -> Iterator[BallResult]:
        import time
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        done: dict[int, BallResult] = {}
        nxt = 0  # next position to yield
        queue = list(range(len(balls)))[::-1]  # positions still to submit (pop from the end)
        pool = self._pool(net_json)
        inflight: dict[Any, int] = {}
        started: dict[Any, float] = {}
        limit = hard_limit(timeout)
        finished_all = False
        try:
            while queue or inflight:
                while queue and len(inflight) < self.jobs:
                    k = queue.pop()
                    f = pool.submit(_local_task, self.task, engine, timeout, balls[k])
                    inflight[f] = k
                    started[f] = time.monotonic()
                wait_for = None
                if limit is not None:
                    first = min(started[f] for f in inflight)
                    wait_for = max(0.05, first + limit - time.monotonic())
                finished, _ = wait(list(inflight), timeout=wait_for, return_when=FIRST_COMPLETED)
                if not finished:  # a ball past the hard limit: stop its worker (the pool)
                    now = time.monotonic()
                    late = [f for f in inflight if now - started[f] >= limit]
                    for f in late:
                        k = inflight.pop(f)
                        done[k] = _overdue(balls[k], limit)
                    if late:
                        again = sorted(inflight.pop(f) for f in list(inflight))
                        queue.extend(reversed(again))  # the innocent ones run again first
                        stop_pool(pool)
                        pool = self._pool(net_json)
                    while nxt in done:
                        yield done.pop(nxt)
                        nxt += 1
                    continue
                failed: list[tuple[int, BaseException]] = []
                broken = False
                for f in finished:
                    k = inflight.pop(f)
                    try:
                        done[k] = f.result()
                    except BrokenProcessPool as e:
                        broken = True
                        failed.append((k, e))
                    except Exception as e:  # the task raised: retry once, in isolation
                        failed.append((k, e))
                if broken:  # every ball still in flight went down with the pool
                    for f in list(inflight):
                        failed.append((inflight.pop(f), BrokenProcessPool("worker lost")))
                    stop_pool(pool)
                    pool = self._pool(net_json)
                for k, _e in sorted(failed, key=lambda t: t[0]):
                    res, pool = self._retry_alone(pool, net_json, engine, timeout, balls[k])
                    done[k] = res
                while nxt in done:
                    yield done.pop(nxt)
                    nxt += 1
            finished_all = True
        finally:
            if finished_all:
                pool.shutdown(wait=True, cancel_futures=True)
            else:  # interrupted, terminated, failed or abandoned: do not wait for the balls
                stop_pool(pool)

    def _retry_alone(self, pool, net_json, engine, timeout, ball):
        """Run one ball with nothing else in flight: a second failure is its own."""
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool

        limit = hard_limit(timeout)
        try:
            f = pool.submit(_local_task, self.task, engine, timeout, ball)
            return f.result(timeout=limit), pool
        except FutureTimeout:
            stop_pool(pool)
            return _overdue(ball, limit), self._pool(net_json)
        except BrokenProcessPool as e:
            stop_pool(pool)
            return _lost(ball, f"worker process died: {_describe(e)}"), self._pool(net_json)
        except Exception as e:
            return _lost(ball, _describe(e)), pool


def _identity(x: Any) -> Any:
    return x


class _Failed(tuple):
    """A task that raised on a Dask worker: (worker address, description)."""


def _dask_task(
    task: Task, net_json: dict, key: str, engine: str, timeout: float | None, ball: Ball
) -> BallResult | _Failed:
    try:
        net, prep = _prepared(net_json, key)
        return task(net, prep, engine, timeout, ball)
    except Exception as e:  # report where it failed, so that the retry can go elsewhere
        from distributed import get_worker

        return _Failed((get_worker().address, _describe(e)))


class DaskExecutor:
    """Balls as tasks on a ``dask.distributed`` cluster at ``address`` (or a local one)."""

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        jobs: int = 2,
        task: Task | None = None,
        client: Any = None,
    ) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:  # pragma: no cover - depends on the environment
            raise InputError(
                "--executor dask needs dask.distributed: pip install 'robustmem[dask]' "
                "(or pip install 'dask[distributed]')"
            ) from None
        self.address, self.jobs, self.client = address, jobs, client
        self.task = task or check_ball

    def _connect(self):
        from distributed import Client, LocalCluster

        if self.client is not None:
            return self.client, None, None
        if self.address is None:
            cluster = LocalCluster(
                n_workers=self.jobs,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            return Client(cluster), cluster, True
        try:
            return Client(self.address, timeout="30s"), None, True
        except (OSError, TimeoutError) as e:
            raise InputError(
                f"--scheduler {self.address}: cannot reach the Dask scheduler ({e})"
            ) from None

    def run(
        self, net_json: dict, engine: str, timeout: float | None, balls: Sequence[Ball]
    ) -> Iterator[BallResult]:
        import uuid

        client, cluster, own = self._connect()
        try:
            key = uuid.uuid4().hex
            # the network as a task, not scattered data: should every worker holding it die,
            # the scheduler recomputes it instead of cancelling the balls that need it
            shared = client.submit(_identity, net_json, pure=False, key=f"robustmem-net-{key}")

            def submit(b: Ball, attempt: int, avoid: str | None = None):
                others = [w for w in client.scheduler_info()["workers"] if w != avoid]
                where = {"workers": others} if avoid is not None and others else {}
                return client.submit(
                    _dask_task,
                    self.task,
                    shared,
                    key,
                    engine,
                    timeout,
                    b,
                    pure=False,
                    key=f"robustmem-ball-{b.index}-{attempt}-{key[:8]}",
                    **where,
                )

            def outcome(fut) -> tuple[BallResult | None, str, str | None]:
                """(result, why it failed, the worker it failed on)."""
                try:
                    res = fut.result()
                except Exception as e:  # the worker was lost (KilledWorker) or similar
                    return None, _describe(e), None
                if isinstance(res, _Failed):
                    return None, f"{res[1]} on {res[0]}", res[0]
                return res, "", None

            futures = [submit(b, 0) for b in balls]
            for b, fut in zip(balls, futures):
                res, why, worker = outcome(fut)
                if res is None:  # retry once, on another worker
                    res, why2, _ = outcome(submit(b, 1, avoid=worker))
                    if res is None:
                        res = _lost(b, f"{why}; then {why2}")
                yield res
        finally:
            if own:
                client.close()
            if cluster is not None:
                cluster.close()


def make_executor(
    executor: str | Any = "local",
    *,
    jobs: int = 1,
    scheduler: str | None = None,
) -> Any:
    """An executor object from its name (objects with a ``run`` method pass through)."""
    if not isinstance(executor, str):
        return executor
    if executor == "local":
        if scheduler is not None:
            raise InputError("--scheduler is only for --executor dask")
        return LocalExecutor(jobs)
    if executor == "dask":
        return DaskExecutor(scheduler, jobs=max(1, jobs))
    raise InputError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
