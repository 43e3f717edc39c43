"""The patrol evaluation's arithmetic on plain frames: matching, the ring, the counts, dose bands, words.

The rules and why are in :mod:`geo.plan.patrol_evaluation` (the store-facing
module, which re-exports everything here); this half takes counts per cell and
month and the dose per cell, so that tests work it on hand-made frames.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.core.errors import OptionError
from geo.space.hexes import cells_to_weights
from geo.stats.evaluate import Effect, Estimate, at_peak, change_words, measurable

#: Fewest before-window months a level and a trend are matched on (a slope over 2 months is a difference).
MIN_PRE_MONTHS = 3
#: Controls per patrolled place (without replacement).
DEFAULT_K = 3
#: Delivered minutes per week: (label, lower edge inclusive, upper edge exclusive).
DOSE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("under 15 minutes a week", 0.0, 15.0),
    ("15 to 44 minutes a week", 15.0, 45.0),
    ("45 minutes a week or more", 45.0, math.inf),
)
NO_PATROLS = "No patrols delivered in this period"
CAVEATS = (
    "Patrol logs cover only a few weeks, so the counts during the patrols are small and the interval is wide.",
    "police.uk gives the month of each incident, not the day or hour: a month counts as patrolled when any day "
    "of the period falls in it, so incidents before the first patrol or after the last in that month count as "
    "during.",
    "The comparison places were matched on their earlier level and trend of ASB, not chosen at random: they can "
    "differ in ways the match cannot see, so read the change as an estimate, not proof.",
    "The interval treats counts as Poisson and does not allow for month-to-month swings larger than chance, so "
    "it is if anything too narrow.",
)
PLACE_COLUMNS = [
    "cell",
    "place",
    "visits",
    "minutes",
    "minutes_per_week",
    "band",
    "pre_mean",
    "pre_slope",
    "before",
    "during",
    "controls",
]
DOSE_COLUMNS = ["band", "places", "minutes", "before", "during", "control_before", "control_during"]


@dataclass(frozen=True)
class PatrolEvaluation:
    """Patrolled places against matched controls, in numbers and words.

    ``places``: :data:`PLACE_COLUMNS`, one row per patrolled place in the study
    area. ``matches``: ``cell, control, distance`` (scaled-feature distance).
    ``effect``: the engine's :class:`~geo.stats.evaluate.Effect` (treatment =
    patrolled, ring, control = matched; ``used`` = patrolled places evaluated,
    ``skipped`` = patrolled places outside the study area). ``trend``:
    ``month, window, patrolled, matched`` (matched scaled to as many places as
    were patrolled). ``dose``: :data:`DOSE_COLUMNS` plus ``change, low, high,
    words``. ``slopes``: patrolled and matched pre-period slope per place
    (incidents a month per month).
    """

    start: dt.date
    end: dt.date
    before_months: tuple[str, ...]
    during_months: tuple[str, ...]
    ring_k: int
    k: int
    places: pd.DataFrame
    matches: pd.DataFrame
    effect: Effect
    trend: pd.DataFrame
    slopes: tuple[float, float]
    dose: pd.DataFrame
    ring_cells: int
    control_cells: int
    visits: int
    minutes: float
    words: str
    trend_words: str
    wdq_words: str
    caveats: tuple[str, ...] = CAVEATS
    notes: tuple[str, ...] = field(default=())

    @property
    def delivered(self) -> bool:
        """Any visit delivered in the period (in the study area or not)."""
        return self.visits > 0

    @property
    def estimate(self) -> Estimate:
        return self.effect.estimate


def pre_features(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level (mean per month) and trend (least-squares slope) of each row of a ``(cells, months)`` array."""
    y = np.asarray(series, dtype=float)
    n = y.shape[1]
    t = np.arange(n, dtype=float) - (n - 1) / 2
    denom = float((t**2).sum())
    slope = (y * t).sum(axis=1) / denom if denom else np.zeros(len(y))
    return y.mean(axis=1), slope


