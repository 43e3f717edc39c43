"""Glue for the patrol planner: the map, a cell's details, names for codes.

Inspector view: full detail (addresses and indicators of flagged premises,
closure orders). Victims' homes never leave ``geo/``: only "victims nearby"
counts reach this module.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import maps, results
from dashboard.view import View
from geo.plan.analysis import GI_CLASSES
from geo.plan.priority import BALANCES, DEFAULT_BALANCE, Counted, counted
from geo.space.hexes import points_to_cells, strings_to_cells

#: The page's words for the balance control, and why the default ranks as it does (from ``geo.plan._policy``).
BALANCE_LABEL = "Put first: established hot spots ↔ emerging ones"
BALANCE_HELP = (
    "How much a place's trend counts against how much ASB it has. "
    + " ".join(f"**{b.label}**: {b.help}" for b in BALANCES.values())
    + f" The default is **{BALANCES[DEFAULT_BALANCE].label}**: established hot spots (persistent, busy, like a "
    "city centre) hold most of the ASB and are where patrol trials found their effects, so between two hot spots "
    "of the same confidence the busier one comes first; an emerging place comes first when its case data "
    "(flagged addresses, closure orders, victims) add to it. Choose **Emerging hot spots first** when the "
    "established places are patrolled anyway and the list should show what is new."
)


def balance_options() -> list[str]:
    """The balances in the control's order (established → emerging)."""
    return list(BALANCES)


def balance_label(name: str) -> str:
    """The words the control shows for a balance."""
    return BALANCES[name].label


def what_is_counted(view: View) -> Counted:
    """The categories and months behind the plan's incident counts (for headings and sentences)."""
    return counted(results.cube(view))


def plan_table(ranked: pd.DataFrame, what: Counted) -> pd.DataFrame:
    """The ranked list as the page shows it: visit, rank, why, ward, estate, score, and the count under its name.

    "why" comes third: beside the map on a 1366-pixel screen the table shows about 350 pixels, and the
    reasons are what an inspector reads first (the rest scrolls into view).
    """
    table = ranked[["visit_order", "rank", "reasons", "ward_name", "estate_name", "score", "count"]]
    return table.rename(
        columns={
            "visit_order": "visit",
            "ward_name": "ward",
            "estate_name": "estate",
            "reasons": "why",
            "count": what.label,
        }
    )


def picked_rows(state: object, n_rows: int) -> list[int]:
    """The rows picked in the plan's table (its ``st.session_state`` value), those still in a table of ``n_rows``.

    ``state`` is what Streamlit keeps for a table with ``on_select``: ``{"selection": {"rows": [...]}}`` (an
    attribute dictionary); None before anything was picked. A row beyond a shorter plan is dropped.
    """
    selection = getattr(state, "selection", None) or (state.get("selection") if isinstance(state, dict) else None)
    rows = getattr(selection, "rows", None) or (selection.get("rows") if isinstance(selection, dict) else None)
    return [int(r) for r in rows or () if 0 <= int(r) < n_rows]


def boundary_names(layer: str) -> pd.Series:
    """code -> name for wards or estates."""
    return results.boundary_names(layer)


