"""Disclosure control: suppression, rounding, and safety against differencing."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.core.errors import InputError, OptionError
from geo.publish.privacy import label, safe_change, suppress, suppress_labels, threshold


def test_small_counts_are_suppressed_and_others_rounded_to_the_threshold():
    out = suppress([0, 1, 4, 5, 7, 8, 12, 13, 1234])
    assert np.isnan(out[1]) and np.isnan(out[2])
    assert out[[0, 3, 4, 5, 6, 7, 8]].tolist() == [0, 5, 5, 10, 10, 15, 1235]
    assert suppress_labels([0, 3, 1234]) == ["0", "fewer than 5", "1,235"]
    assert label() == "fewer than 5"


def test_the_threshold_is_configurable_and_checked(monkeypatch):
    monkeypatch.setenv("NESTWATCH_SUPPRESS_BELOW", "10")
    assert threshold() == 10 and suppress_labels([9, 12]) == ["fewer than 10", "10"]
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


def test_change_comes_only_from_shown_values():
    change = safe_change(suppress([20, 3, 30]), suppress([10, 12, 0]))
    assert change[0] == 1.0 and np.isnan(change[1]) and np.isnan(change[2])


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
