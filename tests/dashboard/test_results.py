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