def match_controls(
    treated: np.ndarray, t_features: np.ndarray, candidates: np.ndarray, c_features: np.ndarray, *, k: int
) -> pd.DataFrame:
    """``cell, control, distance``: greedy nearest pairs without replacement (the module docstring's rule).

    ``t_features``/``c_features`` are ``(n, 2)`` level and trend. Each feature is
    scaled by its population SD over treated and candidates together.
    """
    if k < 1:
        raise OptionError(f"k (controls per place) must be 1 or more, not {k}", option="k")
    empty = pd.DataFrame({"cell": np.zeros(0, np.uint64), "control": np.zeros(0, np.uint64), "distance": []})
    if not len(treated) or not len(candidates):
        return empty
    pool = np.vstack([t_features, c_features])
    sd = pool.std(axis=0)
    scale = np.where(sd > 0, sd, 1.0)
    tz, cz = t_features / scale, c_features / scale
    order_c = np.argsort(candidates, kind="stable")  # ties go to the lower candidate cell
    cands, cz = candidates[order_c], cz[order_c]
    keep = min(len(cands), k * len(treated))  # enough for every place, whoever takes the rest (docstring)
    rows_t, rows_c, dist = [], [], []
    for i in range(len(treated)):
        d = np.sqrt(((cz - tz[i]) ** 2).sum(axis=1))
        near = np.lexsort((np.arange(len(d)), d))[:keep]
        rows_t.append(np.full(keep, i))
        rows_c.append(near)
        dist.append(d[near])
    ti, ci, dd = np.concatenate(rows_t), np.concatenate(rows_c), np.concatenate(dist)
    order = np.lexsort((ci, treated[ti], dd))
    need = np.full(len(treated), k)
    used = np.zeros(len(cands), dtype=bool)
    out: list[tuple[int, int, float]] = []
    for j in order:  # at most k * places**2 pairs: a few thousand
        t, c = int(ti[j]), int(ci[j])
        if need[t] and not used[c]:
            need[t] -= 1
            used[c] = True
            out.append((t, c, float(dd[j])))
    if not out:
        return empty
    t_idx, c_idx, dists = (np.array(v) for v in zip(*out, strict=True))
    frame = pd.DataFrame({"cell": treated[t_idx].astype(np.uint64), "control": cands[c_idx], "distance": dists})
    return frame.sort_values(["cell", "distance", "control"], ignore_index=True)


def dose_band(minutes_per_week: np.ndarray) -> np.ndarray:
    """The :data:`DOSE_BANDS` label of each place's delivered minutes per week."""
    m = np.asarray(minutes_per_week, dtype=float)
    out = np.full(len(m), DOSE_BANDS[-1][0], dtype=object)
    for label, lo, hi in DOSE_BANDS:
        out[(m >= lo) & (m < hi)] = label
    return out


def _slope(series: np.ndarray) -> float:
    return float(pre_features(series.reshape(1, -1))[1][0]) if series.size >= 2 else math.nan


