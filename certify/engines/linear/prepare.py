"""Per-network data of the linear engine, made once and reused across balls: the kernel's exact
layers (every bound, phase and affine piece comes from certify.kernel.rules) and float copies
that only guide the attack."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from flint import fmpq

from certify.ball import Ball
from certify.budget import memory_limit_mib, rss_mib
from certify.kernel import rules
from certify.network import Network


def _F(q: fmpq) -> Fraction:
    return Fraction(int(q.p), int(q.q))


@dataclass
class _Prepared:
    """Per-network data reused across balls."""

    layers: list[rules.Layer]  # exact, with each unit's activation (Layer.step)
    floats: list[tuple[np.ndarray, np.ndarray]]  # float copies: they only guide the attack
    margins: dict[int, _Prepared] = field(default_factory=dict)  # classifiers: per label
    bits: int | None = None  # the bounds' arithmetic: None exact, else outward dyadic rounding
    deep: bool = False  # back-substituted bounds for every unstable unit (rules.Ball.deep)

    @property
    def steps(self) -> list[list[bool]]:
        """Per hidden layer, per unit: a step unit (else ReLU)."""
        return [L.step for L in self.layers[:-1]]


def prepare(net: Network, layers: list[rules.Layer] | None = None) -> _Prepared:
    """The per-network data; ``layers``: the kernel's layers of this network when the caller
    has them (a judge parsed the network's text), else made from ``net``."""
    layers = rules.exact_layers(net) if layers is None else layers
    floats = [
        (
            np.array([[float(e) for e in row] for row in L.W], dtype=float),
            np.array([float(e) for e in L.b], dtype=float),
        )
        for L in layers
    ]
    bits = precision(layers)
    # float-born networks also get back-substituted (DeepPoly) unit bounds: measured on ACAS
    # Xu 2_1 r = 0.02, balls that took 381-1,787 float nodes close at the root
    return _Prepared(layers, floats, bits=bits, deep=bits is not None)


ROUNDED_BITS = 96  # the bits of rounded bounds (far below any float's error, still short)


def precision(layers: list[rules.Layer]) -> int | None:
    """The arithmetic of the bounds for a network: outward-rounded dyadics (ROUNDED_BITS)
    for float-born networks — at least half of the nonzero weights dyadic with a
    denominator ≥ 2^16, as ONNX imports of trained networks are — whose exact bounds
    grow by thousands of bits per layer; exact otherwise (robustmem's constructions, whose
    proofs rest on exact cancellations such as a − (a − 1) = 1)."""
    qs = [int(w.q) for L in layers for r in L.W for w in r if w]
    floaty = sum(1 for q in qs if q >= 1 << 16 and q & (q - 1) == 0)
    return ROUNDED_BITS if qs and 2 * floaty >= len(qs) else None


def margin_prep(prep: _Prepared, net: Network, label: int) -> _Prepared:
    """The prepared margin network g = (f_y − f_j)_{j ≠ y} of a classifier (cached)."""
    if label not in prep.margins:
        prep.margins[label] = prepare(net.margins(label))
        prep.margins[label].bits = prep.bits
        prep.margins[label].deep = prep.deep
    return prep.margins[label]


class OutOfBudget(Exception):
    """Raised by a ball's :func:`budget_tick` inside the kernel's bound computation; the
    engine turns it into UNKNOWN with its message as the reason."""


def budget_tick(t0: float, timeout: float | None):
    """The hook (rules.Ball.tick) that the kernel's bounds call between layers and batches of
    rows: past the ball's deadline (t0 + timeout) or the per-ball memory limit it raises
    :class:`OutOfBudget`, so a budget holds inside one long bound computation too."""
    deadline = None if timeout is None else t0 + timeout
    limit = memory_limit_mib()
    seen = [-1.0]  # when the memory was last read

    def tick() -> None:
        now = time.monotonic()
        if deadline is not None and now > deadline:
            raise OutOfBudget("time budget exhausted in the bound computation")
        if now - seen[0] >= MEMORY_EVERY:  # (reading /proc costs ~50 µs: not at every tick)
            seen[0] = now
            if rss_mib() > limit:
                raise OutOfBudget(f"memory limit ({limit} MiB) reached in the bound computation")

    return tick


MEMORY_EVERY = 0.01  # seconds between two reads of the memory in a ball's ticks


def kernel_ball(ball: Ball, bits: int | None = None, deep: bool = False, tick=None) -> rules.Ball:
    """The ball as the kernel's rules take it (exact rationals; μ^p, or μ for p = ∞);
    ``tick``: the engine's budget hook (:func:`budget_tick`), None outside a search."""
    return rules.Ball(
        tuple(rules.exact(v) for v in ball.center),
        ball.label,
        ball.p,
        rules.exact(ball.radius_power),
        bits,
        deep,
        tick,
    )
