"""ReLU gadgets with stated contracts, and a small API to wire them together.

A :class:`Gadget` is g = A_L ∘ ReLU ∘ A_{L-1} ∘ … ∘ ReLU ∘ A_1 : R^in → R^out, every A_l an
exact rational affine map (ReLU between layers, none after the last — the convention of
:class:`certify.network.Network`). Counting follows ``Network`` too: ``depth`` = L affine
layers, ``width`` = the largest hidden width (0 for an affine gadget), ``params`` =
Σ_l (d_{l-1} + 1)·d_l with zeros included.

Wiring:

* :func:`compose` (g2 after g1) merges g1's last affine map with g2's first, so it adds no
  ReLU: depth(compose) = depth(g1) + depth(g2) − 1. g2 sees g1's *raw* output, so when g2's
  contract needs a non-negative input, g1's output must already be non-negative.
* :func:`parallel` stacks two gadgets side by side (block-diagonal weights); the shallower
  one is padded with :func:`identity_carry` (signed by default, width 2·out).
* :func:`affine` is a depth-1 gadget (fan-out, selection, shifts);
  :func:`to_network` turns a gadget with one output into a ``Network``.

Step units: a gadget may give a hidden layer the activation "step" (Heaviside,
H(t) = 1 if t ≥ 0 else 0) instead of ReLU, or a tuple with one of "relu"/"step" per unit (a
mixed layer) — ``activations``, one entry per hidden layer; empty = all ReLU, so every ReLU
gadget is unchanged. :func:`parallel` concatenates the two sides' activations unit by unit,
so a value can be carried by a ReLU unit next to step units (as in :func:`floor_step`).

Every builder records its :class:`Contract`: the input region where the stated output holds,
the margin (width of the ramps outside it), the exact output (or error bound), and the size
formulas, which the tests check against the built layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from certify.errors import InputError
from certify.network import Network

__all__ = [
    "AffineLayer",
    "Contract",
    "Gadget",
    "affine",
    "bit_extract",
    "compose",
    "floor_gadget",
    "floor_step",
    "floor_step_params",
    "gate",
    "identity_carry",
    "interval_indicator",
    "max2",
    "parallel",
    "pl_square",
    "to_network",
    "triangle",
]

Row = tuple[Fraction, ...]
AffineLayer = tuple[tuple[Row, ...], Row]  # (weight rows, bias): z = W v + b


@dataclass(frozen=True)
class Contract:
    """What a gadget guarantees: ``output`` holds for every input in ``region``.

    ``margin`` is the width of the transition zone the ramps use just outside the region
    (None when the output is exact everywhere); ``formula`` states depth/width/params.
    """

    region: str
    output: str
    margin: Fraction | None = None
    formula: str = ""


@dataclass(frozen=True)
class Gadget:
    """An exact ReLU gadget R^in_dim → R^out_dim: affine layers with ReLU between them."""

    layers: tuple[AffineLayer, ...]
    in_dim: int
    out_dim: int
    contract: Contract
    # per hidden layer: "relu" or "step", or a tuple of them per unit; () = all ReLU
    activations: tuple[str | tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        if not self.layers:
            raise InputError("a gadget needs at least one affine layer")
        acts = self.activations or ("relu",) * (len(self.layers) - 1)
        if len(acts) != len(self.layers) - 1:
            raise InputError(f"gadget activations {acts!r}: need one per hidden layer")
        norm: list[str | tuple[str, ...]] = []
        for (W, _), a in zip(self.layers, acts):
            units = (a,) if isinstance(a, str) else tuple(a)
            if any(u not in ("relu", "step") for u in units) or (
                not isinstance(a, str) and len(units) != len(W)
            ):
                raise InputError(
                    f"gadget activations {acts!r}: need relu/step per hidden layer, or one per unit"
                )
            norm.append(units[0] if all(u == units[0] for u in units) else units)
        object.__setattr__(self, "activations", tuple(norm))
        cols = self.in_dim
        for i, (W, b) in enumerate(self.layers, start=1):
            if not W or len(W) != len(b) or any(len(r) != cols for r in W):
                raise InputError(
                    f"gadget layer {i}: weight must be {len(b)}x{cols} to match its bias and "
                    "the previous layer's output"
                )
            cols = len(W)
        if cols != self.out_dim:
            raise InputError(f"gadget ends with {cols} outputs, declared out_dim={self.out_dim}")

    @property
    def depth(self) -> int:
        """L, the number of affine layers."""
        return len(self.layers)

    @property
    def widths(self) -> list[int]:
        """[in_dim, d_1, …, d_L]."""
        return [self.in_dim] + [len(W) for W, _ in self.layers]

    @property
    def width(self) -> int:
        """Largest hidden width; 0 for an affine gadget."""
        hidden = self.widths[1:-1]
        return max(hidden) if hidden else 0

    @property
    def params(self) -> int:
        """Σ_l (d_{l-1} + 1)·d_l, zeros included (as ``Network.num_params``)."""
        w = self.widths
        return sum((w[i - 1] + 1) * w[i] for i in range(1, len(w)))

    def report(self) -> dict[str, object]:
        """The contract and the actual size, as a plain record."""
        c = self.contract
        return {
            "region": c.region,
            "output": c.output,
            "margin": None if c.margin is None else str(c.margin),
            "formula": c.formula,
            "in_dim": self.in_dim,
            "out_dim": self.out_dim,
            "depth": self.depth,
            "width": self.width,
            "params": self.params,
        }

    def unit_activations(self, k: int) -> tuple[str, ...]:
        """Hidden layer k's activation (0-based), one entry per unit."""
        a = self.activations[k]
        return (a,) * len(self.layers[k][0]) if isinstance(a, str) else a

    def evaluate(self, x: Sequence[object]) -> tuple[Fraction, ...]:
        """g(x), exactly."""
        if len(x) != self.in_dim:
            raise InputError(f"gadget takes {self.in_dim} inputs, got {len(x)}")
        v = [Fraction(t) for t in x]  # type: ignore[arg-type]
        for i, (W, b) in enumerate(self.layers):
            z = [sum((w * t for w, t in zip(row, v)), bi) for row, bi in zip(W, b)]
            if i == len(self.layers) - 1:
                v = z
            else:
                v = [
                    Fraction(int(t >= 0)) if a == "step" else max(t, Fraction(0))
                    for t, a in zip(z, self.unit_activations(i))
                ]
        return tuple(v)


