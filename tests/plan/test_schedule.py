"""The plan with a dose: shifts as text, random slots inside them, the hour and day rules, hot hours."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from geo.core.errors import OptionError
from geo.plan.schedule import (
    NO_TIMES,
    SLOT_COLUMNS,
    Dose,
    hot_hours,
    parse_shifts,
    plan_week,
    week_monday,
    week_plan,
    week_routes,
)
from geo.space.hexes import points_to_cells
from geo.store.importer import ImportOptions, import_path
from tests.conftest import ONE_WARD, police_csv, police_row

UTC = dt.UTC


def places(n: int, *, lat: float = 51.45, lng: float = -2.59, step: float = 0.006) -> pd.DataFrame:
    """``n`` places 416 m apart (0.006 degrees of longitude) along a line of latitude, in priority order."""
    lats = np.full(n, lat)
    lngs = lng + step * np.arange(n)
    cells = points_to_cells(lats, lngs, res=9)
    return pd.DataFrame(
        {
            "cell": cells.astype(np.int64),
            "place": [f"Place {i}" for i in range(n)],
            "ward": "Park",
            "reasons": [f"reason {i}" for i in range(n)],
            "lat": lats,
            "lng": lngs,
        }
    )


def local(slots: pd.DataFrame) -> pd.Series:
    return slots["start"].dt.tz_convert("Europe/London")


def clock_hours(slots: pd.DataFrame) -> pd.Series:
    """(date, hour) of a visit's first and last minute, as wall-clock labels."""
    first = local(slots)
    last = (slots["start"] + pd.to_timedelta(slots["minutes"] - 1, unit="min")).dt.tz_convert("Europe/London")
    return pd.Series(
        [{(a.date(), a.hour), (b.date(), b.hour)} for a, b in zip(first, last, strict=True)],
        index=slots.index,
    )


# --------------------------------------------------------------------------- shifts


def test_shifts_are_read_from_text_with_ranges_lists_and_overnight():
    shifts = parse_shifts("Mon-Fri 14:00-22:00; Sat 18:00-2:00")
    assert [str(s) for s in shifts.shifts] == [f"{d} 14:00-22:00" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")] + [
        "Sat 18:00-02:00"
    ]
    assert str(shifts) == "Mon-Fri 14:00-22:00; Sat 18:00-02:00" and parse_shifts(str(shifts)) == shifts
    assert [s.overnight for s in shifts.shifts] == [False] * 5 + [True]
    wrapped = parse_shifts("fri-mon 22:00-06:00")  # a range may wrap round the week
    assert [s.day for s in wrapped.shifts] == [0, 4, 5, 6] and str(wrapped) == "Mon,Fri-Sun 22:00-06:00"
    assert str(parse_shifts("Tuesday,thu 09:30-12:00\nSun 23:00-00:00")) == "Tue,Thu 09:30-12:00; Sun 23:00-00:00"
    assert len(parse_shifts("daily 10:00-11:00").shifts) == 7


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no shifts given"),
        ("  ;  ", "no shifts given"),
        ("Mno 14:00-22:00", "unknown day 'Mno'"),
        ("Mon 25:00-26:00", "'25:00' is not a time HH:MM"),
        ("Mon 14:60-22:00", "'14:60' is not a time"),
        ("Mon 14:00-24:00", "midnight is 00:00"),
        ("Mon 14:00", "write days then a time range"),
        ("Mon 14:00-14:00", "starts and ends at 14:00"),
        ("Mon-Fri 14:00-22:00; Wed 20:00-23:00", "shifts overlap: Wed 14:00-22:00 and Wed 20:00-23:00"),
        ("Mon 22:00-06:00; Tue 05:00-09:00", "shifts overlap"),  # an overnight shift runs into the next day
        ("Mon,Mon 10:00-11:00", "names a day twice"),
        ("Mon-Fri 14:00-22:00; Sat 18:00 to 02:00", "shift 2 'Sat 18:00 to 02:00'"),
    ],
)
def test_bad_shifts_are_refused_naming_what_is_wrong(text, words):
    with pytest.raises(OptionError, match=None) as err:
        parse_shifts(text)
    assert words in str(err.value) and err.value.option == "shifts"


def test_a_sunday_night_shift_runs_into_next_monday_without_overlapping_this_one():
    assert len(parse_shifts("Sun 22:00-06:00; Mon 00:00-08:00").shifts) == 2


def test_a_week_is_the_monday_of_the_day_given_and_says_so():
    assert week_monday(dt.date(2025, 3, 3)) == (dt.date(2025, 3, 3), None)
    monday, note = week_monday(dt.date(2025, 3, 6))
    assert monday == dt.date(2025, 3, 3)
    assert note is not None and "Thursday 6 March 2025 is not a Monday" in note and "Monday 3 March 2025" in note


