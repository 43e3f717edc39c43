"""Incidents per ward or estate for a period and the period before it, from the store.

The one place that answers "how many incidents in each ward" for Trends,
Outcomes, the report pack and ``python -m geo areas``: the stored incidents
that pass the filters, counted by :func:`geo.stats.areas.area_counts` (an
incident's point in the area's outline, ties on shared borders to the lowest
code). The comparison period is the same number of whole months just before
``start``; when the stored incidents begin after its first month there is no
comparison (``compared`` false, ``previous`` NaN), because a partial earlier
period would make every area look as if it had risen.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.core.errors import OptionError, StoreError
from geo.stats.aggregate import Filters, filters_to_mask, month_range
from geo.stats.areas import area_counts, area_monthly
from geo.store import Store

#: The boundary layers an area table can be made for, with the word for one of their areas.
LAYERS: dict[str, str] = {"wards": "ward", "estates": "estate"}


@dataclass(frozen=True)
class AreaTable:
    """Exact counts per area (``code, name, count, previous, change``): for the operational team only.

    ``months``/``previous_months`` are the two periods; ``compared`` is false when the
    stored incidents do not cover the previous period.
    """

    layer: str
    months: tuple[str, ...]
    previous_months: tuple[str, ...]
    compared: bool
    table: pd.DataFrame
    monthly: pd.DataFrame


def previous_months(start: str, end: str) -> list[str]:
    """The same number of whole months just before ``start``."""
    n = len(month_range(start, end))
    first = pd.Period(start, freq="M")
    return month_range(str(first - n), str(first - 1))


def area_table(
    store: Store,
    *,
    layer: str = "wards",
    start: str,
    end: str,
    categories: tuple[str, ...] | None = None,
    sources: tuple[str, ...] | None = None,
) -> AreaTable:
    """Incidents per area of ``layer`` in months ``start``..``end`` and the months before.

    Parameters
    ----------
    layer
        ``"wards"`` or ``"estates"``.
    start, end
        ``YYYY-MM``, inclusive.
    categories, sources
        Which incidents count (None: all), as :class:`geo.stats.aggregate.Filters` reads them.

    Raises
    ------
    OptionError
        An unknown layer, or months that are not ``YYYY-MM`` in order.
    StoreError
        No boundaries of that layer are loaded: there are no areas to count in.
    """
    if layer not in LAYERS:
        raise OptionError(f"layer must be one of {', '.join(LAYERS)}, not {layer!r}", option="layer")
    filters = Filters(month_from=start, month_to=end, categories=categories, sources=sources)
    boundaries = store.read_boundaries(layer)
    if boundaries.empty:
        raise StoreError(f"no {layer} are loaded: import them first (python -m geo import {layer} …)")
    months = month_range(start, end)
    before = previous_months(start, end)
    span = store.months()
    compared = span is not None and span[0] <= before[0]
    incidents = store.read("incidents", columns=["lat", "lng", "month", "category", "source"], months=(before[0], end))
    wanted = Filters(categories=filters.categories, sources=filters.sources)
    points = incidents[filters_to_mask(incidents, wanted)]
    table = area_counts(points, boundaries, months=months, previous=before if compared else None)
    monthly = area_monthly(points, boundaries, months=months)
    return AreaTable(
        layer=layer,
        months=tuple(months),
        previous_months=tuple(before),
        compared=compared,
        table=table,
        monthly=monthly,
    )
