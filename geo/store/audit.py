"""The audit log: who looked at, exported, imported or erased what, when and why.

DPA 2018 s.62 (law-enforcement processing) asks for a log of collection,
alteration, consultation, disclosure (with its recipients), combination and
erasure. Each call to :func:`record` writes exactly one row of the store's
``audit`` table; the library never updates or deletes one.

What goes in an entry
---------------------
``target`` names what was touched, never the personal data itself:
``"layer:flagged"``, ``"cell:89195da49b3ffff"``, ``"export:patrol-plan.csv"``,
``"user:alice@example.org"`` (for a role change). ``rows`` counts what was
shown or exported. ``detail`` is for anything else and must hold **counts and
ids of cells, layers, imports or files only** — no addresses, UPRNs, names,
postcodes or coordinates of a person's home. Keys that look like personal data
are refused (see :data:`PERSONAL_KEYS`), but the rule is the caller's to keep.
The recipients of a disclosure (organisations or roles, e.g.
``{"recipients": ["Neighbourhood team B"]}``) belong in ``detail``.

The hash chain
--------------
Every entry also stores ``prev_hash``, the ``entry_hash`` of the entry before
it (:data:`GENESIS` for the first), and its own
``entry_hash = sha256(prev_hash + canonical(content)).hexdigest()``, where the
content is the eight fields of :data:`HASHED_FIELDS` exactly as the store
returns them (text as text, ``rows`` an integer or null) and the canonical form
is ``json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``
encoded as ASCII (:func:`canonical`). The id is not hashed: it only orders the
chain (ids may have gaps, as PostgreSQL sequences leave after a rollback).

The chain is filled in by :func:`chain_link`, the column default of both hash
columns, so every INSERT into ``audit`` that does not bring its own hashes is
chained — :func:`record`, the ``delete`` entry that
:meth:`geo.store.Store.delete_import` writes inside its own transaction, a
restore of a backup made before the chain existed — and none can forget to be.
It locks the chain in the writer's transaction first (a PostgreSQL advisory
lock, SQLite's write lock), so two writers never chain onto the same entry; a
UNIQUE ``prev_hash`` makes such a fork impossible even for a writer that skips
the lock. :func:`verify_chain` recomputes every hash
(``python -m geo audit verify``, the Audit log page, ``import-all`` before it
restores anything).

What the chain proves, and what it does not: an edited, deleted, inserted or
reordered entry breaks it, unless whoever edited it also recomputed every hash
after it, which anyone who can write to the store can do (the hash has no
key). So the head (``entries, head`` as ``audit verify`` prints it) is worth
writing down somewhere the store's administrators cannot reach (the minutes of
a governance meeting, a ticket): ``audit verify --expect-head HASH`` then fails
unless the chain still contains that entry, which catches a rewritten history
and a log cut short at the end. Entries added after the written-down head are
vouched for only by the next head written down.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import numbers
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from json.encoder import encode_basestring_ascii as _json_text
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from geo.core.errors import OptionError
from geo.store._tables import AUDIT_TABLE

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.engine.default import DefaultExecutionContext

    from geo.store._store import Store

#: Every action that may be logged, with what it covers in s.62 terms.
ACTIONS: dict[str, str] = {
    "sign_in": "a user signed in",
    "sign_in_refused": "a sign-in was refused",
    "view_layer": "consultation: a map layer was shown",
    "view_cell": "consultation: the rows behind one cell were shown",
    "export": "disclosure: a file was exported",
    "import": "collection, alteration or combination: data was imported",
    "delete": "erasure: data was deleted",
    "role_change": "a user's role was changed",
    "view_audit": "consultation of the audit log itself",
    "save_plan": "a week's patrol plan was saved (where and when teams are asked to be)",
    "review": "an address the early-warning queue raised was flagged, dismissed or booked for a joint visit",
    "view_intel": "consultation: police intelligence on groups and county lines was shown",
    "intel_change": "a user's intel permission (groups and county lines) was given or taken away",
}
#: Actions that always need a reason. ``export`` needs one only when ``personal=True``.
REASON_REQUIRED: frozenset[str] = frozenset({"delete", "role_change", "review", "intel_change"})
#: ``detail`` keys refused because they would put personal data into the log.
PERSONAL_KEYS: frozenset[str] = frozenset(
    {"address", "addresses", "uprn", "uprns", "postcode", "lat", "lng", "lon", "latitude", "longitude", "email"}
)


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log.

    ``at`` is a UTC ISO-8601 timestamp with microseconds; ``detail`` is JSON
    text (an object). ``id`` is ``None`` until the entry is written.
    """

    at: str
    user: str
    role: str
    action: str
    target: str
    rows: int | None = None
    reason: str = ""
    detail: str = "{}"
    id: int | None = None

    @property
    def details(self) -> dict[str, Any]:
        """``detail`` decoded."""
        return json.loads(self.detail)


