"""Readers: turn files as partners actually send them into canonical raw tables.

Reading is kept apart from judging. Readers decode bytes, find the rows and map
headings to canonical column names; every cell stays text, so that leading zeros
of refs and UPRNs and the literal "NA" survive and validation sees exactly what
the file said. Only rows that cannot be split into fields at all (ragged rows,
NUL bytes) are rejected here; a file that cannot be read at all raises
:class:`~geo.errors.InputError`.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import mmap
import os
import re
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from geo.errors import InputError
from geo.keys import as_string_array, dictionary_parts
from geo.schema import (
    BNG,
    BOUNDARY_KINDS,
    EASTING,
    KINDS,
    NORTHING,
    POLICE_UK_HEADER,
    POLICE_UK_TO_CANONICAL,
    WGS84,
    Kind,
    normalise_label,
)

#: Replaces NUL bytes before parsing so the rows holding them can be rejected by name.
NUL_SENTINEL = "\ue000"
_NON_SPACE = re.compile(rb"\S")
REJECT_COLUMNS = ("file", "row", "column", "reason", "raw")


@dataclass
class RawTable:
    """One file's rows, as text, under canonical column names.

    Attributes
    ----------
    file
        Label shown in messages: the path, or ``archive.zip:member.csv``.
    sha256
        Hash of the file's bytes, recorded with the import (computed in the
        background while the file is parsed and validated).
    frame
        Canonical columns (text) plus ``_row``, the spreadsheet row number
        (header = row 1), for every row that split into the right fields.
        Built from ``original`` when first asked for.
    original
        The same rows under the file's own headings plus ``_row``, kept so
        that rejected rows can be exported exactly as they arrived. Built from
        ``arrow`` when first asked for, if the file came that way.
    rejects
        Rows refused while reading (``file, row, column, reason, raw``).
    n_rows
        Data rows in the file: ``len(frame) + len(rejects)``.
    notes
        Things the user should know (encoding used, columns ignored...).
    source_format
        ``"police.uk"`` or ``"csv"``.
    columns
        Canonical column -> heading in the file.
    source
        The ``source`` value of incident rows.
    arrow
        ``original`` as arrow string columns (no ``_row``), when the file took
        the fast path (clean UTF-8, nothing refused while reading); None otherwise.
    """

    file: str
    digest: str | _Digest
    text: pd.DataFrame | None
    rejects: pd.DataFrame
    n_rows: int
    notes: list[str] = field(default_factory=list)
    source_format: str = "csv"
    columns: dict[str, str] = field(default_factory=dict)
    kind: str = "incidents"
    source: str = "csv"
    arrow: pa.Table | None = None

    @property
    def sha256(self) -> str:
        return self.digest if isinstance(self.digest, str) else self.digest.result()

    @cached_property
    def original(self) -> pd.DataFrame:
        if self.text is not None:
            return self.text
        assert self.arrow is not None
        original = _decoded(self.arrow).to_pandas()
        original["_row"] = self.rows
        return original

    @cached_property
    def rows(self) -> np.ndarray:
        """``_row`` of every row read (in the fast path simply 2, 3, ...)."""
        if self.text is not None:
            return self.text["_row"].to_numpy()
        assert self.arrow is not None
        return np.arange(2, self.arrow.num_rows + 2, dtype=np.int64)

    def take(self, positions: np.ndarray) -> pd.DataFrame | pa.Table:
        """Some rows under the file's own headings (arrow when the file came that way), no ``_row``."""
        if self.arrow is None:
            return self.original.iloc[positions].drop(columns="_row")
        # per chunk: arrow's take on a chunked text column would first join every chunk
        table = self.arrow
        starts = np.cumsum([0] + [b.num_rows for b in table.to_batches()])
        pieces = []
        for i, batch in enumerate(table.to_batches()):
            lo, hi = np.searchsorted(positions, [starts[i], starts[i + 1]])
            if hi > lo:
                pieces.append(batch.take(pa.array(positions[lo:hi] - starts[i])))
        return pa.Table.from_batches(pieces, schema=table.schema)

    @cached_property
    def frame(self) -> pd.DataFrame:
        original, columns = self.original, self.columns
        frame = pd.DataFrame(index=original.index)
        for col in KINDS[self.kind].column_names:
            frame[col] = original[columns[col]] if col in columns else ""
        for extra in ("easting", "northing"):
            if extra in columns:
                frame[extra] = original[columns[extra]]
        if self.kind == "incidents":
            frame["source"] = self.source
        frame["_row"] = original["_row"]
        return frame


