"""Did ASB fall where the partnership acted, more than it fell anyway? One engine for every intervention.

Closure orders, warrants, patrol areas: anything with a place and a date. The
Outcomes page, the report pack and ``python -m geo evaluate`` all call
:func:`evaluate`, and the published figures recompute their change and its
interval from shown counts with the same :func:`relative_change` and :func:`wdq`.

Places (distances in British National Grid metres, ``d`` = an incident's
distance to an intervention)

* **treatment area**: the union of the buffers ``d <= radius`` around every
  intervention given (a point exactly on the radius is inside);
* **displacement ring**: ``radius < d <= ring`` from some intervention, minus
  the treatment area (a point exactly on the ring's outer edge is in the ring);
* **control**: the rest of the study area (the union of the loaded wards and
  estates), outside the treatment area and the ring. With no study area every
  incident outside both is control, and the evaluation says so in a note.

Every incident lies in at most one of the three, so none is counted twice
across them; each zone is fixed by *every* intervention given, the skipped
ones too (a place that was acted on is never a control).

Windows: an intervention in month ``g`` has a *before* window of the ``N``
whole months ``g-N .. g-1`` and an *after* window ``g+1 .. g+N``; the month
itself is neither. An intervention is **skipped** (and counted in
``interventions_skipped``) when either window reaches outside the incident
data's span (the first and last stored month), so every included one has
whole windows.

Distinct counting with several interventions (only included ones count):

* *treatment before*: incidents within ``radius`` of some included
  intervention and in that same intervention's before window; *after* likewise.
  An incident inside two overlapping buffers is one incident.
* *ring before/after*: incidents in the ring (so outside every buffer) within
  ``ring`` of some included intervention and in that intervention's window.
* *control before/after*: control incidents whose month lies in the union of
  the included interventions' before (after) windows.
* When one intervention's before window overlaps another's after window (two
  orders a few months apart on the same street), an incident in both counts
  once in *before* and once in *after*: it is a "before" for the later order
  and an "after" for the earlier one. The control's unions overlap the same way.

Per-intervention rows count that intervention's own buffer, its own ring band
(still minus the whole treatment area) and the control in its own windows.

Statistics

* Relative change (Farrington & Welsh 2005): with treatment ``A``, control
  ``C``, before ``0`` and after ``1``, ``OR = (A0*C1)/(A1*C0)`` and
  ``relative_change = 1/OR - 1`` (negative: ASB fell more in the treatment
  area than in the control). 95 % interval from ``Var(ln OR) = 1/A0 + 1/A1 +
  1/C0 + 1/C1``. This treats counts as Poisson: it does **not** allow for
  overdispersion (month-to-month swings larger than chance), so the interval is
  if anything too narrow. NaN when any of the four counts is 0.
* Words: "too few incidents to say" when the treatment area holds fewer than
  :data:`MIN_TREATMENT` incidents over both windows, either control window
  fewer than :data:`MIN_CONTROL`, or a count is 0; "cannot tell this apart
  from no change" when the interval spans 0; otherwise the change and its interval.
* Weighted Displacement Quotient (Bowers & Johnson 2003): ``SM = A1/C1 -
  A0/C0``, ``BD = B1/C1 - B0/C0`` (ring ``B``), ``WDQ = BD/SM``; NaN when SM is
  0 or a count is 0. It is only read when the treatment area measurably
  improved (enough incidents, and the change's whole interval below 0) and the
  ring's own change against the control (the same odds-ratio interval on ``B``
  and ``C``) leaves out 0; then ``WDQ > 0`` is a diffusion of benefit,
  ``WDQ < 0`` displacement, and ``|WDQ| > 1`` means the ring's change
  outweighs the treatment area's. Otherwise the words say which of those failed.
* Regression to the mean: interventions are sited where ASB peaked. The
  *earlier* window ``g-2N .. g-N-1`` (the N months before the before window)
  is counted in the treatment area for the included interventions whose
  earlier window is in the data, with the before window for the same ones.
  They were **sited at a peak** when the before count is clearly above the
  earlier one: ``(before - earlier) / sqrt(before + earlier) > 1.96`` (the
  difference of two Poisson counts beyond twice its standard error).
  A matched comparison (cells with a similar pre-period level and trend away
  from any intervention) is not made yet; the note says to read the change with that in mind.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.core.errors import OptionError
from geo.core.schema import BNG, WGS84

#: Fewest incidents in the treatment area (before and after together) for the change to be put in words.
MIN_TREATMENT = 20
#: Fewest control incidents in each window for the change to be put in words.
MIN_CONTROL = 10
#: Two-sided 95 % normal quantile: the interval and the peak rule.
Z95 = 1.959963984540054
#: The counts every evaluation reports, in the order ``--json`` and the CSV give them.
COUNT_FIELDS = (
    "treatment_before",
    "treatment_after",
    "ring_before",
    "ring_after",
    "control_before",
    "control_after",
)
#: Exactly the keys ``python -m geo evaluate --json`` prints.
SUMMARY_FIELDS = (
    "interventions_used",
    "interventions_skipped",
    *COUNT_FIELDS,
    "relative_change",
    "ci_low",
    "ci_high",
    "wdq",
)
TOO_FEW = "too few incidents to say"
CANNOT_TELL = "cannot tell this apart from no change"
NO_STUDY_AREA = (
    "No ward or estate boundaries are loaded, so the control is every stored incident "
    "outside the treatment area and the ring, not a study area."
)
NO_MATCHED = (
    "No matched comparison (places with a similar earlier level and trend) is made: "
    "read the change with regression to the mean in mind."
)


@dataclass(frozen=True)
class Estimate:
    """A relative change and its 95 % interval (NaN where the counts cannot give one)."""

    change: float
    low: float
    high: float


def relative_change(a0: float, a1: float, c0: float, c1: float) -> Estimate:
    """``1/OR - 1`` with ``OR = (A0*C1)/(A1*C0)`` and its 95 % interval (Farrington & Welsh 2005).

    Takes floats so that published (rounded, possibly NaN) counts go through
    the same arithmetic as exact ones. NaN when a count is 0 or unknown.
    """
    values = np.array([a0, a1, c0, c1], dtype=float)
    if not (np.isfinite(values).all() and (values > 0).all()):
        return Estimate(math.nan, math.nan, math.nan)
    log_or = math.log((a0 * c1) / (a1 * c0))
    se = math.sqrt(float((1 / values).sum()))
    # 1/OR - 1 is decreasing in OR: the low end of the change comes from the high end of ln OR
    return Estimate(math.exp(-log_or) - 1, math.exp(-log_or - Z95 * se) - 1, math.exp(-log_or + Z95 * se) - 1)


def wdq(*, a0: float, a1: float, b0: float, b1: float, c0: float, c1: float) -> float:
    """Weighted Displacement Quotient ``BD / SM`` (Bowers & Johnson 2003); NaN when SM is 0 or a count is 0."""
    values = np.array([a0, a1, b0, b1, c0, c1], dtype=float)
    if not (np.isfinite(values).all() and (values > 0).all()):
        return math.nan
    sm = a1 / c1 - a0 / c0
    if sm == 0:
        return math.nan
    return (b1 / c1 - b0 / c0) / sm


def measurable(a0: float, a1: float, c0: float, c1: float) -> bool:
    """Enough incidents to put the change in words (:data:`MIN_TREATMENT`, :data:`MIN_CONTROL`, no zero)."""
    values = np.array([a0, a1, c0, c1], dtype=float)
    if not (np.isfinite(values).all() and (values > 0).all()):
        return False
    return a0 + a1 >= MIN_TREATMENT and min(c0, c1) >= MIN_CONTROL


def percent(x: float) -> str:
    """``-38%``; below one per cent with a decimal (``+0.5%``), so a small change never prints as ``+0%``."""
    return f"{x:+.1%}" if abs(x) < 0.01 else f"{x:+.0%}"


def spans_zero(estimate: Estimate) -> bool:
    """The interval holds 0 (an end exactly at 0 counts): the data cannot tell the change from none."""
    return bool(estimate.low <= 0 <= estimate.high)


def change_words(estimate: Estimate, *, enough: bool) -> str:
    """The relative change in words: too few, cannot tell, or the change and its interval."""
    if not enough or not np.isfinite(estimate.change):
        return TOO_FEW
    interval = f"95 % interval {percent(estimate.low)} to {percent(estimate.high)}"
    if spans_zero(estimate):
        return f"{CANNOT_TELL} ({percent(estimate.change)}, {interval})"
    fell = "fell" if estimate.change < 0 else "rose"
    return f"ASB {fell} {abs(estimate.change):.0%} relative to the control ({interval})"


def wdq_words(value: float, estimate: Estimate, ring: Estimate, *, enough: bool) -> str:
    """What the Weighted Displacement Quotient says, only when the treatment area measurably improved.

    ``ring`` is the ring's own change against the control (:func:`relative_change`
    of the ring's counts): a WDQ is read as displacement or diffusion only when
    that interval leaves out 0, so a ring that changed as the control did is
    never called either, however the quotient's sign falls.
    """
    improved = enough and np.isfinite(estimate.high) and estimate.high < 0
    if not improved or not np.isfinite(value):
        return "no measurable effect in the treatment area, so displacement cannot be judged"
    if not np.isfinite(ring.change):
        return f"too few incidents in the ring to judge displacement (WDQ {value:.2f})"
    if spans_zero(ring):
        return (
            f"no measurable displacement or diffusion of benefit: the ring changed as the control did (WDQ {value:.2f})"
        )
    if value > 0:
        more = "; the ring improved more than the treatment area itself" if value > 1 else ""
        return f"diffusion of benefit: ASB also fell in the surrounding ring (WDQ {value:.2f}){more}"
    more = "; the rise in the ring outweighs the fall in the treatment area" if value < -1 else ""
    return f"displacement: ASB rose in the surrounding ring (WDQ {value:.2f}){more}"


def at_peak(earlier: float, before: float) -> bool | None:
    """Were the interventions sited at a peak? None when the counts are unknown (or both 0)."""
    if not (np.isfinite(earlier) and np.isfinite(before)) or earlier + before <= 0:
        return None
    return bool((before - earlier) / math.sqrt(before + earlier) > Z95)


def peak_words(earlier: float, before: float, *, months: int, earlier_text: str, before_text: str) -> str:
    """The regression-to-the-mean note: the earlier level against the before window, and what it means."""
    peak = at_peak(earlier, before)
    seen = (
        f"Near the interventions: {before_text} incidents in the {months} months before them, "
        f"{earlier_text} in the {months} months before that."
    )
    if peak is None:
        return f"{seen} Too few to tell whether the interventions were sited at a peak."
    if peak:
        return (
            f"{seen} The interventions were sited at a peak: part of any fall after them would have "
            "happened anyway (regression to the mean)."
        )
    return f"{seen} No sign that the interventions were sited at a peak."


@dataclass(frozen=True)
class Effect:
    """The combined evaluation as plain numbers (no refs, dates or places), exact or published.

    ``earlier``/``earlier_before``: the treatment area's counts in the earlier
    window and in the before window, for the included interventions whose
    earlier window is in the data (None when none is).
    """

    used: int
    skipped: int
    treatment_before: float
    treatment_after: float
    ring_before: float
    ring_after: float
    control_before: float
    control_after: float
    earlier: float | None = None
    earlier_before: float | None = None

    @property
    def estimate(self) -> Estimate:
        return relative_change(self.treatment_before, self.treatment_after, self.control_before, self.control_after)

    @property
    def enough(self) -> bool:
        return measurable(self.treatment_before, self.treatment_after, self.control_before, self.control_after)

    @property
    def wdq(self) -> float:
        return wdq(
            a0=self.treatment_before,
            a1=self.treatment_after,
            b0=self.ring_before,
            b1=self.ring_after,
            c0=self.control_before,
            c1=self.control_after,
        )

    @property
    def ring(self) -> Estimate:
        """The ring's own change against the control, which decides whether the WDQ is read at all."""
        return relative_change(self.ring_before, self.ring_after, self.control_before, self.control_after)

    @property
    def wdq_words(self) -> str:
        return wdq_words(self.wdq, self.estimate, self.ring, enough=self.enough)

    @property
    def peak(self) -> bool | None:
        if self.earlier is None or self.earlier_before is None:
            return None
        return at_peak(self.earlier, self.earlier_before)

    def summary(self) -> dict[str, float | int | None]:
        """Exactly :data:`SUMMARY_FIELDS`; counts as ints where known, NaN as None (JSON null)."""
        e = self.estimate
        values: dict[str, float | int | None] = {"interventions_used": self.used, "interventions_skipped": self.skipped}
        for name in COUNT_FIELDS:
            v = float(getattr(self, name))
            values[name] = int(v) if np.isfinite(v) else None
        for name, v in (("relative_change", e.change), ("ci_low", e.low), ("ci_high", e.high), ("wdq", self.wdq)):
            values[name] = float(v) if np.isfinite(v) else None
        return values


