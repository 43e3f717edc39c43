"""One import, end to end: read -> validate -> store, with one accounting.

The CLI and the dashboard's upload page both call :func:`import_path` with one
:class:`ImportOptions`, so a file gives the same counts and the same rejects, and
a bad option the same refusal, whichever way it arrives.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from geo.core.errors import OptionError
from geo.core.schema import BOUNDARY_KINDS, COORD_MODES, IMPORT_KINDS, KINDS
from geo.ingest.boundaries import read_boundaries
from geo.ingest.readers import read_csv_kind
from geo.store._store import Store
from geo.store.audit import make_entry
from geo.store.provenance import provenance, refuse_mixing
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
    """

    mapping: Mapping[str, str] | None = None
    source: str | None = None
    coords: CoordMode = "auto"
    crs: str | None = None
    code_column: str | None = None
    name_column: str | None = None
    layer: str | None = None

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
    else:
        tables = read_csv_kind(path, kind, mapping=opts.mapping, source=opts.source, label=label)
        for i, table in enumerate(tables):
            report(0.3 * (i + 1) / len(tables), f"validating {table.file}")
            parts.append((validate_table(table, coords=opts.coords), table.n_rows, table.sha256, table.source_format))
    files = store.import_validated(kind, parts, progress=lambda f, m: report(0.3 + 0.7 * f, m), synthetic=synthetic)
    # the store hands back every file's reject reasons (validation's and its own ref
    # conflicts), so counting them needs no second read of the quarantine
    reasons: Counter[str] = Counter()
    for reason, n in Counter(r for f in files for r in f.pop("reasons")).items():
        reasons[reason_class(reason)] += n  # classify each distinct reason once
    result = ImportResult(kind=kind, path=label or str(path), files=files, reasons=dict(reasons.most_common()))
    for key in ("rows", "stored", "rejected", "already_present"):
        setattr(result, key, sum(f[key] for f in files))
    for validated, *_ in parts:
        result.notes += [f"{validated.file}: {n}" for n in validated.notes]
    report(1.0, "done")
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
