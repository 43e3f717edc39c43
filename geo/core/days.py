"""The span of days a plan, a patrol log or a dosage table may be asked about.

Why: a typed ``--week 9999-12-31`` or ``--from 0001-01-01`` is a slip of the
keyboard, not a question. Without a bound it reaches pandas' nanosecond
timestamps (1677 to 2262) or ``date`` arithmetic (year 1 to 9999) and ends in
an overflow, which a user would see as an internal error. Every day these
layers accept is checked here once, and refused in words naming the option.
"""

from __future__ import annotations

import datetime as dt

from geo.core.errors import OptionError

#: The first and last day accepted: GPS patrol logs and plans start long after 1990, and 2199 leaves a
#: week's and a time zone's arithmetic well inside what pandas can hold.
FIRST_DAY = dt.date(1990, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)


def check_day(day: dt.date, *, option: str) -> dt.date:
    """``day`` when it is a date from :data:`FIRST_DAY` to :data:`LAST_DAY`; :class:`OptionError` otherwise."""
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise OptionError(f"{option} must be a date, not {day!r}", option=option)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise OptionError(
            f"{option} must be a day from {FIRST_DAY.year} to {LAST_DAY.year}, not {day.isoformat()}", option=option
        )
    return day
