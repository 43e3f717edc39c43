"""Months and dates outside what can be real are rejected with the column and the reason.

"Today" is 15 December 2026 in every test here (``geo.validate._bounds.today``
replaced), so the current month is 2026-12 and every expected reason can be
checked by hand.
"""

from __future__ import annotations

import datetime as dt

import pytest

import geo.validate._bounds
from geo.core.schema import KINDS
from geo.ingest import read_csv_kind
from geo.validate import validate_table
from geo.validate._bounds import DATE_BOUNDS, add_months
from tests.conftest import police_csv, police_row

NOW = "the current month: it cannot have happened yet"
POLICE = "police.uk's street-level data starts in December 2010"
RECORDS = "older than any partnership record (partnerships date from 1998)"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(geo.validate._bounds, "today", lambda: dt.date(2026, 12, 15))


def verdicts(write, text, kind="incidents", **options):
    """``{row: (column, reason)}`` of the rejected rows, and the accepted rows' count; accounting checked."""
    [raw] = read_csv_kind(write("t.csv", text), kind, **options)
    v = validate_table(raw)
    assert len(v.accepted) + len(v.rejects) == raw.n_rows
    return {r["row"]: (r["column"], r["reason"]) for r in v.rejects.to_dict("records")}, len(v.accepted)


def test_police_uk_months_outside_its_coverage_or_after_this_month(write):
    months = ["1899-01", "2999-01", "0000-00", "2010-11", "2010-12", "2026-12", "2027-01", "0000-01"]
    rejected, kept = verdicts(write, police_csv(*[police_row(month=m) for m in months]))
    assert kept == 2  # 2010-12 (the first police.uk month) and 2026-12 (this month)
    assert rejected == {
        2: ("Month", f"month 1899-01 is before 2010-12: {POLICE}"),
        3: ("Month", f"month 2999-01 is after 2026-12, {NOW}"),
        4: ("Month", "unparseable month (expected YYYY-MM): 0000-00"),
        5: ("Month", f"month 2010-11 is before 2010-12: {POLICE}"),
        8: ("Month", f"month 2027-01 is after 2026-12, {NOW}"),
        9: ("Month", f"month 0000-01 is before 2010-12: {POLICE}"),
    }


def test_partner_incidents_start_with_partnership_records_not_police_uk(write):
    text = "Ref,Date,Category,Lat,Lng\r\n" + "".join(
        f"R{i},{d},Anti-social behaviour,51.45,-2.59\r\n"
        for i, d in enumerate(
            ["1989-12-31", "1990-01-01", "2009-06-01", "2026-12-31", "2027-01-01", "2999-01-01", "31/12/1899"]
        )
    )
    rejected, kept = verdicts(write, text, source="housing")
    assert kept == 3  # 1990-01-01, 2009-06-01 (before police.uk, fine from a partner), 2026-12-31
    assert rejected == {
        2: ("Date", f"date 1989-12-31 is before 1990-01: {RECORDS}"),
        6: ("Date", f"date 2027-01-01 is after 2026-12, {NOW}"),
        7: ("Date", f"date 2999-01-01 is after 2026-12, {NOW}"),  # past pandas' dates: judged by its year
        8: ("Date", f"date 31/12/1899 is before 1990-01: {RECORDS}"),
    }


def test_a_closure_order_is_granted_since_2004_and_ends_at_most_six_months_from_now(write):
    text = "Ref,Address,Lat,Lng,Granted,Expiry,Type,Status\r\n" + (
        "C1,1 A St,51.45,-2.59,31/12/2003,31/03/2004,full,expired\r\n"
        "C2,2 A St,51.45,-2.59,01/01/2004,01/04/2004,full,expired\r\n"
        "C3,3 A St,51.45,-2.59,02/01/2027,02/04/2027,full,active\r\n"
        "C4,4 A St,51.45,-2.59,10/12/2026,30/06/2027,full,extended\r\n"
        "C5,5 A St,51.45,-2.59,10/12/2026,01/07/2027,full,extended\r\n"
    )
    rejected, kept = verdicts(write, text, "closures")
    assert kept == 2  # C2 (the first month of the powers) and C4 (ends six months from now)
    powers = "before the first premises closure orders (Anti-social Behaviour Act 2003, in force January 2004)"
    assert rejected == {
        2: ("Granted", f"granted 31/12/2003 is before 2004-01: {powers}"),
        4: ("Granted", f"granted 02/01/2027 is after 2026-12, {NOW}"),
        6: (
            "Expiry",
            "expiry 01/07/2027 is after 2027-06, six months after the current month: "
            "a closure order lasts at most six months (three, extended once)",
        ),
    }


def test_flags_and_their_closing_dates_cannot_be_in_the_future(write):
    text = "UPRN,Address,Lat,Lng,First Flagged,Indicators,Status,Closed\r\n" + (
        "001,a,51.45,-2.59,2026-12-01,noise,open,\r\n"
        "002,b,51.45,-2.59,2027-03-01,noise,open,\r\n"
        "003,c,51.45,-2.59,2026-01-01,noise,closed,2030-01-01\r\n"
    )
    rejected, kept = verdicts(write, text, "flagged")
    assert kept == 1
    assert rejected == {
        3: ("First Flagged", f"first_flagged 2027-03-01 is after 2026-12, {NOW}"),
        4: ("Closed", f"closed 2030-01-01 is after 2026-12, {NOW}"),
    }


def test_victims_and_victim_counts_cannot_be_in_the_future(write):
    people = "Ref,Date Safeguarded,Lat,Lng\r\nV1,2026-11-30,,\r\nV2,2027-01-01,,\r\n"
    assert verdicts(write, people, "victims") == (
        {3: ("Date Safeguarded", f"date_safeguarded 2027-01-01 is after 2026-12, {NOW}")},
        1,
    )
    counts = "Area Code,Month,Count\r\nE1,2026-12,3\r\nE1,2027-01,2\r\nE1,1899-01,1\r\n"
    assert verdicts(write, counts, "victims") == (
        {
            3: ("Month", f"month 2027-01 is after 2026-12, {NOW}"),
            4: ("Month", f"month 1899-01 is before 1990-01: {RECORDS}"),
        },
        1,
    )


def test_the_current_month_is_read_from_the_clock_when_the_file_is_validated(write, monkeypatch):
    text = police_csv(police_row(month="2027-01"))
    assert verdicts(write, text)[1] == 0
    monkeypatch.setattr(geo.validate._bounds, "today", lambda: dt.date(2027, 1, 1))
    assert verdicts(write, text) == ({}, 1)


def test_every_dated_column_of_every_kind_has_bounds_with_reasons():
    """A new dated column gets bounds on purpose (the default would do, but says nothing of that column)."""
    dated = {c.name for k in KINDS.values() for c in k.columns if c.dtype in ("month", "date")}
    assert dated <= set(DATE_BOUNDS)
    for bound in DATE_BOUNDS.values():
        assert bound.earliest[4] == "-" and len(bound.why_earliest) > 20 and bound.why_latest


@pytest.mark.parametrize(
    ("month", "n", "after"),
    [("2026-12", 0, "2026-12"), ("2026-12", 1, "2027-01"), ("2026-07", 6, "2027-01"), ("2027-01", -1, "2026-12")],
)
def test_add_months(month, n, after):
    assert add_months(month, n) == after
