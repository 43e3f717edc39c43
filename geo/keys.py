"""Content keys: a reproducible 128-bit fingerprint per row, computed column-wise in numpy.

Why not ``pandas.util.hash_pandas_object``: on a million text rows it spends
seconds turning arrow strings into Python objects, and an import must stay
within a few times the cost of reading the file. Here a text column is hashed
straight from its arrow buffers: rows of equal byte length are viewed as a
``(rows, words)`` matrix of 64-bit words and folded with the MurmurHash3
finaliser, a handful of vector operations per word. The result depends only on
the bytes (not on pandas, pyarrow or the chunking of the file), so keys stored
by one version of Nestwatch match keys computed by the next.

Two independently seeded 64-bit hashes form the 128-bit key: at a billion rows
the chance that two different rows share a key is about 10**-21.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.parallel import thread_map

SEEDS = (np.uint64(0x6E65737477617463), np.uint64(0x9AE16A3B2F90404F))
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S33 = np.uint64(33)
_MA = np.uint64(0xC6A4A7935BD1E995)
_R47 = np.uint64(47)
_CHUNK_BYTES = 1 << 24  # gather at most this many bytes at a time (memory stays flat)
_SAMPLE = 4096


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place: every input bit affects every output bit."""
    with np.errstate(over="ignore"):
        h ^= h >> _S33
        h *= _M1
        h ^= h >> _S33
        h *= _M2
        h ^= h >> _S33
    return h


