"""H3 cells: the only module that talks to h3 / h3ronpy.

Cells travel through Nestwatch as ``uint64`` arrays (h3's integer form), which
numpy sorts, joins and counts without Python objects; the string form
(``"89195da49b7ffff"``) is made only for output. Vectorised h3ronpy does the
per-point and per-cell work; h3-py is used where the work is per polygon.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
import shapely
from h3ronpy import grid_disk
from h3ronpy.vector import cells_to_coordinates, cells_to_wkb_polygons, coordinates_to_cells

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
        out[ok] = np.asarray(coordinates_to_cells(lat[ok], lng[ok], res)).astype(np.uint64)
    return out


def boundaries_to_cells(boundaries: gpd.GeoDataFrame, *, res: int = DEFAULT_RES) -> np.ndarray:
    """Sorted unique cells that touch any of the (WGS84) polygons: the study area.

    Cells only partly inside count (h3's ``overlap`` containment), so incidents
    on a ward's edge are never outside the study area.
    """
    check_res(res)
    found: list[int] = []
    for geom in boundaries.geometry:
        if geom is None or geom.is_empty:
            continue
        shape = h3.geo_to_h3shape(shapely.geometry.mapping(geom))
        found += [h3.str_to_int(c) for c in h3.h3shape_to_cells_experimental(shape, res, contain="overlap")]
    return np.unique(np.array(found, dtype=np.uint64))


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
    """h3's string form, e.g. ``89195da49b7ffff`` (for CSVs and map tooltips)."""
    return np.array([h3.int_to_str(int(c)) for c in np.asarray(cells, dtype=np.uint64)], dtype=object)


def strings_to_cells(strings: Any) -> np.ndarray:
    """Inverse of :func:`cells_to_strings`."""
    return np.array([h3.str_to_int(s) for s in strings], dtype=np.uint64)


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