@dataclass(frozen=True)
class Evaluation:
    """One evaluation: per-intervention rows, the combined :class:`Effect`, the options and notes.

    ``interventions`` has ``ref, date, month, included, skip_reason``, the
    :data:`COUNT_FIELDS` (NA for a skipped intervention: its windows are not
    whole), ``relative_change, ci_low, ci_high, wdq``.
    """

    interventions: pd.DataFrame
    effect: Effect
    radius_m: float
    ring_m: float
    months: int
    span: tuple[str, str] | None
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, float | int | None]:
        return self.effect.summary()

    def sentence(self) -> str:
        """The result in words, for a terminal or a report."""
        e = self.effect
        if not e.used:
            return (
                f"No intervention has {self.months} whole months of incident data before and after it "
                f"({e.skipped} skipped)."
            )
        words = change_words(e.estimate, enough=e.enough)
        return (
            f"{e.used} intervention{'' if e.used == 1 else 's'} ({e.skipped} skipped): within {self.radius_m:g} m, "
            f"{int(e.treatment_before)} incidents before and {int(e.treatment_after)} after; in the "
            f"{self.radius_m:g}-{self.ring_m:g} m ring {int(e.ring_before)} and {int(e.ring_after)}; "
            f"in the control {int(e.control_before)} and {int(e.control_after)}. {words[0].upper()}{words[1:]}. "
            f"Displacement: {e.wdq_words}."
        )


