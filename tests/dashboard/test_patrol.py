"""Patrol planner glue: values in the reasons' words, the list in visiting order, the search, the last action."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from dashboard import patrol
from dashboard.view import View
from geo.plan.priority import Counted

WHAT = Counted(("Anti-social behaviour",), ("2024-01", "2024-02", "2024-03"))


def test_indicator_keys_dates_and_statuses_are_put_in_words():
    keys = pd.Series(["visitors_odd_hours;noise", "lock_changes", "", None, "a_new_one;noise"])
    assert patrol.indicator_words(keys).tolist() == [
        "visitors at odd hours, noise",
        "lock changes",
        "",
        "",
        "a new one, noise",  # outside the vocabulary: still no underscore
    ]
    days = pd.Series(["2025-12-05", "2024-01-31", None, "not a date"])
    assert patrol.date_words(days).tolist() == ["5 Dec 2025", "31 Jan 2024", "", ""]


def test_flagged_and_closure_tables_have_plain_headings_and_values():
    flagged = pd.DataFrame(
        {
            "ref": ["000010000000", "000010000001"],
            "address": ["2 Larch Road", "9 Gorse Street"],
            "first_flagged": ["2025-12-05", "2024-12-15"],
            "indicators": ["visitors_odd_hours;tenant_not_seen", "noise"],
            "status": ["open", "closed"],
            "closed": [None, "2025-11-26"],
            "agency": ["Housing", "Police"],
        },
        index=[7, 3],  # as a slice of the store's frame: the table is re-indexed from 0
    )
    table = patrol.flagged_table(flagged)
    assert list(table.columns) == ["Address", "Concerns", "First flagged", "Status", "Agency"]
    assert table.to_dict("records") == [
        {
            "Address": "2 Larch Road",
            "Concerns": "visitors at odd hours, tenant not seen / never alone",
            "First flagged": "5 Dec 2025",
            "Status": "Open",
            "Agency": "Housing",
        },
        {
            "Address": "9 Gorse Street",
            "Concerns": "noise",
            "First flagged": "15 Dec 2024",
            "Status": "Closed (26 Nov 2025)",
            "Agency": "Police",
        },
    ]
    closures = pd.DataFrame(
        {
            "ref": ["CO-2024-001"],
            "address": ["72 Larch Lane"],
            "granted": ["2024-05-05"],
            "expiry": ["2024-11-05"],
            "order_type": ["full"],
            "status": ["expired"],
        }
    )
    assert patrol.closures_table(closures).to_dict("records") == [
        {
            "Order": "CO-2024-001",
            "Address": "72 Larch Lane",
            "Full or partial": "Full",
            "Granted": "5 May 2024",
            "Ends": "5 Nov 2024",
            "Status": "Expired",
        }
    ]
    assert patrol.places_table(
        pd.DataFrame({"location": ["On or near X"], "incidents": [3]}), WHAT
    ).columns.tolist() == [
        "Location (police.uk street point)",
        "ASB incidents, Jan–Mar 2024",
    ]


def _ranked() -> pd.DataFrame:
    cells = [h3.latlng_to_cell(53.95 + 0.01 * i, 0.95, 9) for i in range(3)]
    return pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "cell": cells,
            "place": ["On or near Beacon Court", "", None],  # the last two have no name: their H3 id stands in
            "ward_name": ["Eastfield", "Millbrook", ""],
            "estate_name": ["Gorse Hill", "", ""],
            "score": [115.9, 88.2, 62.6],
            "reasons": ["hot spot (99 %)", "new: hot for the first time in the latest month", "x"],
            "count": [43, 97, 6],
            "lat": [53.95, 53.96, 53.97],
            "lng": [0.95, 0.95, 0.95],
            "visit_order": [1, 3, 2],
        }
    )


def test_the_list_runs_in_visiting_order_and_names_every_place():
    plan = patrol.in_visiting_order(_ranked())
    table = patrol.plan_table(plan, WHAT)
    assert table["visit"].tolist() == [1, 2, 3] and table["rank"].tolist() == [1, 3, 2]
    cells = _ranked()["cell"]
    assert table["place"].tolist() == [
        "On or near Beacon Court — Eastfield · Gorse Hill",
        f"{cells[2]} — outside the wards",  # rank 3 is visited second
        f"{cells[1]} — Millbrook",
    ]
    assert table["ASB incidents, Jan–Mar 2024"].tolist() == [43, 6, 97]
    stops = patrol.route_stops(plan)
    assert stops["visit"].tolist() == [1, 2, 3] and stops["priority rank"].tolist() == [1, 3, 2]
    assert stops["place"].tolist() == ["On or near Beacon Court", cells[2], cells[1]]


def test_rows_are_tall_enough_for_the_longest_reason():
    # 54 characters a line, 19 px a line and 12 px of padding; never fewer than 3 lines (Streamlit wraps only
    # rows taller than 64 px), never more than 7
    assert patrol.row_height(pd.Series(["x" * 20])) == 12 + 19 * 3
    assert patrol.row_height(pd.Series(["x" * 20, "y" * 217])) == 12 + 19 * 5  # 217 / 54 = 4.02: 5 lines
    assert patrol.row_height(pd.Series(["z" * 1000])) == 12 + 19 * 7
    # a 276 px column holds 54 * 276 // 360 = 41 characters a line: 217 is 6 lines; at most ceil(7 * 360 / 276) = 10
    assert patrol.row_height(pd.Series(["y" * 217]), width=276) == 12 + 19 * 6
    assert patrol.row_height(pd.Series(["z" * 1000]), width=276) == 12 + 19 * 10
    assert patrol.table_height(30, 69) == 38 + 69 * 10 and patrol.table_height(4, 69) == 38 + 69 * 4


def test_the_last_thing_done_wins():
    state: dict = {}
    values = {"search": None, "table": None, "click": None}
    changed = patrol.note_changes(state, values)
    assert patrol.latest(changed, values, ("search", "table")) is None
    values = {"search": "Millbrook (ward)", "table": None, "click": None}  # run 2: a place looked for
    changed = patrol.note_changes(state, values)
    assert patrol.latest(changed, values, ("search", "table")) == "search"
    values = {**values, "table": "8919455920fffff"}  # run 3: a row picked; the search box still holds its text
    changed = patrol.note_changes(state, values)
    assert patrol.latest(changed, values, ("search", "table")) == "table"
    values = {**values, "click": (53.9, 0.9)}  # run 4: a click on the map details, the map stays on the row
    changed = patrol.note_changes(state, values)
    assert patrol.latest(changed, values, ("search", "table", "click")) == "click"
    assert patrol.latest(changed, values, ("search", "table")) == "table"
    changed = patrol.note_changes(state, values)  # run 5: a rerun with nothing new changes nothing
    assert patrol.latest(changed, values, ("search", "table", "click")) == "click"
    values = {**values, "table": None}  # run 6: the row let go: the search (run 2) is what is left
    changed = patrol.note_changes(state, values)
    assert patrol.latest(changed, values, ("search", "table")) == "search"
    assert state["p_run"] == 6


def test_markdown_text_shows_as_written():
    assert patrol.markdown_text("Gi* and Gi* $1 a_b <b>") == "Gi\\* and Gi\\* \\$1 a\\_b \\<b\\>"


@pytest.fixture
def demo_view(demo_town, monkeypatch) -> View:
    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    return View("2025-11", "2026-10", ("Anti-social behaviour",))


def test_the_search_finds_wards_estates_and_hexagons_and_says_when_nothing_matches(demo_view):
    index = patrol.search_index(demo_view)
    assert {"ward", "estate"} <= set(index["kind"]) and index["kind"].iloc[0] == "ward"  # wards first
    found = patrol.find_place(demo_view, index, "  millbrook ")
    assert found is not None and found.label == "Millbrook (synthetic) (ward)" and found.cell is None
    row = index[index["label"] == found.label].iloc[0]
    assert found.bounds == (row["min_lng"], row["min_lat"], row["max_lng"], row["max_lat"])
    several = patrol.find_place(demo_view, index, "(ward)")
    assert several is not None and several.bounds is not None and several.note.endswith("pick one from the list.")
    nothing = patrol.find_place(demo_view, index, "Nowhere Street")
    assert nothing is not None and nothing.bounds is None and "No ward, estate or street matches" in nothing.note
    assert patrol.find_place(demo_view, index, "   ") is None
    # a hexagon of the demo town (its centre is in Nestwick), typed in capitals with spaces around it
    cell = h3.latlng_to_cell(53.945352, 0.967714, 9)
    hexagon = patrol.find_place(demo_view, index, f" {cell.upper()} ")
    assert hexagon is not None and hexagon.cell == cell
    lat, lng = h3.cell_to_latlng(cell)
    west, south, east, north = hexagon.bounds
    assert west < lng < east and south < lat < north and east - west < 0.02
    # a real H3 id, in London: not in this study area, and said so
    away = patrol.find_place(demo_view, index, h3.latlng_to_cell(51.5, -0.12, 9))
    assert away is not None and away.bounds is None and "not in the study area" in away.note
    # the same hexagon at another size is not one of this map's
    bigger = patrol.find_place(demo_view, index, h3.cell_to_parent(cell, 7))
    assert bigger is not None and bigger.bounds is None


def test_details_and_the_map_say_everything_in_words(demo_view):
    ranked, scored, _ = patrol.results.priority(demo_view, top=10)
    first = str(ranked.loc[ranked["flagged_open"] > 0, "cell"].iloc[0])
    details = patrol.cell_details(demo_view, first)
    assert details["inside"] and list(details["flagged"].columns)[:2] == ["Address", "Concerns"]
    assert not details["flagged"]["Concerns"].str.contains("_|;", regex=True).any()
    layer = patrol.hot_spot_layer(scored, ranked, WHAT)
    assert '"place"' in layer.payload and "in the plan" in layer.payload and "visit 1 (rank " in layer.payload
    assert not patrol.cell_details(demo_view, h3.latlng_to_cell(51.5, -0.12, 9))["inside"]
    bounds = patrol.data_bounds(demo_view, scored)
    assert bounds is not None and np.all(np.isfinite(bounds))


def test_names_in_headings_are_shown_as_written_never_as_images_links_or_icons():
    from dashboard.messages import markdown_literal
    from dashboard.patrol import markdown_text

    hostile = "in ![i](https://evil.example/ward.png) :red[ALERT] www.evil.example **Gi*** ward"
    shown = markdown_text(hostile)
    assert shown == markdown_literal(hostile)  # the project's one escaper
    for raw in ("![", "https://", ":red[", "www.e", "**"):  # each escaped: no image, link, colour or bold
        assert raw not in shown, raw
