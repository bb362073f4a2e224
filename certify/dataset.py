"""The exact dataset model: points x_i ∈ Q^d, labels y_i ∈ {1, 2, ...}, and exact ε_{D,p}.

ε_{D,p} = ½ · min{ ‖x_i − x_j‖_p : y_i ≠ y_j }  (THEORY.md §1). For integer p the p-th power
ε^p is rational, so :meth:`Dataset.epsilon_power` returns it exactly; for p = ∞ ε itself is
rational (:meth:`Dataset.epsilon_inf`). The closest-pair search (fast, exact) lives in
:mod:`certify.separation`.
"""

from __future__ import annotations

import csv
import io
import math
import os
import zipfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from certify.errors import InputError
from certify.io import write_output
from certify.kernel.parse import Rejected, csv_rows
from certify.kernel.parse import number as kernel_number
from certify.numbers import float_to_fraction, format_number, parse_number
from certify.separation import (
    closest_over,
    closest_pair,
    distance_inf,
    distance_power,
)
from certify.separation import norm_p as _norm_p

__all__ = [
    "MAX_COORDINATE_DIGITS",
    "MAX_LABEL",
    "MAX_P",
    "Dataset",
    "closest_pair",
    "distance_inf",
    "distance_power",
    "norm_p",
]

Point = tuple[Fraction, ...]

#: The largest finite norm exponent: exact p-th powers and roots grow with p (p = 1000 takes
#: seconds per ball already) and the kernel reads p ≤ 1000; for larger p use p = ∞.
MAX_P = 1000
#: Coordinates satisfy |x| < 10^MAX_COORDINATE_DIGITS: the engines guide their exact search
#: with floats, and squared ℓ2 distances of such points stay inside the float range.
MAX_COORDINATE_DIGITS = 150
_MAX_COORDINATE = 10**MAX_COORDINATE_DIGITS
#: Labels are integers 1..MAX_LABEL (classes are numbered; a classifier has one output each).
MAX_LABEL = 10**6


def norm_p(p: object) -> int | None:
    """Validate a norm exponent: an integer 1 <= p <= :data:`MAX_P`, or ∞ (``math.inf`` or
    ``"inf"``). Returns the int, or None for ∞. Raises :class:`InputError` otherwise."""
    pn = _norm_p(p)
    if pn is not None and pn > MAX_P:
        raise InputError(
            f"norm exponent p = {pn if pn < 10**40 else '(huge)'} is above {MAX_P}, the "
            f"largest finite p supported; use p = inf for large p (the ℓp ball is then "
            "within a factor d^(1/p) of the ℓ∞ ball)"
        )
    return pn


def _check_coordinate(q: Fraction, where: str) -> Fraction:
    if abs(q) >= _MAX_COORDINATE:
        raise InputError(
            f"{where}: coordinate {_magnitude(q)} is too large; coordinates must satisfy "
            f"|x| < 10^{MAX_COORDINATE_DIGITS} (the engines' floating-point guidance "
            "overflows beyond); rescale the data"
        )
    return q


def _magnitude(q: Fraction) -> str:
    """A short description of a large number: its sign and order of magnitude."""
    n = abs(q.numerator) // q.denominator
    digits = len(str(n)) if n.bit_length() < 10_000 else int(n.bit_length() * 0.30103) + 1
    return f"{'-' if q < 0 else ''}~10^{digits - 1}"


# --------------------------------------------------------------------------- parsing helpers


def _parse_label(v: object, where: str) -> int:
    """An integer label >= 1 from an int, an integral float or an exact string."""
    if isinstance(v, (bool, np.bool_)):
        raise InputError(f"{where}: got boolean {v!r}; labels must be integers >= 1")
    if isinstance(v, (float, np.floating)):
        q = float_to_fraction(v, where)
    else:
        q = parse_number(v, where)
    if q.denominator != 1:
        raise InputError(
            f"{where}: label {_show(v)} is not an integer; labels must be integers >= 1"
        )
    if q < 1:
        raise InputError(
            f"{where}: label {_show(v)} is below 1; labels must be integers >= 1 (classes 1..C)"
        )
    if q > MAX_LABEL:
        shown = _show(v) if len(_show(v)) <= 40 else _magnitude(q)
        raise InputError(
            f"{where}: label {shown} is above {MAX_LABEL}; labels must be integers "
            f"1..{MAX_LABEL} (number the classes 1..C)"
        )
    return int(q)


