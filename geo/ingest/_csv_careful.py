"""The careful CSV reader: any encoding, ragged rows and NUL bytes, bad rows rejected by number.

Why a module of its own: this is the reader every file can take, and the
reference that the fast path (:mod:`geo.ingest._csv_fast`) must agree with. It decodes
the bytes (UTF-8 with or without a BOM, UTF-16 with or without one, cp1252),
splits them with pyarrow while collecting malformed rows instead of failing
the whole file, and rejects rows holding NUL bytes by name. Its header rules
and all-text cells are shared with the fast path, so both see the same columns
and values.

A hostile or broken file must cost one row, not the file nor the machine:
known binary formats and text full of control bytes are refused in one short
line; a line longer than :data:`geo.ingest._limits.LINE_BYTES`, or one that
is neither UTF-8 nor cp1252, is rejected as a row with its reason (pyarrow would
otherwise fail the whole file on the first, and a whole-file fallback to cp1252
would silently rewrite every good UTF-8 row for the second); CR, LF and CRLF
all end a line, mixed or not.
"""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from geo.core.errors import InputError, printable
from geo.core.rejects import empty_rejects, rows_to_json
from geo.ingest._limits import COLUMNS, LINE_BYTES, size_text

#: Replaces NUL bytes before parsing so the rows holding them can be rejected by name.
NUL_SENTINEL = "\ue000"
#: Where a mark for a line that cannot be a row is chosen from: the first of these characters the file lacks.
_MARKS = range(0xE001, 0xF900)

#: Known binary formats by their first bytes: what the file is, and what to send instead.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (
        b"PK\x03\x04",
        "this is a zip archive or an Excel workbook, not a CSV file: save it as CSV "
        "(or pass the .zip of police.uk files)",
    ),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "this is an Excel 97-2003 workbook (.xls), not a CSV file: save it as CSV"),
    (b"%PDF", "this is a PDF document, not a CSV file: export the table as CSV"),
    (b"\x1f\x8b", "this is a gzip-compressed file, not a CSV file: unpack it first"),
    (b"SQLite format 3\x00", "this is a SQLite database, not a CSV file"),
    (b"\x89PNG", "this is an image, not a CSV file"),
    (b"\xff\xd8\xff", "this is an image, not a CSV file"),
    (b"GIF8", "this is an image, not a CSV file"),
)
#: Bytes no text file holds (NUL is judged on its own; tab, line ends, form feed, vertical tab and
#: DOS's end-of-file mark are text).
_CONTROL_BYTES = bytes([*range(0x01, 0x09), *range(0x0E, 0x1A), *range(0x1B, 0x20), 0x7F])
_CONTROL_CHARS = dict.fromkeys(_CONTROL_BYTES)  # for str.translate: the same characters, deleted
#: Bytes looked at to tell text from binary.
_SNIFF = 1 << 16
_SURROGATE = re.compile("[\udc80-\udcff]")  # a byte that was not UTF-8, kept by surrogateescape
_UTF8_TEXT = re.compile("[\u0080-\ud7ff\ue000-\U0010ffff]")  # a non-ASCII character that was UTF-8
_EOL = re.compile("\r\n|\r|\n")


def decode_bytes(data: bytes, *, file: str) -> tuple[str, str]:
    """Decode CSV bytes, returning ``(text, encoding)``.

    Exports come as UTF-8, UTF-8 with a BOM (Excel "CSV UTF-8"), UTF-16
    (Excel "Unicode text", with or without its byte-order mark) or cp1252
    (Excel "CSV" on Windows). Decoding is per line when it must be: a UTF-8
    file with one line typed in cp1252 keeps its UTF-8 lines as they are and
    reads that line as cp1252 (``encoding`` says which lines); a line that is
    neither keeps the bytes it cannot decode (as surrogate escapes) for
    :func:`read_csv_text` to reject as a row.

    Raises
    ------
    InputError
        For an empty file, a known binary format (zip, Excel, PDF...), binary data
        (NUL or control bytes), or UTF-16/UTF-32 that breaks off or holds an invalid
        character, naming the byte where it does.
    """
    if not data.strip():
        raise InputError("file is empty", file=file)
    for signature, message in SIGNATURES:
        if data.startswith(signature):
            raise InputError(message, file=file)
    wide = _wide_encoding(data)
    if wide is not None:
        text = _decode_wide(data, wide, file=file)
        chars = text[:_SNIFF]
        _refuse_binary(len(chars) - len(chars.translate(_CONTROL_CHARS)), len(chars), file=file)
        return text, wide.removesuffix("-le").removesuffix("-be")
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
    head = data[:_SNIFF]
    _refuse_binary(len(head) - len(head.translate(None, _CONTROL_BYTES)), len(head), file=file)
    try:
        return data.decode("utf-8"), encoding
    except UnicodeDecodeError:
        pass
    if data.decode("utf-8", "ignore").isascii():  # nothing in the file is UTF-8 beyond ASCII: the whole file is cp1252
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:  # a byte cp1252 lacks: decode line by line, and that line is rejected
            pass
    return _per_line(data.decode("utf-8", "surrogateescape"), encoding)


