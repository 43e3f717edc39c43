"""Outcomes page glue: how a figure's change is coloured and worded, and the map's fills.

Which way is good news is :data:`geo.publish.published.MEANINGS`; these tests pin that the
page follows it (a fall in people safeguarded is grey, not red) with figures written by hand.
"""

from __future__ import annotations

import math

import pytest

from dashboard.outcomes import MAP_LEGEND, change_colour, delta_of
from geo.publish.published import PublishedFigure

NAN = math.nan


def figure(key: str, now: float, before: float, texts: str, tone: str) -> PublishedFigure:
    """``texts``: this period, the previous one and the change, as printed, joined by ``|``."""
    now_text, before_text, change_text = texts.split("|")
    return PublishedFigure(key, key, now, before, now_text, before_text, NAN, change_text, "", tone)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("f", "text", "colour", "arrow"),
    [
        # ASB 2,105 -> 1,915: down, and good news: green with the arrow pointing down
        (figure("asb", 1915, 2105, "≈ 1,915|≈ 2,105|-9%", "good"), "-9% · good news", "green", "down"),
        (figure("asb", 2105, 1915, "≈ 2,105|≈ 1,915|+10%", "bad"), "+10% · bad news", "red", "up"),
        # people safeguarded 25 -> 10: a fall that is neither good nor bad, grey (the red -60 %)
        (
            figure("people_safeguarded", 10, 25, "≈ 10|≈ 25|-60%", "neutral"),
            "-60% · neither good nor bad",
            "gray",
            "down",
        ),
        # flagged addresses 0 -> 10 ("up from 0"): the green +100 %, now grey
        (
            figure("flagged_opened", 10, 0, "≈ 10|0|up from 0", "neutral"),
            "up from 0 · neither good nor bad",
            "gray",
            "up",
        ),
        # a hidden side: no percentage, but the direction is known (fewer than 5 against 10)
        (
            figure("flagged_resolved", NAN, 10, "fewer than 5|≈ 10|not shown", "bad"),
            "down · bad news",
            "red",
            "down",
        ),
        (
            figure("orders_active", 10, NAN, "≈ 10|fewer than 5|not shown", "good"),
            "up · good news",
            "green",
            "up",
        ),
        (figure("flagged_resolved", 0, NAN, "0|fewer than 5|not shown", "bad"), "down · bad news", "red", "down"),
    ],
)
def test_the_delta_reads_and_is_coloured_as_its_meaning(f, text, colour, arrow):
    d = delta_of(f)
    assert (d.text, d.colour, d.arrow) == (text, colour, arrow)


@pytest.mark.parametrize("change_text", ["no change", "no comparison"])
def test_nothing_to_read_has_no_delta(change_text):
    d = delta_of(figure("asb", 20, 20, f"≈ 20|≈ 20|{change_text}", "none"))
    assert (d.text, d.colour, d.arrow) == (None, "off", "off")


def test_the_map_fills_are_the_legend_s():
    fills = [change_colour(c) for c in (-0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.9, NAN)]
    legend = dict((c, t) for t, c in MAP_LEGEND)
    # -50 % and -25 % are "fell 25 % or more"; -10 % "fell"; 0 "no change"; +10 % "rose"; +25 %, +90 % "25 % or more"
    assert [legend[f] for f in fills] == [
        "ASB fell 25% or more",
        "ASB fell 25% or more",
        "ASB fell",
        "no change",
        "ASB rose",
        "ASB rose 25% or more",
        "ASB rose 25% or more",
        "not shown (small numbers) or no comparison",
    ]


def _square(x: float, y: float):
    from shapely.geometry import box

    return box(x, y, x + 1, y + 1)


def test_the_map_opens_on_the_chosen_area_else_on_the_areas_with_asb():
    from types import SimpleNamespace

    import geopandas as gpd

    from dashboard.outcomes import map_bounds

    # two towns' wards: A and B near 0°, C far away at 10°E with no ASB in the period
    boundaries = gpd.GeoDataFrame(
        {"layer": ["ward"] * 3, "code": ["A", "B", "C"], "name": ["a", "b", "c"]},
        geometry=[_square(0, 50), _square(1, 50), _square(10, 55)],
        crs="EPSG:4326",
    )
    outlines = boundaries.assign(asb_text=["≈ 25", "fewer than 5", "0"])
    town = SimpleNamespace(area=None, boundaries=boundaries)
    assert map_bounds(town, outlines) == (0.0, 50.0, 2.0, 51.0)  # C (no ASB) is left out of the fit
    ward_b = SimpleNamespace(area="B", boundaries=boundaries)
    assert map_bounds(ward_b, outlines) == (1.0, 50.0, 2.0, 51.0)  # the chosen ward alone
    quiet = outlines.assign(asb_text=["0", "0", "0"])
    assert map_bounds(town, quiet) == (0.0, 50.0, 11.0, 56.0)  # nothing anywhere: every outline


def test_the_period_opens_on_the_chosen_area_s_own_latest_months(monkeypatch):
    from types import SimpleNamespace

    import pandas as pd

    from dashboard import outcomes, results

    cells = pd.DataFrame(
        {
            "measure": ["incidents"] * 4 + ["people_safeguarded"],
            "layer": ["ward"] * 5,
            "area": ["A", "A", "A", "B", "B"],
            "month": ["2024-01", "2024-02", "2024-03", "2025-06", "2025-07"],
            "category": ["Anti-social behaviour"] * 5,
            "value": [3, 4, 0, 6, 2],  # A's 2024-03 was published as 0: no data that month
        }
    )
    monkeypatch.setattr(results, "version", lambda: ("test://outcomes", "v-hand"))
    monkeypatch.setattr(results, "release", lambda: SimpleNamespace(cells=cells))
    assert outcomes.area_months("A") == ["2024-01", "2024-02"]
    assert outcomes.area_months("B") == ["2025-06"]  # victims' months are not incident months
    assert outcomes.area_months("") == ["2024-01", "2024-02", "2025-06"]
