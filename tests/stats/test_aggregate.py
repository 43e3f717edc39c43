"""The count cube: every cell, month and category of the study area, zeros included."""

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.core.errors import InputError, OptionError, StoreError
from geo.core.schema import WGS84
from geo.stats.aggregate import Filters, StudyArea, incidents_to_cube, month_range, study_area


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
