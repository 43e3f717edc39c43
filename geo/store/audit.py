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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from geo.core.errors import OptionError

if TYPE_CHECKING:
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
}
#: Actions that always need a reason. ``export`` needs one only when ``personal=True``.
REASON_REQUIRED: frozenset[str] = frozenset({"delete", "role_change"})
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
