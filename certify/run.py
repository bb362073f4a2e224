"""Certify a network on a dataset: one verdict per robustness ball, in parallel if asked.

Library API behind ``robustmem certify``: :func:`certify` returns a :class:`Report`.
"""

from __future__ import annotations

import contextvars
import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from certify import kernel
from certify.ball import Ball, BallResult
from certify.dataset import Dataset, norm_p
from certify.errors import InputError
from certify.io import write_output
from certify.kernel.judge import MALFORMED
from certify.network import Network
from certify.numbers import format_number, parse_number
from certify.search import AUTO_LINEAR_NODES, guided_claim, search_one  # noqa: F401

ENGINES = ("auto", "linear", "z3")
REPORT_FORMAT = "robustmem-certify-report/1"


@dataclass
class Radius:
    """The ball radius: either ρ (relative to ε_{D,p}) or μ given directly, kept exact."""

    p: int | None
    radius_power: Fraction  # μ^p (integer p) or μ (p = ∞)
    epsilon_power: Fraction | None  # ε_{D,p}^p (integer p) or ε (p = ∞); None: one class
    rho: Fraction | None = None
    mu: Fraction | None = None

    def describe(self) -> dict[str, Any]:
        """Exact strings: ε and μ as rationals, or as "(q)^(1/p)" when irrational."""
        out: dict[str, Any] = {
            "p": "inf" if self.p is None else self.p,
            "epsilon": None
            if self.epsilon_power is None
            else root_text(self.epsilon_power, self.p),
            "epsilon_power": None
            if self.epsilon_power is None
            else str(format_number(self.epsilon_power)),
            "radius": root_text(self.radius_power, self.p),
            "radius_power": str(format_number(self.radius_power)),
        }
        if self.rho is not None:
            out["rho"] = str(format_number(self.rho))
        if self.mu is not None:
            out["mu"] = str(format_number(self.mu))
        return out


def root_text(q: Fraction, p: int | None) -> str:
    """q^{1/p} exactly: "a/b" when rational, "(q)^(1/p)" otherwise (q itself for p = ∞).

    Integer arithmetic only (exact integer p-th roots of numerator and denominator), so it
    works for rationals of any size."""
    if p is None or p == 1:
        return str(format_number(q))
    from certify.numbers import exact_root

    a, b = exact_root(q.numerator, p), exact_root(q.denominator, p)
    if a is not None and b is not None:
        return str(format_number(Fraction(a, b)))
    return f"({format_number(q)})^(1/{p})"


def make_radius(
    ds: Dataset, p: object, rho: object | None = None, mu: object | None = None
) -> Radius:
    """Exact μ^p from ρ (0 < ρ < 1) or from μ > 0; exactly one of them must be given."""
    if isinstance(p, str) and p.strip().isdigit():
        p = int(p.strip())
    pn = norm_p(p)
    if (rho is None) == (mu is None):
        raise InputError("give exactly one of rho (relative radius) or mu (absolute radius)")
    one_class = len(set(ds.y)) < 2
    if one_class and rho is not None:
        raise InputError(
            "rho needs ε, the half distance between classes, but the dataset has only one "
            "class: give an absolute radius with --mu instead"
        )
    eps = None if one_class else ds.epsilon_inf() if pn is None else ds.epsilon_power(pn)
    if rho is not None:
        r = parse_number(rho, "rho")
        if not 0 < r < 1:
            raise InputError(f"rho must satisfy 0 < rho < 1, got {format_number(r)}")
        return Radius(pn, ds.radius_power(r, math.inf if pn is None else pn), eps, rho=r)
    m = parse_number(mu, "mu")
    if m <= 0:
        raise InputError(f"mu must be positive, got {format_number(m)}")
    return Radius(pn, m if pn is None else m**pn, eps, mu=m)


