"""Emerging hot spots: space-time Gi* against its definition, Mann–Kendall against pymannkendall, the category rules."""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from geo.core.errors import InputError, OptionError
from geo.space.hexes import cells_to_weights, points_to_cells
from geo.stats.emerging import (
    CATEGORIES,
    DEFAULT_TREND,
    MIN_TREND_MONTHS,
    TREND_RULES,
    emerging_categories,
    emerging_hotspots,
    mann_kendall,
    space_time_gi,
    trend_window,
)
from geo.stats.hotspots import fdr_bh, gi_star


def ring_weights() -> sp.csr_matrix:
    """Cell 0 in the middle, cells 1..6 around it in order; binary, self included."""
    w = np.eye(7)
    w[0, :] = w[:, 0] = 1
    for i in range(1, 7):
        w[i, (i - 2) % 6 + 1] = w[i, i % 6 + 1] = 1
    return sp.csr_matrix(w)


def cube_weights(w: sp.csr_matrix, n_months: int, time_steps: int) -> np.ndarray:
    """The space-time weights written out from their definition, bin (i, t) at row i·n_months + t."""
    w = w.toarray()
    n = len(w)
    out = np.zeros((n * n_months, n * n_months))
    for i in range(n):
        for t in range(n_months):
            for j in range(n):
                for u in range(max(0, t - time_steps), t + 1):
                    out[i * n_months + t, j * n_months + u] = w[i, j]
    return out


def h3_cells(*, span: float = 0.015) -> np.ndarray:
    """Real res-9 cells over a patch of Bristol (± ``span`` degrees of latitude), as a contiguous study area."""
    lat, lng = np.meshgrid(
        np.linspace(51.45 - span, 51.45 + span, 80), np.linspace(-2.59 - 2 * span, -2.59 + 2 * span, 80)
    )
    return np.unique(points_to_cells(lat.ravel(), lng.ravel(), res=9))


# ---------------------------------------------------------------- space-time Gi*


def test_one_bin_by_hand():
    counts = np.array(
        [
            [5, 1, 4, 2],
            [0, 3, 6, 1],
            [2, 2, 8, 0],
            [1, 0, 1, 1],
            [4, 2, 0, 3],
            [0, 1, 2, 2],
            [3, 9, 5, 1],
        ],
        dtype=float,
    )
    n = counts.size  # 28 bins, one cube-wide mean and standard deviation
    values = counts.ravel().tolist()
    mean = sum(values) / n
    sd = math.sqrt(sum(v * v for v in values) / n - mean * mean)
    # bin (cell 1, month 2) with time_steps=1: cells {0, 1, 2, 6} (centre, self, ring neighbours) × months {1, 2}
    lag = sum(counts[j, t] for j in (0, 1, 2, 6) for t in (1, 2))
    assert lag == 1 + 4 + 3 + 6 + 2 + 8 + 9 + 5
    big_w = 8  # eight neighbouring bins, weight 1 each: W = S1 = 8
    z = (lag - mean * big_w) / (sd * math.sqrt((n * big_w - big_w**2) / (n - 1)))
    res = space_time_gi(counts, ring_weights(), time_steps=1)
    assert_allclose(res.z[1, 2], z, rtol=1e-12)
    # month 0 has no earlier month: (cell 1, month 0) sees 4 bins only
    lag0 = counts[[0, 1, 2, 6], 0].sum()
    z0 = (lag0 - mean * 4) / (sd * math.sqrt((n * 4 - 16) / (n - 1)))
    assert_allclose(res.z[1, 0], z0, rtol=1e-12)


@pytest.mark.parametrize("time_steps", [0, 1, 2, 5])
def test_whole_cube_matches_gi_star_on_the_written_out_weights(time_steps):
    rng = np.random.default_rng(time_steps)
    counts = rng.poisson(2, (7, 6)).astype(float)
    counts[3, 4] += 9
    res = space_time_gi(counts, ring_weights(), time_steps=time_steps)
    direct = gi_star(counts.ravel(), sp.csr_matrix(cube_weights(ring_weights(), 6, time_steps)))
    assert_allclose(res.z, direct.z.reshape(7, 6), rtol=1e-12, atol=1e-12)
    assert_allclose(res.p_fdr, direct.p_fdr.reshape(7, 6), rtol=1e-12)
    assert_array_equal(res.gi_bin, direct.gi_bin.reshape(7, 6))
    assert_allclose(res.p_fdr.ravel(), fdr_bh(res.p.ravel()), rtol=1e-15)  # FDR across the whole cube


