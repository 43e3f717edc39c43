"""An import of a few rows typed on a page (a check-in's pings, an address flagged from the review queue).

Why not a direct INSERT: rows a person adds on a page go through the same
validation, accounting, import log and audit entry as a file, so they can be
listed, undone (``delete-import``) and counted like any other, and a bad value
is refused with the same reason a file's would be.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geo.core.errors import InputError
from geo.core.rejects import empty_rejects
from geo.ingest.readers import RawTable
from geo.store._store import Store
from geo.store.audit import record_import
from geo.store.importer import ImportResult
from geo.store.provenance import store_is_synthetic
from geo.validate import validate_table

__all__ = ["import_small"]


def import_small(
    store: Store,
    kind: str,
    original: pd.DataFrame,
    *,
    label: str,
    columns: Mapping[str, str],
    source_format: str,
    source: str = "",
    notes: list[str] | None = None,
    user: str,
    role: str,
    must_store: int | None = None,
    refused: str = "nothing was stored",
) -> tuple[dict[str, Any], ImportResult]:
    """Validate and store ``original`` (text, under its own headings) as one import of ``kind``; log it.

    Parameters
    ----------
    original
        The rows as a person gave them, every cell text, headings as ``columns`` names them.
    label
        The import's file name in the import log ("check-in arrived B1 …", "review flag …").
    columns
        Canonical column -> heading in ``original``.
    must_store
        The row number (1-based) that must pass validation; when it is refused nothing is stored and
        :class:`InputError` carries its reason after ``refused``. None stores whatever passes.

    Returns
    -------
    line, result
        The import log line (``import_id``, counts) and the :class:`ImportResult` the audit entry was made from.
    """
    original = original.copy()
    body = original.to_csv(index=False).encode("utf-8")
    original["_row"] = np.arange(1, len(original) + 1)
    raw = RawTable(
        file=label,
        digest=hashlib.sha256(body).hexdigest(),
        text=original,
        rejects=empty_rejects(),
        n_rows=len(original),
        notes=list(notes or []),
        source_format=source_format,
        columns=dict(columns),
        kind=kind,
        source=source,
    )
    validated = validate_table(raw, coords="wgs84")
    if must_store is not None and validated.ok is not None and not validated.ok[must_store - 1]:
        reason = validated.rejects[validated.rejects["row"] == must_store]["reason"].iloc[0]
        raise InputError(f"{refused}: {reason}", file=label)
    files = store.import_validated(
        kind, [(validated, len(original), raw.sha256, source_format)], synthetic=store_is_synthetic(store)
    )
    line = files[0]
    result = ImportResult(
        kind=kind, path=label, files=[{k: v for k, v in line.items() if k not in ("reasons", "notes")}]
    )
    for key in ("rows", "stored", "rejected", "already_present"):
        setattr(result, key, line[key])
    result.notes = [f"{label}: {n}" for n in line["notes"]]
    record_import(store, result, user=user, role=role)
    return line, result
