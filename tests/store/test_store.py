"""The store: one transaction per import, idempotent re-imports, the quarantine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

import geo.ingest._csv_fast
import geo.store._writes
from geo.core.errors import InputError, OptionError, StoreError
from geo.store import Store
from geo.store._segments import blob_to_keys
from geo.store._tables import SEGMENT_TABLE
from geo.store.importer import import_path
from tests.conftest import drop_store, messy_police_csv, police_csv, police_row, store_url

FLAGGED = "UPRN,Address,Lat,Lng,First Flagged,Indicators,Status\r\n"
CLOSURES = "Order Ref,Address,Latitude,Longitude,Granted,Expiry,Type,Status\r\n"


def test_import_accounts_for_every_row_and_reimport_adds_nothing(store, write):
    path = write("a.csv", police_csv(police_row(), police_row(), police_row(lat=""), police_row(category="Drugs")))
    first = import_path(store, "incidents", path)
    assert (first.rows, first.stored, first.rejected, first.already_present) == (4, 3, 1, 0)
    again = import_path(store, "incidents", path)
    assert (again.rows, again.stored, again.rejected, again.already_present) == (4, 0, 1, 3)
    assert store.count("incidents") == 3
    assert len(store.rejects()) == 1  # the quarantine does not grow either
    assert store.imports()["stored"].tolist() == [0, 3]


def test_same_rows_in_another_file_are_already_present(store, write):
    import_path(store, "incidents", write("a.csv", police_csv(police_row(), police_row(month="2024-02"))))
    r = import_path(
        store, "incidents", write("b.csv", police_csv(police_row(month="2024-02"), police_row(month="2024-03")))
    )
    assert (r.stored, r.already_present) == (1, 1)


def test_a_ref_stored_earlier_with_other_content_is_rejected(store, write):
    import_path(store, "flagged", write("a.csv", FLAGGED + "001,1 A St,51.45,-2.59,2024-01-02,noise,open\r\n"))
    r = import_path(
        store,
        "flagged",
        write(
            "b.csv",
            FLAGGED + "001,1 A St,51.45,-2.59,2024-01-02,noise,closed\r\n002,2 A St,51.45,-2.59,2024-01-02,,open\r\n",
        ),
    )
    assert (r.stored, r.rejected, r.already_present) == (1, 1, 0)
    rej = store.rejects(kind="flagged")
    assert rej["reason"].iloc[0].startswith("ref '001' is already stored with different content")
    assert rej["row"].iloc[0] == 2 and rej["column"].iloc[0] == "UPRN"
    assert store.read("flagged")["ref"].tolist() == ["001", "002"]


def test_an_incident_ref_stored_earlier_with_other_content_is_rejected_naming_the_file(store, write):
    """The segment path's conflict check names the earlier import's file (it once crashed building that name)."""
    import_path(store, "incidents", write("a.csv", police_csv(police_row(crime_id="c9", category="Drugs"))))
    r = import_path(
        store,
        "incidents",
        write("b.csv", police_csv(police_row(crime_id="c9", category="Robbery"), police_row(crime_id="c10"))),
    )
    assert (r.stored, r.rejected) == (1, 1)
    rej = store.rejects(kind="incidents")
    assert rej["reason"].iloc[0].startswith("ref 'c9' is already stored with different content (")
    assert "a.csv, row 2)" in rej["reason"].iloc[0]


def test_failure_part_way_leaves_nothing_behind(store, write, monkeypatch):
    path = write("a.csv", police_csv(police_row(), police_row(lat="")))

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(geo.store._writes, "insert_rejects", boom)
    with pytest.raises(RuntimeError):
        import_path(store, "incidents", path)
    assert store.count("incidents") == 0
    assert store.imports().empty
    monkeypatch.undo()
    r = import_path(store, "incidents", path)
    assert (r.stored, r.rejected) == (1, 1)


def test_archive_is_one_transaction(store, write, tmp_path, monkeypatch):
    write("dl/2024-01-x-street.csv", police_csv(police_row()))
    write("dl/2024-02-x-street.csv", police_csv(police_row(month="2024-02")))
    calls = []
    real = geo.store._writes.store_segments

    def second_fails(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(geo.store._writes, "store_segments", second_fails)
    with pytest.raises(RuntimeError):
        import_path(store, "incidents", tmp_path / "dl")
    assert store.count("incidents") == 0 and store.imports().empty


def test_boundaries_round_trip(store, write):
    import json

    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "X1", "name": "Ward One"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-2.6, 51.4], [-2.5, 51.4], [-2.5, 51.5], [-2.6, 51.4]]],
                },
            }
        ],
    }
    r = import_path(store, "wards", write("w.geojson", json.dumps(fc)))
    assert r.stored == 1
    wards = store.read_boundaries("wards")
    assert wards["name"].tolist() == ["Ward One"]
    assert wards.geometry.iloc[0].area == pytest.approx(0.1 * 0.1 / 2)
    assert import_path(store, "wards", write("w2.geojson", json.dumps(fc))).already_present == 1


def test_bad_url_is_a_store_error(tmp_path):
    with pytest.raises(StoreError):
        Store("nosuchdialect://x")


def _stored(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stored incident with its key blob columns, and the quarantine."""
    t = store.tables[SEGMENT_TABLE]
    with store.engine.connect() as conn:
        blobs = conn.execute(sa.select(t.c["keys"]).order_by(t.c.id)).scalars().all()
    keys = pd.DataFrame(np.concatenate([blob_to_keys(b) for b in blobs]))
    data = pd.concat([store.read("incidents"), keys], axis=1)
    return data, store.rejects().drop(columns="import_id")