# ------------------------------------------------------------------------------------ wiring


def _F(v: object) -> Fraction:
    return v if isinstance(v, Fraction) else Fraction(v)  # type: ignore[arg-type]


def _layer(W: Sequence[Sequence[object]], b: Sequence[object]) -> AffineLayer:
    return tuple(tuple(_F(t) for t in row) for row in W), tuple(_F(t) for t in b)


def _eye(n: int, scale: int = 1) -> list[list[int]]:
    return [[scale if i == j else 0 for j in range(n)] for i in range(n)]


def affine(W: Sequence[Sequence[object]], b: Sequence[object]) -> Gadget:
    """The depth-1 gadget v ↦ W v + b (no ReLU); exact everywhere."""
    lay = _layer(W, b)
    return Gadget(
        (lay,),
        len(lay[0][0]),
        len(lay[0]),
        Contract("R^in", "W v + b", None, "depth 1, width 0, params (in+1)·out"),
    )


def identity_carry(n: int, depth: int, signed: bool = False) -> Gadget:
    """Carry n values through ``depth`` affine layers.

    Unsigned: every layer is the identity, so g(x) = x on [0, ∞)^n (ReLU is the identity
    there); width n, params depth·(n+1)·n. Signed: x ↦ relu(x) − relu(−x), exact on all of
    R^n; width 2n, params (n+1)·2n + (depth−2)·(2n+1)·2n + (2n+1)·n for depth ≥ 2.
    Depth 1 is the identity affine map (exact everywhere, params (n+1)·n).
    """
    if n < 1 or depth < 1:
        raise InputError(f"identity_carry needs n ≥ 1 and depth ≥ 1, got n={n}, depth={depth}")
    zero = [0] * n
    if depth == 1 or not signed:
        layers = [_layer(_eye(n), zero) for _ in range(depth)]
        region = "R^n" if depth == 1 else "[0, ∞)^n"
    else:
        I, mI = _eye(n), _eye(n, -1)
        first = _layer(I + mI, zero * 2)
        mid = _layer([a + c for a, c in zip(I, mI)] + [a + c for a, c in zip(mI, I)], zero * 2)
        last = _layer([a + c for a, c in zip(I, mI)], zero)
        layers = [first] + [mid] * (depth - 2) + [last]
        region = "R^n"
    formula = (
        "depth L, width 2n, params (n+1)·2n + (L−2)·(2n+1)·2n + (2n+1)·n"
        if signed and depth > 1
        else "depth L, width n (0 if L = 1), params L·(n+1)·n"
    )
    return Gadget(tuple(layers), n, n, Contract(region, "g(x) = x", None, formula))


