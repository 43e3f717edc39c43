"""H3 cells: the only module that talks to h3 / h3ronpy.

Cells travel through Nestwatch as ``uint64`` arrays (h3's integer form), which
numpy sorts, joins and counts without Python objects; the string form
(``"89195da49b7ffff"``) is made only for output. Vectorised h3ronpy does the
per-point and per-cell work. h3-py's per-polygon overlap cover is the
definition of a study area; :func:`boundaries_to_cells` reproduces it for all
polygons at once and leaves to h3-py only the polygons it cannot vouch for.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
import shapely
from h3ronpy import ContainmentMode, cells_to_string, cells_valid, grid_disk
from h3ronpy.vector import cells_to_coordinates, cells_to_wkb_polygons, coordinates_to_cells, wkb_to_cells

from geo.core.errors import OptionError

RESOLUTIONS = range(6, 12)
DEFAULT_RES = 9


def check_res(res: int) -> int:
    """The resolution, or a clear error: below 6 a cell spans a town, above 11 a house."""
    if int(res) not in RESOLUTIONS:
        raise OptionError(
            f"H3 resolution must be between {RESOLUTIONS.start} and {RESOLUTIONS.stop - 1}, not {res}", option="res"
        )
    return int(res)


def points_to_cells(lat: np.ndarray, lng: np.ndarray, *, res: int = DEFAULT_RES) -> np.ndarray:
    """The cell of each point (uint64); 0 where the point is missing (NaN)."""
    check_res(res)
    lat = np.asarray(lat, dtype=np.float64)
    lng = np.asarray(lng, dtype=np.float64)
    out = np.zeros(len(lat), dtype=np.uint64)
    ok = np.isfinite(lat) & np.isfinite(lng)
    if ok.any():
        out[ok] = np.asarray(coordinates_to_cells(pa.array(lat[ok]), pa.array(lng[ok]), res)).astype(np.uint64)
    return out


def boundaries_to_cells(boundaries: gpd.GeoDataFrame, *, res: int = DEFAULT_RES) -> np.ndarray:
    """Sorted unique cells that touch any of the (WGS84) polygons: the study area.

    Cells only partly inside count (h3's ``overlap`` containment), so incidents
    on a ward's edge are never outside the study area. The set is, to the cell,
    h3-py's ``h3shape_to_cells_experimental(contain="overlap")`` of each polygon;
    :func:`_overlap_cover` computes it for all the polygons at once and hands any
    polygon it cannot vouch for (see there) to h3-py itself.
    """
    check_res(res)
    geoms = np.asarray(boundaries.geometry.to_numpy(), dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    fast = present & _coverable(geoms)
    found = [np.zeros(0, dtype=np.uint64)]
    doubtful = np.zeros(0, dtype=np.int64)
    if fast.any():
        cells, doubtful = _overlap_cover(geoms[fast], res)
        found.append(cells)
    by_h3 = np.union1d(np.flatnonzero(present & ~fast), np.flatnonzero(fast)[doubtful]).astype(np.int64)
    found += [_h3_overlap(geoms[i], res) for i in by_h3]
    return unique_cells(np.concatenate(found))


def unique_cells(cells: np.ndarray) -> np.ndarray:
    """Sorted distinct cells (``uint64``); what ``np.unique`` returns, many times faster on large arrays."""
    out = np.sort(np.asarray(cells, dtype=np.uint64))
    return out[np.r_[True, out[1:] != out[:-1]]] if len(out) else out


def _h3_overlap(geom: Any, res: int) -> np.ndarray:
    """h3-py's own overlap cover of one polygon: the definition the fast path reproduces."""
    shape = h3.geo_to_h3shape(shapely.geometry.mapping(geom))
    return strings_to_cells(h3.h3shape_to_cells_experimental(shape, res, contain="overlap"))


def _coverable(geoms: np.ndarray) -> np.ndarray:
    """Which geometries the vectorised cover handles: valid 2-D polygons away from the poles and the 180th meridian.

    Anything else (a bow-tie, a line, 3-D coordinates, a shape wrapping the
    globe) goes to h3-py, so that it is covered, or refused, as it always was.
    """
    ok = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.has_z(geoms) & shapely.is_valid(geoms)
    box = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        ok &= (box[:, 0] >= -170) & (box[:, 2] <= 170) & (box[:, 1] >= -80) & (box[:, 3] <= 80)
        ok &= box[:, 2] - box[:, 0] < 90
    return np.asarray(ok, dtype=bool)


#: Closer than this (degrees, about 0.1 mm) to a cell's corner, centre or edge, an outline is a near-tie
#: that two floating-point implementations may call either way: its polygon is left to h3-py.
_NEAR = 1e-9


def _overlap_cover(geoms: np.ndarray, res: int) -> tuple[np.ndarray, np.ndarray]:
    """h3's overlap cover of many valid polygons at once, and the polygons to hand back to h3-py.

    h3 counts a cell as overlapping a polygon when (1) its centre is inside,
    (2) it holds the first vertex of the polygon's outline, or (3) an edge of the
    cell crosses an edge of the polygon, outline or hole (h3 4.5, ``polyfill.c``).
    Here, for every polygon at once, with points sampled along every ring closer
    together than a quarter of the shortest cell edge there:

    * the cells a ring comes near (:class:`_Pass`): each sample's own cell, and the
      neighbour across each of its edges that the sample is within a sample gap of;
      no cell the ring touches is missed. Such a cell is in when a ring crosses its
      outline (certain for a sample's own cell when the ring leaves the cell; else
      GEOS), or else when its centre is inside (GEOS) or it holds a first vertex (h3-py);
    * every other cell is wholly inside or outside, its centre far from every ring:
      in when h3ronpy's ``ContainsCentroid`` fill of the polygon, simplified by a
      tenth of an edge, holds it (the interior costs next to no geometry).

    Exact arithmetic (GEOS) and h3's floating point agree except at a near-tie: a
    polygon vertex within :data:`_NEAR` of a cell edge, or an edge passing that close
    to a cell corner or centre. Those polygons are returned (positions in ``geoms``)
    for h3-py to cover; real boundaries have almost none.
    """
    n = len(geoms)
    none = np.zeros(0, dtype=np.uint64), np.arange(n)
    if n >= 1 << (57 - 3 * res):  # the polygon's position must fit beside the cell in a 64-bit key
        return none
    parts, part_poly = shapely.get_parts(geoms, return_index=True)
    solid = ~shapely.is_empty(parts)
    parts, part_poly = parts[solid], part_poly[solid]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[1:] == coord_ring[:-1]  # consecutive coordinates of one ring make a segment
    segs = _Segments(xy[:-1][same], xy[1:][same], coord_ring[:-1][same])
    seg_poly = part_poly[ring_part[segs.ring]]
    step = h3.average_hexagon_edge_length(res, "m") / 4 / 111_320  # degrees: one is at most 111.2 km
    for _ in range(2):
        samples = _Samples(segs, step, res)
        outlines = _CellOutlines(unique_cells(samples.cell))
        shortest = outlines.shortest_edge()
        if step <= shortest / 2.5:
            break
        step = shortest / 3  # cells smaller than h3's average here: sample closer together
    else:
        return none
    if not shortest:
        return none
    near = _Pass(samples, segs, outlines)
    sample_poly = seg_poly[samples.seg]
    own = _unique_keys(_pair_keys(sample_poly, samples.cell, res))
    # a ring through a cell crosses its outline if it also runs through another cell
    leaves = near.inside & _ring_leaves(segs.ring[samples.seg], samples.cell, near.inside)
    sure = _unique_keys(_pair_keys(sample_poly[leaves], samples.cell[leaves], res))
    by_edge = outlines.across(near.row[near.edge_sample], near.edge_k)
    odd = near.edge_sample[by_edge == 0]  # a cell that is not a plain hexagon: all its neighbours
    disk = pa.array(grid_disk(pa.array(samples.cell[odd]), 1, flatten=False))
    nb_poly = np.concatenate(
        [sample_poly[near.edge_sample[by_edge > 0]], sample_poly[odd][pc.list_parent_indices(disk).to_numpy()]]
    )
    nb_cells = np.concatenate([by_edge[by_edge > 0], disk.flatten().to_numpy().astype(np.uint64)])
    band = _unique_keys(np.concatenate([own, _pair_keys(nb_poly, nb_cells, res)]))
    fv_poly, fv_cells = _first_vertex_cells(parts, part_poly, res)
    settled = _unique_keys(np.concatenate([sure, _pair_keys(fv_poly, fv_cells, res)]))
    t_poly, t_cells = _unpack_keys(band[~_sorted_contains(settled, band)], res)
    t_unique = unique_cells(t_cells)
    at = np.searchsorted(t_unique, t_cells)
    x, y, _ = _cell_outline_arrays(t_unique)
    outline_of = shapely.boundary(geoms)  # new objects: preparing them leaves the caller's geometries alone
    shapely.prepare(outline_of)
    crosses = shapely.intersects(outline_of[t_poly], shapely.linearrings(np.stack([x, y], axis=-1))[at])
    shape = shapely.from_wkb(shapely.to_wkb(geoms))
    shapely.prepare(shape)
    rest = np.flatnonzero(~crosses)
    r_unique = unique_cells(t_cells[rest])
    lat, lng = cells_to_latlng(r_unique)
    centre = np.asarray(shapely.points(lng, lat))[np.searchsorted(r_unique, t_cells[rest])]
    held = shapely.intersects(shape[t_poly[rest]], centre)
    inside_poly, inside_cells = _centre_pairs(geoms, res, tolerance=shortest / 10)
    interior = ~_sorted_contains(band, _pair_keys(inside_poly, inside_cells, res))
    doubtful = np.unique(seg_poly[near.doubtful])
    trusted = np.ones(n, dtype=bool)
    trusted[doubtful] = False  # a doubtful polygon's cells all come from h3-py, none from here
    found = [
        _unpack_keys(sure, res),
        (fv_poly, fv_cells),
        (t_poly[crosses], t_cells[crosses]),
        (t_poly[rest[held]], t_cells[rest[held]]),
        (inside_poly[interior], inside_cells[interior]),
    ]
    return unique_cells(np.concatenate([cells[trusted[poly]] for poly, cells in found])), doubtful


def _res_of(cells: np.ndarray) -> int:
    """The resolution of cells all of one resolution (bits 52-55 of the index)."""
    return int((cells[0] >> np.uint64(52)) & np.uint64(15)) if len(cells) else 0


def _sorted_contains(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Whether each needle is in the sorted ``haystack``."""
    if not len(haystack):
        return np.zeros(len(needles), dtype=bool)
    at = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return np.asarray(haystack[at] == needles, dtype=bool)


def _centre_pairs(geoms: np.ndarray, res: int, *, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """(polygon position, cell) for every cell whose centre is inside, by h3ronpy's ``ContainsCentroid``.

    The polygons are first simplified by ``tolerance`` degrees (far fewer vertices
    to test): only cells whose centres are much further than that from every ring
    are taken from this fill, and on those the simplified shape agrees.
    """
    simple = shapely.simplify(geoms, tolerance, preserve_topology=False)
    for shapes in (simple, geoms):
        wkb = pa.array(shapely.to_wkb(shapes), type=pa.binary())
        try:
            lists = pa.array(wkb_to_cells(wkb, res, containment_mode=ContainmentMode.ContainsCentroid, flatten=False))
        except ValueError:  # a ring the simplification left too short for h3ronpy: fill the original
            continue
        poly = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
        return poly, lists.flatten().to_numpy().astype(np.uint64)
    raise ValueError("h3ronpy could not fill the polygons")


def _first_vertex_cells(parts: np.ndarray, part_poly: np.ndarray, res: int) -> tuple[np.ndarray, np.ndarray]:
    """The cell holding each part's first outline vertex, as h3 computes it (h3 counts that cell)."""
    first = shapely.get_coordinates(shapely.get_point(shapely.get_exterior_ring(parts), 0))
    cells = [h3.str_to_int(h3.latlng_to_cell(float(lat), float(lng), res)) for lng, lat in first]
    return part_poly.astype(np.int64), np.asarray(cells, dtype=np.uint64)


class _Segments:
    """Every ring's segments, ``a`` to ``b`` (lng/lat), with the segment ending where each one starts."""

    def __init__(self, a: np.ndarray, b: np.ndarray, ring: np.ndarray) -> None:
        self.a, self.b, self.ring = a, b, ring
        first = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
        self.prev = np.arange(len(ring)) - 1  # rings are closed: a ring's first segment follows its last
        self.prev[first] = np.r_[first[1:], len(ring)] - 1


class _Samples:
    """Points along every segment, at most ``step`` degrees apart, each with its cell.

    ``seg`` is the segment a sample lies on and ``start`` marks the segment's
    own first vertex (a vertex of the polygon); ``piece`` is the distance to the
    neighbouring samples (the longer of the two, for a vertex).
    """

    def __init__(self, segs: _Segments, step: float, res: int) -> None:
        length = np.hypot(*(segs.b - segs.a).T)
        count = np.maximum(1, np.ceil(length / step)).astype(np.int64)
        self.seg = np.repeat(np.arange(len(length)), count)
        along = np.arange(len(self.seg)) - np.repeat(np.cumsum(count) - count, count)
        self.start = along == 0
        piece = length / count
        self.piece = np.where(self.start, np.maximum(piece, piece[segs.prev])[self.seg], piece[self.seg])
        self.xy = segs.a[self.seg]  # along = 0: the vertex itself, exactly
        between = np.flatnonzero(~self.start)
        s = self.seg[between]
        self.xy[between] += (segs.b[s] - segs.a[s]) * (along[between] / count[s])[:, None]
        lat, lng = pa.array(np.ascontiguousarray(self.xy[:, 1])), pa.array(np.ascontiguousarray(self.xy[:, 0]))
        self.cell = np.asarray(coordinates_to_cells(lat, lng, res)).astype(np.uint64)


class _CellOutlines:
    """The outlines of sorted unique ``cells``: ``(n, k)`` arrays of lng and lat, closed, short ones padded.

    Also each outline's edges as lines (unit normal pointing inside, offset),
    edge-major (``(k - 1, n)``), for the distance of many points to their cell's edges.
    """

    def __init__(self, cells: np.ndarray) -> None:
        self.cells = cells
        self.x, self.y, self.corners = _cell_outline_arrays(cells)
        ex, ey = np.diff(self.x, axis=1).T, np.diff(self.y, axis=1).T
        length = np.hypot(ex, ey)
        x, y = self.x.T, self.y.T
        turn = np.sign(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1], axis=0))  # + anticlockwise
        with np.errstate(divide="ignore", invalid="ignore"):
            self.nx, self.ny = -ey * turn / length, ex * turn / length
        pad = length == 0
        self.nx[pad], self.ny[pad] = 0.0, 0.0
        self.offset = self.nx * x[:-1] + self.ny * y[:-1]
        self.offset[pad] = -np.inf  # a padding "edge" is infinitely far
        self.cx, self.cy = cells_to_latlng(cells)[::-1]

    def shortest_edge(self) -> float:
        """The shortest non-zero edge (degrees)."""
        lengths = np.hypot(np.diff(self.x, axis=1), np.diff(self.y, axis=1))
        lengths = lengths[lengths > 0]
        return float(lengths.min()) if len(lengths) else 0.0

    def across(self, rows: np.ndarray, edges: np.ndarray) -> np.ndarray:
        """The neighbour across edge ``edges[i]`` of the cell at ``rows[i]``; 0 when not a plain hexagon.

        A hexagon's neighbour across an edge holds the hexagon's centre mirrored
        through the edge's midpoint (deep inside it); each answer is checked
        against h3's own ring of neighbours.
        """
        width = len(self.nx)  # edges per outline (padded)
        pair, at = np.unique(rows * width + edges, return_inverse=True)  # a few per cell
        row, edge = pair // width, pair % width
        hexagon = self.corners[row] == 6
        to_x = self.x[row, edge] + self.x[row, edge + 1] - self.cx[row]
        to_y = self.y[row, edge] + self.y[row, edge + 1] - self.cy[row]
        found = np.asarray(coordinates_to_cells(pa.array(to_y), pa.array(to_x), _res_of(self.cells))).astype(np.uint64)
        disks = pa.array(grid_disk(pa.array(self.cells[row]), 1, flatten=False))
        near = pc.list_parent_indices(disks).to_numpy()
        ring = disks.flatten().to_numpy().astype(np.uint64)
        ok = np.zeros(len(pair), dtype=bool)
        ok[near[ring == found[near]]] = True
        found[~(ok & hexagon & (found != self.cells[row]))] = 0
        return found[at]

    def margins(self, rows: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Signed distance (``(k - 1, len(rows))``, + inside) of each point to each edge line of its cell."""
        out = np.empty((len(self.nx), len(rows)))
        for k in range(len(self.nx)):
            np.subtract(self.nx[k][rows] * px + self.ny[k][rows] * py, self.offset[k][rows], out=out[k])
        return out


def _cell_outline_arrays(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lng, lat of each cell's closed outline, read straight from h3ronpy's WKB (``(n, k)``), and its corner count."""
    if not len(cells):
        return np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    wkb = pa.array(cells_to_wkb_polygons(pa.array(np.asarray(cells, dtype=np.uint64))))
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int64)[wkb.offset : wkb.offset + len(wkb) + 1]
    data = np.frombuffer(wkb.buffers()[2], dtype=np.uint8)
    start = offsets[:-1]
    # little-endian polygon (type 3) of one ring: 1 + 4 + 4 bytes, then the point count, then x, y doubles
    header = data[start[:, None] + np.arange(13)]
    head = header[:, :9].copy()
    count = header[:, 9:13].copy().view("<u4").ravel().astype(np.int64)
    if not ((head == np.array([1, 3, 0, 0, 0, 1, 0, 0, 0], dtype=np.uint8)).all() and (count >= 4).all()):
        raise ValueError("h3ronpy returned cell outlines in an unexpected form")
    k = int(count.max())
    size = 13 + 16 * k
    if (count == k).all() and (np.diff(offsets) == size).all():  # every cell a hexagon (or all pentagons)
        raw = data[offsets[0] : offsets[-1]].reshape(len(cells), size)[:, 13:]
    else:  # a few cells with more or fewer corners: pad each with its closing point
        point = (start + 13)[:, None] + 16 * np.minimum(np.arange(k), count[:, None] - 1)
        raw = data[point[:, :, None] + np.arange(16)].reshape(len(cells), 16 * k)
    xy = np.ascontiguousarray(raw).view("<f8").reshape(len(cells), k, 2)
    return xy[:, :, 0], xy[:, :, 1], count - 1