def test_fast_and_careful_readers_store_the_same_rows_and_rejects(tmp_path, write, monkeypatch):
    path = write("2024-01-x-street.csv", messy_police_csv())
    urls = [store_url(tmp_path / "fast.sqlite"), store_url(tmp_path / "careful.sqlite")]
    fast, careful = Store(urls[0]), Store(urls[1])
    try:
        a = import_path(fast, "incidents", path)
        with monkeypatch.context() as m:
            m.setattr(geo.ingest._csv_fast, "read_clean_utf8", lambda *_a, **_k: None)
            b = import_path(careful, "incidents", path)
            again = import_path(careful, "incidents", path)
        assert (a.rows, a.stored, a.rejected, a.reasons) == (b.rows, b.stored, b.rejected, b.reasons)
        assert a.rejected and a.stored
        (data_a, rej_a), (data_b, rej_b) = _stored(fast), _stored(careful)
        pd.testing.assert_frame_equal(data_a, data_b)
        pd.testing.assert_frame_equal(rej_a, rej_b)
        # and re-importing through the other path finds every row already there
        assert (again.stored, again.already_present) == (0, a.stored)
        assert import_path(fast, "incidents", path).already_present == b.stored
        assert len(fast.rejects()) == a.rejected
    finally:
        fast.dispose()
        careful.dispose()
        for url in urls:
            drop_store(url)


def test_segments_written_before_the_bulk_path_still_read(store, write):
    """Older segments carry pandas' schema (large strings); newer ones none and dictionary pages."""
    import_path(store, "incidents", write("a.csv", police_csv(police_row(), police_row(crime_id="x", month="2024-02"))))
    old = store.read("incidents")
    t = store.tables[SEGMENT_TABLE]
    with store.engine.begin() as conn:
        blob = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pandas(old, preserve_index=False), blob, compression="zstd")
        conn.execute(t.update().values(data=blob.getvalue().to_pybytes()))
    import_path(store, "incidents", write("b.csv", police_csv(police_row(month="2024-03"))))
    both = store.read("incidents")
    assert both["month"].tolist() == ["2024-01", "2024-02", "2024-03"]
    assert str(both["ref"].dtype) == "str" and both["lat"].dtype == np.float64
    assert store.months() == ("2024-01", "2024-03")


