"""The demo's exact separations, checked by brute force in integer arithmetic (the digits
pixels are integers 0..16, so squared ℓ2 and ℓ∞ distances are exact in int64)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from robustmem.demo import load_digits_dataset


def _brute_force_min(X: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    best2, best_inf = None, None
    for i in range(len(X)):
        other = y[i + 1 :] != y[i]
        diff = X[i + 1 :][other] - X[i]
        if len(diff) == 0:
            continue
        s2 = int((diff * diff).sum(axis=1).min())
        si = int(np.abs(diff).max(axis=1).min())
        best2 = s2 if best2 is None else min(best2, s2)
        best_inf = si if best_inf is None else min(best_inf, si)
    return best2, best_inf


def test_digits_separation_matches_brute_force():
    from sklearn.datasets import load_digits

    raw = load_digits()
    X, y = raw.data.astype(np.int64), raw.target.astype(np.int64)
    min2, min_inf = _brute_force_min(X, y)
    ds = load_digits_dataset()
    assert ds.epsilon_power(2) == Fraction(min2, 4)  # ε² = (min distance / 2)²
    assert ds.epsilon_inf() == Fraction(min_inf, 2)
