"""What a published release needs from the store: its one release secret, and each record's content key.

Published figures are protected by cell-key perturbation (issue #19): every
record carries a fixed random record key (0..255), derived by the publish layer
from the record's 128-bit content key (``k1``, ``k2``) and the store's release
secret. The store keeps both: the keys have always been stored with each row
(a table column, or an incident segment's key blob), and the secret is one row
of ``release_secret`` (revision 0006).

Apart from :mod:`geo.store._store` because :mod:`geo.store.backup` needs the
same notion of a sound secret when it restores one, and because the store
module is already at its size limit.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo.core.errors import StoreError
from geo.store._segments import blob_to_keys, blob_to_table
from geo.store._tables import METADATA, SECRET_ID, SECRET_TABLE

#: 32 random bytes, kept as 64 lowercase hex digits (what ``secrets.token_hex(32)`` gives).
SECRET_BYTES = 32
_HEX = re.compile(r"[0-9a-f]{64}")


def secret_from_text(text: object) -> bytes | None:
    """The secret's bytes from its stored text, or None when the text is not one (hand-edited, cut short)."""
    return bytes.fromhex(text) if isinstance(text, str) and _HEX.fullmatch(text) else None


def stored_secret(engine: Engine) -> bytes | None:
    """The secret, or None before the first release has asked for one.

    Raises :class:`StoreError` when the stored value is not a secret: a wrong one
    would quietly change every published figure, so it is never replaced or guessed.
    """
    t = METADATA.tables[SECRET_TABLE]
    with engine.connect() as conn:
        text = conn.execute(sa.select(t.c.secret).where(t.c.id == SECRET_ID)).scalar_one_or_none()
    if text is None:
        return None
    secret = secret_from_text(text)
    if secret is None:
        raise StoreError("the store's release secret is damaged (not 64 hex digits): restore it from a backup")
    return secret


def release_secret(engine: Engine) -> bytes:
    """The secret, made on the first call (see :meth:`geo.store.Store.release_secret` for why it never changes).

    Race-safe without a lock: the row's id is fixed (:data:`SECRET_ID`, and a
    CHECK allows no other), so of two first calls at once both INSERT the same
    key, the database keeps one, and the other's ``IntegrityError`` (PostgreSQL
    raises it once the winner commits; SQLite's ``BEGIN IMMEDIATE`` queues the
    second writer behind the first) sends it to read the winner's back.
    """
    secret = stored_secret(engine)
    if secret is not None:
        return secret
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    row = {"id": SECRET_ID, "secret": secrets.token_hex(SECRET_BYTES), "created_at": now}
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # wait for another writer, never fail on a stale read
            conn.execute(METADATA.tables[SECRET_TABLE].insert().values(**row))
    except sa.exc.IntegrityError:  # another process made it first: theirs is the secret
        pass
    secret = stored_secret(engine)
    if secret is None:  # only if the row were deleted at once: never quietly make a second one
        raise StoreError("the store's release secret could not be made or read back")
    return secret


def segments_with_keys(segments: Iterable[Sequence[bytes]], names: list[str]) -> pa.Table | None:
    """``(data, keys)`` segment blobs as one table of the ``names`` columns plus ``k1``, ``k2`` (None if none).

    A segment's key blob lists its rows in the order of its Parquet data: the
    import encodes both from one selection of rows (:func:`geo.store._writes.store_segments`),
    and a restore from one chunk of the backup's rows. A segment whose two
    counts differ is refused rather than paired up wrongly.
    """
    tables = []
    for data, blob in segments:
        key = blob_to_keys(blob)
        # no columns asked for: the keys alone (an arrow table of no columns would forget its rows)
        part = blob_to_table(data, columns=names) if names else pa.table({})
        rows = part.num_rows if names else pq.read_metadata(pa.BufferReader(data)).num_rows
        if len(key) != rows:
            raise StoreError(f"an incident segment holds {rows} rows but {len(key)} keys: the store is damaged")
        arrays = {half: pa.array(np.ascontiguousarray(key[half])) for half in ("k1", "k2")}
        tables.append(pa.table({**{c: part.column(c) for c in part.column_names}, **arrays}))
    return pa.concat_tables(tables) if tables else None
