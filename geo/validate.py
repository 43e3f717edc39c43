"""Checks that accept or reject each row, with a reason naming file, row and column.

Every row of a raw table ends in exactly one of two frames: ``accepted`` (typed,
canonical) or ``rejects``. Checks run vectorised over whole columns because a
force-year of police.uk data is a million rows; the first failing check of a row
gives its reason. Nothing here reads or writes files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import Transformer

from geo.errors import InputError
from geo.ingest import (
    REJECT_COLUMNS,
    RawBoundaries,
    RawTable,
    concat_rejects,
    empty_rejects,
    json_rows,
    rows_to_json,
)
from geo.keys import (
    as_string_array,
    combine_hashes,
    dictionary_parts,
    frame_to_hash,
    hash_rows,
    numbers_to_hash,
    repeated,
    salt_repeats,
    strings_to_hash,
)
from geo.parallel import in_background, thread_map
from geo.schema import (
    BNG,
    BNG_BOUNDS,
    CLOSURE_ORDER_TYPES,
    CLOSURE_STATUSES,
    FLAGGED_STATUSES,
    INDICATORS,
    KINDS,
    UK_BOUNDS,
    WGS84,
    Kind,
    category_lookup,
    indicator_lookup,
    normalise_label,
)

CoordMode = Literal["auto", "wgs84", "bng"]

#: Columns left out of an incident's identity: police.uk revises outcomes in
#: later downloads of the same month, which must not count as new incidents.
MUTABLE_INCIDENT_COLUMNS = ("outcome", "context")

_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_SAMPLE = 4096  # rows looked at to decide whether a column repeats its values
_EARLIEST = pd.Timestamp("1990-01-01")


@dataclass
class Validated:
    """Outcome of validating one raw table.

    ``table`` holds canonical typed columns plus ``_row`` (source row) and
    ``_k1``/``_k2``, a 128-bit content key that makes re-imports idempotent,
    for every row; ``ok`` marks the accepted ones (None: all). The accepted
    rows are only copied out when asked for, because at a million rows that
    copy is a noticeable part of an import and the store can do without it.

    Incidents come as an arrow table (``arrow``; repeated text stays
    dictionary-encoded all the way into the store's Parquet segments) and
    ``table`` is built from it only when asked for; the other kinds as a
    pandas ``frame``. ``ref_hash`` is the 64-bit hash of each row's ref
    (0 for a blank ref), worked out once while hashing the content keys.
    """

    kind: str
    file: str
    frame: pd.DataFrame | None
    rejects: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    raw: RawTable | RawBoundaries | None = None
    headings: dict[str, str] = field(default_factory=dict)
    ok: np.ndarray | None = None
    arrow: pa.Table | None = None
    ref_hash: np.ndarray | None = None

    @property
    def original(self) -> pd.DataFrame:
        """The rows as the file had them, plus ``_row`` (built only when asked for)."""
        return self.raw.original if self.raw is not None else pd.DataFrame()

    @cached_property
    def table(self) -> pd.DataFrame:
        """Every row, canonical columns plus ``_row``, ``_k1``, ``_k2``."""
        if self.frame is not None:
            return self.frame
        assert self.arrow is not None
        return _plain_strings(self.arrow).to_pandas()

    @cached_property
    def accepted(self) -> pd.DataFrame:
        """The accepted rows only, renumbered from 0."""
        return self.table if self.ok is None else self.table[self.ok].reset_index(drop=True)

    @cached_property
    def positions(self) -> np.ndarray:
        """Positions in ``table`` of the accepted rows."""
        n = self.arrow.num_rows if self.arrow is not None else len(self.table)
        return np.arange(n) if self.ok is None else np.flatnonzero(self.ok)

    def data(self) -> pa.Table:
        """``table`` as arrow (no copy for incidents)."""
        if self.arrow is not None:
            return self.arrow
        return pa.Table.from_pandas(self.table, preserve_index=False)

    def values(self, column: str, rows: np.ndarray | None = None) -> np.ndarray:
        """One column of ``table`` (at ``rows``, positions in ``table``) as numpy; numbers without a copy."""
        if self.arrow is None:
            values = self.table[column].to_numpy()
            return values if rows is None else values[rows]
        col = self.arrow.column(column)
        if rows is not None:
            col = col.take(pa.array(rows))
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        return col.to_numpy()


def _plain_strings(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns decoded, for pandas and for callers that expect plain text."""
    schema = pa.schema(
        [pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema]
    )
    return table.cast(schema) if schema != table.schema else table


class _Rejector:
    """Collects the first failing reason per row, vectorised."""

    def __init__(self, n: int, heading: dict[str, str]) -> None:
        # None until a row is rejected: only rejected rows' entries are ever read
        self.reason = np.empty(n, dtype=object)
        self.column = np.empty(n, dtype=object)
        self.heading = heading
        self._bad = np.zeros(n, dtype=bool)

    @property
    def ok(self) -> np.ndarray:
        return ~self._bad

    def reject(
        self,
        mask: np.ndarray | pd.Series,
        column: str,
        reason: str | np.ndarray | Callable[[np.ndarray], Any],
    ) -> None:
        """Give ``reason`` to rows in ``mask`` that have none yet.

        ``reason`` may be a callable taking the final mask and returning the
        reasons for just those rows, so that row-specific messages are only
        built for the (usually few) rows that fail.
        """
        mask = np.asarray(mask, dtype=bool) & self.ok
        if not mask.any():
            return
        if callable(reason):
            self.reason[mask] = reason(mask)
        elif isinstance(reason, np.ndarray):
            self.reason[mask] = reason[mask]
        else:
            self.reason[mask] = reason
        self.column[mask] = self.heading.get(column, column)
        self._bad |= mask


class _Text:
    """A text column (surrounding blanks stripped) as distinct values and a code per row.

    Checks, parsing and hashing run once per distinct value and are spread to
    the rows through the codes: police.uk columns repeat a few thousand values
    (months, categories, snap points, LSOAs) over a million rows. A column
    whose values hardly repeat (refs) keeps one value per row (``codes`` None).
    """

    __slots__ = ("_hashes", "codes", "values")

    def __init__(self, values: pa.Array, codes: np.ndarray | None) -> None:
        self.values = values
        self.codes = codes
        self._hashes: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, column: pa.Array | pa.ChunkedArray | pd.Series, *, distinct: bool | None = None) -> _Text:
        """The stripped text of ``column``; ``distinct`` None decides from the first rows."""
        if isinstance(column, pd.Series):
            column = as_string_array(column)
        if pa.types.is_dictionary(column.type) and not column.null_count:  # encoded while reading
            return cls._encoded(column)
        if column.null_count:
            column = pc.fill_null(column, "")
        if column.type != pa.string():
            column = column.cast(pa.string())
        if distinct is None:
            sample = column.slice(0, _SAMPLE)
            distinct = len(sample) > 0 and pc.count_distinct(sample).as_py() <= len(sample) // 2
        if not distinct:
            if isinstance(column, pa.ChunkedArray):
                column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
            return cls(_strip(column), None)
        return cls._encoded(pc.dictionary_encode(column))

    @classmethod
    def _encoded(cls, column: pa.ChunkedArray | pa.DictionaryArray) -> _Text:
        dictionary, indices = dictionary_parts(column)
        if dictionary.type != pa.string():
            dictionary = dictionary.cast(pa.string())
        return cls(_strip(dictionary), indices.to_numpy(zero_copy_only=False))

    @classmethod
    def constant(cls, value: str, n: int) -> _Text:
        return cls(pa.array([value.strip()], pa.string()), np.zeros(n, np.int32))

    def __len__(self) -> int:
        return len(self.values) if self.codes is None else len(self.codes)

    def spread(self, per_value: np.ndarray) -> np.ndarray:
        """A value per distinct value -> a value per row."""
        return per_value if self.codes is None else per_value[self.codes]

    def distinct(self) -> pd.Series:
        return pd.Series(self.values, dtype="str")

    def blank(self) -> np.ndarray:
        return self.spread(pc.equal(self.values, "").to_numpy(zero_copy_only=False))

    def map(self, fn: Callable[[pd.Series], pd.Series]) -> _Text:
        """New text from ``fn`` on the distinct values (a Series of str in, of str out)."""
        return _Text(pa.array(fn(self.distinct()).astype("str"), type=pa.string()), self.codes)

    def where(self, mask: np.ndarray, other: _Text) -> _Text:
        """This text where ``mask``, ``other`` elsewhere."""
        n = len(self)
        own = self.codes if self.codes is not None else np.arange(n)
        theirs = (other.codes if other.codes is not None else np.arange(n)) + len(self.values)
        return _Text(pa.concat_arrays([self.values, other.values]), np.where(mask, own, theirs))

    def at(self, mask: np.ndarray) -> np.ndarray:
        """The text of the rows in ``mask`` (object array)."""
        if self.codes is None:
            return self.values.filter(pa.array(mask)).to_numpy(zero_copy_only=False)
        return self.values.to_numpy(zero_copy_only=False)[self.codes[mask]]

    def hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the two 64-bit hashes of :func:`geo.keys.strings_to_hash`, computed once per value."""
        h1, h2, *_ = self.hash_parts()
        return self.spread(h1), self.spread(h2)

    def hash_parts(self) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The hashes per distinct value and the codes (:func:`geo.keys.combine_hashes` spreads them)."""
        if self._hashes is None:
            self._hashes = strings_to_hash(self.values)
        return self._hashes if self.codes is None else (*self._hashes, self.codes)

    def series(self, index: pd.Index) -> pd.Series:
        """Every row's text as a str Series on ``index``."""
        values = self.values if self.codes is None else self.values.take(pa.array(self.codes))
        return pd.Series(values, index=index, dtype="str")

    def take(self, rows: np.ndarray) -> pd.Series:
        """The text of ``rows`` as a str Series."""
        codes = rows if self.codes is None else self.codes[rows]
        return pd.Series(self.values.take(pa.array(codes)), dtype="str")

    def arrow(self) -> pa.Array:
        """Per row, for storage: dictionary-encoded unless the values hardly repeat."""
        if self.codes is None:
            return self.values
        return pa.DictionaryArray.from_arrays(pa.array(self.codes.astype(np.int32, copy=False)), self.values)


