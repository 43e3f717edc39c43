"""Planned against delivered per place (geo.plan.dosage), on hand-made stays, slots and stores.

Every expected figure is added up by hand from the fixtures' comments.
"""

from __future__ import annotations

import datetime as dt
import json

import h3
import numpy as np
import pandas as pd
import pytest

from geo.core.errors import OptionError
from geo.plan.dosage import DOSAGE_COLUMNS, TOTAL_FIELDS, dosage_for, dosage_table, dosage_totals
from geo.plan.places import LOCATION_COLUMNS, Places
from geo.store.importer import import_path
from tests.conftest import ONE_WARD

RES = 9
HOME = h3.latlng_to_cell(51.45, -2.59, RES)
NEXT, THIRD = sorted(h3.grid_ring(HOME, 1))[:2]
H, N, T = (h3.str_to_int(c) for c in (HOME, NEXT, THIRD))
AT = {H: h3.cell_to_latlng(HOME), N: h3.cell_to_latlng(NEXT), T: h3.cell_to_latlng(THIRD)}


def stays(*rows: tuple[str, int, float]) -> pd.DataFrame:
    """(unit, cell, minutes) per stay, all on one morning; a visit from 2 minutes."""
    start = pd.Timestamp("2026-03-02T10:00:00Z")
    return pd.DataFrame(
        {
            "unit": [u for u, _, _ in rows],
            "cell": np.array([c for _, c, _ in rows], dtype=np.int64),
            "start": pd.DatetimeIndex([start] * len(rows)),
            "end": pd.DatetimeIndex([start + pd.Timedelta(minutes=m) for _, _, m in rows]),
            "minutes": [float(m) for _, _, m in rows],
            "pings": [2] * len(rows),
            "visit": [m >= 2 for _, _, m in rows],
        }
    )


def slots(*rows: tuple[int, str, int]) -> pd.DataFrame:
    """(cell, place, minutes) per planned slot."""
    return pd.DataFrame(
        {
            "cell": np.array([c for c, _, _ in rows], dtype=np.int64),
            "place": [p for _, p, _ in rows],
            "minutes": [m for _, _, m in rows],
        }
    )


def position(cell: str) -> str:
    lat, lng = h3.cell_to_latlng(cell)
    return f"near {lat:.4f}° N, {-lng:.4f}° W"


def rows(table: pd.DataFrame) -> list[tuple]:
    return [tuple(None if v is pd.NA else v for v in r) for r in table.itertuples(index=False)]


#: HOME planned 3 x 15 min, NEXT 2 x 15; A7 (6 min) and B21 (10 min) at HOME together and a 1-minute pass by C3;
#: a 4-minute visit at THIRD, which was not planned.
PLAN = slots((H, "Beacon Court", 15), (N, "Park Street", 15), (H, "Beacon Court", 15), (N, "Park Street", 15))
PLAN = pd.concat([PLAN, slots((H, "Beacon Court", 15))], ignore_index=True)
DONE = stays(("A7", H, 6), ("B21", H, 10), ("C3", H, 1), ("A7", T, 4))


def test_minutes_are_unit_minutes_and_every_planned_or_visited_place_has_a_row():
    table = dosage_table(DONE, PLAN)
    assert list(table.columns) == DOSAGE_COLUMNS
    assert rows(table) == [
        (H, "Beacon Court", 3, 45, 2, 16.0, 1),  # two units at once: two visits, 6 + 10 unit-minutes; C3 passed
        (N, "Park Street", 2, 30, 0, 0.0, 0),
        (T, position(THIRD), 0, 0, 1, 4.0, 0),  # visited, not planned: planned 0 (a plan exists), named by position
    ]
    totals = dosage_totals(table, planned=True)
    assert list(totals) == TOTAL_FIELDS
    assert totals == {
        "planned_visits": 5,
        "planned_minutes": 75,
        "visits": 3,
        "minutes": 20.0,
        "passes": 1,
        "planned_places": 2,
        "places_visited": 2,
        "minutes_at_planned_places": 16.0,  # THIRD's 4 minutes deliver nothing of the plan
        "delivered_share": pytest.approx(16 / 75),
    }


