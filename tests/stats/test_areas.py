"""One rule for an incident in an area: hand-placed points on two wards that share a border."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import geo.stats.areas as areas_module
from geo.space.hexes import boundaries_to_cells, cells_to_latlng
from geo.stats.areas import area_counts, area_monthly, cells_to_area_codes, points_to_areas
from tests.conftest import real_file

# Two wards sharing the meridian -2.59: West (code E2) and East (code E1), 51.44..51.46.
WEST = box(-2.60, 51.44, -2.59, 51.46)
EAST = box(-2.59, 51.44, -2.58, 51.46)


def wards(*order: str) -> gpd.GeoDataFrame:
    rows = {"E2": ("West", WEST), "E1": ("East", EAST)}
    return gpd.GeoDataFrame(
        {"code": list(order), "name": [rows[c][0] for c in order]},
        geometry=[rows[c][1] for c in order],
        crs="EPSG:4326",
    )


POINTS = {  # lng, lat -> the code that should hold it
    "inside west": (-2.595, 51.45, "E2"),
    "inside east": (-2.585, 51.45, "E1"),
    "on the shared border": (-2.59, 51.45, "E1"),  # both hold it: E1 sorts first
    "shared corner": (-2.59, 51.44, "E1"),
    "west's outer edge": (-2.60, 51.45, "E2"),  # an outline holds its own edge
    "outside": (-2.61, 51.45, None),
    "no location": (np.nan, np.nan, None),
}


def _codes(frame: gpd.GeoDataFrame) -> list[str | None]:
    lng = np.array([p[0] for p in POINTS.values()])
    lat = np.array([p[1] for p in POINTS.values()])
    where = points_to_areas(frame, lng, lat)
    return [frame["code"].iloc[i] if i >= 0 else None for i in where]


def test_each_point_has_one_area_by_the_stated_rule_whatever_the_load_order():
    expected = [p[2] for p in POINTS.values()]
    assert _codes(wards("E2", "E1")) == expected
    assert _codes(wards("E1", "E2")) == expected


def test_a_point_in_an_outline_s_box_but_not_in_the_outline_is_outside():
    # a right triangle with its right angle at the south-west: (x, y) with x + y > 1 (in 0.01°) is outside
    tri = gpd.GeoDataFrame(
        {"code": ["T"], "name": ["t"]},
        geometry=[shapely.Polygon([(-2.60, 51.44), (-2.59, 51.44), (-2.60, 51.45)])],
        crs="EPSG:4326",
    )
    lng, lat = np.array([-2.598, -2.591, np.nan, -2.598]), np.array([51.442, 51.449, 51.442, np.nan])
    assert points_to_areas(tri, lng, lat).tolist() == [0, -1, -1, -1]


def test_no_boundaries_or_no_points():
    assert points_to_areas(wards("E1").iloc[:0], np.array([-2.585]), np.array([51.45])).tolist() == [-1]
    assert points_to_areas(wards("E1"), np.array([]), np.array([])).tolist() == []


def test_counts_now_and_before_with_the_change_worked_by_hand():
    points = pd.DataFrame(
        [
            (-2.595, 51.45, "2024-03"),  # West, now
            (-2.595, 51.45, "2024-04"),  # West, now
            (-2.59, 51.45, "2024-04"),  # border -> East, now
            (-2.585, 51.45, "2024-01"),  # East, before
            (-2.585, 51.45, "2024-02"),  # East, before
            (-2.595, 51.45, "2024-02"),  # West, before
            (-2.61, 51.45, "2024-03"),  # outside both: in neither
            (-2.585, 51.45, "2023-12"),  # East, earlier than both periods
        ],
        columns=["lng", "lat", "month"],
    )
    table = area_counts(points, wards("E2", "E1"), months=["2024-03", "2024-04"], previous=["2024-01", "2024-02"])
    assert table[["code", "name", "count", "previous"]].values.tolist() == [
        ["E2", "West", 2, 1],
        ["E1", "East", 1, 2],
    ]
    assert table["change"].tolist() == [1.0, -0.5]  # 2/1 - 1, 1/2 - 1
    unknown = area_counts(points, wards("E2", "E1"), months=["2024-03", "2024-04"], previous=None)
    assert unknown["count"].tolist() == [2, 1]
    assert unknown["previous"].isna().all() and unknown["change"].isna().all()
    assert unknown["previous"].dtype == float and unknown["change"].dtype == float
    monthly = area_monthly(points, wards("E2", "E1"), months=["2024-03", "2024-04"])
    assert monthly.index.name == "code" and monthly.columns.tolist() == ["2024-03", "2024-04"]
    assert monthly.to_dict("index") == {"E2": {"2024-03": 1, "2024-04": 1}, "E1": {"2024-03": 0, "2024-04": 1}}
    assert area_monthly(points, wards("E2", "E1"), months=[]).shape == (2, 0)


def test_a_zero_base_has_no_change():
    points = pd.DataFrame([(-2.595, 51.45, "2024-02")], columns=["lng", "lat", "month"])
    table = area_counts(points, wards("E2", "E1"), months=["2024-02"], previous=["2024-01"])
    assert table["count"].tolist() == [1, 0] and table["previous"].tolist() == [0, 0]
    assert table["change"].isna().all()
    # the last area empty in both periods, and a base of exactly one (2/1 - 1 = +100 %)
    points = pd.DataFrame(
        [(-2.595, 51.45, "2024-02")] * 2 + [(-2.595, 51.45, "2024-01")], columns=["lng", "lat", "month"]
    )
    table = area_counts(points, wards("E2", "E1"), months=["2024-02"], previous=["2024-01"])
    assert table["count"].tolist() == [2, 0] and table["previous"].tolist() == [1, 0]
    assert table["change"].iloc[0] == 1.0 and np.isnan(table["change"].iloc[1])
    assert area_monthly(points, wards("E2", "E1"), months=["2024-01", "2024-02"]).values.tolist() == [[1, 2], [0, 0]]


# A 3 x 2 grid of 0.01° squares (codes in a shuffled order) and points on, near and between their edges.
_GRID = [
    box(-2.60 + 0.01 * i, 51.44 + 0.01 * j, -2.59 + 0.01 * i, 51.45 + 0.01 * j) for i in range(3) for j in range(2)
]
_COORD = st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.2])


@settings(max_examples=60, deadline=None)
@given(
    codes=st.permutations([f"C{n}" for n in range(6)]),
    xy=st.lists(st.tuples(_COORD, _COORD), min_size=1, max_size=30),
)
def test_matches_a_brute_force_loop_over_every_area(codes, xy):
    grid = gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=_GRID, crs="EPSG:4326")
    lng = np.array([-2.60 + 0.01 * x for x, _ in xy])
    lat = np.array([51.44 + 0.01 * y for _, y in xy])
    got = points_to_areas(grid, lng, lat)
    for k in range(len(xy)):
        holders = [i for i, g in enumerate(_GRID) if g.intersects(Point(lng[k], lat[k]))]
        want = min(holders, key=lambda i: codes[i]) if holders else -1
        assert got[k] == want
    counts = area_counts(
        pd.DataFrame({"lng": lng, "lat": lat, "month": "2024-01"}), grid, months=["2024-01"], previous=None
    )
    assert counts["count"].sum() == (got >= 0).sum()  # every point counted once, or not at all


def test_a_cell_is_labelled_with_the_area_holding_its_centre():
    import h3

    from geo.space.hexes import cells_to_latlng
    from geo.stats.areas import cells_to_area_codes

    west_cell = h3.str_to_int(h3.latlng_to_cell(51.45, -2.597, 9))  # centre well inside West
    east_cell = h3.str_to_int(h3.latlng_to_cell(51.45, -2.583, 9))
    far_cell = h3.str_to_int(h3.latlng_to_cell(55.0, -3.0, 9))
    cells = np.array([west_cell, east_cell, far_cell], dtype=np.uint64)
    assert cells_to_area_codes(cells, wards("E1", "E2")).tolist() == ["E2", "E1", ""]
    lat_a, lng_a = cells_to_latlng(cells[1:2])  # the centre as the code computes it (h3ronpy), to the last bit
    lat, lng = float(lat_a[0]), float(lng_a[0])
    # a border through the cell's centre: the centre is on both outlines, so the lower code labels it
    split = gpd.GeoDataFrame(
        {"code": ["Z9", "A1"], "name": ["z", "a"]},
        geometry=[box(lng - 0.01, lat - 0.01, lng, lat + 0.01), box(lng, lat - 0.01, lng + 0.01, lat + 0.01)],
        crs="EPSG:4326",
    )
    assert cells_to_area_codes(cells[1:2], split).tolist() == ["A1"]
    assert cells_to_area_codes(cells, None).tolist() == ["", "", ""]


# --- real outlines: every area tested against every point, one by one, is the reference ---------------------------


def _brute_force(frame: gpd.GeoDataFrame, lng: np.ndarray, lat: np.ndarray) -> list[int]:
    """Position of the lowest-code area whose outline intersects each point (-1: none), by plain shapely."""
    codes = frame["code"].astype(str).tolist()
    geoms = frame.geometry.tolist()
    out = []
    for x, y in zip(lng, lat, strict=True):
        if not (np.isfinite(x) and np.isfinite(y)):
            out.append(-1)
            continue
        point = Point(x, y)
        holders = [i for i, g in enumerate(geoms) if g.intersects(point)]
        out.append(min(holders, key=lambda i: codes[i]) if holders else -1)
    return out


@pytest.fixture(scope="module", params=["bristol_wards", "bristol_lsoa", "manchester_wards"])
def real_areas(request: pytest.FixtureRequest) -> gpd.GeoDataFrame:
    name, column = {
        "bristol_wards": ("E06000023_bristol_wards_WD13.geojson", "WD13CD"),
        "bristol_lsoa": ("E06000023_bristol_lsoa_2011.geojson", "LSOA11CD"),
        "manchester_wards": ("greater_manchester_wards_WD16_bng27700.geojson", "wd16cd"),
    }[request.param]
    frame = gpd.read_file(real_file(name)).to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"code": frame[column].astype(str)}, geometry=frame.geometry, crs="EPSG:4326")


def test_points_on_and_near_real_outlines_go_where_every_outline_one_by_one_says(real_areas, monkeypatch):
    """Vertices and edge midpoints (on shared borders: the tie-break), random points, cell centres; small chunks."""
    monkeypatch.setattr(areas_module, "_CHUNK", 97)  # many chunks: a point's areas never split across two
    rng = np.random.default_rng(7)
    outline = shapely.get_coordinates(shapely.boundary(real_areas.geometry.to_numpy()))
    on = outline[rng.choice(len(outline), 150, replace=False)]  # vertices: on one outline or two
    edge = (outline[:-1] + outline[1:]) / 2  # mid-edge (a few join two rings: just more points)
    mids = edge[rng.choice(len(edge), 150, replace=False)]
    lo_x, lo_y, hi_x, hi_y = real_areas.total_bounds
    spread = np.column_stack([rng.uniform(lo_x, hi_x, 300), rng.uniform(lo_y, hi_y, 300)])
    cells = boundaries_to_cells(real_areas, res=9)
    lat, lng = cells_to_latlng(cells[rng.choice(len(cells), 300, replace=False)])
    xy = np.concatenate([on, mids, spread, np.column_stack([lng, lat]), [[np.nan, np.nan]]])
    assert points_to_areas(real_areas, xy[:, 0], xy[:, 1]).tolist() == _brute_force(real_areas, xy[:, 0], xy[:, 1])


def test_cell_labels_on_real_outlines_are_the_area_holding_the_centre(real_areas):
    cells = boundaries_to_cells(real_areas, res=8)
    lat, lng = cells_to_latlng(cells)  # the centres as the code computes them (h3ronpy), to the last bit
    codes = real_areas["code"].to_numpy(dtype=object)
    want = ["" if i < 0 else codes[i] for i in _brute_force(real_areas, lng, lat)]
    assert cells_to_area_codes(cells, real_areas).tolist() == want


def test_the_callers_outlines_are_left_unprepared():
    frame = wards("E1", "E2")
    points_to_areas(frame, np.array([-2.585]), np.array([51.45]))
    assert not shapely.is_prepared(frame.geometry.to_numpy()).any()  # a shared (cached) frame is not touched


_EDGE = st.floats(-3.0, -2.0, allow_nan=False)


@settings(max_examples=80)
@given(st.lists(st.tuples(_EDGE, _EDGE, _EDGE, _EDGE), min_size=1, max_size=6), st.lists(st.tuples(_EDGE, _EDGE)))
def test_the_box_filter_never_drops_a_point_in_a_box(boxes, points):
    """Corners and edges of the boxes included: a point the filter drops is outside every box."""
    rows = np.array([(min(a, c), min(b, d), max(a, c), max(b, d)) for a, b, c, d in boxes])
    corners = [(x, y) for x0, y0, x1, y1 in rows for x, y in ((x0, y0), (x1, y1), (x0, y1), ((x0 + x1) / 2, y0))]
    xy = np.array([*points, *corners])
    kept = areas_module._near_a_box(rows, xy[:, 0], xy[:, 1])
    inside = [any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in rows) for x, y in xy]
    assert all(k for k, i in zip(kept, inside, strict=True) if i)
    assert not areas_module._near_a_box(np.full((1, 4), np.nan), np.array([1.0]), np.array([1.0])).any()
