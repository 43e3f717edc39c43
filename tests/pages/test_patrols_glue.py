"""The Patrols and Check in glue on hand-made plans and stays: places in route order, weeks, shares, marks, words."""

from __future__ import annotations

import datetime as dt

import h3
import pandas as pd
import pytest

from dashboard import checkin, patrols, patrols_map
from geo.core.errors import InputError

LONDON = "Europe/London"
X = h3.str_to_int(h3.latlng_to_cell(51.4545, -2.5879, 9))
Y = h3.str_to_int(h3.latlng_to_cell(51.4600, -2.5800, 9))


def _slot(team: str, order: int, cell: int, place: str, start: str, *, minutes: int = 15) -> dict:
    return {
        "week": dt.date(2026, 11, 30),
        "team": team,
        "order": order,
        "cell": cell,
        "res": 9,
        "place": place,
        "ward": "Millbrook" if cell == X else "",
        "start": pd.Timestamp(start, tz=LONDON),
        "minutes": minutes,
        "reason": "hot spot",
    }


SLOTS = pd.DataFrame(
    [
        _slot("Team B", 1, Y, "High Street", "2026-12-03 10:00"),  # listed first, but Team A's round comes first
        _slot("Team A", 1, X, "Beacon Court", "2026-11-30 14:00"),
        _slot("Team A", 1, X, "Beacon Court", "2026-12-02 15:00"),
        _slot("Team A", 2, Y, "High Street", "2026-12-01 16:00", minutes=10),
    ]
)
TUESDAY_NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # 12:00 in London too (GMT in December)


def test_the_check_in_lists_each_place_once_in_route_order_with_its_next_time():
    every = checkin.places_of(SLOTS, now=TUESDAY_NOON)
    # teams in order of first appearance in the plan (Team B's row is first), so Team B's round leads; High
    # Street, on both rounds, is listed once, at Team B's stop
    assert checkin.teams_of(SLOTS) == ["Team B", "Team A"]
    assert every["place"].tolist() == ["High Street", "Beacon Court"]
    every = every.set_index("place")
    assert every.loc["High Street", "teams"] == "Team B, Team A"
    assert every.loc["High Street", "visits"] == 2 and every.loc["High Street", "minutes"] == 25
    assert every.loc["Beacon Court", "visits"] == 2 and every.loc["Beacon Court", "minutes"] == 30
    # Monday 14:00 is past at Tuesday noon: Beacon Court's next is Wednesday; High Street's Tuesday 16:00
    assert every.loc["Beacon Court", "next"] == "Wed 15:00" and every.loc["High Street", "next"] == "Tue 16:00"
    lat, lng = h3.cell_to_latlng(h3.int_to_str(X))
    assert every.loc["Beacon Court", ["lat", "lng"]].tolist() == pytest.approx([lat, lng])
    only_b = checkin.places_of(SLOTS, team="Team B", now=TUESDAY_NOON)
    assert only_b["place"].tolist() == ["High Street"] and only_b["visits"].tolist() == [1]
    assert only_b["next"].tolist() == ["Thu 10:00"]
    late = checkin.places_of(SLOTS, now=dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC))
    assert late["next"].tolist() == ["", ""]  # the week's visits all past
    assert checkin.places_of(None).empty and checkin.places_of(SLOTS, team="Team C").empty


def test_weeks_start_on_monday_in_uk_time_and_a_plan_is_made_for_next_week():
    assert checkin.week_of(dt.date(2026, 12, 6)) == dt.date(2026, 11, 30)  # a Sunday: the Monday before
    assert checkin.week_of(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)
    # 23:30 UTC on Sunday 29 March 2026 is 00:30 BST on Monday 30 March: a new week in the UK
    assert checkin.this_week(dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 30)
    assert checkin.this_week(dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 23)
    assert patrols.next_monday(dt.date(2026, 12, 2)) == dt.date(2026, 12, 7)
    assert patrols.next_monday(dt.date(2026, 12, 7)) == dt.date(2026, 12, 14)  # a Monday: the one after


def test_units_and_teams_are_trimmed_and_an_empty_or_long_unit_is_refused():
    assert checkin.clean_unit("  B21 \t north ") == "B21 north"
    for bad in ("", "   ", None, "x" * 101):
        with pytest.raises(InputError):
            checkin.clean_unit(bad)
    assert checkin.clean_unit("x" * 100) == "x" * 100
    assert patrols.parse_teams(" Team 1 ,Team  2,, Team 1") == ("Team 1", "Team 2")
    assert patrols.parse_teams("  ") == ("Team 1",)


def test_open_check_ins_keep_the_latest_arrival_per_place():
    frame = pd.DataFrame(
        {
            "cell": [X, Y, X],
            "arrived_at": pd.to_datetime(["2026-12-01 10:00", "2026-12-01 10:05", "2026-12-01 10:30"], utc=True),
        }
    )
    assert checkin.open_cells(frame) == {X: pd.Timestamp("2026-12-01 10:30", tz="UTC"), Y: frame["arrived_at"][1]}
    assert checkin.open_cells(frame.iloc[:0]) == {} and checkin.open_cells(None) == {}


