"""Gi*, FDR and Gi_Bin against hand arithmetic and esda (the test-only reference)."""

from __future__ import annotations

import math
import re
import warnings

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import ndtr, ndtri

from geo.core.errors import InputError, OptionError
from geo.space.hexes import boundaries_to_cells, cells_to_weights, points_to_cells
from geo.stats.hotspots import (
    fdr_bh,
    fdr_gi_bins,
    gi_bins,
    gi_scores,
    gi_star,
    gi_star_from_lag,
    gi_z_from_outer_lag,
)
from geo.stats.weights import Weights, as_weights, weight_sums

WARDS = "data/boundaries/demo_wards.geojson"


def ring_weights() -> np.ndarray:
    """Cell 0 in the middle, cells 1..6 around it in order; binary, self included."""
    w = np.eye(7)
    w[0, :] = w[:, 0] = 1
    for i in range(1, 7):
        left, right = (i - 2) % 6 + 1, i % 6 + 1
        w[i, left] = w[i, right] = 1
    return w


def test_ring_matches_hand_arithmetic():
    y = np.array([4, 9, 1, 0, 2, 5, 7], dtype=float)
    # n = 7, sum 28, mean 4; mean of squares (16+81+1+0+4+25+49)/7 = 176/7; s² = 176/7 − 16 = 64/7.
    # Outer cells: W = S1 = 4 (self, centre, two ring neighbours): √((7·4 − 4²)/6) = √2,
    # so z_i = (lag_i − 4·4) / (√(64/7) · √2) = (lag_i − 16) / √(128/7).
    lags = {
        1: 4 + 9 + 1 + 7,  # centre, self, cells 2 and 6  = 21
        2: 4 + 1 + 9 + 0,  # centre, self, cells 1 and 3  = 14
        3: 4 + 0 + 1 + 2,  # = 7
        4: 4 + 2 + 0 + 5,  # = 11
        5: 4 + 5 + 2 + 7,  # = 18
        6: 4 + 7 + 5 + 9,  # = 25
    }
    expected = np.zeros(7)  # the centre's neighbourhood is all 7 cells: nothing to compare with, z = 0
    for i, lag in lags.items():
        expected[i] = (lag - 16) / math.sqrt(128 / 7)
    assert_allclose(expected, np.array([0, 5, -2, -9, -5, 2, 9]) / math.sqrt(128 / 7))

    raw = gi_star(y, sp.csr_matrix(ring_weights()), fdr=False)
    assert_allclose(raw.z, expected, rtol=1e-12, atol=1e-15)
    p = np.array([math.erfc(abs(z) / math.sqrt(2)) for z in expected])  # two-sided normal, without scipy
    assert_allclose(raw.p, p, rtol=1e-12)
    # |z| = 9/√(128/7) = 2.105 → p = 0.035: cell 6 hot and cell 3 cold at 95 % before correction
    assert_array_equal(raw.gi_bin, [0, 0, 0, -2, 0, 0, 2])
    assert raw.gi_bin.dtype == np.int8
    # BH over 7 tests: the two smallest p-values (equal) become p·7/2 = 0.124, no longer significant
    fdr = gi_star(y, sp.csr_matrix(ring_weights()))
    assert_allclose(fdr.p_fdr[[3, 6]], p[6] * 7 / 2, rtol=1e-12)
    assert_array_equal(fdr.gi_bin, 0)


def test_gi_bins_follow_esri_confidence_classes():
    z = np.array([3.0, 2.0, 1.7, 1.5, -1.7, -2.0, -3.0, 0.0])
    p = np.array([0.009, 0.04, 0.09, 0.11, 0.0999, 0.0499, 0.0099, 1.0])
    assert_array_equal(gi_bins(z, p), [3, 2, 1, 0, -1, -2, -3, 0])
    # the boundaries themselves are not significant at that level (p < cut, as z > 1.96 ⇔ p < 0.05)
    assert_array_equal(gi_bins(np.ones(3), np.array([0.01, 0.05, 0.10])), [2, 1, 0])