def strings_to_hash(values: pa.Array | pa.ChunkedArray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Two independent uint64 hashes per string, from its UTF-8 bytes and length.

    Nulls hash as "". Columns that repeat a few values (months, categories,
    street names) are dictionary-encoded first so each distinct value is
    hashed once.
    """
    arr = as_string_array(values)
    n = len(arr)
    if n > 4 * _SAMPLE and pc.count_distinct(arr.slice(0, _SAMPLE)).as_py() < _SAMPLE // 2:
        enc = pc.dictionary_encode(arr)
        d1, d2 = _hash_plain(enc.dictionary)
        idx = enc.indices.to_numpy(zero_copy_only=False)
        return d1[idx], d2[idx]
    return _hash_plain(arr)


def _hash_plain(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    n = len(arr)
    h1 = np.empty(n, dtype=np.uint64)
    h2 = np.empty(n, dtype=np.uint64)
    if n == 0:
        return h1, h2
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + n + 1].astype(np.int64)
    lengths = np.diff(offsets)
    data_buf = arr.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    if lengths.min() == lengths.max():  # one width: the bytes are already a matrix
        length = int(lengths[0])
        h1[:], h2[:] = _fold_fixed(data[offsets[0] : offsets[0] + n * length], n, length)
        return h1, h2
    for width in np.unique(lengths):
        length = int(width)
        rows = np.flatnonzero(lengths == length)
        sub = arr.take(pa.array(rows))
        sub_data = np.frombuffer(sub.buffers()[2], dtype=np.uint8) if length else np.zeros(0, np.uint8)
        first = int(np.frombuffer(sub.buffers()[1], dtype=np.int32)[sub.offset])
        h1[rows], h2[rows] = _fold_fixed(sub_data[first : first + len(rows) * length], len(rows), length)
    return h1, h2


def _fold_fixed(block: np.ndarray, count: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Hash ``count`` strings of ``length`` bytes each, laid end to end in ``block``.

    MurmurHash64A's word step feeds two accumulators with different seeds and
    multipliers, so the second hash costs far less than a second pass.
    """
    with np.errstate(over="ignore"):
        h1 = np.full(count, SEEDS[0] ^ (np.uint64(length) * _GOLDEN), dtype=np.uint64)
        h2 = np.full(count, SEEDS[1] ^ (np.uint64(length) * _M2), dtype=np.uint64)
        if length:
            words = -(-length // 8)
            step = max(1, _CHUNK_BYTES // (words * 8))
            for start in range(0, count, step):
                stop = min(count, start + step)
                part = block[start * length : stop * length].reshape(stop - start, length)
                if length % 8:
                    padded = np.zeros((stop - start, words * 8), dtype=np.uint8)
                    padded[:, :length] = part
                    part = padded
                matrix = np.ascontiguousarray(part).view(np.uint64)
                a1, a2 = h1[start:stop], h2[start:stop]
                for j in range(words):
                    k = matrix[:, j] * _MA
                    k ^= k >> _R47
                    k *= _MA
                    a1 ^= k
                    a1 *= _MA
                    a2 += k
                    a2 *= _M1
                    a2 ^= a2 >> _S33
    return fmix64(h1), fmix64(h2)


def as_string_array(values: pa.Array | pa.ChunkedArray | pd.Series) -> pa.Array:
    if isinstance(values, pd.Series):
        values = pa.array(values.astype("str"), type=pa.string()) if len(values) else pa.array([], pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    if values.null_count:
        values = pc.fill_null(values, "")
    return values


def numbers_to_hash(values: np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Two uint64 hashes per number; NaN (missing) and -0.0 hash like their canonical forms."""
    v = np.asarray(values, dtype=np.float64).copy()
    v[np.isnan(v)] = np.nan
    v += 0.0  # -0.0 -> 0.0
    bits = v.view(np.uint64)
    return fmix64(bits ^ SEEDS[0]), fmix64(bits ^ SEEDS[1])


def frame_to_hash(frame: pd.DataFrame, columns: Sequence[str], *, salt: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Combine per-column hashes in column order into two uint64 per row."""
    s1, s2 = strings_to_hash(pa.array([salt]))
    h1 = np.full(len(frame), s1[0], dtype=np.uint64)
    h2 = np.full(len(frame), s2[0], dtype=np.uint64)

    def column_hash(col: str) -> tuple[np.ndarray, np.ndarray]:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            return numbers_to_hash(values.to_numpy(dtype=float, na_value=np.nan))
        return strings_to_hash(values)

    # numpy and pyarrow release the GIL, so columns hash side by side on all cores
    hashed = thread_map(column_hash, columns) if len(frame) > 50_000 else [column_hash(c) for c in columns]
    with np.errstate(over="ignore"):
        for i, (c1, c2) in enumerate(hashed):
            # column hashes are already mixed: a multiply-add chain keeps order and position
            h1 = h1 * _GOLDEN + c1
            h2 = h2 * _MA + (c2 ^ np.uint64(i + 1))
    return fmix64(h1), fmix64(h2)


def occurrences(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """For each row, how many earlier rows carry the same (h1, h2): 0, 1, 2, ..."""
    n = len(h1)
    occ = np.zeros(n, dtype=np.uint64)
    if n < 2:
        return occ
    order = np.argsort(h1, kind="stable")
    a, b = h1[order], h2[order]
    same1 = a[1:] == a[:-1]
    if not same1.any():
        return occ
    if (same1 & (b[1:] != b[:-1])).any():  # equal h1, different h2: sort on both
        order = np.lexsort((np.arange(n), h2, h1))
        a, b = h1[order], h2[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(new)
    group_start = starts[np.cumsum(new) - 1]
    occ[order] = (np.arange(n) - group_start).astype(np.uint64)
    return occ


def hash_rows(
    frame: pd.DataFrame,
    *,
    repeats_distinct: bool,
    columns: Sequence[str] | None = None,
    salt: str = "key",
) -> tuple[np.ndarray, np.ndarray]:
    """A 128-bit key per row as two int64 arrays.

    With ``repeats_distinct`` the n-th repeat of an identical row is salted
    with n, so identical rows (separate police.uk incidents) get distinct keys
    that are the same every time the file is imported.
    """
    cols = list(columns) if columns is not None else list(frame.columns)
    h1, h2 = frame_to_hash(frame, cols, salt=salt)
    if repeats_distinct:
        occ = occurrences(h1, h2)
        with np.errstate(over="ignore"):
            h1 = h1 ^ fmix64(occ * _GOLDEN)
            h2 = h2 + occ
    return h1.view(np.int64), h2.view(np.int64)
