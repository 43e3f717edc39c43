"""A team's shifts as text people write ("Mon-Fri 14:00-22:00; Sat 18:00-02:00"), and the week they fall in.

The grammar is small on purpose: a sergeant types it into a box or a command
line, so every mistake gets a message naming the part at fault and what would
be accepted (:class:`~geo.core.errors.OptionError`, ``option="shifts"``):

* parts are separated by ``;`` (or a new line); each part is days, a space, a time range;
* days are ``Mon``…``Sun`` (or full names, any case), a range ``Mon-Fri`` (which may wrap:
  ``Fri-Mon``), a list ``Mon,Wed,Fri``, or ``daily``;
* a time range is ``HH:MM-HH:MM`` on the 24-hour clock; an end at or before the start
  means the shift runs past midnight (``18:00-02:00``; midnight is ``00:00``);
* shifts may not overlap (a slot must belong to one shift, and so to one day's work).

Times are Europe/London wall-clock times, as a rota is written: on the Sunday the
clocks change, a shift of ``18:00-02:00`` is seven or nine hours long in real time,
and a time the clocks skip (01:30 on the last Sunday of March) starts at 02:00.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.core.days import check_day
from geo.core.errors import OptionError

#: Every plan's clock: a rota is written in local time, and slots are stored tz-aware in it.
LONDON = "Europe/London"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS = {**{d.lower(): i for i, d in enumerate(DAY_NAMES)}, **{d: i for i, d in enumerate(_FULL)}}
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_PART = re.compile(r"(?P<days>\S+)\s+(?P<start>\S+?)\s*-\s*(?P<end>\S+)")
_MAX_TEXT = 500


@dataclass(frozen=True)
class Shift:
    """One shift: the weekday it starts on (0 = Monday), and its wall-clock start and end."""

    day: int
    start: dt.time
    end: dt.time

    @property
    def overnight(self) -> bool:
        """True when the shift ends on the next day (its end is at or before its start)."""
        return self.end <= self.start

    def minutes(self) -> tuple[int, int]:
        """Start and end as wall-clock minutes from Monday 00:00 (the end past the start; no clock change)."""
        start = self.day * 1440 + self.start.hour * 60 + self.start.minute
        end = self.day * 1440 + self.end.hour * 60 + self.end.minute + (1440 if self.overnight else 0)
        return start, end

    def __str__(self) -> str:
        return f"{DAY_NAMES[self.day]} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Shifts:
    """A week's shifts in day order (:func:`parse_shifts`); ``str()`` gives them back as text."""

    shifts: tuple[Shift, ...]

    def __str__(self) -> str:
        """The shifts as short text that :func:`parse_shifts` reads back: "Mon-Fri 14:00-22:00; Sat 18:00-02:00"."""
        times: dict[tuple[dt.time, dt.time], list[int]] = {}
        for s in self.shifts:
            times.setdefault((s.start, s.end), []).append(s.day)
        parts = []
        for (start, end), days in sorted(times.items(), key=lambda item: (min(item[1]), item[0])):
            runs: list[list[int]] = []
            for d in sorted(days):
                if runs and d == runs[-1][-1] + 1:
                    runs[-1].append(d)
                else:
                    runs.append([d])
            words = ",".join(DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs)
            parts.append(f"{words} {start:%H:%M}-{end:%H:%M}")
        return "; ".join(parts)

    def windows(self, week: dt.date) -> pd.DataFrame:
        """The shifts of the week beginning Monday ``week`` as real instants.

        Columns ``day`` (0 = Monday, the day the shift starts), ``start`` and ``end``
        (tz-aware, Europe/London). A wall-clock time the clocks skip moves forward
        to the first time that exists; a time that happens twice is its first
        occurrence for a start and its second for an end, so a shift covers the
        whole of its wall-clock span.
        """
        monday = pd.Timestamp(week)
        day = np.array([s.day for s in self.shifts], dtype=np.int64)
        wall = np.array([s.minutes() for s in self.shifts], dtype=np.int64).reshape(-1, 2)
        start = pd.DatetimeIndex(monday + pd.to_timedelta(wall[:, 0], unit="min"))
        end = pd.DatetimeIndex(monday + pd.to_timedelta(wall[:, 1], unit="min"))
        n = len(day)
        return pd.DataFrame(
            {
                "day": day,
                "start": start.tz_localize(LONDON, ambiguous=np.ones(n, dtype=bool), nonexistent="shift_forward"),
                "end": end.tz_localize(LONDON, ambiguous=np.zeros(n, dtype=bool), nonexistent="shift_forward"),
            }
        )


