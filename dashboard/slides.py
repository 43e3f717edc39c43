"""Slides for a partnership day: the published outcomes, one headline per screen, for a projector.

:func:`slides` lists what each screen says, from a :class:`~geo.publish.published.PublishedOutcomes`
only (the figures the report pack prints, with the same words and tones); :func:`slides_html` lays
them out as one self-contained page for ``st.iframe``: large type (headlines at
least twice the body size), a high-contrast black theme, the ward map full screen as inline SVG, and
its own keyboard handling: arrow keys, PageDown/PageUp (what a presentation clicker sends), Space and
Enter move on, Home/End jump. Nothing is loaded from anywhere: the CSS, the script and the map are
inline, and every value is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from dashboard.outcomes import MAP_LEGEND, change_colour, delta_of
from geo.publish.patrol_figures import MINUTES_LABEL
from geo.publish.published import PublishedOutcomes
from geo.publish.report import DEMO_BANNER, effect_lines, patrol_section, protection_note

#: Change colours on the black slides (brighter than the page's, for a washed-out projector).
SLIDE_TONES = {"good": "#69f0ae", "bad": "#ff8a80", "neutral": "#e0e0e0", "none": "#e0e0e0"}
#: The arrow beside a change, so its direction does not rest on colour alone.
ARROWS = {"up": "▲", "down": "▼", "": ""}


@dataclass(frozen=True)
class Slide:
    """One screen: a headline, optionally a big figure with its change, lines of text, or the map."""

    kind: str  # "title", "figure", "closure", "patrols", "map", "end"
    headline: str
    big: str = ""
    change: str = ""
    tone: str = "none"
    arrow: str = ""
    lines: tuple[str, ...] = field(default_factory=tuple)
    key: str = ""


def slides(pack: PublishedOutcomes) -> list[Slide]:
    """The slides in order: title, one per headline figure, the closure orders, the map, how it is made."""
    compared = f"Compared with {pack.period.previous.label()}." if pack.compared else "No earlier data to compare with."
    out = [Slide("title", f"What the partnership achieved: {pack.area_name}", lines=(pack.period.label(), compared))]
    for f in pack.figures:
        rose = _direction(f.now, f.previous)
        change = delta_of(f).text or f.change_text  # the page's words: "-9% · good news", "up · neither good nor bad"
        out.append(
            Slide(
                "figure",
                f.label,
                big=f.now_text,
                change=change,
                tone=f.tone,
                arrow="" if f.tone == "none" else rose,
                lines=(f.words, f"Previous period: {f.previous_text}."),
                key=f.key,
            )
        )
    said = (*effect_lines(pack)[:1], pack.effect_trend_words)
    out.append(Slide("closure", "Around the closure orders", lines=tuple(t for t in said if t), key="closure"))
    if pack.patrols is not None:  # the report's words, first two: the minutes and the evaluation's sentence
        p = pack.patrols
        said_p = patrol_section(pack)[:2]
        change = "" if p.previous_text == "no patrol log" else p.change_text
        out.append(
            Slide("patrols", MINUTES_LABEL, big=p.minutes_text, change=change, lines=tuple(said_p), key="patrols")
        )
    out.append(Slide("map", "ASB by ward: change on the previous period", key="map"))
    source = DEMO_BANNER if pack.demo else "Data: " + "; ".join(pack.sources) + "."
    out.append(Slide("end", "How these figures are made", lines=(source, protection_note(pack), *pack.attribution)))
    return out


def _direction(now: float, before: float) -> str:
    """``up``/``down`` from shown values (NaN: under the threshold), ``""`` when equal or unknown."""
    if np.isnan(now) and np.isnan(before):
        return ""
    if np.isnan(now):
        return "up" if before == 0 else "down"
    if np.isnan(before):
        return "up" if now > 0 else "down"
    return "up" if now > before else "down" if now < before else ""


def _e(value: object) -> str:
    """HTML-escaped, and the backtick and dollar too (SECURITY.md: no text may open a template literal)."""
    return html.escape(str(value), quote=True).replace("`", "&#96;").replace("$", "&#36;")


def map_svg(pack: PublishedOutcomes, layer: str = "ward", *, width: int = 1600) -> str:
    """The areas of ``layer`` shaded by the change in ASB, named with their published count, as inline SVG.

    Longitude is scaled by the cosine of the middle latitude so the town keeps its shape; the
    drawing is as tall as the town is (within 0.4 to 1.2 of its width), so it fills the slide.
    Labels are 30 units high in a ``width``-unit drawing (about 25 px on a 1920 px projector).
    No point is drawn; only published values and area names (escaped) appear.
    """
    outlines = pack.boundaries[pack.boundaries["layer"] == layer].merge(
        pack.areas[pack.areas["layer"] == layer][["code", "asb_text", "change", "change_text"]], on="code", how="left"
    )
    if not len(outlines):
        return '<p class="line">No boundaries of this kind are loaded.</p>'
    minx, miny, maxx, maxy = (float(v) for v in outlines.total_bounds)
    kx = math.cos(math.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * kx, 1e-9), max(maxy - miny, 1e-9)
    pad = 20
    height = int(min(max(width * span_y / span_x, 0.4 * width), 1.2 * width)) + 2 * pad
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    ox = (width - span_x * scale) / 2
    oy = (height - span_y * scale) / 2

    def xy(lng: float, lat: float) -> str:
        return f"{ox + (lng - minx) * kx * scale:.1f},{oy + (maxy - lat) * scale:.1f}"

    def ring(coords: object) -> str:
        return "M" + "L".join(xy(x, y) for x, y, *_ in coords) + "Z"  # type: ignore[attr-defined]

    paths, labels = [], []
    for geom, name, text, change, change_text in zip(
        outlines.geometry,
        outlines["name"],
        outlines["asb_text"],
        outlines["change"],
        outlines["change_text"],
        strict=True,
    ):
        polys = getattr(geom, "geoms", [geom])
        d = "".join(ring(p.exterior.coords) + "".join(ring(i.coords) for i in p.interiors) for p in polys)
        fill = change_colour(float(change) if pd.notna(change) else np.nan)
        paths.append(f'<path d="{d}" fill="{fill}" fill-rule="evenodd" stroke="#ffffff" stroke-width="2"/>')
        point = shapely.point_on_surface(geom)
        at = xy(point.x, point.y).split(",")
        shown = text if isinstance(text, str) else "0"
        if isinstance(change_text, str) and change_text[:1] in "+-":  # "≈ 395 · +12%": the count and its change
            shown = f"{shown} · {change_text}"
        labels.append(
            f'<text x="{at[0]}" y="{at[1]}" text-anchor="middle" class="area">'
            f'<tspan x="{at[0]}">{_e(name)}</tspan><tspan x="{at[0]}" dy="1.15em">{_e(shown)}</tspan></text>'
        )
    return (
        f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-label="Map of ASB by {_e(layer)}">{"".join(paths)}{"".join(labels)}</svg>'
    )


_CSS = """
*{box-sizing:border-box}html,body{margin:0;height:100%;background:#000;color:#fff;
font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;overflow:hidden}
.slide{display:none;position:absolute;inset:0 0 2.2rem 0;padding:3vh 5vw;flex-direction:column;justify-content:center}
.slide.on{display:flex}
h1{font-size:clamp(36px,4.6vw,96px);line-height:1.15;margin:0 0 3vh;font-weight:bold}
.big{font-size:clamp(72px,11vw,240px);font-weight:bold;line-height:1;margin:0 0 2vh}
.change{font-size:clamp(36px,4vw,84px);font-weight:bold;margin:0 0 3vh}
.line{font-size:clamp(32px,2.7vw,56px);line-height:1.3;margin:0 0 2vh;max-width:70ch}
.slide.end .line{font-size:clamp(32px,1.9vw,40px)}
.slide.map{padding:1.5vh 2vw;justify-content:flex-start}
.slide.map h1{font-size:clamp(32px,3vw,64px);margin:0 0 1vh;padding-right:9rem}
.mapbox{flex:1;display:flex;min-height:0;gap:2vw}.mapbox svg{flex:1;min-width:0;min-height:0;height:100%}
@media (max-aspect-ratio:1/1){.mapbox{flex-direction:column}.legend{max-width:none;display:flex;flex-wrap:wrap;
gap:0 2vw;align-self:flex-start}}
.legend{list-style:none;margin:0;padding:0;font-size:clamp(18px,1.4vw,30px);align-self:center;max-width:22vw}
.legend li{margin:0 0 1.2vh;display:flex;gap:.6em;align-items:center}
.legend i{display:inline-block;width:1.4em;height:1.4em;border:2px solid #fff;flex:none}
text.area{font-size:30px;fill:#000;stroke:#fff;stroke-width:6px;paint-order:stroke;font-weight:bold}
footer{position:absolute;left:0;right:0;bottom:0;height:2.2rem;display:flex;justify-content:space-between;
align-items:center;padding:0 1rem;font-size:14px;color:#ccc;border-top:1px solid #444;background:#000}
footer .demo{color:#ffcc80}
nav button{background:#222;color:#fff;border:1px solid #888;font-size:14px;padding:.15rem .7rem;margin-left:.4rem;
cursor:pointer}nav button:focus-visible{outline:3px solid #ffeb3b}
"""

_SCRIPT = """
(function(){
  var slides = Array.prototype.slice.call(document.querySelectorAll('.slide'));
  var count = document.getElementById('count');
  var at = 0;
  function show(i){
    at = Math.max(0, Math.min(slides.length - 1, i));
    slides.forEach(function(s, j){
      s.classList.toggle('on', j === at);
      s.setAttribute('aria-hidden', j === at ? 'false' : 'true');
    });
    count.textContent = (at + 1) + ' / ' + slides.length;
    document.body.setAttribute('data-slide', String(at + 1));
  }
  var NEXT = ['ArrowRight','ArrowDown','PageDown',' ','Spacebar','Enter','n'];
  var PREV = ['ArrowLeft','ArrowUp','PageUp','Backspace','p'];
  function key(e){
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target && e.target.tagName;
    if (t === 'INPUT' || t === 'TEXTAREA' || t === 'SELECT') return;
    if (NEXT.indexOf(e.key) >= 0) { show(at + 1); e.preventDefault(); }
    else if (PREV.indexOf(e.key) >= 0) { show(at - 1); e.preventDefault(); }
    else if (e.key === 'Home') { show(0); e.preventDefault(); }
    else if (e.key === 'End') { show(slides.length - 1); e.preventDefault(); }
  }
  // a click or a key in the slides is a click outside the presenter's menu around the frame: close it
  function outside(){
    try {
      var w = window.parent, d = w.document;
      if (w === window || !d.querySelector('[data-testid="stPopoverBody"]')) return;
      d.body.dispatchEvent(new w.PointerEvent('pointerdown', {bubbles: true}));
      d.body.dispatchEvent(new w.MouseEvent('click', {bubbles: true}));
    } catch (err) {}
  }
  document.addEventListener('keydown', function(e){ outside(); key(e); });
  document.addEventListener('pointerdown', outside);
  // the clicker's keys reach the page around this frame when the frame has no focus
  try { if (window.parent && window.parent !== window) window.parent.document.addEventListener('keydown', key); }
  catch (err) {}
  document.getElementById('prev').addEventListener('click', function(){ show(at - 1); });
  document.getElementById('next').addEventListener('click', function(){ show(at + 1); });
  show(0);
  window.focus();
})();
"""


def _slide_html(slide: Slide, map_markup: str, i: int) -> str:
    cls = f"slide {slide.kind}"
    attrs = f'class="{cls}" data-kind="{_e(slide.kind)}" data-key="{_e(slide.key)}" id="slide-{i + 1}"'
    inner = [f"<h1>{_e(slide.headline)}</h1>"]
    if slide.big:
        inner.append(f'<p class="big">{_e(slide.big)}</p>')
    if slide.change:
        colour = SLIDE_TONES.get(slide.tone, "#e0e0e0")
        arrow = ARROWS.get(slide.arrow, "")
        inner.append(
            f'<p class="change tone-{_e(slide.tone)}" style="color:{colour}">{_e((arrow + " ").lstrip())}'
            f"{_e(slide.change)}</p>"
        )
    inner += [f'<p class="line">{_e(line)}</p>' for line in slide.lines]
    if slide.kind == "map":
        legend = "".join(f'<li><i style="background:{c}"></i>{_e(t)}</li>' for t, c in MAP_LEGEND)
        inner.append(f'<div class="mapbox">{map_markup}<ul class="legend">{legend}</ul></div>')
    return f"<section {attrs}>{''.join(inner)}</section>"


def slides_html(pack: PublishedOutcomes, *, layer: str = "ward") -> str:
    """All slides as one page (no external load; values escaped), with its keyboard handling."""
    shown = slides(pack)
    if layer != "ward":
        shown = [
            Slide("map", f"ASB by {layer}: change on the previous period", key="map") if s.kind == "map" else s
            for s in shown
        ]
    markup = map_svg(pack, layer)
    banner = f'<span class="demo">{_e(DEMO_BANNER)}</span>' if pack.demo else f"<span>{_e(pack.period.label())}</span>"
    body = "".join(_slide_html(s, markup, i) for i, s in enumerate(shown))
    headlines = json.dumps([s.headline for s in shown])  # for assistive tech and tests: the order of the slides
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<style>{_CSS}</style></head><body>"
        f'<main aria-live="polite" data-headlines="{_e(headlines)}">{body}</main>'
        f'<footer>{banner}<nav><span id="count"></span>'
        '<button id="prev" type="button" aria-label="Previous slide">◀</button>'
        '<button id="next" type="button" aria-label="Next slide">▶</button></nav></footer>'
        f"<script>{_SCRIPT}</script></body></html>"
    )
