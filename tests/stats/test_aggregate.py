"""The count cube: every cell, month and category of the study area, zeros included."""

import re

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.core.errors import InputError, OptionError, StoreError
from geo.core.schema import WGS84
from geo.stats import aggregate
from geo.stats.aggregate import (
    Filters,
    StudyArea,
    filters_to_mask,
    incidents_to_cube,
    month_number,
    month_numbers,
    month_range,
    month_text,
    study_area,
)
from geo.store._segments import parquet_to_table, table_to_parquet


def tiny_area() -> StudyArea:
    """Three res-9 cells: a centre and two of its neighbours."""
    centre = h3.latlng_to_cell(51.45, -2.59, 9)
    ring = sorted(h3.grid_ring(centre, 1))[:2]
    cells = np.array(sorted(h3.str_to_int(c) for c in [centre, *ring]), dtype=np.uint64)
    return StudyArea(res=9, cells=cells, ward=np.array(["W1", "W1", "W2"], dtype=object), estate=np.array([""] * 3))


def point_in(cell: int) -> tuple[float, float]:
    return h3.cell_to_latlng(h3.int_to_str(int(cell)))


def test_counts_by_hand_with_zeros_and_outsiders():
    area = tiny_area()
    (a_lat, a_lng), (b_lat, b_lng) = point_in(area.cells[0]), point_in(area.cells[2])
    rows = pd.DataFrame(
        {
            "lat": [a_lat, a_lat, b_lat, 55.0, np.nan],
            "lng": [a_lng, a_lng, b_lng, -3.0, np.nan],
            "month": ["2024-01", "2024-03", "2024-03", "2024-01", "2024-01"],
            "category": ["Anti-social behaviour", "Drugs", "Anti-social behaviour", "Drugs", "Drugs"],
        }
    )
    cube = incidents_to_cube(rows, area, categories=["Anti-social behaviour", "Drugs", "Robbery"])
    assert cube.months == ["2024-01", "2024-02", "2024-03"]  # February has nothing, and is there
    assert cube.counts.shape == (3, 3, 3)
    assert cube.counts.sum() == 3 and cube.outside == 1 and cube.no_location == 1
    assert cube.counts[0, 0, 0] == 1 and cube.counts[0, 2, 1] == 1 and cube.counts[2, 2, 0] == 1
    assert cube.by_cell().tolist() == [2, 0, 1]
    frame = cube.to_frame()
    assert len(frame) == 27 and frame["count"].sum() == 3
    row = frame[(frame["cell"] == area.cells[2]) & (frame["month"] == "2024-03")]
    assert row.set_index("category")["count"].to_dict() == {"Anti-social behaviour": 1, "Drugs": 0, "Robbery": 0}


def test_filters_by_month_category_and_source():
    area = tiny_area()
    lat, lng = point_in(area.cells[1])
    rows = pd.DataFrame(
        {
            "lat": [lat] * 4,
            "lng": [lng] * 4,
            "month": ["2023-12", "2024-01", "2024-02", "2024-02"],
            "category": ["Anti-social behaviour", "Anti-social behaviour", "Drugs", "Anti-social behaviour"],
            "source": ["police.uk", "police.uk", "police.uk", "housing"],
        }
    )
    f = Filters(month_from="2024-01", month_to="2024-03", categories=("Anti-social behaviour",), sources=("police.uk",))
    cube = incidents_to_cube(rows, area, filters=f)
    assert cube.months == ["2024-01", "2024-02", "2024-03"] and cube.categories == ["Anti-social behaviour"]
    assert cube.by_cell().tolist() == [0, 1, 0]


def test_bad_filters_are_refused_clearly():
    with pytest.raises(OptionError, match="month from must be YYYY-MM, not '2024-13'") as caught:
        Filters(month_from="2024-13")
    assert caught.value.option == "month_from"
    assert not isinstance(caught.value, InputError)  # a filter option, not a file or a row
    with pytest.raises(OptionError, match="after"):
        Filters(month_from="2024-05", month_to="2024-01")
    assert month_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]


def test_study_area_from_boundaries_assigns_wards():
    wards = gpd.GeoDataFrame(
        {"code": ["W", "E"], "name": ["West", "East"]},
        geometry=[box(-2.62, 51.44, -2.60, 51.46), box(-2.60, 51.44, -2.58, 51.46)],
        crs=WGS84,
    )
    area = study_area(wards, None, res=8)
    assert len(area) > 0 and {"W", "E"} <= set(area.ward)
    for cell, ward in zip(area.cells, area.ward, strict=True):  # labelled by the centre (h3's own, checked here)
        lat, lng = h3.cell_to_latlng(h3.int_to_str(int(cell)))
        inside = 51.44 < lat < 51.46 and -2.62 < lng < -2.58
        assert ward == ("" if not inside else "W" if lng < -2.60 else "E")
    assert (area.estate == "").all()
    with pytest.raises(StoreError, match="import wards"):
        study_area(None, None, res=8)


