"""The base cells of the published release: exact counts per measure, area, month (and category), with cell keys.

Every figure a cabinet member or a room sees is a sum of these cells *after*
:mod:`geo.publish._ptable` has perturbed each one, so this module is the only
place exact counts are made for them. It is internal to :mod:`geo.publish`:
nothing outside the release reads an exact cell.

The cells:

=====================  ==================================================  ============================
measure                what is counted in a month                          records (their keys)
=====================  ==================================================  ============================
``incidents``          stored incidents, per police.uk category            incidents
``people_safeguarded`` victims by date safeguarded (or shared counts)      victims (or count rows)
``orders_secured``     closure orders by date granted                      closures
``orders_active``      closure orders in force on the month's last day     closures
``flagged_opened``     flagged addresses by date first flagged             flagged addresses
``flagged_resolved``   flagged addresses by date closed                    flagged addresses
``quiet_addresses``    closed premises with no ASB within the radius in    closures (one per premises)
                       the 12 months to the month's end
=====================  ==================================================  ============================

Pieces and areas: every record falls in one *piece*: its ward (or none), its
estate (or none), and whether it is in the town (by
:func:`geo.stats.areas.points_to_areas`, the rule every area count follows; the
town is inside any ward or estate, or every record when no boundaries are
stored). Pieces are what is perturbed. Each ward, each estate, the town and
*all* (every stored record, for what is loaded) is a sum of pieces
(:func:`pieces_to_layers`), so the published figures add up the way the true
counts do. A cell holds only records; a cell with none is a true zero and is
published as zero, so only non-empty cells are listed.

Record keys: ``rkey = mix(k1, k2, secret) >> 56`` (0..255), where ``k1, k2`` is
the record's stored content key and the secret is the store's own
(:meth:`geo.store.Store.release_secret`). It plays the part of the random key
ONS stores with each census record: fixed for the record, unpredictable without
the secret, and uniform. The cell key is the sum of its records' keys mod 256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.core.schema import ASB
from geo.plan.outcomes import ENDED_STATUSES, area_boundaries
from geo.stats.areas import points_to_areas
from geo.stats.evaluate import Effect, evaluate, month_number, to_metres
from geo.store import Store

#: The measures, in the order a report lists them.
MEASURES = (
    "incidents",
    "people_safeguarded",
    "orders_secured",
    "orders_active",
    "flagged_opened",
    "flagged_resolved",
    "quiet_addresses",
)
#: The layers of areas a cell can be in.
LAYERS = ("ward", "estate", "town", "all")
#: The columns of :attr:`BaseCells.cells`.
CELL_COLUMNS = ["measure", "layer", "area", "month", "category", "value", "key"]
#: What makes a piece: the ward and estate a record is in ("" for none), whether it is in the town.
PIECE_KEYS = ["ward", "estate", "town", "month", "category"]
#: The columns of :attr:`BaseCells.pieces`, the cells that are perturbed.
PIECE_COLUMNS = ["measure", *PIECE_KEYS, "value", "key"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit moves every output bit (vectorised, wrapping)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def record_keys(k1: np.ndarray, k2: np.ndarray, *, secret: bytes) -> np.ndarray:
    """Each record's key, 0..255: fixed for the record, unpredictable without the store's secret.

    Not a cryptographic MAC: no one outside the server sees a record or cell key,
    only perturbed sums, so what matters is that keys are uniform and never change.
    """
    s1, s2 = np.frombuffer(hashlib.blake2b(secret, digest_size=16, person=b"nestwatch-rkey").digest(), dtype="<u8")
    a = np.ascontiguousarray(k1, dtype=np.int64).view(np.uint64)
    b = np.ascontiguousarray(k2, dtype=np.int64).view(np.uint64)
    x = _mix(_mix(a ^ s1) ^ b ^ s2)
    return (x >> np.uint64(56)).astype(np.int64)


@dataclass(frozen=True)
class BaseCells:
    """Exact base cells (for :mod:`geo.publish.release` only) and what the data covers.

    ``pieces``: :data:`PIECE_COLUMNS`, the non-overlapping cells that are
    perturbed (ward × estate × in-town × month × category). ``cells``:
    :data:`CELL_COLUMNS`, the exact counts per layer and area, each a sum of
    pieces (:func:`pieces_to_layers`), one row per non-empty cell; ``category`` is
    ``""`` except for incidents. ``areas``: ``layer, code, name``. ``months``:
    the stored incidents' first and last month (None: none stored). ``quiet_from``:
    the first month whose quiet-address count the data can tell (None: none).
    ``victims_from``: ``"records"``, ``"counts"`` or ``"none"``. ``effects``: the
    closure comparison per calendar year of grant (:func:`year_effects`).
    """

    pieces: pd.DataFrame
    cells: pd.DataFrame
    areas: pd.DataFrame
    months: tuple[str, str] | None
    quiet_from: str | None
    victims_from: str
    boundaries: gpd.GeoDataFrame
    effects: dict[int, YearEffect]


def place(boundaries: gpd.GeoDataFrame, lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The piece each point belongs to: (its ward or "", its estate or "", inside the town).

    Returns positions into the points (every point, once) and, beside them, a
    ``(n, 3)`` object array of ward code, estate code and the town flag. The town
    is every located point inside a ward or estate (every point when no
    boundaries are stored). Pieces do not overlap, so every area's count is a
    sum of pieces (:func:`pieces_to_layers`).
    """
    n = len(lng)
    codes = {}
    inside = np.zeros(n, dtype=bool)
    for layer in ("ward", "estate"):
        code = np.full(n, "", dtype=object)
        rows = boundaries[boundaries["layer"] == layer]
        if not rows.empty:
            where = points_to_areas(rows, lng, lat)
            held = np.flatnonzero(where >= 0)
            inside[held] = True
            code[held] = rows["code"].to_numpy(dtype=object)[where[held]]
        codes[layer] = code
    town = inside if len(boundaries) else np.ones(n, dtype=bool)
    return np.arange(n), np.column_stack([codes["ward"], codes["estate"], town.astype(object)])


