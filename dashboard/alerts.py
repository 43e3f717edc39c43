"""The Overview's "New address of concern" alert: the flags of the last seven days, each by its nearest hot spot.

Only roles with ``point_data`` see it (it names addresses); the rule is
:func:`geo.plan.concern.new_addresses_of_concern`. The hot spots are the
patrol planner's opening view: Gi* over the 12 months ending with the latest
month of data, ASB, hexagons of resolution 9 with one ring of neighbours,
named as the planner names them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard import results
from dashboard.context import current_summary, default_months
from dashboard.view import View
from geo.core.schema import ASB
from geo.plan.concern import new_addresses_of_concern
from geo.space.hexes import strings_to_cells
from geo.stats.aggregate import month_range


def hot_view() -> View | None:
    """The view the alert's hot spots come from (the planner's default), or None when no incidents are stored."""
    months = current_summary()["months"]
    if not months:
        return None
    start, end = default_months(month_range(*months))
    return View(month_from=start, month_to=end, categories=(ASB,))


def hot_cells(view: View) -> pd.DataFrame:
    """``cell, place`` of the view's Gi* hot cells (significant after FDR, z > 0)."""
    table = results.hotspots(view)
    hot = table[table["significant_fdr"].to_numpy(bool) & (table["gi_z"].to_numpy(float) > 0)]
    places = results.place_table(view)
    cells = strings_to_cells(hot["cell"].astype(str).to_numpy())
    at = np.searchsorted(places.cells, cells)
    found = at < len(places.cells)
    found[found] = places.cells[at[found]] == cells[found]
    names = np.full(len(cells), "", dtype=object)
    names[found] = places.names[at[found]]
    return pd.DataFrame({"cell": hot["cell"].astype(str).to_numpy(), "place": names})


def town_today() -> dt.date:
    """Today's date; in the synthetic demo town, its last day (the town stands still at :data:`geo.demo.DEMO_END`)."""
    if current_summary()["demo"]:
        from geo.demo import DEMO_END

        return DEMO_END.date()
    return dt.date.today()


def new_concerns(*, today: dt.date | None = None) -> pd.DataFrame:
    """The stored flags first flagged in the week ending ``today`` (default: :func:`town_today`), by nearest hot spot.

    The hot spots are computed only when there is a new flag to place (a quiet week costs one read).
    """
    flagged, _closures = results.flagged_and_closures()
    day = today or town_today()
    none = pd.DataFrame({"cell": pd.Series(dtype=object), "place": pd.Series(dtype=object)})
    found = new_addresses_of_concern(flagged, none, today=day)
    view = hot_view() if len(found) else None
    return found if view is None else new_addresses_of_concern(flagged, hot_cells(view), today=day)
