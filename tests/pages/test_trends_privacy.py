"""Differencing: no two views a cabinet member can set reveal a suppressed count by subtraction."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.publish.privacy import threshold
from geo.stats.aggregate import month_range

MONTHS = month_range("2023-11", "2026-10")


@pytest.fixture(scope="module")
def demo_env(demo_town):
    db = demo_town
    mp = pytest.MonkeyPatch()
    mp.setenv("NESTWATCH_DB", str(db))
    mp.delenv("NESTWATCH_DATABASE_URL", raising=False)
    yield db
    mp.undo()


def shown(view):
    from dashboard.trends import area_table

    return area_table(view).set_index("code")["now"]


ranges = st.tuples(st.integers(0, len(MONTHS) - 1), st.integers(0, len(MONTHS) - 1)).map(sorted)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(a=ranges, b=ranges, layer=st.sampled_from(["wards", "estates"]))
def test_two_views_never_differ_by_a_suppressed_count(demo_env, a, b, layer):
    from dashboard.view import View

    n = threshold()
    views = [
        View(month_from=MONTHS[lo], month_to=MONTHS[hi], categories=("Anti-social behaviour",), layer=layer)
        for lo, hi in (a, b)
    ]
    first, second = (shown(v) for v in views)
    both = first.index.intersection(second.index)
    diff = (first[both] - second[both]).abs().dropna()
    assert not ((diff > 0) & (diff < n)).any()  # the same area in two date ranges
    for table in (first, second):
        assert (np.nan_to_num(table.to_numpy()) % n == 0).all()  # every count shown is a multiple of N


def test_monthly_lines_and_the_town_line_use_shown_values_only(demo_env):
    from dashboard.trends import monthly_by_area
    from dashboard.view import View

    n = threshold()
    series = monthly_by_area(View(month_from="2025-11", month_to="2026-10", categories=None, layer="estates"))
    areas = series[~series["area"].str.startswith("Town")]
    assert (np.nan_to_num(areas["incidents"].to_numpy()) % n == 0).all()
    assert areas["incidents"].isna().any()  # estates have quiet months: some values are suppressed
    town = series[series["area"].str.startswith("Town")].set_index("month")["incidents"]
    expected = areas.assign(v=areas["incidents"].fillna(0)).groupby("month")["v"].mean()
    assert np.allclose(town.sort_index().to_numpy(), expected.sort_index().to_numpy())
