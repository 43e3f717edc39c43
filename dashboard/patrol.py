"""Glue for the patrol planner: the map, a cell's details, names for codes.

Inspector view: full detail (addresses and indicators of flagged premises,
closure orders). Victims' homes never leave ``geo/``: only "victims nearby"
counts reach this module.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd

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
    """The ranked list as the page shows it: visit, rank, ward, estate, score, why, and the count under its name."""
    table = ranked[["visit_order", "rank", "ward_name", "estate_name", "score", "reasons", "count"]]
    return table.rename(
        columns={
            "visit_order": "visit",
            "ward_name": "ward",
            "estate_name": "estate",
            "reasons": "why",
            "count": what.label,
        }
    )


def boundary_names(layer: str) -> pd.Series:
    """code -> name for wards or estates."""
    return results.boundaries(layer).set_index("code")["name"]


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


def patrol_map(
    view: View,
    scored: pd.DataFrame,
    ranked: pd.DataFrame,
    *,
    layers: tuple[str, ...],
    focus: str | None = None,
) -> folium.Map:
    """Hexagons by hotspot class, coincidence cells outlined, boundaries, flagged premises and closures.

    Only the ``layers`` the role may see are built: a layer left out never
    reaches the browser.
    """
    boundaries = results.boundaries(view.layer)
    bounds = tuple(boundaries.total_bounds) if not boundaries.empty else None
    if focus:
        from geo.space.hexes import cells_to_polygons

        bounds = tuple(cells_to_polygons(strings_to_cells([focus]))[0].buffer(0.004).bounds)
    m = maps.base_map(bounds=bounds)
    shown = scored[(scored["gi_bin"] != 0) | (scored["score"] > 0) | (scored["count"] > 0)].copy()
    shown["colour"] = shown["gi_bin"].map(maps.GI_COLOURS)
    shown["class"] = shown["gi_bin"].map(GI_CLASSES)
    shown["coincidence"] = (shown["gi_bin"] > 0) & (shown["flagged_open"] > 0)
    rank_of = dict(zip(ranked["cell"], ranked["rank"], strict=True))
    shown["rank"] = shown["cell"].map(rank_of).fillna(0).astype(int).astype(str).replace("0", "")
    shown["incidents"] = shown["count"].astype(int).astype(str)
    maps.add_hexes(
        m,
        shown,
        colour="colour",
        outline="coincidence",
        tooltip=("class", "incidents", "rank"),
        name="Hot spots (Gi*)",
    )
    if not boundaries.empty:
        maps.add_boundaries(m, boundaries, name="Wards" if view.layer == "wards" else "Estates")
    other = "estates" if view.layer == "wards" else "wards"
    others = results.boundaries(other)
    if not others.empty:  # the other layer's outlines too, in another colour
        maps.add_boundaries(m, others, name=other.title(), colour="#6a1b9a" if other == "estates" else "#444")
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