def _merge(W1, b1, W2, b2) -> AffineLayer:
    """(W2·W1, W2·b1 + b2) exactly, skipping zero entries (gadget layers are sparse, mostly
    block diagonal, so this is far faster than the dense triple loop)."""
    zero = Fraction(0)
    cols = len(W1[0])
    nz1 = [[(j, w) for j, w in enumerate(row) if w] for row in W1]
    W = []
    b = []
    for r2, bi in zip(W2, b2):
        acc = [zero] * cols
        bias = bi
        for k, a in enumerate(r2):
            if not a:
                continue
            bias += a * b1[k]
            for j, w in nz1[k]:
                acc[j] += a * w
        W.append(tuple(acc))
        b.append(bias)
    return tuple(W), tuple(b)


def compose(g1: Gadget, g2: Gadget) -> Gadget:
    """g2 ∘ g1 with g1's last affine map merged into g2's first (no extra ReLU).

    depth = depth1 + depth2 − 1. The contract holds where g1's holds and g1's output lies in
    g2's region (the caller checks the latter; the record only states it).
    """
    if g1.out_dim != g2.in_dim:
        raise InputError(
            f"compose: first gadget has {g1.out_dim} outputs but the second takes {g2.in_dim}"
        )
    W1, b1 = g1.layers[-1]
    W2, b2 = g2.layers[0]
    W, b = _merge(W1, b1, W2, b2)
    layers = g1.layers[:-1] + ((W, b),) + g2.layers[1:]
    contract = Contract(
        f"x in ({g1.contract.region}) with g1(x) in ({g2.contract.region})",
        f"{g2.contract.output} applied to ({g1.contract.output})",
        g1.contract.margin,
        "depth = depth1 + depth2 − 1",
    )
    return Gadget(layers, g1.in_dim, g2.out_dim, contract, g1.activations + g2.activations)


def _pad(g: Gadget, depth: int, signed: bool) -> Gadget:
    if g.depth == depth:
        return g
    return compose(g, identity_carry(g.out_dim, depth - g.depth + 1, signed))


