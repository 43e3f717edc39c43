"""Patrol tours: hand-checkable shapes near the equator, and invariants on random UK points.

Near the equator 0.01 degree of latitude or longitude is R * pi / 180 / 100 =
1,111.95 m in either direction (to 1 part in 10^8), so small grids there can
be checked with plane geometry in units of ``STEP``.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from geo.core.errors import InputError, OptionError
from geo.space.tour import EARTH_RADIUS_M, distance_matrix_m, haversine_m, visiting_order

STEP = EARTH_RADIUS_M * math.pi / 180 / 100  # metres in 0.01 degree


def grid(*points):
    """(lat, lng) arrays from points given in hundredths of a degree."""
    pts = np.array(points, dtype=float) / 100
    return pts[:, 0], pts[:, 1]


def closed_length(order, d):
    return sum(d[order[k], order[(k + 1) % len(order)]] for k in range(len(order))) if len(order) > 1 else 0.0


def nearest_neighbour_reference(d, start):
    order, left = [start], set(range(len(d))) - {start}
    while left:
        nxt = min(left, key=lambda j: (d[order[-1], j], j))
        order.append(nxt)
        left.remove(nxt)
    return order


# --- distances


def test_haversine_known_distances():
    assert_allclose(haversine_m(0, 0, 0, 1), EARTH_RADIUS_M * math.pi / 180)  # one degree of the equator
    assert_allclose(haversine_m(0, 0, 1, 0), EARTH_RADIUS_M * math.pi / 180)  # one degree of a meridian
    assert_allclose(haversine_m(90, 0, -90, 0), EARTH_RADIUS_M * math.pi)  # pole to pole
    assert_allclose(haversine_m(0, 0, 0, 180), EARTH_RADIUS_M * math.pi)  # antipodes on the equator
    assert haversine_m(51.5, -0.1, 51.5, -0.1) == 0.0


def test_haversine_broadcasts():
    out = haversine_m(np.zeros(3), np.zeros(3), 0, np.array([0.0, 1.0, 2.0]))
    assert_allclose(out, np.array([0, 1, 2]) * EARTH_RADIUS_M * math.pi / 180)


def test_distance_matrix_is_symmetric_with_zero_diagonal():
    d = distance_matrix_m(np.array([51.5, 52.0, 53.4]), np.array([-0.1, -1.9, -2.2]))
    assert d.shape == (3, 3)
    assert_allclose(d, d.T)
    assert (np.diag(d) == 0).all()
    assert_allclose(d[0, 1], haversine_m(51.5, -0.1, 52.0, -1.9))


# --- hand-checkable tours


def test_square_tour_is_the_perimeter_even_from_a_crossing_input_order():
    # input order goes corner, opposite corner, corner, opposite corner: two diagonals and two sides
    lat, lng = grid((0, 0), (1, 1), (0, 1), (1, 0))
    tour = visiting_order(lat, lng)
    assert_allclose(tour.length_m, 4 * STEP, rtol=1e-7)
    assert_allclose(tour.input_length_m, (2 + 2 * math.sqrt(2)) * STEP, rtol=1e-7)
    assert tour.order[0] == 0
    assert sorted(tour.order.tolist()) == [0, 1, 2, 3]


def test_points_on_a_line_are_walked_out_and_back():
    lat, lng = grid((0, 0), (0, 3), (0, 1), (0, 2))
    tour = visiting_order(lat, lng)
    assert tour.order.tolist() == [0, 2, 3, 1]
    assert_allclose(tour.length_m, 6 * STEP)  # out 3 steps, back 3 steps
    assert_allclose(tour.input_length_m, (3 + 2 + 1 + 2) * STEP)


def test_two_opt_removes_the_crossing_nearest_neighbour_leaves():
    # A(3,3) B(3,2) C(3,1) D(1,3) E(0,1) as (lat, lng) in hundredths of a degree.
    # Nearest neighbour from A: A-B-C, then D (sqrt 8 away) before E (3 away), then E and home:
    # edges C-D and E-A cross, length 1 + 1 + sqrt 8 + sqrt 5 + sqrt 13.
    # Reversing D-E gives A-B-C-E-D-A: 1 + 1 + 3 + sqrt 5 + 2, which is also the optimum.
    lat, lng = grid((3, 3), (3, 2), (3, 1), (1, 3), (0, 1))
    d = distance_matrix_m(lat, lng)
    assert nearest_neighbour_reference(d, 0) == [0, 1, 2, 3, 4]
    tour = visiting_order(lat, lng)
    assert tour.order.tolist() == [0, 1, 2, 4, 3]
    assert_allclose(tour.length_m, (7 + math.sqrt(5)) * STEP, rtol=1e-6)
    assert_allclose(tour.input_length_m, (2 + math.sqrt(8) + math.sqrt(5) + math.sqrt(13)) * STEP, rtol=1e-6)


def test_start_is_kept():
    lat, lng = grid((0, 0), (1, 1), (0, 1), (1, 0))
    tour = visiting_order(lat, lng, start=2)
    assert tour.order[0] == 2
    assert_allclose(tour.length_m, 4 * STEP, rtol=1e-7)


# --- small and degenerate inputs


def test_no_points():
    tour = visiting_order(np.array([]), np.array([]))
    assert tour.order.tolist() == []
    assert tour.length_m == 0.0
    assert tour.input_length_m == 0.0


def test_one_point():
    tour = visiting_order(np.array([51.5]), np.array([-0.1]))
    assert tour.order.tolist() == [0]
    assert tour.length_m == 0.0


def test_two_points_go_there_and_back():
    lat, lng = grid((0, 0), (0, 1))
    tour = visiting_order(lat, lng, start=1)
    assert tour.order.tolist() == [1, 0]
    assert_allclose(tour.length_m, 2 * STEP)


def test_three_points_any_order_is_the_triangle():
    lat, lng = grid((0, 0), (0, 4), (3, 0))
    tour = visiting_order(lat, lng)
    assert_allclose(tour.length_m, 12 * STEP, rtol=1e-6)  # 3-4-5 triangle
    assert_allclose(tour.input_length_m, 12 * STEP, rtol=1e-6)


def test_duplicate_points_are_visited_back_to_back():
    lat, lng = grid((0, 0), (0, 2), (0, 0), (0, 2))
    tour = visiting_order(lat, lng)
    assert sorted(tour.order.tolist()) == [0, 1, 2, 3]
    assert_allclose(tour.length_m, 4 * STEP)
    assert_allclose(tour.input_length_m, 8 * STEP)


def test_order_is_read_only():
    tour = visiting_order(*grid((0, 0), (0, 1)))
    with pytest.raises(ValueError):
        tour.order[0] = 1


@pytest.mark.parametrize("start", [-1, 4, 1.5, "0"])
def test_invalid_start(start):
    with pytest.raises(OptionError, match="start must be") as caught:
        visiting_order(*grid((0, 0), (1, 1), (0, 1), (1, 0)), start=start)
    assert caught.value.option == "start"
    assert not isinstance(caught.value, InputError)  # an argument, not a file or a row


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        ([51.5, np.nan], [0.0, 0.1]),
        ([51.5, 51.6], [0.0, np.inf]),
        ([51.5, 51.6], [0.0]),
        ([[51.5]], [[0.0]]),
        ([0.1, 151.5], [51.5, 0.0]),
        (["a", "b"], [0.0, 0.1]),
    ],
)
def test_bad_coordinates(lat, lng):
    with pytest.raises(OptionError):
        visiting_order(np.array(lat, dtype=object), np.array(lng, dtype=object))


# --- invariants on random points in a UK-sized box

uk_points = st.integers(0, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(49.9, 58.7), min_size=n, max_size=n),
        st.lists(st.floats(-8.2, 1.8), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(uk_points, st.data())
def test_tour_invariants(points, data):
    lat, lng = np.array(points[0]), np.array(points[1])
    n = len(lat)
    start = data.draw(st.integers(0, max(n - 1, 0)))
    tour = visiting_order(lat, lng, start=start)
    d = distance_matrix_m(lat, lng)

    assert sorted(tour.order.tolist()) == list(range(n))  # every point exactly once
    if n:
        assert tour.order[0] == start
    assert_allclose(tour.length_m, closed_length(tour.order, d), rtol=1e-9)
    assert_allclose(tour.input_length_m, closed_length(range(n), d), rtol=1e-9)
    slack = 1e-6 * n
    assert tour.length_m <= tour.input_length_m + slack
    if n:
        assert tour.length_m <= closed_length(nearest_neighbour_reference(d, start), d) + slack

    # 2-opt local optimum: no reversal of a stretch shortens the tour by more than a millimetre
    t = tour.order
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            a, b, c, e = t[i], t[i + 1], t[j], t[(j + 1) % n]
            assert d[a, c] + d[b, e] >= d[a, b] + d[c, e] - 1e-3


def test_fifty_points_beat_their_random_order():
    rng = np.random.default_rng(7)
    lat, lng = rng.uniform(51.4, 51.6, 50), rng.uniform(-0.3, 0.1, 50)
    tour = visiting_order(lat, lng)
    assert sorted(tour.order.tolist()) == list(range(50))
    assert tour.length_m < 0.5 * tour.input_length_m  # random order zigzags; a sensible tour does not
