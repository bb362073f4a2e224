"""Errors raised by the certify package."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input: a malformed network, dataset, number or parameter.

    Contract: the message is a single line that says what is wrong, where (file, line,
    layer, row, column) and, when there is an obvious fix, what to do. The CLI prints it
    as is and exits with code 3.
    """

    def __init__(self, message: str) -> None:
        one_line = " ".join(str(message).split())
        super().__init__(one_line)
