"""certify.dataset and the kernel read a CSV the same way: on every file both accept, the
same points and labels (the engine merges repeated points: its points are the kernel's data
rows at :attr:`Dataset.origin`, and every row it drops repeats a kept one with its label)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certify import kernel
from certify.dataset import Dataset
from certify.errors import InputError

NUMBERS = [
    "0",
    "1",
    "-2",
    "+3",
    "1/3",
    "-7/2",
    "4/2",
    "0.5",
    "-.25",
    "5.",
    "1e-3",
    "2E+1",
    "007",
    "1.0e+00",
    "2.000",
    "1/0",
    "x",
    "nan",
    "inf",
    "",
    "1e00000001",
    "3/1",
]
LABELS = ["1", "2", "3", "2.0", "+1", "02", "0", "-1", "1.5", "label", "4/2", "nan", ""]
ROWS = st.lists(
    st.tuples(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3), st.sampled_from(LABELS)),
    min_size=0,
    max_size=6,
)


def _line(coords, label, quote, space):
    fields = [f'"{v}"' if quote else v for v in [*coords, label]]
    return (", " if space else ",").join(fields)


@st.composite
def csv_texts(draw):
    lines = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["x1,x2,label", "a,b", "0,1,target", "# c", "x,2.0"])))
    for coords, label in draw(ROWS):
        lines.append(_line(coords, label, draw(st.booleans()), draw(st.booleans())))
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "  ", ",", "# note", lines[-1]])))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return draw(st.sampled_from(["", "\ufeff"])) + end.join(lines) + end


def both(tmp: Path, text: str):
    path = tmp / "d.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        ds = Dataset.load_csv(path)
    except InputError:
        ds = None
    try:
        X, y, _ = kernel.parse_dataset(path.read_bytes())
    except kernel.Rejected:
        X = y = None
    return ds, X, y


def agree(ds, X, y) -> None:
    kx = [tuple(Fraction(int(q.p), int(q.q)) for q in x) for x in X]
    assert list(ds.X) == [kx[i] for i in ds.origin]
    assert list(ds.y) == [y[i] for i in ds.origin]
    kept = set(ds.origin)
    for i in range(len(kx)):
        if i not in kept:
            assert any(kx[j] == kx[i] and y[j] == y[i] for j in kept if j < i)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(csv_texts())
@example("x,label\n1,2.0\n3,1\n")  # the kernel took a second non-integer line as a header
@example("1,2.0\n3,1\n")  # a first line "1,2.0" is data for both (the kernel refuses 2.0)
@example("0,1,target\n1,2,1\n3,4,2\n1,2,1\n")
def test_both_readers_agree(tmp_path, text):
    ds, X, y = both(tmp_path, text)
    if ds is not None and X is not None:
        agree(ds, X, y)


@pytest.mark.parametrize(
    "text",
    ["x1,x2,label\n0.1,1/3,1\n-2, 1e-3 ,2\n", '"1","2",1\n3, "4" ,2\n', "\ufeff1,1\r\n2,2\r\n"],
)
def test_both_read_these(tmp_path, text):
    ds, X, y = both(tmp_path, text)
    assert ds is not None and X is not None
    agree(ds, X, y)


@pytest.mark.parametrize(
    ("text", "engine", "kernel_reads"),
    [
        ("1,1\n# a comment\n2,2\n", True, False),  # comments: the engine's extra
        ("1,1.0e+00\n2,2.000\n", True, False),  # integral labels in other notations
        ("1,2\n1,2\n3,1\n", True, True),  # a repeated point: merged by the engine only
    ],
)
def test_deliberate_differences(tmp_path, text, engine, kernel_reads):
    ds, X, _ = both(tmp_path, text)
    assert (ds is not None, X is not None) == (engine, kernel_reads)
