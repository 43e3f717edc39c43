"""The dose: what the saved plan asked of each place against what the patrols delivered there.

Tracking is a step of its own (College of Policing hot spots guide): trials
that GPS-tracked patrols found about half the planned minutes delivered. This
module joins the week's saved plan (:func:`geo.store.patrols.read_plan_slots`)
with the stays of the units' pings (:func:`geo.space.stays.pings_to_stays`,
whose docstring is the definition of a stay, a visit and a pass) per place,
one H3 cell at the plan's resolution.

What each column counts (:data:`DOSAGE_COLUMNS`, one row per place):

* ``planned_visits``: the plan's slots at the place in the days asked for;
  ``planned_minutes`` their minutes. Both are empty (NA) when no plan was saved
  for any week those days fall in, and 0 at a place the saved plan did not name.
* ``visits``: stays of 2 minutes or more; ``minutes`` the sum of those visits'
  minutes. Minutes are **unit-minutes**: two units at a place together for
  10 minutes are two visits and 20 minutes, as two patrols' time is what a
  tasking sheet plans. A pass's minutes are not counted (a drive-by is not a dose).
* ``passes``: stays shorter than 2 minutes (a unit driving through).

Every place planned or visited has a row, planned places first (most planned
minutes first), then the rest by minutes delivered. A stay counts on the day it
started on the UK clock, whole (:func:`geo.space.stays.stay_days`); a plan slot
on the day its start falls on, so a stay from 23:55 Sunday to 00:07 Monday is
Sunday's. ``delivered_share`` in the totals is the visit minutes at planned
places over the planned minutes: minutes spent elsewhere deliver nothing of
the plan (they are still in ``minutes``), and a place visited more than asked
is not capped, so the share can pass 1.

Places are named as :mod:`geo.plan.places` names them where the study area is
known (wards or estates loaded); a cell outside it keeps the name the plan gave
it, else the position words that module uses ("near 51.4545° N, 2.5879° W").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.core.days import LAST_DAY, check_day
from geo.core.errors import OptionError, StoreError
from geo.plan.places import Places, cell_places
from geo.space.hexes import check_res
from geo.space.stays import LOCAL_TZ, pings_to_stays, stay_days
from geo.stats.aggregate import Filters, StudyArea

if TYPE_CHECKING:
    from geo.store import Store

__all__ = ["DOSAGE_COLUMNS", "TOTAL_FIELDS", "Dosage", "dosage_for", "dosage_table", "dosage_totals"]

#: One row per place (cell), planned or visited.
DOSAGE_COLUMNS = ["cell", "place", "planned_visits", "planned_minutes", "visits", "minutes", "passes"]
#: The totals' keys, in the order ``--json`` prints them.
TOTAL_FIELDS = [
    "planned_visits",
    "planned_minutes",
    "visits",
    "minutes",
    "passes",
    "planned_places",
    "places_visited",
    "minutes_at_planned_places",
    "delivered_share",
]


@dataclass(frozen=True)
class Dosage:
    """Planned against delivered for some days.

    Attributes
    ----------
    table
        :data:`DOSAGE_COLUMNS`, one row per place (see the module docstring).
    totals
        :data:`TOTAL_FIELDS` (:func:`dosage_totals`); None where there is no plan to compare with.
    stays
        The stays of those days (:func:`geo.space.stays.pings_to_stays`), for the map.
    notes
        What a reader must know to read the numbers (no plan saved, no pings), in words.
    """

    table: pd.DataFrame
    totals: dict[str, float | int | None]
    stays: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


def dosage_table(stays: pd.DataFrame, slots: pd.DataFrame | None, *, places: Places | None = None) -> pd.DataFrame:
    """Planned and delivered per place (:data:`DOSAGE_COLUMNS`).

    Parameters
    ----------
    stays
        :func:`geo.space.stays.pings_to_stays` of the days (already cut to them).
    slots
        The saved plan's slots for the same days (``cell``, ``place``, ``minutes``);
        None when no plan was saved for them: the planned columns are then NA, not 0.
    places
        The study area's names (:func:`geo.plan.places.load_places`); None names
        every cell by the plan's name or its position.
    """
    planned = slots is not None
    slots = slots if slots is not None else pd.DataFrame({"cell": [], "place": [], "minutes": []})
    slot_cells = slots["cell"].to_numpy(dtype=np.int64)
    stay_cells = stays["cell"].to_numpy(dtype=np.int64)
    cells = np.unique(np.concatenate([slot_cells, stay_cells]))
    visit = stays["visit"].to_numpy(dtype=bool)
    s_at, v_at = np.searchsorted(cells, slot_cells), np.searchsorted(cells, stay_cells)
    n = len(cells)
    planned_visits = np.bincount(s_at, minlength=n).astype(np.int64)
    planned_minutes = np.bincount(s_at, weights=slots["minutes"].to_numpy(dtype=np.float64), minlength=n)
    visits = np.bincount(v_at[visit], minlength=n).astype(np.int64)
    minutes = np.bincount(v_at[visit], weights=stays["minutes"].to_numpy(dtype=np.float64)[visit], minlength=n)
    passes = np.bincount(v_at[~visit], minlength=n).astype(np.int64)
    table = pd.DataFrame(
        {
            "cell": cells,
            "place": _names(cells, slots, places),
            "planned_visits": pd.array(planned_visits if planned else [pd.NA] * n, dtype="Int64"),
            "planned_minutes": pd.array(np.rint(planned_minutes).astype(np.int64) if planned else [pd.NA] * n, "Int64"),
            "visits": visits,
            "minutes": minutes.astype(np.float64),
            "passes": passes,
        },
        columns=DOSAGE_COLUMNS,
    )
    order = np.lexsort((cells, -minutes, -planned_minutes))
    return table.iloc[order].reset_index(drop=True)


def _names(cells: np.ndarray, slots: pd.DataFrame, places: Places | None) -> np.ndarray:
    """Each cell's name: the study area's, else the plan's, else its position (never blank, never an id)."""
    names = np.full(len(cells), "", dtype=object)
    if places is not None and len(places.cells) and len(cells):
        at = np.minimum(np.searchsorted(places.cells, cells.astype(np.uint64)), len(places.cells) - 1)
        found = places.cells[at] == cells.astype(np.uint64)
        names[found] = places.names[at[found]]
    if len(slots) and (names == "").any():
        given = slots[slots["place"].fillna("").astype(str) != ""]
        by_cell = given.groupby(given["cell"].to_numpy(dtype=np.int64))["place"].first()
        from_plan = pd.Series(cells).map(by_cell).fillna("").to_numpy(dtype=object)
        names = np.where(names == "", from_plan, names).astype(object)
    blank = np.flatnonzero(names == "")
    if len(blank):  # the position rule of geo.plan.places, alone: a bare area of just these cells
        bare = np.sort(cells[blank].astype(np.uint64))
        none = np.full(len(bare), "", dtype=object)
        area = StudyArea(res=_res_of(bare[0]), cells=bare, ward=none, estate=none)
        words = cell_places(area, None).names
        names[blank] = words[np.searchsorted(bare, cells[blank].astype(np.uint64))]
    return names