@pytest.mark.parametrize("dose", [{"minutes": 0}, {"minutes": 61}, {"visits_per_week": 0}, {"visits_per_week": 29}])
def test_a_dose_out_of_range_is_refused(dose):
    with pytest.raises(OptionError, match="must be a whole number"):
        Dose(**dose)


# --------------------------------------------------------------------------- the slots


def test_slots_have_the_contract_columns_and_the_seed_repeats():
    a = week_plan(places(4), week=dt.date(2025, 3, 5), shifts="Mon-Fri 14:00-22:00", seed=7)
    b = week_plan(places(4), week=dt.date(2025, 3, 5), shifts="Mon-Fri 14:00-22:00", seed=7)
    c = week_plan(places(4), week=dt.date(2025, 3, 5), shifts="Mon-Fri 14:00-22:00", seed=8)
    assert list(a.columns) == SLOT_COLUMNS and len(a) == 4 * 3
    pd.testing.assert_frame_equal(a, b)
    assert not a["start"].equals(c["start"])
    assert (a["week"] == dt.date(2025, 3, 3)).all()  # a Wednesday means its week
    assert str(a["start"].dt.tz) == "Europe/London" and (a["minutes"] == 15).all() and (a["res"] == 9).all()
    assert a["reason"].str.startswith("reason ").all()


def _inside(slots: pd.DataFrame, windows: list[tuple[str, str]]) -> bool:
    """Every visit, start to end, within one of the hand-written UTC windows."""
    bounds = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows]
    ends = slots["start"] + pd.to_timedelta(slots["minutes"], unit="min")
    return all(any(a <= s and e <= b for a, b in bounds) for s, e in zip(slots["start"], ends, strict=True))


def test_every_slot_is_inside_a_shift_and_overnight_ones_cross_midnight():
    slots = week_plan(places(3), week=dt.date(2025, 2, 3), shifts="Sat 18:00-02:00; Sun 20:00-01:00", seed=3)
    # February: GMT = UTC. Sat 8th 18:00 to Sun 9th 02:00; Sun 9th 20:00 to Mon 10th 01:00 (next week's Monday)
    assert _inside(slots, [("2025-02-08 18:00Z", "2025-02-09 02:00Z"), ("2025-02-09 20:00Z", "2025-02-10 01:00Z")])
    assert (local(slots).dt.hour < 2).any()  # some visits after midnight (with 9 visits over 13 hours: surely)


def test_the_march_clock_change_week_keeps_slots_in_real_shift_time():
    # Sun 30 March 2025 the clocks go from 01:00 GMT to 02:00 BST: Sat 18:00 GMT .. Sun 02:00 BST is 7 real hours
    slots = week_plan(places(1), week=dt.date(2025, 3, 24), shifts="Sat 18:00-02:00", dose=Dose(4, 15), seed=1)
    assert _inside(slots, [("2025-03-29 18:00Z", "2025-03-30 01:00Z")])
    assert str(slots["start"].dt.tz) == "Europe/London"
    # clock hours Sat 18..23 and Sun 00: seven, so an eighth visit cannot have an hour of its own
    with pytest.raises(OptionError, match="does not fit the shifts"):
        week_plan(places(1), week=dt.date(2025, 3, 24), shifts="Sat 18:00-02:00", dose=Dose(8, 15))


def test_the_october_clock_change_repeats_an_hour_that_is_still_one_clock_hour():
    # Sun 26 October 2025 01:00-02:00 happens twice; Sat 22:00 BST (21:00Z) .. Sun 04:00 GMT (04:00Z) is 7 real
    # hours, but 6 clock hours on the wall (22, 23, 00, 01, 02, 03)
    slots = week_plan(places(1), week=dt.date(2025, 10, 20), shifts="Sat 22:00-04:00", dose=Dose(5, 15), seed=2)
    assert _inside(slots, [("2025-10-25 21:00Z", "2025-10-26 04:00Z")])
    labels = [label for hours in clock_hours(slots) for label in hours]
    assert len(labels) == len(set(labels))
    with pytest.raises(OptionError, match="does not fit the shifts"):
        week_plan(places(1), week=dt.date(2025, 10, 20), shifts="Sat 22:00-04:00", dose=Dose(7, 15))


