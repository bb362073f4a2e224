"""The exact network model: a feed-forward ReLU network f : R^d -> R with rational weights.

f(x) = A_L ∘ ReLU ∘ A_{L-1} ∘ ... ∘ ReLU ∘ A_1 (x),   A_l(v) = W_l v + b_l,

with widths d_0 = d (``input_dim``), d_1 .. d_{L-1} (hidden), d_L = 1. ``W_l`` has d_l rows
(one per output unit) and d_{l-1} columns. Weights live in python-flint ``fmpq_mat`` matrices,
so exact evaluation is a few flint matrix products. Floats appear only in
:meth:`Network.evaluate_float`, which exists to guide searches and never decides anything.

JSON format (``robustmem-network/1``; files are read and written by :mod:`certify.io`, this
module touches no file)::

    {"format": "robustmem-network/1",
     "input_dim": d,
     "layers": [{"weight": [[w, ...], ...], "bias": [b, ...]}, ...]}

Numbers are JSON integers or strings: ``"p/q"``, ``"-p/q"``, integer or exact decimal strings
(``"0.125"``). JSON floats are rejected (they are inexact). Writing uses integers and
``"p/q"`` only, so the text of a network is canonical.

Threshold units. A hidden layer may carry ``"activation": "step"`` (absent or ``"relu"``:
ReLU): a step unit applies the Heaviside function H(t) = 1 if t ≥ 0 else 0 (the convention
at 0: H(0) = 1, so the active phase is the closed half-space t ≥ 0). Per unit: the value may
also be a list of ``"relu"``/``"step"``, one per unit of the layer (its output width), for a
mixed layer. The last layer has no activation (and no key). The key is written only for
layers with step units — ``"step"`` when all units are, the list when the layer is mixed — so
ReLU networks keep their text and content hash, and uniform layers their old form.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from flint import fmpq, fmpq_mat

from certify.errors import InputError
from certify.kernel.parse import text_of  # the canonical "p/q" form of a number
from certify.numbers import (
    float_to_fraction,
    fmpq_to_fraction,
    parse_number,
)

__all__ = ["FORMAT", "Layer", "Network"]

FORMAT = "robustmem-network/1"

_LAYER_KEYS = {"weight", "bias"}
ACTIVATIONS = ("relu", "step")
_TOP_KEYS = {"format", "input_dim", "layers"}


@dataclass(frozen=True)
class Layer:
    """One affine layer as exact, immutable data: ``z = weight · v + bias``.

    ``weight[i][j]`` is the weight from input unit j to output unit i.
    """

    weight: tuple[tuple[Fraction, ...], ...]
    bias: tuple[Fraction, ...]
    # applied after the layer: "relu" or "step" for every unit, a tuple of them (one per unit)
    # for a mixed layer; "none" for the last layer
    activation: str | tuple[str, ...] = "relu"

    def is_step(self, i: int) -> bool:
        """Whether output unit i is a step (Heaviside) unit."""
        act = self.activation
        return act == "step" if isinstance(act, str) else act[i] == "step"

    @property
    def in_dim(self) -> int:
        """Number of inputs (columns of ``weight``)."""
        return len(self.weight[0])

    @property
    def out_dim(self) -> int:
        """Number of outputs (rows of ``weight``)."""
        return len(self.weight)


def _is_row_container(v: object) -> bool:
    return isinstance(v, (list, tuple, np.ndarray))


def _matrix_from_rows(
    rows: object, where: str, expected_cols: int | None, *, floats: bool = False
) -> fmpq_mat:
    """Validate a weight matrix given as rows and convert it to an exact fmpq_mat.

    ``expected_cols`` is None only for the first layer when input_dim is inferred.
    ``floats=True`` converts floats to their exact binary value instead of rejecting them.
    """
    if isinstance(rows, fmpq_mat):
        if rows.nrows() == 0:
            raise InputError(f"{where} has no rows; every layer needs at least one output unit")
        if expected_cols is not None and rows.ncols() != expected_cols:
            raise InputError(f"{where} has {rows.ncols()} columns, expected {expected_cols}")
        if rows.ncols() == 0:
            raise InputError(f"{where} has no columns; the input dimension must be at least 1")
        return fmpq_mat(rows)
    if isinstance(rows, np.ndarray) and rows.dtype.kind == "f" and not floats:
        raise InputError(
            f"{where} is a float array; floats are inexact here — "
            "use Network.from_float_arrays to convert floats to their exact binary values"
        )
    if not _is_row_container(rows):
        raise InputError(
            f"{where} must be a list of rows (lists of numbers), got {type(rows).__name__}"
        )
    rows = list(rows)
    if not rows:
        raise InputError(f"{where} has no rows; every layer needs at least one output unit")
    ncols = expected_cols
    entries: list[fmpq] = []
    convert = _to_fmpq_float if floats else _to_fmpq
    for i, row in enumerate(rows):
        if not _is_row_container(row):
            raise InputError(f"{where} row {i} must be a list of numbers, got {type(row).__name__}")
        row = list(row)
        if ncols is None:
            ncols = len(row)
            if ncols == 0:
                raise InputError(f"{where} row 0 is empty; each row needs one entry per input")
        if len(row) != ncols:
            expected = (
                f"expected {ncols} (one per input of this layer)"
                if expected_cols is not None
                else f"expected {ncols} like row 0"
            )
            raise InputError(f"{where} row {i} has {len(row)} entries, {expected}")
        for j, v in enumerate(row):
            entries.append(convert(v, f"{where}[{i}][{j}]"))
    assert ncols is not None
    return fmpq_mat(len(rows), ncols, entries)


def _vector_from_list(values: object, where: str, length: int, *, floats: bool = False) -> fmpq_mat:
    """Validate a bias vector and return it as a length×1 fmpq_mat."""
    if isinstance(values, fmpq_mat):
        if values.ncols() != 1 and values.nrows() == 1:
            values = values.transpose()
        if values.ncols() != 1 or values.nrows() != length:
            raise InputError(
                f"{where} has shape {values.nrows()}x{values.ncols()}, "
                f"expected a column of {length}"
            )
        return fmpq_mat(values)
    if isinstance(values, np.ndarray) and values.dtype.kind == "f" and not floats:
        raise InputError(
            f"{where} is a float array; floats are inexact here — "
            "use Network.from_float_arrays to convert floats to their exact binary values"
        )
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise InputError(f"{where} must be one-dimensional, got shape {values.shape}")
    if not _is_row_container(values):
        raise InputError(f"{where} must be a list of numbers, got {type(values).__name__}")
    values = list(values)
    if len(values) != length:
        raise InputError(
            f"{where} has {len(values)} entries but the weight has {length} rows; "
            "the bias needs one entry per output unit"
        )
    convert = _to_fmpq_float if floats else _to_fmpq
    return fmpq_mat(length, 1, [convert(v, f"{where}[{i}]") for i, v in enumerate(values)])


def _to_fmpq(v: object, where: str) -> fmpq:
    if isinstance(v, fmpq):
        return v
    f = parse_number(v, where)
    return fmpq(f.numerator, f.denominator)


def _to_fmpq_float(v: object, where: str) -> fmpq:
    f = float_to_fraction(v, where)
    return fmpq(f.numerator, f.denominator)


def _relu(m: fmpq_mat) -> fmpq_mat:
    zero = fmpq(0)
    return fmpq_mat(m.nrows(), m.ncols(), [e if e > zero else zero for e in m.entries()])


def _step(m: fmpq_mat) -> fmpq_mat:
    """H entrywise, H(t) = 1 if t ≥ 0 else 0."""
    zero = fmpq(0)
    return fmpq_mat(m.nrows(), m.ncols(), [fmpq(int(e >= zero)) for e in m.entries()])


def _act(m: fmpq_mat, activation: str | tuple[str, ...]) -> fmpq_mat:
    """The activation of a layer applied to its pre-activations ``m`` (one row per unit, one
    column per point); a mixed layer decides row by row."""
    if isinstance(activation, str):
        return _step(m) if activation == "step" else _relu(m)
    zero, n = fmpq(0), m.ncols()
    return fmpq_mat(
        m.nrows(),
        n,
        [
            fmpq(int(e >= zero)) if activation[t // n] == "step" else (e if e > zero else zero)
            for t, e in enumerate(m.entries())
        ],
    )


def _normalise_activation(a: object, k: int, width: int) -> str | tuple[str, ...]:
    """Hidden layer k's activation (1-based ``k``): a string for a uniform layer, a tuple of
    per-unit strings for a mixed one. A list of equal entries becomes that string."""
    if isinstance(a, str):
        if a not in ACTIVATIONS:
            raise InputError(f"layer {k} activation {a!r} is not one of {list(ACTIVATIONS)}")
        return a
    if not isinstance(a, (list, tuple)):
        raise InputError(
            f"layer {k} activation must be one of {list(ACTIVATIONS)} or a list of them "
            f"(one per unit), got {type(a).__name__}"
        )
    if len(a) != width:
        raise InputError(
            f"layer {k} activation list has {len(a)} entries but the layer has {width} units; "
            "give one per unit"
        )
    for i, u in enumerate(a):
        if not isinstance(u, str) or u not in ACTIVATIONS:
            raise InputError(f"layer {k} activation[{i}] is {u!r}, not one of {list(ACTIVATIONS)}")
    acts = tuple(a)
    return acts[0] if all(u == acts[0] for u in acts) else acts


def _texts(A) -> list[list]:
    """The rows of an fmpq matrix as text_of writes each number, from A's integer form
    A = Z/D (one numer_denom, then Python integers: ~3x faster than text_of per entry for
    the 200,000 weights of an MNIST network); integers through text_of itself. A matrix
    whose common denominator is long is written entry by entry."""
    Z, D = A.numer_denom()
    D, m, gcd = int(D), A.ncols(), math.gcd
    if D.bit_length() > 512:  # many unlike denominators: entry by entry (no huge gcds)
        return [[text_of(e) for e in row] for row in A.tolist()]
    out = []
    for n in map(int, Z.entries()):
        g = gcd(n, D)
        p, q = n // g, D // g
        if q == 1 or max(p.bit_length(), q.bit_length()) > 14_000:  # (str()'s digit limit)
            out.append(text_of(fmpq(p, q)))
        else:
            out.append(f"{p}/{q}")
    return [out[i * m : (i + 1) * m] for i in range(A.nrows())]


class Network:
    """An exact feed-forward ReLU network f : R^d -> R^C (ReLU after every layer but the last).

    C = 1 is a scalar memorizer (the property is f = y); C ≥ 2 is a classifier whose output
    index y − 1 is class y (the property is argmax f = y, ties counting as failures).
    Invariants (checked at construction): at least one layer; ``input_dim >= 1``; layer l's
    weight has ``widths[l]`` rows and ``widths[l-1]`` columns, its bias ``widths[l]`` entries.
    Instances are immutable.
    """

    def __init__(
        self,
        weights: Sequence[object],
        biases: Sequence[object],
        input_dim: int | None = None,
        activations: Sequence[str | Sequence[str]] | None = None,
    ) -> None:
        """Build from per-layer weights (lists of rows, or ``fmpq_mat``) and biases.

        Entries may be ints, ``Fraction``, flint ``fmpq`` or exact strings (see
        :func:`certify.numbers.parse_number`); floats are rejected (use
        :meth:`from_float_arrays`). ``input_dim`` defaults to the first weight's column count
        and, when given, must match it. Raises :class:`InputError` naming the layer (1-based)
        and entry (0-based) at fault. ``activations`` gives per hidden layer ``"relu"`` or
        ``"step"``, or a sequence of them with one entry per unit of the layer (a mixed layer;
        equal entries collapse to the string). Default: all ReLU.
        """
        self._init(weights, biases, input_dim, floats=False)
        self._set_activations(activations)

    def _set_activations(self, activations: Sequence[str | Sequence[str]] | None) -> None:
        hidden = len(self._weights) - 1
        acts = ("relu",) * hidden if activations is None else tuple(activations)
        if len(acts) != hidden:
            raise InputError(
                f"got {len(acts)} activations for {hidden} hidden layers; give one per hidden layer"
            )
        self._activations = tuple(
            _normalise_activation(a, k, self._weights[k - 1].nrows())
            for k, a in enumerate(acts, start=1)
        )

    def _init(
        self,
        weights: Sequence[object],
        biases: Sequence[object],
        input_dim: int | None,
        *,
        floats: bool,
    ) -> None:
        if input_dim is not None and (
            isinstance(input_dim, bool) or not isinstance(input_dim, (int, np.integer))
        ):
            raise InputError(f"input_dim must be an integer, got {input_dim!r}")
        if input_dim is not None and input_dim < 1:
            raise InputError(f"input_dim must be at least 1, got {input_dim}")
        if not _is_row_container(weights) or not _is_row_container(biases):
            raise InputError("weights and biases must be lists with one entry per layer")
        weights, biases = list(weights), list(biases)
        if not weights:
            raise InputError("a network needs at least one layer; got an empty list of layers")
        if len(weights) != len(biases):
            raise InputError(
                f"got {len(weights)} weight matrices but {len(biases)} bias vectors; "
                "give one of each per layer"
            )
        ws: list[fmpq_mat] = []
        bs: list[fmpq_mat] = []
        prev = None if input_dim is None else int(input_dim)
        for k, (w, b) in enumerate(zip(weights, biases), start=1):
            W = _matrix_from_rows(w, f"layer {k} weight", None, floats=floats)
            if prev is not None and W.ncols() != prev:
                if k == 1:
                    raise InputError(
                        f"layer 1 weight has {W.ncols()} columns but input_dim is {prev}; "
                        "the first weight needs one column per input coordinate"
                    )
                raise InputError(
                    f"layer {k} weight has {W.ncols()} columns but layer {k - 1} has {prev} "
                    f"outputs (rows); layer {k}'s weight needs one column per output of "
                    f"layer {k - 1}"
                )
            ws.append(W)
            bs.append(_vector_from_list(b, f"layer {k} bias", W.nrows(), floats=floats))
            prev = W.nrows()
        self._weights = ws
        self._biases = bs
        self._input_dim = ws[0].ncols()
        self._layers_cache: tuple[Layer, ...] | None = None
        self._float_cache: list[tuple[np.ndarray, np.ndarray]] | None = None
        self._json_cache: dict[str, Any] | None = None
        self._hash_cache: str | None = None

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_float_arrays(
        cls, weights: Sequence[Any], biases: Sequence[Any], input_dim: int | None = None
    ) -> Network:
        """Build from float (or integer) arrays, converting every float to its exact binary value.

        ``weights[l]`` is a 2-D array of shape (d_l, d_{l-1}); ``biases[l]`` a 1-D array of
        length d_l. NaN/infinity raise :class:`InputError` naming the entry.
        """
        net = cls.__new__(cls)
        net._init(weights, biases, input_dim, floats=True)
        net._set_activations(None)
        return net

    @classmethod
    def from_json(cls, obj: object) -> Network:
        """Build from a parsed ``robustmem-network/1`` JSON object (see module docstring).

        Strict: unknown or missing keys, a wrong format string, non-list containers, ragged
        rows, wrong shapes, floats, bools and NaN raise :class:`InputError` saying where.
        """
        if not isinstance(obj, dict):
            raise InputError(
                f"network JSON must be an object with keys {sorted(_TOP_KEYS)}, "
                f"got {type(obj).__name__}"
            )
        missing = _TOP_KEYS - obj.keys()
        if missing:
            raise InputError(f"network JSON is missing key(s) {sorted(missing)}")
        extra = obj.keys() - _TOP_KEYS
        if extra:
            raise InputError(
                f"network JSON has unknown key(s) {sorted(extra)}; allowed keys are "
                f"{sorted(_TOP_KEYS)}"
            )
        if obj["format"] != FORMAT:
            raise InputError(f'network JSON "format" is {obj["format"]!r}; expected "{FORMAT}"')
        input_dim = obj["input_dim"]
        if isinstance(input_dim, bool) or not isinstance(input_dim, int):
            raise InputError(f'network JSON "input_dim" must be an integer, got {input_dim!r}')
        if input_dim < 1:
            raise InputError(f'network JSON "input_dim" must be at least 1, got {input_dim}')
        layers = obj["layers"]
        if not isinstance(layers, list):
            raise InputError(
                'network JSON "layers" must be a list of layer objects, '
                f"got {type(layers).__name__}"
            )
        if not layers:
            raise InputError('network JSON "layers" is empty; a network needs at least one layer')
        weights, biases, acts = [], [], []
        for k, layer in enumerate(layers, start=1):
            if not isinstance(layer, dict):
                raise InputError(
                    f'layer {k} must be an object with keys "weight" and "bias", '
                    f"got {type(layer).__name__}"
                )
            act = layer.get("activation", "relu")
            if "activation" in layer and k == len(layers):
                raise InputError(
                    f"layer {k} has activation {act!r}; the last layer has no activation"
                )
            if not isinstance(act, (str, list)) or (
                isinstance(act, str) and act not in ACTIVATIONS
            ):
                raise InputError(
                    f"layer {k} has activation {act!r}; allowed values are "
                    f"{list(ACTIVATIONS)} or a list of them, one per unit"
                )
            acts.append(act)
            if layer.keys() - {"activation"} != _LAYER_KEYS:
                missing = sorted(_LAYER_KEYS - layer.keys())
                extra = sorted(layer.keys() - _LAYER_KEYS - {"activation"})
                what = "; ".join(
                    s
                    for s in (
                        f"missing {missing}" if missing else "",
                        f"unknown {extra}" if extra else "",
                    )
                    if s
                )
                raise InputError(
                    f'layer {k} must have exactly the keys "weight" and "bias" ({what})'
                )
            w, b = layer["weight"], layer["bias"]
            if not isinstance(w, list) or not all(isinstance(r, list) for r in w):
                raise InputError(f"layer {k} weight must be a list of rows (JSON arrays)")
            if not isinstance(b, list):
                raise InputError(f"layer {k} bias must be a JSON array of numbers")
            weights.append(w)
            biases.append(b)
        return cls(weights, biases, input_dim=input_dim, activations=acts[:-1])

    # ------------------------------------------------------------------ shape and size

    @property
    def activations(self) -> tuple[str | tuple[str, ...], ...]:
        """Per hidden layer (length ``depth − 1``): "relu" or "step" when every unit of the
        layer has that activation, else (a mixed layer) a tuple with one of them per unit."""
        return self._activations

    def step_units(self, k: int) -> tuple[bool, ...]:
        """For hidden layer k (0-based, k < depth − 1): per unit, whether it is a step unit."""
        act = self._activations[k]
        n = self._weights[k].nrows()
        return (act == "step",) * n if isinstance(act, str) else tuple(a == "step" for a in act)

    @property
    def has_step(self) -> bool:
        """True when some hidden unit is a step (Heaviside) unit."""
        return any(
            a == "step" or (not isinstance(a, str) and "step" in a) for a in self._activations
        )

    @property
    def input_dim(self) -> int:
        """d = d_0, the input dimension."""
        return self._input_dim

    @property
    def depth(self) -> int:
        """L, the number of affine layers (hidden layers + 1)."""
        return len(self._weights)

    @property
    def widths(self) -> list[int]:
        """[d_0, d_1, ..., d_L] with d_0 = input_dim and d_L = 1."""
        return [self._input_dim] + [W.nrows() for W in self._weights]

    @property
    def width(self) -> int:
        """Maximum hidden width max(d_1..d_{L-1}); 0 when L = 1 (an affine map, no hidden layer)."""
        hidden = self.widths[1:-1]
        return max(hidden) if hidden else 0

    def num_params(self) -> int:
        """P = Σ_l (d_{l-1} + 1)·d_l: all weights and biases, zeros included."""
        w = self.widths
        return sum((w[i - 1] + 1) * w[i] for i in range(1, len(w)))

    def num_nonzero(self) -> int:
        """Number of nonzero weights and biases."""
        return sum(sum(1 for e in M.entries() if e != 0) for M in (*self._weights, *self._biases))

    def _all_params(self) -> Iterable[fmpq]:
        for M in (*self._weights, *self._biases):
            yield from M.entries()

    def is_dyadic(self) -> bool:
        """True when every parameter has a power-of-two denominator (fixed point is exact)."""
        return all(_is_power_of_two(int(e.q)) for e in self._all_params())

    def fixed_point_format(self) -> tuple[int, int] | None:
        """(I, F) of the smallest common fixed-point format holding every parameter, or None.

        F = max over parameters of the exponent e of the denominator 2^e (fraction bits);
        I = max over parameters of the bit length of ⌊|w|⌋ (integer bits). Then every
        parameter is ±k/2^F with 0 <= k < 2^(I+F). None if some parameter is not dyadic.
        """
        int_bits = 0
        frac_bits = 0
        for e in self._all_params():
            q = int(e.q)
            if not _is_power_of_two(q):
                return None
            frac_bits = max(frac_bits, q.bit_length() - 1)
            int_bits = max(int_bits, (abs(int(e.p)) // q).bit_length())
        return int_bits, frac_bits

    def bit_complexity(self) -> int:
        """Bits per parameter.

        Dyadic networks (every denominator a power of two): 1 + I + F, the width of one
        common signed fixed-point format (1 sign bit, I integer bits, F fraction bits; see
        :meth:`fixed_point_format`) that represents every parameter exactly. An all-zero
        network has bit complexity 1.

        Otherwise (some denominator is not a power of two, so no fixed-point format is
        exact): max over parameters p/q (reduced, q > 0) of 1 + bitlen(|p|) + bitlen(q), the
        size of a sign + numerator + denominator encoding. Use :meth:`is_dyadic` to tell
        which definition applied.
        """
        fmt = self.fixed_point_format()
        if fmt is not None:
            return 1 + fmt[0] + fmt[1]
        return max(
            1 + abs(int(e.p)).bit_length() + int(e.q).bit_length() for e in self._all_params()
        )

    # ------------------------------------------------------------------ exact data access

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The layers as exact immutable data (Fractions), first layer first."""
        if self._layers_cache is None:
            out = []
            acts = (*self._activations, "none")
            for W, b, act in zip(self._weights, self._biases, acts):
                rows = W.tolist()
                weight = tuple(tuple(fmpq_to_fraction(e) for e in row) for row in rows)
                bias = tuple(fmpq_to_fraction(e) for e in b.entries())
                out.append(Layer(weight, bias, act))
            self._layers_cache = tuple(out)
        return self._layers_cache

    def flint_layers(self) -> list[tuple[fmpq_mat, fmpq_mat]]:
        """Fresh copies of (W_l, b_l) as flint matrices: W_l is d_l×d_{l-1}, b_l is d_l×1."""
        return [(fmpq_mat(W), fmpq_mat(b)) for W, b in zip(self._weights, self._biases)]

    # ------------------------------------------------------------------ evaluation

    def _input_column(self, x: Sequence[object]) -> fmpq_mat:
        if not _is_row_container(x):
            raise InputError(f"network input must be a sequence of numbers, got {type(x).__name__}")
        x = list(x)
        if len(x) != self._input_dim:
            raise InputError(
                f"network input has {len(x)} coordinates but the network's input_dim is "
                f"{self._input_dim}"
            )
        return fmpq_mat(len(x), 1, [_to_fmpq(v, f"input[{i}]") for i, v in enumerate(x)])

    @property
    def output_dim(self) -> int:
        """C, the number of outputs (1 for a scalar memorizer)."""
        return self._weights[-1].nrows()

    def _scalar_only(self, what: str) -> None:
        if self.output_dim != 1:
            raise InputError(
                f"{what} needs a network with one output; this one has {self.output_dim} "
                "(a classifier): use evaluate_vector"
            )

    def evaluate(self, x: Sequence[object]) -> Fraction:
        """f(x), exactly; ``x`` holds ``input_dim`` exact numbers (int, Fraction, fmpq, str).
        Scalar networks only (see :meth:`evaluate_vector`)."""
        self._scalar_only("evaluate")
        return self.evaluate_vector(x)[0]

    def evaluate_vector(self, x: Sequence[object]) -> tuple[Fraction, ...]:
        """(f_1(x), ..., f_C(x)), exactly."""
        v = self._input_column(x)
        last = len(self._weights) - 1
        for k, (W, b) in enumerate(zip(self._weights, self._biases)):
            z = W * v + b
            v = z if k == last else _act(z, self._activations[k])
        return tuple(fmpq_to_fraction(e) for e in v.entries())

    def margins(self, label: int) -> Network:
        """For a classifier and class ``label`` (1..C): the network g(x) = (f_y − f_j)_{j ≠ y}
        (j increasing; C − 1 outputs, the last layer multiplied exactly), so that
        argmax f(x) = y without ties iff g(x) > 0 componentwise."""
        C = self.output_dim
        if not 1 <= label <= C:
            raise InputError(f"label {label} is not a class of this network (classes 1..{C})")
        W, b = self._weights[-1], self._biases[-1]
        k = label - 1
        rows = [[W[k, i] - W[j, i] for i in range(W.ncols())] for j in range(C) if j != k]
        bias = [b[k, 0] - b[j, 0] for j in range(C) if j != k]
        return Network(
            [*self._weights[:-1], fmpq_mat(rows)],
            [*self._biases[:-1], fmpq_mat(len(bias), 1, bias)],
            activations=self._activations,
        )

    def evaluate_many(self, points: Sequence[Sequence[object]]) -> list[Fraction]:
        """[f(x) for x in points], exactly, evaluated as one batch of matrix products."""
        self._scalar_only("evaluate_many")
        points = list(points)
        if not points:
            return []
        cols = [self._input_column(x) for x in points]
        n = len(cols)
        d = self._input_dim
        entries = [cols[j][i, 0] for i in range(d) for j in range(n)]
        V = fmpq_mat(d, n, entries)
        last = len(self._weights) - 1
        for k, (W, b) in enumerate(zip(self._weights, self._biases)):
            B = fmpq_mat(b.nrows(), n, [e for e in b.entries() for _ in range(n)])
            Z = W * V + B
            V = Z if k == last else _act(Z, self._activations[k])
        return [fmpq_to_fraction(e) for e in V.entries()]

    def pre_activations(self, x: Sequence[object]) -> list[list[Fraction]]:
        """Exact pre-activations z_1..z_L at x: z_l = W_l a_{l-1} + b_l, a_0 = x, a_l = ReLU(z_l)
        (H(z) for a step unit, whose phase is z ≥ 0).

        The last entry is [f(x)]. The activation pattern of hidden layer l is [z > 0 for z in
        result[l-1]].
        """
        v = self._input_column(x)
        out: list[list[Fraction]] = []
        for k, (W, b) in enumerate(zip(self._weights, self._biases)):
            z = W * v + b
            out.append([fmpq_to_fraction(e) for e in z.entries()])
            if k < len(self._activations):
                v = _act(z, self._activations[k])
        return out

    def evaluate_float(self, X: Any) -> np.ndarray:
        """Float64 evaluation for guiding searches only — never for decisions.

        ``X`` of shape (n, d) gives shape (n,); shape (d,) gives a 0-d array. Scalar networks
        only.
        """
        self._scalar_only("evaluate_float")
        if self._float_cache is None:
            self._float_cache = [
                (
                    np.array([[float(fmpq_to_fraction(e)) for e in row] for row in W.tolist()]),
                    np.array([float(fmpq_to_fraction(e)) for e in b.entries()]),
                )
                for W, b in zip(self._weights, self._biases)
            ]
        A = np.asarray(X, dtype=np.float64)
        single = A.ndim == 1
        if single:
            A = A[None, :]
        if A.ndim != 2 or A.shape[1] != self._input_dim:
            raise InputError(
                f"evaluate_float needs an array of shape (n, {self._input_dim}) or "
                f"({self._input_dim},), got shape {np.shape(X)}"
            )
        last = len(self._float_cache) - 1
        for k, (W, b) in enumerate(self._float_cache):
            A = A @ W.T + b
            if k != last:
                act = self._activations[k]
                if act == "step":
                    A = (A >= 0.0).astype(np.float64)
                elif act == "relu":
                    np.maximum(A, 0.0, out=A)
                else:  # mixed: per unit (column)
                    mask = np.array(self.step_units(k))
                    A = np.where(mask, (A >= 0.0).astype(np.float64), np.maximum(A, 0.0))
        out = A[:, 0]
        return out.reshape(()) if single else out

    # ------------------------------------------------------------------ serialisation

    def to_json(self) -> dict[str, Any]:
        """The ``robustmem-network/1`` JSON object (numbers as ints or ``"p/q"`` strings).

        The returned dict is a fresh copy; ``Network.from_json(net.to_json()) == net``.
        """
        return json.loads(json.dumps(self._json_obj()))

    def _json_obj(self) -> dict[str, Any]:
        """The cached ``robustmem-network/1`` object itself (callers must not change it)."""
        if self._json_cache is None:
            self._json_cache = {
                "format": FORMAT,
                "input_dim": self._input_dim,
                "layers": [
                    {
                        "weight": _texts(W),
                        "bias": [r[0] for r in _texts(b)],
                        **(
                            {}
                            if act == "relu"
                            else {"activation": act if isinstance(act, str) else list(act)}
                        ),
                    }
                    for W, b, act in zip(self._weights, self._biases, (*self._activations, "relu"))
                ],
            }
        return self._json_cache

    def to_json_text(self) -> str:
        """Human-readable JSON text: one weight row per line; ends with a newline."""
        obj = self._json_obj()
        dump = json.dumps
        parts = [
            "{\n",
            f'  "format": {dump(FORMAT)},\n',
            f'  "input_dim": {self._input_dim},\n',
            '  "layers": [\n',
        ]
        layer_texts = []
        for layer in obj["layers"]:
            rows = ",\n".join("        " + dump(r) for r in layer["weight"])
            layer_texts.append(
                '    {\n      "weight": [\n'
                + rows
                + "\n      ],\n"
                + f'      "bias": {dump(layer["bias"])}'
                + (
                    f',\n      "activation": {dump(layer["activation"])}'
                    if "activation" in layer
                    else ""
                )
                + "\n    }"
            )
        parts.append(",\n".join(layer_texts))
        parts.append("\n  ]\n}\n")
        return "".join(parts)

    def content_hash(self) -> str:
        """sha256 (hex) of the canonical JSON (sorted keys, no spaces) of :meth:`to_json`.

        Equal networks (same input_dim and exact parameters) have equal hashes.
        """
        if self._hash_cache is None:
            if self._json_cache is None:
                self.to_json()
            text = json.dumps(self._json_cache, sort_keys=True, separators=(",", ":"))
            self._hash_cache = hashlib.sha256(text.encode("ascii")).hexdigest()
        return self._hash_cache

    # ------------------------------------------------------------------ dunder

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        return (
            self._input_dim == other._input_dim
            and self._activations == other._activations
            and len(self._weights) == len(other._weights)
            and all(
                a.nrows() == b.nrows() and a.ncols() == b.ncols() and a == b
                for a, b in zip((*self._weights, *self._biases), (*other._weights, *other._biases))
            )
        )

    def __hash__(self) -> int:
        return hash(self.content_hash())

    def __repr__(self) -> str:
        return (
            f"Network(input_dim={self._input_dim}, widths={self.widths}, "
            f"params={self.num_params()})"
        )


def _is_power_of_two(q: int) -> bool:
    return q > 0 and q & (q - 1) == 0
