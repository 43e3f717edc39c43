"""Every exception Nestwatch raises on purpose, in one place.

Callers (the CLI, the dashboard) catch these to show a one-line message
instead of a traceback, so each carries enough context to act on: which
file, which row, which column.
"""

from __future__ import annotations


class NestwatchError(Exception):
    """Base class: anything the user can fix or should be told about."""


class InputError(NestwatchError, ValueError):
    """A file cannot be read at all (as opposed to single rows being rejected).

    Parameters
    ----------
    message
        What is wrong, in words a data owner understands.
    file
        The file (or archive member) the problem was found in.
    row
        Spreadsheet-style row number (the header is row 1), when one row is to blame.
    column
        The column heading, when one column is to blame.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [p for p in (self.file, _fmt("row", self.row), _fmt("column", self.column)) if p]
        return f"{', '.join(where)}: {self.message}" if where else self.message


class StoreError(NestwatchError):
    """The store could not be opened or written (bad URL, locked file, schema mismatch)."""


def _fmt(label: str, value: object) -> str | None:
    if value is None:
        return None
    return f"{label} {value!r}" if label == "column" else f"{label} {value}"
