"""One import, end to end: read -> validate -> store, with one accounting.

The CLI and the dashboard's upload page both call :func:`import_path`, so a file
gives the same counts and the same rejects whichever way it arrives.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from geo.core.errors import InputError
from geo.core.schema import BOUNDARY_KINDS, IMPORT_KINDS
from geo.ingest.boundaries import read_boundaries
from geo.ingest.readers import read_csv_kind
from geo.store._store import Store
from geo.store.audit import make_entry
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


def import_path(
    store: Store,
    kind: str,
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    source: str | None = None,
    coords: CoordMode = "auto",
    crs: str | None = None,
    code_column: str | None = None,
    name_column: str | None = None,
    layer: str | None = None,
    label: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a file, folder or zip of ``kind`` into ``store``.

    ``label`` names the file in messages and the import log instead of its
    path (uploads are saved under a temporary name).

    Raises
    ------
    InputError
        When the file cannot be read at all; nothing is stored then.
    """
    if kind not in IMPORT_KINDS:
        raise InputError(f"unknown kind {kind!r}; expected one of {', '.join(IMPORT_KINDS)}")
    report = progress or (lambda _f, _m: None)
    report(0.0, f"reading {path}")
    parts = []
    if kind in BOUNDARY_KINDS:
        raw = read_boundaries(
            path, kind, code_column=code_column, name_column=name_column, crs=crs, layer=layer, label=label
        )
        report(0.3, "validating")
        parts.append((validate_boundaries(raw, kind=kind), raw.n_rows, raw.sha256, "boundaries"))
    else:
        tables = read_csv_kind(path, kind, mapping=mapping, source=source, label=label)
        for i, raw in enumerate(tables):
            report(0.3 * (i + 1) / len(tables), f"validating {raw.file}")
            parts.append((validate_table(raw, coords=coords), raw.n_rows, raw.sha256, raw.source_format))
    files = store.import_validated(kind, parts, progress=lambda f, m: report(0.3 + 0.7 * f, m))
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