def _ring_leaves(ring: np.ndarray, cells: np.ndarray, solid: np.ndarray) -> np.ndarray:
    """Per sample: whether its ring has solid samples (inside their cell's outline) in two or more cells."""
    if not len(ring):
        return np.zeros(0, dtype=bool)
    starts = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    lo = np.minimum.reduceat(np.where(solid, cells, np.uint64(2**64 - 1)), starts)
    hi = np.maximum.reduceat(np.where(solid, cells, np.uint64(0)), starts)
    return np.repeat((lo < hi), np.diff(np.r_[starts, len(ring)]))


def _unique_keys(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct keys (see :func:`unique_cells`)."""
    out = np.sort(keys)
    return out[np.r_[True, out[1:] != out[:-1]]] if len(out) else out


def _pair_keys(poly: np.ndarray, cells: np.ndarray, res: int) -> np.ndarray:
    """One sortable ``uint64`` per (polygon, cell): the position above the cell's base cell and digits."""
    bits = 7 + 3 * res
    digits = (np.asarray(cells, dtype=np.uint64) >> np.uint64(3 * (15 - res))) & np.uint64((1 << bits) - 1)
    return (np.asarray(poly, dtype=np.uint64) << np.uint64(bits)) | digits


def _unpack_keys(keys: np.ndarray, res: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`_pair_keys`: (polygon position, cell)."""
    bits = 7 + 3 * res
    low = 3 * (15 - res)
    head = (1 << 59) | (res << 52) | ((1 << low) - 1)  # cell mode, the resolution, unused digits all 7
    digits = keys & np.uint64((1 << bits) - 1)
    return (keys >> np.uint64(bits)).astype(np.int64), (digits << np.uint64(low)) | np.uint64(head)


class _Pass:
    """One pass over the samples and their cells' edges, in blocks.

    ``inside``: the sample lies inside its cell's outline (a plane polygon).
    ``edge_sample``, ``edge_k``: the sample is within a sample gap of edge ``k``'s
    line (so its ring may reach the neighbour across). ``doubtful``: segments where
    h3's floating-point tests may be near a tie, where

    * a polygon vertex is within :data:`_NEAR` of an edge line of its cell, or
      outside the cell's outline (a hair outside: in the sliver between h3's straight
      edge and its true, curved one);
    * a corner or the centre of a sample's cell is within :data:`_NEAR` of a segment
      through the sample. A corner or centre that close to a ring belongs to such a
      cell, as samples are far closer together than any cell is wide; and the sample
      is then within a sample gap of both edge lines through the corner (the cheap filter).
    """

    def __init__(self, samples: _Samples, segs: _Segments, outlines: _CellOutlines) -> None:
        flagged = np.zeros(len(segs.a), dtype=bool)
        self.row = np.searchsorted(outlines.cells, samples.cell)
        self.inside = np.zeros(len(samples.seg), dtype=bool)
        edge_sample, edge_k = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for lo in range(0, len(samples.seg), _BLOCK):
            block = slice(lo, lo + _BLOCK)
            seg, start, row = samples.seg[block], samples.start[block], self.row[block]
            px, py = samples.xy[block, 0], samples.xy[block, 1]
            margin = outlines.margins(row, px, py)
            nearest = margin.min(axis=0)
            self.inside[block] = nearest > 0
            flagged[seg[start & ~(nearest >= _NEAR)]] = True
            reach = samples.piece[block] + 2 * _NEAR
            close = margin <= reach
            edge, by = np.nonzero(close)
            edge_sample.append(lo + by)
            edge_k.append(edge)
            corner = close & np.roll(close, 1, axis=0)  # corner k joins edge k - 1 and edge k ...
            corner[0] = close[0] & close[outlines.corners[row] - 1, np.arange(len(row))]  # ... corner 0 the last
            which, by_corner = np.nonzero(corner)
            by_centre = np.flatnonzero((outlines.cx[row] - px) ** 2 + (outlines.cy[row] - py) ** 2 <= reach**2)
            at = np.concatenate([by_corner, by_centre])
            qx = np.concatenate([outlines.x[row[by_corner], which], outlines.cx[row[by_centre]]])
            qy = np.concatenate([outlines.y[row[by_corner], which], outlines.cy[row[by_centre]]])
            q = np.stack([qx, qy], axis=1)
            for near_seg in (seg[at], np.where(start[at], segs.prev[seg[at]], seg[at])):
                near = _point_segment_distance(q, segs.a[near_seg], segs.b[near_seg]) < _NEAR
                flagged[near_seg[near]] = True
        self.edge_sample, self.edge_k = np.concatenate(edge_sample), np.concatenate(edge_k)
        self.doubtful = np.flatnonzero(flagged)


#: Samples checked together in :class:`_Pass` (bounds the memory of the per-edge distances).
_BLOCK = 1 << 20


def _point_segment_distance(q: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plane distance from each point ``q`` to the segment ``a``-``b`` (row by row)."""
    ab = b - a
    aq = q - a
    span = (ab**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(span > 0, (aq * ab).sum(axis=1) / span, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.asarray(np.hypot(*(a + ab * t[:, None] - q).T))


def cells_to_latlng(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre of each cell as (lat, lng) arrays."""
    if not len(cells):
        return np.zeros(0), np.zeros(0)
    coords = pa.record_batch(cells_to_coordinates(pa.array(np.asarray(cells, dtype=np.uint64))))
    return coords.column("lat").to_numpy(), coords.column("lng").to_numpy()


def cells_to_polygons(cells: np.ndarray) -> np.ndarray:
    """Cell outlines as shapely polygons (WGS84)."""
    if not len(cells):
        return np.array([], dtype=object)
    wkb = cells_to_wkb_polygons(pa.array(np.asarray(cells, dtype=np.uint64)))
    return shapely.from_wkb(pa.array(wkb).to_numpy(zero_copy_only=False))


def cells_to_strings(cells: np.ndarray) -> np.ndarray:
    """h3's string form, e.g. ``89195da49b7ffff`` (for CSVs and map tooltips): an object array of ``str``.

    Valid cells are written by h3ronpy in one call; anything else (0 for a
    point without a location) is written as h3-py writes it (``hex``, ``"0"``).
    """
    cells = np.asarray(cells, dtype=np.uint64)
    if cells.ndim != 1:  # not a list of cells: fail (or not) exactly as the one-by-one loop did
        return np.array([h3.int_to_str(int(c)) for c in cells], dtype=object)
    out = np.empty(len(cells), dtype=object)
    if not len(cells):
        return out
    valid = np.asarray(pa.array(cells_valid(pa.array(cells), booleanarray=True)).to_numpy(zero_copy_only=False))
    if valid.any():
        out[valid] = pa.array(cells_to_string(pa.array(cells[valid]))).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(~valid):
        out[i] = h3.int_to_str(int(cells[i]))
    return out


def strings_to_cells(strings: Any) -> np.ndarray:
    """Inverse of :func:`cells_to_strings`: ``uint64`` cells, each string read as a hex number.

    Strings of exactly 15 hex digits (every cell's form) are decoded together
    in numpy; any other item goes through h3-py's ``str_to_int`` one by one, as
    every item used to, so what it accepts (other hex numbers, surrounding
    spaces) and how it refuses (``ValueError``, ``TypeError``, ``OverflowError``
    on the first bad item) is unchanged.
    """
    items = list(strings)
    out = np.zeros(len(items), dtype=np.uint64)
    done = np.zeros(len(items), dtype=bool)
    try:
        text = pa.array(items, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: every item goes the careful way
        text = pa.array([], type=pa.string())
    if len(text):
        rows = np.flatnonzero(pc.equal(pc.binary_length(text), 15).fill_null(False).to_numpy(zero_copy_only=False))
        digits, ok = _hex_digits(text.take(pa.array(rows)) if len(rows) < len(text) else text)
        digits = np.concatenate([np.zeros((len(digits), 1), dtype=np.uint8), digits], axis=1)[ok]
        packed = np.ascontiguousarray((digits[:, 0::2] << 4) | digits[:, 1::2])  # 8 bytes, most significant first
        out[rows[ok]] = packed.view(">u8").ravel()
        done[rows[ok]] = True
    for i in np.flatnonzero(~done):
        out[i] = h3.str_to_int(items[i])
    return out


#: The value of each byte as a hex digit; 255 for a byte that is not one.
_HEX = np.full(256, 255, dtype=np.uint8)
_HEX[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10)
_HEX[np.frombuffer(b"abcdef", dtype=np.uint8)] = np.arange(10, 16)
_HEX[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16)


def _hex_digits(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Digit values ``(n, 15)`` of strings that are all 15 bytes long, and which rows are all hex digits."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    digits = _HEX[data.reshape(len(text), 15)]
    return digits, (digits != 255).all(axis=1)


def cells_to_geojson(cells: np.ndarray, properties: pd.DataFrame | None = None) -> dict[str, Any]:
    """A FeatureCollection of cell polygons; ``properties`` (one row per cell) become feature properties.

    Only the columns passed are embedded, so callers decide (allow-list) what
    reaches a browser.
    """
    polys = cells_to_polygons(cells)
    records = properties.to_dict("records") if properties is not None else [{} for _ in range(len(cells))]
    features = [
        {"type": "Feature", "geometry": shapely.geometry.mapping(poly), "properties": rec}
        for poly, rec in zip(polys, records, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def cells_to_weights(cells: np.ndarray, *, k: int = 1) -> sp.csr_matrix:
    """Binary spatial weights over ``cells``: 1 where the other cell is within ``k`` steps, self included.

    Neighbours outside ``cells`` (beyond the study area) are dropped, which
    is what Gi* over a study area expects. Rows follow the order of ``cells``.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    n = len(cells)
    if n == 0:
        return sp.csr_matrix((0, 0))
    if k < 0:
        raise OptionError(f"k must be 0 or more, not {k}", option="k")
    disks = grid_disk(pa.array(cells), k, flatten=False)
    lists = pa.array(disks)
    counts = np.diff(lists.offsets.to_numpy())
    flat = lists.flatten().to_numpy().astype(np.uint64)
    rows = np.repeat(np.arange(n), counts)
    order = np.argsort(cells)
    sorted_cells = cells[order]
    pos = np.minimum(np.searchsorted(sorted_cells, flat), n - 1)
    inside = sorted_cells[pos] == flat
    cols = order[pos[inside]]
    data = np.ones(int(inside.sum()), dtype=np.float64)
    return sp.csr_matrix((data, (rows[inside], cols)), shape=(n, n))
