"""Column segments: how the store keeps the bulk kind (incidents) fast to write and read.

A force-year of police.uk data is a million rows. Row-wise ``INSERT`` into
SQLite costs about 17 s per million rows however it is batched (measured), an
order of magnitude more than reading the CSV. So incidents are stored as
segments: each holds up to :data:`SEGMENT_ROWS` rows as a Parquet blob in a
table row, written in the import's transaction like any other row, plus a small
uncompressed key blob (content key, ref hash, source row) so that duplicate and
conflict checks never need to decode the data itself.

Everything here is pure (bytes in, frames out); :mod:`geo.store._writes` does the SQL.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from geo.core.keys import hash_rows, repeated, strings_to_hash
from geo.core.rejects import REJECT_COLUMNS

SEGMENT_ROWS = 262_144
KEY_DTYPE = np.dtype([("k1", "<i8"), ("k2", "<i8"), ("ref", "<u8"), ("row", "<i8")])


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    """A frame as Parquet bytes (see :func:`table_to_parquet`)."""
    return table_to_parquet(pa.Table.from_pandas(frame, preserve_index=False))


def table_to_parquet(table: pa.Table) -> bytes:
    """An arrow table as Parquet bytes: zstd, repeated values dictionary-encoded.

    Dictionary-encoded arrow columns are written from their dictionaries as
    they are; text columns whose values hardly repeat (refs) are written
    plain, because building a dictionary that is then abandoned costs more
    than the rest of the column. No statistics: segments are always read
    whole. No arrow schema either, so every segment reads back with the same
    plain types however it was written (see :func:`parquet_to_table`).
    """
    dictionary = [f.name for f in table.schema if not _mostly_distinct(table.column(f.name))]
    sink = io.BytesIO()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        compression_level=1,
        use_dictionary=dictionary,
        write_statistics=False,
        store_schema=False,
    )
    return sink.getvalue()


def _mostly_distinct(column: pa.ChunkedArray) -> bool:
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return False
    sample = column.slice(0, 4096)
    return len(sample) > 64 and pc.count_distinct(sample).as_py() > len(sample) // 2


#: The type of a text column read dictionary-encoded (``dictionary=`` of :func:`parquet_to_table`).
DICTIONARY_TEXT = pa.dictionary(pa.int32(), pa.large_string())


def parquet_to_table(
    blobs: Iterable[bytes], *, columns: Sequence[str] | None = None, dictionary: Sequence[str] = ()
) -> pa.Table | None:
    """Concatenate segment blobs into one arrow table (None when there are none).

    Text comes back as ``large_string`` whichever way a segment was written
    (older segments carry pandas' schema, newer ones none), except the text
    columns named in ``dictionary``, which come back as :data:`DICTIONARY_TEXT`:
    Parquet holds them as a dictionary and codes already, so reading them so
    makes no string per row (a national month column is three million copies
    of one value; as plain text it is the slowest part of the read).
    """
    tables = [blob_to_table(b, columns=columns, dictionary=dictionary) for b in blobs]
    if not tables:
        return None
    return pa.concat_tables(tables)


def blob_to_table(blob: bytes, *, columns: Sequence[str] | None = None, dictionary: Sequence[str] = ()) -> pa.Table:
    """One segment blob as an arrow table, read as :func:`parquet_to_table` reads each (never None)."""
    table = pq.read_table(
        io.BytesIO(blob),
        columns=list(columns) if columns is not None else None,
        read_dictionary=list(dictionary) or None,
    )
    return _plain_text(table, dictionary=dictionary)


def _plain_text(table: pa.Table, *, dictionary: Sequence[str] = ()) -> pa.Table:
    """Text as ``large_string`` (dictionary-encoded text too); ``dictionary``'s text columns as :data:`DICTIONARY_TEXT`.

    One type per column whatever the segment, so that segments concatenate.
    """

    def is_text(t: pa.DataType) -> bool:
        return pa.types.is_string(t) or pa.types.is_large_string(t)

    def plain(f: pa.Field) -> pa.Field:
        if is_text(f.type) or (pa.types.is_dictionary(f.type) and is_text(f.type.value_type)):
            return pa.field(f.name, DICTIONARY_TEXT if f.name in dictionary else pa.large_string())
        return f

    return table.cast(pa.schema([plain(f) for f in table.schema]))


def keys_to_blob(k1: np.ndarray, k2: np.ndarray, ref: np.ndarray, row: np.ndarray) -> bytes:
    """Pack the columns duplicate and conflict checks need (32 bytes a row)."""
    out = np.empty(len(k1), dtype=KEY_DTYPE)
    out["k1"], out["k2"], out["ref"], out["row"] = k1, k2, ref, row
    return out.tobytes()


def blob_to_keys(blob: bytes) -> np.ndarray:
    """Inverse of :func:`keys_to_blob` (a structured array)."""
    return np.frombuffer(blob, dtype=KEY_DTYPE)


def refs_to_hash(refs: pd.Series) -> np.ndarray:
    """A 64-bit hash per ref, 0 for a blank ref (which never conflicts)."""
    h, _ = strings_to_hash(refs)
    h = h.copy()
    h[h == 0] = 1  # 0 is reserved for blanks
    h[(refs == "").to_numpy(dtype=bool)] = 0
    return h


def pairs_present(
    k1: np.ndarray, k2: np.ndarray, old_k1: np.ndarray, old_k2: np.ndarray, *, ordered: bool = False
) -> np.ndarray:
    """True where ``(k1, k2)`` is among the ``(old_k1, old_k2)`` pairs.

    Sorted search on the first half (numpy sorts a million int64 in ~20 ms);
    pairs whose first half repeats among the old keys, which practically never
    happens, are settled by an exact join. ``ordered`` says the old pairs are
    already sorted by ``old_k1``: a caller that asks again and again about one
    growing set keeps it sorted (:class:`geo.store._writes.StoredKeys`) rather
    than have it sorted on every call.
    """
    found = np.zeros(len(k1), dtype=bool)
    if not len(k1) or not len(old_k1):
        return found
    if ordered:
        s1, s2 = old_k1, old_k2
    else:
        order = np.argsort(old_k1)
        s1, s2 = old_k1[order], old_k2[order]
    asked = np.argsort(k1)  # searched in order, each search starts near the last: measured 5x faster at 3M keys
    pos = np.empty(len(k1), dtype=np.intp)
    pos[asked] = np.minimum(np.searchsorted(s1, k1[asked]), len(s1) - 1)
    hit1 = s1[pos] == k1
    found = hit1 & (s2[pos] == k2)
    unsure = np.flatnonzero(hit1 & ~found)
    if len(unsure) and (s1[1:] == s1[:-1]).any():
        old = pd.DataFrame({"k1": old_k1, "k2": old_k2}).drop_duplicates()
        sub = pd.DataFrame({"k1": k1[unsure], "k2": k2[unsure], "i": unsure})
        found[sub.merge(old, on=["k1", "k2"])["i"].to_numpy()] = True
    return found


def isin(values: np.ndarray, pool: np.ndarray, *, ordered: bool = False) -> np.ndarray:
    """``np.isin`` for int64 keys by sorted search (numpy's own isin is several times slower here).

    ``ordered`` says ``pool`` is already sorted (as :func:`pairs_present`'s ``ordered``).
    """
    if not len(values) or not len(pool):
        return np.zeros(len(values), dtype=bool)
    if not ordered:
        pool = np.sort(pool)
    pos = np.minimum(np.searchsorted(pool, values), len(pool) - 1)
    return pool[pos] == values


def first_of_pairs(k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
    """True for the first row of each distinct ``(k1, k2)`` pair, in order."""
    first = np.ones(len(k1), dtype=bool)
    rows = np.flatnonzero(repeated(k1))  # content keys practically never repeat: usually none
    if not len(rows):
        return first
    a, b = k1[rows], k2[rows]
    order = np.argsort(a, kind="stable")
    sa, sb = a[order], b[order]
    same1 = sa[1:] == sa[:-1]
    if (same1 & (sb[1:] != sb[:-1])).any():  # pairs may interleave under one k1: exact path
        first[rows] = ~pd.DataFrame({"a": a, "b": b}).duplicated().to_numpy()
        return first
    repeat = np.zeros(len(rows), dtype=bool)
    repeat[order[1:][same1 & (sb[1:] == sb[:-1])]] = True
    first[rows] = ~repeat
    return first


@dataclass
class Quarantine:
    """Rejected rows ready for the quarantine: their keys, their text, and Parquet per segment of them all."""

    k1: np.ndarray
    k2: np.ndarray
    frame: pd.DataFrame
    blobs: list[bytes]


def quarantine(kind: str, rejects: pd.DataFrame) -> Quarantine:
    """Key and encode rejected rows for the quarantine (pure: may run beside the store's other work).

    The key of a quarantined row is its kind, its row as the file had it and
    its reason, so that re-importing a file does not quarantine it again.
    """
    key = pd.DataFrame({"kind": kind, "raw": rejects["raw"].astype(str), "reason": rejects["reason"]})
    k1, k2 = hash_rows(key, repeats_distinct=True, salt="rej")
    frame = rejects[list(REJECT_COLUMNS)].astype({"row": "int64"})
    for c in ("file", "column", "reason", "raw"):
        frame[c] = frame[c].astype(str)
    return Quarantine(k1, k2, frame, [frame_to_parquet(frame.iloc[part]) for part in split_rows(len(frame))])


def split_rows(n: int, size: int = SEGMENT_ROWS) -> list[slice]:
    """Consecutive slices of at most ``size`` rows covering ``range(n)``."""
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def text_min_max(column: pa.ChunkedArray | pa.Array) -> tuple[str, str]:
    """Smallest and largest value of a text column, dictionary-encoded or not ("" when empty)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
    if pa.types.is_dictionary(column.type):
        column = column.dictionary.take(pc.unique(column.indices))
    lo, hi = pc.min_max(column).values()
    return lo.as_py() or "", hi.as_py() or ""