# ---------------------------------------------------------------- months as numbers, text coded once per value


def test_months_as_numbers_by_hand():
    # 1970-01 is month 0; 2024-03 is (2024 − 1970)·12 + (3 − 1) = 648 + 2 = 650; one before 1970-01 is 1969-12
    assert month_number("1970-01") == 0 and month_number("2024-03") == 650
    assert month_text(650) == "2024-03" and month_text(0) == "1970-01" and month_text(-1) == "1969-12"
    values = pa.array(["2024-03", "1970-12", "", None, "2024-13", "2024-1", "２０２４-03", "2024-03\n", " 2024-03"])
    number, valid = month_numbers(values)
    assert valid.tolist() == [True, True] + [False] * 7  # blank, missing, month 13, one digit, other digits, blanks
    assert number[:2].tolist() == [650, 11]


@pytest.mark.parametrize("bad", ["2024-01\n", "２０２４-01", "2024-1", " 2024-01"])
def test_filters_take_only_plain_yyyy_mm(bad):
    with pytest.raises(OptionError, match="must be YYYY-MM"):
        Filters(month_to=bad)


POINTS = [  # the tiny area's three centres, one point outside it, and points without a location
    *(point_in(c) for c in tiny_area().cells),
    (55.0, -3.0),
    (float("nan"), -2.59),
    (float("nan"), float("nan")),
]
MONTHS = ["2023-12", "2024-01", "2024-02", "2024-04", "", "2024-13", "2024-1", None]
CATEGORIES = ["Anti-social behaviour", "Drugs", "Robbery", None]
SOURCES = ["police.uk", "housing", None]


def _is_month(m: object) -> bool:
    return isinstance(m, str) and re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", m) is not None


def _kept(rows: list[tuple], f: Filters, *, has_source: bool) -> list[bool]:
    """The documented filter rule, row by row."""
    out = []
    for _, _, month, cat, src in rows:
        ok = True
        if f.month_from or f.month_to:
            ok = _is_month(month) and (not f.month_from or month >= f.month_from)
            ok = ok and (not f.month_to or month <= f.month_to)
        ok = ok and (f.categories is None or cat in f.categories)
        ok = ok and (f.sources is None or not has_source or src in f.sources)
        out.append(ok)
    return out


def _reference_cube(rows, area, f, categories, *, has_source):
    """Count by brute force: each kept row placed with h3-py itself, months stepped one by one."""
    kept = [r for r, k in zip(rows, _kept(rows, f, has_source=has_source), strict=True) if k]
    seen = [r[2] for r in kept if _is_month(r[2])]
    if f.month_from and f.month_to:
        lo, hi = f.month_from, f.month_to
    elif seen:
        lo, hi = f.month_from or min(seen), f.month_to or max(seen)
    else:
        lo = hi = None
    months = []
    if lo is not None:
        y, m = int(lo[:4]), int(lo[5:])
        while f"{y:04d}-{m:02d}" <= hi:
            months.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    cats = list(categories) if categories is not None else sorted({r[3] for r in kept if r[3] is not None})
    if f.categories is not None:
        cats = [c for c in cats if c in f.categories]
    counts = np.zeros((len(area), len(months), len(cats)), dtype=np.int32)
    outside = no_location = 0
    cells = area.cells.tolist()
    for lat, lng, month, cat, _ in kept:
        if not (np.isfinite(lat) and np.isfinite(lng)):
            no_location += 1
            continue
        cell = h3.str_to_int(h3.latlng_to_cell(lat, lng, area.res))
        if cell not in cells:
            outside += 1
        elif month in months and cat in cats:
            counts[cells.index(cell), months.index(month), cats.index(cat)] += 1
    return months, cats, counts, outside, no_location


@st.composite
def cube_cases(draw):
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(POINTS), st.sampled_from(MONTHS), st.sampled_from(CATEGORIES), st.sampled_from(SOURCES)
            ),
            max_size=40,
        )
    )
    rows = [(lat, lng, month, cat, src) for (lat, lng), month, cat, src in rows]
    bound = st.none() | st.sampled_from(["2023-11", "2024-01", "2024-02", "2024-03", "2024-05"])
    lo, hi = draw(bound), draw(bound)
    if lo and hi and lo > hi:
        lo, hi = hi, lo
    names = st.lists(st.sampled_from(["Anti-social behaviour", "Drugs", "Robbery", "Burglary"]), unique=True)
    f = Filters(
        month_from=lo,
        month_to=hi,
        categories=draw(st.none() | names.map(tuple)),
        sources=draw(
            st.none() | st.lists(st.sampled_from(["police.uk", "housing", "council"]), unique=True).map(tuple)
        ),
    )
    categories = draw(st.none() | names)
    return rows, f, categories, draw(st.booleans())


def _frame(rows, *, has_source: bool) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["lat", "lng", "month", "category", "source"])
    frame = frame.astype({"lat": float, "lng": float, "month": object, "category": object, "source": object})
    return frame if has_source else frame.drop(columns="source")


