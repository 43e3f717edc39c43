"""dashboard.trends: year-on-year, the month-by-month map, "my ward" links, fitting, texts without decimals.

Every expected count is the presentation label of the release's cells added up here with pandas
(not through the code's own totals); months and codes are worked by hand.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard import trends
from dashboard.view import View
from geo.core.errors import OptionError
from geo.publish.areas import NO_COMPARISON, NO_EARLIER_DATA, change_to_text
from geo.publish.privacy import suppress, suppress_labels
from geo.publish.release import Release
from geo.stats.aggregate import month_range

ASB = "Anti-social behaviour"


@pytest.fixture
def demo(demo_town, monkeypatch):
    monkeypatch.setenv("NESTWATCH_DB", str(demo_town))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    return demo_town


def sums(release: Release, layer: str, months: list[str]) -> pd.Series:
    """ASB per area code of ``layer`` over ``months``: the released cells added up here."""
    c = release.cells
    rows = c[(c["measure"] == "incidents") & (c["layer"] == layer) & c["month"].isin(months) & (c["category"] == ASB)]
    codes = release.areas.loc[release.areas["layer"] == layer, "code"]
    return rows.groupby("area")["value"].sum().reindex(codes, fill_value=0)


def test_a_year_earlier_is_the_same_months_twelve_back_across_the_new_year():
    assert trends.year_earlier(["2025-11", "2025-12", "2026-01"]) == ["2024-11", "2024-12", "2025-01"]
    assert trends.year_earlier(("2026-03",)) == ["2025-03"]


def test_year_on_year_compares_a_quarter_with_the_same_quarter_a_year_before(demo, release):
    # 2026-08..2026-10 against 2025-08..2025-10 (not against 2026-05..2026-07, the months just before)
    view = View(month_from="2026-08", month_to="2026-10", categories=(ASB,))
    table = trends.area_table(view, compare="year").set_index("code")
    now = sums(release, "ward", ["2026-08", "2026-09", "2026-10"])
    before = sums(release, "ward", ["2025-08", "2025-09", "2025-10"])
    just_before = sums(release, "ward", ["2026-05", "2026-06", "2026-07"])
    assert table["shown_now"].to_dict() == dict(zip(now.index, suppress_labels(now.to_numpy()), strict=True))
    assert table["shown_before"].to_dict() == dict(zip(before.index, suppress_labels(before.to_numpy()), strict=True))
    for code, row in table.iterrows():
        a, b = suppress([now[code]])[0], suppress([before[code]])[0]
        change = a / b - 1 if np.isfinite(a) and np.isfinite(b) and b > 0 else float("nan")
        assert row["change_text"] == change_to_text(change, a, b, compared=True), code
    # the check can fail: the year before differs from the months just before for some ward
    assert (suppress(before.to_numpy()) != suppress(just_before.to_numpy())).any()
    previous = trends.area_table(view).set_index("code")
    assert (previous["shown_before"] != table["shown_before"]).any()


def test_year_on_year_without_a_year_of_earlier_months_says_there_is_no_comparison(demo):
    # the demo starts 2023-11: 2024-02..2024-04 a year earlier is 2023-02..2023-04, before any data
    view = View(month_from="2024-02", month_to="2024-04", categories=(ASB,))
    table = trends.area_table(view, compare="year")
    assert set(table["shown_before"]) == {NO_EARLIER_DATA} and set(table["change_text"]) == {NO_COMPARISON}
    # while the previous period (2023-11..2024-01) is stored
    assert NO_COMPARISON not in set(trends.area_table(view)["change_text"])


def test_an_unknown_comparison_is_an_option_error(demo):
    view = View(month_from="2026-08", month_to="2026-10", categories=(ASB,))
    with pytest.raises(OptionError, match="compare must be one of previous, year"):
        trends.area_table(view, compare="decade")


def test_the_shown_table_names_its_comparison_and_leaves_a_place_for_rates():
    table = pd.DataFrame(
        {
            "code": ["A", "B"],
            "name": ["Alpha", "Beta"],
            "change": [0.5, -0.5],
            "shown_now": ["15", "5"],
            "shown_before": ["10", "10"],
            "change_text": ["+50%", "-50%"],
        }
    )
    plain = trends.shown_table(table, area_word="ward")
    assert list(plain.columns) == ["ward", "incidents", "previous period", "change"]
    assert list(plain["ward"]) == ["Beta", "Alpha"]  # biggest fall first
    year = trends.shown_table(table, area_word="ward", compare="year")
    assert list(year.columns) == ["ward", "incidents", "a year earlier", "change"]
    rated = trends.shown_table(table, area_word="ward", rates=pd.Series({"A": "3.1"}))
    assert list(rated.columns) == ["ward", "incidents", "per 1,000 residents", "previous period", "change"]
    assert list(rated["per 1,000 residents"]) == ["not shown", "3.1"]  # Beta has none
    assert trends.rates(View(month_from="2026-08", month_to="2026-10", categories=None), table) is None


def test_area_codes_from_a_link_known_in_order_unknown_apart():
    names = pd.Series({"E05000001": "Ashley", "E05000002": "Bedminster"})
    assert trends.areas_from_url("E05000002", names) == (["E05000002"], [])
    assert trends.areas_from_url(" E05000002 ,E05000001,E05000002,NOPE,,", names) == (
        ["E05000002", "E05000001"],
        ["NOPE"],
    )
    assert trends.areas_from_url("e05000001", names) == ([], ["e05000001"])  # codes are upper case
    assert trends.areas_from_url(None, names) == ([], [])
    assert trends.areas_from_url("", names) == ([], [])


def test_the_note_on_unknown_codes_repeats_only_what_looks_like_a_code():
    note = trends.unknown_codes_note
    assert note(["E05999999"], area_word="ward") == (
        "The link asked for E05999999: no ward here has that code, so it was left out."
    )
    assert note(["A1", "![](https://x.test/i.png)"], area_word="estate").startswith("The link asked for A1 and 1 more:")
    assert note([":red[x]", "**b**"], area_word="ward").startswith("The link asked for 2 codes:")
    seven = [f"C{i}" for i in range(7)]  # five named, two counted
    assert note(seven, area_word="ward").startswith("The link asked for C0, C1, C2, C3, C4 and 2 more:")


def payload_of(html: str) -> dict:
    """The playback layer's payload as the page holds it (the script's ``var d = …;`` with ``frames``)."""
    decoder = json.JSONDecoder()
    for at in (m.end() for m in re.finditer(r"var d = ", html)):
        d = decoder.raw_decode(html[at:])[0]
        if "frames" in d:
            return d
    raise AssertionError("no playback payload in the page")


def test_the_month_by_month_map_carries_each_month_s_published_count_on_one_scale(demo, release):
    view = View(month_from="2026-05", month_to="2026-10", categories=(ASB,))
    html = trends.playback_map(view).get_root().render()
    p = payload_of(html)
    months = month_range("2026-05", "2026-10")
    assert p["months"] == months and p["monthWords"][0] == "May 2026" and p["start"] == 5
    wards = release.areas[release.areas["layer"] == "ward"].set_index("code")["name"]
    assert sorted(p["names"]) == sorted(wards)
    code_of = {name: code for code, name in wards.items()}
    every = []
    for k, month in enumerate(months):
        per = sums(release, "ward", [month])
        labels = dict(zip(per.index, suppress_labels(per.to_numpy()), strict=True))
        got = {code_of[n]: p["values"][p["frames"][k][i]][0] for i, n in enumerate(p["names"])}
        assert got == labels, month
        every.extend(suppress(per.to_numpy()))
    # one scale for all months: its top class holds the largest shown monthly count of any ward
    top = max(v for v in every if np.isfinite(v))
    legend = re.findall(r"(\d[\d,]*)\\u2013(\d[\d,]*)", html)
    assert legend and int(legend[-1][1].replace(",", "")) >= top
    assert "one scale for every month" in html
    # no exact count of a ward-month went in: every shown value is a label of the presentation rule
    assert all(re.fullmatch(r"(≈ )?[\d,]*[05]|fewer than \d+", v[0]) for v in p["values"])


def test_the_change_map_names_the_comparison_and_puts_ward_names_on_the_map(demo):
    view = View(month_from="2026-08", month_to="2026-10", categories=(ASB,))
    table = trends.area_table(view, compare="year")
    html = trends.choropleth(view, table, value="change", compare="year").get_root().render()
    assert json.dumps("Change on the same months a year earlier")[1:-1] in html
    assert "nwLabels(" in html and "St Anne\\u0027s (synthetic)" in html  # escaped, as text


def test_maps_open_on_the_areas_with_data_not_every_stored_boundary(demo, monkeypatch):
    from dashboard import results

    def exact_bounds(view):  # the exact hexagon box: it must never decide a published map's view
        raise AssertionError("Trends fitted its map to the hexagons holding incidents (exact data)")

    monkeypatch.setattr(results, "data_bounds", exact_bounds)
    areas = gpd.GeoDataFrame(
        {"name": ["town", "far away"]}, geometry=[box(0.0, 53.7, 0.1, 53.8), box(2.5, 51.4, 2.6, 51.5)], crs=4326
    )
    view = View(month_from="2026-08", month_to="2026-10", categories=(ASB,))
    assert trends._fit(view, areas, np.array([True, False])) == (0.0, 53.7, 0.1, 53.8)
    assert trends._fit(view, areas, np.array([False, False])) == (0.0, 51.4, 2.6, 53.8)  # none: all of them
    assert trends._fit(view, areas, np.array([True, True])) == (0.0, 51.4, 2.6, 53.8)


def test_one_incident_s_hexagon_never_decides_where_the_cabinet_s_map_opens(demo, monkeypatch):
    """One month, one rare category, the smallest hexagons: the map opens on ward outlines, not on a hexagon."""
    from dashboard import results

    monkeypatch.setattr(results, "data_bounds", lambda view: (0.9619, 53.9446, 0.9639, 53.9459))  # one hexagon
    view = View(month_from="2024-05", month_to="2024-05", categories=("Bicycle theft",), res=10)
    table = trends.area_table(view)
    outlines = results.boundaries(view.layer)
    for figure in (trends.choropleth(view, table, value="change"), trends.playback_map(view)):
        html = figure.get_root().render()
        assert "0.9619" not in html and "53.9446" not in html
        west, south, east, north = outlines.total_bounds
        # the fit is the union of ward outlines (those with published data, or all): it spans at least a ward
        boxes = re.findall(r"fitBounds\(\s*\[\[([-\d.]+),\s*([-\d.]+)\],\s*\[([-\d.]+),\s*([-\d.]+)\]\]", html)
        assert boxes, "no fitBounds in the map"
        lat1, lng1, lat2, lng2 = (float(v) for v in boxes[0])
        assert south - 1e-6 <= lat1 < lat2 <= north + 1e-6 and west - 1e-6 <= lng1 < lng2 <= east + 1e-6
        assert (lat2 - lat1) > 0.005 and (lng2 - lng1) > 0.005  # wider than any hexagon of size 10 (~0.0015°)


def test_the_chart_s_texts_are_published_words_and_the_town_average_has_no_decimals(demo):
    series = trends.monthly_by_area(View(month_from="2026-05", month_to="2026-10", categories=(ASB,)))
    town = series[series["area"] == trends.TOWN]
    assert len(town) == 6 and all(re.fullmatch(r"≈ [\d,]+ \(average of the shown counts\)", t) for t in town["shown"])
    wards = series[series["area"] != trends.TOWN]
    assert all(re.fullmatch(r"(≈ )?[\d,]+|fewer than \d+", t) for t in wards["shown"])
    assert not any(re.search(r"\d\.\d", t) for t in series["shown"])


@pytest.mark.parametrize(
    ("d", "text"), [(float("nan"), "not shown"), (3.14159, "3.1 per km²"), (1234.5, "1,234 per km²")]
)
def test_densities_from_rounded_counts_carry_no_false_precision(d, text):
    assert trends._density_text(d) == text
