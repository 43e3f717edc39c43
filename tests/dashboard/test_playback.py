"""The month-by-month layer: one fixed scale, a compact payload, every text escaped (rendered HTML, no browser).

Fixtures are two unit squares and three months, small enough to work every value by hand.
"""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from dashboard import playback
from dashboard.map_layers import js_literal

WORDS = {**playback.PLAYER_WORDS, "area": "Ward"}
NAN = float("nan")


def squares(names=("West", "East")) -> gpd.GeoDataFrame:
    """Two 0.01° squares side by side near Hull: West (0..0.01 E), East (0.01..0.02 E), 53.70..53.71 N."""
    return gpd.GeoDataFrame(
        {"name": list(names)}, geometry=[box(0.0, 53.70, 0.01, 53.71), box(0.01, 53.70, 0.02, 53.71)], crs=4326
    )


# --------------------------------------------------------------------------- the fixed scale


def test_the_scale_is_fixed_across_months_in_multiples_of_the_rounding_base():
    # every month's shown values: the top is 45; 45 / 4 classes = 11.25, up to a multiple of 5: 15 wide
    values = np.array([[0, 5, 10], [45, NAN, 20]], dtype=float)
    assert playback.fixed_scale(values, step=5) == [15, 30, 45]
    # a top of 100 over 4 classes: 25 wide, 4 classes
    assert playback.fixed_scale(np.array([100.0, 5.0]), step=5) == [25, 50, 75, 100]
    # a top of 5: one class of width 5 (never narrower than the rounding base)
    assert playback.fixed_scale(np.array([5.0, 0.0]), step=5) == [5]
    # nothing above zero shown (zeros and hidden only): no classes
    assert playback.fixed_scale(np.array([0.0, NAN]), step=5) == []
    assert playback.fixed_scale(np.array([], dtype=float), step=5) == []


@pytest.mark.parametrize(
    ("value", "cls"),
    [(NAN, -1), (0.0, 0), (5.0, 1), (15.0, 1), (20.0, 2), (30.0, 2), (35.0, 3), (45.0, 3), (50.0, 3)],
)
def test_each_value_falls_in_the_first_class_whose_bound_holds_it(value, cls):
    assert playback.class_of(value, [15, 30, 45]) == cls


def test_the_legend_states_the_scale_zero_and_the_hidden_grey():
    rows = playback.scale_legend([15, 30, 45], step=5, hidden="fewer than 5")
    assert [r[0] for r in rows] == ["0", "5–15", "20–30", "35–45", "not shown (fewer than 5)"]
    assert [r[1] for r in rows] == [playback.ZERO_COLOUR, *playback.PALETTE[:3], playback.HIDDEN_COLOUR]
    # a class one value wide is named by its value, and thousands get a separator
    assert [r[0] for r in playback.scale_legend([5, 1000], step=5, hidden="x")][1:3] == ["5", "10–1,000"]


# --------------------------------------------------------------------------- the payload


def payload(names=("West", "East"), **kw):
    # West: 0, 5, hidden; East: 45, 20, 0 (shown values; hidden as NaN) -> bounds [15, 30, 45] (above)
    shown = np.array([[0, 5, NAN], [45, 20, 0]], dtype=float)
    texts = [["0", "5", "fewer than 5"], ["45", "20", "0"]]
    return playback.playback_payload(
        squares(names),
        months=["2026-01", "2026-02", "2026-03"],
        month_words=["Jan 2026", "Feb 2026", "Mar 2026"],
        shown=shown,
        texts=texts,
        bounds=[15, 30, 45],
        words=WORDS,
        **kw,
    )


def test_one_small_array_per_month_indexing_a_dictionary_of_text_and_colour():
    p = payload()
    # colour index: 0 hidden, 1 zero, 2.. the classes; distinct (text, class) in first-seen order, month by month:
    # Jan: West "0" (zero) -> 0, East "45" (class 3) -> 1; Feb: "5" (class 1) -> 2, "20" (class 2) -> 3;
    # Mar: "fewer than 5" (hidden) -> 4, East "0" -> 0 again
    assert p["values"] == [["0", 1], ["45", 4], ["5", 2], ["20", 3], ["fewer than 5", 0]]
    assert p["frames"] == [[0, 1], [2, 3], [4, 0]]
    palette = p["palette"]
    assert palette[0] == playback.HIDDEN_COLOUR and palette[1] == playback.ZERO_COLOUR
    assert palette[2:] == list(playback.PALETTE[:3])
    assert p["months"] == ["2026-01", "2026-02", "2026-03"] and p["monthWords"][2] == "Mar 2026"
    assert p["start"] == 2  # opens on the latest month
    assert p["names"] == ["West", "East"] and p["labels"] is True


