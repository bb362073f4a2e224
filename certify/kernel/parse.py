"""The kernel reads its own inputs: numbers, JSON, the network file and the dataset CSV.

What the kernel checks is what it parsed here and hashed here; nothing reaches it already
parsed by the untrusted part of robustmem. Limits keep a hostile file from costing more than
its size: a number is at most MAX_NUMBER characters with a decimal exponent of at most
MAX_EXPONENT, JSON floats and NaN are refused (they are not exact), nesting beyond Python's
recursion limit is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from flint import fmpz

from certify.kernel.rules import Layer, Q, Rejected

NETWORK_FORMAT = "robustmem-network/1"
MAX_NUMBER = 100_000  # characters in one number
MAX_EXPONENT = 4096  # |e| in a decimal "1.5e-3"
_BIG_BITS = 12_000  # integers this long are written as digit strings (JSON's int limit)
_SHORT = 4000  # strings shorter than this are read by int() (Python's digit limit is 4300)

_INT = re.compile(r"[+-]?[0-9]+")
_FRAC = re.compile(r"([+-]?[0-9]+)/([0-9]+)")
_CANON = re.compile(r"-?[1-9][0-9]*/[1-9][0-9]*")  # "p/q" as text_of writes it (if in lowest terms)
_P = rf"-?[1-9][0-9]{{0,{_SHORT - 2}}}/[1-9][0-9]{{0,{_SHORT - 2}}}"
_ENTRY = re.compile(_P)  # a short "p/q" (text_of's form, perhaps not in lowest terms)
_DEC = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")


def shown(v, n: int = 40) -> str:
    """An untrusted value as a short, printable ASCII string for a message: a lone surrogate,
    an integer of 5,000 digits (str() refuses those) or deep nesting cannot break the message,
    nor the terminal it is printed on."""
    try:
        s = repr(v)
    except (RecursionError, ValueError):
        s = f"<{type(v).__name__} too large or too deep to show>"
    return s[:n].encode("ascii", "backslashreplace").decode("ascii")


def number(v) -> Q:
    """An exact number: a JSON integer, or a string "n", "p/q" (q > 0) or a decimal."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise Rejected(f"not an exact number: {shown(v)} (write integers or 'p/q' strings)")
    if isinstance(v, int):
        return Q(v)
    s = v.strip()
    if len(s) > MAX_NUMBER:
        raise Rejected(f"a number of {len(s)} characters (at most {MAX_NUMBER})")
    m = _FRAC.fullmatch(s)
    if m:  # (int() reads short digit strings fastest; flint the long ones, without a "+")
        num, den = (int(g) if len(g) < _SHORT else fmpz(g.lstrip("+")) for g in m.groups())
        if den == 0:
            raise Rejected(f"zero denominator in {s[:40]!r}")
        return Q(num, den)
    if _INT.fullmatch(s):
        return Q(fmpz(s.lstrip("+")))
    m = _DEC.fullmatch(s)
    if m and (m.group(2) or m.group(3)):
        sign, whole, frac, exp = m.groups()
        frac = frac or ""
        e = int(exp) if exp and len(exp) < 8 else (0 if not exp else MAX_EXPONENT + 1)
        if abs(e) > MAX_EXPONENT:
            raise Rejected(f"decimal exponent beyond ±{MAX_EXPONENT} in {s[:40]!r}")
        q = Q(fmpz((whole or "0") + frac)) * Q(10) ** (e - len(frac))
        return -q if sign == "-" else q
    raise Rejected(f"not an exact number: {s[:40]!r}")


def text_of(q: Q):
    """The canonical JSON form of a number: an integer, or the string "p/q"."""
    if q.q == 1:
        n = int(q.p)
        return n if n.bit_length() < _BIG_BITS else str(q.p)
    return f"{q.p}/{q.q}"


def _no_float(s: str):
    raise Rejected(f"JSON float {s[:40]} is not exact: write it as an integer or 'p/q' string")


