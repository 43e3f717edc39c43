"""The patrol plan as files that leave the building (CSV, GeoJSON, a printable page), and how to read it.

The printable page is one self-contained HTML file (inline SVG map, no
scripts, no external fonts or tiles) so it prints the same on a locked-down
police network as anywhere else. Every value is escaped.

"How to read this" (:func:`reading_guide`) is made here for the page and the
printable plan alike, from the policy itself (:func:`geo.plan.priority.rules_for`,
the Gi* confidence levels, Esri's patterns): change a weight and both say so.
"""

from __future__ import annotations

import datetime as dt
import html
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.plan.priority import BALANCES, DEFAULT_BALANCE, RULES, SHARED_FEATURES, Counted, rules_for
from geo.publish.export import frame_to_csv_bytes
from geo.space.hexes import cells_to_polygons, strings_to_cells
from geo.stats.emerging import CONFIDENCE_BINS, MIN_TREND_MONTHS, PATTERNS

#: What a plan that leaves the building carries: place, score and reasons, and the case
#: features each case kind marks as shared (never victims: see ``geo.plan.priority.CASE_KINDS``).
#: ``count`` leaves under the name of what it counts (:attr:`geo.plan.priority.Counted.label`);
#: ``place`` is the name people use for the cell ("On or near Beacon Court"), its id when it has none.
PLAN_COLUMNS = [
    "visit_order",
    "rank",
    "cell",
    "place",
    "ward",
    "ward_name",
    "estate",
    "estate_name",
    "score",
    "reasons",
    "count",
    *SHARED_FEATURES,
    "lat",
    "lng",
]


def plan_frame(ranked: pd.DataFrame, *, counted: Counted | None = None) -> pd.DataFrame:
    """The plan in visiting order with the columns a team needs (no victim detail).

    ``count`` is renamed to what it counts, e.g. "ASB incidents, Jan–Mar 2024"
    (``counted``; None: "incidents, the period"), so a bare number never leaves.
    """
    ranked = ranked.assign(place=place_names(ranked))
    cols = [c for c in PLAN_COLUMNS if c in ranked.columns]
    label = (counted or Counted()).label
    return ranked.sort_values("visit_order")[cols].reset_index(drop=True).rename(columns={"count": label})


def place_names(frame: pd.DataFrame) -> pd.Series:
    """Each cell's place name (the ``place`` column), its H3 id where it has none (or no ``place`` column)."""
    cells = frame["cell"].astype(str)
    if "place" not in frame:
        return cells
    place = frame["place"].astype(object).where(frame["place"].notna(), "").astype(str).str.strip()
    return place.where(place != "", cells)


def plan_to_csv(ranked: pd.DataFrame, *, counted: Counted | None = None) -> bytes:
    """CSV (UTF-8 with BOM, formula-safe)."""
    return frame_to_csv_bytes(plan_frame(ranked, counted=counted))


def plan_to_geojson(ranked: pd.DataFrame, *, counted: Counted | None = None) -> bytes:
    """A FeatureCollection of the cells to visit, properties from :data:`PLAN_COLUMNS`."""
    plan = plan_frame(ranked, counted=counted)
    polys = cells_to_polygons(strings_to_cells(plan["cell"]))
    features = []
    for poly, rec in zip(polys, plan.to_dict("records"), strict=True):
        props = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()}
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(poly), "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")


def plan_to_html(
    ranked: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    boundaries: gpd.GeoDataFrame | None = None,
    tour_m: float = 0.0,
    counted: Counted | None = None,
    balance: str = DEFAULT_BALANCE,
    width: int = 640,
    height: int = 480,
) -> str:
    """A printable page: an SVG map of the cells and the numbered route, the route in words, the table of
    places and reasons in visiting order, and "How to read this" (:func:`reading_guide`) for ``balance``."""
    label = (counted or Counted()).label
    plan = plan_frame(ranked, counted=counted)
    polys = cells_to_polygons(strings_to_cells(plan["cell"])) if len(plan) else np.array([], dtype=object)
    shapes = list(polys)
    if boundaries is not None and not boundaries.empty:
        shapes += list(boundaries.geometry)
    svg = _svg(plan, polys, boundaries, shapes, width=width, height=height) if len(plan) else ""
    esc = html.escape
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{esc(str(v))}</td>"
            for v in (
                r["visit_order"],
                r["rank"],
                r["place"],
                r.get("ward_name", r["ward"]),
                r.get("estate_name", r.get("estate", "")),
                f"{r['score']:.0f}",
                r["reasons"],
                r[label],
                r["cell"],
            )
        )
        + "</tr>"
        for _, r in plan.iterrows()
    )
    stops = " → ".join(f"{v} {esc(str(p))}" for v, p in zip(plan["visit_order"], plan["place"], strict=True))
    route = f'<p class="route"><b>Route:</b> {stops} → back to 1.</p>' if len(plan) > 1 else ""
    guide = "\n".join(
        f"<h3>{esc(heading)}</h3>\n<ul>" + "".join(f"<li>{esc(item)}</li>" for item in items) + "</ul>"
        for heading, items in reading_guide(balance=balance, counted=counted)
    )
    made = dt.datetime.now().strftime("%d %B %Y %H:%M")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
