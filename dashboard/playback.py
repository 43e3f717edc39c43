"""A month-by-month map that plays in the browser: wards shaded by their published count, one month a frame.

Why a layer of its own: a Streamlit rerun per frame would rebuild the map (seconds each on a force's wards)
and flash the iframe. Here every month goes to the page once and the browser steps through them.

* **Small.** The outlines go once (simplified to about a metre, 5 decimals); each month is one array of
  small integers, each an index into a short dictionary of the distinct published values (their text from
  :func:`geo.publish.privacy.suppress_labels` and their colour class). A force's 100 wards over 36 months
  is ~3,600 integers beside the outlines.
* **One scale.** The classes are fixed across all months (:func:`fixed_scale`), so a ward that darkens has
  more incidents, not a different scale; the legend says so.
* **Published only.** The values given are the shown ones (hidden small counts as NaN, drawn grey and
  named "not shown"); nothing else about an area reaches the page but its name.
* **Safe.** The payload is written with :func:`dashboard.map_layers.js_literal` and every text is
  inserted with ``textContent`` (names, months, counts, the control's words), never as HTML; the script
  goes into the page verbatim, never through a template (:class:`dashboard.map_layers._VerbatimMacros`).

This module imports folium, never streamlit; tests assert on the rendered HTML, and a browser test plays it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.map_layers import _check_colour, _layer_template, _VerbatimMacros, js_literal

#: Light to dark, one colour per class above zero (ColorBrewer "Oranges", colour-blind safe).
PALETTE: tuple[str, ...] = ("#fdd0a2", "#fdae6b", "#f16913", "#a63603")
#: Zero incidents, and a hidden (small) count.
ZERO_COLOUR = "#f7f7f7"
HIDDEN_COLOUR = "#bdbdbd"
#: Milliseconds a month stays on screen while playing.
FRAME_MS = 1200
#: Above this many areas the names are not drawn on the map (they would cover it); tooltips still name them.
MAX_LABELS = 80
_TOLERANCE = 1e-5  # degrees (about a metre): finer than any generalised boundary


def fixed_scale(values: np.ndarray, *, step: int, classes: int = len(PALETTE)) -> list[int]:
    """Upper bounds of the colour classes above zero, the same for every month.

    Parameters
    ----------
    values
        Every shown value of every month (NaN where hidden).
    step
        The rounding base of the shown values (the suppression threshold N): bounds are multiples of it,
        so no class boundary falls between two values a reader could be shown.
    classes
        At most this many classes; fewer when the largest value is small.

    Returns
    -------
    list of int
        Ascending upper bounds; a value ``v > 0`` is in the first class whose bound is ``>= v``. Empty when
        nothing above zero is shown (every area is then zero or hidden).
    """
    shown = values[np.isfinite(values)]
    top = float(shown.max()) if shown.size else 0.0
    if top <= 0:
        return []
    width = max(step, math.ceil(top / classes / step) * step)
    return [width * (j + 1) for j in range(math.ceil(top / width))]


def class_of(value: float, bounds: Sequence[int]) -> int:
    """The colour class of a shown value: -1 hidden, 0 zero, else 1 + the index of its class in ``bounds``."""
    if not math.isfinite(value):
        return -1
    if value <= 0:
        return 0
    for j, upper in enumerate(bounds):
        if value <= upper:
            return j + 1
    return len(bounds)


def scale_legend(bounds: Sequence[int], *, step: int, hidden: str) -> list[tuple[str, str]]:
    """The legend's rows for :func:`fixed_scale` bounds: zero, each class as "lo–hi", and the hidden grey."""
    rows = [("0", ZERO_COLOUR)]
    low = step
    for j, upper in enumerate(bounds):
        rows.append((f"{low:,}" if low == upper else f"{low:,}–{upper:,}", PALETTE[j]))
        low = upper + step
    rows.append((f"not shown ({hidden})", HIDDEN_COLOUR))
    return rows


def _rings(geom: Any) -> list[list[list[float]]]:
    """Each polygon of ``geom`` as rings of flat ``[lat, lng, lat, lng, …]`` lists, 5 decimals."""
    polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    out = []
    for poly in polys:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        rings = [poly.exterior, *poly.interiors]
        out.append([np.round(np.asarray(r.coords)[:, ::-1], 5).ravel().tolist() for r in rings])
    return out


#: The player's and tooltip's words in English; a page changes ``area`` to what its areas are ("Ward", "Estate").
PLAYER_WORDS: dict[str, str] = {
    "area": "Area",
    "month": "Month",
    "count": "Incidents",
    "play": "Play",
    "pause": "Pause",
    "previous": "Previous month",
    "next": "Next month",
    "slider": "Month",
}