def test_strong_cluster_is_hot_and_bins_use_adjusted_p_only_when_asked():
    rng = np.random.default_rng(7)
    cells = np.unique(points_to_cells(51.45 + rng.normal(0, 0.01, 5000), -2.59 + rng.normal(0, 0.015, 5000), res=9))
    w = cells_to_weights(cells, k=1)
    y = rng.poisson(2, len(cells)).astype(float)
    centre = int(np.argmax(np.asarray(w.sum(axis=1)).ravel()))
    y[w[centre].indices] += 12
    res = gi_star(y, w)
    assert res.gi_bin[centre] == 3 and res.p_fdr[centre] < 0.01
    raw = gi_star(y, w, fdr=False)
    assert_array_equal(raw.z, res.z)
    assert_array_equal(raw.gi_bin, gi_bins(res.z, res.p))
    assert_array_equal(res.gi_bin, gi_bins(res.z, res.p_fdr))
    assert (raw.gi_bin != res.gi_bin).any()  # the correction matters on this many cells


def study_areas():
    wards = gpd.read_file(WARDS)
    for res in (7, 8, 9, 10):
        yield f"wards-r{res}", boundaries_to_cells(wards, res=res)
    rng = np.random.default_rng(3)
    lat, lng = 51.45 + rng.normal(0, 0.03, 20000), -2.59 + rng.normal(0, 0.045, 20000)
    yield "points-r9", np.unique(points_to_cells(lat, lng, res=9))


@pytest.mark.parametrize("k", [1, 2])
def test_matches_esda_g_local_star_on_h3_neighbourhoods(k):
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    rng = np.random.default_rng(11 + k)
    checked = 0
    for name, cells in study_areas():
        w = cells_to_weights(cells, k=k)
        y = rng.poisson(3, len(cells)).astype(float)
        ours = gi_star(y, w).z
        # esda with star=True keeps a diagonal it is given and fills a missing one with 1 when
        # transform="B"; both inputs must agree with ours (binary weights, self included).
        without_self = (w - sp.diags(w.diagonal())).tocsr()
        without_self.eliminate_zeros()
        for given_w in (w, without_self):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # islands and 0/0 where a neighbourhood is the whole area
                lw = libpysal.weights.WSP(sp.csr_matrix(given_w)).to_W()
                theirs = esda.G_Local(y, lw, transform="B", star=True, permutations=0).Zs
            whole = np.asarray(w.sum(axis=1)).ravel() == len(cells)
            assert np.isnan(theirs[whole]).all(), name  # esda divides 0 by 0 there; we say 0
            assert_array_equal(ours[whole], 0)
            assert_allclose(ours[~whole], theirs[~whole], rtol=0, atol=1e-9, err_msg=f"{name} k={k}")
            checked += int((~whole).sum())
    assert checked > 10000


def test_fdr_matches_hand_computation():
    p = np.array([0.042, 0.001, 0.060, 0.039, 0.008, 0.041])
    # sorted: 0.001 0.008 0.039 0.041 0.042 0.060; times m/rank = 6/1 .. 6/6:
    #         0.006 0.024 0.078 0.0615 0.0504 0.060
    # running minimum from the largest down: 0.006 0.024 0.0504 0.0504 0.0504 0.060
    expected = [0.0504, 0.006, 0.060, 0.0504, 0.024, 0.0504]
    assert_allclose(fdr_bh(p), expected, rtol=1e-12)
    assert_allclose(fdr_bh(p), stats.false_discovery_control(p, method="bh"), rtol=1e-12)
    assert fdr_bh(np.array([])).shape == (0,)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=60))
def test_fdr_matches_scipy(values):
    p = np.array(values)
    assert_allclose(fdr_bh(p), stats.false_discovery_control(p, method="bh"), rtol=1e-12, atol=1e-300)


def test_degenerate_inputs_have_defined_answers():
    w = sp.csr_matrix(ring_weights())
    flat = gi_star(np.full(7, 0.1), w)
    assert_array_equal(flat.z, 0)
    assert_array_equal(flat.p, 1)
    assert_array_equal(flat.gi_bin, 0)
    one = gi_star(np.array([5.0]), sp.csr_matrix(np.ones((1, 1))))
    assert one.z.tolist() == [0.0] and one.p.tolist() == [1.0]
    # a cell with no neighbours at all (not even itself) has nothing to test
    lonely = gi_star(np.array([1.0, 2.0, 9.0]), sp.csr_matrix(np.diag([1.0, 1.0, 0.0])))
    assert lonely.z[2] == 0 and lonely.z[0] < 0 < lonely.z[1] + 1