def balls(ds: Dataset, radius: Radius) -> list[Ball]:
    return [
        Ball(tuple(x), y, radius.p, radius.radius_power, i)
        for i, (x, y) in enumerate(zip(ds.X, ds.y))
    ]


def bundle_entry(res: BallResult) -> dict[str, Any]:
    """The bundle entry of an engine result: its claim and the certificate of the claim."""
    entry: dict[str, Any] = {"index": res.index, "verdict": res.status}
    if res.status == "REFUTED" and res.counterexample is not None:
        entry["counterexample"] = [str(format_number(v)) for v in res.counterexample]
    elif res.status == "PROVED" and res.certificate is not None:
        entry["proof"] = kernel.preorder(res.certificate["tree"])
        if res.certificate.get("bits") is not None:
            entry["bits"] = res.certificate["bits"]
        if res.certificate.get("deep"):
            entry["deep"] = True
    elif res.status != "UNKNOWN":
        entry["verdict"] = "UNKNOWN"
    return entry


def judge_result(judge: kernel.Judge, res: BallResult, timeout: float | None = None) -> BallResult:
    """The kernel's verdict on an engine result: PROVED or REFUTED only if the kernel
    accepted exactly that claim; everything else leaves as UNKNOWN, with the reason.

    ``timeout`` (seconds per ball, the search's time included): a claim found after the
    budget ran out is not judged (UNKNOWN, "past the time budget"), and the kernel's re-check
    gets what is left of it (its bound computation stops there: UNKNOWN)."""
    if res.status == "UNKNOWN":
        return res
    if res.status == "PROVED" and res.certificate is None:
        res.status, res.reason = "UNKNOWN", f"no certificate ({res.reason})"
        return res
    late = over_budget(res, timeout)
    if late is not None:
        return late
    t0 = time.monotonic()
    deadline = None if timeout is None else t0 + (timeout - res.seconds)
    token = _DEADLINE.set(deadline)
    try:
        _, status, why = judge.check_entry(bundle_entry(res))
    finally:
        _DEADLINE.reset(token)
    res.seconds += time.monotonic() - t0
    if status != res.status:
        out_of_time = why.startswith(OUT_OF_TIME)
        return BallResult(
            res.index,
            "UNKNOWN",
            res.engine,
            reason=f"time budget exhausted ({timeout:g} s) in the kernel's re-check of the "
            f"{res.status} claim"
            if out_of_time
            else f"the kernel rejected the {res.status} claim: {why}",
            seconds=res.seconds,
            stats={**res.stats, "out_of_time": True} if out_of_time else res.stats,
        )
    res.stats["kernel"] = why
    return res


def over_budget(res: BallResult, timeout: float | None) -> BallResult | None:
    """UNKNOWN for a PROVED/REFUTED claim whose search took longer than ``timeout`` seconds
    (an engine may overrun its budget between two of its checks); None when within it."""
    if timeout is None or res.status == "UNKNOWN" or res.seconds <= timeout:
        return None
    return BallResult(
        res.index,
        "UNKNOWN",
        res.engine,
        reason=f"time budget exhausted: the search took {res.seconds:.3g} s of the "
        f"{timeout:g} s per ball (its {res.status} claim is not judged)",
        seconds=res.seconds,
        stats={**res.stats, "out_of_time": True},
    )


#: The reason the kernel gives a ball whose re-check ran past the time budget.
OUT_OF_TIME = "out of time"
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "robustmem_judge_deadline", default=None
)


