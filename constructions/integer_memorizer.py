"""Integer memorization (THEORY §5 step 4; [VYS21 Thm 3.1], [KMY Lemma B.10]).

Both memorizers read a scalar z and share one contract (margins 1/4 and 3/4):

  for every integer n and every z with |z − n| ≤ 1/4:
      f(z) = labels[i] if n = keys[i], and f(z) = 0 if n is not a key.

* :func:`plain_memorizer` — one interval indicator per key, weighted by its label:
  depth 2, width 4N, params 12N + 1. Labels may be any integers.
* :func:`sqrt_memorizer` — the [VYS21] layout with width O(1) and depth/params
  O(√N·(B + L)), B = key bits, L = label bits (Õ(√N)); labels must be ≥ 0.

sqrt_memorizer in detail. Keys are shifted to k' = k − min(keys) + 1 ∈ [1, 2^B) and sorted,
then cut into g = ⌈N/s⌉ groups of s = ⌈√N⌉ consecutive keys (the last group padded with
chunks c = 1 carrying label 0). Group j is encoded by two dyadics in (0, 1)

  u_j = Σ_{i=1}^s c_i·T^{−i} + T^{−s}/2,   T = 2^B,   c_i = k'_i ≥ 1,
  w_j = Σ_{i=1}^s e_i·S^{−i} + S^{−s}/2,   S = 2^L,   e_i = label_i + 1 ≥ 1.

Block 1 (g hidden layers, width 8): (U, W) = Σ_j I_j(z)·(u_j, w_j), I_j the indicator of
[min_j − 1/4, max_j + 1/4] with margin 1/2, accumulated one group per layer while z is
carried signed. On the contract region exactly one I_j is 1 (n in group j's range) or none
is (then U = W = 0): groups hold consecutive sorted integers, so other ranges are ≥ 3/4 away.

Block 2 (s steps): x = T·U = c_i + rest with rest ∈ [1/T, 1) (the next chunk is ≥ 1, or the
terminal 1/2), so ``floor_gadget(B, 1/T)`` returns c_i exactly and U ← x − c_i; the same
for W with S. Then eq = hat(z' − c_i) (1 when |z' − c_i| ≤ 1/4, 0 when ≥ 3/4; z' = z shifted)
and out += σ(e_i − 1 − S·(1 − eq)): the label when the chunk equals z', 0 otherwise
(labels < S). With U = W = 0 (n outside every group) every floor is 0 exactly and every
term is σ(−1 − S(1 − eq)) = 0. Bit complexity is large (≈ s·B bits in u_j), as [VYS21].
"""

from __future__ import annotations

import math
from fractions import Fraction

from certify.errors import InputError
from constructions.gadgets import (
    Contract,
    Gadget,
    _layer,
    affine,
    compose,
    floor_gadget,
    identity_carry,
    parallel,
)

__all__ = ["plain_memorizer", "plain_params", "sqrt_layout", "sqrt_memorizer", "sqrt_widths"]

Q = Fraction(1, 4)  # radius on which the output is exact
M = Fraction(1, 2)  # ramp width: indicators vanish at distance ≥ Q + M = 3/4

CONTRACT_REGION = "z with |z − n| ≤ 1/4 for an integer n"
CONTRACT_OUTPUT = "labels[i] if n = keys[i], else 0"


def _check(keys: list[int], labels: list[int]) -> None:
    if not keys or len(keys) != len(labels):
        raise InputError("need as many labels as keys (and at least one key)")
    if any(not isinstance(k, int) for k in keys) or any(not isinstance(y, int) for y in labels):
        raise InputError("keys and labels must be Python ints")
    if len(set(keys)) != len(keys):
        raise InputError("keys must be distinct integers")


def plain_params(n: int) -> int:
    """Parameters of :func:`plain_memorizer` for N = n keys: 2·4N + (4N + 1) = 12N + 1."""
    return 12 * n + 1


