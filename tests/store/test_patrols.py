"""Patrol pings and homes in the store: exact accounting, UTC moments that round-trip and sort, reads by day."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.core.errors import InputError, OptionError
from geo.store import Store, export_all, import_all
from geo.store.importer import ImportOptions, delete_import, import_path
from geo.store.patrols import (
    PLAN_SLOT_COLUMNS,
    open_checkins,
    read_pings,
    read_plan,
    read_plan_slots,
    read_properties,
    record_checkin,
    save_plan,
)
from tests.conftest import drop_store, store_url

PINGS = "unit,time,lat,lng\r\n"


def test_pings_are_stored_in_utc_and_read_back_exactly_sorted_by_unit_and_time(store, write):
    path = write(
        "pings.csv",
        PINGS
        + "B22,2024-05-01T14:00:00Z,51.6,-0.13\r\n"
        + "B21,2024-05-01T15:01:00+01:00,51.5001,-0.1201\r\n"  # BST: 14:01 UTC
        + "B21,2024-05-01 14:00:30,51.5,-0.12\r\n"  # no offset: UTC
        + "B21,2024-05-01T14:00:30.250001Z,51.5002,-0.1202\r\n",  # a microsecond kept
    )
    result = import_path(store, "patrols", path)
    assert (result.rows, result.stored, result.rejected, result.already_present) == (4, 4, 0, 0)
    pings = read_pings(store)
    assert list(pings.columns) == ["unit", "time", "lat", "lng", "source"]
    assert str(pings["time"].dtype) == "datetime64[ns, UTC]"
    utc = dt.UTC
    assert pings["unit"].tolist() == ["B21", "B21", "B21", "B22"]
    assert pings["time"].tolist() == [
        pd.Timestamp(dt.datetime(2024, 5, 1, 14, 0, 30, tzinfo=utc)),
        pd.Timestamp(dt.datetime(2024, 5, 1, 14, 0, 30, 250001, tzinfo=utc)),
        pd.Timestamp(dt.datetime(2024, 5, 1, 14, 1, tzinfo=utc)),
        pd.Timestamp(dt.datetime(2024, 5, 1, 14, 0, tzinfo=utc)),
    ]
    assert pings["lat"].tolist() == [51.5, 51.5002, 51.5001, 51.6] and set(pings["source"]) == {"gps"}
    assert store.read("patrols")["time"].tolist()[1] == "2024-05-01T14:01:00.000000Z"  # the stored text


def test_days_are_whole_utc_days_and_the_end_is_inclusive(store, write):
    path = write(
        "pings.csv",
        PINGS
        + "B21,2024-04-30T23:59:59.999999Z,51.5,-0.12\r\n"
        + "B21,2024-05-01T00:30:00+01:00,51.5,-0.12\r\n"  # 23:30 on 30 April in UTC
        + "B21,2024-05-01T00:00:00Z,51.5,-0.12\r\n"
        + "B21,2024-05-02T23:59:59.999999Z,51.5,-0.12\r\n"
        + "B21,2024-05-03T00:00:00Z,51.5,-0.12\r\n",
    )
    import_path(store, "patrols", path)
    day = read_pings(store, start=dt.date(2024, 5, 1), end=dt.date(2024, 5, 2))
    assert [t.isoformat() for t in day["time"]] == ["2024-05-01T00:00:00+00:00", "2024-05-02T23:59:59.999999+00:00"]
    assert (
        len(read_pings(store, end=dt.date(2024, 4, 30))) == 2 and len(read_pings(store, start=dt.date(2024, 5, 3))) == 1
    )
    with pytest.raises(OptionError, match="after it ends"):
        read_pings(store, start=dt.date(2024, 5, 2), end=dt.date(2024, 5, 1))


def test_no_pings_read_as_an_empty_frame_of_the_same_types(store):
    pings = read_pings(store)
    assert pings.empty and str(pings["time"].dtype) == "datetime64[ns, UTC]" and pings["lat"].dtype == "float64"


def test_homes_keep_uprn_leading_zeros_and_read_missing_text_as_blank(store, write):
    path = write(
        "homes.csv",
        "Ref,Address,UPRN,Latitude,Longitude,Landlord,Block\r\n"
        "H1,1 Acacia Court,000100023336,51.5,-0.12,Council,Acacia Court\r\n"
        "H2,3 Elm Road,,51.501,-0.121,,\r\n"
        "H3,4 Elm Road,1.00023E+11,51.501,-0.121,,\r\n",  # a spreadsheet's number: refused
    )
    result = import_path(store, "properties", path)
    assert (result.stored, result.rejected) == (2, 1)
    homes = read_properties(store)
    assert homes.values.tolist() == [
        ["H1", "1 Acacia Court", "000100023336", 51.5, -0.12, "Council", "Acacia Court"],
        ["H2", "3 Elm Road", "", 51.501, -0.121, "", ""],
    ]
    assert store.rejects(kind="properties")["column"].tolist() == ["UPRN"]


# --------------------------------------------------------------------------- duplicates, re-imports, GPX


def test_a_ping_again_with_other_content_is_refused_against_the_store_and_the_same_row_is_already_present(store, write):
    stored = "B21,2024-05-01T14:00:00Z,51.5,-0.12\r\nB21,2024-05-01T14:01:00Z,51.5,-0.12\r\n"
    import_path(store, "patrols", write("a.csv", PINGS + stored))
    text = (
        PINGS
        + "B21,2024-05-01T15:01:00+01:00,51.6,-0.12\r\n"  # a stored unit and moment (a.csv row 3), somewhere else
        + "B21,2024-05-01T14:00:00Z,51.5,-0.12\r\n"  # a stored row again
        + "B22,2024-05-01T14:00:00Z,51.6,-0.12\r\n"
    )
    second = import_path(store, "patrols", write("b.csv", text))
    assert (second.rows, second.stored, second.rejected, second.already_present) == (3, 1, 1, 1)
    [reason] = store.rejects(kind="patrols")["reason"].tolist()
    assert reason.startswith("unit 'B21' and time '2024-05-01T14:01:00.000000Z' are already stored with different")
    assert reason.endswith("a.csv, row 3)")  # the stored row, by file and row
    again = import_path(store, "patrols", write("b.csv", text))
    assert (again.stored, again.rejected, again.already_present) == (0, 1, 2)
    assert read_pings(store)[["unit", "lat"]].values.tolist() == [["B21", 51.5], ["B21", 51.5], ["B22", 51.6]]


def test_a_gpx_track_is_imported_under_the_unit_given_and_a_re_import_changes_nothing(store, write):
    track = (
        '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        '<trkpt lat="51.5" lon="-0.12"><time>2024-05-01T14:00:00Z</time></trkpt>'
        '<trkpt lat="51.5001" lon="-0.12"><time>2024-05-01T14:00:30Z</time></trkpt>'
        '<trkpt lat="51.5002" lon="-0.12"></trkpt>'
        "</trkseg></trk></gpx>"
    )
    path = write("round.gpx", track)
    first = import_path(store, "patrols", path, ImportOptions(unit="B21"))
    assert (first.rows, first.stored, first.rejected, first.already_present) == (3, 2, 1, 0)
    [rejected] = store.rejects(kind="patrols").to_dict("records")
    assert (rejected["row"], rejected["column"], rejected["reason"]) == (3, "time", "time is blank")
    again = import_path(store, "patrols", path, ImportOptions(unit="B21"))
    assert (again.stored, again.rejected, again.already_present) == (0, 1, 2)
    pings = read_pings(store)
    assert pings["unit"].tolist() == ["B21", "B21"] and set(pings["source"]) == {"gpx"}
    assert store.imports()["source_format"].tolist() == ["gpx", "gpx"]


def test_a_unit_is_refused_for_a_csv_and_for_other_kinds_before_anything_is_read(store, write):
    with pytest.raises(OptionError, match="--unit names the unit of a GPX track") as caught:
        import_path(store, "patrols", write("a.csv", PINGS), ImportOptions(unit="B21"))
    assert caught.value.option == "unit"
    with pytest.raises(OptionError, match="closures have none"):
        import_path(store, "closures", write("c.csv", "ref\r\n"), ImportOptions(unit="B21"))
    with pytest.raises(OptionError, match="does not name its unit"):
        import_path(store, "patrols", write("t.gpx", "<gpx/>"))
    assert store.is_empty()


def test_deleting_a_ping_import_erases_its_pings(store, write):
    result = import_path(store, "patrols", write("a.csv", PINGS + "B21,2024-05-01T14:00:00Z,51.5,-0.12\r\n"))
    removed = delete_import(store, result.files[0]["import_id"], user="ana", role="analyst", reason="shared in error")
    assert removed == {"patrols": 1, "rejects": 0} and read_pings(store).empty


# --------------------------------------------------------------------------- saved plans

LONDON = "Europe/London"
MONDAY = dt.date(2024, 5, 6)


def slots_of(week: dt.date, *starts: str, team: str = "Team 1") -> pd.DataFrame:
    """One slot per start (London wall-clock text), each at its own place."""
    n = len(starts)
    return pd.DataFrame(
        {
            "week": [week] * n,
            "team": [team] * n,
            "order": list(range(1, n + 1)),
            "cell": [617_700_169_958_293_503 + i for i in range(n)],
            "res": [9] * n,
            "place": [f"Place {i}" for i in range(n)],
            "ward": ["Ward A"] * n,
            "start": [pd.Timestamp(s, tz=LONDON) for s in starts],
            "minutes": [15] * n,
            "reason": ["hot spot"] * n,
        }
    )


def test_the_slot_columns_are_the_planners():
    from geo.plan.schedule import SLOT_COLUMNS

    assert PLAN_SLOT_COLUMNS == SLOT_COLUMNS


def test_a_saved_plan_reads_back_in_utc_and_the_newest_plan_of_a_week_wins(store):
    first = save_plan(store, slots_of(MONDAY, "2024-05-06 14:00"), week=MONDAY, user="ina", options={"seed": 1})
    slots = slots_of(MONDAY, "2024-05-07 21:30", "2024-05-06 23:45")  # BST: 20:30 and 22:45 UTC
    second = save_plan(store, slots, week=MONDAY, user="ina", options={"seed": 2}, role="inspector")
    assert second > first
    plan = read_plan(store, week=dt.date(2024, 5, 9))  # any day of the week
    assert plan is not None and list(plan.columns) == PLAN_SLOT_COLUMNS
    assert plan["start"].tolist() == [
        pd.Timestamp("2024-05-07 20:30", tz="UTC"),
        pd.Timestamp("2024-05-06 22:45", tz="UTC"),
    ]
    assert str(plan["start"].dtype) == "datetime64[ns, UTC]" and plan["cell"].dtype == "int64"
    assert plan["week"].tolist() == [MONDAY, MONDAY] and plan["place"].tolist() == ["Place 0", "Place 1"]
    assert plan["cell"].tolist()[0] == 617_700_169_958_293_503  # a 64-bit H3 cell, exactly
    assert read_plan(store, week=MONDAY + dt.timedelta(days=7)) is None
    entries = store.audit(action="save_plan")
    assert entries["target"].tolist() == ["plan:2024-05-06"] * 2 and entries["rows"].tolist() == [2, 1]
    assert entries["role"].tolist() == ["inspector", "not given"]


def test_plan_slots_are_read_by_the_utc_day_they_start_on_from_each_weeks_newest_plan(store):
    save_plan(store, slots_of(MONDAY, "2024-05-06 10:00"), week=MONDAY, user="ina", options={})
    save_plan(store, slots_of(MONDAY, "2024-05-08 10:00", "2024-05-12 23:30"), week=MONDAY, user="ina", options={})
    nxt = MONDAY + dt.timedelta(days=7)
    save_plan(store, slots_of(nxt, "2024-05-13 00:30", team="Team 2"), week=nxt, user="ina", options={})
    # 2024-05-12 23:30 BST is 22:30 UTC on the 12th; 2024-05-13 00:30 BST is 23:30 UTC on the 12th
    got = read_plan_slots(store, start=dt.date(2024, 5, 12), end=dt.date(2024, 5, 12))
    assert got[["team", "week"]].values.tolist() == [["Team 1", MONDAY], ["Team 2", nxt]]
    assert len(read_plan_slots(store, start=dt.date(2024, 5, 6), end=dt.date(2024, 5, 7))) == 0  # superseded
    assert len(read_plan_slots(store, start=dt.date(2024, 5, 6), end=dt.date(2024, 5, 31))) == 3


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"week": dt.date(2024, 5, 7)}, "is a Tuesday"),
        ({"slots": lambda s: s.drop(columns="reason")}, r"lack the column\(s\) \['reason'\]"),
        ({"slots": lambda s: s.assign(start=[pd.Timestamp("2024-05-06 14:00")])}, "time zone"),
        ({"slots": lambda s: s.assign(week=[dt.date(2024, 5, 13)])}, "slots of week"),
        ({"slots": lambda s: s.assign(minutes=[0])}, "1 or more"),
        ({"slots": lambda s: s.assign(order=[1.5])}, "whole number"),
    ],
)
def test_a_plan_that_cannot_be_set_against_delivery_is_refused(store, change, says):
    slots = slots_of(MONDAY, "2024-05-06 14:00")
    if "slots" in change:
        slots = change["slots"](slots)
    with pytest.raises(OptionError, match=says):
        save_plan(store, slots, week=change.get("week", MONDAY), user="ina", options={})
    assert read_plan(store, week=MONDAY) is None and store.audit(action="save_plan").empty


# --------------------------------------------------------------------------- check-ins

CELL = 617_700_169_958_293_503


@pytest.fixture
def at() -> dt.datetime:
    """A moment an hour ago, to the second (a press is never in the future)."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(microsecond=0)


