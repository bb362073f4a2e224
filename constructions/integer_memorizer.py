"""Integer memorization (THEORY §5 step 4; [VYS21 Thm 3.1], [KMY Lemma B.10]).

Both memorizers read a scalar z and share one contract:

  for every integer n and every z with |z − n| ≤ 1/4:
      f(z) = labels[i] if n = keys[i], and f(z) = 0 if n is not a key.

* :func:`plain_memorizer` — one interval indicator per key, weighted by its label:
  depth 2, width 4N, params 12N + 1. Labels may be any integers.
* :func:`sqrt_memorizer` — a lean [VYS21] layout: params 8g + (s − 1)·(20·Bd + 42·L + 18) +
  O(L + c) (:func:`sqrt_params`, exact) for g groups of s keys, Bd bits per key gap and L
  label bits, with (s, Bd) chosen to minimise that count (s ≈ √(8N/(20·Bd + 42·L)), so
  Θ(√(N·(Bd + L))) = Õ(√N)); labels must be ≥ 0.

sqrt_memorizer in detail. The sorted keys are cut greedily into g groups of ≤ s consecutive
keys; a group also ends before a gap ≥ 2^Bd, so inside a group every delta
δ_i = k_i − k_{i−1} (i ≥ 2) fits in Bd bits (big gaps fall between groups, where they cost
nothing). Short groups are padded with (δ, label) = (0, 0). Group j is one dyadic in (0, 1),

  u_j = 0.[ℓ_1][δ_2 ℓ_2]…[δ_s ℓ_s]1  (binary; ℓ_i in L bits, δ_i in Bd bits; K = sL + (s−1)Bd
                                        bits and a final 1, so every bit has a margin),

one merged key-and-label chunk per key. Layers (widths :func:`sqrt_widths`):

1. width 2(g+1): two ramps σ(z − a_j ± 1/8) per group start a_j = first_j − 1/2 and per the
   sentinel a_{g+1} = max key + 1/2, i.e. a step 4(r⁺ − r⁻) ∈ {0, 1} per start;
2. width 2: X = U + 1 and y = σ(z − first_j + 1/2), with U = u_j on [first_j, first_{j+1})
   and U = 0 below the first key and beyond the last (staircases of the steps; the first
   ramp, capped by the sentinel's, carries z); outside every group only U = 0 matters;
3. one layer per stream bit t (K layers, widths 4–7): X = x_t + 1 (x_{t+1} = 2x_t − b_t),
   the ramps p, q = σ(x_t − 1/2 ± τ_t/2) with b_t = (p − q)/τ_t (τ_t the bit's margin), and
   the single nonnegative register y = σ(·) (no signed carries):
   * a delta bit of weight w: y ← σ(y − w·b) — so after key i's delta, y = σ(n − k_i + 1/2 +
     dz) ∈ {0} ∪ [1/4, 3/4] ∪ [5/4, ∞) (0 once n < k_i: the keys are sorted);
   * key i's first label slot also holds a, b, c = σ(y − 1/8), σ(y − 7/8), σ(y − 9/8):
     eq = 8(y − a) − 4(b − c) is 1 if n = k_i and 0 otherwise; later label slots carry
     E = eq + 1;
   * each label bit b of weight 2^e is emitted in the next layer by an AND unit
     A = σ(2M·2^e·(b + eq − 3/2)) = M·2^e·[b = eq = 1], added to y one layer later;
     M = 2^(B+3) > 8·(key range + 2), so after a match y ≥ M·label − range stays above every
     eq window, and without a match y < M/8;
4. tail: (y, A_last), then a staircase Σ_v (2/M)(σ(y − (v − 3/4)M) − σ(y − (v − 1/4)M)),
   v = 1..c (c = largest label), which rounds y/M to the label (0 without a match).
Every ReLU's pre-activation stays ≥ 1/8 (or the bit margin) away from 0 on the contract
region, so each is stable on every ball of it. Depth K + 5, width max(2(g+1), 7, 2c),
bit complexity ≈ K + B (the codes u_j), as in [VYS21].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from certify.errors import InputError
from constructions.gadgets import AffineLayer, Contract, Gadget, _layer

__all__ = [
    "SqrtLayout",
    "plain_memorizer",
    "plain_params",
    "sqrt_layout",
    "sqrt_memorizer",
    "sqrt_params",
    "sqrt_size",
    "sqrt_widths",
]

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


def _slots(s: int, Bd: int, L: int) -> list[tuple[str, int]]:
    """The stream's bit slots of one group, in reading order: key 1's L label bits, then for
    each key 2..s its Bd delta bits and its L label bits; ("d"|"l", position from 1)."""
    lab = [("l", t) for t in range(1, L + 1)]
    return lab + ([("d", t) for t in range(1, Bd + 1)] + lab) * (s - 1)


def sqrt_widths(s: int, g: int, Bd: int, L: int, c: int) -> list[int]:
    """Layer widths [1, d_1, …, d_{depth−1}, 1] of :func:`sqrt_memorizer` for group size s,
    g groups, Bd delta bits, L label bits and largest label c (module doc, "Layers")."""
    w = [1, 2 * (g + 1), 2]
    sl = _slots(s, Bd, L)
    for i, (kind, pos) in enumerate(sl):
        n = 4 if i < len(sl) - 1 else 3  # X (while bits follow), p, q, y
        if kind == "l":
            n += 3 if pos == 1 else 2  # eq layer: a, b, c; later label slots: E, A
        elif pos == 1:
            n += 1  # A of the previous key's last label bit
        w.append(n)
    return w + [2, 2 * max(c, 1), 1]


def _params_of(w: list[int]) -> int:
    return sum((a + 1) * b for a, b in zip(w, w[1:]))


def sqrt_params(s: int, g: int, Bd: int, L: int, c: int) -> int:
    """Exact parameter count of :func:`sqrt_memorizer` (= Σ (d_{l−1}+1)·d_l over
    :func:`sqrt_widths`) in O(Bd + L) steps: 8g + Q₁ for s = 1 and 8g + Q₂ + (s − 2)·K for
    s ≥ 2, where K is one key block's cost. For Bd ≥ 2, L ≥ 2, s ≥ 2 this is the closed form

        P = 8g + (s − 1)·(20·Bd + 42·L + 18) + 42·L + 8·c + 1 − [L = 2]."""
    if min(s, g, Bd, L) < 1:
        raise InputError("sqrt_params needs s, g, Bd, L >= 1")
    base = _params_of(sqrt_widths(min(s, 2), g, Bd, L, c))
    if s <= 2:
        return base
    return base + (s - 2) * _block_cost(Bd, L)


def _block_cost(Bd: int, L: int) -> int:
    """Parameters one more key block (a middle key) adds: its Bd + L slot layers."""
    w3, w2 = sqrt_widths(3, 1, Bd, L, 1), sqrt_widths(2, 1, Bd, L, 1)
    return _params_of(w3) - _params_of(w2)


@dataclass(frozen=True)
class SqrtLayout:
    """What :func:`sqrt_memorizer` wires in: group size s, Bd delta bits, L label bits, the
    largest label c, B with 2^B > hi − lo + 2 (M = 2^(B+3) scales the emitted label), and per
    group its first key and its keys' (delta, label) pairs (key 1's delta is 0; groups with
    fewer than s keys are padded with (0, 0))."""

    s: int
    Bd: int
    L: int
    c: int
    B: int
    lo: int
    hi: int
    groups: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]

    @property
    def g(self) -> int:
        return len(self.groups)

    @property
    def K(self) -> int:
        """Stream bits per group: s·L + (s − 1)·Bd."""
        return self.s * self.L + (self.s - 1) * self.Bd

    @property
    def M(self) -> int:
        return 2 ** (self.B + 3)

    @property
    def widths(self) -> list[int]:
        return sqrt_widths(self.s, self.g, self.Bd, self.L, self.c)

    @property
    def params(self) -> int:
        return sqrt_params(self.s, self.g, self.Bd, self.L, self.c)

    def code(self, j: int) -> Fraction:
        """u_j = Σ_t bit_t·2^(−t) + 2^(−(K+1)): group j's stream (bits per :func:`_slots`)."""
        first, pairs = self.groups[j]
        bits: list[int] = []
        for i, (delta, lab) in enumerate(pairs):
            if i:
                bits += [(delta >> (self.Bd - t)) & 1 for t in range(1, self.Bd + 1)]
            bits += [(lab >> (self.L - t)) & 1 for t in range(1, self.L + 1)]
        assert len(bits) == self.K
        num = 0
        for b in bits:
            num = 2 * num + b
        return Fraction(2 * num + 1, 2 ** (self.K + 1))


