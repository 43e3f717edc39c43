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

from geo.core.parallel import thread_map

SEEDS = (np.uint64(0x6E65737477617463), np.uint64(0x9AE16A3B2F90404F))
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S33 = np.uint64(33)
_MA = np.uint64(0xC6A4A7935BD1E995)
_R47 = np.uint64(47)
_CHUNK_BYTES = 1 << 21  # fold at most this many bytes at a time (memory stays flat, temporaries stay in cache)
_SAMPLE = 4096
_BLOCK = 1 << 16  # rows folded at a time in combine_hashes


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
    widths = np.flatnonzero(np.bincount(lengths)) if lengths.max() < 1 << 20 else np.unique(lengths)
    if len(widths) == 1 or (len(widths) == 2 and widths[0] == 0):
        # one width, or one width and blanks (police.uk Crime IDs): the non-blank bytes,
        # laid end to end, are already a (rows, width) matrix; no gather needed
        length = int(widths[-1])
        rows = np.flatnonzero(lengths == length) if len(widths) == 2 else slice(None)
        count = n if isinstance(rows, slice) else len(rows)
        h1[rows], h2[rows] = _fold_fixed(data[offsets[0] : offsets[0] + count * length], count, length)
        if len(widths) == 2:
            blank = lengths == 0
            h1[blank], h2[blank] = _fold_fixed(data[:0], 1, 0)
        return h1, h2
    # many widths (free text, JSON): one gather puts the rows in order of length,
    # after which each width's bytes lie end to end
    order = np.argsort(lengths, kind="stable")
    by_length = arr.take(pa.array(order))
    sorted_lengths = lengths[order]
    sorted_offsets = np.frombuffer(by_length.buffers()[1], dtype=np.int32)[
        by_length.offset : by_length.offset + n + 1
    ].astype(np.int64)
    sorted_buf = by_length.buffers()[2]
    sorted_data = np.frombuffer(sorted_buf, dtype=np.uint8) if sorted_buf is not None else np.zeros(0, np.uint8)
    bounds = [*np.searchsorted(sorted_lengths, widths, side="left").tolist(), n]
    for width, lo, hi in zip(widths.tolist(), bounds[:-1], bounds[1:], strict=True):
        rows = order[lo:hi]
        first = int(sorted_offsets[lo])
        h1[rows], h2[rows] = _fold_fixed(sorted_data[first : first + (hi - lo) * width], hi - lo, width)
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


def dictionary_parts(column: pa.ChunkedArray | pa.DictionaryArray) -> tuple[pa.Array, pa.Array]:
    """The dictionary and the indices (one array) of a dictionary-encoded column.

    Chunks read or encoded by pyarrow already share one dictionary; only when
    they do not are they unified (which costs a hash of every chunk's dictionary).
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not chunks:
        return pa.array([], column.type.value_type), pa.array([], column.type.index_type)

    def same(a: pa.Array, b: pa.Array) -> bool:
        return a is b or (
            len(a) == len(b)
            and a.offset == b.offset
            and all(
                (x is None and y is None) or (x is not None and y is not None and x.address == y.address)
                for x, y in zip(a.buffers(), b.buffers(), strict=True)
            )
        )

    if not all(same(c.dictionary, chunks[0].dictionary) for c in chunks[1:]):
        chunks = pa.chunked_array(chunks, type=column.type).unify_dictionaries().chunks
    indices = chunks[0].indices if len(chunks) == 1 else pa.concat_arrays([c.indices for c in chunks])
    return chunks[0].dictionary, indices


def numbers_to_hash(values: np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Two uint64 hashes per number; NaN (missing) and -0.0 hash like their canonical forms."""
    v = np.asarray(values, dtype=np.float64).copy()
    v[np.isnan(v)] = np.nan
    v += 0.0  # -0.0 -> 0.0
    bits = v.view(np.uint64)
    return fmix64(bits ^ SEEDS[0]), fmix64(bits ^ SEEDS[1])


