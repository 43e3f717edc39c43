"""The careful CSV reader: any encoding, ragged rows and NUL bytes, bad rows rejected by number.

Why a module of its own: this is the reader every file can take, and the
reference that the fast path (:mod:`geo.ingest._csv_fast`) must agree with. It decodes
the bytes (UTF-8 with or without a BOM, UTF-16, cp1252), splits them with
pyarrow while collecting malformed rows instead of failing the whole file, and
rejects rows holding NUL bytes by name. Its header rules and all-text cells
are shared with the fast path, so both see the same columns and values.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from geo.core.errors import InputError
from geo.core.rejects import empty_rejects, rows_to_json

#: Replaces NUL bytes before parsing so the rows holding them can be rejected by name.
NUL_SENTINEL = "\ue000"


def decode_bytes(data: bytes, *, file: str) -> tuple[str, str]:
    """Decode CSV bytes, returning ``(text, encoding)``.

    Exports come as UTF-8, UTF-8 with a BOM (Excel "CSV UTF-8"), UTF-16
    (Excel "Unicode text") or cp1252 (Excel "CSV" on Windows). cp1252 is the
    fallback because any byte string that is not UTF-8 is almost always it in
    the UK; a true binary file is caught before by its NUL bytes or signature.
    """
    if not data.strip():
        raise InputError("file is empty", file=file)
    if data[:4] == b"PK\x03\x04":
        raise InputError(
            "this is a zip archive or an Excel workbook, not a CSV file: "
            "save it as CSV (or pass the .zip of police.uk files)",
            file=file,
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    nul = data.count(b"\x00")
    if nul and nul > max(16, len(data) // 100):
        raise InputError(
            f"file holds {nul} NUL bytes: it is binary or corrupt, not a CSV text file",
            file=file,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        encoding = "cp1252"
    return text, encoding


def all_text(
    header: list[str], *, encoded: set[str] | frozenset[str] = frozenset(), check_utf8: bool = True
) -> pacsv.ConvertOptions:
    """Every cell as text, blanks as "" (validation decides what a blank means)."""
    dictionary = pa.dictionary(pa.int32(), pa.string())
    return pacsv.ConvertOptions(
        column_types={h: dictionary if h in encoded else pa.string() for h in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        check_utf8=check_utf8,
    )


def check_header(first_line: str, *, file: str) -> list[str]:
    """Split and check the header line: blank or repeated names make the file unreadable."""
    header = next(csv.reader([first_line]), [])
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError("the first line (the header) is blank", file=file)
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank:
        raise InputError(f"header has blank column name(s) at position(s) {blank}", file=file, row=1)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"header repeats column name(s) {dupes}", file=file, row=1)
    return header


def read_csv_text(text: str, *, file: str) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Split CSV text into a frame of strings, rejecting rows with the wrong field count.

    pyarrow does the splitting (fast, and it reports each malformed row with its
    line number instead of failing the whole file the way pandas does).

    Returns
    -------
    header, frame, rejects
        ``frame`` has the file's own headings plus ``_row``.
    """
    if NUL_SENTINEL in text:
        raise InputError(
            "file holds the private-use character U+E000, which is not allowed",
            file=file,
        )
    text = text.replace("\x00", NUL_SENTINEL)
    header = check_header(text.split("\n", 1)[0].rstrip("\r"), file=file)
    if "\n" not in text.strip("\r\n"):
        raise InputError("file has a header but no data rows", file=file)

    invalid: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=all_text(header),
        )
    except pa.ArrowInvalid as exc:  # e.g. an unterminated quote at end of file
        raise InputError(f"cannot split the file into CSV rows: {exc}", file=file) from None

    frame = table.to_pandas()
    n = len(frame) + len(invalid)
    # Rows are numbered by record, header = row 1, as a spreadsheet shows them;
    # pyarrow reports malformed rows by number and the good rows fill the rest
    # in order (the two agree unless quoted values hold line breaks).
    bad_lines = np.array(sorted(r.number for r in invalid if r.number is not None), dtype=np.int64)
    all_lines = np.arange(2, n + 2, dtype=np.int64)
    frame["_row"] = np.setdiff1d(all_lines, bad_lines, assume_unique=True)[: len(frame)]
    rejects = pd.DataFrame(
        {
            "file": file,
            "row": [r.number for r in invalid],
            "column": "",
            "reason": [f"row has {r.actual_columns} fields but the header has {r.expected_columns}" for r in invalid],
            "raw": [json.dumps({"line": r.text}, ensure_ascii=False) for r in invalid],
        }
    )
    if rejects.empty:
        rejects = empty_rejects()
    return header, frame, rejects


def nul_rows(original: pd.DataFrame, *, file: str) -> pd.DataFrame:
    """Rejects for rows holding NUL bytes (replaced by the sentinel when decoding)."""
    heads = [c for c in original.columns if c != "_row"]
    hit = np.zeros(len(original), dtype=bool)
    first_col = np.full(len(original), "", dtype=object)
    for h in heads:
        has = original[h].str.contains(NUL_SENTINEL, regex=False).to_numpy(dtype=bool)
        first_col[has & ~hit] = h
        hit |= has
    if not hit.any():
        return empty_rejects()
    sub = original[hit]
    raw = [r.replace(NUL_SENTINEL, "\\u0000") for r in rows_to_json(sub, columns=heads)]
    return pd.DataFrame(
        {
            "file": file,
            "row": sub["_row"].to_numpy(),
            "column": first_col[hit],
            "reason": "contains a NUL byte (file corrupted?)",
            "raw": raw,
        }
    )
