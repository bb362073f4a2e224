"""The exact dataset model: certify.dataset (loading, validation, ε, radii, balls)."""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from certify.dataset import Dataset
from certify.errors import InputError

F = Fraction


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- CSV


def test_csv_exact_values_and_header(tmp_path: Path) -> None:
    path = write(
        tmp_path, "d.csv", "x1,x2,label\n0.1,1/3,1\n-2, 1e-3 ,2\n\n# a comment\n5,-7/2,1\n"
    )
    ds = Dataset.load(path)
    points = ds.X
    assert points == ((F(1, 10), F(1, 3)), (F(-2), F(1, 1000)), (F(5), F(-7, 2)))
    assert ds.y == (1, 2, 1)
    assert (ds.N, ds.d, ds.classes, ds.num_classes) == (3, 2, (1, 2), 2)
    assert any("header" in n and "x1,x2,label" in n for n in ds.notes)
    assert all(type(v) is Fraction for row in ds.X for v in row)


def test_csv_header_with_numeric_names(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "0,1,target\n1,2,1\n3,4,2\n")
    ds = Dataset.load_csv(path)
    points = ds.X
    assert points == ((F(1), F(2)), (F(3), F(4)))


def test_csv_without_header_has_no_note(tmp_path: Path) -> None:
    ds = Dataset.load_csv(write(tmp_path, "d.csv", "1,2,1\n3,4,2\n"))
    assert ds.notes == []
    assert ds.origin == (0, 1)


def test_csv_labels_in_float_notation_are_accepted_when_integral(tmp_path: Path) -> None:
    ds = Dataset.load_csv(write(tmp_path, "d.csv", "1,1.0e+00\n2,2.000\n"))
    assert ds.y == (1, 2)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1,2,1\n3,4\n", "line 2 has 2 fields but line 1 has 3"),
        ("1,2,1\n3,x,2\n", "line 2 field 2: cannot read 'x'"),
        ("1,2,1\n3,nan,2\n", "line 2 field 2: 'nan' is not a finite number"),
        ("1,2,1\ninf,2,2\n", "line 2 field 1: 'inf' is not a finite number"),
        ("1,2,1\n3,4,1.5\n", "line 2 label (last field): label '1.5' is not an integer"),
        ("1,2,1\n3,4,0\n", "line 2 label (last field): label '0' is below 1"),
        ("1,2,1\n3,4,-1\n", "line 2 label (last field): label '-1' is below 1"),
        ("1,2,1\n3,4,\n", "line 2 label (last field): empty string"),
        ("1,2,1\n3,1/0,2\n", "line 2 field 2: '1/0' has denominator zero"),
        ("1;2;1\n3;4;2\n", "line 1 has 1 field; expected comma-separated"),
        ("", "no data rows"),
        ("a,b,label\n", "no data rows"),
        (
            "1,2,1\n3,4,2\n1,2,2\n",
            "line 1 and line 3 are the same point with different labels (1 and 2)",
        ),
    ],
)
def test_csv_rejects_bad_input(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(InputError) as info:
        Dataset.load_csv(path)
    msg = str(info.value)
    assert fragment in msg
    assert msg.startswith(str(path))
    assert "\n" not in msg


def test_one_class_is_read_with_a_note_and_has_no_epsilon(tmp_path: Path) -> None:
    """A single-class dataset is fine for an absolute radius μ; ε (so ρ) needs two classes."""
    from certify.run import make_radius

    ds = Dataset.load_csv(write(tmp_path, "one.csv", "1,2,1\n3,4,1\n"))
    assert ds.y == (1, 1) and "only one class (label 1)" in " ".join(ds.notes)
    with pytest.raises(InputError, match="at least two classes"):
        ds.epsilon_inf()
    assert make_radius(ds, "inf", mu="1/4").epsilon_power is None
    with pytest.raises(InputError, match="only one class"):
        make_radius(ds, "2", rho="1/2")


def test_csv_duplicates_with_same_label_are_merged_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "1,2,1\n3,4,2\n1,2,1\n0.5,1/2,2\n1/2,0.5,2\n")
    ds = Dataset.load_csv(path)
    points = ds.X
    assert points == ((F(1), F(2)), (F(3), F(4)), (F(1, 2), F(1, 2)))
    assert ds.y == (1, 2, 2)
    assert ds.origin == (0, 1, 3)
    note = " ".join(ds.notes)
    assert "merged 2 duplicate" in note
    assert "line 3 = line 1" in note and "line 5 = line 4" in note


