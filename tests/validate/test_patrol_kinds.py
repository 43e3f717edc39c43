"""Patrol pings, homes and incident times of day: each rejection with file, row and column; UTC moments."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geo.ingest.readers import read_csv_kind
from geo.validate import validate_table

PINGS = "Call sign,Timestamp,Latitude,Longitude\r\n"
GOOD = "B21,2024-05-01T14:00:00Z,51.5,-0.12\r\n"


@pytest.fixture(autouse=True)
def december_2026(monkeypatch):
    """Today is 15 December 2026 (the one injectable clock): the last moment a ping may be is 16 December's end."""
    import geo.validate._bounds

    monkeypatch.setattr(geo.validate._bounds, "today", lambda: dt.date(2026, 12, 15))


def validated(write, text, kind="patrols"):
    [raw] = read_csv_kind(write("t.csv", text), kind)
    return validate_table(raw)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("B22,2024-05-01,51.5,-0.12", "Timestamp", "unreadable time (expected ISO 8601 with a time of day"),
        ("B22,01/05/2024 14:00,51.5,-0.12", "Timestamp", "unreadable time"),  # ISO 8601 only: never day-first
        ("B22,2024-05-01T25:00:00Z,51.5,-0.12", "Timestamp", "unreadable time"),
        ("B22,2024-05-01T14:00:00 BST,51.5,-0.12", "Timestamp", "unreadable time"),  # a zone name is not an offset
        ("B22,,51.5,-0.12", "Timestamp", "time is blank"),
        ("B22,1999-12-31T23:59:59Z,51.5,-0.12", "Timestamp", "time 1999-12-31T23:59:59Z is before 2000"),
        ("B22,2026-12-17T00:00:00Z,51.5,-0.12", "Timestamp", "time 2026-12-17T00:00:00Z is after 2026-12-16 23:59:59"),
        ("B22,2024-05-01T14:00:00.1234567Z,51.5,-0.12", "Timestamp", "time 2024-05-01T14:00:00.1234567Z is finer"),
        (",2024-05-01T14:00:00Z,51.5,-0.12", "Call sign", "unit is blank"),
        ("B22,2024-05-01T14:00:00Z,48.85,2.35", "Latitude", "outside Great Britain (lat 48.85, lng 2.35)"),
        ("B22,2024-05-01T14:00:00Z,,", "Latitude", "no coordinates"),
        (f"{'B' * 101},2024-05-01T14:00:00Z,51.5,-0.12", "Call sign", "unit is 101 characters long; at most 100"),
    ],
)
def test_each_bad_ping_is_rejected_with_file_row_column(write, row, column, reason):
    v = validated(write, PINGS + GOOD + row + "\r\n")
    assert v.accepted[["unit", "time"]].values.tolist() == [["B21", "2024-05-01T14:00:00.000000Z"]]
    [rej] = v.rejects.to_dict("records")
    assert (rej["row"], rej["column"]) == (3, column)
    assert rej["reason"].startswith(reason), rej["reason"]
    assert rej["file"].endswith("t.csv") and json.loads(rej["raw"])["Call sign"] == row.split(",")[0]


def test_the_last_moment_of_tomorrow_is_accepted(write):
    v = validated(write, PINGS + "B21,2026-12-16T23:59:59.999999Z,51.5,-0.12\r\n")
    assert v.rejects.empty and v.accepted["time"].tolist() == ["2026-12-16T23:59:59.999999Z"]


def test_times_with_an_offset_are_the_same_moment_in_utc_and_without_one_are_utc(write):
    text = (
        "B21,2024-05-01T15:00:00+01:00,51.5,-0.12\r\n"  # BST: 14:00 UTC
        "B22,2024-01-15T14:00:00+0000,51.5,-0.12\r\n"
        "B23,2024-05-01T09:30-05,51.5,-0.12\r\n"  # 14:30 UTC
        "B24,2024-05-01 14:00,51.5,-0.12\r\n"  # no offset: UTC
        "B25,2024-05-01t14:00:00.5z,51.5,-0.12\r\n"  # lower case and half a second
        'B26,"2024-05-01T14:00:00,25+00:00",51.5,-0.12\r\n'  # a comma before the fraction (ISO 8601 allows it)
    )
    v = validated(write, PINGS + text)
    assert v.rejects.empty, v.rejects["reason"].tolist()
    assert v.accepted["time"].tolist() == [
        "2024-05-01T14:00:00.000000Z",
        "2024-01-15T14:00:00.000000Z",
        "2024-05-01T14:30:00.000000Z",
        "2024-05-01T14:00:00.000000Z",
        "2024-05-01T14:00:00.500000Z",
        "2024-05-01T14:00:00.250000Z",
    ]
    assert set(v.accepted["source"]) == {"gps"}  # a tracker's export names no source


