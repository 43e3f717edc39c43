"""Map builders: offline assets, compact payloads, escaping; asserted on rendered HTML (no browser)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, box

from dashboard import map_assets, map_layers, maps

XSS = ["<img src=x onerror=alert(1)>", "${alert(1)}", "tick`tock", "back\\slash", "</script><script>alert(2)//"]
SECRET = "TOP-SECRET-7731"
URL_RE = re.compile(r"https?://", re.IGNORECASE)
ASSET_RE = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)=["']([^"']+)["']""", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NESTWATCH_TILES", raising=False)
    monkeypatch.delenv("NESTWATCH_TILES_ATTR", raising=False)
    monkeypatch.delenv("NESTWATCH_STATIC_URL", raising=False)


def hex_frame(k: int = 2, *, seed: int = 0) -> pd.DataFrame:
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(51.45, -2.59, 9), k))
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"cell": cells, "gi_bin": rng.integers(-3, 4, len(cells))})
    frame["colour"] = frame["gi_bin"].map(maps.GI_COLOURS)
    frame["coincidence"] = frame["gi_bin"] == 3
    frame["count"] = rng.integers(0, 40, len(cells))
    frame["secret"] = SECRET
    return frame


def wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["Lawrence Hill", "Easton"],
            "code": [SECRET, "E05010897"],
            "geometry": [box(-2.60, 51.44, -2.58, 51.46), MultiPolygon([box(-2.58, 51.44, -2.56, 51.45)])],
        },
        crs=4326,
    )


def points(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lat": 51.45 + np.arange(n) * 1e-4,
            "lng": -2.59 + np.arange(n) * 1e-4,
            "address": [f"{i} High Street" for i in range(n)],
            "tenant": SECRET,
        }
    )


def full_map(**kw: object) -> str:
    m = maps.base_map(bounds=(-2.62, 51.43, -2.55, 51.47), **kw)
    maps.add_hexes(m, hex_frame(), outline="coincidence", tooltip=("gi_bin", "count"), name="Hot spots")
    maps.add_boundaries(m, wards(), name="Wards", labels=True)
    maps.add_points(m, points(5), name="Flagged", tooltip=("address",), ring=True)
    maps.add_points(m, points(80), name="Closures", tooltip=("address",), cluster_over=50, show=False)
    maps.add_route(m, points(4).assign(visit=[2, 1, 4, 3]), tooltip=("address",))
    maps.add_legend(m, [("hot spot 99 %", maps.GI_COLOURS[3]), ("flagged", "#6a1b9a", "ring")], title="Gi*")
    maps.add_draw(m)
    maps.add_layer_control(m)
    return maps.map_html(m)


def payloads(html: str) -> list:
    """The JSON payloads of our layers (``var d = …;``), decoded."""
    return [json.loads(p) for p in re.findall(r"^\s*var d = (.*);$", html, re.MULTILINE)]


# --------------------------------------------------------------------------- offline assets


def test_no_external_script_or_style_when_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NESTWATCH_TILES", "none")
    html = full_map()
    assert not URL_RE.search(html)
    assert "L.tileLayer" not in html
    assert ".leaflet-container { background" in html


def test_only_the_tile_template_is_remote_when_tiles_are_on() -> None:
    html = full_map()
    assets = ASSET_RE.findall(html)
    assert assets and all(a.startswith("/app/static/vendor/") for a in assets)
    remote = set(re.findall(r"https?://[^\s\"'\\<>]+", html))
    assert remote == {"https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://www.openstreetmap.org/copyright"}
    for dropped in ("jquery", "bootstrap", "awesome", "fontawesome", "cdn"):
        assert dropped not in html.lower()


def test_explicit_no_tiles_and_static_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NESTWATCH_STATIC_URL", "/nestwatch/app/static/")
    html = maps.map_html(maps.base_map(tiles=None))
    assert not URL_RE.search(html)
    assert '<script src="/nestwatch/app/static/vendor/leaflet/leaflet.js">' in html


