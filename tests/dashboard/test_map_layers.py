"""Map layers as the page gets them: text is never a template, built layers are plain values, outlines are lean.

Asserted on rendered HTML (no browser). The template cases: branca compiles
the rendered script of a MacroElement as a Jinja template and renders it again,
so a ``{{ … }}`` in an address used to run on the server. ``RAN`` is what each
hostile text below would print if Jinja evaluated it.
"""

from __future__ import annotations

import json
import pickle
import re

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from dashboard import map_layers, maps

RAN = "nwran"
TEMPLATES = [
    '{{ "nw" ~ "ran" }}',
    '{% if true %}{{ "nw" ~ "ran" }}{% endif %}',
    "{#- a comment -#}{{ cycler.__init__.__globals__ }}",
    "{{{ '{' }}}",
    "a {% raw %}{{ x }}{% endraw %} b",
]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NESTWATCH_TILES", "none")
    monkeypatch.delenv("NESTWATCH_STATIC_URL", raising=False)


def payloads(html: str) -> list:
    return [json.loads(p) for p in re.findall(r"^\s*var d = (.*);$", html, re.MULTILINE)]


def cells(n: int) -> list[str]:
    return sorted(h3.grid_disk(h3.latlng_to_cell(51.45, -2.59, 9), 2))[:n]


def test_no_text_on_any_layer_is_run_as_a_template() -> None:
    n = len(TEMPLATES)
    frame = pd.DataFrame({"cell": cells(n), "colour": "#b2182b", "label": TEMPLATES})
    area = box(-2.60, 51.44, -2.58, 51.46)
    outlines = pd.DataFrame({"name": TEMPLATES})
    import geopandas as gpd

    wards = gpd.GeoDataFrame(outlines, geometry=[area] * n, crs=4326)
    points = pd.DataFrame({"lat": 51.45 + np.arange(n) * 1e-4, "lng": -2.59, "address": TEMPLATES})
    m = maps.base_map()
    maps.add_hexes(m, frame, tooltip=("label",), name=TEMPLATES[0])
    maps.add_boundaries(m, wards, name=TEMPLATES[1], labels=True)  # the names written on the map too
    maps.add_route(m, points.assign(visit=range(1, n + 1), place=TEMPLATES), tooltip=("place",), name=TEMPLATES[4])
    maps.add_points(m, points, name=TEMPLATES[2], tooltip=("address",))
    maps.add_points(m, points, name=TEMPLATES[3], tooltip=("address",), cluster_over=2)
    maps.add_shaded_areas(m, [area] * n, ["#cc0000"] * n, {"t": (TEMPLATES[4], TEMPLATES)}, name=TEMPLATES[0])
    maps.add_legend(m, [(t, "#cc0000") for t in TEMPLATES], title=TEMPLATES[1])
    maps.add_layer_control(m)
    html = maps.map_html(m)
    assert RAN not in html  # nothing evaluated: a template would print it
    assert "<function" not in html and "<built-in" not in html  # nor reached into Python
    # our own layers carry each text back exactly, as the browser decodes it
    decoded = json.dumps(payloads(html), ensure_ascii=False)
    for text in TEMPLATES:
        assert json.dumps(text, ensure_ascii=False)[1:-1] in decoded
    # no Jinja tag opens anywhere in the page, folium's own GeoJson and layer control included
    assert not re.search(r"\{[{%#]", html)


def test_a_layer_script_reaches_the_page_as_it_is_even_unescaped() -> None:
    """The second defence on its own: a macro's output is not compiled again (here a raw ``{{`` in the payload)."""
    m = maps.base_map()
    raw = '{"title": "{{ \\"nw\\" ~ \\"ran\\" }}", "items": []}'  # not through js_literal
    map_layers._Legend(raw).add_to(m)
    html = maps.map_html(m)
    assert raw in html and RAN not in html


