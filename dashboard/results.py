"""Cached analysis results for the pages.

Every function is keyed by the store URL, the newest import id (so a new import
shows at once) and the analysis options, all plain values. Results are frames
and arrays, never folium objects (a map is cheap to rebuild and must not be
shared between sessions); the costly part of a map, a layer's escaped payload
(:class:`dashboard.maps.LayerPayload`, plain text), is kept here when it is the
same for every role that sees it (outlines and names of wards and estates).

Gi*, emerging patterns and the weights are cached on their own, so the plan
ranks them again for another number of places or balance without recomputing.

The names of places (:mod:`geo.plan.places`) are one table per data version,
resolution and filters, shared as it is (a resource: nothing may change it):
the plan's ``place`` column, a clicked hexagon's list of places and the search
index are all read from it, so a new click costs a binary search, not a read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard.context import get_store
from dashboard.view import View
from geo.plan import analysis
from geo.plan import places as place_names
from geo.plan.priority import DEFAULT_BALANCE
from geo.publish.release import Release, release_for
from geo.stats.aggregate import Cube, Filters, StudyArea
from geo.stats.emerging import DEFAULT_TREND, TrendRule
from geo.stats.weights import Weights

if TYPE_CHECKING:
    from dashboard.maps import LayerPayload


def version() -> tuple[str, str]:
    """The cache key of the stored data: store URL and data version (changes with every import or deletion)."""
    store = get_store()
    return store.url, store.data_version()


@st.cache_data(show_spinner="Laying the hexagon grid over the boundaries…", max_entries=8)
def _area(url: str, version: str, res: int) -> StudyArea:
    return analysis.load_area(get_store(), res=res)


@st.cache_data(show_spinner="Counting incidents per hexagon…", max_entries=16)
def _cube(url: str, version: str, view: View) -> Cube:
    return analysis.load_cube(get_store(), _area(url, version, view.res), filters=view.filters)


@st.cache_data(show_spinner=False, max_entries=8)
def _boundaries(url: str, version: str, layer: str) -> gpd.GeoDataFrame:
    return get_store().read_boundaries(layer)


def boundaries(layer: str) -> gpd.GeoDataFrame:
    """Wards or estates, read once per import rather than on every rerun (treat as read-only)."""
    return _boundaries(*version(), layer)


@st.cache_data(show_spinner=False, max_entries=8)
def _boundary_names(url: str, version: str, layer: str) -> pd.Series:
    return _boundaries(url, version, layer).set_index("code")["name"]


def boundary_names(layer: str) -> pd.Series:
    """code -> name for wards or estates (a small copy per rerun, not the geometries)."""
    return _boundary_names(*version(), layer)


@st.cache_data(show_spinner=False, max_entries=8)
def _boundary_bounds(url: str, version: str, layer: str) -> tuple[float, float, float, float] | None:
    frame = _boundaries(url, version, layer)
    return None if frame.empty else tuple(float(v) for v in frame.total_bounds)  # type: ignore[return-value]


def boundary_bounds(layer: str) -> tuple[float, float, float, float] | None:
    """(min lng, min lat, max lng, max lat) of wards or estates; None when there are none."""
    return _boundary_bounds(*version(), layer)


@st.cache_data(show_spinner=False, max_entries=8)
def _outlines(url: str, version: str, layer: str, name: str, colour: str) -> LayerPayload | None:
    from dashboard.maps import boundary_layer  # folium is imported by the pages that draw maps, not here

    frame = _boundaries(url, version, layer)
    return None if frame.empty else boundary_layer(frame, name=name, colour=colour)


def outlines(layer: str, *, name: str, colour: str = "#444") -> LayerPayload | None:
    """The map layer of wards' or estates' outlines, built once per import (None when there are none).

    The same for every role (outlines and names only); what varies per session stays out of it.
    """
    return _outlines(*version(), layer, name, colour)


def area(view: View) -> StudyArea:
    """The study area at the view's resolution."""
    return _area(*version(), view.res)


def cube(view: View) -> Cube:
    """The count cube for the view."""
    return _cube(*version(), view)


@st.cache_data(show_spinner=False, max_entries=8)
def _weights(url: str, version: str, res: int, k: int) -> Weights:
    return analysis.load_weights(get_store(), _area(url, version, res), k=k)


def weights(view: View) -> Weights:
    """Gi* weights of the study area at the view's resolution and rings (kept in the store across processes)."""
    return _weights(*version(), view.res, view.k)


@st.cache_data(show_spinner="Finding hot spots…", max_entries=16)
def _hotspots(url: str, version: str, view: View) -> pd.DataFrame:
    cube = _cube(url, version, view)
    return analysis.hotspot_table(cube, k=view.k, weights=_weights(url, version, view.res, view.k))


def hotspots(view: View) -> pd.DataFrame:
    """Gi* per cell for the view (:func:`geo.plan.analysis.hotspot_table`), once per view and data version."""
    return _hotspots(*version(), view)


