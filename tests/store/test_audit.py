"""The audit log (DPA 2018 s.62): one row per action, reasons where required, filters, UTC order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from geo.core.errors import InputError, OptionError
from geo.store import Store, audit
from geo.store._tables import AUDIT_CHAIN, AUDIT_TABLE
from geo.store.audit import ACTIONS, AuditEntry, record
from tests.conftest import ROOT, patience, store_url

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
    "save_plan": {"target": "plan:2024-05-06", "rows": 30, "detail": {"plan_id": 1, "teams": 2}},
    "review": {"target": "review:uprn:100012345678", "reason": "two lock changes", "detail": {"action": "dismissed"}},
    "view_intel": {"target": "lines", "rows": 2, "detail": {"lines": 2}},
    "intel_change": {"target": "user:bob", "reason": "joined the county lines desk", "detail": {"intel": True}},
}


def log(store: Store, action: str, user: str = "alice", role: str = "analyst", **kw) -> AuditEntry:
    return record(store, user=user, role=role, action=action, **(CALLS[action] | kw))


def test_vocabulary_is_covered():
    assert set(CALLS) == set(ACTIONS)
    assert audit.needs_reason("delete") and audit.needs_reason("role_change")
    assert audit.needs_reason("review") and audit.needs_reason("intel_change") and not audit.needs_reason("view_intel")
    assert audit.needs_reason("export", personal=True) and not audit.needs_reason("export")
    reasoned = ("delete", "role_change", "review", "intel_change")
    assert not any(audit.needs_reason(a) for a in ACTIONS if a not in reasoned)


def test_table_exists_on_a_fresh_store_and_is_empty(store):
    assert AUDIT_TABLE in sa.inspect(store.engine).get_table_names()
    cols = {c["name"] for c in sa.inspect(store.engine).get_columns(AUDIT_TABLE)}
    assert cols == {"id", "at", "user", "role", "action", "target", "rows", "reason", "detail"} | set(AUDIT_CHAIN)
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


# --------------------------------------------------------------------------- the hash chain

#: Three entries and their hashes, worked outside Python: the canonical JSON written out by hand
#: and hashed with ``printf '%s' "$PREV$JSON" | sha256sum`` (the first entry's PREV is 64 zeros).
HAND_WORKED = [
    (
        AuditEntry(
            at="2024-03-01T12:00:00.000000+00:00",
            user="alice",
            role="analyst",
            action="view_layer",
            target="layer:flagged",
            rows=12,
        ),
        '{"action":"view_layer","at":"2024-03-01T12:00:00.000000+00:00","detail":"{}","reason":"",'
        '"role":"analyst","rows":12,"target":"layer:flagged","user":"alice"}',
        "2b8a3249771406f82a23b2b9b7525316cd4e0126f1825f10a8c4b434cb77cbda",
    ),
    (
        AuditEntry(
            at="2024-03-01T12:05:00.000000+00:00",
            user="bob",
            role="viewer",
            action="sign_in",
            target="app",
            detail='{"method": "oidc"}',
        ),
        '{"action":"sign_in","at":"2024-03-01T12:05:00.000000+00:00","detail":"{\\"method\\": \\"oidc\\"}",'
        '"reason":"","role":"viewer","rows":null,"target":"app","user":"bob"}',
        "e5502faeabc8997f2ce70f48139323ff5b8c04720d38c992f0a01a6e457eb200",
    ),
    (
        AuditEntry(
            at="2024-03-01T12:10:00.000000+00:00",
            user="ana",
            role="analyst",
            action="delete",
            target="import:7",
            rows=0,
            reason="café closed",
        ),
        '{"action":"delete","at":"2024-03-01T12:10:00.000000+00:00","detail":"{}","reason":"caf\\u00e9 closed",'
        '"role":"analyst","rows":0,"target":"import:7","user":"ana"}',
        "4c890cf4ab768b31ec07019aa3575201beb44975178cfadd78607a68c511ba56",
    ),
]


def chain_rows(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.text(f"SELECT id, prev_hash, entry_hash FROM {AUDIT_TABLE} ORDER BY id"))
        ]


def sql(store: Store, *statements: str) -> None:
    """Change the table behind the store's back, as someone with the database's password could."""
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


@pytest.fixture
def chained(store):
    """Five entries, ids 1-5: the three hand-worked ones then two views."""
    for entry, _json, _hash in HAND_WORKED:
        store.write_audit(entry)
    for n in (4, 5):
        store.write_audit(dataclasses.replace(HAND_WORKED[0][0], at=f"2024-03-01T12:1{n}:00.000000+00:00", rows=n))
    return store


def test_the_chain_is_the_documented_hashes(store):
    for entry, _json, _hash in HAND_WORKED:
        store.write_audit(entry)
    prev = audit.GENESIS
    assert prev == "0" * 64
    for (entry, text, expected), (_id, stored_prev, stored) in zip(HAND_WORKED, chain_rows(store), strict=True):
        content = {f: getattr(entry, f) for f in ("action", "at", "detail", "reason", "role", "rows", "target", "user")}
        assert json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True) == text
        assert audit.canonical(content) == text.encode("ascii")
        assert hashlib.sha256((prev + text).encode("ascii")).hexdigest() == expected  # the shell's sha256sum
        assert (stored_prev, stored) == (prev, expected)
        prev = expected
    check = audit.verify_chain(store)
    assert (check.ok, check.entries, check.head, check.bad_id) == (True, 3, HAND_WORKED[-1][2], None)
    assert check.message == f"audit chain verified: 3 entries, head {HAND_WORKED[-1][2]}"


def test_an_empty_log_verifies_with_the_genesis_head(store):
    check = audit.verify_chain(store)
    assert (check.ok, check.entries, check.head) == (True, 0, audit.GENESIS)
    assert audit.verify_chain(store, expect_head=audit.GENESIS).ok  # the start of every chain


def test_every_writer_chains_record_deletions_and_multi_row_inserts(store, write):
    from geo.store.importer import delete_import, import_path
    from tests.conftest import police_csv, police_row

    result = import_path(store, "incidents", write("a.csv", police_csv(police_row())))
    record_import = audit.record_import(store, result, user="cli", role="cli")
    delete_import(store, result.files[0]["import_id"], user="ana", role="analyst", reason="shared in error")
    with store.engine.begin() as conn:  # one INSERT of two rows: they chain onto each other, in order
        conn.execute(store.tables[AUDIT_TABLE].insert(), [_values(entry_at(f"2024-0{m}-01")) for m in (1, 2)])
    rows = chain_rows(store)
    assert rows[0][0] == record_import.id
    assert store.audit()["action"].tolist()[::-1] == ["import", "delete", "view_layer", "view_layer"]
    assert [r[1] for r in rows] == [audit.GENESIS, *(r[2] for r in rows[:-1])]
    assert audit.verify_chain(store).ok and audit.verify_chain(store).entries == 4


def test_awkward_text_hashes_the_same_as_the_store_gives_it_back(store):
    odd = 'line\nbreak, "quotes", back\\slash, tab\t, ünïcødé, emoji 🛡, ${x}, <b>'
    record(store, user=odd, role="analyst", action="role_change", target=odd, reason=odd, detail={"note": odd})
    record(store, user="a", role="r", action="view_cell", target="cell:1", rows=2**31 - 1)
    record(store, user="a", role="r", action="sign_in", target="app")  # rows NULL
    assert audit.verify_chain(store).ok


def test_two_entries_can_never_follow_the_same_one(chained):
    first = chain_rows(chained)[0]
    with pytest.raises(sa.exc.IntegrityError), chained.engine.begin() as conn:
        conn.execute(
            chained.tables[AUDIT_TABLE].insert(),
            {**_values(entry_at("2024-04-01T00:00:00.000000+00:00")), "prev_hash": first[1]},
        )


def _values(entry: AuditEntry) -> dict:
    """An entry as INSERT values, leaving the id to the database."""
    return {k: v for k, v in dataclasses.asdict(entry).items() if k != "id"}


def _swap_2_and_4() -> list[str]:
    return [
        "UPDATE audit SET id = 100 WHERE id = 2",
        "UPDATE audit SET id = 2 WHERE id = 4",
        "UPDATE audit SET id = 4 WHERE id = 100",
    ]


@pytest.mark.parametrize(
    ("tamper", "bad_id", "problem"),
    [
        (["UPDATE audit SET reason = 'routine' WHERE id = 3"], 3, "changed after it was written"),
        (["UPDATE audit SET rows = 13 WHERE id = 1"], 1, "changed after it was written"),
        (["UPDATE audit SET \"user\" = 'mallory' WHERE id = 5"], 5, "changed after it was written"),
        (["UPDATE audit SET at = '2024-03-01T09:00:00.000000+00:00' WHERE id = 2"], 2, "changed after"),
        ([f"UPDATE audit SET entry_hash = '{'f' * 64}' WHERE id = 5"], 5, "no longer matches its hash"),  # the last
        (["DELETE FROM audit WHERE id = 3"], 4, "follows no entry in the log: an entry after 2 is missing"),
        (["DELETE FROM audit WHERE id = 1"], 2, "the entries before it are missing"),
        (_swap_2_and_4(), 2, "it belongs after entry 3: the entries are out of order"),
        # a forged entry given a hash of its own (the real successor's prev_hash is taken: UNIQUE)
        (
            [
                'INSERT INTO audit (id, at, "user", role, action, target, rows, reason, detail, prev_hash, '
                f"entry_hash) VALUES (6, '2024-03-01T13:00:00.000000+00:00', 'x', 'x', 'view_audit', 'audit', "
                f"NULL, '', '{{}}', '{'a' * 64}', '{'b' * 64}')"
            ],
            6,
            "follows no entry in the log",
        ),
    ],
    ids=["reason", "rows", "user", "at", "last-hash", "delete", "delete-first", "swap", "insert"],
)
def test_each_kind_of_tampering_names_the_first_bad_entry(chained, tamper, bad_id, problem):
    sql(chained, *tamper)
    check = audit.verify_chain(chained)
    assert not check.ok and check.bad_id == bad_id and problem in check.problem
    assert check.entries == len([r for r in chain_rows(chained) if r[0] < bad_id])  # the intact prefix
    assert check.message.startswith(f"audit chain broken at entry {bad_id}: ")


def test_a_forged_entry_between_two_real_ones_is_caught_at_the_next_real_one():
    """Where the database's UNIQUE cannot help (a backup file): the forgery carries a correct hash of its own."""
    rows = [(1, audit.GENESIS, None, *_content("one"))]
    rows[0] = (*rows[0][:2], _hash(rows[0]), *rows[0][3:])
    for i, name in ((2, "two"), (3, "three")):
        row = (i, rows[-1][2], None, *_content(name))
        rows.append((*row[:2], _hash(row), *row[3:]))
    assert audit.check_rows([rows], find=_finder(rows)).ok
    forged = (2, rows[0][2], None, *_content("forged"))  # chained correctly onto entry 1
    forged = (*forged[:2], _hash(forged), *forged[3:])
    tampered = [rows[0], forged, *((i + 1, *r[1:]) for i, r in ((2, rows[1]), (3, rows[2])))]
    check = audit.check_rows([tampered], find=_finder(tampered))
    assert check.bad_id == 3 and "follows entry 1: the entries after 1 up to 2 were inserted or moved" in check.problem
    restarted = [rows[0], (2, audit.GENESIS, *rows[1][2:]), rows[2]]  # UNIQUE keeps this out of a store
    check = audit.check_rows([restarted], find=_finder(restarted))
    assert check.bad_id == 2 and "claims to be the first entry" in check.problem