def _wide_encoding(data: bytes) -> str | None:
    """UTF-32 or UTF-16 from the byte-order mark, or UTF-16 without one from where its NUL bytes fall."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "utf-32"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(odd) >= 2:  # ASCII text in UTF-16 has a NUL in every other byte, and only there
        if odd.count(0) >= 0.3 * len(odd) and even.count(0) <= 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) >= 0.3 * len(even) and odd.count(0) <= 0.05 * len(odd):
            return "utf-16-be"
    return None


def _decode_wide(data: bytes, encoding: str, *, file: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        what = "the file ends in the middle of a character (was it cut short?)"
        if exc.reason != "truncated data":
            what = f"an invalid character ({exc.reason})"
        name = encoding.upper().replace("-LE", "").replace("-BE", "")
        raise InputError(
            f"is not valid {name} text: {what} at byte {exc.start:,} of {len(data):,}", file=file
        ) from None


def looks_binary(sample: bytes) -> bool:
    """Whether ``sample`` (the first bytes of a file) holds more control bytes than any text file."""
    return _too_many(len(sample) - len(sample.translate(None, _CONTROL_BYTES)), len(sample))


def _too_many(control: int, looked_at: int) -> bool:
    return control > max(8, looked_at // 100)


def _refuse_binary(control: int, looked_at: int, *, file: str) -> None:
    if _too_many(control, looked_at):
        raise InputError(
            f"not a text CSV file: {control:,} of its first {looked_at:,} bytes are control codes (binary data)",
            file=file,
        )


def _per_line(text: str, encoding: str) -> tuple[str, str]:
    """Lines that were not UTF-8 read as cp1252 where they are cp1252 (and nothing else is changed)."""
    pieces: list[str] = []
    read_as: list[int] = []  # where each line read as cp1252 starts
    pos = 0
    for bad in _SURROGATE.finditer(text):
        if bad.start() < pos:
            continue  # a later byte of a line already dealt with
        start = max(text.rfind("\n", pos, bad.start()), text.rfind("\r", pos, bad.start())) + 1
        eol = _EOL.search(text, bad.start())
        end = eol.start() if eol else len(text)
        line = text[start:end]
        pieces.append(text[pos:start])
        if _UTF8_TEXT.search(line) is None:  # a line of UTF-8 and cp1252 mixed stays as it is: rejected later
            try:
                line = line.encode("utf-8", "surrogateescape").decode("cp1252")
                read_as.append(start)
            except UnicodeDecodeError:
                pass
        pieces.append(line)
        pos = end
    pieces.append(text[pos:])
    if read_as:
        lines = [len(_EOL.findall(text, 0, at)) + 1 for at in read_as[:5]]
        more = f" and {len(read_as) - 5:,} more" if len(read_as) > 5 else ""
        which = f"line {lines[0]}" if len(read_as) == 1 else f"lines {', '.join(map(str, lines))}{more}"
        encoding = f"{encoding}, with {which} read as cp1252"
    return "".join(pieces), encoding


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
    """Split and check the header line: blank or repeated names, or no header at all, make the file unreadable.

    A header longer than a line may be, with more columns than a file may
    have, or not text, says the file is not a CSV table: refused in a short
    message that never quotes more than a few of its names.
    """
    size = len(first_line.encode("utf-8", "surrogateescape"))
    limit = LINE_BYTES.value()
    if size > limit:
        raise InputError(
            f"the first line (the header) is {size_text(size)} long, more than the {size_text(limit)} a line may be "
            f"({LINE_BYTES.hint()}): this is not the header of a CSV file",
            file=file,
            row=1,
        )
    if _SURROGATE.search(first_line):
        raise InputError("the header is not UTF-8 or cp1252 text: save the file as CSV UTF-8", file=file, row=1)
    try:
        header = next(csv.reader([first_line.replace("\x00", " ")]), [])
    except csv.Error as exc:
        raise InputError(f"the header cannot be split into column names ({exc})", file=file, row=1) from None
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError("the first line (the header) is blank", file=file)
    most = COLUMNS.value()
    if len(header) > most:
        raise InputError(
            f"header has {len(header):,} columns, more than the {most:,} a file may have ({COLUMNS.hint()})",
            file=file,
            row=1,
        )
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank:
        raise InputError(f"header has blank column name(s) at position(s) {_few(blank)}", file=file, row=1)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"header repeats column name(s) {_few(dupes)}", file=file, row=1)
    return header


def _few(items: list[int] | list[str], n: int = 10) -> str:
    """A list for a message: at most ``n`` items, each at most 40 characters, and how many more."""
    shown = [v if isinstance(v, int) else printable(v if len(v) <= 40 else v[:39] + "…") for v in items[:n]]
    return f"{shown}" + (f" and {len(items) - n:,} more" if len(items) > n else "")


def read_csv_text(text: str, *, file: str) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Split CSV text into a frame of strings, rejecting rows with the wrong field count.

    pyarrow does the splitting (fast, and it reports each malformed row with its
    line number instead of failing the whole file the way pandas does). A line
    that cannot be a row (longer than :data:`~geo.ingest._limits.LINE_BYTES`,
    or bytes that :func:`decode_bytes` could not decode) is set aside before
    pyarrow sees it and rejected with its reason, so the rest of the file is read.

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
    eol = _EOL.search(text)
    header = check_header(text[: eol.start() if eol else len(text)], file=file)
    if eol is None or _NON_SPACE.search(text, eol.end()) is None:
        raise InputError("file has a header but no data rows", file=file)

    lost = _Lost(text)  # lines that cannot be rows, each replaced by a mark carrying its number
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # bytes decode_bytes could not decode, kept as surrogates: their lines go
        text = _mark_undecodable(text, lost, start=eol.end())
        body = text.encode("utf-8")
    body = _mark_long_lines(body, lost, start=len(text[: eol.end()].encode("utf-8")))

    invalid: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=all_text(header),
        )
    except pa.ArrowInvalid as exc:  # e.g. an unterminated quote at end of file
        why = str(exc)
        if "straddling" in why or "block size" in why:  # one quoted value from there to the end of the file
            why = "a quoted value never ends (a quote that is not closed?), so the rest of the file would be one row"
        raise InputError(f"cannot split the file into CSV rows: {printable(why)[:300]}", file=file) from None

    frame = table.to_pandas()
    n = len(frame) + len(invalid)
    # Rows are numbered by record, header = row 1, as a spreadsheet shows them;
    # pyarrow reports malformed rows by number and the good rows fill the rest
    # in order (the two agree unless quoted values hold line breaks).
    bad_lines = np.array(sorted(r.number for r in invalid if r.number is not None), dtype=np.int64)
    all_lines = np.arange(2, n + 2, dtype=np.int64)
    frame["_row"] = np.setdiff1d(all_lines, bad_lines, assume_unique=True)[: len(frame)]
    rows, reasons, raws = [], [], []
    longest = LINE_BYTES.value()
    for r in invalid:
        k = lost.find(r.text or "")
        rows.append(r.number)
        if k is not None:
            reasons.append(lost.reasons[k])
            raws.append(lost.raws[k])
        elif len(r.text or "") > longest:  # lines each short, but a quote held them together
            reasons.append(
                f"row is too long: {size_text(len(r.text.encode()))} from a quote that is never closed "
                f"(or closed far too late), more than the {size_text(longest)} a line may be"
            )
            raws.append(json.dumps({"line": _excerpt(r.text)}, ensure_ascii=False))
        else:
            reasons.append(f"row has {r.actual_columns} fields but the header has {r.expected_columns}")
            raws.append(json.dumps({"line": _excerpt(r.text or "")}, ensure_ascii=False))
    if lost.reasons:  # a mark inside a quoted value, or the only field of a one-column file: that row goes
        marked = _marked_rows(frame, header, lost)
        for i, k in marked:
            rows.append(int(frame["_row"].iloc[i]))
            reasons.append(lost.reasons[k])
            raws.append(lost.raws[k])
        if marked:
            frame = frame.drop(index=frame.index[[i for i, _ in marked]]).reset_index(drop=True)
    rejects = pd.DataFrame({"file": file, "row": rows, "column": "", "reason": reasons, "raw": raws})
    if rejects.empty:
        return header, frame, empty_rejects()
    rejects["row"] = rejects["row"].astype("int64")
    return header, frame, rejects.sort_values("row", kind="stable", ignore_index=True)


_NON_SPACE = re.compile(r"\S")
#: How much of a line that cannot be a row the quarantine keeps.
_EXCERPT = 200


class _Lost:
    """Lines set aside before splitting: why each is no row, what of it the quarantine keeps, and its mark.

    A line is replaced by a mark, a private-use character the file does not
    hold around the line's number, so that pyarrow's row numbering is kept
    and the mark is found again in whatever row pyarrow puts it.
    """

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._mark = ""
        self.reasons: list[str] = []
        self.raws: list[str] = []

    def mark(self, reason: str, raw_line: str) -> str:
        """Keep ``reason`` and the line's excerpt; the mark that stands for the line."""
        if not self._mark:  # chosen when first needed: one scan of the text per candidate, usually one
            assert self._text is not None
            free = (chr(c) for c in _MARKS if chr(c) not in self._text)
            self._mark, self._text = next(free, ""), None
            if not self._mark:
                raise InputError("file holds every private-use character, which is not allowed")
        self.reasons.append(reason)
        self.raws.append(json.dumps({"line": raw_line}, ensure_ascii=False))
        return f"{self._mark}{len(self.reasons) - 1}{self._mark}"

    def find(self, text: str) -> int | None:
        """The number of the first mark in ``text``, if any."""
        if not self._mark or self._mark not in text:
            return None
        found = re.search(f"{self._mark}(\\d+){self._mark}", text)
        return int(found.group(1)) if found else None

    @property
    def sign(self) -> str:
        return self._mark