@pytest.mark.parametrize("seed", range(8))
def test_a_place_never_has_two_visits_in_one_clock_hour(seed):
    # one 8-hour day, 6 visits of 20 minutes to each of 2 places: the hour rule is all that keeps them apart
    slots = week_plan(places(2), week=dt.date(2025, 6, 2), shifts="Mon 14:00-22:00", dose=Dose(6, 20), seed=seed)
    for _cell, visits in slots.groupby("cell"):
        labels = [label for hours in clock_hours(visits) for label in hours]
        assert len(labels) == len(set(labels)), labels


@pytest.mark.parametrize("seed", range(6))
def test_visits_of_a_place_fall_on_different_days_while_the_shifts_allow(seed):
    spread = week_plan(places(5), week=dt.date(2025, 6, 2), shifts="Mon-Fri 14:00-22:00", seed=seed)
    assert (spread.groupby("cell")["start"].agg(lambda s: s.dt.date.nunique()) == 3).all()
    # two days for three visits: both days used, so one day twice and never all three on one day
    short = week_plan(places(2), week=dt.date(2025, 6, 2), shifts="Mon,Tue 14:00-22:00", seed=seed)
    assert (short.groupby("cell")["start"].agg(lambda s: s.dt.date.nunique()) == 2).all()


def test_an_overnight_shift_is_one_day_of_work_for_the_day_rule():
    # Fri and Sat nights 20:00-04:00: a visit at 01:00 Saturday belongs to Friday's shift
    for seed in range(6):
        slots = week_plan(places(1), week=dt.date(2025, 6, 2), shifts="Fri,Sat 20:00-04:00", dose=Dose(2), seed=seed)
        shift_day = (local(slots) - pd.Timedelta(hours=4)).dt.date  # 20:00-04:00 less 4 h is one date
        assert shift_day.nunique() == 2


@pytest.mark.parametrize("seed", range(4))
def test_a_team_is_never_in_two_places_at_once(seed):
    slots = week_plan(
        places(6), week=dt.date(2025, 6, 2), shifts="Mon-Wed 18:00-22:00", dose=Dose(3, 15), seed=seed, teams=["A"]
    )
    starts = slots.sort_values("start")["start"]
    gaps = starts.diff().dropna()
    assert (gaps >= pd.Timedelta(minutes=15 + 10)).all()  # a visit, then ten minutes to the next place


def test_the_dose_that_does_not_fit_is_refused_in_words():
    with pytest.raises(OptionError, match="does not fit the shifts") as err:
        week_plan(places(1), week=dt.date(2025, 6, 2), shifts="Mon 14:00-15:00", dose=Dose(2, 15))
    assert "Place 0" in str(err.value) and "fewer visits" in str(err.value)


def test_teams_share_the_places_as_neighbouring_stretches_with_their_own_rounds():
    frame = places(5)
    route, lengths = week_routes(frame, teams=["A", "B"])
    # along a line from the first place the round goes 0 1 2 3 4 (and back): A takes 0-2, B 3-4
    assert route["place"].tolist() == ["Place 0", "Place 1", "Place 2", "Place 3", "Place 4"]
    assert route["team"].tolist() == ["A", "A", "A", "B", "B"] and route["order"].tolist() == [1, 2, 3, 1, 2]
    leg = route["leg_m"].to_numpy()
    assert leg[0] == 0 and leg[3] == 0 and leg[1] == pytest.approx(0.006 * 111_195 * np.cos(np.radians(51.45)), 0.01)
    assert lengths["B"] == pytest.approx(2 * leg[4])
    slots = week_plan(frame, week=dt.date(2025, 6, 2), shifts="Mon-Fri 14:00-22:00", teams=["A", "B"])
    assert slots.groupby("team")["cell"].nunique().to_dict() == {"A": 3, "B": 2}
    assert slots["team"].tolist() == ["A"] * 9 + ["B"] * 6


@pytest.mark.parametrize(
    ("teams", "words"),
    [
        ([], "at least one team"),
        (["A", "A"], "named twice"),
        (["A", ""], "1-100 printable"),
        (list("ABCDEF"), "6 teams for 5 places"),
    ],
)
def test_bad_teams_are_refused(teams, words):
    with pytest.raises(OptionError, match=words):
        week_plan(places(5), week=dt.date(2025, 6, 2), shifts="Mon 14:00-22:00", teams=teams)


# --------------------------------------------------------------------------- hot hours