def press(store, action, when, *, cell=CELL, unit="B21"):
    return record_checkin(store, unit=unit, cell=cell, lat=51.5, lng=-0.12, action=action, at=when, user="tm")


def test_an_arrival_then_a_departure_store_one_ping_a_minute_between_them(store, at):
    press(store, "arrived", at)
    opened = open_checkins(store, unit="B21", user="tm")
    assert opened["cell"].tolist() == [CELL] and opened["arrived_at"].tolist() == [pd.Timestamp(at)]
    press(store, "left", at + dt.timedelta(minutes=3, seconds=30))
    pings = read_pings(store)
    offsets = [(t - pd.Timestamp(at)).total_seconds() for t in pings["time"]]
    assert offsets == [0, 60, 120, 180, 210] and set(pings["source"]) == {"check-in"}
    assert pings[["lat", "lng"]].drop_duplicates().values.tolist() == [[51.5, -0.12]]
    assert open_checkins(store, unit="B21", user="tm").empty
    log = store.imports().sort_values("id")
    assert log["stored"].tolist() == [1, 4] and set(log["source_format"]) == {"check-in"}
    assert len(store.audit(action="import")) == 2


def test_a_departure_without_an_arrival_or_long_after_one_is_one_ping_and_says_so(store, at):
    press(store, "left", at)
    press(store, "arrived", at + dt.timedelta(minutes=1), cell=CELL + 1)  # another place: not this one's arrival
    press(store, "left", at + dt.timedelta(minutes=2))
    early = at - dt.timedelta(hours=5)
    press(store, "arrived", early, unit="B22")
    press(store, "left", early + dt.timedelta(hours=4, minutes=1), unit="B22")
    assert read_pings(store)["unit"].value_counts().to_dict() == {"B21": 3, "B22": 2}
    notes = " ".join(store.imports()["notes"])
    assert notes.count("left with no arrival pressed at this place: one ping (a pass)") == 2
    assert "more than 4 h after the arrival" in notes
    assert open_checkins(store, unit="B21", user="tm")["cell"].tolist() == [CELL + 1]