def _excerpt(line: str) -> str:
    return line if len(line) <= _EXCERPT else f"{line[:_EXCERPT]}… ({len(line):,} characters in all)"


def _mark_undecodable(text: str, lost: _Lost, *, start: int) -> str:
    """Lines holding bytes :func:`decode_bytes` could not decode, each replaced by its mark."""
    pieces: list[str] = []
    pos = start
    for bad in _SURROGATE.finditer(text, start):
        if bad.start() < pos:
            continue
        begin = max(text.rfind("\n", pos, bad.start()), text.rfind("\r", pos, bad.start()), pos - 1) + 1
        eol = _EOL.search(text, bad.start())
        end = eol.start() if eol else len(text)
        line = text[begin:end]
        at = len(text[begin : bad.start()].encode("utf-8", "surrogateescape"))
        byte = ord(bad.group()) - 0xDC00
        if _UTF8_TEXT.search(line):
            reason = f"row mixes UTF-8 with another encoding (byte 0x{byte:02x} at position {at + 1} of the line)"
        else:
            reason = f"row is not UTF-8 or cp1252 text (byte 0x{byte:02x} at position {at + 1} of the line)"
        shown = line.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        pieces += [text[pos:begin], lost.mark(reason, _excerpt(shown))]
        pos = end
    pieces.append(text[pos:])
    return text[:start] + "".join(pieces)


