"""Glue for the phone check-in: this week's planned places, and "Arrived" / "Left" stored as pings.

A team without GPS presses "Arrived" when it reaches a place of this week's
plan and "Left" when it goes; :func:`geo.store.patrols.record_checkin` stores
the presses as ``patrols`` pings at the place's centre (one small import per
press, through the same validation and accounting as a tracker's file), so the
stay rule counts a check-in exactly as it counts a track.

The page is for a phone on the street, which can be lost: it shows the
places by name, their ward and the next planned time, and nothing else (no
map, no case data, no reasons). The unit is a call sign or a team, never an
officer's name (GPS trials in some forces are limited by agreement to *where*
patrol was, not *who*).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo.core.errors import InputError
from geo.core.schema import MAX_KEY_LENGTH
from geo.space.hexes import cells_to_latlng

if TYPE_CHECKING:
    from geo.store import Store

#: Plans, slots and the page's times are in UK time (a shift "14:00-22:00" is a UK wall-clock time).
LONDON = ZoneInfo("Europe/London")

UNIT_LABEL = "Call sign or team"
UNIT_HELP = (
    "A call sign or a team name (B21, Hillfields 2): never an officer's name. The log records where a unit "
    "was, not who was in it."
)
UNIT_NOTE = "Type your call sign or team above (never an officer's name), then press Arrived at each place."

#: How long ago the unit got there, for a press made late ("Arrived" forgotten on arrival): minutes -> words.
EARLIER = {0: "Just now", 5: "5 minutes ago", 10: "10 minutes ago", 15: "15 minutes ago", 30: "30 minutes ago"}

#: The team picker's "every place" choice.
ALL_TEAMS = "All teams"


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (plans are saved per week, keyed by their Monday)."""
    return day - dt.timedelta(days=day.weekday())


def now_utc() -> dt.datetime:
    """The moment of a press (aware, UTC)."""
    return dt.datetime.now(dt.UTC)


def this_week(now: dt.datetime | None = None) -> dt.date:
    """The Monday of the current week in UK time."""
    return week_of((now or now_utc()).astimezone(LONDON).date())


def clean_unit(text: str | None) -> str:
    """The unit as typed, trimmed; :class:`InputError` when it cannot be stored (empty or too long)."""
    unit = " ".join((text or "").split())
    if not unit:
        raise InputError("type a call sign or team first")
    if len(unit) > MAX_KEY_LENGTH:
        raise InputError(f"a call sign is at most {MAX_KEY_LENGTH} characters")
    return unit


def clock(when: object) -> str:
    """A time of day in UK time as people say it ("14:05")."""
    return pd.Timestamp(when).tz_convert(LONDON).strftime("%H:%M")


def day_and_clock(when: object) -> str:
    """ "Tue 14:05" in UK time."""
    return pd.Timestamp(when).tz_convert(LONDON).strftime("%a %H:%M")


def teams_of(slots: pd.DataFrame | None) -> list[str]:
    """The plan's teams in their order of first appearance."""
    if slots is None or slots.empty:
        return []
    return list(dict.fromkeys(slots["team"].astype(str)))


def places_of(slots: pd.DataFrame | None, *, team: str | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per planned place: ``cell, place, ward, teams, visits, minutes, next, lat, lng``.

    ``slots`` are a saved week's slots (:data:`geo.plan.schedule.SLOT_COLUMNS`); ``team`` keeps that
    team's places only (None: every team's). Rows follow the route: team by team, stop by stop, a
    place two teams share listed once at its first stop. ``next`` is the next planned start after
    ``now`` in words ("Tue 14:20"), blank when the week's visits there are all past; ``lat, lng`` the
    hexagon's centre, where a press is stored.
    """
    columns = ["cell", "place", "ward", "teams", "visits", "minutes", "next", "lat", "lng"]
    if slots is None or slots.empty:
        return pd.DataFrame(columns=columns)
    chosen = slots if team in (None, ALL_TEAMS) else slots[slots["team"].astype(str) == team]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    moment = pd.Timestamp(now or now_utc())
    starts = pd.to_datetime(chosen["start"], utc=True)
    upcoming = chosen.assign(_start=starts).loc[starts > moment]
    nxt = upcoming.groupby("cell")["_start"].min()
    team_rank = {t: i for i, t in enumerate(teams_of(chosen))}
    ordered = chosen.assign(_team=chosen["team"].astype(str).map(team_rank)).sort_values(
        ["_team", "order"], kind="stable"
    )
    grouped = ordered.groupby("cell", sort=False)
    out = pd.DataFrame(
        {
            "place": grouped["place"].first().astype(str),
            "ward": grouped["ward"].first().fillna("").astype(str),
            "teams": grouped["team"].agg(lambda t: ", ".join(dict.fromkeys(t.astype(str)))),
            "visits": grouped.size().astype(int),
            "minutes": grouped["minutes"].sum().astype(int),
        }
    )
    out["next"] = [day_and_clock(nxt[c]) if c in nxt.index else "" for c in out.index]
    out = out.rename_axis("cell").reset_index()
    out["cell"] = out["cell"].astype("int64")
    lat, lng = cells_to_latlng(out["cell"].to_numpy(dtype=np.uint64))
    out["lat"], out["lng"] = lat, lng
    return out[columns]


def open_cells(open_checkins: pd.DataFrame | None) -> dict[int, object]:
    """cell -> when the unit arrived there and has not left yet (its latest arrival)."""
    if open_checkins is None or open_checkins.empty:
        return {}
    latest = open_checkins.sort_values("arrived_at", kind="stable").groupby("cell")["arrived_at"].last()
    return {int(c): t for c, t in latest.items()}


@dataclass(frozen=True)
class Pressed:
    """What a press did, for the confirmation the page shows after it (``ok`` False: it was refused)."""

    ok: bool
    text: str


def press(
    store: Store,
    *,
    unit: str,
    place: pd.Series,
    action: Literal["arrived", "left"],
    user: str,
    role: str,
    minutes_ago: int = 0,
    since: object = None,
    now: dt.datetime | None = None,
) -> Pressed:
    """Store one press at ``place`` (a row of :func:`places_of`) and say what was stored, in words.

    ``user`` and ``role`` are the signed-in session's (the import log and audit name them).
    ``minutes_ago`` moves the press back (an arrival pressed late); the moment is never in the future.
    ``since`` is when the unit arrived (for "Left": how long it stayed, in the confirmation).
    A refusal (:class:`InputError`: an unusable call sign, a press the validation rejects) comes back
    as a :class:`Pressed` that is not ``ok``, never as an exception: this runs in a button's callback.
    """
    from geo.store.patrols import record_checkin

    at = (now or now_utc()) - dt.timedelta(minutes=int(minutes_ago))
    name = str(place["place"])
    try:
        clean = clean_unit(unit)
        record_checkin(
            store,
            unit=clean,
            cell=int(place["cell"]),
            lat=float(place["lat"]),
            lng=float(place["lng"]),
            action=action,
            at=at,
            user=user,
            role=role,
        )
    except InputError as exc:
        return Pressed(False, f"Not recorded: {exc}")
    if action == "arrived":
        return Pressed(True, f"{clean} arrived at {name} at {clock(at)}. Press Left when you go.")
    if since is None:
        return Pressed(True, f"{clean} left {name} at {clock(at)} (no arrival was pressed there: a pass).")
    stayed = max(0, round((pd.Timestamp(at) - pd.Timestamp(since)).total_seconds() / 60))
    return Pressed(True, f"{clean} left {name} at {clock(at)}, after {stayed} minute{'' if stayed == 1 else 's'}.")