def parse_shifts(text: str) -> Shifts:
    """Read shifts like ``"Mon-Fri 14:00-22:00; Sat 18:00-02:00"`` (the grammar is in the module docstring).

    Raises
    ------
    OptionError
        Naming the part at fault (its number and text) and what is wrong with it:
        no shifts, an unknown day, a time that is not ``HH:MM`` on the 24-hour clock,
        a shift that starts and ends at the same time, or two shifts that overlap.
    """
    if not isinstance(text, str) or not text.strip():
        raise OptionError('no shifts given: write days and times, e.g. "Mon-Fri 14:00-22:00"', option="shifts")
    if len(text) > _MAX_TEXT:
        raise OptionError(f"shifts text is over {_MAX_TEXT} characters", option="shifts")
    found: list[Shift] = []
    parts = [p.strip() for p in re.split(r"[;\n]", text)]
    for number, part in enumerate(parts, start=1):
        if not part:
            continue
        found += _part(part, number)
    if not found:
        raise OptionError('no shifts given: write days and times, e.g. "Mon-Fri 14:00-22:00"', option="shifts")
    found.sort(key=lambda s: s.minutes())
    for a, b in itertools.pairwise(found):
        if b.minutes()[0] < a.minutes()[1]:
            raise OptionError(f"shifts overlap: {a} and {b} (each slot must belong to one shift)", option="shifts")
    return Shifts(tuple(found))


def _part(part: str, number: int) -> list[Shift]:
    where = f"shift {number} {part!r}"
    match = _PART.fullmatch(part)
    if not match:
        raise OptionError(f'{where}: write days then a time range, e.g. "Mon-Fri 14:00-22:00"', option="shifts")
    days = _days(match["days"], where)
    start, end = _time(match["start"], where), _time(match["end"], where)
    if start == end:
        raise OptionError(f"{where}: starts and ends at {start:%H:%M}; give a shift that has a length", option="shifts")
    return [Shift(day=d, start=start, end=end) for d in days]


def _days(text: str, where: str) -> list[int]:
    if text.lower() in ("daily", "everyday"):
        return list(range(7))
    days: list[int] = []
    for item in text.split(","):
        ends = item.split("-")
        if len(ends) > 2 or not all(ends):
            raise OptionError(f"{where}: {item!r} is not a day or a range of days like Mon-Fri", option="shifts")
        first, last = (_day(e, where) for e in (ends[0], ends[-1]))
        span = (last - first) % 7
        days += [(first + k) % 7 for k in range(span + 1)]
    if len(set(days)) != len(days):
        raise OptionError(f"{where}: names a day twice", option="shifts")
    return days


def _day(text: str, where: str) -> int:
    day = _DAYS.get(text.strip().lower())
    if day is None:
        raise OptionError(f"{where}: unknown day {text!r}; days are {', '.join(DAY_NAMES)} (or daily)", option="shifts")
    return day


def _time(text: str, where: str) -> dt.time:
    match = _TIME.fullmatch(text)
    hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        midnight = " (midnight is 00:00)" if text == "24:00" else ""
        raise OptionError(f"{where}: {text!r} is not a time HH:MM on the 24-hour clock{midnight}", option="shifts")
    return dt.time(hour, minute)


def week_monday(day: dt.date) -> tuple[dt.date, str | None]:
    """The Monday of ``day``'s week, and a note saying so when ``day`` is not itself a Monday.

    A plan is for a week from Monday to Sunday (the rota's week); a date inside
    the week means that week, so a sergeant who types Wednesday's date gets the
    week they are in, told in words rather than refused.
    """
    if isinstance(day, dt.datetime):
        day = day.date()
    check_day(day, option="week")
    monday = day - dt.timedelta(days=day.weekday())
    if monday == day:
        return monday, None
    return monday, f"{day_words(day)} is not a Monday: the plan is for the week beginning {day_words(monday)}"


def day_words(day: dt.date) -> str:
    """A day as a sheet writes it: "Thursday 6 March 2025"."""
    return f"{day:%A} {day.day} {day:%B %Y}"