def needs_reason(action: str, *, personal: bool = False) -> bool:
    """True when ``action`` may only be logged (and so only be done) with a reason."""
    return action in REASON_REQUIRED or (action == "export" and personal)


def now_utc() -> str:
    """The current time as the log stores it: UTC ISO-8601, microseconds, ``+00:00``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def make_entry(
    *,
    user: str,
    role: str,
    action: str,
    target: str,
    rows: int | None = None,
    reason: str = "",
    personal: bool = False,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Validate and build an entry (nothing is written).

    Raises :class:`~geo.core.errors.OptionError` naming the argument at fault (``action``,
    ``user``, ``reason``, ``rows``, ``detail``…): the caller built a bad entry, no file is involved.
    """
    if action not in ACTIONS:
        raise OptionError(f"unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}", option="action")
    for name, value in (("user", user), ("role", role), ("target", target)):
        if not isinstance(value, str) or not value.strip():
            raise OptionError(f"an audit entry needs a {name}", option=name)
    reason = (reason or "").strip()
    if needs_reason(action, personal=personal) and not reason:
        if action == "export":
            raise OptionError("an export of personal data needs a reason", option="reason")
        raise OptionError(f"a {action.replace('_', ' ')} needs a reason", option="reason")
    if rows is not None:  # numpy integers welcome (counts often come from a frame); bools and floats are not
        if isinstance(rows, bool) or not isinstance(rows, numbers.Integral) or rows < 0:
            raise OptionError(f"audit rows must be a count (a whole number ≥ 0), not {rows!r}", option="rows")
        rows = int(rows)
    extra = dict(detail or {})
    bad = sorted(k for k in extra if str(k).lower() in PERSONAL_KEYS)
    if bad:
        raise OptionError(f"audit detail must not hold personal data: {', '.join(map(str, bad))}", option="detail")
    if action == "export" or personal:
        extra["personal"] = bool(personal)
    try:
        text = json.dumps(extra, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"audit detail must be plain JSON (counts and ids): {exc}", option="detail") from None
    return AuditEntry(
        at=now_utc(),
        user=user.strip(),
        role=role.strip(),
        action=action,
        target=target.strip(),
        rows=rows,
        reason=reason,
        detail=text,
    )


