"""Disclosure control for views that leave the operational team.

Cabinet members and a partnership-day audience see counts, never records;
small counts can still point at a household, so they are suppressed (the ONS
rule: below 10 is not shown) and the rest rounded to the nearest 5. Rounding
also stops a suppressed value being recovered by subtracting shown values
from a shown total; totals are rounded from the true sum, never summed from
rounded parts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUPPRESS_BELOW = 10
ROUND_TO = 5
SUPPRESSED = "<10"


def suppress(values: np.ndarray | pd.Series, *, below: int = SUPPRESS_BELOW, round_to: int = ROUND_TO) -> np.ndarray:
    """Counts safe to publish: NaN where ``0 < count < below``, others rounded to ``round_to``.

    Zero stays zero: "nothing happened here" discloses no one.
    """
    v = np.asarray(values, dtype=float)
    out = np.round(v / round_to) * round_to
    out[(v > 0) & (v < below)] = np.nan
    return out


def suppress_labels(values: np.ndarray | pd.Series, **kw: int) -> list[str]:
    """Like :func:`suppress`, as text for tables and tooltips (``"<10"`` where suppressed)."""
    return [SUPPRESSED if np.isnan(v) else f"{int(v):,}" for v in suppress(values, **kw)]


def safe_change(now: np.ndarray, before: np.ndarray, *, below: int = SUPPRESS_BELOW) -> np.ndarray:
    """Fractional change between periods, NaN when either side is too small to show.

    A percentage over a small base both discloses and misleads (1 → 3 is +200 %).
    """
    now = np.asarray(now, dtype=float)
    before = np.asarray(before, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = now / before - 1
    change[(now < below) | (before < below)] = np.nan
    return change
