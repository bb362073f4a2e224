"""Argument groups shared by several subcommands."""

from __future__ import annotations

import argparse


def add_net_data_args(sp: argparse.ArgumentParser, cert: bool = False) -> None:
    sp.add_argument("net", help="network JSON (robustmem-network/1)")
    add_data_radius_args(sp, cert)


def add_data_radius_args(sp: argparse.ArgumentParser, cert: bool = False) -> None:
    sp.add_argument("data", help="dataset (.csv or .npz)")
    if cert:
        sp.add_argument("cert", help="certificate bundle (robustmem-certificate/2)")
    sp.add_argument("--rho", help="relative radius in (0,1): μ = ρ·ε_{D,p}")
    sp.add_argument("--mu", help="absolute radius μ > 0")
    sp.add_argument(
        "--p",
        default="2",
        help="norm: 1, 2, inf or an integer 1 ≤ k ≤ 1000 (default 2; inf for larger k)",
    )
