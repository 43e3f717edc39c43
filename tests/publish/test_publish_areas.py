"""Area counts in their published form: shown values, and changes only from them (threshold 5, by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.publish.areas import change_to_text, percent_text, publish_area_table


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["A", "B", "C", "D", "E", "F"],
            "name": ["a", "b", "c", "d", "e", "f"],
            "count": [12, 3, 0, 7, 23, 20],
            "previous": [10, 10, 0, 2, 10, 0],
            "change": np.nan,  # exact changes are never used
        }
    )


def test_counts_suppressed_and_rounded_and_changes_from_shown_values():
    out = publish_area_table(_table(), compared=True, below=5)
    # shown: 12 -> 10, 3 -> hidden, 0 -> 0, 7 -> 5, 23 -> 25, 20 -> 20; previous 10, 10, 0, 2 -> hidden, 10, 0
    assert out["count_text"].tolist() == ["10", "fewer than 5", "0", "5", "25", "20"]
    assert out["previous_text"].tolist() == ["10", "10", "0", "fewer than 5", "10", "0"]
    np.testing.assert_array_equal(out["count"], [10, np.nan, 0, 5, 25, 20])
    # 10/10 - 1 = 0 (exactly 12/10 - 1 = +20 % would leak the hidden 2); 25/10 - 1 = +150 %
    np.testing.assert_array_equal(out["change"], [0.0, np.nan, np.nan, np.nan, 1.5, np.nan])
    assert out["change_text"].tolist() == ["no change", "not shown", "no change", "not shown", "+150%", "up from 0"]


def test_without_an_earlier_period_nothing_is_compared():
    out = publish_area_table(_table(), compared=False, below=5)
    assert set(out["previous_text"]) == {"no earlier data"} and out["previous"].isna().all()
    assert out["previous"].dtype == float
    assert set(out["change_text"]) == {"no comparison"} and out["change"].isna().all()


def test_the_threshold_is_the_one_given():
    out = publish_area_table(_table(), compared=True, below=10)
    assert out["count_text"].tolist() == ["10", "fewer than 10", "0", "fewer than 10", "20", "20"]
    np.testing.assert_array_equal(out["count"], [10, np.nan, 0, np.nan, 20, 20])
    # previous 10, 10, 0, 2, 10, 0 at threshold 10: 2 is hidden, the rest unchanged
    assert out["previous_text"].tolist() == ["10", "10", "0", "fewer than 10", "10", "0"]
    np.testing.assert_array_equal(out["previous"], [10, 10, 0, np.nan, 10, 0])


def test_percent_text_keeps_a_small_change_visible():
    assert percent_text(-0.38) == "-38%"
    assert percent_text(0.005) == "+0.5%"
    assert percent_text(-0.0099) == "-1.0%"
    assert percent_text(0.01) == "+1%"
    assert change_to_text(float("nan"), 0.0, 0.0, compared=True) == "no change"
    assert change_to_text(0.25, 25.0, 20.0, compared=True) == "+25%"
    assert change_to_text(0.25, 25.0, 20.0, compared=False) == "no comparison"
