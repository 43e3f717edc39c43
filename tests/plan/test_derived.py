"""The study area and its weights, kept in the store: reused across processes, never stale, never trusted blindly."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import sqlalchemy as sa
from shapely.geometry import box

from geo.plan import _derived, analysis
from geo.stats.aggregate import StudyArea, study_area
from geo.stats.weights import cells_to_gi_weights
from geo.store import Store
from geo.store._tables import DERIVED_TABLE
from geo.store.importer import import_path

# two wards side by side and an estate over their shared border, near Bristol (a few hundred res-9 cells)
WARDS = gpd.GeoDataFrame(
    {"code": ["E05000002", "E05000001"], "name": ["East", "West"]},
    geometry=[box(-2.590, 51.450, -2.570, 51.460), box(-2.610, 51.450, -2.590, 51.460)],
    crs=4326,
)
ESTATES = gpd.GeoDataFrame(
    {"code": ["EST1"], "name": ["Estate"]}, geometry=[box(-2.595, 51.452, -2.585, 51.456)], crs=4326
)


@pytest.fixture
def bounded(store, tmp_path):
    WARDS.to_file(tmp_path / "wards.geojson", driver="GeoJSON")
    ESTATES.to_file(tmp_path / "estates.geojson", driver="GeoJSON")
    import_path(store, "wards", tmp_path / "wards.geojson")
    import_path(store, "estates", tmp_path / "estates.geojson")
    return store


def _entries(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(store.tables[DERIVED_TABLE])).scalar_one()


def _same(a: StudyArea, b: StudyArea) -> None:
    assert a.res == b.res
    np.testing.assert_array_equal(a.cells, b.cells)
    assert a.cells.dtype == b.cells.dtype == np.uint64
    assert list(a.ward) == list(b.ward) and list(a.estate) == list(b.estate)


def test_the_kept_study_area_is_the_computed_one_and_a_second_process_reuses_it(bounded, monkeypatch):
    fresh = study_area(bounded.read_boundaries("wards"), bounded.read_boundaries("estates"), res=9)
    first = analysis.load_area(bounded, res=9)
    _same(first, fresh)
    assert {"E05000001", "E05000002"} <= set(first.ward) and "EST1" in set(first.estate) and "" in set(first.estate)
    assert _entries(bounded) == 1
    calls = []
    monkeypatch.setattr(_derived, "study_area", lambda *a, **k: calls.append(1) or fresh)
    other = Store(bounded.url)  # another process's store object: only the database is shared
    try:
        _same(analysis.load_area(other, res=9), fresh)
    finally:
        other.dispose()
    assert calls == []  # read, not computed again


def test_new_boundaries_or_another_resolution_give_a_new_key(bounded, tmp_path):
    digest = _derived.boundaries_digest(bounded.read_boundaries("wards"), bounded.read_boundaries("estates"))
    assert _derived.area_key(digest, res=9) != _derived.area_key(digest, res=8)
    moved = WARDS.assign(geometry=[box(-2.590, 51.450, -2.570, 51.461), WARDS.geometry.iloc[1]])
    assert _derived.boundaries_digest(moved, ESTATES) != _derived.boundaries_digest(WARDS, ESTATES)
    renamed = WARDS.assign(code=["E05000003", "E05000001"])
    assert _derived.boundaries_digest(renamed, ESTATES) != _derived.boundaries_digest(WARDS, ESTATES)
    # the layer matters: the same outlines as estates are not the same study area labels
    assert _derived.boundaries_digest(WARDS, None) != _derived.boundaries_digest(None, WARDS)
    # the order the boundaries come in does not
    assert _derived.boundaries_digest(WARDS.iloc[::-1], ESTATES) == _derived.boundaries_digest(WARDS, ESTATES)

    before = analysis.load_area(bounded, res=9)
    moved.to_file(tmp_path / "moved.geojson", driver="GeoJSON")
    wards_import = int(bounded.imports().query("kind == 'wards'")["id"].iloc[0])
    from geo.store.importer import delete_import

    delete_import(bounded, wards_import, user="t", role="admin", reason="replaced by new outlines")
    import_path(bounded, "wards", tmp_path / "moved.geojson")
    after = analysis.load_area(bounded, res=9)
    _same(after, study_area(bounded.read_boundaries("wards"), bounded.read_boundaries("estates"), res=9))
    assert len(after) > len(before)  # the outline moved north by more than a cell's height
    assert _entries(bounded) == 2


def test_weights_kept_equal_the_built_ones_for_each_k(bounded):
    area = analysis.load_area(bounded, res=9)
    for k in (1, 2):
        kept = analysis.load_weights(bounded, area, k=k)
        again = analysis.load_weights(bounded, area, k=k)
        built = cells_to_gi_weights(area.cells, k=k)
        for w in (kept, again):
            assert (w.matrix != built.matrix).nnz == 0 and w.matrix.shape == built.matrix.shape
            np.testing.assert_array_equal(w.w_sum, built.w_sum)
    assert _entries(bounded) == 3  # the area and two neighbourhoods


@pytest.mark.parametrize("damage", [b"", b"not an archive", b"PK\x03\x04 truncated zip"])
def test_a_damaged_entry_is_computed_again_and_replaced(bounded, damage):
    good = analysis.load_area(bounded, res=9)
    t = bounded.tables[DERIVED_TABLE]
    with bounded.engine.begin() as conn:
        conn.execute(t.update().values(data=damage))
    _same(analysis.load_area(bounded, res=9), good)
    with bounded.engine.connect() as conn:
        data = conn.execute(sa.select(t.c.data)).scalar_one()
    _same(_derived.bytes_to_area(bytes(data)), good)  # the damaged bytes were replaced


def test_an_archive_holding_a_pickle_is_refused_not_run(bounded):
    """Bytes in a database are data: an archive whose arrays need pickle (code on loading) is not read."""
    import io

    good = analysis.load_area(bounded, res=9)
    evil = io.BytesIO()
    labels = {f"{n}_{p}": a for n in ("ward", "estate") for p, a in (("codes", np.array([""])), ("at", np.array([0])))}
    np.savez(evil, res=np.array([9]), cells=np.array([object()], dtype=object), **labels)
    with pytest.raises(ValueError, match="pickle"):
        _derived.bytes_to_area(evil.getvalue())
    with bounded.engine.begin() as conn:
        conn.execute(bounded.tables[DERIVED_TABLE].update().values(data=evil.getvalue()))
    _same(analysis.load_area(bounded, res=9), good)


def test_the_store_keeps_the_most_recently_used_and_a_second_offer_keeps_the_first(store):
    for i in range(6):
        store.keep_derived(f"k{i}", bytes([i]), keep=4)
    assert [store.derived(f"k{i}") for i in range(6)] == [None, None, b"\x02", b"\x03", b"\x04", b"\x05"]
    store.keep_derived("k5", b"other")  # another process computed the same key: the first stays
    assert store.derived("k5") == b"\x05"
    store.keep_derived("k5", b"mended", replace=True)
    assert store.derived("k5") == b"mended"


def test_derived_entries_are_left_out_of_backups(bounded, tmp_path):
    from geo.store.backup import export_all

    analysis.load_area(bounded, res=9)
    summary = export_all(bounded, tmp_path / "backup")
    assert DERIVED_TABLE not in summary.rows
    assert not any(DERIVED_TABLE in p.name for p in (tmp_path / "backup").iterdir())