def parallel(g1: Gadget, g2: Gadget, signed: bool = True) -> Gadget:
    """(x, y) ↦ (g1(x), g2(y)): block-diagonal layers, the shallower gadget padded with an
    identity carry (``signed=True``: relu(v) − relu(−v), exact for any sign; ``signed=False``:
    relu(v), exact only when the padded gadget's outputs are ≥ 0). The padding is ReLU; a
    hidden layer whose two sides differ in activation becomes a mixed layer (g1's units first).
    """
    depth = max(g1.depth, g2.depth)
    a, c = _pad(g1, depth, signed), _pad(g2, depth, signed)
    acts = tuple(
        u if isinstance(u, str) and u == v else a.unit_activations(k) + c.unit_activations(k)
        for k, (u, v) in enumerate(zip(a.activations, c.activations))
    )
    layers = []
    for (Wa, ba), (Wc, bc) in zip(a.layers, c.layers):
        za, zc = (Fraction(0),) * len(Wc[0]), (Fraction(0),) * len(Wa[0])
        W = tuple(r + za for r in Wa) + tuple(zc + r for r in Wc)
        layers.append((W, ba + bc))
    contract = Contract(
        f"x in ({g1.contract.region}), y in ({g2.contract.region})",
        f"({g1.contract.output}, {g2.contract.output})",
        None,
        "block diagonal; depth = max(depth1, depth2)",
    )
    return Gadget(tuple(layers), g1.in_dim + g2.in_dim, g1.out_dim + g2.out_dim, contract, acts)


def to_network(g: Gadget) -> Network:
    """The ``Network`` computing g (which must have one output)."""
    if g.out_dim != 1:
        raise InputError(
            f"to_network needs a gadget with one output, got {g.out_dim}; "
            "compose with affine([[...]], [...]) to select or combine outputs first"
        )
    return Network(
        [W for W, _ in g.layers],
        [b for _, b in g.layers],
        input_dim=g.in_dim,
        activations=g.activations,
    )


# ----------------------------------------------------------------------------------- gadgets


def _check_gamma(gamma: Fraction) -> Fraction:
    gamma = _F(gamma)
    if not 0 < gamma < 1:
        raise InputError(f"gamma must lie in (0, 1), got {gamma}")
    return gamma


def _bits_layers(n: int, gamma: Fraction, emit_bits: bool) -> list[AffineLayer]:
    """Hidden layers of the bit-by-bit floor: hidden unit groups [x, acc, ramp_hi, ramp_lo
    (, bits so far)], with bit b_k = (relu(r − 2^k) − relu(r − 2^k − γ))/γ, r = x − acc."""
    layers: list[AffineLayer] = []
    g = gamma
    # state after a hidden layer for bit k: x, acc, a = relu(x−acc−2^k), c = relu(x−acc−2^k−γ),
    # then previously emitted bits; bit_k = (a − c)/γ; acc' = acc + 2^k·bit_k
    for step in range(n):
        k = n - 1 - step
        if step == 0:
            rows = [[1], [1], [1]]  # x, ramp_hi, ramp_lo (acc = 0)
            bias = [0, -(2**k), -(2**k) - g]
            layers.append(_layer(rows, bias))
            continue
        prev_bits = step - 1  # bits carried in the previous hidden layer
        width_in = (3 if step == 1 else 4) + (prev_bits if emit_bits else 0)
        kp = k + 1  # the bit resolved from the previous hidden layer
        # input coordinates of the previous hidden layer
        ix, iacc = 0, (None if step == 1 else 1)
        ia, ic = (1, 2) if step == 1 else (2, 3)
        bits_start = 3 if step == 1 else 4

        def vec(coefs: dict[int | None, Fraction], width_in: int = width_in) -> list[Fraction]:
            v = [Fraction(0)] * width_in
            for j, c in coefs.items():
                if j is not None:
                    v[j] += c
            return v

        s = Fraction(2**kp) / g  # acc' = acc + s·(a − c)
        x_row = vec({ix: Fraction(1)})
        acc_row = vec({iacc: Fraction(1), ia: s, ic: -s})
        r_row = [xv - av for xv, av in zip(x_row, acc_row)]
        rows = [x_row, acc_row, r_row, r_row]
        bias: list[Fraction] = [Fraction(0), Fraction(0), Fraction(-(2**k)), -(2**k) - g]
        if emit_bits:
            for j in range(prev_bits):
                rows.append(vec({bits_start + j: Fraction(1)}))
                bias.append(Fraction(0))
            rows.append(vec({ia: 1 / g, ic: -1 / g}))
            bias.append(Fraction(0))
        layers.append(_layer(rows, bias))
    return layers


