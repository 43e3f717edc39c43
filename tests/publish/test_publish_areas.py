"""Area counts in their published form: sums of released cells, shown values, and changes only from them.

Everything by hand (threshold 5 unless said): a :class:`~geo.publish.release.Release`
made here, without a store, so each count is a sum of cells written below.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.core.errors import OptionError, StoreError
from geo.core.schema import WGS84
from geo.publish.areas import change_to_text, percent_text, publish_area_table, released_areas
from geo.publish.release import Release

ASB = "Anti-social behaviour"


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
    assert out["count_text"].tolist() == ["≈ 10", "fewer than 5", "0", "≈ 5", "≈ 25", "≈ 20"]
    assert out["previous_text"].tolist() == ["≈ 10", "≈ 10", "0", "fewer than 5", "≈ 10", "0"]
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
    assert out["count_text"].tolist() == ["≈ 10", "fewer than 10", "0", "fewer than 10", "≈ 20", "≈ 20"]
    np.testing.assert_array_equal(out["count"], [10, np.nan, 0, np.nan, 20, 20])
    # previous 10, 10, 0, 2, 10, 0 at threshold 10: 2 is hidden, the rest unchanged
    assert out["previous_text"].tolist() == ["≈ 10", "≈ 10", "0", "fewer than 10", "≈ 10", "0"]
    np.testing.assert_array_equal(out["previous"], [10, 10, 0, np.nan, 10, 0])


def test_percent_text_keeps_a_small_change_visible():
    assert percent_text(-0.38) == "-38%"
    assert percent_text(0.004) == "+<1%"  # whole percent, but a change that moved never reads "+0%"
    assert percent_text(-0.0099) == "-1%"
    assert percent_text(0.01) == "+1%"
    assert change_to_text(float("nan"), 0.0, 0.0, compared=True) == "no change"
    assert change_to_text(0.25, 25.0, 20.0, compared=True) == "+25%"
    assert change_to_text(0.25, 25.0, 20.0, compared=False) == "no comparison"


# --------------------------------------------------------------------------- counts from the release


def _release(*, estates: bool = True) -> Release:
    """Released incident cells for wards A, B, C (C has none) and estate X, months 2024-01..2024-06.

    Ward A: ASB 10 (2024-01), 4 (2024-02), 7 (2024-03), 5 (2024-04), and 3 burglaries (2024-04).
    Ward B: ASB 3 (2024-02), 6 drugs (2024-04). Estate X: ASB 9 (2024-03).
    The town's 100 (2024-03) and a people-safeguarded cell of A are not ward incidents.
    """
    rows = [
        ("incidents", "ward", "A", "2024-01", ASB, 10),
        ("incidents", "ward", "A", "2024-02", ASB, 4),
        ("incidents", "ward", "A", "2024-03", ASB, 7),
        ("incidents", "ward", "A", "2024-04", ASB, 5),
        ("incidents", "ward", "A", "2024-04", "Burglary", 3),
        ("incidents", "ward", "B", "2024-02", ASB, 3),
        ("incidents", "ward", "B", "2024-04", "Drugs", 6),
        ("incidents", "estate", "X", "2024-03", ASB, 9),
        ("incidents", "town", "", "2024-03", ASB, 100),
        ("people_safeguarded", "ward", "A", "2024-03", "", 5),
    ]
    cells = pd.DataFrame(rows, columns=["measure", "layer", "area", "month", "category", "value"])
    areas = pd.DataFrame({"layer": ["ward"] * 3 + ["estate"], "code": ["A", "B", "C", "X"], "name": list("abcx")})
    if not estates:
        areas = areas[areas["layer"] == "ward"]
    return Release(
        version="hand",
        cells=cells,
        areas=areas,
        months=("2024-01", "2024-06"),
        quiet_from=None,
        victims_from="none",
        boundaries=gpd.GeoDataFrame(areas.assign(geometry=None), geometry="geometry", crs=WGS84),
        effects={},
    )


def test_released_areas_are_sums_of_the_release_cells():
    # 2024-03..04 against 2024-01..02, ASB only: A 7 + 5 = 12 against 10 + 4 = 14; B 0 against 3; C 0 and 0
    got = released_areas(_release(), layer="wards", start="2024-03", end="2024-04", categories=(ASB,))
    assert (got.layer, got.months, got.previous_months, got.compared) == (
        "ward",
        ("2024-03", "2024-04"),
        ("2024-01", "2024-02"),
        True,
    )
    assert got.table[["code", "name"]].values.tolist() == [["A", "a"], ["B", "b"], ["C", "c"]]
    assert got.table["count"].tolist() == [12, 0, 0] and got.table["previous"].tolist() == [14, 3, 0]
    assert got.monthly.loc["A"].tolist() == [7, 5] and got.monthly.loc["B"].tolist() == [0, 0]
    assert got.monthly.columns.tolist() == ["2024-03", "2024-04"] and got.monthly.index.tolist() == ["A", "B", "C"]
    # every category (None): A 7 + 5 + 3 = 15, B 6; a mix of two: A 12, B 6
    every = released_areas(_release(), layer="wards", start="2024-03", end="2024-04")
    assert every.table["count"].tolist() == [15, 6, 0] and every.monthly.loc["A"].tolist() == [7, 8]
    two = released_areas(_release(), layer="wards", start="2024-03", end="2024-04", categories=(ASB, "Drugs"))
    assert two.table["count"].tolist() == [12, 6, 0]
    estates = released_areas(_release(), layer="estates", start="2024-03", end="2024-04", categories=(ASB,))
    assert estates.layer == "estate" and estates.table["count"].tolist() == [9]
    # published: 12 -> 10 against 14 -> 15, 10/15 - 1 = -33 %; B 0 against 3 (fewer than 5): not shown
    shown = publish_area_table(got.table, compared=got.compared, below=5)
    assert shown["count_text"].tolist() == ["≈ 10", "0", "0"]
    assert shown["previous_text"].tolist() == ["≈ 15", "fewer than 5", "0"]
    assert shown["change_text"].tolist() == ["-33%", "not shown", "no change"]


def test_released_areas_without_an_earlier_period_or_areas():
    # 2024-01..02: the months before (2023-11..12) come before the release's first month
    first = released_areas(_release(), layer="wards", start="2024-01", end="2024-02", categories=(ASB,))
    assert not first.compared and first.table["previous"].isna().all()
    assert first.table["count"].tolist() == [14, 3, 0]
    with pytest.raises(OptionError, match="layer must be one of") as caught:
        released_areas(_release(), layer="lsoas", start="2024-01", end="2024-02")
    assert caught.value.option == "layer"
    with pytest.raises(StoreError, match="no estates are loaded"):
        released_areas(_release(estates=False), layer="estates", start="2024-01", end="2024-02")


def test_released_areas_refuse_months_out_of_order():
    with pytest.raises(OptionError, match="2024-04"):
        released_areas(_release(), layer="wards", start="2024-04", end="2024-01")