def _content(target: str) -> tuple:
    return ("view_layer", "2024-03-01T12:00:00.000000+00:00", "{}", "", "analyst", None, target, "alice")


def _hash(row: tuple) -> str:
    return audit.link_hash(row[1], dict(zip(audit.HASHED_FIELDS, row[3:], strict=True)))


def _finder(rows: list[tuple]):
    return lambda h: next((r[0] for r in rows if r[2] == h), None)


def test_a_log_cut_short_at_the_end_is_caught_only_by_the_expected_head(chained):
    head = audit.verify_chain(chained).head
    second = chain_rows(chained)[1][2]
    sql(chained, "DELETE FROM audit WHERE id = 5")
    assert audit.verify_chain(chained).ok  # what is left is a valid chain
    check = audit.verify_chain(chained, expect_head=head)
    assert not check.ok and check.bad_id is None and f"no entry has the expected head {head}" in check.problem
    kept = audit.verify_chain(chained, expect_head=second.upper())  # an older head is still in the chain
    assert kept.ok and (kept.expected_id, kept.since_expected) == (2, 2)
    assert kept.message.endswith("; the expected head is entry 2, 2 entries since")


def test_a_history_rewritten_with_every_hash_recomputed_is_caught_only_by_the_expected_head(chained):
    head = audit.verify_chain(chained).head
    sql(chained, "UPDATE audit SET reason = 'nothing to see' WHERE id = 3")
    rows = [r[0] for r in chain_rows(chained)]
    prev = audit.GENESIS
    sql(chained, "UPDATE audit SET prev_hash = 'x' || id")  # out of UNIQUE's way while the chain is redone
    with chained.engine.begin() as conn:
        for entry_id in rows:  # the forger's recomputation, with the documented recipe
            row = conn.execute(sa.text(f"SELECT * FROM {AUDIT_TABLE} WHERE id = {entry_id}")).mappings().one()
            prev_new = audit.link_hash(prev, {f: row[f] for f in audit.HASHED_FIELDS})
            conn.execute(
                sa.text(f"UPDATE {AUDIT_TABLE} SET prev_hash = :p, entry_hash = :h WHERE id = {entry_id}"),
                {"p": prev, "h": prev_new},
            )
            prev = prev_new
    assert audit.verify_chain(chained).ok  # a keyless chain cannot tell
    assert not audit.verify_chain(chained, expect_head=head).ok  # the head written down can