def _no_constant(s: str):
    raise Rejected(f"JSON constant {s} is not a number")


def _int(s: str) -> int:
    if len(s) > MAX_NUMBER:
        raise Rejected(f"an integer of {len(s)} digits (at most {MAX_NUMBER})")
    return int(s) if len(s) < 4000 else int(fmpz(s))


def load_json(text):
    """JSON text (str or UTF-8 bytes) → object, exact: no floats, NaN or runaway nesting."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Rejected(f"not UTF-8 text: {e}") from None
    try:
        return json.loads(text, parse_float=_no_float, parse_constant=_no_constant, parse_int=_int)
    except RecursionError:
        raise Rejected("JSON nested too deeply") from None
    except json.JSONDecodeError as e:
        raise Rejected(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None


def _rows(v, n_cols: int, where: str) -> tuple[list, list]:
    """The rows of a weight matrix, exact, and their canonical text (:func:`_canonical`)."""
    if not isinstance(v, list) or not v:
        raise Rejected(f"{where} must be a non-empty list of rows")
    out, canon = [], []
    for r in v:
        if not isinstance(r, list) or len(r) != n_cols:
            raise Rejected(f"{where} must have rows of {n_cols} numbers")
        got = _fraction_row(r)
        if got is None:
            vals = [number(w) for w in r]
            got = vals, [_canonical(t, w) for t, w in zip(r, vals)]
        out.append(got[0])
        canon.append(got[1])
    return out, canon


def _fraction_row(r: list):
    """A row whose every entry is a string "p/q" (optional "-", no leading zeros, each part
    shorter than _SHORT digits): (its numbers, their canonical texts: the entries themselves
    when each is in lowest terms with q > 1, else text_of of each); None for any other row
    (read entry by entry). The entries are checked one by one, then read in one split."""
    try:
        if not all(map(_ENTRY.fullmatch, r)):
            return None
    except TypeError:  # a non-string entry
        return None
    parts = list(map(int, "/".join(r).split("/")))
    nums, dens = parts[0::2], parts[1::2]
    vals = list(map(Q, nums, dens))
    own = min(dens) > 1 and max(map(math.gcd, nums, dens)) == 1  # ("5/1" is written 5)
    return vals, (r if own else [text_of(v) for v in vals])


def _canonical(raw, q: Q):
    """text_of(q) for the number q read from ``raw``: ``raw`` itself when it is already
    that text (a "p/q" in lowest terms without sign or zeros to strip), else written anew."""
    if (
        type(raw) is str
        and q.q != 1
        and len(raw) < _SHORT
        and _CANON.fullmatch(raw)
        and q.q == int(raw[raw.index("/") + 1 :])  # (not reduced: raw is p/q itself)
    ):
        return raw
    return text_of(q)


def parse_network(text) -> tuple[list, str]:
    """The robustmem-network/1 file → (exact layers, sha256 of the canonical JSON).

    The hash is over the canonical form (sorted keys, no spaces, numbers as integers or
    "p/q", the activation key only on layers with step units: "step" when uniform, else
    the per-unit list), so equal networks hash equally whatever their layout."""
    obj = load_json(text)
    if not isinstance(obj, dict) or set(obj) != {"format", "input_dim", "layers"}:
        raise Rejected('a network is an object with exactly "format", "input_dim", "layers"')
    if obj["format"] != NETWORK_FORMAT:
        raise Rejected(f"network format {shown(obj['format'])}, not {NETWORK_FORMAT}")
    width = obj["input_dim"]
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise Rejected("input_dim must be a positive integer")
    raw = obj["layers"]
    if not isinstance(raw, list) or not raw:
        raise Rejected("layers must be a non-empty list")
    layers, canon = [], []
    for k, lay in enumerate(raw):
        last = k == len(raw) - 1
        keys = {"weight", "bias"} | (set() if last else {"activation"})
        if not isinstance(lay, dict) or not {"weight", "bias"} <= set(lay) <= keys:
            raise Rejected(f"layer {k + 1} must have keys weight, bias (and activation)")
        W, canon_W = _rows(lay["weight"], width, f"layer {k + 1} weight")
        b0 = lay["bias"]
        if not isinstance(b0, list) or len(b0) != len(W):
            raise Rejected(f"layer {k + 1} bias must have {len(W)} numbers")
        b = [number(v) for v in b0]
        act = lay.get("activation", "relu")
        acts = [act] * len(W) if isinstance(act, str) else act
        if not isinstance(acts, list) or len(acts) != len(W):
            raise Rejected(f"layer {k + 1} activation: one of relu/step, or one per unit")
        if any(a not in ("relu", "step") for a in acts):
            raise Rejected(f"layer {k + 1} activation: only relu and step units")
        c = {"weight": canon_W, "bias": [_canonical(t, v) for t, v in zip(b0, b)]}
        if "step" in acts:
            c["activation"] = "step" if all(a == "step" for a in acts) else acts
        canon.append(c)
        layers.append(Layer(W, b, [a == "step" for a in acts]))
        width = len(W)
    body = {"format": NETWORK_FORMAT, "input_dim": obj["input_dim"], "layers": canon}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return layers, hashlib.sha256(text.encode("ascii")).hexdigest()


def parse_dataset(text) -> tuple[list, list, str]:
    """Dataset CSV → (points, labels, sha256). One point per line, "x_1,...,x_d,label"
    (numbers as integers, "p/q" or decimals, optionally in double quotes; labels integers
    1..10^18); blank lines are skipped; the first other line is a header when its last field
    is not a number. The hash is over the lines "x_1,...,x_d;label" with numbers as n or p/q.
    certify.dataset reads the same rows through :func:`csv_rows` and :func:`number` and
    accepts more (comment lines, labels such as "2.0"; it merges repeated points, so its
    indices can differ); a file it reads that this refuses is checked as robustmem's
    canonical text of it."""
    X, y = [], []
    for n, fields, first in csv_rows(text):
        if first and not _numeric(fields[-1]):
            continue  # the header
        if len(fields) < 2 or (X and len(fields) != len(X[0]) + 1):
            raise Rejected(f"dataset line {n + 1}: expected d coordinates and a label")
        if not _INT.fullmatch(fields[-1]) or int(fields[-1]) < 1 or len(fields[-1]) > 18:
            raise Rejected(f"dataset line {n + 1}: the label must be an integer 1..10^18")
        try:
            X.append(tuple(number(v) for v in fields[:-1]))
        except Rejected as e:
            raise Rejected(f"dataset line {n + 1}: {e}") from None
        y.append(int(fields[-1]))
    if not X:
        raise Rejected("the dataset has no points")
    return X, y, dataset_sha256(X, y)


def csv_rows(text) -> list:
    """(line index from 0, fields, first) for every line of the CSV text (str, or UTF-8
    bytes with an optional BOM) that is not blank: fields split at commas, stripped, one pair
    of surrounding double quotes removed; ``first`` for the first such line."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise Rejected(f"dataset is not UTF-8 text: {e}") from None
    out = []
    for n, line in enumerate(text.splitlines()):
        fields = [f.strip() for f in line.split(",")]
        fields = [f[1:-1].strip() if len(f) > 1 and f[0] == f[-1] == '"' else f for f in fields]
        if any(fields):
            out.append((n, fields, not out))
    return out


def _numeric(s: str) -> bool:
    try:
        number(s)
    except Rejected:
        return False
    return True


def dataset_sha256(X, y) -> str:
    """sha256 of the lines "x_1,...,x_d;label" (numbers as n or p/q), in order."""
    h = hashlib.sha256()
    for x, label in zip(X, y):
        qs = [v if isinstance(v, Q) else Q(v.numerator, v.denominator) for v in x]
        h.update(
            (
                ",".join(str(q.p) if q.q == 1 else f"{q.p}/{q.q}" for q in qs) + f";{label}\n"
            ).encode()
        )
    return h.hexdigest()