TABLE = pd.DataFrame(
    {
        "cell": [X, Y, 0, 1],
        "place": ["Beacon Court", "High Street", "", "Drive past"],
        "planned_visits": [3, 2, None, None],
        "planned_minutes": [45, 30, None, None],
        "visits": [2, 0, 1, 0],
        "minutes": [24.4, 0.0, 6.0, 0.0],
        "passes": [1, 3, 0, 2],
    }
)


def test_the_chart_and_list_show_planned_places_and_unplanned_visits_under_plain_headings():
    cell = h3.str_to_int(h3.latlng_to_cell(51.47, -2.57, 9))
    table = TABLE.assign(cell=[X, Y, cell, 1])
    frame = patrols.dosage_frame(table)
    assert list(frame.columns) == [
        "Place",
        "Planned visits",
        "Planned minutes",
        "Visits made",
        "Minutes delivered",
        "Drive-bys (passes)",
    ]
    # planned places first (most planned minutes first), then a visit outside the plan; passes alone left out
    assert frame["Place"].tolist() == ["Beacon Court", "High Street", f"hexagon {h3.int_to_str(cell)} (not planned)"]
    assert frame["Minutes delivered"].tolist() == [24, 0, 6] and frame["Planned minutes"].tolist() == [45, 30, 0]
    # 30.4 of 75 planned = 40.5 %; 3 visits; 6 passes (the passes-only row counts in the totals)
    assert patrols.totals_words(table) == (
        "30 minutes delivered of 75 planned (41 %), in 3 visits; 6 drive-bys (passes under 2 minutes) as well."
    )
    chart = patrols.dosage_chart(table).to_dict()
    values = chart["datasets"][chart["data"]["name"]] if "datasets" in chart else chart["data"]["values"]
    bars = {(v["place"], v["bar"]): v["minutes"] for v in values}
    assert bars[("Beacon Court", "Planned")] == 45 and bars[("Beacon Court", "Delivered")] == 24
    assert chart["encoding"]["y"]["sort"][0] == "Beacon Court"


def test_the_map_key_words_for_delivered_share():
    planned = pd.Series([45, 45, 45, 45, 30])
    delivered = pd.Series([0, 22, 22.5, 45, 31])
    assert patrols_map.share_words(planned, delivered).tolist() == [
        "none delivered",
        "under half",
        "half or more",
        "all of it",
        "all of it",
    ]


def test_stays_become_one_dot_per_place_for_visits_and_one_ring_for_passes_with_the_units_as_text():
    start = pd.to_datetime(["2026-12-01 14:00", "2026-12-01 15:00", "2026-12-01 14:30", "2026-12-02 09:00"], utc=True)
    stays = pd.DataFrame(
        {
            "unit": ["B21", "<img src=x onerror=alert(1)>", "B21", "B21"],
            "cell": [X, X, X, Y],
            "start": start,
            "end": start + pd.Timedelta(minutes=10),
            "minutes": [10.0, 12.5, 1.0, 0.5],
            "pings": [11, 14, 2, 2],
            "visit": [True, True, False, False],
        }
    )
    marks = patrols_map.stay_marks(stays, pd.Series({X: "Beacon Court"}))
    marks = marks.sort_values(["place", "kind"]).reset_index(drop=True)
    assert marks[["kind", "place", "units", "stays", "minutes", "when"]].to_dict("records") == [
        {
            "kind": "pass",
            "place": "Beacon Court",
            "units": "B21",
            "stays": 1,
            "minutes": 1,
            "when": "Tue 14:30",
        },
        {
            "kind": "visit",
            "place": "Beacon Court",
            "units": "B21, <img src=x onerror=alert(1)>",
            "stays": 2,
            "minutes": 22,  # 22.5 rounds to even
            "when": "Tue 14:00, Tue 15:00",
        },
        {
            "kind": "pass",
            "place": f"hexagon {h3.int_to_str(Y)}",
            "units": "B21",
            "stays": 1,
            "minutes": 0,
            "when": "Wed 09:00",
        },
    ]
    lat, _lng = h3.cell_to_latlng(h3.int_to_str(X))
    assert marks["lat"].iloc[1] == pytest.approx(lat) and marks["lat"].iloc[0] == pytest.approx(lat + 0.0003)
    # on the map the unit is text: no tag, no quote, no "$" reaches the page raw
    table = TABLE.iloc[:2]
    html = patrols_map.patrols_map(table, stays, bounds=patrols_map.map_bounds(table, stays)).get_root().render()
    assert "<img src=x" not in html and "onerror=alert" in html.replace("\\u003c", "<").replace("\\u003e", ">")
    assert '"Visits (2 minutes or more)"' in html.replace("\\u0022", '"') or "Visits (2 minutes or more)" in html
