"""Glue for the trends page: ward and estate figures safe for a cabinet member.

Only aggregates leave this module: counts per area and month after
suppression (below 10 hidden, others rounded to 5), changes only over bases
of 10 or more, hexagons coloured by pattern without counts. No address, ref
or case record is read here.
"""

from __future__ import annotations

from dataclasses import replace

import folium
import numpy as np
import pandas as pd

from dashboard import maps, results
from dashboard.view import View
from geo.publish.export import frame_to_csv_bytes
from geo.publish.privacy import safe_change, suppress, suppress_labels
from geo.stats.aggregate import month_range


def previous_view(view: View) -> View | None:
    """The same number of months just before the view's range (None when the data starts there)."""
    if not view.month_from or not view.month_to:
        return None
    months = month_range(view.month_from, view.month_to)
    start = pd.Period(view.month_from, freq="M") - len(months)
    end = pd.Period(view.month_from, freq="M") - 1
    return replace(view, month_from=str(start), month_to=str(end))


def area_table(view: View) -> pd.DataFrame:
    """Per ward (or estate): incidents now and in the previous period, change, per km², all safe to show."""
    cube = results.cube(view)
    codes = cube.area.ward if view.layer == "wards" else cube.area.estate
    now = pd.Series(cube.by_cell(), index=codes).groupby(level=0).sum()
    prev_view = previous_view(view)
    before = pd.Series(0, index=now.index)
    if prev_view is not None:
        prev = results.cube(prev_view)
        prev_codes = prev.area.ward if view.layer == "wards" else prev.area.estate
        before = pd.Series(prev.by_cell(), index=prev_codes).groupby(level=0).sum().reindex(now.index, fill_value=0)
    areas = results.boundaries(view.layer)
    km2 = areas.set_index("code").to_crs("EPSG:27700").area / 1e6
    table = pd.DataFrame({"code": now.index, "now": now.to_numpy(), "before": before.to_numpy()})
    table = table[table["code"] != ""]
    table["name"] = table["code"].map(areas.set_index("code")["name"])
    table["km2"] = table["code"].map(km2)
    # only shown (suppressed, rounded) values are used from here on: see geo.publish.privacy
    now_shown, before_shown = suppress(table["now"]), suppress(table["before"])
    table["change"] = safe_change(now_shown, before_shown)
    table["per_km2"] = now_shown / table["km2"].to_numpy()
    table["shown_now"] = suppress_labels(table["now"])
    table["shown_before"] = suppress_labels(table["before"])
    table["now"], table["before"] = now_shown, before_shown  # numbers for charts and tests, already safe
    return table.reset_index(drop=True)


def shown_table(table: pd.DataFrame, *, area_word: str) -> pd.DataFrame:
    """The columns of :func:`area_table` the page lists, as it lists them: labels, not counts, falls first.

    ``area_word`` ("ward" or "estate") heads the name column.
    """
    shown = table[["name", "shown_now", "shown_before", "change"]].rename(
        columns={"name": area_word, "shown_now": "incidents", "shown_before": "previous period"}
    )
    return shown.sort_values("change", na_position="last").reset_index(drop=True)


def shown_table_csv(shown: pd.DataFrame) -> bytes:
    """:func:`shown_table` as a CSV: the same labels, the change as the map words it ("+12%", "not shown…").

    Only published values go in, so the file says no more than the screen.
    """
    change = ["not shown (small numbers)" if not np.isfinite(c) else f"{c:+.0%}" for c in shown["change"]]
    return frame_to_csv_bytes(shown.assign(change=change))


def monthly_by_area(view: View) -> pd.DataFrame:
    """Long frame ``area, month, incidents`` (suppressed), plus the town's mean per area as ``Town (average)``."""
    cube = results.cube(view)
    codes = cube.area.ward if view.layer == "wards" else cube.area.estate
    per = pd.DataFrame(cube.by_cell_month(), columns=cube.months).groupby(codes).sum()
    per = per[per.index != ""]
    names = results.boundaries(view.layer).set_index("code")["name"]
    long = per.rename(index=names).stack().rename("raw").reset_index()
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
    changes = ["not shown (small numbers)" if not np.isfinite(c) else f"{c:+.0%}" for c in areas["change"]]
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


def emerging_map(view: View) -> folium.Map:
    """Hexagons coloured by emerging pattern; no counts in the tooltips."""
    table = results.emerging(view)
    shown = table[table["category"] != "no pattern detected"].copy()
    shown["colour"] = shown["category"].map(maps.EMERGING_COLOURS)
    boundaries = results.boundaries(view.layer)
    m = maps.base_map(bounds=tuple(boundaries.total_bounds) if not boundaries.empty else None)
    maps.add_hexes(m, shown, colour="colour", tooltip=("category",), name="Emerging hot spots")
    if not boundaries.empty:
        maps.add_boundaries(m, boundaries, name="Boundaries")
    present = [c for c in maps.EMERGING_COLOURS if c in set(shown["category"])]
    maps.add_legend(m, [(c, maps.EMERGING_COLOURS[c]) for c in present], title="Emerging pattern")
    maps.add_layer_control(m)
    return m