def test_weights_in_any_form_mean_the_same():
    y = np.array([4, 9, 1, 0, 2, 5, 7], dtype=float)
    dense = ring_weights()
    dense[1, 2] = 2.5  # non-binary, to check Σw² as well as Σw
    expected = gi_star(y, sp.csr_matrix(dense)).z
    assert_allclose(gi_star(y, dense).z, expected, rtol=1e-12)
    assert_allclose(gi_star(y, sp.csr_array(dense)).z, expected, rtol=1e-12)
    # a CSR matrix with the (1, 2) weight stored as two entries, 1.5 + 1.0, as some builders leave it
    rows, cols = np.nonzero(dense)
    data = dense[rows, cols]
    split = np.flatnonzero((rows == 1) & (cols == 2))[0]
    data[split] = 1.5
    rows, cols, data = np.append(rows, 1), np.append(cols, 2), np.append(data, 1.0)
    order = np.argsort(rows, kind="stable")
    indptr = np.searchsorted(rows[order], np.arange(8))
    messy = sp.csr_matrix((data[order], cols[order], indptr), shape=(7, 7))
    assert not messy.has_canonical_format
    assert_allclose(gi_star(y, messy).z, expected, rtol=1e-12)
    assert not messy.has_canonical_format  # the caller's matrix is left as it was


def test_results_are_read_only():
    res = gi_star(np.array([1.0, 2.0, 3.0]), sp.eye(3))
    with pytest.raises(ValueError, match="read-only"):
        res.z[0] = 1


@pytest.mark.parametrize(
    ("y", "w"),
    [
        (np.ones(3), sp.eye(4)),
        (np.ones((3, 1)), sp.eye(3)),
        (np.array([1.0, np.nan, 2.0]), sp.eye(3)),
        (np.ones(3), np.ones(3)),
    ],
)
def test_bad_inputs_raise_option_error(y, w):
    with pytest.raises(OptionError):
        gi_star(y, w)


def test_bad_p_values_raise_option_error():
    with pytest.raises(OptionError, match=exactly("p-values must lie between 0 and 1")) as caught:
        fdr_bh(np.array([0.5, 1.5]))
    assert caught.value.option == "p"
    assert not isinstance(caught.value, InputError)  # an argument, not a file or a row
    with pytest.raises(OptionError):
        fdr_bh(np.ones((2, 2)))


@st.composite
def problems(draw):
    """Integer values and a random symmetric binary neighbourhood with the diagonal set."""
    n = draw(st.integers(2, 25))
    y = np.array(draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)), dtype=float)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    upper = np.triu(rng.random((n, n)) < draw(st.floats(0.05, 0.6)), 1)
    w = (upper | upper.T | np.eye(n, dtype=bool)).astype(float)
    return y, sp.csr_matrix(w)


@settings(max_examples=150, deadline=None)
@given(problems(), st.integers(-1000, 1000), st.floats(0.01, 1000))
def test_z_ignores_location_and_scale(problem, shift, scale):
    y, w = problem
    base = gi_star(y, w)
    assert_allclose(gi_star(y + shift, w).z, base.z, rtol=1e-7, atol=1e-7)
    assert_allclose(gi_star(y * scale, w).z, base.z, rtol=1e-7, atol=1e-7)


