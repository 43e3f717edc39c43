"""Outcomes page glue: the published figures for a period and area, the ward/estate map, the report files.

Only the *published* outcomes (:func:`geo.publish.published.publish`: sums of the
protected release, small counts suppressed, others rounded) ever reach this module's callers, whatever the
role: the page is made to be put on a projector, and the same numbers go into
the handed-out report, so the room and the paper agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import maps, results
from dashboard.context import get_store
from geo.publish.published import PublishedFigure, PublishedOutcomes, published_outcomes
from geo.publish.report import effect_lines

#: ``st.metric`` colours for a figure's tone. Which way is good news is not decided here: it is
#: :data:`geo.publish.published.MEANINGS` (one table for the page, the slides and the report pack).
METRIC_COLOURS = {"good": "green", "bad": "red", "neutral": "gray", "none": "off"}
#: The short reading beside a change, by tone.
READINGS = {"good": "good news", "bad": "bad news", "neutral": "neither good nor bad", "none": ""}


@st.cache_data(show_spinner="Counting outcomes…", max_entries=16)
def _published(url: str, version: str, start: str, end: str, area: str | None) -> PublishedOutcomes:
    return published_outcomes(get_store(), start=start, end=end, area=area, release=results.release())


def published(start: str, end: str, area: str | None) -> PublishedOutcomes:
    """The published outcomes for the period and area (cached per import)."""
    return _published(*results.version(), start, end, area)


@dataclass(frozen=True)
class EffectNote:
    """One line under the closure evaluation's headline; ``peak`` marks the regression-to-the-mean warning."""

    text: str
    peak: bool


def effect_notes(pack: PublishedOutcomes) -> list[EffectNote]:
    """The report's evaluation lines after its headline sentence (displacement, peak, orders left out, notes)."""
    peak = pack.effect.texts.get("peak", "")
    warn = bool(pack.effect.shown.peak)
    return [EffectNote(line, warn and line == peak) for line in effect_lines(pack)[1:]]


@dataclass(frozen=True)
class Delta:
    """How ``st.metric`` shows a figure's change: its text, colour (from the figure's tone) and arrow."""

    text: str | None
    colour: str
    arrow: str


def delta_of(figure: PublishedFigure) -> Delta:
    """The change as "-12% · good news", coloured by what it means, the arrow by which way it went.

    No delta when there is nothing to compare ("no comparison", "no change", "not shown" with no
    direction); a change over a zero or hidden base ("up from 0") keeps its words.
    """
    text = figure.change_text
    if figure.tone == "none" or not text or text in ("no change", "no comparison"):
        return Delta(None, "off", "off")
    now, before = figure.now, figure.previous  # NaN: suppressed, under the threshold; shown: at or above it
    rose = bool(before == 0) if np.isnan(now) else (bool(now > 0) if np.isnan(before) else bool(now > before))
    if text == "not shown":
        text = "up" if rose else "down"
    reading = READINGS[figure.tone]
    return Delta(f"{text} · {reading}" if reading else text, METRIC_COLOURS[figure.tone], "up" if rose else "down")


def areas_frame(pack: PublishedOutcomes, layer: str) -> pd.DataFrame:
    """The per-area table for one layer, as shown beside the map."""
    table = pack.areas[pack.areas["layer"] == layer]
    columns = {"name": "area", "asb_text": "ASB reports", "asb_previous_text": "previous period"}
    columns["change_text"] = "change"
    return table[list(columns)].rename(columns=columns).reset_index(drop=True)


def change_colour(change: float) -> str:
    """The map's fill for a fractional change in ASB (its legend is :data:`MAP_LEGEND`)."""
    if not np.isfinite(change):
        return "#bdbdbd"
    if change <= -0.25:
        return "#1b5e20"
    if change < 0:
        return "#81c784"
    if change == 0:
        return "#fff9c4"
    return "#ef9a9a" if change < 0.25 else "#b71c1c"


def map_bounds(pack: PublishedOutcomes, outlines: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """Where the map opens: the chosen area's outline; for the whole town, the areas with ASB in the period.

    Not every stored outline: a store that holds two towns' boundaries would show both as specks.
    """
    if pack.area:
        chosen = pack.boundaries[pack.boundaries["code"].astype(str) == str(pack.area)]
        if len(chosen):
            return tuple(chosen.total_bounds)
    busy = outlines[outlines["asb_text"].fillna("0").astype(str) != "0"]
    shown = busy if len(busy) else outlines
    return tuple(shown.total_bounds) if len(shown) else None


@st.cache_data(show_spinner=False, max_entries=64)
def _area_months(url: str, version: str, area: str) -> list[str]:
    cells = results.release().cells
    rows = cells[(cells["measure"] == "incidents") & (cells["value"] > 0)]
    if area:
        rows = rows[rows["area"].astype(str) == area]
    return sorted(rows["month"].astype(str).unique())


def area_months(area: str) -> list[str]:
    """The months with ASB or other incidents in the release for ``area`` ("" for the whole town), in order.

    The page opens on the latest 12 of them (:func:`dashboard.context.default_months`): a ward whose data
    stop earlier than the store's (another force's months beside it) opens on its own last year.
    """
    return _area_months(*results.version(), area)


def outcomes_map(pack: PublishedOutcomes, layer: str) -> folium.Map:
    """Wards or estates shaded by the change in ASB on the previous period; published values only.

    No point of any kind is drawn: the tooltips hold the area's name and its
    published count and change, escaped.
    """
    outlines = pack.boundaries[pack.boundaries["layer"] == layer].merge(
        pack.areas[pack.areas["layer"] == layer][["code", "asb_text", "change", "change_text"]], on="code", how="left"
    )
    m = maps.base_map(bounds=map_bounds(pack, outlines))
    maps.add_shaded_areas(
        m,
        list(outlines.geometry),
        [change_colour(float(c) if pd.notna(c) else np.nan) for c in outlines["change"]],
        {
            "name": ("Area", list(outlines["name"])),
            "asb": ("ASB reports", [a if isinstance(a, str) else "0" for a in outlines["asb_text"]]),
            "change": ("Change", [c if isinstance(c, str) else "" for c in outlines["change_text"]]),
        },
        opacity=0.65,
    )
    maps.add_legend(m, list(MAP_LEGEND), title="ASB against the previous period")
    return m


#: What each fill of the outcomes map means (the folium map and the slides' map share it).
MAP_LEGEND = (
    ("ASB fell 25% or more", "#1b5e20"),
    ("ASB fell", "#81c784"),
    ("no change", "#fff9c4"),
    ("ASB rose", "#ef9a9a"),
    ("ASB rose 25% or more", "#b71c1c"),
    ("not shown (small numbers) or no comparison", "#bdbdbd"),
)
