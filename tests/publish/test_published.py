"""Published outcomes built by hand, without a store: every rounding, change and evaluation rule on counts worked here.

The closure evaluation is recomputed from *shown* counts through the engine's
own functions; these tests pin the numbers, so that changing which counts feed
it (exact instead of shown, after for before) or the arithmetic fails them.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.core.schema import WGS84
from geo.plan.outcomes import FIGURES, Figure, Period
from geo.publish.published import publish, suppression_note


def test_published_evaluation_is_recomputed_from_shown_counts_by_hand():
    """Exact 102, 49 / 11, 8 / 198, 203 are shown as 100, 50 / 10, 10 / 200, 205 (threshold 5).

    From shown counts: change = (50/100) / (205/200) - 1 = 0.5 / 1.025 - 1 = -0.512195
    (from the exact ones it would be (49/102) / (203/198) - 1 = -0.531438);
    se = sqrt(1/100 + 1/50 + 1/200 + 1/205) = 0.199695, ln(1/OR) = ln(0.487805) = -0.717840,
    interval exp(-0.717840 -/+ 1.959964 * 0.199695) - 1 = -0.670189 to -0.278516.
    WDQ: SM = 50/205 - 100/200 = -0.256098, BD = 10/205 - 10/200 = -0.001220, WDQ = 0.004762;
    the ring (10 to 10 against 200 to 205) cannot be told from the control's change, so neither word.
    Peak: shown 40 earlier, 90 before: (90 - 40) / sqrt(130) = 4.39 > 1.96.
    """
    from geo.publish.published import publish_effect
    from geo.stats.evaluate import Effect

    p = publish_effect(Effect(3, 1, 102, 49, 11, 8, 198, 203, earlier=40, earlier_before=90), below=5, months=6)
    assert p.relative == pytest.approx(-0.512195, abs=1e-6)
    assert p.estimate.low == pytest.approx(-0.670189, abs=1e-5) and p.estimate.high == pytest.approx(
        -0.278516, abs=1e-5
    )
    assert p.shown.wdq == pytest.approx(0.004762, abs=1e-6)
    assert p.texts["relative"] == "-51% (-67% to -28%)"
    assert p.texts["change_words"] == "ASB fell 51% relative to the control (95 % interval -67% to -28%)"
    assert p.texts["wdq_words"].startswith("no measurable displacement or diffusion of benefit")
    assert [p.texts[k] for k in ("treatment_before", "treatment_after", "ring_before", "ring_after")] == [
        "100",
        "50",
        "10",
        "10",
    ]
    assert (p.texts["control_before"], p.texts["control_after"], p.texts["used"]) == ("200", "205", "fewer than 5")
    assert p.shown.peak is True and "sited at a peak" in p.texts["peak"]
    assert p.texts["peak"].startswith("Near the interventions: 90 incidents in the 6 months before them, 40 in")
    assert p.texts["skipped"].startswith("fewer than 5 order(s) granted in the period left out: their 6 months")
    assert p.sentence == (
        "Around the closure orders measured (fewer than 5) ASB went from 100 to 50 reports; in the ring around "
        "them from 10 to 10; in the rest of the town from 200 to 205 over the same months. "
        "ASB fell 51% relative to the control (95 % interval -67% to -28%)."
    )


def hand_outcomes(*, compared: bool = True, effect_previous: bool = True, unknown: bool = False):
    """Outcomes built by hand (no store), with counts chosen to meet every rounding and change rule."""
    from geo.plan.outcomes import Outcomes
    from geo.stats.evaluate import Effect

    figures = {
        "asb": Figure(123, 83),  # shown 125 and 85: +47% (125/85 - 1 = 0.470588); at 10: 120 and 80, +50%
        "people_safeguarded": Figure(3, 12),  # fewer than 5 against 10: not shown
        "orders_secured": Figure(0, 0),  # no change
        "orders_active": Figure(10, 0),  # up from 0
        "flagged_opened": Figure(1005, 1000),  # +0.5%, never "+0%"
        "flagged_resolved": Figure(20, 21),  # 20 against 20 (21 rounds to 20): no change
        "quiet_addresses": Figure(None, None),  # not enough data, no earlier data, no comparison
    }
    if unknown:
        figures["unknown_now"] = Figure(None, 21)  # no data (any figure but quiet addresses)
    empty = gpd.GeoDataFrame({"layer": [], "code": [], "name": []}, geometry=[], crs=WGS84)
    return Outcomes(
        period=Period("2024-01", "2024-02"),
        area=None,
        area_name="Whole town",
        boundaries=empty,
        sources=("s",),
        attribution=(),
        demo=False,
        generated="2024-03-01",
        compared=compared,
        victims_from="records",
        radius_m=200.0,
        window_months=6,
        quiet_months=12,
        figures=figures,
        effect=Effect(2, 1, 100, 50, 40, 30, 200, 180, earlier=60, earlier_before=100),
        effect_previous=Effect(2, 0, 100, 80, 40, 30, 200, 200) if effect_previous else None,
        monthly=pd.DataFrame(
            {
                "month": ["2024-01", "2024-02"],
                "asb": [3, 12],
                "previous_month": ["2023-11", "2023-12"],
                "asb_previous": [0, 7],
            }
        ),
        areas=pd.DataFrame(
            {
                "layer": ["ward"] * 4,
                "code": ["W1", "W2", "W3", "W4"],
                "name": ["a", "b", "c", "d"],
                "asb": [123, 3, 0, 10],
                "asb_previous": [80, 0, 0, 0],
            }
        ),
    )


def test_publish_by_hand(monkeypatch):
    monkeypatch.setitem(FIGURES, "unknown_now", "A figure the data cannot give")
    p = publish(hand_outcomes(unknown=True), below=5)
    assert p.effect.relative == pytest.approx(-0.444444, abs=1e-6) and p.effect.shown.used == 2
    assert p.effect_previous is not None and p.effect_previous.relative == pytest.approx(-0.2)
    assert "6 months" in p.effect.texts["peak"] and p.effect.texts["skipped"].startswith("fewer than 5 order(s)")
    texts = {f.key: (f.now_text, f.previous_text, f.change_text) for f in p.figures}
    assert texts == {
        "asb": ("125", "85", "+47%"),
        "people_safeguarded": ("fewer than 5", "10", "not shown"),
        "orders_secured": ("0", "0", "no change"),
        "orders_active": ("10", "0", "up from 0"),
        "flagged_opened": ("1,005", "1,000", "+0.5%"),
        "flagged_resolved": ("20", "20", "no change"),
        "quiet_addresses": ("not enough data", "no earlier data", "no comparison"),
        "unknown_now": ("no data", "20", "not shown"),
    }
    asb = p.figure("asb")
    assert (asb.now, asb.previous, asb.change) == (125.0, 85.0, pytest.approx(0.470588, abs=1e-6))
    assert asb.label == "ASB reports" and math.isnan(p.figure("people_safeguarded").now)
    with pytest.raises(KeyError, match="nothing"):
        p.figure("nothing")
    assert p.areas["change_text"].tolist() == ["+56%", "not shown", "no change", "up from 0"]
    assert p.areas["asb_text"].tolist() == ["125", "fewer than 5", "0", "10"]
    # the whole area table, as the map, the page and the report read it (shown 125/80 -> 125/80 - 1 = +56 %)
    assert p.areas.columns.tolist() == [
        "layer",
        "code",
        "name",
        "asb",
        "asb_text",
        "asb_previous",
        "asb_previous_text",
        "change",
        "change_text",
    ]
    assert p.areas[["layer", "code", "name"]].values.tolist() == [
        ["ward", "W1", "a"],
        ["ward", "W2", "b"],
        ["ward", "W3", "c"],
        ["ward", "W4", "d"],
    ]
    np.testing.assert_array_equal(p.areas["asb"], [125, np.nan, 0, 10])
    np.testing.assert_array_equal(p.areas["asb_previous"], [80, 0, 0, 0])
    np.testing.assert_allclose(p.areas["change"], [0.5625, np.nan, np.nan, np.nan])
    assert p.monthly["asb_text"].tolist() == ["fewer than 5", "10"] and p.monthly["asb_previous_text"].tolist() == [
        "0",
        "5",
    ]
    assert np.isnan(p.monthly["asb"].iloc[0]) and p.monthly["asb_previous"].tolist() == [0.0, 5.0]
    # this period -44% (100 to 50 against 200 to 180), the previous one -20% (100 to 80 against 200 to 200)
    assert p.effect_trend_text == "-24 points"  # round(-44.44 - -20) = -24
    assert p.threshold == 5 and p.suppression_note == suppression_note(below=5)
    assert suppression_note(below=10) == (
        "Counts from 1 to 9 are shown as 'fewer than 10'; other counts are rounded to the nearest 10."
    )
    ten = publish(hand_outcomes(unknown=True), below=10)
    texts = {f.key: (f.now_text, f.previous_text, f.change_text) for f in ten.figures}
    assert texts["asb"] == ("120", "80", "+50%") and texts["people_safeguarded"] == ("fewer than 10", "10", "not shown")
    assert texts["flagged_opened"] == ("1,010", "1,000", "+1%") and texts["unknown_now"] == (
        "no data",
        "20",
        "not shown",
    )
    assert ten.areas["asb_text"].tolist() == ["120", "fewer than 10", "0", "10"]
    assert ten.monthly["asb_text"].tolist() == ["fewer than 10", "10"] and ten.threshold == 10
    assert ten.suppression_note == suppression_note(below=10) and ten.effect.texts["ring_after"] == "30"
    assert ten.effect_previous is not None and ten.effect_previous.texts["treatment_after"] == "80"
    assert ten.effect.texts["used"] == ten.effect_previous.texts["used"] == "fewer than 10"  # 2 orders
    assert np.isnan(ten.monthly["asb_previous"].iloc[1])  # 7 is fewer than 10 (at 5 it shows as 5)
    alone = publish(hand_outcomes(compared=False, effect_previous=False), below=5)
    assert alone.effect_previous is None and alone.effect_trend_text == "no comparison"
    assert set(alone.areas["change_text"]) == {"no comparison"} and set(alone.areas["asb_previous_text"]) == {
        "no earlier data"
    }
    assert alone.monthly["asb_previous"].isna().all()


def test_the_evaluation_against_the_previous_period_in_words():
    import dataclasses

    from geo.stats.evaluate import Effect

    base = hand_outcomes()
    same = dataclasses.replace(base, effect_previous=base.effect)
    assert publish(same, below=5).effect_trend_text == "no change"
    hidden = dataclasses.replace(base, effect_previous=Effect(2, 0, 3, 30, 40, 30, 200, 200))
    assert publish(hidden, below=5).effect_trend_text == "not shown"
    few = dataclasses.replace(base, effect_previous=Effect(2, 0, 10, 7, 40, 30, 200, 200))  # shown 10 + 5 < 20
    assert publish(few, below=5).effect_trend_text == "not shown"
    for nothing in (dataclasses.replace(base, effect_previous=Effect(0, 0, 0, 0, 0, 0, 0, 0)),):
        assert publish(nothing, below=5).effect_trend_text == "no comparison"
    now_nothing = dataclasses.replace(base, effect=Effect(0, 1, 0, 0, 0, 0, 0, 0))
    assert publish(now_nothing, below=5).effect_trend_text == "no comparison"


def test_published_evaluation_with_a_hidden_count_says_too_few():
    from geo.publish.published import NONE_MEASURED, publish_effect
    from geo.stats.evaluate import Effect

    hidden = publish_effect(Effect(2, 0, 3, 30, 12, 12, 200, 205, earlier=2, earlier_before=3), below=5, months=6)
    assert np.isnan(hidden.shown.treatment_before) and np.isnan(hidden.relative)
    assert hidden.texts["relative"] == "too few incidents to say" and hidden.texts["treatment_before"] == "fewer than 5"
    assert hidden.shown.peak is None and "Too few to tell" in hidden.texts["peak"]
    assert hidden.texts["skipped"] == "" and hidden.texts["wdq_words"].startswith("no measurable effect")
    spans = publish_effect(Effect(2, 0, 30, 25, 10, 10, 200, 190), below=5, months=6)
    assert spans.texts["relative"] == "cannot tell" and spans.texts["peak"] == ""
    assert spans.shown.earlier is None and spans.shown.earlier_before is None
    assert spans.texts["earlier"] == spans.texts["earlier_before"] == "unknown"
    none = publish_effect(Effect(0, 2, 0, 0, 0, 0, 0, 0), below=5, months=6)
    assert none.texts["relative"] == NONE_MEASURED and none.sentence.startswith("No closure order in this period")
    # shown 10 and 5 (15 < 20): a finite change, but too few to put in words
    few = publish_effect(Effect(2, 0, 10, 6, 10, 10, 200, 190), below=5, months=6)
    assert np.isfinite(few.relative) and few.texts["relative"] == "too few incidents to say"


def test_published_evaluation_with_another_threshold():
    """Threshold 10: 102, 49 / 11, 8 / 198, 203 show as 100, 50 / 10, fewer than 10 / 200, 200."""
    from geo.publish.published import publish_effect
    from geo.stats.evaluate import Effect

    p = publish_effect(Effect(3, 1, 102, 49, 11, 8, 198, 203, earlier=40, earlier_before=90), below=10, months=3)
    assert [p.texts[k] for k in ("treatment_before", "treatment_after", "ring_before", "ring_after")] == [
        "100",
        "50",
        "10",
        "fewer than 10",
    ]
    assert (p.texts["control_after"], p.texts["used"], p.shown.used, p.shown.skipped) == ("200", "fewer than 10", 3, 1)
    assert p.relative == pytest.approx(-0.5)  # (50/100) / (200/200) - 1
    assert p.texts["skipped"] == (
        "fewer than 10 order(s) granted in the period left out: their 3 months before or after run outside "
        "the incident data."
    )
    assert "in the 3 months before them" in p.texts["peak"]
