"""County lines on hand-worked fixtures: each link placed and dated, per-line summaries, footprints by quarter."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import box

from geo.plan.lines import line_links, line_quarters, line_summary, lines_per_area

LAT, LNG = 53.48, -2.24
EAST_1KM = 1000 / (111_320 * np.cos(np.radians(LAT)))  # degrees of longitude in 1 km here

FLAGGED = pd.DataFrame(
    [
        {
            "ref": "F1",
            "address": "1 Elm Road",
            "lat": LAT,
            "lng": LNG,
            "first_flagged": "2026-01-10",
            "status": "open",
            "closed": "",
        },
        {
            "ref": "F2",
            "address": "2 Elm Road",
            "lat": LAT,
            "lng": LNG + 0.001,
            "first_flagged": "2025-08-01",
            "status": "closed",
            "closed": "2025-12-01",
        },
        {
            "ref": "F3",
            "address": "3 Elm Road",
            "lat": LAT + 0.001,
            "lng": LNG,
            "first_flagged": "2026-06-20",
            "status": "",
            "closed": "",
        },
    ]
)
CLOSURES = pd.DataFrame(
    [
        {
            "ref": "C1",
            "address": "9 Oak Court",
            "lat": LAT,
            "lng": LNG + 2 * EAST_1KM,
            "granted": "2026-02-01",
            "expiry": "2026-05-01",
        }
    ]
)


def link(line: str, record: str, ref: str, **more: object) -> dict[str, object]:
    row: dict[str, object] = {
        "line": line,
        "record": record,
        "ref": ref,
        "address": "",
        "lat": np.nan,
        "lng": np.nan,
        "date": "",
    }
    row.update(more)
    return row


def links_of(rows: list[dict[str, object]], as_of: str = "2026-06-30"):
    return line_links(pd.DataFrame(rows), flagged=FLAGGED, closures=CLOSURES, as_of=dt.date.fromisoformat(as_of))


def test_each_link_takes_its_records_point_and_days_unless_it_has_its_own():
    rows = [
        link("Dee Line", "flagged", "F1"),
        link("Dee Line", "flagged", "F2"),
        link("Dee Line", "closure", "C1", date="2026-02-15"),  # seen linked later than the order was granted
        link("Dee Line", "warrant", "W1", lat=LAT + 0.002, lng=LNG, date="2026-03-15"),
        link("Dee Line", "flagged", "F404"),  # not stored and no point of its own: cannot be placed
        link("Kay", "flagged", "F3"),
    ]
    got, unplaced = links_of(rows)
    assert unplaced == 1
    table = got.set_index("ref")
    assert table.loc["F1", ["first_seen", "last_seen", "live"]].tolist() == ["2026-01-10", "2026-06-30", True]
    assert table.loc["F2", ["first_seen", "last_seen", "live"]].tolist() == ["2025-08-01", "2025-12-01", False]
    assert table.loc["C1", ["first_seen", "last_seen", "live"]].tolist() == ["2026-02-15", "2026-05-01", False]
    assert table.loc["W1", ["first_seen", "last_seen", "live"]].tolist() == ["2026-03-15", "2026-03-15", False]
    assert table.loc["C1", "address"] == "9 Oak Court" and table.loc["C1", "lng"] == pytest.approx(LNG + 2 * EAST_1KM)
    # a day before F3 was flagged: its link is not known yet
    earlier, _ = links_of(rows, as_of="2026-06-19")
    assert "F3" not in set(earlier["ref"]) and earlier.set_index("ref").loc["F1", "last_seen"] == "2026-06-19"


def test_a_line_summary_counts_records_new_ones_live_ones_and_the_areas_it_touches():
    rows = [
        link("Dee Line", "flagged", "F1"),
        link("Dee Line", "flagged", "F2"),
        link("Dee Line", "flagged", "F3"),
        link("Dee Line", "closure", "C1"),
        link("Kay", "flagged", "F1"),  # one address, two lines
    ]
    got, _ = links_of(rows)
    wards = gpd.GeoDataFrame(
        {"code": ["W1", "W2"], "name": ["Beacon", "Harbour"]},
        geometry=[
            box(LNG - 0.01, LAT - 0.01, LNG + EAST_1KM, LAT + 0.01),
            box(LNG + EAST_1KM, LAT - 0.01, LNG + 0.1, LAT + 0.01),
        ],
        crs="EPSG:4326",
    )
    estates = gpd.GeoDataFrame(
        {"code": ["E1"], "name": ["Elm Estate"]},
        geometry=[box(LNG - 0.002, LAT - 0.0005, LNG + 0.002, LAT + 0.0005)],
        crs="EPSG:4326",
    )
    summary = line_summary(got, wards=wards, estates=estates, as_of=dt.date(2026, 6, 30)).set_index("line")
    dee = summary.loc["Dee Line"]
    assert (dee["addresses"], dee["first_seen"], dee["last_seen"], dee["new_30d"], dee["live"]) == (
        4,
        "2025-08-01",
        "2026-06-30",
        1,
        2,
    )
    assert dee["wards"] == "Beacon; Harbour" and dee["estates"] == "Elm Estate"  # F3 lies north of the estate
    kay = summary.loc["Kay"]
    assert (kay["addresses"], kay["live"], kay["wards"], kay["moving"]) == (
        1,
        1,
        "Beacon",
        "stable: its centre has stayed within its first quarter's spread",
    )
    assert list(summary.index) == ["Dee Line", "Kay"]
    per_ward = lines_per_area(got, wards, as_of=dt.date(2026, 6, 30))
    assert per_ward["lines"].tolist() == [2, 1]  # Beacon: Dee Line and Kay; Harbour: Dee Line (C1, live to May)
    # twelve months on, only the flags still open count: F1 (both lines) and F3 (Dee Line), all in Beacon
    later, _ = links_of(rows, as_of="2027-06-30")
    assert lines_per_area(later, wards, as_of=dt.date(2027, 6, 30))["lines"].tolist() == [2, 0]


def test_the_footprint_by_quarter_has_its_centre_and_spread_and_says_when_it_moves():
    geod = Geod(ellps="WGS84")
    rows = [
        link("Dee Line", "warrant", "W1", lat=LAT, lng=LNG, date="2025-08-10"),
        link("Dee Line", "warrant", "W2", lat=LAT, lng=LNG + EAST_1KM, date="2025-09-10"),
        link("Dee Line", "warrant", "W3", lat=LAT, lng=LNG + 3 * EAST_1KM, date="2026-02-01"),
        link("Kay", "warrant", "K1", lat=LAT, lng=LNG, date="2026-01-05"),
        link("Kay", "warrant", "K2", lat=LAT, lng=LNG + 0.001, date="2026-04-05"),
    ]
    got, _ = links_of(rows)
    quarters = line_quarters(got)
    dee = quarters[quarters["line"] == "Dee Line"].set_index("quarter")
    assert dee.index.tolist() == ["2025Q3", "2026Q1"] and dee["records"].tolist() == [2, 1]
    half = geod.inv(LNG, LAT, LNG + EAST_1KM, LAT)[2] / 2
    assert dee.loc["2025Q3", "spread_m"] == pytest.approx(half, rel=0.01)  # two points: half their distance
    assert dee.loc["2025Q3", "lng"] == pytest.approx(LNG + EAST_1KM / 2, abs=1e-6)
    assert dee.loc["2025Q3", "lat"] == pytest.approx(LAT, abs=1e-5)
    assert dee.loc["2026Q1", "spread_m"] == pytest.approx(0, abs=1e-6)
    summary = line_summary(got, wards=gpd.GeoDataFrame(), estates=gpd.GeoDataFrame(), as_of=dt.date(2026, 6, 30))
    words = summary.set_index("line")["moving"]
    # 2.5 km east between the quarters' centres, far beyond the first quarter's 0.5 km spread
    assert words["Dee Line"] == "moving: its centre has moved 2.5 km east since 2025 Q3"
    # 66 m between one record and the next: within MOVE_M, as a first quarter of one record has no spread
    assert words["Kay"] == "stable: its centre has stayed within its first quarter's spread"
