"""Cached results: what the patrol map draws on every rerun is built once per data version, and follows imports.

Outside a script run Streamlit's caches work in memory ("bare mode"), keyed
as in the app by the store's URL and data version.
"""

from __future__ import annotations

import json

import pytest
import streamlit as st

from dashboard import maps, results
from geo.store.importer import import_path


def square(code: str, name: str, west: float) -> dict:
    ring = [[west, 51.44], [west + 0.01, 51.44], [west + 0.01, 51.46], [west, 51.46], [west, 51.44]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@pytest.fixture
def wards(store, write, monkeypatch):
    """Two square wards side by side (west -2.60 and -2.59, 0.01° wide, 51.44 to 51.46), the app's store."""
    monkeypatch.setenv("NESTWATCH_DB", store.url)
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    collection = {
        "type": "FeatureCollection",
        "features": [square("W1", "Easton", -2.60), square("W2", "Redfield", -2.59)],
    }
    assert import_path(store, "wards", write("w.geojson", json.dumps(collection))).stored == 2
    yield store
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """The names of the boundary layers built (each call of maps.boundary_layer)."""
    made: list[str] = []
    original = maps.boundary_layer

    def counted(gdf, **kw):
        made.append(kw["name"])
        return original(gdf, **kw)

    monkeypatch.setattr(maps, "boundary_layer", counted)
    return made


def names(layer: maps.LayerPayload) -> list[str]:
    payload = json.loads(layer.payload)
    return payload["values"][0]


def test_outlines_are_built_once_per_data_version(wards, builds, write):
    first = results.outlines("wards", name="Wards")
    again = results.outlines("wards", name="Wards")
    assert builds == ["Wards"] and again == first
    assert first is not None and first.kind == "boundaries" and sorted(names(first)) == ["Easton", "Redfield"]
    other = results.outlines("wards", name="Wards", colour="#6a1b9a")  # another layer, another entry
    assert builds == ["Wards", "Wards"] and other is not None and '"colour":"#6a1b9a"' in other.payload
    # an import changes the data version: the next run draws what is stored now
    estates = {"type": "FeatureCollection", "features": [square("E1", "Bishop Estate", -2.60)]}
    assert import_path(wards, "estates", write("e.geojson", json.dumps(estates))).stored == 1
    results.outlines("wards", name="Wards")
    assert builds == ["Wards", "Wards", "Wards"]
    estate = results.outlines("estates", name="Estates")
    assert estate is not None and names(estate) == ["Bishop Estate"]


def test_no_estates_no_layer(wards, builds):
    assert results.outlines("estates", name="Estates") is None
    assert results.boundary_bounds("estates") is None
    assert builds == []


def test_names_and_bounds_of_a_layer(wards):
    assert results.boundary_names("wards").to_dict() == {"W1": "Easton", "W2": "Redfield"}
    # the two squares together: west -2.60, east -2.59 + 0.01 = -2.58, south 51.44, north 51.46
    assert results.boundary_bounds("wards") == pytest.approx((-2.60, 51.44, -2.58, 51.46))


@pytest.fixture
def incidents(wards, write):
    """Four ASB incidents in Easton at one point, one in Redfield, one Drugs crime further east in Redfield."""
    from tests.conftest import police_csv, police_row

    rows = [
        police_row(location="On or near Park Street", lng="-2.595000", lat="51.450000"),
        police_row(location="On or near Park Street", lng="-2.595000", lat="51.450000"),
        police_row(location="On or near Elm Road", lng="-2.595000", lat="51.450000"),
        police_row(location="On or near Elm Road", lng="-2.595000", lat="51.450000", month="2024-02"),
        police_row(location="On or near Mill Lane", lng="-2.585000", lat="51.455000"),
        police_row(location="On or near Kiln Road", lng="-2.582000", lat="51.458000", category="Drugs"),
    ]
    import_path(wards, "incidents", write("a.csv", police_csv(*rows)))
    return wards


def _view(**kw):
    from dashboard.view import View

    return View(**{"month_from": "2024-01", "month_to": "2024-02", "categories": ("Anti-social behaviour",), **kw})


def test_the_plan_names_its_places_and_a_clicked_cell_lists_them_from_one_table(incidents, monkeypatch):
    import h3

    from geo.plan import analysis
    from tests.conftest import count_calls

    calls = count_calls(monkeypatch, analysis, "load_places", "places_in_cell")
    view = _view()
    ranked, scored, _ = results.priority(view, top=5)
    for table in (ranked, scored):
        assert list(table.columns[list(table.columns).index("cell") : list(table.columns).index("cell") + 2]) == [
            "cell",
            "place",
        ]
        assert (table["place"] != "").all()
    easton = h3.str_to_int(h3.latlng_to_cell(51.45, -2.595, 9))
    redfield = h3.str_to_int(h3.latlng_to_cell(51.455, -2.585, 9))
    named = scored.set_index("cell")["place"]
    # Easton's cell: Park Street 2, Elm Road 2 (Jan and Feb): a tie, alphabetical -> Elm Road
    assert named[h3.int_to_str(easton)] == "On or near Elm Road"
    assert named[h3.int_to_str(redfield)] == "On or near Mill Lane"
    assert results.places(view, easton).to_dict("records") == [
        {"location": "On or near Elm Road", "incidents": 2},
        {"location": "On or near Park Street", "incidents": 2},
    ]
    assert results.places(view, redfield)["location"].tolist() == ["On or near Mill Lane"]
    assert results.places(_view(k=2, layer="estates"), easton)["incidents"].sum() == 4  # rings: same table
    assert calls == {"load_places": 1, "places_in_cell": 0}  # one read for the plan and every click
    # a new month range is another view: Park Street 2 against Elm Road 1 in January
    january = _view(month_to="2024-01")
    assert results.places(january, easton)["location"].tolist() == ["On or near Park Street", "On or near Elm Road"]
    assert calls["load_places"] == 2


def test_search_index_and_data_bounds_follow_the_view(incidents):
    import h3

    index = results.search_index(_view())
    assert list(index.columns) == ["label", "kind", "min_lng", "min_lat", "max_lng", "max_lat"]
    assert index["label"].tolist() == [
        "Easton (ward)",
        "Redfield (ward)",
        "Elm Road (street)",
        "Mill Lane (street)",
        "Park Street (street)",
    ]  # no Kiln Road: its one incident is a Drugs crime, outside the view's categories
    park = index.set_index("label").loc["Park Street (street)"]
    assert park[["min_lng", "min_lat", "max_lng", "max_lat"]].tolist() == [-2.595, 51.45, -2.595, 51.45]
    assert "Kiln Road (street)" in results.search_index(_view(categories=None))["label"].tolist()
    # the hexagons holding the view's incidents: Easton's and Redfield's cells, corner to corner
    corners = [p for c in ((51.45, -2.595), (51.455, -2.585)) for p in h3.cell_to_boundary(h3.latlng_to_cell(*c, 9))]
    expected = (
        min(p[1] for p in corners),
        min(p[0] for p in corners),
        max(p[1] for p in corners),
        max(p[0] for p in corners),
    )
    assert results.data_bounds(_view()) == pytest.approx(expected, abs=1e-12)
    assert results.data_bounds(_view(month_from="2025-01", month_to="2025-02")) is None  # nothing in those months
