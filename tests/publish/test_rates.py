"""Rates per 1,000 residents: from the published count only, hidden where it is hidden, absent without residents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.publish.privacy import suppress
from geo.publish.rates import NO_POPULATION, NOT_SHOWN, per_thousand, rate_text, rate_texts


def test_a_rate_is_the_published_count_per_thousand_residents():
    shown = pd.Series({"W1": 10.0, "W2": 5.0, "W3": 0.0, "W4": 1000.0}, name="asb")
    population = pd.Series({"W1": 2000, "W2": 400, "W3": 9000, "W4": 8000})
    rates = per_thousand(shown, population)
    # 10 / 2000 * 1000 = 5; 5 / 400 * 1000 = 12.5; 0 is an exact published zero: 0; 1000 / 8000 * 1000 = 125
    assert rates.to_dict() == {"W1": 5.0, "W2": 12.5, "W3": 0.0, "W4": 125.0}
    assert rates.name == "asb" and list(rates.index) == ["W1", "W2", "W3", "W4"]


def test_no_rate_where_the_count_is_hidden_or_there_is_no_one_to_divide_by():
    shown = pd.Series({"hidden": np.nan, "no_pop": 10.0, "zero_pop": 10.0, "nan_pop": 10.0, "ok": 10.0})
    population = pd.Series({"hidden": 1000, "zero_pop": 0, "nan_pop": np.nan, "ok": 1000, "elsewhere": 50})
    rates = per_thousand(shown, population)
    assert list(rates.index) == list(shown.index)  # the areas of the count; "elsewhere" has no count to show
    assert rates.isna().tolist() == [True, True, True, True, False] and rates["ok"] == 10.0


def test_the_rate_comes_from_the_published_count_never_the_stored_one():
    """A ward of 1,000 residents with 3 incidents: "fewer than 5" is published, so no rate either (3.0 would
    give the 3 back); with 12 incidents, 10 is published and the rate is 10 per 1,000, not 12."""
    stored = pd.Series({"W1": 3, "W2": 12})
    shown = pd.Series(suppress(stored, below=5), index=stored.index)  # [NaN, 10]
    rates = per_thousand(shown, pd.Series({"W1": 1000, "W2": 1000}))
    assert np.isnan(rates["W1"]) and rates["W2"] == 10.0
    assert rates["W2"] * 1000 / 1000 == shown["W2"]  # rate x population / 1000 gives back only the published count


def test_population_given_twice_for_an_area_uses_the_first():
    rates = per_thousand(pd.Series({"W1": 10.0}), pd.Series([2000, 1000], index=["W1", "W1"]))
    assert rates.tolist() == [5.0]  # 10 / 2000 * 1000


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (12.5, "12.5"),
        (5.0, "5.0"),
        (0.0, "0.0"),
        (0.25, "0.3"),  # 5 / 20,000 * 1000: half up, as published counts round (round-half-even says 0.2)
        (0.15, "0.2"),  # 0.15 is 0.1499999... in binary: still half up
        (1005 / 4000 * 1000, "251.3"),  # exactly 251.25, computed as 251.24999999999997: still half up
        (3.125, "3.1"),  # 5 / 1,600 * 1000: not a tie at one decimal
        (1234.56, "1,234.6"),
        (2 / 3, "0.7"),
        (np.nan, NOT_SHOWN),
        (float("inf"), NOT_SHOWN),
    ],
)
def test_a_rate_prints_with_one_decimal(rate, text):
    assert rate_text(rate) == text


def test_texts_say_why_there_is_no_rate():
    shown = pd.Series({"W1": 10.0, "W2": np.nan, "W3": 10.0, "W4": np.nan})
    population = pd.Series({"W1": 3000, "W2": 3000})  # W3 and W4 have no estimate
    texts = rate_texts(shown, population)
    # 10 / 3000 * 1000 = 3.33..; a hidden count is "not shown" with or without residents; W3's count is shown
    assert texts.to_dict() == {"W1": "3.3", "W2": NOT_SHOWN, "W3": NO_POPULATION, "W4": NOT_SHOWN}
    assert (NOT_SHOWN, NO_POPULATION) == ("not shown", "no population figure")


def test_odd_inputs_give_no_rate_and_the_series_keeps_its_name_and_index():
    # counts as a table column might hold them: a label by mistake, a blank; populations as text
    shown = pd.Series(["20", "fewer than 5", None, 10], index=["A", "B", "C", "D"], name="incidents", dtype=object)
    population = pd.Series(["4000", "2000", "1000", "0"], index=["A", "B", "C", "D"])
    rates = per_thousand(shown, population)
    assert rates.name == "incidents" and list(rates.index) == ["A", "B", "C", "D"]
    assert rates["A"] == 5.0  # 20 / 4,000 x 1,000
    assert np.isnan(rates["B"]) and np.isnan(rates["C"])  # no number to divide
    assert np.isnan(rates["D"])  # 0 residents: no rate (NaN, never inf)
    texts = rate_texts(shown, population)
    assert texts.name == "incidents" and list(texts.index) == ["A", "B", "C", "D"]
    assert list(texts) == ["5.0", NOT_SHOWN, NOT_SHOWN, NO_POPULATION]
    assert texts.dtype == object or str(texts.dtype).startswith("str")


def test_one_resident_is_a_population_and_unreadable_text_is_none():
    shown = pd.Series([0.0, 5.0], index=["A", "B"])
    rates = per_thousand(shown, pd.Series([1, "abc"], index=["A", "B"], dtype=object))
    assert rates["A"] == 0.0  # 0 incidents over 1 resident: a rate of 0 (the bound is "more than 0 residents")
    assert np.isnan(rates["B"])  # a population that is not a number gives no rate, never an error
