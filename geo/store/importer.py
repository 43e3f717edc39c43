"""One import, end to end: read -> validate -> store, with one accounting.

The CLI and the dashboard's upload page both call :func:`import_path` with one
:class:`ImportOptions`, so a file gives the same counts and the same rejects, and
a bad option the same refusal, whichever way it arrives.

A police.uk file imported before is recognised by its SHA-256 and not read
again (:func:`recognise`): hashing a national archive takes a third of a second
where reading, validating and comparing its three million rows took half a
minute. The import log gets its lines and the result reports what a full
re-read would (every row already present, the same rejects and reasons), but
only when the store proves that a re-read would find exactly that; whenever it
cannot, the file is read in full.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import mmap
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.core.errors import NestwatchError, OptionError
from geo.core.schema import BOUNDARY_KINDS, COORD_MODES, IMPORT_KINDS, KINDS
from geo.ingest import LIMITS, RawTable, iter_csv_sources, read_csv_bytes
from geo.ingest.boundaries import read_boundaries
from geo.ingest.gpx import is_gpx, read_gpx
from geo.ingest.readers import read_csv_kind
from geo.store._store import Store, _new_id, _write_lock
from geo.store.audit import make_entry
from geo.store.provenance import (
    EarlierImport,
    could_repeat,
    earlier_import,
    provenance,
    provenance_of,
    refuse_mixing,
)
from geo.validate import CoordMode, validate_boundaries, validate_table

Progress = Callable[[float, str], None]


@dataclass
class ImportResult:
    """What an import did. ``rows == stored + rejected + already_present`` always."""

    kind: str
    path: str
    rows: int = 0
    stored: int = 0
    rejected: int = 0
    already_present: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line for a terminal or a toast."""
        return (
            f"{self.path}: {self.rows} rows, {self.stored} stored, {self.rejected} rejected, "
            f"{self.already_present} already present"
        )


#: Canonical columns a mapping may name beyond a kind's own: coordinates in the other system.
_GRID_COLUMNS = ("easting", "northing")


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """How to read one import: the choices a person makes about a file, whichever way it arrives.

    The command line (``--map``, ``--source``, ``--coords``…) and the upload page
    (column mapping, source, coordinates, boundary attributes) both fill one of
    these, so a new option is added once and reaches both. The defaults read a
    police.uk file or an ONS boundary file as published. Values are kept as
    given (an empty ``crs`` is not ``None``): callers clean up their own inputs.

    Attributes
    ----------
    mapping
        Canonical column -> heading in the file, for exports whose headings are
        not recognised; other columns are found by their usual spellings.
    source
        The ``source`` of partner incident files (``housing``…); police.uk files are ``police.uk``.
    coords
        One of :data:`geo.core.schema.COORD_MODES`: ``auto`` decides per row from the values.
    crs
        Overrides a boundary file's declared CRS (for files that declare none or the wrong one).
    code_column, name_column
        The boundary attributes holding code and name, when they are not ONS-style.
    layer
        The GeoPackage layer, when the file has several.
    unit
        The call sign or team a GPX track (``patrols`` kind) is of: a track
        does not say whose it is. Refused for anything but patrols.
    """

    mapping: Mapping[str, str] | None = None
    source: str | None = None
    coords: CoordMode = "auto"
    crs: str | None = None
    code_column: str | None = None
    name_column: str | None = None
    layer: str | None = None
    unit: str | None = None

    def check(self, kind: str) -> None:
        """Refuse options that cannot apply to ``kind``, before any file is read.

        The one place an import's options are judged, so that the command line
        and the page refuse the same things with the same words.

        Raises
        ------
        OptionError
            For an unknown kind or coordinate mode, or a mapping that names a
            column ``kind`` does not have; the message lists what is accepted.
        """
        if kind not in IMPORT_KINDS:
            raise OptionError(f"unknown kind {kind!r}; expected one of {', '.join(IMPORT_KINDS)}", option="kind")
        if self.coords not in COORD_MODES:
            raise OptionError(
                f"unknown coordinate mode {self.coords!r}; expected one of {', '.join(COORD_MODES)}", option="coords"
            )
        if self.unit is not None and kind != "patrols":
            raise OptionError(f"a unit names whose GPX track a patrols file is; {kind} have none", option="unit")
        if kind in BOUNDARY_KINDS or not self.mapping:
            return
        # victims files holding counts (a mapping with ``count``) are read as victim_counts: judge them as those
        read_as = KINDS["victim_counts" if kind == "victims" and "count" in self.mapping else kind]
        known = sorted({*read_as.column_names, *_GRID_COLUMNS})
        unknown = [canon for canon in self.mapping if canon not in known]
        if unknown:
            raise OptionError(
                f"mapping names unknown column {unknown[0]!r}; {read_as.name} has {known}", option="mapping"
            )


