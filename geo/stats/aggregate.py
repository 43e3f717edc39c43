"""Counts per cell × month × category over a whole study area, zeros included.

A hotspot statistic compares each cell with all the others, so the cells where
nothing happened are data, not gaps: a cube over the study area's cells, every
month of the range and every category, with zeros where nothing was recorded.
Points are counted with one ``np.bincount`` on a combined index (no groupby,
no per-row Python).

No string work per row either: a national cube counts three million rows
whose month, category and source repeat a few dozen values. Those columns are
read as a dictionary of distinct values and a code per row (the store's
segments hold them so: :meth:`geo.store.Store.read_table` with
``dictionary=``); every test on text (a month's number, a category's place on
the axis, whether a filter keeps it) runs once per distinct value and reaches
the rows through the codes, and months are whole numbers (months since
1970-01) from there on. Only the month axis of the result is text again.
A pandas frame is coded the same way first, so frames and arrow tables go
through one rule and give the same cube.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.core.errors import OptionError, StoreError
from geo.core.keys import dictionary_parts
from geo.space.hexes import DEFAULT_RES, boundaries_to_cells, check_res, points_to_cells, unique_cells
from geo.stats.areas import cells_to_area_codes

# ASCII digits only and the whole text (Python's \d takes any script's digits, its $ a final newline);
# the same pattern serves Python's re.fullmatch and arrow's RE2.
_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_EPOCH = 1970 * 12  # months are counted from 1970-01
_CACHED_CELLS = 1 << 16  # a study area of up to this many cells (512 kB) is searched in whatever order

#: Incidents as the cube and :func:`filters_to_mask` read them: a pandas frame or an arrow table
#: (text columns plain or dictionary-encoded), with ``lat, lng, month, category`` and optional ``source``.
Incidents: TypeAlias = pd.DataFrame | pa.Table


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
        if len(self.cells) > _CACHED_CELLS:  # probes in sorted order walk the cells in order: ~2x on 226k cells
            order = np.argsort(cells)
            pos = np.empty(len(cells), dtype=np.int64)
            pos[order] = np.searchsorted(self.cells, cells[order])
        else:  # the cells stay in the processor's cache, and sorting the probes costs more than it saves
            pos = np.searchsorted(self.cells, cells)
        np.minimum(pos, len(self.cells) - 1, out=pos)
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
            if value is not None and not (isinstance(value, str) and re.fullmatch(_MONTH, value)):
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
    cells = unique_cells(np.concatenate([boundaries_to_cells(b, res=res) for b in parts]))
    return StudyArea(
        res=res, cells=cells, ward=cells_to_area_codes(cells, wards), estate=cells_to_area_codes(cells, estates)
    )


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (``YYYY-MM``)."""
    if first > last:
        return []
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def month_number(month: str) -> int:
    """Months since 1970-01 of a ``YYYY-MM`` month (``"1970-01"`` is 0, ``"2024-03"`` is 650)."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1 - _EPOCH


def month_text(number: int) -> str:
    """``YYYY-MM`` of a number of months since 1970-01 (the inverse of :func:`month_number`)."""
    year, month = divmod(int(number) + _EPOCH, 12)
    return f"{year:04d}-{month + 1:02d}"


def month_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Months since 1970-01 of each text value, and which values are ``YYYY-MM`` months at all.

    Vectorised in arrow over the values given (normally a column's distinct
    values, so this is not work per row); a blank, missing or malformed value
    is not a month (its number is 0 and means nothing).
    """
    if not len(values):
        return np.zeros(0, np.int64), np.zeros(0, bool)
    valid = pc.fill_null(pc.match_substring_regex(values, _MONTH), False)
    text = pc.if_else(valid, values, "1970-01")
    year = pc.cast(pc.utf8_slice_codeunits(text, 0, 4), pa.int64()).to_numpy()
    month = pc.cast(pc.utf8_slice_codeunits(text, 5, 7), pa.int64()).to_numpy()
    number = year * 12 + month - 1 - _EPOCH
    return np.where(valid.to_numpy(zero_copy_only=False), number, 0), valid.to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class _Coded:
    """A text column as its distinct values and a code per row (-1 where the value is missing)."""

    values: pa.Array
    codes: np.ndarray

    def spread(self, per_value: np.ndarray, missing: bool | int) -> np.ndarray:
        """A value per distinct value → a value per row (``missing`` for rows without a value)."""
        return np.concatenate([per_value, np.array([missing], dtype=per_value.dtype)])[self.codes]

    def seen(self, rows: np.ndarray) -> np.ndarray:
        """Which distinct values occur among ``rows`` (a mask over the rows)."""
        codes = self.codes[rows]
        return np.bincount(codes[codes >= 0], minlength=len(self.values)) > 0

    def isin(self, wanted: Sequence[str]) -> np.ndarray:
        """Per distinct value: whether it is one of ``wanted``."""
        hit = pc.is_in(self.values, value_set=pa.array(list(wanted), type=self.values.type))
        return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)