def test_no_plan_saved_leaves_the_planned_columns_empty_and_a_plan_with_no_slots_gives_zeros():
    none = dosage_table(DONE, None)
    assert rows(none) == [(H, position(HOME), None, None, 2, 16.0, 1), (T, position(THIRD), None, None, 1, 4.0, 0)]
    assert str(none["planned_visits"].dtype) == "Int64" and str(none["planned_minutes"].dtype) == "Int64"
    totals = dosage_totals(none, planned=False)
    assert totals["planned_minutes"] is None and totals["delivered_share"] is None and totals["minutes"] == 20.0
    empty = dosage_table(DONE, PLAN.iloc[:0])
    assert rows(empty)[0][2:4] == (0, 0)
    zero = dosage_totals(empty, planned=True)
    assert (zero["planned_minutes"], zero["planned_places"], zero["delivered_share"]) == (0, 0, None)
    nothing = dosage_table(stays(), None)
    assert len(nothing) == 0 and list(nothing.columns) == DOSAGE_COLUMNS
    assert dosage_totals(nothing, planned=True)["planned_visits"] == 0


def test_places_name_cells_of_the_study_area_then_the_plans_name_then_the_position():
    known = np.array([H], dtype=np.uint64)
    places = Places(
        cells=known,
        names=np.array(["On or near Beacon Court"], dtype=object),
        rules=np.array(["location"], dtype=object),
        locations=pd.DataFrame({c: [] for c in LOCATION_COLUMNS}),
        areas=np.array([""], dtype=object),
        area_names={},
    )
    table = dosage_table(DONE, PLAN, places=places)
    assert table["place"].tolist() == ["On or near Beacon Court", "Park Street", position(THIRD)]


def pings_csv(*rows: tuple[str, str, int]) -> str:
    """unit, UTC time, cell per ping (at the cell's centre)."""
    body = "".join(f"{u},{t},{AT[c][0]!r},{AT[c][1]!r}\n" for u, t, c in rows)
    return "unit,time,lat,lng\n" + body


def test_dosage_for_reads_the_days_pings_a_stay_belonging_to_the_day_it_started(store, write):
    # Sunday 1 March 23:55 to Monday 00:07 at HOME (12 min); Monday 10:00-10:05 at NEXT; a pass at THIRD Tuesday.
    csv = pings_csv(
        ("B21", "2026-03-01T23:55:00Z", H),
        ("B21", "2026-03-01T23:59:00Z", H),
        ("B21", "2026-03-02T00:03:00Z", H),
        ("B21", "2026-03-02T00:07:00Z", H),
        ("A7", "2026-03-02T10:00:00Z", N),
        ("A7", "2026-03-02T10:05:00Z", N),
        ("A7", "2026-03-03T10:00:00Z", T),
    )
    assert import_path(store, "patrols", write("p.csv", csv)).stored == 7
    sunday = dosage_for(store, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1), res=RES)
    assert rows(sunday.table) == [(H, position(HOME), None, None, 1, 12.0, 0)]
    assert sunday.stays["pings"].tolist() == [4]
    assert any("no plan was saved" in n for n in sunday.notes)
    monday = dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3), res=RES)
    assert rows(monday.table) == [
        (N, position(NEXT), None, None, 1, 5.0, 0),
        (T, position(THIRD), None, None, 0, 0.0, 1),
    ]
    assert monday.totals["visits"] == 1 and monday.totals["passes"] == 1 and monday.totals["planned_visits"] is None


