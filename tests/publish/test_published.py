"""Published outcomes built by hand, without a store: every rounding, change and evaluation rule on counts worked here.

:func:`~geo.publish.published.publish` reads only a :class:`~geo.publish.release.Release`
(sums of protected cells) and a :class:`~geo.plan.outcomes.Scope`; both are made by hand
here, so every figure is a sum of cells written below, worked out in the comments.
The closure evaluation is recomputed from *shown* counts through the engine's
own functions; these tests pin the numbers, so that changing which counts feed
it (exact instead of shown, after for before, another year) or the arithmetic fails them.
"""

from __future__ import annotations

import dataclasses
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.core.schema import WGS84
from geo.plan.outcomes import FIGURES, Period
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
    assert p.texts["change_words"] == (
        "Relative to the rest of the town, ASB around them fell 51%; the 95% interval runs from -67% to -28%"
    )
    assert p.texts["wdq_words"].startswith("no measurable displacement or diffusion of benefit")
    assert [p.texts[k] for k in ("treatment_before", "treatment_after", "ring_before", "ring_after")] == [
        "≈ 100",
        "≈ 50",
        "≈ 10",
        "≈ 10",
    ]
    assert (p.texts["control_before"], p.texts["control_after"], p.texts["used"]) == ("≈ 200", "≈ 205", "fewer than 5")
    assert p.shown.peak is True and "sited at a peak" in p.texts["peak"]
    assert p.texts["peak"].startswith(
        "Near the interventions: about 90 incidents in the 6 months before them, about 40 in"
    )
    assert p.texts["skipped"].startswith("Fewer than 5 orders granted in the period were left out: their 6 months")
    # written as a person says it: counts in words, no bracketed label inside the sentence
    assert p.sentence == (
        "Fewer than 5 closure orders could be measured. Around them, ASB reports went from about 100 in the 6 "
        "months before to about 50 in the 6 months after; in the ring around them, from about 10 to about 10; "
        "in the rest of the town, from about 200 to about 205 over the same months. Relative to the rest of the "
        "town, ASB around them fell 51%; the 95% interval runs from -67% to -28%."
    )
    assert "(" not in p.sentence and "≈" not in p.sentence


# --------------------------------------------------------------------------- a release made by hand

#: The period the hand-made scope covers, and the one just before it (equal length).
NOW = ("2024-01", "2024-02")
BEFORE = ("2023-11", "2023-12")
ASB = "Anti-social behaviour"


def _cell(measure: str, where: tuple[str, str], month: str, value: int, category: str = "") -> dict:
    """One released cell; ``where`` is ``(layer, area code)``."""
    layer, area = where
    return {"measure": measure, "layer": layer, "area": area, "month": month, "category": category, "value": value}


def hand_cells() -> pd.DataFrame:
    """Released (already protected) cells, chosen to meet every rounding and change rule; sums worked here.

    The town (layer ``town``, area ``""``), the period 2024-01..02 and the one before, 2023-11..12:

    * ASB: now 3 + 120 = 123 (shown 125; at 10: 120), before 0 + 83 = 83 (shown 85; at 10: 80);
      a burglary cell, an ASB cell of 2023-10 and one of layer ``all`` must not be added in;
    * people safeguarded: now 3 (fewer than 5), before 3 + 9 = 12 (shown 10): "not shown";
    * closure orders secured: no cells, 0 and 0: "no change";
    * closure orders active (a stock: the period's last month only): 10 in 2024-02 and nothing in 2023-12,
      so 10 against 0, "up from 0" (2024-01's 6 and 2023-11's 4 are not the end of a period);
    * flagged addresses opened: 1000 + 5 = 1005 against 600 + 400 = 1000: +0.5 %, never "+0%";
    * flagged addresses resolved: 20 against 21 (shown 20): "no change";
    * quiet addresses: the release can tell them only from 2024-03 (``quiet_from``), so none is read,
      even the 50 of 2024-02.

    Wards W1..W4 and the estate E1 (ASB, for the area table and an area's own figures):
    W1 100 + 23 = 123 (and 50 burglaries) against 80; W2 3 against 0; W3 no cells; W4 10 against 0;
    E1 7 against 4; people safeguarded in W1: 5 in 2024-01.
    """
    town, rows = ("town", ""), []
    rows += [_cell("incidents", town, m, v, ASB) for m, v in (("2024-01", 3), ("2024-02", 120), ("2023-12", 83))]
    rows += [_cell("incidents", town, "2024-01", 40, "Burglary"), _cell("incidents", town, "2023-10", 500, ASB)]
    rows += [_cell("incidents", ("all", ""), "2024-01", 900, ASB)]
    rows += [_cell("people_safeguarded", town, m, v) for m, v in (("2024-02", 3), ("2023-11", 3), ("2023-12", 9))]
    rows += [_cell("orders_active", town, m, v) for m, v in (("2024-02", 10), ("2024-01", 6), ("2023-11", 4))]
    opened = (("2024-01", 1000), ("2024-02", 5), ("2023-11", 600), ("2023-12", 400))
    rows += [_cell("flagged_opened", town, m, v) for m, v in opened]
    rows += [_cell("flagged_resolved", town, m, v) for m, v in (("2024-02", 20), ("2023-12", 21))]
    rows += [_cell("quiet_addresses", town, "2024-02", 50)]
    wards = (
        ("W1", "2024-01", 100),
        ("W1", "2024-02", 23),
        ("W1", "2023-11", 80),
        ("W2", "2024-02", 3),
        ("W4", "2024-01", 10),
    )
    rows += [_cell("incidents", ("ward", a), m, v, ASB) for a, m, v in wards]
    rows += [_cell("incidents", ("ward", "W1"), "2024-01", 50, "Burglary")]
    rows += [_cell("incidents", ("estate", "E1"), m, v, ASB) for m, v in (("2024-01", 7), ("2023-12", 4))]
    rows += [_cell("people_safeguarded", ("ward", "W1"), "2024-01", 5)]
    return pd.DataFrame(rows)