def _coded(incidents: Incidents, name: str) -> _Coded:
    column = incidents[name]
    if isinstance(column, pd.Series):  # the text pandas would compare, as arrow
        column = pa.array(column.astype("str"), type=pa.large_string(), from_pandas=True)
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    values, indices = dictionary_parts(column)
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    codes = pc.fill_null(indices, -1).to_numpy(zero_copy_only=False)
    return _Coded(values, codes)


def _floats(incidents: Incidents, name: str) -> np.ndarray:
    column = incidents[name]
    if isinstance(column, pd.Series):
        return np.ascontiguousarray(column.to_numpy(dtype=float))
    if column.type != pa.float64():
        column = pc.cast(column, pa.float64())
    return np.ascontiguousarray(column.to_numpy(), dtype=np.float64)  # nulls come out as NaN


def _height(incidents: Incidents) -> int:
    return incidents.num_rows if isinstance(incidents, pa.Table) else len(incidents)


def _has(incidents: Incidents, name: str) -> bool:
    return name in (incidents.column_names if isinstance(incidents, pa.Table) else incidents.columns)


def filters_to_mask(incidents: Incidents, filters: Filters) -> np.ndarray:
    """Which incident rows the filters keep (one rule for the cube and for every list of incidents).

    A month bound keeps the rows whose month is a ``YYYY-MM`` month within it
    (a blank month passes only when no bound is set); categories and sources
    keep the rows whose text is one of theirs (a missing value never); sources
    are ignored when the incidents have no ``source`` column. Frames and arrow
    tables alike are coded per distinct value first (see the module docstring).
    """
    f = filters
    n = _height(incidents)
    month = _coded(incidents, "month") if f.month_from or f.month_to else None
    category = _coded(incidents, "category") if f.categories is not None else None
    source = _coded(incidents, "source") if f.sources is not None and _has(incidents, "source") else None
    return _keep(n, f, month=month, category=category, source=source)


def _keep(n: int, f: Filters, *, month: _Coded | None, category: _Coded | None, source: _Coded | None) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    if month is not None and (f.month_from or f.month_to):
        number, ok = month_numbers(month.values)
        if f.month_from:
            ok &= number >= month_number(f.month_from)
        if f.month_to:
            ok &= number <= month_number(f.month_to)
        keep &= month.spread(ok, False)
    if category is not None and f.categories is not None:
        keep &= category.spread(category.isin(f.categories), False)
    if source is not None and f.sources is not None:
        keep &= source.spread(source.isin(f.sources), False)
    return keep