def import_path(
    store: Store,
    kind: str,
    path: str | Path,
    options: ImportOptions | None = None,
    *,
    label: str | None = None,
    progress: Progress | None = None,
    synthetic: bool = False,
) -> ImportResult:
    """Import a file, folder or zip of ``kind`` into ``store``.

    ``options`` says how to read it (:class:`ImportOptions`; the defaults read
    files as published). ``label`` names the file in messages and the import
    log instead of its path (uploads are saved under a temporary name).

    ``synthetic`` marks the import as the synthetic demo town in the import
    log, which decides the dashboard's banner and whether it may run without
    sign-in (:mod:`geo.store.provenance`). Only :func:`geo.demo.load_demo`
    passes it (a test scans the code for other callers): it is deliberately
    not an :class:`ImportOptions` field nor a command-line flag, because then a
    person loading a real file through the page or the CLI could call it
    synthetic and open the dashboard to everyone.

    Police.uk files imported before are not read again when the store proves
    what reading them would find (:func:`recognise`): the import log gets the
    lines, and the result the counts, reasons and notes a full read gives.

    Raises
    ------
    OptionError
        When ``kind`` or ``options`` cannot apply (:meth:`ImportOptions.check`); nothing is read then.
    MixedDataError
        When real data would join the demo town in one store, or the other
        way round (:func:`geo.store.provenance.refuse_mixing`); nothing is read then.
    InputError
        When the file cannot be read at all; nothing is stored then.
    """
    opts = options or ImportOptions()
    opts.check(kind)
    # refused before the file is read; the store checks again under its write lock, where it counts
    refuse_mixing(provenance(store), synthetic=synthetic)
    report = progress or (lambda _f, _m: None)
    report(0.0, f"reading {path}")
    known = recognise(store, kind, path, opts, label=label, synthetic=synthetic)
    if known is not None:  # every file imported before, and a full re-read would say so: nothing to read
        report(1.0, "done")
        files, notes = known
        return _result(kind, label or str(path), files, notes)
    parts = []
    if kind in BOUNDARY_KINDS:
        shapes = read_boundaries(
            path,
            kind,
            code_column=opts.code_column,
            name_column=opts.name_column,
            crs=opts.crs,
            layer=opts.layer,
            label=label,
        )
        report(0.3, "validating")
        parts.append((validate_boundaries(shapes, kind=kind), shapes.n_rows, shapes.sha256, "boundaries"))
    elif kind == "patrols" and is_gpx(path):  # a track: one unit's points, the unit from the loader
        track = read_gpx(path, unit=opts.unit or "", label=label)
        report(0.3, f"validating {track.file}")
        parts.append((validate_table(track, coords="wgs84"), track.n_rows, track.sha256, track.source_format))
    else:
        if opts.unit is not None:
            raise OptionError("--unit names the unit of a GPX track; a CSV gives each row's unit", option="unit")
        tables = read_csv_kind(path, kind, mapping=opts.mapping, source=opts.source, label=label)
        for i, table in enumerate(tables):
            report(0.3 * (i + 1) / len(tables), f"validating {table.file}")
            parts.append((validate_table(table, coords=opts.coords), table.n_rows, table.sha256, table.source_format))
    files = store.import_validated(kind, parts, progress=lambda f, m: report(0.3 + 0.7 * f, m), synthetic=synthetic)
    report(1.0, "done")
    return _result(kind, label or str(path), files, [(f["file"], f.pop("notes")) for f in files])


