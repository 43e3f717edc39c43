"""Emerging hot spot analysis: space-time Gi*, a Mann–Kendall trend per cell, and Esri's pattern names.

A single Gi* map says where incidents cluster; partnerships also need to
know whether a cluster is new, growing, fading or chronic. Following Esri's
Emerging Hot Spot Analysis (and sfdep / sfhotspot in R), every cell × month
bin of a space-time cube gets a Gi* z-score, bins are judged significant
after a Benjamini–Hochberg correction over the whole cube, and each cell's
series of z-scores gets a Mann–Kendall trend test. The categories below
combine the two.

Which months the trend reads (``trend``, :data:`TREND_RULES`)
----------------------------------------------------------------
* ``"complete"`` (the default): the months whose neighbourhood is complete,
  i.e. from month ``time_steps`` on. The first ``time_steps`` months have no
  earlier months to add (with the default ``time_steps=1`` month 0 sees half
  the bins of the others), so the same incidents give them a smaller |z|:
  an edge of the cube, not a change on the street. Left in, that lone low
  first value reads as a rising trend (a steady hot spot came out
  "intensifying"); this is the figure a deployment decision should rest on.
* ``"esri"``: every month, as Esri's documentation describes (and sfdep
  does), for comparing with ArcGIS Pro. On a real force 4 of 1,287 cells
  changed category between the two rules.

Either way the hot and cold months (the 90 % shares, "final month",
"never before") count **every** month's bin: the rule changes only the
series the trend is measured on. Esri requires at least
:data:`MIN_TREND_MONTHS` (10) time steps for the trend; counted in the months
actually in the trend series, fewer is refused (:class:`OptionError`) rather
than classified, because a Mann–Kendall test on a handful of values cannot
reach significance and every cell would look trendless.

Definitions (per cell, over n months; "hot" = a bin whose Gi_Bin is at least
the chosen confidence, 90 % by default as in Esri, after FDR; "cold" mirrors
it; share = hot months / n; trends are significant when p < ``alpha``)::

    final month hot:
      1 share ≥ 90 % and significant upward trend     → intensifying hot spot
      2 share ≥ 90 % and significant downward trend   → diminishing hot spot
      3 share ≥ 90 % otherwise                        → persistent hot spot
      4 share < 90 %, a cold month earlier             → oscillating hot spot
      5 share < 90 %, first hot month ever             → new hot spot
      6 share < 90 %, one unbroken run of ≥ 2 months   → consecutive hot spot
      7 share < 90 %, hot on and off, never cold       → sporadic hot spot
    final month cold: the same with hot ↔ cold and upward ↔ downward
      (an intensifying cold spot is getting colder: a significant downward trend)
    final month neither:
      8 share ≥ 90 %                                  → historical hot spot
        cold share ≥ 90 %                             → historical cold spot
      otherwise                                       → no pattern detected

Tie-break order
---------------
The definitions are tested in the numbered order and the first that holds
wins. It settles every case where Esri's wording, read literally, fits two
patterns (each is pinned by a test on hand-made bins):

* **the final month picks the family**: hot now → a hot pattern, cold now →
  a cold one, neither → historical or nothing. Esri's "persistent" does not
  mention the final month and its "historical" does; a cell hot in ≥ 90 % of
  months but not in the last is *historical*, and one that turns cold in the
  last is an *oscillating cold spot*, because what a place is now matters
  most for deployment (sfdep, testing persistent first, would say persistent);
* **intensifying / diminishing before persistent**: with a significant trend
  the cell is not "without discernible trend", and the first two require a
  hot final month as Esri says;
* **≥ 90 % before new / consecutive**: Esri's consecutive excludes ≥ 90 %;
  "new" can meet ≥ 90 % only in a one-month series, which is then persistent;
* **oscillating before new, consecutive and sporadic**: a cell cold before
  and hot now is "never hot before" (new) or a single final run
  (consecutive) too; a swing from cold to hot is what "oscillating" exists to
  flag (sfdep agrees: its "new" and "consecutive" need no significant bin at
  all before). Sporadic itself excludes any cold month;
* **new before consecutive before sporadic**: one hot month (the last) is new;
  one unbroken run of ≥ 2 ending in the last month, with nothing hot before
  it, is consecutive, not "on and off"; only a second, earlier run makes it
  sporadic.

90 % is compared in whole months (10 · hot ≥ 9 · n), so 9 of 10 months counts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal, get_args

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr

from geo.core.errors import OptionError
from geo.stats.hotspots import GiResult, fdr_gi_bins, gi_star_from_lag, gi_z_from_outer_lag
from geo.stats.weights import as_weights, weight_sums

CONFIDENCE_BINS = {90: 1, 95: 2, 99: 3}

PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")
# Every category emerging_categories can return, in Esri's order (for legends and colour maps).
CATEGORIES: tuple[str, ...] = (
    *(f"{pattern} {kind} spot" for kind in ("hot", "cold") for pattern in PATTERNS),
    "no pattern detected",
)

#: Which months the Mann–Kendall trend reads (see the module docstring).
TrendRule = Literal["complete", "esri"]
#: Each rule in the words the CLI, the pages and the CSV use.
TREND_RULES: dict[str, str] = {
    "complete": "months with a complete neighbourhood (the first months, with no earlier month to add, left out)",
    "esri": "every month, as Esri's Emerging Hot Spot Analysis",
}
DEFAULT_TREND: TrendRule = "complete"
#: Esri's minimum number of time steps for the trend, counted in the trend series itself.
MIN_TREND_MONTHS = 10


@dataclass(frozen=True, eq=False)
class MKResult:
    """Mann–Kendall trend test per row; every field has one value per row (read-only).

    Attributes
    ----------
    s
        Mann–Kendall score: later-minus-earlier pairs that rise, less those that fall.
    var_s
        Variance of ``s`` under no trend, corrected for tied values.
    tau
        Kendall's tau-a, ``s`` over the number of pairs (as ``pymannkendall`` reports ``Tau``).
    z
        Standardised ``s`` with continuity correction; 0 when ``s`` is 0.
    p
        Two-sided p-value of ``z`` under the normal approximation.
    """

    s: np.ndarray
    var_s: np.ndarray
    tau: np.ndarray
    z: np.ndarray
    p: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):
            getattr(self, f.name).setflags(write=False)


def space_time_gi(
    counts: np.ndarray, w: sp.spmatrix | sp.sparray | np.ndarray, *, time_steps: int = 1, fdr: bool = True
) -> GiResult:
    """Gi* of every cell × month bin, with neighbours in space and in the preceding months.

    Bin (i, t) has as neighbours the bins (j, t') with ``w[i, j]`` non-zero
    (self included) and ``t − time_steps ≤ t' ≤ t`` (Esri's "neighbourhood time
    step"; clipped at the first month, so early bins have smaller
    neighbourhoods). Looking back rather than both ways keeps the latest month's
    z-score final: adding next month's data does not change it. The clipping
    has a cost Esri's cube shares: a steady cluster's first ``time_steps``
    months get a smaller |z| (fewer bins to add up), which a trend test on a
    short series can read as intensification.

    Each bin is compared with the mean and standard deviation of the whole
    cube, not of its own month, so a month that is busy everywhere shows up as
    hot bins. The space-time weights are the Kronecker product of ``w`` and a
    banded month matrix; it is never built (it would hold ~10 million
    non-zeros for 20,000 cells × 36 months): neighbourhood totals and weight
    sums factor into a sparse product in space and a small one in time.

    Parameters
    ----------
    counts
        (n_cells, n_months) values, rows in the order of ``w``.
    w
        n_cells × n_cells spatial weights, as for :func:`geo.stats.hotspots.gi_star`.
    time_steps
        How many previous months belong to a bin's neighbourhood (0: same month only).
    fdr
        Whether Gi_Bin uses Benjamini–Hochberg p-values adjusted over all bins.

    Returns
    -------
    GiResult
        Fields of shape (n_cells, n_months).
    """
    counts, lag, w_sum, w_sq_sum = _space_time_parts(_cube(counts), w, time_steps=time_steps)
    return gi_star_from_lag(counts, lag, np.outer(*w_sum), np.outer(*w_sq_sum), fdr=fdr)


def _space_time_parts(
    counts: np.ndarray, w: sp.spmatrix | sp.sparray | np.ndarray, *, time_steps: int
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The values and neighbourhood totals of :func:`space_time_gi`'s bins (a fresh ``lag``), and their weight sums.

    The weight sums as pairs (per cell, per month) whose outer product they
    are. ``counts`` as :func:`_cube` returns them (checked once by the caller).
    """
    n_cells, n_months = counts.shape
    time_steps = _time_steps(time_steps)
    w = as_weights(w, n_cells)
    months = np.arange(n_months)
    # band[t, t'] = 1 where month t' is in the neighbourhood of month t
    band = ((months[None, :] <= months[:, None]) & (months[None, :] >= months[:, None] - time_steps)).astype(float)
    space_sum, space_sq_sum = weight_sums(w)
    # kron(w, band) is never built: its totals and row sums factor into space × time
    lag = (w @ counts) @ band.T
    return counts, lag, (space_sum, band.sum(axis=1)), (space_sq_sum, (band**2).sum(axis=1))


