"""VNN-LIB export of robustness balls, for running other verifiers on robustmem's questions.

For an ℓ∞ ball around ``center`` with radius μ and label y, the property file declares
``X_0 .. X_{d-1}`` (the network input, flattened) and ``Y_0`` (the scalar output), asserts
the input box ``c_i − μ <= X_i <= c_i + μ`` and then asserts the UNSAFE output set (a VNN-LIB
file describes a counterexample; a verifier answers ``sat`` with one or ``unsat``):

* ``delta > 0`` (default 1/2): ``(or (<= Y_0 y−δ) (>= Y_0 y+δ))`` — the output is at least δ
  away from the label. Every tool that reads VNN-LIB accepts this.
* ``delta = 0``: ``(or (< Y_0 y) (> Y_0 y))`` — exactly ``Y_0 ≠ y``. SMT-LIB allows strict
  comparisons, but many VNN-LIB readers (Marabou among them) do not.

How the answers relate to ``robustmem certify`` (which asks ``f = y`` on the OPEN ball
‖x − c‖∞ < μ) when every number was written exactly (see ``exact`` below):

* The VNN-LIB box is CLOSED. Since f is continuous, ``f ≠ y`` somewhere on the closed box iff
  somewhere on the open ball (the set where ``f ≠ y`` is open), so with ``delta = 0`` the
  two questions are the same: unsat ⟺ PROVED, sat ⟺ REFUTED.
* With ``delta > 0``: sat ⟹ REFUTED (|f − y| ≥ δ at a point of the closed box, so by
  continuity f ≠ y at points of the open ball); unsat only says |f − y| < δ on the box,
  which is weaker than PROVED. For integer labels δ = 1/2 asks "does the output round to
  another label?".

Classifiers (C ≥ 2 outputs, output index y − 1 is class y; ``certify`` asks argmax f = y
with ties failing): ``Y_0 .. Y_{C-1}`` are declared and the unsafe set is the VNN-COMP form
``(or (and (>= Y_j Y_{y-1})) ...)`` over j ≠ y − 1 (a tie is unsafe, as in robustmem);
``delta`` does not apply. This set is CLOSED, so the closed box matters: unsat ⟹ PROVED
(the box contains the open ball); sat with a point where some Y_j > Y_{y−1} strictly ⟹
REFUTED (the strict set is open, so it meets the open ball); a sat point that is only a tie
on the box's boundary decides nothing.

Numbers are written as plain decimals (``-0.5``, no exponents; VNN-LIB readers do not take
``(/ p q)``). A rational whose denominator has a prime factor other than 2 and 5 has no
finite decimal: it is rounded OUTWARD (box lower bounds down, upper bounds up; δ down), so
the written question is a superset of the exact one — an unsat answer still implies the
exact one, a sat answer may then be spurious — and the instance is marked inexact. The
network itself goes to ONNX float64 (:mod:`certify.onnx_io`), which is inexact when a weight
is not a float64; the manifest records both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from certify.dataset import Dataset
from certify.errors import InputError
from certify.io import write_output
from certify.network import Network
from certify.numbers import format_number, parse_number

__all__ = [
    "DEFAULT_DELTA",
    "VnnlibExport",
    "decimal_text",
    "export_vnnlib",
    "vnnlib_property",
]

DEFAULT_DELTA = Fraction(1, 2)
DECIMAL_DIGITS = 30  # significant digits when a rational has no finite decimal
MANIFEST_FORMAT = "robustmem-vnnlib-export/1"


def _finite_decimal(q: Fraction) -> bool:
    den = q.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1


def decimal_text(q: Fraction, rounding: str) -> tuple[str, bool]:
    """``q`` as a plain decimal string and whether it is exact.

    Exact when ``q``'s denominator is 2^a·5^b; otherwise rounded to about
    :data:`DECIMAL_DIGITS` significant digits toward ``rounding`` ("down" = toward −∞,
    "up" = toward +∞).
    """
    if rounding not in ("down", "up"):
        raise ValueError(f"rounding must be 'down' or 'up', got {rounding!r}")
    exact = _finite_decimal(q)
    if exact:
        places = 0
        while (q * 10**places).denominator != 1:
            places += 1
    else:
        mag = abs(q)
        # digits before the point (≥ 0) decide how many places give DECIMAL_DIGITS significant
        int_digits = len(str(int(mag))) if mag >= 1 else 0
        lead_zeros = 0
        if mag < 1:
            t = mag
            while t < Fraction(1, 10):
                t *= 10
                lead_zeros += 1
        places = max(DECIMAL_DIGITS - int_digits, 0) + lead_zeros
    scaled = q * 10**places
    n = scaled.numerator // scaled.denominator  # floor
    if not exact and rounding == "up":
        n += 1
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(places + 1, "0")
    if places == 0:
        return f"{sign}{digits}", exact
    head, tail = digits[:-places], digits[-places:]
    return f"{sign}{head}.{tail}", exact


@dataclass
class _Text:
    exact: bool = True

    def num(self, q: Fraction, rounding: str) -> str:
        s, ok = decimal_text(q, rounding)
        self.exact &= ok
        return s


def vnnlib_property(
    center: Sequence[object],
    mu: object,
    label: int,
    delta: object = DEFAULT_DELTA,
    comment: str = "",
    classes: int = 1,
) -> tuple[str, bool]:
    """The VNN-LIB text for the ℓ∞ ball (center, μ) with label y, and whether it is exact.

    ``classes`` = 1: the scalar property f = y; C ≥ 2: argmax f = y (ties fail). See the
    module docstring for the meaning of ``delta`` and of the closed box.
    """
    if classes >= 2:
        return _argmax_property(center, mu, label, classes, comment)
    c = [parse_number(v, f"center[{i}]") for i, v in enumerate(center)]
    m = parse_number(mu, "mu")
    dl = parse_number(delta, "delta")
    if m <= 0:
        raise InputError(f"mu must be positive, got {format_number(m)}")
    if dl < 0:
        raise InputError(f"delta must be >= 0, got {format_number(dl)}")
    if not c:
        raise InputError("the ball center has no coordinates")
    y = Fraction(label)
    t = _Text()
    lines = [f"; {line}" for line in comment.splitlines()]
    lines += [
        f"; l_inf ball: center c, radius mu = {format_number(m)}, label y = {label}",
        "; robustmem's ball is OPEN (|x - c|_inf < mu); this box is CLOSED (see certify/vnnlib.py)",
        (
            f"; unsafe set: |Y_0 - y| >= delta = {format_number(dl)}"
            if dl > 0
            else "; unsafe set: Y_0 != y (strict comparisons)"
        ),
        "",
    ]
    lines += [f"(declare-const X_{i} Real)" for i in range(len(c))]
    lines += ["(declare-const Y_0 Real)", "", "; input constraints"]
    for i, ci in enumerate(c):
        lines.append(f"(assert (>= X_{i} {t.num(ci - m, 'down')}))")
        lines.append(f"(assert (<= X_{i} {t.num(ci + m, 'up')}))")
    lines += ["", "; output constraints (the unsafe set)"]
    if dl > 0:
        lo = t.num(y - dl, "up")  # δ rounded down: the unsafe set only grows
        hi = t.num(y + dl, "down")
        lines.append(f"(assert (or (<= Y_0 {lo}) (>= Y_0 {hi})))")
    else:
        ys = t.num(y, "down")
        lines.append(f"(assert (or (< Y_0 {ys}) (> Y_0 {ys})))")
    return "\n".join(lines) + "\n", t.exact


def _argmax_property(
    center: Sequence[object], mu: object, label: int, classes: int, comment: str
) -> tuple[str, bool]:
    c = [parse_number(v, f"center[{i}]") for i, v in enumerate(center)]
    m = parse_number(mu, "mu")
    if m <= 0:
        raise InputError(f"mu must be positive, got {format_number(m)}")
    if not c:
        raise InputError("the ball center has no coordinates")
    if not 1 <= label <= classes:
        raise InputError(f"label {label} is not a class of this network (classes 1..{classes})")
    t = _Text()
    k = label - 1
    lines = [f"; {line}" for line in comment.splitlines()]
    lines += [
        f"; l_inf ball: center c, radius mu = {format_number(m)}, label y = {label} "
        f"(output Y_{k}), {classes} classes",
        "; robustmem's ball is OPEN (|x - c|_inf < mu); this box is CLOSED (see certify/vnnlib.py)",
        f"; unsafe set: some Y_j >= Y_{k} (j != {k}; a tie is unsafe, as in robustmem)",
        "",
    ]
    lines += [f"(declare-const X_{i} Real)" for i in range(len(c))]
    lines += [f"(declare-const Y_{j} Real)" for j in range(classes)]
    lines += ["", "; input constraints"]
    for i, ci in enumerate(c):
        lines.append(f"(assert (>= X_{i} {t.num(ci - m, 'down')}))")
        lines.append(f"(assert (<= X_{i} {t.num(ci + m, 'up')}))")
    lines += ["", "; output constraints (the unsafe set)", "(assert (or"]
    lines += [f"    (and (>= Y_{j} Y_{k}))" for j in range(classes) if j != k]
    lines.append("))")
    return "\n".join(lines) + "\n", t.exact


@dataclass
class VnnlibExport:
    """What :func:`export_vnnlib` wrote."""

    outdir: str
    onnx: str
    onnx_exact: bool
    inexact_params: int
    delta: Fraction
    mu: Fraction
    instances: list[dict[str, Any]] = field(default_factory=list)
    classes: int = 1

    @property
    def exact(self) -> bool:
        return self.onnx_exact and all(i["exact"] for i in self.instances)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "onnx": self.onnx,
            "onnx_exact": self.onnx_exact,
            "inexact_params": self.inexact_params,
            "p": "inf",
            "mu": str(format_number(self.mu)),
            "delta": None if self.classes >= 2 else str(format_number(self.delta)),
            "property": "argmax" if self.classes >= 2 else "equal",
            "classes": self.classes,
            "unsafe_set": (
                "some Y_j >= Y_(y-1), j != y-1"
                if self.classes >= 2
                else ("Y_0 != y" if self.delta == 0 else "|Y_0 - y| >= delta")
            ),
            "box": "closed (robustmem balls are open; see certify/vnnlib.py)",
            "exact": self.exact,
            "instances": self.instances,
        }


def export_vnnlib(
    net: Network,
    ds: Dataset,
    mu: object,
    outdir: str | os.PathLike[str],
    balls: Sequence[int] | None = None,
    delta: object = DEFAULT_DELTA,
    timeout: int = 60,
    onnx_name: str = "network.onnx",
) -> VnnlibExport:
    """Write ``onnx_name``, one ``ball_<i>.vnnlib`` per chosen ball, ``instances.csv`` (the
    VNN-COMP format ``onnx,vnnlib,timeout``, paths relative to ``outdir``, no header) and
    ``manifest.json`` (exactness, labels, radius) into ``outdir`` (created if missing).

    ``mu`` is the exact ℓ∞ radius; ``balls`` are dataset indices (default: all). Each file
    is written atomically; ``instances.csv`` and ``manifest.json`` come last.
    """
    from certify.io import save_onnx
    from certify.run import dataset_hash

    if ds.d != net.input_dim:
        raise InputError(
            f"the dataset has d = {ds.d} coordinates but the network's input_dim is {net.input_dim}"
        )
    m = parse_number(mu, "mu")
    if m <= 0:
        raise InputError(f"mu must be positive, got {format_number(m)}")
    dl = parse_number(delta, "delta")
    if dl < 0:
        raise InputError(f"delta must be >= 0, got {format_number(dl)}")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise InputError(f"timeout must be a positive integer (seconds), got {timeout!r}")
    chosen = list(range(ds.N)) if balls is None else list(balls)
    if not chosen:
        raise InputError("no balls chosen; give at least one ball index")
    for i in chosen:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < ds.N:
            raise InputError(f"ball index {i!r} is out of range; the dataset has {ds.N} points")
    if len(set(chosen)) != len(chosen):
        raise InputError("ball indices repeat; give each index once")
    C = net.output_dim
    if C >= 2:
        bad = [i for i in chosen if not 1 <= ds.y[i] <= C]
        if bad:
            raise InputError(
                f"ball {bad[0]} has label {ds.y[bad[0]]}, not a class of this {C}-output "
                f"classifier (classes 1..{C}, output index y − 1 is class y)"
            )
    out = Path(outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create output directory {os.fspath(outdir)}: {e}") from None
    rep = save_onnx(net, out / onnx_name)
    result = VnnlibExport(
        os.fspath(out), onnx_name, rep.exact, rep.inexact_params, dl, m, classes=net.output_dim
    )
    width = len(str(max(chosen)))
    for i in chosen:
        name = f"ball_{i:0{width}d}.vnnlib"
        comment = (
            f"robustmem ball {i} (dataset row {ds.origin[i]}); network sha256 "
            f"{net.content_hash()[:12]}, dataset sha256 {dataset_hash(ds)[:12]}"
        )
        text, exact = vnnlib_property(ds.X[i], m, ds.y[i], dl, comment, net.output_dim)
        write_output(out / name, text)
        result.instances.append(
            {"index": i, "label": ds.y[i], "vnnlib": name, "exact": exact, "timeout": timeout}
        )
    csv = "".join(f"{onnx_name},{r['vnnlib']},{timeout}\n" for r in result.instances)
    write_output(out / "instances.csv", csv)
    write_output(out / "manifest.json", json.dumps(result.to_json(), indent=1) + "\n")
    return result