def check_options(*, radius_m: float, ring_m: float, months: int) -> None:
    """Refuse a geometry or window that cannot mean anything.

    Raises
    ------
    OptionError
        Unless ``0 < radius_m < ring_m`` (finite) and ``months >= 1``.
    """
    if not (math.isfinite(radius_m) and radius_m > 0):
        raise OptionError(f"the radius must be more than 0 metres, not {radius_m:g}", option="radius")
    if not (math.isfinite(ring_m) and ring_m > radius_m):
        raise OptionError(f"the ring ({ring_m:g} m) must reach further than the radius ({radius_m:g} m)", option="ring")
    if months < 1:
        raise OptionError(f"the window must be at least 1 month, not {months}", option="months")


def month_number(months: pd.Series | np.ndarray | list[str]) -> np.ndarray:
    """``YYYY-MM`` (or a longer date) as a running month number ``year * 12 + month - 1`` (-1 when not a month)."""
    s = pd.Series(months, dtype="object").astype(str)
    if not len(s):
        return np.zeros(0, dtype=np.int64)
    year = pd.to_numeric(s.str.slice(0, 4), errors="coerce").to_numpy(float)
    month = pd.to_numeric(s.str.slice(5, 7), errors="coerce").to_numpy(float)
    number = year * 12 + month - 1
    ok = np.isfinite(number) & (month >= 1) & (month <= 12)
    return np.where(ok, number, -1).astype(np.int64)


