"""The bulk write path of an import: new incidents as segments, other kinds as rows, rejects to the quarantine.

:meth:`geo.store._store.Store.import_validated` owns the transaction, the write lock
and the accounting; these functions do the writing inside it, given its open
connection and the store's tables. They are apart from :mod:`geo.store._store`
because they are the one hot path of an import (a force-year is a million
rows) and are tuned as a unit: which keys are already stored, which refs clash,
how rows are encoded and batched; the store's reads never touch them.

Bulk inserts use the DB-API's ``executemany`` with ``ON CONFLICT DO NOTHING``,
which SQLite (3.24+) and PostgreSQL both understand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.core.parallel import thread_imap
from geo.core.rejects import concat_rejects, rows_to_json
from geo.core.schema import BOUNDARY_KINDS, KINDS, Kind
from geo.store._segments import (
    Quarantine,
    blob_to_keys,
    blob_to_table,
    first_of_pairs,
    frame_to_parquet,
    isin,
    keys_to_blob,
    pairs_present,
    quarantine,
    refs_to_hash,
    split_rows,
    table_to_parquet,
    text_min_max,
)
from geo.store._tables import REJECT_TABLE, SEGMENT_TABLE
from geo.validate import Validated

#: Rows per ``executemany`` call: progress moves on during a long insert.
CHUNK = 50_000

#: Most values bound in one ``IN (...)`` list. PostgreSQL refuses a statement of more than 65,535 bound
#: parameters (its wire protocol counts them in 16 bits) and SQLite builds before 3.32 stop at 999 unless
#: compiled otherwise; a statement whose list grows with the data (9,000 wards x 10 years revised at once)
#: is run once per slice of this many instead, so no count of rows can reach either limit.
IN_CHUNK = 10_000


def in_chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    """``values``, de-duplicated in order, as lists of at most :data:`IN_CHUNK`: one ``IN (...)`` each."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), IN_CHUNK):
        yield unique[start : start + IN_CHUNK]


