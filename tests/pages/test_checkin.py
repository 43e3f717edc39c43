"""The check-in page on a phone: this week's places, "Arrived" then "Left", stored as pings; a unit, never a name.

One app session (the Patrol team role) over a copy of the demo town drives the
whole page: no plan yet, a plan saved, no call sign, a late arrival, the stay.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import h3
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.checkin import this_week
from geo.store import Store
from tests.conftest import patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"
LONDON = "Europe/London"
# two places in the demo town's area (any hexagon in Great Britain would do for a check-in)
NORTH = h3.str_to_int(h3.latlng_to_cell(51.4545, -2.5879, 9))
SOUTH = h3.str_to_int(h3.latlng_to_cell(51.4480, -2.5930, 9))
REASON = "hot spot (99 % confidence); 3 flagged addresses"  # case words: never shown on the phone


def _slots(week: dt.date) -> pd.DataFrame:
    start = pd.Timestamp(dt.datetime.combine(week, dt.time(14)), tz=LONDON)
    rows = [
        ("Team 1", 1, NORTH, "Beacon Court", "Millbrook (synthetic)", start),
        ("Team 1", 2, SOUTH, "Dock Lane <b>east</b>", "", start + pd.Timedelta(hours=1)),
        ("Team 1", 1, NORTH, "Beacon Court", "Millbrook (synthetic)", start + pd.Timedelta(days=2)),
    ]
    return pd.DataFrame(
        [
            {
                "week": week,
                "team": team,
                "order": order,
                "cell": cell,
                "res": 9,
                "place": place,
                "ward": ward,
                "start": when,
                "minutes": 15,
                "reason": REASON,
            }
            for team, order, cell, place, ward, when in rows
        ]
    )


@pytest.fixture
def phone(demo_town, tmp_path, monkeypatch):
    db = store_url(tmp_path / "checkin.sqlite", template=demo_town)
    monkeypatch.setenv("NESTWATCH_DB", db)
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    store = Store(db)
    week = this_week()
    app = AppTest.from_file(str(APP), default_timeout=patience(30))
    app.run()
    app.selectbox(key="auth_view_as").set_value("team").run()
    app.switch_page("pages/checkin.py").run()
    assert not app.exception
    yield app, store, week
    store.dispose()


def _text(app: AppTest) -> str:
    parts = [m.value for m in (*app.markdown, *app.caption, *app.info, *app.success, *app.error, *app.title)]
    return "\n".join(str(p) for p in parts)


def _buttons(app: AppTest) -> dict[str, tuple[str, bool]]:
    return {b.key: (b.label, b.disabled) for b in app.button if b.key and b.key.startswith("c_")}


def test_a_team_checks_in_and_out_of_this_weeks_places(phone):
    app, store, week = phone
    from geo.store.patrols import open_checkins, read_pings, read_plan, save_plan

    # no plan saved for this week (unless the demo saved one): the page says who makes one, and offers no button
    if read_plan(store, week=week) is None:
        assert "No plan has been saved for this week yet" in _text(app) and not _buttons(app)
    assert "never an officer's name" in _text(app)

    save_plan(store, _slots(week), week=week, user="inspector", options={})
    app.run()
    assert not app.exception
    # one card per place in route order; no call sign yet: every Arrived button is there but off
    assert [m.value for m in app.markdown if m.value.startswith("####")] == [
        "#### Beacon Court",
        "#### Dock Lane \\<b\\>east\\</b\\>",  # a place's name is text, never markup
    ]
    assert _buttons(app) == {f"c_arrived_{NORTH}": ("Arrived", True), f"c_arrived_{SOUTH}": ("Arrived", True)}
    text = _text(app)
    assert "2 visits planned this week" in text and "1 visit planned this week" in text
    assert "Millbrook (synthetic)" in text and "outside the wards" in text
    assert REASON not in text and "flagged" not in text  # no case data on a phone
    assert not app.get("component_instance")  # no map

    # a call sign, and an arrival pressed 15 minutes late
    app.text_input(key="unit").set_value("  B21 ").run()
    assert _buttons(app)[f"c_arrived_{NORTH}"] == ("Arrived", False)
    app.selectbox(key="c_when").set_value(15).run()
    before = pd.Timestamp.now(tz="UTC")
    app.button(key=f"c_arrived_{NORTH}").click().run()
    after = pd.Timestamp.now(tz="UTC")
    assert not app.exception
    [done] = [s.value for s in app.success]
    assert done.startswith("B21 arrived at Beacon Court at ") and done.endswith("Press Left when you go.")
    # Left only after Arrived, and only there; the late-press choice is back to "just now"
    assert _buttons(app) == {f"c_left_{NORTH}": ("Left", False), f"c_arrived_{SOUTH}": ("Arrived", False)}
    assert app.selectbox(key="c_when").value == 0
    [arrival] = open_checkins(store, unit="B21", user="demo")["arrived_at"].tolist()
    late = pd.Timedelta(minutes=15)
    assert before - late <= pd.Timestamp(arrival) <= after - late

    app.button(key=f"c_left_{NORTH}").click().run()  # "just now": the stay runs from 15 minutes ago to now
    assert not app.exception
    gone = pd.Timestamp.now(tz="UTC")
    [done] = [s.value for s in app.success]
    assert done.startswith("B21 left Beacon Court at ") and done.endswith(", after 15 minutes.")
    assert open_checkins(store, unit="B21", user="demo").empty
    assert set(_buttons(app)) == {f"c_arrived_{NORTH}", f"c_arrived_{SOUTH}"}
    # stored as the unit's pings at the place's centre, from the arrival to the leaving, one stay
    pings = read_pings(store, start=week, end=week + dt.timedelta(days=6))
    mine = pings[pings["unit"] == "B21"]
    assert set(mine["source"]) == {"check-in"}
    lat, lng = h3.cell_to_latlng(h3.int_to_str(NORTH))
    assert mine["lat"].to_numpy() == pytest.approx(lat) and mine["lng"].to_numpy() == pytest.approx(lng)
    assert mine["time"].min() == pd.Timestamp(arrival)
    assert late <= mine["time"].max() - mine["time"].min() <= late + (gone - before)
    assert mine["time"].diff().dropna().max() <= pd.Timedelta(minutes=5)  # one continuous stay by the stay rule
    # (the call sign kept in the address, ?unit=B21, is the browser's doing: tests/dashboard/test_browser_patrols.py)