def test_whole_cube_matches_esda_on_h3_cells():
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    cells = h3_cells(span=0.005)
    w = cells_to_weights(cells, k=1)
    rng = np.random.default_rng(5)
    counts = rng.poisson(3, (len(cells), 5)).astype(float)
    big = sp.csr_matrix(cube_weights(w, 5, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = esda.G_Local(
            counts.ravel(), libpysal.weights.WSP(big).to_W(), transform="B", star=True, permutations=0
        )
    assert len(cells) > 20
    assert_allclose(space_time_gi(counts, w, time_steps=1).z.ravel(), theirs.Zs, rtol=0, atol=1e-9)


def test_a_month_busy_everywhere_is_hot_everywhere():
    # bins are compared with the whole cube, not with their own month (per-month Gi* would see nothing here)
    counts = np.tile(np.array([2.0, 2, 2, 6, 2, 2]), (7, 1))
    counts[:, [0, 2]] += [[1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1], [1, 0]]
    res = space_time_gi(counts, ring_weights(), time_steps=0, fdr=False)
    assert (res.z[:, 3] > 0).all() and (res.z[:, [1, 4, 5]] < 0).all()
    assert_array_equal(gi_star(counts[:, 3], ring_weights()).z, 0)


@pytest.mark.parametrize(
    ("counts", "w", "time_steps"),
    [
        (np.ones(7), ring_weights(), 1),
        (np.ones((6, 3)), ring_weights(), 1),
        (np.ones((7, 3)), ring_weights(), -1),
        (np.ones((7, 3)), ring_weights(), 1.5),
        (np.full((7, 3), np.nan), ring_weights(), 1),
    ],
)
def test_space_time_bad_inputs_raise_input_error(counts, w, time_steps):
    with pytest.raises(OptionError):
        space_time_gi(counts, w, time_steps=time_steps)


# ---------------------------------------------------------------- Mann–Kendall


def test_mann_kendall_by_hand():
    res = mann_kendall(np.array([[1, 4, 2, 2, 5], [3, 3, 3, 3, 3]], dtype=float))
    # pairs later − earlier: 1→4 + 1→2 + 1→2 + 1→5 +, 4→2 − 4→2 − 4→5 +, 2→2 0 2→5 +, 2→5 +: s = 7 − 2 = 5
    # var = (5·4·15 − 2·1·9) / 18 for one pair of tied 2s = 282/18; z = (5 − 1)/√(282/18); tau = 5/10
    assert res.s.tolist() == [5, 0]
    assert_allclose(res.var_s, [282 / 18, 0])
    z = 4 / math.sqrt(282 / 18)
    assert_allclose(res.z, [z, 0], rtol=1e-12)
    assert_allclose(res.p, [math.erfc(z / math.sqrt(2)), 1.0], rtol=1e-12)
    assert_allclose(res.tau, [0.5, 0])


def test_mann_kendall_matches_pymannkendall():
    mk = pytest.importorskip("pymannkendall")
    rng = np.random.default_rng(2024)
    checked = 0
    for n in (2, 3, 4, 7, 10, 24, 36):
        rows = [
            rng.integers(0, 3, (40, n)),  # many ties
            rng.integers(0, 20, (40, n)) + np.arange(n) // 3,  # ties and a drift
            rng.normal(size=(40, n)),  # no ties
            rng.normal(size=(5, n)) + 0.3 * np.arange(n),  # clear trends
            np.full((3, n), 4.2),  # constant
            np.tile(np.arange(n, 0, -1), (2, 1)),  # strictly falling
        ]
        x = np.vstack(rows).astype(float)
        ours = mann_kendall(x)
        for i, row in enumerate(x):
            ref = mk.original_test(row)
            assert ours.s[i] == ref.s, (n, i)
            assert_allclose(ours.var_s[i], ref.var_s, rtol=1e-12)
            assert_allclose(ours.z[i], ref.z, rtol=1e-12, atol=1e-15)
            assert_allclose(ours.p[i], ref.p, rtol=1e-9, atol=1e-14)
            assert_allclose(ours.tau[i], ref.Tau, rtol=1e-12, atol=1e-15)
            checked += 1
    assert checked > 900
    constant = mann_kendall(np.full((1, 12), 7.0))
    assert constant.s[0] == 0 and constant.z[0] == 0 and constant.p[0] == 1


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(-4, 4), min_size=6, max_size=6), min_size=1, max_size=8))
def test_mann_kendall_properties(rows):
    x = np.array(rows, dtype=float)
    res = mann_kendall(x)
    assert ((res.tau >= -1) & (res.tau <= 1)).all() and ((res.p >= 0) & (res.p <= 1)).all()
    backwards = mann_kendall(x[:, ::-1])
    assert_array_equal(backwards.s, -res.s)
    assert_allclose(backwards.z, -res.z, atol=1e-15)
    monotone = mann_kendall(np.exp(x / 3) * 10 - 5)  # only the order of values matters
    assert_array_equal(monotone.s, res.s)
    assert_allclose(monotone.z, res.z, rtol=1e-12)


