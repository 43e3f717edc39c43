"""The Patrols page: plan a week, the briefing behind a reason, planned against delivered, and did it work.

One app session (an inspector) over a copy of the demo town drives the page
from a bad shifts text to a saved plan, then a check-in stored beside it
raises the week's delivered minutes by the minutes hand-counted here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.checkin import this_week
from geo.space.hexes import cells_to_latlng
from geo.store import Store
from tests.conftest import patience, store_url

APP = Path(__file__).resolve().parents[2] / "app.py"
DELIVERED = re.compile(r"^(\d+) minutes delivered(?: of (\d+) planned)?")


@pytest.fixture
def page(demo_town, tmp_path, monkeypatch):
    db = store_url(tmp_path / "patrols.sqlite", template=demo_town)
    monkeypatch.setenv("NESTWATCH_DB", db)
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    store = Store(db)
    app = AppTest.from_file(str(APP), default_timeout=patience(60))
    app.run()
    app.selectbox(key="auth_view_as").set_value("inspector").run()
    app.switch_page("pages/patrols.py").run()
    assert not app.exception
    yield app, store
    store.dispose()


def _submit(app: AppTest) -> None:
    [button] = [b for b in app.button if b.label == "Plan and save the week"]
    button.click().run()


def _delivered(app: AppTest) -> tuple[int, int | None]:
    [line] = [m.value for m in app.markdown if DELIVERED.match(m.value)]
    got = DELIVERED.match(line)
    assert got is not None
    return int(got.group(1)), int(got.group(2)) if got.group(2) else None


def _layers(app: AppTest) -> list[str]:
    [component] = app.get("component_instance")
    script = json.loads(component.proto.json_args)["script"]
    return [json.loads(p).get("name", "") for p in re.findall(r"^\s*var d = (.*);$", script, re.MULTILINE)]


def test_an_inspector_plans_the_week_takes_the_briefing_and_sees_delivered_minutes_rise(page):
    app, store = page
    from geo.store.patrols import read_plan, record_checkin

    week = this_week()
    # the form opens on next week's Monday, with an example of the shifts
    assert app.date_input(key="pp_week").value == week + dt.timedelta(days=7)
    assert app.text_input(key="pp_shifts").value == "Mon-Fri 14:00-22:00; Sat 18:00-02:00"

    # a shift that cannot be: one plain error line, nothing saved
    app.date_input(key="pp_week").set_value(week)
    app.text_input(key="pp_shifts").set_value("Mon-Fri 25:00-26:00")
    _submit(app)
    assert not app.exception
    assert app.error and "shift" in app.error[0].value.lower()
    saved_before = read_plan(store, week=week)

    # a real plan: two teams, 2 visits of 10 minutes at 4 places
    app.text_input(key="pp_shifts").set_value("Mon-Sun 08:00-20:00")
    app.text_input(key="pp_teams").set_value("North, South")
    app.number_input(key="pp_top").set_value(4)
    app.number_input(key="pp_visits").set_value(2)
    app.number_input(key="pp_minutes").set_value(10)
    _submit(app)
    assert not app.exception, app.exception
    [saved] = [s.value for s in app.success]
    assert "8 visits of 10 minutes at 4 places for North and South (80 minutes)." in saved
    slots = read_plan(store, week=week)
    assert slots is not None and len(slots) == 8 and (saved_before is None or not slots.equals(saved_before))
    # the week shown is the one planned; its visits listed under plain headings
    [listing] = [d.value for d in app.dataframe if "Why this place" in d.value.columns]
    assert list(listing.columns) == ["Team", "Stop", "Place", "Visits (UK time)", "Minutes", "Why this place"]
    # one row per stop: 4 places shared by two teams, 2 visits each (two times a row), 10 minutes a visit
    assert len(listing) == 4 and set(listing["Team"]) == {"North", "South"} and (listing["Minutes"] == 10).all()
    assert (
        listing["Visits (UK time)"]
        .str.fullmatch(r"\w{3} \d{2} \w{3} \d{2}:\d{2} · \w{3} \d{2} \w{3} \d{2}:\d{2}")
        .all()
    )
    assert not listing["Place"].str.contains(r"\b[0-9a-f]{15}\b").any()  # named places, not H3 ids
    assert (listing["Why this place"].str.len() > 0).all()

    # the briefing waits for a reason: no file exists before it
    downloads = {d.proto.label: d for d in app.get("download_button")}
    assert {"Briefing to print (HTML, A4)", "Briefing for tasking (CSV)"} <= set(downloads)
    assert all(downloads[k].proto.disabled for k in ("Briefing to print (HTML, A4)", "Briefing for tasking (CSV)"))
    app.text_input(key="pp_reason").set_value("Monday tasking").run()
    downloads = {d.proto.label: d for d in app.get("download_button")}
    assert not downloads["Briefing to print (HTML, A4)"].proto.disabled

    # planned vs delivered this week, before and after a 12-minute check-in at the first planned place
    delivered, planned = _delivered(app)
    assert planned == 80
    cell = int(slots["cell"].iloc[0])
    lat, lng = cells_to_latlng(pd.Series([cell]).to_numpy(dtype="uint64"))
    now = dt.datetime.now(dt.UTC)
    for action, ago in (("arrived", 20), ("left", 8)):
        record_checkin(
            store,
            unit="<img src=x onerror=alert(1)>",
            cell=cell,
            lat=float(lat[0]),
            lng=float(lng[0]),
            action=action,
            at=now - dt.timedelta(minutes=ago),
            user="demo",
        )
    app.run()
    assert not app.exception
    assert _delivered(app) == (delivered + 12, 80)
    [table] = [d.value for d in app.dataframe if "Minutes delivered" in d.value.columns]
    assert "cell" not in table.columns and "planned_minutes" not in table.columns
    assert table["Minutes delivered"].sum() >= 12
    [chart] = app.get("vega_lite_chart")  # a pair of bars per place: planned and delivered
    spec = json.loads(chart.proto.spec)
    assert spec["encoding"]["y"]["field"] == "place" and spec["encoding"]["x"]["title"] == "Minutes this week"
    layers = _layers(app)
    assert "Planned places" in layers and "Visits (2 minutes or more)" in layers
    [component] = app.get("component_instance")
    assert "<img src=x" not in component.proto.json_args  # the unit is text in the tooltip

    # did it work: the evaluation in words, with its caveats
    assert any(e.label == "What this can and cannot tell you" for e in app.expander)