def test_one_unit_at_one_moment_twice_is_one_ping(write):
    text = (
        "B21,2024-05-01T14:00:00Z,51.5,-0.12\r\n"
        "B21,2024-05-01T15:00:00+01:00,51.6,-0.12\r\n"  # the same moment, written in BST, somewhere else
        "B21,2024-05-01T14:00:00Z,51.5,-0.12\r\n"  # the first row again
        "B22,2024-05-01T14:00:00Z,51.6,-0.12\r\n"  # another unit at that moment: a ping of its own
    )
    v = validated(write, PINGS + text)
    assert v.accepted["unit"].tolist() == ["B21", "B22"]
    reasons = dict(zip(v.rejects["row"], v.rejects["reason"], strict=True))
    assert reasons == {
        3: "unit 'B21' and time '2024-05-01T14:00:00.000000Z' repeat row 2 with different content",
        4: "duplicate of row 2",
    }


def test_a_ping_source_is_kept_when_given(write):
    v = validated(write, "unit,time,lat,lng,source\r\nB21,2024-05-01T14:00:00Z,51.5,-0.12,AVLS\r\n")
    assert v.accepted["source"].tolist() == ["AVLS"]


# --------------------------------------------------------------------------- properties

HOMES = "Property Ref,Address,UPRN,Latitude,Longitude,Landlord,Block\r\n"


@pytest.mark.parametrize(
    ("uprn", "reason"),
    [
        ("1.00023E+11", "uprn is not a UPRN (up to 12 digits, kept as text): 1.00023E+11"),
        ("100023336956.0", "uprn is not a UPRN"),  # a spreadsheet made it a number
        ("1000233369561", "uprn is not a UPRN"),  # 13 digits
        ("U-12", "uprn is not a UPRN"),
    ],
)
def test_a_uprn_that_is_not_up_to_12_digits_is_rejected(write, uprn, reason):
    v = validated(
        write,
        HOMES + "H1,1 Acacia Court,,51.5,-0.12,,\r\n" + f"H2,2 Acacia Court,{uprn},51.5,-0.12,,\r\n",
        "properties",
    )
    [rej] = v.rejects.to_dict("records")
    assert (rej["row"], rej["column"]) == (3, "UPRN") and rej["reason"].startswith(reason), rej["reason"]


def test_homes_keep_leading_zeros_and_a_ref_given_twice_is_refused(write):
    text = (
        "H1,1 Acacia Court,000100023336,51.5,-0.12,Council,Acacia Court\r\n"
        "H2,2 Acacia Court,000000000001,51.5,-0.12,Council,Acacia Court\r\n"
        "H1,9 Elm Road,000100023336,51.6,-0.12,,\r\n"
        "H3,3 Elm Road,,51.5,-0.12,,\r\n"
    )
    v = validated(write, HOMES + text, "properties")
    assert v.accepted[["ref", "uprn", "block"]].values.tolist() == [
        ["H1", "000100023336", "Acacia Court"],
        ["H2", "000000000001", "Acacia Court"],
        ["H3", "", ""],
    ]
    assert v.rejects["reason"].tolist() == ["ref 'H1' repeats row 2 with different content"]


def test_a_home_needs_a_point(write):
    v = validated(write, HOMES + "H1,1 Acacia Court,,,,,\r\n", "properties")
    assert v.accepted.empty and v.rejects["reason"].tolist()[0].startswith("no coordinates")


# --------------------------------------------------------------------------- incidents' time of day

PARTNER = "ref,date,time,category,lat,lng\r\n"


@pytest.mark.parametrize("time", ["09:05", "23:59", "00:00:00", "23:59:59", "9:05", ""])
def test_an_incident_time_of_day_is_kept_as_given(write, time):
    v = validated(write, PARTNER + f"H-1,2024-05-01,{time},Anti-social behaviour,51.5,-0.12\r\n", "incidents")
    assert v.rejects.empty and v.accepted["time"].tolist() == [time]


@pytest.mark.parametrize("time", ["24:00", "12:60", "9.05", "noon", "14:00:60", "2024-05-01T14:00", "1400"])
def test_an_incident_time_that_is_not_a_time_of_day_rejects_its_row(write, time):
    text = PARTNER + "H-1,2024-05-01,10:00,Anti-social behaviour,51.5,-0.12\r\n"
    v = validated(write, text + f"H-2,2024-05-01,{time},Anti-social behaviour,51.5,-0.12\r\n", "incidents")
    assert v.accepted["ref"].tolist() == ["H-1"]
    [rej] = v.rejects.to_dict("records")
    assert (rej["row"], rej["column"]) == (3, "time")
    assert rej["reason"] == f"unreadable time (expected HH:MM or HH:MM:SS, 24-hour clock): {time}"