def hand_effects(*, previous=True, now=None):
    """The closure comparison per year: 2024 from 6 orders measured, 2023 from 5."""
    from geo.publish.release import PublishedEffectYear
    from geo.stats.evaluate import Effect

    effects = {
        2024: now
        or PublishedEffectYear(
            2024, 6, Effect(6, 1, 100, 50, 40, 30, 200, 180, earlier=60, earlier_before=100), ("a note about 2024",)
        )
    }
    if previous is True:
        effects[2023] = PublishedEffectYear(2023, 5, Effect(5, 0, 100, 80, 40, 30, 200, 200), ())
    elif previous:
        effects[2023] = previous
    return effects


def hand_release(*, effects=None, quiet_from: str | None = "2024-03"):
    """A :class:`~geo.publish.release.Release` built by hand (no store): the cells above, four wards, an estate."""
    from geo.publish.release import Release

    areas = pd.DataFrame(
        {
            "layer": ["ward"] * 4 + ["estate"],
            "code": ["W1", "W2", "W3", "W4", "E1"],
            "name": ["a", "b", "c", "d", "e"],
        }
    )
    return Release(
        version="hand",
        cells=hand_cells(),
        areas=areas,
        months=("2023-01", "2024-02"),
        quiet_from=quiet_from,
        victims_from="counts",
        boundaries=gpd.GeoDataFrame(areas.assign(geometry=None), geometry="geometry", crs=WGS84),
        effects=hand_effects() if effects is None else effects,
    )


def hand_scope(*, compared: bool = True, area: str | None = None, period: tuple[str, str] = NOW):
    """What the figures cover, as :func:`geo.plan.outcomes.scope_for` would say it (no store)."""
    from geo.plan.outcomes import Scope

    empty = gpd.GeoDataFrame({"layer": [], "code": [], "name": []}, geometry=[], crs=WGS84)
    return Scope(
        period=Period(*period),
        area=area,
        area_name="Whole town" if area is None else area,
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
    )


