"""Decisions on the review queue: each a person's, with a reason, in the audit log; a flag is imported like a file."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.core.errors import InputError, OptionError
from geo.store.importer import delete_import
from geo.store.review import decide, flag_from_review, read_decisions

LAT, LNG = 53.48, -2.24


def flag(store, **more):
    options = {
        "address": "uprn:10001",
        "ref": "R1",
        "words": "12 Elm Road",
        "lat": LAT,
        "lng": LNG,
        "indicators": "lock_changes;noise",
        "through": "2026-03-02",
        "reason": "two lock changes and a noise complaint, agreed at the Tuesday meeting",
        "user": "insp.jones",
        "role": "inspector",
        "rules": ("lock_changes", "two_kinds"),
        "today": dt.date(2026, 3, 4),
    }
    return flag_from_review(store, **(options | more))


def test_a_flag_is_a_flagged_row_an_import_a_decision_and_an_audit_entry_without_the_address(store):
    ref, decision = flag(store)
    assert ref == "R1"
    rows = store.read("flagged")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["ref"], row["address"], row["first_flagged"], row["status"]) == (
        "R1",
        "12 Elm Road",
        "2026-03-04",
        "open",
    )
    assert row["indicators"] == "lock_changes;noise" and (row["lat"], row["lng"]) == (LAT, LNG)
    log = store.imports()
    assert log["file"].tolist() == ["review flag R1 2026-03-04"] and log["source_format"].tolist() == ["review"]
    decisions = read_decisions(store)
    assert decisions[["id", "address", "action", "through", "flagged_ref"]].values.tolist() == [
        [decision, "uprn:10001", "flagged", "2026-03-02", "R1"]
    ]
    entries = store.audit(action="review")
    assert len(entries) == 1 and entries["target"].tolist() == [f"review:{decision}"]
    text = entries.astype(str).to_string()
    assert "10001" not in text and "Elm" not in text  # the log is read more widely than the flagged list
    assert "lock_changes;two_kinds" in text and "Tuesday meeting" in text
    assert len(store.audit(action="import")) == 1


def test_flagging_an_address_again_keeps_the_old_record_and_dates_the_new_ref(store):
    flag(store)
    again, _ = flag(store, today=dt.date(2026, 9, 1))
    assert again == "R1-20260901"
    assert sorted(store.read("flagged")["ref"]) == ["R1", "R1-20260901"]
    with pytest.raises(OptionError, match="already flagged"):
        flag(store, today=dt.date(2026, 9, 1))


def test_a_flag_without_a_reason_or_a_point_or_with_a_bad_value_stores_nothing(store):
    with pytest.raises(OptionError, match="reason"):
        flag(store, reason="  ")
    with pytest.raises(OptionError, match="no known location"):
        flag(store, lat=float("nan"))
    with pytest.raises(InputError, match="the address was not flagged"):
        flag(store, lat=95.0)  # not on Earth: validation refuses it as it would a file's row
    assert store.read("flagged").empty and read_decisions(store).empty and store.audit(action="review").empty


def test_the_flag_can_be_undone_like_any_import(store):
    flag(store)
    delete_import(store, int(store.imports()["id"].iloc[0]), user="admin", role="admin", reason="flagged in error")
    assert store.read("flagged").empty


def test_dismiss_and_book_are_logged_with_their_reason_and_checked(store):
    d1 = decide(
        store,
        address="ref:H7",
        action="dismissed",
        reason="known repair",
        through="2026-03-02",
        user="a",
        role="analyst",
    )
    d2 = decide(
        store,
        address="ref:H7",
        action="booked",
        reason="visit Thursday",
        through=dt.date(2026, 3, 2),
        user="a",
        role="analyst",
    )
    got = read_decisions(store)
    assert got["id"].tolist() == [d1, d2] and got["action"].tolist() == ["dismissed", "booked"]
    assert store.audit(action="review")["reason"].tolist() in (
        ["known repair", "visit Thursday"],
        ["visit Thursday", "known repair"],
    )
    for bad, match in (
        ({"action": "ignored"}, "unknown decision"),
        ({"reason": ""}, "reason"),
        ({"address": "12 Elm Road"}, "not a review queue address"),
        ({"through": "March"}, "through must be a date"),
    ):
        options = {"address": "ref:H7", "action": "dismissed", "reason": "r", "through": "2026-03-02"} | bad
        with pytest.raises(OptionError, match=match):
            decide(store, user="a", role="analyst", **options)
    assert len(read_decisions(store)) == 2