def plain_memorizer(keys: list[int], labels: list[int]) -> Gadget:
    """f(z) = Σ_i labels[i]·I_i(z), I_i = 1 on [k_i − 1/4, k_i + 1/4], 0 outside
    (k_i − 3/4, k_i + 3/4). Contract: see the module doc. Depth 2, width 4N, params 12N+1."""
    _check(keys, labels)
    rows, bias, out = [], [], []
    for k, y in zip(keys, labels):
        a, b = Fraction(k) - Q, Fraction(k) + Q
        rows += [[1]] * 4
        bias += [M - a, -a, -b, -b - M]
        out += [Fraction(y) / M, -Fraction(y) / M, -Fraction(y) / M, Fraction(y) / M]
    layers = (_layer(rows, bias), _layer([out], [0]))
    return Gadget(
        layers,
        1,
        1,
        Contract(CONTRACT_REGION, CONTRACT_OUTPUT, M, "depth 2, width 4N, params 12N + 1"),
    )


# ------------------------------------------------------------------------------ sqrt design


def sqrt_layout(keys: list[int], labels: list[int]) -> dict[str, object]:
    """Group size s, group count g, key bits B, label bits L, shift, the groups' ranges and
    their codes (u_j, w_j) — the data :func:`sqrt_memorizer` wires in."""
    _check(keys, labels)
    if any(y < 0 for y in labels):
        raise InputError("sqrt_memorizer needs labels >= 0")
    n = len(keys)
    lo = min(keys)
    pairs = sorted(zip(keys, labels))
    s = math.isqrt(n - 1) + 1 if n > 1 else 1  # ⌈√N⌉
    g = -(-n // s)
    B = (max(keys) - lo + 1).bit_length()  # 2^B > every shifted key
    L = (max(labels) + 1).bit_length()  # 2^L > every label + 1
    T, S = 2**B, 2**L
    groups = []
    for j in range(g):
        chunk = pairs[j * s : (j + 1) * s]
        cs = [k - lo + 1 for k, _ in chunk] + [1] * (s - len(chunk))
        es = [y + 1 for _, y in chunk] + [1] * (s - len(chunk))
        u = sum((Fraction(c, T**i) for i, c in enumerate(cs, 1)), Fraction(1, 2 * T**s))
        w = sum((Fraction(e, S**i) for i, e in enumerate(es, 1)), Fraction(1, 2 * S**s))
        groups.append((chunk[0][0], chunk[-1][0], u, w))
    return {"s": s, "g": g, "B": B, "L": L, "shift": lo - 1, "groups": groups}


def _block1(groups: list[tuple[int, int, Fraction, Fraction]], shift: int) -> Gadget:
    """z ↦ (z' = z − shift, U, W, 0): one hidden layer per group; hidden units
    [σ(z), σ(−z), U, W, 4 ramps of group j]."""
    layers = []
    prev_ramps: tuple[Fraction, Fraction] | None = None  # (u, w) of the previous group
    for j, (a0, b0, u, w) in enumerate(groups):
        a, b = Fraction(a0) - Q, Fraction(b0) + Q
        bias = [0, 0, 0, 0, M - a, -a, -b, -b - M]
        if j == 0:
            rows = [[1], [-1], [0], [0], [1], [1], [1], [1]]
        else:
            pu, pw = prev_ramps  # type: ignore[misc]
            ind = [1 / M, -1 / M, -1 / M, 1 / M]
            rows = [
                [1, 0, 0, 0, 0, 0, 0, 0],
                [0, 1, 0, 0, 0, 0, 0, 0],
                [0, 0, 1, 0] + [pu * t for t in ind],
                [0, 0, 0, 1] + [pw * t for t in ind],
            ]
            rows += [[1, -1, 0, 0, 0, 0, 0, 0]] * 4
        layers.append(_layer(rows, bias))
        prev_ramps = (u, w)
    pu, pw = prev_ramps  # type: ignore[misc]
    ind = [1 / M, -1 / M, -1 / M, 1 / M]
    out_rows = [
        [1, -1, 0, 0, 0, 0, 0, 0],
        [0, 0, 1, 0] + [pu * t for t in ind],
        [0, 0, 0, 1] + [pw * t for t in ind],
        [0] * 8,
    ]
    layers.append(_layer(out_rows, [-shift, 0, 0, 0]))
    return Gadget(
        tuple(layers),
        1,
        4,
        Contract(CONTRACT_REGION, "(z − shift, u_j, w_j, 0) for n in group j, else U=W=0"),
    )


def _emit(S: int) -> Gadget:
    """(c, x, e, y, z', out) ↦ (z', x − c, y − e, out + σ(e − 1 − S(1 − eq))), with
    eq = hat(z' − c). Depth 3; every carried value is carried signed."""
    # inputs: 0 c, 1 x, 2 e, 3 y, 4 z', 5 out
    d = [-1, 0, 0, 0, 1, 0]  # z' − c
    rows = [
        [0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, -1, 0],  # z' signed
        [-1, 1, 0, 0, 0, 0],  # x − c ≥ 0
        [0, 0, -1, 1, 0, 0],  # y − e ≥ 0
        [0, 0, 0, 0, 0, 1],  # out ≥ 0
        [0, 0, 1, 0, 0, 0],  # e ≥ 0
        d,
        d,
        d,
        d,
    ]
    bias = [0, 0, 0, 0, 0, 0, Q + M, Q, -Q, -Q - M]
    h1 = _layer(rows, bias)
    eq = [0, 0, 0, 0, 0, 0, 1 / M, -1 / M, -1 / M, 1 / M]
    # σ(e − 1 − S + S·eq)
    term = [0, 0, 0, 0, 0, 1] + [S * t for t in eq[6:]]
    rows2 = [
        [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
        term,
    ]
    h2 = _layer(rows2, [0, 0, 0, 0, 0, -1 - S])
    out = _layer(
        [[1, -1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 1]],
        [0, 0, 0, 0],
    )
    return Gadget((h1, h2, out), 6, 4, Contract("see sqrt_memorizer", "one chunk emitted"))


def _step(B: int, L: int) -> Gadget:
    """(z', U, W, out) ↦ (z', U', W', out'): peel one key chunk and one label chunk."""
    T, S = 2**B, 2**L
    fan = affine(
        [[0, T, 0, 0], [0, T, 0, 0], [0, 0, S, 0], [0, 0, S, 0], [1, 0, 0, 0], [0, 0, 0, 1]],
        [0] * 6,
    )
    fl = parallel(
        parallel(floor_gadget(B, Fraction(1, T)), identity_carry(1, 1)),
        parallel(
            parallel(floor_gadget(L, Fraction(1, S)), identity_carry(1, 1)), identity_carry(2, 1)
        ),
    )
    return compose(compose(fan, fl), _emit(S))


def sqrt_widths(s: int, g: int, B: int, L: int) -> list[int]:
    """The layer widths [1, d_1, …, d_{depth−1}, 1] of :func:`sqrt_memorizer`:
    [1] + [8]·g + s·([a_l(B) + a_l(L) + 8 for l = 1..max(B, L)] + [10, 6]) + [1], where
    a_l(n) = 3 (l = 1), 4 (2 ≤ l ≤ n), 2 (l > n, a signed carry) are the floor gadget's
    widths. So width ≤ 16 and params = Σ (d_{l−1} + 1)·d_l = O(g + s·max(B, L))."""
    D = max(B, L)

    def a(l: int, n: int) -> int:
        return 3 if l == 1 else (4 if l <= n else 2)

    step = [a(l, B) + a(l, L) + 8 for l in range(1, D + 1)] + [10, 6]
    return [1] + [8] * g + step * s + [1]


def sqrt_memorizer(keys: list[int], labels: list[int]) -> Gadget:
    """The [VYS21]-style memorizer (module doc): contract as :func:`plain_memorizer`
    (labels ≥ 0). Depth g + 1 + s·(max(B, L) + 2), width ≤ 16, exact widths and params
    from :func:`sqrt_widths` (O(g + s·max(B, L))), with s = ⌈√N⌉, g = ⌈N/s⌉."""
    lay = sqrt_layout(keys, labels)
    s, B, L = lay["s"], lay["B"], lay["L"]
    net = _block1(lay["groups"], lay["shift"])  # type: ignore[arg-type]
    step = _step(B, L)  # type: ignore[arg-type]
    for _ in range(s):  # type: ignore[call-overload]
        net = compose(net, step)
    net = compose(net, affine([[0, 0, 0, 1]], [0]))
    return Gadget(
        net.layers,
        1,
        1,
        Contract(
            CONTRACT_REGION,
            CONTRACT_OUTPUT + " (labels >= 0)",
            M,
            f"s={s}, g={lay['g']}, B={B}, L={L}: depth g + 1 + s·(max(B,L)+2), "
            "width <= 16, params = sqrt_widths formula = O(g + s·max(B,L))",
        ),
    )