def test_publish_by_hand():
    p = publish(hand_release(), hand_scope(), below=5)
    texts = {f.key: (f.now_text, f.previous_text, f.change_text) for f in p.figures}
    assert texts == {
        "asb": ("≈ 125", "≈ 85", "+47%"),  # 125/85 - 1 = 0.470588
        "people_safeguarded": ("fewer than 5", "≈ 10", "not shown"),
        "orders_secured": ("0", "0", "no change"),
        "orders_active": ("≈ 10", "0", "up from 0"),
        "flagged_opened": ("≈ 1,005", "≈ 1,000", "+1%"),  # 1005/1000 - 1 = 0.005: whole percent, half up
        "flagged_resolved": ("≈ 20", "≈ 20", "no change"),
        "quiet_addresses": ("not enough data", "no earlier data", "no comparison"),
    }
    assert [f.key for f in p.figures] == list(FIGURES) and p.figure("asb").label == "ASB reports"
    asb = p.figure("asb")
    assert (asb.now, asb.previous, asb.change) == (125.0, 85.0, pytest.approx(0.470588, abs=1e-6))
    assert math.isnan(p.figure("people_safeguarded").now) and math.isnan(p.figure("quiet_addresses").now)
    with pytest.raises(KeyError, match="nothing"):
        p.figure("nothing")
    # the area table, as the map, the page and the report read it: W1 125/80 - 1 = +56 %, E1 7 -> 5 against 4 hidden
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
        ["estate", "E1", "e"],
    ]
    assert p.areas["asb_text"].tolist() == ["≈ 125", "fewer than 5", "0", "≈ 10", "≈ 5"]
    assert p.areas["asb_previous_text"].tolist() == ["≈ 80", "0", "0", "0", "fewer than 5"]
    assert p.areas["change_text"].tolist() == ["+56%", "not shown", "no change", "up from 0", "not shown"]
    np.testing.assert_array_equal(p.areas["asb"], [125, np.nan, 0, 10, 5])
    np.testing.assert_array_equal(p.areas["asb_previous"], [80, 0, 0, 0, np.nan])
    np.testing.assert_allclose(p.areas["change"], [0.5625, np.nan, np.nan, np.nan, np.nan])
    # the town's ASB month by month: 3, 120 against 0, 83
    assert p.monthly["month"].tolist() == list(NOW) and p.monthly["previous_month"].tolist() == list(BEFORE)
    assert p.monthly["asb_text"].tolist() == ["fewer than 5", "≈ 120"]
    assert p.monthly["asb_previous_text"].tolist() == ["0", "≈ 85"]
    assert np.isnan(p.monthly["asb"].iloc[0]) and p.monthly["asb_previous"].tolist() == [0.0, 85.0]
    # where the people safeguarded come from is the release's word (the hand scope says "records")
    assert p.victims_from == "counts" and p.threshold == 5 and p.suppression_note == suppression_note(below=5)
    assert suppression_note(below=10) == (
        "Counts from 1 to 9 are shown as 'fewer than 10'; other counts are rounded to the nearest 10."
    )


def test_the_closure_comparison_is_the_release_s_for_the_year_the_period_ends():
    """2024 (6 orders): 100 to 50 against 200 to 180; 2023 (5 orders): 100 to 80 against 200 to 200.

    2024: change = (50/100) / (180/200) - 1 = 0.5 / 0.9 - 1 = -0.444444;
    se = sqrt(1/100 + 1/50 + 1/200 + 1/180) = 0.201384, interval
    exp(ln(0.555556) -/+ 1.959964 * 0.201384) - 1 = -0.625623 to -0.175585: "-63% to -18%".
    2023: (80/100) / (200/200) - 1 = -0.2. Against it: round(-44.44 - -20) = -24 points.
    6 orders show as 5 and the 1 left out as "fewer than 5".
    """
    from geo.publish.report import effect_lines

    p = publish(hand_release(), hand_scope(), below=5)
    assert p.effect_year == 2024
    assert p.effect.relative == pytest.approx(-0.444444, abs=1e-6) and p.effect.shown.used == 6
    assert p.effect.estimate.low == pytest.approx(-0.625623, abs=1e-5)
    assert p.effect.estimate.high == pytest.approx(-0.175585, abs=1e-5)
    assert p.effect_previous is not None and p.effect_previous.relative == pytest.approx(-0.2)
    assert p.effect_trend_text == "24 points better"  # -44% against -20%: lower is a bigger fall
    assert p.effect_trend_words == (
        "Against the orders granted in 2023: relative to the rest of the town, ASB around the orders changed by "
        "-44% this time and by -20% then: 24 percentage points better, a bigger fall."
    )
    assert p.effect.sentence == (
        "About 5 closure orders granted in 2024 across the whole town could be measured. Around them, ASB reports "
        "went from about 100 in the 6 months before to about 50 in the 6 months after; in the ring around them, "
        "from about 40 to about 30; in the rest of the town, from about 200 to about 180 over the same months. "
        "Relative to the rest of the town, ASB around them fell 44%; the 95% interval runs from -63% to -18%."
    )
    assert "6 months" in p.effect.texts["peak"] and p.effect.texts["skipped"].startswith("Fewer than 5 orders")
    assert p.effect_notes == ("a note about 2024",) and "a note about 2024" in effect_lines(p)
    # an area's figures are its own, the comparison is still the whole town's (the only one published)
    w1 = publish(hand_release(), hand_scope(area="W1"), below=5)
    texts = {f.key: (f.now_text, f.previous_text, f.change_text) for f in w1.figures}
    assert texts["asb"] == ("≈ 125", "≈ 80", "+56%")  # 100 + 23 = 123 against 80 (not the 50 burglaries)
    assert texts["people_safeguarded"] == ("≈ 5", "0", "up from 0") and texts["flagged_opened"] == (
        "0",
        "0",
        "no change",
    )
    assert w1.monthly["asb_text"].tolist() == ["≈ 100", "≈ 25"] and w1.monthly["asb_previous_text"].tolist() == [
        "≈ 80",
        "0",
    ]
    assert w1.effect.sentence == p.effect.sentence and w1.effect_trend_text == "24 points better"
    # a period that ends in December 2023 gets 2023's comparison, and none before it (no order in 2022)
    dec = publish(hand_release(), hand_scope(period=("2023-12", "2023-12")), below=5)
    assert dec.effect_year == 2023 and dec.effect.relative == pytest.approx(-0.2)
    assert dec.effect_trend_text == "no comparison"
    assert dec.effect_previous is not None and dec.effect_previous.sentence == (
        "No closure order granted in 2022 can be measured."
    )