@st.cache_data(show_spinner="Finding emerging hot spots…", max_entries=16)
def _emerging(url: str, version: str, view: View, trend: TrendRule) -> pd.DataFrame:
    cube = _cube(url, version, view)
    return analysis.emerging_table(cube, k=view.k, trend=trend, weights=_weights(url, version, view.res, view.k))


def emerging(view: View, *, trend: TrendRule = DEFAULT_TREND) -> pd.DataFrame:
    """Emerging hot spot categories for the view (:func:`geo.plan.analysis.emerging_table`: refuses short ranges)."""
    return _emerging(*version(), view, trend)


@st.cache_resource(show_spinner="Naming the places…", max_entries=8)
def _place_table(url: str, version: str, res: int, filters: Filters) -> place_names.Places:
    return analysis.load_places(get_store(), _area(url, version, res), filters=filters)


def place_table(view: View) -> place_names.Places:
    """Every cell's name and the location texts per cell for the view's months and categories (read-only).

    One per data version, resolution and filters (not per rings or layer: names do not depend on them).
    """
    return _place_table(*version(), view.res, view.filters)


@st.cache_data(show_spinner="Ranking where to patrol…", max_entries=16)
def _priority(url: str, version: str, view: View, top: int, balance: str) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    # Gi*, emerging patterns and weights come from their own caches: another number of places or another
    # balance ranks the same hot spots again without recomputing them
    cube = _cube(url, version, view)
    long_enough = analysis.trend_long_enough(cube.months)
    return analysis.priority_table(
        cube,
        analysis.load_cases(get_store()),
        k=view.k,
        top=top,
        balance=balance,
        hot=_hotspots(url, version, view),
        emerging=_emerging(url, version, view, DEFAULT_TREND) if long_enough else None,
        weights=_weights(url, version, view.res, view.k),
        places=_place_table(url, version, view.res, view.filters).names,
    )


def priority(view: View, *, top: int, balance: str = DEFAULT_BALANCE) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Ranked cells, every cell's score, and the tour length in metres (``balance``: see geo.plan.priority.BALANCES).

    Both tables carry ``place`` after ``cell``: a name people use (:mod:`geo.plan.places`), never empty.
    """
    return _priority(*version(), view, top, balance)


@st.cache_data(show_spinner=False, max_entries=16)
def _search_index(url: str, version: str, res: int, filters: Filters) -> pd.DataFrame:
    return place_names.search_entries(
        _place_table(url, version, res, filters),
        wards=_boundaries(url, version, "wards"),
        estates=_boundaries(url, version, "estates"),
    )


def search_index(view: View) -> pd.DataFrame:
    """What the search box offers: wards, estates and the view's streets, with where the map goes.

    Columns ``label`` ("Hillfields (ward)", "Beacon Court (street)"), ``kind`` ("ward", "estate",
    "street"), ``min_lng, min_lat, max_lng, max_lat`` (:func:`geo.plan.places.search_entries`:
    a street's bounds are its incidents' points, so one snap point gives a box of no size).
    A typed H3 id is read by :func:`geo.plan.places.cell_from_text` instead.
    """
    return _search_index(*version(), view.res, view.filters)


@st.cache_data(show_spinner=False, max_entries=16)
def _data_bounds(url: str, version: str, view: View) -> tuple[float, float, float, float] | None:
    cube = _cube(url, version, view)
    return place_names.cells_to_bounds(cube.area.cells[cube.by_cell() > 0])


def data_bounds(view: View) -> tuple[float, float, float, float] | None:
    """(min lng, min lat, max lng, max lat) of the hexagons holding incidents of the view; None when none.

    The view's months and categories over the study area (its count cube), so a map fits the data
    chosen, not every boundary stored.
    """
    return _data_bounds(*version(), view)


@st.cache_data(show_spinner=False, max_entries=4)
def _cases(url: str, version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    store = get_store()  # only the two kinds the layers draw: no reason to load victims' homes here
    return store.read("flagged"), store.read("closures")


def flagged_and_closures() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flagged addresses and closure orders (for inspectors' layers only)."""
    return _cases(*version())


def places(view: View, cell: int) -> pd.DataFrame:
    """Location texts of the incidents in one hexagon, with counts (for the hexagon details).

    Columns ``location, incidents``, most first (ties alphabetical), read from :func:`place_table`:
    a new cell costs a binary search in the view's table, not a read of the incidents.
    """
    return place_table(view).in_cell(int(cell))


@st.cache_resource(show_spinner="Protecting the published figures…", max_entries=4)
def _release(url: str, version: str) -> Release:
    return release_for(get_store())


def release() -> Release:
    """The published release of the stored data (one per import; every published figure is summed from it).

    Shared between sessions as it is (a resource, not a copy): it holds only protected values, and
    nothing may change it.
    """
    return _release(*version())
