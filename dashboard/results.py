"""Cached analysis results for the pages.

Every function is keyed by the store URL, the newest import id (so a new import
shows at once) and the analysis options, all plain values. Results are frames
and arrays, never folium objects (a map is cheap to rebuild and must not be
shared between sessions).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard.context import get_store
from dashboard.view import View
from geo.plan import analysis
from geo.plan.priority import DEFAULT_BALANCE
from geo.publish.release import Release, release_for
from geo.stats.aggregate import Cube, StudyArea


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


def area(view: View) -> StudyArea:
    """The study area at the view's resolution."""
    return _area(*version(), view.res)


def cube(view: View) -> Cube:
    """The count cube for the view."""
    return _cube(*version(), view)


@st.cache_data(show_spinner="Ranking where to patrol…", max_entries=16)
def _priority(url: str, version: str, view: View, top: int, balance: str) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    store = get_store()
    return analysis.priority_table(
        _cube(url, version, view),
        analysis.load_cases(store),
        k=view.k,
        top=top,
        balance=balance,
    )


def priority(view: View, *, top: int, balance: str = DEFAULT_BALANCE) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Ranked cells, every cell's score, and the tour length in metres (``balance``: see geo.plan.priority.BALANCES)."""
    return _priority(*version(), view, top, balance)


@st.cache_data(show_spinner=False, max_entries=4)
def _cases(url: str, version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    store = get_store()  # only the two kinds the layers draw: no reason to load victims' homes here
    return store.read("flagged"), store.read("closures")


def flagged_and_closures() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flagged addresses and closure orders (for inspectors' layers only)."""
    return _cases(*version())


@st.cache_data(show_spinner=False, max_entries=32)
def _places(url: str, version: str, view: View, cell: int) -> pd.DataFrame:
    return analysis.places_in_cell(get_store(), cell, res=view.res, filters=view.filters)


def places(view: View, cell: int) -> pd.DataFrame:
    """Location texts of the incidents in one hexagon, with counts (for the hexagon details)."""
    return _places(*version(), view, int(cell))


@st.cache_resource(show_spinner="Protecting the published figures…", max_entries=4)
def _release(url: str, version: str) -> Release:
    return release_for(get_store())


def release() -> Release:
    """The published release of the stored data (one per import; every published figure is summed from it).

    Shared between sessions as it is (a resource, not a copy): it holds only protected values, and
    nothing may change it.
    """
    return _release(*version())
