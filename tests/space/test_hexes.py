"""H3 helpers: checked against h3-py per point and shapely geometry."""

import functools

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
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
    unique_cells,
)
from tests.conftest import real_file

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


# --- the study area's cover: h3-py's own overlap cover, one polygon at a time, is the reference -------------------


def h3_overlap(geoms, res: int) -> list[int]:
    """Reference: h3-py's ``overlap`` cover of each polygon in turn, through its string API, as one sorted list."""
    found: set[int] = set()
    for g in geoms:
        if g is not None and not g.is_empty:
            shape = h3.geo_to_h3shape(shapely.geometry.mapping(g))
            found |= {h3.str_to_int(c) for c in h3.h3shape_to_cells_experimental(shape, res, contain="overlap")}
    return sorted(found)


def frame_of(*geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": [f"E{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=WGS84)


REAL_BOUNDARIES = (
    "E06000023_bristol_wards_WD13.geojson",  # WGS84, polygons and multipolygons
    "E06000023_bristol_lsoa_2011.geojson",
    "greater_manchester_wards_WD16_bng27700.geojson",  # British National Grid: reprojected first
)


@functools.cache
def real_boundaries(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(real_file(name)).to_crs(WGS84)


@pytest.mark.parametrize("res", [8, 9, 10])
@pytest.mark.parametrize("name", REAL_BOUNDARIES)
def test_the_cover_of_real_boundaries_is_h3_s_overlap_cover_to_the_cell(name, res):
    frame = real_boundaries(name)
    assert boundaries_to_cells(frame, res=res).tolist() == h3_overlap(frame.geometry, res)


def _star(cx: float, cy: float, radius: float, fractions: list[float], turns: list[float]) -> list[tuple[float, float]]:
    """A star-shaped ring around (cx, cy): always a simple ring; x stretched so the shape is round on the ground."""
    angles = np.sort(np.array(turns)) * 2 * np.pi
    r = radius * np.array(fractions)
    return list(zip(cx + r * np.cos(angles) / np.cos(np.radians(cy)), cy + r * np.sin(angles), strict=True))


@st.composite
def shapes(draw: st.DrawFn) -> tuple[object, int]:
    """One polygon and a resolution: random stars (with holes, in pieces, smaller than a cell) and shapes
    drawn on h3's own grid (a cell's outline, an edge through a cell's corner or centre), where floating
    point is at a tie."""
    res = draw(st.sampled_from(list(RESOLUTIONS)))
    edge = h3.average_hexagon_edge_length(res, "m") / 111_320
    cx, cy = draw(UK_LNG), draw(UK_LAT)
    radius = edge * 10 ** draw(st.floats(-1.5, 1.2))
    n = draw(st.integers(3, 24))
    fractions = draw(st.lists(st.floats(0.5, 1.0), min_size=n, max_size=n))
    turns = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n, unique=True))
    outer = _star(cx, cy, radius, fractions, turns)
    cell = h3.latlng_to_cell(cy, cx, res)
    corner_lat, corner_lng = h3.cell_to_boundary(cell)[draw(st.integers(0, 5))]
    centre_lat, centre_lng = h3.cell_to_latlng(cell)
    w = radius / np.cos(np.radians(cy))
    kinds = ["star", "repeat", "sliver", "holed", "pieces", "tiny", "cells", "corner", "centre", "vertex", "touch"]
    kind = draw(st.sampled_from(kinds))
    if kind == "star":
        shape = shapely.Polygon(outer)
    elif kind == "repeat":  # a vertex twice in a row: a segment of length zero
        shape = shapely.Polygon([outer[0], *outer])
    elif kind == "sliver":  # long and far thinner than a cell, at any angle
        thin = box(cx - 3 * w, cy - edge * draw(st.floats(0.001, 0.3)), cx + 3 * w, cy + edge * 0.01)
        shape = shapely.affinity.rotate(thin, draw(st.floats(0, 180)), origin=(cx, cy))
    elif kind == "holed":  # hole radii (<= 0.4) inside every outer radius (>= 0.5): a valid polygon
        hole = _star(cx, cy, radius, [f * 0.4 for f in fractions[:6]], turns[:6]) if n >= 3 else []
        shape = shapely.Polygon(outer, [hole] if len(hole) >= 3 else [])
    elif kind == "pieces":  # two stars three radii apart
        other = _star(cx + 3 * w, cy, radius * draw(st.floats(0.02, 1.0)), fractions, turns)
        shape = shapely.MultiPolygon([shapely.Polygon(outer), shapely.Polygon(other)])
    elif kind == "tiny":  # well inside one cell, or across an edge of it
        shape = shapely.Polygon(_star(cx, cy, edge * draw(st.floats(0.001, 0.3)), fractions, turns))
    elif kind == "cells":  # the outline of a cell, or of a cell and its neighbours: vertices on cell corners
        cells = h3.grid_disk(cell, draw(st.integers(0, 2)))
        shape = shapely.geometry.shape(h3.h3shape_to_geo(h3.cells_to_h3shape(cells)))
    elif kind == "corner":  # a box whose edge runs through a cell corner
        lo, hi = draw(st.sampled_from([(-1.0, 0.0), (0.0, 1.0)]))
        shape = box(corner_lng - w, corner_lat + lo * radius, corner_lng + w * 0.7, corner_lat + hi * radius)
    elif kind == "centre":  # a box whose edge runs through a cell centre
        shape = box(centre_lng - w * 0.3, centre_lat, centre_lng + w, centre_lat + radius)
    elif kind == "vertex":  # a triangle with a vertex on a cell corner
        shape = shapely.Polygon([(corner_lng, corner_lat), *outer[:2]])
    else:  # a triangle outside a cell touching the middle of one of its edges with a vertex
        (a_lat, a_lng), (b_lat, b_lng) = h3.cell_to_boundary(cell)[:2]
        mx, my = (a_lng + b_lng) / 2, (a_lat + b_lat) / 2
        ox, oy = mx - centre_lng, my - centre_lat  # away from the cell
        far = [(mx + 2 * ox - oy, my + 2 * oy + ox), (mx + 2 * ox + oy, my + 2 * oy - ox)]
        shape = shapely.Polygon([far[0], (mx, my), far[1]])  # not the first vertex: h3 counts that cell anyway
    return shape, res