def test_outlines_are_lat_lng_rings_sent_once_and_labels_sit_inside_each_area():
    p = payload()
    [[west_ring]] = p["shapes"][0]  # one polygon, one ring, flat [lat, lng, lat, lng, ...]
    pairs = list(zip(west_ring[::2], west_ring[1::2], strict=True))
    assert {(53.7, 0.0), (53.71, 0.0), (53.71, 0.01), (53.7, 0.01)} == set(pairs)
    lat, lng = p["at"][0]
    assert 53.70 < lat < 53.71 and 0.0 < lng < 0.01
    m = folium.Map(location=[53.7, 0.01], zoom_start=12, tiles=None)
    playback.add_playback(m, p)
    html = m.get_root().render()
    # the East square's corner 0.02 appears in the outlines only once: months never repeat geometry
    assert len(re.findall(r"53\.71,0\.02\b", html)) == 1


def test_areas_in_british_national_grid_are_sent_in_degrees():
    bng = squares().to_crs(27700)
    p = playback.playback_payload(
        bng,
        months=["2026-01"],
        month_words=["Jan 2026"],
        shown=np.array([[0.0], [5.0]]),
        texts=[["0"], ["5"]],
        bounds=[5],
        words=WORDS,
    )
    ring = p["shapes"][1][0][0]
    assert all(53.69 < v < 53.72 for v in ring[::2]) and all(0.0 < v < 0.03 for v in ring[1::2])


def test_a_shown_array_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="areas × months"):
        playback.playback_payload(
            squares(), months=["2026-01"], month_words=["x"], shown=np.zeros((2, 2)), texts=[], bounds=[], words=WORDS
        )


def test_no_labels_over_the_limit_and_on_request():
    assert payload(labels=False)["labels"] is False
    many = gpd.GeoDataFrame(
        {"name": [f"w{i}" for i in range(playback.MAX_LABELS + 1)]},
        geometry=[box(i * 0.01, 53.7, i * 0.01 + 0.01, 53.71) for i in range(playback.MAX_LABELS + 1)],
        crs=4326,
    )
    n = len(many)
    p = playback.playback_payload(
        many, months=["2026-01"], month_words=["x"], shown=np.zeros((n, 1)), texts=[["0"]] * n, bounds=[], words=WORDS
    )
    assert p["labels"] is False
    m = folium.Map(tiles=None)
    playback.add_area_labels(m, many)
    assert "nwLabels(" not in m.get_root().render()


def test_month_words_name_the_month_and_year():
    assert playback.month_words(["2025-12", "2026-01"]) == ["Dec 2025", "Jan 2026"]


# --------------------------------------------------------------------------- safe text

HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "back`tick", "back\\slash </script>", "{{ 7*7 }}"]


def test_hostile_names_counts_and_words_reach_the_page_only_as_escaped_text():
    names = (HOSTILE[0], HOSTILE[4])
    shown = np.array([[5.0], [0.0]])
    p = playback.playback_payload(
        squares(names),
        months=["2026-01"],
        month_words=[HOSTILE[1]],
        shown=shown,
        texts=[[HOSTILE[2]], [HOSTILE[3]]],
        bounds=[5],
        words={**WORDS, "play": "<b>Play</b>", "count": "${x}"},
    )
    m = folium.Map(tiles=None)
    playback.add_playback(m, p)
    playback.add_area_labels(m, squares(names))
    html = m.get_root().render()
    for raw in ("<img src=x", "${alert", "back`tick", "</script><", "{{ 7*7 }}", "<b>Play", "${x}"):
        assert raw not in html, raw
    assert "\\u007b{ 7*7 }}" in html  # the brace that opens the tag went in escaped: no template ran it
    # the payload is in the page exactly as js_literal wrote it: JSON that gives the texts back unchanged
    assert js_literal(p) in html
    assert json.loads(js_literal(p))["names"] == list(names)
    script = html[html.index("NestwatchPlayback") if "NestwatchPlayback" in html else 0 :]
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and ".html(" not in script


def test_the_player_has_play_pause_stepper_slider_and_a_month_label():
    m = folium.Map(tiles=None)
    playback.add_playback(m, payload())
    html = m.get_root().render()
    for hook in ('button("previous"', 'button("play"', 'button("next"', '"slider"', '"month"', "setInterval"):
        assert hook in html, hook
    assert "clearInterval" in html  # pause stops the timer