_LOCAL = threading.local()


def _to_bng() -> Transformer:
    """WGS84 to British National Grid, made once per thread: making one costs ~0.2 s, and one is not shared
    between threads (Streamlit runs each session in its own)."""
    tr = getattr(_LOCAL, "to_bng", None)
    if tr is None:
        tr = _LOCAL.to_bng = Transformer.from_crs(WGS84, BNG, always_xy=True)
    return tr


def to_metres(frame: pd.DataFrame) -> np.ndarray:
    """``(n, 2)`` British National Grid metres: ``x, y`` when the frame has them, else from ``lat, lng``."""
    if {"x", "y"} <= set(frame.columns):
        return np.column_stack([frame["x"].to_numpy(float), frame["y"].to_numpy(float)])
    tr = _to_bng()
    x, y = tr.transform(frame["lng"].to_numpy(float), frame["lat"].to_numpy(float))
    return np.column_stack([np.asarray(x, float), np.asarray(y, float)])


def near_counts(incidents: pd.DataFrame, places: pd.DataFrame, *, radius_m: float) -> np.ndarray:
    """How many incidents lie within ``radius_m`` (``<=``) of each place: the engine's own distance rule."""
    if not len(places):
        return np.zeros(0, dtype=np.int64)
    pts = to_metres(incidents)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        return np.zeros(len(places), dtype=np.int64)
    pairs = cKDTree(pts).sparse_distance_matrix(cKDTree(to_metres(places)), radius_m, output_type="ndarray")
    return np.bincount(pairs["j"], minlength=len(places)).astype(np.int64)