def test_dosage_for_names_places_in_the_study_area_and_checks_its_options(store, write):
    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1
    assert import_path(store, "patrols", write("p.csv", pings_csv(("A7", "2026-03-02T10:00:00Z", H)))).stored == 1
    got = dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), res=RES)
    assert got.table["place"].tolist() == ["in Park ward"]  # no incidents: the ward holding the cell's centre
    with pytest.raises(OptionError, match="wrong way round"):
        dosage_for(store, start=dt.date(2026, 3, 3), end=dt.date(2026, 3, 2))
    with pytest.raises(OptionError, match="resolution"):
        dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), res=13)


def plan_slots(*rows: tuple[int, str, int], res: int = RES) -> pd.DataFrame:
    """A saved week's slots (S's SLOT_COLUMNS): (cell, London start, minutes) each, week of Monday 2 March."""
    return pd.DataFrame(
        {
            "week": [dt.date(2026, 3, 2)] * len(rows),
            "team": ["Team 1"] * len(rows),
            "order": list(range(1, len(rows) + 1)),
            "cell": np.array([c for c, _, _ in rows], dtype=np.int64),
            "res": [res] * len(rows),
            "place": ["Beacon Court" if c == H else "Park Street" for c, _, _ in rows],
            "ward": ["E05000001"] * len(rows),
            "start": pd.DatetimeIndex([s for _, s, _ in rows]).tz_localize("Europe/London"),
            "minutes": [m for _, _, m in rows],
            "reason": ["hot spot"] * len(rows),
        }
    )


def test_dosage_for_joins_the_saved_plan_per_place_on_uk_days(store, write):
    from geo.store.patrols import save_plan

    week = dt.date(2026, 3, 2)
    plan = plan_slots((H, "2026-03-02 10:00", 15), (H, "2026-03-04 14:00", 15), (N, "2026-03-08 23:30", 15))
    save_plan(store, plan, week=week, user="inspector", options={})
    # B21 at HOME Monday 10:00-10:12 (12 min); at NEXT Sunday 23:30 to Monday 00:05 every 5 min (35 min, Sunday's);
    # A7 passes THIRD on Tuesday (one ping).
    at_next = [f"2026-03-08T23:{m}:00Z" for m in (30, 35, 40, 45, 50, 55)] + ["2026-03-09T00:00:00Z"]
    csv = pings_csv(
        ("B21", "2026-03-02T10:00:00Z", H),
        ("B21", "2026-03-02T10:05:00Z", H),
        ("B21", "2026-03-02T10:10:00Z", H),
        ("B21", "2026-03-02T10:12:00Z", H),
        *(("B21", t, N) for t in [*at_next, "2026-03-09T00:05:00Z"]),
        ("A7", "2026-03-03T09:00:00Z", T),
    )
    assert import_path(store, "patrols", write("p.csv", csv)).stored == 13
    whole = dosage_for(store, start=week, end=dt.date(2026, 3, 8), res=RES)
    assert rows(whole.table) == [
        (H, "Beacon Court", 2, 30, 1, 12.0, 0),  # no wards (no study area): the plan's names
        (N, "Park Street", 1, 15, 1, 35.0, 0),
        (T, position(THIRD), 0, 0, 0, 0.0, 1),  # not planned: its position
    ]
    assert whole.totals["delivered_share"] == pytest.approx(47 / 45)
    assert (whole.totals["planned_places"], whole.totals["minutes_at_planned_places"]) == (2, 47.0)
    tuesday = dosage_for(store, start=dt.date(2026, 3, 3), end=dt.date(2026, 3, 3), res=RES)
    assert rows(tuesday.table) == [(T, position(THIRD), 0, 0, 0, 0.0, 1)]  # a plan exists for the week: 0, not NA
    assert tuesday.totals["planned_minutes"] == 0 and tuesday.totals["delivered_share"] is None
    next_monday = dosage_for(store, start=dt.date(2026, 3, 9), end=dt.date(2026, 3, 9), res=RES)
    assert len(next_monday.table) == 0  # the stay over midnight was Sunday's
    assert next_monday.totals["planned_minutes"] is None  # no plan saved for that week
    with pytest.raises(OptionError, match="resolution 9, not 10: ask for --res 9"):
        dosage_for(store, start=week, end=week, res=10)