def playback_payload(
    areas: gpd.GeoDataFrame,
    *,
    months: Sequence[str],
    month_words: Sequence[str],
    shown: np.ndarray,
    texts: Sequence[Sequence[str]],
    bounds: Sequence[int],
    words: dict[str, str],
    labels: bool = True,
) -> dict[str, Any]:
    """The layer's payload (a plain dict; :func:`add_playback` writes it into the page).

    Parameters
    ----------
    areas
        One row per area with ``name`` and a (multi)polygon geometry, in the order of ``shown``'s rows.
    months, month_words
        The months (``YYYY-MM``) and how the control prints each ("Mar 2026").
    shown
        Areas × months of *shown* values (NaN hidden), as the presentation rule gives them.
    texts
        Areas × months of the text each value prints as (from :mod:`geo.publish`).
    bounds
        :func:`fixed_scale` bounds.
    words
        The control's and tooltip's words: ``area``, ``month``, ``count``, ``play``, ``pause``,
        ``previous``, ``next``, ``slider``.
    labels
        Draw each area's name on the map (not when there are more than :data:`MAX_LABELS`).
    """
    if shown.shape != (len(areas), len(months)):
        raise ValueError(f"shown is {shown.shape}, expected {(len(areas), len(months))} (areas × months)")
    if areas.crs is not None and areas.crs.to_epsg() != 4326:
        areas = areas.to_crs(4326)
    geoms = shapely.simplify(areas.geometry.to_numpy(), _TOLERANCE, preserve_topology=True)
    at = shapely.point_on_surface(geoms)  # inside the area, even for a crescent-shaped ward
    entries: dict[tuple[str, int], int] = {}
    frames = []
    for m in range(len(months)):
        frame = []
        for a in range(len(areas)):
            key = (str(texts[a][m]), class_of(float(shown[a, m]), bounds))
            frame.append(entries.setdefault(key, len(entries)))
        frames.append(frame)
    palette = [HIDDEN_COLOUR, ZERO_COLOUR, *PALETTE[: len(bounds)]]
    return {
        "months": [str(m) for m in months],
        "monthWords": [str(w) for w in month_words],
        "names": [str(n) for n in areas["name"]],
        "shapes": [_rings(g) for g in geoms],
        "at": [[round(float(p.y), 5), round(float(p.x), 5)] for p in at],
        "palette": [_check_colour(c) for c in palette],
        "values": [[text, cls + 1] for (text, cls) in entries],  # colour index: 0 hidden, 1 zero, 2.. classes
        "frames": frames,
        "start": len(months) - 1,
        "frameMs": FRAME_MS,
        "labels": bool(labels) and len(areas) <= MAX_LABELS,
        "words": {k: str(v) for k, v in words.items()},
    }


def add_playback(m: folium.Map, payload: dict[str, Any]) -> None:
    """Add the month-by-month layer and its player (play/pause, previous/next, a month slider)."""
    _Playback(m, js_literal(payload)).add_to(m)


def add_area_labels(m: folium.Map, areas: gpd.GeoDataFrame) -> None:
    """Each area's name on the map at a point inside it (text only; not over :data:`MAX_LABELS` areas)."""
    if areas.empty or len(areas) > MAX_LABELS:
        return
    if areas.crs is not None and areas.crs.to_epsg() != 4326:
        areas = areas.to_crs(4326)
    at = shapely.point_on_surface(areas.geometry.to_numpy())
    payload = {
        "names": [str(n) for n in areas["name"]],
        "at": [[round(float(p.y), 5), round(float(p.x), 5)] for p in at],
    }
    _Labels(m, js_literal(payload)).add_to(m)


def month_words(months: Sequence[str]) -> list[str]:
    """``2026-03`` as ``Mar 2026``: how the player names a month."""
    return [pd.Period(m, freq="M").strftime("%b %Y") for m in months]


_STYLE = """
<style>
  .nestwatch-player { background: rgba(255,255,255,.94); padding: 4px 6px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 13px/1.3 sans-serif; display: flex; align-items: center;
    gap: 4px; flex-wrap: nowrap; width: 340px; max-width: calc(100vw - 70px); box-sizing: border-box; }
  .nestwatch-player button { font: inherit; padding: 2px 6px; min-width: 26px; cursor: pointer;
    border: 1px solid #888; border-radius: 3px; background: #fff; flex: none; }
  .nestwatch-player button[data-nw="play"] { min-width: 76px; font-weight: bold; }
  .nestwatch-player input[type=range] { flex: 1 1 60px; min-width: 40px; margin: 0 2px; }
  .nestwatch-player .nestwatch-month { font-weight: bold; font-size: 14px; flex: none; white-space: nowrap; }
  .nestwatch-label { background: transparent; border: 0; box-shadow: none; padding: 0;
    font: bold 11px/1.1 sans-serif; color: #222; white-space: nowrap;
    text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
  .nestwatch-label:before { display: none; }
</style>
"""

_LABELS_JS = r"""
  function nwLabels(map, names, at) {
    var pane = map.getPane("nestwatchLabels") || map.createPane("nestwatchLabels");
    pane.style.zIndex = 640;
    pane.style.pointerEvents = "none";
    for (var i = 0; i < names.length; i++) {
      var text = document.createElement("span");
      text.textContent = names[i];
      L.tooltip({permanent: true, direction: "center", className: "nestwatch-label", interactive: false,
        pane: "nestwatchLabels", opacity: 1}).setLatLng(at[i]).setContent(text).addTo(map);
    }
  }
"""


