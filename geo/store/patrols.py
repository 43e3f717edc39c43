"""Patrols in the store: the pings (``patrols``), the homes (``properties``), saved week plans and check-ins.

Why a module of its own: the patrol loop (plan → deliver → measure) reads and
writes these together, and each needs one rule the generic reads do not
give: pings come back as moments in UTC (stored as UTC text of one width,
:data:`~geo.core.schema.INSTANT_FORMAT`, so text order is time order on both
backends), a week's plan is the newest one saved for it, and a check-in is a
small import of pings of its own (the same validation and accounting as any
file) with the press beside it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo.core.days import check_day
from geo.core.errors import OptionError
from geo.core.schema import INSTANT_FORMAT, KINDS
from geo.ingest.gpx import GPX_HEADINGS
from geo.store._small_import import import_small
from geo.store._store import Store, _new_id
from geo.store._tables import CHECKIN_TABLE, PLAN_SLOT_TABLE, PLAN_TABLE
from geo.store.audit import record

__all__ = ["CHECKIN_SOURCE", "LONGEST_STAY", "PING_COLUMNS", "PLAN_SLOT_COLUMNS", "PROPERTY_COLUMNS"]
__all__ += ["instant_text", "open_checkins", "read_pings", "read_plan", "read_plan_slots", "read_properties"]
__all__ += ["record_checkin", "save_plan"]

#: The columns of :func:`read_pings`.
PING_COLUMNS = ["unit", "time", "lat", "lng", "source"]
#: The columns of :func:`read_properties`.
PROPERTY_COLUMNS = ["ref", "address", "uprn", "lat", "lng", "landlord", "block"]


def instant_text(when: dt.datetime | pd.Timestamp) -> str:
    """``when`` as the store keeps a moment (UTC, :data:`~geo.core.schema.INSTANT_FORMAT`); naive is UTC."""
    stamp = pd.Timestamp(when)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime(INSTANT_FORMAT)


def _day_start(day: dt.date) -> str:
    return instant_text(dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC))


def _check_days(start: dt.date | None, end: dt.date | None) -> None:
    for name, day in (("start", start), ("end", end)):
        if day is not None:
            check_day(day, option=name)
    if start is not None and end is not None and start > end:
        raise OptionError(f"the period starts ({start}) after it ends ({end})", option="start")


def read_pings(store: Store, *, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """Stored patrol pings from ``start`` to ``end`` (whole days in UTC, both inclusive; None: open).

    Returns
    -------
    pandas.DataFrame
        ``unit`` (str), ``time`` (datetime64[ns, UTC]), ``lat``, ``lng``
        (float64), ``source`` (str), sorted by unit then time, index 0..n-1.

    Raises
    ------
    OptionError
        When a bound is not a date, or ``start`` is after ``end``.
    """
    _check_days(start, end)
    t = store.tables[KINDS["patrols"].table]
    q = sa.select(*(t.c[c] for c in PING_COLUMNS))
    if start is not None:
        q = q.where(t.c.time >= _day_start(start))
    if end is not None:
        q = q.where(t.c.time < _day_start(end + dt.timedelta(days=1)))
    with store.engine.connect() as conn:
        rows = conn.execute(q.order_by(t.c.unit, t.c.time)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=PING_COLUMNS)
    frame = frame.astype({"unit": "str", "time": "str", "lat": "float64", "lng": "float64", "source": "str"})
    frame["time"] = pd.to_datetime(frame["time"], format=INSTANT_FORMAT, utc=True).astype("datetime64[ns, UTC]")
    # sorted again in Python: a database's text collation (PostgreSQL's locale) need not be code-point order
    return frame.sort_values(["unit", "time"], kind="stable").reset_index(drop=True)


def first_ping_day(store: Store) -> dt.date | None:
    """The UTC day of the earliest stored ping (None: no patrol log yet).

    Why: a period that ends before the log starts has *no patrol log*, which
    must not be published as "no patrols" (publish asks this without reading
    every ping).
    """
    t = store.tables[KINDS["patrols"].table]
    with store.engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(t.c.time))).scalar()
    return None if first is None else pd.to_datetime(first, format=INSTANT_FORMAT, utc=True).date()


def read_properties(store: Store) -> pd.DataFrame:
    """Stored homes, in the order stored: :data:`PROPERTY_COLUMNS`, text "" where missing, lat/lng float64."""
    t = store.tables[KINDS["properties"].table]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(*(t.c[c] for c in PROPERTY_COLUMNS)).order_by(t.c.id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=PROPERTY_COLUMNS)
    text = {c: "str" for c in PROPERTY_COLUMNS if c not in ("lat", "lng")}
    frame = frame.astype({**text, "lat": "float64", "lng": "float64"})
    for c in text:
        frame[c] = frame[c].fillna("")
    return frame


# --------------------------------------------------------------------------- saved week plans

#: The columns of a saved plan's slots (those of :data:`geo.plan.schedule.SLOT_COLUMNS`; a test checks they agree).
PLAN_SLOT_COLUMNS = ["week", "team", "order", "cell", "res", "place", "ward", "start", "minutes", "reason"]
_SLOT_TEXT = ("team", "place", "ward", "reason")
_SLOT_NUMBERS = ("order", "cell", "res", "minutes")
#: Who saved or pressed, when the caller does not say in which role (the audit log needs a role).
ROLE_NOT_GIVEN = "not given"


def _monday(week: object, *, option: str = "week") -> dt.date:
    if not isinstance(week, dt.date) or isinstance(week, dt.datetime):
        raise OptionError(f"the week must be a date (its Monday), not {week!r}", option=option)
    return check_day(week, option=option)


def _slot_rows(slots: pd.DataFrame, week: dt.date) -> list[dict[str, Any]]:
    """``slots`` as rows to store, every value checked: a plan that cannot be set against delivery is refused."""
    missing = [c for c in PLAN_SLOT_COLUMNS if c not in slots.columns]
    if missing:
        raise OptionError(
            f"the plan's slots lack the column(s) {missing}; a slot has {PLAN_SLOT_COLUMNS}", option="slots"
        )
    frame = slots[PLAN_SLOT_COLUMNS].reset_index(drop=True)
    weeks = {pd.Timestamp(w).date() for w in frame["week"]}
    if weeks - {week}:
        raise OptionError(
            f"slots of week(s) {sorted(str(w) for w in weeks - {week})} in the plan of {week}", option="slots"
        )
    starts = pd.Series(frame["start"])
    if len(starts) and (not isinstance(starts.dtype, pd.DatetimeTZDtype) and starts.map(_naive).any()):
        raise OptionError("every slot's start must carry its time zone (Europe/London)", option="slots")
    start = pd.to_datetime(starts, utc=True).dt.strftime(INSTANT_FORMAT) if len(starts) else starts.astype("str")
    numbers = {}
    for c in _SLOT_NUMBERS:
        values = pd.to_numeric(frame[c], errors="coerce")
        if values.isna().any() or (values != np.floor(values)).any():
            raise OptionError(f"every slot's {c} must be a whole number", option="slots")
        numbers[c] = values.astype("int64").tolist()
    if len(frame) and (min(numbers["order"]) < 1 or min(numbers["minutes"]) < 1):
        raise OptionError("every slot's order and minutes must be 1 or more", option="slots")
    text = {c: frame[c].fillna("").astype("str").tolist() for c in _SLOT_TEXT}
    return [
        {"week": week.isoformat(), "start": start.iloc[i], **{c: numbers[c][i] for c in _SLOT_NUMBERS}}
        | {c: text[c][i] for c in _SLOT_TEXT}
        for i in range(len(frame))
    ]


def _naive(value: object) -> bool:
    return getattr(pd.Timestamp(value), "tzinfo", None) is None


def save_plan(
    store: Store,
    slots: pd.DataFrame,
    *,
    week: dt.date,
    user: str,
    options: Mapping[str, Any],
    role: str = ROLE_NOT_GIVEN,
) -> int:
    """Save one week's plan (``slots``: :data:`PLAN_SLOT_COLUMNS`), log it, and return its id.

    The newest plan saved for a week is that week's plan (:func:`read_plan`);
    earlier ones stay in the store, unread, so that the audit log's entries
    keep naming what was saved. ``options`` (how the plan was made: shifts,
    dose, seed...) are kept as JSON beside it. Starts are stored in UTC.

    Raises
    ------
    OptionError
        When ``week`` is not a Monday, a slot is of another week, a column is
        missing, a start has no time zone, or a number is not whole.
    """
    week = _monday(week)
    if week.weekday() != 0:
        raise OptionError(f"a plan's week is named by its Monday; {week} is a {week:%A}", option="week")
    rows = _slot_rows(slots, week)
    plans, slot_table = store.tables[PLAN_TABLE], store.tables[PLAN_SLOT_TABLE]
    saved_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    kept = json.dumps(dict(options), default=str, sort_keys=True, ensure_ascii=False)
    with store.engine.begin() as conn:
        plan_id = _new_id(
            conn.execute(
                plans.insert().values(
                    week=week.isoformat(), saved_at=saved_at, user=user, options=kept, slots=len(rows)
                )
            )
        )
        if rows:
            conn.execute(slot_table.insert(), [r | {"plan_id": plan_id} for r in rows])
    teams = len({r["team"] for r in rows})
    record(
        store,
        user=user,
        role=role or ROLE_NOT_GIVEN,
        action="save_plan",
        target=f"plan:{week.isoformat()}",
        rows=len(rows),
        detail={"plan_id": plan_id, "teams": teams},
    )
    return plan_id


def delete_plans(store: Store, *, user: str, role: str, reason: str) -> int:
    """Delete every saved plan and its slots, audited first (action ``delete``, ``reason`` required); how many.

    Why: plans are not imports, so deleting the demo's imports leaves them;
    ``geo demo --remove`` calls this because every plan in a store that held
    the demo was made on the demo's places (the store refuses to mix real data
    with the demo), and a real partnership must not find them as its own.
    """
    plans, slot_table = store.tables[PLAN_TABLE], store.tables[PLAN_SLOT_TABLE]
    with store.engine.connect() as conn:
        n = int(conn.execute(sa.select(sa.func.count()).select_from(plans)).scalar() or 0)
    if not n:
        return 0
    record(store, user=user, role=role, action="delete", target="plans:all", rows=n, reason=reason)
    with store.engine.begin() as conn:
        conn.execute(slot_table.delete())
        conn.execute(plans.delete())
    return n


def _slots_frame(rows: Sequence[Any]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=PLAN_SLOT_COLUMNS)
    frame = frame.astype({c: "int64" for c in _SLOT_NUMBERS} | {c: "str" for c in _SLOT_TEXT})
    frame["week"] = [dt.date.fromisoformat(str(w)) for w in frame["week"]]
    frame["start"] = pd.to_datetime(frame["start"].astype("str"), format=INSTANT_FORMAT, utc=True)
    frame["start"] = frame["start"].astype("datetime64[ns, UTC]")
    return frame


def _newest_plans(store: Store) -> sa.Subquery:
    plans = store.tables[PLAN_TABLE]
    return sa.select(sa.func.max(plans.c.id).label("id")).group_by(plans.c.week).subquery()


def read_plan(store: Store, *, week: dt.date) -> pd.DataFrame | None:
    """The newest plan saved for the week holding ``week`` (any of its days), None when none was saved.

    Its slots as :func:`read_plan_slots` gives them, in the order saved.
    """
    monday = _monday(week)
    monday -= dt.timedelta(days=monday.weekday())
    plans, slots = store.tables[PLAN_TABLE], store.tables[PLAN_SLOT_TABLE]
    with store.engine.connect() as conn:
        plan_id = conn.execute(sa.select(sa.func.max(plans.c.id)).where(plans.c.week == monday.isoformat())).scalar()
        if plan_id is None:
            return None
        q = sa.select(*(slots.c[c] for c in PLAN_SLOT_COLUMNS)).where(slots.c.plan_id == plan_id).order_by(slots.c.id)
        return _slots_frame(conn.execute(q).all())


def read_plan_slots(store: Store, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Every slot of the newest plan of each week whose start falls on ``start`` to ``end`` (UTC days, inclusive).

    Returns
    -------
    pandas.DataFrame
        :data:`PLAN_SLOT_COLUMNS`: ``week`` a date (the Monday), ``start``
        datetime64[ns, UTC], ``order``, ``cell``, ``res``, ``minutes`` int64,
        the rest text; sorted by start, team and order. Empty when no plan was saved.
    """
    _check_days(start, end)
    slots = store.tables[PLAN_SLOT_TABLE]
    newest = _newest_plans(store)
    q = (
        sa.select(*(slots.c[c] for c in PLAN_SLOT_COLUMNS))
        .where(slots.c.plan_id.in_(sa.select(newest.c.id)))
        .where(slots.c.start >= _day_start(start), slots.c.start < _day_start(end + dt.timedelta(days=1)))
        .order_by(slots.c.id)
    )
    with store.engine.connect() as conn:
        frame = _slots_frame(conn.execute(q).all())
    return frame.sort_values(["start", "team", "order"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- check-ins

#: The ``source`` of pings a check-in press stored.
CHECKIN_SOURCE = "check-in"
#: How long ago an arrival may have been for a "left" to make one stay of it; an older one was forgotten.
LONGEST_STAY = dt.timedelta(hours=4)
_MINUTE = dt.timedelta(minutes=1)


def _utc(when: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    if not isinstance(when, dt.datetime):
        raise OptionError(f"a check-in's moment must be a date and time, not {when!r}", option="at")
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _events(store: Store, unit: str, user: str) -> pd.DataFrame:
    """The unit's presses made by ``user``, oldest first: ``cell, action, at`` (UTC text)."""
    t = store.tables[CHECKIN_TABLE]
    with store.engine.connect() as conn:
        query = sa.select(t.c.cell, t.c.action, t.c.at).where(t.c.unit == unit, t.c.user == user)
        rows = conn.execute(query.order_by(t.c.at, t.c.id))
        frame = pd.DataFrame([tuple(r) for r in rows], columns=["cell", "action", "at"])
    return frame.astype({"cell": "int64", "action": "str", "at": "str"})


def open_checkins(store: Store, *, unit: str, user: str) -> pd.DataFrame:
    """The places ``unit`` arrived at and has not left: ``cell`` (int64), ``arrived_at`` (datetime64[ns, UTC]).

    Only the presses the signed-in ``user`` made count: a phone sees, and can
    close, its own arrivals, never where another unit is now (typing another
    call sign shows nothing open). A place's latest press decides: "arrived"
    is open, "left" closed. Sorted by arrival.
    """
    events = _events(store, unit.strip(), user)
    latest = events.drop_duplicates("cell", keep="last")
    arrived = latest[latest["action"] == "arrived"]
    at = pd.to_datetime(arrived["at"], format=INSTANT_FORMAT, utc=True).astype("datetime64[ns, UTC]")
    out = pd.DataFrame({"cell": arrived["cell"].to_numpy(dtype=np.int64), "arrived_at": at.to_numpy()})
    out["arrived_at"] = pd.to_datetime(out["arrived_at"], utc=True).astype("datetime64[ns, UTC]")
    return out.sort_values("arrived_at", kind="stable").reset_index(drop=True)


def _checkin_times(
    store: Store, *, unit: str, user: str, cell: int, action: str, at: pd.Timestamp
) -> tuple[list[str], str]:
    """The moments a press stores a ping at, and a note saying what the press was taken as."""
    if action == "arrived":
        return [instant_text(at)], "arrival: one ping at the place's centre"
    events = _events(store, unit, user)
    here = events[(events["cell"] == cell) & (events["at"] <= instant_text(at))].tail(1)
    if here.empty or here["action"].iloc[0] != "arrived":
        return [instant_text(at)], "left with no arrival pressed at this place: one ping (a pass)"
    since = pd.Timestamp(here["at"].iloc[0])
    if at - since > LONGEST_STAY:
        return [instant_text(at)], (
            f"left more than {LONGEST_STAY.total_seconds() / 3600:.0f} h after the arrival, which is taken as "
            "forgotten: one ping (a pass)"
        )
    # the unit pressed at another place in between: it had gone by then, so the stay ends there (never two
    # places at once); this late "Left" is a ping of its own
    elsewhere = events[
        (events["cell"] != cell) & (events["at"] > here["at"].iloc[0]) & (events["at"] <= instant_text(at))
    ]
    if not elsewhere.empty:
        gone = pd.Timestamp(elsewhere["at"].iloc[0])
        moments = pd.date_range(since + _MINUTE, gone, freq=_MINUTE, inclusive="left").tolist()
        return [instant_text(m) for m in [*moments, at]], (
            f"left: a ping a minute since the arrival at {instant_text(since)} until the press at another place "
            f"at {instant_text(gone)}, then one ping when Left was pressed"
        )
    moments = [*pd.date_range(since + _MINUTE, at, freq=_MINUTE, inclusive="left").tolist(), at]
    return [instant_text(m) for m in moments], f"left: a ping a minute since the arrival at {instant_text(since)}"


def record_checkin(
    store: Store,
    *,
    unit: str,
    cell: int,
    lat: float,
    lng: float,
    action: Literal["arrived", "left"],
    at: dt.datetime,
    user: str,
    role: str = ROLE_NOT_GIVEN,
) -> int:
    """Store one "arrived" or "left" press of ``unit`` at a planned place as pings, and return the press's id.

    The pings are a small import of the ``patrols`` kind (source
    :data:`CHECKIN_SOURCE`), through the same validation, accounting, import
    log and audit entry as a file. "Arrived" stores one ping at the place's
    centre (``lat``, ``lng``); "left" one ping a minute from the unit's
    latest open arrival at this ``cell`` (pressed by the same ``user``) up to
    ``at``, so that the stay rule sees one continuous stay, or only up to the
    unit's next press at another place when there was one in between; a
    "left" with no open arrival there (or one more than :data:`LONGEST_STAY`
    earlier) stores one ping, and the import's note says so. A check-in joins the store as it is: into the synthetic
    demo town it is the demo's, else real data.

    Raises
    ------
    OptionError
        For an unknown action, or ``at`` not a date and time.
    InputError
        When validation rejects the press's own ping (a blank or over-long
        unit, a place outside Great Britain, a moment in the future): nothing is stored.
    """
    if action not in ("arrived", "left"):
        raise OptionError(f"a check-in is 'arrived' or 'left', not {action!r}", option="action")
    when = _utc(at)
    name = unit.strip() if isinstance(unit, str) else ""
    times, note = _checkin_times(store, unit=name, user=user, cell=int(cell), action=action, at=when)
    label = f"check-in {action} {name} {instant_text(when)}"
    original = pd.DataFrame(
        {"unit": name, "time": times, "lat": repr(float(lat)), "lon": repr(float(lng)), "source": CHECKIN_SOURCE},
        dtype="str",
    )
    line, _ = import_small(  # the press's own moment (the last row) must be stored, or nothing is
        store,
        "patrols",
        original,
        label=label,
        columns=GPX_HEADINGS,
        source_format="check-in",
        source=CHECKIN_SOURCE,
        notes=[note],
        user=user,
        role=role or ROLE_NOT_GIVEN,
        must_store=len(original),
        refused="the check-in was not stored",
    )
    t = store.tables[CHECKIN_TABLE]
    values = {"import_id": int(line["import_id"]), "unit": name, "cell": int(cell), "action": action}
    values |= {"at": instant_text(when), "lat": float(lat), "lng": float(lng), "user": user}
    with store.engine.begin() as conn:
        checkin_id = _new_id(conn.execute(t.insert().values(**values)))
    return checkin_id
