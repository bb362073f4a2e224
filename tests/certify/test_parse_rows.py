"""The kernel's network reader: its whole-row fast path (rows of "p/q" strings, one pattern
match) reads the same numbers and hashes the same canonical text as reading entry by entry.

The reference here is independent of parse.py's row code: every entry through
``parse.number``, the canonical text through ``parse.text_of``, the hash over that text."""

from __future__ import annotations

import hashlib
import json
import random
from fractions import Fraction as F

import pytest

from certify.kernel import parse
from certify.kernel.rules import Rejected


def _entry(rng: random.Random):
    """A weight as a file may write it: canonical "p/q", unreduced, "n/1", signs, zeros,
    integers, decimals, leading zeros."""
    p, q = rng.randint(-999, 999), rng.choice([1, 2, 3, 4, 8, 1024, 7, 2**40])
    kind = rng.randrange(10)
    if kind == 0:
        return p
    if kind == 1:
        return f"{2 * p}/{2 * q}"  # not in lowest terms
    if kind == 2:
        return f"{p}/1"
    if kind == 3:
        return f"+{abs(p)}/{q}"
    if kind == 4:
        return f"0{abs(p)}/{q}"
    if kind == 5:
        return str(F(p, q)) if q in (1, 2, 4, 8) and F(p, q).denominator == 1 else f"{p}.5"
    if kind == 6:
        return f"-0/{q}"
    return str(F(p, q)) if F(p, q).denominator > 1 else f"{p}/{q}"


def _network(rng: random.Random, fast_rows: bool):
    d, widths = rng.randint(1, 5), [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
    layers, width = [], d
    for k, n in enumerate([*widths, 1]):
        rows = []
        for _ in range(n):
            if fast_rows and rng.random() < 0.7:  # a row of canonical "p/q" only
                row = []
                for _ in range(width):
                    v = F(rng.randint(-99, 99) or 1, rng.choice([2, 3, 16, 2**70]))
                    row.append(f"{v.numerator}/{v.denominator}" if v.denominator > 1 else "3/7")
            else:
                row = [_entry(rng) for _ in range(width)]
            rows.append(row)
        lay = {"weight": rows, "bias": [_entry(rng) for _ in range(n)]}
        if k < len(widths):
            lay["activation"] = "relu"
        layers.append(lay)
        width = n
    return {"format": parse.NETWORK_FORMAT, "input_dim": d, "layers": layers}


def _reference(obj):
    """(weights, biases, sha256) by the entry-by-entry rule."""
    W = [[[parse.number(t) for t in r] for r in lay["weight"]] for lay in obj["layers"]]
    b = [[parse.number(t) for t in lay["bias"]] for lay in obj["layers"]]
    canon = [
        {
            "weight": [[parse.text_of(v) for v in r] for r in Wk],
            "bias": [parse.text_of(v) for v in bk],
        }
        for Wk, bk in zip(W, b)
    ]
    body = {"format": parse.NETWORK_FORMAT, "input_dim": obj["input_dim"], "layers": canon}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return W, b, hashlib.sha256(text.encode("ascii")).hexdigest()


@pytest.mark.parametrize("seed", range(40))
def test_rows_read_and_hash_as_entry_by_entry(seed: int) -> None:
    rng = random.Random(seed)
    obj = _network(rng, fast_rows=bool(seed % 2))
    layers, h = parse.parse_network(json.dumps(obj))
    W, b, h_ref = _reference(obj)
    assert [L.W for L in layers] == W
    assert [L.b for L in layers] == b
    assert h == h_ref
    # the same network written with every number canonical hashes the same
    canon = json.loads(json.dumps(obj))
    for lay, Wk, bk in zip(canon["layers"], W, b):
        lay["weight"] = [[parse.text_of(v) for v in r] for r in Wk]
        lay["bias"] = [parse.text_of(v) for v in bk]
    assert parse.parse_network(json.dumps(canon))[1] == h


@pytest.mark.parametrize(
    "row, want",
    [
        (["5/1", "1/2"], [5, F(1, 2)]),  # "5/1" is the integer 5: its text is 5
        (["2/4", "1/3"], [F(1, 2), F(1, 3)]),
        (["-3/7", "-1/2"], [F(-3, 7), F(-1, 2)]),
        (["1/2", 3], [F(1, 2), 3]),
    ],
)
def test_row_forms(row, want) -> None:
    obj = {
        "format": parse.NETWORK_FORMAT,
        "input_dim": 2,
        "layers": [{"weight": [row], "bias": [0]}],
    }
    layers, h = parse.parse_network(json.dumps(obj))
    assert [[parse.Q(F(v).numerator, F(v).denominator) for v in want]] == layers[0].W
    assert h == _reference(obj)[2]


@pytest.mark.parametrize(
    "row",
    [
        ["1/2,3/4"],  # one entry holding two numbers: the row's count is off
        ["1/2,3/4", "1/5"],
        ["1/0", "1/2"],
        ["1/2", ""],
        ["1/2", "1//2"],
        ["1/2", "x"],
    ],
)
def test_bad_rows_are_rejected(row) -> None:
    obj = {
        "format": parse.NETWORK_FORMAT,
        "input_dim": len(row),
        "layers": [{"weight": [row], "bias": [0]}],
    }
    with pytest.raises(Rejected):
        parse.parse_network(json.dumps(obj))


def test_long_parts_take_the_entry_path() -> None:
    """Parts of ≥ _SHORT digits are read by flint, entry by entry; same numbers, same hash."""
    big = "7" * (parse._SHORT + 5)
    obj = {
        "format": parse.NETWORK_FORMAT,
        "input_dim": 2,
        "layers": [{"weight": [[f"{big}/3", "1/3"]], "bias": [f"-{big}/9"]}],
    }
    layers, h = parse.parse_network(json.dumps(obj))
    W, b, h_ref = _reference(obj)
    assert W[0] == layers[0].W and layers[0].b == b[0] and h == h_ref