def test_a_phone_sees_and_closes_only_its_own_arrivals(store, at):
    press(store, "arrived", at)  # user "tm"
    assert open_checkins(store, unit="B21", user="someone else").empty  # where B21 is now: not shown to them
    record_checkin(
        store,
        unit="B21",
        cell=CELL,
        lat=51.5,
        lng=-0.12,
        action="left",
        at=at + dt.timedelta(minutes=5),
        user="someone else",
    )
    assert len(read_pings(store)) == 2  # their Left closed nothing of tm's: one ping of its own (a pass)
    assert open_checkins(store, unit="B21", user="tm")["cell"].tolist() == [CELL]


def test_a_late_left_after_a_press_elsewhere_ends_the_stay_at_that_press(store, at):
    press(store, "arrived", at)
    press(store, "arrived", at + dt.timedelta(minutes=3), cell=CELL + 1)  # moved on, Left forgotten here
    press(store, "left", at + dt.timedelta(minutes=10))  # pressed later at the first place
    here = read_pings(store)
    offsets = sorted((t - pd.Timestamp(at)).total_seconds() / 60 for t in here["time"])
    # the arrival (0), a ping a minute up to the press elsewhere (1, 2), that press (3), then the late Left (10)
    assert offsets == [0, 1, 2, 3, 10]
    assert "until the press at another place" in " ".join(store.imports()["notes"])


