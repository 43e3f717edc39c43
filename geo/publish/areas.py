"""Area counts as a cabinet member may see them, and how any published change reads.

:func:`publish_area_table` turns exact counts per area into shown values
(:func:`geo.publish.privacy.suppress`: 1 to N-1 hidden, others rounded to a
multiple of N) and computes each change again from the shown values, so the
Trends page, the Outcomes page, the report pack and ``python -m geo areas
--published`` print the same figures, and nothing hidden can be worked back
out of a percentage. :func:`change_to_text` is the one wording of a change
for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.core.errors import OptionError, StoreError
from geo.plan.areas import LAYERS, previous_months
from geo.publish import privacy
from geo.publish.release import Release
from geo.stats.aggregate import Filters, month_range

#: The previous-period column, and the change column, when there is no previous period to compare with.
NO_EARLIER_DATA = "no earlier data"
NO_COMPARISON = "no comparison"
#: A change that cannot be printed because a count behind it is hidden.
NOT_SHOWN = "not shown"


def percent_text(x: float) -> str:
    """``-38%``, ``+<1%``: the one wording of a published change (:func:`geo.publish.privacy.percent_text`).

    Whole percent, because the counts behind it are rounded; the operational
    pages keep :func:`geo.stats.evaluate.percent` (a decimal below 1 %) for exact counts.
    """
    return privacy.percent_text(x)


def change_to_text(change: float, now: float, before: float, *, compared: bool) -> str:
    """A change for print: from shown values, and never a percentage over a hidden or zero base.

    ``"no comparison"`` when there is no earlier period; ``"not shown"`` when a count
    behind it is suppressed; ``"up from 0"`` / ``"no change"`` over a zero base.
    """
    if not compared:
        return NO_COMPARISON
    if np.isfinite(change):
        return "no change" if change == 0 else percent_text(change)
    if not (np.isfinite(now) and np.isfinite(before)):
        return NOT_SHOWN
    return "no change" if now == 0 else "up from 0"


def publish_area_table(table: pd.DataFrame, *, compared: bool, below: int | None = None) -> pd.DataFrame:
    """Shown counts per area from exact ones (:data:`geo.stats.areas.AREA_COLUMNS`).

    Returns ``code, name, count, previous, change, count_text, previous_text,
    change_text``: ``count``/``previous`` are shown values (NaN where
    suppressed), ``change`` is computed from them (NaN when either is hidden or
    the earlier one is zero), the ``…_text`` columns are what a table prints.
    """
    n = below or privacy.threshold()
    out = table[["code", "name"]].copy()
    out["count"] = privacy.suppress(table["count"], below=n)
    out["count_text"] = privacy.suppress_labels(table["count"], below=n)
    if compared:
        out["previous"] = privacy.suppress(table["previous"], below=n)
        out["previous_text"] = privacy.suppress_labels(table["previous"], below=n)
    else:
        out["previous"] = np.nan
        out["previous_text"] = NO_EARLIER_DATA
    out["change"] = privacy.safe_change(out["count"], out["previous"])
    out["change_text"] = [
        change_to_text(c, a, b, compared=compared)
        for c, a, b in zip(out["change"], out["count"], out["previous"], strict=True)
    ]
    return out[["code", "name", "count", "previous", "change", "count_text", "previous_text", "change_text"]]


@dataclass(frozen=True)
class ReleasedAreas:
    """Counts per area from the release (sums of protected cells, not yet rounded): what Trends publishes.

    ``table``: ``code, name, count, previous`` (``previous`` NaN when not
    ``compared``); ``monthly``: area code (rows) by month (columns).
    """

    layer: str
    months: tuple[str, ...]
    previous_months: tuple[str, ...]
    compared: bool
    table: pd.DataFrame
    monthly: pd.DataFrame


def released_areas(
    release: Release, *, layer: str, start: str, end: str, categories: Sequence[str] | None = None
) -> ReleasedAreas:
    """Incidents per area of ``layer`` (``wards``/``estates``) now and in the months before, from the release.

    Raises
    ------
    OptionError
        An unknown layer, or months that are not ``YYYY-MM`` in order.
    StoreError
        No boundaries of that layer are loaded: there are no areas to count in.
    """
    if layer not in LAYERS:
        raise OptionError(f"layer must be one of {', '.join(LAYERS)}, not {layer!r}", option="layer")
    Filters(month_from=start, month_to=end)  # one place checks the months' form and order
    if not (release.areas["layer"] == LAYERS[layer]).any():
        raise StoreError(f"no {layer} are loaded: import them first (python -m geo import {layer} …)")
    months = month_range(start, end)
    before = previous_months(start, end)
    compared = release.months is not None and release.months[0] <= before[0]
    lay = LAYERS[layer]
    names = release.areas[release.areas["layer"] == lay]
    now = release.totals("incidents", layer=lay, months=months, categories=categories)
    table = pd.DataFrame({"code": names["code"].astype(str).to_numpy(), "name": names["name"].to_numpy()})
    table["count"] = now.to_numpy()
    if compared:
        table["previous"] = release.totals("incidents", layer=lay, months=before, categories=categories).to_numpy()
    else:
        table["previous"] = np.nan
    monthly = release.monthly("incidents", layer=lay, months=months, categories=categories)
    return ReleasedAreas(lay, tuple(months), tuple(before), compared, table, monthly)
