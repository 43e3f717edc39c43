"""Derived results kept in the store (table ``derived``, revision 0007) for every process to reuse.

A derived result (a study area, its weights) is computed from stored rows and
kept under a key that names exactly what it came from (a content hash made by
the caller, :mod:`geo.plan._derived`), so an entry is never stale, only
unused. Reads mark an entry used; writes prune to the most recently used.
Derived data are not records: backups leave them out and pruning loses nothing.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo.core.errors import StoreError

#: A store that cannot take a write now: read-only, full, locked (StoreError: as the store's handle_error says it).
_CANNOT_WRITE = (sa.exc.DBAPIError, StoreError)

#: How many derived results a store keeps (the most recently used): a national study area and its weights are ~15 MB.
DERIVED_KEEP = 12


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")  # ties would prune by key


def read_derived(engine: Engine, table: sa.Table, key: str) -> bytes | None:
    """The bytes kept under ``key``, or None; a hit marks the entry used (one write a minute at most)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(table.c.data, table.c.used_at).where(table.c.key == key)).one_or_none()
    if row is None:
        return None
    now = _now()
    if row.used_at[:16] != now[:16]:
        try:
            with engine.begin() as conn:
                conn.execute(table.update().where(table.c.key == key).values(used_at=now))
        except _CANNOT_WRITE:
            pass  # a read-only store (or a busy one) still answers: marking an entry used is a nicety
    return bytes(row.data)


def keep_derived(
    engine: Engine, table: sa.Table, key: str, data: bytes, *, keep: int = DERIVED_KEEP, replace: bool = False
) -> None:
    """Keep ``data`` under ``key``, then prune to the ``keep`` most recently used entries.

    Two processes computing the same result at once both offer it; the second
    finds the key taken and keeps the first (they are equal, the key says so).
    ``replace`` overwrites an entry its reader found damaged. A store that
    cannot take the write (read-only, locked by a long import) is not an
    error: the caller has its result, and only the next process pays again.
    """
    try:
        with engine.begin() as conn:
            if replace:
                conn.execute(table.delete().where(table.c.key == key))
            conn.execute(table.insert().values(key=key, used_at=_now(), size=len(data), data=data))
    except sa.exc.IntegrityError:
        return  # another process kept it first
    except _CANNOT_WRITE:
        return  # a read-only store, or one that cannot take a write now: the result is used, not kept
    try:
        with engine.begin() as conn:
            stale = sa.select(table.c.key).order_by(table.c.used_at.desc(), table.c.key).offset(keep)
            conn.execute(table.delete().where(table.c.key.in_(stale.scalar_subquery())))
    except _CANNOT_WRITE:
        pass  # pruned by the next write that can
