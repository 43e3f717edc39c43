"""Random visit times inside a week's shifts: the minute-by-minute timeline and the seeded draw.

The week is a line of real minutes from Monday 00:00 (Europe/London) to the end
of the last shift, so a clock change is simply a Sunday with 60 minutes fewer or
more: nothing is counted twice or skipped. Each minute carries what the rules
need, as whole arrays (:class:`Timeline`):

* whether a visit of the dose's length starting then ends inside the same shift;
* the shift's day (the day it started: an overnight shift is one day's work);
* the wall-clock hour (for the hot hours) and the clock hour as a label, date and hour
  (for "never two visits to one place in the same clock hour": in the repeated
  hour of the October change both 01:xx hours share a label, so the rule holds
  however the clock is read).

The draw (:func:`draw_starts`) goes round the places in rounds, one visit each
per round in a shuffled order, so no place takes all the good hours first. For a
visit it keeps the minutes where the visit fits, that touch no clock hour the
place already has, and that keep the team's visits apart (the visit before ends
``travel`` minutes or more before this one starts, and this one likewise before
the next); of those, minutes on a day the place has no visit yet when there are
any. It then picks one minute with probability proportional to the place's hot
hour weight for that minute's hour. A team whose draw runs out of minutes is
drawn again from the same generator; after :data:`ATTEMPTS` the dose is refused
in words (too many visits for the shifts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.core.errors import OptionError
from geo.plan._shifts import LONDON

#: How many times a team's week is drawn again before the dose is refused as not fitting the shifts.
ATTEMPTS = 25


@dataclass(frozen=True, eq=False)
class Timeline:
    """Per real minute of the week (from :attr:`origin`): what the draw needs to know of it."""

    origin: pd.Timestamp
    fits: np.ndarray  # bool: a visit starting this minute ends inside the shift it starts in
    day: np.ndarray  # int: the weekday (0 = Monday) of the shift a visit starting now belongs to, -1 none
    hour: np.ndarray  # int: wall-clock hour 0-23
    label: np.ndarray  # int: clock-hour label of the visit's first minute (days since Monday * 24 + hour)
    label_end: np.ndarray  # int: clock-hour label of the visit's last minute

    def __len__(self) -> int:
        return len(self.fits)

    def to_times(self, minutes: np.ndarray) -> pd.DatetimeIndex:
        """Minute offsets as tz-aware Europe/London start times."""
        return (self.origin + pd.to_timedelta(np.asarray(minutes, dtype=np.int64), unit="min")).tz_convert(LONDON)


def timeline(windows: pd.DataFrame, *, week: pd.Timestamp, minutes: int) -> Timeline:
    """The week's minutes for visits of ``minutes``, from shift ``windows`` (:meth:`Shifts.windows`)."""
    origin = pd.Timestamp(week).tz_localize(LONDON)  # Monday 00:00 exists once in the UK (clocks change at 01:00)
    start = ((windows["start"] - origin) // pd.Timedelta(minutes=1)).to_numpy(dtype=np.int64)
    end = ((windows["end"] - origin) // pd.Timedelta(minutes=1)).to_numpy(dtype=np.int64)
    n = int(end.max()) if len(end) else 0
    fits = np.zeros(n, dtype=bool)
    day = np.full(n, -1, dtype=np.int64)
    for s, e, d in zip(start, end, windows["day"].to_numpy(dtype=np.int64), strict=True):
        if e - s >= minutes:
            fits[s : e - minutes + 1] = True
            day[s : e - minutes + 1] = d
    local = (origin + pd.to_timedelta(np.arange(n + minutes), unit="min")).tz_convert(LONDON)
    hour = local.hour.to_numpy(dtype=np.int64)
    days = (local.tz_localize(None).normalize() - pd.Timestamp(week)).days.to_numpy(dtype=np.int64)
    label = days * 24 + hour
    return Timeline(
        origin=origin,
        fits=fits,
        day=day,
        hour=hour[:n],
        label=label[:n],
        label_end=label[minutes - 1 : n + minutes - 1],
    )


def draw_starts(
    line: Timeline,
    *,
    team_places: list[np.ndarray],
    visits: int,
    minutes: int,
    travel: int,
    weights: np.ndarray,
    rng: np.random.Generator,
    names: np.ndarray,
) -> np.ndarray:
    """Start minute of every visit, shape ``(places, visits)``, team by team (the rules: module docstring).

    ``weights`` is ``(places, 24)``: each place's weight per wall-clock hour (1 = no lean).
    ``names`` name the places for the refusal.

    Raises
    ------
    OptionError
        When a team's visits do not fit its shifts after :data:`ATTEMPTS` draws.
    """
    starts = np.full((len(weights), visits), -1, dtype=np.int64)
    for places in team_places:
        for attempt in range(ATTEMPTS):
            failed = _draw_team(line, places, starts, minutes=minutes, travel=travel, weights=weights, rng=rng)
            if failed is None:
                break
            if attempt == ATTEMPTS - 1:
                hours = int(line.fits.sum()) / 60
                raise OptionError(
                    f"the dose does not fit the shifts: {len(places)} places x {visits} visits of {minutes} min "
                    f"(with {travel} min between visits) in shifts where visits can start in {hours:.0f} hours a "
                    f"week; no clock hour was left for a visit to {names[failed]}. Give more shift time, more "
                    "teams, fewer places or fewer visits",
                    option="shifts",
                )
    return starts


def _draw_team(
    line: Timeline,
    places: np.ndarray,
    starts: np.ndarray,
    *,
    minutes: int,
    travel: int,
    weights: np.ndarray,
    rng: np.random.Generator,
) -> int | None:
    """Fill ``starts`` for one team's ``places``; the place left without a minute, or None when all fit."""
    free = line.fits.copy()  # minutes where the team could start a visit
    n, visits = len(line), starts.shape[1]
    hours: dict[int, list[int]] = {int(p): [] for p in places}
    days: dict[int, list[int]] = {int(p): [] for p in places}
    apart = minutes + travel  # two visits of a team start at least this far apart
    for r in range(visits):
        for place in rng.permutation(places):
            p = int(place)
            ok = free & ~np.isin(line.label, hours[p]) & ~np.isin(line.label_end, hours[p])
            new_day = ok & ~np.isin(line.day, days[p])
            pool = new_day if new_day.any() else ok
            if not pool.any():
                return p
            w = np.where(pool, weights[p, line.hour], 0.0)
            if not w.sum() > 0:  # every allowed hour weighs nothing: any allowed minute, evenly
                w = pool.astype(float)
            cum = np.cumsum(w)
            t = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
            t = min(t, n - 1)
            while not pool[t]:  # a float edge can land on a zero-weight minute: take the next allowed one
                t = (t + 1) % n
            starts[p, r] = t
            hours[p] += [int(line.label[t]), int(line.label_end[t])]
            days[p].append(int(line.day[t]))
            free[max(0, t - apart + 1) : t + apart] = False
    return None
