"""The fast CSV reader, for the common case: well-formed UTF-8 without NUL bytes.

Why a module of its own: police.uk downloads are nearly always clean UTF-8, and
reading them is a large part of an import (a force-year is hundreds of
megabytes). Here pyarrow splits the memory-mapped bytes on both cores with no
per-row callback, police.uk's repeated columns come dictionary-encoded while
they are parsed, and UTF-8 is checked once per distinct value. Whenever a file
needs more care the answer is None and :mod:`geo.ingest._csv_careful` reads it instead,
so the outcome never depends on which path ran.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from geo.core.errors import InputError
from geo.ingest._csv_careful import NUL_SENTINEL, SIGNATURES, all_text, check_header, looks_binary
from geo.ingest._limits import LINE_BYTES

_NON_SPACE = re.compile(rb"\S")
_EOL = re.compile(rb"[\r\n]")


def read_clean_utf8(
    data: bytes | mmap.mmap, *, file: str, encoded: Callable[[list[str]], Iterable[str]] = lambda _h: ()
) -> tuple[list[str], pa.Table] | None:
    """The fast path for the common case: well-formed UTF-8 without NUL bytes.

    pyarrow then splits the bytes on both cores with no per-row callback, and row
    numbers follow from positions. Returns None whenever the careful path is
    needed instead (another encoding, NUL bytes, a ragged row, a broken quote,
    a known binary format or control bytes, a line that may be longer than
    :data:`~geo.ingest._limits.LINE_BYTES`), so the answer never depends on
    which path ran. CR alone ends a line, as CRLF and LF do. The columns that
    ``encoded(header)`` names come dictionary-encoded (built while parsing, on
    both cores: a police.uk column repeats a few thousand values a million times).
    """
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    # no slicing or stripping of the whole body: each would copy hundreds of megabytes
    if (
        _NON_SPACE.search(data, start) is None
        or data[start : start + 2] in (b"\xff\xfe", b"\xfe\xff")
        or any(data[start : start + len(signature)] == signature for signature, _ in SIGNATURES)
        or data.find(b"\x00") != -1
        or looks_binary(data[start : start + (1 << 16)])
        # the sentinel's lead byte first: a one-byte search is a memchr, ten times faster
        or (data.find(NUL_SENTINEL.encode()[:1]) != -1 and data.find(NUL_SENTINEL.encode()) != -1)
    ):
        return None
    found = _EOL.search(data, start)  # CR alone ends a line too
    eol = found.start() if found else -1
    first_line = data[start : eol if eol != -1 else len(data)]
    try:
        header = check_header(first_line.decode("utf-8"), file=file)
    except UnicodeDecodeError:
        return None
    if eol == -1 or _NON_SPACE.search(data, eol) is None:
        raise InputError("file has a header but no data rows", file=file)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(memoryview(data)[start:]),
            read_options=pacsv.ReadOptions(use_threads=True, column_names=header, skip_rows=1, block_size=1 << 22),
            # without quotes no value can hold a line break, and pyarrow may then split
            # the file into blocks at any line end, which is much faster
            parse_options=pacsv.ParseOptions(newlines_in_values=data.find(b'"') != -1),
            # UTF-8 is checked below, once per distinct value rather than once per cell
            convert_options=all_text(header, encoded=set(encoded(header)), check_utf8=False),
        )
        table = table.unify_dictionaries()
        _check_utf8(table)
    except (pa.ArrowInvalid, UnicodeDecodeError):  # also a line longer than a block ("straddling object")
        return None
    if _longest_line_bound(table) > LINE_BYTES.value():
        return None  # a line may be over the limit: the careful path measures the lines themselves
    return header, table


def _text_values(column: pa.ChunkedArray) -> list[pa.Array]:
    """The arrays holding a column's distinct texts: its chunks, or for an encoded column its one dictionary.

    pyarrow's CSV reader gives every chunk of an encoded column the same dictionary, so the first says all.
    """
    if pa.types.is_dictionary(column.type):
        return [column.chunks[0].dictionary] if column.num_chunks else []
    return list(column.chunks)


def _longest_line_bound(table: pa.Table) -> int:
    """No line of the file is longer than this: every field at its column's longest, quoted, its quotes doubled."""
    bound = 0
    for column in table.columns:
        longest = 0
        for values in _text_values(column):
            if len(values):
                longest = max(longest, pc.max(pc.binary_length(values)).as_py() or 0)
        bound += 2 * longest + 3
    return bound


def _check_utf8(table: pa.Table) -> None:
    """Raise ArrowInvalid unless every text value is UTF-8 (pure ASCII needs no closer look)."""
    for column in table.columns:
        for values in _text_values(column):
            data = values.buffers()[2]
            if data is not None and len(data) and np.frombuffer(data, dtype=np.uint8).max() >= 0x80:
                values.validate(full=True)