@settings(max_examples=150, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_outputs_are_well_formed_and_follow_the_cells(problem, rnd):
    y, w = problem
    res = gi_star(y, w)
    assert ((res.p >= 0) & (res.p <= 1)).all()
    assert (res.p_fdr >= res.p - 1e-15).all() and (res.p_fdr <= 1).all()
    assert set(res.gi_bin.tolist()) <= set(range(-3, 4))
    assert (np.sign(res.gi_bin) * np.sign(res.z) >= 0).all()
    raw = gi_star(y, w, fdr=False)
    assert (np.abs(raw.gi_bin) >= np.abs(res.gi_bin)).all()  # correcting never adds significance
    # relabelling the cells relabels the answer
    order = list(range(len(y)))
    rnd.shuffle(order)
    perm = np.array(order)
    moved = gi_star(y[perm], w[perm][:, perm])
    assert_allclose(moved.z, res.z[perm], rtol=1e-9, atol=1e-12)


def _assert_same_result(a, b):
    for name in ("z", "p", "p_fdr", "gi_bin"):
        assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert getattr(a, name).dtype == getattr(b, name).dtype


def test_prepared_weights_give_exactly_what_the_matrix_gives():
    rng = np.random.default_rng(5)
    cells = np.unique(points_to_cells(51.45 + rng.normal(0, 0.01, 3000), -2.59 + rng.normal(0, 0.015, 3000), res=9))
    w = cells_to_weights(cells, k=1)
    y = rng.poisson(2, len(cells)).astype(float)
    prepared = Weights(w)
    for fdr in (True, False):
        _assert_same_result(gi_star(y, prepared, fdr=fdr), gi_star(y, w, fdr=fdr))
    z, p = gi_scores(y, prepared)
    assert_array_equal(z, gi_star(y, w).z)
    assert_array_equal(p, gi_star(y, w).p)
    z[0] = 99.0  # gi_scores hands over fresh, writable arrays
    # non-binary, dense and duplicate-entry weights, and a lonely cell with nothing to compare
    y7 = np.array([4, 9, 1, 0, 2, 5, 7], dtype=float)
    dense = ring_weights()
    dense[1, 2] = 2.5
    dense[5, 5] = 0.0
    for given_w in (dense, sp.csr_array(dense), sp.coo_matrix(dense)):
        _assert_same_result(gi_star(y7, Weights(given_w)), gi_star(y7, given_w))
    _assert_same_result(gi_star(y7, Weights(Weights(dense))), gi_star(y7, dense))
    empty = Weights(sp.csr_matrix((0, 0)))
    assert gi_star(np.zeros(0), empty).z.shape == (0,)


def test_prepared_weights_are_frozen_and_checked():
    w = sp.csr_matrix(ring_weights())
    prepared = Weights(w)
    assert prepared.n == 7 and "n=7" in repr(prepared)
    assert_array_equal(prepared.w_sum, ring_weights().sum(axis=1))
    assert_array_equal(prepared.w_sq_sum, (ring_weights() ** 2).sum(axis=1))
    before = gi_star(np.arange(7.0), prepared)
    w.data[:] = 5.0  # the caller's matrix changes; the prepared copy does not
    _assert_same_result(gi_star(np.arange(7.0), prepared), before)
    with pytest.raises(AttributeError):
        prepared.w_sum = np.zeros(7)
    for array in (prepared.w_sum, prepared.w_sq_sum, prepared.matrix.data, prepared.matrix.indices):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 3
    # as the pieces geo.stats.emerging uses
    assert as_weights(prepared, 7) is prepared.matrix
    assert weight_sums(prepared) == (prepared.w_sum, prepared.w_sq_sum)
    # pickled (as a cache would) and back: the same weights, prepared again
    import pickle

    again = pickle.loads(pickle.dumps(prepared))
    _assert_same_result(gi_star(np.arange(7.0), again), before)
    with pytest.raises(OptionError, match="do not match"):
        gi_star(np.ones(6), prepared)
    with pytest.raises(OptionError, match="square"):
        Weights(np.ones((3, 4)))
    with pytest.raises(OptionError, match="finite"):
        Weights(np.diag([1.0, np.inf]))


def test_space_time_gi_takes_prepared_weights():
    from geo.stats.emerging import space_time_gi

    rng = np.random.default_rng(2)
    counts = rng.poisson(2, (7, 6)).astype(float)
    w = sp.csr_matrix(ring_weights())
    _assert_same_result(space_time_gi(counts, Weights(w), time_steps=1), space_time_gi(counts, w, time_steps=1))


def test_fdr_is_exact_for_values_that_differ_only_in_their_last_bits():
    # the sort key drops the lowest mantissa bits; neighbours closer than that must still come out in order
    rng = np.random.default_rng(9)
    base = rng.random(5000)
    p = np.concatenate([base, np.nextafter(base, 0), np.nextafter(base, 1), base, [0.0, -0.0, 1.0, 0.0]])
    p = np.clip(p, 0, 1)[rng.permutation(p.size)]
    assert_allclose(fdr_bh(p), stats.false_discovery_control(p, method="bh"), rtol=1e-15, atol=0)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(np.minimum.accumulate((p[order] * p.size / np.arange(1, p.size + 1))[::-1])[::-1], 1)
    expected = np.empty(p.size)
    expected[order] = adjusted
    assert_array_equal(fdr_bh(p), expected)  # bit for bit, the written-out definition


def exactly(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern for this whole message and nothing else."""
    return f"^{re.escape(message)}$"


def ring_pieces():
    """The ring of :func:`ring_weights` as integer arrays: values, neighbourhood totals, Σw and Σw²."""
    y = np.array([4, 9, 1, 0, 2, 5, 7])
    w = ring_weights().astype(int)
    # lags: centre 28 (everything), then 21, 14, 7, 11, 18, 25 as worked in test_ring_matches_hand_arithmetic
    return y, w @ y, w.sum(axis=1), (w**2).sum(axis=1)


def test_gi_from_a_given_lag_matches_hand_arithmetic():
    y, lag, w_sum, w_sq_sum = ring_pieces()
    assert lag.tolist() == [28, 21, 14, 7, 11, 18, 25] and lag.dtype.kind == "i"
    # as in test_ring_matches_hand_arithmetic: outer cells W = S1 = 4, √((7·4 − 16)/6) = √2, s = √(64/7),
    # z = (lag − 16) / √(128/7); the centre's neighbourhood is all 7 cells (7·7 − 7² = 0): z = 0
    expected = np.array([0, 5, -2, -9, -5, 2, 9]) / math.sqrt(128 / 7)
    res = gi_star_from_lag(y, lag, w_sum, w_sq_sum)
    assert_allclose(res.z, expected, rtol=1e-12, atol=1e-15)
    assert lag.tolist() == [28, 21, 14, 7, 11, 18, 25]  # the caller's totals are left alone
    # FDR by default: p = 0.035 for cells 3 and 6 becomes 0.035·7/2 = 0.124, nothing significant;
    # without it they are cold and hot at 95 %
    assert_array_equal(res.gi_bin, 0)
    assert_array_equal(gi_star_from_lag(y, lag, w_sum, w_sq_sum, fdr=False).gi_bin, [0, 0, 0, -2, 0, 0, 2])


def test_two_cells_with_a_self_weight_of_two():
    # y = 1, 3: mean 2, s = √((1 + 1)/2) = 1; W = 2, S1 = 4, √((2·4 − 2²)/(2 − 1)) = 2;
    # z = (2y − 2·2) / (1 · 2) = −1, +1
    for z in (gi_star_from_lag([1, 3], [2, 6], [2, 2], [4, 4]).z, gi_star(np.array([1.0, 3.0]), 2 * np.eye(2)).z):
        assert_allclose(z, [-1.0, 1.0], rtol=1e-12)


def test_cells_with_nothing_to_compare_get_zero_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 or sqrt of a negative reaches the caller
        # a single value
        one = gi_star_from_lag([5.0], [5.0], [1.0], [1.0])
        assert one.z.tolist() == [0.0] and one.p.tolist() == [1.0]
        # cell 2 has no neighbours at all (W = S1 = 0); y = 1, 2, 9: mean 4, s² = (9 + 4 + 25)/3 = 38/3;
        # cells 0 and 1 are alone with themselves: √((3·1 − 1)/2) = 1, z = (y − 4) / √(38/3)
        lonely = gi_star_from_lag([1.0, 2.0, 9.0], [1.0, 2.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0])
        assert_allclose(lonely.z, [-3 / math.sqrt(38 / 3), -2 / math.sqrt(38 / 3), 0.0], rtol=1e-12)
        # every cell's neighbourhood is all 50 cells with weight w: n·S1 − W² = 50·50w² − (50w)² = 0 exactly,
        # but summing 0.1s leaves about +1e-14 and 0.3s about −1e-13: both are zero, not a z of noise
        y = np.arange(50.0)
        for weight in (0.1, 0.3):
            w = np.full(50, weight)
            res = gi_star_from_lag(y, np.full(50, (w * y).sum()), np.full(50, w.sum()), np.full(50, (w**2).sum()))
            assert_array_equal(res.z, 0)
            assert_array_equal(res.p, 1)


@pytest.mark.parametrize("which", range(4))
@pytest.mark.parametrize("missing", [np.nan, None, np.inf])
def test_gi_from_a_lag_refuses_values_that_are_not_numbers(which, missing):
    pieces = [list(map(float, a)) for a in ring_pieces()]
    pieces[which][2] = missing
    message = "values, lag and weight sums must all be finite (no NaN or infinity)"
    with pytest.raises(OptionError, match=exactly(message)):
        gi_star_from_lag(*pieces)


def test_gi_from_a_lag_refuses_pieces_of_another_shape():
    y, lag, w_sum, w_sq_sum = ring_pieces()
    message = "lag and weight sums must have the shape of the values (7,)"
    for pieces in ((y, lag[:6], w_sum, w_sq_sum), (y, lag, w_sum[:6], w_sq_sum), (y, lag, w_sum, w_sq_sum[:6])):
        with pytest.raises(OptionError, match=exactly(message)) as caught:
            gi_star_from_lag(*pieces)
        assert caught.value.option == "lag"


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.ones((7, 1)), "values must be one-dimensional (one per cell), not shape (7, 1)"),
        (np.array([4, 9, 1, np.nan, 2, 5, 7]), "values must all be finite (no NaN or infinity)"),
        ([4, 9, 1, None, 2, 5, 7], "values must all be finite (no NaN or infinity)"),
        # 1e308 is finite, but two of them in one neighbourhood are not
        (np.array([1e308, 1e308, 1, 0, 2, 5, 7]), "neighbourhood totals overflow: values and weights too large"),
    ],
)
def test_bad_values_are_an_option_error_on_y_saying_what_is_wrong(y, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow itself, which is what is being reported
        with pytest.raises(OptionError, match=exactly(message)) as caught:
            gi_star(y, ring_weights())
    assert caught.value.option == "y"


def test_bins_and_fdr_name_the_p_values_when_the_shape_is_wrong():
    with pytest.raises(OptionError, match=exactly("z (3,) and p (2,) must have the same shape")) as caught:
        gi_bins(np.ones(3), np.full(2, 0.5))
    assert caught.value.option == "p"
    with pytest.raises(OptionError, match=exactly("p-values must be one-dimensional, not shape (2, 2)")) as caught:
        fdr_bh(np.full((2, 2), 0.5))
    assert caught.value.option == "p"


def test_fdr_takes_integer_p_values():
    # p = 1, 0 as integers: sorted 0, 1; times m/rank: 0·2/1 = 0, 1·2/2 = 1; running minimum 0, 1
    assert_array_equal(fdr_bh(np.array([1, 0])), [1.0, 0.0])


def test_fdr_on_more_values_than_are_kept_ready():
    # 2**18 + 1 values: past the size whose counting arrays are cached; scipy is the reference
    p = np.random.default_rng(4).random((1 << 18) + 1)
    assert_allclose(fdr_bh(p), stats.false_discovery_control(p, method="bh"), rtol=1e-12)


# ---------------------------------------------------------------- Gi_Bin after FDR from the z-scores alone


def _bins_the_long_way(z: np.ndarray) -> np.ndarray:
    """Every p-value, every adjusted p-value, then Esri's bins: what fdr_gi_bins must equal."""
    p = 2 * ndtr(-np.abs(z))  # the two-sided normal p-value, as gi_star reports it
    return gi_bins(z, fdr_bh(p.ravel()).reshape(z.shape))


def test_fdr_bins_from_z_by_hand():
    # p = 0.001, 0.02, 0.03, 0.5 (m = 4): p·m/rank = 0.004, 0.04, 0.04, 0.5, all already a running minimum,
    # so the adjusted p are 0.004 (< 0.01: 3), 0.04 and 0.04 (< 0.05: 2), 0.5 (0); signed like z
    z = np.array([1, -1, 1, 1]) * -ndtri(np.array([0.001, 0.02, 0.03, 0.5]) / 2)
    assert fdr_gi_bins(z).tolist() == [3, -2, 2, 0]
    assert gi_bins(z, z * 0 + 0.03).tolist() == [2, -2, 2, 2]  # unadjusted 0.03 everywhere: 95 % for all, to compare
    # ten values all with p = 0.02: every p·m/rank = 0.2/rank ≥ 0.02 and the largest rank gives 0.02 itself (< 0.05)
    assert fdr_gi_bins(np.full(10, -ndtri(0.01))).tolist() == [2] * 10
    assert fdr_gi_bins(np.zeros((2, 3))).shape == (2, 3) and fdr_gi_bins(np.array([])).shape == (0,)


def test_an_adjusted_p_of_exactly_a_cut_is_not_below_it():
    lo = hi = -ndtri(0.025)  # a z whose p-value is 0.05 to the last bit, looked for within a few hundred ulps
    near = [lo]
    for _ in range(300):
        lo, hi = np.nextafter(lo, 0), np.nextafter(hi, 3)
        near += [lo, hi]
    exact = [z for z in near if 2 * ndtr(-z) == 0.05]
    assert exact
    # m = 1: 0.05·1/1 = 0.05, not below 0.05, below 0.10: 90 %; m = 2, both 0.05: 0.10 then 0.05, minimum 0.05 both
    assert fdr_gi_bins(np.array(exact[:1])).tolist() == [1]
    assert fdr_gi_bins(np.array([exact[0], -exact[0]])).tolist() == [1, -1]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(-6, 6, allow_nan=False) | st.sampled_from([0.0, 1.5, -1.5, 1.6449, 2.5758, -3.0]), max_size=80),
    st.integers(0, 5),
)
def test_fdr_bins_from_z_equal_the_bins_of_every_adjusted_p(values, repeats):
    z = np.array(values * (repeats + 1), dtype=float)  # repeats: many equal p-values, ranks shared out among them
    assert_array_equal(fdr_gi_bins(z), _bins_the_long_way(z))