@pytest.mark.parametrize("head", ["abc", "g" * 64, "", "0" * 63])
def test_an_expected_head_that_is_not_a_hash_is_refused(store, head):
    with pytest.raises(OptionError, match="64 hexadecimal digits") as caught:
        audit.verify_chain(store, expect_head=head)
    assert caught.value.option == "expect_head"


def test_verification_reads_in_chunks_and_still_sees_a_break_at_a_boundary(chained):
    assert audit.verify_chain(chained, chunk=2).ok
    sql(chained, "DELETE FROM audit WHERE id = 3")  # the first entry of the second chunk of two
    check = audit.verify_chain(chained, chunk=2)
    assert (check.bad_id, check.entries) == (4, 2) and "after 2 is missing" in check.problem


def _record_many(url: str, who: str, n: int) -> None:
    writer = Store(url)
    try:
        for i in range(n):
            record(writer, user=who, role="analyst", action="view_cell", target=f"cell:{i}", rows=i)
    finally:
        writer.dispose()


def test_concurrent_writers_in_threads_keep_one_chain(store):
    import threading

    threads = [threading.Thread(target=_record_many, args=(store.url, f"t{k}", 25)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=patience(120))
    assert not any(t.is_alive() for t in threads)
    check = audit.verify_chain(store)
    assert check.ok and check.entries == 100, check.message
    assert store.audit()["user"].value_counts().to_dict() == {"t0": 25, "t1": 25, "t2": 25, "t3": 25}


def test_concurrent_writers_in_processes_keep_one_chain(store):
    import subprocess
    import sys

    code = "import sys; from tests.store.test_audit import _record_many; _record_many(sys.argv[1], sys.argv[2], 30)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, store.url, f"p{k}"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for k in range(3)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=patience(180))
        assert p.returncode == 0, err
    check = audit.verify_chain(store)
    assert check.ok and check.entries == 90, check.message


TEXT = st.text(max_size=12)
COUNT = st.none() | st.integers(min_value=0, max_value=2**40)
CONTENT = st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT, COUNT, TEXT, TEXT)  # in HASHED_FIELDS order