def with_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``ward_name`` / ``estate_name`` beside the codes."""
    out = frame.copy()
    for layer, col in (("wards", "ward"), ("estates", "estate")):
        if col in out:
            out[f"{col}_name"] = out[col].map(boundary_names(layer)).fillna("")
    return out


def cell_at(lat: float, lng: float, *, res: int) -> str:
    """The H3 id under a clicked point."""
    from geo.space.hexes import cells_to_strings

    return str(cells_to_strings(points_to_cells(np.array([lat]), np.array([lng]), res=res))[0])


def hot_spot_layer(scored: pd.DataFrame, ranked: pd.DataFrame) -> maps.LayerPayload:
    """The patrol map's hexagons: every cell that is a hot or cold spot, scores or has incidents.

    Coloured by Gi* class, outlined where a hot spot holds an open flagged address; the tooltip says the
    class, the incidents and the rank (blank when not in the plan). Nothing else about a cell is sent.
    """
    shown = scored.loc[
        (scored["gi_bin"] != 0) | (scored["score"] > 0) | (scored["count"] > 0),
        ["cell", "gi_bin", "flagged_open", "count"],
    ]
    rank_of = pd.Series(ranked["rank"].to_numpy(), index=ranked["cell"].to_numpy())
    rank = shown["cell"].map(rank_of).fillna(0).astype(int)
    layer = pd.DataFrame(
        {
            "cell": shown["cell"],
            "colour": shown["gi_bin"].map(maps.GI_COLOURS),
            "coincidence": (shown["gi_bin"] > 0) & (shown["flagged_open"] > 0),
            "class": shown["gi_bin"].map(GI_CLASSES),
            "incidents": shown["count"].astype(int).astype(str),
            "rank": rank.astype(str).where(rank != 0, ""),
        }
    )
    return maps.hex_layer(
        layer, colour="colour", outline="coincidence", tooltip=("class", "incidents", "rank"), name="Hot spots (Gi*)"
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _hot_spots(url: str, version: str, view: View, top: int, balance: str) -> maps.LayerPayload:
    ranked, scored, _ = results.priority(view, top=top, balance=balance)
    return hot_spot_layer(scored, ranked)


def hot_spots(view: View, *, top: int, balance: str) -> maps.LayerPayload:
    """:func:`hot_spot_layer` of the plan for ``view``, ``top`` and ``balance``, built once per data version.

    The same for every role that may open the planner (classes, counts and ranks only), so it is shared.
    """
    return _hot_spots(*results.version(), view, top, balance)


def patrol_map(
    view: View,
    *,
    top: int,
    balance: str,
    layers: tuple[str, ...],
    focus: str | None = None,
) -> folium.Map:
    """Hexagons by hotspot class, coincidence cells outlined, boundaries, flagged premises and closures.

    The plan's hexagons are those of :func:`hot_spots` (``top``, ``balance``); only the ``layers`` the
    role may see are built: a layer left out never reaches the browser.
    """
    bounds = results.boundary_bounds(view.layer)
    if focus:
        from geo.space.hexes import cells_to_polygons

        bounds = tuple(cells_to_polygons(strings_to_cells([focus]))[0].buffer(0.004).bounds)
    m = maps.base_map(bounds=bounds)
    maps.add_layer(m, hot_spots(view, top=top, balance=balance))
    other = "estates" if view.layer == "wards" else "wards"
    for layer, name, colour in (
        (view.layer, "Wards" if view.layer == "wards" else "Estates", "#444"),
        (other, other.title(), "#6a1b9a" if other == "estates" else "#444"),  # the other layer too, in another colour
    ):
        outlines = results.outlines(layer, name=name, colour=colour)
        if outlines is not None:
            maps.add_layer(m, outlines)
    flagged, closures = results.flagged_and_closures()
    if not flagged.empty and "flagged" in layers:
        open_ = flagged[flagged["status"] == "open"][["lat", "lng", "address", "indicators"]].copy()
        open_["indicators"] = open_["indicators"].str.replace("_", " ").str.replace(";", ", ")
        maps.add_points(m, open_, name="Flagged addresses (open)", tooltip=("address", "indicators"), colour="#6a1b9a")
    if not closures.empty and "closures" in layers:
        maps.add_points(
            m,
            closures[["lat", "lng", "ref", "address", "granted", "expiry"]],
            name="Closure orders",
            tooltip=("ref", "address", "granted", "expiry"),
            colour="#ef6c00",
            show=False,
        )
    legend = [(GI_CLASSES[b], maps.GI_COLOURS[b]) for b in (3, 2, 1, -1, -2, -3)]
    legend.append(("hot spot with open flagged address (outlined)", "#000000"))
    maps.add_legend(m, legend, title="Gi* hot and cold spots")
    maps.add_layer_control(m)
    return m


def cell_details(view: View, cell: str) -> dict[str, object]:
    """What a clicked hexagon holds: monthly counts, categories, pattern, case records, reasons."""
    cube = results.cube(view)
    h3_cell = strings_to_cells([cell])[0]
    idx = cube.area.index_of(np.array([h3_cell]))[0]
    if idx < 0:
        return {"inside": False}
    monthly = pd.Series(cube.by_cell_month()[idx], index=cube.months, name="incidents")
    by_category = pd.Series(cube.counts[idx].sum(axis=0), index=cube.categories)
    flagged, closures = results.flagged_and_closures()

    def in_cell(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        cells = points_to_cells(frame["lat"].to_numpy(float), frame["lng"].to_numpy(float), res=view.res)
        return frame[cells == h3_cell]

    return {
        "inside": True,
        "monthly": monthly,
        "categories": by_category[by_category > 0].sort_values(ascending=False),
        "flagged": in_cell(flagged),
        "closures": in_cell(closures),
        "places": results.places(view, h3_cell),
    }