def _strip(values: pa.Array) -> pa.Array:
    """Surrounding blanks removed, as ``str.strip`` on pandas' arrow strings does.

    No copy when no value starts or ends with a byte that could be a blank
    (ASCII white space, or any non-ASCII byte: Unicode has blanks too), which is
    the rule for police.uk files and saves copying a million refs.
    """
    data_buf = values.buffers()[2]
    if not len(values) or data_buf is None:
        return values
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)
    full = offsets[1:] > offsets[:-1]
    for edge in (data[offsets[:-1][full]], data[offsets[1:][full] - 1]):
        if ((edge >= 0x80) | ((edge >= 0x09) & (edge <= 0x0D)) | ((edge >= 0x1C) & (edge <= 0x20))).any():
            return pc.utf8_trim_whitespace(values)
    return values


def _as_text(values: pd.Series | _Text) -> _Text:
    return values if isinstance(values, _Text) else _Text.of(values, distinct=False)


def _says(prefix: str, values: pd.Series | np.ndarray | _Text, suffix: str = "") -> Callable[[np.ndarray], list[str]]:
    """A lazy reason: ``prefix + value + suffix`` for each rejected row (only those are touched)."""

    def build(mask: np.ndarray) -> list[str]:
        texts = values.at(mask) if isinstance(values, _Text) else np.asarray(values, dtype=object)[mask]
        return [f"{prefix}{v}{suffix}" for v in texts]

    return build


