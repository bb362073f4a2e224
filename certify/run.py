"""Certify a network on a dataset: one verdict per robustness ball, in parallel if asked.

Library API behind ``robustmem certify``: :func:`certify` returns a :class:`Report`.
"""

from __future__ import annotations

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
from certify.network import Network, atomic_write_text
from certify.numbers import format_number, parse_number

ENGINES = ("auto", "linear", "z3")
AUTO_LINEAR_NODES = 3000  # branch-and-bound nodes the linear engine gets before z3 in "auto"
REPORT_FORMAT = "robustmem-certify-report/1"


@dataclass
class Radius:
    """The ball radius: either ρ (relative to ε_{D,p}) or μ given directly, kept exact."""

    p: int | None
    radius_power: Fraction  # μ^p (integer p) or μ (p = ∞)
    epsilon_power: Fraction  # ε_{D,p}^p (integer p) or ε (p = ∞)
    rho: Fraction | None = None
    mu: Fraction | None = None

    def describe(self) -> dict[str, Any]:
        """Exact strings: ε and μ as rationals, or as "(q)^(1/p)" when irrational."""
        out: dict[str, Any] = {
            "p": "inf" if self.p is None else self.p,
            "epsilon": root_text(self.epsilon_power, self.p),
            "epsilon_power": str(format_number(self.epsilon_power)),
            "radius": root_text(self.radius_power, self.p),
            "radius_power": str(format_number(self.radius_power)),
        }
        if self.rho is not None:
            out["rho"] = str(format_number(self.rho))
        if self.mu is not None:
            out["mu"] = str(format_number(self.mu))
        return out


def root_text(q: Fraction, p: int | None) -> str:
    """q^{1/p} exactly: "a/b" when rational, "(q)^(1/p)" otherwise (q itself for p = ∞)."""
    if p is None or p == 1:
        return str(format_number(q))
    num, den = q.numerator, q.denominator
    rn, rd = round(num ** (1 / p)), round(den ** (1 / p))
    for a in (rn - 1, rn, rn + 1):
        for b in (rd - 1, rd, rd + 1):
            if a >= 0 and b > 0 and a**p == num and b**p == den:
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
    eps = ds.epsilon_inf() if pn is None else ds.epsilon_power(pn)
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


def check_one(
    net: Network, ball: Ball, engine: str, timeout: float | None, prep=None
) -> BallResult:
    """One ball with the chosen engine, gated by the kernel: a PROVED verdict leaves here only
    with a certificate that :mod:`certify.kernel` accepted; otherwise it becomes UNKNOWN.

    "auto" runs the linear engine with a node budget, then z3 on what stays UNKNOWN. z3's
    unsat answers carry no certificate: such balls go back to the linear engine for one."""
    from certify.engines.linear import check_ball as lin_check

    t0 = time.monotonic()

    def left() -> float | None:
        return None if timeout is None else max(0.1, timeout - (time.monotonic() - t0))

    if engine == "linear":
        res = lin_check(net, ball, timeout=timeout, prep=prep)
    else:
        from certify.engines.z3_engine import check_ball as z3_check

        first = None
        if engine == "auto":
            share = None if timeout is None else timeout / 2
            first = lin_check(net, ball, timeout=share, prep=prep, max_nodes=AUTO_LINEAR_NODES)
        if first is not None and first.status != "UNKNOWN":
            res = first
        else:
            res = z3_check(net, ball, timeout=left())
            if first is not None:
                res.reason = f"linear: {first.reason}; z3: {res.reason}"
                res.engine = "auto(z3)"
            if res.status == "PROVED":  # z3's proof has no certificate: ask the linear engine
                lin = lin_check(net, ball, timeout=left(), prep=prep)
                lin.engine = f"{res.engine}+linear"
                lin.reason = f"z3 unsat; certificate by the linear engine: {lin.reason}"
                res = (
                    lin
                    if lin.status == "PROVED"
                    else BallResult(
                        ball.index,
                        "UNKNOWN",
                        res.engine,
                        reason="z3 found no counterexample, but no certificate could be built",
                        stats=res.stats,
                    )
                )
    res = kernel_gate(net, ball, res)
    res.seconds = time.monotonic() - t0
    return res


_KERNEL_LAYERS: dict[int, tuple[Network, list]] = {}


def _kernel_layers(net: Network) -> list:
    """The kernel's exact copy of the network, made once per network object."""
    hit = _KERNEL_LAYERS.get(id(net))
    if hit is None or hit[0] is not net:
        _KERNEL_LAYERS.clear()
        hit = _KERNEL_LAYERS[id(net)] = (net, kernel.exact_layers(net))
    return hit[1]


def kernel_gate(net: Network, ball: Ball, res: BallResult) -> BallResult:
    """Re-check a PROVED verdict's certificate with the trusted kernel."""
    if res.status != "PROVED":
        return res

    def unknown(reason: str) -> BallResult:
        return BallResult(ball.index, "UNKNOWN", res.engine, reason=reason, stats=res.stats)

    if res.certificate is None:
        return unknown(f"no certificate ({res.reason})")
    try:
        layers = _kernel_layers(net)
        kb = kernel.Ball(
            tuple(kernel.exact(v) for v in ball.center),
            ball.label,
            ball.p,
            kernel.exact(ball.radius_power),
        )
        leaves = kernel.check_tree(layers, kb, res.certificate["tree"], {})
    except (kernel.Rejected, KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        return unknown(f"the kernel rejected the certificate: {e}")
    res.stats["kernel"] = f"checked, {leaves} leaves"
    return res


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

    def save(self, path: str | os.PathLike[str]) -> None:
        atomic_write_text(path, json.dumps(self.to_json(), indent=1) + "\n")

    def certificate_bundle(self, ds: Dataset) -> dict[str, Any]:
        """The robustmem-certificate/1 bundle: one entry per ball (UNKNOWN balls carry none)."""
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
        balls = []
        for r in self.results:
            entry: dict[str, Any] = {"index": r.index, "verdict": r.status}
            if r.status == "REFUTED":
                entry["counterexample"] = [str(format_number(v)) for v in r.counterexample]
            elif r.status == "PROVED":
                entry["tree"] = r.certificate["tree"]
            balls.append(entry)
        out["balls"] = balls
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
) -> Report:
    """Verdicts for every ball (or the given ``indices``), in the balls' order.

    ``executor``: "local" (``jobs`` forked processes; in-process when ``jobs`` = 1), "dask"
    (a ``dask.distributed`` cluster at ``scheduler``, or a local one of ``jobs`` workers when
    no address is given) or an executor object (see :mod:`certify.executors`). Verdicts and
    certificates do not depend on the executor; a ball whose worker is lost is retried once,
    then reported UNKNOWN, never dropped."""
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
    rep = Report(net.content_hash(), dataset_hash(ds), radius, engine, prop=prop)
    if executor == "local" and (jobs == 1 or len(todo) <= 1):
        from certify.engines.linear import prepare

        prep = prepare(net)
        for b in todo:
            r = check_one(net, b, engine, timeout, prep)
            rep.results.append(r)
            if progress:
                progress(r)
    else:
        for r in ex.run(net.to_json(), engine, timeout, todo):
            rep.results.append(r)
            if progress:
                progress(r)
    rep.seconds = time.monotonic() - t0
    return rep
