"""Certify a network on a dataset: one verdict per robustness ball, in parallel if asked.

Library API behind ``robustmem certify``: :func:`certify` returns a :class:`Report`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

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
    """One ball with the chosen engine; "auto" runs linear, then z3 on what stays UNKNOWN."""
    if engine == "z3":
        from certify.engines.z3_engine import check_ball as z3_check

        return z3_check(net, ball, timeout=timeout)
    from certify.engines.linear import check_ball as lin_check

    t0 = time.monotonic()
    if engine == "linear":
        return lin_check(net, ball, timeout=timeout, prep=prep)
    # auto: the linear engine with a share of the budget, then z3 on what stays UNKNOWN
    share = None if timeout is None else timeout / 2
    res = lin_check(net, ball, timeout=share, prep=prep, max_nodes=AUTO_LINEAR_NODES)
    if res.status == "UNKNOWN":
        from certify.engines.z3_engine import check_ball as z3_check

        left = None if timeout is None else max(0.1, timeout - (time.monotonic() - t0))
        res2 = z3_check(net, ball, timeout=left)
        res2.reason = f"linear: {res.reason}; z3: {res2.reason}"
        res2.engine = "auto(z3)"
        res2.seconds = time.monotonic() - t0
        return res2
    return res


@dataclass
class Report:
    network_hash: str
    dataset_hash: str
    radius: Radius
    engine: str
    results: list[BallResult] = field(default_factory=list)
    seconds: float = 0.0

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
            "N": len(self.results),
            "counts": self.counts,
            "verdict": {0: "PROVED", 1: "REFUTED", 2: "UNKNOWN"}[self.exit_code],
            "seconds": round(self.seconds, 3),
            "balls": [r.to_json() for r in self.results],
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        atomic_write_text(path, json.dumps(self.to_json(), indent=1) + "\n")


def dataset_hash(ds: Dataset) -> str:
    h = hashlib.sha256()
    for x, y in zip(ds.X, ds.y):
        h.update((",".join(format_number_str(v) for v in x) + f";{y}\n").encode())
    return h.hexdigest()


def format_number_str(v: Fraction) -> str:
    return str(format_number(v))


# ---------------------------------------------------------------- parallel execution
_W: dict[str, Any] = {}


def _init_worker(net_json: dict, engine: str, timeout: float | None) -> None:
    from certify.engines.linear import prepare

    net = Network.from_json(net_json)
    _W.update(net=net, engine=engine, timeout=timeout, prep=prepare(net))


def _work(ball: Ball) -> BallResult:
    return check_one(_W["net"], ball, _W["engine"], _W["timeout"], _W["prep"])


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
) -> Report:
    """Verdicts for every ball (or the given ``indices``)."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if net.input_dim != ds.d:
        raise InputError(
            f"the network takes {net.input_dim} inputs but the dataset has d = {ds.d} coordinates"
        )
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    t0 = time.monotonic()
    todo = balls(ds, radius)
    if indices is not None:
        todo = [todo[i] for i in indices]
    rep = Report(net.content_hash(), dataset_hash(ds), radius, engine)
    if jobs == 1 or len(todo) <= 1:
        from certify.engines.linear import prepare

        prep = prepare(net)
        for b in todo:
            r = check_one(net, b, engine, timeout, prep)
            rep.results.append(r)
            if progress:
                progress(r)
    else:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
        with ctx.Pool(jobs, _init_worker, (net.to_json(), engine, timeout)) as pool:
            for r in pool.imap(_work, todo, chunksize=1):
                rep.results.append(r)
                if progress:
                    progress(r)
    rep.seconds = time.monotonic() - t0
    return rep
