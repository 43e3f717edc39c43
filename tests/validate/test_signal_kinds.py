"""Early-warning signals and intelligence links: the vocabulary and its synonyms, each rejection with file, row
and column, the accepted words listed for an unknown one; line names normalised."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geo.core.schema import normalise_label
from geo.core.signals import SIGNALS, signal_lookup
from geo.ingest.readers import read_csv_kind
from geo.store import Store
from geo.store.importer import import_path
from geo.validate import validate_table
from geo.validate._checks import line_name

SIGNAL_HEAD = "ref,address,uprn,lat,lng,date,signal,source\r\n"
GOOD = "H-1,1 Kestrel Close,100012345678,51.45,-2.58,2026-03-02,lock change,repairs\r\n"


@pytest.fixture(autouse=True)
def december_2026(monkeypatch):
    import geo.validate._bounds

    monkeypatch.setattr(geo.validate._bounds, "today", lambda: dt.date(2026, 12, 15))


def validated(write, text, kind="signals"):
    [raw] = read_csv_kind(write("t.csv", text), kind)
    return validate_table(raw)


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("Re-key", "lock_change"),
        ("LOCK REPLACEMENT", "lock_change"),
        ("change locks", "lock_change"),
        ("Replace euro cylinder", "lock_change"),
        ("Board up window", "door_window_repair"),
        ("noise nuisance", "complaint_noise"),
        ("Comings and goings", "complaint_visitors"),
        ("Gas safety - no access", "no_access"),
        ("sharps found", "rubbish_needles"),
        ("neighbour complaint: visitors", "complaint_visitors"),
    ],
)
def test_repairs_and_case_words_become_one_key(write, words, key):
    v = validated(write, SIGNAL_HEAD + GOOD.replace("lock change", words))
    assert v.rejects.empty, v.rejects.to_dict("records")
    assert v.accepted["signal"].tolist() == [key]


def test_every_spelling_names_one_signal_only():
    """No synonym is claimed by two signals (the lookup would silently keep the last)."""
    seen: dict[str, str] = {}
    for key, s in SIGNALS.items():
        for spelling in (key, s.label, *s.synonyms):
            n = normalise_label(spelling)
            assert seen.setdefault(n, key) == key, (spelling, seen[n], key)
    assert len(signal_lookup()) == len(seen)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("H-2,2 Kestrel Close,,51.45,-2.58,2026-03-02,door knocked,repairs", "signal", "unknown signal: door knocked"),
        (",2 Kestrel Close,,51.45,-2.58,2026-03-02,lock change,repairs", "ref", "neither ref nor uprn"),
        ("H-2,2 Kestrel Close,1.00012E+11,51.45,-2.58,2026-03-02,lock change,repairs", "uprn", "uprn is not a UPRN"),
        ("H-2,2 Kestrel Close,,51.45,-2.58,,lock change,repairs", "date", "date is blank"),
        ("H-2,2 Kestrel Close,,51.45,-2.58,2027-01-02,lock change,repairs", "date", "date 2027-01-02 is after"),
        ("H-2,2 Kestrel Close,,51.45,-2.58,2026-03-02,,repairs", "signal", "signal is blank"),
        ("H-2,2 Kestrel Close,,48.85,2.35,2026-03-02,lock change,repairs", "lat", "outside Great Britain"),
    ],
)
def test_each_bad_signal_is_rejected_with_file_row_column(write, row, column, reason):
    v = validated(write, SIGNAL_HEAD + GOOD + row + "\r\n")
    assert v.accepted["ref"].tolist() == ["H-1"]
    [rej] = v.rejects.to_dict("records")
    assert (rej["row"], rej["column"]) == (3, column)
    assert rej["reason"].startswith(reason), rej["reason"]
    assert rej["file"].endswith("t.csv") and json.loads(rej["raw"])["ref"] == row.split(",")[0]


def test_an_unknown_word_lists_the_accepted_ones(write):
    v = validated(write, SIGNAL_HEAD + GOOD.replace("lock change", "door knocked"))
    reason = v.rejects["reason"].iloc[0]
    for s in SIGNALS.values():
        assert s.label in reason


def test_a_signal_without_a_point_is_kept_for_the_homes_to_place(write):
    v = validated(write, "ref,date,signal\r\nH-9,2026-03-02,re-key\r\n")
    assert v.rejects.empty and v.accepted["lat"].isna().all()


def test_the_same_event_twice_is_one_and_a_moved_one_a_conflict(tmp_path, write):
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    path = write("a.csv", SIGNAL_HEAD + GOOD)
    first = import_path(store, "signals", path)
    again = import_path(store, "signals", path)
    assert (first.stored, again.stored, again.already_present) == (1, 0, 1)
    moved = write("b.csv", SIGNAL_HEAD + GOOD.replace("51.45", "51.46"))
    r = import_path(store, "signals", moved)
    assert r.stored == 0 and r.rejected == 1
    assert "already stored with different content" in store.rejects(kind="signals")["reason"].iloc[0]


@pytest.mark.parametrize(
    ("given", "name"),
    [("the 'DEE' line", "Dee Line"), ("Dee  Line", "Dee Line"), ("dee line", "Dee Line"), ("  M5   boys ", "M5 Boys")],
)
def test_line_names_are_normalised(given, name):
    assert line_name(given) == name


LINE_HEAD = "line,record,ref,address,lat,lng,date\r\n"


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("Dee Line,warrant,W-1,3 Gorse Way,,,2026-05-01", "lat", "a warrant needs its point"),
        ("Dee Line,warrant,W-1,3 Gorse Way,51.45,-2.58,", "date", "a warrant needs the date"),
        ("Dee Line,vehicle,V-1,,,,", "record", "unknown record: vehicle (allowed: flagged, closure, warrant)"),
        ("'',flagged,F-1,,,,", "line", "line has no letters or digits"),
        (",flagged,F-1,,,,", "line", "line is blank"),
    ],
)
def test_each_bad_link_is_rejected(write, row, column, reason):
    v = validated(write, LINE_HEAD + "Dee Line,flagged,F-1,,,,\r\n" + row + "\r\n", kind="lines")
    assert v.accepted["ref"].tolist() == ["F-1"]
    [rej] = v.rejects.to_dict("records")
    assert (rej["row"], rej["column"]) == (3, column)
    assert rej["reason"].startswith(reason), rej["reason"]


def test_record_words_and_a_warrant_with_its_point(write):
    rows = ("the dee line,Closure order,CO-1,,,,", "DEE LINE,Drugs warrant,W-1,3 Gorse Way,51.45,-2.58,2026-05-01")
    text = LINE_HEAD + "".join(r + "\r\n" for r in rows)
    v = validated(write, text, kind="lines")
    assert v.rejects.empty
    assert v.accepted[["line", "record"]].values.tolist() == [["Dee Line", "closure"], ["Dee Line", "warrant"]]