def trend_window(n_months: int, *, trend: str = DEFAULT_TREND, time_steps: int = 1) -> range:
    """Positions of the months the Mann–Kendall trend reads, out of ``n_months``.

    ``"esri"``: all of them; ``"complete"``: from month ``time_steps`` on (the
    earlier ones have truncated neighbourhoods, see the module docstring), so
    with ``time_steps=0`` the two rules agree. Callers name ``window.start``'s
    month beside the categories and refuse fewer than :data:`MIN_TREND_MONTHS`.

    Raises
    ------
    OptionError
        For a rule other than :data:`TREND_RULES`' or a ``time_steps`` that is not a whole number ≥ 0.
    """
    if trend not in get_args(TrendRule):
        raise OptionError(
            f"trend must be one of {', '.join(repr(r) for r in get_args(TrendRule))}, not {trend!r}", option="trend"
        )
    steps = _time_steps(time_steps)
    first = steps if trend == "complete" else 0
    return range(min(first, n_months), n_months)


def _time_steps(time_steps: int) -> int:
    if isinstance(time_steps, bool) or int(time_steps) != time_steps or time_steps < 0:
        raise OptionError(
            f"time_steps must be a whole number of months, 0 or more, not {time_steps}", option="time_steps"
        )
    return int(time_steps)


