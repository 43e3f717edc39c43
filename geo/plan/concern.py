"""New addresses of concern: the flags of the last week, each with its nearest hot spot, for a joint visit.

The partnerships' teams make a joint police and housing visit "as soon as they
are made aware" of a new address of concern (GUIDE section 7). The Overview
page's alert lists them (:func:`new_addresses_of_concern`):

* **new**: an open flagged address (status not ``closed``, no ``closed`` date)
  whose ``first_flagged`` day lies in the :data:`NEW_DAYS` days ending
  ``today`` (today and the six days before it). ``today`` is the real date
  (the caller passes it), not the store's last month: a flag typed in a week
  ago is news now, whatever month the incident data reaches. A store whose
  newest flag is older (the demo town's data ends in October 2026) shows none.
  A first-flagged day after ``today`` is a typing slip and is left out.
* **nearest hot spot**: the nearest Gi* hot cell (significant after FDR, z > 0)
  of the caller's hot spot table, by the distance from the address to the
  cell's centre in British National Grid metres, named as the patrol plan names
  it (:mod:`geo.plan.places`). With no hot cell the name is blank and the
  distance NaN.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.plan._text import text_of as _text
from geo.space.hexes import cells_to_latlng, strings_to_cells
from geo.stats.evaluate import to_metres

#: How many days, today included, a flag stays "new".
NEW_DAYS = 7
#: The alert's columns, newest flag first.
CONCERN_COLUMNS = ["ref", "address", "first_flagged", "indicators", "lat", "lng", "hot_place", "hot_cell", "distance_m"]


def new_addresses_of_concern(
    flagged: pd.DataFrame, hot: pd.DataFrame, *, today: dt.date, days: int = NEW_DAYS
) -> pd.DataFrame:
    """Open flags first flagged in the ``days`` days ending ``today``, with their nearest hot cell.

    Parameters
    ----------
    flagged
        Stored flagged addresses (``ref, address, lat, lng, first_flagged, status, closed``, ``indicators``).
    hot
        Gi* hot cells: ``cell`` (H3 string) and ``place`` (its name); the caller keeps only hot ones.
    today
        The day the window ends on (inclusive).

    Returns
    -------
    pandas.DataFrame
        :data:`CONCERN_COLUMNS`, newest first (ties by ref).
    """
    first = dt.date.fromordinal(today.toordinal() - (days - 1)).isoformat()
    day = _text(flagged, "first_flagged").str[:10]
    closed = (_text(flagged, "status").str.casefold() == "closed") | (_text(flagged, "closed") != "")
    keep = ((day >= first) & (day <= today.isoformat()) & ~closed).to_numpy(bool)
    rows = flagged[keep]
    out = pd.DataFrame(
        {
            "ref": _text(rows, "ref").to_numpy(),
            "address": _text(rows, "address").to_numpy(),
            "first_flagged": day[keep].to_numpy(),
            "indicators": _text(rows, "indicators").to_numpy(),
            "lat": pd.to_numeric(rows["lat"], errors="coerce").to_numpy(float),
            "lng": pd.to_numeric(rows["lng"], errors="coerce").to_numpy(float),
            "hot_place": "",
            "hot_cell": "",
            "distance_m": np.nan,
        }
    )
    if len(out) and len(hot):
        lat, lng = cells_to_latlng(strings_to_cells(hot["cell"].astype(str).to_numpy()))
        centres = to_metres(pd.DataFrame({"lat": lat, "lng": lng}))
        here = to_metres(out)
        ok = np.isfinite(here).all(axis=1)
        dist, idx = cKDTree(centres).query(np.where(ok[:, None], here, 0.0))
        out.loc[ok, "distance_m"] = np.asarray(dist, float)[ok]
        out.loc[ok, "hot_place"] = hot["place"].astype(str).to_numpy()[idx[ok]]
        out.loc[ok, "hot_cell"] = hot["cell"].astype(str).to_numpy()[idx[ok]]
    out = out.sort_values(["first_flagged", "ref"], ascending=[False, True], kind="stable")
    return out[CONCERN_COLUMNS].reset_index(drop=True)


def concern_words(row: pd.Series) -> str:
    """One line of the alert: "12 Elm Road, flagged 20 Nov 2026: nearest hot spot Beacon Court, 240 m away"."""
    from geo.plan.neighbours import day_words

    head = f"{row['address'] or row['ref']}, flagged {day_words(row['first_flagged'])}"
    if not row["hot_place"] or not np.isfinite(row["distance_m"]):
        return f"{head}: no hot spot in the period"
    return f"{head}: nearest hot spot {row['hot_place']}, {row['distance_m']:,.0f} m away"
