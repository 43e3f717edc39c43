"""Incidents per ward and estate from the store, against a geopandas spatial join made here."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.core.errors import OptionError, StoreError
from geo.core.schema import ASB, WGS84
from geo.plan.areas import area_table, previous_months
from geo.store import Store


@pytest.fixture(scope="module")
def demo(demo_town):
    store = Store(demo_town)
    yield store
    store.dispose()


def _by_join(store: Store, layer: str, months: list[str], categories: list[str] | None) -> pd.Series:
    """Count per code: sjoin(intersects), a point held by two outlines given to the lower code."""
    inc = store.read("incidents")
    inc = inc[inc["month"].isin(months) & (inc["category"].isin(categories) if categories else True)]
    pts = gpd.GeoDataFrame({"row": np.arange(len(inc))}, geometry=gpd.points_from_xy(inc["lng"], inc["lat"]), crs=WGS84)
    bounds = store.read_boundaries(layer)
    joined = gpd.sjoin(pts, bounds[["code", "geometry"]], predicate="intersects")
    one = joined.sort_values(["row", "code"]).drop_duplicates("row")
    return one["code"].value_counts().reindex(bounds["code"], fill_value=0)


@pytest.mark.parametrize("layer", ["wards", "estates"])
def test_demo_counts_agree_with_a_spatial_join(demo, layer):
    got = area_table(demo, layer=layer, start="2026-05", end="2026-10", categories=(ASB,))
    assert got.months == ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
    assert got.previous_months == ("2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04")
    assert got.compared
    now = _by_join(demo, layer, list(got.months), [ASB])
    before = _by_join(demo, layer, list(got.previous_months), [ASB])
    table = got.table.set_index("code")
    assert table["count"].to_dict() == now.to_dict()
    assert table["previous"].to_dict() == before.to_dict()
    np.testing.assert_allclose(table["change"], now / before - 1)
    assert got.monthly.sum(axis=1).to_dict() == now.to_dict()  # the months add up to the period


def test_every_category_and_no_comparison_before_the_data(demo):
    first = demo.months()[0]  # the demo starts in 2023-11: the two months before it are not stored
    end = str(pd.Period(first, freq="M") + 1)
    got = area_table(demo, layer="wards", start=first, end=end)
    assert not got.compared and got.table["previous"].isna().all() and got.table["change"].isna().all()
    assert got.table.set_index("code")["count"].to_dict() == _by_join(demo, "wards", [first, end], None).to_dict()


def test_previous_months_is_the_same_length_just_before():
    assert previous_months("2024-01", "2024-03") == ["2023-10", "2023-11", "2023-12"]
    assert previous_months("2024-02", "2024-02") == ["2024-01"]


def test_bad_requests(demo, store):
    with pytest.raises(OptionError):
        area_table(demo, layer="lsoas", start="2026-01", end="2026-02")
    with pytest.raises(OptionError):
        area_table(demo, layer="wards", start="2026-03", end="2026-02")
    with pytest.raises(StoreError, match="no wards are loaded"):
        area_table(store, layer="wards", start="2026-01", end="2026-02")