def mann_kendall(series: np.ndarray) -> MKResult:
    """Mann–Kendall trend test of every row of ``series`` (rows: cells, columns: months in order).

    Vectorised over rows, months × rows in memory so that every step runs
    along the rows: for each earlier month, the later months that rise above
    it are counted per row in one byte-wide pass (n_months − 1 passes); ties
    come from one sort per row; and falls are what is left of the pairs, so
    ``s = rises − falls = 2·rises + ties − n(n − 1)/2``, a whole number however
    it is summed: a national cube's 226,000 cells × 35 months take a few
    tenths of a second (the pass over every pair of months as differences,
    in float64, took seconds). The variance, continuity correction and
    p-value are those of ``pymannkendall.original_test``; a constant row (all
    ties) has s = 0, z = 0, p = 1.

    Parameters
    ----------
    series
        (n_rows, n_months) finite values, at least two months.
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim != 2:
        raise OptionError(f"series must be two-dimensional (rows × months), not shape {x.shape}", option="series")
    n_rows, n = x.shape
    if n < 2:
        raise OptionError(f"a trend needs at least 2 months, not {n}", option="series")
    if not np.all(np.isfinite(x)):
        raise OptionError("series must all be finite (no NaN or infinity)", option="series")
    rises = _rises(x)
    tie_term, tied_pairs = _ties(x)
    s = 2 * rises + tied_pairs - n * (n - 1) // 2
    var_s = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    sd = np.sqrt(var_s)
    shrunk = s - np.sign(s)  # continuity correction: (s − 1) above 0, (s + 1) below
    z = np.divide(shrunk, sd, out=np.zeros(n_rows), where=sd > 0)
    p = 2.0 * ndtr(-np.abs(z))
    tau = s / (0.5 * n * (n - 1))
    return MKResult(s=s, var_s=var_s, tau=tau, z=z, p=p)


def _rises(x: np.ndarray) -> np.ndarray:
    """Per row, the pairs of months a < b with ``x[a] < x[b]``.

    Counted per later month b in the smallest unsigned integer that holds
    n − 1 (a byte up to 256 months: a month has at most n − 1 earlier ones),
    and summed at the end.
    """
    n_rows, n = x.shape
    xt = np.ascontiguousarray(x.T)
    below = np.zeros((n, n_rows), dtype=np.min_scalar_type(n - 1))
    for a in range(n - 1):
        below[a + 1 :] += np.greater(xt[a + 1 :], xt[a])
    return below.sum(axis=0, dtype=np.int64)


def _ties(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: Σ t(t − 1)(2t + 5) and Σ t(t − 1)/2 (tied pairs) over its groups of t equal values.

    Walking through a sorted row, the k-th repeat (k = 0, 1, …) of a value
    adds f(k + 1) − f(k) = 6k(k + 2) to the first sum and k to the second, so
    both need only each position's distance k from the start of its run
    (walked month by month, all rows at once).
    """
    xs = np.ascontiguousarray(np.sort(x, axis=1).T)  # months × rows, as in _rises
    n, n_rows = xs.shape
    term = np.zeros(n_rows, dtype=np.int64)
    pairs = np.zeros(n_rows, dtype=np.int64)
    k = np.zeros(n_rows, dtype=np.int64)
    for t in range(1, n):
        k = np.where(xs[t] == xs[t - 1], k + 1, 0)
        term += 6 * k * (k + 2)
        pairs += k
    return term, pairs