def test_a_check_in_arrived_then_left_is_one_visit_of_the_minutes_between(store):
    from geo.store.patrols import record_checkin

    lat, lng = AT[H]
    press = {"unit": "Team 2", "cell": H, "lat": lat, "lng": lng, "user": "team"}
    record_checkin(store, action="arrived", at=dt.datetime(2026, 3, 2, 10, 0, 30, tzinfo=dt.UTC), **press)
    record_checkin(store, action="left", at=dt.datetime(2026, 3, 2, 10, 12, 10, tzinfo=dt.UTC), **press)
    got = dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), res=RES)
    assert rows(got.table) == [(H, position(HOME), None, None, 1, pytest.approx(11 + 40 / 60), 0)]
    assert got.stays["pings"].tolist() == [13]  # 10:00:30, a ping a minute to 11:30, and 10:12:10


def test_counts_are_whole_numbers_and_minutes_are_minutes():
    table = dosage_table(DONE, PLAN)
    assert table["visits"].dtype == np.int64 and table["passes"].dtype == np.int64
    assert table["cell"].dtype == np.int64 and table["minutes"].dtype == np.float64
    assert str(table["planned_visits"].dtype) == "Int64" and str(table["planned_minutes"].dtype) == "Int64"


def test_the_study_areas_names_are_found_for_its_first_and_last_cells_and_none_beyond():
    low, middle, high = sorted([H, N, T])
    places = Places(
        cells=np.array([low, middle], dtype=np.uint64),
        names=np.array(["Lowest", "Middle"], dtype=object),
        rules=np.array(["location", "location"], dtype=object),
        locations=pd.DataFrame({c: [] for c in LOCATION_COLUMNS}),
        areas=np.array(["", ""], dtype=object),
        area_names={},
    )
    # one 3-minute visit at each cell, so the table is in cell order; ``high`` is past the study area's last cell
    table = dosage_table(stays(("A", low, 3), ("A", middle, 3), ("A", high, 3)), None, places=places)
    by_id = {v: k for k, v in zip((HOME, NEXT, THIRD), (H, N, T), strict=True)}
    assert table["cell"].tolist() == [low, middle, high]
    assert table["place"].tolist() == ["Lowest", "Middle", position(by_id[high])]


def test_a_slot_without_a_place_name_gives_none_and_the_plans_first_name_for_a_cell_is_used():
    # HOME's only slot has no name: its position. NEXT's first slot is blank, its second "Park Street": that name.
    plan = pd.DataFrame(
        {
            "cell": np.array([H, N, N, N], dtype=np.int64),
            "place": [None, "", "Park Street", "Park St"],
            "minutes": [15, 15, 15, 15],
        }
    )
    table = dosage_table(stays(), plan)
    assert rows(table) == [
        (N, "Park Street", 3, 45, 0, 0.0, 0),
        (H, position(HOME), 1, 15, 0, 0.0, 0),
    ]


def test_the_resolution_of_a_cell_is_read_from_its_index():
    from geo.plan.dosage import _res_of

    for res in (6, 9, 10, 11):
        cell = h3.str_to_int(h3.latlng_to_cell(51.45, -2.59, res))
        assert _res_of(np.uint64(cell)) == res


