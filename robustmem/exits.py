"""Exit codes of the ``robustmem`` command, and the usage error (one line, exit code 3).

Kept apart from :mod:`robustmem.cli` so that the subcommand modules need not import it."""

from __future__ import annotations

EXIT_OK, EXIT_REFUTED, EXIT_UNKNOWN, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM (the shell's)


class UsageError(Exception):
    """A command-line usage problem (one line, exit code 3)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised in the main thread by the ``robustmem`` command's handler, so
    that every ``finally`` runs (worker processes stopped, temporary files removed) and the
    command exits with :data:`EXIT_TERMINATED`."""
