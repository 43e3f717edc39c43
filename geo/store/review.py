"""What people decided about the review queue's addresses: flagged, dismissed, or a joint visit booked.

The queue (:mod:`geo.plan.review`) never decides: each decision here is a
person's, with a reason, in the audit log. A decision is kept per address key
(``uprn:…`` or ``ref:…``) with the newest signal date it saw (``through``), so
a dismissal hides the address only until a newer signal arrives.

*Flag* stores a flagged address through the same validation and import log as
a file (:func:`geo.store._small_import.import_small`): it can be listed,
counted and undone like any import. Its ref is the address's property ref (or
UPRN); when that ref already names a stored flag (a closed one: an open one
keeps the address off the queue), the day is added (``R12-20261203``) so the
old record stands as it was.

The audit entries name the decision's id and the rules' keys, never the
address or the UPRN: the log is read more widely than the flagged list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from geo.core.days import check_day
from geo.core.errors import OptionError
from geo.store._small_import import import_small
from geo.store._store import Store, _new_id
from geo.store._tables import REVIEW_TABLE
from geo.store.audit import record
from geo.store.patrols import instant_text

__all__ = ["ACTIONS", "DECISION_COLUMNS", "decide", "flag_from_review", "latest_decision", "read_decisions"]

#: What a person may decide, and how the page and the log say it.
ACTIONS: dict[str, str] = {
    "flagged": "flagged as an address of concern",
    "dismissed": "dismissed (hidden until a new signal arrives)",
    "booked": "joint visit booked",
}
#: :func:`read_decisions`' columns.
DECISION_COLUMNS = ["id", "address", "action", "at", "user", "reason", "through", "flagged_ref"]
#: The flagged list's headings for a flag made from the queue (the kind's own column names).
_FLAG_COLUMNS = ("ref", "address", "lat", "lng", "first_flagged", "indicators", "status", "agency")


def latest_decision(store: Store) -> int:
    """The newest decision's id (0 for none): a cache stamp, since decisions are not imports."""
    t = store.tables[REVIEW_TABLE]
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0)


def read_decisions(store: Store) -> pd.DataFrame:
    """Every decision, oldest first: :data:`DECISION_COLUMNS`."""
    t = store.tables[REVIEW_TABLE]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(*(t.c[c] for c in DECISION_COLUMNS)).order_by(t.c.id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=DECISION_COLUMNS)
    return frame.astype({"id": "int64"}) if len(frame) else frame


def _check(address: str, action: str, reason: str, through: str | dt.date) -> tuple[str, str, str]:
    if action not in ACTIONS:
        raise OptionError(f"unknown decision {action!r}; expected one of {', '.join(ACTIONS)}", option="action")
    reason = (reason or "").strip()
    if not reason:
        raise OptionError("give a reason: every decision on the review queue is logged with one", option="reason")
    address = (address or "").strip()
    if not address.startswith(("uprn:", "ref:")) or len(address) < 5:
        raise OptionError(f"not a review queue address: {address!r}", option="address")
    if isinstance(through, str):
        try:
            through = dt.date.fromisoformat(through.strip()[:10])
        except ValueError:
            raise OptionError(f"through must be a date YYYY-MM-DD, not {through!r}", option="through") from None
    return address, reason, check_day(through, option="through").isoformat()


def decide(
    store: Store,
    *,
    address: str,
    action: str,
    reason: str,
    through: str | dt.date,
    user: str,
    role: str,
    rules: Sequence[str] = (),
    flagged_ref: str = "",
    when: dt.datetime | None = None,
) -> int:
    """Store one decision and its audit entry; return the decision's id.

    Parameters
    ----------
    address
        The queue's key of the address (``uprn:…`` or ``ref:…``).
    through
        The newest signal's date the person saw (``YYYY-MM-DD``).
    rules
        The keys of the rules the address met (for the audit entry: no address in the log).
    """
    address, reason, through = _check(address, action, reason, through)
    values: dict[str, Any] = {"address": address, "action": action, "reason": reason, "through": through}
    values |= {"at": instant_text(when or dt.datetime.now(dt.UTC)), "user": user, "flagged_ref": flagged_ref}
    t = store.tables[REVIEW_TABLE]
    with store.engine.begin() as conn:
        decision = _new_id(conn.execute(t.insert().values(**values)))
    detail = {"decision": action, "rules": ";".join(rules), "through": through}
    record(store, user=user, role=role, action="review", target=f"review:{decision}", reason=reason, detail=detail)
    return decision


def _free_ref(store: Store, base: str, day: dt.date) -> str:
    taken = set(store.read("flagged", columns=["ref"])["ref"].astype(str))
    if base not in taken:
        return base
    dated = f"{base}-{day:%Y%m%d}"
    if dated in taken:
        raise OptionError(f"{dated} is already flagged: this address was flagged from the queue today", option="ref")
    return dated


def flag_from_review(
    store: Store,
    *,
    address: str,
    ref: str,
    words: str,
    lat: float,
    lng: float,
    indicators: str,
    through: str | dt.date,
    reason: str,
    user: str,
    role: str,
    rules: Sequence[str] = (),
    agency: str = "",
    today: dt.date | None = None,
) -> tuple[str, int]:
    """Flag a queue address: a flagged row (status open, first flagged ``today``) and the decision; return both refs.

    Raises
    ------
    OptionError
        No reason, or the address has no ref, UPRN or point to flag it by.
    InputError
        The flagged row was refused by validation (its reason says why; nothing is stored).
    """
    address, reason, through = _check(address, "flagged", reason, through)
    base = (ref or "").strip() or address.split(":", 1)[1]
    if not (pd.notna(lat) and pd.notna(lng)):
        raise OptionError(
            "this address has no known location: import the housing stock (properties) or give its point, then flag it",
            option="address",
        )
    day = today or dt.date.today()
    flagged_ref = _free_ref(store, base, day)
    row = {"ref": flagged_ref, "address": words, "lat": repr(float(lat)), "lng": repr(float(lng))}
    row |= {"first_flagged": day.isoformat(), "indicators": indicators, "status": "open", "agency": agency}
    original = pd.DataFrame([row], columns=list(_FLAG_COLUMNS), dtype="str")
    import_small(
        store,
        "flagged",
        original,
        label=f"review flag {flagged_ref} {day.isoformat()}",
        columns={c: c for c in _FLAG_COLUMNS},
        source_format="review",
        user=user,
        role=role,
        must_store=1,
        refused="the address was not flagged",
    )
    decision = decide(
        store,
        address=address,
        action="flagged",
        reason=reason,
        through=through,
        user=user,
        role=role,
        rules=rules,
        flagged_ref=flagged_ref,
    )
    return flagged_ref, decision
