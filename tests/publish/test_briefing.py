"""The weekly briefing: one A4 page per team, marked, self-contained, escaped; the tasking CSV."""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pandas as pd

from geo.plan.schedule import Dose, WeekPlan, parse_shifts, week_plan, week_routes
from geo.publish.briefing import BRIEFING_COLUMNS, MARKING, briefing_csv, briefing_frame, briefing_html
from geo.space.hexes import points_to_cells

HOSTILE = '<script>alert("x")</script> & =HYPERLINK("http://evil")'


def plan_of(*, teams=("Alpha", "Bravo"), names=None, shifts="Sat 18:00-02:00", week=dt.date(2025, 3, 24)) -> WeekPlan:
    """Three places (Bravo gets the last), hand-named; the March clock-change week by default."""
    lat, lng = np.full(3, 51.45), -2.59 + 0.006 * np.arange(3)
    cells = points_to_cells(lat, lng, res=9).astype(np.int64)
    places = pd.DataFrame(
        {
            "cell": cells,
            "place": names or ["On or near Beacon Court", "On or near Dune Street", HOSTILE],
            "ward": ["Park", "Park", "Elm <ward>"],
            "reason": ["hot spot (99 %)", "2 open flagged addresses", HOSTILE],
            "lat": lat,
            "lng": lng,
        }
    )
    shifts_ = parse_shifts(shifts)
    dose = Dose(2, 15)
    slots = week_plan(places, week=week, shifts=shifts_, dose=dose, seed=4, teams=teams)
    route, lengths = week_routes(places, teams=teams)
    return WeekPlan(
        week=week,
        shifts=shifts_,
        dose=dose,
        seed=4,
        teams=tuple(teams),
        res=9,
        slots=slots,
        places=places.assign(team=route.sort_values("_index")["team"].to_numpy()),
        route=route.drop(columns="_index"),
        route_m=lengths,
        hot_hours=pd.DataFrame(columns=["cell", "hour", "weight", "incidents"]),
        hot_hours_known=False,
        notes=["police.uk gives no time of day"],
    )


def test_one_marked_page_per_team_with_places_round_visits_and_reasons():
    plan = plan_of()
    page = briefing_html(plan, made=dt.datetime(2025, 3, 20, 9, 0))
    sections = re.findall(r'<section class="page">(.*?)</section>', page, flags=re.S)
    assert len(sections) == 2
    for section in sections:  # the marking opens and closes every team's page
        body = section.strip()
        assert body.startswith(f'<div class="marking">{MARKING}</div>')
        assert body.endswith(f'<div class="marking">{MARKING}</div>')
    alpha, bravo = sections
    assert "Patrol briefing: Alpha" in alpha and "Patrol briefing: Bravo" in bravo
    assert "1 On or near Beacon Court → 2 On or near Dune Street → back to 1" in alpha
    assert "hot spot (99 %)" in alpha and "2 open flagged addresses" in alpha and "Beacon Court" not in bravo
    assert "Week beginning Monday 24 March 2025" in alpha and "Shifts: Sat 18:00-02:00" in alpha
    assert "police.uk gives no time of day" in alpha
    assert alpha.count("<tr><td>Sat 29 Mar") + alpha.count("<tr><td>Sun 30 Mar") == 4  # 2 places x 2 visits
    assert "@page { size: A4" in page and "break-after: page" in page


def test_the_sheet_shows_wall_clock_times_in_the_clock_change_week():
    plan = plan_of()
    page = briefing_html(plan)
    local = plan.slots["start"].dt.tz_convert("Europe/London")
    for start in local:
        assert f"{start:%H:%M}–" in page
    # 01:00-01:59 does not exist on Sun 30 March 2025: no visit is printed in it
    assert not re.search(r"<td>Sun 30 Mar</td><td>01:", page)


def test_every_text_is_escaped_and_nothing_is_loaded_from_elsewhere():
    page = briefing_html(plan_of(teams=("Alpha", "<b>Bravo</b>")))
    assert "<script" not in page and "<b>Bravo" not in page and "&lt;b&gt;Bravo&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; =HYPERLINK" in page
    assert "Elm &lt;ward&gt;" in page
    assert not re.search(r"""(src|href)\s*=|@import|url\(|<link|<script|<img|<iframe""", page, flags=re.I)


def test_the_csv_has_a_row_per_visit_with_offsets_and_neutralised_formulas():
    plan = plan_of()
    data = briefing_csv(plan)
    assert data.startswith("\ufeff".encode())
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == BRIEFING_COLUMNS and len(table) == len(plan.slots) == 6
    # BST starts Sun 30 March 01:00 GMT: a visit before has +00:00, after +01:00
    for start, day, time in zip(table["start_time"], table["date"], table["start"], strict=True):
        stamp = pd.Timestamp(start)
        assert stamp.strftime("%Y-%m-%d %H:%M") == f"{day} {time}"
        assert start.endswith("+00:00" if stamp < pd.Timestamp("2025-03-30 01:00Z") else "+01:00")
    hostile = table[table["place"].str.contains("script")]
    assert len(hostile) == 2 and hostile["place"].str.startswith("<script").all()
    assert hostile["reason"].str.startswith("<script").all()  # starts with "<": no formula; the "=" inside is text
    formulas = ["=cmd|' /C calc'!A0", "+1", "@SUM(1)"]
    assert set(briefing_frame(plan_of(names=formulas))["place"]) == set(formulas)  # the frame keeps the names
    neutral = pd.read_csv(io.BytesIO(briefing_csv(plan_of(names=formulas))), dtype=str, encoding="utf-8-sig")
    assert set(neutral["place"]) == {"'" + f for f in formulas}


def test_a_one_place_team_has_no_round_to_walk():
    plan = plan_of(teams=("A", "B", "C"))
    page = briefing_html(plan)
    assert page.count(": one place.") == 3