def test_dosage_for_is_at_resolution_9_unless_asked_and_gives_the_stays_of_the_days(store, write):
    from geo.space.stays import STAY_COLUMNS

    # A7 at HOME 10:00-10:04 on Monday 2 March: one 4-minute visit
    csv = pings_csv(("A7", "2026-03-02T10:00:00Z", H), ("A7", "2026-03-02T10:04:00Z", H))
    assert import_path(store, "patrols", write("p.csv", csv)).stored == 2
    got = dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2))
    assert rows(got.table) == [(H, position(HOME), None, None, 1, 4.0, 0)]
    assert list(got.stays.columns) == STAY_COLUMNS and got.stays.index.tolist() == [0]
    assert not any("no patrol pings" in n for n in got.notes)
    at_10 = dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), res=10)
    assert at_10.table["cell"].tolist() == [h3.str_to_int(h3.latlng_to_cell(*AT[H], 10))]


def test_pings_two_days_either_side_are_not_the_days_pings(store, write):
    # pings on Saturday 28 February and Wednesday 4 March only; asking for Monday 2 March
    csv = pings_csv(("A7", "2026-02-28T12:00:00Z", H), ("A7", "2026-03-04T12:00:00Z", H))
    assert import_path(store, "patrols", write("p.csv", csv)).stored == 2
    got = dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), res=RES)
    assert len(got.table) == 0 and len(got.stays) == 0
    assert "no patrol pings or check-ins are stored for these days" in got.notes
    assert got.totals["visits"] == 0 and got.totals["passes"] == 0


def test_dosage_for_names_the_option_to_blame(store):
    from geo.store.patrols import save_plan

    cases = [
        ({"start": dt.datetime(2026, 3, 2, 10, 0), "end": dt.date(2026, 3, 2)}, "from"),
        ({"start": dt.date(2026, 3, 2), "end": dt.datetime(2026, 3, 2, 10, 0)}, "to"),
        ({"start": dt.date(2026, 3, 3), "end": dt.date(2026, 3, 2)}, "from"),
    ]
    for kwargs, option in cases:
        with pytest.raises(OptionError) as raised:
            dosage_for(store, **kwargs, res=RES)
        assert raised.value.option == option
    save_plan(store, plan_slots((H, "2026-03-02 10:00", 15)), week=dt.date(2026, 3, 2), user="inspector", options={})
    with pytest.raises(OptionError, match="ask for --res 9") as raised:
        dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), res=10)
    assert raised.value.option == "res"


def test_a_slot_is_on_the_uk_day_its_start_falls_on_in_summer_too(store):
    from geo.store.patrols import save_plan

    # Monday 1 June 2026 (BST): a slot at 00:30 on Tuesday 2 June London, which is 23:30 UTC on Monday
    week = dt.date(2026, 6, 1)
    plan = plan_slots((H, "2026-06-02 00:30", 15)).assign(week=[week])
    save_plan(store, plan, week=week, user="inspector", options={})
    tuesday = dosage_for(store, start=dt.date(2026, 6, 2), end=dt.date(2026, 6, 2), res=RES)
    assert rows(tuesday.table) == [(H, "Beacon Court", 1, 15, 0, 0.0, 0)]
    monday = dosage_for(store, start=week, end=week, res=RES)
    assert len(monday.table) == 0 and monday.totals["planned_minutes"] == 0  # a plan exists for the week, no slot


def test_a_stay_longer_than_a_day_that_began_on_the_last_day_keeps_all_its_minutes(store, write):
    # A7 pings at HOME every 5 minutes from Monday 2 March 23:00 UTC (23:00 GMT) to Wednesday 4 March 01:00 UTC:
    # one stay (no gap over 5 minutes), Monday's, of 26 hours = 1560 minutes and 26 * 12 + 1 = 313 pings
    times = pd.date_range("2026-03-02T23:00:00Z", "2026-03-04T01:00:00Z", freq="5min")
    csv = pings_csv(*(("A7", f"{t:%Y-%m-%dT%H:%M:%SZ}", H) for t in times))
    assert import_path(store, "patrols", write("p.csv", csv)).stored == 313
    got = dosage_for(store, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), res=RES)
    assert got.stays["pings"].tolist() == [313]
    assert rows(got.table) == [(H, position(HOME), None, None, 1, 1560.0, 0)]