def test_mann_kendall_bad_inputs():
    for bad in (np.ones(5), np.ones((3, 1)), np.array([[1.0, np.nan, 2.0]])):
        with pytest.raises(OptionError):
            mann_kendall(bad)


# ---------------------------------------------------------------- categories

UP, DOWN, FLAT = (3.0, 0.001), (-3.0, 0.001), (0.5, 0.6)
# (gi_bin over 10 months, trend (z, p), expected hot category); hot = any bin ≥ 1 (90 %) by default
HOT_CASES = [
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 3], FLAT, "new hot spot"),
    ([0, 0, 0, 0, 0, 0, 0, 1, 2, 3], UP, "consecutive hot spot"),  # < 90 % hot, so not intensifying
    ([0, 2, 2, 2, 2, 2, 2, 3, 3, 3], UP, "intensifying hot spot"),  # 9 of 10 months is 90 %
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], FLAT, "persistent hot spot"),
    ([3, 3, 3, 0, 3, 2, 2, 2, 1, 1], DOWN, "diminishing hot spot"),
    ([0, 1, 0, 0, 2, 0, 0, 1, 0, 1], FLAT, "sporadic hot spot"),
    ([0, -2, 0, 0, 0, 0, 0, 0, 0, 2], FLAT, "oscillating hot spot"),  # cold before: not "new"
    ([-1, 0, 0, 0, 0, 0, 0, 0, 2, 2], FLAT, "oscillating hot spot"),  # cold before: not "consecutive"
    ([2, 2, 2, 2, 2, 2, 2, 2, 2, 0], DOWN, "historical hot spot"),
    ([2, 2, 2, 2, 2, 2, 2, 2, 2, 0], FLAT, "historical hot spot"),
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], UP, "no pattern detected"),
    ([3, 3, 3, 3, 3, 3, 3, 3, 0, 0], DOWN, "no pattern detected"),  # 80 % and not hot now
    ([0, 0, 0, 0, 0, 0, 0, 0, 2, 0], FLAT, "no pattern detected"),
    ([2, 2, 2, 2, 2, 2, 2, 2, 2, -1], FLAT, "oscillating cold spot"),  # what it is now wins over history
]


def run_cases(cases, *, sign=1, **kwargs):
    bins = sign * np.array([c[0] for c in cases])
    trend_z = sign * np.array([c[1][0] for c in cases])
    trend_p = np.array([c[1][1] for c in cases])
    return emerging_categories(bins, trend_z, trend_p, **kwargs).tolist()


def mirrored(name: str) -> str:
    return name.replace("hot", "<>").replace("cold", "hot").replace("<>", "cold")


def test_every_hot_category_from_hand_made_bins():
    assert run_cases(HOT_CASES) == [c[2] for c in HOT_CASES]


def test_every_cold_category_mirrors_the_hot_one():
    # cold bins, and an intensifying cold spot is one trending DOWN (getting colder)
    assert run_cases(HOT_CASES, sign=-1) == [mirrored(c[2]) for c in HOT_CASES]
    assert set(run_cases(HOT_CASES)) | set(run_cases(HOT_CASES, sign=-1)) == set(CATEGORIES)