@settings(max_examples=200)
@given(st.lists(shapes(), min_size=1, max_size=3))
def test_the_cover_of_any_polygons_is_h3_s_overlap_cover_to_the_cell(drawn):
    res = drawn[0][1]
    geoms = [g for g, _ in drawn if g.is_valid and not g.is_empty]
    if not geoms:
        return
    assert boundaries_to_cells(frame_of(*geoms), res=res).tolist() == h3_overlap(geoms, res)


def test_a_cell_whose_centre_is_in_a_hole_is_out_though_the_ward_covers_most_of_it():
    """h3's rule, kept: a hole smaller than a cell, around its centre, with the outline far away, leaves it out."""
    cell = h3.latlng_to_cell(51.45, -2.59, 9)
    lat, lng = h3.cell_to_latlng(cell)
    hole = shapely.Point(lng, lat).buffer(0.0002).exterior  # ~15 m round the centre; a res-9 edge is ~200 m
    ward = shapely.Polygon(box(lng - 0.02, lat - 0.01, lng + 0.02, lat + 0.01).exterior, [hole])
    cells = boundaries_to_cells(frame_of(ward), res=9)
    assert cells.tolist() == h3_overlap([ward], 9)
    assert h3.str_to_int(cell) not in cells.tolist()  # no centre, no first vertex, no edge crossing
    assert all(h3.str_to_int(c) in cells.tolist() for c in h3.grid_ring(cell, 1))  # its neighbours are in


def test_missing_empty_and_invalid_polygons_are_covered_as_h3_covers_them():
    bow_tie = shapely.Polygon([(-2.60, 51.45), (-2.58, 51.46), (-2.58, 51.45), (-2.60, 51.46)])  # invalid: to h3-py
    square = box(-2.595, 51.452, -2.590, 51.455)
    raised = shapely.Polygon([(-2.57, 51.45, 10.0), (-2.56, 51.45, 10.0), (-2.56, 51.46, 12.0)])  # 3-D: to h3-py
    frame = frame_of(None, shapely.Polygon(), bow_tie, square, raised)
    assert boundaries_to_cells(frame, res=10).tolist() == h3_overlap([bow_tie, square, raised], 10)
    assert boundaries_to_cells(frame_of(None), res=9).tolist() == []
    with pytest.raises(ValueError, match="Unrecognized type"):  # as h3-py refuses it
        boundaries_to_cells(frame_of(shapely.LineString([(-2.6, 51.4), (-2.5, 51.5)])), res=9)