def test_a_year_with_fewer_than_five_orders_measured_says_so_and_shows_no_count():
    from geo.publish.release import PublishedEffectYear
    from geo.publish.report import effect_lines

    few = PublishedEffectYear(2024, 3, None, ("a note about 2024",))
    p = publish(hand_release(effects=hand_effects(now=few)), hand_scope(), below=5)
    assert p.effect_year == 2024
    assert p.effect.sentence.startswith("Fewer than 5 closure orders granted in 2024 could be measured")
    assert "published only over 5 or more" in p.effect.sentence
    assert not re.search(r"\b3\b", p.effect.sentence)  # how many were measured is not said
    # nothing but that sentence: no counts, no displacement, no peak, none of the year's notes
    assert effect_lines(p) == [p.effect.sentence] and p.effect_notes == ()
    assert p.effect.used == 0 and p.effect.texts["relative"] == "not published (fewer than 5 orders)"
    assert p.effect_trend_text == "no comparison"  # 2023 is measured, 2024 is not: nothing to compare
    assert p.effect_previous is not None and p.effect_previous.relative == pytest.approx(-0.2)
    # the previous year's comparison with too few orders: the same words, for its own year
    before = PublishedEffectYear(2023, 4, None, ())
    q = publish(hand_release(effects=hand_effects(previous=before)), hand_scope(), below=5)
    assert q.effect.relative == pytest.approx(-0.444444, abs=1e-6) and q.effect_trend_text == "no comparison"
    assert q.effect_previous is not None
    assert q.effect_previous.sentence.startswith("Fewer than 5 closure orders granted in 2023 could be measured")
    # the sentence names the release's own minimum (NESTWATCH_MIN_ORDERS when the release was made)
    three = dataclasses.replace(
        hand_release(effects=hand_effects(now=PublishedEffectYear(2024, 2, None, ()))), min_orders=3
    )
    assert publish(three, hand_scope(), below=5).effect.sentence.startswith(
        "Fewer than 3 closure orders granted in 2024 could be measured, and the comparison around them is "
        "published only over 3 or more"
    )


def test_publish_at_another_threshold_and_without_an_earlier_period():
    ten = publish(hand_release(), hand_scope(), below=10)
    texts = {f.key: (f.now_text, f.previous_text, f.change_text) for f in ten.figures}
    assert texts["asb"] == ("≈ 120", "≈ 80", "+50%")  # 123 -> 120, 83 -> 80: 120/80 - 1
    assert texts["people_safeguarded"] == ("fewer than 10", "≈ 10", "not shown")
    assert texts["flagged_opened"] == ("≈ 1,010", "≈ 1,000", "+1%")  # 1005 rounds half up to 1010
    assert ten.areas["asb_text"].tolist() == ["≈ 120", "fewer than 10", "0", "≈ 10", "fewer than 10"]
    assert ten.monthly["asb_text"].tolist() == ["fewer than 10", "≈ 120"] and ten.threshold == 10
    assert ten.monthly["asb_previous_text"].tolist() == ["0", "≈ 80"]
    assert ten.suppression_note == suppression_note(below=10) and ten.effect.texts["ring_after"] == "≈ 30"
    assert ten.effect_previous is not None and ten.effect_previous.texts["treatment_after"] == "≈ 80"
    assert ten.effect.texts["used"] == ten.effect_previous.texts["used"] == "fewer than 10"  # 6 and 5 orders
    alone = publish(hand_release(), hand_scope(compared=False), below=5)
    texts = {f.key: (f.now_text, f.previous_text, f.change_text) for f in alone.figures}
    assert texts["asb"] == ("≈ 125", "no earlier data", "no comparison")
    assert {t[1:] for t in texts.values()} == {("no earlier data", "no comparison")}
    assert set(alone.areas["change_text"]) == {"no comparison"} and set(alone.areas["asb_previous_text"]) == {
        "no earlier data"
    }
    assert alone.monthly["asb_previous"].isna().all()
    # the closure comparison is per calendar year, not per period: it is there without an earlier period
    assert alone.effect_trend_text == "24 points better"