def _res_of(cell: np.uint64) -> int:
    """The resolution of an H3 cell (bits 52-55 of its index)."""
    return int((int(cell) >> 52) & 0xF)


def dosage_totals(table: pd.DataFrame, *, planned: bool) -> dict[str, float | int | None]:
    """:data:`TOTAL_FIELDS` of a :func:`dosage_table`: sums, and the share of planned minutes delivered.

    ``planned`` says whether a plan was saved for the days (an empty table cannot
    say). Without one, the planned figures, ``planned_places``,
    ``minutes_at_planned_places`` and ``delivered_share`` are None; the share is
    None too when the plan asked for no minutes (nothing to divide by).
    """
    out: dict[str, float | int | None] = {
        "planned_visits": None,
        "planned_minutes": None,
        "visits": int(table["visits"].sum()),
        "minutes": float(table["minutes"].sum()),
        "passes": int(table["passes"].sum()),
        "planned_places": None,
        "places_visited": int((table["visits"] > 0).sum()),
        "minutes_at_planned_places": None,
        "delivered_share": None,
    }
    if not planned:
        return out
    at_planned = table["planned_visits"].fillna(0).to_numpy() > 0
    planned_minutes = int(table["planned_minutes"].fillna(0).sum())
    delivered = float(table["minutes"].to_numpy()[at_planned].sum())
    out |= {
        "planned_visits": int(table["planned_visits"].fillna(0).sum()),
        "planned_minutes": planned_minutes,
        "planned_places": int(at_planned.sum()),
        "minutes_at_planned_places": delivered,
        "delivered_share": delivered / planned_minutes if planned_minutes else None,
    }
    return out