def _result(kind: str, path: str, files: list[dict[str, Any]], notes: list[tuple[str, list[str]]]) -> ImportResult:
    """The :class:`ImportResult` of the per-file lines (``reasons``: one per rejected row) and each file's notes.

    The store hands back every file's reject reasons (validation's and its own
    ref conflicts), so counting them needs no second read of the quarantine.
    """
    reasons: Counter[str] = Counter()
    for reason, n in Counter(r for f in files for r in f.pop("reasons")).items():
        reasons[reason_class(reason)] += n  # classify each distinct reason once
    result = ImportResult(kind=kind, path=path, files=files, reasons=dict(reasons.most_common()))
    for key in ("rows", "stored", "rejected", "already_present"):
        setattr(result, key, sum(f[key] for f in files))
    for file, said in notes:
        result.notes += [f"{file}: {n}" for n in said]
    return result


_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|\(.*\)|\d+(\.\d+)?")


def reason_class(reason: str) -> str:
    """A reason with its row-specific values removed, for counting alike reasons."""
    head = reason.split(": ", 1)[0]
    return re.sub(r"\s+", " ", _VALUE.sub("…", head)).strip()


def delete_import(store: Store, import_id: int, *, user: str, role: str, reason: str) -> dict[str, int]:
    """Erase what one import stored and quarantined, with its audit entry; return rows removed per kind.

    For data shared in error or an erasure request: the page and the CLI both
    come here, so a deletion is logged the same way whoever starts it. The
    reason is checked before anything is touched.
    """
    entry = make_entry(user=user, role=role, action="delete", target=f"import:{import_id}", reason=reason)
    return store.delete_import(import_id, entry=entry)


# --------------------------------------------------------------------------- a file imported before

#: Kinds whose files may be recognised by their bytes: the bulk kind (a national archive is three million
#: rows). The others are small enough that reading them again costs less than proving it unnecessary.
RECOGNISED_KINDS = ("incidents",)
#: The one format recognised: the ``source_format`` of a police.uk street file. No option changes how
#: one is read but ``coords`` (a ``mapping`` makes it another format; ``source`` and the boundary
#: options do not apply to it), and how the earlier import read coordinates is proved from its rows.
POLICE_UK = "police.uk"
#: How much of a file's beginning is read again, to prove how its earlier import read it.
HEAD_BYTES = 1 << 16
_LINE_BYTES = next(limit for limit in LIMITS if limit.env == "NESTWATCH_MAX_LINE_BYTES")


@dataclass(frozen=True)
class _File:
    """One file of an import as hashed: its label, SHA-256, first whole lines, and whether its lines fit."""

    label: str
    sha256: str
    head: bytes
    lines_fit: bool