def _chain(contents: list[tuple]) -> list[tuple]:
    rows, prev = [], audit.GENESIS
    for i, content in enumerate(contents, start=1):
        digest = audit.link_hash(prev, dict(zip(audit.HASHED_FIELDS, content, strict=True)))
        rows.append((i, prev, digest, *content))
        prev = digest
    return rows


@given(CONTENT)
def test_the_canonical_form_is_compact_sorted_ascii_json(content):
    fields = dict(zip(audit.HASHED_FIELDS, content, strict=True))
    expected = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    assert audit.canonical(fields) == expected


@given(st.lists(CONTENT, min_size=1, max_size=6), st.data())
def test_any_single_field_edit_is_found_at_the_entry_edited(contents, data):
    rows = _chain(contents)
    assert audit.check_rows([rows], find=_finder(rows)).ok
    at = data.draw(st.integers(0, len(rows) - 1), label="entry")
    column = data.draw(st.sampled_from(audit.CHAIN_ROW[1:]), label="field")  # every field but the id
    index = audit.CHAIN_ROW.index(column)
    old = rows[at][index]
    new = data.draw((COUNT if column == "rows" else TEXT).filter(lambda v: v != old), label="new value")
    edited = list(rows)
    edited[at] = (*rows[at][:index], new, *rows[at][index + 1 :])
    check = audit.check_rows([edited], find=_finder(edited))
    assert not check.ok and check.bad_id == at + 1 and check.entries == at
