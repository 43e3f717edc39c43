"""What worked: the headline figures a partnership shows at its meetings.

For a period of whole months and an optional ward or estate, each figure is
counted for the period and for the period of equal length just before it, so
that every number comes with its trend:

* people safeguarded (victim records, or the area/month counts partners share
  when they share no records);
* closure orders secured in the period, and active at its end;
* flagged addresses opened and resolved;
* ASB reports, by month (for a trend line) and by ward and estate (for a map);
* the evaluation of the closure orders granted in the period, from
  :func:`geo.stats.evaluate.evaluate` (the engine ``python -m geo evaluate``
  uses): distinct ASB incidents within the radius before and after each order,
  in the displacement ring and in the rest of the town, the relative change
  with its interval, the Weighted Displacement Quotient and the pre-period
  trend; windows are cut at the period's end, so a report never uses later data;
* how many closure-order addresses have had no ASB report near them for a
  year or more (a count: never which ones), with the engine's distance rule.

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
from geo.plan.areas import previous_months
from geo.stats.aggregate import Filters, month_range
from geo.stats.areas import area_counts, points_to_areas
from geo.stats.evaluate import Effect, evaluate, month_number, near_counts
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
        """The period of equal length just before this one (:func:`geo.plan.areas.previous_months`)."""
        before = previous_months(self.start, self.end)
        return Period(before[0], before[-1])

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


#: The closure evaluation when no order was granted in the period: nothing to measure.
NO_EFFECT = Effect(0, 0, 0, 0, 0, 0, 0, 0)


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
    ring_m: float = 400.0
    notes: tuple[str, ...] = ()
    effect_notes: tuple[str, ...] = ()


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
    effect: Effect
    effect_previous: Effect | None
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
    ring_m: float = 400.0,
    window_months: int = 6,
    quiet_months: int = 12,
    today: dt.date | None = None,
) -> Outcomes:
    """Headline figures for months ``start``..``end`` and a ward or estate code (None: the town).

    Parameters
    ----------
    radius_m, ring_m, window_months
        The closure evaluation's buffer, displacement ring and before/after windows
        (as ``python -m geo evaluate``); the radius is also what "near" means for quiet addresses.
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
    scope = scope_for(
        store,
        start=start,
        end=end,
        area=area,
        radius_m=radius_m,
        ring_m=ring_m,
        window_months=window_months,
        quiet_months=quiet_months,
        today=today,
    )
    period, boundaries, prev_known = scope.period, scope.boundaries, scope.compared
    town = shapely.union_all(boundaries.geometry.to_numpy()) if len(boundaries) else None
    span = store.months()
    first_month = span[0] if span else None
    prev = period.previous

    inc = store.read("incidents", columns=["lat", "lng", "month", "category"])
    asb = inc[(inc["category"] == ASB) & np.isfinite(inc["lat"].to_numpy(float))].reset_index(drop=True)
    where = _locate(boundaries, asb)
    in_town = where.in_any if town is not None else np.ones(len(asb), dtype=bool)
    in_area = where.inside(area) if area else in_town
    months = asb["month"].astype(str).to_numpy()

    def asb_count(p: Period) -> int:
        return int((in_area & (months >= p.start) & (months <= p.end)).sum())

    closures = _in_area(store.read("closures"), boundaries, area)
    flagged = _in_area(store.read("flagged"), boundaries, area)
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
    effect_notes: list[str] = []

    def effect(p: Period) -> Effect:
        granted = closures[closures["granted"].astype(str).str.slice(0, 7).between(p.start, p.end)]
        if granted.empty or first_month is None:  # nothing to measure
            return NO_EFFECT
        orders = pd.DataFrame({"ref": granted["ref"], "date": granted["granted"], "lat": granted["lat"]})
        result = evaluate(
            asb,
            orders.assign(lng=granted["lng"]),
            span=(first_month, min(span[1], p.end)) if span else None,  # a report never uses later months
            study_area=town,
            radius_m=radius_m,
            ring_m=ring_m,
            months=window_months,
        )
        if p == period:
            effect_notes.extend(result.notes)
        return result.effect

    now_effect = effect(period)

    return Outcomes(
        **(scope_of(scope) | {"victims_from": victims_from, "effect_notes": tuple(effect_notes)}),
        figures=figures,
        effect=now_effect,
        effect_previous=effect(prev) if prev_known else None,
        monthly=_monthly(period, months[in_area]),
        areas=_area_table(boundaries, asb, period),
    )