def validate_table(raw: RawTable, *, coords: CoordMode = "auto") -> Validated:
    """Validate a raw CSV table of any point or count kind.

    Parameters
    ----------
    raw
        From :func:`geo.ingest.read_csv_kind`.
    coords
        ``"auto"`` decides between lat/lng and British National Grid from the
        values; ``"wgs84"`` or ``"bng"`` force it (rows that do not fit are
        rejected rather than silently converted).
    """
    if raw.kind == "incidents":
        return _validate_incidents(raw, coords=coords)
    kind = KINDS[raw.kind]
    f = raw.frame
    n = len(f)
    rej = _Rejector(n, raw.columns)
    out = pd.DataFrame(index=f.index)
    notes = list(raw.notes)
    names = [c for c in f.columns if c != "_row"]
    text = dict(zip(names, thread_map(lambda c: _clean_text(f[c]), names), strict=True))

    for col in kind.columns:
        if col.dtype == "str":
            out[col.name] = text[col.name]
            if col.required:
                rej.reject(text[col.name] == "", col.name, f"{col.name} is blank")

    if "lat" in kind.column_names:
        lat, lng, note = _coordinates(text, rej, coords=coords, optional=kind.name == "victims")
        out["lat"], out["lng"] = lat, lng
        if note:
            notes.append(note)

    if kind.name == "closures":
        _closure_fields(text, out, rej)
    elif kind.name == "victims":
        out["date_safeguarded"] = _dates(text["date_safeguarded"], "date_safeguarded", rej, required=True)
    elif kind.name == "flagged":
        _flagged_fields(text, out, rej)
    elif kind.name == "victim_counts":
        out["month"] = _months(text["month"], "month", rej, required=True)
        count = pd.to_numeric(text["count"], errors="coerce")
        bad = count.isna() | (count < 0) | (count != np.floor(count))
        rej.reject(bad.to_numpy(), "count", "count is not a whole number >= 0")
        out["count"] = count.fillna(0).astype("int64")

    out = out[list(kind.column_names)]
    out["_row"] = f["_row"].to_numpy()
    k1, k2 = content_keys(out, kind)
    out["_k1"], out["_k2"] = k1, k2
    _repeated_refs(out, kind, rej)

    ok = rej.ok
    rejects = _rejects_frame(raw, ~ok, rej)
    return Validated(
        kind.name,
        raw.file,
        out,
        concat_rejects([raw.rejects, rejects]),
        notes,
        raw=raw,
        headings=raw.columns,
        ok=ok,
    )


