"""How concentrated crime is, and how well last months' hotspots predict next month's.

These are the measures community-safety partnerships are asked for, because
the crime-science literature reports them the same way: "x % of incidents
happen in the top 5 % of places" (share in top), a Gini coefficient over
places, and the Predictive Accuracy Index (hit rate divided by area share) of
a "patrol where it was busy lately" rule. Funders compare areas on these
numbers, so the definitions below follow the usual ones and say exactly how
ties and rounding are settled.

Everything here is pure: counts per cell (and per month) in, numbers out.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo.core.errors import OptionError

BACKTEST_COLUMNS = ("month_index", "n_allowed", "n_chosen", "hits", "total", "hit_rate", "area_share", "pai")


def share_in_top(counts: np.ndarray, *, fractions: Sequence[float] = (0.01, 0.05, 0.10)) -> dict[float, float]:
    """Share of all incidents that fall in the busiest ``fraction`` of cells, for each fraction.

    Parameters
    ----------
    counts
        Incidents per cell (1-D, non-negative), cells with none included: leaving
        them out would shrink the denominator and flatter the concentration.
    fractions
        Fractions of cells, each in (0, 1].

    Returns
    -------
    dict
        ``{fraction: share}``, shares in [0, 1]; all 0 when there are no incidents.

    Notes
    -----
    The top fraction holds ``ceil(fraction * n_cells)`` cells, at least one:
    rounding up means a small area is never credited with "0 % of places"
    and 1 % of 30 cells is one cell, not none. ``fraction * n_cells`` is rounded
    to 9 decimals first, so 7 % of 100 cells (0.07 * 100 = 7.000000000000001
    in floating point) is 7 cells, not 8. Cells tied in count are interchangeable here: the
    share is the sum of the k largest counts whichever tied cells are taken.
    """
    x = _counts(counts, ndim=1)
    ranked = np.sort(x)[::-1]
    total = ranked.sum()
    out = {}
    for fraction in fractions:
        k = _top_cells(fraction, len(x), name="fractions")
        out[fraction] = float(ranked[:k].sum() / total) if total > 0 else 0.0
    return out


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of incidents over cells: 0 when every cell has the same count, (n-1)/n when one cell has all.

    Computed as ``2 * sum(i * x_(i)) / (n * sum(x)) - (n + 1) / n`` over the
    counts sorted ascending, i = 1..n (no small-sample correction, so it is
    comparable with published figures). It can never reach 1 with finitely
    many cells, which is why small areas look less concentrated; compare areas
    with a similar number of cells. Returns 0 for no incidents (nothing is
    concentrated), and is clipped at 0 against rounding noise.
    """
    x = np.sort(_counts(counts, ndim=1))
    n, total = len(x), x.sum()
    if n == 0 or total <= 0:
        return 0.0
    g = 2.0 * float(np.dot(np.arange(1, n + 1), x)) / (n * float(total)) - (n + 1) / n
    return max(0.0, g)


