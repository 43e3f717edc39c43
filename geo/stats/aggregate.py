"""Counts per cell × month × category over a whole study area, zeros included.

A hotspot statistic compares each cell with all the others, so the cells where
nothing happened are data, not gaps: a cube over the study area's cells, every
month of the range and every category, with zeros where nothing was recorded.
Points are counted with one ``np.bincount`` on a combined index (no groupby,
no per-row Python).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.core.errors import OptionError, StoreError
from geo.space.hexes import DEFAULT_RES, boundaries_to_cells, check_res, points_to_cells
from geo.stats.areas import cells_to_area_codes

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True)
class StudyArea:
    """The cells to analyse, with the ward and estate holding each one's centre (``""`` when none)."""

    res: int
    cells: np.ndarray
    ward: np.ndarray
    estate: np.ndarray

    def __len__(self) -> int:
        return len(self.cells)

    def index_of(self, cells: np.ndarray) -> np.ndarray:
        """Position of each cell in :attr:`cells`, -1 when outside the study area."""
        cells = np.asarray(cells, dtype=np.uint64)
        if not len(self.cells):
            return np.full(len(cells), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.cells, cells), len(self.cells) - 1)
        return np.where(self.cells[pos] == cells, pos, -1)


@dataclass(frozen=True)
class Filters:
    """Which incidents count: months ``YYYY-MM`` inclusive, categories and sources (None = all)."""

    month_from: str | None = None
    month_to: str | None = None
    categories: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("month_from", "month_to"):
            value = getattr(self, name)
            if value is not None and not pd.Series([value]).str.match(_MONTH).iloc[0]:
                raise OptionError(f"{name.replace('_', ' ')} must be YYYY-MM, not {value!r}", option=name)
        if self.month_from and self.month_to and self.month_from > self.month_to:
            raise OptionError(f"month range is empty: {self.month_from} is after {self.month_to}", option="month_from")


@dataclass(frozen=True)
class Cube:
    """Incident counts, shape ``(cells, months, categories)``, over a study area."""

    area: StudyArea
    months: list[str]
    categories: list[str]
    counts: np.ndarray
    outside: int = 0
    no_location: int = 0
    notes: list[str] = field(default_factory=list)

    def by_cell(self) -> np.ndarray:
        """Total per cell over all months and categories."""
        return self.counts.sum(axis=(1, 2))

    def by_cell_month(self) -> np.ndarray:
        """Totals per cell and month, shape ``(cells, months)``."""
        return self.counts.sum(axis=2)

    def to_frame(self) -> pd.DataFrame:
        """Long form, one row per cell × month × category, zeros included."""
        n_cells, n_months, n_cats = self.counts.shape
        return pd.DataFrame(
            {
                "cell": np.repeat(self.area.cells, n_months * n_cats),
                "month": np.tile(np.repeat(np.array(self.months, dtype=object), n_cats), n_cells),
                "category": np.tile(np.array(self.categories, dtype=object), n_cells * n_months),
                "count": self.counts.reshape(-1),
            }
        )


def study_area(
    wards: gpd.GeoDataFrame | None, estates: gpd.GeoDataFrame | None = None, *, res: int = DEFAULT_RES
) -> StudyArea:
    """Cells covering wards and estates (cells only partly inside count), each labelled with both.

    Either boundary set may be empty; the cells cover their union. A cell's
    ward and estate are the ones holding its centre (:func:`geo.stats.areas.cells_to_area_codes`,
    the rule every area count follows); ``""`` for a cell whose centre lies outside them.
    """
    check_res(res)
    parts = [b for b in (wards, estates) if b is not None and not b.empty]
    if not parts:
        raise StoreError("no ward or estate boundaries are loaded: import wards first (python -m geo import wards …)")
    cells = np.unique(np.concatenate([boundaries_to_cells(b, res=res) for b in parts]))
    return StudyArea(
        res=res, cells=cells, ward=cells_to_area_codes(cells, wards), estate=cells_to_area_codes(cells, estates)
    )


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (``YYYY-MM``)."""
    if first > last:
        return []
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def filters_to_mask(incidents: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Which incident rows the filters keep (one rule for the cube and for every list of incidents)."""
    f = filters
    keep = np.ones(len(incidents), dtype=bool)
    month = incidents["month"].astype("str").to_numpy()
    if f.month_from:
        keep &= month >= f.month_from
    if f.month_to:
        keep &= month <= f.month_to
    if f.categories is not None:
        keep &= incidents["category"].isin(list(f.categories)).to_numpy()
    if f.sources is not None and "source" in incidents:
        keep &= incidents["source"].isin(list(f.sources)).to_numpy()
    return keep


def incidents_to_cube(
    incidents: pd.DataFrame,
    area: StudyArea,
    *,
    filters: Filters | None = None,
    categories: Sequence[str] | None = None,
) -> Cube:
    """Count incidents (``lat, lng, month, category`` and optional ``source``) into a cube.

    The month axis runs over the filter's range, else the data's first to last
    month, with every month present. The category axis is ``categories`` (all
    known ones, so that absent categories still appear as zeros) or the
    categories seen. Incidents outside the study area are counted in
    ``outside`` rather than silently dropped.
    """
    f = filters or Filters()
    rows = incidents[filters_to_mask(incidents, f)]
    month = rows["month"].astype("str").to_numpy()
    if f.month_from and f.month_to:
        months = month_range(f.month_from, f.month_to)
    elif len(rows):
        months = month_range(f.month_from or month.min(), f.month_to or month.max())
    else:
        months = []
    cats = list(categories) if categories is not None else sorted(rows["category"].astype("str").unique())
    if f.categories is not None:
        cats = [c for c in cats if c in set(f.categories)]
    lat = rows["lat"].to_numpy(dtype=float)
    lng = rows["lng"].to_numpy(dtype=float)
    located = np.isfinite(lat) & np.isfinite(lng)
    cell_i = area.index_of(points_to_cells(lat, lng, res=area.res))
    month_i = pd.Index(months).get_indexer(month) if months else np.full(len(rows), -1)
    cat_i = pd.Index(cats).get_indexer(rows["category"].astype("str").to_numpy()) if cats else np.full(len(rows), -1)
    inside = located & (cell_i >= 0)
    use = inside & (month_i >= 0) & (cat_i >= 0)
    shape = (len(area), len(months), len(cats))
    flat = (cell_i[use] * shape[1] + month_i[use]) * shape[2] + cat_i[use]
    counts = np.bincount(flat, minlength=int(np.prod(shape))).astype(np.int32).reshape(shape)
    return Cube(
        area=area,
        months=months,
        categories=cats,
        counts=counts,
        outside=int((located & (cell_i < 0)).sum()),
        no_location=int((~located).sum()),
    )
