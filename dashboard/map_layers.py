"""The browser side of the Nestwatch maps: what each layer sends and how Leaflet draws it.

The builders in :mod:`dashboard.maps` choose what to send; this module turns it into escaped, compact
payloads and holds the Leaflet layer classes whose JavaScript draws them.

* **Safe.** folium escapes nothing and GeoJson embeds every property. Here only the columns named are
  sent, every text value is written with JavaScript ``\\uXXXX`` escapes (no raw ``& < > " ' ` $ \\`` reaches
  the page) and the browser inserts text with ``textContent``, never ``innerHTML``.
* **Not a template.** branca renders each layer's script and then compiles that text as a Jinja template and
  renders it again (``Element(text)`` in ``MacroElement.render``): a ``{{ … }}`` or ``{% … %}`` in an
  address or a ward name would run on the server (``{{ cycler.__init__.__globals__.os… }}``), and a
  20,000-cell payload cost ~0.2 s of Jinja lexing on every page run. Our layers put their text into the page
  as it is (:class:`_Verbatim`), and :func:`js_literal` also escapes the ``{`` that would open a Jinja tag.

How clicks reach ``st_folium`` (streamlit-folium 0.27, checked in Chromium): when the map script has run,
streamlit-folium attaches its click listener to every layer then in ``map._layers``. Hexagons, points and
boundary outlines are real Leaflet layers added synchronously (hidden point layers start on the map and
leave it on the next tick, so they are wired too). A click on one gives

* ``last_object_clicked``: ``{"lat": …, "lng": …}``, the click position, inside the hexagon; map it back
  to the cell with ``geo.space.hexes.points_to_cells`` at the view's resolution;
* ``last_object_clicked_tooltip``: the tooltip text, one ``"label: value"`` per line;
* ``last_active_drawing``: a GeoJSON Feature whose ``properties`` say what was clicked:
  ``{"layer": name, "cell": id}`` (hexagons), ``{"layer": name, "row": i}`` (points; ``i`` is the row's
  position in the frame passed), ``{"layer": name, "name": label}`` (boundaries) or ``{"layer": name,
  "stop": n}`` (a numbered stop of a route; ``last_object_clicked`` is then the stop itself);
* ``last_clicked`` (the map click) too, and ``last_object_clicked_count`` goes up (by 2: the layer and its
  group both report).

A click on a marker-cluster bubble also reports (a Point feature with ``properties == {}``), as does a
polygon drawn with :func:`dashboard.maps.add_draw` (``last_active_drawing`` with ``properties == {}``,
``last_object_clicked`` None, and ``all_drawings``): check ``properties`` before trusting a click.

This module imports folium, never streamlit; tests assert on the rendered HTML.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from typing import Any

import folium
import pandas as pd
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from dashboard.map_assets import _vendor

_COLOUR_RE = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[a-zA-Z]{3,20}")

# --------------------------------------------------------------------------- escaping

# a "{" that opens a Jinja tag ({{, {%, {#) is always inside a string: compact JSON's own "{" is followed by '"' or '}'
_JS_UNSAFE = re.compile(r"""\\\\|\\"|[<>&'`$]|\{(?=[{%#])""")
_JS_REPLACE = {
    "{": "\\u007b",
    "\\\\": "\\u005c",
    '\\"': "\\u0022",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
    "`": "\\u0060",
    "$": "\\u0024",
}


def js_literal(value: Any) -> str:
    """JSON that is also a safe JavaScript literal inside ``<script>``.

    ``json.dumps`` leaves ``<``, ``&``, quotes, backticks and ``$`` raw, so ``</script>`` in a value would
    end the script. Every such character (and backslash, double quote, anything non-ASCII) becomes a
    ``\\uXXXX`` escape: the text survives unchanged for the browser, and none of it is markup or code.
    So does a ``{`` that would open a Jinja tag (``{{``, ``{%``, ``{#``), should the text ever pass through a
    template again.
    """
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return _JS_UNSAFE.sub(lambda m: _JS_REPLACE[m.group()], text)


_HTML_MORE = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"})


