"""Disclosure control: suppression, rounding, and safety against differencing."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.core.errors import InputError, OptionError
from geo.publish.privacy import (
    count_text,
    label,
    percent_text,
    safe_change,
    suppress,
    suppress_labels,
    threshold,
    whole_percent,
)


def test_small_counts_are_suppressed_and_others_rounded_to_the_threshold():
    out = suppress([0, 1, 4, 5, 7, 8, 12, 13, 1234])
    assert np.isnan(out[1]) and np.isnan(out[2])
    assert out[[0, 3, 4, 5, 6, 7, 8]].tolist() == [0, 5, 5, 10, 10, 15, 1235]
    # a rounded count carries the mark; zero is exact and a suppressed count is words
    assert suppress_labels([0, 3, 1234]) == ["0", "fewer than 5", "≈ 1,235"]
    assert label() == "fewer than 5"


def test_one_rule_for_a_shown_count():
    # NaN is a suppressed count; 0 stays exact; 10975 already rounded reads "≈ 10,975"
    assert [count_text(v, below=5) for v in (float("nan"), 0.0, 5.0, 10975.0)] == [
        "fewer than 5",
        "0",
        "≈ 5",
        "≈ 10,975",
    ]
    assert count_text(float("nan"), below=10) == "fewer than 10"


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (-0.3452, "-35%"),  # the issue's -34.52 % beside counts rounded to 5: whole percent
        (0.125, "+13%"),  # half a percent rounds away from zero, as by hand
        (-0.125, "-13%"),
        (0.145, "+15%"),  # 14.5 in binary is 14.4999...: still +15%
        (0.004, "+<1%"),  # moved, but rounds to 0: never "+0%"
        (-0.0049, "-<1%"),
        (0.005, "+1%"),
        (-0.0099, "-1%"),
        (0.0, "0%"),
        (2.0, "+200%"),
    ],
)
def test_a_published_change_is_a_whole_percent_and_never_plus_zero(x, text):
    assert percent_text(x) == text


def test_the_threshold_is_configurable_and_checked(monkeypatch):
    monkeypatch.setenv("NESTWATCH_SUPPRESS_BELOW", "10")
    assert threshold() == 10 and suppress_labels([9, 12]) == ["fewer than 10", "≈ 10"]
    monkeypatch.setenv("NESTWATCH_SUPPRESS_BELOW", "1")
    with pytest.raises(OptionError):
        threshold()


@pytest.mark.parametrize(("raw", "accepted"), [("five", "a whole number"), ("1", "2 or more")])
def test_a_bad_threshold_setting_is_an_option_error_naming_what_is_accepted(monkeypatch, raw, accepted):
    monkeypatch.setenv("NESTWATCH_SUPPRESS_BELOW", raw)
    with pytest.raises(OptionError, match=f"NESTWATCH_SUPPRESS_BELOW must be {accepted}") as caught:
        threshold()
    assert caught.value.option == "NESTWATCH_SUPPRESS_BELOW"
    assert not isinstance(caught.value, InputError)  # a setting, not a file or a row


def test_the_smallest_threshold_allowed_is_two(monkeypatch):
    # 2 is the least that hides anything: 1 -> "fewer than 2", 3 -> 3/2 + 0.5 = 2.0 -> 2 x 2 = 4
    monkeypatch.setenv("NESTWATCH_SUPPRESS_BELOW", "2")
    assert threshold() == 2 and suppress_labels([1, 3]) == ["fewer than 2", "≈ 4"]


def test_an_explicit_threshold_wins_over_the_setting(monkeypatch):
    # the setting says 5; a caller publishing under 10 must get 10 for both the rule and the rounding:
    # 7 -> "fewer than 10"; 12 -> 12/10 + 0.5 = 1.7 -> 1 x 10 = 10; 15 -> 2.0 -> 20 (half up)
    monkeypatch.setenv("NESTWATCH_SUPPRESS_BELOW", "5")
    assert suppress_labels([7, 12, 15], below=10) == ["fewer than 10", "≈ 10", "≈ 20"]
    assert suppress([7, 12, 15], below=10)[1:].tolist() == [10.0, 20.0]


def test_a_missing_count_stays_missing():
    # a period with no figure (None in an object column) is not a count: NaN, neither 0 nor rounded;
    # 12 -> 12/5 + 0.5 = 2.9 -> 2 x 5 = 10
    out = suppress(pd.Series([None, 12], dtype=object))
    assert np.isnan(out[0]) and out[1] == 10.0


def test_change_comes_only_from_shown_values():
    change = safe_change(suppress([20, 3, 30]), suppress([10, 12, 0]))
    assert change[0] == 1.0 and np.isnan(change[1]) and np.isnan(change[2])


def test_change_with_no_earlier_figure_or_a_zero_base_is_unknown_and_quiet():
    # None on either side (an object column: no earlier period) and x / 0, 0 / 0 all give NaN,
    # without a RuntimeWarning reaching the page; 10 -> 15 is 15 / 10 - 1 = +0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        now = pd.Series([10, None, 10, 0, 15], dtype=object)
        change = safe_change(now, pd.Series([None, 5, 0, 0, 10], dtype=object))
    assert np.isnan(change[:4]).all() and change[4] == 0.5


@given(st.lists(st.integers(0, 200), min_size=2, max_size=30))
def test_no_difference_of_shown_values_is_a_suppressed_count(counts):
    # two overlapping views (a range and the same range one month shorter, a ward and
    # the town minus the others) show values whose differences are multiples of N
    shown = suppress(counts)
    finite = shown[np.isfinite(shown)]
    diffs = np.abs(finite[:, None] - finite[None, :])
    assert not ((diffs > 0) & (diffs < threshold())).any()
    total = suppress([sum(counts)])[0]
    rest = np.nansum(shown[1:])
    assert not (0 < abs(total - rest) < threshold())


def test_whole_percent_is_the_number_beside_the_words():
    # -0.3452 is -34.52 %: -35 % (half a percent and more rounds away from zero); 0.125 -> +13 %; 0.004 -> 0
    got = whole_percent([-0.3452, 0.125, -0.125, 0.004, 0.0, float("nan")])
    np.testing.assert_array_equal(got, [-0.35, 0.13, -0.13, 0.0, 0.0, np.nan])
    assert [percent_text(x) for x in (-0.3452, 0.125, -0.125)] == ["-35%", "+13%", "-13%"]  # the same rounding
