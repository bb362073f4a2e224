"""Per-network data of the linear engine, made once and reused across balls."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from flint import fmpq, fmpq_mat

from certify.network import Network


def _F(q: fmpq) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _Q(x: Fraction | int) -> fmpq:
    x = Fraction(x)
    return fmpq(x.numerator, x.denominator)


def _split(W: fmpq_mat) -> tuple[fmpq_mat, fmpq_mat]:
    n, m = W.nrows(), W.ncols()
    pos = [e if e > 0 else fmpq(0) for e in W.entries()]
    neg = [e if e < 0 else fmpq(0) for e in W.entries()]
    return fmpq_mat(n, m, pos), fmpq_mat(n, m, neg)


def _scale_rows(A: fmpq_mat, s: list[fmpq]) -> fmpq_mat:
    """diag(s)·A without forming the diagonal matrix."""
    n, m = A.nrows(), A.ncols()
    ent = A.entries()
    return fmpq_mat(n, m, [ent[i * m + j] * s[i] for i in range(n) for j in range(m)])


def _diag(values: list[fmpq]) -> fmpq_mat:
    n = len(values)
    D = fmpq_mat(n, n)
    for i, v in enumerate(values):
        D[i, i] = v
    return D


@dataclass
class _Prepared:
    """Per-network data reused across balls."""

    layers: list[tuple[fmpq_mat, fmpq_mat]]
    splits: list[tuple[fmpq_mat, fmpq_mat]]
    floats: list[tuple[np.ndarray, np.ndarray]]  # float copies: they only guide the attack
    # per hidden layer, per unit: a step unit (else ReLU)
    steps: list[list[bool]] = field(default_factory=list)
    margins: dict[int, _Prepared] = field(default_factory=dict)  # classifiers: per label
    sparse: list[list[list[tuple[int, fmpq]]]] = field(default_factory=list)  # W's nonzeros
    wide: list = field(default_factory=list)  # per layer: _wide_block(W) (rows with many inputs)


WIDE = 6  # rows with more nonzeros than this go through one flint product per layer


def _wide_block(W: fmpq_mat, nz: list[list[tuple[int, fmpq]]]):
    """(row indices, input indices J, W⁺ and W⁻ restricted to them) for the rows of W with more
    than WIDE nonzeros, or None: their symbolic rows come from one flint product per layer."""
    rows = [i for i, r in enumerate(nz) if len(r) > WIDE]
    if not rows:
        return None
    J = sorted({j for i in rows for j, _ in nz[i]})
    pos = {j: t for t, j in enumerate(J)}
    P = fmpq_mat(len(rows), len(J))
    Nm = fmpq_mat(len(rows), len(J))
    for a, i in enumerate(rows):
        for j, w in nz[i]:
            if w > 0:
                P[a, pos[j]] = w
            else:
                Nm[a, pos[j]] = w
    return rows, J, P, Nm


def _sparse_rows(W: fmpq_mat) -> list[list[tuple[int, fmpq]]]:
    n, m = W.nrows(), W.ncols()
    ent = W.entries()
    return [[(j, ent[i * m + j]) for j in range(m) if ent[i * m + j] != 0] for i in range(n)]


def margin_prep(prep: _Prepared, net: Network, label: int) -> _Prepared:
    """The prepared margin network g = (f_y − f_j)_{j ≠ y} of a classifier (cached)."""
    if label not in prep.margins:
        prep.margins[label] = prepare(net.margins(label))
    return prep.margins[label]


def prepare(net: Network) -> _Prepared:
    layers = net.flint_layers()
    floats = [
        (
            np.array([[float(e) for e in row] for row in W.tolist()], dtype=float),
            np.array([float(e) for e in b.entries()], dtype=float),
        )
        for W, b in layers
    ]
    steps = [list(net.step_units(k)) for k in range(net.depth - 1)]
    sparse = [_sparse_rows(W) for W, _ in layers]
    wide = [_wide_block(W, nz) for (W, _), nz in zip(layers, sparse)]
    return _Prepared(
        layers, [_split(W) for W, _ in layers], floats, steps=steps, sparse=sparse, wide=wide
    )


def _is_step(prep: _Prepared, k: int, i: int) -> bool:
    """Unit i of layer k is a step unit (the output layer has none)."""
    return k < len(prep.steps) and prep.steps[k][i]


def _step_mask(prep: _Prepared, k: int) -> np.ndarray:
    """Layer k's step units as a boolean array (float guidance)."""
    return np.array(prep.steps[k], dtype=bool)


def _undetermined(prep: _Prepared, k: int, i: int, lo: fmpq, up: fmpq) -> bool:
    """Unit (k, i)'s phase does not follow from its bounds (step: l ≥ 0 or u < 0 decide)."""
    return not (lo >= 0 or (up < 0 if _is_step(prep, k, i) else up <= 0))
