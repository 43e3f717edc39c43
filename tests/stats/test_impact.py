"""Closure-order impact: counts by hand around a premises and in the rest of the town."""

import numpy as np
import pandas as pd
import pytest

from geo.core.errors import InputError, OptionError
from geo.stats.impact import closure_impact

# 0.001 degree of latitude is ~111 m; of longitude at 51.45N ~69 m
HOME = (51.4500, -2.5900)


def asb(lat: float, lng: float, month: str, n: int) -> pd.DataFrame:
    return pd.DataFrame({"lat": [lat] * n, "lng": [lng] * n, "month": [month] * n, "category": "Anti-social behaviour"})


def test_before_after_and_the_control_by_hand():
    rows = pd.concat(
        [
            asb(HOME[0], HOME[1], "2024-01", 4),  # before (window 2 months: Jan, Feb)
            asb(HOME[0] + 0.001, HOME[1], "2024-02", 2),  # ~111 m away: inside 200 m, before
            asb(HOME[0], HOME[1], "2024-03", 9),  # the grant month: neither
            asb(HOME[0], HOME[1], "2024-04", 1),  # after (Apr, May)
            asb(HOME[0] + 0.01, HOME[1], "2024-01", 10),  # ~1.1 km away: control, before
            asb(HOME[0] + 0.01, HOME[1], "2024-05", 5),  # control, after
            asb(HOME[0] + 0.01, HOME[1], "2024-06", 7),  # control, outside both windows
        ]
    )
    rows = pd.concat([rows, rows.assign(category="Drugs")])  # other categories are ignored
    closures = pd.DataFrame({"ref": ["CO-1"], "lat": [HOME[0]], "lng": [HOME[1]], "granted": ["2024-03-15"]})
    imp = closure_impact(rows, closures, radius_m=200, months=2)
    assert imp.orders[["before", "after", "included"]].values.tolist() == [[6, 1, True]]
    assert (imp.before, imp.after, imp.control_before, imp.control_after) == (6, 1, 10, 5)
    assert imp.change == pytest.approx(1 / 6 - 1)
    assert imp.control_change == pytest.approx(-0.5)
    assert imp.relative == pytest.approx((1 / 6) / 0.5 - 1)
    assert "from 6 to 1" in imp.sentence()


def test_orders_without_whole_windows_are_listed_but_not_counted():
    rows = asb(HOME[0], HOME[1], "2024-01", 3)
    closures = pd.DataFrame({"ref": ["CO-9"], "lat": [HOME[0]], "lng": [HOME[1]], "granted": ["2024-01-20"]})
    imp = closure_impact(rows, closures, months=3)
    assert imp.orders["included"].tolist() == [False] and imp.before == 0
    assert "enough months" in imp.sentence()
    assert np.isnan(imp.change)


@pytest.mark.parametrize(("kwargs", "option"), [({"radius_m": 0}, "radius_m"), ({"months": 0}, "months")])
def test_bad_options_are_refused(kwargs, option):
    no_orders = pd.DataFrame(columns=["ref", "lat", "lng", "granted"])
    with pytest.raises(OptionError, match="radius must be positive and the window at least one month") as caught:
        closure_impact(asb(*HOME, "2024-01", 1), no_orders, **kwargs)
    assert caught.value.option == option
    assert not isinstance(caught.value, InputError)  # the options are wrong, not the incidents


def test_no_closure_orders_gives_an_empty_comparison_not_an_error():
    incidents = pd.DataFrame({"lat": [53.9], "lng": [0.9], "month": ["2024-01"], "category": ["Anti-social behaviour"]})
    closures = pd.DataFrame({c: pd.Series(dtype=str) for c in ("ref", "lat", "lng", "granted")})
    result = closure_impact(incidents, closures)
    assert result.orders.empty
    assert (result.before, result.after, result.control_before, result.control_after) == (0, 0, 0, 0)
