"""Stays: where a patrol unit actually was, from its GPS pings or check-ins.

This is the documented definition of delivered patrol (issue 17, section 2);
the tests pin each rule on hand-made tracks.

1. **Per unit, by time.** Each unit's pings are taken in time order (a unit is a
   call sign or a team, never an officer). Units never mix: two units in one
   place at once are two stays.
2. **A stay** is a maximal run of consecutive pings of one unit inside the same
   place, the H3 cell at the plan's resolution, with no gap over ``max_gap``
   (5 minutes) between consecutive pings. A gap of exactly 5:00 continues the
   stay; 5:01 ends it, and the next ping starts a new stay even in the same
   cell (the unit may have left and come back unseen). Leaving the cell, even
   for one ping, ends the stay.
3. **Its minutes** are its last ping's time minus its first's: the time the
   unit is known to have been there, never more. A single ping is a stay of
   0 minutes.
4. **A visit** is a stay of ``visit_minutes`` (2) minutes or more; a shorter
   stay is a **pass** (a drive-by, which the Koper curve says does far less).
5. **The cell of a ping** is h3's own assignment of its point
   (:func:`geo.space.hexes.points_to_cells`): a ping exactly on the edge
   between two hexagons belongs to exactly one of them, the one h3 says, and
   is counted once.
6. **The day of a stay** is the date its first ping fell on in Europe/London
   (:func:`stay_days`): a stay from 23:55 to 00:07 belongs to the day it
   started, whole; it is never split at midnight.

Every ping is in exactly one stay, and the stays of one unit never overlap in
time. The work is whole-array numpy over the pings sorted once (a break where
the unit, the cell or a long gap changes; stays are the runs between breaks):
no Python per ping, so a week of one-second GPS pings from a force is seconds.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geo.core.errors import InputError
from geo.space.hexes import check_res, points_to_cells

__all__ = ["LOCAL_TZ", "MAX_GAP", "STAY_COLUMNS", "VISIT_MINUTES", "pings_to_stays", "stay_days"]

#: One row per stay, in unit then start order.
STAY_COLUMNS = ["unit", "cell", "start", "end", "minutes", "pings", "visit"]
#: The longest gap between two pings of one stay: exactly this continues it, a second more ends it.
MAX_GAP = dt.timedelta(minutes=5)
#: A stay this long or longer is a visit; shorter, a pass.
VISIT_MINUTES = 2.0
#: The clock a stay's day is read on: the partnership's, as the plan's slots are.
LOCAL_TZ = "Europe/London"

_NS_PER_MINUTE = 60 * 10**9


def pings_to_stays(
    pings: pd.DataFrame,
    *,
    res: int,
    max_gap: dt.timedelta = MAX_GAP,
    visit_minutes: float = VISIT_MINUTES,
) -> pd.DataFrame:
    """The stays of every unit's pings (:data:`STAY_COLUMNS`; the rules are the module docstring's).

    Parameters
    ----------
    pings
        ``unit``, ``time``, ``lat``, ``lng`` (as :func:`geo.store.patrols.read_pings`
        gives them; any order). A time without an offset is UTC, as the store keeps it.
    res
        The plan's H3 resolution: a place is one cell at it.
    max_gap
        The longest gap that continues a stay (inclusive).
    visit_minutes
        The shortest visit (inclusive).

    Returns
    -------
    pandas.DataFrame
        ``unit`` (str), ``cell`` (int64, h3's integer form, as plan slots carry it),
        ``start``/``end`` (UTC), ``minutes`` (float, end − start), ``pings`` (int64)
        and ``visit`` (bool), sorted by unit and start.

    Raises
    ------
    InputError
        A ping with no unit, time or position: it cannot be placed in any stay,
        and dropping it silently would change the minutes.
    """
    check_res(res)
    if max_gap < dt.timedelta(0):
        raise InputError(f"the longest gap in a stay cannot be negative, not {max_gap}")
    missing = [c for c in ("unit", "time", "lat", "lng") if c not in pings.columns]
    if missing:
        raise InputError(f"pings need the columns unit, time, lat, lng: {', '.join(missing)} missing")
    unit_codes, units = pd.factorize(pings["unit"], sort=True)
    times = pd.to_datetime(pings["time"], utc=True)
    lat = pd.to_numeric(pings["lat"], errors="coerce").to_numpy(dtype=np.float64)
    lng = pd.to_numeric(pings["lng"], errors="coerce").to_numpy(dtype=np.float64)
    bad = (unit_codes < 0) | times.isna().to_numpy() | ~np.isfinite(lat) | ~np.isfinite(lng)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{int(bad.sum())} pings have no unit, time or position (the first is row {row + 1})")
    t = times.to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = np.lexsort((t, unit_codes))  # stable: pings at one instant keep their order
    unit, t = unit_codes[order], t[order]
    cell = points_to_cells(lat[order], lng[order], res=res).astype(np.int64)
    gap = max_gap // dt.timedelta(microseconds=1) * 1000  # nanoseconds, exactly
    n = len(t)
    first = np.ones(n, dtype=bool)  # does ping i start a stay?
    first[1:] = (unit[1:] != unit[:-1]) | (cell[1:] != cell[:-1]) | (np.diff(t) > gap)
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], n)[: len(starts)] - 1  # each stay ends where the next begins
    minutes = (t[ends] - t[starts]) / _NS_PER_MINUTE
    return pd.DataFrame(
        {
            "unit": pd.Series(np.asarray(units, dtype=object)[unit[starts]], dtype=object),
            "cell": cell[starts],
            "start": _utc(t[starts]),
            "end": _utc(t[ends]),
            "minutes": minutes.astype(np.float64),
            "pings": (ends - starts + 1).astype(np.int64),
            "visit": minutes >= visit_minutes,
        },
        columns=STAY_COLUMNS,
    )


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """Nanoseconds since the epoch as UTC times (``datetime64[ns, UTC]``, empty or not)."""
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


def stay_days(stays: pd.DataFrame, *, tz: str = LOCAL_TZ) -> np.ndarray:
    """The day each stay belongs to: the date of its start on the local clock (``datetime64[D]``).

    A stay from 23:55 to 00:07 is the first day's whole; the UK clock, not
    UTC, because plans and briefings are in local time (an hour apart in summer).
    """
    start = pd.to_datetime(stays["start"], utc=True)
    return np.asarray(start.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[D]"))