def emerging_categories(
    gi_bin: np.ndarray,
    trend_z: np.ndarray,
    trend_p: np.ndarray,
    *,
    alpha: float = 0.05,
    confidence: int = 90,
) -> np.ndarray:
    """The emerging hot spot category of each cell (see the module docstring for the rules).

    Parameters
    ----------
    gi_bin
        (n_cells, n_months) Gi_Bin classes (-3..3) in month order, normally FDR-corrected.
    trend_z, trend_p
        Mann–Kendall z and p of each cell's series of Gi* z-scores.
    alpha
        Significance level of the trend.
    confidence
        90, 95 or 99: the lowest Gi_Bin confidence that counts as hot or cold.

    Returns
    -------
    numpy.ndarray
        One string from :data:`CATEGORIES` per cell.
    """
    bins = np.asarray(gi_bin)
    if bins.ndim != 2 or bins.shape[1] < 1:
        raise OptionError(f"gi_bin must be two-dimensional (cells × months), not shape {bins.shape}", option="gi_bin")
    trend_z = np.asarray(trend_z, dtype=np.float64)
    trend_p = np.asarray(trend_p, dtype=np.float64)
    if trend_z.shape != (len(bins),) or trend_p.shape != (len(bins),):
        raise OptionError(f"trend_z and trend_p need one value per cell ({len(bins)})", option="trend_z/trend_p")
    if confidence not in CONFIDENCE_BINS:
        raise OptionError(
            f"confidence must be one of {sorted(CONFIDENCE_BINS)} %, not {confidence}", option="confidence"
        )
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must lie between 0 and 1, not {alpha}", option="alpha")
    level = CONFIDENCE_BINS[confidence]
    up = (trend_p < alpha) & (trend_z > 0)
    down = (trend_p < alpha) & (trend_z < 0)
    hot, cold = bins >= level, bins <= -level
    n_months = bins.shape[1]
    hot_family = _family(hot, cold, rising=up, falling=down, n_months=n_months)
    cold_family = _family(cold, hot, rising=down, falling=up, n_months=n_months)
    conditions, choices = [], []
    for kind, family in (("hot", hot_family), ("cold", cold_family)):
        for pattern, mask in family.items():
            conditions.append(mask)
            choices.append(f"{pattern} {kind} spot")
    return np.select(conditions, choices, default="no pattern detected")