def floor_gadget(n: int, gamma: Fraction) -> Gadget:
    """⌊x⌋, exact on {x ∈ [0, 2^n) : frac(x) ≥ γ}, for n ≥ 1 and 0 < γ < 1.

    Bits are read most significant first: with r = x − (bits found so far), bit k is
    b_k = (relu(r − 2^k) − relu(r − 2^k − γ))/γ, a ramp of slope 1/γ. On the region r − 2^k
    lies in Z + frac(x), so it is either ≥ frac(x) ≥ γ (b_k = 1) or ≤ frac(x) − 1 < 0
    (b_k = 0): every bit is exact and the output Σ 2^k b_k = ⌊x⌋. Near integers (frac(x) < γ)
    the output ramps from ⌊x⌋ − 1 up to ⌊x⌋ (margin γ).

    Size: depth n + 1 (n hidden layers), hidden widths [3, 4, …, 4], width 3 (n = 1) or 4;
    params 10 for n = 1, 20n − 13 for n ≥ 2.
    """
    if n < 1:
        raise InputError(f"floor_gadget needs n ≥ 1 bits, got {n}")
    g = _check_gamma(gamma)
    layers = _bits_layers(n, g, emit_bits=False)
    ia, ic, iacc = (1, 2, None) if n == 1 else (2, 3, 1)
    width_in = 3 if n == 1 else 4
    row = [Fraction(0)] * width_in
    if iacc is not None:
        row[iacc] = Fraction(1)
    row[ia] += 1 / g
    row[ic] -= 1 / g
    layers.append(_layer([row], [0]))
    return Gadget(
        tuple(layers),
        1,
        1,
        Contract(
            f"x in [0, 2^{n}) with frac(x) >= {g}",
            "floor(x)",
            g,
            "depth n+1; width 3 (n=1) else 4; params 10 (n=1) else 20n − 13",
        ),
    )


def floor_step(n: int) -> Gadget:
    """⌊x⌋ with step units, exact on all of [0, 2^n) (no margin), for n ≥ 1.

    Bit by bit, most significant first, in mixed layers: with r = x − (bits found so far)
    (r = x at the start), bit k is the step unit b_k = H(r − 2^k) and the next r is
    r − 2^k·b_k, which a ReLU unit carries next to it (on [0, 2^n), r ∈ [0, 2^(k+1)) before
    bit k, so r − 2^k·b_k ≥ 0 and ReLU passes it unchanged); the subtraction is folded into
    the next layer's affine map. A third (ReLU) unit carries x ≥ 0, and the output is
    x − r_final = x − (r − b_0) = ⌊x⌋ (r_final = frac(x)). Every unit decides exactly: no ramp.

    Layers: hidden 1 = (r = relu(x), b_{n−1}) (r is x itself there); hidden t ≥ 2 =
    (x, r, b_k) with k = n − t; output x − r + b_0 (b_0 for n = 1).
    Size: depth n + 1, hidden widths [2, 3, …, 3], width 2 (n = 1) or 3; params 7 (n = 1),
    12n − 7 (n ≥ 2).
    """
    if n < 1:
        raise InputError(f"floor_step needs n ≥ 1 bits, got {n}")
    relu_step = ("relu", "step")
    layers = [_layer([[1], [1]], [0, -(2 ** (n - 1))])]  # (r = x, b_{n−1})
    acts: list[tuple[str, ...]] = [relu_step]
    for t in range(2, n + 1):
        k, kp = n - t, n - t + 1  # this layer's bit, and the one read from the previous layer
        if t == 2:  # previous layer (r, b) with x = r
            rows = [[1, 0], [1, -(2**kp)], [1, -(2**kp)]]
        else:  # previous layer (x, r, b)
            rows = [[1, 0, 0], [0, 1, -(2**kp)], [0, 1, -(2**kp)]]
        layers.append(_layer(rows, [0, 0, -(2**k)]))  # (x, r − 2^kp·b, H(r − 2^kp·b − 2^k))
        acts.append(("relu",) + relu_step)
    last = [[0, 1]] if n == 1 else [[1, -1, 1]]  # b_0, or x − r + b_0
    layers.append(_layer(last, [0]))
    return Gadget(
        tuple(layers),
        1,
        1,
        Contract(
            f"x in [0, 2^{n})",
            "floor(x)",
            None,
            "depth n+1; width 2 (n=1) else 3; params 7 (n=1) else 12n − 7",
        ),
        tuple(acts),
    )