class _Labels(_VerbatimMacros):
    """Area names drawn on the map as permanent, non-interactive tooltips (text via textContent)."""

    _template = _layer_template(_LABELS_JS + "\n  nwLabels({{ this.map.get_name() }}, d.names, d.at);\n", header=_STYLE)

    def __init__(self, m: folium.Map, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchLabels"
        self.map = m
        self.payload = payload


class _Playback(_VerbatimMacros):
    """The areas, recoloured a month at a time by a player control; every month is in the payload."""

    _template = _layer_template(
        """
  var map = {{ this.map.get_name() }}, w = d.words, polys = [], month = d.start, timer = null;
  """
        + _LABELS_JS
        + r"""
  function pairs(flat) {
    var out = [];
    for (var j = 0; j < flat.length; j += 2) { out.push([flat[j], flat[j + 1]]); }
    return out;
  }
  function tip(i) {
    var box = document.createElement("div"), v = d.values[d.frames[month][i]];
    [[w.area, d.names[i]], [w.month, d.monthWords[month]], [w.count, v[0]]].forEach(function (row, k) {
      if (k) { box.appendChild(document.createTextNode("\n")); }
      var line = document.createElement("div"), b = document.createElement("b");
      b.textContent = row[0] + ": ";
      line.appendChild(b);
      line.appendChild(document.createTextNode(row[1]));
      box.appendChild(line);
    });
    return box;
  }
  // SVG, not the map's canvas: a ward is a path whose fill is in the DOM (a hundred wards, not thousands)
  var group = L.featureGroup(), renderer = L.svg({padding: 0.1});
  d.shapes.forEach(function (shape, i) {
    var p = L.polygon(shape.map(function (poly) { return poly.map(pairs); }), {renderer: renderer,
      color: "#555", weight: 1, opacity: 0.9, fillOpacity: 0.75, className: "nestwatch-playback-area"});
    p.nwRow = i;
    p.bindTooltip(function (layer) { return tip(layer.nwRow); }, {sticky: true});
    polys.push(p);
    group.addLayer(p);
  });
  group.addTo(map);
  if (d.labels) { nwLabels(map, d.names, d.at); }

  var box = L.DomUtil.create("div", "nestwatch-player"), ui = {};
  box.setAttribute("data-playing", "false");
  function button(key, text, title) {
    var b = L.DomUtil.create("button", "", box);
    b.type = "button"; b.textContent = text; b.title = title; b.setAttribute("aria-label", title);
    b.setAttribute("data-nw", key);
    ui[key] = b;
    return b;
  }
  button("previous", "\u2039", w.previous);
  button("play", "\u25B6 " + w.play, w.play);
  button("next", "\u203A", w.next);
  var slider = L.DomUtil.create("input", "", box);
  slider.type = "range"; slider.min = 0; slider.max = d.months.length - 1; slider.step = 1;
  slider.setAttribute("aria-label", w.slider); slider.setAttribute("data-nw", "slider");
  var label = L.DomUtil.create("span", "nestwatch-month", box);
  label.setAttribute("data-nw", "month"); label.setAttribute("aria-live", "polite");

  function show(k) {
    month = Math.max(0, Math.min(d.months.length - 1, k));
    var frame = d.frames[month];
    for (var i = 0; i < polys.length; i++) {
      polys[i].setStyle({fillColor: d.palette[d.values[frame[i]][1]]});
      var t = polys[i].getTooltip();
      if (t && polys[i].isTooltipOpen()) { t.setContent(tip(i)); }
    }
    label.textContent = d.monthWords[month];
    label.setAttribute("data-month", d.months[month]);
    slider.value = String(month);
  }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    ui.play.textContent = "\u25B6 " + w.play; ui.play.title = w.play; ui.play.setAttribute("aria-label", w.play);
    ui.play.setAttribute("aria-pressed", "false");
    box.setAttribute("data-playing", "false");
  }
  function play() {
    if (month >= d.months.length - 1) { show(0); }  // from the end: start again at the first month
    ui.play.textContent = "\u275A\u275A " + w.pause; ui.play.title = w.pause;
    ui.play.setAttribute("aria-label", w.pause); ui.play.setAttribute("aria-pressed", "true");
    box.setAttribute("data-playing", "true");
    timer = setInterval(function () {
      if (month >= d.months.length - 1) { pause(); return; }
      show(month + 1);
    }, d.frameMs);
  }
  ui.play.addEventListener("click", function () { if (timer === null) { play(); } else { pause(); } });
  ui.previous.addEventListener("click", function () { pause(); show(month - 1); });
  ui.next.addEventListener("click", function () { pause(); show(month + 1); });
  slider.addEventListener("input", function () { pause(); show(parseInt(slider.value, 10)); });
  var control = L.control({position: "topright"});  // the legend is bottom right, the zoom top left
  control.onAdd = function () {
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);
  show(month);
""",
        header=_STYLE,
    )

    def __init__(self, m: folium.Map, payload: str) -> None:
        super().__init__()
        self._name = "NestwatchPlayback"
        self.map = m
        self.payload = payload
