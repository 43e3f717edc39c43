"""The Patrols page's map: the week's planned places by how much of their dose was delivered, and the stays.

Built from :mod:`dashboard.maps` (escaped payloads, offline assets); this
module only decides what is drawn and in which words. Nothing personal is
sent: the place's name, its ward, planned and delivered minutes, and for a
stay the unit (a call sign, never a name), its time and minutes. Every value
goes through the layers' escaping (``dashboard.map_layers``), so a unit typed
as ``<img onerror=…>`` reaches the tooltip as text.

Stays are grouped per place and kind (all of a unit's visits to a place are
one dot, its passes one ring): a week of pings is thousands of points, but a
place holds a handful of stays, and the tooltip lists them.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd

from dashboard import maps
from dashboard.checkin import LONDON
from geo.space.hexes import cells_to_latlng, cells_to_strings

#: Planned places coloured by the share of their planned minutes delivered (greens: delivered; grey: none).
SHARE_COLOURS = {
    "none delivered": "#cfd8dc",
    "under half": "#c5e1a5",
    "half or more": "#7cb342",
    "all of it": "#33691e",
}
#: Visits as filled dots, passes as rings, so the two differ without relying on colour alone.
VISIT_COLOUR, PASS_COLOUR = "#1565c0", "#ef6c00"
#: Passes are drawn this many degrees of latitude north of the centre (~35 m), so a place's ring and dot
#: do not hide each other (a resolution-9 hexagon is ~350 m across).
_PASS_OFFSET = 0.0003

LEGEND_TITLE = "Map key"
MAP_NOTES = (
    "Hexagons: this week's planned places, darker green the more of their planned minutes were delivered; "
    "grey where none were.",
    "Blue dots: visits (a stay of 2 minutes or more). Orange rings, just north of a place's centre: passes "
    "(shorter stays, a drive-by). Hover one for the unit, the time and the minutes.",
    "A stay is a unit's pings in one hexagon with no gap over 5 minutes; its minutes are its last ping "
    "minus its first.",
)


def share_words(planned: pd.Series, delivered: pd.Series) -> pd.Series:
    """Each place's delivered share in the map key's words (:data:`SHARE_COLOURS`)."""
    plan = pd.to_numeric(planned, errors="coerce").fillna(0).to_numpy(float)
    done = pd.to_numeric(delivered, errors="coerce").fillna(0).to_numpy(float)
    words = np.where(
        done <= 0,
        "none delivered",
        np.where(done >= plan, "all of it", np.where(done * 2 >= plan, "half or more", "under half")),
    )
    return pd.Series(words, index=planned.index)


def _when(start: pd.Series) -> pd.Series:
    return pd.to_datetime(start, utc=True).dt.tz_convert(LONDON).dt.strftime("%a %H:%M")


def stay_marks(stays: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """One mark per place and kind: ``lat, lng, kind, place, units, stays, minutes, when``.

    ``stays`` are :func:`geo.space.stays.pings_to_stays` rows (``unit, cell, start, end, minutes, pings,
    visit``); ``names`` maps a cell (int) to its place name. ``when`` lists the stays' start times
    (UK time, at most five, then "…"); ``units`` the units that made them.
    """
    columns = ["lat", "lng", "kind", "place", "units", "stays", "minutes", "when"]
    if stays is None or stays.empty:
        return pd.DataFrame(columns=columns)
    frame = stays.assign(
        kind=np.where(stays["visit"].astype(bool), "visit", "pass"),
        _when=_when(stays["start"]),
        cell=stays["cell"].astype("int64"),
    ).sort_values("start", kind="stable")

    def first_five(values: pd.Series) -> str:
        text = list(values.astype(str))
        return ", ".join(text[:5]) + (", …" if len(text) > 5 else "")

    grouped = frame.groupby(["cell", "kind"], sort=True)
    out = grouped.agg(
        units=("unit", lambda u: ", ".join(dict.fromkeys(u.astype(str)))),
        stays=("unit", "size"),
        minutes=("minutes", "sum"),
        when=("_when", first_five),
    ).reset_index()
    lat, lng = cells_to_latlng(out["cell"].to_numpy(dtype=np.uint64))
    out["lat"] = lat + np.where(out["kind"] == "pass", _PASS_OFFSET, 0.0)
    out["lng"] = lng
    out["minutes"] = out["minutes"].astype(float).round(0).astype("int64")
    fallback = "hexagon " + pd.Series(cells_to_strings(out["cell"].to_numpy(dtype=np.uint64)), index=out.index)
    out["place"] = out["cell"].map(names).fillna(fallback).astype(str)
    out["place"] = out["place"].where(out["place"] != "", fallback)
    return out[columns]


def patrols_map(
    table: pd.DataFrame,
    stays: pd.DataFrame,
    *,
    bounds: tuple[float, float, float, float] | None,
    outlines: maps.LayerPayload | None = None,
) -> folium.Map:
    """Planned places by delivered share, visits as dots and passes as rings, over the ward outlines.

    ``table`` is the dosage table (:data:`geo.plan.dosage.DOSAGE_COLUMNS`): its planned places
    (``planned_minutes`` > 0) are the hexagons; ``stays`` the week's stays. ``bounds`` fits the map
    (the planned places and the stays); ``outlines`` is a built boundary layer, if any.
    """
    m = maps.base_map(bounds=bounds)
    planned = table[pd.to_numeric(table["planned_minutes"], errors="coerce").fillna(0) > 0]
    if len(planned):
        hexes = pd.DataFrame(
            {
                "cell": cells_to_strings(planned["cell"].to_numpy(dtype=np.uint64)),
                "place": planned["place"].astype(str).to_numpy(),
                "planned minutes": pd.to_numeric(planned["planned_minutes"]).astype("int64").to_numpy(),
                "delivered minutes": pd.to_numeric(planned["minutes"]).fillna(0).round(0).astype("int64").to_numpy(),
                "visits": pd.to_numeric(planned["visits"]).fillna(0).astype("int64").to_numpy(),
            }
        )
        hexes["delivered"] = share_words(hexes["planned minutes"], hexes["delivered minutes"]).to_numpy()
        hexes["colour"] = hexes["delivered"].map(SHARE_COLOURS)
        maps.add_layer(
            m,
            maps.hex_layer(
                hexes,
                tooltip=("place", "planned minutes", "delivered minutes", "visits"),
                name="Planned places",
            ),
        )
    if outlines is not None:
        maps.add_layer(m, outlines)
    names = pd.Series(table["place"].astype(str).to_numpy(), index=table["cell"].astype("int64").to_numpy())
    marks = stay_marks(stays, names[~names.index.duplicated()])
    tooltip = ("place", "units", "stays", "minutes", "when")
    for kind, name, colour, ring in (
        ("visit", "Visits (2 minutes or more)", VISIT_COLOUR, False),
        ("pass", "Passes (under 2 minutes)", PASS_COLOUR, True),
    ):
        shown = marks[marks["kind"] == kind]
        if len(shown):
            maps.add_points(m, shown, name=name, tooltip=tooltip, colour=colour, ring=ring, cluster_over=500)
    legend: list[tuple[str, ...]] = [(f"planned place: {w}", c) for w, c in SHARE_COLOURS.items()]
    legend += [("visit (2 minutes or more)", VISIT_COLOUR), ("pass (under 2 minutes)", PASS_COLOUR, "ring")]
    maps.add_legend(m, legend, title=LEGEND_TITLE)
    maps.add_layer_control(m)
    return m


def map_bounds(
    table: pd.DataFrame, stays: pd.DataFrame, *, margin: float = 0.003
) -> tuple[float, float, float, float] | None:
    """(min lng, min lat, max lng, max lat) around the planned places and the stays; None when neither."""
    cells = [table.loc[pd.to_numeric(table["planned_minutes"], errors="coerce").fillna(0) > 0, "cell"]]
    if stays is not None and len(stays):
        cells.append(stays["cell"])
    every = pd.concat(cells).astype("int64").unique()
    if not len(every):
        return None
    lat, lng = cells_to_latlng(every.astype(np.uint64))
    return (lng.min() - margin, lat.min() - margin, lng.max() + margin, lat.max() + margin)