#: How far past the last day the pings are read, at most, to finish a stay that began on it (days).
_LONGEST_READ_DAYS = 64


def _stays_of_days(store: Store, *, start: dt.date, end: dt.date, res: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pings read and the whole stays that started on the days ``start`` to ``end`` (UK dates).

    Pings are read from the day before (UTC days against UK ones) to the day
    after; while a stay that started on the days still runs at the edge of
    what was read (its last ping within :data:`~geo.space.stays.MAX_GAP` of
    it), the read goes twice as far, up to :data:`_LONGEST_READ_DAYS`, so a
    stay is cut by its own gap, never by the window (a van parked and pinging
    over a weekend is one stay of its whole length).
    """
    from geo.space.stays import MAX_GAP
    from geo.store.patrols import read_pings

    day = dt.timedelta(days=1)
    after = 1
    while True:
        last = min(end + after * day, LAST_DAY)
        pings = read_pings(store, start=start - day, end=last)
        stays = pings_to_stays(pings, res=res)
        days = stay_days(stays)
        stays = stays[(days >= np.datetime64(start, "D")) & (days <= np.datetime64(end, "D"))].reset_index(drop=True)
        edge = pd.Timestamp(last + day, tz="UTC") - MAX_GAP
        running = bool(len(stays)) and bool((pd.to_datetime(stays["end"], utc=True) >= edge).any())
        if not running or after >= _LONGEST_READ_DAYS or last == LAST_DAY:
            return pings, stays
        after *= 2


def dosage_for(store: Store, *, start: dt.date, end: dt.date, res: int = 9) -> Dosage:
    """Planned against delivered from the store for the days ``start`` to ``end`` inclusive (UK dates).

    The pings are read a day either side (the store's days are UTC, the UK's an
    hour later in summer, and a stay that began on the last day may end on the
    next; further while such a stay still runs, see :func:`_stays_of_days`),
    the stays made from them all, and those that started on the days kept.

    Raises
    ------
    OptionError
        ``start`` after ``end``, a resolution the app does not draw, or a saved
        plan made at another resolution (its places are other hexagons: ask at the plan's).
    """
    from geo.store.patrols import read_plan, read_plan_slots

    check_res(res)
    check_day(start, option="from")
    check_day(end, option="to")
    if start > end:
        raise OptionError(f"the days are the wrong way round: {start} is after {end}", option="from")
    day = dt.timedelta(days=1)
    pings, stays = _stays_of_days(store, start=start, end=end, res=res)
    slots: pd.DataFrame | None = read_plan_slots(store, start=start - day, end=end + day)
    slots = _in_days(slots, start=start, end=end)
    notes = []
    if not len(slots):
        mondays = pd.date_range(start - dt.timedelta(days=start.weekday()), end, freq="7D")
        if all(read_plan(store, week=m.date()) is None for m in mondays):
            slots = None
            notes.append(f"no plan was saved for {start} to {end}: the planned columns are empty")
    if slots is not None and len(slots) and (other := sorted(set(slots["res"].astype(int)) - {res})):
        raise OptionError(
            f"the saved plan for these days is at H3 resolution {other[0]}, not {res}: ask for --res {other[0]}",
            option="res",
        )
    if not len(pings):
        notes.append("no patrol pings or check-ins are stored for these days")
    table = dosage_table(stays, slots, places=_study_places(store, res=res))
    return Dosage(table=table, totals=dosage_totals(table, planned=slots is not None), stays=stays, notes=tuple(notes))


def _in_days(slots: pd.DataFrame, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The slots whose start falls on the days on the UK clock (the store reads by UTC day)."""
    local = pd.to_datetime(slots["start"], utc=True).dt.tz_convert(LOCAL_TZ).dt.date
    return slots[((local >= start) & (local <= end)).to_numpy(dtype=bool)].reset_index(drop=True)


def _study_places(store: Store, *, res: int) -> Places | None:
    """The study area's place names, None when no wards or estates are loaded (no study area)."""
    from geo.plan.analysis import load_area, load_places

    try:
        area = load_area(store, res=res)
    except StoreError:
        return None
    return load_places(store, area, filters=Filters())
