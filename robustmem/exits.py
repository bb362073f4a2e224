"""Exit codes of the ``robustmem`` command, and the usage error (one line, exit code 3).

Kept apart from :mod:`robustmem.cli` so that the subcommand modules need not import it."""

from __future__ import annotations

EXIT_OK, EXIT_REFUTED, EXIT_UNKNOWN, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3, 4


class UsageError(Exception):
    """A command-line usage problem (one line, exit code 3)."""