td, th {{ border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }}
th {{ background: #eee; }}
.note, .guide {{ color: #444; font-size: 0.85em; }}
.guide li {{ margin-bottom: 0.3em; }}
tr {{ break-inside: avoid; }}
@media print {{ body {{ margin: 0.5cm; }} h2 {{ break-before: auto; }} }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>{esc(subtitle)}</p>
<p class="note">Made {esc(made)}. Route of {tour_m / 1000:.1f} km between {len(plan)} places,
in the numbered order. OFFICIAL-SENSITIVE: for the neighbourhood team; do not forward.</p>
{svg}
{route}
<table><thead><tr><th>Visit</th><th>Rank</th><th>Place</th><th>Ward</th><th>Estate</th><th>Score</th><th>Why</th>
<th>{esc(label)}</th><th>Hexagon (H3)</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<div class="guide">
<h2>How to read this</h2>
{guide}
</div>
</body></html>
"""


#: Hot spot patterns that score no points, in the form of the policy's words for those that do.
_MORE_PATTERNS = {
    "diminishing hot spot": "diminishing: hot in 90 % of months or more, the latest included, and cooling",
    "historical hot spot": "historical: hot in 90 % of months or more, but not in the latest",
}


def _category(rule: object) -> str | None:
    """The emerging pattern a rule scores (``"persistent hot spot"``), None for any other rule."""
    return getattr(getattr(rule, "units", None), "category", None)


def pattern_words() -> dict[str, str]:
    """Each hot spot pattern ("new hot spot" … "historical hot spot", Esri's order) in words.

    The patterns that score are in the very words their rule adds to a place's reasons, so the list, the
    hexagon details and "How to read this" say the same thing.
    """
    scored = {_category(r): r.reason for r in RULES if isinstance(r.reason, str) and _category(r)}
    return {f"{p} hot spot": str(scored.get(f"{p} hot spot") or _MORE_PATTERNS[f"{p} hot spot"]) for p in PATTERNS}


def pattern_in_words(category: object) -> str:
    """A cell's emerging pattern as the page shows it (blank or missing: not classified)."""
    text = "" if category is None or pd.isna(category) else str(category)
    if not text:
        return f"not classified (patterns need {MIN_TREND_MONTHS} months or more in the trend)"
    if text in pattern_words():
        return pattern_words()[text]
    if text.endswith(" cold spot"):
        return f"{text.removesuffix(' spot')}: the mirror of a {text.split()[0]} hot spot (fewer incidents)"
    return "no pattern over the months" if text == "no pattern detected" else text


def reading_guide(*, balance: str = DEFAULT_BALANCE, counted: Counted | None = None) -> list[tuple[str, list[str]]]:
    """ "How to read this": (heading, items) for hot spots, patterns, the score and the route, in plain words.

    Every figure comes from the policy and the statistics' own constants: the points of ``balance``
    (:func:`geo.plan.priority.rules_for`), the Gi* confidence levels and Esri's minimum months.
    """
    what = counted or Counted()
    noun = f"{what.kind} incidents" if what.kind else "incidents"
    top, *others = sorted(CONFIDENCE_BINS, reverse=True)

    def odds(c: int) -> str:
        return f"1 in {round(100 / (100 - c))}"

    rules = rules_for(balance)
    hot = [
        f"A hot spot is a hexagon that, with the ring of hexagons around it, has more {noun} than the study area "
        "as a whole, by more than chance would give (the Getis–Ord Gi* statistic). A cold spot is the same the "
        "other way round: fewer than around it.",
        f"The percentage is the confidence: at {top} %, a cluster as strong would turn up by chance less than "
        f"{odds(top).replace(' in ', ' time in ')}. Many hexagons are tested at once, so a few would pass by "
        "luck: the false discovery rate (FDR) correction raises the bar so that, of all the hexagons marked "
        f"{top} %, at most about {odds(top)} is expected to be a fluke ("
        + "; ".join(f"{c} %: {odds(c)}" for c in others)
        + ").",
        "A hexagon with no incidents of its own can be a hot spot because its neighbours are busy: the list says "
        '"next to a hot spot" and gives it only a few points.',
    ]
    points = {_category(r): r.points for r in rules if _category(r)}
    patterns = [
        "Each month's hot spots are found the same way, and a trend test (Mann–Kendall) says whether a place is "
        "getting hotter or cooler. The names are those of Esri's Emerging Hot Spot Analysis. They need "
        f"{MIN_TREND_MONTHS} months or more in the trend (a longer Months range): with fewer the list ranks "
        "without them.",
        *(
            f"{words} ({f'+{points[key]:g} points' if points.get(key) else 'no points'})"
            for key, words in pattern_words().items()
        ),
        "Cold spots have the same patterns the other way round; they add no points.",
    ]
    chosen = BALANCES[balance]
    score = [f"Points for each reason that applies, added up. Balance: {chosen.label}. {chosen.help}"]
    for rule in rules:
        if rule.points and not _category(rule):
            title = f"{rule.reason}: " if isinstance(rule.reason, str) else ""
            score.append(f"+{rule.points:g}: {title}{rule.help}")
    score.append("Emerging patterns: the points above. A place's reasons in the list are the ones that scored.")
    route = [
        "Visit is the order to go round in: a round trip through the places, setting out from the top-ranked "
        "one and back to it, as short as could be found in straight lines (not roads). The numbers on the map "
        "are the visits.",
        "Rank is the order of priority: 1 has the highest score.",
    ]
    return [
        ("Hot spots and the percentages", hot),
        ("Patterns over the months", patterns),
        ("What the score adds up", score),
        ("Visit and rank", route),
    ]


def _svg(
    plan: pd.DataFrame,
    polys: np.ndarray,
    boundaries: gpd.GeoDataFrame | None,
    shapes: list,
    *,
    width: int,
    height: int,
) -> str:
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(shapes, dtype=object))
    pad = 0.05 * max(maxx - minx, maxy - miny, 1e-4)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    kx = np.cos(np.radians((miny + maxy) / 2))  # keep shapes square-ish at UK latitudes
    sx = width / ((maxx - minx) * kx)
    sy = height / (maxy - miny)
    s = min(sx, sy)

    def xy(lng: float, lat: float) -> tuple[float, float]:
        return (lng - minx) * kx * s, (maxy - lat) * s

    def path(geom: shapely.Geometry) -> str:
        parts = []
        for poly in shapely.get_parts(geom):
            ring = poly.exterior if hasattr(poly, "exterior") else poly
            pts = [xy(x, y) for x, y in np.asarray(ring.coords)[:, :2]]
            parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + " Z")
        return " ".join(parts)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" style="border:1px solid #999">']
    if boundaries is not None and not boundaries.empty:
        for geom, name in zip(boundaries.geometry, boundaries["name"], strict=True):
            out.append(f'<path d="{path(geom)}" fill="none" stroke="#888" stroke-width="1"/>')
            c = geom.representative_point()
            x, y = xy(c.x, c.y)
            out.append(f'<text x="{x:.0f}" y="{y:.0f}" font-size="10" fill="#666">{html.escape(str(name))}</text>')
    route = [xy(r["lng"], r["lat"]) for _, r in plan.iterrows()]
    if len(route) > 1:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in [*route, route[0]])
        out.append(f'<polyline points="{pts}" fill="none" stroke="#1565c0" stroke-width="2" stroke-dasharray="6 3"/>')
    for geom, (x, y), order in zip(polys, route, plan["visit_order"], strict=True):
        out.append(f'<path d="{path(geom)}" fill="#d32f2f" fill-opacity="0.5" stroke="#7f0000"/>')
        out.append(
            f'<text x="{x:.0f}" y="{y + 4:.0f}" font-size="12" font-weight="bold" text-anchor="middle">{order}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
