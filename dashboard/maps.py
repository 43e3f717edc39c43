"""Compact, offline folium map builders for the Nestwatch pages.

Why this module exists rather than plain ``folium.GeoJson`` (the maps are offline, small and safe):

* **Small.** A force-wide map holds ~20,000 hexagons. As GeoJSON polygons with a tooltip that is 8.5 MB
  of HTML and 2.4 s to build. Here the page receives one compact JSON payload (cell ids, a palette index
  per cell, the tooltip values) and draws the hexagons in the browser with h3-js on a canvas.

The work is split by job: :mod:`dashboard.map_assets` says where every script and stylesheet is, so the
maps work offline; :mod:`dashboard.map_layers` escapes what is sent and draws it in the browser (why it
is safe, and what a click on a layer reports to ``st_folium``); this module builds the maps the pages
call.

This module imports folium, never streamlit; tests assert on the rendered HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import FitBounds
from folium.plugins import MarkerCluster

from dashboard.basemap import add_basemap
from dashboard.map_assets import _leaflet_css, _leaflet_js, _LocalDraw, _LocalMarkerCluster, _resolve_tiles
from dashboard.map_layers import (
    _BoundaryLayer,
    _check_colour,
    _HexLayer,
    _html_text,
    _Legend,
    _MapChrome,
    _PlainBackground,
    _PointLayer,
    _RouteLayer,
    _text_values,
    _tooltip_payload,
    js_literal,
)

#: Great Britain, for a map with nothing to fit yet: (min lng, min lat, max lng, max lat).
GB_BOUNDS = (-8.7, 49.8, 1.9, 60.95)

#: Gi* bins (-3..3, as in esda/Esri: ±3 = 99 %, ±2 = 95 %, ±1 = 90 % confidence).
#: Reds for hot, blues for cold (ColorBrewer RdBu), light grey for not significant.
GI_COLOURS: dict[int, str] = {
    -3: "#2166ac",
    -2: "#67a9cf",
    -1: "#d1e5f0",
    0: "#e0e0e0",
    1: "#fddbc7",
    2: "#ef8a62",
    3: "#b2182b",
}

_PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")
_HOT = ("#fcbba1", "#fb8c5a", "#99000d", "#d7301f", "#f16913", "#fdae6b", "#e6550d", "#bc8f8f")
_COLD = ("#c6dbef", "#6baed6", "#08306b", "#2171b5", "#4292c6", "#9ecae1", "#3f6fb0", "#9fb0c8")

#: Emerging hot spot categories (after Esri's Emerging Hot Spot Analysis): hot patterns in reds and
#: oranges (darkest for intensifying/persistent), the cold mirror in blues, "no pattern detected" light grey.
EMERGING_COLOURS: dict[str, str] = {
    **{f"{p} hot spot": c for p, c in zip(_PATTERNS, _HOT, strict=True)},
    **{f"{p} cold spot": c for p, c in zip(_PATTERNS, _COLD, strict=True)},
    "no pattern detected": "#eeeeee",
}

_CELL_RE = r"[0-9a-f]{15,16}"
_OUTLINE_COLOUR = "#111111"
MAX_ZOOM = 19
_POINTS_PANE_Z = 460
_ROUTE_PANE_Z = 455
_BOUNDARY_PANE_Z = 450
#: The patrol route's colour: apart from the reds and blues of the hot and cold spots, the purple of flagged
#: addresses and the orange of closure orders.
ROUTE_COLOUR = "#00695c"
#: Degrees: boundary vertices closer than this to the simplified outline are not sent (~1 m, the rounding step).
DISPLAY_TOLERANCE = 1e-5

# --------------------------------------------------------------------------- builders


def base_map(*, bounds: tuple[float, float, float, float] | None = None, tiles: str | None = "default") -> folium.Map:
    """An empty map whose scripts and styles all come from ``/app/static/vendor``.

    Parameters
    ----------
    bounds
        ``(min lng, min lat, max lng, max lat)`` to fit, as ``GeoDataFrame.total_bounds`` gives them;
        ``None`` (or NaN, from an empty frame) shows Great Britain.
    tiles
        ``"default"``: OpenStreetMap, unless ``NESTWATCH_TILES`` says otherwise (``none`` for no tiles,
        for offline use; a provider name or URL template, with ``NESTWATCH_TILES_ATTR``, for a local tile
        server). ``None`` or ``"none"``: no tile layer, a plain background. Anything else goes to folium.

    Notes
    -----
    folium's own CDN list (Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers) is replaced by the
    vendored Leaflet alone: nothing here needs the others, and an offline browser cannot fetch them.
    ``prefer_canvas`` keeps thousands of hexagons responsive.
    """
    if bounds is not None and not all(np.isfinite(bounds)):
        bounds = None
    minx, miny, maxx, maxy = bounds if bounds is not None else GB_BOUNDS
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=6,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    # Leaflet takes maxZoom from the tile layer; without tiles MarkerCluster refuses to start ("Map has no
    # maxZoom specified"), which aborts the whole script and leaves streamlit-folium's iframe 0 px high.
    m.options["max_zoom"] = MAX_ZOOM
    m.options["zoom_snap"] = 0.25  # fit the data closely: whole zoom steps left a town at half the map's width
    m.default_js = _leaflet_js()
    m.default_css = _leaflet_css()
    _MapChrome().add_to(m)  # tooltips kept inside the map, label and route styles
    url, attr = _resolve_tiles(tiles)
    if tiles == "default" and add_basemap(m):  # a basemap file the force holds (NESTWATCH_BASEMAP) comes first
        pass
    elif url is None:
        _PlainBackground().add_to(m)
    else:
        folium.TileLayer(url, attr=attr, control=False, max_zoom=MAX_ZOOM).add_to(m)
    # fitted at once, not animated: from the start zoom Leaflet would zoom in over 250 ms and then redraw every
    # hexagon a second time (a force's 16,000 on a canvas: ~0.3 s), with the layers scaled up meanwhile
    fit = FitBounds([[miny, minx], [maxy, maxx]])
    fit.options["animate"] = False
    m.add_child(fit)
    return m


@dataclass(frozen=True)
class LayerPayload:
    """A hexagon or boundary layer built and escaped, ready for :func:`add_layer`: plain values only.

    Building is the costly part of a map (every cell's id and tooltip, every boundary's rings: tens of
    milliseconds force-wide); putting a built layer on a map costs nothing. So a page that draws the same
    layer on every rerun can cache this per data version (a ``folium.Map`` itself is never cached or
    shared). ``kind`` is ``"hexes"``, ``"boundaries"`` or ``"route"``; ``payload`` is :func:`js_literal` text.
    """

    kind: str
    name: str
    payload: str


def add_layer(m: folium.Map, layer: LayerPayload) -> None:
    """Put a built layer on the map, in a group of its own that the layer control lists by ``layer.name``."""
    group = folium.FeatureGroup(name=_html_text(layer.name), overlay=True, control=True, show=True)
    if layer.kind == "hexes":
        _HexLayer(layer.payload).add_to(group)
    elif layer.kind == "boundaries":
        _BoundaryLayer(m, layer.payload).add_to(group)
    elif layer.kind == "route":
        _RouteLayer(m, layer.payload).add_to(group)
    else:
        raise ValueError(f"not a layer kind: {layer.kind!r} (hexes, boundaries or route)")
    group.add_to(m)


def add_hexes(
    m: folium.Map,
    cells: pd.DataFrame,
    *,
    colour: str = "colour",
    outline: str | None = None,
    tooltip: Sequence[str] = (),
    name: str = "Hexagons",
) -> None:
    """Add H3 hexagons, drawn in the browser from their ids (no polygons in the page).

    The same as ``add_layer(m, hex_layer(cells, …))``; see :func:`hex_layer` for the parameters.
    """
    add_layer(m, hex_layer(cells, colour=colour, outline=outline, tooltip=tooltip, name=name))


def hex_layer(
    cells: pd.DataFrame,
    *,
    colour: str = "colour",
    outline: str | None = None,
    tooltip: Sequence[str] = (),
    name: str = "Hexagons",
) -> LayerPayload:
    """H3 hexagons as a layer payload: the browser draws them from their ids (no polygons in the page).

    Parameters
    ----------
    cells
        One row per hexagon: ``cell`` (H3 id as a string), the colour column and the tooltip columns.
        Nothing else in the frame is sent to the browser.
    colour
        Column of fill colours (``#rrggbb``…), e.g. ``gi_bin.map(GI_COLOURS)``; stored once per distinct
        colour, one palette index per cell.
    outline
        Optional boolean column: cells drawn with a thick dark outline (coincidence of a hotspot with
        case data). They are drawn last so neighbours do not paint over the outline.
    tooltip
        Columns shown on hover, in this order (``label: value``); the only values that reach the page.
    name
        The layer's name in the layer control.

    Notes
    -----
    Payload: ids joined by spaces (~16 bytes a cell), palette indices, and tooltip columns that are
    dictionary-encoded when values repeat. 20,000 cells come to well under 1.5 MB of HTML.
    """
    missing = [c for c in ("cell", colour, *([outline] if outline else [])) if c not in cells.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    frame = cells
    if outline is not None:
        flags = frame[outline].fillna(False).astype(bool).to_numpy()
        order = np.argsort(flags, kind="stable")
        frame = frame.iloc[order]
        n_outlined = int(flags.sum())
    else:
        n_outlined = 0
    ids = frame["cell"].astype(str).str.lower()
    bad = ~ids.str.fullmatch(_CELL_RE)
    if bad.any():
        raise ValueError(f"not H3 cell ids: {ids[bad].head(3).tolist()}")
    codes, palette = pd.factorize(frame[colour], sort=False)
    if (codes < 0).any():
        raise ValueError(f"missing colours in column {colour!r}")
    labels, values = _tooltip_payload(frame, tooltip)
    payload = {
        "name": str(name),
        "cells": " ".join(ids.tolist()),
        "outlined": n_outlined,
        "palette": [_check_colour(c) for c in palette],
        "colour": codes.tolist(),
        "labels": labels,
        "values": values,
        "style": {
            "fillOpacity": 0.7,
            "stroke": "#ffffff",
            "weight": 0.5,
            "opacity": 0.8,
            "outline": _OUTLINE_COLOUR,
            "outlineWeight": 3,
        },
    }
    return LayerPayload(kind="hexes", name=str(name), payload=js_literal(payload))


def _polygon_rings(geom: Any) -> list[list[list[float]]]:
    """Polygons of a geometry as lists of flat [lat, lng, …] rings, rounded to 5 decimals (~1 m)."""
    polys, stack = [], [geom]
    while stack:
        g = stack.pop(0)
        if g is None or g.is_empty:
            continue
        if g.geom_type == "Polygon":
            polys.append(g)
        elif hasattr(g, "geoms"):
            stack[:0] = list(g.geoms)
    out = []
    for poly in polys:
        rings = []
        for ring in (poly.exterior, *poly.interiors):
            xy = np.round(shapely.get_coordinates(ring)[:, ::-1], 5)
            rings.append(xy.ravel().tolist())
        out.append(rings)
    return out


def _display_outlines(geoms: np.ndarray) -> np.ndarray:
    """Geometries without the vertices within :data:`DISPLAY_TOLERANCE` of their outline.

    Douglas-Peucker (25x faster than the topology-preserving kind on a force's wards); a geometry it
    empties or loses a part of (one smaller than the tolerance) is simplified the careful way instead.
    """
    simple = shapely.simplify(geoms, DISPLAY_TOLERANCE, preserve_topology=False)
    lost = shapely.is_empty(simple) | (shapely.get_num_geometries(simple) < shapely.get_num_geometries(geoms))
    if lost.any():
        simple[lost] = shapely.simplify(geoms[lost], DISPLAY_TOLERANCE, preserve_topology=True)
    return simple


def add_boundaries(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    label: str = "name",
    colour: str = "#444",
    labels: bool = False,
) -> None:
    """Add boundary outlines (wards, estates) with their name as a tooltip (and on the map, with ``labels``).

    The same as ``add_layer(m, boundary_layer(gdf, …))``; see :func:`boundary_layer` for the parameters.
    """
    add_layer(m, boundary_layer(gdf, name=name, label=label, colour=colour, labels=labels))


def boundary_layer(
    gdf: gpd.GeoDataFrame, *, name: str, label: str = "name", colour: str = "#444", labels: bool = False
) -> LayerPayload:
    """Boundary outlines (wards, estates) as a layer payload, with their name as a tooltip.

    Parameters
    ----------
    gdf
        A GeoDataFrame of (multi)polygons; reprojected to WGS84 when its CRS says otherwise (British
        National Grid metres would otherwise land off Africa).
    name
        The layer's name in the layer control.
    label
        Column holding each boundary's name, the only attribute sent to the page.
    colour
        Outline colour (and the labels' colour).
    labels
        Also write each name on the map, inside its boundary (at a point of its largest part). A label
        that would overlap a bigger boundary's is hidden until the map is zoomed in enough to part them.

    Notes
    -----
    No fill, so the hexagons stay readable and clickable underneath; coordinates are rounded to 5
    decimals (about a metre), which is finer than any generalised boundary and halves the payload.
    Vertices within that metre of the outline are dropped first (:data:`DISPLAY_TOLERANCE`): a boundary
    file made for point-in-polygon (ONS "full resolution", or edges cut every few metres) would otherwise
    send tens of thousands of points a browser cannot show apart (a force's 100 wards: 0.97 MB of payload).
    """
    _check_colour(colour)
    if label not in gdf.columns:
        raise KeyError(f"label column {label!r} not in the frame")
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
    gdf = gdf[keep]
    shapes, rows, drawn = [], [], []
    for i, geom in enumerate(_display_outlines(gdf.geometry.to_numpy())):
        rings = _polygon_rings(geom)
        if rings:
            shapes.append(rings)
            rows.append(i)
            drawn.append(geom)
    names = _text_values(gdf[label].iloc[rows]) if rows else []
    payload: dict[str, Any] = {
        "name": str(name),
        "z": _BOUNDARY_PANE_Z,
        "shapes": shapes,
        "labels": [str(label)],
        "values": [names],
        "style": {"colour": colour, "weight": 2, "opacity": 0.9},
    }
    if labels:
        payload["marks"], payload["order"] = _label_marks(drawn)
    return LayerPayload(kind="boundaries", name=str(name), payload=js_literal(payload))


def route_layer(
    stops: pd.DataFrame, *, number: str = "visit", tooltip: Sequence[str] = (), name: str = "Route", closed: bool = True
) -> LayerPayload:
    """A route as a layer payload: a dashed line through ``stops`` in ``number`` order, back to the first unless
    not ``closed`` (a line's centre quarter by quarter), and a marker on each stop showing its number.

    ``stops`` has ``lat``/``lng`` (WGS84), the whole-number column ``number`` and the ``tooltip`` columns
    (the only values sent; the place a stop is, say). Colour :data:`ROUTE_COLOUR`.
    """
    numbers = pd.to_numeric(stops[number], errors="raise")
    if len(numbers) and not (numbers == numbers.round()).all():
        raise ValueError(f"route stops need whole numbers in {number!r}")
    ordered = stops.iloc[np.argsort(numbers.to_numpy(), kind="stable")]
    lat, lng = _point_coordinates(ordered)
    labels, values = _tooltip_payload(ordered, tooltip)
    payload = {
        "name": str(name),
        "z": _ROUTE_PANE_Z,
        "xy": np.round(np.column_stack([lat, lng]), 5).ravel().tolist(),
        "numbers": ordered[number].astype("int64").tolist(),
        "closed": bool(closed),
        "colour": ROUTE_COLOUR,
        "labels": labels,
        "values": values,
        "style": {"weight": 3, "opacity": 0.85, "dash": "6 5", "size": 22},
    }
    return LayerPayload(kind="route", name=str(name), payload=js_literal(payload))


def add_route(m: folium.Map, stops: pd.DataFrame, **options: Any) -> None:
    """Add a numbered route: ``add_layer(m, route_layer(stops, …))`` (see :func:`route_layer`)."""
    add_layer(m, route_layer(stops, **options))


def _label_marks(geoms: list[Any]) -> tuple[list[float], list[int]]:
    """Where each boundary's label goes (flat ``[lat, lng, …]``, a point inside its largest part, ~1 m) and
    the order labels are kept in when they collide: largest boundary first."""
    largest = [max(shapely.get_parts(g), key=lambda part: part.area) for g in geoms]
    points = shapely.point_on_surface(np.array(largest, dtype=object)) if largest else np.array([])
    marks = np.round(np.column_stack([shapely.get_y(points), shapely.get_x(points)]), 5).ravel().tolist()
    areas = np.array([g.area for g in geoms])
    return marks, np.argsort(-areas, kind="stable").tolist()


def _point_coordinates(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lng) from a point GeoDataFrame (any CRS) or from ``lat``/``lng`` columns (WGS84)."""
    if isinstance(frame, gpd.GeoDataFrame):
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        geoms = frame.geometry.to_numpy()
        return shapely.get_y(geoms), shapely.get_x(geoms)
    if not {"lat", "lng"} <= set(frame.columns):
        raise KeyError("points need lat and lng columns (or a point GeoDataFrame)")
    return frame["lat"].to_numpy(dtype="float64"), frame["lng"].to_numpy(dtype="float64")


def add_points(
    m: folium.Map,
    frame: pd.DataFrame,
    *,
    name: str,
    tooltip: Sequence[str] = (),
    colour: str = "#c00",
    cluster_over: int = 50,
    show: bool = True,
    ring: bool = False,
) -> None:
    """Add circle markers (flagged addresses, closure orders…), clustered when there are many.

    Parameters
    ----------
    m
        The map.
    frame
        ``lat``/``lng`` columns (WGS84) or a point GeoDataFrame; rows without coordinates are skipped.
    name
        The layer's name in the layer control.
    tooltip
        Columns shown on hover; the only attributes sent to the page.
    colour
        Fill colour of every marker.
    cluster_over
        More points than this go into a MarkerCluster, so a force-wide layer stays legible and fast.
    show
        Whether the layer is switched on when the map opens (it can be switched on in the layer control).
    ring
        Draw each point as a small ring in ``colour`` rather than a filled dot, so the colour of the
        hexagon under it stays visible (the inside still catches the mouse, for the tooltip).

    Notes
    -----
    Coordinates are rounded to 5 decimals (~1 m). Clicks report ``{"layer": name, "row": i}`` in
    ``last_active_drawing`` properties, ``i`` being the row's position in ``frame``.
    """
    _check_colour(colour)
    lat, lng = _point_coordinates(frame)
    ok = np.isfinite(lat) & np.isfinite(lng)
    rows = np.flatnonzero(ok)
    labels, values = _tooltip_payload(frame.iloc[rows], tooltip)
    xy = np.round(np.column_stack([lat[rows], lng[rows]]), 5).ravel().tolist()
    payload = {
        "name": str(name),
        "z": _POINTS_PANE_Z,
        "xy": xy,
        "rows": rows.tolist(),
        "colour": colour,
        "show": bool(show),
        "labels": labels,
        "values": values,
        "style": (
            {"radius": 5, "stroke": colour, "weight": 2.5, "fillOpacity": 0}
            if ring
            else {"radius": 6, "stroke": "#ffffff", "weight": 1, "fillOpacity": 0.9}
        ),
    }
    if len(rows) > cluster_over:
        group: folium.FeatureGroup | MarkerCluster = _LocalMarkerCluster(
            name=_html_text(name),
            overlay=True,
            control=True,
            show=True,
            show_coverage_on_hover=False,
            max_cluster_radius=40,
            chunked_loading=True,
        )
    else:
        group = folium.FeatureGroup(name=_html_text(name), overlay=True, control=True, show=True)
    _PointLayer(m, js_literal(payload)).add_to(group)
    group.add_to(m)


def add_shaded_areas(
    m: folium.Map,
    geometries: Sequence[shapely.Geometry],
    colours: Sequence[str],
    tooltip: dict[str, tuple[str, Sequence[object]]],
    *,
    name: str = "Areas",
    opacity: float = 0.6,
) -> None:
    """Wards or estates filled one colour each, with a text tooltip (the trends and outcomes maps).

    ``tooltip`` maps a property key to its label and one value per area; the
    values are HTML-escaped here and nothing else reaches the page, so only
    what the caller chose to publish (already suppressed counts) is sent.
    folium's GeoJson passes its script through a Jinja template once more, so
    the braces are escaped too (:func:`dashboard.map_layers._html_text`).
    """
    keys = list(tooltip)
    features = [
        {
            "type": "Feature",
            "geometry": geom.__geo_interface__,
            "properties": {
                **{k: _html_text("" if tooltip[k][1][i] is None else str(tooltip[k][1][i])) for k in keys},
                "colour": _check_colour(colours[i]),
            },
        }
        for i, geom in enumerate(geometries)
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=_html_text(name),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "fillOpacity": opacity,
            "color": "#555",
            "weight": 1,
        },
        tooltip=folium.GeoJsonTooltip(fields=keys, aliases=[_html_text(tooltip[k][0]) for k in keys]),
    ).add_to(m)


_SWATCHES = ("fill", "ring", "outline")


def add_legend(m: folium.Map, items: Sequence[tuple[str, ...]], *, title: str, collapsed: bool | None = None) -> None:
    """Add a small legend in the bottom-right corner that folds away to its title (a click opens it).

    Parameters
    ----------
    m
        The map.
    items
        ``(label, colour)`` pairs, or ``(label, colour, swatch)`` with a swatch of ``"fill"`` (the
        default), ``"ring"`` (as :func:`add_points` with ``ring``) or ``"outline"``; in display order.
        Labels are shown as text, never as HTML.
    title
        The legend's heading (what shows when it is folded).
    collapsed
        ``None``: folded on a small map (narrower than 760 px or lower than 420 px: a 1366-pixel laptop's
        page, a tablet's), open
        otherwise; ``True`` / ``False``: folded / open whatever the size.
    """
    rows = []
    for label, colour, *rest in items:
        swatch = rest[0] if rest else "fill"
        if swatch not in _SWATCHES:
            raise ValueError(f"not a legend swatch: {swatch!r} ({', '.join(_SWATCHES)})")
        rows.append([str(label), _check_colour(colour), swatch])
    payload = {"title": str(title), "items": rows, "collapsed": collapsed}
    _Legend(js_literal(payload)).add_to(m)


def add_draw(m: folium.Map) -> None:
    """Add a polygon-only drawing tool, for drawing an estate boundary on the map.

    The drawn polygon reaches ``st_folium`` as ``last_active_drawing`` (a GeoJSON Feature, properties
    ``{}``) and in ``all_drawings``; folium's alert-on-click is switched off.
    """
    off = dict.fromkeys(("polyline", "rectangle", "circle", "marker", "circlemarker"), False)
    _LocalDraw(
        export=False,
        position="topleft",
        show_geometry_on_click=False,
        draw_options={**off, "polygon": {"allowIntersection": False, "shapeOptions": {"color": "#1b5e20"}}},
        edit_options={"edit": True, "remove": True},
    ).add_to(m)


def add_layer_control(m: folium.Map, *, collapsed: bool = True) -> None:
    """Add the layer switcher (call last, after every layer).

    Folded to its icon by default (hover or tap opens it): open, it covered a fifth of a 570-pixel map.
    """
    folium.LayerControl(collapsed=collapsed, position="topright").add_to(m)


def map_html(m: folium.Map) -> str:
    """The whole page as the browser would get it standalone (for tests, size checks and exports).

    The asset URLs are ``/app/static/…``: a saved file needs the app (or the same folder layout) to show.
    """
    return m.get_root().render()


def html_bytes(m: folium.Map) -> int:
    """Size of :func:`map_html` in UTF-8 bytes: the cost of shipping the map to the browser."""
    return len(map_html(m).encode("utf-8"))
