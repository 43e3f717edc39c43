"""One rule for "an incident in a ward or estate": its point in the area's outline.

Trends, Outcomes, the report pack, the patrol plan's ward and estate columns
and ``python -m geo areas`` all count areas here, so a ward has one count
for a period whichever screen asks. H3 cells are for hot spots (a cell can
straddle two wards); areas are counted from the points themselves.

The rule, for one layer of boundaries (wards, or estates):

* a point strictly inside an outline belongs to that area;
* a point exactly on an outline belongs to it too (``intersects``), so no
  point on an edge falls between two areas;
* a point held by more than one area of the layer (on a shared border, or
  where two outlines overlap) belongs to the one whose **code sorts first**,
  so it is counted once, and always in the same area whatever the order the
  boundaries were loaded in;
* a point outside every outline belongs to none (``-1``) and is not counted
  in any area (it still counts for the town when the town is "everything").

Points without a location (NaN) belong to none. A spatial index of the
outlines finds each point's candidates and GEOS decides each, exactly, on a
prepared outline (indexed edges: a point costs a few edge tests, not all of
them); points far from every outline's box need no geometry. Nothing loops
over points in Python.

A hexagon's ward or estate (the patrol plan's and the hot spot tables'
columns) is the area holding its centre, by the same rule
(:func:`cells_to_area_codes`): a cell on a boundary is labelled, not counted,
and the counts stay with the points.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.space.hexes import cells_to_latlng

#: What a table of area counts holds, in order.
AREA_COLUMNS = ["code", "name", "count", "previous", "change"]


def points_to_areas(boundaries: gpd.GeoDataFrame, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The position (row of ``boundaries``) of the area holding each point; -1 when none does.

    Parameters
    ----------
    boundaries
        One layer's outlines in WGS84, with a ``code`` column (the tie-break on shared borders).
    lng, lat
        Degrees, WGS84; NaN for a point without a location.

    Returns
    -------
    numpy.ndarray
        ``int64``, one per point: see the module docstring for the rule.
    """
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(len(lng), -1, dtype=np.int64)
    located = np.flatnonzero(np.isfinite(lng) & np.isfinite(lat))
    if not len(located) or not len(boundaries):
        return out
    # rank of each area's code (ties on shared borders go to the code that sorts first)
    by_code = np.argsort(boundaries["code"].astype(str).to_numpy())
    rank = np.empty(len(boundaries), dtype=np.int64)
    rank[by_code] = np.arange(len(boundaries))
    outlines = _prepared(boundaries.geometry.to_numpy())
    located = located[_near_a_box(shapely.bounds(outlines), lng[located], lat[located])]
    tree = shapely.STRtree(outlines)
    best = np.full(len(located), len(boundaries), dtype=np.int64)  # rank of the area holding it; n = none
    for lo in range(0, len(located), _CHUNK):
        part = located[lo : lo + _CHUNK]
        points = shapely.points(lng[part], lat[part])
        point, area = tree.query(points)  # boxes only: then one exact test per box hit, outline prepared
        hit = shapely.intersects(outlines[area], points[point])
        np.minimum.at(best, lo + point[hit], rank[area[hit]])
    held = best < len(boundaries)
    out[located[held]] = by_code[best[held]]
    return out


#: Points tested per spatial-index query in :func:`points_to_areas` (bounds the memory of the candidate pairs).
_CHUNK = 1 << 19