def test_a_press_the_validation_refuses_stores_nothing(store, at):
    with pytest.raises(InputError, match="outside Great Britain"):
        record_checkin(store, unit="B21", cell=CELL, lat=48.85, lng=2.35, action="arrived", at=at, user="tm")
    with pytest.raises(InputError, match="unit is blank"):
        press(store, "arrived", at, unit="  ")
    with pytest.raises(InputError, match="in the future"):
        press(store, "arrived", at + dt.timedelta(days=3))
    with pytest.raises(OptionError):
        press(store, "stayed", at)
    assert store.is_empty() and read_pings(store).empty


def test_a_check_in_in_the_demo_town_is_the_demos(store, write, at):
    import_path(store, "patrols", write("demo.csv", PINGS + "D1,2024-05-01T14:00:00Z,51.5,-0.12\r\n"), synthetic=True)
    press(store, "arrived", at)
    assert store.imports()["synthetic"].tolist() == [True, True]


def test_deleting_a_check_in_import_forgets_the_press(store, at):
    press(store, "arrived", at)
    import_id = int(store.imports()["id"].iloc[0])
    delete_import(store, import_id, user="ana", role="analyst", reason="pressed in error")
    assert open_checkins(store, unit="B21", user="tm").empty and read_pings(store).empty


# --------------------------------------------------------------------------- backups


