"""New addresses of concern: the last seven days ending today, open flags only, each with its nearest hot cell."""

from __future__ import annotations

import datetime as dt
import math

import h3
import pandas as pd
from pyproj import Transformer

from geo.plan.concern import CONCERN_COLUMNS, concern_words, new_addresses_of_concern

TODAY = dt.date(2026, 12, 2)
NEAR = h3.latlng_to_cell(51.4500, -2.5900, 9)
FAR = h3.latlng_to_cell(51.4700, -2.5900, 9)
HOT = pd.DataFrame({"cell": [NEAR, FAR], "place": ["Beacon Court", "Gorse Hill"]})


def flags(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """(ref, first_flagged, status, closed) at 51.451, -2.590 (next to NEAR)."""
    return pd.DataFrame(
        {
            "ref": [r[0] for r in rows],
            "address": [f"{r[0]} Elm Road" for r in rows],
            "lat": 51.451,
            "lng": -2.590,
            "first_flagged": [r[1] for r in rows],
            "indicators": "",
            "status": [r[2] for r in rows],
            "closed": [r[3] for r in rows],
        }
    )


def metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    tr = Transformer.from_crs(4326, 27700, always_xy=True)
    (x1, y1), (x2, y2) = tr.transform(lng1, lat1), tr.transform(lng2, lat2)
    return math.hypot(x1 - x2, y1 - y2)


def test_the_seven_days_end_today_and_closed_or_future_flags_are_left_out():
    frame = flags(
        ("today", "2026-12-02", "open", ""),
        ("sixth", "2026-11-26", "open", ""),  # today - 6: the first of the seven days
        ("eighth", "2026-11-25", "open", ""),  # today - 7: out
        ("closed", "2026-12-01", "closed", "2026-12-02"),
        ("resolved", "2026-12-01", "open", "2026-12-02"),
        ("future", "2026-12-03", "open", ""),
    )
    out = new_addresses_of_concern(frame, HOT, today=TODAY)
    assert list(out.columns) == CONCERN_COLUMNS
    assert out["ref"].tolist() == ["today", "sixth"]


def test_each_new_flag_names_its_nearest_hot_cell_and_the_distance_to_its_centre():
    out = new_addresses_of_concern(flags(("a", "2026-12-01", "open", "")), HOT, today=TODAY)
    assert out["hot_place"].tolist() == ["Beacon Court"] and out["hot_cell"].tolist() == [NEAR]
    lat, lng = h3.cell_to_latlng(NEAR)
    assert math.isclose(out["distance_m"].iloc[0], metres(51.451, -2.590, lat, lng), abs_tol=0.01)
    line = concern_words(out.iloc[0])
    assert line.startswith("a Elm Road, flagged 1 Dec 2026: nearest hot spot Beacon Court, ")
    assert line.endswith(f"{metres(51.451, -2.590, lat, lng):,.0f} m away")


def test_no_hot_cell_says_so():
    out = new_addresses_of_concern(flags(("a", "2026-12-01", "open", "")), HOT.iloc[0:0], today=TODAY)
    assert concern_words(out.iloc[0]) == "a Elm Road, flagged 1 Dec 2026: no hot spot in the period"