def test_ordinary_polygons_never_reach_h3_py_and_cell_outlines_always_do(monkeypatch):
    """The fast path is taken where it is exact, and only there (the equality tests alone would not show it)."""
    from geo.space import hexes

    handed: list[object] = []
    real = hexes._h3_overlap
    monkeypatch.setattr(hexes, "_h3_overlap", lambda g, res: handed.append(g) or real(g, res))
    wards = frame_of(box(-2.61, 51.44, -2.59, 51.46), box(-2.59, 51.44, -2.57, 51.455))  # a shared border
    assert boundaries_to_cells(wards, res=9).tolist() == h3_overlap(wards.geometry, 9)
    assert handed == []
    cell = h3.latlng_to_cell(51.45, -2.59, 9)
    outline = shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])  # on the grid's own lines
    assert boundaries_to_cells(frame_of(outline, wards.geometry[0]), res=9).tolist() == h3_overlap(
        [outline, wards.geometry[0]], 9
    )
    assert handed == [outline]  # the tie went to h3-py, the ward did not


def test_unique_cells_is_numpy_unique():
    cells = np.array([5, 3, 5, 2**63 + 1, 0, 3], dtype=np.uint64)
    assert unique_cells(cells).tolist() == [0, 3, 5, 2**63 + 1]
    assert unique_cells(np.zeros(0, dtype=np.uint64)).dtype == np.uint64


# --- strings: h3-py's int_to_str / str_to_int, item by item, are the reference ------------------------------------


@settings(max_examples=60)
@given(st.lists(st.tuples(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9), st.integers(0, 15)), max_size=40))
def test_strings_are_h3_s_strings_both_ways(points):
    cells = np.array([h3.str_to_int(h3.latlng_to_cell(a, b, r)) for a, b, r in points], dtype=np.uint64)
    odd = np.array([0, 1, 2**64 - 1, 2**63], dtype=np.uint64)  # not cells: written as h3-py writes them
    every = np.concatenate([cells, odd])
    text = cells_to_strings(every)
    assert text.dtype == object and all(type(s) is str for s in text)
    assert text.tolist() == [h3.int_to_str(int(c)) for c in every]
    assert strings_to_cells(text).tolist() == every.tolist()
    upper = [s.upper() for s in text]
    assert strings_to_cells(upper).tolist() == [h3.str_to_int(s) for s in upper]
    assert strings_to_cells(pd.Series(text, dtype="string")).tolist() == every.tolist()


@pytest.mark.parametrize(
    "items",
    [
        ["zz"],  # not hex
        [""],
        ["89195da49b7ffff", None],  # a missing value after a good one
        [123],  # a number, not text
        [float("nan")],
        ["ffffffffffffffffff"],  # too big for 64 bits
        ["-1"],
        ["89195da49b7fffg"],  # 15 characters, one not hex
        ["89195da49b7fff\u00e9"],
        ["89195da49b7ffff", "x", "y"],  # the first bad one is the one named
    ],
)
def test_bad_strings_are_refused_as_h3_py_refuses_them(items):
    def reference():
        return np.array([h3.str_to_int(s) for s in items], dtype=np.uint64)

    with pytest.raises(Exception) as expected:
        reference()
    with pytest.raises(type(expected.value)) as got:
        strings_to_cells(items)
    assert str(got.value) == str(expected.value)


def test_other_hex_forms_are_read_as_h3_py_reads_them():
    items = [" 89195da49b7ffff", "0x89195da49b7ffff", "1", "000000000000000", "FFFFFFFFFFFFFFF", "89195DA49B7FFFF"]
    assert strings_to_cells(items).tolist() == [h3.str_to_int(s) for s in items]
    assert strings_to_cells([]).tolist() == [] and strings_to_cells([]).dtype == np.uint64
