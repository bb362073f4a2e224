"""Vectorised evaluation of every record over arrays of (N, d, ρ, p) — for plots, sweeps and
benchmarks. Floating point throughout: this path draws curves, it never decides a regime that
a user asked about (``bounds.query`` does that exactly)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np
import sympy as sp

from .records import RECORDS, Bound
from .symbols import SYMBOLS

REGIME_CODES = {"none": 0, "small": 1, "moderate": 2, "large": 3}
REGIME_NAMES = {v: k for k, v in REGIME_CODES.items()}


@dataclass(frozen=True)
class Compiled:
    record: Bound
    expr: Callable[..., np.ndarray]
    region: Callable[..., np.ndarray]


def _lambdify(e: sp.Basic) -> Callable[..., np.ndarray]:
    return sp.lambdify(SYMBOLS, e, modules="numpy")


@cache
def compiled() -> tuple[Compiled, ...]:
    return tuple(Compiled(b, _lambdify(b.expr), _lambdify(b.region)) for b in RECORDS)


def _norm_mask(b: Bound, P: np.ndarray) -> np.ndarray:
    mask = np.zeros(P.shape, dtype=bool)
    for pv in np.unique(P):
        exact = math.inf if np.isinf(pv) else Fraction(float(pv))
        if b.applies(exact):
            mask |= pv == P
    return mask


def _broadcast(*arrays: np.ndarray | float) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a, dtype=float) for a in np.broadcast_arrays(*arrays))


def record_values(c: Compiled, Nv, dv, rv, pv) -> tuple[np.ndarray, np.ndarray]:
    """(valid mask, values) of one record on broadcast arrays."""
    Nv, dv, rv, pv = _broadcast(Nv, dv, rv, pv)
    with np.errstate(all="ignore"):
        val = np.broadcast_to(np.asarray(c.expr(Nv, dv, rv, pv), dtype=float), Nv.shape)
        reg = np.broadcast_to(np.asarray(c.region(Nv, dv, rv, pv), dtype=bool), Nv.shape)
    mask = reg & _norm_mask(c.record, pv) & (rv > 0) & (rv < 1)
    return mask, val


def evaluate(Nv, dv, rv, pv=2.0, count: str = "all") -> dict[str, np.ndarray]:
    """Best bounds at every point of the broadcast arrays.

    Returns arrays ``upper``, ``lower``, ``prior_upper``, ``prior_lower`` (NaN where no
    record applies), ``first_width`` and ``regime`` (codes of ``REGIME_CODES``)."""
    Nv, dv, rv, pv = _broadcast(Nv, dv, rv, pv)
    shape = Nv.shape
    out = {
        "upper": np.full(shape, np.nan),
        "lower": np.full(shape, -np.inf),
        "prior_upper": np.full(shape, np.inf),
        "prior_lower": np.full(shape, -np.inf),
        "first_width": np.full(shape, -np.inf),
        "regime": np.zeros(shape, dtype=np.int8),
    }
    for c in compiled():
        b = c.record
        if b.quantity == "first_width" and b.paper == "KMY":
            mask, val = record_values(c, Nv, dv, rv, pv)
            out["first_width"] = np.where(
                mask, np.maximum(out["first_width"], val), out["first_width"]
            )
            continue
        if b.quantity != "params" or b.count != count:
            continue
        mask, val = record_values(c, Nv, dv, rv, pv)
        if b.paper == "KMY" and b.kind == "upper":  # a theorem and its cases: the smallest
            out["upper"] = np.where(mask, np.fmin(out["upper"], val), out["upper"])
            out["regime"] = np.where(mask, REGIME_CODES[b.regime or "none"], out["regime"])
        elif b.paper == "KMY":
            out["lower"] = np.where(mask, np.maximum(out["lower"], val), out["lower"])
        elif b.kind == "upper":
            out["prior_upper"] = np.where(
                mask, np.minimum(out["prior_upper"], val), out["prior_upper"]
            )
        else:
            out["prior_lower"] = np.where(
                mask, np.maximum(out["prior_lower"], val), out["prior_lower"]
            )
    for k in ("lower", "prior_lower", "first_width"):
        out[k] = np.where(np.isinf(out[k]), np.nan, out[k])
    out["prior_upper"] = np.where(np.isinf(out["prior_upper"]), np.nan, out["prior_upper"])
    return out