def test_points_in_an_area_match_a_geopandas_spatial_join(demo_town):
    """PostgreSQL answers in the database (PostGIS), SQLite with shapely: both equal geopandas' sjoin."""
    import geopandas as gpd
    import pandas as pd

    from geo.core.schema import WGS84

    store = Store(demo_town)
    outlines = pd.concat([store.read_boundaries("wards"), store.read_boundaries("estates")], ignore_index=True)
    outlines = gpd.GeoDataFrame(outlines, geometry="geometry", crs=WGS84)
    for kind in ("victims", "flagged", "closures"):
        rows = store.read(kind, columns=["ref", "lat", "lng"])
        points = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(rows["lng"], rows["lat"]), crs=WGS84)
        joined = gpd.sjoin(points, outlines[["code", "geometry"]], predicate="intersects")
        for code in [None, *outlines["code"]]:
            want = joined if code is None else joined[joined["code"] == code]
            got = store.read_in_area(kind, code=code, columns=["ref"])
            assert sorted(got["ref"]) == sorted(set(want["ref"])), (kind, code)
            assert list(got.columns) == ["ref"]  # no location left the store
    with pytest.raises(OptionError, match="no point rows") as caught:
        store.read_in_area("incidents", code=None, columns=["ref"])
    assert caught.value.option == "kind" and not isinstance(caught.value, InputError)
    store.dispose()


def test_a_month_range_skips_whole_segments_outside_it(store, write):
    for month in ("2024-01", "2024-02", "2024-03"):  # one import, so one segment, per month
        rows = police_csv(police_row(month=month), police_row(month=month))
        import_path(store, "incidents", write(f"{month}.csv", rows))

    def months_read(first: str | None, last: str | None) -> list[str]:
        return sorted(store.read("incidents", columns=["month"], months=(first, last))["month"])

    assert months_read("2024-02", None) == ["2024-02", "2024-02", "2024-03", "2024-03"]
    assert months_read("2024-02", "2024-02") == ["2024-02", "2024-02"]
    assert months_read("2025-01", None) == []
    assert len(months_read(None, None)) == 6


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ana:s3cret-pw@db.example:notaport/nestwatch",  # does not parse
        "postgresql+nosuchdriver://ana:s3cret-pw@db.example/nestwatch",  # parses, no such driver
        "postgresql+psycopg://ana:s3cret-pw@127.0.0.1:1/nestwatch",  # parses, nothing listening
    ],
)
def test_a_store_that_cannot_be_opened_never_shows_its_password(url):
    with pytest.raises(StoreError) as caught:
        Store(url)
    assert "s3cret-pw" not in str(caught.value) and str(caught.value).startswith("cannot open store")


# --------------------------------------------------------------------------- content keys beside the rows

#: Three files per kind: the first and third stay, the second is deleted (its rows sit between theirs).
KEYED_FILES = {
    "incidents": [
        police_csv(police_row(), police_row(), police_row(crime_id="c1", category="Drugs")),  # a repeated row
        police_csv(police_row(month="2024-02", location="On or near B Street"), police_row(crime_id="c2")),
        police_csv(police_row(month="2024-03", lat="51.451000")),
    ],
    "flagged": [
        FLAGGED + "001,1 A St,51.45,-2.59,2024-01-02,noise,open\r\n002,2 A St,51.46,-2.59,2024-01-03,,open\r\n",
        FLAGGED + "003,3 A St,51.45,-2.58,2024-01-04,litter,closed\r\n",
        FLAGGED + "004,4 A St,51.44,-2.59,2024-02-01,noise,open\r\n",
    ],
    "closures": [
        CLOSURES + "CO-1,1 B St,51.45,-2.59,05/05/2024,05/08/2024,full,expired\r\n"
        "CO-2,2 B St,51.46,-2.59,06/05/2024,06/08/2024,partial,expired\r\n",
        CLOSURES + "CO-3,3 B St,51.45,-2.58,01/06/2024,01/09/2024,full,active\r\n",
        CLOSURES + "CO-4,4 B St,51.44,-2.59,02/06/2024,02/09/2024,full,active\r\n",
    ],
    "victims": [
        "Person Ref,Date Safeguarded,Latitude,Longitude\r\nV-1,2024-06-25,51.45,-2.59\r\nV-2,2024-06-26,,\r\n",
        "Person Ref,Date Safeguarded,Latitude,Longitude\r\nV-3,2024-07-01,51.46,-2.58\r\n",
        "Person Ref,Date Safeguarded,Latitude,Longitude\r\nV-4,2024-07-02,51.44,-2.59\r\n",
    ],
    "victim_counts": [
        "Area Code,Month,Count\r\nE05001,2024-01,3\r\nE05001,2024-02,1\r\n",
        "Area Code,Month,Count\r\nE05002,2024-01,4\r\n",
        "Area Code,Month,Count\r\nE05002,2024-02,2\r\n",
    ],
}