def floor_step_params(n: int) -> int:
    """The parameter count stated by :func:`floor_step`."""
    return 7 if n == 1 else 12 * n - 7


def floor_params(n: int) -> int:
    """The parameter count stated by :func:`floor_gadget`."""
    return 10 if n == 1 else 20 * n - 13


def bit_extract(n: int, gamma: Fraction) -> Gadget:
    """x ↦ (b_{n−1}, …, b_0), the binary digits of ⌊x⌋ (most significant first).

    Exact on {x ∈ [0, 2^n) : frac(x) ≥ γ} (same ramps and argument as :func:`floor_gadget`);
    each bit ramps over a margin γ below each integer where it changes.
    Size: depth n + 1; hidden widths 3, 5, 6, …, n + 3 (bits found so far are carried);
    params Σ_l (d_{l−1}+1)·d_l over widths [1, 3, 5, 6, …, n+3, n].
    """
    if n < 1:
        raise InputError(f"bit_extract needs n ≥ 1 bits, got {n}")
    g = _check_gamma(gamma)
    layers = _bits_layers(n, g, emit_bits=True)
    width_in = 3 if n == 1 else 4 + (n - 1)
    ia, ic = (1, 2) if n == 1 else (2, 3)
    bits_start = 4
    rows = []
    for j in range(n - 1):
        r = [Fraction(0)] * width_in
        r[bits_start + j] = Fraction(1)
        rows.append(r)
    last = [Fraction(0)] * width_in
    last[ia], last[ic] = 1 / g, -1 / g
    rows.append(last)
    layers.append(_layer(rows, [0] * n))
    return Gadget(
        tuple(layers),
        1,
        n,
        Contract(
            f"x in [0, 2^{n}) with frac(x) >= {g}",
            "binary digits of floor(x), most significant first",
            g,
            "depth n+1; widths [1, 3, 5, 6, ..., n+3, n]",
        ),
    )


def triangle(k: int = 1) -> Gadget:
    """Telgarsky's tent t(z) = σ(2z) − σ(4z − 2) iterated k times: t^k, a sawtooth with
    2^{k−1} teeth, exact on z ∈ [0, 1] (where t(z) = 1 − |2z − 1| ∈ [0, 1], so no ReLU is
    needed between copies). For z ≤ 1, t(z) = σ(σ(2z) − σ(4z − 2)); t^k(z) = 0 for z ≤ 0.
    Size: depth k + 1, width 2, params 4 + 6(k − 1) + 3 = 6k + 1.
    """
    if k < 1:
        raise InputError(f"triangle needs k ≥ 1 iterations, got {k}")
    first = _layer([[2], [4]], [0, -2])
    mid = _layer([[2, -2], [4, -4]], [0, -2])
    out = _layer([[1, -1]], [0])
    return Gadget(
        (first,) + (mid,) * (k - 1) + (out,),
        1,
        1,
        Contract("z in [0, 1]", f"t^{k}(z), t(z) = 1 - |2z - 1|", None, "depth k+1, params 6k+1"),
    )


