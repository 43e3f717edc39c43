"""Residents per area for a period: the denominators of rates per 1,000 residents.

ONS publishes one mid-year estimate per ward and year (the population on
30 June); a period of months needs one figure per area. :func:`read_population`
takes, for each area code, the stored year whose 30 June is nearest the
period's **last** month, an earlier year winning a tie. Why the end:

* a rate is read as where things stand at the end of the period (the Trends
  page's headline period is the latest twelve months with data), and the
  comparison periods (the previous period, the same months a year before)
  each get their own year by the same rule, so a change in a rate is not a
  change in whose population divides it unless the estimates changed;
* populations move by about 1 % a year, so which of two neighbouring years is
  used moves a rate by far less than the rounding of the count it divides;
* the newest estimate is made for the newest ward boundaries, which are the
  ones a store usually holds.

Each code gets its own nearest year, so a ward whose newest estimate is a year
older than the others still has a rate; the year used is returned beside the
figure so that a page can say which estimate it divided by.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo.core.errors import OptionError
from geo.core.schema import KINDS
from geo.store._store import Store

__all__ = ["nearest_year", "read_population"]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: The month of a mid-year estimate: June (0-based month 5), when ONS counts the population.
_JUNE = 5


def nearest_year(years: np.ndarray | list[int], month: str) -> int:
    """Of ``years``, the one whose June is nearest ``month`` (``YYYY-MM``); the earlier on a tie.

    December 2025 is six months from June 2025 and from June 2026: 2025, the
    year the month belongs to.
    """
    at = int(month[:4]) * 12 + int(month[5:7]) - 1
    ys = np.sort(np.asarray(years, dtype=np.int64))
    distance = np.abs(ys * 12 + _JUNE - at)
    return int(ys[np.argmin(distance)])  # argmin takes the first of equals: the earlier year


def read_population(store: Store, *, months: tuple[str, str]) -> pd.DataFrame:
    """Residents per area code for the period ``months`` (first, last ``YYYY-MM``), one stored year each.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (sorted), with ``population`` (int64) and ``year``
        (int64, the mid-year used: see the module's docstring). Empty, with
        those columns, when no population is stored.

    Raises
    ------
    OptionError
        When a month is not ``YYYY-MM`` or the first is after the last.
    """
    first, last = months
    for name, value in (("first month", first), ("last month", last)):
        if not isinstance(value, str) or not _MONTH.match(value):
            raise OptionError(f"the {name} of the period must be YYYY-MM, not {value!r}", option="months")
    if first > last:
        raise OptionError(f"the period starts ({first}) after it ends ({last})", option="months")
    t = store.tables[KINDS["population"].table]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.code, t.c.year, t.c.population).order_by(t.c.id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["code", "year", "population"])
    frame = frame.astype({"code": "str", "year": "int64", "population": "int64"})
    frame = frame.drop_duplicates(["code", "year"], keep="first")  # one row per code and year: the first stored
    at = int(last[:4]) * 12 + int(last[5:7]) - 1
    frame["distance"] = (frame["year"] * 12 + _JUNE - at).abs()
    frame = frame.sort_values(["code", "distance", "year"], kind="stable")  # nearest first, the earlier on a tie
    chosen = frame.drop_duplicates("code", keep="first").set_index("code")[["population", "year"]]
    return chosen.sort_index()