@dataclass
class RawBoundaries:
    """Boundary features reprojected to WGS84, not yet validated."""

    file: str
    sha256: str
    frame: gpd.GeoDataFrame
    original: pd.DataFrame
    n_rows: int
    notes: list[str] = field(default_factory=list)


def rows_to_json(frame: pd.DataFrame | pa.Table, *, columns: list[str] | None = None) -> list[str]:
    """Each row as a JSON object of its cells as text (the quarantine keeps rows this way).

    ``frame`` may be an arrow table of text columns (the file as read), with
    the same result. See :func:`json_rows`.
    """
    return json_rows(frame, columns=columns).to_pylist()


def json_rows(frame: pd.DataFrame | pa.Table, *, columns: list[str] | None = None) -> pa.Array:
    """:func:`rows_to_json` as an arrow array (no Python string per row).

    Built column-wise: each distinct value is encoded once and the pieces are
    joined by pyarrow, because a force-year can reject tens of thousands of
    rows and ``json.dumps`` per row would dominate the import.
    """
    names = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
    heads = [c for c in (columns or names) if c != "_row"]
    if not len(frame):
        return pa.array([], pa.string())
    if not heads:
        return pa.array(["{}"] * len(frame), pa.string())
    parts: list[pa.Array | str] = []
    for i, h in enumerate(heads):
        codes = None
        if isinstance(frame, pa.Table):
            column = frame.column(h)
            if pa.types.is_dictionary(column.type) and column.num_chunks and not column.null_count:
                # a police.uk column as read: encode each distinct value once
                dictionary, codes = dictionary_parts(column)
                values = as_string_array(dictionary)
            else:
                values = as_string_array(column)
        else:
            col = frame[h]
            if not isinstance(col.dtype, pd.StringDtype):
                col = col.astype(object).where(col.notna(), "").astype(str)
            values = as_string_array(col)
        key = ("{" if i == 0 else ", ") + json.dumps(h, ensure_ascii=False) + ": "
        if _needs_escapes(values):
            py = values.to_numpy(zero_copy_only=False)
            table = {v: key + json.dumps(v, ensure_ascii=False) for v in pd.unique(py)}
            encoded = pa.array([table[v] for v in py], type=pa.string())
        else:
            encoded = pc.binary_join_element_wise(key + '"', values, '"', "")
        parts.append(encoded if codes is None else encoded.take(codes))
    return pc.binary_join_element_wise(*parts, "}", "")


def _needs_escapes(values: pa.Array) -> bool:
    """Whether any value holds a quote, a backslash or a control character (JSON must escape them)."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    if values.buffers()[2] is None or offsets[-1] == offsets[0]:
        return False
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return bool(((data < 0x20) | (data == 0x22) | (data == 0x5C)).any())


def empty_rejects() -> pd.DataFrame:
    """A rejects frame with no rows but the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else object) for c in REJECT_COLUMNS})