def interval_indicator(a: Fraction, b: Fraction, margin: Fraction) -> Gadget:
    """1 on [a, b], 0 outside (a − m, b + m), linear ramps between (m = margin > 0, a ≤ b):
    (σ(x − a + m) − σ(x − a) − σ(x − b) + σ(x − b − m))/m. Exact everywhere as stated;
    values always in [0, 1]. Size: depth 2, width 4, params 13."""
    a, b, m = _F(a), _F(b), _F(margin)
    if m <= 0 or a > b:
        raise InputError(f"interval_indicator needs a ≤ b and margin > 0, got {a}, {b}, {m}")
    hid = _layer([[1]] * 4, [m - a, -a, -b, -b - m])
    out = _layer([[1 / m, -1 / m, -1 / m, 1 / m]], [0])
    return Gadget(
        (hid, out),
        1,
        1,
        Contract(
            f"[{a}, {b}] (value 1) and R minus ({a - m}, {b + m}) (value 0)",
            "indicator of [a, b]",
            m,
            "depth 2, width 4, params 13",
        ),
    )


def max2() -> Gadget:
    """(x, y) ↦ max(x, y) = x + σ(y − x), with x carried signed as σ(x) − σ(−x).
    Exact on R². Size: depth 2, width 3, params 13."""
    hid = _layer([[1, 0], [-1, 0], [-1, 1]], [0, 0, 0])
    out = _layer([[1, -1, 1]], [0])
    return Gadget(
        (hid, out), 2, 1, Contract("R^2", "max(x, y)", None, "depth 2, width 3, params 13")
    )


def gate(M: Fraction) -> Gadget:
    """(v, s) ↦ σ(v − M(1 − s)) − σ(−v − M(1 − s)).

    Exact on {|v| ≤ M, s ∈ {0, 1}}: s = 1 gives v, s = 0 gives 0. More generally, for s ≤ 1
    the output is the soft threshold sign(v)·σ(|v| − M(1 − s)): 0 whenever |v| ≤ M(1 − s).
    Size: depth 2, width 2, params 9.
    """
    M = _F(M)
    if M <= 0:
        raise InputError(f"gate needs a bound M > 0, got {M}")
    hid = _layer([[1, M], [-1, M]], [-M, -M])
    out = _layer([[1, -1]], [0])
    return Gadget(
        (hid, out),
        2,
        1,
        Contract(f"|v| <= {M}, s in {{0, 1}}", "s·v", None, "depth 2, width 2, params 9"),
    )


def pl_square(n_pieces: int, lo: Fraction, hi: Fraction) -> Gadget:
    """The piecewise-linear interpolant q of t² at the n + 1 equally spaced knots
    t_i = lo + i·h, h = (hi − lo)/n, on [lo, hi]:

      q(t) = lo² + (t_0 + t_1)·σ(t − lo) + 2h·Σ_{i=1}^{n−1} σ(t − t_i).

    Contract on [lo, hi]: q(t_i) = t_i² and 0 ≤ q(t) − t² ≤ h²/4 (the chord of a parabola
    over a piece of length h exceeds it by (t − t_i)(t_{i+1} − t), at most h²/4 at the
    midpoint). Below lo, q = lo². Size: depth 2, width n, params 3n + 1.
    """
    lo, hi = _F(lo), _F(hi)
    if n_pieces < 1 or not lo < hi:
        raise InputError(f"pl_square needs n_pieces ≥ 1 and lo < hi, got {n_pieces}, {lo}, {hi}")
    h = (hi - lo) / n_pieces
    knots = [lo + i * h for i in range(n_pieces + 1)]
    hid = _layer([[1]] * n_pieces, [-t for t in knots[:-1]])
    out = _layer([[knots[0] + knots[1]] + [2 * h] * (n_pieces - 1)], [lo * lo])
    return Gadget(
        (hid, out),
        1,
        1,
        Contract(
            f"t in [{lo}, {hi}]",
            f"interpolant q of t^2, 0 <= q(t) - t^2 <= {h * h / 4}",
            None,
            "depth 2, width n, params 3n + 1",
        ),
    )