def test_edges_of_the_rules():
    cases = [
        ([1, 1, 1, 1, 1, 1, 1, 0, 1], FLAT, "sporadic hot spot"),  # 8 of 9 months is under 90 %
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], (3.0, 0.05), "persistent hot spot"),  # p = alpha is not significant
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], (3.0, 0.0499), "intensifying hot spot"),
    ]
    for bins, trend, expected in cases:
        assert run_cases([(bins, trend, expected)]) == [expected]
    # at 95 % confidence the 90 % bins do not count: only the last month is hot
    strict = [([1, 1, 1, 1, 1, 1, 1, 1, 1, 2], FLAT, "")]
    assert run_cases(strict) == ["persistent hot spot"]
    assert run_cases(strict, confidence=95) == ["new hot spot"]
    assert run_cases(strict, confidence=99) == ["no pattern detected"]
    # a looser trend level turns a trend into a significant one
    assert run_cases([([1] * 10, (2.0, 0.08), "")], alpha=0.1) == ["intensifying hot spot"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(-3, 3), min_size=8, max_size=8), min_size=1, max_size=10),
    st.data(),
)
def test_categories_mirror_and_stay_in_the_vocabulary(rows, data):
    bins = np.array(rows)
    n = len(bins)
    trend_z = np.array(data.draw(st.lists(st.floats(-5, 5), min_size=n, max_size=n)))
    trend_p = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    got = emerging_categories(bins, trend_z, trend_p)
    assert set(got.tolist()) <= set(CATEGORIES)
    assert [mirrored(c) for c in got] == emerging_categories(-bins, -trend_z, trend_p).tolist()
    # a hot family name needs a hot final month or a history of ≥ 90 % hot months
    hot_now = bins[:, -1] >= 1
    for i, name in enumerate(got):
        if name.endswith("hot spot") and not name.startswith("historical"):
            assert hot_now[i]


# Where Esri's wording, read literally, fits two patterns: the documented order (module docstring) decides.
# (gi_bin, trend, winner, the other definition the bins also meet)
TIES = [
    # consecutive vs sporadic: off then on once is one final run, not "on and off"
    ([0, 0, 0, 0, 0, 0, 0, 0, 1, 1], FLAT, "consecutive hot spot", "sporadic"),
    # ... a second, earlier run (even in the very first month) makes it sporadic
    ([1, 0, 0, 0, 0, 0, 0, 0, 1, 1], FLAT, "sporadic hot spot", "consecutive"),
    ([0, 0, 1, 0, 0, 0, 0, 1, 1, 1], FLAT, "sporadic hot spot", "consecutive"),
    # ≥ 90 % vs consecutive: one final run with nothing hot before it, but 9 of 10 months is 90 %
    ([0, 1, 1, 1, 1, 1, 1, 1, 1, 1], FLAT, "persistent hot spot", "consecutive"),
    ([0, 1, 1, 1, 1, 1, 1, 1, 1, 1], UP, "intensifying hot spot", "consecutive"),
    ([0, 0, 1, 1, 1, 1, 1, 1, 1, 1], UP, "consecutive hot spot", "intensifying (8 of 10 is under 90 %)"),
    # ≥ 90 % vs new: a one-month series hot in its only month
    ([2], FLAT, "persistent hot spot", "new"),
    # persistent vs historical: Esri's persistent does not name the final month; ours needs it hot
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 0], FLAT, "historical hot spot", "persistent"),
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 0], UP, "historical hot spot", "intensifying needs the final month hot"),
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 0], DOWN, "historical hot spot", "diminishing needs the final month hot"),
    # historical hot / persistent vs oscillating cold: cold now decides
    ([3, 3, 3, 3, 3, 3, 3, 3, 3, -3], FLAT, "oscillating cold spot", "historical hot, persistent hot"),
    # historical cold vs oscillating hot: ≥ 90 % cold, hot now
    ([-1, -1, -1, -1, -1, -1, -1, -1, -1, 1], FLAT, "oscillating hot spot", "historical cold"),
    # oscillating vs new / consecutive / a sporadic-looking history: an earlier cold month decides
    ([0, 0, 0, 0, -1, 0, 0, 0, 0, 1], FLAT, "oscillating hot spot", "new"),
    ([0, 0, 0, 0, 0, 0, -1, 1, 1, 1], FLAT, "oscillating hot spot", "consecutive"),
    ([0, 1, 0, -1, 0, 1, 0, 0, 1, 1], FLAT, "oscillating hot spot", "sporadic, but for the cold month"),
    # intensifying vs persistent: a significant rise is not "no discernible trend"
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], UP, "intensifying hot spot", "persistent"),
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], DOWN, "diminishing hot spot", "persistent"),
    # new vs consecutive: one hot month is new (a run needs ≥ 2)
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 1], UP, "new hot spot", "consecutive"),
    # the trend only matters where ≥ 90 %: a rising sporadic cell is still sporadic
    ([1, 0, 1, 0, 1, 0, 1, 0, 1, 1], UP, "sporadic hot spot", "intensifying (60 % hot)"),
]


@pytest.mark.parametrize(("bins", "trend", "winner", "also"), TIES, ids=[f"{t[2]} over {t[3]}" for t in TIES])
def test_ties_between_definitions_follow_the_documented_order(bins, trend, winner, also):
    assert run_cases([(bins, trend, winner)]) == [winner]
    assert run_cases([(bins, trend, winner)], sign=-1) == [mirrored(winner)]  # and for the cold family