def test_csv_conflict_counts_further_pairs(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "1,1\n2,2\n1,2\n2,1\n")
    with pytest.raises(InputError, match=r"line 1 and line 3 .*\(and 1 more such pairs\)"):
        Dataset.load_csv(path)


def test_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read dataset file"):
        Dataset.load(tmp_path / "missing.csv")


def test_save_csv_round_trip(tmp_path: Path) -> None:
    ds = Dataset([[F(1, 3), -2], [0.5, "7"], [1, 1]], [1, 2, 3])
    path = tmp_path / "out.csv"
    ds.save_csv(path)
    back = Dataset.load(path)
    assert (back.X, back.y) == (ds.X, ds.y)
    assert os.listdir(tmp_path) == ["out.csv"]


# ----------------------------------------------------------------------------- npz


def test_npz_float_values_are_exact_binary(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, X=np.array([[0.1, 2.0], [0.3, -1.5]]), y=np.array([1, 2]))
    ds = Dataset.load(path)
    assert ds.X[0][0] == F(0.1) == F(3602879701896397, 2**55)
    assert ds.X[1] == (F(0.3), F(-3, 2))
    assert ds.y == (1, 2)


def test_npz_integer_and_float32_arrays(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, X=np.array([[1, 2], [3, 4]], dtype=np.uint8), y=np.array([2.0, 1.0]))
    ds = Dataset.load_npz(path)
    points = ds.X
    assert points == ((F(1), F(2)), (F(3), F(4)))
    assert ds.y == (2, 1)
    np.savez(path, X=np.array([[0.1], [0.2]], dtype=np.float32), y=np.array([1, 2]))
    assert Dataset.load_npz(path).X[0][0] == F(13421773, 2**27)


@pytest.mark.parametrize(
    ("arrays", "fragment"),
    [
        ({"X": np.array([[1.0, np.nan], [2.0, 3.0]]), "y": np.array([1, 2])}, "X[0][1] is nan"),
        ({"X": np.array([[1.0, 2.0], [np.inf, 3.0]]), "y": np.array([1, 2])}, "X[1][0] is inf"),
        (
            {"X": np.array([[1.0], [2.0]]), "y": np.array([1.5, 2])},
            "y[0]: label 1.5 is not an integer",
        ),
        ({"X": np.array([[1.0], [2.0]]), "y": np.array([0, 2])}, "y[0]: label 0 is below 1"),
        ({"X": np.array([1.0, 2.0]), "y": np.array([1, 2])}, "X must be 2-dimensional"),
        ({"X": np.array([[1.0], [2.0]]), "y": np.array([[1], [2]])}, "y must be 1-dimensional"),
        (
            {"X": np.array([[1.0], [2.0]]), "y": np.array([1, 2, 1])},
            "X has 2 rows but y has 3 labels",
        ),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0, dtype=int)}, "X has no rows"),
        ({"X": np.zeros((2, 0)), "y": np.array([1, 2])}, "X has 0 columns"),
        ({"X": np.array([[True], [False]]), "y": np.array([1, 2])}, "X has dtype bool"),
        ({"X": np.array([["a"], ["b"]]), "y": np.array([1, 2])}, "X has dtype <U1"),
        ({"X": np.array([[1.0], [2.0]]), "labels": np.array([1, 2])}, "needs arrays named 'X'"),
        (
            {"X": np.array([[1.0], [1.0]]), "y": np.array([1, 2])},
            "row 0 and row 1 are the same point",
        ),
    ],
)
def test_npz_rejects_bad_input(tmp_path: Path, arrays: dict, fragment: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(InputError) as info:
        Dataset.load(path)
    msg = str(info.value)
    assert fragment in msg
    assert str(path) in msg
    assert "\n" not in msg


def test_npz_refuses_pickles_and_garbage(tmp_path: Path) -> None:
    path = tmp_path / "obj.npz"
    np.savez(path, X=np.array([[F(1)], [F(2)]], dtype=object), y=np.array([1, 2]))
    with pytest.raises(InputError, match="cannot read dataset file .* as .npz"):
        Dataset.load(path)
    junk = write(tmp_path, "junk.npz", "not a zip file")
    with pytest.raises(InputError, match="cannot read dataset file"):
        Dataset.load(junk)


def test_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"unsupported dataset file type '\.txt'; use \.csv .* or \.npz"
    ):
        Dataset.load(write(tmp_path, "d.txt", "1,1\n"))


