"""Deciding VNN-LIB properties end to end: the engine per property, then the kernel as judge.

``robustmem certify NET --vnnlib P1.vnnlib [P2 ...]`` lands here. The kernel parses every
property itself (certify.kernel.spec), the linear engine searches (engines/linear/spec.py),
and every PROVED or REFUTED is re-checked by the kernel on this process, from the canonical
network text it hashes: a verdict the kernel does not accept is reported UNKNOWN (after one
re-search with every leaf checked exactly, if a float-guided proof was rejected).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from certify import kernel
from certify.engines.linear import prepare
from certify.engines.linear.prepare import OutOfBudget, budget_tick
from certify.engines.linear.spec import check_spec
from certify.kernel.spec import FORMAT
from certify.network import Network


@dataclass
class PropertyResult:
    file: str
    property_sha256: str
    status: str  # PROVED (the property holds: VNN-COMP "unsat"), REFUTED ("sat"), UNKNOWN
    reason: str
    kernel: str  # the kernel's reason
    seconds: float
    nodes: int
    entry: dict[str, Any] = field(repr=False, default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "file": self.file,
            "property_sha256": self.property_sha256,
            "status": self.status,
            "vnncomp": {"PROVED": "unsat", "REFUTED": "sat"}.get(self.status, "unknown"),
            "reason": self.reason,
            "kernel": self.kernel,
            "seconds": round(self.seconds, 3),
            "nodes": self.nodes,
        }
        if self.status == "REFUTED":
            out["counterexample"] = self.entry["counterexample"]
        return out


@dataclass
class SpecReport:
    network_sha256: str
    results: list[PropertyResult]

    def bundle(self) -> dict[str, Any]:
        """The certificate bundle (robustmem-vnnlib/1) the kernel accepted, UNKNOWN where it
        did not."""
        return {
            "format": FORMAT,
            "network_sha256": self.network_sha256,
            "properties": [
                r.entry
                if r.status != "UNKNOWN"
                else {"property_sha256": r.property_sha256, "verdict": "UNKNOWN"}
                for r in self.results
            ],
        }

    def exit_code(self) -> int:
        s = {r.status for r in self.results}
        return 1 if "REFUTED" in s else 2 if "UNKNOWN" in s else 0

    def to_json(self) -> dict[str, Any]:
        counts = {k: sum(r.status == k for r in self.results) for k in ("PROVED", "REFUTED")}
        counts["UNKNOWN"] = len(self.results) - sum(counts.values())
        return {
            "format": "robustmem-vnnlib-report/1",
            "network_sha256": self.network_sha256,
            "summary": counts,
            "properties": [r.to_json() for r in self.results],
        }


def read_properties(paths) -> list[tuple[str, str]]:
    """(name, text) per property file; kernel.Rejected names the file that is not valid."""
    out = []
    for p in paths:
        try:
            text = Path(p).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise kernel.Rejected(f"{p}: not UTF-8 text") from None
        try:
            kernel.parse_spec(text)
        except kernel.Rejected as e:
            raise kernel.Rejected(f"{p}: {e}") from None
        out.append((str(p), text))
    return out


class PropertyRunner:
    """A network and its properties read once — the network's canonical text, the kernel's
    parse and hash of it and of every property (SpecJudge), the engine's prepared layers —
    then :meth:`decide` per property: the engine, then the kernel as judge."""

    def __init__(self, net: Network, props: list[tuple[str, str]]) -> None:
        self.net, self.props = net, props
        self.judge = kernel.SpecJudge(net.to_json_text(), [t for _, t in props])
        self.prep = prepare(net, self.judge.layers)  # the layers the kernel parsed from the text

    def decide(
        self, i: int, *, timeout: float | None = None, max_nodes: int = 100_000, seed: int = 0
    ) -> PropertyResult:
        """Property i: the engine's claim, judged by the kernel (UNKNOWN if it refuses it)."""
        net, prep, judge = self.net, self.prep, self.judge
        name, spec = self.props[i][0], judge.specs[i][0]
        t0 = time.monotonic()
        tick = budget_tick(t0, timeout)  # the kernel's check counts against the same budget
        res = check_spec(net, spec, timeout=timeout, max_nodes=max_nodes, prep=prep, seed=seed)
        nodes = res.stats.get("nodes", 0)
        try:
            _, st, why = judge.check_entry(i, res.entry, tick)
            if res.status == "PROVED" and st != "PROVED":  # a float-guided leaf was wrong
                left = None if timeout is None else max(0.0, timeout - (time.monotonic() - t0))
                res = check_spec(
                    net, spec, timeout=left, max_nodes=max_nodes, prep=prep, seed=seed, guided=False
                )
                _, st, why = judge.check_entry(i, res.entry, tick)
                nodes += res.stats.get("nodes", 0)
        except OutOfBudget as e:
            st, why = "UNKNOWN", f"the kernel's check of the {res.status} ran out: {e}"
            res.status, res.reason = "UNKNOWN", why
        status, reason = res.status, res.reason
        if status in ("PROVED", "REFUTED") and st != status:  # never print what it rejects
            status, reason = "UNKNOWN", f"the kernel rejected the engine's {res.status}: {why}"
        return PropertyResult(
            name, spec.sha256, status, reason, why, time.monotonic() - t0, nodes, res.entry
        )


def run_properties(
    net: Network,
    props: list[tuple[str, str]],
    *,
    timeout: float | None = None,
    max_nodes: int = 100_000,
    seed: int = 0,
    progress=None,
) -> SpecReport:
    """Decide each (name, text) property; every verdict judged by the kernel (SpecJudge on
    the network's canonical text). ``progress(i, result)`` is called after each property."""
    run = PropertyRunner(net, props)
    results = []
    for i in range(len(props)):
        out = run.decide(i, timeout=timeout, max_nodes=max_nodes, seed=seed)
        results.append(out)
        if progress is not None:
            progress(i, out)
    return SpecReport(run.judge.network_sha256, results)