def test_fdr_bins_from_z_on_a_large_cube_with_values_at_the_cuts():
    rng = np.random.default_rng(15)
    cuts = -ndtri(np.array([0.01, 0.05, 0.10]) / 2)
    z = np.concatenate(
        [
            rng.normal(0, 1.2, 200_000),
            rng.choice(cuts, 3000) * (1 + rng.normal(0, 1e-12, 3000)),  # within rounding of each cut
            np.nextafter(np.full(500, 1.5), 0),  # either side of the 1.5 below which nothing is looked at
            np.nextafter(np.full(500, 1.5), 2),
            rng.normal(0, 4, 5000).round(1),  # heavy ties
        ]
    )
    z = z[rng.permutation(z.size)].reshape(1000, -1)  # a cube's shape: the FDR runs over all bins at once
    assert_array_equal(fdr_gi_bins(z), _bins_the_long_way(z))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_z_from_outer_weight_sums_is_bit_for_bit_the_z_from_the_built_ones(rows, cols, seed):
    rng = np.random.default_rng(seed)
    y = rng.poisson(1.5, (rows, cols)).astype(float)
    lag = y * rng.integers(1, 4, (rows, cols))
    cell = (rng.integers(0, 4, rows).astype(float), rng.integers(0, 5, rows).astype(float))  # zeros: undefined cells
    month = (rng.integers(1, 3, cols).astype(float), rng.integers(1, 3, cols).astype(float))  # runs in any order
    built = gi_star_from_lag(y, lag, np.outer(cell[0], month[0]), np.outer(cell[1], month[1])).z
    assert_array_equal(gi_z_from_outer_lag(y, lag.copy(), (cell[0], month[0]), (cell[1], month[1])), built)


def test_z_from_outer_weight_sums_refuses_what_the_built_ones_refuse():
    y, lag = np.ones((2, 3)), np.ones((2, 3))
    ones2, ones3 = np.ones(2), np.ones(3)
    with pytest.raises(OptionError, match="one per row and column"):
        gi_z_from_outer_lag(y, lag, (ones3, ones3), (ones2, ones3))
    with pytest.raises(OptionError, match="must all be finite"):
        gi_z_from_outer_lag(y, lag, (ones2, np.array([1, np.inf, 1])), (ones2, ones3))
    with pytest.raises(OptionError, match="must all be finite"), np.errstate(over="ignore"):  # a product is not
        gi_z_from_outer_lag(y + np.eye(2, 3), lag, (ones2 * 1e200, ones3 * 1e200), (ones2, ones3))
    assert_array_equal(gi_z_from_outer_lag(y, lag, (ones2, ones3), (ones2, ones3)), np.zeros((2, 3)))  # all equal
