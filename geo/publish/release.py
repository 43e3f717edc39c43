"""The published release: one protected set of base cells per data version, the source of every published figure.

A cabinet member can make thousands of views (every run of months, every
area, every mix of categories). Rounding each view on its own is not enough:
each label bounds its count to an interval, and an integer program over all
the views intersects those intervals down to exact small counts. So the
protection is applied once, to a fixed set of *base cells* (measure × area ×
month × category, :mod:`geo.publish._cells`), by cell-key perturbation
(:mod:`geo.publish._ptable`, the ONS Census 2021 method), and every view is a
*sum of perturbed cells*: it holds nothing the release does not already hold,
and asking for the same cell through any page, the report or the CLI gives
the same noise. The presentation rules (:mod:`geo.publish.privacy`: "fewer
than N", rounding to N) then apply to those sums as before.

The closure comparison is point-level (the ASB within 200 m of each premises),
so the release holds it only per calendar year of grant, over the whole town,
and only for years with at least :data:`MIN_ORDERS` orders measured, each
count perturbed by the same table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.core.errors import OptionError
from geo.core.schema import ASB
from geo.publish._cells import MEASURES, BaseCells, base_cells, pieces_to_layers
from geo.publish._ptable import perturb
from geo.publish.privacy import setting_number
from geo.stats.evaluate import COUNT_FIELDS, Effect
from geo.store import Store

#: The closure comparison is published only over this many orders measured, or more, unless
#: ``NESTWATCH_MIN_ORDERS`` says otherwise (:func:`min_orders`).
MIN_ORDERS = 5


def min_orders() -> int:
    """How many closure orders a published comparison must be measured over (``NESTWATCH_MIN_ORDERS``, default 5).

    Raises :class:`~geo.core.errors.OptionError` when the setting is not a whole number of 2 or more:
    over one order, the comparison is that premises' own street.
    """
    return setting_number("NESTWATCH_MIN_ORDERS", default=MIN_ORDERS, minimum=2)


#: The effect's counts, each perturbed with its own cell key (the orders' key plus a step per field).
EFFECT_FIELDS = (*COUNT_FIELDS, "earlier", "earlier_before")
_FIELD_STEP = 101  # odd, so the fields' keys are all different for any orders' key


@dataclass(frozen=True)
class PublishedEffectYear:
    """The closure comparison for one calendar year as the release holds it.

    ``effect`` is None when fewer than :func:`min_orders` orders were measured
    (``measured`` then says how many, for the words "fewer than 5").
    """

    year: int
    measured: int
    effect: Effect | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Release:
    """The protected base cells of one data version, and how to add them up.

    ``cells``: ``measure, layer, area, month, category, value`` (perturbed;
    cells published as zero are left out). ``areas``: ``layer, code, name``.
    ``months``: the stored incidents' first and last month. No count of
    people, addresses, orders or incidents is held exactly; the one exact
    number is how many closure orders each year's comparison was measured over
    (``effects``), which is shown only through the presentation rule, and only
    as "fewer than k" below :func:`min_orders`.
    """

    version: str
    cells: pd.DataFrame
    areas: pd.DataFrame
    months: tuple[str, str] | None
    quiet_from: str | None
    victims_from: str
    boundaries: gpd.GeoDataFrame
    effects: dict[int, PublishedEffectYear]
    min_orders: int = MIN_ORDERS

    def layer_of(self, code: str) -> str:
        """The layer (``ward``/``estate``) of an area code."""
        hit = self.areas.loc[self.areas["code"] == code, "layer"]
        if hit.empty:
            raise OptionError(f"unknown area code {code!r}: expected a ward or estate code", option="area")
        return str(hit.iloc[0])

    def _select(
        self, measure: str, *, layer: str, months: Sequence[str], categories: Sequence[str] | None
    ) -> pd.DataFrame:
        if measure not in MEASURES:
            raise OptionError(f"unknown measure {measure!r}: expected one of {', '.join(MEASURES)}", option="measure")
        c = self.cells
        mask = (c["measure"] == measure) & (c["layer"] == layer) & c["month"].isin(list(months))
        if categories is not None:
            mask &= c["category"].isin(list(categories))
        return c[mask]

    def totals(
        self, measure: str, *, layer: str, months: Sequence[str], categories: Sequence[str] | None = None
    ) -> pd.Series:
        """The sum of the cells over ``months`` (and ``categories``) per area code of ``layer`` (0 where none).

        ``layer`` is ``ward``, ``estate``, ``town`` or ``all`` (the last two have one area, code ``""``).
        """
        picked = self._select(measure, layer=layer, months=months, categories=categories)
        codes = self.codes(layer)
        return picked.groupby("area")["value"].sum().reindex(codes, fill_value=0).astype(np.int64)

    def monthly(
        self, measure: str, *, layer: str, months: Sequence[str], categories: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The cells per area code (rows) and month (columns), summed over ``categories``; 0 where none."""
        picked = self._select(measure, layer=layer, months=months, categories=categories)
        table = picked.pivot_table(index="area", columns="month", values="value", aggfunc="sum", fill_value=0)
        return table.reindex(index=self.codes(layer), columns=list(months), fill_value=0).astype(np.int64)

    def value(self, measure: str, *, area: str | None, months: Sequence[str], **kw: object) -> int:
        """One area's (None: the town's) sum over ``months``."""
        layer = "town" if area is None else self.layer_of(area)
        return int(self.totals(measure, layer=layer, months=months, **kw).get("" if area is None else area, 0))  # type: ignore[arg-type]

    def codes(self, layer: str) -> list[str]:
        """The area codes of a layer, in the boundaries' order (``[""]`` for the town and all)."""
        if layer in ("town", "all"):
            return [""]
        return self.areas.loc[self.areas["layer"] == layer, "code"].astype(str).tolist()