def _group(
    measure: str,
    where: np.ndarray,
    month: np.ndarray,
    key: np.ndarray,
    *,
    category: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """Piece cells from records, one array entry per record: value = records (or weights), key = sum mod 256."""
    frame = pd.DataFrame(
        {
            "ward": where[:, 0],
            "estate": where[:, 1],
            "town": where[:, 2].astype(bool),
            "month": month,
            "category": "" if category is None else category,
            "value": 1 if weight is None else weight,
            "key": key,
        }
    )
    frame = frame[frame["month"].astype(str).str.len() == 7]
    out = frame.groupby(PIECE_KEYS, sort=True, observed=True).agg(value=("value", "sum"), key=("key", "sum"))
    out = out.reset_index()
    out["key"] = out["key"] % 256
    out.insert(0, "measure", measure)
    return out[out["value"] > 0][PIECE_COLUMNS]


#: The pieces each area is made of: every layer's cell is the sum of the pieces its areas hold.
_LAYER_OF_PIECE: dict[str, tuple[str, str | None]] = {
    "ward": ("ward", "ward"),
    "estate": ("estate", "estate"),
    "town": ("town", None),
    "all": ("", None),
}


def pieces_to_layers(pieces: pd.DataFrame) -> pd.DataFrame:
    """Cells per layer and area (:data:`CELL_COLUMNS`) as sums of pieces (``key``: sum mod 256, if present).

    A ward is its pieces (inside and outside estates), an estate its pieces (in
    whichever wards), the town the pieces inside it, and *all* every piece. Because
    the published pieces are perturbed and areas are sums of them, a town is
    always the sum of what is published for its parts: the links a reader knows
    between true counts (the wards add up to the town) are links the published
    figures already satisfy, and say nothing more.
    """
    keyed = "key" in pieces.columns
    aggs = {"value": ("value", "sum"), **({"key": ("key", "sum")} if keyed else {})}
    parts = []
    for layer, (column, area) in _LAYER_OF_PIECE.items():
        if column == "town":
            held = pieces[pieces["town"].astype(bool)]
        elif column:
            held = pieces[pieces[column] != ""]
        else:
            held = pieces
        by = ["measure", *([area] if area else []), "month", "category"]
        out = held.groupby(by, sort=True, observed=True).agg(**aggs).reset_index()
        out = out.rename(columns={area: "area"}) if area else out.assign(area="")
        parts.append(out.assign(layer=layer))
    cells = pd.concat(parts, ignore_index=True)
    if keyed:
        cells["key"] = cells["key"] % 256
    else:
        cells["key"] = 0
    return cells[cells["value"] != 0][CELL_COLUMNS].reset_index(drop=True)


def _months_of(dates: pd.Series) -> np.ndarray:
    return dates.fillna("").astype(str).str.slice(0, 7).to_numpy(dtype=object)


def _dated(
    store: Store, kind: str, *, column: str, measure: str, boundaries: gpd.GeoDataFrame, secret: bytes
) -> pd.DataFrame:
    """A flow measure: each record in the month of its date ``column``."""
    frame = store.read(kind, columns=["lat", "lng", column], keys=True)
    rkey = record_keys(frame["k1"].to_numpy(), frame["k2"].to_numpy(), secret=secret)
    rows, where = place(boundaries, frame["lng"].to_numpy(float), frame["lat"].to_numpy(float))
    return _group(measure, where, _months_of(frame[column])[rows], rkey[rows])


def month_end(month: str) -> str:
    """The last day of a month, ``YYYY-MM-DD``."""
    return pd.Period(month, freq="M").end_time.date().isoformat()


def _days(values: pd.Series | list[str]) -> np.ndarray:
    """Dates as day numbers (float, NaN when not a date), so they compare as numbers in a broadcast."""
    parsed = pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce", format="%Y-%m-%d")
    days = (parsed - pd.Timestamp("1970-01-01")).dt.days
    return days.to_numpy(dtype=float, na_value=np.nan)


def _stock_cells(
    measure: str, held: np.ndarray, *, rows: np.ndarray, where: np.ndarray, months: list[str], rkey: np.ndarray
) -> pd.DataFrame:
    """Cells of a stock from ``held`` (records × months, True where the record counts at that month's end)."""
    p, t = np.nonzero(held[rows])
    return _group(measure, where[p], np.asarray(months, dtype=object)[t], rkey[rows[p]])


def _stocks(
    closures: pd.DataFrame,
    rkey: np.ndarray,
    asb: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    months: list[str],
    *,
    radius_m: float,
    quiet_months: int,
) -> tuple[list[pd.DataFrame], str | None]:
    """Orders active and quiet premises at each month's end, as records × months arrays (nothing loops over either).

    Active: granted on or before the month's last day, expiring on or after it, and not
    discharged or revoked. Quiet: one record per premises (the first order there), granted by
    the month's end, with no ASB within ``radius_m`` (``<=``, BNG metres, the engine's rule) in
    the ``quiet_months`` months to that month; months whose window starts before the data do not count.
    """
    status = closures["status"].fillna("").astype(str).str.strip().str.lower()
    granted, expiry = _days(closures["granted"]), _days(closures["expiry"])
    ends = _days([month_end(m) for m in months])  # one per month: a handful of strings
    ended = status.isin(ENDED_STATUSES).to_numpy()
    active = (granted[:, None] <= ends[None, :]) & (expiry[:, None] >= ends[None, :]) & ~ended[:, None]
    lng, lat = closures["lng"].to_numpy(float), closures["lat"].to_numpy(float)
    rows, where = place(boundaries, lng, lat)
    parts = [_stock_cells("orders_active", active, rows=rows, where=where, months=months, rkey=rkey)]
    if len(months) < quiet_months:
        return parts, None
    # one record per premises (its earliest order): a premises with two orders is one address
    spot = pd.DataFrame({"lat": closures["lat"].round(5).to_numpy(), "lng": closures["lng"].round(5).to_numpy()})
    first = np.argsort(np.nan_to_num(granted, nan=np.inf), kind="stable")
    premises = np.zeros(len(closures), dtype=bool)
    premises[first] = ~spot.iloc[first].duplicated(["lat", "lng"]).to_numpy()
    premises &= np.isfinite(lat) & np.isfinite(lng)
    near = np.zeros((len(closures), len(months)), dtype=np.int64)
    asb_t = month_number(asb["month"]) - month_number([months[0]])[0]
    a_xy, c_xy = to_metres(asb), to_metres(closures)
    a_ok = np.flatnonzero(np.isfinite(a_xy).all(axis=1) & (asb_t >= 0) & (asb_t < len(months)))
    c_ok = np.flatnonzero(premises)
    if len(a_ok) and len(c_ok):
        pairs = cKDTree(a_xy[a_ok]).sparse_distance_matrix(cKDTree(c_xy[c_ok]), radius_m, output_type="ndarray")
        np.add.at(near, (c_ok[pairs["j"]], asb_t[a_ok[pairs["i"]]]), 1)
    running = np.cumsum(np.pad(near, ((0, 0), (1, 0))), axis=1)
    window = running[:, quiet_months:] - running[:, :-quiet_months]  # ASB nearby in the window ending at t
    quiet = np.zeros_like(active)
    quiet[:, quiet_months - 1 :] = window == 0
    quiet &= premises[:, None] & (granted[:, None] <= ends[None, :])
    parts.append(_stock_cells("quiet_addresses", quiet, rows=rows, where=where, months=months, rkey=rkey))
    return parts, months[quiet_months - 1]


def base_cells(
    store: Store, *, radius_m: float = 200.0, ring_m: float = 400.0, window_months: int = 6, quiet_months: int = 12
) -> BaseCells:
    """Every base cell of the release, exact, with its cell key (see the module docstring)."""
    secret = store.release_secret()
    boundaries = area_boundaries(store)
    span = store.months()
    parts: list[pd.DataFrame] = []

    inc = store.read("incidents", columns=["lat", "lng", "month", "category"], keys=True)
    inc_key = record_keys(inc["k1"].to_numpy(), inc["k2"].to_numpy(), secret=secret)
    rows, where = place(boundaries, inc["lng"].to_numpy(float), inc["lat"].to_numpy(float))
    month = inc["month"].astype(str).to_numpy(dtype=object)
    category = inc["category"].astype(str).to_numpy(dtype=object)
    parts.append(_group("incidents", where, month[rows], inc_key[rows], category=category[rows]))

    victims_from = "none"
    if store.count("victims"):
        victims_from = "records"
        parts.append(
            _dated(
                store,
                "victims",
                column="date_safeguarded",
                measure="people_safeguarded",
                boundaries=boundaries,
                secret=secret,
            )
        )
    elif store.count("victim_counts"):
        victims_from = "counts"
        parts.append(_shared_counts(store, boundaries, secret))

    closures = store.read("closures", keys=True)
    c_key = record_keys(closures["k1"].to_numpy(), closures["k2"].to_numpy(), secret=secret)
    c_rows, c_where = place(boundaries, closures["lng"].to_numpy(float), closures["lat"].to_numpy(float))
    parts.append(_group("orders_secured", c_where, _months_of(closures["granted"])[c_rows], c_key[c_rows]))
    for column, measure in (("first_flagged", "flagged_opened"), ("closed", "flagged_resolved")):
        parts.append(_dated(store, "flagged", column=column, measure=measure, boundaries=boundaries, secret=secret))

    quiet_from = None
    effects: dict[int, YearEffect] = {}
    if span:
        located = np.isfinite(inc["lat"].to_numpy(float)) & np.isfinite(inc["lng"].to_numpy(float))
        asb = inc.loc[(inc["category"] == ASB).to_numpy() & located, ["lat", "lng", "month"]].reset_index(drop=True)
        months = [str(p) for p in pd.period_range(span[0], span[1], freq="M")]
        stocks, quiet_from = _stocks(
            closures,
            c_key,
            asb,
            boundaries,
            months,
            radius_m=radius_m,
            quiet_months=quiet_months,
        )
        parts.extend(stocks)
        town = shapely.union_all(boundaries.geometry.to_numpy()) if len(boundaries) else None
        effects = year_effects(
            asb, closures, c_key, town, span, radius_m=radius_m, ring_m=ring_m, window_months=window_months
        )

    found = [p for p in parts if len(p)]
    if found:
        pieces = pd.concat(found, ignore_index=True)
    else:
        pieces = pd.DataFrame({c: pd.Series(dtype=object) for c in PIECE_COLUMNS}).astype({"town": bool})
    pieces["value"] = pieces["value"].astype(np.int64)
    pieces["key"] = pieces["key"].astype(np.int64)
    areas = pd.DataFrame(boundaries[["layer", "code", "name"]])
    return BaseCells(
        pieces=pieces.reset_index(drop=True),
        cells=pieces_to_layers(pieces),
        areas=areas.reset_index(drop=True),
        months=span,
        quiet_from=quiet_from,
        victims_from=victims_from,
        boundaries=boundaries,
        effects=effects,
    )


def _shared_counts(store: Store, boundaries: gpd.GeoDataFrame, secret: bytes) -> pd.DataFrame:
    """People safeguarded from the area/month counts partners share: each row's key stands for its people.

    A row names one ward or estate: it is a piece of that area, and of the town.
    """
    counts = store.read("victim_counts", columns=["area_code", "month", "count"], keys=True)
    rkey = record_keys(counts["k1"].to_numpy(), counts["k2"].to_numpy(), secret=secret)
    code = counts["area_code"].astype(str)
    layer = code.map(dict(zip(boundaries["code"], boundaries["layer"], strict=False))).fillna("")
    where = np.column_stack(
        [
            code.where(layer == "ward", "").to_numpy(dtype=object),
            code.where(layer == "estate", "").to_numpy(dtype=object),
            np.ones(len(counts), dtype=bool).astype(object),
        ]
    )
    weight = pd.to_numeric(counts["count"], errors="coerce").fillna(0).astype(np.int64).to_numpy()
    month = counts["month"].astype(str).to_numpy(dtype=object)
    return _group("people_safeguarded", where, month, rkey, weight=weight)


@dataclass(frozen=True)
class YearEffect:
    """The closure comparison over the orders granted in one calendar year (exact), with its cell key and notes."""

    year: int
    effect: Effect
    key: int
    notes: tuple[str, ...]


def year_effects(
    asb: pd.DataFrame,
    closures: pd.DataFrame,
    rkey: np.ndarray,
    town: shapely.Geometry | None,
    span: tuple[str, str],
    *,
    radius_m: float,
    ring_m: float,
    window_months: int,
) -> dict[int, YearEffect]:
    """The closure comparison per calendar year of grant, the fixed periods it is published for.

    A loop over years (a handful), each one call of :func:`geo.stats.evaluate.evaluate` (the engine
    ``python -m geo evaluate`` and Outcomes use), with every window inside the stored incident months.
    """
    year = closures["granted"].fillna("").astype(str).str.slice(0, 4)
    out: dict[int, YearEffect] = {}
    for y in sorted(v for v in year.unique() if v.isdigit()):
        chosen = (year == y).to_numpy()
        granted = closures[chosen]
        orders = pd.DataFrame(
            {"ref": granted["ref"], "date": granted["granted"], "lat": granted["lat"], "lng": granted["lng"]}
        )
        result = evaluate(
            asb, orders, span=span, study_area=town, radius_m=radius_m, ring_m=ring_m, months=window_months
        )
        out[int(y)] = YearEffect(int(y), result.effect, int(rkey[chosen].sum() % 256), tuple(result.notes))
    return out