def test_ninety_percent_counts_whole_months():
    # 18 of 20 months is 90 % (10·18 ≥ 9·20); 17 of 20 is not
    assert run_cases([([0, 0] + [1] * 18, FLAT, "")]) == ["persistent hot spot"]
    assert run_cases([([0, 0, 0] + [1] * 17, FLAT, "")]) == ["consecutive hot spot"]
    assert run_cases([([0, 1, 0, 0] + [1] * 16, FLAT, "")]) == ["sporadic hot spot"]  # 17 of 20, two runs
    assert run_cases([([1] * 9 + [0] + [1] * 9 + [0], FLAT, "")]) == ["historical hot spot"]  # 18 of 20


def test_category_bad_inputs():
    with pytest.raises(OptionError):
        emerging_categories(np.zeros(5), np.zeros(5), np.ones(5))
    with pytest.raises(OptionError):
        emerging_categories(np.zeros((2, 5)), np.zeros(3), np.ones(3))
    with pytest.raises(OptionError):
        emerging_categories(np.zeros((2, 5)), np.zeros(2), np.ones(2), confidence=80)


@pytest.mark.parametrize(
    ("kwargs", "option", "accepted"),
    [({"confidence": 80}, "confidence", r"one of \[90, 95, 99\] %"), ({"alpha": 1.0}, "alpha", "between 0 and 1")],
)
def test_a_bad_option_is_an_option_error_naming_what_is_accepted(kwargs, option, accepted):
    with pytest.raises(OptionError, match=accepted) as caught:
        emerging_categories(np.zeros((2, 5)), np.zeros(2), np.ones(2), **kwargs)
    assert caught.value.option == option
    assert not isinstance(caught.value, InputError)


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def synthetic_town():
    """~170 real res-9 cells × 24 months of Poisson(5) counts with five planted blocks (a cell and its ring)."""
    cells = h3_cells()
    w = cells_to_weights(cells, k=1)
    degree = np.asarray(w.sum(axis=1)).ravel()
    far = cells_to_weights(cells, k=4)
    centres: list[int] = []
    for c in np.flatnonzero(degree == 7):  # interior cells, blocks kept ≥ 5 steps apart
        if all(far[c, d] == 0 for d in centres):
            centres.append(int(c))
    assert len(centres) >= 5
    names = ("persistent", "new", "ramp", "consecutive", "cold")
    blocks = {name: w[c].indices for name, c in zip(names, centres, strict=False)}
    centre = dict(zip(names, centres, strict=False))
    n_months = 24
    counts = np.random.default_rng(0).poisson(5, (len(cells), n_months)).astype(float)
    counts[blocks["persistent"]] += 8
    counts[blocks["new"], -1] += 25
    counts[blocks["ramp"]] += np.linspace(4, 16, n_months)
    counts[blocks["consecutive"], -3:] += 15
    counts[blocks["cold"]] = 0
    return cells, w, counts, blocks, centre


def test_planted_blocks_are_found(synthetic_town):
    cells, w, counts, blocks, centre = synthetic_town
    df = emerging_hotspots(counts, w)
    assert len(df) == len(cells)
    assert list(df.columns) == ["trend_tau", "trend_z", "trend_p", "n_hot", "n_cold", "final_bin", "category"]
    for name, expected, also in [
        ("persistent", "persistent hot spot", "intensifying hot spot"),
        ("new", "new hot spot", "new hot spot"),
        ("consecutive", "consecutive hot spot", "consecutive hot spot"),
        ("cold", "persistent cold spot", "intensifying cold spot"),
    ]:
        assert df.category.iloc[centre[name]] == expected, name
        # the ring's outer cells see only part of the block, and chance bins of their own; and the
        # first month's smaller neighbourhood (no earlier month) gives a smaller |z|, which can read as a trend
        assert df.category.iloc[blocks[name]].isin([expected, also]).sum() >= 5, name
    ramp = df.iloc[centre["ramp"]]
    assert ramp.category == "intensifying hot spot" and ramp.trend_z > 0 and ramp.trend_p < 0.05
    assert ramp.n_hot >= 22
    assert df.iloc[centre["new"]].n_hot == 1 and df.iloc[centre["new"]].final_bin == 3
    assert df.iloc[centre["cold"]].n_cold == 24 and df.iloc[centre["cold"]].final_bin < 0
    # more than three steps from every block centre (beyond any spill-over) the background is quiet
    near = np.asarray(cells_to_weights(cells, k=3)[list(centre.values())].sum(axis=0)).ravel() > 0
    quiet = df.category[~near]
    assert len(quiet) > 30
    assert (quiet == "no pattern detected").mean() > 0.9


