"""What worked: the headline figures a partnership shows at its meetings.

For a period of whole months and an optional ward or estate, each figure is
counted for the period and for the period of equal length just before it, so
that every number comes with its trend:

* people safeguarded (victim records, or the area/month counts partners share
  when they share no records);
* closure orders secured in the period, and active at its end;
* flagged addresses opened and resolved;
* ASB reports, by month (for a trend line) and by ward and estate (for a map);
* ASB around closure orders against the rest of the town, from
  :func:`geo.stats.impact.closure_impact` (the same engine as ``python -m geo impact``);
* how many closure-order addresses have had no ASB report near them for a
  year or more (a count: never which ones).

:func:`outcomes_for` gives exact numbers, for the operational team only;
:func:`geo.publish.published.publish` makes the only version that may leave it.

An area is a point-in-polygon question (a victim's home, an order's premises
or an incident's snap point inside the ward or estate outline). "The town" is
everything inside any stored ward or estate, or every record when no
boundaries are stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import PurePath
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.errors import OptionError, StoreError
from geo.core.schema import ASB
from geo.stats.aggregate import Filters, month_range
from geo.stats.impact import Impact, closure_impact
from geo.store import Store
from geo.store.provenance import store_is_synthetic

#: Closure orders with these statuses ended early, whatever their expiry date says.
ENDED_STATUSES = frozenset({"discharged", "revoked"})
#: The headline counts, in the order a report lists them, with their labels.
FIGURES: dict[str, str] = {
    "asb": "ASB reports",
    "people_safeguarded": "People safeguarded",
    "orders_secured": "Closure orders secured",
    "orders_active": "Closure orders active at the period's end",
    "flagged_opened": "Flagged addresses opened",
    "flagged_resolved": "Flagged addresses resolved",
    "quiet_addresses": "Closed addresses quiet for a year or more",
}
DEMO_SOURCE = "Synthetic demo data"
ONS_ATTRIBUTION = "Contains National Statistics and OS data © Crown copyright and database right {year}"
OS_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
    "Contains OS data © Crown copyright and database right {year}"
)
POLICE_ATTRIBUTION = (
    "Contains public sector information (data.police.uk) licensed under the Open Government Licence v3.0"
)
DEMO_ATTRIBUTION = "Boundaries and records are synthetic: no ONS, OS or police data is used"
VictimSource = Literal["records", "counts", "none"]


@dataclass(frozen=True)
class Period:
    """Whole months ``start`` to ``end`` (``YYYY-MM``, inclusive)."""

    start: str
    end: str

    def __post_init__(self) -> None:
        if not self.start or not self.end:
            raise OptionError(
                "a period needs a first and a last month (YYYY-MM)", option="start" if not self.start else "end"
            )
        Filters(month_from=self.start, month_to=self.end)  # one place checks the form and the order

    @property
    def months(self) -> list[str]:
        return month_range(self.start, self.end)

    @property
    def previous(self) -> Period:
        """The period of equal length just before this one."""
        n = len(self.months)
        first = pd.Period(self.start, freq="M")
        return Period(str(first - n), str(first - 1))

    @property
    def end_date(self) -> str:
        """The last day of the period (``YYYY-MM-DD``): "active at the end" means on this day."""
        return pd.Period(self.end, freq="M").end_time.date().isoformat()

    def label(self) -> str:
        n = len(self.months)
        return f"{self.start} to {self.end} ({n} month{'s' if n != 1 else ''})"


@dataclass(frozen=True)
class Figure:
    """One count now and in the previous period.

    ``None`` means the data cannot tell: the previous period lies before the
    stored incidents begin, or too few months are stored to call an address
    quiet for a year. A zero would claim that nothing happened.
    """

    now: int | None
    previous: int | None

    @property
    def change(self) -> float:
        """Fractional change on the previous period (NaN when unknown or from zero)."""
        if self.now is None or not self.previous:
            return float("nan")
        return self.now / self.previous - 1


@dataclass(frozen=True)
class ClosureEffect:
    """ASB around closure orders and elsewhere, before and after (sums over the orders measured).

    Plain numbers taken from :class:`geo.stats.impact.Impact`, without its table of
    orders (refs and dates stay in the engine).
    """

    orders: int
    before: int
    after: int
    control_before: int
    control_after: int

    @classmethod
    def from_impact(cls, impact: Impact) -> ClosureEffect:
        included = int(impact.orders["included"].sum()) if len(impact.orders) else 0
        return cls(included, impact.before, impact.after, impact.control_before, impact.control_after)

    def _impact(self) -> Impact:
        return Impact(pd.DataFrame(), self.before, self.after, self.control_before, self.control_after)

    @property
    def change(self) -> float:
        return self._impact().change

    @property
    def control_change(self) -> float:
        return self._impact().control_change

    @property
    def relative(self) -> float:
        """Change around closures relative to elsewhere (negative: ASB fell more around closures)."""
        return self._impact().relative


@dataclass(frozen=True, kw_only=True)
class Scope:
    """What a set of figures covers and how it was counted; exact and published outcomes share it.

    ``boundaries`` holds the outlines (``layer, code, name, geometry``, WGS84)
    for maps. ``compared`` is false when no incident data covers the previous
    period (every ``previous`` is then None). ``sources`` and ``attribution``
    are the lines a report prints about its data.
    """

    period: Period
    area: str | None
    area_name: str
    boundaries: gpd.GeoDataFrame
    sources: tuple[str, ...]
    attribution: tuple[str, ...]
    demo: bool
    generated: str
    compared: bool
    victims_from: VictimSource
    radius_m: float
    window_months: int
    quiet_months: int
    notes: tuple[str, ...] = ()


def scope_of(outcomes: Scope) -> dict[str, Any]:
    """The :class:`Scope` fields of exact or published outcomes, to pass on to the other."""
    return {f.name: getattr(outcomes, f.name) for f in fields(Scope)}


@dataclass(frozen=True, kw_only=True)
class Outcomes(Scope):
    """Exact headline figures for a period and area: for the operational team only.

    ``figures`` maps each key of :data:`FIGURES` to its :class:`Figure`.
    ``monthly`` has ``month, asb, previous_month, asb_previous`` (the previous
    period's month in the same position); ``areas`` has ``layer`` (ward or
    estate), ``code, name, asb, asb_previous``.
    """

    figures: dict[str, Figure]
    effect: ClosureEffect
    effect_previous: ClosureEffect | None
    monthly: pd.DataFrame
    areas: pd.DataFrame


# --------------------------------------------------------------------------- exact figures


def outcomes_for(
    store: Store,
    *,
    start: str,
    end: str,
    area: str | None = None,
    radius_m: float = 200.0,
    window_months: int = 6,
    quiet_months: int = 12,
    today: dt.date | None = None,
) -> Outcomes:
    """Headline figures for months ``start``..``end`` and a ward or estate code (None: the town).

    Parameters
    ----------
    radius_m, window_months
        The closure comparison's buffer and before/after windows (as ``python -m geo impact``);
        the radius is also what "near" means for quiet addresses.
    quiet_months
        How long an address must have had no ASB report near it to count as quiet.
    today
        The report date (its year goes into the boundary attribution).

    Raises
    ------
    OptionError
        Bad months or an unknown area code: the request is at fault.
    StoreError
        An empty store: there is nothing to report until data is loaded.
    """
    if store.is_empty():
        raise StoreError("the store is empty: load data first (python -m geo demo, or python -m geo import …)")
    period = Period(start, end)
    day = today or dt.date.today()
    boundaries = _boundaries(store)
    area_geom, area_name = _area(boundaries, area)
    town = shapely.union_all(boundaries.geometry.to_numpy()) if len(boundaries) else None
    span = store.months()
    first_month = span[0] if span else None
    prev = period.previous
    prev_known = first_month is not None and prev.start >= first_month
    notes = []
    if span and period.end > span[1]:
        notes.append(f"Incident data ends at {span[1]}; later months count as none.")
    if not prev_known:
        notes.append("No incident data covers the previous period, so there is no comparison.")

    inc = store.read("incidents", columns=["lat", "lng", "month", "category"])
    asb = inc[(inc["category"] == ASB) & np.isfinite(inc["lat"].to_numpy(float))].reset_index(drop=True)
    where = _locate(boundaries, asb)
    in_town = where.in_any if town is not None else np.ones(len(asb), dtype=bool)
    in_area = where.inside(area) if area else in_town
    months = asb["month"].astype(str).to_numpy()

    def asb_count(p: Period) -> int:
        return int((in_area & (months >= p.start) & (months <= p.end)).sum())

    closures = _in_area(store.read("closures"), area_geom, town)
    flagged = _in_area(store.read("flagged"), area_geom, town)
    victims, victims_from = _victims(store, town, area)
    figures = {
        "asb": _pair(period, prev_known, asb_count),
        "people_safeguarded": _pair(period, prev_known, lambda p: _victim_count(victims, victims_from, p)),
        "orders_secured": _pair(period, prev_known, lambda p: _dated(closures, "granted", p)),
        "orders_active": _pair(period, prev_known, lambda p: _active(closures, p)),
        "flagged_opened": _pair(period, prev_known, lambda p: _dated(flagged, "first_flagged", p)),
        "flagged_resolved": _pair(period, prev_known, lambda p: _dated(flagged, "closed", p)),
        "quiet_addresses": _pair(
            period,
            prev_known,
            lambda p: _quiet(asb, closures, p, first_month, radius_m=radius_m, months=quiet_months),
        ),
    }
    town_asb = asb[in_town]

    def effect(p: Period) -> ClosureEffect:
        granted = closures[closures["granted"].astype(str).str.slice(0, 7).between(p.start, p.end)]
        if granted.empty:  # nothing to measure
            return ClosureEffect(0, 0, 0, 0, 0)
        upto = town_asb[town_asb["month"].astype(str) <= p.end]
        return ClosureEffect.from_impact(closure_impact(upto, granted, radius_m=radius_m, months=window_months))

    return Outcomes(
        period=period,
        area=area,
        area_name=area_name,
        figures=figures,
        effect=effect(period),
        effect_previous=effect(prev) if prev_known else None,
        monthly=_monthly(period, months[in_area]),
        areas=_area_table(boundaries, where, months, period),
        boundaries=boundaries,
        sources=sources_for(store),
        attribution=attribution_for(store, year=day.year),
        demo=store_is_synthetic(store),
        victims_from=victims_from,
        radius_m=radius_m,
        window_months=window_months,
        quiet_months=quiet_months,
        generated=day.isoformat(),
        compared=prev_known,
        notes=tuple(notes),
    )


def _pair(period: Period, prev_known: bool, count: Callable[[Period], int | None]) -> Figure:
    return Figure(count(period), count(period.previous) if prev_known else None)


def _boundaries(store: Store) -> gpd.GeoDataFrame:
    parts = [store.read_boundaries(k).assign(layer=layer) for k, layer in (("wards", "ward"), ("estates", "estate"))]
    frame = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(frame[["layer", "code", "name", "geometry"]], geometry="geometry", crs=parts[0].crs)


def _area(boundaries: gpd.GeoDataFrame, code: str | None) -> tuple[shapely.Geometry | None, str]:
    if code is None:
        return None, "Whole town"
    hit = boundaries[boundaries["code"] == code]
    if hit.empty:
        codes = boundaries["code"].tolist()
        known = (", ".join(codes[:12]) + (", …" if len(codes) > 12 else "")) or "none are loaded"
        raise OptionError(f"unknown area code {code!r}: expected a ward or estate code ({known})", option="area")
    row = hit.iloc[0]
    return row.geometry, f"{str(row['layer']).capitalize()}: {row['name']}"


@dataclass(frozen=True)
class _Where:
    """Which boundaries hold each point: pairs (point, boundary) from one spatial index query."""

    codes: np.ndarray
    point: np.ndarray
    boundary: np.ndarray
    n: int

    @property
    def in_any(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[self.point] = True
        return out

    def inside(self, code: str) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[self.point[self.codes[self.boundary] == code]] = True
        return out


def _locate(boundaries: gpd.GeoDataFrame, points: pd.DataFrame) -> _Where:
    """Points on an outline belong to it (``intersects``), so no edge point falls between two areas."""
    geoms = shapely.points(points["lng"].to_numpy(float), points["lat"].to_numpy(float))
    if not len(boundaries) or not len(points):
        return _Where(boundaries["code"].to_numpy(), np.zeros(0, int), np.zeros(0, int), len(points))
    tree = shapely.STRtree(boundaries.geometry.to_numpy())
    pt, bd = tree.query(geoms, predicate="intersects")
    return _Where(boundaries["code"].to_numpy(), pt, bd, len(points))


def _points_in(geom: shapely.Geometry | None, frame: pd.DataFrame) -> np.ndarray:
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    lng = pd.to_numeric(frame["lng"], errors="coerce").to_numpy(float)
    ok = np.isfinite(lat) & np.isfinite(lng)
    if geom is None:
        return ok
    shapely.prepare(geom)
    out = np.zeros(len(frame), dtype=bool)
    out[ok] = shapely.intersects_xy(geom, lng[ok], lat[ok])
    return out


def _in_area(frame: pd.DataFrame, area: shapely.Geometry | None, town: shapely.Geometry | None) -> pd.DataFrame:
    """Rows located in the area (or the town); with no boundaries at all, every row."""
    where = area if area is not None else town
    if where is None:
        return frame.reset_index(drop=True)
    return frame[_points_in(where, frame)].reset_index(drop=True)


def _victims(store: Store, town: shapely.Geometry | None, code: str | None) -> tuple[pd.DataFrame, VictimSource]:
    """Victim records in the area; only when no record is stored, the shared counts (``area_code``)."""
    if store.count("victims"):
        if town is None:  # no boundaries at all: the whole store is the town
            return store.read("victims", columns=["date_safeguarded"]), "records"
        # placed in the database where it can be (PostGIS): the homes themselves are never loaded
        return store.read_in_area("victims", code=code, columns=["date_safeguarded"]), "records"
    counts = store.read("victim_counts", columns=["area_code", "month", "count"])
    if code is not None:
        counts = counts[counts["area_code"] == code]
    return counts.reset_index(drop=True), ("counts" if len(counts) else "none")


def _victim_count(frame: pd.DataFrame, source: VictimSource, p: Period) -> int:
    if source == "counts":
        return int(frame.loc[frame["month"].astype(str).between(p.start, p.end), "count"].sum())
    return _dated(frame, "date_safeguarded", p) if source == "records" else 0


def _dated(frame: pd.DataFrame, column: str, p: Period) -> int:
    """Rows whose date (``YYYY-MM-DD``) falls in the period's months."""
    month = frame[column].fillna("").astype(str).str.slice(0, 7)
    return int(month.between(p.start, p.end).sum())


