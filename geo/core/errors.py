"""Every exception Nestwatch raises on purpose, in one place.

Callers (the CLI, the dashboard) catch these to show a one-line message
instead of a traceback, so each carries enough context to act on. Three
kinds, because each asks for a different fix:

- :class:`InputError`: a file or a row is at fault (which file, row, column);
  the data owner fixes the file.
- :class:`OptionError`: an option or argument is at fault (a resolution out of
  range, a month that is not ``YYYY-MM``, an unknown category); the person
  running the command or moving the slider fixes the call.
- :class:`StoreError`: the store is at fault (bad URL, locked file, schema
  from a newer version) or does not hold what was asked of it (nothing loaded
  yet, no boundaries; data already there when a restore needs an empty store);
  the administrator fixes the set-up.

The command line maps all three to exit code 2 and one line on stderr
(:func:`one_line`, which the pages use too).
"""

from __future__ import annotations

import re


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


class OptionError(NestwatchError, ValueError):
    """An option or argument is not one the function accepts (the data is not to blame).

    Parameters
    ----------
    message
        What is wrong and what would be accepted.
    option
        The option's name as the caller knows it (``"res"``, ``"--from"``), when one is to blame.
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        self.message = message
        self.option = option
        super().__init__(message)


class StoreError(NestwatchError):
    """The store is at fault, not the data or the call.

    It could not be opened or written (bad URL, locked file, schema mismatch), or what it holds
    does not allow the operation (empty where data is needed, holding data where a restore needs it empty).
    """


#: Characters a message never shows as they are: C0/C1 controls (line breaks, terminal escapes) and the
#: bidirectional overrides that make text read differently from what it is.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]+")

#: The most a message shows: a line a terminal or a page shows whole, never a file's worth of garbage.
MAX_MESSAGE_CHARS = 400


def printable(text: str) -> str:
    """``text`` with every run of control characters as one space (a file or member name from a hostile archive)."""
    return _UNPRINTABLE.sub(" ", text)


def one_line(message: object, *, limit: int = MAX_MESSAGE_CHARS) -> str:
    """The one line a person is shown for an error: printable, and at most ``limit`` characters.

    Messages quote file names, headings and values that come from the file;
    a binary file's "heading" can be kilobytes of escape codes. Cut in the
    middle, so that both the file named at the start and the advice at the
    end survive.
    """
    text = " ".join(printable(str(message)).split())
    if len(text) <= limit:
        return text
    keep = limit - 3
    return f"{text[: keep - keep // 3]} … {text[len(text) - keep // 3 :]}"


def _fmt(label: str, value: object) -> str | None:
    if value is None:
        return None
    return f"{label} {value!r}" if label == "column" else f"{label} {value}"