def _show(v: object) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def _coerce(v: object, where: str) -> Fraction:
    """A coordinate: floats to their exact binary value, everything else via parse_number."""
    if isinstance(v, (float, np.floating)):
        return _check_coordinate(float_to_fraction(v, where), where)
    return _check_coordinate(parse_number(v, where), where)


def _csv_coordinate(text: str, where: str) -> Fraction:
    """A CSV coordinate in the kernel's number syntax (:func:`certify.kernel.parse.number`:
    one definition of what a CSV number is); a refusal gets certify.numbers' message."""
    try:
        q = kernel_number(text)
    except Rejected as e:
        parse_number(text, where)  # raises, with the message users know
        raise InputError(f"{where}: {e}") from None  # (a number the kernel limits)
    return _check_coordinate(Fraction(int(q.p), int(q.q)), where)


def _array_points(X: np.ndarray, what: str) -> list[Point]:
    """Exact points from a 2-D numeric numpy array; errors name ``what[row][col]``."""
    if X.dtype.kind == "b":
        raise InputError(
            f"{what} has dtype bool; store coordinates as numbers (e.g. X.astype(int))"
        )
    if X.dtype.kind not in "iuf":
        raise InputError(f"{what} has dtype {X.dtype}; coordinates must be integers or floats")
    if X.ndim != 2:
        raise InputError(
            f"{what} must be 2-dimensional (N points × d coordinates), got shape {X.shape}"
        )
    if X.shape[0] == 0:
        raise InputError(f"{what} has no rows; a dataset needs at least two points")
    if X.shape[1] == 0:
        raise InputError(f"{what} has 0 columns; points need at least one coordinate")
    if X.dtype.kind == "f":
        bad = ~np.isfinite(X)
        if bad.any():
            r, c = (int(t) for t in np.argwhere(bad)[0])
            raise InputError(
                f"{what}[{r}][{c}] is {X[r, c]}; only finite values are allowed "
                f"({int(bad.sum())} non-finite entr{'y' if bad.sum() == 1 else 'ies'} in total)"
            )
        big = np.abs(X.astype(np.float64)) >= float(_MAX_COORDINATE)  # float32: no overflow
        if big.any():
            r, c = (int(t) for t in np.argwhere(big)[0])
            _check_coordinate(float_to_fraction(X[r, c]), f"{what}[{r}][{c}]")
        if X.dtype.itemsize <= 8:
            return [tuple(Fraction(v) for v in row) for row in X.astype(np.float64).tolist()]
        return [
            tuple(float_to_fraction(v, f"{what}[{r}][{c}]") for c, v in enumerate(row))
            for r, row in enumerate(X)
        ]
    return [tuple(Fraction(v) for v in row) for row in X.tolist()]


def _array_labels(y: np.ndarray, what: str) -> list[int]:
    if y.ndim != 1:
        raise InputError(f"{what} must be 1-dimensional (one label per point), got shape {y.shape}")
    if y.dtype.kind not in "iuf":
        raise InputError(f"{what} has dtype {y.dtype}; labels must be integers >= 1")
    return [_parse_label(v, f"{what}[{i}]") for i, v in enumerate(y.tolist())]


# --------------------------------------------------------------------------- the dataset