def _active(closures: pd.DataFrame, p: Period) -> int:
    day = p.end_date
    status = closures["status"].fillna("").astype(str).str.strip().str.lower()
    live = (closures["granted"].astype(str) <= day) & (closures["expiry"].astype(str) >= day)
    return int((live & ~status.isin(ENDED_STATUSES)).sum())


def _quiet(
    asb: pd.DataFrame,
    closures: pd.DataFrame,
    p: Period,
    first_month: str | None,
    *,
    radius_m: float,
    months: int,
) -> int | None:
    """Closure-order premises (granted by the end) with no ASB within the radius in the last ``months`` months.

    The impact engine's "before" window is exactly this question when the
    grant is placed just after the period: ASB within the radius in the
    ``months`` months before it. None when the data does not reach back that far.
    """
    window_start = str(pd.Period(p.end, freq="M") - (months - 1))
    if first_month is None or first_month > window_start:
        return None
    orders = closures[closures["granted"].astype(str) <= p.end_date]
    premises = orders.assign(lat=orders["lat"].round(5), lng=orders["lng"].round(5)).drop_duplicates(["lat", "lng"])
    if premises.empty:
        return 0
    after_end = (pd.Period(p.end, freq="M") + 1).to_timestamp().date().isoformat()
    upto = asb[asb["month"].astype(str) <= p.end]
    probe = premises.assign(granted=after_end)
    counted = closure_impact(upto, probe, radius_m=radius_m, months=months).orders
    return int((counted["before"] == 0).sum())


