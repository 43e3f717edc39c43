"""Limits on input files: how much one file may make Nestwatch read, and why each limit is what it is.

Why a module of its own: a hostile or broken file (a zip bomb, an archive of
thousands of files, a line of fifty megabytes) must be refused before it is
read, with a message naming the file and the limit, and every reader (CSV,
archives, boundaries, the upload preview) must refuse the same things. So
each limit is data, listed once in :data:`LIMITS`: a name, a default, the
environment variable that changes it, and why the default is what it is
(SECURITY.md repeats the table). Values are read each time a file is read, so
an administrator who needs more for one command (a national archive) sets the
variable for that command only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from geo.core.errors import OptionError

__all__ = [
    "ARCHIVE_BYTES",
    "ARCHIVE_ENTRIES",
    "COLUMNS",
    "FILES",
    "LIMITS",
    "LINE_BYTES",
    "MEMBER_BYTES",
    "MEMBER_RATIO",
    "RATIO_FROM_BYTES",
    "Limit",
    "size_text",
]


@dataclass(frozen=True)
class Limit:
    """One limit on input files.

    Attributes
    ----------
    name
        What is limited, in words (used in messages).
    default
        The limit unless :attr:`env` says otherwise.
    env
        The environment variable that sets it (a whole number above 0).
    why
        Why the default is what it is.
    """

    name: str
    default: int
    env: str
    why: str

    def value(self) -> int:
        """The limit now: :attr:`env` when set, else :attr:`default`.

        Raises
        ------
        OptionError
            When the variable is set to anything but a whole number above 0.
        """
        raw = os.environ.get(self.env, "").strip().replace("_", "")
        if not raw:
            return self.default
        if not raw.isdigit() or int(raw) <= 0:
            raise OptionError(f"{self.env} must be a whole number above 0, not {raw!r}", option=self.env)
        return int(raw)

    def hint(self) -> str:
        """How to raise it, for the end of a refusal."""
        return f"{self.env} raises the limit"


MEMBER_BYTES = Limit(
    "the size of one file in an archive",
    1 << 30,
    "NESTWATCH_MAX_MEMBER_BYTES",
    "a file is held in memory while it is read; a national month of police.uk street data is about 150 MB, "
    "so 1 GiB leaves room for any real file while a zip bomb's member (gigabytes of zeros) is refused "
    "from the archive's directory, before a byte is unpacked",
)
ARCHIVE_BYTES = Limit(
    "the unpacked size of one archive",
    4 << 30,
    "NESTWATCH_MAX_ARCHIVE_BYTES",
    "every file of an import is held until the import's single transaction commits; a year of police.uk "
    "street data for all of England and Wales is under 2 GB",
)
MEMBER_RATIO = Limit(
    "how much a file in an archive may expand",
    200,
    "NESTWATCH_MAX_COMPRESSION_RATIO",
    "real CSV and boundary files deflate 3 to 20 times (police.uk street files about 5); a member that "
    "expands more than 200 times is a zip bomb even under the size limits (deflate's own maximum is "
    "about 1,030). Only files over 1 MiB unpacked are judged: a small file cannot harm whatever its ratio",
)
ARCHIVE_ENTRIES = Limit(
    "the number of entries in an archive",
    5000,
    "NESTWATCH_MAX_ARCHIVE_ENTRIES",
    "a police.uk download of one force's whole history (street, outcomes and stop-and-search files for "
    "every month since 2010-12) has under 1,000 entries; listing millions of entries is itself a way to "
    "exhaust memory",
)
FILES = Limit(
    "the number of CSV files one import reads",
    500,
    "NESTWATCH_MAX_FILES",
    "each file is validated and logged as an import of its own (about a tenth of a second each, however "
    "small); a force's whole police.uk history is about 200 monthly street files, while an archive of "
    "thousands of tiny files would keep an import (and the store's write lock) busy for many minutes",
)
LINE_BYTES = Limit(
    "the length of one line of a CSV file",
    1 << 20,
    "NESTWATCH_MAX_LINE_BYTES",
    "a police.uk row is about 300 bytes and a spreadsheet cell holds at most 32,767 characters; the readers "
    "split files in blocks of 4 to 16 MiB that a row must fit in, so a longer line is rejected as a row "
    "(the rest of the file is read) rather than failing the whole file",
)
COLUMNS = Limit(
    "the number of columns of a CSV file",
    1000,
    "NESTWATCH_MAX_COLUMNS",
    "police.uk files have 12 columns and partner exports a few dozen; a header of thousands of names is "
    "not a table of cases, and every column costs memory for every row",
)

#: Members smaller than this (unpacked) are not judged by their compression ratio.
RATIO_FROM_BYTES = 1 << 20

#: Every limit, in the order SECURITY.md lists them.
LIMITS: tuple[Limit, ...] = (MEMBER_BYTES, ARCHIVE_BYTES, MEMBER_RATIO, ARCHIVE_ENTRIES, FILES, LINE_BYTES, COLUMNS)


def size_text(n: int) -> str:
    """A byte count as people read it: ``512 bytes``, ``4.0 MiB``, ``4.0 GiB``."""
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:,.1f} {unit}"
    raise AssertionError("unreachable")