def test_columns_agree_with_the_parts(synthetic_town):
    _, w, counts, _, _ = synthetic_town
    df = emerging_hotspots(counts, w, time_steps=2, alpha=0.01, confidence=95)
    gi = space_time_gi(counts, w, time_steps=2)
    trend = mann_kendall(gi.z[:, 2:])  # the first time_steps months (truncated neighbourhoods) are left out
    assert_allclose(df.trend_z, trend.z)
    assert_allclose(df.trend_tau, trend.tau)
    assert_array_equal(df.n_hot, (gi.gi_bin >= 2).sum(axis=1))
    assert_array_equal(df.n_cold, (gi.gi_bin <= -2).sum(axis=1))
    assert_array_equal(df.final_bin, gi.gi_bin[:, -1])
    assert_array_equal(df.category, emerging_categories(gi.gi_bin, trend.z, trend.p, alpha=0.01, confidence=95))


# ---------------------------------------------------------------- which months the trend reads


def test_trend_window_by_rule():
    assert trend_window(12, trend="esri", time_steps=1) == range(0, 12)
    assert trend_window(12, trend="complete", time_steps=1) == range(1, 12)
    assert trend_window(12, trend="complete", time_steps=3) == range(3, 12)
    assert trend_window(12, trend="complete", time_steps=0) == trend_window(12, trend="esri", time_steps=0)
    assert trend_window(2, trend="complete", time_steps=5) == range(2, 2)  # nothing left, never negative
    assert DEFAULT_TREND == "complete" and set(TREND_RULES) == {"esri", "complete"}
    assert trend_window(12) == range(1, 12)  # the default rule and time step


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"trend": "Esri"}, "trend"),
        ({"trend": "all"}, "trend"),
        ({"time_steps": -1}, "time_steps"),
        ({"time_steps": 1.5}, "time_steps"),
        ({"trend": "esri", "time_steps": -1}, "time_steps"),
    ],
)
def test_trend_window_refuses_unknown_rules(kwargs, option):
    with pytest.raises(OptionError) as caught:
        trend_window(12, **kwargs)
    assert caught.value.option == option


def chain(n: int = 15) -> sp.csr_matrix:
    """Cells 0..n-1 in a row, each a neighbour of the next; binary, self included."""
    w = np.eye(n)
    for i in range(n - 1):
        w[i, i + 1] = w[i + 1, i] = 1
    return sp.csr_matrix(w)


def steady_block(n_months: int = 12) -> np.ndarray:
    """A row of 15 cells: 1 incident a month, cells 6-8 10 a month, cell 7 11 in the last month."""
    counts = np.full((15, n_months), 1.0)
    counts[6:9] = 10
    counts[7, -1] = 11
    return counts


def test_the_rule_decides_between_intensifying_and_persistent():
    counts = steady_block()
    z = space_time_gi(counts, chain(), time_steps=1).z[7]
    # cell 7's z: month 0 sees 3 bins (no earlier month), months 1-10 the same 6 bins of the same counts,
    # month 11 one more incident: z0 < z1 = … = z10 < z11
    assert z[0] < z[1] and np.all(z[1:11] == z[1]) and z[11] > z[1]
    # complete (months 1..11): s = 10 rises (z1..z10 each below z11); ties 10: var = (11·10·27 − 10·9·25)/18 = 40
    #   Z = (10 − 1)/√40 = 1.4230, p = 0.155: no trend → persistent
    # esri (months 0..11): s = 11 (z0 below all) + 10 = 21; var = (12·11·29 − 2250)/18 = 87.667
    #   Z = 20/√87.667 = 2.1361, p = 0.0327: a significant rise → intensifying
    complete = emerging_hotspots(counts, chain(), trend="complete").iloc[7]
    esri = emerging_hotspots(counts, chain(), trend="esri").iloc[7]
    assert complete.n_hot == esri.n_hot == 12  # the rule never changes which months are hot
    assert_allclose([complete.trend_z, esri.trend_z], [9 / math.sqrt(40), 20 / math.sqrt(1578 / 18)], rtol=1e-12)
    assert_allclose([complete.trend_tau, esri.trend_tau], [10 / 55, 21 / 66], rtol=1e-12)
    assert (complete.category, esri.category) == ("persistent hot spot", "intensifying hot spot")


