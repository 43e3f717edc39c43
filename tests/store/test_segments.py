"""Key set operations of the segment store against plain-Python references.

Hypothesis runs these under the suite's settings profile (``tests/conftest.py``):
no per-example deadline, since on a busy machine a slow example measures the
machine, not the hashing (``benchmarks/`` times the code).
"""

from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from geo.core.keys import combine_hashes, hash_rows, occurrences, repeated, strings_to_hash
from geo.store._segments import (
    DICTIONARY_TEXT,
    blob_to_keys,
    blob_to_table,
    first_of_pairs,
    frame_to_parquet,
    isin,
    keys_to_blob,
    pairs_present,
    parquet_to_table,
    table_to_parquet,
    text_min_max,
)
from geo.store.importer import import_path
from tests.conftest import police_csv, police_row

# few distinct values, so that repeats and shared first halves are common
small = st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), max_size=40)


def arrays(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    return a, b


@given(small, small)
def test_pairs_present_matches_a_set(new: list[tuple[int, int]], old: list[tuple[int, int]]) -> None:
    k1, k2 = arrays(new)
    o1, o2 = arrays(old)
    assert pairs_present(k1, k2, o1, o2).tolist() == [p in set(old) for p in new]


@given(small)
def test_first_of_pairs_and_occurrences_match_a_counter(pairs: list[tuple[int, int]]) -> None:
    k1, k2 = arrays(pairs)
    seen: dict[tuple[int, int], int] = {}
    occ = []
    for p in pairs:
        occ.append(seen.get(p, 0))
        seen[p] = seen.get(p, 0) + 1
    assert first_of_pairs(k1, k2).tolist() == [o == 0 for o in occ]
    assert occurrences(k1.view(np.uint64), k2.view(np.uint64)).tolist() == occ


@given(st.lists(st.integers(-5, 5), max_size=30), st.lists(st.integers(-5, 5), max_size=30))
def test_isin_matches_a_set(values: list[int], pool: list[int]) -> None:
    got = isin(np.array(values, dtype=np.int64), np.array(pool, dtype=np.int64))
    assert got.tolist() == [v in set(pool) for v in values]


@given(st.lists(st.text(max_size=20), min_size=1, max_size=30))
def test_string_hash_depends_only_on_the_text(values: list[str]) -> None:
    h1, h2 = strings_to_hash(pd.Series(values, dtype="str"))
    # same text, same hash, however the column is laid out (sliced, reordered, repeated)
    r1, r2 = strings_to_hash(pd.Series(values[::-1] * 2, dtype="str"))
    assert h1.tolist() == r1[: len(values)][::-1].tolist() and h2.tolist() == r2[: len(values)][::-1].tolist()
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            if a != b:
                assert (h1[i], h2[i]) != (h1[j], h2[j])


PINNED = 479089585831938474  # strings_to_hash("nestwatch")[0] as first released


def test_keys_are_stable_across_versions() -> None:
    # pinned values: if these change, every stored key changes and re-imports duplicate data
    frame = pd.DataFrame({"ref": ["A1", ""], "lat": [51.5, np.nan]})
    k1, k2 = hash_rows(frame, repeats_distinct=False)
    assert len(set(zip(k1.tolist(), k2.tolist(), strict=True))) == 2
    h1, _ = strings_to_hash(pd.Series(["nestwatch"], dtype="str"))
    assert int(h1[0]) == PINNED


def test_identical_rows_get_distinct_reproducible_keys() -> None:
    frame = pd.DataFrame({"a": ["x", "x", "y", "x"], "b": [1.0, 1.0, 1.0, 1.0]})
    k1, k2 = hash_rows(frame, repeats_distinct=True)
    assert len(set(zip(k1.tolist(), k2.tolist(), strict=True))) == 4
    again = hash_rows(frame, repeats_distinct=True)
    assert k1.tolist() == again[0].tolist() and k2.tolist() == again[1].tolist()


def test_key_blob_round_trip() -> None:
    k = np.array([1, -2], dtype=np.int64)
    back = blob_to_keys(keys_to_blob(k, k * 3, np.array([0, 9], dtype=np.uint64), np.array([2, 3])))
    assert back["k1"].tolist() == [1, -2] and back["k2"].tolist() == [3, -6] and back["row"].tolist() == [2, 3]


@given(st.lists(st.text(max_size=70), min_size=1, max_size=60))
def test_a_column_hashes_like_each_of_its_values_alone(values: list[str]) -> None:
    # one width, one width and blanks, many widths: every layout hashes a value the same way
    h1, h2 = strings_to_hash(pa.array(values, pa.string()))
    for i, v in enumerate(values):
        a1, a2 = strings_to_hash(pa.array([v], pa.string()))
        assert (h1[i], h2[i]) == (a1[0], a2[0])


def test_hashes_of_blank_and_fixed_width_values_need_no_gather() -> None:
    ids = pa.array(["", "a" * 64, "", "b" * 64, "c" * 64], pa.string()).slice(1)  # an offset, too
    h1, _ = strings_to_hash(ids)
    assert h1.tolist() == [strings_to_hash(pa.array([v]))[0][0] for v in ids.to_pylist()]


def test_repeated_and_occurrences_on_many_groups() -> None:
    # past the look-up table for a few repeated values: the argsort branch
    rng = np.random.default_rng(7)
    h1 = rng.integers(0, 6_000, 40_000).astype(np.uint64)
    h2 = (h1 % 3 + rng.integers(0, 2, len(h1))).astype(np.uint64)
    counts = Counter(h1.tolist())
    assert repeated(h1).tolist() == [counts[v] > 1 for v in h1.tolist()]
    seen: Counter[tuple[int, int]] = Counter()
    expected = []
    for pair in zip(h1.tolist(), h2.tolist(), strict=True):
        expected.append(seen[pair])
        seen[pair] += 1
    assert occurrences(h1, h2).tolist() == expected
    assert first_of_pairs(h1.view(np.int64), h2.view(np.int64)).tolist() == [o == 0 for o in expected]


def test_combined_hashes_do_not_depend_on_the_layout() -> None:
    rng = np.random.default_rng(3)
    n = 70_000  # more than one block
    d1, d2 = rng.integers(0, 2**63, 50).astype(np.uint64), rng.integers(0, 2**63, 50).astype(np.uint64)
    codes = rng.integers(0, 50, n).astype(np.int32)
    full = (rng.integers(0, 2**63, n).astype(np.uint64), rng.integers(0, 2**63, n).astype(np.uint64))
    const = (d1[:1], d2[:1])
    a = combine_hashes([full, (d1, d2, codes), const], n, salt="s")
    b = combine_hashes([full, (d1[codes], d2[codes]), (np.repeat(d1[:1], n), np.repeat(d2[:1], n))], n, salt="s")
    assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist()


def test_parquet_segments_round_trip_whatever_their_encoding() -> None:
    table = pa.table(
        {
            "ref": pa.array(["a1", "", "b2"]),
            "month": pa.DictionaryArray.from_arrays(pa.array([1, 0, 1], pa.int32()), pa.array(["2024-01", "2024-02"])),
            "lat": pa.array([51.5, np.nan, 51.4]),
        }
    )
    back = parquet_to_table([table_to_parquet(table), frame_to_parquet(table.to_pandas())])
    assert back is not None  # None only for no segments at all
    assert back.schema.field("month").type == pa.large_string()
    assert back.column("month").to_pylist() == ["2024-02", "2024-01", "2024-02"] * 2
    assert back.column("ref").to_pylist() == ["a1", "", "b2"] * 2
    assert text_min_max(table.column("month")) == ("2024-01", "2024-02")
    assert text_min_max(pa.chunked_array([], pa.string())) == ("", "")


def test_text_columns_read_as_dictionaries_when_asked() -> None:
    table = pa.table(
        {
            "ref": pa.array(["a1", None, "b2"]),
            "month": pa.DictionaryArray.from_arrays(pa.array([1, 0, 1], pa.int32()), pa.array(["2024-01", "2024-02"])),
            "lat": pa.array([51.5, np.nan, 51.4]),
        }
    )
    blobs = [table_to_parquet(table), frame_to_parquet(table.to_pandas())]  # a categorical month, pandas' metadata
    plain = parquet_to_table(blobs)
    coded = parquet_to_table(blobs, dictionary=["month", "ref", "lat"])  # lat is not text: it stays a float
    assert plain is not None and coded is not None
    assert [coded.schema.field(c).type for c in ("ref", "month", "lat")] == [
        DICTIONARY_TEXT,
        DICTIONARY_TEXT,
        pa.float64(),
    ]
    for c in ("ref", "month"):
        assert coded.column(c).to_pylist() == plain.column(c).to_pylist(), c
    assert np.array_equal(coded.column("lat").to_numpy(), plain.column("lat").to_numpy(), equal_nan=True)
    assert coded.column("month").to_pylist() == ["2024-02", "2024-01", "2024-02"] * 2
    only = blob_to_table(blobs[0], columns=["lat"], dictionary=["month"])  # a column not read is no matter
    assert only.column_names == ["lat"]


def test_the_store_reads_incidents_as_arrow_with_coded_text(store, write) -> None:
    columns = ["lat", "lng", "month", "category", "source"]
    coded = ("month", "category", "source")
    empty = store.read_table("incidents", columns=columns, dictionary=coded)
    assert empty.num_rows == 0
    assert [empty.schema.field(c).type for c in columns] == [pa.float64()] * 2 + [DICTIONARY_TEXT] * 3
    for month in ("2024-01", "2024-02"):  # one import, one segment, per month
        rows = [police_row(month=month), police_row(month=month, category="Drugs", lat="51.451000")]
        import_path(store, "incidents", write(f"{month}.csv", police_csv(*rows)))
    table = store.read_table("incidents", columns=columns, dictionary=coded)
    assert [table.schema.field(c).type for c in columns] == [pa.float64()] * 2 + [DICTIONARY_TEXT] * 3
    frame = store.read("incidents", columns=columns)
    for c in columns:
        assert table.column(c).to_pylist() == frame[c].astype(object).where(frame[c].notna(), None).tolist(), c
    later = store.read_table("incidents", columns=["month"], months=("2024-02", None), dictionary=["month"])
    assert later.column("month").to_pylist() == ["2024-02"] * 2  # the segment skip is the same