def _html_text(text: str) -> str:
    """HTML-escape text for the places that insert it with innerHTML (layer control names, GeoJson tooltips).

    Beyond ``& < > " '``: the backtick, ``$`` and backslash (JavaScript template literals and strings), and
    the braces, since folium's own layers pass their script through a Jinja template again (module notes).
    """
    return html.escape(str(text), quote=True).translate(_HTML_MORE)


def _check_colour(colour: str) -> str:
    if not isinstance(colour, str) or not _COLOUR_RE.fullmatch(colour):
        raise ValueError(f"not a colour: {colour!r} (use #rgb, #rrggbb, #rrggbbaa or a CSS colour name)")
    return colour


def _text_values(series: pd.Series) -> list[str]:
    """Tooltip strings for one column: numbers to 4 significant figures, missing values empty."""
    if pd.api.types.is_bool_dtype(series):
        return ["" if pd.isna(v) else "yes" if v else "no" for v in series.tolist()]
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        return series.astype("int64").astype(str).tolist()
    if pd.api.types.is_numeric_dtype(series):
        out = []
        for v in series.astype("float64").tolist():
            if math.isnan(v):
                out.append("")
            elif math.isinf(v):
                out.append("∞" if v > 0 else "-∞")
            elif v == int(v) and abs(v) < 1e15:
                out.append(str(int(v)))
            else:
                out.append(f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}")
        return out
    text = series.astype(object).where(series.notna(), "").tolist()  # one missing-value test per column, not per value
    return [v if isinstance(v, str) else str(v) for v in text]


