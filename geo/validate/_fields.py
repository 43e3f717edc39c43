"""Field checks that every point and count kind shares: coordinates, dates and months.

Why a module of its own: incidents (column-wise, in arrow) and the other kinds
(in pandas) must accept and reject the same values with the same reasons, so
these rules live once, here. Each check takes text as a pandas Series or as a
:class:`~geo.core.arrowtext.TextColumn`, works once per distinct value, records
failures on a :class:`~geo.validate._verdict.Rejector` and returns the parsed values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, overload

import numpy as np
import pandas as pd
import pyarrow as pa
from pyproj import Transformer

from geo.core.arrowtext import TextColumn, to_float
from geo.core.schema import BNG, BNG_BOUNDS, INSTANT_FORMAT, MAX_KEY_LENGTH, UK_BOUNDS, WGS84, CoordMode, Kind
from geo.validate._bounds import DateBound, bound_of
from geo.validate._verdict import Rejector

#: The one signature of a kind's own field checks (see :data:`geo.validate._checks.FIELD_CHECKS`):
#: ``(text, out, rej) -> None``, with the stripped text by canonical column (pandas Series on the
#: row path, :class:`~geo.core.arrowtext.TextColumn` on the column-wise path of the bulk kind),
#: the parsed columns written into ``out`` by name and the verdicts recorded on ``rej``.
FieldCheck = Callable[[Mapping[str, Any], MutableMapping[str, Any], Rejector], None]

_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
#: A year standing alone in a value: judges the dates pandas cannot hold (before 1677, after 2262), so that
#: 2999-01-01 is "after the current month", not "unparseable".
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")

#: Rows judged by a bound of their own before the column's (police.uk rows' months: police.uk's coverage).
Stricter = tuple[DateBound, np.ndarray]


def _as_text(values: pd.Series | TextColumn) -> TextColumn:
    return values if isinstance(values, TextColumn) else TextColumn.of(values, distinct=False)


def says(
    prefix: str, values: pd.Series | np.ndarray | TextColumn, suffix: str = ""
) -> Callable[[np.ndarray], list[str]]:
    """A lazy reason: ``prefix + value + suffix`` for each rejected row (only those are touched)."""

    def build(mask: np.ndarray) -> list[str]:
        texts = values.at(mask) if isinstance(values, TextColumn) else np.asarray(values, dtype=object)[mask]
        return [f"{prefix}{v}{suffix}" for v in texts]

    return build


# --------------------------------------------------------------------------- coordinates


def check_key_lengths(text: Mapping[str, pd.Series | TextColumn], kind: Kind, rej: Rejector) -> None:
    """Reject a row whose ref, key or area code (:attr:`~geo.core.schema.Kind.bounded_columns`) is too long.

    One rule for every kind, before anything compares or stores the value: over
    :data:`~geo.core.schema.MAX_KEY_LENGTH` characters cannot be a real ref or code, and the store's indexes
    would refuse the whole file for it.
    """
    for name in kind.bounded_columns:
        if name not in text:
            continue
        column = _as_text(text[name])
        lengths = column.spread(column.distinct().str.len().fillna(0).to_numpy(dtype=np.int64))
        long = lengths > MAX_KEY_LENGTH
        if long.any():
            said = np.array(
                [f"{name} is {v:,} characters long; at most {MAX_KEY_LENGTH}" for v in lengths[long].tolist()],
                dtype=object,
            )
            reason = np.full(len(lengths), "", dtype=object)
            reason[long] = said
            rej.reject(long, name, reason)


def check_coordinates(
    text: dict[str, pd.Series] | dict[str, TextColumn],
    rej: Rejector,
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
    xv, yv = to_float(xs.values), to_float(ys.values)
    x, y = xs.spread(xv), ys.spread(yv)
    for vals, raw, col in ((y, ys, ycol), (x, xs, xcol)):
        bad = ~np.isfinite(vals) & ~skip
        rej.reject(bad, col, says("not a number: ", raw))
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


@overload
def check_dates(
    text: TextColumn, col: str, rej: Rejector, *, required: bool, stricter: Stricter | None = None
) -> TextColumn: ...
@overload
def check_dates(
    text: pd.Series, col: str, rej: Rejector, *, required: bool, stricter: Stricter | None = None
) -> pd.Series: ...
def check_dates(
    text: pd.Series | TextColumn, col: str, rej: Rejector, *, required: bool, stricter: Stricter | None = None
) -> pd.Series | TextColumn:
    """Dates as ``YYYY-MM-DD`` ("" where blank or rejected), parsed once per distinct value.

    Dates outside the column's bounds (:data:`~geo.validate._bounds.DATE_BOUNDS`) are
    rejected with the bound and its reason. Returns the same shape it was
    given: a Series for a Series, else text.
    """
    t = text if isinstance(text, TextColumn) else TextColumn.of(text)
    blank = t.blank()
    if required:
        rej.reject(blank, col, f"{col} is blank")
    distinct = t.distinct()
    parsed = parse_dates(distinct)
    iso = parsed.dt.strftime("%Y-%m-%d").fillna("").astype("str")
    _check_bounds(t, iso.str.slice(0, 7), distinct, col, rej, stricter=stricter)
    bad = ~blank & t.spread(parsed.isna().to_numpy())
    rej.reject(bad, col, says("unparseable date: ", t))
    out = TextColumn(pa.array(iso, type=pa.string()), t.codes)
    return out if isinstance(text, TextColumn) else out.series(text.index)


def _month_of(values: pd.Series) -> pd.Series:
    """``YYYY-MM`` for each value: months as they are, full dates cut to their month, else ""."""
    is_month = values.str.match(_MONTH_RE).astype(bool)
    month = values.where(is_month, "")
    other = (values != "") & ~is_month
    if other.any():  # full dates in a month column: take their month
        month[other] = parse_dates(values[other]).dt.strftime("%Y-%m").fillna("")
    return month.astype("str")


@overload
def check_months(
    text: TextColumn, col: str, rej: Rejector, *, required: bool, stricter: Stricter | None = None
) -> TextColumn: ...
@overload
def check_months(
    text: pd.Series, col: str, rej: Rejector, *, required: bool, stricter: Stricter | None = None
) -> pd.Series: ...
def check_months(
    text: pd.Series | TextColumn, col: str, rej: Rejector, *, required: bool, stricter: Stricter | None = None
) -> pd.Series | TextColumn:
    """Months as ``YYYY-MM`` ("" where blank or rejected); same shape as given, like :func:`check_dates`.

    ``stricter`` judges some rows by a bound of their own first (police.uk
    rows by police.uk's coverage), so that their reason names it.
    """
    t = text if isinstance(text, TextColumn) else TextColumn.of(text)
    blank = t.blank()
    if required:
        rej.reject(blank, col, f"{col} is blank")
    month = t.map(_month_of)
    _check_bounds(t, month.distinct(), t.distinct(), col, rej, stricter=stricter)
    bad = ~blank & month.blank()
    rej.reject(bad, col, says("unparseable month (expected YYYY-MM): ", t))
    return month if isinstance(text, TextColumn) else month.series(text.index)


def _check_bounds(
    t: TextColumn, months: pd.Series, distinct: pd.Series, col: str, rej: Rejector, *, stricter: Stricter | None
) -> None:
    """Reject rows whose month (per distinct value of ``t``) is outside the column's bounds, saying which and why.

    ``months`` is ``YYYY-MM`` per distinct value ("" when it did not parse);
    a value that did not parse but names a year outside the bounds (pandas
    holds no date after 2262) is judged by that year.
    """
    key = months
    unparsed = (months == "") & (distinct != "")
    if unparsed.any():  # a date pandas cannot hold is one that parses with an ordinary year in its place
        values = distinct[unparsed]
        years = [_YEAR.search(v) for v in values.tolist()]  # few values: plain Python
        plain = [v if y is None else v[: y.start()] + "2000" + v[y.end() :] for v, y in zip(values, years, strict=True)]
        fits = parse_dates(pd.Series(plain, index=values.index, dtype="str")).notna().to_numpy()
        key = months.copy()
        for i, y, ok in zip(values.index, years, fits, strict=True):
            if y is not None and ok:
                key[i] = f"{y.group()}-01"
    judges: list[tuple[DateBound, np.ndarray | None]] = [stricter] if stricter else []
    for bound, rows in [*judges, (bound_of(col), None)]:
        latest = bound.latest()
        early = t.spread(((key != "") & (key < bound.earliest)).to_numpy(dtype=bool))
        late = t.spread(((key != "") & (key > latest)).to_numpy(dtype=bool))
        if rows is not None:
            early, late = early & rows, late & rows
        rej.reject(early, col, says(f"{col} ", t, f" is before {bound.earliest}: {bound.why_earliest}"))
        rej.reject(late, col, says(f"{col} ", t, f" is after {latest}, {bound.why_latest}"))


# --------------------------------------------------------------------------- whole numbers and years

#: A whole number as spreadsheets write one: digits, thousands separated by commas, or a float's ".0".
_WHOLE = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.0+)?$")
#: A year as population files give it: ``2022``, ``Mid-2022``, ``mid 2022``, or the mid-year date itself
#: (``2022-06-30``, ``30/06/2022``: a mid-year estimate is of the population on 30 June).
_YEAR_TEXT = re.compile(r"^(?:mid[\s\-–]*)?(\d{4})(?:\.0+)?$|^(\d{4})-06-30$|^30/06/(\d{4})$", re.IGNORECASE)


def check_whole_numbers(
    text: pd.Series, col: str, rej: Rejector, *, required: bool, most: int, why_most: str
) -> pd.Series:
    """Whole numbers from 0 to ``most`` as int64 (0 where blank or rejected), each failure named with the value.

    Thousands separators and a trailing ``.0`` are how spreadsheets write a
    count and are read as it; a fraction, a sign, an exponent or words are not
    a number of people. Only text columns are judged blank for the kind (the
    row path), so a ``required`` number is judged blank here, first.
    """
    if required:
        rej.reject((text == "").to_numpy(), col, f"{col} is blank")
    distinct = text.drop_duplicates()
    fits = distinct.str.fullmatch(_WHOLE).astype(bool)
    digits = distinct.str.replace(",", "", regex=False).str.replace(r"\.0+$", "", regex=True)
    value = pd.to_numeric(digits.where(fits, ""), errors="coerce")
    number = pd.to_numeric(distinct, errors="coerce")  # only to say why: "-3" is negative, "2.5" a fraction
    by_text = dict(zip(distinct.tolist(), value.tolist(), strict=True))
    parsed = pd.Series(text.map(by_text).to_numpy(dtype=float), index=text.index)
    negative = text.map(dict(zip(distinct.tolist(), (number < 0).tolist(), strict=True))).to_numpy(dtype=bool)
    blank = (text == "").to_numpy()
    rej.reject(~blank & negative, col, says(f"{col} is negative: ", text))
    rej.reject(~blank & parsed.isna().to_numpy(), col, says(f"{col} is not a whole number: ", text))
    rej.reject((parsed > most).to_numpy(), col, says(f"{col} ", text, f" is more than {most:,}: {why_most}"))
    ok = parsed.notna() & (parsed <= most)
    return parsed.where(ok, 0).astype("int64")


def check_years(text: pd.Series, col: str, rej: Rejector, *, required: bool) -> pd.Series:
    """Years as int64 (0 where blank or rejected), within the column's bounds (``DATE_BOUNDS``).

    The bounds are months (as for every dated column); a year is judged by
    their years, so the first accepted is the earliest bound's year and the
    last the current year.
    """
    if required:
        rej.reject((text == "").to_numpy(), col, f"{col} is blank")
    found = text.str.extract(_YEAR_TEXT)
    year = pd.to_numeric(found[0].fillna(found[1]).fillna(found[2]), errors="coerce")
    blank = (text == "").to_numpy()
    rej.reject(~blank & year.isna().to_numpy(), col, says(f"unreadable {col} (expected e.g. 2022 or mid-2022): ", text))
    bound = bound_of(col)
    first, last = int(bound.earliest[:4]), int(bound.latest()[:4])
    rej.reject((year < first).to_numpy(), col, says(f"{col} ", text, f" is before {first}: {bound.why_earliest}"))
    rej.reject((year > last).to_numpy(), col, says(f"{col} ", text, f" is after {last}, {bound.why_latest}"))
    return year.where(year.notna() & (year >= first) & (year <= last), 0).astype("int64")


# --------------------------------------------------------------------------- instants and times of day

#: An ISO 8601 moment as trackers and spreadsheets write one: a date, ``T`` or a space, hours and minutes,
#: optional seconds and fraction, then ``Z``, an offset (``+01:00``, ``+0100``, ``+01``) or nothing (UTC).
_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE
)
#: A time of day on the 24-hour clock: ``HH:MM`` or ``HH:MM:SS`` (a single-digit hour, ``9:05``, as exports
#: without padding write it, is read too).
TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
#: Patrol logs begin with GPS for everyone (selective availability was switched off in May 2000).
_FIRST_INSTANT = pd.Timestamp("2000-01-01", tz="UTC")


def check_instants(text: pd.Series, col: str, rej: Rejector, *, required: bool, latest: pd.Timestamp) -> pd.Series:
    """ISO 8601 moments as UTC text in :data:`~geo.core.schema.INSTANT_FORMAT` ("" where blank or rejected).

    Why UTC text of one width: text order is then time order on both
    backends, and the value round-trips exactly (see the schema). A time
    with an offset (``+01:00``, British Summer Time) is the same moment in
    UTC; one without is taken as UTC, as GPS receivers keep it. A date
    without a time of day is not a moment (every ping of a day would be at
    midnight) and is rejected, as is a moment finer than a microsecond
    (it would be stored changed), before 2000 (see :data:`_FIRST_INSTANT`)
    or ``latest`` or later (a receiver's clock set wrongly).
    """
    if required:
        rej.reject((text == "").to_numpy(), col, f"{col} is blank")
    blank = (text == "").to_numpy()
    distinct = text.drop_duplicates()
    shaped = distinct.str.fullmatch(_INSTANT.pattern, case=False).fillna(False).astype(bool)
    cleaned = distinct.where(shaped, "").str.replace(",", ".", regex=False).str.upper()
    parsed = pd.to_datetime(cleaned.where(cleaned != "", None), format="ISO8601", utc=True, errors="coerce")
    finer = parsed.notna() & (parsed.dt.nanosecond != 0)
    early, late = parsed < _FIRST_INSTANT, parsed >= latest
    stored = parsed.dt.strftime(INSTANT_FORMAT).where(parsed.notna() & ~finer & ~early & ~late, "")

    def spread(values: pd.Series) -> np.ndarray:
        return text.map(dict(zip(distinct.tolist(), values.tolist(), strict=True))).to_numpy()

    rej.reject(
        ~blank & ~spread(parsed.notna()).astype(bool),
        col,
        says(f"unreadable {col} (expected ISO 8601 with a time of day, e.g. 2024-05-01T14:03:00Z): ", text),
    )
    rej.reject(spread(finer).astype(bool), col, says(f"{col} ", text, " is finer than a microsecond"))
    rej.reject(spread(early).astype(bool), col, says(f"{col} ", text, " is before 2000, before GPS patrol logs"))
    rej.reject(
        spread(late).astype(bool),
        col,
        says(
            f"{col} ",
            text,
            f" is after {latest - pd.Timedelta(seconds=1):%Y-%m-%d %H:%M:%S} UTC: in the future (a clock set wrong?)",
        ),
    )
    return pd.Series(spread(stored.fillna("")), index=text.index, dtype="str")


def check_times_of_day(text: TextColumn, col: str, rej: Rejector) -> TextColumn:
    """Times of day (``HH:MM`` or ``HH:MM:SS``, 24 h) kept as given; anything else rejected, saying the form.

    Kept as given, not padded, so that a row's content key (and so a
    re-import of a file stored before this check) is unchanged.
    """
    fits = text.distinct().str.fullmatch(TIME_OF_DAY.pattern).fillna(False).to_numpy(dtype=bool)
    bad = ~text.blank() & ~text.spread(fits)
    rej.reject(bad, col, says(f"unreadable {col} (expected HH:MM or HH:MM:SS, 24-hour clock): ", text))
    return text
