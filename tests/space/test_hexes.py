"""H3 helpers: checked against h3-py per point and shapely geometry."""

import geopandas as gpd
import h3
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.core.errors import InputError, OptionError
from geo.core.schema import WGS84
from geo.space.hexes import (
    RESOLUTIONS,
    boundaries_to_cells,
    cells_to_geojson,
    cells_to_latlng,
    cells_to_polygons,
    cells_to_strings,
    cells_to_weights,
    check_res,
    points_to_cells,
    strings_to_cells,
)

UK_LAT = st.floats(50.0, 58.0)
UK_LNG = st.floats(-5.0, 1.5)


@settings(max_examples=40)
@given(st.lists(st.tuples(UK_LAT, UK_LNG), min_size=1, max_size=20), st.sampled_from(list(RESOLUTIONS)))
def test_points_to_cells_equals_the_h3_loop(points, res):
    lat = np.array([p[0] for p in points])
    lng = np.array([p[1] for p in points])
    expected = [h3.str_to_int(h3.latlng_to_cell(a, b, res)) for a, b in points]
    assert points_to_cells(lat, lng, res=res).tolist() == expected


def test_missing_points_get_cell_zero_and_bad_resolution_is_refused():
    cells = points_to_cells(np.array([51.45, np.nan]), np.array([-2.59, -2.59]), res=9)
    assert cells[1] == 0 and cells[0] != 0
    with pytest.raises(OptionError, match="between 6 and 11"):
        check_res(12)


@pytest.mark.parametrize(
    ("call", "option", "accepted"),
    [
        (lambda: check_res(5), "res", "between 6 and 11"),
        (lambda: cells_to_weights(np.array([1], dtype=np.uint64), k=-1), "k", "0 or more"),
    ],
)
def test_a_bad_option_is_an_option_error_not_an_input_error(call, option, accepted):
    """A resolution or ring size out of range is the caller's mistake: no file or row is to blame."""
    with pytest.raises(OptionError, match=accepted) as caught:
        call()
    assert caught.value.option == option
    assert not isinstance(caught.value, InputError)


def test_study_area_cells_cover_the_polygon_and_partly_inside_cells_count():
    square = gpd.GeoDataFrame({"code": ["A"]}, geometry=[box(-2.60, 51.45, -2.58, 51.46)], crs=WGS84)
    cells = boundaries_to_cells(square, res=9)
    polys = cells_to_polygons(cells)
    union = shapely.union_all(polys)
    assert union.contains(square.geometry.iloc[0])  # nothing of the area is left uncovered
    assert all(p.intersects(square.geometry.iloc[0]) for p in polys)  # and no cell is wholly outside
    assert any(not square.geometry.iloc[0].contains(p) for p in polys)  # edge cells (partly inside) are in


def test_weights_are_the_k_ring_within_the_area():
    centre = h3.latlng_to_cell(51.45, -2.59, 9)
    ring = [h3.str_to_int(c) for c in h3.grid_disk(centre, 1)]
    cells = np.array(sorted(ring), dtype=np.uint64)
    w = cells_to_weights(cells, k=1).toarray()
    i = int(np.flatnonzero(cells == h3.str_to_int(centre))[0])
    assert w[i].sum() == 7  # centre sees itself and six neighbours
    assert (np.diag(w) == 1).all() and (w == w.T).all()
    assert sorted(w.sum(axis=1).tolist()) == [4.0] * 6 + [7.0]  # each outer cell: self, centre, two ring cells
    w2 = cells_to_weights(cells, k=2).toarray()
    assert (w2 == 1).all()  # everything is within two steps, and nothing outside the area is added


def test_string_round_trip_centres_and_geojson():
    cells = points_to_cells(np.array([51.45, 53.48]), np.array([-2.59, -2.24]), res=9)
    strings = cells_to_strings(cells)
    assert strings[0] == h3.latlng_to_cell(51.45, -2.59, 9)
    assert strings_to_cells(strings).tolist() == cells.tolist()
    lat, lng = cells_to_latlng(cells)
    assert np.allclose([lat[0], lng[0]], h3.cell_to_latlng(strings[0]))
    fc = cells_to_geojson(cells, None)
    assert len(fc["features"]) == 2 and fc["features"][0]["geometry"]["type"] == "Polygon"