def evaluate_patrolled_cells(
    counts: pd.DataFrame,
    patrolled: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    before: Sequence[str],
    during: Sequence[str],
    cells: np.ndarray | None = None,
    ring_k: int = 1,
    k: int = DEFAULT_K,
) -> PatrolEvaluation:
    """The evaluation from plain frames (the module docstring defines every rule).

    Parameters
    ----------
    counts
        ASB per cell and month: ``cell, month, count`` (missing rows are 0).
    patrolled
        Delivered dose per cell: ``cell, visits, minutes`` (``place``, ``passes`` optional); rows with
        no visit are cells that got passes only.
    start, end
        The period's first and last day (the dose per week is over its days).
    before, during
        The before and during months (``YYYY-MM``).
    cells
        The study area's cells (default: the cells of ``counts``).
    ring_k, k
        The displacement ring in H3 steps, and controls per patrolled place.

    Raises
    ------
    OptionError
        A ring under 1 step, ``k`` under 1, or fewer than :data:`MIN_PRE_MONTHS` before months.
    """
    if ring_k < 1:
        raise OptionError(f"the ring must be at least 1 H3 step, not {ring_k}", option="ring_k")
    if k < 1:
        raise OptionError(f"k (controls per place) must be 1 or more, not {k}", option="k")
    if len(before) < MIN_PRE_MONTHS:
        raise OptionError(
            f"matching needs at least {MIN_PRE_MONTHS} months of incident data before the patrols, not {len(before)}",
            option="months",
        )
    before, during = list(before), list(during)
    area = np.unique(np.asarray(counts["cell"] if cells is None else cells, dtype=np.uint64))
    dose = patrolled.assign(cell=patrolled["cell"].astype(np.uint64))
    visits = pd.to_numeric(dose["visits"], errors="coerce").fillna(0).to_numpy(np.int64)
    minutes = pd.to_numeric(dose["minutes"], errors="coerce").fillna(0).to_numpy(float)
    visited = dose[visits > 0].groupby("cell", sort=True).agg(visits=("visits", "sum"), minutes=("minutes", "sum"))
    if "place" in dose:
        visited["place"] = dose[visits > 0].groupby("cell", sort=True)["place"].first().astype(str)
    else:
        visited["place"] = ""
    total_visits, total_minutes = int(visits[visits > 0].sum()), float(minutes[visits > 0].sum())
    days = (end - start).days + 1
    weeks = days / 7
    notes: list[str] = []

    treated_all = visited.index.to_numpy(np.uint64)
    in_area = np.isin(treated_all, area)
    treated = treated_all[in_area]
    if (~in_area).any():
        notes.append(
            f"{int((~in_area).sum())} patrolled place(s) lie outside the study area (the loaded wards and "
            "estates) and are not evaluated."
        )
    touched = np.unique(dose["cell"].to_numpy(np.uint64))
    universe = np.union1d(area, touched)
    w = cells_to_weights(universe, k=ring_k)
    rows = np.searchsorted(universe, treated)
    near = np.unique(universe[w[rows].indices]) if len(rows) else np.zeros(0, np.uint64)
    ring = np.setdiff1d(np.intersect1d(near, area), treated)
    candidates = np.setdiff1d(np.setdiff1d(area, touched), ring)

    months = [*before, *during]
    series = _series(counts, area, months)
    pos = np.searchsorted(area, treated)
    c_pos = np.searchsorted(area, candidates)
    r_pos = np.searchsorted(area, ring)
    nb = len(before)
    level, slope = pre_features(series[:, :nb])
    t_feat = np.column_stack([level[pos], slope[pos]])
    matches = match_controls(treated, t_feat, candidates, np.column_stack([level[c_pos], slope[c_pos]]), k=k)
    short = len(treated) - int((matches.groupby("cell").size().reindex(treated, fill_value=0) == k).sum())
    if len(treated) and short:
        notes.append(f"{short} patrolled place(s) got fewer than {k} matched controls: not enough unpatrolled cells.")
    ctrl_pos = np.searchsorted(area, matches["control"].to_numpy(np.uint64))

    def window(idx: np.ndarray) -> tuple[int, int]:
        return int(series[idx, :nb].sum()), int(series[idx, nb:].sum())

    a0, a1 = window(pos)
    b0, b1 = window(r_pos)
    c0, c1 = window(ctrl_pos)
    early_t, late_t = halves(series[pos, :nb].sum(axis=0))
    effect = Effect(len(treated), int((~in_area).sum()), a0, a1, b0, b1, c0, c1, early_t, late_t)
    per_place = matches.groupby("cell").size().reindex(treated, fill_value=0).to_numpy()
    mpw = visited.loc[treated, "minutes"].to_numpy(float) / weeks if len(treated) else np.zeros(0)
    places = pd.DataFrame(
        {
            "cell": treated,
            "place": visited.loc[treated, "place"].to_numpy(object) if len(treated) else [],
            "visits": visited.loc[treated, "visits"].to_numpy(np.int64) if len(treated) else [],
            "minutes": visited.loc[treated, "minutes"].to_numpy(float) if len(treated) else [],
            "minutes_per_week": mpw,
            "band": dose_band(mpw),
            "pre_mean": level[pos],
            "pre_slope": slope[pos],
            "before": series[pos, :nb].sum(axis=1),
            "during": series[pos, nb:].sum(axis=1),
            "controls": per_place,
        },
        columns=PLACE_COLUMNS,
    )
    n_t, n_c = len(treated), len(ctrl_pos)
    patrolled_m = series[pos].sum(axis=0)
    matched_m = series[ctrl_pos].sum(axis=0) * (n_t / n_c) if n_c else np.full(len(months), np.nan)
    trend = pd.DataFrame(
        {
            "month": months,
            "window": ["before"] * nb + ["during"] * len(during),
            "patrolled": patrolled_m.astype(float),
            "matched": matched_m.astype(float),
        }
    )
    slopes = (
        _slope(patrolled_m[:nb]) / n_t if n_t else math.nan,
        _slope(matched_m[:nb]) / n_t if n_t and n_c else math.nan,
    )
    band_rows = _dose_rows(places, matches, area, series, nb)
    if not total_visits:
        words = f"{NO_PATROLS} ({start.isoformat()} to {end.isoformat()})."
    elif not n_t:
        words = "Patrols were delivered, but none in the study area, so there is nothing to compare."
    else:
        words = (
            f"{n_t} patrolled place{'' if n_t == 1 else 's'} against {n_c} matched place{'' if n_c == 1 else 's'}: "
            f"{a0} ASB incidents in the {nb} months before and {a1} during the patrols "
            f"({len(during)} month{'' if len(during) == 1 else 's'}); matched places {c0} and {c1}. "
            f"{_cap(change_words(effect.estimate, enough=effect.enough))}."
        )
    return PatrolEvaluation(
        start=start,
        end=end,
        before_months=tuple(before),
        during_months=tuple(during),
        ring_k=ring_k,
        k=k,
        places=places,
        matches=matches,
        effect=effect,
        trend=trend,
        slopes=slopes,
        dose=band_rows,
        ring_cells=len(ring),
        control_cells=n_c,
        visits=total_visits,
        minutes=total_minutes,
        words=words,
        trend_words=trend_words(
            slopes, months=nb, patrolled=(early_t, late_t), matched=halves(series[ctrl_pos, :nb].sum(axis=0))
        )
        if n_t
        else "",
        wdq_words=effect.wdq_words.replace("the control", "the matched places") if n_t else "",
        notes=tuple(notes),
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _series(counts: pd.DataFrame, area: np.ndarray, months: list[str]) -> np.ndarray:
    """``(cells, months)`` counts in ``area``'s and ``months``' order (0 where no row)."""
    out = np.zeros((len(area), len(months)), dtype=np.int64)
    if not len(counts) or not len(area) or not months:
        return out
    cell = counts["cell"].to_numpy(np.uint64)
    row = np.minimum(np.searchsorted(area, cell), len(area) - 1)
    col = pd.Index(months).get_indexer(counts["month"].astype(str))
    ok = (area[row] == cell) & (col >= 0)
    np.add.at(out, (row[ok], col[ok]), counts["count"].to_numpy(np.int64)[ok])
    return out


def _dose_rows(
    places: pd.DataFrame, matches: pd.DataFrame, area: np.ndarray, series: np.ndarray, nb: int
) -> pd.DataFrame:
    """One row per dose band with places: its counts, its own controls' counts, the change and its words."""
    out = []
    for label, _lo, _hi in DOSE_BANDS:
        mine = places[places["band"] == label]
        if mine.empty:
            continue
        ctrl = matches.loc[matches["cell"].isin(mine["cell"]), "control"].to_numpy(np.uint64)
        cp = np.searchsorted(area, ctrl)
        c0, c1 = int(series[cp, :nb].sum()), int(series[cp, nb:].sum())
        a0, a1 = int(mine["before"].sum()), int(mine["during"].sum())
        est = Effect(len(mine), 0, a0, a1, 0, 0, c0, c1).estimate
        out.append(
            {
                "band": label,
                "places": len(mine),
                "minutes": float(mine["minutes"].sum()),
                "before": a0,
                "during": a1,
                "control_before": c0,
                "control_during": c1,
                "change": est.change,
                "low": est.low,
                "high": est.high,
                "words": change_words(est, enough=measurable(a0, a1, c0, c1)),
            }
        )
    return pd.DataFrame(out, columns=[*DOSE_COLUMNS, "change", "low", "high", "words"])


def halves(series: np.ndarray) -> tuple[int, int]:
    """The before window's first and last ``n // 2`` months summed (an odd middle month is in neither)."""
    h = len(series) // 2
    return int(series[:h].sum()), int(series[len(series) - h :].sum())


def trend_words(
    slopes: tuple[float, float], *, months: int, patrolled: tuple[int, int], matched: tuple[int, int]
) -> str:
    """The regression-to-the-mean check in words: each side's slope per place, and the engine's peak rule.

    ``patrolled``/``matched`` are (earlier half, later half) of the before
    window (:func:`halves`); a side was **at a peak** when the later half is
    clearly above the earlier (:func:`geo.stats.evaluate.at_peak`).
    """
    if not all(np.isfinite(slopes)):
        return "No matched places, so the earlier trend cannot be compared."

    def way(s: float) -> str:
        if abs(s) < 0.005:
            return "flat"
        return f"{'rising' if s > 0 else 'falling'} by about {abs(s):.2f} incidents a month, per place, each month"

    head = (
        f"In the {months} months before the patrols, ASB in the patrolled places was {way(slopes[0])}; "
        f"in the matched places {way(slopes[1])}."
    )
    peak_t, peak_m = at_peak(*patrolled), at_peak(*matched)
    if peak_t is None:
        return f"{head} Too few incidents to tell whether the patrolled places were at a peak."
    if not peak_t:
        return f"{head} No sign that the patrolled places were at a peak before the patrols."
    if peak_m:
        return (
            f"{head} The patrolled places were at a peak before the patrols, and so were their matches: "
            "the comparison allows for regression to the mean."
        )
    return (
        f"{head} The patrolled places were at a peak before the patrols and their matches were not: part of "
        "any fall during the patrols may be regression to the mean."
    )