def _group_count(gaps: np.ndarray, Bd: int, s_vals: np.ndarray) -> np.ndarray:
    """Greedy (optimal) group counts for every s in s_vals: a group ends after s keys or
    before a gap ≥ 2^Bd (a delta must fit in Bd bits)."""
    n = len(gaps) + 1
    cuts = np.flatnonzero(gaps >= 2**Bd)
    runs = np.diff(np.concatenate(([0], cuts + 1, [n])))
    lens, cnt = np.unique(runs, return_counts=True)
    return ((-(-lens[None, :] // s_vals[:, None])) * cnt[None, :]).sum(axis=1)


def _choose(sorted_keys: list[int], L: int, c: int) -> tuple[int, int]:
    """(s, Bd) minimising :func:`sqrt_params` over s ≤ 8√N + 8 and every useful Bd."""
    n = len(sorted_keys)
    if n == 1:
        return 1, 1
    gaps = np.diff(np.asarray(sorted_keys, dtype=object)).astype(object)
    big = max(int(t) for t in gaps)
    gaps_f = np.asarray([min(int(t), 2**62) for t in gaps], dtype=np.int64)
    s_vals = np.arange(1, min(n, 8 * math.isqrt(n) + 8) + 1, dtype=np.int64)
    best: tuple[int, int, int] | None = None
    for Bd in range(1, min(big.bit_length(), 62) + 1):
        g = _group_count(gaps_f, Bd, s_vals)
        blk = _block_cost(Bd, L)
        q1 = sqrt_params(1, 1, Bd, L, c) - 8
        q2 = sqrt_params(2, 1, Bd, L, c) - 8
        q = np.where(s_vals == 1, q1, q2 + (s_vals - 2) * blk)
        P = 8 * g + q
        i = int(np.argmin(P))
        cand = (int(P[i]), int(s_vals[i]), Bd)
        if best is None or cand < best:
            best = cand
    assert best is not None
    return best[1], best[2]


def sqrt_layout(
    keys: list[int], labels: list[int], s: int | None = None, Bd: int | None = None
) -> SqrtLayout:
    """The layout of :func:`sqrt_memorizer`: (s, Bd) minimising the exact size
    :func:`sqrt_params` unless given, then the greedy grouping (a group ends after s keys or
    before a gap ≥ 2^Bd)."""
    _check(keys, labels)
    if any(y < 0 for y in labels):
        raise InputError("sqrt_memorizer needs labels >= 0")
    pairs = sorted(zip(keys, labels))
    ks = [k for k, _ in pairs]
    c = max(labels)
    L = max(1, c.bit_length())
    if s is None or Bd is None:
        s0, b0 = _choose(ks, L, c)
        s, Bd = s0 if s is None else s, b0 if Bd is None else Bd
    if s < 1 or Bd < 1:
        raise InputError("sqrt_layout needs s >= 1 and Bd >= 1")
    groups: list[tuple[int, tuple[tuple[int, int], ...]]] = []
    cur: list[tuple[int, int]] = []
    first = prev = ks[0]
    for k, y in pairs:
        if cur and (len(cur) == s or k - prev >= 2**Bd):
            groups.append((first, tuple(cur + [(0, 0)] * (s - len(cur)))))
            cur, first = [], k
        cur.append((k - prev if cur else 0, y))
        prev = k
    groups.append((first, tuple(cur + [(0, 0)] * (s - len(cur)))))
    B = (ks[-1] - ks[0] + 2).bit_length()
    return SqrtLayout(s, Bd, L, c, B, ks[0], ks[-1], tuple(groups))


def sqrt_size(keys: list[int], labels: list[int]) -> int:
    """Parameters of sqrt_memorizer(keys, labels), by the exact formula (nothing built)."""
    return sqrt_layout(keys, labels).params


class _Layer:
    """A hidden layer under construction: named units, each an affine form of the previous
    layer's named units ({name: coefficient}, key None = constant)."""

    def __init__(self) -> None:
        self.units: dict[str, dict[str | None, Fraction]] = {}

    def add(self, name: str, form: dict[str | None, Fraction], shift: Fraction = Fraction(0)):
        f = dict(form)
        f[None] = f.get(None, Fraction(0)) + shift
        self.units[name] = f

    def affine(self, prev: list[str]) -> AffineLayer:
        col = {n: i for i, n in enumerate(prev)}
        rows, bias = [], []
        for form in self.units.values():
            r = [Fraction(0)] * len(prev)
            for k, v in form.items():
                if k is not None:
                    r[col[k]] += v
            rows.append(r)
            bias.append(form.get(None, Fraction(0)))
        return _layer(rows, bias)


def _lin(*terms: tuple[object, str | None]) -> dict[str | None, Fraction]:
    out: dict[str | None, Fraction] = {}
    for coef, name in terms:
        out[name] = out.get(name, Fraction(0)) + Fraction(coef)  # type: ignore[arg-type]
    return out


def _plus(*forms: dict[str | None, Fraction]) -> dict[str | None, Fraction]:
    out: dict[str | None, Fraction] = {}
    for f in forms:
        for k, v in f.items():
            out[k] = out.get(k, Fraction(0)) + v
    return out


def _scale(f: dict[str | None, Fraction], a: object) -> dict[str | None, Fraction]:
    return {k: v * Fraction(a) for k, v in f.items()}  # type: ignore[arg-type]


EIGHTH = Fraction(1, 8)


def sqrt_memorizer(
    keys: list[int], labels: list[int], s: int | None = None, Bd: int | None = None
) -> Gadget:
    """The lean [VYS21]-style memorizer of the module doc; contract as
    :func:`plain_memorizer` (labels ≥ 0). Widths :func:`sqrt_widths`, parameters
    :func:`sqrt_params` (both exact), for the layout :func:`sqrt_layout` (s, Bd chosen by that
    formula unless given)."""
    lay = sqrt_layout(keys, labels, s, Bd)
    K, Mlab, L = lay.K, lay.M, lay.L
    g = lay.g
    layers: list[AffineLayer] = []
    # layer 1: two ramps per group start a_j = first_j − 1/2 and for the sentinel hi + 1/2
    starts = [Fraction(f) - Fraction(1, 2) for f, _ in lay.groups] + [
        Fraction(lay.hi, 1) + Fraction(1, 2)
    ]
    l1 = _Layer()
    for j, a in enumerate(starts):
        l1.add(f"r+{j}", _lin((1, "z")), EIGHTH - a)
        l1.add(f"r-{j}", _lin((1, "z")), -EIGHTH - a)
    layers.append(l1.affine(["z"]))
    prev = list(l1.units)
    # layer 2: X = U + 1 (U the active group's code, 0 outside), y = z − first_j + 1/2
    codes = [lay.code(j) for j in range(g)] + [Fraction(0)]
    first1 = Fraction(lay.groups[0][0])
    betas = [Fraction(f) - first1 + EIGHTH for f, _ in lay.groups]
    betas.append(Fraction(lay.groups[-1][0]) - first1 - Fraction(1, 2))
    U: dict[str | None, Fraction] = {}
    Y = _lin((1, "r+0"), (-1, f"r+{g}"))
    pu = pb = Fraction(0)
    for j in range(g + 1):
        step = _lin((4, f"r+{j}"), (-4, f"r-{j}"))
        U = _plus(U, _scale(step, codes[j] - pu))
        Y = _plus(Y, _scale(step, -(betas[j] - pb)))
        pu, pb = codes[j], betas[j]
    l2 = _Layer()
    l2.add("X", U, Fraction(1))
    l2.add("y", Y)
    layers.append(l2.affine(prev))
    prev = list(l2.units)
    # the stream: one layer per slot
    sl = _slots(lay.s, lay.Bd, L)
    x_form = _lin((1, "X"), (-1, None))  # x_t over the previous layer
    y_form = _lin((1, "y"))
    eq_form: dict[str | None, Fraction] | None = None
    bit_form: dict[str | None, Fraction] | None = None
    prev_slot: tuple[str, int] | None = None

    def tau(t: int) -> Fraction:
        return Fraction(1, 2 ** (K - t + 1))  # slot t (0-based): margin 2^−(K−t+1)

    for t, (kind, pos) in enumerate(sl):
        lt = _Layer()
        if t < K - 1:
            lt.add("X", x_form, Fraction(1))
        h = tau(t) / 2
        lt.add("p", x_form, -Fraction(1, 2) + h)
        lt.add("q", x_form, -Fraction(1, 2) - h)
        yf = y_form
        if prev_slot is not None and prev_slot[0] == "d":  # subtract the last delta bit
            yf = _plus(yf, _scale(bit_form, -(2 ** (lay.Bd - prev_slot[1]))))  # type: ignore[arg-type]
        lt.add("y", yf)
        if prev_slot is not None and prev_slot[0] == "l":  # AND(previous label bit, eq)
            Mt = Mlab * 2 ** (L - prev_slot[1])
            lt.add("A", _scale(_plus(bit_form, eq_form), 2 * Mt), -3 * Mt)  # type: ignore[arg-type]
        if kind == "l" and pos == 1:
            for nm, off in (("a", EIGHTH), ("b", 7 * EIGHTH), ("c", 9 * EIGHTH)):
                lt.add(nm, yf, -off)
        elif kind == "l":
            lt.add("E", eq_form, Fraction(1))  # type: ignore[arg-type]
        layers.append(lt.affine(prev))
        prev = list(lt.units)
        # forms for the next layer
        bit_form = _scale(_lin((1, "p"), (-1, "q")), 1 / tau(t))
        x_form = _plus(_lin((2, "X"), (-2, None)), _scale(bit_form, -1)) if t < K - 1 else {}
        y_form = _lin((1, "y"), (1, "A")) if "A" in lt.units else _lin((1, "y"))
        if kind == "l" and pos == 1:
            eq_form = _lin((8, "y"), (-8, "a"), (-4, "b"), (4, "c"))
        elif kind == "l":
            eq_form = _lin((1, "E"), (-1, None))
        prev_slot = (kind, pos)
    # tail: y and the last AND, then the staircase Σ_v step(Y ≥ (v − 1/2)M), then the output
    assert prev_slot is not None and prev_slot[0] == "l" and eq_form is not None
    tl = _Layer()
    tl.add("y", y_form)
    Mt = Mlab * 2 ** (L - prev_slot[1])
    tl.add("A", _scale(_plus(bit_form, eq_form), 2 * Mt), -3 * Mt)  # type: ignore[arg-type]
    layers.append(tl.affine(prev))
    prev = list(tl.units)
    st = _Layer()
    Yf = _lin((1, "y"), (1, "A"))
    for v in range(1, max(lay.c, 1) + 1):
        st.add(f"s+{v}", Yf, -Fraction(4 * v - 3, 4) * Mlab)
        st.add(f"s-{v}", Yf, -Fraction(4 * v - 1, 4) * Mlab)
    layers.append(st.affine(prev))
    prev = list(st.units)
    out = _Layer()
    out.add(
        "f",
        _plus(
            *(
                _lin((Fraction(2, Mlab), f"s+{v}"), (-Fraction(2, Mlab), f"s-{v}"))
                for v in range(1, max(lay.c, 1) + 1)
            )
        ),
    )
    layers.append(out.affine(prev))
    gad = Gadget(
        tuple(layers),
        1,
        1,
        Contract(
            CONTRACT_REGION,
            CONTRACT_OUTPUT + " (labels >= 0)",
            Q,
            f"s={lay.s}, g={g}, Bd={lay.Bd}, L={L}, c={lay.c}: depth K + 5 (K = sL + (s−1)Bd), "
            "width max(2(g+1), 7, 2c), params = sqrt_params(s, g, Bd, L, c)",
        ),
    )
    return gad
