"""ONNX import and export for exact feed-forward ReLU networks.

Import (:func:`load_onnx`, :func:`network_from_onnx`) reads a model as a function of ONE
sample and returns the exact :class:`~certify.network.Network` it computes:

* supported operators (default domain only): ``Gemm`` (``transA``, ``transB``, ``alpha``,
  ``beta``), ``MatMul``, ``Add``, ``Sub``, ``Mul``, ``Div`` and ``Neg`` with one constant
  operand, ``Relu``, ``Flatten``, ``Reshape``, ``Identity``, ``Constant``;
* weights come from initializers or ``Constant`` nodes; float16/32/64 values become their
  EXACT binary rational value (no rounding anywhere), integer tensors are exact too;
* consecutive affine operators are merged exactly (``MatMul`` then ``Add`` is one layer;
  two ``Gemm`` in a row compose into one); a ``Relu`` closes a layer; ``Relu`` twice is
  ``Relu`` once; a ``Relu`` on the output is supported explicitly: the imported network
  gets a final identity layer (weight ``I``, bias ``0``) after it, which is the same
  function;
* exactly one graph input (after removing initializers listed as inputs) of element type
  float/double/float16, shape ``[d]``, ``[B, d]`` or ``[B, d1, d2, ...]`` where ``B`` is 1 or
  symbolic (read as 1) and every other dimension is known; exactly one graph output with
  C ≥ 1 elements (shape ``[1, C]``, ``[C]``, ...: at most one dimension above 1). C = 1 is
  a scalar memorizer; C ≥ 2 a classifier whose output index y − 1 is class y.

Anything else raises :class:`~certify.errors.InputError` naming the operator and node.

Export (:func:`network_to_onnx`; :func:`certify.io.save_onnx` writes the file) builds input
``X`` of shape ``[1, d]`` (float64), one ``Gemm`` (``transB=1``, weight of shape
``[d_l, d_{l-1}]`` like PyTorch's ``Linear``) per layer with a ``Relu`` between layers, and
output ``Y`` of shape ``[1, C]``.
Initializers are float64: a weight that is not a float64 (a non-dyadic rational, or too many
bits) is rounded to nearest, so that export is inexact. The model's ``doc_string`` and
metadata (``robustmem_exact``, ``robustmem_inexact_params``, ``robustmem_sha256``) say whether
it was exact; :class:`OnnxExport` reports it too.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from flint import fmpq, fmpq_mat

from certify.errors import InputError
from certify.network import Network

__all__ = [
    "SUPPORTED_OPS",
    "OnnxExport",
    "load_onnx",
    "network_from_onnx",
    "network_to_onnx",
]

SUPPORTED_OPS = (
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "Relu",
    "Flatten",
    "Reshape",
    "Identity",
    "Constant",
)
EXPORT_OPSET = 13
EXPORT_IR_VERSION = 8  # readable by onnxruntime >= 1.10 and by Marabou's parser


def _onnx():
    try:
        import onnx
    except ImportError:  # pragma: no cover - onnx is a runtime dependency
        raise InputError(
            "reading or writing .onnx files needs the 'onnx' package: pip install onnx"
        ) from None
    return onnx


# ------------------------------------------------------------------------------ import


@dataclass
class _Const:
    """A constant tensor (float or integer numpy array; exact conversion happens on use)."""

    value: np.ndarray


@dataclass
class _Sym:
    """A tensor that depends on the network input.

    Its flattened (row-major) value is ``W · a + b`` where ``a`` is the input (no ReLU yet)
    or the output of the last ReLU of ``layers``; ``layers`` are the finished affine layers,
    each followed by a ReLU. ``W`` is None for the identity (kept implicit: an identity of the
    input size of a wide model would make every later product needlessly expensive).
    ``fresh`` is True when the value IS ``a`` after a ReLU (so a second ReLU changes nothing).
    """

    shape: tuple[int, ...]
    layers: list[tuple[fmpq_mat, fmpq_mat]]
    W: fmpq_mat | None
    b: fmpq_mat
    fresh: bool = False

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    def weight(self) -> fmpq_mat:
        return _identity(self.size) if self.W is None else self.W

    def affine(self, M: fmpq_mat, c: fmpq_mat, shape: tuple[int, ...]) -> _Sym:
        """The value M · (this) + c, with the given new shape."""
        W = M if self.W is None else M * self.W
        return _Sym(shape, self.layers, W, M * self.b + c)

    def shifted(self, c: fmpq_mat, shape: tuple[int, ...]) -> _Sym:
        """The value (this) + c."""
        return _Sym(shape, self.layers, self.W, self.b + c)

    def scaled(self, s: list[fmpq], shape: tuple[int, ...]) -> _Sym:
        """The value diag(s) · (this), row by row."""
        b = fmpq_mat(len(s), 1, [e * k for e, k in zip(self.b.entries(), s)])
        if self.W is None:
            return _Sym(shape, self.layers, _diag(s), b)
        m = self.W.ncols()
        entries = self.W.entries()
        W = fmpq_mat(len(s), m, [e * s[i // m] for i, e in enumerate(entries)])
        return _Sym(shape, self.layers, W, b)

    def reshaped(self, shape: tuple[int, ...]) -> _Sym:
        return _Sym(shape, self.layers, self.W, self.b, self.fresh)


def _fmpq_of(v: Any, where: str) -> fmpq:
    if isinstance(v, (np.integer, int)) and not isinstance(v, (bool, np.bool_)):
        return fmpq(int(v))
    f = float(v)
    if not math.isfinite(f):
        raise InputError(f"{where}: {f} is not a finite number; only finite weights allowed")
    n, d = f.as_integer_ratio()  # float16/32 -> float64 is exact, so this is the exact value
    return fmpq(n, d)


def _exact_entries(arr: np.ndarray, where: str) -> list[fmpq]:
    if arr.dtype.kind not in "fiu":
        raise InputError(f"{where}: unsupported tensor element type {arr.dtype}")
    flat = arr.reshape(-1)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(flat)
        if bad.any():
            k = int(np.argmax(bad))
            raise InputError(f"{where}: entry {k} is {flat[k]}; only finite weights allowed")
        cache: dict[float, fmpq] = {}
        out = []
        for v in flat.tolist():
            q = cache.get(v)
            if q is None:
                n, d = float(v).as_integer_ratio()
                q = cache[v] = fmpq(n, d)
            out.append(q)
        return out
    return [fmpq(int(v)) for v in flat.tolist()]


def _exact_matrix(arr: np.ndarray, where: str) -> fmpq_mat:
    assert arr.ndim == 2
    return fmpq_mat(arr.shape[0], arr.shape[1], _exact_entries(arr, where))


def _exact_column(arr: np.ndarray, where: str) -> fmpq_mat:
    entries = _exact_entries(arr, where)
    return fmpq_mat(len(entries), 1, entries)


def _identity(n: int) -> fmpq_mat:
    M = fmpq_mat(n, n)
    for i in range(n):
        M[i, i] = 1
    return M


def _diag(values: list[fmpq]) -> fmpq_mat:
    M = fmpq_mat(len(values), len(values))
    for i, v in enumerate(values):
        M[i, i] = v
    return M


def _node_name(node: Any, k: int) -> str:
    return f"{node.op_type} node {node.name!r}" if node.name else f"{node.op_type} node #{k}"


def _elem_shape(vi: Any) -> tuple[list[int | None], int]:
    t = vi.type
    if not t.HasField("tensor_type"):
        raise InputError(f"graph value {vi.name!r} is not a tensor; only tensors are supported")
    tt = t.tensor_type
    dims: list[int | None] = []
    if tt.HasField("shape"):
        for dim in tt.shape.dim:
            dims.append(dim.dim_value if dim.HasField("dim_value") else None)
    else:
        raise InputError(f"graph input {vi.name!r} has no shape; give it a static shape")
    return dims, tt.elem_type


def _input_sym(vi: Any) -> _Sym:
    onnx = _onnx()
    dims, elem = _elem_shape(vi)
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16}
    if elem not in floats:
        raise InputError(
            f"graph input {vi.name!r} has element type "
            f"{onnx.TensorProto.DataType.Name(elem)}; expected float, double or float16"
        )
    if not dims:
        raise InputError(f"graph input {vi.name!r} is a scalar; expected shape [d] or [1, d]")
    if len(dims) == 1:
        shape = dims
    else:
        if dims[0] not in (None, 0, 1):
            raise InputError(
                f"graph input {vi.name!r} has batch dimension {dims[0]}; robustmem reads a "
                "model as a function of one sample: use batch size 1 or a symbolic batch"
            )
        shape = [1, *dims[1:]]
    if any(s is None or s <= 0 for s in shape):
        raise InputError(
            f"graph input {vi.name!r} has shape {dims} with an unknown or zero feature "
            "dimension; every dimension but the batch must be a known positive size"
        )
    shape_t = tuple(int(s) for s in shape)
    n = int(np.prod(shape_t))
    return _Sym(shape_t, [], None, fmpq_mat(n, 1))


def _broadcast_const(c: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
    """c broadcast to ``shape`` (the symbolic operand's shape); other results are errors."""
    try:
        out_shape = np.broadcast_shapes(c.shape, shape)
    except ValueError:
        raise InputError(
            f"{where}: constant of shape {list(c.shape)} does not broadcast to the input's "
            f"shape {list(shape)}"
        ) from None
    if int(np.prod(out_shape, dtype=np.int64)) != int(np.prod(shape, dtype=np.int64)):
        raise InputError(
            f"{where}: constant of shape {list(c.shape)} would broadcast the input of shape "
            f"{list(shape)} to {list(out_shape)}; a per-sample network cannot grow like that"
        )
    return np.broadcast_to(c.reshape((1,) * (len(out_shape) - c.ndim) + c.shape), out_shape)


def _broadcast_shape(c: np.ndarray, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(s) for s in np.broadcast_shapes(c.shape, shape))


def _attr(node: Any, name: str, default: Any) -> Any:
    onnx = _onnx()
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _constant_value(node: Any, where: str) -> np.ndarray:
    onnx = _onnx()
    if len(node.attribute) != 1:
        raise InputError(f"{where}: a Constant node needs exactly one value attribute")
    a = node.attribute[0]
    v = onnx.helper.get_attribute_value(a)
    if a.name == "value":
        return onnx.numpy_helper.to_array(v)
    if a.name in ("value_float", "value_int"):
        return np.array(v)
    if a.name in ("value_floats", "value_ints"):
        return np.array(list(v))
    raise InputError(f"{where}: Constant attribute {a.name!r} is not supported")


def _float_scalar(v: float) -> fmpq:
    n, d = float(v).as_integer_ratio()
    return fmpq(n, d)


def _gemm(node: Any, a: Any, b: Any, c: Any, where: str) -> _Sym:
    alpha = _float_scalar(_attr(node, "alpha", 1.0))
    beta = _float_scalar(_attr(node, "beta", 1.0))
    trans_a = int(_attr(node, "transA", 0))
    trans_b = int(_attr(node, "transB", 0))
    if isinstance(c, _Sym):
        raise InputError(
            f"{where}: the bias C depends on the network input (a skip connection); "
            "only constant biases are supported"
        )
    if isinstance(a, _Sym) == isinstance(b, _Sym):
        raise InputError(
            f"{where}: exactly one of the operands A, B must depend on the network input "
            "and the other must be a constant weight"
        )
    sym, const = (a, b) if isinstance(a, _Sym) else (b, a)
    if len(sym.shape) != 2 or const.value.ndim != 2:
        raise InputError(
            f"{where}: Gemm needs 2-D operands, got shapes {list(sym.shape)} and "
            f"{list(const.value.shape)}; insert a Flatten before it"
        )
    if isinstance(a, _Sym):
        rows, k = sym.shape if not trans_a else sym.shape[::-1]
        B = const.value.T if trans_b else const.value
        if rows != 1 or B.shape[0] != k:
            raise InputError(
                f"{where}: A' has shape [{rows}, {k}] and B' has shape {list(B.shape)}; "
                "expected A' = [1, K] (one sample) and B' = [K, N]"
            )
        out_shape = (1, B.shape[1])
        M = _exact_matrix(np.ascontiguousarray(B.T), f"{where} weight")  # Y^T = B'^T A'^T
    else:
        k, cols = sym.shape if not trans_b else sym.shape[::-1]
        A = const.value.T if trans_a else const.value
        if cols != 1 or A.shape[1] != k:
            raise InputError(
                f"{where}: A' has shape {list(A.shape)} and B' has shape [{k}, {cols}]; "
                "expected A' = [M, K] and B' = [K, 1] (one sample as a column)"
            )
        out_shape = (A.shape[0], 1)
        M = _exact_matrix(np.ascontiguousarray(A), f"{where} weight")
    M = M * alpha
    n = out_shape[0] * out_shape[1]
    if c is None:
        bias = fmpq_mat(n, 1)
    else:
        bias = _exact_column(_broadcast_const(c.value, out_shape, where), f"{where} bias") * beta
    return sym.affine(M, bias, out_shape)


def _matmul(a: Any, b: Any, where: str) -> _Sym:
    if isinstance(a, _Sym) == isinstance(b, _Sym):
        raise InputError(
            f"{where}: exactly one operand must depend on the network input and the other "
            "must be a constant weight"
        )
    if isinstance(a, _Sym):
        W = b.value
        if W.ndim != 2:
            raise InputError(f"{where}: the constant weight must be 2-D, got {list(W.shape)}")
        shape = a.shape
        if len(shape) == 1:
            out_shape: tuple[int, ...] = (W.shape[1],)
            k = shape[0]
        else:
            if int(np.prod(shape[:-1])) != 1:
                raise InputError(
                    f"{where}: input of shape {list(shape)} has more than one row; "
                    "expected one sample [1, K] or [K]"
                )
            k = shape[-1]
            out_shape = (*shape[:-1], W.shape[1])
        if W.shape[0] != k:
            raise InputError(
                f"{where}: input has {k} features but the weight has shape {list(W.shape)}"
            )
        M = _exact_matrix(np.ascontiguousarray(W.T), f"{where} weight")
        return a.affine(M, fmpq_mat(M.nrows(), 1), out_shape)
    W = a.value
    shape = b.shape
    if W.ndim != 2 or len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        raise InputError(
            f"{where}: constant @ input needs a 2-D weight and an input [K] or [K, 1]; got "
            f"{list(W.shape)} and {list(shape)}"
        )
    if W.shape[1] != shape[0]:
        raise InputError(f"{where}: weight {list(W.shape)} does not match input {list(shape)}")
    out_shape = (W.shape[0],) if len(shape) == 1 else (W.shape[0], 1)
    M = _exact_matrix(np.ascontiguousarray(W), f"{where} weight")
    return b.affine(M, fmpq_mat(M.nrows(), 1), out_shape)


def _elementwise(op: str, a: Any, b: Any, where: str) -> _Sym:
    if isinstance(a, _Sym) and isinstance(b, _Sym):
        raise InputError(
            f"{where}: both operands depend on the network input (a skip connection or "
            "branch); only one-operand-constant affine operators are supported"
        )
    sym_first = isinstance(a, _Sym)
    sym, const = (a, b) if sym_first else (b, a)
    out_shape = _broadcast_shape(const.value, sym.shape)
    c = _exact_entries(_broadcast_const(const.value, sym.shape, where), f"{where} constant")
    n = sym.size
    if op == "Add":
        return sym.shifted(fmpq_mat(n, 1, c), out_shape)
    if op == "Sub":
        if sym_first:  # input − c
            return sym.shifted(fmpq_mat(n, 1, [-e for e in c]), out_shape)
        return sym.scaled([fmpq(-1)] * n, out_shape).shifted(fmpq_mat(n, 1, c), out_shape)
    if op == "Mul":
        return sym.scaled(c, out_shape)
    # Div
    if not sym_first:
        raise InputError(f"{where}: constant / input is not affine; only input / constant is")
    if any(e == 0 for e in c):
        raise InputError(f"{where}: division by a zero constant")
    return sym.scaled([1 / e for e in c], out_shape)


def _reshape(sym: _Sym, target: np.ndarray, where: str) -> tuple[int, ...]:
    if target.dtype.kind not in "iu" or target.ndim != 1:
        raise InputError(f"{where}: the shape must be a 1-D integer tensor")
    dims = [int(v) for v in target.tolist()]
    out: list[int] = []
    for i, v in enumerate(dims):
        if v == 0:
            if i >= len(sym.shape):
                raise InputError(f"{where}: shape entry 0 at position {i} has no input dim")
            out.append(sym.shape[i])
        else:
            out.append(v)
    if out.count(-1) > 1:
        raise InputError(f"{where}: at most one -1 is allowed in a Reshape shape")
    known = int(np.prod([v for v in out if v != -1], dtype=np.int64))
    if -1 in out:
        if known <= 0 or sym.size % known:
            raise InputError(f"{where}: cannot reshape {list(sym.shape)} to {dims}")
        out[out.index(-1)] = sym.size // known
    if any(v <= 0 for v in out) or int(np.prod(out, dtype=np.int64)) != sym.size:
        raise InputError(
            f"{where}: cannot reshape {list(sym.shape)} ({sym.size} values of one sample) to {dims}"
        )
    return tuple(out)


def network_from_onnx(model: Any, source: str = "ONNX model") -> Network:
    """The exact network an ONNX ``ModelProto`` computes (see the module docstring)."""
    onnx = _onnx()
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    inputs = [vi for vi in graph.input if vi.name not in inits]
    if len(inputs) != 1:
        names = [vi.name for vi in inputs]
        raise InputError(
            f"{source}: the graph has {len(inputs)} inputs {names}; robustmem networks have "
            "exactly one input"
        )
    if len(graph.output) != 1:
        names = [vi.name for vi in graph.output]
        raise InputError(
            f"{source}: the graph has {len(graph.output)} outputs {names}; robustmem networks "
            "have exactly one output tensor (one value, or C class scores)"
        )
    values: dict[str, _Const | _Sym] = {}
    for t in graph.initializer:
        values[t.name] = _Const(onnx.numpy_helper.to_array(t))
    values[inputs[0].name] = _input_sym(inputs[0])

    for k, node in enumerate(graph.node):
        where = f"{source}: {_node_name(node, k)}"
        op = node.op_type
        if node.domain not in ("", "ai.onnx") or op not in SUPPORTED_OPS:
            dom = f" (domain {node.domain!r})" if node.domain not in ("", "ai.onnx") else ""
            raise InputError(
                f"{where}: unsupported ONNX operator {op!r}{dom}; robustmem imports "
                f"feed-forward ReLU networks built from {', '.join(SUPPORTED_OPS)}"
            )
        args: list[Any] = []
        for name in node.input:
            if name == "":
                args.append(None)
                continue
            if name not in values:
                raise InputError(f"{where}: input {name!r} is not defined before this node")
            args.append(values[name])
        if len(node.output) != 1:
            raise InputError(f"{where}: expected one output, got {len(node.output)}")
        result: _Const | _Sym
        if op == "Constant":
            result = _Const(_constant_value(node, where))
        elif all(isinstance(a, _Const) or a is None for a in args):
            result = _fold_constant(op, node, args, where)
        elif op == "Identity":
            result = args[0]
        elif op == "Relu":
            s = args[0]
            if s.fresh:
                result = s
            else:
                n = s.size
                layers = [*s.layers, (s.weight(), s.b)]
                result = _Sym(s.shape, layers, None, fmpq_mat(n, 1), True)
        elif op == "Gemm":
            if len(args) < 2:
                raise InputError(f"{where}: Gemm needs inputs A and B")
            result = _gemm(node, args[0], args[1], args[2] if len(args) > 2 else None, where)
        elif op == "MatMul":
            result = _matmul(args[0], args[1], where)
        elif op in ("Add", "Sub", "Mul", "Div"):
            result = _elementwise(op, args[0], args[1], where)
        elif op == "Neg":
            s = args[0]
            result = s.scaled([fmpq(-1)] * s.size, s.shape)
        elif op == "Flatten":
            s = args[0]
            axis = int(_attr(node, "axis", 1))
            r = len(s.shape)
            if axis < 0:
                axis += r
            if not 0 <= axis <= r:
                raise InputError(f"{where}: axis {axis} out of range for shape {list(s.shape)}")
            lead = int(np.prod(s.shape[:axis], dtype=np.int64))
            result = s.reshaped((lead, s.size // lead))
        elif op == "Reshape":
            s, shp = args[0], args[1]
            if not isinstance(shp, _Const):
                raise InputError(f"{where}: the target shape must be a constant")
            if int(_attr(node, "allowzero", 0)):
                raise InputError(f"{where}: Reshape with allowzero=1 is not supported")
            result = s.reshaped(_reshape(s, shp.value, where))
        else:  # pragma: no cover - SUPPORTED_OPS is exhaustive above
            raise InputError(f"{where}: unsupported ONNX operator {op!r}")
        values[node.output[0]] = result

    out_name = graph.output[0].name
    if out_name not in values:
        raise InputError(f"{source}: the graph output {out_name!r} is never computed")
    out = values[out_name]
    if isinstance(out, _Const):
        raise InputError(f"{source}: the output {out_name!r} does not depend on the input")
    if sum(n > 1 for n in out.shape) > 1:
        raise InputError(
            f"{source}: the output {out_name!r} has shape {list(out.shape)} ({out.size} values "
            "per sample); robustmem networks output one value or a vector of C class scores "
            "(shape [1, C] or [C])"
        )
    layers = [*out.layers, (out.weight(), out.b)]
    return Network([W for W, _ in layers], [b for _, b in layers])


def _fold_constant(op: str, node: Any, args: list[Any], where: str) -> _Const:
    """Operators applied to constants only (e.g. a reshaped weight), evaluated in numpy."""
    vals = [a.value if a is not None else None for a in args]
    if op == "Identity":
        return _Const(vals[0])
    if op == "Reshape":
        return _Const(vals[0].reshape([int(v) for v in vals[1].tolist()]))
    if op == "Neg":
        return _Const(-vals[0])
    raise InputError(
        f"{where}: operator {op!r} on constants only is not supported (fold it before export)"
    )


def load_onnx(path: str | os.PathLike[str]) -> Network:
    """Read an ``.onnx`` file into an exact network. Problems raise InputError with the path."""
    onnx = _onnx()
    p = os.fspath(path)
    try:
        model = onnx.load(p)
    except FileNotFoundError as e:
        raise InputError(f"cannot read network file {p}: {e}") from None
    except Exception as e:  # protobuf DecodeError and friends
        raise InputError(f"{p}: not a readable ONNX model: {e}") from None
    return network_from_onnx(model, p)


# ------------------------------------------------------------------------------ export


@dataclass(frozen=True)
class OnnxExport:
    """What an export did: ``exact`` is True when every parameter is a float64."""

    params: int
    inexact_params: int
    network_sha256: str

    @property
    def exact(self) -> bool:
        return self.inexact_params == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "inexact_params": self.inexact_params,
            "exact": self.exact,
            "network_sha256": self.network_sha256,
        }


def _to_float64(M: fmpq_mat) -> tuple[np.ndarray, int]:
    vals = []
    inexact = 0
    for e in M.entries():
        q = Fraction(int(e.p), int(e.q))
        try:
            f = float(q)  # correctly rounded
        except OverflowError:
            raise InputError(
                f"parameter {q} is beyond the float64 range; it cannot be exported to ONNX"
            ) from None
        if Fraction(f) != q:
            inexact += 1
        vals.append(f)
    return np.array(vals, dtype=np.float64).reshape(M.nrows(), M.ncols()), inexact


def network_to_onnx(net: Network) -> tuple[Any, OnnxExport]:
    """The ONNX ``ModelProto`` of ``net`` (float64 Gemm + Relu) and the export's exactness."""
    if net.has_step:
        raise InputError("ONNX export supports ReLU networks only; this one has step units")
    onnx = _onnx()
    helper, numpy_helper, TP = onnx.helper, onnx.numpy_helper, onnx.TensorProto
    inits, nodes = [], []
    inexact = 0
    prev = "X"
    layers = net.flint_layers()
    for k, (W, b) in enumerate(layers, start=1):
        Wf, i1 = _to_float64(W)
        bf, i2 = _to_float64(b)
        inexact += i1 + i2
        inits.append(numpy_helper.from_array(Wf, f"W{k}"))
        inits.append(numpy_helper.from_array(bf.reshape(-1), f"b{k}"))
        last = k == len(layers)
        z = "Y" if last else f"z{k}"
        nodes.append(
            helper.make_node("Gemm", [prev, f"W{k}", f"b{k}"], [z], name=f"layer{k}", transB=1)
        )
        if not last:
            nodes.append(helper.make_node("Relu", [z], [f"a{k}"], name=f"relu{k}"))
            prev = f"a{k}"
    rep = OnnxExport(net.num_params(), inexact, net.content_hash())
    graph = helper.make_graph(
        nodes,
        "robustmem_network",
        [helper.make_tensor_value_info("X", TP.DOUBLE, [1, net.input_dim])],
        [helper.make_tensor_value_info("Y", TP.DOUBLE, [1, net.output_dim])],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", EXPORT_OPSET)],
        producer_name="robustmem",
        ir_version=EXPORT_IR_VERSION,
    )
    how = (
        "exact: every parameter is a float64"
        if rep.exact
        else f"INEXACT: {inexact} of {rep.params} parameters are not float64 numbers and were "
        "rounded to nearest; the exact network is the robustmem JSON"
    )
    model.doc_string = (
        f"robustmem network (robustmem-network/1 sha256 {rep.network_sha256[:12]}) exported as "
        f"float64 Gemm+Relu layers; the float64 export is inexact when a weight is not "
        f"representable as a float64. This export is {how}."
    )
    helper.set_model_props(
        model,
        {
            "robustmem_format": "robustmem-network/1",
            "robustmem_sha256": rep.network_sha256,
            "robustmem_exact": "true" if rep.exact else "false",
            "robustmem_inexact_params": str(inexact),
        },
    )
    onnx.checker.check_model(model)
    return model, rep