def _validate_incidents(raw: RawTable, *, coords: CoordMode) -> Validated:
    """:func:`validate_table` for incidents, the bulk kind (a force-year is a million rows).

    The same checks, in the same order, as for the other kinds, but on arrow
    text rather than pandas: every column is stripped, parsed, checked and
    hashed once per distinct value (:class:`_Text`), and the accepted rows
    stay arrow, dictionary-encoded, until they are written as Parquet.
    """
    kind = KINDS["incidents"]
    rows = raw.rows
    n = len(rows)
    rej = _Rejector(n, raw.columns)
    notes = list(raw.notes)
    text = _incident_text(raw)
    keyed = [c for c in kind.column_names if c not in MUTABLE_INCIDENT_COLUMNS]  # as content_keys
    # columns that enter the key as read are hashed on the other core while the rows are checked
    as_read = [text[c] for c in keyed if c not in ("month", "date", "category", "lat", "lng")]
    early = in_background(lambda: [t.hash_parts() for t in as_read])
    out: dict[str, _Text | np.ndarray] = {}
    for col in kind.columns:
        if col.dtype == "str":
            out[col.name] = text[col.name]
            if col.required:
                rej.reject(text[col.name].blank(), col.name, f"{col.name} is blank")
    coded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    out["lat"], out["lng"], note = _coordinates(text, rej, coords=coords, optional=False, coded=coded)
    if note:
        notes.append(note)
    _incident_fields(text, out, rej)

    early.result()
    # the keys do not depend on the checks below: fold them meanwhile
    folded = in_background(lambda: combine_hashes([_column_hashes(out[c], coded.get(c)) for c in keyed], n, salt="key"))
    ref = out["ref"]
    assert isinstance(ref, _Text)
    ref_hash, ref_blank = ref.hashes()[0].copy(), ref.blank()
    given = np.flatnonzero(~ref_blank)
    ref_again = np.zeros(n, dtype=bool)  # rows whose ref another row has too
    ref_again[given] = repeated(ref_hash[given])
    among = ref_blank | ref_again  # a row with a ref of its own cannot repeat another row
    keys = in_background(lambda: salt_repeats(*folded.result(), among=among))
    _repeated_refs(_Columns(out, rows, ref_again=ref_again), kind, rej)
    ref_hash[ref_hash == 0] = 1  # as geo.segments.refs_to_hash: 0 stands for a blank ref
    ref_hash[ref_blank] = 0

    ok = rej.ok
    rejects = _rejects_frame(raw, ~ok, rej)
    k1, k2 = keys.result()
    arrays = {c: v.arrow() if isinstance(v, _Text) else pa.array(v) for c, v in out.items()}
    table = pa.table({**{c: arrays[c] for c in kind.column_names}, "_row": rows, "_k1": k1, "_k2": k2})
    return Validated(
        kind.name,
        raw.file,
        None,
        concat_rejects([raw.rejects, rejects]),
        notes,
        raw=raw,
        headings=raw.columns,
        ok=ok,
        arrow=table,
        ref_hash=ref_hash,
    )


def _incident_text(raw: RawTable) -> dict[str, _Text]:
    """Each canonical column of an incidents file as stripped text; absent ones blank, ``source`` constant."""
    n = len(raw.rows)
    kind = KINDS["incidents"]
    present = [c for c in (*kind.column_names, "easting", "northing") if c in raw.columns and c != "source"]

    def read(col: str) -> _Text:
        head = raw.columns[col]
        return _Text.of(raw.arrow.column(head) if raw.arrow is not None else raw.original[head])

    text = dict(zip(present, thread_map(read, present), strict=True))
    for col in kind.column_names:
        if col not in text:
            text[col] = _Text.constant(raw.source if col == "source" else "", n)
    return text