def concat_rejects(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack rejects frames, sorted by row; empty frames are fine."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_rejects()
    if len(frames) == 1:  # usually validation's own rejects, already in row order: no copy
        out = frames[0][list(REJECT_COLUMNS)]
        rows = out["row"].to_numpy()
        if out["row"].dtype == np.int64 and (rows[1:] >= rows[:-1]).all():
            return out.reset_index(drop=True)
    out = pd.concat(frames, ignore_index=True)[list(REJECT_COLUMNS)]
    out["row"] = out["row"].astype("int64")
    return out.sort_values("row", kind="stable", ignore_index=True)


# --------------------------------------------------------------------------- sources


def iter_csv_sources(
    path: str | Path, *, label: str | None = None, mapped: bool = False
) -> Iterator[tuple[str, bytes | mmap.mmap]]:
    """Yield ``(label, bytes)`` for each CSV in a file, a folder or a zip archive.

    ``label`` names the file in messages and the import log instead of its
    path (an upload is saved under a temporary folder the user never saw).
    With ``mapped``, files on disk come as read-only memory maps instead of
    bytes: the page cache is read in place, not copied (hundreds of megabytes
    for a force-year).

    police.uk archives hold ``*-street.csv`` beside outcomes and stop-and-search
    files; when street files are present only they are read, because the others
    have different columns and would all be rejected.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", file=str(path))
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() == ".csv")
        files = _prefer_street([(str(f), f.name) for f in files])
        if not files:
            raise InputError("folder holds no .csv files", file=str(path))
        for file, _name in files:
            shown = f"{label}/{Path(file).relative_to(p)}" if label else file
            yield shown, _read(Path(file), mapped=mapped)
        return
    if zipfile.is_zipfile(p) and p.suffix.lower() == ".zip":
        with zipfile.ZipFile(p) as zf:
            members = [
                (m.filename, m.filename)
                for m in zf.infolist()
                if not m.is_dir() and m.filename.lower().endswith(".csv")
            ]
            members = _prefer_street(sorted(members))
            if not members:
                raise InputError("zip archive holds no .csv files", file=str(path))
            for name, _ in members:
                yield f"{label or p}:{name}", zf.read(name)
        return
    yield label or str(p), _read(p, mapped=mapped)


def _read(path: Path, *, mapped: bool) -> bytes | mmap.mmap:
    if not mapped:
        return path.read_bytes()
    with path.open("rb") as f:
        try:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty file, or a file system without mmap
            return path.read_bytes()


def _prefer_street(files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    street = [f for f in files if f[1].lower().endswith("-street.csv")]
    return street or files


# --------------------------------------------------------------------------- decoding


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


# --------------------------------------------------------------------------- CSV


def _read_clean_utf8(
    data: bytes | mmap.mmap, *, file: str, encoded: Callable[[list[str]], Iterable[str]] = lambda _h: ()
) -> tuple[list[str], pa.Table] | None:
    """The fast path for the common case: well-formed UTF-8 without NUL bytes.

    pyarrow then splits the bytes on both cores with no per-row callback, and row
    numbers follow from positions. Returns None whenever the careful path is
    needed instead (another encoding, NUL bytes, a ragged row, a broken quote),
    so the answer never depends on which path ran. The columns that
    ``encoded(header)`` names come dictionary-encoded (built while parsing, on
    both cores: a police.uk column repeats a few thousand values a million times).
    """
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    # no slicing or stripping of the whole body: each would copy hundreds of megabytes
    if (
        _NON_SPACE.search(data, start) is None
        or data[start : start + 2] in (b"\xff\xfe", b"\xfe\xff", b"PK")
        or data.find(b"\x00") != -1
        # the sentinel's lead byte first: a one-byte search is a memchr, ten times faster
        or (data.find(NUL_SENTINEL.encode()[:1]) != -1 and data.find(NUL_SENTINEL.encode()) != -1)
    ):
        return None
    eol = data.find(b"\n", start)
    first_line = data[start : eol if eol != -1 else len(data)].rstrip(b"\r")
    try:
        header = _check_header(first_line.decode("utf-8"), file=file)
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
            convert_options=_all_text(header, encoded=set(encoded(header)), check_utf8=False),
        )
        table = table.unify_dictionaries()
        _check_utf8(table)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return header, table


def _check_utf8(table: pa.Table) -> None:
    """Raise ArrowInvalid unless every text value is UTF-8 (pure ASCII needs no closer look)."""
    for column in table.columns:
        for chunk in column.chunks[:1] if pa.types.is_dictionary(column.type) else column.chunks:
            values = chunk.dictionary if pa.types.is_dictionary(column.type) else chunk
            data = values.buffers()[2]
            if data is not None and len(data) and np.frombuffer(data, dtype=np.uint8).max() >= 0x80:
                values.validate(full=True)


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary-encoded text columns as plain text."""
    schema = pa.schema(
        [pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema]
    )
    return table.cast(schema) if schema != table.schema else table


def _all_text(
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


def _check_header(first_line: str, *, file: str) -> list[str]:
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
    header = _check_header(text.split("\n", 1)[0].rstrip("\r"), file=file)
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
            convert_options=_all_text(header),
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


def read_csv_kind(
    path: str | Path,
    kind: Kind | str,
    *,
    mapping: Mapping[str, str] | None = None,
    source: str | None = None,
    label: str | None = None,
) -> list[RawTable]:
    """Read one CSV, a folder of CSVs or a zip archive as ``kind``.

    Parameters
    ----------
    path
        File, folder (read recursively) or ``.zip``.
    kind
        Which dataset the rows are.
    mapping
        Canonical column -> heading in the file, for exports whose headings are
        not recognised automatically. Unmapped canonical columns are looked up
        by their usual spellings.
    source
        Value of the ``source`` column for non-police.uk incident files
        (default ``"csv"``, e.g. pass ``"housing"``).
    """
    kind = KINDS[kind] if isinstance(kind, str) else kind
    if kind.name in BOUNDARY_KINDS:
        raise InputError(
            f"{kind.name} are boundaries: read them with read_boundaries",
            file=str(path),
        )
    tables = []
    for shown, data in iter_csv_sources(path, label=label, mapped=True):
        tables.append(read_csv_bytes(data, kind, file=shown, mapping=mapping, source=source))
    return tables


def read_csv_bytes(
    data: bytes | mmap.mmap,
    kind: Kind,
    *,
    file: str,
    mapping: Mapping[str, str] | None = None,
    source: str | None = None,
) -> RawTable:
    """Read one CSV file's bytes as ``kind`` (see :func:`read_csv_kind`)."""
    digest = _Digest(data)  # beside the parse and the checks, in their idle moments

    def encoded(header: list[str]) -> list[str]:  # incidents are validated straight from arrow
        police = kind.name == "incidents" and not mapping and _is_police_header(header)
        return [h for h, p in zip(header, POLICE_UK_HEADER, strict=True) if p != "Crime ID"] if police else []

    fast = _read_clean_utf8(data, file=file, encoded=encoded)
    arrow = original = None
    if fast is not None:
        header, arrow = fast
        rejects, encoding, has_nul = empty_rejects(), "utf-8", False
    else:
        text, encoding = decode_bytes(data if isinstance(data, bytes) else bytes(data), file=file)
        header, original, rejects = read_csv_text(text, file=file)
        has_nul = "\x00" in text
    if kind.name == "victims" and _is_victim_counts(header, mapping):
        kind = KINDS["victim_counts"]
    notes = [] if encoding in ("utf-8", "utf-8-sig") else [f"decoded as {encoding}"]
    is_police = kind.name == "incidents" and not mapping and _is_police_header(header)
    if is_police:
        columns = {
            POLICE_UK_TO_CANONICAL[p]: h
            for p, h in zip(POLICE_UK_HEADER, header, strict=True)
            if p in POLICE_UK_TO_CANONICAL
        }
    else:
        columns = map_columns(header, kind, mapping=mapping, file=file)
    unused = [h for h in header if h not in columns.values()]
    if unused and not is_police:
        notes.append(f"columns not used: {', '.join(unused)}")
    if has_nul:
        rejects = concat_rejects([rejects, _nul_rows(original, file=file)])
    if len(rejects):  # (no copies of a clean million-row file)
        original = original[~original["_row"].isin(rejects["row"])].reset_index(drop=True)
    return RawTable(
        file=file,
        digest=digest,
        text=original,
        rejects=rejects,
        n_rows=(len(original) if arrow is None else arrow.num_rows) + len(rejects),
        notes=notes,
        source_format="police.uk" if is_police else "csv",
        columns=columns,
        kind=kind.name,
        source="police.uk" if is_police else (source or "csv"),
        arrow=arrow,
    )


class _Digest:
    """The SHA-256 of a file's bytes, worked out on a thread of the lowest CPU priority.

    The parse and the checks have both cores first; the hash fills their idle
    moments. Whatever is left when :meth:`result` is called (on a busy
    machine a lowest-priority thread may hardly run) is hashed right there,
    at normal priority, so the import never waits on a starved thread.
    """

    _CHUNK = 1 << 22

    def __init__(self, data: bytes | mmap.mmap) -> None:
        self._view: memoryview | None = memoryview(data)
        self._hash = hashlib.sha256()
        self._done = 0
        self._lock = threading.Lock()
        self._hex: str | None = None
        self._thread = threading.Thread(target=self._background, daemon=True)
        self._thread.start()

    def _step(self) -> bool:
        with self._lock:  # the chunks must go in order, whoever hashes them
            if self._view is None or self._done >= len(self._view):
                self._view = None  # done: the file's bytes may go
                return False
            self._hash.update(self._view[self._done : self._done + self._CHUNK])
            self._done += self._CHUNK
            return True

    def _background(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # a thread's priority is settable on Linux only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while self._step():
            pass

    def result(self) -> str:
        if self._hex is None:
            while self._step():
                pass
            self._hex = self._hash.hexdigest()
        return self._hex


def _is_victim_counts(header: list[str], mapping: Mapping[str, str] | None) -> bool:
    """Partners who share only numbers send area/month/count instead of people."""
    if mapping:
        return "count" in mapping
    norms = {normalise_label(h) for h in header}
    return bool(norms & set(KINDS["victim_counts"].column("count").synonyms)) and not (
        norms & set(KINDS["victims"].column("ref").synonyms)
    )


def _is_police_header(header: list[str]) -> bool:
    return [normalise_label(h) for h in header] == [normalise_label(h) for h in POLICE_UK_HEADER]


def map_columns(header: list[str], kind: Kind, *, mapping: Mapping[str, str] | None, file: str) -> dict[str, str]:
    """Decide which heading feeds each canonical column.

    Explicit mappings win; otherwise a heading whose normalised form is a known
    spelling is used. Raises when a required column (or any coordinates) cannot
    be found, naming what the file does have, because guessing wrong would
    store plausible nonsense.
    """
    mapping = dict(mapping or {})
    known = set(kind.column_names) | {"easting", "northing"}
    for canon, head in mapping.items():
        if canon not in known:
            raise InputError(
                f"mapping names unknown column {canon!r}; {kind.name} has {sorted(known)}",
                file=file,
            )
        if head not in header:
            raise InputError(
                f"mapping for {canon!r} names heading {head!r}, which is not in the file (headings: {header})",
                file=file,
            )
    by_norm = {normalise_label(h): h for h in header}
    columns = dict(mapping)
    used = set(mapping.values())
    candidates = list(kind.columns)
    if {"lat", "lng"} <= set(kind.column_names):
        candidates += [EASTING, NORTHING]
    for col in candidates:
        if col.name in columns:
            continue
        for syn in (normalise_label(col.name), *col.synonyms):
            head = by_norm.get(syn)
            if head is not None and head not in used:
                columns[col.name] = head
                used.add(head)
                break
    missing = [c.name for c in kind.columns if c.required and c.name not in columns]
    if kind.name == "incidents" and "month" not in columns and "date" not in columns:
        missing.append("month or date")
    if {"lat", "lng"} <= set(kind.column_names):
        has_ll = {"lat", "lng"} <= columns.keys()
        has_en = {"easting", "northing"} <= columns.keys()
        if not (has_ll or has_en):
            missing.append("lat/lng or easting/northing")
    if missing:
        raise InputError(
            f"cannot find column(s) {missing} for {kind.name}; the file has {header}. "
            'Map them explicitly (e.g. --map ref="Case Ref")',
            file=file,
        )
    return columns


def _nul_rows(original: pd.DataFrame, *, file: str) -> pd.DataFrame:
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


# --------------------------------------------------------------------------- boundaries


def read_boundaries(
    path: str | Path,
    kind: Kind | str,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    label: str | None = None,
) -> RawBoundaries:
    """Read ward or estate polygons from GeoJSON, GeoPackage or a zipped Shapefile.

    The file's declared CRS is honoured (GDAL reads the legacy GeoJSON ``crs``
    member, so ONS files in EPSG:27700 come out right) and everything is
    reprojected to WGS84. A file with no CRS, or whose coordinates contradict
    the CRS it declares (metres labelled as degrees), is refused unless ``crs``
    overrides the declaration: guessing would put a ward in the sea.

    Parameters
    ----------
    code_column, name_column
        Attribute columns with the boundary code and name. By default ONS-style
        ``WDnnCD``/``WDnnNM`` (any year, any case) or ``code``/``name``.
    crs
        Override for files with a missing or wrong CRS, e.g. ``"EPSG:27700"``.
    layer
        GeoPackage layer, when the file has more than one.
    """
    kind = KINDS[kind] if isinstance(kind, str) else kind
    label = label or str(path)
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", file=label)
    data = p.read_bytes()
    if not data.strip():
        raise InputError("file is empty", file=label)
    import pyogrio

    source = f"/vsizip/{p}" if p.suffix.lower() == ".zip" else str(p)
    try:
        layers = pyogrio.list_layers(source)
        if layer is None and len(layers) > 1:
            polygon_layers = [str(n) for n, g in layers if g and "Polygon" in str(g)]
            if len(polygon_layers) != 1:
                raise InputError(
                    f"file has several layers {[str(n) for n, _ in layers]}: choose one with --layer",
                    file=label,
                )
            layer = polygon_layers[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(source, layer=layer, engine="pyogrio")
    except InputError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError...
        raise InputError(f"cannot read as GeoJSON, GeoPackage or zipped Shapefile: {exc}", file=label) from None
    notes: list[str] = []
    if crs is not None:
        gdf = gdf.set_crs(crs, allow_override=True)
        notes.append(f"CRS set to {crs} by override")
    elif gdf.crs is None:
        raise InputError(
            "the file declares no coordinate reference system (a Shapefile without .prj?): "
            f"pass --crs {BNG} for British National Grid or --crs {WGS84} for lat/lng",
            file=label,
        )
    _check_declared_crs(gdf, file=label)
    if gdf.crs is not None and not gdf.crs.equals(WGS84):
        notes.append(f"reprojected from {gdf.crs.to_string()} to {WGS84}")
        gdf = gdf.to_crs(WGS84)
    code_col = code_column or _find_attr(gdf.columns, ("cd", "code"))
    name_col = name_column or _find_attr(gdf.columns, ("nm", "name"))
    for what, col in (("code", code_col), ("name", name_col)):
        if col is None or col not in gdf.columns:
            attrs = [c for c in gdf.columns if c != "geometry"]
            raise InputError(
                f"cannot find the {what} column (have {attrs}): pass --{what}-column",
                file=label,
            )
    original = pd.DataFrame(gdf.drop(columns="geometry"))
    frame = gpd.GeoDataFrame(
        {
            "code": _attr_text(gdf[code_col]),
            "name": _attr_text(gdf[name_col]),
            "_row": np.arange(1, len(gdf) + 1),
        },
        geometry=gdf.geometry.values,
        crs=WGS84,
    )
    original["_row"] = frame["_row"].to_numpy()
    return RawBoundaries(
        file=label,
        sha256=hashlib.sha256(data).hexdigest(),
        frame=frame,
        original=original,
        n_rows=len(frame),
        notes=notes,
    )


def _check_declared_crs(gdf: gpd.GeoDataFrame, *, file: str) -> None:
    """Refuse degrees-labelled files whose numbers are metres (and the reverse)."""
    geoms = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if geoms.empty or gdf.crs is None:
        return
    minx, miny, maxx, maxy = geoms.total_bounds
    if gdf.crs.is_geographic and (max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90):
        raise InputError(
            f"coordinates ({minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f}) are metres but the file "
            f"declares degrees ({gdf.crs.to_string()}): if this is British National Grid pass --crs {BNG}",
            file=file,
        )
    if gdf.crs.is_projected and max(abs(minx), abs(maxx), abs(miny), abs(maxy)) <= 180:
        raise InputError(
            f"coordinates look like degrees but the file declares {gdf.crs.to_string()} (metres): pass --crs {WGS84}",
            file=file,
        )


def _find_attr(columns: pd.Index, suffixes: tuple[str, ...]) -> str | None:
    """Find ONS-style ``WD23CD``/``wd16nm`` or plain ``code``/``name`` columns."""
    cols = [c for c in columns if c != "geometry"]
    for c in cols:
        if normalise_label(c) in suffixes[1:]:
            return c
    pattern = re.compile(rf"^(wd|ward|est|estate)?\d*{suffixes[0]}$", re.IGNORECASE)
    for c in cols:
        if pattern.match(c) and not c.lower().endswith(("cdo", "nmw")):
            return c
    return None


def _attr_text(series: pd.Series) -> pd.Series:
    """Attribute values as text ('' for missing) without turning 7 into '7.0'."""
    out = series.astype(object).where(series.notna(), "")
    return out.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).astype(object)