def recognise(
    store: Store,
    kind: str,
    path: str | Path,
    options: ImportOptions,
    *,
    label: str | None = None,
    synthetic: bool = False,
) -> tuple[list[dict[str, Any]], list[tuple[str, list[str]]]] | None:
    """Log a re-import without reading it, when the store proves what a full read would find; else None.

    Each file is hashed (a third of a second for a national archive) and
    matched to an earlier import of the same bytes that a full read would
    repeat exactly, so that every row it accepted is already present and every
    row it rejected is rejected again for the same reason, already in the
    quarantine (a re-import adds nothing there). Such an import:

    * is of the same kind (:data:`RECOGNISED_KINDS`), a police.uk file
      (:data:`POLICE_UK`), with the same ``synthetic`` mark, and not deleted;
    * stored every row it accepted itself, and the store still holds all of
      them and all of its rejects, none of them for a reason that depends on
      more than the file (:func:`geo.store.provenance.earlier_import`);
    * read the file as these options and today's date and settings would
      (:func:`_read_alike`: coordinates, months, line lengths, a sample of rows).

    A new file, a file whose earlier import fails any of these, an option
    other than the defaults, or any doubt: None, and the caller reads every
    file (an import is one transaction, so all its files or none are recognised).
    The new lines are written under the store's write lock after the checks,
    so a deletion or import at the same moment cannot slip between them.

    Returns
    -------
    tuple or None
        Per file, the line :meth:`Store.import_validated` would return (with
        ``reasons``, one per rejected row), and each file's notes.
    """
    if kind not in RECOGNISED_KINDS or options.mapping or options.coords != "auto":
        return None
    imports = store.tables["imports"]
    with store.engine.connect() as conn:
        could = could_repeat(imports, kind=kind, source_format=POLICE_UK, synthetic=synthetic)
        known = set(conn.execute(sa.select(imports.c.sha256).where(could)).scalars())
    if not known:  # (nothing is hashed for a store that holds no such import)
        return None
    files = []
    for shown, data in iter_csv_sources(path, label=label, mapped=True):  # the reader's files, limits and labels
        sha = hashlib.sha256(data).hexdigest()
        if sha not in known:
            return None
        files.append(_File(shown, sha, _head(data), _lines_fit(data, _LINE_BYTES.value() // 3)))  # 3: see _lines_fit
    with store.engine.begin() as conn:
        _write_lock(conn)
        refuse_mixing(provenance_of(conn, imports), synthetic=synthetic)  # as the store checks, under the lock
        earlier: dict[str, EarlierImport] = {}
        for f in files:
            found = earlier.get(f.sha256) or earlier_import(
                conn,
                store.tables,
                f.sha256,
                kind=kind,
                source_format=POLICE_UK,
                synthetic=synthetic,
                first=HEAD_BYTES // 12,
            )
            if found is None:
                return None
            earlier[f.sha256] = found
        try:
            alike = _read_alike(kind, files, earlier)
        except (KeyError, IndexError, ValueError, pa.ArrowException):  # a file unlike any the proof foresaw: read it
            alike = False
        if not alike:
            return None
        return _log_again(conn, imports, kind, files, earlier, synthetic=synthetic)


def _read_alike(kind: str, files: list[_File], earlier: Mapping[str, EarlierImport]) -> bool:
    """Whether reading the files now with the default options repeats their earlier imports' verdicts.

    Proved from what each earlier import kept, with a few rows of each file:

    * its first stored row, validated now with coordinates read as degrees,
      gets the content key it was stored under, so the earlier import read
      degrees too (a British National Grid reading gives other numbers, hence
      another key); and ``coords="auto"`` decides for degrees now, since
      deciding otherwise takes easting/northing-like values in 90 % of the
      rows with numbers, all of which a degree reading rejects: nine rejected
      rows per stored one at least;
    * every month the file holds, stored or rejected, is accepted today (a
      month after the current month is rejected, and the date moves on): each
      is tried in a copy of a stored row;
    * no line is longer than a line may now be (``_File.lines_fit``: a setting);
    * and, as a sample of everything else, the first lines of the first file
      give the verdicts (keys, reasons) its earlier import recorded for them.
    """
    firsts: dict[tuple[str, ...], list[EarlierImport]] = {}  # each distinct first stored row, and whose it is
    months: set[str] = set()
    distinct = list({f.sha256: f for f in files}.values())
    raw = _read_head(distinct[0].head, kind)  # read as now: its header judged by today's limits
    if raw is None:
        return False
    header, top = None, distinct[0].head.split(b"\n", 1)[0]
    for f in distinct:
        e = earlier[f.sha256]
        row = int(e.keys["row"][0])
        if not f.lines_fit or e.line.rejected >= 9 * e.line.stored:
            return False
        if f is distinct[0]:
            cells = _cells(raw, row)
        elif f.head.split(b"\n", 1)[0] == top:  # the first file's header, judged already: split the row alone
            cells = _split_row(f.head, row)
        else:
            other = _read_head(_first_lines(f.head, row), kind)
            cells = _cells(other, row) if other is not None else None
        if not cells or header not in (None, list(cells)):
            return False
        header = list(cells)
        firsts.setdefault(tuple(cells.values()), []).append(e)
        months |= _months(raw.columns["month"], e)
    assert header is not None  # (an import has a file)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([header, *firsts])
    template = dict(zip(header, next(iter(firsts)), strict=True))
    for month in sorted(months):  # no two share a ref (a repeated ref is a reason of its own)
        writer.writerow((template | {raw.columns["month"]: month, raw.columns["ref"]: ""}).values())
    try:
        probe = read_csv_bytes(out.getvalue().encode("utf-8"), KINDS[kind], file=raw.file)
        now = validate_table(probe, coords="wgs84")
    except NestwatchError:
        return False
    ok = np.zeros(probe.n_rows, dtype=bool)
    ok[now.positions] = True
    k1, k2 = now.values("_k1"), now.values("_k2")
    same = all(
        ok[i] and (k1[i], k2[i]) == (e.keys["k1"][0], e.keys["k2"][0])
        for i, those in enumerate(firsts.values())
        for e in those
    )
    return (
        same
        and probe.n_rows == len(firsts) + len(months)
        and bool(ok.all())
        and _verdicts_repeat(raw, earlier[distinct[0].sha256])
    )


def _read_head(head: bytes, kind: str) -> RawTable | None:
    """A file's first lines read as now (its header judged by today's limits); None unless a police.uk file."""
    if not head:
        return None
    try:
        raw = read_csv_bytes(head, KINDS[kind], file="head")
    except NestwatchError:  # a head the reader refuses: the whole file is read, and judged, instead
        return None
    return raw if raw.source_format == POLICE_UK else None


def _cells(raw: RawTable, row: int) -> dict[str, str] | None:
    """The cells of spreadsheet row ``row`` as the file has them, by heading (None when it was not read)."""
    at = np.flatnonzero(raw.rows == row)
    if not len(at):
        return None
    picked = raw.take(at[:1])
    values = picked.to_pylist()[0] if isinstance(picked, pa.Table) else picked.iloc[0].to_dict()
    return {h: "" if v is None else str(v) for h, v in values.items()}


def _split_row(head: bytes, row: int) -> dict[str, str] | None:
    """Row ``row`` of a clean UTF-8 head, split by the csv module; None for anything else.

    Only ever compared with what a read gives (its key must be the stored
    row's), so a split that differed from the reader's could only send the file
    to be read, never stand for a read.
    """
    try:
        text = head.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    records = (r for r in csv.reader(io.StringIO(text, newline="")) if r)  # (blank lines are no rows)
    header = [h.strip() for h in next(records, [])]
    for number, record in enumerate(records, start=2):
        if number == row:
            return dict(zip(header, record, strict=True)) if len(record) == len(header) else None
    return None


def _months(heading: str, e: EarlierImport) -> set[str]:
    """The months a file holds: the latest stored (the others are earlier) and every rejected row's, as written.

    Rejected rows' cells are in the quarantine as JSON (:mod:`geo.core.rejects`);
    rows refused while reading keep the line instead, and no month of theirs
    is judged. Blank months are judged blank whatever the date.
    """
    key = json.dumps(heading, ensure_ascii=False) + ": "  # as geo.core.rejects writes a cell
    literal = "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in key)
    found = pc.extract_regex(e.rejects.column("raw"), pattern=literal + r'"(?P<m>(?:[^"\\]|\\.)*)"')
    texts = pc.unique(pc.drop_null(pc.struct_field(found, "m"))).to_pylist() if len(found) else []
    return {e.month_max} | {m for m in (json.loads(f'"{t}"') for t in texts) if m.strip()}


def _verdicts_repeat(raw: RawTable, e: EarlierImport) -> bool:
    """Whether validating a file's first lines now gives the content keys and reasons ``e`` recorded for them."""
    try:
        now = validate_table(raw, coords="wgs84")  # the reading proved for it (see _read_alike)
    except NestwatchError:
        return False
    last = max([*raw.rows.tolist(), *raw.rejects["row"].astype(int).tolist()])
    pos = now.positions
    accepted = set(zip(*(now.values(c)[pos].tolist() for c in ("_row", "_k1", "_k2")), strict=True))
    kept = e.keys[e.keys["row"] <= last]
    held = e.rejects.filter(pc.less_equal(e.rejects.column("row"), last))
    return accepted == set(zip(*(kept[c].tolist() for c in ("row", "k1", "k2")), strict=True)) and set(
        zip(*(now.rejects[c].tolist() for c in ("row", "column", "reason")), strict=True)
    ) == set(zip(*(held.column(c).to_pylist() for c in ("row", "column", "reason")), strict=True))


def _log_again(
    conn: Connection,
    imports: sa.Table,
    kind: str,
    files: list[_File],
    earlier: Mapping[str, EarlierImport],
    *,
    synthetic: bool,
) -> tuple[list[dict[str, Any]], list[tuple[str, list[str]]]]:
    """Write each file's line in the import log as a full re-read would: every row it accepted already present."""
    lines, notes = [], []
    for f in files:
        e = earlier[f.sha256]
        counts = {"rows": e.line.rows, "stored": 0, "rejected": e.line.rejected}
        counts["already_present"] = e.line.rows - e.line.rejected
        logged = imports.insert().values(
            kind=kind,
            file=f.label,
            sha256=f.sha256,
            imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            source_format=POLICE_UK,
            notes=e.line.notes,
            synthetic=synthetic,
            **counts,
        )
        import_id = _new_id(conn.execute(logged))
        lines.append({"import_id": import_id, "file": f.label, "kind": kind, **counts})
        lines[-1]["reasons"] = e.rejects.column("reason").to_pylist()
        notes.append((f.label, list(json.loads(e.line.notes))))
    return lines, notes


def _head(data: bytes | mmap.mmap) -> bytes:
    """The file's first whole lines within :data:`HEAD_BYTES` (all of a smaller file; b"" when no line ends there)."""
    head = bytes(data[:HEAD_BYTES])
    if len(data) <= HEAD_BYTES:
        return head
    octets = np.frombuffer(head, dtype=np.uint8)
    ends = np.flatnonzero(octets == 0x0A)
    ends = ends[np.cumsum(octets == 0x22)[ends] % 2 == 0]  # outside quotes: a line end that ends a row
    return head[: int(ends[-1]) + 1] if len(ends) else b""


def _first_lines(head: bytes, n: int) -> bytes:
    """The first ``n`` lines of ``head`` (all of it when a quote may hold a line end, or it has fewer)."""
    end = -1
    for _ in range(n if b'"' not in head else 0):
        end = head.find(b"\n", end + 1)
        if end == -1:
            return head
    return head[: end + 1] if end != -1 else head


def _lines_fit(data: bytes | mmap.mmap, limit: int) -> bool:
    """Whether no line of ``data`` is longer than ``limit`` bytes (the line-length limit over 3, the most
    UTF-8 bytes one cp1252 byte becomes).

    Every stretch of ``limit // 2`` bytes holds a line feed, so no line is
    longer than twice that: a few thousand ``find`` calls for a national
    archive where counting every line would scan it all. A limit set so low
    that this takes too many calls answers False (the file is then read).
    """
    step = limit // 2
    if len(data) <= limit:
        return True
    if step < 4096:
        return False
    return all(data.find(b"\n", lo, lo + step) != -1 for lo in range(0, len(data) - step + 1, step))
