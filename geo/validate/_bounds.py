"""How early and how late each dated column may be, and why: the table :data:`DATE_BOUNDS`.

Why a module of its own: a month of 1899 or 2999 is a typing error, and stored
it does more harm than a rejected row. Every analysis spans the months stored
(1899 to 2999 is 13,200 months per cell of the cube: ``geo emerging`` ran out
of memory on one such row) and the dashboard's default period ends at the
latest month stored. So every dated column has an earliest month, each for a
stated reason, and a latest one counted from the month of the import: nothing
can have happened after the current month, except the end of a closure order
still in force.

Bounds are months (``YYYY-MM``), compared with a date's month: a date later
in the current month is accepted, because a clock a day out or a date written
in another time zone should not cost a row, and the month is the grain of
every analysis. :func:`today` is the clock, read when a file is validated;
tests replace it (the one injectable "today").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = [
    "DATE_BOUNDS",
    "DEFAULT_BOUND",
    "POLICE_UK_MONTHS",
    "POPULATION_YEARS",
    "DateBound",
    "bound_of",
    "current_month",
    "today",
]


@dataclass(frozen=True)
class DateBound:
    """The months a dated column accepts.

    Attributes
    ----------
    earliest
        The first month accepted, ``YYYY-MM``.
    why_earliest
        Why nothing before it is real, said in the rejection.
    months_ahead
        The latest month accepted is the current month plus this many.
    why_latest
        Why nothing after it is real, said in the rejection.
    """

    earliest: str
    why_earliest: str
    months_ahead: int = 0
    why_latest: str = "the current month: it cannot have happened yet"

    def latest(self) -> str:
        """The last month accepted, from today's date."""
        return add_months(current_month(), self.months_ahead)


#: Before any partnership record: community safety partnerships date from the Crime and Disorder Act 1998,
#: and 1990 leaves room for older records partners keep while catching typing errors (1899, 0024, 2999).
DEFAULT_BOUND = DateBound("1990-01", "older than any partnership record (partnerships date from 1998)")
_RECORDS = DEFAULT_BOUND

#: police.uk's street-level data begins in December 2010: an earlier police.uk month is not police.uk's.
POLICE_UK_MONTHS = DateBound("2010-12", "police.uk's street-level data starts in December 2010")

#: Closure powers over premises began with the Anti-social Behaviour Act 2003 (Part 1, in force January 2004);
#: the 2014 Act's orders replaced them. An order lasts three months and may be extended once, to six in all,
#: so one still in force ends at most six months after the current month.
_CLOSURE_POWERS = "before the first premises closure orders (Anti-social Behaviour Act 2003, in force January 2004)"
_ORDER_LENGTH = "six months after the current month: a closure order lasts at most six months (three, extended once)"

#: ONS small-area population estimates begin with mid-2001 (from the 2001 Census); a mid-year estimate is of
#: the population on 30 June, so none can be of a year still to come.
POPULATION_YEARS = DateBound(
    "2001-01",
    "ONS small-area population estimates start with mid-2001",
    why_latest="the current year: a mid-year estimate cannot be of a year still to come",
)

#: Column -> its bounds (the same column name means the same thing in every kind that has it).
DATE_BOUNDS: dict[str, DateBound] = {
    "month": _RECORDS,  # incidents (police.uk rows: POLICE_UK_MONTHS) and victim counts
    "date": _RECORDS,  # incidents from partners
    "granted": DateBound("2004-01", _CLOSURE_POWERS),
    "expiry": DateBound("2004-01", _CLOSURE_POWERS, months_ahead=6, why_latest=_ORDER_LENGTH),
    "first_flagged": _RECORDS,
    "closed": _RECORDS,
    "date_safeguarded": _RECORDS,
    "year": POPULATION_YEARS,  # a whole year: judged by the years of these months (geo.validate._fields.check_years)
}


def bound_of(column: str) -> DateBound:
    """The bounds of ``column``; :data:`DEFAULT_BOUND` for a dated column the table does not list yet
    (a test checks that every dated column of :data:`geo.core.schema.KINDS` is listed)."""
    return DATE_BOUNDS.get(column, DEFAULT_BOUND)


def today() -> dt.date:
    """Today's date on this machine's clock (tests replace this function)."""
    return dt.date.today()


def current_month() -> str:
    """``YYYY-MM`` of :func:`today`."""
    return today().strftime("%Y-%m")


def add_months(month: str, n: int) -> str:
    """``YYYY-MM`` ``n`` months after ``month``."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + mon - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