class Dataset:
    """An exact labelled dataset D = {(x_i, y_i)}: x_i ∈ Q^d pairwise distinct, y_i integers >= 1.

    Invariants (checked at construction): N >= 2 rows of equal length d >= 1, finite exact
    coordinates, at least two classes, no point with two labels. Identical points with the
    same label are merged (first occurrence kept) and reported in :attr:`notes`.
    Instances are immutable: :attr:`X` is a tuple of tuples of Fractions, :attr:`y` a tuple of
    ints, :attr:`origin` the input row index of each kept point.
    """

    def __init__(self, X: Sequence[Sequence[object]], y: Sequence[object]) -> None:
        """Build from rows of numbers and labels.

        Coordinates: ints, Fractions, exact strings ("p/q", "0.125") or floats (converted to
        their exact binary value). Labels: integers >= 1 (integral floats/strings accepted).
        Errors name ``X[row][col]`` / ``y[row]`` (0-based).
        """
        if isinstance(X, np.ndarray) and X.dtype.kind != "O" and isinstance(y, np.ndarray):
            points = _array_points(X, "X")
            labels = _array_labels(y, "y")
        else:
            if not isinstance(X, (list, tuple, np.ndarray)):
                raise InputError(f"X must be a list of rows, got {type(X).__name__}")
            if not isinstance(y, (list, tuple, np.ndarray)):
                raise InputError(f"y must be a list of labels, got {type(y).__name__}")
            points = []
            for i, row in enumerate(X):
                if not isinstance(row, (list, tuple, np.ndarray)):
                    raise InputError(f"X[{i}] must be a list of numbers, got {type(row).__name__}")
                points.append(tuple(_coerce(v, f"X[{i}][{j}]") for j, v in enumerate(row)))
            labels = [_parse_label(v, f"y[{i}]") for i, v in enumerate(y)]
        self._setup(points, labels, [f"row {i}" for i in range(len(points))], [])

    @classmethod
    def from_arrays(cls, X: Any, y: Any) -> Dataset:
        """Build from array-likes: X of shape (N, d), y of shape (N,).

        numpy float arrays are converted to their exact binary values; integer arrays exactly.
        Nested lists are accepted as in the constructor.
        """
        if isinstance(X, np.ndarray) and not isinstance(y, np.ndarray):
            y = np.asarray(y)
        if isinstance(y, np.ndarray) and not isinstance(X, np.ndarray):
            return cls(X, list(y.tolist()))
        return cls(X, y)

    def _setup(
        self, points: list[Point], labels: list[int], row_names: list[str], notes: list[str]
    ) -> None:
        if len(points) != len(labels):
            raise InputError(
                f"got {len(points)} points but {len(labels)} labels; give one label per point"
            )
        if not points:
            raise InputError("the dataset is empty; it needs at least two points of two classes")
        d = len(points[0])
        if d == 0:
            raise InputError(f"{row_names[0]} has no coordinates; points need at least one")
        for i, row in enumerate(points):
            if len(row) != d:
                raise InputError(
                    f"{row_names[i]} has {len(row)} coordinates but {row_names[0]} has {d}; "
                    "all points need the same dimension"
                )
        first: dict[Point, int] = {}
        kept: list[int] = []
        merged: list[str] = []
        conflicts: list[tuple[int, int]] = []
        for i, row in enumerate(points):
            j = first.get(row)
            if j is None:
                first[row] = i
                kept.append(i)
            elif labels[j] == labels[i]:
                merged.append(f"{row_names[i]} = {row_names[j]}")
            else:
                conflicts.append((j, i))
        if conflicts:
            j, i = conflicts[0]
            more = f" (and {len(conflicts) - 1} more such pairs)" if len(conflicts) > 1 else ""
            raise InputError(
                f"{row_names[j]} and {row_names[i]} are the same point with different labels "
                f"({labels[j]} and {labels[i]}){more}; the separation ε would be 0 and no "
                "network can memorize them — remove or relabel one of each pair"
            )
        if merged:
            shown = ", ".join(merged[:5])
            rest = f", and {len(merged) - 5} more" if len(merged) > 5 else ""
            notes.append(
                f"merged {len(merged)} duplicate point(s) that repeat an earlier point with the "
                f"same label (kept the first): {shown}{rest}"
            )
        self._X: tuple[Point, ...] = tuple(points[i] for i in kept)
        self._y: tuple[int, ...] = tuple(labels[i] for i in kept)
        self._origin: tuple[int, ...] = tuple(kept)
        classes = sorted(set(self._y))
        if len(classes) < 2:  # fine for a radius μ; ε (and ρ) needs two classes
            notes.append(
                f"the dataset has only one class (label {classes[0]}): ε is undefined, so "
                "give an absolute radius (--mu); ρ and constructions need two classes"
            )
        elif classes != list(range(1, classes[-1] + 1)):
            missing = sorted(set(range(1, classes[-1] + 1)) - set(classes))
            notes.append(
                f"labels are not 1..C: classes {_short_list(classes)} present, "
                f"{_short_list(missing)} absent"
            )
        self._classes = tuple(classes)
        self.notes: list[str] = notes
        self._cache: dict[object, tuple[int, int, Fraction]] = {}
        self._plans: dict[object, object] = {}

    # ------------------------------------------------------------------ loaders

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Dataset:
        """Load a ``.csv`` or ``.npz`` file (see :meth:`load_csv`, :meth:`load_npz`)."""
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            return cls.load_csv(path)
        if suffix == ".npz":
            return cls.load_npz(path)
        raise InputError(
            f"{os.fspath(path)}: unsupported dataset file type {suffix or '(no suffix)'!r}; "
            "use .csv (x_1,...,x_d,label per line) or .npz (arrays X and y)"
        )

    @classmethod
    def load_csv(cls, path: str | os.PathLike[str]) -> Dataset:
        """Load comma-separated rows ``x_1,...,x_d,label``.

        The rows are split as the trusted kernel splits them
        (:func:`certify.kernel.parse.csv_rows`: fields at commas, stripped, one pair of double
        quotes removed, blank lines skipped) and coordinates are read by the kernel's number
        syntax: integers, decimals ("0.125", "1e-3") or fractions ("p/q"). The first row is
        taken as a header (and recorded in :attr:`notes`) when its last field is not a number,
        as the kernel decides. This reader accepts more than the kernel's
        (:func:`certify.kernel.parse.parse_dataset`), on purpose: lines starting with ``#``
        are skipped, a label may be any integral number ("2.0", "4/2"), and repeated points
        are merged with a note (so its indices are the kernel's data rows at :attr:`origin`).
        It is stricter in |coordinates| < 10^MAX_COORDINATE_DIGITS and labels <= MAX_LABEL.
        On every file both read, they read the same points and labels (tested). Errors name
        the file, line and field (1-based).
        """
        name = os.fspath(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read dataset file {name}: {e}") from None
        points: list[Point] = []
        labels: list[int] = []
        row_names: list[str] = []
        notes: list[str] = []
        width = None
        width_line = 0
        first = True
        for n, fields, _ in csv_rows(text):
            line = n + 1
            if fields[0].startswith("#"):
                continue
            if len(fields) < 2:
                raise InputError(
                    f"{name}: line {line} has {len(fields)} field; expected comma-separated "
                    "x_1,...,x_d,label (at least 2 fields)"
                )
            if first:
                first = False
                if _is_header(fields):
                    notes.append(f"{name}: line {line} read as a header: {','.join(fields)}")
                    continue
            if width is None:
                width, width_line = len(fields), line
            elif len(fields) != width:
                raise InputError(
                    f"{name}: line {line} has {len(fields)} fields but line {width_line} has "
                    f"{width}; every row needs d coordinates and a label"
                )
            points.append(
                tuple(
                    _csv_coordinate(f, f"{name}: line {line} field {k}")
                    for k, f in enumerate(fields[:-1], start=1)
                )
            )
            labels.append(_parse_label(fields[-1], f"{name}: line {line} label (last field)"))
            row_names.append(f"line {line}")
        if not points:
            raise InputError(f"{name}: no data rows; expected lines x_1,...,x_d,label")
        ds = cls.__new__(cls)
        try:
            ds._setup(points, labels, row_names, notes)
        except InputError as e:
            msg = str(e)
            raise InputError(msg if msg.startswith(name) else f"{name}: {msg}") from None
        return ds

    @classmethod
    def load_npz(cls, path: str | os.PathLike[str]) -> Dataset:
        """Load a numpy ``.npz`` with arrays ``X`` (N×d) and ``y`` (N).

        Float coordinates are converted to their exact binary values, integers exactly; labels
        must be integers >= 1 (integral floats accepted). Pickled objects are refused.
        """
        name = os.fspath(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                if "X" not in keys or "y" not in keys:
                    raise InputError(
                        f"{name}: needs arrays named 'X' (N×d points) and 'y' (N labels); "
                        f"found {keys}"
                    )
                X, y = z["X"], z["y"]
        except InputError:
            raise
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
            raise InputError(f"cannot read dataset file {name} as .npz: {e}") from None
        try:
            points = _array_points(X, "X")
            labels = _array_labels(y, "y")
            if len(points) != len(labels):
                raise InputError(
                    f"X has {len(points)} rows but y has {len(labels)} labels; "
                    "give one label per point"
                )
            ds = cls.__new__(cls)
            ds._setup(points, labels, [f"row {i}" for i in range(len(points))], [])
        except InputError as e:
            raise InputError(f"{name}: {e}") from None
        return ds

    def save_csv(self, path: str | os.PathLike[str], *, inputs=()) -> None:
        """Write ``x_1,...,x_d,label`` rows (exact: ints or p/q), no header, with
        :func:`certify.io.write_output` (which refuses ``inputs`` as the target)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for row, label in zip(self._X, self._y):
            w.writerow([format_number(v) for v in row] + [label])
        write_output(path, buf.getvalue(), inputs=inputs)

    # ------------------------------------------------------------------ properties

    @property
    def X(self) -> tuple[Point, ...]:
        """The points, exact, after merging duplicates."""
        return self._X

    @property
    def y(self) -> tuple[int, ...]:
        """The labels (integers >= 1), aligned with :attr:`X`."""
        return self._y

    @property
    def origin(self) -> tuple[int, ...]:
        """For each kept point, its row index in the input (0-based, data rows only)."""
        return self._origin

    @property
    def N(self) -> int:
        """Number of (distinct) points."""
        return len(self._X)

    @property
    def d(self) -> int:
        """Dimension of the points."""
        return len(self._X[0])

    @property
    def classes(self) -> tuple[int, ...]:
        """The sorted distinct labels."""
        return self._classes

    @property
    def num_classes(self) -> int:
        """C, the number of distinct labels."""
        return len(self._classes)

    def __repr__(self) -> str:
        return f"Dataset(N={self.N}, d={self.d}, classes={_short_list(list(self._classes))})"

    # ------------------------------------------------------------------ separation

    def closest_cross_pair(self, p: object) -> tuple[int, int, Fraction]:
        """(i, j, value), i < j, y_i ≠ y_j, minimising ‖x_i − x_j‖_p.

        ``value`` is ‖x_i − x_j‖_p^p for integer p and ‖x_i − x_j‖_∞ for p = ∞; exact.
        """
        pn = norm_p(p)
        key = ("pair", pn)
        if key not in self._cache:
            self._cache[key] = closest_pair(
                self._X, self._y, math.inf if pn is None else pn, plan_cache=self._plans
            )
        return self._cache[key]

    def epsilon_power(self, p: int) -> Fraction:
        """ε_{D,p}^p = (½·min_{y_i≠y_j} ‖x_i − x_j‖_p)^p, exactly, for integer p >= 1."""
        pn = norm_p(p)
        if pn is None:
            raise InputError("epsilon_power needs an integer p >= 1; for p = ∞ use epsilon_inf()")
        return self.closest_cross_pair(pn)[2] / 2**pn

    def epsilon_inf(self) -> Fraction:
        """ε_{D,∞} = ½·min_{y_i≠y_j} ‖x_i − x_j‖_∞, exactly."""
        return self.closest_cross_pair(math.inf)[2] / 2

    def radius_power(self, rho: object, p: object) -> Fraction:
        """μ^p = ρ^p·ε_{D,p}^p for integer p; μ = ρ·ε_{D,∞} for p = ∞. Exact.

        ``rho`` is an exact number (int, Fraction, "p/q", decimal string) with 0 <= ρ < 1.
        """
        r = parse_number(rho, "robustness ratio rho")
        if not 0 <= r < 1:
            raise InputError(
                f"robustness ratio rho must satisfy 0 <= rho < 1, got {format_number(r)} "
                "(rho >= 1 is impossible for a continuous network)"
            )
        pn = norm_p(p)
        if pn is None:
            return r * self.epsilon_inf()
        return r**pn * self.epsilon_power(pn)

    def nearest_other_label(self, i: int, p: object) -> tuple[int, Fraction]:
        """(j, value): a point with y_j ≠ y_i closest to x_i, and ‖x_i − x_j‖_p^p
        (integer p) or ‖x_i − x_j‖_∞ (p = ∞). Exact."""
        pn = norm_p(p)
        if not 0 <= i < self.N:
            raise InputError(f"point index {i} out of range 0..{self.N - 1}")
        lab = np.asarray(self._y)
        others = np.nonzero(lab != lab[i])[0]
        a, b, v = closest_over(self._X, [(np.array([i]), others)], pn, plan_cache=self._plans)
        return (b if a == i else a), v

    def in_ball(self, x: Sequence[object], i: int, rho: object, p: object) -> bool:
        """Whether ‖x − x_i‖_p < μ = ρ·ε_{D,p} (the open robustness ball), exactly."""
        if not 0 <= i < self.N:
            raise InputError(f"point index {i} out of range 0..{self.N - 1}")
        pt = tuple(parse_number(v, f"x[{k}]") for k, v in enumerate(x))
        if len(pt) != self.d:
            raise InputError(f"x has {len(pt)} coordinates, the dataset has d = {self.d}")
        pn = norm_p(p)
        if pn is None:
            return distance_inf(pt, self._X[i]) < self.radius_power(rho, math.inf)
        return distance_power(pt, self._X[i], pn) < self.radius_power(rho, pn)


def _is_header(fields: list[str]) -> bool:
    """A first row is a header when its last (label) field is not a number in the kernel's
    syntax (the kernel's rule); "nan" and "inf" are data, refused below with a message."""
    try:
        kernel_number(fields[-1])
    except Rejected:
        token = fields[-1].strip().lower().lstrip("+-")
        return token not in {"nan", "inf", "infinity"}
    return False


def _short_list(xs: list[int]) -> str:
    if len(xs) <= 10:
        return "{" + ", ".join(map(str, xs)) + "}"
    return "{" + ", ".join(map(str, xs[:10])) + f", ... ({len(xs)} in total)" + "}"
