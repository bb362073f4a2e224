"""A baseline robust memorizer in the original dimension: one box "bump" per point.

Contract. Let r₁ ≥ μ_box be a rational radius such that the ℓp ball B_p(x_i, μ) lies in the
box |x − x_i|_∞ ≤ r₁ (r₁ = μ for p = ∞; for p ≥ 2 a rational upper bound of μ; for p = 1 μ),
and let r₂ = ε_∞ (half the smallest ℓ∞ distance between differently labelled points).
If r₁ < r₂ the network

  layer 1  u⁺_{ik} = x_k − x_{ik} − r₁,  u⁻_{ik} = x_{ik} − x_k − r₁       (2·N·d ReLUs)
  layer 2  b_i = ReLU(1 − Σ_k (ReLU u⁺_{ik} + ReLU u⁻_{ik}) / (r₂ − r₁))  (N ReLUs)
  layer 3  for each label c: ReLU(s_c), ReLU(s_c − 1), s_c = Σ_{y_i = c} b_i
  output   f = Σ_c c · (ReLU(s_c) − ReLU(s_c − 1))

satisfies f ≡ y_i on the box of radius r₁ around x_i, hence on the ball: there b_i = 1, so
min(1, s_{y_i}) = 1, and every bump of another label is 0 because such a point is at ℓ∞
distance ≥ 2ε_∞ − r₁ ≥ r₂ … i.e. Σ_k ReLU(|x_k − x_{jk}| − r₁) ≥ 2ε_∞ − 2r₁ ≥ r₂ − r₁.
Parameters: (d+1)·2Nd + (2Nd+1)·N + (N+1)·2C + 2C + 1 — O(N²d), zeros included.
This is the "baseline" of the project: valid for every ρ with r₁ < ε_∞ and easy to certify.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from certify.ball import root_upper
from certify.dataset import Dataset
from certify.errors import InputError
from certify.network import Network


@dataclass(frozen=True)
class BaselineReport:
    r1: Fraction
    r2: Fraction
    params: int
    params_nonzero: int
    depth: int
    width: int


def box_radius(radius_power: Fraction, p: int | None) -> Fraction:
    """A rational r₁ ≥ μ with B_p(x, μ) inside the box of radius r₁."""
    if p is None or p == 1:
        return radius_power
    return root_upper(radius_power, p)


def build_baseline(
    ds: Dataset, radius_power: Fraction, p: int | None
) -> tuple[Network, BaselineReport]:
    """The bump network of the module docstring for balls of μ^p = ``radius_power``."""
    r1 = box_radius(radius_power, p)
    r2 = ds.epsilon_inf()
    if not r1 < r2:
        raise InputError(
            f"the baseline needs the balls inside boxes of radius r1 = {float(r1):.6g} below "
            f"eps_inf = {float(r2):.6g}; use a smaller rho"
        )
    N, d = ds.N, ds.d
    zero = Fraction(0)
    W1: list[list[Fraction]] = []
    b1: list[Fraction] = []
    for x in ds.X:
        for k in range(d):
            for sgn in (1, -1):
                row = [zero] * d
                row[k] = Fraction(sgn)
                W1.append(row)
                b1.append(-sgn * x[k] - r1)
    inv = 1 / (r2 - r1)
    W2 = [[zero] * (2 * N * d) for _ in range(N)]
    for i in range(N):
        for t in range(2 * d):
            W2[i][2 * d * i + t] = -inv
    b2 = [Fraction(1)] * N
    classes = sorted(set(ds.y))
    W3: list[list[Fraction]] = []
    b3: list[Fraction] = []
    for c in classes:
        members = [Fraction(1) if yi == c else zero for yi in ds.y]
        W3 += [members, list(members)]
        b3 += [zero, Fraction(-1)]
    W4 = [[Fraction(c * s) for c in classes for s in (1, -1)]]
    net = Network([W1, W2, W3, W4], [b1, b2, b3, [zero]], input_dim=d)
    rep = BaselineReport(r1, r2, net.num_params(), net.num_nonzero(), net.depth, net.width)
    return net, rep