def _column_hashes(
    values: _Text | np.ndarray, coded: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column's part of the content key, exactly as :func:`geo.keys.frame_to_hash` hashes it.

    Numbers given ``coded`` (per distinct value, a code per row) are hashed once per value.
    """
    if isinstance(values, _Text):
        return values.hash_parts()
    if coded is not None:
        return (*numbers_to_hash(coded[0]), coded[1])
    return numbers_to_hash(values)


class _Columns:
    """Validated incident columns (text or numbers) and their source rows."""

    def __init__(self, columns: dict[str, _Text | np.ndarray], rows: np.ndarray, *, ref_again: np.ndarray) -> None:
        self.columns = columns
        self.rows = rows
        self.ref_again = ref_again  # rows whose (non-blank) ref another row has too

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self, positions: np.ndarray) -> pd.DataFrame:
        """A few rows as a pandas frame with ``_row`` (for detailed comparisons)."""
        data = {
            c: v.take(positions) if isinstance(v, _Text) else pd.Series(v[positions]) for c, v in self.columns.items()
        }
        return pd.DataFrame(data).assign(_row=self.rows[positions])


# --------------------------------------------------------------------------- coordinates


def _coordinates(
    text: dict[str, pd.Series] | dict[str, _Text],
    rej: _Rejector,
    *,
    coords: CoordMode,
    optional: bool,
    coded: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Turn lat/lng or easting/northing text into WGS84 degrees, rejecting bad points.

    ``coded``, when given, receives ``lat`` and ``lng`` as (value per distinct
    text, code per row) whenever they are the numbers the text says (degrees
    as given, NaN for a missing point), so that hashing them works per value.
    """
    has_en = "easting" in text and not ("lat" in rej.heading and "lng" in rej.heading)
    if has_en:
        xs, ys, xcol, ycol = _as_text(text["easting"]), _as_text(text["northing"]), "easting", "northing"
    else:
        xs, ys, xcol, ycol = _as_text(text["lng"]), _as_text(text["lat"]), "lng", "lat"
    blank = xs.blank() & ys.blank()
    if optional:
        skip = blank
    else:
        skip = np.zeros(len(xs), dtype=bool)
        rej.reject(blank, ycol, "no coordinates (blank location, e.g. police.uk 'No Location')")
    xv, yv = _to_float(xs.values), _to_float(ys.values)
    x, y = xs.spread(xv), ys.spread(yv)
    for vals, raw, col in ((y, ys, ycol), (x, xs, xcol)):
        bad = ~np.isfinite(vals) & ~skip
        rej.reject(bad, col, _says("not a number: ", raw))
    num = np.isfinite(x) & np.isfinite(y)

    note = ""
    b = BNG_BOUNDS
    fits_bng = (x >= b["e_min"]) & (x <= b["e_max"]) & (y >= b["n_min"]) & (y <= b["n_max"])
    degreeish = (np.abs(x) <= 180) & (np.abs(y) <= 90)
    mode = coords
    if has_en:
        mode = "bng" if coords == "auto" else coords
    elif coords == "auto":
        metric = num & ~degreeish & fits_bng
        if num.sum() and metric.sum() >= 0.9 * num.sum():
            mode = "bng"
            note = "coordinates detected as British National Grid easting/northing and converted to WGS84"
        else:
            mode = "wgs84"

    lat = np.full(len(x), np.nan)
    lng = np.full(len(x), np.nan)
    if mode == "bng":
        rej.reject(num & (x == 0) & (y == 0), ycol, "coordinates are 0,0 (no map point)")
        rej.reject(
            num & degreeish & ~((x > 1000) | (y > 1000)),
            xcol,
            "looks like lat/lng degrees, but easting/northing metres were expected",
        )
        rej.reject(num & ~fits_bng, xcol, "outside the British National Grid range")
        use = num & rej.ok
        tr = Transformer.from_crs(BNG, WGS84, always_xy=True)
        lng[use], lat[use] = tr.transform(x[use], y[use])
    else:
        lat[num], lng[num] = y[num], x[num]
        if coded is not None and xs.codes is not None and ys.codes is not None:
            coded["lat"] = (np.append(yv, np.nan), np.where(num, ys.codes, len(yv)))
            coded["lng"] = (np.append(xv, np.nan), np.where(num, xs.codes, len(xv)))
        rej.reject(num & (x == 0) & (y == 0), ycol, "coordinates are 0,0 (no map point)")
        rej.reject(
            num & ~degreeish & fits_bng,
            ycol,
            "looks like British National Grid easting/northing in degree columns (import with coordinates set to BNG)",
        )
        rej.reject(num & ~degreeish, ycol, "out of range for latitude/longitude")
    ub = UK_BOUNDS
    in_uk = (lat >= ub["lat_min"]) & (lat <= ub["lat_max"]) & (lng >= ub["lng_min"]) & (lng <= ub["lng_max"])
    swapped = (lng >= ub["lat_min"]) & (lng <= ub["lat_max"]) & (lat >= ub["lng_min"]) & (lat <= ub["lng_max"])
    rej.reject(num & swapped, ycol, "latitude and longitude appear swapped")

    def where(mask: np.ndarray) -> list[str]:
        return [f"outside Great Britain (lat {a:.5g}, lng {b:.5g})" for a, b in zip(lat[mask], lng[mask], strict=True)]

    rej.reject(num & ~in_uk, ycol, where)
    return lat, lng, note


# --------------------------------------------------------------------------- dates


def parse_dates(series: pd.Series) -> pd.Series:
    """Parse dates as UK partners write them; NaT where nothing fits.

    ISO (``2024-03-05``, with optional time) first, then day-first forms
    (``05/03/2024``, ``5-3-2024``, ``5 Mar 2024``). Month-first (US) dates are
    never assumed: ``03/05/2024`` is 3 May.
    """
    s = series.fillna("").str.strip()
    if not (s != "").any():  # e.g. police.uk files have months, no dates
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    out = pd.to_datetime(s, format="ISO8601", errors="coerce")
    for fmt in (
        "%d/%m/%Y",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d-%m-%Y",
        "%d.%m.%Y",
        "%d %b %Y",
        "%d %B %Y",
    ):
        todo = out.isna() & (s != "")
        if not todo.any():
            break
        out[todo] = pd.to_datetime(s[todo], format=fmt, errors="coerce")
    return out


def _dates(text: pd.Series | _Text, col: str, rej: _Rejector, *, required: bool) -> pd.Series | _Text:
    """Dates as ``YYYY-MM-DD`` ("" where blank or rejected), parsed once per distinct value.

    Returns the same shape it was given: a Series for a Series, else text.
    """
    t = text if isinstance(text, _Text) else _Text.of(text)
    blank = t.blank()
    if required:
        rej.reject(blank, col, f"{col} is blank")
    latest = pd.Timestamp(dt.date.today()) + pd.Timedelta(days=366)
    parsed = parse_dates(t.distinct())
    bad = ~blank & t.spread(parsed.isna().to_numpy())
    rej.reject(bad, col, _says("unparseable date: ", t))
    out_of_range = ~blank & t.spread(((parsed < _EARLIEST) | (parsed > latest)).to_numpy())
    rej.reject(out_of_range, col, "date out of range (before 1990 or more than a year ahead)")
    out = _Text(pa.array(parsed.dt.strftime("%Y-%m-%d").fillna("").astype("str"), type=pa.string()), t.codes)
    return out if isinstance(text, _Text) else out.series(text.index)


def _month_of(values: pd.Series) -> pd.Series:
    """``YYYY-MM`` for each value: months as they are, full dates cut to their month, else ""."""
    is_month = values.str.match(_MONTH_RE).astype(bool)
    month = values.where(is_month, "")
    other = (values != "") & ~is_month
    if other.any():  # full dates in a month column: take their month
        month[other] = parse_dates(values[other]).dt.strftime("%Y-%m").fillna("")
    return month.astype("str")


def _months(text: pd.Series | _Text, col: str, rej: _Rejector, *, required: bool) -> pd.Series | _Text:
    """Months as ``YYYY-MM`` ("" where blank or rejected); same shape as given, like :func:`_dates`."""
    t = text if isinstance(text, _Text) else _Text.of(text)
    blank = t.blank()
    if required:
        rej.reject(blank, col, f"{col} is blank")
    month = t.map(_month_of)
    bad = ~blank & month.blank()
    rej.reject(bad, col, _says("unparseable month (expected YYYY-MM): ", t))
    return month if isinstance(text, _Text) else month.series(text.index)


# --------------------------------------------------------------------------- kinds


def _incident_fields(text: dict[str, _Text], out: dict[str, _Text | np.ndarray], rej: _Rejector) -> None:
    has_month = ~text["month"].blank()
    has_date = ~text["date"].blank()
    rej.reject(~has_month & ~has_date, "month", "month and date are both blank")
    date = _dates(text["date"], "date", rej, required=False)
    month = _months(text["month"], "month", rej, required=False)
    assert isinstance(date, _Text) and isinstance(month, _Text)
    out["date"] = date
    out["month"] = month if has_month.all() else month.where(has_month, date.map(lambda d: d.str.slice(0, 7)))
    cats = category_lookup()
    category = text["category"]
    canon = category.map(lambda u: u.map(lambda v: cats.get(normalise_label(v), "")))
    unknown = ~category.blank() & canon.blank()
    rej.reject(unknown, "category", _says("unknown category: ", category))
    out["category"] = canon


def _closure_fields(text: dict[str, pd.Series], out: pd.DataFrame, rej: _Rejector) -> None:
    granted = _dates(text["granted"], "granted", rej, required=True)
    expiry = _dates(text["expiry"], "expiry", rej, required=True)
    before = ((expiry != "") & (granted != "") & (expiry < granted)).to_numpy()
    rej.reject(before, "expiry", "expiry date is before the grant date")
    out["granted"], out["expiry"] = granted, expiry
    out["order_type"] = _vocabulary(text["order_type"], "order_type", CLOSURE_ORDER_TYPES, rej)
    out["status"] = _vocabulary(text["status"], "status", CLOSURE_STATUSES, rej)


def _flagged_fields(text: dict[str, pd.Series], out: pd.DataFrame, rej: _Rejector) -> None:
    first = _dates(text["first_flagged"], "first_flagged", rej, required=True)
    closed = _dates(text["closed"], "closed", rej, required=False)
    rej.reject(
        ((closed != "") & (closed < first)).to_numpy(),
        "closed",
        "closed before it was first flagged",
    )
    out["first_flagged"], out["closed"] = first, closed
    status = _vocabulary(text["status"], "status", FLAGGED_STATUSES, rej)
    out["status"] = status.where(status != "", np.where(closed != "", "closed", "open"))
    lookup = indicator_lookup()
    order = list(INDICATORS)

    def parse(cell: str) -> str:
        parts = [p.strip() for p in re.split(r"[;|,\n]", cell) if p.strip()]
        keys = [lookup.get(normalise_label(p)) for p in parts]
        if any(k is None for k in keys):
            bad = [p for p, k in zip(parts, keys, strict=True) if k is None]
            return "!" + ", ".join(bad)
        return ";".join(sorted(set(keys), key=order.index))  # type: ignore[arg-type]

    parsed = _map_unique(text["indicators"], parse).astype(object)
    bad = parsed.str.startswith("!").to_numpy(dtype=bool)
    allowed = "; ".join(label for label, _ in INDICATORS.values())
    rej.reject(bad, "indicators", _says("unknown indicator: ", parsed.str.slice(1), f" (allowed: {allowed})"))
    out["indicators"] = parsed.where(~bad, "")


def _vocabulary(text: pd.Series, col: str, allowed: tuple[str, ...], rej: _Rejector) -> pd.Series:
    lowered = text.str.lower()
    bad = ((lowered != "") & ~lowered.isin(allowed)).to_numpy()
    rej.reject(bad, col, _says(f"unknown {col} (allowed: {', '.join(allowed)}): ", text))
    return lowered.where(~bad, "").astype("str")


def _map_unique(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """Apply ``fn`` once per distinct value: columns repeat a handful of values a million times."""
    return _by_distinct(values, lambda u: u.map(fn).astype("str"))


def _by_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Run a column-wise ``fn`` on the distinct values only and spread its result to every row.

    Months, categories, dates and statuses repeat a few values across a
    million rows, so parsing each once is what keeps validation fast.
    """
    enc = pc.dictionary_encode(as_string_array(values))
    distinct = pd.Series(enc.dictionary, dtype="str")
    result = fn(distinct)
    if isinstance(result.dtype, pd.StringDtype):
        taken = pa.array(result, type=pa.string()).take(enc.indices)  # missing stays missing
        return pd.Series(taken, index=values.index, dtype="str")
    return pd.Series(result.to_numpy()[enc.indices.to_numpy(zero_copy_only=False)], index=values.index)


def _clean_text(values: pd.Series) -> pd.Series:
    """Missing as blank, surrounding blanks stripped (pyarrow-backed, so vectorised)."""
    return values.fillna("").str.strip()


def _to_float(values: pa.Array) -> np.ndarray:
    """Text to float64, NaN where blank or not a number.

    pyarrow's cast is ten times faster than ``pd.to_numeric`` on strings; it
    refuses the whole column at the first bad value, so bad columns take the
    slow path, which finds them row by row.
    """
    try:
        nums = pc.cast(pc.if_else(pc.equal(values, ""), None, values), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(pd.Series(values, dtype="str"), errors="coerce").to_numpy(dtype=float)
    return nums.to_numpy(zero_copy_only=False)


# --------------------------------------------------------------------------- identity


def content_keys(frame: pd.DataFrame, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """A 128-bit key per row (two int64) from its canonical content.

    For incidents the n-th repeat of identical content gets a different key
    (identical police.uk rows are separate incidents, and all are kept), while
    re-importing the same rows, from any file, yields the same keys.
    """
    cols = [c for c in kind.column_names if c != "geometry"]
    if kind.name == "incidents":
        cols = [c for c in cols if c not in MUTABLE_INCIDENT_COLUMNS]
    if not len(frame):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return hash_rows(frame, columns=cols, repeats_distinct=kind.repeats_are_distinct)


def _repeated_refs(out: pd.DataFrame | _Columns, kind: Kind, rej: _Rejector) -> None:
    """Reject a ref that comes back with different content within one file.

    A later row whose content is identical is a separate incident for
    police.uk-style data (kept) and a duplicate record for every other kind
    (rejected, naming the row it repeats). Refs are hashed first so that only
    the (usually few) rows whose ref repeats are compared in detail.
    """
    col = kind.ref_column
    if col is None:
        assert isinstance(out, pd.DataFrame)
        dup = out.duplicated(["area_code", "month", "agency"], keep="first").to_numpy()
        rej.reject(dup, "area_code", "area, month and agency repeat an earlier row")
        return
    if isinstance(out, pd.DataFrame):
        live = np.flatnonzero(rej.ok & (out[col] != "").to_numpy())
        if len(live) < 2:
            return
        ref_hash, _ = strings_to_hash(out[col].iloc[live])
    else:
        ref = out.columns[col]
        assert isinstance(ref, _Text)
        live = np.flatnonzero(rej.ok & out.ref_again)  # a ref given once cannot repeat among the live rows
        if len(live) < 2:
            return
        ref_hash = ref.hashes()[0][live]  # the same hash, already worked out for the content keys
    candidate = repeated(ref_hash)  # rows whose ref hash comes back
    if not candidate.any():
        return
    rows = live[candidate]
    sub = out.iloc[rows] if isinstance(out, pd.DataFrame) else out.frame(rows)
    content, _ = frame_to_hash(sub, [c for c in kind.column_names if c != "geometry"])
    sub = pd.DataFrame({"ref": sub[col].to_numpy(), "row": sub["_row"].to_numpy(), "h": content, "pos": rows})
    first = sub.drop_duplicates("ref", keep="first").set_index("ref")
    later = sub[sub.duplicated("ref", keep="first")]
    if later.empty:
        return
    f = first.loc[later["ref"].to_numpy()]
    is_same = f["h"].to_numpy() == later["h"].to_numpy()
    keep = is_same & kind.repeats_are_distinct
    later, f, is_same = later[~keep], f[~keep], is_same[~keep]
    reason = np.full(len(out), "", dtype=object)
    mask = np.zeros(len(out), dtype=bool)
    mask[later["pos"].to_numpy()] = True
    reason[later["pos"].to_numpy()] = [
        f"duplicate of row {first_row}"
        if same_content
        else f"{col} {ref!r} repeats row {first_row} with different content"
        for ref, first_row, same_content in zip(later["ref"], f["row"], is_same, strict=True)
    ]
    rej.reject(mask, col, reason)


def _rejects_frame(raw: RawTable, mask: np.ndarray, rej: _Rejector) -> pd.DataFrame:
    if not mask.any():
        return empty_rejects()
    positions = np.flatnonzero(mask)
    return pd.DataFrame(
        {
            "file": raw.file,
            "row": raw.rows[positions],
            "column": rej.column[mask],
            "reason": rej.reason[mask],
            "raw": pd.Series(json_rows(raw.take(positions)), dtype="str"),  # the file's own cells
        }
    )[list(REJECT_COLUMNS)]


# --------------------------------------------------------------------------- boundaries


def validate_boundaries(raw: RawBoundaries, *, kind: str) -> Validated:
    """Accept or reject each boundary feature; repair invalid polygons and say so.

    ``make_valid`` turns a bow-tie into two triangles; lines or points it may
    produce are dropped because a boundary is an area. Repairs are reported in
    ``notes`` (with row and code) rather than rejected, since the shape is kept.
    """
    g = raw.frame
    n = len(g)
    rej = _Rejector(n, {})
    code = g["code"].astype(object).fillna("").str.strip()
    name = g["name"].astype(object).fillna("").str.strip()
    rej.reject((code == "").to_numpy(), "code", "code is blank")
    rej.reject((name == "").to_numpy(), "name", "name is blank")
    geoms = g.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    rej.reject(missing, "geometry", "empty or null geometry")
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, (3, 6))  # Polygon, MultiPolygon
    rej.reject(
        ~missing & ~polygonal,
        "geometry",
        "not a polygon: " + g.geom_type.fillna("").to_numpy(dtype=object),
    )
    notes = list(raw.notes)
    fixed = geoms.copy()
    invalid = rej.ok & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        why = shapely.is_valid_reason(geoms[i])
        repaired = _polygonal(shapely.make_valid(geoms[i]))
        if repaired is None:
            rej.reject(_one(n, i), "geometry", f"invalid polygon ({why}) cannot be repaired")
            continue
        fixed[i] = repaired
        notes.append(f"row {g['_row'].iloc[i]} (code {code.iloc[i]}): invalid polygon ({why}) repaired with make_valid")
    ub = UK_BOUNDS
    ok_idx = np.flatnonzero(rej.ok)
    if len(ok_idx):
        bounds = shapely.bounds(fixed[ok_idx])
        outside = (
            (bounds[:, 0] < ub["lng_min"])
            | (bounds[:, 2] > ub["lng_max"])
            | (bounds[:, 1] < ub["lat_min"])
            | (bounds[:, 3] > ub["lat_max"])
        )
        mask = np.zeros(n, dtype=bool)
        mask[ok_idx[outside]] = True
        rej.reject(mask, "geometry", "outside Great Britain")
    dup = code.duplicated(keep="first").to_numpy() & (code != "").to_numpy()
    first_row = dict(
        zip(
            code[~code.duplicated()].to_numpy(),
            g["_row"][~code.duplicated()].to_numpy(),
            strict=True,
        )
    )
    reason = np.array(
        [f"code {c!r} repeats row {first_row.get(c)}" for c in code.to_numpy()],
        dtype=object,
    )
    rej.reject(dup, "code", reason)
    accepted = gpd.GeoDataFrame({"code": code, "name": name, "_row": g["_row"]}, geometry=fixed, crs=WGS84)
    accepted = accepted[rej.ok].reset_index(drop=True)
    wkb = shapely.to_wkb(accepted.geometry.to_numpy(), hex=True) if len(accepted) else np.array([], dtype=object)
    keyframe = pd.DataFrame({"code": accepted["code"], "name": accepted["name"], "wkb": wkb})
    accepted["_k1"], accepted["_k2"] = hash_rows(keyframe, repeats_distinct=False)
    mask = ~rej.ok
    orig = raw.original[mask]
    heads = [c for c in orig.columns if c != "_row"]
    rejects = pd.DataFrame(
        {
            "file": raw.file,
            "row": g["_row"].to_numpy()[mask],
            "column": rej.column[mask],
            "reason": rej.reason[mask],
            "raw": rows_to_json(orig, columns=heads),
        }
    )
    if rejects.empty:
        rejects = empty_rejects()
    if not len(accepted) and n:
        notes.append("no feature was accepted")
    return Validated(kind, raw.file, accepted, rejects, notes, raw=raw)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if merged.geom_type in ("Polygon", "MultiPolygon") else None


def _one(n: int, i: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[i] = True
    return m


def check_kind(kind: str) -> Kind:
    """Return the :class:`Kind` for a user-supplied name, or raise a clear error."""
    try:
        return KINDS[kind]
    except KeyError:
        raise InputError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}") from None