def test_vendored_files_referenced_exist() -> None:
    html = full_map()
    assets = ASSET_RE.findall(html)
    expected = {"leaflet.js", "leaflet.css", "h3-js.umd.js", "leaflet.markercluster.js", "leaflet.draw.js"}
    assert expected <= {Path(a).name for a in assets}
    for asset in assets:
        path = map_assets.STATIC_DIR / asset.removeprefix("/app/static/")
        assert path.is_file(), asset
        if path.suffix == ".css":  # images the stylesheets point at
            for ref in re.findall(r"url\(['\"]?([^'\")#]+)['\"]?\)", path.read_text()):
                assert (path.parent / ref).is_file(), f"{asset} -> {ref}"


def test_vendor_folder_is_small_and_documented() -> None:
    vendor = map_assets.STATIC_DIR / "vendor"
    files = [p for p in vendor.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 1_000_000
    assert not [p for p in files if p.suffix == ".map" or "src" in p.parts]
    readme = (vendor / "README.md").read_text()
    for package in ("leaflet", "leaflet.markercluster", "leaflet-draw", "h3-js"):
        assert package in readme
        assert (vendor / package / "LICENSE").is_file()


# --------------------------------------------------------------------------- compact hexagons


def test_payload_holds_cell_ids_not_polygons() -> None:
    frame = hex_frame(k=3)
    m = maps.base_map(tiles=None)
    maps.add_hexes(m, frame, tooltip=("count",))
    html = maps.map_html(m)
    (payload,) = payloads(html)
    assert payload["cells"].split(" ") == frame["cell"].tolist()
    assert [payload["palette"][i] for i in payload["colour"]] == frame["colour"].tolist()
    lat, lng = h3.cell_to_boundary(frame["cell"].iloc[0])[0]
    for coordinate in (f"{lat:.5f}", f"{lng:.5f}", f"{lat:.4f}"):
        assert coordinate not in html
    assert "coordinates" not in html and '"Polygon"' not in html
    assert "h3.cellToBoundary" in html and "preferCanvas" in html


def test_outlined_cells_are_drawn_last() -> None:
    frame = hex_frame(k=3)
    m = maps.base_map(tiles=None)
    maps.add_hexes(m, frame, outline="coincidence", tooltip=("cell",))
    (payload,) = payloads(maps.map_html(m))
    ids = payload["cells"].split(" ")
    n = int(frame["coincidence"].sum())
    assert payload["outlined"] == n
    assert set(ids[len(ids) - n :]) == set(frame.loc[frame["coincidence"], "cell"])
    assert payload["values"][0] == ids  # tooltip rows follow the same order


def test_repeated_tooltip_values_are_dictionary_encoded() -> None:
    frame = hex_frame(k=6)
    frame["pattern"] = np.where(frame["gi_bin"] > 0, "persistent hot spot", "no pattern detected")
    frame["z"] = np.linspace(-3.14159, 3.14159, len(frame))
    m = maps.base_map(tiles=None)
    maps.add_hexes(m, frame, tooltip=("pattern", "z"))
    (payload,) = payloads(maps.map_html(m))
    pattern, z = payload["values"]
    assert sorted(pattern["d"]) == ["no pattern detected", "persistent hot spot"]
    assert [pattern["d"][i] for i in pattern["i"]] == frame["pattern"].tolist()
    assert z[0] == "-3.142"


def test_twenty_thousand_cells_stay_under_one_and_a_half_megabytes() -> None:
    frame = hex_frame(k=80)
    assert len(frame) > 19_000
    frame["class"] = frame["gi_bin"].map({b: f"class {b}" for b in range(-3, 4)})
    m = maps.base_map()
    maps.add_hexes(m, frame, outline="coincidence", tooltip=("class", "count"))
    assert maps.html_bytes(m) < 1_500_000


def test_bad_cells_and_colours_are_refused() -> None:
    m = maps.base_map(tiles=None)
    frame = hex_frame(k=1)
    with pytest.raises(ValueError, match="H3"):
        maps.add_hexes(m, frame.assign(cell="<script>"))
    with pytest.raises(ValueError, match="colour"):
        maps.add_hexes(m, frame.assign(colour="red;background:url(x)"))
    with pytest.raises(ValueError, match="colour"):
        maps.add_hexes(m, frame.assign(colour=None))
    with pytest.raises(KeyError):
        maps.add_hexes(m, frame, tooltip=("nope",))
    with pytest.raises(ValueError):
        maps.add_legend(m, [("x", "</style>")], title="t")


# --------------------------------------------------------------------------- escaping and allow-listing


def test_hostile_text_never_reaches_the_page_unescaped() -> None:
    frame = hex_frame(k=1).iloc[: len(XSS)].assign(label=XSS)
    area = wards().iloc[:1].loc[[0] * len(XSS)].assign(name=XSS).reset_index(drop=True)
    pts = points(len(XSS)).assign(address=XSS)
    m = maps.base_map(tiles=None)
    for i, text in enumerate(XSS):
        maps.add_hexes(m, frame, tooltip=("label",), name=f"Hexes {text}")
        maps.add_points(m, pts, name=f"Points {text}", tooltip=("address",), cluster_over=2 if i else 50)
    maps.add_boundaries(m, area, name="Wards")
    maps.add_legend(m, [(text, "#cc0000") for text in XSS], title=XSS[0])
    maps.add_layer_control(m)
    html = maps.map_html(m)
    for text in XSS:
        assert text not in html
    for fragment in ("<img", "${", "`", "back\\s", "</script><"):
        assert fragment not in html
    assert html.count("</script>") == len(re.findall(r"<script\b", html))
    assert "innerHTML" not in html
    # escaping loses nothing: the browser gets the exact text back
    decoded = json.dumps(payloads(html))
    for text in XSS:
        assert json.dumps(text)[1:-1] in decoded


def test_columns_not_listed_never_reach_the_page() -> None:
    m = maps.base_map(tiles=None)
    maps.add_hexes(m, hex_frame(), tooltip=("count",))
    maps.add_points(m, points(3), name="Flagged", tooltip=("address",))
    maps.add_points(m, points(60), name="Many", tooltip=())
    maps.add_boundaries(m, wards(), name="Wards")
    html = maps.map_html(m)
    assert SECRET not in html
    assert "secret" not in html and "tenant" not in html and "E05010897" not in html


@given(st.text())
def test_js_literal_round_trips_and_hides_every_special_character(text: str) -> None:
    literal = map_layers.js_literal({"k": [text]})
    assert json.loads(literal) == {"k": [text]}
    assert not set(literal) & set("<>&'`$")
    assert "\\\\" not in literal and '\\"' not in literal
    assert literal.isascii()


# --------------------------------------------------------------------------- other layers


def test_boundaries_are_outlines_rounded_and_reprojected() -> None:
    bng = wards().to_crs(27700)
    m = maps.base_map(tiles=None)
    maps.add_boundaries(m, bng, name="Wards", label="name", colour="#444444")
    (payload,) = payloads(maps.map_html(m))
    assert payload["values"] == [["Lawrence Hill", "Easton"]]
    first_ring = payload["shapes"][0][0][0]
    lats, lngs = first_ring[0::2], first_ring[1::2]
    assert all(51.43 < v < 51.47 for v in lats) and all(-2.61 < v < -2.55 for v in lngs)
    assert all(round(v, 5) == v for v in first_ring)
    assert len(payload["shapes"][1]) == 1  # the MultiPolygon's one part
    assert "fill: false" in maps.map_html(m)


def test_points_cluster_only_when_many() -> None:
    few, many = maps.base_map(tiles=None), maps.base_map(tiles=None)
    maps.add_points(few, points(50), name="Few", cluster_over=50)
    maps.add_points(many, points(51), name="Many", cluster_over=50, show=False)
    few_html, many_html = maps.map_html(few), maps.map_html(many)
    assert "markerClusterGroup" not in few_html and "markercluster" not in few_html
    assert "L.markerClusterGroup" in many_html
    assert "/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in many_html
    (payload,) = payloads(many_html)
    assert payload["show"] is False and len(payload["xy"]) == 102 and payload["rows"] == list(range(51))


def test_points_skip_rows_without_coordinates_but_keep_row_positions() -> None:
    frame = points(4)
    frame.loc[1, "lat"] = np.nan
    m = maps.base_map(tiles=None)
    maps.add_points(m, frame, name="Flagged", tooltip=("address",))
    (payload,) = payloads(maps.map_html(m))
    assert payload["rows"] == [0, 2, 3]
    assert payload["values"] == [["0 High Street", "2 High Street", "3 High Street"]]


def test_points_from_a_british_national_grid_geodataframe() -> None:
    frame = points(3)
    gdf = gpd.GeoDataFrame(frame[["address"]], geometry=gpd.points_from_xy(frame["lng"], frame["lat"]), crs=4326)
    m = maps.base_map(tiles=None)
    maps.add_points(m, gdf.to_crs(27700), name="Flagged", tooltip=("address",))
    (payload,) = payloads(maps.map_html(m))
    assert payload["xy"][:2] == [51.45, -2.59]


def test_tooltip_values_are_formatted_for_people() -> None:
    frame = (
        hex_frame(k=1)
        .iloc[:4]
        .assign(
            z=[1.23456, float("inf"), float("nan"), 12345.6],
            n=pd.array([1, None, 3, 4], dtype="Int64"),
            ok=pd.array([True, None, False, True], dtype="boolean"),
        )
    )
    m = maps.base_map(tiles=None)
    maps.add_hexes(m, frame, tooltip=("z", "n", "ok"))
    (payload,) = payloads(maps.map_html(m))
    assert payload["values"] == [["1.235", "∞", "", "12346"], ["1", "", "3", "4"], ["yes", "", "no", "yes"]]


def test_empty_layers_still_render() -> None:
    m = maps.base_map(bounds=(float("nan"),) * 4, tiles=None)
    maps.add_hexes(m, hex_frame().iloc[:0], tooltip=("count",))
    maps.add_points(m, points(0), name="None yet")
    maps.add_boundaries(m, wards().iloc[:0], name="Wards")
    html = maps.map_html(m)
    assert [p["name"] for p in payloads(html)] == ["Hexagons", "None yet", "Wards"]


def test_draw_is_polygon_only_local_and_silent() -> None:
    m = maps.base_map(tiles=None)
    maps.add_draw(m)
    html = maps.map_html(m)
    assert "/app/static/vendor/leaflet-draw/leaflet.draw.js" in html
    assert "L.Control.Draw" in html and "alert(" not in html
    options = json.loads(re.search(r"draw: (\{.*\}),\n", html).group(1))
    assert options["polygon"] and not any(options[k] for k in ("polyline", "rectangle", "circle", "marker"))


def test_colour_tables() -> None:
    assert sorted(maps.GI_COLOURS) == [-3, -2, -1, 0, 1, 2, 3]
    patterns = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating")
    names = {f"{p} {kind} spot" for kind in ("hot", "cold") for p in (*patterns, "historical")}
    assert set(maps.EMERGING_COLOURS) == names | {"no pattern detected"}
    colours = [*maps.GI_COLOURS.values(), *maps.EMERGING_COLOURS.values()]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert len(set(maps.EMERGING_COLOURS.values())) == len(maps.EMERGING_COLOURS)


# --------------------------------------------------------------------------- the JavaScript itself


def test_streamlit_folium_keeps_payloads_intact() -> None:
    """st_folium renames variables with regexes over the whole script; our data must survive it."""
    streamlit_folium = pytest.importorskip("streamlit_folium")
    m = maps.base_map(tiles=None)
    maps.add_hexes(m, hex_frame(k=1).assign(label=XSS[:7] + ["_" + "a" * 31] * 2), tooltip=("label",))
    maps.add_points(m, points(3), name="Flagged", tooltip=("address",))
    standalone = payloads(maps.map_html(m))
    script = streamlit_folium._get_map_string(m)
    assert payloads(script) == standalone
    assert "map_div" in script and "h3.cellToBoundary" in script


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_generated_javascript_parses(tmp_path: Path) -> None:
    html = full_map()
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    source = tmp_path / "map.js"
    source.write_text("\n;\n".join(inline))
    result = subprocess.run(["node", "--check", str(source)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- labels, route, rings, folding


def test_boundary_labels_sit_inside_each_boundary_largest_first() -> None:
    m = maps.base_map(tiles=None)
    maps.add_boundaries(m, wards(), name="Wards", labels=True)
    maps.add_boundaries(m, wards(), name="Plain")
    labelled, plain = payloads(maps.map_html(m))
    # Lawrence Hill is 0.02° x 0.02°, Easton 0.02° x 0.01°: the bigger one's label is kept first
    assert labelled["order"] == [0, 1] and "marks" not in plain
    for i, (x0, y0, x1, y1) in enumerate([(-2.60, 51.44, -2.58, 51.46), (-2.58, 51.44, -2.56, 51.45)]):
        lat, lng = labelled["marks"][2 * i : 2 * i + 2]
        assert y0 < lat < y1 and x0 < lng < x1
    assert "nestwatch-label" in maps.map_html(m) and "nwDeclutter" in maps.map_html(m)


def test_the_route_is_numbered_in_visiting_order_and_closed() -> None:
    stops = pd.DataFrame(
        {"lat": [51.45, 51.46, 51.47], "lng": [-2.59, -2.58, -2.57], "visit": [3, 1, 2], "place": ["C", "A", "B"]}
    )
    layer = maps.route_layer(stops, tooltip=("visit", "place"), name="Route")
    m = maps.base_map(tiles=None)
    maps.add_layer(m, layer)
    (payload,) = payloads(maps.map_html(m))
    assert payload["numbers"] == [1, 2, 3] and payload["values"][1] == ["A", "B", "C"]
    assert payload["xy"] == [51.46, -2.58, 51.47, -2.57, 51.45, -2.59] and payload["closed"] is True
    assert payload["colour"] == maps.ROUTE_COLOUR and "L.divIcon" in maps.map_html(m)
    with pytest.raises(ValueError, match="whole numbers"):
        maps.route_layer(stops.assign(visit=[1.5, 2, 3]))


def test_flagged_points_can_be_rings_that_keep_the_hexagon_colour_visible() -> None:
    m = maps.base_map(tiles=None)
    maps.add_points(m, points(3), name="Rings", colour="#6a1b9a", ring=True)
    maps.add_points(m, points(3), name="Dots", colour="#6a1b9a")
    rings, dots = payloads(maps.map_html(m))
    assert rings["style"]["fillOpacity"] == 0 and rings["style"]["stroke"] == "#6a1b9a"
    assert dots["style"]["fillOpacity"] == 0.9


def test_the_key_folds_and_the_layer_switcher_starts_folded() -> None:
    m = maps.base_map(tiles=None)
    maps.add_legend(m, [("hot", "#b2182b"), ("flagged", "#6a1b9a", "ring")], title="Key")
    maps.add_legend(m, [("x", "#000000", "outline")], title="Open", collapsed=False)
    maps.add_layer_control(m)
    html = maps.map_html(m)
    auto, fixed = payloads(html)
    assert auto["collapsed"] is None and auto["items"] == [["hot", "#b2182b", "fill"], ["flagged", "#6a1b9a", "ring"]]
    assert fixed["collapsed"] is False
    assert '"collapsed": true' in html and 'createElement("details"' not in html  # folium's option; L.DomUtil
    assert '"details", "nestwatch-legend"' in html
    with pytest.raises(ValueError, match="swatch"):
        maps.add_legend(m, [("x", "#000000", "<b>")], title="t")


def test_every_map_keeps_its_tooltips_inside_it() -> None:
    html = maps.map_html(maps.base_map(tiles=None))
    assert html.count("nwKeptInside = true") == 1 and "max-width: 280px" in html


def test_labels_and_route_text_never_reach_the_page_unescaped() -> None:
    area = wards().iloc[:1].loc[[0] * len(XSS)].assign(name=XSS).reset_index(drop=True)
    stops = pd.DataFrame({"lat": 51.45 + np.arange(len(XSS)) * 1e-3, "lng": -2.59, "visit": range(1, 6), "place": XSS})
    m = maps.base_map(tiles=None)
    maps.add_boundaries(m, area, name="Wards", labels=True)
    maps.add_route(m, stops, tooltip=("place",), name=XSS[0])
    maps.add_layer_control(m)
    html = maps.map_html(m)
    for fragment in ("<img", "${", "`", "back\\s", "</script><"):
        assert fragment not in html
    assert "innerHTML" not in html
    decoded = json.dumps(payloads(html))
    for text in XSS:
        assert json.dumps(text)[1:-1] in decoded
