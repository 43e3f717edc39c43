"""Readers: turn files as partners actually send them into canonical raw tables.

Reading is kept apart from judging. Readers decode bytes, find the rows and map
headings to canonical column names; every cell stays text, so that leading zeros
of refs and UPRNs and the literal "NA" survive and validation sees exactly what
the file said. Only rows that cannot be split into fields at all (ragged rows,
NUL bytes) are rejected here; a file that cannot be read at all raises
:class:`~geo.core.errors.InputError`, and a request the file cannot answer (a
``mapping`` naming a heading it lacks) :class:`~geo.core.errors.OptionError`.

This module reads the CSV kinds: it takes the fast reader (:mod:`geo.ingest._csv_fast`)
when a file allows it and the careful one (:mod:`geo.ingest._csv_careful`) otherwise,
maps headings to canonical columns and returns a :class:`RawTable`. Files come
from :mod:`geo.ingest._csv_sources`; rejected rows take the shape of :mod:`geo.core.rejects`;
boundaries are read by :mod:`geo.ingest.boundaries`.
"""

from __future__ import annotations

import mmap
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from geo.core.arrowtext import plain_strings
from geo.core.errors import InputError, OptionError
from geo.core.rejects import concat_rejects, empty_rejects
from geo.core.schema import (
    BOUNDARY_KINDS,
    EASTING,
    KINDS,
    NORTHING,
    POLICE_UK_HEADER,
    POLICE_UK_TO_CANONICAL,
    Kind,
    normalise_label,
)
from geo.ingest import _csv_fast
from geo.ingest._csv_careful import decode_bytes, nul_rows, read_csv_text
from geo.ingest._csv_sources import FileDigest, iter_csv_sources

#: The source label of police.uk street-level rows (only their own files may carry it).
POLICE_UK = "police.uk"

# the rejects format and read_boundaries are imported from here by the store, its segments, backups and the importer


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
    digest: str | FileDigest
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
        original = plain_strings(self.arrow).to_pandas()
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
    if kind.name in BOUNDARY_KINDS:  # the caller chose the wrong reader: the file is not at fault
        raise OptionError(f"{path}: {kind.name} are boundaries: read them with read_boundaries", option="kind")
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
    digest = FileDigest(data)  # beside the parse and the checks, in their idle moments

    def encoded(header: list[str]) -> list[str]:  # incidents are validated straight from arrow
        police = kind.name == "incidents" and not mapping and is_police_header(header)
        return [h for h, p in zip(header, POLICE_UK_HEADER, strict=True) if p != "Crime ID"] if police else []

    fast = _csv_fast.read_clean_utf8(data, file=file, encoded=encoded)
    if fast is not None:  # clean UTF-8: arrow columns, no row rejected while reading
        header, arrow = fast
        original, rejects, encoding = None, empty_rejects(), "utf-8"
        kept = arrow.num_rows
    else:  # text, with the rows that could not be split (or hold NUL bytes) set aside
        text, encoding = decode_bytes(data if isinstance(data, bytes) else bytes(data), file=file)
        header, original, rejects = read_csv_text(text, file=file)
        arrow = None
        if "\x00" in text:
            rejects = concat_rejects([rejects, nul_rows(original, file=file)])
        if len(rejects):  # (no copies of a clean million-row file)
            original = original[~original["_row"].isin(rejects["row"])].reset_index(drop=True)
        kept = len(original)
    if kind.name == "victims" and is_victim_counts(header, mapping):
        kind = KINDS["victim_counts"]
    notes = [] if encoding in ("utf-8", "utf-8-sig") else [f"decoded as {encoding}"]
    is_police = kind.name == "incidents" and not mapping and is_police_header(header)
    if not is_police and (source or "").strip().lower() == POLICE_UK:
        # the label means "police.uk's own street-level file": its location texts are snap-point names, read
        # more leniently for place names (geo.plan.places), so a partner's file may not borrow it
        raise OptionError(
            f"{file}: source {POLICE_UK!r} is kept for police.uk's own street-level files; name your own "
            "source (e.g. --source housing)",
            option="source",
        )
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
    return RawTable(
        file=file,
        digest=digest,
        text=original,
        rejects=rejects,
        n_rows=kept + len(rejects),
        notes=notes,
        source_format="police.uk" if is_police else "csv",
        columns=columns,
        kind=kind.name,
        source=POLICE_UK if is_police else (source or "csv"),
        arrow=arrow,
    )


