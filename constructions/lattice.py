"""Translation off the integer lattice and grid indices (THEORY.md §5, Regime (i) steps 2–3).

* :func:`lattice_translation` — Lemma B.15. Per coordinate j, sort the distinct fractional
  parts of the points' j-th coordinates, find the largest cyclic gap (≥ 1/n for n distinct
  values, n ≤ N) and shift so that the middle of that gap lands on an integer. Every shifted
  coordinate is then ≥ gap/2 ≥ 1/(2N) from every integer. The shift is rounded to
  k = ⌈log2(6N)⌉ fractional bits (error ≤ 2^-(k+1) ≤ 1/(12N)), so the margin stays
  ≥ 5/(12N) ≥ 1/(3N). The achieved margin is recomputed exactly and checked.
* :func:`grid_index` — index(z) = Σ_j R^{j−1} ⌊z_j⌋, exact; injective on cells when every
  ⌊z_j⌋ ∈ [0, R).
* :func:`smallest_grid` — the smallest integer R > every coordinate's floor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from certify.errors import InputError

__all__ = [
    "LatticeShift",
    "grid_index",
    "lattice_translation",
    "shift_bits",
    "smallest_grid",
]


def shift_bits(N: int) -> int:
    """k = ⌈log2(6N)⌉, the number of fractional bits of the rounded shift."""
    if N < 1:
        raise InputError(f"N must be >= 1, got {N}")
    return (6 * N - 1).bit_length()  # least k with 2^k >= 6N


def _frac(x: Fraction) -> Fraction:
    return x - math.floor(x)


def _dist_to_int(x: Fraction) -> Fraction:
    f = _frac(x)
    return min(f, 1 - f)


@dataclass(frozen=True)
class LatticeShift:
    """The shift t (Fractions with denominator dividing 2^bits, in [0, 1)), the exact
    achieved margin min_{i,j} dist(z_ij + t_j, Z) (≥ 1/(3N), checked), and the bits used."""

    shift: tuple[Fraction, ...]
    margin: Fraction
    bits: int
    N: int

    def apply(self, z: Sequence[Fraction]) -> tuple[Fraction, ...]:
        """z + t, exact."""
        return tuple(Fraction(a) + t for a, t in zip(z, self.shift))


def lattice_translation(points: Sequence[Sequence[Fraction]], N: int) -> LatticeShift:
    """Lemma B.15: a shift keeping every point ≥ 1/(3N) from every hyperplane z_j ∈ Z.

    ``N`` is the bound on the number of points used in the guarantee (len(points) ≤ N).
    """
    pts = [tuple(Fraction(v) for v in p) for p in points]
    if not pts:
        raise InputError("lattice_translation needs at least one point")
    if len(pts) > N:
        raise InputError(f"got {len(pts)} points but N = {N}; need len(points) <= N")
    d = len(pts[0])
    if any(len(p) != d for p in pts):
        raise InputError("all points need the same dimension")
    bits = shift_bits(N)
    scale = 1 << bits
    shift: list[Fraction] = []
    for j in range(d):
        fr = sorted({_frac(p[j]) for p in pts})
        # cyclic gaps: (fr[i], fr[i+1]) and (fr[-1], fr[0] + 1)
        best_gap, best_lo = fr[0] + 1 - fr[-1], fr[-1]
        for a, b in zip(fr, fr[1:]):
            if b - a > best_gap:
                best_gap, best_lo = b - a, a
        cut = best_lo + best_gap / 2  # middle of the largest gap (mod 1)
        t = _frac(-cut)  # cut + t ∈ Z
        tr = Fraction(math.floor(t * scale + Fraction(1, 2)), scale)  # round to nearest
        shift.append(_frac(tr))
    margin = min(_dist_to_int(p[j] + shift[j]) for p in pts for j in range(d))
    if margin < Fraction(1, 3 * N):  # Lemma B.15 guarantees this; never trust, always check
        raise AssertionError(f"lattice shift margin {margin} < 1/(3N) = 1/{3 * N}")
    return LatticeShift(tuple(shift), margin, bits, N)


def smallest_grid(points: Sequence[Sequence[Fraction]]) -> int:
    """The smallest integer R with R > ⌊z_j⌋ for every point z and coordinate j (R ≥ 1).

    Requires all floors ≥ 0 (the construction's bias makes coordinates positive)."""
    lo = min(math.floor(Fraction(v)) for p in points for v in p)
    if lo < 0:
        raise InputError(f"smallest_grid needs nonnegative coordinates; found floor {lo}")
    return max(math.floor(Fraction(v)) for p in points for v in p) + 1


def grid_index(z: Sequence[Fraction], R: int) -> int:
    """Σ_j R^{j−1} ⌊z_j⌋ (j = 1..m), exact. Raises unless every ⌊z_j⌋ ∈ [0, R)."""
    idx = 0
    for j, v in enumerate(z):
        f = math.floor(Fraction(v))
        if not 0 <= f < R:
            raise InputError(f"coordinate {j} has floor {f}, outside [0, R) with R = {R}")
        idx += R**j * f
    return idx