def evaluate(
    incidents: pd.DataFrame,
    interventions: pd.DataFrame,
    *,
    span: tuple[str, str] | None,
    study_area: shapely.Geometry | None = None,
    radius_m: float = 200.0,
    ring_m: float = 400.0,
    months: int = 6,
) -> Evaluation:
    """Evaluate interventions against the incidents around them, as the module docstring defines.

    Parameters
    ----------
    incidents
        The incidents that count (already filtered to the categories asked
        for): ``month`` (``YYYY-MM``) and ``lat, lng`` (WGS84) or ``x, y`` (BNG metres).
    interventions
        ``ref, date`` (``YYYY-MM-DD`` or ``YYYY-MM``) and the same coordinates.
    span
        First and last month of the incident data (``store.months()``, cut at a
        report's end): windows outside it skip their intervention. None: no data.
    study_area
        WGS84 outline of the study area; None counts every incident as inside (noted).
    radius_m, ring_m, months
        Buffer, outer edge of the ring, and window length either side.

    Raises
    ------
    OptionError
        From :func:`check_options`.
    """
    check_options(radius_m=radius_m, ring_m=ring_m, months=months)
    n_months = months
    inc = incidents[np.isfinite(to_metres(incidents)).all(axis=1)].reset_index(drop=True)
    pts, m = to_metres(inc), month_number(inc["month"])
    where = to_metres(interventions)
    placed = np.isfinite(where).all(axis=1)
    g = month_number(interventions["date"].astype(str).str.slice(0, 7))
    first, last = (int(v) for v in month_number(list(span))) if span else (0, -1)
    reason = np.where(~placed | (g < 0), "no place or date", "")
    reason = np.where(
        (reason == "") & ((g - n_months < first) | (g + n_months > last)), "window outside the data", reason
    )
    inside = np.ones(len(inc), dtype=bool)
    notes: list[str] = []
    if study_area is None:
        notes.append(NO_STUDY_AREA)
    elif len(inc):
        shapely.prepare(study_area)
        if {"lat", "lng"} <= set(inc.columns):
            inside = shapely.intersects_xy(study_area, inc["lng"].to_numpy(float), inc["lat"].to_numpy(float))
        else:
            inside = _in_bng_area(study_area, pts)
    included = reason == ""

    k = len(interventions)
    pi, pj, pd_ = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if len(inc) and placed.any():
        ids = np.flatnonzero(placed)
        pairs = cKDTree(pts).sparse_distance_matrix(cKDTree(where[ids]), ring_m, output_type="ndarray")
        pi, pj, pd_ = pairs["i"].astype(np.int64), ids[pairs["j"]], pairs["v"]
    in_buffer = pd_ <= radius_m
    treated = np.zeros(len(inc), dtype=bool)
    treated[pi[in_buffer]] = True
    near = np.zeros(len(inc), dtype=bool)
    near[pi] = True
    control = inside & ~near
    pair_ring = ~in_buffer & ~treated[pi]
    gj, mi = g[pj], m[pi]
    windows = {
        "before": (mi >= gj - n_months) & (mi < gj),
        "after": (mi > gj) & (mi <= gj + n_months),
        "earlier": (mi >= gj - 2 * n_months) & (mi < gj - n_months),
    }
    use = included[pj]
    known = included & (g - 2 * n_months >= first)

    def distinct(mask: np.ndarray) -> int:
        return int(np.unique(pi[mask]).size)

    def per(mask: np.ndarray) -> np.ndarray:
        return np.bincount(pj[mask], minlength=k).astype(np.int64)

    control_by_month = pd.Series(m[control]).value_counts()

    def control_in(lo: np.ndarray, hi: np.ndarray) -> int:
        """Control incidents in the union of the month ranges ``lo..hi``."""
        wanted = {int(x) for a, b in zip(lo, hi, strict=True) for x in range(a, b + 1)}
        return int(sum(int(control_by_month.get(x, 0)) for x in wanted))

    gi = g[included]
    effect = Effect(
        used=int(included.sum()),
        skipped=int((~included).sum()),
        treatment_before=distinct(use & in_buffer & windows["before"]),
        treatment_after=distinct(use & in_buffer & windows["after"]),
        ring_before=distinct(use & pair_ring & windows["before"]),
        ring_after=distinct(use & pair_ring & windows["after"]),
        control_before=control_in(gi - n_months, gi - 1),
        control_after=control_in(gi + 1, gi + n_months),
        earlier=distinct(known[pj] & in_buffer & windows["earlier"]) if known.any() else None,
        earlier_before=distinct(known[pj] & in_buffer & windows["before"]) if known.any() else None,
    )
    own = {
        "treatment_before": per(in_buffer & windows["before"]),
        "treatment_after": per(in_buffer & windows["after"]),
        "ring_before": per(pair_ring & windows["before"]),
        "ring_after": per(pair_ring & windows["after"]),
        "control_before": np.array([control_in(np.array([v - n_months]), np.array([v - 1])) for v in g], np.int64),
        "control_after": np.array([control_in(np.array([v + 1]), np.array([v + n_months])) for v in g], np.int64),
    }
    table = _per_intervention(interventions, reason, own)
    if effect.used:
        notes.append(NO_MATCHED)
    return Evaluation(
        interventions=table,
        effect=effect,
        radius_m=float(radius_m),
        ring_m=float(ring_m),
        months=n_months,
        span=span,
        notes=tuple(notes),
    )


