"""The sympy symbols every bound is written in, and the ℓp factor γ_p(d).

N   number of data points (N ≥ 2)
d   input dimension (d ≥ 1)
rho robustness ratio ρ = μ / ε_{D,p} ∈ (0, 1)
p   the norm's exponent, p ≥ 1; p = ∞ is substituted as ``sympy.oo``
"""

from __future__ import annotations

import sympy as sp

N, d, rho, p = sp.symbols("N d rho p", positive=True)

#: γ_p(d) = d^{|1/2 − 1/p|}: B_p(x, ρ ε_p) ⊆ B_2(x, γ ρ ε_2)  (THEORY §1).
gamma = d ** sp.Abs(sp.S.Half - 1 / p)

#: Boundaries of the regimes for ℓ2 (THEORY §3); the ℓp versions divide by γ.
rho1 = 1 / (5 * N * sp.sqrt(d))
rho2 = 1 / (5 * sp.sqrt(d))

SYMBOLS = (N, d, rho, p)
