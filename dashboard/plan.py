"""The patrol plan as files that leave the building: CSV, GeoJSON and a printable page.

The printable page is one self-contained HTML file (inline SVG map, no
scripts, no external fonts or tiles) so it prints the same on a locked-down
police network as anywhere else. Every value is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.plan.priority import SHARED_FEATURES, Counted
from geo.publish.export import frame_to_csv_bytes
from geo.space.hexes import cells_to_polygons, strings_to_cells

#: What a plan that leaves the building carries: place, score and reasons, and the case
#: features each case kind marks as shared (never victims: see ``geo.plan.priority.CASE_KINDS``).
#: ``count`` leaves under the name of what it counts (:attr:`geo.plan.priority.Counted.label`).
PLAN_COLUMNS = [
    "visit_order",
    "rank",
    "cell",
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
    cols = [c for c in PLAN_COLUMNS if c in ranked.columns]
    label = (counted or Counted()).label
    return ranked.sort_values("visit_order")[cols].reset_index(drop=True).rename(columns={"count": label})


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
    width: int = 640,
    height: int = 480,
) -> str:
    """A printable page: an SVG map of the cells, the route between them, and the table of reasons."""
    label = (counted or Counted()).label
    plan = plan_frame(ranked, counted=counted)
    polys = cells_to_polygons(strings_to_cells(plan["cell"])) if len(plan) else np.array([], dtype=object)
    shapes = list(polys)
    if boundaries is not None and not boundaries.empty:
        shapes += list(boundaries.geometry)
    svg = _svg(plan, polys, boundaries, shapes, width=width, height=height) if len(plan) else ""
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                r["visit_order"],
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
    made = dt.datetime.now().strftime("%d %B %Y %H:%M")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
td, th {{ border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }}
th {{ background: #eee; }}
.note {{ color: #555; font-size: 0.85em; }}
@media print {{ body {{ margin: 0.5cm; }} }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(subtitle)}</p>
<p class="note">Made {html.escape(made)}. Route of {tour_m / 1000:.1f} km between {len(plan)} places,
in the numbered order. OFFICIAL-SENSITIVE: for the neighbourhood team; do not forward.</p>
{svg}
<table><thead><tr><th>Visit</th><th>Ward</th><th>Estate</th><th>Score</th><th>Why</th><th>{html.escape(label)}</th>
<th>Cell</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


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
