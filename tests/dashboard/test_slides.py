"""Slides for a partnership day: what each screen says is what the published pack says, safely laid out.

Built from the hand-made release of tests/publish/test_published.py (its figures are worked there),
with four square wards drawn here, so the map slide has outlines to shade.
"""

from __future__ import annotations

import dataclasses
import html
import re

import geopandas as gpd
import pytest
from shapely.geometry import box

from dashboard.slides import SLIDE_TONES, map_svg, slides, slides_html
from geo.core.schema import WGS84
from geo.plan.outcomes import FIGURES
from geo.publish.report import DEMO_BANNER, effect_lines, figure_rows
from tests.publish.test_published import hand_release, hand_scope

HOSTILE = "<img src=x onerror=alert(1)>${alert(1)}`\\"


@pytest.fixture
def pack():
    from geo.publish.published import publish

    wards = gpd.GeoDataFrame(
        {"layer": ["ward"] * 4, "code": ["W1", "W2", "W3", "W4"], "name": ["a", "b", "c", "d"]},
        geometry=[
            box(-1.52, 52.40, -1.51, 52.41),
            box(-1.51, 52.40, -1.50, 52.41),
            box(-1.52, 52.41, -1.51, 52.42),
            box(-1.51, 52.41, -1.50, 52.42),
        ],
        crs=WGS84,
    )
    p = publish(hand_release(), hand_scope(), below=5)
    return dataclasses.replace(p, boundaries=wards)


def test_one_headline_per_screen_in_the_order_of_the_pack(pack):
    shown = slides(pack)
    assert [s.headline for s in shown] == [
        "What the partnership achieved: Whole town",
        *FIGURES.values(),
        "Around the closure orders",
        "ASB by ward: change on the previous period",
        "How these figures are made",
    ]
    # each figure's slide: the report pack's own "this period" text, its words, its previous period
    rows = {key: row for key, *row in figure_rows(pack)}
    for s in shown[1:8]:
        f = pack.figure(s.key)
        assert s.big == rows[s.key][1] == f.now_text
        assert s.lines == (f.words, f"Previous period: {f.previous_text}.") and s.tone == f.tone
    asb = shown[1]
    # 85 -> 125 (hand release): a rise in ASB, bad news, the arrow up
    assert (asb.big, asb.change, asb.tone, asb.arrow) == ("≈ 125", "+47% · bad news", "bad", "up")
    assert shown[8].lines[0] == effect_lines(pack)[0] and pack.effect_trend_words in shown[8].lines


def test_the_page_is_self_contained_escaped_and_keyboard_driven(pack):
    hostile = dataclasses.replace(
        pack,
        area_name=HOSTILE,
        boundaries=pack.boundaries.assign(name=[HOSTILE, "b", "c", "d"]),
        sources=(HOSTILE,),
    )
    page = slides_html(hostile)
    assert "<img" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    escaped = html.escape(f"What the partnership achieved: {HOSTILE}", quote=True)
    assert escaped.replace("`", "&#96;").replace("$", "&#36;") in page
    assert "${alert" not in page and "`" not in page.split("<script>")[0]
    # nothing fetched from anywhere: no URL, no src or href attribute
    plain = slides_html(pack)
    assert not re.search(r"https?://", plain) and not re.search(r"\s(src|href)=", plain)
    script = page.split("<script>")[1]
    for key in ("'ArrowRight'", "'ArrowLeft'", "'PageDown'", "'PageUp'", "' '", "'Home'", "'End'"):
        assert key in script, key
    assert page.count('<section class="slide') == len(slides(pack)) == 11


def test_large_type_and_a_high_contrast_theme(pack):
    page = slides_html(pack)
    css = page.split("<style>")[1].split("</style>")[0]
    assert "background:#000;color:#fff" in css
    # headlines and lines at least 32 px (twice a 16 px body) at any width, the figure far larger
    for rule in ("h1{font-size:clamp(36px", ".line{font-size:clamp(32px", ".big{font-size:clamp(72px"):
        assert rule in css, rule
    assert f'style="color:{SLIDE_TONES["bad"]}"' in page  # ASB rose: the change in the bad-news colour


def test_the_synthetic_banner_is_small_at_the_bottom_only_for_demo_data(pack):
    assert DEMO_BANNER not in slides_html(pack).split("<footer>")[1]
    demo = slides_html(dataclasses.replace(pack, demo=True))
    assert f'<span class="demo">{html.escape(DEMO_BANNER)}</span>' in demo.split("<footer>")[1]
    assert "footer{position:absolute;left:0;right:0;bottom:0;height:2.2rem" in demo and "font-size:14px" in demo


def test_the_map_slide_shades_every_ward_and_names_it_with_its_published_count(pack):
    svg = map_svg(pack, "ward")
    assert svg.count("<path ") == 4
    # W1: 80 -> 125, +56 %: "rose 25% or more"; its label is its name and its published count
    assert '<tspan x="' in svg and ">a</tspan>" in svg and ">≈ 125 · +56%</tspan>" in svg
    assert 'fill="#b71c1c"' in svg
    # the squares keep their shape: 0.01 deg of longitude at 52.41 N is 0.61 of 0.01 deg of latitude
    xs = [float(x) for x in re.findall(r"M([0-9.]+),", svg)]
    assert xs and max(xs) < 1600
