"""Erasing one import: every row it stored or quarantined, its log line marked, the audit entry written.

The body of :meth:`geo.store.Store.delete_import` (whose docstring gives the
contract), kept apart so the store module stays one screenful of interfaces.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import sqlalchemy as sa

from geo.core.errors import OptionError
from geo.core.schema import KINDS
from geo.store._store import _utc_iso, _write_lock
from geo.store._tables import (
    AUDIT_COLUMNS,
    AUDIT_TABLE,
    CHECKIN_TABLE,
    REJECT_TABLE,
    SEGMENT_KINDS,
    SEGMENT_TABLE,
)

if TYPE_CHECKING:
    from geo.store._store import Store
    from geo.store.audit import AuditEntry


def erase_import(store: Store, import_id: int, *, entry: AuditEntry) -> dict[str, int]:
    """Erase import ``import_id`` in one transaction with its audit entry; rows removed per kind and ``rejects``."""
    if entry.action != "delete":
        raise OptionError(f"deleting an import needs a 'delete' audit entry, not {entry.action!r}", option="entry")
    imp = store.tables["imports"]
    with store.engine.begin() as conn:
        _write_lock(conn)
        row = conn.execute(sa.select(imp.c.kind, imp.c.deleted_at).where(imp.c.id == import_id)).first()
        if row is None:
            raise OptionError(f"there is no import {import_id}", option="import_id")
        if row.deleted_at:
            raise OptionError(f"import {import_id} was already deleted at {row.deleted_at}", option="import_id")
        removed: dict[str, int] = {}
        for kind in KINDS.values():
            t = store.tables[SEGMENT_TABLE if kind.name in SEGMENT_KINDS else kind.table]
            if kind.name in SEGMENT_KINDS:
                n = conn.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(t.c.rows), 0)).where(t.c.import_id == import_id)
                ).scalar_one()
            else:
                n = conn.execute(sa.select(sa.func.count()).where(t.c.import_id == import_id)).scalar_one()
            if n:
                removed[kind.name] = int(n)
                conn.execute(t.delete().where(t.c.import_id == import_id))
        checkins = store.tables[CHECKIN_TABLE]  # a check-in press goes with the pings it stored
        conn.execute(checkins.delete().where(checkins.c.import_id == import_id))
        rej = store.tables[REJECT_TABLE]
        n = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(rej.c.rows), 0)).where(rej.c.import_id == import_id)
        ).scalar_one()
        removed["rejects"] = int(n)
        conn.execute(rej.delete().where(rej.c.import_id == import_id))
        when = _utc_iso(entry.at)
        conn.execute(imp.update().where(imp.c.id == import_id).values(deleted_at=when))
        detail = {**json.loads(entry.detail or "{}"), "import_id": int(import_id), "removed": removed}
        values = {c: getattr(entry, c) for c in AUDIT_COLUMNS if c != "id"}
        values |= {
            "at": when,
            "rows": sum(v for k, v in removed.items() if k != "rejects"),
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
        }
        conn.execute(store.tables[AUDIT_TABLE].insert().values(**values))
    return removed