#: What "loaded" means for a role that sees only published figures: each total is a measure summed over every month.
LOADED: dict[str, str] = {"incidents": "incidents", "flagged": "flagged_opened", "closures": "orders_secured"}


def loaded_totals(release: Release) -> dict[str, int]:
    """Incidents, flagged addresses and closure orders stored, as sums of the release's cells (every record)."""
    out = {}
    for key, measure in LOADED.items():
        c = release.cells
        out[key] = int(c.loc[(c["measure"] == measure) & (c["layer"] == "all"), "value"].sum())
    return out


def loaded_monthly(release: Release) -> pd.DataFrame:
    """Incidents per month, ASB beside every other category, from the release (the Overview chart)."""
    c = release.cells
    inc = c[(c["measure"] == "incidents") & (c["layer"] == "all")]
    kind = np.where(inc["category"] == ASB, ASB, "Other crime")
    table = inc.assign(kind=kind).pivot_table(index="month", columns="kind", values="value", aggfunc="sum")
    return table.fillna(0).astype(np.int64)


def protect(base: BaseCells, *, version: str) -> Release:
    """The release from exact base cells: every piece perturbed once, by its cell key; areas are sums of pieces.

    Perturbing the non-overlapping pieces (not each area's own cell) is what keeps the
    published figures additive: the wards and the estates outside them add up to the
    town in what is shown, as the true counts do, so that link tells a reader nothing
    (with a cell of its own, a town shown as 0 beside three wards shown as 3 would pin
    each ward to exactly 1).
    """
    pieces = base.pieces.copy()
    pieces["value"] = perturb(pieces["value"].to_numpy(), pieces["key"].to_numpy())
    cells = pieces_to_layers(pieces[pieces["value"] > 0].drop(columns="key")).drop(columns="key")
    k = min_orders()
    effects = {}
    for year, ye in base.effects.items():
        if ye.effect.used < k:
            effects[year] = PublishedEffectYear(year, ye.effect.used, None, ye.notes)
            continue
        effects[year] = PublishedEffectYear(year, ye.effect.used, _protect_effect(ye.effect, ye.key), ye.notes)
    return Release(
        version=version,
        cells=cells,
        areas=base.areas,
        months=base.months,
        quiet_from=base.quiet_from,
        victims_from=base.victims_from,
        boundaries=base.boundaries,
        effects=effects,
        min_orders=k,
    )


def _protect_effect(effect: Effect, key: int) -> Effect:
    values: dict[str, float | None] = {}
    for i, name in enumerate(EFFECT_FIELDS):
        v = getattr(effect, name)
        if v is None:
            values[name] = None
            continue
        values[name] = float(perturb([int(v)], [(key + _FIELD_STEP * (i + 1)) % 256])[0])
    return Effect(used=effect.used, skipped=effect.skipped, **values)  # type: ignore[arg-type]


def release_for(store: Store) -> Release:
    """The release of the store's current data (deterministic: the same data gives the same release)."""
    return protect(base_cells(store), version=store.data_version())