def record(
    store: Store,
    *,
    user: str,
    role: str,
    action: str,
    target: str,
    rows: int | None = None,
    reason: str = "",
    personal: bool = False,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Validate and write one audit entry; return it with its ``id``.

    Parameters
    ----------
    store
        Where the log is kept.
    user, role
        Who did it (the signed-in identity and the role it acted under).
    action
        One of :data:`ACTIONS`.
    target
        What was looked at, exported, imported or deleted (``"layer:flagged"``).
    rows
        How many rows were shown or exported, when that is known.
    reason
        Why. Required for ``delete``, ``role_change`` and a ``personal`` export.
    personal
        The export holds personal data (e.g. flagged addresses).
    detail
        Anything else as JSON-able counts and ids. Never addresses or names.

    Raises
    ------
    OptionError
        Unknown action, missing who/what, or missing reason; nothing is written.
    StoreError
        The log could not be written.
    """
    entry = make_entry(
        user=user,
        role=role,
        action=action,
        target=target,
        rows=rows,
        reason=reason,
        personal=personal,
        detail=detail,
    )
    return dataclasses.replace(entry, id=store.write_audit(entry))


def record_import(store: Store, result: Any, *, user: str, role: str) -> AuditEntry:
    """The audit entry of an import (an :class:`geo.store.importer.ImportResult`), wherever it was started."""
    return record(
        store,
        user=user,
        role=role,
        action="import",
        target=f"import:{result.kind}:{result.path}",
        rows=result.rows,
        detail={"stored": result.stored, "rejected": result.rejected, "already_present": result.already_present},
    )


# --------------------------------------------------------------------------- the hash chain

#: The ``prev_hash`` of the first entry: 64 zeros, as no SHA-256 digest is known to be.
GENESIS = "0" * 64
#: What an entry's hash covers, in the order of its canonical JSON (alphabetical, as ``sort_keys`` puts it).
HASHED_FIELDS = ("action", "at", "detail", "reason", "role", "rows", "target", "user")
#: A chain row as the verifier reads it: the id (order only), the two hashes, then :data:`HASHED_FIELDS`.
CHAIN_ROW = ("id", "prev_hash", "entry_hash", *HASHED_FIELDS)
#: The PostgreSQL advisory-lock key that serialises audit writers (apart from the import lock,
#: so a view logged during a long import does not wait for it; SQLite has only one writer anyway).
CHAIN_LOCK = 0x4E57_4155  # "NWAU"
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: The canonical form with the fields in :data:`HASHED_FIELDS` order: ``json.dumps(content,
#: sort_keys=True, separators=(",", ":"), ensure_ascii=True)`` without building a dict per entry.
_FORM = '{"action":%s,"at":%s,"detail":%s,"reason":%s,"role":%s,"rows":%s,"target":%s,"user":%s}'


def _canonical_values(values: Sequence[Any]) -> str:
    """The canonical JSON of the eight :data:`HASHED_FIELDS` values, in that order."""
    action, at, detail, reason, role, rows, target, user = values
    count = "null" if rows is None else str(int(rows))
    text = _json_text  # the C escaper json.dumps uses for ASCII output: one call per field
    try:
        return _FORM % (text(action), text(at), text(detail), text(reason), text(role), count, text(target), text(user))
    except TypeError:  # a value that is not text (only from a hand-made row): hashed as its text
        return _canonical_values([v if i == 5 or isinstance(v, str) else str(v) for i, v in enumerate(values)])


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash covers: its :data:`HASHED_FIELDS` as compact, key-sorted, ASCII JSON.

    ``content`` holds the values as the store returns them (``rows`` an integer
    or ``None``, the rest text). Equal to ``json.dumps({f: content[f] for f in
    HASHED_FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``;
    ASCII so that no byte depends on an encoding or on how a database stores text.
    """
    return _canonical_values([content[f] for f in HASHED_FIELDS]).encode("ascii")


def link_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """``entry_hash`` of an entry with ``content`` that follows the entry whose hash is ``prev_hash``."""
    return _digest(prev_hash, [content[f] for f in HASHED_FIELDS])


def _digest(prev_hash: Any, values: Sequence[Any]) -> str:
    # prev_hash is 64 hex digits, so its UTF-8 is its ASCII; a forged non-hex one just fails to match
    return hashlib.sha256(f"{prev_hash}{_canonical_values(values)}".encode()).hexdigest()


def _lock_chain(conn: Connection) -> None:
    """Hold the chain until the writer's transaction ends, so its head cannot move under it."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    # SQLite: the driver opens a (deferred) transaction only at the INSERT, and reading the head
    # before it would let another writer commit in between. BEGIN IMMEDIATE takes the write lock
    # first; a transaction already writing (a deletion's) holds it already.
    elif conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _stored_head(conn: Connection) -> str:
    t = sa.table(AUDIT_TABLE, sa.column("id"), sa.column("entry_hash"))
    head = conn.execute(sa.select(t.c.entry_hash).order_by(t.c.id.desc()).limit(1)).scalar()
    return head or GENESIS


#: The head each INSERT statement has reached, so the rows of one multi-row INSERT chain onto each other.
_HEADS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def chain_link(context: DefaultExecutionContext, column: str) -> str:
    """The one function that chains an entry: the default of ``prev_hash`` and ``entry_hash``.

    SQLAlchemy calls it for each row of an INSERT into ``audit`` that does not
    give the column, with the row's other values; so every writer, whatever its
    transaction, appends the same way (see the module's docstring). The first
    row of a statement locks the chain and reads its head in the writer's
    transaction; later rows of the same statement chain onto the row before.
    """
    params = context.get_current_parameters()
    prev = params.get("prev_hash")
    if prev is None:
        prev = _HEADS.get(context)
        if prev is None:
            conn = context.connection
            _lock_chain(conn)
            prev = _stored_head(conn)
    if column == "prev_hash":
        return prev
    content = {f: params.get(f) for f in HASHED_FIELDS}
    _HEADS[context] = entry_hash = link_hash(prev, content)
    return entry_hash


@dataclasses.dataclass(frozen=True)
class ChainCheck:
    """What :func:`verify_chain` found.

    Attributes
    ----------
    ok
        Every entry follows the one before it and matches its hash (and the
        expected head, when one was given, is in the chain).
    entries
        Entries found intact: all of them when ``ok``, else those before ``bad_id``.
    head
        ``entry_hash`` of the last intact entry (:data:`GENESIS` for an empty log):
        the value to write down off the machine.
    bad_id
        The first entry that is not what was written, or ``None``.
    problem
        What is wrong, in plain words (empty when ``ok``).
    expected_id
        The entry whose hash is the expected head, when one was given and found.
    since_expected
        Entries written after the expected head.
    """

    ok: bool
    entries: int
    head: str
    bad_id: int | None = None
    problem: str = ""
    expected_id: int | None = None
    since_expected: int = 0

    @property
    def message(self) -> str:
        """One line for the command line and the dashboard."""
        if not self.ok:
            where = f" at entry {self.bad_id}" if self.bad_id is not None else ""
            return f"audit chain broken{where}: {self.problem}"
        line = f"audit chain verified: {self.entries:,} entries, head {self.head}"
        if self.expected_id is not None:
            line += f"; the expected head is entry {self.expected_id}, {self.since_expected:,} entries since"
        return line


def _as_head(expect_head: str | None) -> str | None:
    if expect_head is None:
        return None
    head = expect_head.strip().lower()
    if not _HEX64.fullmatch(head):
        raise OptionError("the expected head must be a SHA-256 hash: 64 hexadecimal digits", option="expect_head")
    return head


def _diagnose(entry_id: int, prev: str, *, before: int | None, follows: bool, find: Callable[[str], int | None]) -> str:
    """Why entry ``entry_id`` breaks the chain; ``before`` is the id of the entry before it, if any."""
    if follows:
        return "it was changed after it was written (its content no longer matches its hash)"
    if prev == GENESIS:
        return "it claims to be the first entry: it, or the entries before it, were inserted"
    target = find(prev)
    if target is None:
        first = "the entries before it are missing" if before is None else f"an entry after {before} is missing"
        return f"it follows no entry in the log: {first} (deleted), or it was inserted"
    if before is not None and target < before:
        return f"it follows entry {target}: the entries after {target} up to {before} were inserted or moved"
    return f"it belongs after entry {target}: the entries are out of order"


def check_rows(
    chunks: Iterable[Sequence[Sequence[Any]]],
    *,
    find: Callable[[str], int | None],
    expect_head: str | None = None,
) -> ChainCheck:
    """Verify a chain given as chunks of :data:`CHAIN_ROW` tuples in id order (from a store or a backup).

    Each entry's hash is recomputed (one SHA-256 per entry); whether each
    follows the one before is a comparison of whole columns. Stops at the
    first bad entry. ``find`` gives the id of the entry whose ``entry_hash`` is
    a value (or ``None``): only the diagnosis of a break uses it.
    """
    expected = _as_head(expect_head)
    entries, head, last_id = 0, GENESIS, None
    expected_id, since = (0, 0) if expected == GENESIS else (None, 0)
    for chunk in chunks:
        if not len(chunk):
            continue
        ids = [r[0] for r in chunk]
        prevs = [r[1] for r in chunk]
        hashes = [r[2] for r in chunk]
        # the one step per entry: SHA-256 over the predecessor's hash and the canonical content
        recomputed = [_digest(r[1], r[3:]) for r in chunk]
        follows = np.asarray(prevs, dtype=object) == np.asarray([head, *hashes[:-1]], dtype=object)
        matches = np.asarray(recomputed, dtype=object) == np.asarray(hashes, dtype=object)
        good = follows & matches
        bad = int(np.argmin(good)) if not good.all() else -1
        upto = len(chunk) if bad < 0 else bad
        if expected is not None:
            hit = [i for i, h in enumerate(hashes[:upto]) if h == expected]
            if hit:
                expected_id, since = int(ids[hit[0]]), -hit[0] - 1
        if expected_id is not None:
            since += upto
        if bad >= 0:
            before = int(ids[bad - 1]) if bad else last_id
            problem = _diagnose(int(ids[bad]), prevs[bad] or "", before=before, follows=bool(follows[bad]), find=find)
            head = hashes[bad - 1] if bad else head
            return ChainCheck(ok=False, entries=entries + bad, head=head, bad_id=int(ids[bad]), problem=problem)
        entries += len(chunk)
        head, last_id = hashes[-1], int(ids[-1])
    if expected is not None and expected_id is None:
        return ChainCheck(
            ok=False,
            entries=entries,
            head=head,
            problem=(
                f"no entry has the expected head {expected}: entries were removed from the end of the log, "
                "or its history was rewritten"
            ),
        )
    return ChainCheck(ok=True, entries=entries, head=head, expected_id=expected_id or None, since_expected=since)


def verify_chain(store: Store, *, expect_head: str | None = None, chunk: int = 50_000) -> ChainCheck:
    """Recompute the audit log's hash chain; the first entry that is not what was written, if any.

    Reads the log in id order ``chunk`` rows at a time (memory stays flat for
    millions of entries), as one snapshot: entries appended meanwhile wait for the next check.

    Parameters
    ----------
    expect_head
        A head written down earlier (see the module's docstring): the check
        also fails when no entry has it, which is how a log cut short at the
        end, or rewritten with every hash recomputed, shows.

    Raises
    ------
    OptionError
        ``expect_head`` is not a SHA-256 hex digest.
    """
    t = store.tables[AUDIT_TABLE]
    query = sa.select(*(t.c[c] for c in CHAIN_ROW)).order_by(t.c.id)
    with store.engine.connect() as conn:

        def find(value: str) -> int | None:
            return conn.execute(sa.select(sa.func.min(t.c.id)).where(t.c.entry_hash == value)).scalar()

        result = conn.execution_options(yield_per=chunk).execute(query)
        return check_rows(result.partitions(), find=find, expect_head=expect_head)
