"""Concentration measures and the hotspot backtest, on grids small enough to check by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from geo.core.errors import InputError, OptionError
from geo.stats.concentration import BACKTEST_COLUMNS, backtest, gini, share_in_top, summary

cell_counts = st.lists(st.integers(0, 50), max_size=60)
fraction = st.floats(0.001, 1.0)

# --- share in top


def test_share_in_top_by_hand():
    counts = np.array([10, 0, 5, 3, 2])  # 20 incidents in 5 cells
    shares = share_in_top(counts, fractions=(0.01, 0.2, 0.5, 1.0))
    # 1 % of 5 cells rounds up to 1 cell; 20 % is 1 cell; 50 % is ceil(2.5) = 3 cells: 10 + 5 + 3
    assert shares == {0.01: 10 / 20, 0.2: 10 / 20, 0.5: 18 / 20, 1.0: 1.0}


def test_share_in_top_default_fractions():
    assert list(share_in_top(np.array([1, 2, 3]))) == [0.01, 0.05, 0.10]


def test_share_in_top_is_not_fooled_by_floating_point():
    # 0.07 * 100 is 7.000000000000001 in binary; the top 7 % of 100 cells is 7 cells, not 8
    counts = np.arange(100)  # 4950 incidents, busiest cells 99, 98, ..., 93 (then 92)
    assert_allclose(share_in_top(counts, fractions=(0.07,))[0.07], sum(range(93, 100)) / 4950)


def test_share_in_top_with_no_incidents_or_cells():
    assert share_in_top(np.zeros(4), fractions=(0.5,)) == {0.5: 0.0}
    assert share_in_top(np.array([], dtype=int), fractions=(0.5,)) == {0.5: 0.0}


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, float("nan"), "0.1", True])
def test_share_in_top_rejects_bad_fractions(bad):
    with pytest.raises(OptionError, match="fractions"):
        share_in_top(np.array([1, 2]), fractions=(bad,))


@given(cell_counts, st.lists(fraction, min_size=1, max_size=5))
def test_shares_are_in_range_and_grow_with_the_fraction(counts, fractions):
    shares = share_in_top(np.array(counts, dtype=np.int64), fractions=sorted(fractions))
    values = [shares[f] for f in sorted(fractions)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values)
    # reference: sum of the k largest counts
    for f, v in zip(sorted(fractions), values, strict=True):
        k = max(1, math.ceil(round(f * len(counts), 9)))
        expected = sum(sorted(counts, reverse=True)[:k]) / sum(counts) if sum(counts) else 0.0
        assert_allclose(v, expected)


# --- gini


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([0, 0, 0, 10], 0.75),  # 2 * 4 * 10 / (4 * 10) - 5 / 4
        ([1, 1, 1, 1], 0.0),
        ([1, 2, 3, 4], 0.25),  # 2 * (1 + 4 + 9 + 16) / (4 * 10) - 5 / 4
        ([4, 1, 3, 2], 0.25),  # order of cells does not matter
        ([7], 0.0),
        ([0, 0], 0.0),  # no incidents: nothing is concentrated
        ([], 0.0),
    ],
)
def test_gini_by_hand(counts, expected):
    assert gini(np.array(counts, dtype=float)) == pytest.approx(expected, abs=1e-12)


@given(cell_counts)
def test_gini_matches_mean_absolute_difference_and_is_below_one(counts):
    g = gini(np.array(counts))
    assert 0.0 <= g < 1.0
    n, total = len(counts), sum(counts)
    if total:
        # the other textbook definition: sum over all ordered pairs |x_i - x_j| / (2 n^2 mean)
        mad = sum(abs(a - b) for a in counts for b in counts)
        assert_allclose(g, mad / (2 * n * total), atol=1e-12)
        assert_allclose(gini(3 * np.array(counts)), g, atol=1e-12)  # scale-free


@pytest.mark.parametrize("bad", [[1, -1], [1, np.nan], [1, np.inf], [[1, 2]], ["a"], [1 + 1j]])
def test_bad_counts(bad):
    with pytest.raises(OptionError, match="counts"):
        gini(np.array(bad))
    with pytest.raises(OptionError, match="counts"):
        share_in_top(np.array(bad))


# --- backtest

# 4 cells x 5 months; cell 3 never has an incident
GRID = np.array(
    [
        [5, 3, 0, 2, 1],
        [0, 1, 4, 0, 3],
        [1, 1, 1, 1, 2],
        [0, 0, 0, 0, 0],
    ]
)


def test_backtest_by_hand():
    frame = backtest(GRID, lookback=2, area_fraction=0.5)  # 2 of 4 cells
    # month 2: past (months 0-1) = 8, 1, 2, 0 -> cells 0, 2; month 2 = 0, 4, 1, 0 -> hits 1 of 5
    # month 3: past (months 1-2) = 3, 5, 2, 0 -> cells 1, 0; month 3 = 2, 0, 1, 0 -> hits 2 of 3
    # month 4: past (months 2-3) = 2, 4, 2, 0 -> cell 1, then cells 0 and 2 tie for the one place left: both in,
    #          3 of 4 cells flagged; month 4 = 1, 3, 2, 0 -> hits 3 + 1 + 2 = 6 of 6; PAI = 1 / 0.75
    expected = pd.DataFrame(
        {
            "month_index": [2, 3, 4],
            "n_allowed": [2, 2, 2],
            "n_chosen": [2, 2, 3],
            "hits": [1, 2, 6],
            "total": [5, 3, 6],
            "hit_rate": [0.2, 2 / 3, 1.0],
            "area_share": [0.5, 0.5, 0.75],
            "pai": [0.4, 4 / 3, 4 / 3],
        }
    )
    pd.testing.assert_frame_equal(frame, expected)
    assert tuple(frame.columns) == BACKTEST_COLUMNS


def test_backtest_never_chooses_cells_without_past_incidents():
    frame = backtest(GRID, lookback=2, area_fraction=1.0)  # all 4 cells allowed, cell 3 has no history
    assert frame["n_chosen"].tolist() == [3, 3, 3]
    assert frame["hit_rate"].tolist() == [1.0, 1.0, 1.0]
    assert_allclose(frame["pai"], [4 / 3] * 3)


def test_backtest_month_without_incidents_and_nothing_chosen_are_zero_not_nan():
    quiet = backtest(np.array([[1, 0]]), lookback=1, area_fraction=1.0).iloc[0]
    assert (quiet["n_chosen"], quiet["hits"], quiet["total"], quiet["hit_rate"], quiet["pai"]) == (1, 0, 0, 0.0, 0.0)
    blind = backtest(np.array([[0, 5]]), lookback=1, area_fraction=1.0).iloc[0]
    assert (blind["n_chosen"], blind["hits"], blind["total"]) == (0, 0, 5)
    assert (blind["hit_rate"], blind["area_share"], blind["pai"]) == (0.0, 0.0, 0.0)


def test_backtest_too_few_months_is_empty_with_columns():
    frame = backtest(GRID[:, :2], lookback=2)
    assert frame.empty
    assert tuple(frame.columns) == BACKTEST_COLUMNS
    assert summary(frame) == {"months_scored": 0, "mean_hit_rate": 0.0, "weighted_hit_rate": 0.0, "mean_pai": 0.0}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lookback": 0}, "lookback"),
        ({"lookback": 1.5}, "lookback"),
        ({"area_fraction": 0}, "area_fraction"),
        ({"area_fraction": 1.01}, "area_fraction"),
    ],
)
def test_backtest_rejects_bad_options(kwargs, match):
    with pytest.raises(OptionError, match=match) as caught:
        backtest(GRID, **kwargs)
    assert caught.value.option == match
    assert not isinstance(caught.value, InputError)  # the caller's option, not a file or a row


def test_backtest_rejects_one_dimensional_counts():
    with pytest.raises(OptionError, match="n_months"):
        backtest(np.array([1, 2, 3]))


def test_summary_by_hand():
    s = summary(backtest(GRID, lookback=2, area_fraction=0.5))
    assert s["months_scored"] == 3
    assert_allclose(s["mean_hit_rate"], (0.2 + 2 / 3 + 1.0) / 3)
    assert_allclose(s["weighted_hit_rate"], (1 + 2 + 6) / (5 + 3 + 6))
    assert_allclose(s["mean_pai"], (0.4 + 4 / 3 + 4 / 3) / 3)


def test_summary_rejects_other_frames():
    with pytest.raises(OptionError, match="hit_rate"):
        summary(pd.DataFrame({"hits": [1], "total": [2]}))


@given(
    st.integers(1, 40),
    st.integers(2, 12),
    st.integers(1, 4),
    fraction,
    st.data(),
)
def test_a_persistent_hotspot_is_always_hit(n_cells, n_months, lookback, area_fraction, data):
    hot = data.draw(st.integers(0, n_cells - 1))
    counts = np.zeros((n_cells, n_months), dtype=np.int64)
    counts[hot] = data.draw(st.lists(st.integers(1, 20), min_size=n_months, max_size=n_months))
    frame = backtest(counts, lookback=lookback, area_fraction=area_fraction)
    assert frame["month_index"].tolist() == list(range(lookback, n_months))
    assert (frame["n_chosen"] == 1).all()  # the only cell with any history
    assert (frame["hit_rate"] == 1.0).all()
    assert_allclose(frame["pai"], n_cells)  # n_cells / n_chosen


@given(
    st.lists(st.lists(st.integers(0, 9), min_size=6, max_size=6), min_size=1, max_size=8),
    st.integers(1, 4),
    fraction,
)
def test_backtest_invariants_and_no_peeking(rows, lookback, area_fraction):
    counts = np.array(rows)
    frame = backtest(counts, lookback=lookback, area_fraction=area_fraction)
    k = max(1, math.ceil(round(area_fraction * len(counts), 9)))
    assert (frame["n_allowed"] == k).all()
    for month, n_chosen in zip(frame["month_index"], frame["n_chosen"], strict=True):
        past = counts[:, month - lookback : month].sum(axis=1)
        # brute force: the k largest past totals, every cell tied with the k-th, never a cell without history
        kth = sorted(past, reverse=True)[k - 1]
        assert n_chosen == sum(1 for p in past if p >= kth and p > 0)
        assert n_chosen >= min(k, int((past > 0).sum()))
    assert (frame["hits"] <= frame["total"]).all()
    assert frame["hit_rate"].between(0, 1).all()
    assert not frame.isna().any().any()
    assert_allclose(frame["area_share"], frame["n_chosen"] / len(counts))
    assert_allclose(frame["pai"] * frame["area_share"], frame["hit_rate"])
    # each month's row depends only on that month and the lookback before it
    later = counts.copy()
    later[:, -1] = 99
    assert backtest(later, lookback=lookback, area_fraction=area_fraction).iloc[:-1].equals(frame.iloc[:-1])


# --- ties at the cut

# 10 cells, lookback 1, top 30 % = 3 cells. Month 0 chooses: cell 0 (5) is in; cells 1, 2, 3 tie at 3 for
# the last 2 places. Month 1 is scored.
TIED = np.array(
    [
        [5, 2],
        [3, 1],
        [3, 0],
        [3, 4],
        [1, 2],
        [0, 0],
        [0, 1],
        [0, 0],
        [0, 0],
        [0, 0],
    ]
)


def test_every_cell_tied_at_the_cut_is_flagged_and_the_pai_uses_the_area_flagged():
    row = backtest(TIED, lookback=1, area_fraction=0.3).iloc[0]
    # flagged: cells 0, 1, 2, 3 (4 of 10 = 40 % of the area, not the 30 % asked for)
    # hits in month 1: 2 + 1 + 0 + 4 = 7 of 10; PAI = (7/10) / (4/10) = 1.75
    assert (row["n_allowed"], row["n_chosen"], row["hits"], row["total"]) == (3, 4, 7, 10)
    assert_allclose([row["hit_rate"], row["area_share"], row["pai"]], [0.7, 0.4, 1.75])
    # (taking 2 of the 3 tied cells by their order would give PAI 1.0, 2.0 or 2.33 for cells {1,2}, {2,3}, {1,3})


def test_no_tie_at_the_cut_flags_exactly_the_cut():
    # cell 3 breaks the tie (4 > 3): cells 0 and 3, then cells 1 and 2 tie for the last place: both in
    counts = TIED.copy()
    counts[3, 0] = 4
    row = backtest(counts, lookback=1, area_fraction=0.3).iloc[0]
    assert (row["n_chosen"], row["hits"]) == (4, 7)
    counts[1, 0] = 2  # now 5, 4, 3 are distinct: exactly 3 cells, 0, 3 and 2; hits 2 + 4 + 0
    row = backtest(counts, lookback=1, area_fraction=0.3).iloc[0]
    assert (row["n_chosen"], row["hits"]) == (3, 6)
    assert_allclose(row["pai"], (6 / 10) / (3 / 10))


def test_ties_below_the_cut_and_zeros_at_the_cut_are_not_flagged():
    # top 10 % = 1 cell: cell 0 (5) alone; the three tied 3s are below the cut
    row = backtest(TIED, lookback=1, area_fraction=0.1).iloc[0]
    assert (row["n_allowed"], row["n_chosen"], row["hits"]) == (1, 1, 2)
    # top 80 % = 8 cells: the 8th largest past total is 0, so only the 5 cells with history are flagged
    row = backtest(TIED, lookback=1, area_fraction=0.8).iloc[0]
    assert (row["n_allowed"], row["n_chosen"], row["hits"]) == (8, 5, 9)
    assert_allclose(row["pai"], (9 / 10) / (5 / 10))


@given(st.permutations(range(len(TIED))), st.sampled_from([0.1, 0.2, 0.3, 0.5, 0.8, 1.0]))
def test_the_order_of_the_cells_never_changes_the_backtest(order, area_fraction):
    frame = backtest(TIED, lookback=1, area_fraction=area_fraction)
    pd.testing.assert_frame_equal(backtest(TIED[list(order)], lookback=1, area_fraction=area_fraction), frame)


@given(
    st.lists(st.lists(st.integers(0, 3), min_size=5, max_size=5), min_size=2, max_size=12),
    st.integers(1, 3),
    fraction,
    st.randoms(use_true_random=False),
)
def test_the_order_of_the_cells_never_changes_the_backtest_with_many_ties(rows, lookback, area_fraction, rnd):
    counts = np.array(rows)  # counts 0-3: ties everywhere
    order = list(range(len(counts)))
    rnd.shuffle(order)
    frame = backtest(counts, lookback=lookback, area_fraction=area_fraction)
    pd.testing.assert_frame_equal(backtest(counts[order], lookback=lookback, area_fraction=area_fraction), frame)


def test_no_cells_flags_nothing_and_the_default_lookback_is_three_months():
    empty = backtest(np.zeros((0, 5), dtype=np.int64), lookback=2)
    assert empty["n_chosen"].tolist() == [0, 0, 0] and empty["area_share"].tolist() == [0.0, 0.0, 0.0]
    assert empty["pai"].tolist() == [0.0, 0.0, 0.0]
    assert backtest(GRID)["month_index"].tolist() == [3, 4]  # months 0-2 choose for month 3


def test_a_single_incident_is_a_whole_share():
    # totals of exactly 1: every share is 1 (not "no incidents"), one incident in two cells has Gini (n-1)/n
    assert share_in_top(np.array([1, 0, 0]), fractions=(0.1,)) == {0.1: 1.0}
    assert gini(np.array([0, 1])) == 0.5
    assert summary(backtest(np.array([[1, 1]]), lookback=1, area_fraction=1.0))["weighted_hit_rate"] == 1.0


@pytest.mark.parametrize(
    ("call", "option", "words"),
    [
        (lambda: share_in_top(np.array([1, 2]), fractions=(0,)), "fractions", r"^fractions must be in \(0, 1\]"),
        (lambda: share_in_top(np.array([1, 2]), fractions=("a",)), "fractions", r"^fractions must be numbers in"),
        (lambda: gini(np.array([1 + 2j])), "counts", "^counts must be real numbers$"),
        (lambda: gini(np.array(["a"])), "counts", "^counts must be numbers$"),
        (lambda: gini(np.ones((2, 2))), "counts", r"^counts must have shape \(n_cells,\), got \(2, 2\)$"),
        (lambda: backtest(np.ones(3)), "counts", r"^counts must have shape \(n_cells, n_months\), got \(3,\)$"),
        (lambda: gini(np.array([1, -1])), "counts", "^counts must be finite and not negative$"),
        (
            lambda: summary(pd.DataFrame({"hits": [1]})),
            "backtest_frame",
            "^not a backtest frame: missing columns month_index, n_allowed, n_chosen, total,",
        ),
    ],
)
def test_every_refusal_names_its_option_and_what_is_wrong(call, option, words):
    with pytest.raises(OptionError, match=words) as caught:
        call()
    assert caught.value.option == option
