"""The import's write path: which rows of each file are new, present or clash, however many files an import holds.

:class:`geo.store._writes.StoredKeys` keeps the stored keys sorted across the
files of one import instead of sorting them again per file; these tests hold
it to a brute-force reference (Python sets and a scan in stored order) and an
import of overlapping hand-made files to counts worked by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import geo.store._writes
import geo.store.importer
from geo.store import Store
from geo.store._segments import isin, pairs_present
from geo.store._writes import StoredKeys
from geo.store.importer import ImportResult, import_path
from tests.conftest import drop_store, police_csv, police_row, store_url

# few distinct values, so that repeated first halves and repeated refs (0 = blank) are common
key = st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(0, 3))
batches = st.lists(st.lists(key, max_size=12), min_size=1, max_size=6)


def frame(rows: list[tuple[int, int, int]], import_id: int) -> pd.DataFrame:
    """A frame of keys as :func:`geo.store._writes.segment_keys` makes them (rows numbered from 2, as in a file)."""
    return pd.DataFrame(
        {
            "k1": np.array([r[0] for r in rows], dtype=np.int64),
            "k2": np.array([r[1] for r in rows], dtype=np.int64),
            "ref": np.array([r[2] for r in rows], dtype=np.uint64),
            "row": np.arange(2, len(rows) + 2, dtype=np.int64),
            "import_id": np.full(len(rows), import_id, dtype=np.int64),
        }
    )


@given(batches, st.integers(0, 6), st.lists(key, max_size=12))
def test_stored_keys_answer_as_a_scan_of_every_frame_would(
    parts: list[list[tuple[int, int, int]]], loaded: int, probe: list[tuple[int, int, int]]
) -> None:
    # the first `loaded` frames are there from the start (stored before the import), the rest appended one by
    # one between look-ups (the import's files); every look-up must see exactly the frames appended so far
    loaded = min(loaded, len(parts))
    keys = StoredKeys(frame(p, i) for i, p in enumerate(parts[:loaded]))
    held = list(parts[:loaded])
    for i in range(loaded, len(parts) + 1):
        pairs = {(a, b) for p in held for a, b, _ in p}
        first: dict[int, tuple[int, int]] = {}  # ref -> (import_id, row) of its first row, frames in order
        for j, p in enumerate(held):
            for n, (_, _, r) in enumerate(p):
                if r:
                    first.setdefault(r, (j, n + 2))
        k1 = np.array([p[0] for p in probe], dtype=np.int64)
        k2 = np.array([p[1] for p in probe], dtype=np.int64)
        refs = np.array([p[2] for p in probe], dtype=np.uint64)
        assert keys.pairs_present(k1, k2).tolist() == [(p[0], p[1]) in pairs for p in probe]
        assert keys.refs_present(refs).tolist() == [p[2] in first for p in probe]
        stored = refs[keys.refs_present(refs)]
        got = keys.first_stored(stored)
        assert {r: (i_, w) for r, i_, w in got[["ref", "import_id", "row"]].itertuples(index=False)} == {
            int(r): first[int(r)] for r in stored
        }
        if i < len(parts):
            keys.append(frame(parts[i], i))
            held.append(parts[i])


def test_a_new_index_is_empty_and_finds_nothing() -> None:
    keys = StoredKeys()
    one = np.array([1], dtype=np.int64)
    assert keys.pairs_present(one, one).tolist() == [False]
    assert keys.refs_present(np.array([1], dtype=np.uint64)).tolist() == [False]
    keys.append(frame([], 1))  # a file whose rows were all present adds an empty frame
    keys.append(frame([(1, 1, 0)], 2))
    assert keys.pairs_present(one, one).tolist() == [True]
    assert keys.refs_present(np.array([0, 1], dtype=np.uint64)).tolist() == [False, False]  # 0 is a blank ref


pair = st.tuples(st.integers(-3, 3), st.integers(-3, 3))


@given(st.lists(pair, max_size=40), st.lists(pair, max_size=40))
def test_sorted_old_pairs_and_pools_need_no_sort(new: list[tuple[int, int]], old: list[tuple[int, int]]) -> None:
    # ``ordered``: the caller sorted the old keys (by the first half, the second alongside) and the pool itself
    old = sorted(old, key=lambda p: p[0])
    o1 = np.array([p[0] for p in old], dtype=np.int64)
    o2 = np.array([p[1] for p in old], dtype=np.int64)
    k1 = np.array([p[0] for p in new], dtype=np.int64)
    k2 = np.array([p[1] for p in new], dtype=np.int64)
    assert pairs_present(k1, k2, o1, o2, ordered=True).tolist() == [p in set(old) for p in new]
    pool = np.sort(o2)
    assert isin(k2, pool, ordered=True).tolist() == [b in set(pool.tolist()) for b in k2.tolist()]


# --------------------------------------------------------------------------- an import of overlapping files

A = police_row()  # anti-social behaviour, blank Crime ID: identical rows are separate incidents
B = police_row(location="On or near Elm Road", lat="51.451000")
N = police_row(lat="", lng="", location="No Location")  # rejected: no coordinates
X = police_row(crime_id="X1", category="Burglary", outcome="Under investigation")
X_MOVED = police_row(crime_id="X1", category="Burglary", location="On or near Oak Lane", lat="51.452000")
Y = police_row(crime_id="Y1", category="Drugs")
Y_MOVED = police_row(crime_id="Y1", category="Drugs", location="On or near Ash Close", lat="51.453000")

OLD = police_csv(A, A, X, X, N)  # rows 2-6: stored A, A, X, X (the repeats distinct); N rejected
FOLDER = {
    # A 1st, 2nd: stored by old.csv, 3rd new; B new; X present (old.csv's 1st X); N rejected again;
    # Y, Y (rows 8, 9) new, both (Y1 is then stored twice: the 1st row it is stored at is f1's row 8)
    "f1.csv": police_csv(A, A, A, B, X, N, Y, Y),
    # A 1st-3rd present (old.csv, f1), 4th new; B present (f1); X1 moved clashes with old.csv's first X1 (row 4);
    # Y 1st, 2nd present (f1); the 3rd Y is a new row (its key is salted 2) whose ref is stored, so it clashes
    # too, with f1's row 8, though its content is the same: the store has always judged it so (a row not
    # stored, its ref stored), where within one file the same repeat is kept as a separate incident
    "f2.csv": police_csv(A, A, A, A, B, X_MOVED, Y, Y, Y),
    # Y1 moved clashes with the first row Y1 is stored at (f1's row 8); B 1st present, 2nd new
    "f3.csv": police_csv(Y_MOVED, B, B),
}
#: (rows, stored, rejected, already present) per file, worked from the comments above
FIRST = [(8, 4, 1, 3), (9, 1, 2, 6), (3, 1, 1, 1)]
#: the same folder again, read in full: every row stored by now is present; the same four rows rejected
AGAIN = [(8, 0, 1, 7), (9, 0, 2, 7), (3, 0, 1, 2)]


def _counts(result: ImportResult) -> list[tuple[int, int, int, int]]:
    return [(f["rows"], f["stored"], f["rejected"], f["already_present"]) for f in result.files]


def _write_files(write, tmp_path: Path) -> tuple[Path, Path]:
    old = write("old.csv", OLD)
    for name, text in FOLDER.items():
        write(f"folder/{name}", text)
    return old, tmp_path / "folder"


def _import_all(store: Store, old: Path, folder: Path) -> list[list[tuple[int, int, int, int]]]:
    """Import old.csv, then the folder twice; the counts per file of each folder import."""
    first = import_path(store, "incidents", old)
    assert (first.rows, first.stored, first.rejected, first.already_present) == (5, 4, 1, 0)
    return [_counts(import_path(store, "incidents", folder)) for _ in range(2)]


def test_an_import_of_overlapping_files_counts_each_file_as_worked_by_hand(store, write, tmp_path, monkeypatch):
    monkeypatch.setattr(geo.store.importer, "recognise", lambda *_a, **_k: None)  # the same bytes, read in full
    old, folder = _write_files(write, tmp_path)
    assert _import_all(store, old, folder) == [FIRST, AGAIN]
    assert store.count("incidents") == 4 + 4 + 1 + 1
    # the quarantine holds each rejected row once: f1's N repeats old.csv's (same row, same reason), and the
    # second folder import rejects what the first did
    held = store.rejects().sort_values(["import_id", "row"])
    assert held[["import_id", "row"]].values.tolist() == [[1, 6], [3, 7], [3, 10], [4, 2]]
    reasons = held["reason"].tolist()
    assert reasons[0].startswith("no coordinates")
    assert reasons[1:] == [
        f"ref 'X1' is already stored with different content ({old}, row 4)",
        f"ref 'Y1' is already stored with different content ({folder / 'f1.csv'}, row 8)",
        f"ref 'Y1' is already stored with different content ({folder / 'f1.csv'}, row 8)",
    ]
    stored = store.read("incidents", keys=True)
    assert sorted(stored.loc[stored["ref"] != "", "ref"]) == ["X1", "X1", "Y1", "Y1"]  # old.csv's, f1's


def test_keys_sorted_once_per_import_decide_as_keys_sorted_for_every_file(
    store, new_store, write, tmp_path, monkeypatch
):
    # the same imports into a second store, the stored keys handed over as a plain list: then they are
    # sorted again from every frame for every file (as before the index); nothing may differ
    monkeypatch.setattr(geo.store.importer, "recognise", lambda *_a, **_k: None)
    old, folder = _write_files(write, tmp_path)
    sorted_once = _import_all(store, old, folder)
    real = geo.store._writes.segment_keys
    monkeypatch.setattr(geo.store._writes, "segment_keys", lambda *a: list(real(*a)))
    url = store_url(tmp_path / "plain.sqlite", template=new_store)
    plain = Store(url)
    try:
        assert _import_all(plain, old, folder) == sorted_once == [FIRST, AGAIN]
        pd.testing.assert_frame_equal(plain.read("incidents", keys=True), store.read("incidents", keys=True))
        pd.testing.assert_frame_equal(plain.rejects(), store.rejects())
        log = ["kind", "file", "sha256", "rows", "stored", "rejected", "already_present"]
        pd.testing.assert_frame_equal(plain.imports()[log], store.imports()[log])
    finally:
        plain.dispose()
        drop_store(url)


# --------------------------------------------------------------------------- identities of kinds without refs


def test_a_count_given_again_with_another_number_is_refused_like_a_ref(store, write):
    """Victim counts are named by area, month and agency (their key columns), as a record by its ref."""
    head = "area_code,month,count,agency\r\n"
    import_path(store, "victims", write("a.csv", head + "W1,2024-08,3,Housing\r\nW1,2024-08,1,Police\r\n"))
    later = import_path(store, "victims", write("b.csv", head + "W1,2024-08,4,Housing\r\nW1,2024-08,1,Police\r\n"))
    # Housing's count for W1 in August changed (3 then 4): both cannot be right, and adding them counts 7 people
    assert (later.rows, later.stored, later.rejected, later.already_present) == (2, 0, 1, 1)
    [reason] = store.rejects(kind="victim_counts")["reason"].tolist()
    assert reason.startswith(
        "area_code 'W1', month '2024-08' and agency 'Housing' are already stored with different content ("
    )
    assert sorted(store.read("victim_counts")["count"]) == [1, 3]


def test_codes_are_noted_against_no_boundaries_at_all_and_long_lists_are_cut(store, write):
    from geo.store._writes import NAMED_CODES

    text = "code,year,population\r\n" + "".join(f"E0500000{i},2022,{1000 + i}\r\n" for i in range(7))
    result = import_path(store, "population", write("p.csv", text))
    assert result.stored == 7
    assert any(
        "no ward or estate boundaries are stored yet, so none of its 7 codes can be matched" in n for n in result.notes
    )
    wards = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"E05000000","name":"W"},'
        '"geometry":{"type":"Polygon","coordinates":[[[-2.6,51.4],[-2.59,51.4],[-2.59,51.41],[-2.6,51.4]]]}}]}'
    )
    import_path(store, "wards", write("w.geojson", wards))
    again = import_path(store, "population", write("q.csv", text.replace(",2022,", ",2023,")))
    [note] = [n for n in again.notes if "match no stored" in n]
    assert NAMED_CODES == 5  # 6 unmatched (E05000001 to 6): five named, one counted
    assert (
        "6 codes match no stored ward or estate: E05000001, E05000002, E05000003, E05000004, E05000005 and 1 more"
        in note
    )


def _population(years: range, wards: int, *, base: int) -> str:
    """``wards`` codes x ``years``, each population ``base`` + ward number (a file ONS could revise)."""
    rows = (f"E05{w:06d},{y},{base + w}\r\n" for y in years for w in range(wards))
    return "code,year,population\r\n" + "".join(rows)


def test_clashes_are_deleted_in_slices_and_every_one_is_refused(store, write, monkeypatch):
    """With slices of 2, 7 clashing rows take 4 DELETEs (2+2+2+1) and end as if deleted at once."""
    monkeypatch.setattr(geo.store._writes, "IN_CHUNK", 2)
    import_path(store, "population", write("a.csv", _population(range(2022, 2023), 7, base=1000)))
    later = import_path(store, "population", write("b.csv", _population(range(2022, 2023), 7, base=2000)))
    # every one of the 7 codes for 2022 is given again with another number (2000+w, not 1000+w): all 7 refused
    assert (later.rows, later.stored, later.rejected) == (7, 0, 7)
    stored = store.read("population")
    assert sorted(stored["population"]) == [1000 + w for w in range(7)]  # only a.csv's figures remain
    assert len(store.rejects(kind="population")) == 7


def test_more_ids_than_a_statement_can_bind_are_deleted_slice_by_slice(store, write):
    """70,000 ids (over PostgreSQL's 65,535 bound values) go in slices of IN_CHUNK, as ref_conflicts deletes them.

    (A whole import of 70,000 revised rows takes over 30 s; the slicing in ref_conflicts itself is proved with
    slices of 2 above.)
    """
    import sqlalchemy as sa

    imported = import_path(store, "population", write("a.csv", _population(range(2022, 2023), 1, base=1000)))
    t = store.tables["population"]
    n = 70_000
    rows = [
        {
            "import_id": imported.files[0]["import_id"],
            "src_row": i,
            "k1": i,
            "k2": -i,
            "code": f"E05{i:06d}",
            "population": 1,
        }
        | {"year": 1990}
        for i in range(n)
    ]
    with store.engine.begin() as conn:
        conn.execute(t.insert(), rows)
        ids = conn.execute(sa.select(t.c.id).where(t.c.year == 1990)).scalars().all()
        assert len(ids) == n
        for part in geo.store._writes.in_chunks(ids):
            assert len(part) <= geo.store._writes.IN_CHUNK
            conn.execute(t.delete().where(t.c.id.in_(part)))
    assert store.read("population")["year"].tolist() == [2022]  # a.csv's one row is all that is left


def test_in_chunks_cover_every_value_once_in_slices_no_longer_than_the_bound(monkeypatch):
    monkeypatch.setattr(geo.store._writes, "IN_CHUNK", 3)
    # 1..7 with 3 repeated: 7 distinct values in slices of 3 -> [1,2,3] [4,5,6] [7]
    assert list(geo.store._writes.in_chunks([1, 2, 3, 3, 4, 5, 6, 7])) == [[1, 2, 3], [4, 5, 6], [7]]
    assert list(geo.store._writes.in_chunks([])) == []


def test_a_file_with_one_unmatched_code_says_its_one_code(store, write):
    result = import_path(store, "population", write("p.csv", "code,year,population\r\nE05000001,2022,9000\r\n"))
    assert any("so its one code cannot be matched (stored all the same" in n for n in result.notes), result.notes


@pytest.mark.parametrize(
    ("kind", "text", "name"),
    [
        ("population", "code,year,population\r\nE05000001,2022,9000\r\nE{},2022,9000\r\n", "code"),
        ("victims", "area_code,month,count\r\nW1,2024-01,3\r\nW{},2024-01,3\r\n", "area_code"),
        ("flagged", "ref,lat,lng,first_flagged\r\nF1,51.45,-2.59,2024-01-02\r\nF{},51.45,-2.59,2024-01-02\r\n", "ref"),
    ],
)
def test_a_9000_character_key_is_a_rejected_row_not_a_failed_file(store, write, kind, text, name):
    """Indexed keys over PostgreSQL's ~2,700-byte index entry once failed the whole file; now that row alone."""
    result = import_path(store, kind, write("k.csv", text.replace("{}", "9" * 8_999)))
    assert (result.rows, result.stored, result.rejected) == (2, 1, 1)  # the short key stored, the long one not
    [reason] = store.rejects().query("reason.str.contains('characters long')")["reason"].tolist()
    assert reason == f"{name} is 9,000 characters long; at most 100"  # a letter + 8,999 nines