def backtest(counts: np.ndarray, *, lookback: int = 3, area_fraction: float = 0.05) -> pd.DataFrame:
    """Score the rule "patrol the busiest cells of the last ``lookback`` months" on each following month.

    Parameters
    ----------
    counts
        Incidents, shape ``(n_cells, n_months)``, months in time order.
    lookback
        How many past months (at least 1) choose the hotspots; the first scored
        month is ``lookback``, so every score uses a full window and only the past.
    area_fraction
        Fraction of cells (in (0, 1]) the rule may choose, rounded up to whole
        cells as in :func:`share_in_top`.

    Returns
    -------
    pandas.DataFrame
        One row per scored month with columns :data:`BACKTEST_COLUMNS`:
        ``n_allowed`` the cells the top ``area_fraction`` stands for (the cut),
        ``n_chosen`` the cells actually flagged (ties at the cut included, see
        Notes), ``hits`` incidents in flagged cells that month, ``total`` all
        incidents that month, ``hit_rate = hits / total`` (0 for a month with
        none), ``area_share = n_chosen / n_cells`` (the area actually flagged)
        and ``pai = hit_rate / area_share`` (Chainey 2008; 0 when nothing was
        flagged). Empty when there are at most ``lookback`` months.

    Notes
    -----
    Cells are ranked by past total. **Ties at the cut are all flagged**: every
    cell whose past total equals that of the last cell inside the cut is in,
    so ``n_chosen`` can exceed ``n_allowed``, and the area share and PAI are
    those of the cells actually flagged. Any rule that takes only some of the
    tied cells has to pick them by something that is not evidence (their
    order in the file), and the PAI then moves with that order: on a real
    force 15 cells tied for the last 9 places of a top-5 % cut, and the PAI
    ranged from 6.61 to 7.02. With every tie in, the result depends only on
    the counts, never on the order of the cells. Cells with no past incidents
    are never flagged (there is no evidence for them), so fewer than
    ``n_allowed`` cells may be flagged; the area share is then smaller too, so
    the PAI is not diluted by empty picks.
    """
    x = _counts(counts, ndim=2)
    try:
        lookback = operator.index(lookback)
    except TypeError:
        raise OptionError(f"lookback must be a whole number of months, got {lookback!r}", option="lookback") from None
    if lookback < 1:
        raise OptionError(f"lookback must be at least 1 month, got {lookback}", option="lookback")
    n_cells, n_months = x.shape
    k = _top_cells(area_fraction, n_cells, name="area_fraction")
    rows = []
    for month in range(lookback, n_months):
        past = x[:, month - lookback : month].sum(axis=1)
        # the k-th largest past total is the last one in; every cell tied with it is in too, whatever their order
        cut = np.partition(past, n_cells - k)[n_cells - k] if n_cells else 0
        chosen = (past >= cut) & (past > 0)
        n_chosen = int(chosen.sum())
        hits, total = x[chosen, month].sum(), x[:, month].sum()
        hit_rate = float(hits / total) if total > 0 else 0.0
        area_share = n_chosen / n_cells if n_cells else 0.0
        pai = hit_rate / area_share if n_chosen else 0.0
        rows.append((month, k, n_chosen, hits, total, hit_rate, area_share, pai))
    frame = pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))
    dtypes = {"month_index": "int64", "n_allowed": "int64", "n_chosen": "int64", "hits": x.dtype, "total": x.dtype}
    return frame.astype(dtypes | dict.fromkeys(BACKTEST_COLUMNS[5:], "float64"))


def summary(backtest_frame: pd.DataFrame) -> dict[str, float | int]:
    """Headline numbers of a :func:`backtest`.

    ``mean_hit_rate`` and ``mean_pai`` weight every month equally (a quiet
    month counts as much as a busy one); ``weighted_hit_rate`` is
    ``sum(hits) / sum(total)``, the share of all scored incidents caught, which
    is the fairer figure when monthly totals vary a lot. All are 0 when no
    month was scored.
    """
    missing = [c for c in BACKTEST_COLUMNS if c not in backtest_frame.columns]
    if missing:
        raise OptionError(f"not a backtest frame: missing columns {', '.join(missing)}", option="backtest_frame")
    months = len(backtest_frame)
    hits, total = float(backtest_frame["hits"].sum()), float(backtest_frame["total"].sum())
    return {
        "months_scored": months,
        "mean_hit_rate": float(backtest_frame["hit_rate"].mean()) if months else 0.0,
        "weighted_hit_rate": hits / total if total > 0 else 0.0,
        "mean_pai": float(backtest_frame["pai"].mean()) if months else 0.0,
    }


def _counts(counts: np.ndarray, *, ndim: int) -> np.ndarray:
    """Counts as a numeric array of the given rank, or an OptionError saying what is wrong."""
    x = np.asarray(counts)
    if np.issubdtype(x.dtype, np.integer) or x.dtype == bool:
        x = x.astype(np.int64)  # signed, so ranking by -count cannot wrap around
    elif np.issubdtype(x.dtype, np.complexfloating):
        raise OptionError("counts must be real numbers", option="counts")
    else:
        try:
            x = x.astype(np.float64)
        except (TypeError, ValueError):
            raise OptionError("counts must be numbers", option="counts") from None
    if x.ndim != ndim:
        want = "(n_cells,)" if ndim == 1 else "(n_cells, n_months)"
        raise OptionError(f"counts must have shape {want}, got {x.shape}", option="counts")
    if not np.isfinite(x).all() or (x < 0).any():
        raise OptionError("counts must be finite and not negative", option="counts")
    return x


def _top_cells(fraction: float, n_cells: int, *, name: str) -> int:
    """How many cells make up the top ``fraction``: rounded up, at least 1 (see :func:`share_in_top`)."""
    if isinstance(fraction, bool) or not isinstance(fraction, int | float | np.floating | np.integer):
        raise OptionError(f"{name} must be numbers in (0, 1], got {fraction!r}", option=name)
    if not 0 < fraction <= 1:
        raise OptionError(f"{name} must be in (0, 1], got {fraction!r}", option=name)
    return max(1, math.ceil(round(float(fraction) * n_cells, 9)))