def _mark_long_lines(body: bytes, lost: _Lost, *, start: int) -> bytes:
    """Lines of ``body`` (after byte ``start``) longer than :data:`~geo.ingest._limits.LINE_BYTES`, replaced by marks.

    Line ends are found with numpy a block at a time (no copy of the file as
    an array of positions); a file no longer than the limit has no such line.
    """
    limit = LINE_BYTES.value()
    if len(body) - start <= limit:
        return body
    data = np.frombuffer(body, dtype=np.uint8)
    spans = []
    last = start - 1  # the line end before the line being measured
    block = 1 << 24
    for lo in range(start, len(data), block):
        chunk = data[lo : lo + block]
        ends = np.flatnonzero((chunk == 0x0A) | (chunk == 0x0D)) + lo
        if not len(ends):
            continue
        before = np.concatenate(([last], ends[:-1]))
        for i in np.flatnonzero(ends - before - 1 > limit):
            spans.append((int(before[i]) + 1, int(ends[i])))
        last = int(ends[-1])
    if len(data) - last - 1 > limit:
        spans.append((last + 1, len(data)))
    if not spans:
        return body
    pieces, pos = [], 0
    for begin, end in spans:
        line = body[begin : begin + 4 * _EXCERPT].decode("utf-8", "replace")[:_EXCERPT]
        reason = f"row is too long: a line of {size_text(end - begin)}, more than the {size_text(limit)} a line may be"
        pieces += [body[pos:begin], lost.mark(reason, f"{line}… ({size_text(end - begin)} in all)").encode()]
        pos = end
    pieces.append(body[pos:])
    return b"".join(pieces)


def _marked_rows(frame: pd.DataFrame, header: list[str], lost: _Lost) -> list[tuple[int, int]]:
    """(position, mark number) of every row of ``frame`` with a mark in a cell (its first mark)."""
    found: dict[int, int] = {}
    for h in header:
        values = pa.array(frame[h], type=pa.string())
        hit = np.flatnonzero(pc.match_substring(values, lost.sign).to_numpy(zero_copy_only=False))
        for i in hit.tolist():
            k = lost.find(values[i].as_py())
            if i not in found and k is not None:
                found[i] = k
    return sorted(found.items())


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