def _monthly(period: Period, months: np.ndarray) -> pd.DataFrame:
    now, before = period.months, period.previous.months
    counts = pd.Series(months).value_counts()
    return pd.DataFrame(
        {
            "month": now,
            "asb": [int(counts.get(m, 0)) for m in now],
            "previous_month": before,
            "asb_previous": [int(counts.get(m, 0)) for m in before],
        }
    )


def _area_table(boundaries: gpd.GeoDataFrame, where: _Where, months: np.ndarray, period: Period) -> pd.DataFrame:
    m = months[where.point] if len(where.point) else np.array([], dtype=str)
    prev = period.previous
    now = np.bincount(where.boundary[(m >= period.start) & (m <= period.end)], minlength=len(boundaries))
    before = np.bincount(where.boundary[(m >= prev.start) & (m <= prev.end)], minlength=len(boundaries))
    table = pd.DataFrame(boundaries[["layer", "code", "name"]]).reset_index(drop=True)
    return table.assign(asb=now.astype(int), asb_previous=before.astype(int))


def sources_for(store: Store, *, limit: int = 4) -> tuple[str, ...]:
    """Where the figures come from, from the import log: one line per kind, file names only.

    The demo town says only that it is synthetic, so no one mistakes it for a place.
    """
    if store_is_synthetic(store):
        return (DEMO_SOURCE,)
    log = _live_imports(store).sort_values("id")
    lines = []
    for kind, group in log.groupby("kind", sort=False):
        names = list(dict.fromkeys(PurePath(str(f).replace("\\", "/")).name for f in group["file"]))
        more = f" and {len(names) - limit} more" if len(names) > limit else ""
        dates = group["imported_at"].astype(str).str.slice(0, 10)
        lines.append(
            f"{str(kind).replace('_', ' ').capitalize()}: {', '.join(names[:limit])}{more} "
            f"(imported {dates.min()}{'' if dates.min() == dates.max() else f' to {dates.max()}'})"
        )
    return tuple(lines)


def _live_imports(store: Store) -> pd.DataFrame:
    """Imports that still hold rows (a deleted import stays in the log, marked ``deleted_at``)."""
    log = store.imports()
    if "deleted_at" in log:
        log = log[log["deleted_at"].isna()]
    return log[log["stored"] > 0]


def attribution_for(store: Store, *, year: int) -> tuple[str, ...]:
    """Licence statements the data asks for: ONS/OS for imported boundaries, OGL for police.uk rows."""
    if store_is_synthetic(store):
        return (DEMO_ATTRIBUTION,)
    log = _live_imports(store)
    lines = []
    if log["kind"].isin(["wards", "estates"]).any():
        lines += [ONS_ATTRIBUTION.format(year=year), OS_ATTRIBUTION.format(year=year)]
    if (log["source_format"] == "police.uk").any():
        lines.append(POLICE_ATTRIBUTION)
    return tuple(lines)
