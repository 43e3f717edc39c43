"""Disclosure control: suppression and rounding by hand."""

import numpy as np

from geo.privacy import safe_change, suppress, suppress_labels


def test_small_counts_are_suppressed_and_others_rounded_to_five():
    out = suppress([0, 1, 9, 10, 12, 13, 127])
    assert np.isnan(out[1]) and np.isnan(out[2])
    assert out[[0, 3, 4, 5, 6]].tolist() == [0, 10, 10, 15, 125]
    assert suppress_labels([0, 3, 1234]) == ["0", "<10", "1,235"]


def test_change_is_hidden_over_small_bases():
    change = safe_change(np.array([20, 3, 30]), np.array([10, 12, 5]))
    assert change[0] == 1.0 and np.isnan(change[1]) and np.isnan(change[2])