# ----------------------------------------------------------------------------- arrays


def test_from_arrays_and_constructor_agree() -> None:
    X = np.array([[0, 1], [2, 3], [4, 5]], dtype=np.int64)
    a = Dataset.from_arrays(X, np.array([1, 2, 1]))
    b = Dataset.from_arrays(X.tolist(), [1, 2, 1])
    c = Dataset(X, [1, 2, 1])
    d = Dataset([[0, "1"], [F(2), 3.0], ["4/1", 5]], np.array([1, 2, 1]))
    assert a.X == b.X == c.X == d.X
    assert a.y == b.y == c.y == d.y == (1, 2, 1)


@pytest.mark.parametrize(
    ("X", "y", "fragment"),
    [
        ([], [], "dataset is empty"),
        ([[1, 2], [3]], [1, 2], "row 1 has 1 coordinates but row 0 has 2"),
        ([[1], [2]], [1], "got 2 points but 1 labels"),
        ([[1], [float("nan")]], [1, 2], "X[1][0]: nan is not a finite number"),
        ([[1], ["x"]], [1, 2], "X[1][0]: cannot read 'x'"),
        ([[1], [2]], [1, True], "y[1]: got boolean"),
        ([[1], [2]], [1, "two"], "y[1]: cannot read 'two'"),
        ([[], []], [1, 2], "row 0 has no coordinates"),
        ([1, 2], [1, 2], "X[0] must be a list of numbers"),
        ("12", [1, 2], "X must be a list of rows"),
    ],
)
def test_constructor_rejects_bad_input(X: object, y: object, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        Dataset(X, y)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_non_contiguous_labels_are_noted() -> None:
    ds = Dataset([[0], [1], [2]], [1, 3, 3])
    assert ds.classes == (1, 3)
    assert any("class" in n and "{2} absent" in n for n in ds.notes)


# ----------------------------------------------------------------------------- separation


def small() -> Dataset:
    # label 1: (0, 0), (4, 0); label 2: (1, 2), (7, 1)
    return Dataset([[0, 0], [4, 0], [1, 2], [7, 1]], [1, 1, 2, 2])


def test_epsilon_hand_computed() -> None:
    ds = small()
    # cross differences: (0,0)-(1,2): (1,2); (0,0)-(7,1): (7,1);
    #                    (4,0)-(1,2): (3,2); (4,0)-(7,1): (3,1)
    # ℓ1: 3, 8, 5, 4 → min 3;      ℓ2²: 5, 50, 13, 10 → min 5;
    # ℓ3³: 9, 344, 35, 28 → min 9;  ℓ∞: 2, 7, 3, 3 → min 2
    assert ds.epsilon_power(1) == F(3, 2)
    assert ds.epsilon_power(2) == F(5, 4)
    assert ds.epsilon_power(3) == F(9, 8)
    assert ds.epsilon_inf() == 1
    assert ds.closest_cross_pair(2) == (0, 2, F(5))
    assert ds.closest_cross_pair(math.inf) == (0, 2, F(2))
    assert ds.closest_cross_pair("inf") == (0, 2, F(2))


def test_radius_power() -> None:
    ds = small()
    assert ds.radius_power(F(1, 2), 2) == F(1, 4) * F(5, 4)
    assert ds.radius_power("1/2", 1) == F(3, 4)
    assert ds.radius_power("0.5", math.inf) == F(1, 2)
    assert ds.radius_power(0, 3) == 0
    with pytest.raises(InputError, match="0 <= rho < 1"):
        ds.radius_power(1, 2)
    with pytest.raises(InputError, match="0 <= rho < 1"):
        ds.radius_power("-1/3", 2)
    with pytest.raises(InputError, match="robustness ratio rho: floating-point"):
        ds.radius_power(0.5, 2)


def test_norm_validation() -> None:
    ds = small()
    for bad in (0, -1, 1.5, True, "two", None):
        with pytest.raises(InputError, match="norm exponent p must be an integer >= 1 or inf"):
            ds.epsilon_power(bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="use epsilon_inf"):
        ds.epsilon_power(math.inf)  # type: ignore[arg-type]


def test_in_ball_is_open_and_exact() -> None:
    ds = small()  # ε_2² = 5/4; ρ = 1/2 → μ² = 5/16
    assert ds.in_ball([0, 0], 0, "1/2", 2)
    assert not ds.in_ball([F(1, 2), F(1, 4)], 0, "1/2", 2)  # 1/4 + 1/16 = 5/16: on the sphere
    assert ds.in_ball([F(1, 2), F(1, 5)], 0, "1/2", 2)
    # ℓ∞: ε = 1, μ = 1/2; the open ball excludes its boundary
    assert not ds.in_ball([F(1, 2), 0], 0, "1/2", math.inf)
    assert ds.in_ball([F(49, 100), F(-49, 100)], 0, "1/2", math.inf)
    with pytest.raises(InputError, match="x has 3 coordinates"):
        ds.in_ball([0, 0, 0], 0, "1/2", 2)
    with pytest.raises(InputError, match="out of range"):
        ds.in_ball([0, 0], 4, "1/2", 2)


def test_nearest_other_label() -> None:
    ds = small()
    assert ds.nearest_other_label(0, 2) == (2, F(5))
    assert ds.nearest_other_label(1, 2) == (3, F(10))  # (4,0): to (1,2) 13, to (7,1) 10
    assert ds.nearest_other_label(3, 1) == (1, F(4))
    assert ds.nearest_other_label(1, math.inf) == (2, F(3))  # ties (3,2)→3 and (3,1)→3: any
    with pytest.raises(InputError, match="out of range"):
        ds.nearest_other_label(7, 2)


def test_nearest_other_label_matches_brute_force_on_many_points() -> None:
    rng = np.random.default_rng(3)
    X = rng.integers(0, 9, size=(60, 5))
    y = 1 + rng.integers(0, 3, size=60)
    y[:3] = [1, 2, 3]
    ds = Dataset.from_arrays(X, y)
    for p in (1, 2, math.inf):
        for i in range(ds.N):
            j, v = ds.nearest_other_label(i, p)
            assert ds.y[j] != ds.y[i]
            dists = [
                max(abs(a - b) for a, b in zip(ds.X[i], ds.X[k]))
                if p == math.inf
                else sum(abs(a - b) ** p for a, b in zip(ds.X[i], ds.X[k]))
                for k in range(ds.N)
                if ds.y[k] != ds.y[i]
            ]
            assert v == min(dists)


def test_object_arrays_of_fractions_are_accepted() -> None:
    X = np.array([[F(1, 3)], [F(2, 3)]], dtype=object)
    ds = Dataset(X, np.array([1, 2]))
    points = ds.X
    assert points == ((F(1, 3),), (F(2, 3),))
    assert ds.epsilon_inf() == F(1, 6)


def test_epsilon_after_merging_duplicates() -> None:
    ds = Dataset([[0], [0], [3]], [1, 1, 2])
    assert ds.N == 2
    assert ds.epsilon_power(2) == F(9, 4)


def test_repr() -> None:
    assert repr(small()) == "Dataset(N=4, d=2, classes={1, 2})"
