"""Glue for the patrol planner: the map and its route, a cell's details in words, the place search.

Inspector view: full detail (addresses and indicators of flagged premises,
closure orders). Victims' homes never leave ``geo/``: only "victims nearby"
counts reach this module.

Places are named as people name them (the ``place`` column of the plan, "On or
near Beacon Court"; a cell's H3 id only where it has no name), and every value
a page shows is in the words of the reasons: indicator keys, dates and column
names never reach the inspector raw.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import folium
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import maps, results
from dashboard.messages import markdown_literal
from dashboard.plan import place_names
from dashboard.view import View
from geo.core.schema import INDICATORS
from geo.plan.analysis import GI_CLASSES
from geo.plan.priority import BALANCES, DEFAULT_BALANCE, Counted, counted
from geo.space.hexes import cells_to_polygons, cells_to_strings, points_to_cells, strings_to_cells

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


def in_visiting_order(ranked: pd.DataFrame) -> pd.DataFrame:
    """The plan sorted by visit (the order to go round in), rank kept beside it; ``place`` always filled."""
    named = ranked.assign(place=place_names(ranked))  # named before sorting: the names follow their rows
    return named.sort_values("visit_order", kind="stable").reset_index(drop=True)


def plan_table(plan: pd.DataFrame, what: Counted) -> pd.DataFrame:
    """The list as the page shows it, in the plan's row order: visit, rank, score, place, why, count.

    ``plan`` is :func:`in_visiting_order` of the ranked cells (with names). Sized for the ~700 pixels the
    page has on a 1366-pixel laptop and a 768-pixel tablet alike: the place is followed by its ward (and
    estate), "why" wraps in rows tall enough for it (:func:`row_height`), and the count, which
    "why" also says, comes last.
    """
    ward = plan["ward_name"].where(plan["ward_name"] != "", "outside the wards")
    estate = plan["estate_name"] if "estate_name" in plan else pd.Series("", index=plan.index)
    where = ward.where(estate == "", ward + " · " + estate)
    return pd.DataFrame(
        {
            "visit": plan["visit_order"].astype(int),
            "rank": plan["rank"].astype(int),
            "score": plan["score"],
            "place": plan["place"] + " — " + where,
            "why": plan["reasons"],
            what.label: plan["count"].astype(int),
        }
    )


#: The list's "why" column in pixels, the characters of it that fit on a line (~6.2 px each, measured in
#: Chromium), and the tallest row the list gives (seven lines).
WHY_WIDTH, _WHY_LINE, _MOST_LINES = 360, 54, 7


def row_height(why: pd.Series, *, width: int = WHY_WIDTH) -> int:
    """Pixels a row of the list needs for its longest "why" to wrap onto whole lines in a column ``width``
    pixels wide (Streamlit wraps a cell's text only in rows taller than 64 px, so never fewer than three
    lines' height)."""
    longest = int(why.astype(str).str.len().max()) if len(why) else 0
    per_line = max(1, _WHY_LINE * width // WHY_WIDTH)
    most = -(-_MOST_LINES * WHY_WIDTH // width)  # a narrower column may take as much text, on more lines
    lines = min(most, max(3, -(-longest // per_line)))
    return 12 + 19 * lines


def table_height(n_rows: int, row: int, *, most: int = 10) -> int:
    """Pixels for the list to show ``most`` rows at once (all of a plan of 10) before it scrolls."""
    return 38 + row * min(n_rows, most)


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


def hot_spot_layer(scored: pd.DataFrame, ranked: pd.DataFrame, what: Counted | None = None) -> maps.LayerPayload:
    """The patrol map's hexagons: every cell that is a hot or cold spot, scores or has incidents.

    Coloured by Gi* class, outlined where a hot spot holds an open flagged address; the tooltip names the
    place, then says the class, the incidents (named by ``what``) and, for a place in the plan, its visit
    and rank. Nothing else about a cell is sent.
    """
    keep = (scored["gi_bin"] != 0) | (scored["score"] > 0) | (scored["count"] > 0)
    shown = scored.loc[keep].assign(place=place_names(scored.loc[keep]))
    plan = ranked.set_index(ranked["cell"].astype(str))
    visit = shown["cell"].astype(str).map(plan["visit_order"]).fillna(0).astype(int)
    rank = shown["cell"].astype(str).map(plan["rank"]).fillna(0).astype(int)
    label = (what or Counted()).label
    layer = pd.DataFrame(
        {
            "cell": shown["cell"],
            "colour": shown["gi_bin"].map(maps.GI_COLOURS),
            "coincidence": (shown["gi_bin"] > 0) & (shown["flagged_open"] > 0),
            "place": shown["place"],
            "hexagon": shown["gi_bin"].map(GI_CLASSES),
            label: shown["count"].astype(int).astype(str),
            "in the plan": ("visit " + visit.astype(str) + " (rank " + rank.astype(str) + ")").where(visit != 0, ""),
        }
    )
    return maps.hex_layer(
        layer,
        colour="colour",
        outline="coincidence",
        tooltip=("place", "hexagon", label, "in the plan"),
        name="Hot spots (Gi*)",
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _hot_spots(url: str, version: str, view: View, top: int, balance: str) -> maps.LayerPayload:
    ranked, scored, _ = results.priority(view, top=top, balance=balance)
    return hot_spot_layer(scored, ranked, what_is_counted(view))


def hot_spots(view: View, *, top: int, balance: str) -> maps.LayerPayload:
    """:func:`hot_spot_layer` of the plan for ``view``, ``top`` and ``balance``, built once per data version.

    The same for every role that may open the planner (classes, counts and ranks only), so it is shared.
    """
    return _hot_spots(*results.version(), view, top, balance)


def route_stops(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan's stops for the map's route: where, the visit number, and the tooltip (place, rank)."""
    return pd.DataFrame(
        {
            "lat": plan["lat"].to_numpy(float),
            "lng": plan["lng"].to_numpy(float),
            "visit": plan["visit_order"].astype(int).to_numpy(),
            "place": place_names(plan).to_numpy(),
            "priority rank": plan["rank"].astype(int).to_numpy(),
        }
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _outlines(url: str, version: str, layer: str, name: str, colour: str) -> maps.LayerPayload | None:
    frame = results.boundaries(layer)
    return None if frame.empty else maps.boundary_layer(frame, name=name, colour=colour, labels=True)


def labelled_outlines(layer: str, *, name: str, colour: str) -> maps.LayerPayload | None:
    """Wards' or estates' outlines with their names on the map, built once per import (None: there are none)."""
    return _outlines(*results.version(), layer, name, colour)


def data_bounds(view: View, scored: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """Where the view's incidents are: ``results.data_bounds`` once it exists, else the hexagons with
    incidents in ``scored`` (cell centres, with half a hexagon around them); None when there are none."""
    found = getattr(results, "data_bounds", None)
    if found is not None:
        return found(view)
    busy = scored[scored["count"] > 0]
    if busy.empty:
        return None
    pad = 0.003
    return (
        float(busy["lng"].min()) - pad,
        float(busy["lat"].min()) - pad,
        float(busy["lng"].max()) + pad,
        float(busy["lat"].max()) + pad,
    )


def cell_bounds(cell: str, *, margin: float = 0.004) -> tuple[float, float, float, float]:
    """(min lng, min lat, max lng, max lat) of one hexagon with ``margin`` degrees around it (a zoom target)."""
    return tuple(cells_to_polygons(strings_to_cells([cell]))[0].buffer(margin).bounds)


#: The map's legend: Gi* classes, then the marks drawn over them.
LEGEND_TITLE = "Map key"


def patrol_map(
    view: View,
    *,
    top: int,
    balance: str,
    layers: tuple[str, ...],
    plan: pd.DataFrame,
    bounds: tuple[float, float, float, float] | None,
) -> folium.Map:
    """Hexagons by hotspot class (coincidence cells outlined), the numbered route, labelled boundaries,
    flagged premises as rings and closure orders.

    The plan's hexagons are those of :func:`hot_spots` (``top``, ``balance``) and its route runs through
    ``plan`` (:func:`in_visiting_order`); the map fits ``bounds`` (a place looked for, a row picked, or
    where the data is). Only the ``layers`` the role may see are built: a layer left out never reaches
    the browser.
    """
    m = maps.base_map(bounds=bounds)
    maps.add_layer(m, hot_spots(view, top=top, balance=balance))
    if len(plan):
        maps.add_route(m, route_stops(plan), tooltip=("visit", "place", "priority rank"), name="Route (visits)")
    other = "estates" if view.layer == "wards" else "wards"
    for layer, name, colour in (
        (view.layer, "Wards" if view.layer == "wards" else "Estates", "#444"),
        (other, other.title(), "#6a1b9a" if other == "estates" else "#444"),  # the other layer too, in another colour
    ):
        outlines = labelled_outlines(layer, name=name, colour=colour)
        if outlines is not None:
            maps.add_layer(m, outlines)
    flagged, closures = results.flagged_and_closures()
    legend: list[tuple[str, ...]] = [(GI_CLASSES[b], maps.GI_COLOURS[b]) for b in (3, 2, 1, -1, -2, -3)]
    legend.append(("hot spot with an open flagged address", "#111111", "outline"))
    legend.append(("route: the visits in order", maps.ROUTE_COLOUR))
    if not flagged.empty and "flagged" in layers:
        open_ = flagged[flagged["status"] == "open"][["lat", "lng", "address", "indicators"]].copy()
        open_["concerns"] = indicator_words(open_["indicators"])
        maps.add_points(
            m, open_, name="Flagged addresses (open)", tooltip=("address", "concerns"), colour="#6a1b9a", ring=True
        )
        legend.append(("open flagged address", "#6a1b9a", "ring"))
    if not closures.empty and "closures" in layers:
        shown = closures_table(closures)
        maps.add_points(
            m,
            shown.assign(lat=closures["lat"].to_numpy(), lng=closures["lng"].to_numpy()),
            name="Closure orders",
            tooltip=("Order", "Address", "Granted", "Ends"),
            colour="#ef6c00",
            show=False,
        )
        legend.append(("closure order (switch on: layers, top right)", "#ef6c00"))
    maps.add_legend(m, legend, title=LEGEND_TITLE)
    maps.add_layer_control(m)
    return m


def cell_details(view: View, cell: str) -> dict[str, object]:
    """What a clicked hexagon holds: monthly counts, categories, case records (in words), incident locations."""
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

    categories = by_category[by_category > 0].sort_values(ascending=False)
    return {
        "inside": True,
        "monthly": monthly,
        "categories": categories.rename_axis("Category").rename("Incidents").reset_index(),
        "flagged": flagged_table(in_cell(flagged)),
        "closures": closures_table(in_cell(closures)),
        "places": results.places(view, h3_cell),
    }


#: "How to read this" on the page adds what the live map shows (the printable plan has its own map).
MAP_NOTES = (
    "Colours: Gi* hot spots in reds, cold spots in blues, grey where there is no cluster. The key (bottom "
    "right) folds away: click its title.",
    "Numbered circles joined by a dashed line: the route, in the visiting order. Hover a number for the place.",
    "A thick dark outline: a hot spot holding an open flagged address. Small purple rings: open flagged addresses.",
    "Orange dots: closure orders, off at first. The layers button (top right) switches every layer on or off.",
    "Ward names are written on the map (estates in purple); some wait until you zoom in, so none overlap.",
    "Click a hexagon or a number for everything about that place (below the list).",
)


def markdown_text(text: object) -> str:
    """Text for ``st.markdown`` that shows as written: ``Gi*`` twice is not italics, ``$`` is not maths, a
    name holding ``![](https://…)``, a web address or ``:material/…:`` is neither an image, a link nor an icon
    (:func:`dashboard.messages.markdown_literal`, the project's one escaper)."""
    return markdown_literal(str(text))


# --------------------------------------------------------------------------- values in words

_INDICATOR_WORDS = {key: label for key, (label, _synonyms) in INDICATORS.items()}


def indicator_words(indicators: pd.Series) -> pd.Series:
    """Stored indicator keys (``"visitors_odd_hours;noise"``) in the reasons' words ("visitors at odd hours,
    noise"); a key outside the vocabulary is shown with spaces for its underscores."""

    def words(text: object) -> str:
        keys = [k.strip() for k in str(text).split(";") if k.strip()] if isinstance(text, str) else []
        return ", ".join(_INDICATOR_WORDS.get(k, k.replace("_", " ")) for k in keys)

    return indicators.map(words)


def date_words(values: pd.Series) -> pd.Series:
    """Dates as people write them ("5 Dec 2025"); blank where there is none."""
    days = pd.to_datetime(values, errors="coerce")
    return pd.Series([f"{d.day} {d:%b %Y}" if pd.notna(d) else "" for d in days], index=values.index, dtype=object)


def _status(values: pd.Series) -> pd.Series:
    """ "open" as "Open": the stored word, capitalised."""
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    return text.str[:1].str.upper() + text.str[1:]


def _plain(frame: pd.DataFrame, columns: Mapping[str, tuple[str, object]]) -> pd.DataFrame:
    """``frame`` under plain headings: heading -> (stored column, how its values are put in words, or None);
    a column the frame lacks is blank."""
    out = pd.DataFrame(index=frame.index)
    for heading, (column, words) in columns.items():
        values = frame[column] if column in frame else pd.Series("", index=frame.index, dtype=object)
        out[heading] = words(values) if callable(words) and column in frame else values
    return out.reset_index(drop=True)


def flagged_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Flagged addresses with plain headings and values: address, concerns, first flagged, status, agency.

    A closed address says when: "Closed (26 Nov 2025)".
    """
    out = _plain(
        frame,
        {
            "Address": ("address", None),
            "Concerns": ("indicators", indicator_words),
            "First flagged": ("first_flagged", date_words),
            "Status": ("status", _status),
            "Agency": ("agency", None),
        },
    )
    if "closed" in frame:
        closed = date_words(frame["closed"]).reset_index(drop=True)
        out["Status"] = out["Status"].where(closed == "", out["Status"] + " (" + closed + ")")
    return out


def closures_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Closure orders with plain headings and values: order, address, full or partial, granted, ends, status."""
    return _plain(
        frame,
        {
            "Order": ("ref", None),
            "Address": ("address", None),
            "Full or partial": ("order_type", _status),
            "Granted": ("granted", date_words),
            "Ends": ("expiry", date_words),
            "Status": ("status", _status),
        },
    )


def places_table(places: pd.DataFrame, what: Counted) -> pd.DataFrame:
    """The incident locations in a hexagon under plain headings (police.uk's location text, the count named)."""
    return places.rename(columns={"location": "Location (police.uk street point)", "incidents": what.label})


# --------------------------------------------------------------------------- looking for a place

#: The search box's words.
SEARCH_LABEL = "Find a place"
SEARCH_HELP = 'A ward, an estate, a street (as police.uk names it: "Beacon Court") or a hexagon\'s H3 id.'


@dataclass(frozen=True)
class Found:
    """What the search box found: the label shown, where to zoom, the hexagon (for an H3 id) and a note."""

    label: str
    bounds: tuple[float, float, float, float] | None = None
    cell: str | None = None
    note: str = ""


_KINDS = {"ward": 0, "estate": 1, "street": 2}


def _boundary_index() -> pd.DataFrame:
    """Wards and estates by name, with their bounds (the search index until ``results.search_index`` lands)."""
    frames = []
    for layer, kind in (("wards", "ward"), ("estates", "estate")):
        areas = results.boundaries(layer)
        if areas.empty:
            continue
        box = areas.geometry.bounds
        frames.append(
            pd.DataFrame(
                {
                    "label": areas["name"].astype(str) + f" ({kind})",
                    "kind": kind,
                    "min_lng": box["minx"],
                    "min_lat": box["miny"],
                    "max_lng": box["maxx"],
                    "max_lat": box["maxy"],
                }
            )
        )
    columns = ["label", "kind", "min_lng", "min_lat", "max_lng", "max_lat"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def search_index(view: View) -> pd.DataFrame:
    """What the search box knows: ``results.search_index(view)`` (wards, estates, streets), or until that
    exists the wards and estates alone; ``label``, ``kind`` and the bounds, wards first."""
    index = getattr(results, "search_index", None)
    frame = index(view) if index is not None else _boundary_index()
    order = frame["kind"].map(_KINDS).fillna(len(_KINDS))
    return frame.assign(_order=order).sort_values(["_order", "label"], kind="stable").drop(columns="_order")


def _cell_from_text(text: str) -> int | None:
    """A typed H3 id as a cell (``geo.plan.places.cell_from_text`` once it exists); None if not one."""
    try:
        places = importlib.import_module("geo.plan.places")
    except ImportError:
        places = None
    if places is not None and hasattr(places, "cell_from_text"):
        return places.cell_from_text(text)
    word = text.strip().lower()
    if not re.fullmatch(r"8[0-9a-f]{14}", word):
        return None
    cell = strings_to_cells([word])[0]
    return int(cell) if cells_to_strings(np.array([cell]))[0] == word else None


def find_place(view: View, index: pd.DataFrame, text: str | None) -> Found | None:
    """The place ``text`` names: a label of ``index``, a hexagon's H3 id, or the labels that contain it.

    None for no text. A text that names nothing comes back as a :class:`Found` without bounds whose
    ``note`` says so in plain words (the page shows it); several matches pick the first (wards, then
    estates, then streets) and say how many others there were.
    """
    text = (text or "").strip()
    if not text:
        return None
    cell = _cell_from_text(text)
    if cell is not None:
        name = str(cells_to_strings(np.array([cell], dtype=np.uint64))[0])
        if results.cube(view).area.index_of(np.array([cell], dtype=np.uint64))[0] < 0:
            return Found(text, note=f"Hexagon {name} is not in the study area at this hexagon size.")
        return Found(f"hexagon {name}", bounds=cell_bounds(name), cell=name)
    labels = index["label"].astype(str)
    exact = index[labels.str.casefold() == text.casefold()]
    matches = exact if len(exact) else index[labels.str.casefold().str.contains(text.casefold(), regex=False)]
    if matches.empty:
        return Found(text, note=f"No ward, estate or street matches \u201c{text}\u201d. Try part of a name.")
    first = matches.iloc[0]
    bounds = (float(first["min_lng"]), float(first["min_lat"]), float(first["max_lng"]), float(first["max_lat"]))
    more = len(matches) - 1
    note = f"{more} more {'place matches' if more == 1 else 'places match'}: pick one from the list." if more else ""
    return Found(str(first["label"]), bounds=_at_least(bounds), note=note)


def _at_least(bounds: tuple[float, float, float, float], *, size: float = 0.004) -> tuple[float, float, float, float]:
    """Bounds grown to at least ``size`` degrees each way (a street's few snap points, a single point)."""
    minx, miny, maxx, maxy = bounds
    dx, dy = max(0.0, size - (maxx - minx)) / 2, max(0.0, size - (maxy - miny)) / 2
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


# --------------------------------------------------------------------------- what the user did last


def latest(changed: Mapping[str, int], values: Mapping[str, object], among: tuple[str, ...]) -> str | None:
    """Of the inputs ``among`` that hold a value, the one changed last (``changed``: the run it changed in)."""
    live = [name for name in among if values.get(name) is not None]
    return max(live, key=lambda name: changed.get(name, -1)) if live else None


def note_changes(state: dict[str, object], values: Mapping[str, object]) -> dict[str, int]:
    """Record in ``state`` (the session's) which of ``values`` changed since the last run; each input's run.

    The page zooms to what the user did last (a place looked for, or a row picked) and details what
    they last picked or clicked: a table selection or a map click stays in Streamlit's state after newer
    actions, so "is there a value" alone cannot say which came last.
    """
    run = int(state.get("p_run", 0)) + 1  # type: ignore[call-overload]
    seen: dict[str, object] = dict(state.get("p_seen") or {})  # type: ignore[call-overload]
    changed: dict[str, int] = dict(state.get("p_changed") or {})  # type: ignore[call-overload]
    for name, value in values.items():
        if name not in seen or seen[name] != value:
            changed[name] = run
            seen[name] = value
    state.update(p_run=run, p_seen=seen, p_changed=changed)
    return changed