def _in_bng_area(area: shapely.Geometry, pts: np.ndarray) -> np.ndarray:
    """Points given in metres against a WGS84 outline: the outline goes to metres, once."""
    tr = _to_bng()
    metric = shapely.transform(area, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    shapely.prepare(metric)
    return np.asarray(shapely.intersects_xy(metric, pts[:, 0], pts[:, 1]), dtype=bool)


def _per_intervention(interventions: pd.DataFrame, reason: np.ndarray, own: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per intervention with its own counts and statistics; NA where skipped (its windows are not whole)."""
    included = reason == ""
    refs = interventions["ref"] if "ref" in interventions else pd.Series(range(1, len(reason) + 1))
    table = pd.DataFrame(
        {
            "ref": refs.astype(str).to_numpy(),
            "date": interventions["date"].astype(str).to_numpy(),
            "included": included,
            "skip_reason": reason.astype(str),
        }
    )
    for name in COUNT_FIELDS:
        table[name] = pd.array(np.where(included, own[name], 0), dtype="Int64")
        table.loc[~included, name] = pd.NA
    effects = [
        Effect(1, 0, *(float(own[c][r]) for c in COUNT_FIELDS)) if included[r] else None for r in range(len(reason))
    ]
    for name, attr in (("relative_change", "change"), ("ci_low", "low"), ("ci_high", "high")):
        table[name] = [getattr(e.estimate, attr) if e else math.nan for e in effects]
    table["wdq"] = [e.wdq if e else math.nan for e in effects]
    return table