def scope_for(
    store: Store,
    *,
    start: str,
    end: str,
    area: str | None = None,
    radius_m: float = 200.0,
    ring_m: float = 400.0,
    window_months: int = 6,
    quiet_months: int = 12,
    today: dt.date | None = None,
) -> Scope:
    """What a set of figures for months ``start``..``end`` and an area covers, without counting anything.

    Shared by the exact outcomes (:func:`outcomes_for`) and the published ones
    (made from the release by :func:`geo.publish.published.publish`), so both say
    the same about their period, area, sources and comparison.

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
    boundaries = area_boundaries(store)
    area_name = _area_name(boundaries, area)
    span = store.months()
    prev_known = span is not None and period.previous.start >= span[0]
    notes = []
    if span and period.end > span[1]:
        notes.append(f"Incident data ends at {span[1]}; later months count as none.")
    if not prev_known:
        notes.append("No incident data covers the previous period, so there is no comparison.")
    victims_from: VictimSource = (
        "records" if store.count("victims") else ("counts" if store.count("victim_counts") else "none")
    )
    return Scope(
        period=period,
        area=area,
        area_name=area_name,
        boundaries=boundaries,
        sources=sources_for(store),
        attribution=attribution_for(store, year=day.year),
        demo=store_is_synthetic(store),
        victims_from=victims_from,
        radius_m=radius_m,
        ring_m=ring_m,
        window_months=window_months,
        quiet_months=quiet_months,
        generated=day.isoformat(),
        compared=prev_known,
        notes=tuple(notes),
    )


def _pair(period: Period, prev_known: bool, count: Callable[[Period], int | None]) -> Figure:
    return Figure(count(period), count(period.previous) if prev_known else None)


def area_boundaries(store: Store) -> gpd.GeoDataFrame:
    """Wards and estates in one frame (``layer, code, name, geometry``, WGS84): the areas figures are counted in."""
    parts = [store.read_boundaries(k).assign(layer=layer) for k, layer in (("wards", "ward"), ("estates", "estate"))]
    frame = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(frame[["layer", "code", "name", "geometry"]], geometry="geometry", crs=parts[0].crs)


def _area_name(boundaries: gpd.GeoDataFrame, code: str | None) -> str:
    """What the figures cover, in words; an unknown code is the request's fault (the codes loaded are listed)."""
    if code is None:
        return "Whole town"
    hit = boundaries[boundaries["code"] == code]
    if hit.empty:
        codes = boundaries["code"].tolist()
        known = (", ".join(codes[:12]) + (", …" if len(codes) > 12 else "")) or "none are loaded"
        raise OptionError(f"unknown area code {code!r}: expected a ward or estate code ({known})", option="area")
    row = hit.iloc[0]
    return f"{str(row['layer']).capitalize()}: {row['name']}"


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
    """For each layer (wards, estates), the one area holding each point, by :func:`geo.stats.areas.points_to_areas`.

    The rule every area count follows: a point on an outline belongs to it, and a
    point on a border two areas of a layer share goes to the lower code, so it counts once.
    """
    lng = pd.to_numeric(points["lng"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(points["lat"], errors="coerce").to_numpy(float)
    layer_of = boundaries["layer"].to_numpy()
    pts, bds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for layer in dict.fromkeys(layer_of):  # two layers: a loop over layers, never over points
        rows = np.flatnonzero(layer_of == layer)
        where = points_to_areas(boundaries.iloc[rows], lng, lat)
        held = np.flatnonzero(where >= 0)
        pts.append(held)
        bds.append(rows[where[held]])
    return _Where(boundaries["code"].to_numpy(), np.concatenate(pts), np.concatenate(bds), len(points))


def _in_area(frame: pd.DataFrame, boundaries: gpd.GeoDataFrame, code: str | None) -> pd.DataFrame:
    """Rows in the area ``code`` (None: in any ward or estate) by the area rule; with no boundaries, every row."""
    if not len(boundaries):
        return frame.reset_index(drop=True)
    where = _locate(boundaries, frame)
    return frame[where.inside(code) if code else where.in_any].reset_index(drop=True)


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

    "Within the radius" is the evaluation engine's rule (:func:`geo.stats.evaluate.near_counts`,
    distance ``<=`` radius in British National Grid metres). None when the data does not reach back that far.
    """
    window_start = str(pd.Period(p.end, freq="M") - (months - 1))
    if first_month is None or first_month > window_start:
        return None
    orders = closures[closures["granted"].astype(str) <= p.end_date]
    premises = orders.assign(lat=orders["lat"].round(5), lng=orders["lng"].round(5)).drop_duplicates(["lat", "lng"])
    premises = premises[np.isfinite(premises["lat"].to_numpy(float)) & np.isfinite(premises["lng"].to_numpy(float))]
    if premises.empty:
        return 0
    m = month_number(asb["month"])
    lo, hi = month_number([window_start, p.end])
    recent = asb[(m >= lo) & (m <= hi)]
    return int((near_counts(recent, premises, radius_m=radius_m) == 0).sum())


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


def _area_table(boundaries: gpd.GeoDataFrame, asb: pd.DataFrame, period: Period) -> pd.DataFrame:
    """ASB per ward and estate now and before: :func:`geo.stats.areas.area_counts` per layer (as ``geo areas``)."""
    parts = [
        area_counts(
            asb, boundaries[boundaries["layer"] == layer], months=period.months, previous=period.previous.months
        ).assign(layer=layer)
        for layer in dict.fromkeys(boundaries["layer"])
    ]
    if not parts:
        return pd.DataFrame({"layer": [], "code": [], "name": [], "asb": [], "asb_previous": []})
    table = pd.concat(parts, ignore_index=True)
    return table.rename(columns={"count": "asb", "previous": "asb_previous"})[
        ["layer", "code", "name", "asb", "asb_previous"]
    ]


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
