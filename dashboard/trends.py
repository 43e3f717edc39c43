"""Glue for the trends page: ward and estate figures safe for a cabinet member.

Every count here is a sum of the protected release's cells
(:func:`geo.publish.areas.released_areas`, from :func:`dashboard.results.release`),
then shown through the presentation rule (:func:`geo.publish.areas.publish_area_table`:
small counts as "fewer than N", others rounded), so a ward's figure here is the
one Outcomes, the report pack and ``python -m geo areas --published`` give, and
no run of months, area or mix of categories can be combined with another to
work out a small count. Hexagons are coloured by pattern without counts. No
address, ref or case record is read here.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import maps, results
from dashboard.view import View
from geo.core.errors import StoreError
from geo.plan import analysis
from geo.publish.areas import ReleasedAreas, publish_area_table, released_areas
from geo.publish.export import frame_to_csv_bytes
from geo.publish.privacy import suppress
from geo.stats.emerging import DEFAULT_TREND, TrendRule

#: The trend rules as the page offers them, in plain words (:data:`geo.stats.emerging.TREND_RULES`).
TREND_CHOICES: dict[str, str] = {
    "complete": "complete months only (leaves out the first month, which has no earlier month to compare with)",
    "esri": "every month (as Esri's ArcGIS Pro does)",
}


def counted(view: View) -> ReleasedAreas:
    """Released (protected, not yet rounded) counts per area for the view, from the cached release.

    Raises
    ------
    StoreError
        When no incidents are stored (the sidebar then has no months to choose).
    """
    if not view.month_from or not view.month_to:
        raise StoreError("no incidents are stored: import police.uk files first (python -m geo import incidents …)")
    return released_areas(
        results.release(), layer=view.layer, start=view.month_from, end=view.month_to, categories=view.categories
    )


def area_table(view: View) -> pd.DataFrame:
    """Per ward (or estate): incidents now and in the previous period, change, per km², all safe to show.

    ``now``/``before`` are the published (suppressed, rounded) counts, NaN where hidden;
    ``shown_now``/``shown_before``/``change_text`` the words the page prints, from
    :func:`geo.publish.areas.publish_area_table`, so no exact count leaves here.
    """
    result = counted(view)
    shown = publish_area_table(result.table, compared=result.compared)
    areas = results.boundaries(view.layer)
    km2 = areas.set_index("code").to_crs("EPSG:27700").area / 1e6
    table = pd.DataFrame(
        {
            "code": shown["code"],
            "name": shown["name"],
            "now": shown["count"],
            "before": shown["previous"],
            "change": shown["change"],
            "shown_now": shown["count_text"],
            "shown_before": shown["previous_text"],
            "change_text": shown["change_text"],
        }
    )
    table["km2"] = table["code"].map(km2)
    table["per_km2"] = table["now"] / table["km2"].to_numpy()
    return table.reset_index(drop=True)


def shown_table(table: pd.DataFrame, *, area_word: str) -> pd.DataFrame:
    """The columns of :func:`area_table` the page lists, as it lists them: labels, not counts, falls first.

    ``area_word`` ("ward" or "estate") heads the name column; the change is in
    the words every published table uses ("-12%", "not shown", "no comparison"),
    sorted by its value, biggest fall first and the unprintable ones last.
    """
    ordered = table.sort_values(["change", "name"], na_position="last", kind="stable")
    shown = ordered[["name", "shown_now", "shown_before", "change_text"]].rename(
        columns={
            "name": area_word,
            "shown_now": "incidents",
            "shown_before": "previous period",
            "change_text": "change",
        }
    )
    return shown.reset_index(drop=True)


def shown_table_csv(shown: pd.DataFrame) -> bytes:
    """:func:`shown_table` as a CSV: the same labels and change words as the screen.

    Only published values go in, so the file says no more than the screen.
    """
    return frame_to_csv_bytes(shown)


def monthly_by_area(view: View) -> pd.DataFrame:
    """Long frame ``area, month, incidents`` (suppressed), plus the town's mean per area as ``Town (average)``.

    From the same released cells as :func:`area_table`, so an area's months add up, before the
    presentation rounding, to its count there.
    """
    result = counted(view)
    names = result.table.set_index("code")["name"]
    per = result.monthly.rename(index=names)
    long = per.stack().rename("raw").reset_index()
    long.columns = ["area", "month", "raw"]
    long["incidents"] = suppress(long["raw"])
    # the town line is the mean of the *shown* values (suppressed ones as 0): exact counts never enter it
    town = long.assign(v=long["incidents"].fillna(0)).groupby("month")["v"].mean()
    town_rows = pd.DataFrame({"area": "Town (average per area)", "month": town.index, "incidents": town.to_numpy()})
    return pd.concat([long.drop(columns="raw"), town_rows], ignore_index=True)


def choropleth(view: View, table: pd.DataFrame, *, value: str = "change") -> folium.Map:
    """Areas shaded by change against the previous period (or by incidents per km²)."""
    areas = results.boundaries(view.layer).merge(table, on=["code", "name"], how="left")
    m = maps.base_map(bounds=tuple(areas.total_bounds) if not areas.empty else None)
    vals = areas[value].to_numpy(dtype=float)
    colours = [_colour(v, value=value, top=np.nanmax(vals) if np.isfinite(vals).any() else 1.0) for v in vals]
    changes = ["not shown" if pd.isna(c) else str(c) for c in areas["change_text"]]
    densities = ["not shown" if not np.isfinite(d) else f"{d:.1f} per km²" for d in areas["per_km2"]]
    maps.add_shaded_areas(
        m,
        list(areas.geometry),
        colours,
        {
            "name": ("Area", list(areas["name"])),
            "now": ("Incidents", list(areas["shown_now"])),
            "change": ("Change", changes),
            "density": ("Density", densities),
        },
    )
    if value == "change":
        legend = [
            ("fell 25 % or more", "#1b5e20"),
            ("fell", "#81c784"),
            ("rose", "#ef9a9a"),
            ("rose 25 % or more", "#b71c1c"),
        ]
    else:
        legend = [("fewer per km²", "#fff3e0"), ("more per km²", "#e65100")]
    legend.append(("not shown (small numbers)", "#bdbdbd"))
    maps.add_legend(m, legend, title="Change on the previous period" if value == "change" else "Incidents per km²")
    return m


def _colour(v: float, *, value: str, top: float) -> str:
    if not np.isfinite(v):
        return "#bdbdbd"
    if value == "change":
        if v <= -0.25:
            return "#1b5e20"
        if v < 0:
            return "#81c784"
        return "#b71c1c" if v >= 0.25 else "#ef9a9a"
    share = 0.0 if top <= 0 else min(1.0, v / top)
    palette = ["#fff3e0", "#ffcc80", "#ffa726", "#f57c00", "#e65100"]
    return palette[min(len(palette) - 1, int(share * len(palette)))]


@st.cache_data(show_spinner="Looking for emerging hot spots…", max_entries=16)
def _emerging(url: str, version: str, view: View, trend: TrendRule) -> pd.DataFrame:
    return analysis.emerging_table(results.cube(view), k=view.k, trend=trend)


def emerging(view: View, *, trend: TrendRule = DEFAULT_TREND) -> pd.DataFrame:
    """Emerging pattern per cell under the trend rule (cached per import, view and rule).

    Raises
    ------
    OptionError
        With fewer than 10 months in the trend (Esri's minimum): nothing is classified.
    """
    return _emerging(*results.version(), view, trend)


def emerging_words(view: View, *, trend: TrendRule = DEFAULT_TREND) -> str:
    """The rule and the months behind the map's patterns, for its caption."""
    months = results.cube(view).months
    rule = "complete months" if trend == "complete" else "every month, as Esri"
    return (
        f"Patterns of {months[0]}..{months[-1]}; the trend rule is “{rule}”: "
        f"{analysis.describe_trend(months, trend=trend)}. "
        "Esri's method needs at least 10 months in the trend."
    )


def emerging_map(view: View, *, trend: TrendRule = DEFAULT_TREND) -> folium.Map:
    """Hexagons coloured by emerging pattern; no counts in the tooltips; the legend names the rule."""
    table = emerging(view, trend=trend)
    shown = table[table["category"] != "no pattern detected"].copy()
    shown["colour"] = shown["category"].map(maps.EMERGING_COLOURS)
    boundaries = results.boundaries(view.layer)
    m = maps.base_map(bounds=tuple(boundaries.total_bounds) if not boundaries.empty else None)
    maps.add_hexes(m, shown, colour="colour", tooltip=("category",), name="Emerging hot spots")
    if not boundaries.empty:
        maps.add_boundaries(m, boundaries, name="Boundaries")
    present = [c for c in maps.EMERGING_COLOURS if c in set(shown["category"])]
    first = str(table["trend_from"].iloc[0]) if len(table) else ""
    rule = "complete months" if trend == "complete" else "every month (Esri)"
    maps.add_legend(
        m, [(c, maps.EMERGING_COLOURS[c]) for c in present], title=f"Emerging pattern · trend from {first}, {rule}"
    )
    maps.add_layer_control(m)
    return m