def test_hot_hours_weigh_each_hour_by_its_timed_incidents_plus_one_spread_over_the_day():
    frame = places(3)
    a, b, c = (int(x) for x in frame["cell"])
    lat, lng = 51.45, -2.59 + 0.006 * np.arange(3)
    incidents = pd.DataFrame(
        {
            "lat": [lat] * 9,
            "lng": [lng[0]] * 6 + [lng[1]] * 2 + [lng[2] + 0.1],
            "time": ["20:05", "20:59:59", "20:00", "03:15", "", "7pm", None, "25:00", "20:10"],
        }
    )
    hot = hot_hours(incidents, cells=np.array([a, b, c]), res=9)
    assert set(hot["cell"]) == {a}  # B's times are unreadable; the last row lies in no place
    w = hot.set_index("hour")["weight"]
    # 4 timed incidents: 3 at 20:xx, 1 at 03:xx; weight = 24 (n + 1) / (4 + 24)
    assert w[20] == pytest.approx(24 * 4 / 28) and w[3] == pytest.approx(24 * 2 / 28) and w[0] == pytest.approx(24 / 28)
    assert w.sum() == pytest.approx(24)
    assert hot_hours(incidents.assign(time=""), cells=np.array([a]), res=9).empty


def test_hot_hours_lean_the_slots_towards_the_hot_hour():
    # 20 places, a team each (no team clash), three visits over seven days of 14:00-22:00, hour 20 weighing 20.
    # A visit on a day of its own can start at 14:00..21:45: 6 hours x 60 + 46 minutes outside hour 20, 60 in it.
    # P(hour 20) = 20*60 / (20*60 + 406) = 0.747 with the lean, 60 / 466 = 0.129 without: of 60 visits 44.8
    # (sd 3.4) against 7.7 (sd 2.6). The bounds 35 and 17 are about 3 sd out from each.
    frame = places(20)
    hot = pd.DataFrame({"cell": frame["cell"], "hour": 20, "weight": 20.0})
    common = {"week": dt.date(2025, 6, 2), "shifts": "daily 14:00-22:00", "teams": [f"T{i}" for i in range(20)]}
    leaning = week_plan(frame, **common, hot_hours=hot, seed=11)
    flat = week_plan(frame, **common, seed=11)
    assert (local(leaning).dt.hour == 20).sum() >= 35
    assert (local(flat).dt.hour == 20).sum() <= 17


# --------------------------------------------------------------------------- from the store


HERE = (51.45, -2.59)  # inside ONE_WARD


@pytest.fixture
def town(store, write):
    """One ward; 20 ASB incidents at HERE ("Park Street") and 6 at each of six points around it ("Elm Close")."""
    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1
    rows = [police_row(month="2024-02", lat=str(HERE[0]), lng=str(HERE[1]))] * 20
    for dlat, dlng in [(0.003, 0), (-0.003, 0), (0, 0.004), (0, -0.004), (0.0015, 0.003), (-0.0015, -0.003)]:
        at = {"lat": f"{HERE[0] + dlat:.6f}", "lng": f"{HERE[1] + dlng:.6f}"}
        rows += [police_row(month="2024-02", **at, location="On or near Elm Close")] * 6
    assert import_path(store, "incidents", write("i.csv", police_csv(*rows))).stored == 56
    return store


def test_a_plan_from_police_uk_alone_says_it_has_no_hours(town):
    plan = plan_week(town, week=dt.date(2024, 3, 6), shifts="Mon-Fri 14:00-22:00", top=3, teams=["B21"])
    assert plan.week == dt.date(2024, 3, 4) and not plan.hot_hours_known
    assert NO_TIMES in plan.notes and "police.uk gives no time of day" in NO_TIMES
    assert any("is not a Monday" in n for n in plan.notes)
    assert len(plan.places) == 3 and len(plan.slots) == 9 and set(plan.slots["ward"]) == {"Park"}
    assert plan.places["place"].tolist()[0] == "On or near Park Street"
    assert plan.options["shifts"] == "Mon-Fri 14:00-22:00" and plan.options["teams"] == ["B21"]


def test_partner_times_make_hot_hours_and_say_so(town, write):
    partner = "ref,month,category,lat,lng,time\n" + "".join(
        f"H{i},2024-02,Anti-social behaviour,{HERE[0]},{HERE[1]},{t}\n"
        for i, t in enumerate(["21:10", "21:40", "09:00"])
    )
    assert import_path(town, "incidents", write("h.csv", partner), ImportOptions(source="housing")).stored == 3
    plan = plan_week(town, week=dt.date(2024, 3, 4), shifts="Mon-Fri 14:00-22:00", top=3)
    assert plan.hot_hours_known and NO_TIMES not in plan.notes
    assert any(n.startswith("Hot hours: 3 of these places' incidents have a time of day") for n in plan.notes)
    busy = plan.slots[plan.slots["place"] == "On or near Park Street"]
    assert busy["reason"].str.contains("2 of its 3 timed incidents were between 21:00 and 22:00").all()