def _as_tables(frame: pd.DataFrame) -> list[pa.Table]:
    """The same rows as arrow: plain text; and as two store segments read back with dictionary-encoded text."""
    types = {"lat": pa.float64(), "lng": pa.float64(), "month": pa.string(), "category": pa.string()}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in frame.columns])
    plain = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    half = len(frame) // 2
    text = [c for c in ("month", "category", "source") if c in frame]
    segments = parquet_to_table(
        [table_to_parquet(plain.slice(0, half)), table_to_parquet(plain.slice(half))], dictionary=text
    )
    assert segments is not None and all(pa.types.is_dictionary(segments.schema.field(c).type) for c in text)
    return [plain, segments]


@settings(max_examples=200, deadline=None)
@given(cube_cases())
def test_frames_and_arrow_tables_give_the_brute_force_cube(case):
    rows, f, categories, has_source = case
    area = tiny_area()
    months, cats, counts, outside, no_location = _reference_cube(rows, area, f, categories, has_source=has_source)
    frame = _frame(rows, has_source=has_source)
    for incidents in [frame, *_as_tables(frame)]:
        cube = incidents_to_cube(incidents, area, filters=f, categories=categories)
        assert cube.months == months and cube.categories == cats
        assert cube.counts.dtype == np.int32 and np.array_equal(cube.counts, counts)
        assert (cube.outside, cube.no_location) == (outside, no_location)
        assert filters_to_mask(incidents, f).tolist() == _kept(rows, f, has_source=has_source)


def test_a_blank_month_is_not_counted_and_does_not_stop_the_cube():
    area = tiny_area()
    lat, lng = point_in(area.cells[0])
    rows = pd.DataFrame({"lat": [lat] * 3, "lng": [lng] * 3, "month": ["2024-01", "", "2024-03"], "category": "Drugs"})
    cube = incidents_to_cube(rows, area)
    assert cube.months == ["2024-01", "2024-02", "2024-03"] and cube.counts[0, :, 0].tolist() == [1, 0, 1]
    assert filters_to_mask(rows, Filters(month_to="2024-03")).tolist() == [True, False, True]  # no month: not ≤ March
    assert filters_to_mask(rows, Filters()).tolist() == [True, True, True]


def test_a_category_named_twice_is_refused():
    with pytest.raises(OptionError, match="each be named once") as caught:
        incidents_to_cube(_frame([], has_source=False), tiny_area(), categories=["Drugs", "Drugs"])
    assert caught.value.option == "categories"


def test_each_distinct_point_is_indexed_once_and_by_its_own_bits(monkeypatch):
    calls: list[int] = []
    real = aggregate.points_to_cells

    def counting(lat, lng, *, res):
        calls.append(len(lat))
        return real(lat, lng, res=res)

    monkeypatch.setattr(aggregate, "points_to_cells", counting)
    area = tiny_area()
    (a_lat, a_lng), (b_lat, b_lng) = point_in(area.cells[0]), point_in(area.cells[1])
    lat = np.array([a_lat, b_lat, a_lat, a_lat, b_lat, 51.5, 51.5])
    lng = np.array([a_lng, b_lng, a_lng, a_lng, b_lng, 0.0, -0.0])  # 0.0 and -0.0: two points, one cell
    pos = aggregate._positions(area, lat, lng)
    assert pos.tolist() == [0, 1, 0, 0, 1, -1, -1] and calls == [4]


def test_points_whose_mix_collides_still_get_their_own_cells(monkeypatch):
    monkeypatch.setattr(aggregate, "_mix", lambda a, b: np.zeros(len(a), dtype=np.int64))  # every point one group
    area = tiny_area()
    (a_lat, a_lng), (b_lat, b_lng), (c_lat, c_lng) = (point_in(c) for c in area.cells)
    lat = np.array([a_lat, b_lat, c_lat, 55.0, b_lat])
    lng = np.array([a_lng, b_lng, c_lng, -3.0, b_lng])
    assert aggregate._positions(area, lat, lng).tolist() == [0, 1, 2, -1, 1]


@pytest.mark.parametrize("n_cells", [5, 70_000])  # both sides of the size above which probes are sorted first
def test_index_of_finds_each_cell_or_says_minus_one(n_cells):
    rng = np.random.default_rng(n_cells)
    cells = np.unique(rng.integers(1, 2**62, n_cells).astype(np.uint64))
    area = StudyArea(res=9, cells=cells, ward=np.full(len(cells), ""), estate=np.full(len(cells), ""))
    probes = np.concatenate([cells[rng.integers(0, len(cells), 500)], [0, 2**63, cells[-1] + 1, cells[0] - 1]])
    where = {int(c): i for i, c in enumerate(cells)}
    assert area.index_of(probes).tolist() == [where.get(int(c), -1) for c in probes]
    assert area.index_of(np.zeros(0, dtype=np.uint64)).tolist() == []
