"""Lemma B.15 translation and exact grid indices."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest

from certify.errors import InputError
from constructions.lattice import (
    grid_index,
    lattice_translation,
    shift_bits,
    smallest_grid,
)


def _rand_points(seed: int, n: int, d: int, den: int) -> list[tuple[F, ...]]:
    rng = np.random.default_rng(seed)
    return [tuple(F(int(v), den) for v in row) for row in rng.integers(0, 20 * den, size=(n, d))]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n,d,den", [(1, 2, 3), (5, 3, 7), (20, 4, 97), (60, 2, 1000)])
def test_margin_and_bits(seed, n, d, den):
    pts = _rand_points(seed, n, d, den)
    N = n + seed  # the guarantee holds for any N >= len(points)
    sh = lattice_translation(pts, N)
    k = shift_bits(N)
    assert sh.bits == k and 2 ** (k - 1) < 6 * N <= 2**k
    assert all(0 <= t < 1 and (t * 2**k).denominator == 1 for t in sh.shift)
    # independent exact recomputation of the margin
    m = min(min(v - math.floor(v), math.ceil(v) - v) for p in pts for v in sh.apply(p))
    assert m == sh.margin and m >= F(1, 3 * N)


def test_adversarial_fractional_parts():
    # fractional parts equally spaced: the largest gap is exactly 1/N
    N = 9
    pts = [(F(i, N) + 3,) for i in range(N)]
    sh = lattice_translation(pts, N)
    assert sh.margin >= F(1, 3 * N)


def test_too_many_points():
    with pytest.raises(InputError):
        lattice_translation([(F(0),), (F(1, 2),)], 1)


def test_grid_index_and_smallest_grid():
    pts = [(F(1, 2), F(7, 3)), (F(5), F(0)), (F(2, 3), F(49, 10))]
    R = smallest_grid(pts)
    assert R == 6
    assert grid_index(pts[0], R) == 0 + 6 * 2
    assert grid_index(pts[1], R) == 5
    assert grid_index(pts[2], R) == 0 + 6 * 4
    with pytest.raises(InputError):
        grid_index((F(6), F(0)), R)
    with pytest.raises(InputError):
        smallest_grid([(F(-1, 2),)])


@pytest.mark.parametrize("seed", range(5))
def test_separated_labels_get_distinct_cells(seed):
    # different-label points ≥ √m apart (squared ≥ m): after the shift, a unit cell (diameter
    # √m, not attained) never holds two labels, and the index is injective on cells
    rng = np.random.default_rng(seed)
    m, n = 3, 25
    pts, labels = [], []
    while len(pts) < n:
        p = tuple(F(int(v), 5) for v in rng.integers(0, 200, size=m))
        lab = int(rng.integers(1, 4))
        if all(
            lab == q_lab or sum((a - b) ** 2 for a, b in zip(p, q)) >= m
            for q, q_lab in zip(pts, labels)
        ):
            pts.append(p)
            labels.append(lab)
    sh = lattice_translation(pts, n)
    z = [sh.apply(p) for p in pts]
    R = smallest_grid(z)
    cells: dict[int, int] = {}
    for zi, lab in zip(z, labels):
        idx = grid_index(zi, R)
        assert cells.setdefault(idx, lab) == lab
        # index determines the cell exactly
        assert tuple(math.floor(v) for v in zi) == tuple((idx // R**j) % R for j in range(m))
        # a ball of radius < margin stays in the cell: the cell's faces are ≥ margin away
        assert all(v - math.floor(v) >= sh.margin and math.ceil(v) - v >= sh.margin for v in zi)
