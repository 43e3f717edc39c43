"""Did ASB fall around closed premises, more than it fell anyway?

For each closure order: ASB within a radius of the premises in the N whole
months before the month of the grant and the N months after it (the grant
month itself is left out: it is neither before nor after). Summed over all
orders this is the change "around closures". A town-wide fall would show up
there too, so the same before/after windows are counted over the rest of the
town (everything outside every closure's radius): the honest effect is the
closure change relative to that control change,

    relative = (after_c / before_c) / (after_t / before_t) - 1,

negative when ASB fell more around closures than elsewhere. Orders whose
windows run past the data are listed but left out of the totals.

Distances are in British National Grid metres (a KD-tree, not degrees).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.core.errors import OptionError
from geo.core.schema import BNG, WGS84

ASB = "Anti-social behaviour"


@dataclass(frozen=True)
class Impact:
    """Per-order counts and the combined comparison."""

    orders: pd.DataFrame
    before: int
    after: int
    control_before: int
    control_after: int

    @property
    def change(self) -> float:
        """Fractional change around closures (-0.4 = 40 % fewer)."""
        return _ratio(self.after, self.before) - 1

    @property
    def control_change(self) -> float:
        """Fractional change over the rest of the town, same windows."""
        return _ratio(self.control_after, self.control_before) - 1

    @property
    def relative(self) -> float:
        """Closure change relative to the control change (negative = better than elsewhere)."""
        return _ratio(1 + self.change, 1 + self.control_change) - 1

    def sentence(self) -> str:
        """The result in words, for a report."""
        n = int(self.orders["included"].sum()) if len(self.orders) else 0
        if not n or not self.before:
            return "No closure order has enough months of ASB data before and after it to measure."
        return (
            f"Around {n} closure orders ASB went from {self.before} to {self.after} "
            f"({self.change:+.0%}); elsewhere in the town it changed {self.control_change:+.0%} "
            f"over the same months, so the relative change is {self.relative:+.0%}."
        )


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def _to_metres(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    tr = Transformer.from_crs(WGS84, BNG, always_xy=True)
    x, y = tr.transform(lng, lat)
    return np.column_stack([x, y])


def closure_impact(
    incidents: pd.DataFrame,
    closures: pd.DataFrame,
    *,
    radius_m: float = 200.0,
    months: int = 6,
    category: str | None = ASB,
) -> Impact:
    """Before/after ASB around each closure order, against the rest of the town.

    Parameters
    ----------
    incidents
        ``lat, lng, month, category``.
    closures
        ``ref, lat, lng, granted`` (``YYYY-MM-DD``), optionally ``address``.
    radius_m, months
        The buffer around the premises and the window length either side.

    Raises
    ------
    OptionError
        A radius that is not positive or a window shorter than one month (the options, not the data, are wrong).
    """
    if radius_m <= 0 or months < 1:
        raise OptionError(
            "radius must be positive and the window at least one month",
            option="radius_m" if radius_m <= 0 else "months",
        )
    inc = incidents if category is None else incidents[incidents["category"] == category]
    inc = inc[np.isfinite(inc["lat"].to_numpy(dtype=float)) & np.isfinite(inc["lng"].to_numpy(dtype=float))]
    month_no = _month_number(inc["month"].astype(str))
    first, last = (int(month_no.min()), int(month_no.max())) if len(inc) else (0, -1)
    per_month = np.bincount(month_no - first, minlength=last - first + 1) if len(inc) else np.zeros(0, int)
    pts = _to_metres(inc["lat"].to_numpy(dtype=float), inc["lng"].to_numpy(dtype=float))
    cl = closures[np.isfinite(pd.to_numeric(closures["lat"], errors="coerce").to_numpy(dtype=float))]
    near_any = np.zeros(len(inc), dtype=bool)
    rows = []
    if len(cl) and len(inc):
        tree = cKDTree(pts)
        centres = _to_metres(cl["lat"].to_numpy(dtype=float), cl["lng"].to_numpy(dtype=float))
        hits = tree.query_ball_point(centres, r=radius_m)
        grant_no = _month_number(cl["granted"].astype(str).str.slice(0, 7))
        for j in range(len(cl)):
            idx = np.asarray(hits[j], dtype=np.int64)
            near_any[idx] = True
            g = int(grant_no[j])
            m = month_no[idx]
            before = int(((m >= g - months) & (m < g)).sum())
            after = int(((m > g) & (m <= g + months)).sum())
            rows.append(
                {
                    "ref": cl["ref"].iloc[j],
                    "granted": cl["granted"].iloc[j],
                    "before": before,
                    "after": after,
                    "included": g - months >= first and g + months <= last,
                    "_g": g,
                }
            )
    orders = pd.DataFrame(rows, columns=["ref", "granted", "before", "after", "included", "_g"])
    orders["included"] = orders["included"].astype(bool)  # an empty frame would otherwise index by column names
    control_month = month_no[~near_any] - first if len(inc) else np.zeros(0, int)
    control_per_month = np.bincount(control_month, minlength=len(per_month)) if len(inc) else per_month
    cb = ca = 0
    for g in orders.loc[orders["included"], "_g"]:
        g0 = int(g) - first
        cb += int(control_per_month[g0 - months : g0].sum())
        ca += int(control_per_month[g0 + 1 : g0 + months + 1].sum())
    inc_orders = orders[orders["included"]]
    return Impact(
        orders=orders.drop(columns="_g"),
        before=int(inc_orders["before"].sum()),
        after=int(inc_orders["after"].sum()),
        control_before=cb,
        control_after=ca,
    )


def _month_number(months: pd.Series) -> np.ndarray:
    """``YYYY-MM`` as a running month number (year * 12 + month - 1)."""
    if not len(months):
        return np.zeros(0, dtype=np.int64)
    year = pd.to_numeric(months.str.slice(0, 4), errors="coerce").to_numpy()
    month = pd.to_numeric(months.str.slice(5, 7), errors="coerce").to_numpy()
    return (year * 12 + month - 1).astype(np.int64)