def test_quiet_addresses_are_read_only_from_the_month_the_release_can_tell_them():
    """``quiet_from`` 2024-02: 50 quiet at 2024-02's end; 2023-12 is before it, so no earlier figure."""
    p = publish(hand_release(quiet_from="2024-02"), hand_scope(), below=5)
    quiet = p.figure("quiet_addresses")
    assert (quiet.now_text, quiet.previous_text, quiet.change_text) == ("≈ 50", "no earlier data", "no comparison")


def test_the_evaluation_against_the_previous_year_in_words():
    from geo.publish.release import PublishedEffectYear
    from geo.stats.evaluate import Effect

    def trend(previous) -> str:
        return publish(hand_release(effects=hand_effects(previous=previous)), hand_scope(), below=5).effect_trend_text

    same = hand_effects()[2024]
    assert trend(PublishedEffectYear(2023, 6, same.effect, ())) == "no change"
    assert trend(PublishedEffectYear(2023, 5, Effect(5, 0, 3, 30, 40, 30, 200, 200), ())) == "not shown"
    assert trend(PublishedEffectYear(2023, 5, Effect(5, 0, 10, 7, 40, 30, 200, 200), ())) == "not shown"  # 10 + 5 < 20
    assert trend(False) == "no comparison"  # no order granted in 2023
    # 2023: (40/100) / (200/200) - 1 = -0.6; 2024 -0.4444: round(-44.44 + 60) = 16 points worse, a smaller fall
    worse = publish(
        hand_release(
            effects=hand_effects(previous=PublishedEffectYear(2023, 5, Effect(5, 0, 100, 40, 40, 30, 200, 200), ()))
        ),
        hand_scope(),
        below=5,
    )
    assert worse.effect_trend_text == "16 points worse"
    assert worse.effect_trend_words.endswith(
        "by -44% this time and by -60% then: 16 percentage points worse, a smaller fall."
    )
    assert trend(PublishedEffectYear(2023, 2, None, ())) == "no comparison"  # too few to publish


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
        "≈ 100",
        "≈ 50",
        "≈ 10",
        "fewer than 10",
    ]
    assert (p.texts["control_after"], p.texts["used"], p.shown.used, p.shown.skipped) == (
        "≈ 200",
        "fewer than 10",
        3,
        1,
    )
    assert p.relative == pytest.approx(-0.5)  # (50/100) / (200/200) - 1
    assert p.texts["skipped"] == (
        "Fewer than 10 orders granted in the period were left out: their 3 months before or after run outside "
        "the incident data."
    )
    assert "in the 3 months before them" in p.texts["peak"]


# --------------------------------------------------------------------------- what a change means, in words


def test_every_headline_has_a_meaning_and_a_rise_is_good_bad_or_neither():
    from geo.publish.published import MEANINGS

    assert set(MEANINGS) == set(FIGURES)
    assert {k: m.rise for k, m in MEANINGS.items()} == {
        "asb": "bad",  # fewer ASB reports is good news
        "people_safeguarded": "neutral",  # more protected, but also more who needed it
        "orders_secured": "good",
        "orders_active": "good",
        "flagged_opened": "neutral",  # more concern found, or more found out
        "flagged_resolved": "good",
        "quiet_addresses": "good",
    }
    assert "neither good nor bad" in MEANINGS["flagged_opened"].up