def _column_payload(values: list[str]) -> list[str] | dict[str, list]:
    """One tooltip column: a plain list, or a dictionary + codes when values repeat (categories)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=False)
    if len(uniques) * 2 <= len(values):
        return {"d": [str(u) for u in uniques], "i": codes.tolist()}
    return values


def _tooltip_payload(frame: pd.DataFrame, tooltip: Sequence[str]) -> tuple[list[str], list]:
    tooltip = list(tooltip)
    missing = [c for c in tooltip if c not in frame.columns]
    if missing:
        raise KeyError(f"tooltip columns not in the frame: {missing}")
    return [str(c) for c in tooltip], [_column_payload(_text_values(frame[c])) for c in tooltip]


# --------------------------------------------------------------------------- verbatim layers


class _Verbatim(Element):
    """Text that goes into the page as it is, never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "NestwatchVerbatim"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _VerbatimMacros(MacroElement):
    """A MacroElement whose rendered ``header``/``html``/``script`` macros reach the page as they are.

    branca's own ``render`` wraps each macro's output in ``Element(text)``, which compiles it as a Jinja
    template and renders it a second time (see the module notes): a template tag inside a value would run,
    and a large payload is lexed again on every render.
    """

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a map layer can only be rendered inside a Figure (add it to a folium.Map)")
        macros = self._template.module.__dict__
        for part, section in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = macros.get(part)
            if macro is not None:
                section.add_child(_Verbatim(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
        return ""  # what goes into the page went into the figure's sections above


# --------------------------------------------------------------------------- JavaScript


def _layer_template(script: str, *, header: str = "") -> Template:
    """A layer's template: its styles (``header``), and ``script`` run with ``d``, its payload, inside try/catch.

    streamlit-folium calls initComponent at the very end of the map script, so one exception would leave
    the iframe 0 px high and the whole map blank.
    """
    styles = "{% macro header(this, kwargs) %}" + header + "{% endmacro %}" if header else ""
    return Template(
        styles + "{% macro script(this, kwargs) %}\n;(function (run) {\n"
        '  try { run(); } catch (err) { console.error("Nestwatch: a map layer failed", err); }\n'
        "})(function () {\n  var d = {{ this.payload }};\n" + script + "});\n{% endmacro %}"
    )


# Shared by every data layer: builds a tooltip as DOM nodes (textContent only) for row ``layer.nwRow``.
# Lines are separated by "\n" text nodes too, so streamlit-folium's innerText shows one "label: value"
# per line in ``last_object_clicked_tooltip``.
_TOOLTIP_JS = r"""
  function nwColumn(c) {
    return Array.isArray(c) ? function (i) { return c[i]; } : function (i) { return c.d[c.i[i]]; };
  }
  function nwTooltip(group, labels, values, opts) {
    if (!labels.length) { return; }
    var cols = values.map(nwColumn);
    group.bindTooltip(function (layer) {
      var box = document.createElement("div"), i = layer.nwRow;
      for (var k = 0; k < labels.length; k++) {
        if (cols[k](i) === "") { continue; }  // a blank value (no rank: not in the plan) says nothing: no line
        if (box.firstChild) { box.appendChild(document.createTextNode("\n")); }
        var line = document.createElement("div"), b = document.createElement("b");
        b.textContent = labels[k] + ": ";
        line.appendChild(b);
        line.appendChild(document.createTextNode(cols[k](i)));
        box.appendChild(line);
      }
      return box;
    }, opts);
  }
  function nwPane(map, name, z) {
    if (!map.getPane(name)) {
      var pane = map.createPane(name);
      pane.style.zIndex = z;
      pane.style.pointerEvents = "none";
    }
    map.nwSvg = map.nwSvg || {};
    map.nwSvg[name] = map.nwSvg[name] || L.svg({pane: name});
    return map.nwSvg[name];
  }
"""


# A canvas that paints hexagons a style at a time, 16 to a path: one fill and stroke per 16 hexagons of a
# colour instead of per hexagon (a force's 16,000 hexagons: a redraw in ~70 ms rather than ~250 ms, measured
# in headless Chromium; one path per colour is 10x slower still, Skia's software stroker being slow on long
# paths). Hexagons of one layer never overlap, so the picture is the same (checked against a screenshot of
# the per-hexagon drawing: antialiased edge pixels differ by at most 37/255); the styles are painted in the
# order they first appear, and outlined hexagons come last in the payload, so their outlines stay on top.
# Every hexagon is still its own L.Polygon: hover, tooltip and click find it as before.
_HEX_CANVAS_JS = r"""
  L.NestwatchHexCanvas = L.NestwatchHexCanvas || L.Canvas.extend({
    _draw: function () {
      var bounds = this._redrawBounds, ctx = this._ctx, batches = new Map(), size, o, layer, key, batch;
      ctx.save();
      if (bounds) {
        size = bounds.getSize();
        ctx.beginPath();
        ctx.rect(bounds.min.x, bounds.min.y, size.x, size.y);
        ctx.clip();
      }
      this._drawing = true;
      for (o = this._drawFirst; o; o = o.next) {
        layer = o.layer;
        if (bounds && !(layer._pxBounds && layer._pxBounds.intersects(bounds))) { continue; }
        if (!layer._parts) { layer._updatePath(); continue; }  // anything but a polygon: as Leaflet draws it
        key = [layer.options.fillColor, layer.options.fillOpacity, layer.options.color, layer.options.weight,
          layer.options.opacity].join("|");
        batch = batches.get(key);
        if (!batch) { batches.set(key, batch = []); }
        batch.push(layer);
      }
      batches.forEach(function (layers) {
        for (var start = 0; start < layers.length; start += 16) {
          ctx.beginPath();
          for (var k = start; k < Math.min(start + 16, layers.length); k++) {
            var parts = layers[k]._parts;
            for (var i = 0; i < parts.length; i++) {
              for (var j = 0; j < parts[i].length; j++) {
                if (j) { ctx.lineTo(parts[i][j].x, parts[i][j].y); } else { ctx.moveTo(parts[i][j].x, parts[i][j].y); }
              }
              ctx.closePath();
            }
          }
          this._fillStroke(ctx, layers[start]);
        }
      }, this);
      this._drawing = false;
      ctx.restore();
    }
  });
"""


class _HexLayer(JSCSSMixin, _VerbatimMacros):
    """Draws H3 hexagons from a compact payload with h3-js, on the map's canvas renderer.

    A child of the FeatureGroup it fills; folium adds the group to the map after this script, so the
    polygons go in while the group is off the map (fast) and are on the map before streamlit-folium
    attaches its click listeners.
    """

    _template = _layer_template(
        """
  var group = {{ this._parent.get_name() }};
  """
        + _TOOLTIP_JS
        + """
  if (typeof h3 === "undefined") { console.error("Nestwatch: h3-js did not load; no hexagons drawn"); return; }
  """
        + _HEX_CANVAS_JS
        + """
  var ids = d.cells ? d.cells.split(" ") : [], n = ids.length, first = n - d.outlined, s = d.style;
  var renderer = new L.NestwatchHexCanvas({padding: 0.1});
  for (var i = 0; i < n; i++) {
    var ring = i >= first;
    var p = L.polygon(h3.cellToBoundary(ids[i]), {
      renderer: renderer, fillColor: d.palette[d.colour[i]], fillOpacity: s.fillOpacity,
      color: ring ? s.outline : s.stroke, weight: ring ? s.outlineWeight : s.weight,
      opacity: ring ? 1 : s.opacity, smoothFactor: 0, noClip: true  // six corners: nothing to simplify or clip
    });
    p.feature = {type: "Feature", properties: {layer: d.name, cell: ids[i]}};
    p.nwRow = i;
    group.addLayer(p);
  }
  nwTooltip(group, d.labels, d.values, {sticky: true});
"""
    )

    def __init__(self, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchHexes"
        self.payload = payload
        self.default_js = [("h3_js", _vendor("h3-js/h3-js.umd.js"))]
        self.default_css = []


class _PointLayer(_VerbatimMacros):
    """Circle markers from a compact payload, in an SVG pane above the hexagon canvas.

    SVG in a pane with ``pointer-events: none`` means only the circles catch the mouse, so hexagons
    underneath stay clickable, and the points stay on top when the hexagon layer is switched off and on.
    """

    _template = _layer_template(
        """
  var group = {{ this._parent.get_name() }}, map = {{ this.map.get_name() }};
  """
        + _TOOLTIP_JS
        + """
  var pane = "nestwatchPoints", renderer = nwPane(map, pane, d.z), s = d.style, xy = d.xy, layers = [];
  for (var i = 0; i < xy.length / 2; i++) {
    var c = L.circleMarker([xy[2 * i], xy[2 * i + 1]], {
      renderer: renderer, pane: pane, radius: s.radius, color: s.stroke, weight: s.weight,
      fillColor: d.colour, fillOpacity: s.fillOpacity
    });
    c.feature = {type: "Feature", properties: {layer: d.name, row: d.rows[i]}};
    c.nwRow = i;
    layers.push(c);
  }
  if (group.addLayers) { group.addLayers(layers); } else { layers.forEach(function (l) { group.addLayer(l); }); }
  nwTooltip(group, d.labels, d.values, {});
  // Hidden layers start on the map so streamlit-folium wires their clicks, then leave it.
  if (!d.show) { setTimeout(function () { map.removeLayer(group); }, 0); }
"""
    )

    def __init__(self, m: folium.Map, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchPoints"
        self.map = m
        self.payload = payload


# Boundary names written on the map: permanent, non-interactive Leaflet tooltips whose content is a text
# node. Every label of every boundary layer joins one list per map, largest area first within a layer and
# layers in the order they were added; after each move, zoom or layer switch a label that would overlap one
# kept before it is hidden, so a zoomed-out force's 100 wards do not print over each other.
_LABELS_JS = r"""
  function nwDeclutter(map) {
    var kept = [];
    map.nwLabels.forEach(function (t) {
      var el = t.getElement();
      if (!el || !map.hasLayer(t)) { return; }
      el.style.visibility = "";
      var r = el.getBoundingClientRect(), free = r.width > 0;
      for (var k = 0; free && k < kept.length; k++) {
        var o = kept[k];
        free = r.right + 6 < o.left || r.left > o.right + 6 || r.bottom + 2 < o.top || r.top > o.bottom + 2;
      }
      if (free) { kept.push(r); } else { el.style.visibility = "hidden"; }
    });
  }
  function nwLabels(map, group, d, colour) {
    if (!map.nwLabels) {
      map.nwLabels = [];
      var later = function () { L.Util.requestAnimFrame(function () { nwDeclutter(map); }); };
      map.on("zoomend moveend overlayadd overlayremove resize", later);
      later();
    }
    var labels = L.layerGroup();
    d.order.forEach(function (i) {
      var text = document.createElement("span");
      text.textContent = d.values[0][i];
      text.style.color = colour;
      var t = L.tooltip({permanent: true, direction: "center", interactive: false, opacity: 1,
        className: "nestwatch-label"}).setLatLng([d.marks[2 * i], d.marks[2 * i + 1]]).setContent(text);
      map.nwLabels.push(t);
      labels.addLayer(t);
    });
    group.addLayer(labels);
  }
"""


class _BoundaryLayer(_VerbatimMacros):
    """Unfilled outlines in an SVG pane: the stroke shows a name, the inside lets clicks reach hexagons.

    With ``marks`` in the payload each boundary's name is also written on the map (:data:`_LABELS_JS`).
    """

    _template = _layer_template(
        """
  var group = {{ this._parent.get_name() }}, map = {{ this.map.get_name() }};
  """
        + _TOOLTIP_JS
        + _LABELS_JS
        + """
  var pane = "nestwatchBoundaries", renderer = nwPane(map, pane, d.z), s = d.style;
  function pairs(flat) {
    var out = [];
    for (var j = 0; j < flat.length; j += 2) { out.push([flat[j], flat[j + 1]]); }
    return out;
  }
  for (var i = 0; i < d.shapes.length; i++) {
    var rings = d.shapes[i].map(function (poly) { return poly.map(pairs); });
    var p = L.polygon(rings, {
      renderer: renderer, pane: pane, fill: false, color: s.colour, weight: s.weight, opacity: s.opacity
    });
    p.feature = {type: "Feature", properties: {layer: d.name, name: d.values[0][i]}};
    p.nwRow = i;
    group.addLayer(p);
  }
  nwTooltip(group, d.labels, d.values, {sticky: true});
  if (d.marks) { nwLabels(map, group, d, s.colour); }
"""
    )

    def __init__(self, m: folium.Map, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchBoundaries"
        self.map = m
        self.payload = payload


class _Legend(_VerbatimMacros):
    """A legend as a Leaflet control that folds away: a ``<details>`` box built with DOM calls.

    Text goes in via textContent, colours are validated. ``collapsed`` None folds it on a small map
    (narrower than 760 px or lower than 420 px: a laptop's or a tablet's page), until the user opens it.
    """

    _template = _layer_template(
        """
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function (map) {
    var box = L.DomUtil.create("details", "nestwatch-legend"), touched = false;
    var title = L.DomUtil.create("summary", "nestwatch-legend-title", box);
    title.textContent = d.title;
    title.addEventListener("click", function () { touched = true; });
    d.items.forEach(function (item) {
      var row = L.DomUtil.create("div", "", box), swatch = L.DomUtil.create("span", "nestwatch-legend-swatch", row);
      if (item[2] === "fill") { swatch.style.background = item[1]; }  // else a ring or an outline, in that colour
      else { swatch.style.border = (item[2] === "ring" ? "2px solid " : "3px solid ") + item[1]; }
      if (item[2] === "ring") { swatch.style.borderRadius = "50%"; }
      row.appendChild(document.createTextNode(item[0]));
    });
    function fit() {
      var size = map.getSize();
      if (!touched && size.x > 0) { box.open = d.collapsed === null ? size.x >= 760 && size.y >= 420 : !d.collapsed; }
    }
    fit();
    map.on("resize", fit);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo({{ this._parent.get_name() }});
""",
        header="""
<style>
  .nestwatch-legend { background: rgba(255,255,255,.92); padding: 4px 8px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 12px/1.35 sans-serif; max-width: 240px; }
  .nestwatch-legend-title { font-weight: bold; cursor: pointer; padding: 2px 0; }
  .nestwatch-legend[open] .nestwatch-legend-title { margin-bottom: 3px; }
  .nestwatch-legend-swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
    vertical-align: -2px; border: 1px solid rgba(0,0,0,.25); box-sizing: border-box; }
</style>
""",
    )

    def __init__(self, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchLegend"
        self.payload = payload


class _RouteLayer(_VerbatimMacros):
    """A route: a dashed line through the stops in order, and a numbered marker on each stop.

    The numbers are text nodes inside the markers' own elements (never markup); the line does not catch
    the mouse, so the hexagons under it stay clickable, and a marker's tooltip names its stop.
    """

    _template = _layer_template(
        """
  var group = {{ this._parent.get_name() }}, map = {{ this.map.get_name() }};
  """
        + _TOOLTIP_JS
        + """
  var pane = "nestwatchRoute", renderer = nwPane(map, pane, d.z), s = d.style, stops = [];
  for (var i = 0; i < d.xy.length / 2; i++) { stops.push([d.xy[2 * i], d.xy[2 * i + 1]]); }
  var path = d.closed && stops.length > 2 ? stops.concat([stops[0]]) : stops;
  if (path.length > 1) {
    group.addLayer(L.polyline(path, {renderer: renderer, pane: pane, color: d.colour, weight: s.weight,
      opacity: s.opacity, dashArray: s.dash, interactive: false}));
  }
  stops.forEach(function (at, i) {
    var n = document.createElement("span");
    n.textContent = String(d.numbers[i]);
    n.style.background = d.colour;
    var marker = L.marker(at, {keyboard: false, riseOnHover: true,
      icon: L.divIcon({className: "nestwatch-stop", html: n, iconSize: [s.size, s.size]})});
    marker.feature = {type: "Feature", properties: {layer: d.name, stop: d.numbers[i]}};
    marker.nwRow = i;
    group.addLayer(marker);
  });
  nwTooltip(group, d.labels, d.values, {direction: "top", offset: [0, -s.size / 2]});
"""
    )

    def __init__(self, m: folium.Map, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchRoute"
        self.map = m
        self.payload = payload


class _MapChrome(_VerbatimMacros):
    """What every map shares: tooltips that wrap and stay inside the map, boundary labels, route stops.

    A tooltip near the map's edge used to run past it and be cut off by the frame; Leaflet places a
    tooltip beside the mouse or its layer, so here each (once placed) is moved back inside the map.
    Permanent tooltips (boundary labels) stay where they are.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
<style>
  .leaflet-tooltip { width: max-content; max-width: 280px; white-space: normal; }
  .leaflet-tooltip.nestwatch-label { background: none; border: 0; box-shadow: none; padding: 0;
    max-width: none; white-space: nowrap; font: 600 11px/1.15 sans-serif;
    text-shadow: 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff, 0 0 5px #fff; }
  .leaflet-tooltip.nestwatch-label::before { display: none; }
  .nestwatch-stop span { display: flex; align-items: center; justify-content: center; width: 100%;
    height: 100%; box-sizing: border-box; border-radius: 50%; border: 2px solid #fff; color: #fff;
    font: bold 11px/1 sans-serif; box-shadow: 0 1px 3px rgba(0,0,0,.55); }
</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
;(function () {
  if (typeof L === "undefined" || L.Tooltip.prototype.nwKeptInside) { return; }
  var place = L.Tooltip.prototype._setPosition;
  L.Tooltip.prototype._setPosition = function (pos) {
    place.call(this, pos);
    var map = this._map, box = this._container;
    if (!map || !box || this.options.permanent) { return; }
    var at = L.DomUtil.getPosition(box), p = map.layerPointToContainerPoint(at), size = map.getSize();
    var x = Math.max(0, Math.min(p.x, size.x - box.offsetWidth));
    var y = Math.max(0, Math.min(p.y, size.y - box.offsetHeight));
    if (x !== p.x || y !== p.y) { L.DomUtil.setPosition(box, at.add(L.point(x - p.x, y - p.y))); }
  };
  L.Tooltip.prototype.nwKeptInside = true;
})();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "NestwatchChrome"


class _PlainBackground(_VerbatimMacros):
    """A light, paper-like background for maps without tiles (offline), instead of Leaflet's grey."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
<style>.leaflet-container { background: #f3f2ee; }</style>
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "NestwatchBackground"