def _raw_keys(store: Store, kind: str) -> list[tuple[int, int]]:
    """The content keys as stored, in stored order: the table's columns, or each segment's key blob decoded."""
    with store.engine.connect() as conn:
        if kind == "incidents":
            blobs = conn.execute(sa.text("SELECT keys FROM incident_segments ORDER BY id")).scalars().all()
            return [(int(k["k1"]), int(k["k2"])) for b in blobs for k in blob_to_keys(b)]
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT k1, k2 FROM {kind} ORDER BY id"))]


@pytest.mark.parametrize("kind", list(KEYED_FILES))
def test_read_with_keys_gives_each_row_its_own_content_key_after_a_second_import_and_a_deletion(store, write, kind):
    from geo.core.keys import hash_rows
    from geo.core.schema import KINDS
    from geo.store.importer import delete_import

    empty = store.read(kind, keys=True)
    assert empty.empty and (empty["k1"].dtype, empty["k2"].dtype) == (np.int64, np.int64)
    for i, text in enumerate(KEYED_FILES[kind]):  # (a counts file is imported as victims: its header says which)
        result = import_path(store, "victims" if kind == "victim_counts" else kind, write(f"{kind}{i}.csv", text))
        assert result.stored == text.count("\r\n") - 1, result.reasons
    delete_import(store, 2, user="ana", role="analyst", reason="shared in error")
    read = store.read(kind, keys=True)
    plain = store.read(kind)
    assert len(read) == len(plain) == (3 + 1 if kind == "incidents" else 2 + 1)  # the first file's rows and the third's
    pd.testing.assert_frame_equal(read.drop(columns=["k1", "k2"]), plain)  # the same rows, in the same order
    assert (read["k1"].dtype, read["k2"].dtype) == (np.int64, np.int64)
    got = list(zip(read["k1"].tolist(), read["k2"].tolist(), strict=True))
    assert got == _raw_keys(store, kind)  # the keys the store holds, in its order
    assert len(set(got)) == len(got)  # the repeated incident keeps a key of its own
    # each row's key is the key of the content beside it, worked out again as geo.core.keys does for an import
    k = KINDS[kind]
    keyed = [c for c in k.column_names if c != "geometry" and c not in k.mutable_columns]
    want = hash_rows(plain, columns=keyed, repeats_distinct=k.repeats_are_distinct)
    assert got == list(zip(want[0].tolist(), want[1].tolist(), strict=True))
    # and a subset of columns (none at all, even) keeps the rows and their keys
    only = store.read(kind, columns=[], keys=True)
    assert list(only.columns) == ["k1", "k2"] and list(zip(only["k1"], only["k2"], strict=True)) == got


def test_keys_stay_with_their_rows_when_a_month_range_skips_segments(store, write):
    for month in ("2024-01", "2024-02", "2024-03"):  # one segment per month
        import_path(store, "incidents", write(f"{month}.csv", police_csv(police_row(month=month, crime_id=month))))
    every = store.read("incidents", columns=["ref"], keys=True).set_index("ref")
    later = store.read("incidents", columns=["ref"], months=("2024-02", None), keys=True)
    assert later["ref"].tolist() == ["2024-02", "2024-03"]
    pd.testing.assert_frame_equal(later.set_index("ref"), every.loc[["2024-02", "2024-03"]])