class StoredKeys(list[pd.DataFrame]):
    """The keys of every stored incident, a frame per segment in the order stored, kept sorted for look-ups.

    Each frame has ``k1, k2, ref`` (hash), ``row`` and ``import_id``. An
    import checks every file against all of these, its own earlier files'
    included (:func:`store_segments` appends each file's new keys). Gathering
    and sorting them all again for every file made the store step grow with
    files x rows stored (measured on a 36-file national folder: 24 s of a
    35 s import, most of it ``argsort``); so they are sorted once, at the
    first look-up, and each appended frame is merged into the sorted arrays
    at the next (``np.insert`` at places found by ``searchsorted``: one pass
    over the arrays, no sort; a file of nothing new copies nothing).

    Still a list of frames, which is what callers hold (the list is the
    truth, the sorted arrays only its index): frames are only ever appended,
    never replaced or removed, and the index takes in new ones by counting.
    Equal refs keep the order they were stored in, so :meth:`first_stored`
    names the earliest, as a scan of the frames in order would.
    """

    def __init__(self, frames: Iterable[pd.DataFrame] = ()) -> None:
        super().__init__(frames)
        self._taken = 0  # frames already in the sorted arrays
        self._k1 = np.zeros(0, np.int64)  # sorted
        self._k2 = np.zeros(0, np.int64)  # k2 of each k1 above
        self._ref = np.zeros(0, np.uint64)  # non-blank refs, sorted, equal ones as stored
        self._ref_at = np.zeros((0, 2), np.int64)  # (import_id, row) of each ref above

    def pairs_present(self, k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
        """True where ``(k1, k2)`` is a stored content key."""
        self._sync()
        return pairs_present(k1, k2, self._k1, self._k2, ordered=True)

    def refs_present(self, refs: np.ndarray) -> np.ndarray:
        """True where a (non-blank) ref hash is stored."""
        self._sync()
        return isin(refs, self._ref, ordered=True)

    def first_stored(self, refs: np.ndarray) -> pd.DataFrame:
        """``ref, import_id, row`` of the first stored row carrying each distinct ref hash (every one stored)."""
        self._sync()
        wanted = np.unique(refs)
        at = self._ref_at[np.searchsorted(self._ref, wanted)]
        return pd.DataFrame({"ref": wanted, "import_id": at[:, 0], "row": at[:, 1]})

    def _sync(self) -> None:
        """Merge the frames appended since the last look-up into the sorted arrays."""
        fresh = self[self._taken :]
        self._taken = len(self)
        if not fresh:
            return
        k1, k2, ref, at = (np.concatenate(parts) for parts in zip(*map(_key_columns, fresh), strict=True))
        self._k1, (self._k2,) = _merge(self._k1, [self._k2], k1, [k2], stable=False)  # any order of equal k1 does
        self._ref, (self._ref_at,) = _merge(self._ref, [self._ref_at], ref, [at], stable=True)


def _key_columns(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``k1, k2`` of one frame of :class:`StoredKeys`; its non-blank refs with their ``(import_id, row)``."""
    ref = frame["ref"].to_numpy(np.uint64)
    live = ref != 0  # a blank ref never clashes
    at = np.column_stack([frame[c].to_numpy(np.int64)[live] for c in ("import_id", "row")])
    return frame["k1"].to_numpy(np.int64), frame["k2"].to_numpy(np.int64), ref[live], at


def _merge(
    keys: np.ndarray, payload: list[np.ndarray], new: np.ndarray, new_payload: list[np.ndarray], *, stable: bool
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Sorted ``keys`` (rows of ``payload`` alongside) with ``new`` merged in.

    ``stable``: equal keys stay in the order given, the new after the old
    (else in any order: quicksort is a quarter faster than timsort at 3M keys).
    """
    if not len(new):  # (a file whose rows were all present: nothing to copy)
        return keys, payload
    order = np.argsort(new, kind="stable" if stable else "quicksort")
    new, new_payload = new[order], [p[order] for p in new_payload]
    if not len(keys):
        return new, new_payload
    at = np.searchsorted(keys, new, side="right")
    return np.insert(keys, at, new), [np.insert(p, at, q, axis=0) for p, q in zip(payload, new_payload, strict=True)]


def segment_keys(conn: Connection, tables: Mapping[str, sa.Table]) -> StoredKeys:
    """Keys of every stored incident, a frame per segment: ``k1, k2, ref`` (hash), ``row``, ``import_id``."""
    t = tables[SEGMENT_TABLE]
    return StoredKeys(
        pd.DataFrame(blob_to_keys(blob)).assign(import_id=import_id)
        for import_id, blob in conn.execute(sa.select(t.c.import_id, t.c["keys"]).order_by(t.c.id))
    )


def store_segments(
    conn: Connection,
    tables: Mapping[str, sa.Table],
    validated: Validated,
    import_id: int,
    *,
    seen: list[pd.DataFrame],
    tick: Callable[[int], None],
) -> tuple[int, pd.DataFrame]:
    """Write the new rows of one file as segments; return (stored, ref-conflict rejects).

    ``seen`` (the keys already stored, this import's earlier files included)
    is extended in place, so the files of one archive are checked against
    each other exactly as separate imports would be. Pass the
    :class:`StoredKeys` of :func:`segment_keys`, sorted once for the whole
    import; a plain list of such frames is sorted anew on every call.
    """
    known = seen if isinstance(seen, StoredKeys) else StoredKeys(seen)
    kind = KINDS[validated.kind]
    table, pos = validated.data(), validated.positions  # arrow: no pandas copies of a million rows
    k1, k2 = validated.values("_k1")[pos], validated.values("_k2")[pos]
    src_rows = validated.values("_row")[pos]
    if not kind.ref_column:
        ref_h = np.zeros(len(pos), np.uint64)
    elif validated.ref_hash is not None:  # worked out with the content keys
        ref_h = validated.ref_hash[pos]
    else:
        ref_h = refs_to_hash(validated.table[kind.ref_column])[pos]
    new = ~known.pairs_present(k1, k2) & first_of_pairs(k1, k2)
    live_ref = new & (ref_h != 0)
    clash = np.zeros(len(pos), dtype=bool)
    if live_ref.any():
        clash[live_ref] = known.refs_present(ref_h[live_ref])
    conflicts = _segment_conflicts(conn, tables, validated, np.flatnonzero(clash), ref_h, seen=known)
    clash[:] = False
    if len(conflicts):
        clash[np.isin(src_rows, conflicts["row"].to_numpy())] = True
    keep = np.flatnonzero(new & ~clash)
    data_cols = list(kind.column_names)
    parts = split_rows(len(keep))

    def encode(part: slice) -> dict[str, Any]:
        rows = keep[part]
        chunk = table.select(data_cols).take(pa.array(pos[rows]))  # the only copy of the rows, made in parallel
        month_min, month_max = text_min_max(chunk.column("month"))
        return {
            "import_id": import_id,
            "rows": chunk.num_rows,
            "month_min": month_min,
            "month_max": month_max,
            "keys": keys_to_blob(k1[rows], k2[rows], ref_h[rows], src_rows[rows]),
            "data": table_to_parquet(chunk),
        }

    for values in thread_imap(encode, parts):  # Parquet encoding runs on all cores, beside the writes
        conn.execute(tables[SEGMENT_TABLE].insert().values(**values))
        tick(values["rows"])
    added = {"k1": k1[keep], "k2": k2[keep], "ref": ref_h[keep], "row": src_rows[keep]}
    seen.append(pd.DataFrame(added | {"import_id": np.full(len(keep), import_id, np.int64)}, copy=False))
    return len(keep), conflicts


def _segment_conflicts(
    conn: Connection,
    tables: Mapping[str, sa.Table],
    validated: Validated,
    candidates: np.ndarray,
    ref_h: np.ndarray,
    *,
    seen: StoredKeys,
) -> pd.DataFrame:
    """Rejects for rows whose ref is already stored with other content.

    Ref hashes only nominate candidates; the stored refs are read back and
    compared as text, so a hash collision can never quarantine a row.
    """
    kind = KINDS[validated.kind]
    ref = kind.ref_column
    if not len(candidates) or ref is None:  # (a kind without refs has no ref conflicts)
        return concat_rejects([])
    at = validated.positions[candidates]  # positions in validated.table
    wanted = ref_h[candidates]
    earlier = seen.first_stored(wanted)
    old_text = _segment_values(conn, tables, earlier, ref)
    earlier = earlier.assign(text=old_text).set_index("ref")
    imp = tables["imports"]
    files = {
        r.id: r.file
        for ids in in_chunks(earlier["import_id"].tolist())
        for r in conn.execute(sa.select(imp.c.id, imp.c.file).where(imp.c.id.in_(ids)))
    }
    hit = earlier.loc[ref_h[candidates]]
    refs = validated.values(ref, at)
    real = hit["text"].to_numpy() == refs
    at, hit, refs = at[real], hit[real], refs[real]
    if not len(at):
        return concat_rejects([])
    src_rows = validated.values("_row", at)
    original = validated.original.set_index("_row").loc[src_rows]
    return pd.DataFrame(
        {
            "file": validated.file,
            "row": src_rows,
            "column": validated.headings.get(ref, ref),
            "reason": [
                f"{ref} {r!r} is already stored with different content ({files[i]}, row {o})"
                for r, i, o in zip(refs, hit["import_id"], hit["row"], strict=True)
            ],
            "raw": rows_to_json(original.reset_index(drop=True)),
        }
    )


def _segment_values(conn: Connection, tables: Mapping[str, sa.Table], where: pd.DataFrame, column: str) -> list[str]:
    """The stored ``column`` value at each (import_id, row) of ``where``."""
    t = tables[SEGMENT_TABLE]
    wanted = set(zip(where["import_id"], where["row"], strict=True))
    found: dict[tuple[int, int], str] = {}
    for ids in in_chunks(where["import_id"].tolist()):
        q = sa.select(t.c.import_id, t.c["keys"], t.c.data).where(t.c.import_id.in_(ids))
        for import_id, keys, data in conn.execute(q):
            rows = blob_to_keys(keys)["row"]
            values = blob_to_table(data, columns=[column])[column].to_pylist()
            for r, v in zip(rows.tolist(), values, strict=True):
                if (import_id, r) in wanted:
                    found[(import_id, r)] = v
    return [found.get(k, "") for k in zip(where["import_id"], where["row"], strict=True)]


def insert_rows(
    conn: Connection,
    kind: Kind,
    frame: pd.DataFrame,
    import_id: int,
    tick: Callable[[int], None],
) -> None:
    """Insert the accepted rows of a kind kept as table rows (all but incidents), calling ``tick`` per batch.

    A row whose content key is already stored is skipped by the database
    (``ON CONFLICT``), which is why the caller counts the import's rows
    afterwards rather than trusting ``len(frame)``.
    """
    names = [c for c in kind.column_names if c != "geometry"]
    columns: list[list[Any]] = [
        [import_id] * len(frame),
        frame["_row"].tolist(),
        frame["_k1"].tolist(),
        frame["_k2"].tolist(),
    ]
    for name in names:
        values = frame[name]
        if kind.column(name).dtype == "float":
            arr = values.to_numpy(dtype=float)
            columns.append([None if np.isnan(v) else v for v in arr.tolist()])
        else:
            columns.append(values.tolist())
    sql_cols = ["import_id", "src_row", "k1", "k2", *names]
    if kind.name in BOUNDARY_KINDS:
        geoms = frame.geometry.to_numpy()
        columns.append(shapely.to_wkb(geoms).tolist() if len(frame) else [])
        bounds = shapely.bounds(geoms) if len(frame) else np.zeros((0, 4))
        columns += [bounds[:, i].tolist() for i in range(4)]
        sql_cols += ["geometry", "minx", "miny", "maxx", "maxy"]
    rows = list(zip(*columns, strict=True))
    _execute_many(conn, kind.table, sql_cols, rows, tick=tick)


def _execute_many(
    conn: Connection,
    table: str,
    cols: list[str],
    rows: list[tuple[Any, ...]],
    *,
    tick: Callable[[int], None] | None = None,
) -> None:
    """``INSERT ... ON CONFLICT (k1, k2) DO NOTHING`` of ``rows`` in batches of :data:`CHUNK`.

    Straight to the DB-API (``exec_driver_sql``), so each batch is one
    ``executemany`` in the driver's own parameter style.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in cols)
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join([mark] * len(cols))}) ON CONFLICT (k1, k2) DO NOTHING"
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        conn.exec_driver_sql(sql, chunk)
        if tick:
            tick(len(chunk))


def ref_conflicts(
    conn: Connection, tables: Mapping[str, sa.Table], kind: Kind, import_id: int, validated: Validated
) -> pd.DataFrame:
    """Move rows whose ref (or key columns: :attr:`~geo.core.schema.Kind.identity`) is already stored with
    different content to the quarantine: a ward's population for 2022 given again with another number is
    refused, naming the row stored, rather than stored beside it (every figure would count both)."""
    names = kind.identity
    if not names:
        return concat_rejects([])
    t = tables[kind.table]
    others = conn.execute(sa.select(t.c.id).where(t.c.import_id != import_id).limit(1)).first()
    if others is None:
        return concat_rejects([])
    old = t.alias("old")
    imp = tables["imports"]
    same = [old.c[c] == t.c[c] for c in names]
    q = (
        sa.select(t.c.id, t.c.src_row, *(t.c[c] for c in names), old.c.src_row.label("old_row"))
        .add_columns(imp.c.file.label("old_file"))
        .select_from(t.join(old, sa.and_(*same, old.c.import_id != import_id)))
        .join(imp, imp.c.id == old.c.import_id)
        .where(t.c.import_id == import_id, *([t.c[kind.ref_column] != ""] if kind.ref_column else []))
    )
    hits = pd.DataFrame(conn.execute(q).mappings().all())
    if hits.empty:
        return concat_rejects([])
    hits = hits.drop_duplicates("id")
    for ids in in_chunks(hits["id"].tolist()):  # one DELETE per slice: PostgreSQL binds at most 65,535 values
        conn.execute(t.delete().where(t.c.id.in_(ids)))
    original = validated.original.set_index("_row")
    raw = [
        json.dumps({h: str(v) for h, v in original.loc[r].items()}, ensure_ascii=False, default=str)
        for r in hits["src_row"]
    ]
    col_heading = validated.headings.get(names[0], names[0])
    said = zip(*(hits[c].tolist() for c in names), strict=True)
    return pd.DataFrame(
        {
            "file": validated.file,
            "row": hits["src_row"].to_numpy(),
            "column": col_heading,
            "reason": [
                f"{kind.identity_text(v, verb=('is', 'are'))} already stored with different content ({f}, row {o})"
                for v, f, o in zip(said, hits["old_file"], hits["old_row"], strict=True)
            ],
            "raw": raw,
        }
    )


def insert_rejects(
    conn: Connection,
    tables: Mapping[str, sa.Table],
    kind: str,
    import_id: int,
    rejects: pd.DataFrame,
    *,
    ready: Future[Quarantine] | None = None,
) -> None:
    """Quarantine rejected rows; a row quarantined before (same kind, content, reason) is not added again.

    ``ready`` is :func:`geo.store._segments.quarantine` of these very ``rejects``, when already under way.
    """
    if rejects.empty:
        return
    q = ready.result() if ready is not None else quarantine(kind, rejects)
    t = tables[REJECT_TABLE]
    present = np.zeros(len(rejects), dtype=bool)
    for blob in conn.execute(sa.select(t.c["keys"]).where(t.c.kind == kind)).scalars():
        old = blob_to_keys(blob)
        present |= pairs_present(q.k1, q.k2, old["k1"], old["k2"])
    keep = np.flatnonzero(~present)
    if not len(keep):
        return
    parts = split_rows(len(keep))
    blobs = q.blobs if len(keep) == len(rejects) else [frame_to_parquet(q.frame.iloc[keep[p]]) for p in parts]
    zeros = np.zeros(len(keep), dtype=np.uint64)
    rows = q.frame["row"].to_numpy()[keep]
    for part, data in zip(parts, blobs, strict=True):
        conn.execute(
            t.insert().values(
                import_id=import_id,
                kind=kind,
                rows=part.stop - part.start,
                keys=keys_to_blob(q.k1[keep[part]], q.k2[keep[part]], zeros[part], rows[part]),
                data=data,
            )
        )


#: How many unmatched codes a note names (the rest are counted).
NAMED_CODES = 5


def unmatched_areas(conn: Connection, tables: Mapping[str, sa.Table], kind: Kind, frame: pd.DataFrame) -> list[str]:
    """A note on the codes of ``kind.area_column`` in ``frame`` that no stored ward or estate has ([] if none).

    The rows are stored all the same: the boundaries may be loaded later, or
    be another year's. Until they match, those rows take no part in any
    figure per area, and a typing error in a code would otherwise pass unseen.
    """
    if kind.area_column is None or not len(frame):
        return []
    codes = set(frame[kind.area_column].astype(str)) - {""}
    known: set[str] = set()
    for b in BOUNDARY_KINDS:
        known |= set(conn.execute(sa.select(tables[KINDS[b].table].c.code).distinct()).scalars())
    missing = sorted(codes - known)
    if not missing:
        return []
    named = ", ".join(missing[:NAMED_CODES]) + (
        f" and {len(missing) - NAMED_CODES} more" if len(missing) > NAMED_CODES else ""
    )
    if not known:
        return [
            "no ward or estate boundaries are stored yet, so "
            + ("its one code cannot" if len(codes) == 1 else f"none of its {len(codes):,} codes can")
            + " be matched "
            "(stored all the same; load the boundaries for figures per area)"
        ]
    one = len(missing) == 1
    return [
        f"{len(missing)} {'code matches' if one else 'codes match'} no stored ward or estate: {named} "
        f"(stored all the same; {'it takes' if one else 'they take'} no part in figures per area until boundaries "
        f"with {'that code' if one else 'those codes'} are loaded)"
    ]