def _family(
    spot: np.ndarray, opposite: np.ndarray, *, rising: np.ndarray, falling: np.ndarray, n_months: int
) -> dict[str, np.ndarray]:
    """Masks of one family's patterns, written for hot spots ("rising" = toward more of ``spot``).

    The dict order is the order of precedence within the family; the two
    families cannot overlap except through "historical", which needs the
    final month to be neither hot nor cold.
    """
    count = spot.sum(axis=1)
    mostly = 10 * count >= 9 * n_months
    final = spot[:, -1]
    final_other = opposite[:, -1]
    runs = spot[:, 0].astype(int) + (spot[:, 1:] & ~spot[:, :-1]).sum(axis=1)
    opposite_before = opposite[:, :-1].any(axis=1)
    recent = final & ~mostly
    return {
        "intensifying": final & mostly & rising,
        "diminishing": final & mostly & falling,
        "persistent": final & mostly,
        "oscillating": recent & opposite_before,
        "new": recent & (count == 1),
        "consecutive": recent & (runs == 1),
        "sporadic": recent,
        "historical": ~final & ~final_other & mostly,
    }


def emerging_hotspots(
    counts: np.ndarray,
    w: sp.spmatrix | sp.sparray | np.ndarray,
    *,
    time_steps: int = 1,
    alpha: float = 0.05,
    confidence: int = 90,
    trend: TrendRule = DEFAULT_TREND,
) -> pd.DataFrame:
    """Emerging hot spot analysis of a cell × month count cube, one row per cell.

    Parameters
    ----------
    counts
        (n_cells, n_months) counts, months in order, rows in the order of ``w``.
    w
        Spatial weights over the cells (binary, self included).
    time_steps
        Previous months in each bin's neighbourhood (see :func:`space_time_gi`).
    alpha
        Significance level of the Mann–Kendall trend.
    confidence
        90, 95 or 99: the lowest FDR-corrected Gi_Bin confidence that counts as hot or cold.
    trend
        Which months the Mann–Kendall trend reads: ``"complete"`` (default: from month
        ``time_steps`` on) or ``"esri"`` (every month); see :func:`trend_window`.

    Returns
    -------
    pandas.DataFrame
        ``trend_tau``, ``trend_z``, ``trend_p`` (Mann–Kendall on the cell's Gi*
        z-scores over the months of :func:`trend_window`), ``n_hot``, ``n_cold``
        (months hot / cold at ``confidence``, every month counted),
        ``final_bin`` (Gi_Bin of the last month) and ``category``.

    Raises
    ------
    OptionError
        For fewer than :data:`MIN_TREND_MONTHS` months in the trend series (Esri's
        minimum): nothing is classified rather than every cell called trendless.
    """
    if confidence not in CONFIDENCE_BINS:
        raise OptionError(
            f"confidence must be one of {sorted(CONFIDENCE_BINS)} %, not {confidence}", option="confidence"
        )
    counts = _cube(counts)
    window = trend_window(counts.shape[1], trend=trend, time_steps=time_steps)
    if len(window) < MIN_TREND_MONTHS:
        raise OptionError(
            f"emerging hot spot patterns need at least {MIN_TREND_MONTHS} months in the trend (Esri's minimum); "
            f"{counts.shape[1]} months with trend={trend!r} and time_steps={time_steps} give {len(window)}",
            option="counts",
        )
    # space_time_gi(..., fdr=True) less what nobody reads here: the p-values and their FDR adjustment
    z = gi_z_from_outer_lag(*_space_time_parts(counts, w, time_steps=time_steps))
    gi_bin = fdr_gi_bins(z)
    mk = mann_kendall(z[:, window.start :])
    level = CONFIDENCE_BINS[confidence]
    return pd.DataFrame(
        {
            "trend_tau": mk.tau,
            "trend_z": mk.z,
            "trend_p": mk.p,
            "n_hot": (gi_bin >= level).sum(axis=1),
            "n_cold": (gi_bin <= -level).sum(axis=1),
            "final_bin": gi_bin[:, -1],
            "category": emerging_categories(gi_bin, mk.z, mk.p, alpha=alpha, confidence=confidence),
        }
    )


def _cube(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2:
        raise OptionError(f"counts must be two-dimensional (cells × months), not shape {counts.shape}", option="counts")
    if not np.all(np.isfinite(counts)):
        raise OptionError("counts must all be finite (no NaN or infinity)", option="counts")
    return counts
