"""The County lines page's glue: links placed once per import, the per-line table and map, the audited view.

Only a session with the intel permission reaches it (:func:`dashboard.context.ensure_shell`); every look at the
lines is audited as ``view_intel`` (once per session and target), naming no line and no address: the audit log
is read by administrators who may not see intelligence.
"""

from __future__ import annotations

import datetime as dt

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import maps
from dashboard.alerts import town_today
from dashboard.context import get_store
from geo.plan.lines import line_links, line_quarters, line_summary
from geo.plan.neighbours import day_words

#: Summary column -> heading.
HEADINGS = {
    "line": "Group or line",
    "addresses": "Addresses",
    "live": "Live now",
    "new_30d": "New in 30 days",
    "first_seen": "First seen",
    "last_seen": "Last seen",
    "wards": "Wards",
    "estates": "Estates",
    "moving": "Footprint",
}
RECORD_WORDS = {"flagged": "flagged address", "closure": "closure order", "warrant": "warrant"}


@st.cache_data(show_spinner="Placing the intelligence links…", max_entries=4)
def _links(url: str, version: str, today: dt.date) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    store = get_store()
    links, unplaced = line_links(
        store.read("lines"), flagged=store.read("flagged"), closures=store.read("closures"), as_of=today
    )
    summary = line_summary(
        links, wards=store.read_boundaries("wards"), estates=store.read_boundaries("estates"), as_of=today
    )
    return links, unplaced, summary


@st.cache_data(show_spinner=False, max_entries=4)
def _wards(url: str, version: str) -> gpd.GeoDataFrame:
    return get_store().read_boundaries("wards")


def wards() -> gpd.GeoDataFrame:
    """The ward outlines, for the map."""
    store = get_store()
    return _wards(store.url, store.data_version())


def links() -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """Every placed link, how many could not be placed, and the per-line summary, on :func:`town_today`."""
    store = get_store()
    return _links(store.url, store.data_version(), town_today())


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The per-line table under plain headings, days in words."""
    out = summary[list(HEADINGS)].copy()
    for column in ("first_seen", "last_seen"):
        out[column] = [day_words(d) for d in out[column]]  # one per line
    return out.rename(columns=HEADINGS)


def records_table(links: pd.DataFrame, line: str) -> pd.DataFrame:
    """One line's records: what, where, first seen → last seen, live or not."""
    mine = links[links["line"] == line]
    return pd.DataFrame(
        {
            "Record": mine["record"].map(RECORD_WORDS).to_numpy(),
            "Ref": mine["ref"].to_numpy(),
            "Address": mine["address"].to_numpy(),
            "First seen": [day_words(d) for d in mine["first_seen"]],
            "Last seen": [
                "still live" if live else day_words(d) for d, live in zip(mine["last_seen"], mine["live"], strict=True)
            ],
        }
    )


def line_map(links: pd.DataFrame, line: str, *, wards: gpd.GeoDataFrame | None = None) -> folium.Map:
    """The line's records (live ones filled, ended ones as rings), its centre quarter by quarter, the wards."""
    mine = links[links["line"] == line].copy()
    mine["what"] = mine["record"].map(RECORD_WORDS)
    mine["seen"] = [
        f"{day_words(a)} → {'still live' if live else day_words(b)}"
        for a, b, live in zip(mine["first_seen"], mine["last_seen"], mine["live"], strict=True)
    ]
    bounds = (
        mine["lng"].min() - 0.003,
        mine["lat"].min() - 0.002,
        mine["lng"].max() + 0.003,
        mine["lat"].max() + 0.002,
    )
    m = maps.base_map(bounds=bounds)
    if wards is not None and len(wards):
        maps.add_boundaries(m, wards, name="Wards", labels=True)
    live = mine[mine["live"].to_numpy(bool)]
    ended = mine[~mine["live"].to_numpy(bool)]
    maps.add_points(m, ended, name="No longer live", tooltip=["what", "ref", "seen"], colour="#6b6b6b", ring=True)
    maps.add_points(m, live, name="Live", tooltip=["what", "ref", "seen"], colour="#b3001b")
    quarters = line_quarters(mine)
    if len(quarters) > 1:
        path = quarters.assign(stop=np.arange(1, len(quarters) + 1), place=quarters["quarter"].str.replace("Q", " Q"))
        maps.add_route(m, path, number="stop", tooltip=["place"], name="Centre by quarter", closed=False)
    legend = [("Live (flag open, order in force)", "#b3001b"), ("No longer live", "#6b6b6b", "ring")]
    if len(quarters) > 1:
        legend.append(("Centre of its live records, quarter by quarter (numbered)", maps.ROUTE_COLOUR))
    maps.add_legend(m, legend, title=f"{line}: its records")
    maps.add_layer_control(m)
    return m
