"""The audit log (DPA 2018 s.62): one row per action, reasons where required, filters, UTC order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from geo.core.errors import InputError, OptionError
from geo.store import Store, audit
from geo.store._tables import AUDIT_TABLE
from geo.store.audit import ACTIONS, AuditEntry, record
from tests.conftest import store_url

#: A valid call per action; reasons given where one is required.
CALLS = {
    "sign_in": {"target": "app", "detail": {"method": "oidc"}},
    "sign_in_refused": {"target": "app", "reason": "no role assigned"},
    "view_layer": {"target": "layer:flagged", "rows": 12},
    "view_cell": {"target": "cell:89195da49b3ffff", "rows": 3},
    "export": {"target": "export:patrol-plan.csv", "rows": 40, "reason": "patrol briefing", "personal": True},
    "import": {"target": "import:7", "rows": 1000, "detail": {"import_id": 7, "stored": 990, "rejected": 10}},
    "delete": {"target": "import:7", "rows": 990, "reason": "retention period over"},
    "role_change": {"target": "user:bob", "reason": "joined analyst team", "detail": {"to": "analyst"}},
    "view_audit": {"target": "audit", "rows": 8},
}


def log(store: Store, action: str, user: str = "alice", role: str = "analyst", **kw) -> AuditEntry:
    return record(store, user=user, role=role, action=action, **(CALLS[action] | kw))


def test_vocabulary_is_covered():
    assert set(CALLS) == set(ACTIONS)
    assert audit.needs_reason("delete") and audit.needs_reason("role_change")
    assert audit.needs_reason("export", personal=True) and not audit.needs_reason("export")
    assert not any(audit.needs_reason(a) for a in ACTIONS if a not in ("delete", "role_change"))


def test_table_exists_on_a_fresh_store_and_is_empty(store):
    assert AUDIT_TABLE in sa.inspect(store.engine).get_table_names()
    cols = {c["name"] for c in sa.inspect(store.engine).get_columns(AUDIT_TABLE)}
    assert cols == {"id", "at", "user", "role", "action", "target", "rows", "reason", "detail"}
    empty = store.audit()
    assert empty.empty and list(empty.columns) == [
        "id",
        "at",
        "user",
        "role",
        "action",
        "target",
        "rows",
        "reason",
        "detail",
    ]


def test_store_has_no_way_to_alter_the_log():
    assert not [m for m in dir(Store) if "audit" in m and any(w in m for w in ("update", "delete", "clear", "remove"))]


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_writes_exactly_one_entry_with_its_fields(store, action):
    call = CALLS[action]
    entry = log(store, action)
    frame = store.audit()
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["id"] == entry.id and entry.id is not None
    assert (row["user"], row["role"], row["action"], row["target"]) == ("alice", "analyst", action, call["target"])
    assert row["reason"] == call.get("reason", "")
    assert (pd.isna(row["rows"]) and "rows" not in call) or row["rows"] == call["rows"]
    detail = json.loads(row["detail"])
    assert detail == entry.details
    for k, v in call.get("detail", {}).items():
        assert detail[k] == v
    assert row["at"] == pd.Timestamp(entry.at)


def test_export_records_whether_it_held_personal_data(store):
    record(store, user="a", role="viewer", action="export", target="export:counts.csv", rows=5)
    log(store, "export")
    assert [json.loads(d)["personal"] for d in store.audit()["detail"]] == [True, False]


@pytest.mark.parametrize(
    ("action", "extra", "message"),
    [
        ("export", {"personal": True}, "an export of personal data needs a reason"),
        ("export", {"personal": True, "reason": "   "}, "an export of personal data needs a reason"),
        ("delete", {}, "a delete needs a reason"),
        ("role_change", {}, "a role change needs a reason"),
    ],
)
def test_missing_reason_is_refused_and_writes_nothing(store, action, extra, message):
    with pytest.raises(OptionError, match=message) as caught:
        record(store, user="alice", role="analyst", action=action, target="x", **extra)
    assert caught.value.option == "reason"
    assert store.audit().empty


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"action": "peek"}, "unknown audit action 'peek'; expected one of sign_in, sign_in_refused, "),
        ({"user": ""}, "needs a user"),
        ({"role": " "}, "needs a role"),
        ({"target": ""}, "needs a target"),
        ({"rows": -1}, "must be a count"),
        ({"rows": 2.5}, "must be a count"),
        ({"detail": {"Address": "1 A St"}}, "must not hold personal data: Address"),
        ({"detail": {"uprn": "001"}}, "must not hold personal data: uprn"),
        ({"detail": {"when": dt.date(2024, 1, 1)}}, "plain JSON"),
    ],
)
def test_invalid_entries_are_refused_and_write_nothing(store, kw, message):
    args = {"user": "alice", "role": "analyst", "action": "view_layer", "target": "layer:flagged"} | kw
    with pytest.raises(OptionError, match=message) as caught:
        record(store, **args)
    assert caught.value.option == next(iter(kw))  # the argument at fault, by name
    assert not isinstance(caught.value, InputError)  # the caller built a bad entry; no file is involved
    assert store.audit().empty


def test_numpy_counts_are_stored_as_plain_ints(store):
    entry = record(store, user="a", role="r", action="view_cell", target="cell:1", rows=np.int64(4))
    assert type(entry.rows) is int and store.audit()["rows"].tolist() == [4]


def test_entries_are_frozen():
    entry = audit.make_entry(user="a", role="r", action="sign_in", target="app")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.reason = "changed"  # type: ignore[misc]


def test_filters_by_user_and_action(store):
    log(store, "sign_in", user="alice")
    log(store, "view_layer", user="alice")
    log(store, "view_layer", user="bob")
    log(store, "export", user="bob")
    assert store.audit(user="alice")["action"].tolist() == ["view_layer", "sign_in"]
    assert store.audit(action="view_layer")["user"].tolist() == ["bob", "alice"]
    assert store.audit(user="bob", action="export")["target"].tolist() == ["export:patrol-plan.csv"]
    assert store.audit(user="carol").empty


def entry_at(at: str, action: str = "view_layer") -> AuditEntry:
    return AuditEntry(at=at, user="alice", role="analyst", action=action, target="layer:flagged")


def test_filters_by_time_since_inclusive_until_exclusive(store):
    for day in (1, 2, 3):
        store.write_audit(entry_at(f"2024-03-0{day}T12:00:00+00:00"))
    days = lambda f: f["at"].dt.day.tolist()  # noqa: E731
    assert days(store.audit(since="2024-03-02T12:00:00Z")) == [3, 2]
    assert days(store.audit(until="2024-03-02T12:00:00+00:00")) == [1]
    assert days(store.audit(since="2024-03-02", until="2024-03-03")) == [2]
    # a non-UTC bound means the same instant: 13:00 in Paris is 12:00 UTC
    assert days(store.audit(since=dt.datetime(2024, 3, 2, 13, tzinfo=dt.timezone(dt.timedelta(hours=1))))) == [3, 2]
    assert days(store.audit(since=dt.datetime(2024, 3, 3))) == [3]  # naive is UTC
    with pytest.raises(OptionError, match="not an ISO date"):
        store.audit(since="last tuesday")


def test_timestamps_are_utc_and_newest_first(store):
    before = dt.datetime.now(dt.UTC)
    entries = [log(store, a) for a in ("sign_in", "view_layer", "view_cell", "view_audit")]
    after = dt.datetime.now(dt.UTC)
    for e in entries:
        at = dt.datetime.fromisoformat(e.at)
        assert at.utcoffset() == dt.timedelta(0) and before <= at <= after
    frame = store.audit()
    assert str(frame["at"].dt.tz) == "UTC"
    assert frame["id"].tolist() == sorted(frame["id"], reverse=True)
    assert frame["at"].is_monotonic_decreasing
    assert frame["action"].tolist() == ["view_audit", "view_cell", "view_layer", "sign_in"]
    stored = pd.read_sql(sa.text(f"SELECT at FROM {AUDIT_TABLE} ORDER BY id"), store.engine)["at"].tolist()
    assert stored == [e.at for e in entries] and all(s.endswith("+00:00") for s in stored)


def test_a_foreign_offset_is_stored_as_utc(store):
    store.write_audit(entry_at("2024-03-02T13:00:00+01:00"))
    stored = pd.read_sql(sa.text(f"SELECT at FROM {AUDIT_TABLE}"), store.engine)["at"].iloc[0]
    assert stored == "2024-03-02T12:00:00.000000+00:00"


def test_log_survives_reopening(tmp_path):
    path = store_url(tmp_path / "old.sqlite")
    first = Store(path)
    log(first, "sign_in")
    first.dispose()
    again = Store(path)  # (stores from before the log: tests/store/test_migrations.py)
    try:
        log(again, "view_audit")
        assert again.audit()["action"].tolist() == ["view_audit", "sign_in"]
    finally:
        again.dispose()