def test_each_rule_matches_pymannkendall_on_its_months(synthetic_town):
    mk = pytest.importorskip("pymannkendall")
    _, w, counts, _, centre = synthetic_town
    for time_steps in (1, 2):
        z = space_time_gi(counts, w, time_steps=time_steps).z
        for trend, first in (("esri", 0), ("complete", time_steps)):
            df = emerging_hotspots(counts, w, time_steps=time_steps, trend=trend)
            for cell in [*centre.values(), 0, 1]:
                ref = mk.original_test(z[cell, first:])
                assert_allclose(df.trend_z[cell], ref.z, rtol=1e-12, atol=1e-15)
                assert_allclose(df.trend_p[cell], ref.p, rtol=1e-9, atol=1e-14)
                assert_allclose(df.trend_tau[cell], ref.Tau, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("n_months", "trend", "time_steps", "steps"),
    [
        (10, "esri", 1, 10),
        (10, "complete", 1, 9),
        (11, "complete", 1, 10),
        (11, "complete", 2, 9),
        (12, "complete", 2, 10),
        (10, "complete", 0, 10),
        (9, "esri", 0, 9),
    ],
)
def test_at_least_ten_months_in_the_trend_series(n_months, trend, time_steps, steps):
    counts = steady_block(n_months)
    assert len(trend_window(n_months, trend=trend, time_steps=time_steps)) == steps
    if steps >= MIN_TREND_MONTHS:
        assert len(emerging_hotspots(counts, chain(), trend=trend, time_steps=time_steps)) == 15
    else:
        with pytest.raises(OptionError, match=f"at least 10 months in the trend .* give {steps}"):
            emerging_hotspots(counts, chain(), trend=trend, time_steps=time_steps)
    assert MIN_TREND_MONTHS == 10  # Esri's documented minimum, not a tuning knob


# ---------------------------------------------------------------- refusals say what and which option


@pytest.mark.parametrize(
    ("call", "option", "words"),
    [
        (
            lambda: mann_kendall(np.ones(5)),
            "series",
            r"series must be two-dimensional \(rows × months\), not shape \(5,\)",
        ),
        (lambda: mann_kendall(np.ones((3, 1))), "series", "a trend needs at least 2 months, not 1"),
        (
            lambda: mann_kendall(np.array([[1.0, np.nan]])),
            "series",
            r"^series must all be finite \(no NaN or infinity\)$",
        ),
        (
            lambda: space_time_gi(np.ones(7), ring_weights()),
            "counts",
            r"counts must be two-dimensional \(cells × months\)",
        ),
        (
            lambda: space_time_gi(np.full((7, 3), np.inf), ring_weights()),
            "counts",
            r"^counts must all be finite \(no NaN or infinity\)$",
        ),
        (lambda: trend_window(12, trend="Esri"), "trend", "trend must be one of 'complete', 'esri', not 'Esri'"),
        (
            lambda: trend_window(12, time_steps=-1),
            "time_steps",
            "time_steps must be a whole number of months, 0 or more",
        ),
        (lambda: trend_window(12, time_steps=True), "time_steps", "not True"),
        (lambda: emerging_categories(np.zeros(5), np.zeros(5), np.ones(5)), "gi_bin", "gi_bin must be two-dimensional"),
        (lambda: emerging_categories(np.zeros((2, 0)), np.zeros(2), np.ones(2)), "gi_bin", r"not shape \(2, 0\)"),
        (
            lambda: emerging_categories(np.zeros((2, 5)), np.zeros(2), np.ones(3)),  # only trend_p is the wrong length
            "trend_z/trend_p",
            r"trend_z and trend_p need one value per cell \(2\)",
        ),
        (lambda: emerging_categories(np.zeros((2, 5)), np.zeros(2), np.ones(2), alpha=0), "alpha", "between 0 and 1"),
        (
            lambda: emerging_hotspots(steady_block(), chain(), confidence=80),
            "confidence",
            r"confidence must be one of \[90, 95, 99\] %, not 80",
        ),
        (lambda: emerging_hotspots(steady_block(10), chain()), "counts", "at least 10 months in the trend"),
    ],
)
def test_every_refusal_names_its_option_and_says_what_is_accepted(call, option, words):
    with pytest.raises(OptionError, match=words) as caught:
        call()
    assert caught.value.option == option