def is_victim_counts(header: list[str], mapping: Mapping[str, str] | None) -> bool:
    """Partners who share only numbers send area/month/count instead of people."""
    if mapping:
        return "count" in mapping
    norms = {normalise_label(h) for h in header}
    return bool(norms & set(KINDS["victim_counts"].column("count").synonyms)) and not (
        norms & set(KINDS["victims"].column("ref").synonyms)
    )


def is_police_header(header: list[str]) -> bool:
    return [normalise_label(h) for h in header] == [normalise_label(h) for h in POLICE_UK_HEADER]


def _refuse_two_headings(header: list[str], kind: Kind, *, mapping: Mapping[str, str], file: str) -> None:
    """Refuse a file where two headings could each be a key column (a ref, a code) that ``mapping`` leaves open.

    Taking the first would silently decide which ward or which record every
    row is about ("Ward Code 1" beside "Ward 2023 Code" in one sheet). Only
    the columns saying which record or which area (the ref, the area code)
    are held to it: other columns with several spellings present at once
    carry one value (Nomis's DATE, DATE_NAME and DATE_CODE), and a police.uk
    file's headings are fixed and never reach here.
    """
    taken = set(mapping.values())
    for name in dict.fromkeys(c for c in (kind.ref_column, kind.area_column) if c):
        if name in mapping:
            continue
        spellings = {normalise_label(name), *kind.column(name).synonyms}
        claims = [h for h in header if h not in taken and normalise_label(h) in spellings]
        if len(claims) > 1:
            raise InputError(
                f"both {claims[0]!r} and {claims[1]!r} could be the {name}: choose one with --map {name}=HEADING",
                file=file,
                column=claims[0],
            )


def map_columns(header: list[str], kind: Kind, *, mapping: Mapping[str, str] | None, file: str) -> dict[str, str]:
    """Decide which heading feeds each canonical column.

    Explicit mappings win; otherwise a heading whose normalised form is a known
    spelling is used.

    Raises
    ------
    OptionError
        The explicit ``mapping`` names a column ``kind`` does not have, or a heading the
        file does not have: the mapping asked for is wrong, not the file.
    InputError
        A required column (or any coordinates) cannot be found, naming what the file
        does have, because guessing wrong would store plausible nonsense.
    """
    mapping = dict(mapping or {})
    known = set(kind.column_names) | {"easting", "northing"}
    where = f"{file}: " if file else ""  # the "file: message" form InputError(file=...) prints
    for canon, head in mapping.items():
        if canon not in known:
            raise OptionError(
                f"{where}mapping names unknown column {canon!r}; {kind.name} has {sorted(known)}", option="mapping"
            )
        if head not in header:
            raise OptionError(
                f"{where}mapping for {canon!r} names heading {head!r}, which is not in the file (headings: {header})",
                option="mapping",
            )
    if kind.breakdown_headings and not mapping:
        split = [h for h in header if normalise_label(h) in kind.breakdown_headings]
        if split:
            raise InputError(
                f"the column {split[0]!r} breaks each {kind.name} figure down (by sex or age), so an area would "
                "have several rows and the first would be stored as the whole: keep only the total rows, "
                "or choose the columns with --map to take the file as it is",
                file=file,
                column=split[0],
            )
    by_norm = {normalise_label(h): h for h in header}
    _refuse_two_headings(header, kind, mapping=mapping, file=file)
    columns = dict(mapping)
    used = set(mapping.values())
    candidates = list(kind.columns)
    if {"lat", "lng"} <= set(kind.column_names):
        candidates += [EASTING, NORTHING]
    for col in candidates:
        if col.name in columns:
            continue
        for syn in (normalise_label(col.name), *col.synonyms):
            heading = by_norm.get(syn)
            if heading is not None and heading not in used:
                columns[col.name] = heading
                used.add(heading)
                break
    missing = [c.name for c in kind.columns if c.required and c.name not in columns]
    if kind.name == "incidents" and "month" not in columns and "date" not in columns:
        missing.append("month or date")
    if {"lat", "lng"} <= set(kind.column_names):
        has_ll = {"lat", "lng"} <= columns.keys()
        has_en = {"easting", "northing"} <= columns.keys()
        if not (has_ll or has_en or kind.coordinates_optional):  # a repairs export knows the home, not its point
            missing.append("lat/lng or easting/northing")
    if missing:
        raise InputError(
            f"cannot find column(s) {missing} for {kind.name}; the file has {header}. "
            'Map them explicitly (e.g. --map ref="Case Ref")',
            file=file,
        )
    return columns