def _near_a_box(boxes: np.ndarray, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Which points may lie in one of the ``boxes`` (``minx, miny, maxx, maxy`` rows; NaN rows are ignored).

    A grid of at most 1024 x 1024 squares over the boxes' extent, each square
    marked when a box reaches it: a point in an unmarked square is in no box,
    and needs no geometry (most points, for a few estates in a force's data).
    Conservative: a point in a box always lands in a marked square, since
    subtraction and division never reverse the order of two numbers.
    """
    boxes = boxes[np.isfinite(boxes).all(axis=1)]
    if not len(boxes):
        return np.zeros(len(lng), dtype=bool)
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    size = max(boxes[:, 2].max() - x0, boxes[:, 3].max() - y0) / 1024 or 1.0
    cols = ((boxes[:, [0, 2]] - x0) / size).astype(np.int64)
    rows = ((boxes[:, [1, 3]] - y0) / size).astype(np.int64)
    grid = np.zeros((rows.max() + 1, cols.max() + 1), dtype=bool)
    for (r0, r1), (c0, c1) in zip(rows, cols, strict=True):
        grid[r0 : r1 + 1, c0 : c1 + 1] = True
    with np.errstate(invalid="ignore"):
        col, row = np.floor((lng - x0) / size), np.floor((lat - y0) / size)
    inside = (col >= 0) & (row >= 0) & (col < grid.shape[1]) & (row < grid.shape[0])
    out = np.zeros(len(lng), dtype=bool)
    out[inside] = grid[row[inside].astype(np.int64), col[inside].astype(np.int64)]
    return out


def _prepared(geoms: np.ndarray) -> np.ndarray:
    """Copies of ``geoms`` with GEOS's prepared form (an index on the edges) built.

    A prepared outline answers "is this point inside" in logarithmic time
    instead of walking every edge. The caller's geometries are copied, not
    prepared in place: they may be shared (a cached frame) and are left as they
    were. The copy is exact (WKB holds the same doubles).
    """
    copies = shapely.from_wkb(shapely.to_wkb(geoms))
    shapely.prepare(copies)
    return np.asarray(copies, dtype=object)


def cells_to_area_codes(cells: np.ndarray, boundaries: gpd.GeoDataFrame | None) -> np.ndarray:
    """The ``code`` of the area holding each cell's centre (``""`` when none, or no boundaries)."""
    out = np.full(len(cells), "", dtype=object)
    if boundaries is None or boundaries.empty or not len(cells):
        return out
    lat, lng = cells_to_latlng(np.asarray(cells, dtype=np.uint64))
    where = points_to_areas(boundaries, lng, lat)
    codes = boundaries["code"].astype(str).to_numpy(dtype=object)
    out[where >= 0] = codes[where[where >= 0]]
    return out


def area_counts(
    points: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    months: list[str],
    previous: list[str] | None,
) -> pd.DataFrame:
    """Incidents per area in ``months`` and in ``previous`` (the period before), with the change.

    Parameters
    ----------
    points
        ``lat, lng, month`` (``YYYY-MM``): the incidents already filtered by category and source.
    boundaries
        One layer's outlines (``code, name, geometry``); every area gets a row, zeros included.
    months, previous
        The period's months and the comparison period's; ``previous=None`` when the
        data does not reach back that far (the ``previous`` and ``change`` columns are then NaN:
        a zero would claim that nothing happened).

    Returns
    -------
    pandas.DataFrame
        :data:`AREA_COLUMNS`: exact counts (for the operational team) and ``change`` as a
        fraction (NaN when the earlier count is zero or unknown). Published forms are made
        from these by :func:`geo.publish.areas.publish_area_table`.
    """
    where = points_to_areas(boundaries, points["lng"].to_numpy(float), points["lat"].to_numpy(float))
    month = points["month"].astype(str).to_numpy()
    n = len(boundaries)

    def count(period: list[str]) -> np.ndarray:
        keep = (where >= 0) & np.isin(month, period)
        return np.bincount(where[keep], minlength=n).astype(np.int64)

    now = count(months)
    table = pd.DataFrame(
        {"code": boundaries["code"].astype(str).to_numpy(), "name": boundaries["name"].astype(str).to_numpy()}
    )
    table["count"] = now
    if previous is None:
        table["previous"] = np.nan
        table["change"] = np.nan
        return table
    before = count(previous)
    change = np.full(n, np.nan)
    base = before > 0
    change[base] = now[base] / before[base] - 1
    return table.assign(previous=before, change=change)


def area_monthly(points: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, months: list[str]) -> pd.DataFrame:
    """Incidents per area and month: one row per area (``code`` index), one column per month, zeros included.

    The same rule as :func:`area_counts`, so a ward's months add up to its count.
    """
    where = points_to_areas(boundaries, points["lng"].to_numpy(float), points["lat"].to_numpy(float))
    month_i = pd.Index(months, dtype=object).get_indexer(points["month"].astype(str).to_numpy())
    keep = (where >= 0) & (month_i >= 0)
    flat = where[keep] * len(months) + month_i[keep]
    counts = np.bincount(flat, minlength=len(boundaries) * len(months)).reshape(len(boundaries), len(months))
    return pd.DataFrame(
        counts.astype(np.int64), index=pd.Index(boundaries["code"].astype(str), name="code"), columns=months
    )
