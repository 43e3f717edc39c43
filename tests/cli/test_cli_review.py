"""``python -m geo review``: the agenda CSV in plain headings, logged with its reason before it exists; hit counts."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.store.importer import import_path
from tests.cli.in_process import run

LAT, LNG = 51.45, -2.59
# a repairs export as the housing system writes it: its own headings and words, no coordinates
REPAIRS = (
    "Job No,Job Code,Job Description,Date Raised,Property Ref,UPRN\r\n"
    "J1,LK01,Lock change - lost keys,05/01/2026,P1,\r\n"
    "J2,LK02,Replace euro cylinder,03/04/2026,,000010000037\r\n"
    "J3,LK01,Re-key,03/01/2026,P2,\r\n"
    "J4,LK01,Re-key,04/04/2026,P2,\r\n"
    "J5,DR10,Front door repair,20/03/2026,P3,\r\n"
    "J6,LK01,Re-key,04/04/2026,P3,\r\n"
)
PROPERTIES = (
    "ref,address,uprn,lat,lng\r\n"
    f'P1,"12 Elm Road, Nestwick",000010000037,{LAT},{LNG}\r\n'
    f'P2,"14 Elm Road, Nestwick",000010000038,{LAT + 0.0005},{LNG}\r\n'
    f'P3,"16 Elm Road, Nestwick",000010000039,{LAT + 0.001},{LNG}\r\n'
)


@pytest.fixture
def db(store, write):
    assert import_path(store, "properties", write("p.csv", PROPERTIES)).stored == 3
    assert import_path(store, "signals", write("repairs.csv", REPAIRS)).stored == 6
    return store


def test_the_agenda_lists_the_address_meeting_a_rule_and_logs_the_reason_first(db, tmp_path, capfd):
    out = tmp_path / "review.csv"
    done = run(capfd, "review", "--out", str(out), "--reason", "Tuesday meeting", db=db.url)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    # P1 (by ref, then by UPRN: one home) has two lock changes 88 days apart; P2's are 91 days apart;
    # P3 a door repair and a lock change 15 days apart (two kinds); newest signal first, then address
    assert frame["Address"].tolist() == ["16 Elm Road, Nestwick", "12 Elm Road, Nestwick"]
    assert frame["Why it is here"].tolist() == [
        "2 or more different kinds of signal within 30 days",
        "2 or more lock changes in 90 days",
    ]
    assert frame["Signals (newest first)"].tolist() == [
        "lock change 4 Apr 2026; door/window repair 20 Mar 2026",
        "lock change 3 Apr 2026; lock change 5 Jan 2026",
    ]
    assert frame["UPRN"].tolist() == ["10000039", "10000037"]
    assert frame["Indicators if flagged"].tolist() == ["lock changes, damage", "lock changes"]
    assert "signals up to 4 Apr 2026" in done.stderr and "no incidents are stored" in done.stderr
    assert "2 or more lock changes in 90 days: 1 address in the last 12 months, 1 meeting it now" in done.stderr
    [entry] = db.audit(action="export").to_dict("records")
    assert (entry["target"], entry["reason"], entry["rows"]) == ("export:review.csv", "Tuesday meeting", 2)


def test_as_of_a_day_in_the_past_counts_only_what_was_known_then(db, tmp_path, capfd):
    out = tmp_path / "review.csv"
    done = run(capfd, "review", "--out", str(out), "--reason", "r", "--as-of", "2026-04-03", db=db.url)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert frame["Address"].tolist() == ["12 Elm Road, Nestwick"]  # P3's lock change came the day after
    assert "signals up to 3 Apr 2026" in done.stderr
    assert "within 30 days: 0 addresses in the last 12 months, 0 meeting it now, 0 on the queue" in done.stderr


@pytest.mark.parametrize(
    "case",
    [
        (("--out", "review.html", "--reason", "r"), "written as .csv"),
        (("--out", "review.csv", "--reason", "  "), "give a --reason"),
        (("--out", "review.csv", "--reason", "r", "--as-of", "April"), "not a date"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(db, tmp_path, capfd, monkeypatch, case):
    args, words = case
    monkeypatch.chdir(tmp_path)
    done = run(capfd, "review", *args, db=db.url)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("review.*")) and db.audit(action="export").empty


def test_no_signals_stored_gives_an_empty_agenda_with_headings(store, tmp_path, capfd):
    out = tmp_path / "review.csv"
    done = run(capfd, "review", "--out", str(out), "--reason", "r", db=store.url)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(out, encoding="utf-8-sig").empty and "no signals are stored" in done.stderr
    assert list(pd.read_csv(out, encoding="utf-8-sig").columns)[:2] == ["Address", "Property ref"]