def test_pings_homes_plans_and_check_ins_round_trip_through_a_backup(store, write, tmp_path, at):
    import_path(store, "patrols", write("a.csv", PINGS + "B21,2024-05-01T14:00:00.123456Z,51.5,-0.12\r\n"))
    import_path(store, "properties", write("h.csv", "ref,uprn,lat,lng\r\nH1,000100023336,51.5,-0.12\r\n"))
    save_plan(store, slots_of(MONDAY, "2024-05-06 14:00"), week=MONDAY, user="ina", options={"seed": 3})
    press(store, "arrived", at)
    summary = export_all(store, tmp_path / "backup")
    assert {summary.rows[t] for t in ("plans", "plan_slots", "checkins", "properties")} == {1} and summary.rows[
        "patrols"
    ] == 2
    url = store_url(tmp_path / "restored.sqlite")
    target = Store(url)
    try:
        import_all(target, tmp_path / "backup")
        pd.testing.assert_frame_equal(read_pings(target), read_pings(store))
        pd.testing.assert_frame_equal(read_properties(target), read_properties(store))
        pd.testing.assert_frame_equal(read_plan(target, week=MONDAY), read_plan(store, week=MONDAY))
        pd.testing.assert_frame_equal(
            open_checkins(target, unit="B21", user="tm"), open_checkins(store, unit="B21", user="tm")
        )
        assert save_plan(target, slots_of(MONDAY, "2024-05-06 15:00"), week=MONDAY, user="ina", options={}) == 2
    finally:
        target.dispose()
        drop_store(url)