def _deadline_tick() -> None:
    """The kernel's hook between steps of a bound computation (:func:`kernel.rules.tick`):
    rejects the claim once the ball's time budget is spent (the claim then stays UNKNOWN)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise kernel.Rejected(OUT_OF_TIME)


class TimedJudge(kernel.Judge):
    """The kernel's :class:`~certify.kernel.Judge` with the caller's deadline hook on every
    ball it builds (the hook can only turn a verdict into UNKNOWN, never make one)."""

    def ball(self, i: int, exact_eps: bool, bits=None, deep=False):
        b = super().ball(i, exact_eps, bits, deep)
        b.tick = _deadline_tick
        return b


_JUDGES: dict[int, tuple[Network, Any]] = {}


def check_one(
    net: Network, ball: Ball, engine: str, timeout: float | None, prep=None
) -> BallResult:
    """:func:`search_one` for a single ball, then the kernel on this process (for callers
    with a ball of their own, such as the error measure; :func:`certify` judges its
    balls from the network and dataset text instead)."""
    res = _check_one(net, ball, engine, timeout, prep, True)
    if res.status == "UNKNOWN" and res.stats.get("guided_rejected"):
        again = _check_one(net, ball, engine, timeout, prep, False)
        again.reason = f"{again.reason} (searched again without the float guide: {res.reason})"
        again.seconds += res.seconds
        res = again
    return res


def _check_one(net, ball, engine, timeout, prep, guided: bool) -> BallResult:
    res = search_one(net, ball, engine, timeout, prep, guided)
    t0 = time.monotonic()
    hit = _JUDGES.get(id(net))
    if hit is None or hit[0] is not net:
        _JUDGES.clear()
        layers, _ = kernel.parse_network(net.to_json_text())
        hit = _JUDGES[id(net)] = (net, layers)
    layers = hit[1]
    if res.status == "UNKNOWN":
        return res
    if res.status == "PROVED" and res.certificate is None:
        res.status, res.reason = "UNKNOWN", f"no certificate ({res.reason})"
        return res
    kb = kernel.Ball(
        tuple(kernel.exact(v) for v in ball.center),
        ball.label,
        ball.p,
        kernel.exact(ball.radius_power),
        (res.certificate or {}).get("bits"),
        bool((res.certificate or {}).get("deep")),
    )
    try:
        if res.status == "PROVED":
            n = kernel.check_tree(layers, kb, res.certificate["tree"])
            res.stats["kernel"] = f"proof checked ({n} leaves)"
        else:
            x = [kernel.exact(v) for v in res.counterexample]
            goal, strict = kernel.goal_layers(layers, ball.label)
            if not kb.contains(x) or all(kernel.safe(t, strict) for t in kernel.evaluate(goal, x)):
                raise kernel.Rejected("the counterexample is not one")
            res.stats["kernel"] = "counterexample checked"
    except (kernel.Rejected, *MALFORMED) as e:
        res = BallResult(
            ball.index,
            "UNKNOWN",
            res.engine,
            reason=f"the kernel rejected the {res.status} claim: {e}",
            stats={**res.stats, "guided_rejected": guided_claim(res)},
        )
    res.seconds += time.monotonic() - t0
    return res


def dataset_text(ds: Dataset) -> str:
    """The dataset as the CSV text the kernel reads ("x_1,...,x_d,label" lines)."""
    return "".join(
        ",".join(str(format_number(v)) for v in x) + f",{y}\n" for x, y in zip(ds.X, ds.y)
    )


def make_judge(
    net: Network, ds: Dataset, radius: Radius, net_text=None, data_text=None
) -> kernel.Judge:
    """The kernel for this run, from the network's and dataset's text (their canonical
    text when not given). The text must read as the same network and dataset that the
    engines search, else nothing they find could be accepted."""
    try:
        judge = TimedJudge(
            net.to_json_text() if net_text is None else net_text,
            dataset_text(ds) if data_text is None else data_text,
            radius.p,
            rho=radius.rho,
            mu=radius.mu,
        )
    except kernel.Rejected as e:
        raise InputError(f"the kernel cannot read the network or dataset: {e}") from None
    if judge.network_sha256 != net.content_hash():
        raise InputError("the kernel reads the network file differently from certify.network")
    if judge.dataset_sha256 != dataset_hash(ds):
        raise InputError("the kernel reads the dataset file differently from certify.dataset")
    if radius.rho is not None:
        i, j, _ = ds.closest_cross_pair(math.inf if radius.p is None else radius.p)
        judge.set_witness([i, j])
    return judge


@dataclass
class Report:
    network_hash: str
    dataset_hash: str
    radius: Radius
    engine: str
    results: list[BallResult] = field(default_factory=list)
    seconds: float = 0.0
    prop: str = "equal"  # the property: "equal" (f = y, one output) or "argmax" (classifier)

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.results)
        return {k: c.get(k, 0) for k in ("PROVED", "REFUTED", "UNKNOWN")}

    @property
    def exit_code(self) -> int:
        c = self.counts
        if c["REFUTED"]:
            return 1
        if c["UNKNOWN"]:
            return 2
        return 0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "network_sha256": self.network_hash,
            "dataset_sha256": self.dataset_hash,
            **self.radius.describe(),
            "engine": self.engine,
            "property": self.prop,
            "N": len(self.results),
            "counts": self.counts,
            "verdict": {0: "PROVED", 1: "REFUTED", 2: "UNKNOWN"}[self.exit_code],
            "seconds": round(self.seconds, 3),
            "balls": [r.to_json() for r in self.results],
        }

    def save(self, path: str | os.PathLike[str], *, inputs=()) -> None:
        """The JSON report, with :func:`certify.io.write_output` (refusing ``inputs``)."""
        write_output(path, json.dumps(self.to_json(), indent=1) + "\n", inputs=inputs)

    def certificate_bundle(self, ds: Dataset) -> dict[str, Any]:
        """The robustmem-certificate/2 bundle: one entry per ball (UNKNOWN: no claim)."""
        out: dict[str, Any] = {
            "format": kernel.FORMAT,
            "network_sha256": self.network_hash,
            "dataset_sha256": self.dataset_hash,
            "p": "inf" if self.radius.p is None else self.radius.p,
        }
        if self.prop != "equal":
            out["property"] = self.prop
        if self.radius.rho is not None:
            i, j, _ = ds.closest_cross_pair(math.inf if self.radius.p is None else self.radius.p)
            out["rho"] = str(format_number(self.radius.rho))
            out["witness"] = [i, j]
            out["epsilon_power"] = str(format_number(self.radius.epsilon_power))
        else:
            out["mu"] = str(format_number(self.radius.mu))
        out["balls"] = [bundle_entry(r) for r in self.results]
        return out


def property_of(net: Network, ds: Dataset) -> str:
    """The property to certify: "equal" for a scalar network (f = y_i on each ball),
    "argmax" for a classifier with C ≥ 2 outputs (argmax f = y_i, ties failing; output index
    y − 1 is class y). Raises InputError for labels outside 1..C."""
    C = net.output_dim
    if C == 1:
        return "equal"
    bad = sorted({y for y in ds.y if not 1 <= y <= C})
    if bad:
        raise InputError(
            f"labels {bad[:5]} are not classes of this classifier: it has C = {C} outputs, so "
            f"labels must be 1..{C} (output index y − 1 is class y)"
        )
    return "argmax"


def dataset_hash(ds: Dataset) -> str:
    return kernel.dataset_sha256(ds.X, ds.y)


# ---------------------------------------------------------------- parallel execution
# Parallel runs go through an executor (certify/executors.py): local processes or Dask.


class _HardStop(BaseException):
    """Raised by the SIGALRM handler in an in-process search past its hard limit."""


def _in_process(net: Network, todo: list[Ball], engine: str, timeout: float | None):
    """The balls searched on this process, one after the other. With a ``timeout`` (and
    SIGALRM, on the main thread), a search still running :func:`~certify.executors.hard_limit`
    seconds after it started (an engine step that overruns the budget) is stopped: the ball
    is UNKNOWN and the engine's per-network data is prepared again (it may be half-updated;
    a verdict never depends on it: the kernel judges every claim)."""
    import signal
    import threading

    from certify.engines.linear import prepare
    from certify.executors import hard_limit

    prep = prepare(net)
    limit = hard_limit(timeout)
    can = (
        limit is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    for b in todo:
        if not can:
            yield search_one(net, b, engine, timeout, prep)
            continue
        armed = [True]

        def alarm(signum, frame, armed=armed):
            if armed[0]:
                armed[0] = False
                raise _HardStop()

        old = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            try:
                res = search_one(net, b, engine, timeout, prep)
                armed[0] = False
            except _HardStop:
                armed[0] = False
                res = BallResult(
                    b.index,
                    "UNKNOWN",
                    engine,
                    reason=f"time budget exhausted: the search was stopped after {limit:g} s",
                    seconds=limit,
                    stats={"out_of_time": True},
                )
                prep = prepare(net)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        yield res


def certify(
    net: Network,
    ds: Dataset,
    radius: Radius,
    *,
    engine: str = "auto",
    timeout: float | None = None,
    jobs: int = 1,
    progress: Callable[[BallResult], None] | None = None,
    indices: list[int] | None = None,
    executor: Any = "local",
    scheduler: str | None = None,
    net_text: str | bytes | None = None,
    data_text: str | bytes | None = None,
) -> Report:
    """Verdicts for every ball (or the given ``indices``), in the balls' order.

    ``executor``: "local" (``jobs`` forked processes; in-process when ``jobs`` = 1), "dask"
    (a ``dask.distributed`` cluster at ``scheduler``, or a local one of ``jobs`` workers when
    no address is given) or an executor object (see :mod:`certify.executors`). Verdicts and
    certificates do not depend on the executor; a ball whose worker is lost is retried once,
    then reported UNKNOWN, never dropped.

    Every verdict is the kernel's (:class:`certify.kernel.Judge`), decided on this process
    from ``net_text`` / ``data_text`` (the files' text; the objects' canonical text when
    omitted), after the executor returns each result."""
    from certify.executors import make_executor

    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if net.input_dim != ds.d:
        raise InputError(
            f"the network takes {net.input_dim} inputs but the dataset has d = {ds.d} coordinates"
        )
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    prop = property_of(net, ds)
    ex = make_executor(executor, jobs=jobs, scheduler=scheduler)
    t0 = time.monotonic()
    todo = balls(ds, radius)
    if indices is not None:
        todo = [todo[i] for i in indices]
    judge = make_judge(net, ds, radius, net_text, data_text)
    rep = Report(judge.network_sha256, judge.dataset_sha256, radius, engine, prop=prop)
    if executor == "local" and (jobs == 1 or len(todo) <= 1):
        found = _in_process(net, todo, engine, timeout)
    else:
        found = ex.run(net.to_json(), engine, timeout, todo)
    by_index = {b.index: b for b in todo}
    for r in found:  # the kernel judges each result here, on the coordinator, as it arrives
        guided = guided_claim(r)
        r = judge_result(judge, r, timeout)
        if guided and r.status == "UNKNOWN" and not r.stats.get("out_of_time"):
            # the float guide misled: search without it, in what is left of the budget
            left = None if timeout is None else timeout - r.seconds
            if left is None or left > 0:
                again = search_one(net, by_index[r.index], engine, left, None, guided=False)
                again.reason = (
                    f"{again.reason} (searched again without the float guide: {r.reason})"
                )
                again.seconds += r.seconds
                r = judge_result(judge, again, timeout)
        rep.results.append(r)
        if progress:
            progress(r)
    expected = [b.index for b in todo]
    got = [r.index for r in rep.results]
    if sorted(got) != sorted(expected):  # never a verdict for a ball twice, or none at all
        raise RuntimeError(f"the executor returned balls {got[:5]}... for {expected[:5]}...")
    if indices is None:
        problems = judge.coverage(got)
        if problems:
            raise RuntimeError(f"coverage: {problems}")
    rep.seconds = time.monotonic() - t0
    return rep