def test_each_figure_says_in_words_what_its_change_means():
    """By hand: 2,105 -> 1,915 is 1915/2105 - 1 = -0.0903, "fell 9%"; 25 -> 10 is 15 fewer (under 100: a count)."""
    from geo.publish.published import figure_words

    def words(key, now, before, now_text, before_text, *, compared=True):
        return figure_words(key, now=now, before=before, now_text=now_text, before_text=before_text, compared=compared)

    nan = float("nan")
    assert words("asb", 1915.0, 2105.0, "≈ 1,915", "≈ 2,105") == "ASB reports fell 9% — fewer reports, good news."
    assert words("asb", 2105.0, 1915.0, "≈ 2,105", "≈ 1,915") == (  # 2105/1915 - 1 = 0.0992
        "ASB reports rose 10% — more reports, bad news."
    )
    # none now, and fewer than 5 before: "No ...", never "None ..." or "0 ..."
    assert words("orders_active", 0.0, nan, "0", "fewer than 5") == (
        "No closure orders in force, against fewer than 5 in the previous period — fewer premises kept closed."
    )
    assert words("people_safeguarded", 10.0, 25.0, "≈ 10", "≈ 25") == (
        "About 15 fewer people safeguarded than the previous period — fewer people protected, because fewer "
        "needed it or fewer were reached."
    )
    # a suppressed side in words, and its direction is still known (under the threshold against 10 or more)
    assert words("flagged_opened", 10.0, nan, "≈ 10", "fewer than 5") == (
        "About 10 flagged addresses opened, against fewer than 5 in the previous period — more concern found, "
        "or more found out: neither good nor bad on its own."
    )
    assert words("people_safeguarded", nan, nan, "fewer than 5", "fewer than 5") == (
        "Fewer than 5 people safeguarded in both periods: too few to compare."
    )
    assert words("orders_active", 10.0, 0.0, "≈ 10", "0") == (
        "About 10 closure orders in force, up from none in the previous period — more premises kept closed."
    )
    assert words("flagged_resolved", 0.0, 20.0, "0", "≈ 20") == (
        "No flagged addresses resolved, down from about 20 in the previous period — fewer concerns closed."
    )
    assert words("flagged_resolved", 20.0, 20.0, "≈ 20", "≈ 20") == (
        "The same as the previous period, about 20 flagged addresses resolved."
    )
    assert words("asb", 125.0, nan, "≈ 125", "no earlier data", compared=False) == "No earlier period to compare with."
    assert (
        words("quiet_addresses", nan, nan, "not enough data", "no earlier data") == "Not enough data for this period."
    )


@pytest.mark.parametrize("key", list(FIGURES))
def test_no_sentence_holds_a_bracketed_label_a_mark_or_a_plus_zero(key):
    """Every pair of shown values a figure can have: words a person would write, and the tone follows the meaning."""
    from geo.publish.privacy import count_text
    from geo.publish.published import MEANINGS, _tone, figure_words

    values = [float("nan"), 0.0, 5.0, 10.0, 95.0, 100.0, 1000.0, 1005.0]
    for now in values:
        for before in values:
            text = figure_words(
                key, now=now, before=before, now_text=count_text(now), before_text=count_text(before), compared=True
            )
            assert "(" not in text and "≈" not in text and not re.search(r"(?<![0-9])0%", text), text
            assert text[0].isupper() and text.endswith("."), text
            tone = _tone(key, now, before)
            rise = MEANINGS[key].rise
            rose = (before == 0) if np.isnan(now) else (now > 0 if np.isnan(before) else now > before)
            fell = (before > 0) if np.isnan(now) else (now == 0 if np.isnan(before) else now < before)
            if (np.isnan(now) and np.isnan(before)) or not (rose or fell):
                assert tone == "none", (now, before)
            elif rise == "neutral":
                assert tone == "neutral"
            else:
                assert tone == ("good" if rose == (rise == "good") else "bad"), (now, before, tone)


def test_the_hand_figures_carry_their_tones():
    # asb 85 -> 125 rose: bad; people fewer than 5 against 10: neutral; orders in force 0 -> 10: good;
    # flagged opened 1,000 -> 1,005: neutral; resolved 20 -> 20: no change; quiet: no earlier data
    p = publish(hand_release(), hand_scope(), below=5)
    assert {f.key: f.tone for f in p.figures} == {
        "asb": "bad",
        "people_safeguarded": "neutral",
        "orders_secured": "none",
        "orders_active": "good",
        "flagged_opened": "neutral",
        "flagged_resolved": "none",
        "quiet_addresses": "none",
    }
    assert p.figure("asb").words == (  # 125 - 85
        "About 40 more ASB reports than the previous period — more reports, bad news."
    )
    alone = publish(hand_release(), hand_scope(compared=False), below=5)
    assert {f.tone for f in alone.figures} == {"none"}