def frame_to_hash(frame: pd.DataFrame, columns: Sequence[str], *, salt: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Combine per-column hashes in column order into two uint64 per row."""

    def column_hash(col: str) -> tuple[np.ndarray, np.ndarray]:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            return numbers_to_hash(values.to_numpy(dtype=float, na_value=np.nan))
        return strings_to_hash(values)

    # numpy and pyarrow release the GIL, so columns hash side by side on all cores
    hashed = thread_map(column_hash, columns) if len(frame) > 50_000 else [column_hash(c) for c in columns]
    return combine_hashes(hashed, len(frame), salt=salt)


def combine_hashes(
    hashed: Sequence[tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]],
    n: int,
    *,
    salt: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Fold per-column hash pairs, in column order, into two uint64 per row.

    A column is ``(h1, h2)`` with a hash per row (or one hash for every row),
    or ``(h1, h2, codes)`` with a hash per distinct value and each row's code.
    The fold runs block by block so that every intermediate stays in cache,
    the two halves of the rows side by side.
    """
    if not n:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64)
    s1, s2 = strings_to_hash(pa.array([salt]))
    out1 = np.empty(n, dtype=np.uint64)
    out2 = np.empty(n, dtype=np.uint64)
    positions = [np.uint64(i + 1) for i in range(len(hashed))]

    @np.errstate(over="ignore")
    def fold(lo: int, hi: int) -> None:
        h1 = np.full(hi - lo, s1[0], dtype=np.uint64)
        h2 = np.full(hi - lo, s2[0], dtype=np.uint64)
        for column, i in zip(hashed, positions, strict=True):
            if len(column) == 3:
                codes = column[2][lo:hi]
                c1, c2 = column[0][codes], column[1][codes]
            elif len(column[0]) == 1:
                c1, c2 = column[0], column[1]
            else:
                c1, c2 = column[0][lo:hi], column[1][lo:hi]
            # column hashes are already mixed: a multiply-add chain keeps order and position
            h1 *= _GOLDEN
            h1 += c1
            h2 *= _MA
            h2 += c2 ^ i
        out1[lo:hi], out2[lo:hi] = fmix64(h1), fmix64(h2)

    blocks = [(lo, min(n, lo + _BLOCK)) for lo in range(0, n, _BLOCK)]
    halves = [blocks[: len(blocks) // 2], blocks[len(blocks) // 2 :]] if len(blocks) > 1 else [blocks]
    thread_map(lambda part: [fold(lo, hi) for lo, hi in part], halves)  # the two halves side by side
    return out1, out2


def repeated(values: np.ndarray) -> np.ndarray:
    """True for each element whose value occurs more than once.

    A plain sort (vectorised in numpy) says whether anything repeats; usually
    nothing or little does, and then no ``argsort`` of every row is needed.
    """
    mask = np.zeros(len(values), dtype=bool)
    if len(values) < 2:
        return mask
    s = np.sort(values)
    same = s[1:] == s[:-1]
    repeats = int(np.count_nonzero(same))
    if not repeats:
        return mask
    if repeats <= 4096:  # a few repeated values: a cheap look-up per row
        pool = np.unique(s[1:][same])
        pos = np.minimum(np.searchsorted(pool, values), len(pool) - 1)
        return pool[pos] == values
    order = np.argsort(values)
    same = values[order[1:]] == values[order[:-1]]
    mask[order[1:][same]] = True
    mask[order[:-1][same]] = True
    return mask


def occurrences(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """For each row, how many earlier rows carry the same (h1, h2): 0, 1, 2, ..."""
    n = len(h1)
    occ = np.zeros(n, dtype=np.uint64)
    if n < 2:
        return occ
    rows = np.flatnonzero(repeated(h1))  # a row whose h1 is unique is the first of its kind
    if not len(rows):
        return occ
    occ[rows] = _occurrences(h1[rows], h2[rows])
    return occ


def _occurrences(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    n = len(h1)
    occ = np.zeros(n, dtype=np.uint64)
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
    return salt_repeats(h1, h2) if repeats_distinct else (h1.view(np.int64), h2.view(np.int64))


def salt_repeats(h1: np.ndarray, h2: np.ndarray, *, among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Salt the n-th repeat of a (h1, h2) pair with n; return the 128-bit keys as two int64 arrays.

    ``among`` (a mask) may name the only rows that can repeat one another, when
    the caller knows the others to be unique (e.g. they carry a ref no other
    row has): only those are then sorted.
    """
    if among is None:
        occ = occurrences(h1, h2)
    else:
        occ = np.zeros(len(h1), dtype=np.uint64)
        rows = np.flatnonzero(among)
        occ[rows] = occurrences(h1[rows], h2[rows])
    with np.errstate(over="ignore"):
        h1 = h1 ^ fmix64(occ * _GOLDEN)
        h2 = h2 + occ
    return h1.view(np.int64), h2.view(np.int64)