def test_js_literal_leaves_no_jinja_opening() -> None:
    for text in [*TEMPLATES, "{", "{{", "{{{{", "}}", "{%", "{#", "x{", '{"a":{"b":1}}']:
        literal = map_layers.js_literal({"k": [text], "n": {"m": {}}})
        assert json.loads(literal) == {"k": [text], "n": {"m": {}}}
        assert not re.search(r"\{[{%#]", literal)


def test_html_text_escapes_braces_and_script_characters() -> None:
    # & < > " ' as html.escape; then ` $ \ { } as numeric references (worked by hand)
    assert (
        map_layers._html_text("<a href='x'>&`${}\\") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&#96;&#36;&#123;&#125;&#92;"
    )


def test_a_built_layer_is_a_plain_value_that_draws_the_same() -> None:
    frame = pd.DataFrame({"cell": cells(4), "colour": "#b2182b", "n": [1, 2, 3, 4]})
    layer = maps.hex_layer(frame, tooltip=("n",), name="Hot spots")
    assert pickle.loads(pickle.dumps(layer)) == layer  # cacheable by st.cache_data
    direct, built = maps.base_map(), maps.base_map()
    maps.add_hexes(direct, frame, tooltip=("n",), name="Hot spots")
    maps.add_layer(built, layer)
    assert payloads(maps.map_html(built)) == payloads(maps.map_html(direct))
    with pytest.raises(ValueError, match="not a layer kind"):
        maps.add_layer(built, maps.LayerPayload(kind="tiles", name="x", payload="{}"))


def test_outlines_drop_only_the_points_on_a_straight_edge() -> None:
    # a 0.01° square with a vertex every 0.0001° along its edges (400 points; a file made for
    # point-in-polygon): the four corners alone draw the same outline, and the ring closes (5 points)
    edge = np.linspace(0, 0.01, 101)[:-1]
    x0, y0 = -2.60, 51.44
    ring = (
        [(x0 + t, y0) for t in edge]
        + [(x0 + 0.01, y0 + t) for t in edge]
        + [(x0 + 0.01 - t, y0 + 0.01) for t in edge]
        + [(x0, y0 + 0.01 - t) for t in edge]
    )
    import geopandas as gpd

    square = Polygon(ring)
    assert shapely.get_num_coordinates(square) == 401
    # a triangle 0.5 m across (smaller than the tolerance): simplified the careful way, still there
    tiny = Polygon([(-2.5, 51.5), (-2.5 + 5e-6, 51.5), (-2.5, 51.5 + 5e-6)])
    frame = gpd.GeoDataFrame({"name": ["Square", "Tiny"]}, geometry=[square, MultiPolygon([tiny])], crs=4326)
    (payload,) = payloads(maps.map_html(_with(maps.boundary_layer(frame, name="Wards"))))
    assert payload["values"] == [["Square", "Tiny"]]
    outer = payload["shapes"][0][0][0]
    corners = sorted(zip(outer[0:-2:2], outer[1:-2:2], strict=True))  # lat, lng; the closing point left out
    assert corners == [(51.44, -2.6), (51.44, -2.59), (51.45, -2.6), (51.45, -2.59)]
    assert len(outer) == 10 and outer[:2] == outer[-2:]
    assert len(payload["shapes"][1]) == 1 and len(payload["shapes"][1][0][0]) >= 6  # the tiny one kept


def _with(layer: maps.LayerPayload) -> object:
    m = maps.base_map()
    maps.add_layer(m, layer)
    return m


def test_the_map_is_fitted_without_a_zoom_animation() -> None:
    html = maps.map_html(maps.base_map(bounds=(-2.62, 51.43, -2.55, 51.47)))
    fit = re.search(r"\.fitBounds\(\s*(\[\[.*?\]\]),\s*(\{.*?\})\s*\)", html, re.DOTALL)
    assert fit is not None
    assert json.loads(fit.group(1)) == [[51.43, -2.62], [51.47, -2.55]]
    assert json.loads(fit.group(2)) == {"animate": False}
