"""Subcommands registered by this module (see ``register``); wired into robustmem.cli."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``robustmem`` parser (none yet)."""