def test_results_are_read_only_and_s_is_a_whole_number():
    res = mann_kendall(np.array([[1.0, 4, 2, 2, 5]]))
    assert res.s.dtype == np.int64  # a count of pairs
    for name in ("s", "var_s", "tau", "z", "p"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(res, name)[0] = 0


def test_space_time_gi_defaults_to_one_earlier_month_and_honours_fdr_false():
    rng = np.random.default_rng(7)
    counts = rng.poisson(2, (7, 6)).astype(float)
    counts[3, 4] += 9
    assert_array_equal(space_time_gi(counts, ring_weights()).z, space_time_gi(counts, ring_weights(), time_steps=1).z)
    raw = space_time_gi(counts, ring_weights(), time_steps=1, fdr=False)
    direct = gi_star(counts.ravel(), sp.csr_matrix(cube_weights(ring_weights(), 6, 1)), fdr=False)
    assert_array_equal(raw.gi_bin, direct.gi_bin.reshape(7, 6))  # Gi_Bin from the unadjusted p-values
    assert (raw.gi_bin != space_time_gi(counts, ring_weights(), time_steps=1).gi_bin).any()


def test_trend_significance_edges_in_both_directions():
    # p = alpha is not significant downwards either; a loose alpha makes a small |z| count (z = ±0.8, p = 0.4237)
    assert run_cases([([1] * 10, (-3.0, 0.05), "")]) == ["persistent hot spot"]
    assert run_cases([([1] * 10, (-3.0, 0.0499), "")]) == ["diminishing hot spot"]
    p = math.erfc(0.8 / math.sqrt(2))
    loose = [([1] * 10, (0.8, p), ""), ([1] * 10, (-0.8, p), "")]
    assert run_cases(loose, alpha=0.5) == ["intensifying hot spot", "diminishing hot spot"]
    assert run_cases(loose, alpha=0.5, sign=-1) == ["intensifying cold spot", "diminishing cold spot"]
    # a cold month just before a hot final month is still "a cold month earlier"
    assert run_cases([([0, 0, 0, 0, 0, 0, 0, 0, -1, 1], FLAT, "")]) == ["oscillating hot spot"]


# ---------------------------------------------------------------- the fast paths give exactly the long ones


def _mk_by_pairs(row: np.ndarray) -> tuple[int, int]:
    """s and the tie sum Σ t(t − 1)(2t + 5), pair by pair and group by group."""
    n = len(row)
    s = sum(int(np.sign(row[b] - row[a])) for a in range(n) for b in range(a + 1, n))
    groups = Counter(row.tolist()).values()
    return s, sum(t * (t - 1) * (2 * t + 5) for t in groups)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 40), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_mann_kendall_s_and_ties_equal_pair_by_pair_counts(n, spread, seed):
    x = np.random.default_rng(seed).integers(0, spread + 1, (12, n)).astype(float)  # small spread: many ties
    res = mann_kendall(x)
    for i, row in enumerate(x):
        s, ties = _mk_by_pairs(row)
        assert res.s[i] == s
        assert res.var_s[i] == (n * (n - 1) * (2 * n + 5) - ties) / 18.0  # the same arithmetic: bit for bit


def test_mann_kendall_past_256_months():
    # more than a byte of earlier months per month: the counts must not wrap
    x = np.vstack([np.arange(300.0), -np.arange(300.0), np.r_[np.zeros(150), np.ones(150)]])
    # rising: every one of the 300·299/2 = 44,850 pairs rises; falling: all fall; a step: 150·150 rise, the rest tie
    assert mann_kendall(x).s.tolist() == [44850, -44850, 22500]
    assert mann_kendall(x).s[2] == _mk_by_pairs(x[2])[0]


@pytest.mark.parametrize(("time_steps", "trend"), [(1, "complete"), (2, "esri"), (0, "complete")])
def test_emerging_columns_are_bit_for_bit_those_of_the_full_space_time_gi(synthetic_town, time_steps, trend):
    """The emerging path skips every p-value and its FDR adjustment; what it reports must not move by a bit."""
    _, w, counts, _, _ = synthetic_town
    df = emerging_hotspots(counts, w, time_steps=time_steps, trend=trend)
    gi = space_time_gi(counts, w, time_steps=time_steps, fdr=True)
    trend_mk = mann_kendall(gi.z[:, trend_window(counts.shape[1], trend=trend, time_steps=time_steps).start :])
    assert_array_equal(df.trend_z, trend_mk.z)
    assert_array_equal(df.trend_p, trend_mk.p)
    assert_array_equal(df.trend_tau, trend_mk.tau)
    assert_array_equal(df.n_hot, (gi.gi_bin >= 1).sum(axis=1))
    assert_array_equal(df.n_cold, (gi.gi_bin <= -1).sum(axis=1))
    assert_array_equal(df.final_bin, gi.gi_bin[:, -1])
    assert_array_equal(df.category, emerging_categories(gi.gi_bin, trend_mk.z, trend_mk.p))
