"""The span of days plans, patrol logs and dosage tables accept: its edges, by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.core.days import check_day
from geo.core.errors import OptionError
from geo.plan.dosage import dosage_for
from geo.plan.schedule import week_monday
from geo.store.patrols import read_pings


@pytest.mark.parametrize("day", [dt.date(1990, 1, 1), dt.date(2199, 12, 31), dt.date(2026, 10, 19)])
def test_the_edges_are_in(day):
    assert check_day(day, option="week") == day


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (dt.date(1989, 12, 31), "week must be a day from 1990 to 2199, not 1989-12-31"),
        (dt.date(2200, 1, 1), "week must be a day from 1990 to 2199, not 2200-01-01"),
        (dt.date(1, 1, 1), "not 0001-01-01"),
        (dt.date(9999, 12, 31), "not 9999-12-31"),
        (dt.datetime(2026, 10, 19, 12, 0), "week must be a date, not datetime"),
        ("2026-10-19", "week must be a date, not '2026-10-19'"),
    ],
)
def test_outside_the_span_or_not_a_day_is_refused_naming_the_option(day, words):
    with pytest.raises(OptionError, match=words) as err:
        check_day(day, option="week")
    assert err.value.option == "week"


def test_the_layers_that_do_date_arithmetic_refuse_before_they_overflow(store):
    """Each is one step from an overflow at the extremes (a week's end, a day either side, pandas' 2262)."""
    with pytest.raises(OptionError, match="from 1990 to 2199"):
        week_monday(dt.date(9999, 12, 31))
    with pytest.raises(OptionError, match="from 1990 to 2199"):
        dosage_for(store, start=dt.date(1, 1, 1), end=dt.date(2026, 1, 1))
    with pytest.raises(OptionError, match="from 1990 to 2199"):
        read_pings(store, end=dt.date(9999, 12, 31))