def incidents_to_cube(
    incidents: Incidents,
    area: StudyArea,
    *,
    filters: Filters | None = None,
    categories: Sequence[str] | None = None,
) -> Cube:
    """Count incidents (``lat, lng, month, category`` and optional ``source``) into a cube.

    ``incidents`` is a pandas frame or an arrow table (the fast path from the
    store: :meth:`geo.store.Store.read_table` with month, category and source
    read as dictionaries); both give the same cube. The month axis runs over
    the filter's range, else the kept rows' first to last month, with every
    month present. The category axis is ``categories`` (all known ones, so
    that absent categories still appear as zeros) or the categories seen.
    Incidents outside the study area are counted in ``outside`` rather than
    silently dropped; a row with no ``YYYY-MM`` month has no place on the axis
    and is not counted (as a month outside the range is not).

    Raises
    ------
    OptionError
        When ``categories`` names a category twice (the axis would be ambiguous).
    """
    f = filters or Filters()
    n = _height(incidents)
    month = _coded(incidents, "month")
    category = _coded(incidents, "category")
    source = _coded(incidents, "source") if f.sources is not None and _has(incidents, "source") else None
    keep = _keep(n, f, month=month, category=category, source=source)
    number, valid = month_numbers(month.values)
    if f.month_from and f.month_to:
        months = month_range(f.month_from, f.month_to)
    else:
        months = _months_seen(f, number[valid & month.seen(keep)])
    if categories is not None:
        cats = list(categories)
    else:
        cats = sorted({c for c in category.values.filter(category.seen(keep)).to_pylist() if c is not None})
    if f.categories is not None:
        cats = [c for c in cats if c in set(f.categories)]
    if len(set(cats)) != len(cats):
        raise OptionError(f"categories must each be named once: {cats}", option="categories")
    first = month_number(months[0]) if months else 0
    month_pos = np.where(valid & (number >= first) & (number < first + len(months)), number - first, -1)
    month_i = month.spread(month_pos, -1)
    cat_pos = pc.fill_null(pc.index_in(category.values, value_set=pa.array(cats, type=pa.large_string())), -1)
    cat_i = category.spread(cat_pos.to_numpy(zero_copy_only=False).astype(np.int64), -1)
    lat, lng = _floats(incidents, "lat"), _floats(incidents, "lng")
    located = np.isfinite(lat) & np.isfinite(lng)
    todo = keep & located
    cell_i = np.full(n, -1, dtype=np.int64)
    cell_i[todo] = _positions(area, lat[todo], lng[todo])
    use = todo & (cell_i >= 0) & (month_i >= 0) & (cat_i >= 0)
    shape = (len(area), len(months), len(cats))
    flat = (cell_i[use] * shape[1] + month_i[use]) * shape[2] + cat_i[use]
    counts = np.bincount(flat, minlength=int(np.prod(shape))).astype(np.int32).reshape(shape)
    return Cube(
        area=area,
        months=months,
        categories=cats,
        counts=counts,
        outside=int((todo & (cell_i < 0)).sum()),
        no_location=int((keep & ~located).sum()),
    )


def _months_seen(f: Filters, seen: np.ndarray) -> list[str]:
    """The month axis from the month numbers the kept rows have, each open end of the filter from the data."""
    if not len(seen):
        return []
    return month_range(f.month_from or month_text(seen.min()), f.month_to or month_text(seen.max()))


def _positions(area: StudyArea, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """Position in ``area`` of each (finite) point's cell, -1 outside; h3 runs once per distinct point.

    Police.uk locations are snap points shared by many incidents (the
    national store: 226k points for 2.9M incidents), and indexing is the
    dearest step of the cube, so points are indexed once each. They are told
    apart by their exact bits (0.0 and -0.0 are two points), through a 64-bit
    mix of both coordinates; a row whose point does not match its group's
    bits (a mix collision: practically never) is indexed on its own, so every
    row gets exactly the cell of its own point.
    """
    if not len(lat):
        return np.zeros(0, dtype=np.int64)
    a, b = lat.view(np.uint64), lng.view(np.uint64)
    codes, groups = pd.factorize(_mix(a, b))
    one = np.empty(len(groups), dtype=np.int64)
    one[codes] = np.arange(len(codes))  # a row of each group: any one, since every row is checked against it
    pos = area.index_of(points_to_cells(lat[one], lng[one], res=area.res))[codes]
    odd = (a != a[one][codes]) | (b != b[one][codes])
    if odd.any():
        pos[odd] = area.index_of(points_to_cells(lat[odd], lng[odd], res=area.res))
    return pos


def _mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A 64-bit hash of two 64-bit words (splitmix64's finaliser over ``a``, then over it and ``b``)."""

    def fmix(x: np.ndarray) -> np.ndarray:
        x = x ^ (x >> np.uint64(30))
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
        return x

    return fmix(fmix(a) ^ b).view(np.int64)
