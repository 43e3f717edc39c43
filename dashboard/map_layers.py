"""The browser side of the Nestwatch maps: what each layer sends and how Leaflet draws it.

The builders in :mod:`dashboard.maps` choose what to send; this module turns it into escaped, compact
payloads and holds the Leaflet layer classes whose JavaScript draws them.

* **Safe.** folium escapes nothing and GeoJson embeds every property. Here only the columns named are
  sent, every text value is written with JavaScript ``\\uXXXX`` escapes (no raw ``& < > " ' ` $ \\`` reaches
  the page) and the browser inserts text with ``textContent``, never ``innerHTML``.

How clicks reach ``st_folium`` (streamlit-folium 0.27, checked in Chromium): when the map script has run,
streamlit-folium attaches its click listener to every layer then in ``map._layers``. Hexagons, points and
boundary outlines are real Leaflet layers added synchronously (hidden point layers start on the map and
leave it on the next tick, so they are wired too). A click on one gives

* ``last_object_clicked``: ``{"lat": …, "lng": …}``, the click position, inside the hexagon; map it back
  to the cell with ``geo.space.hexes.points_to_cells`` at the view's resolution;
* ``last_object_clicked_tooltip``: the tooltip text, one ``"label: value"`` per line;
* ``last_active_drawing``: a GeoJSON Feature whose ``properties`` say what was clicked:
  ``{"layer": name, "cell": id}`` (hexagons), ``{"layer": name, "row": i}`` (points; ``i`` is the row's
  position in the frame passed) or ``{"layer": name, "name": label}`` (boundaries);
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
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from dashboard.map_assets import _vendor

_COLOUR_RE = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[a-zA-Z]{3,20}")

# --------------------------------------------------------------------------- escaping

_JS_UNSAFE = re.compile(r"""\\\\|\\"|[<>&'`$]""")
_JS_REPLACE = {
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
    """
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return _JS_UNSAFE.sub(lambda m: _JS_REPLACE[m.group()], text)


def _html_text(text: str) -> str:
    """HTML-escape text for the few places Leaflet itself uses innerHTML (layer control names)."""
    return html.escape(str(text), quote=True).replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


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
    return ["" if pd.isna(v) else str(v) for v in series.tolist()]


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


# --------------------------------------------------------------------------- JavaScript

# Every layer script runs inside try/catch: streamlit-folium calls initComponent at the very end of the map
# script, so one exception would leave the iframe 0 px high and the whole map blank.
#
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
        if (k) { box.appendChild(document.createTextNode("\n")); }
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


class _HexLayer(JSCSSMixin):
    """Draws H3 hexagons from a compact payload with h3-js, on the map's canvas renderer.

    A child of the FeatureGroup it fills; folium adds the group to the map after this script, so the
    polygons go in while the group is off the map (fast) and are on the map before streamlit-folium
    attaches its click listeners.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
;(function (run) {
  try { run(); } catch (err) { console.error("Nestwatch: a map layer failed", err); }
})(function () {
  var d = {{ this.payload }};
  var group = {{ this._parent.get_name() }};
  """
        + _TOOLTIP_JS
        + """
  if (typeof h3 === "undefined") { console.error("Nestwatch: h3-js did not load; no hexagons drawn"); return; }
  var ids = d.cells ? d.cells.split(" ") : [], n = ids.length, first = n - d.outlined, s = d.style;
  for (var i = 0; i < n; i++) {
    var ring = i >= first;
    var p = L.polygon(h3.cellToBoundary(ids[i]), {
      fillColor: d.palette[d.colour[i]], fillOpacity: s.fillOpacity,
      color: ring ? s.outline : s.stroke, weight: ring ? s.outlineWeight : s.weight,
      opacity: ring ? 1 : s.opacity
    });
    p.feature = {type: "Feature", properties: {layer: d.name, cell: ids[i]}};
    p.nwRow = i;
    group.addLayer(p);
  }
  nwTooltip(group, d.labels, d.values, {sticky: true});
});
        {% endmacro %}
        """
    )

    def __init__(self, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchHexes"
        self.payload = payload
        self.default_js = [("h3_js", _vendor("h3-js/h3-js.umd.js"))]
        self.default_css = []


class _PointLayer(MacroElement):
    """Circle markers from a compact payload, in an SVG pane above the hexagon canvas.

    SVG in a pane with ``pointer-events: none`` means only the circles catch the mouse, so hexagons
    underneath stay clickable, and the points stay on top when the hexagon layer is switched off and on.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
;(function (run) {
  try { run(); } catch (err) { console.error("Nestwatch: a map layer failed", err); }
})(function () {
  var d = {{ this.payload }};
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
});
        {% endmacro %}
        """
    )

    def __init__(self, m: folium.Map, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchPoints"
        self.map = m
        self.payload = payload


class _BoundaryLayer(MacroElement):
    """Unfilled outlines in an SVG pane: the stroke shows a name, the inside lets clicks reach hexagons."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
;(function (run) {
  try { run(); } catch (err) { console.error("Nestwatch: a map layer failed", err); }
})(function () {
  var d = {{ this.payload }};
  var group = {{ this._parent.get_name() }}, map = {{ this.map.get_name() }};
  """
        + _TOOLTIP_JS
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
});
        {% endmacro %}
        """
    )

    def __init__(self, m: folium.Map, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchBoundaries"
        self.map = m
        self.payload = payload


class _Legend(MacroElement):
    """A legend as a Leaflet control, built with DOM calls (text via textContent, colours validated)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
<style>
  .nestwatch-legend { background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 12px/1.35 sans-serif; max-width: 240px; }
  .nestwatch-legend-title { font-weight: bold; margin-bottom: 3px; }
  .nestwatch-legend-swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
    vertical-align: -2px; border: 1px solid rgba(0,0,0,.25); }
</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
;(function (run) {
  try { run(); } catch (err) { console.error("Nestwatch: a map layer failed", err); }
})(function () {
  var d = {{ this.payload }};
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "nestwatch-legend");
    L.DomUtil.create("div", "nestwatch-legend-title", box).textContent = d.title;
    d.items.forEach(function (item) {
      var row = L.DomUtil.create("div", "", box);
      L.DomUtil.create("span", "nestwatch-legend-swatch", row).style.background = item[1];
      row.appendChild(document.createTextNode(item[0]));
    });
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo({{ this._parent.get_name() }});
});
        {% endmacro %}
        """
    )

    def __init__(self, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchLegend"
        self.payload = payload


class _PlainBackground(MacroElement):
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
