"""Argument groups shared by several subcommands."""

from __future__ import annotations

import argparse

from robustmem.exits import UsageError


def add_net_data_args(sp: argparse.ArgumentParser, cert: bool = False) -> None:
    sp.add_argument("net", help="network JSON (robustmem-network/1)")
    add_data_radius_args(sp, cert, vnnlib=True)
    sp.add_argument(
        "--vnnlib",
        nargs="+",
        action="extend",
        metavar="P",
        help="VNN-LIB property files instead of a dataset (a box and an unsafe output set "
        "each; see 'VNN-LIB properties' below); put it after the positionals",
    )


def add_data_radius_args(
    sp: argparse.ArgumentParser, cert: bool = False, vnnlib: bool = False
) -> None:
    """DATA (and CERT) positionals with the radius options; with ``vnnlib`` they are optional
    (a --vnnlib run has no dataset; ``check NET CERT --vnnlib P`` reads CERT in DATA's place)."""
    opt = {"nargs": "?"} if vnnlib else {}
    sp.add_argument("data", help="dataset (.csv or .npz)", **opt)
    if cert:
        sp.add_argument("cert", help="certificate bundle (robustmem-certificate/2)", **opt)
    sp.add_argument("--rho", help="relative radius in (0,1): μ = ρ·ε_{D,p}")
    sp.add_argument("--mu", help="absolute radius μ > 0")
    sp.add_argument(
        "--p",
        default="2",
        help="norm: 1, 2, inf or an integer 1 ≤ k ≤ 1000 (default 2; inf for larger k)",
    )


# ----------------------------------------------------------------------------- validators
# Each raises the one-line UsageError (exit 3); the commands call them before any work.


def positive_finite(value: float | None, opt: str, unit: str = "") -> None:
    """``value`` (when given) is a positive finite number: refuses 0, negatives, nan, inf."""
    if value is not None and not 0 < value < float("inf"):  # nan fails both comparisons
        what = f" ({unit})" if unit else ""
        raise UsageError(f"{opt} must be positive and finite{what}, got {value}")


def at_least(value: int | None, opt: str, low: int, unit: str = "") -> None:
    """``value`` (when given) is an integer ≥ ``low``."""
    if value is not None and value < low:
        what = f" ({unit})" if unit else ""
        need = "a positive integer" if low == 1 else f"at least {low}"
        raise UsageError(f"{opt} must be {need}{what}, got {value}")


def only_with(given: bool, opt: str, needs: str, hint: str = "drop it") -> None:
    """An option that does not apply is an error, not silently ignored: ``opt`` was given
    but only means something with ``needs`` (a phrase such as "--error")."""
    if given:
        raise UsageError(f"{opt} applies only with {needs}; {hint}")
