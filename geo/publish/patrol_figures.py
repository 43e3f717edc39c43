"""Patrol minutes delivered and the patrol evaluation, as they may leave the operational team.

The Outcomes page, the report pack and the slides print what :func:`patrol_lines`
and :func:`patrol_row` say about a :class:`PublishedPatrols`, made once here by
:func:`publish_patrols`, so the three always say the same thing.

* **Patrol minutes delivered** is the sum of the ``minutes`` column of
  :func:`geo.plan.dosage.dosage_for` (visits only, unit-minutes) for the
  period's days, at the places in the area (a place counts in a ward or estate
  when its hexagon's centre lies inside, the study area's rule; the whole town is
  every place inside any ward or estate, or every place when none are loaded).
  It is not a count of people, but it still goes through this layer: it is
  **rounded to the nearest 10 minutes** (stays are timed from pings a minute or
  so apart, so single minutes are false precision), marked ≈, and a total
  under 5 minutes reads "under 10 minutes", never "none". The previous
  period's is shown when patrol pings reach back before the previous period
  starts (earlier there was no log, which is not the same as no patrol); a
  period that ends before the first ping has no patrol figures at all.
* **The patrol evaluation** (:func:`geo.plan.patrol_evaluation.evaluate_patrols`
  over the days from the first to the last visit in the period) is published
  only over :func:`min_places` patrolled places or more (default 5,
  ``NESTWATCH_MIN_PATROL_PLACES``), so that no one place's street can be read
  from it. Each count (patrolled, ring and matched places, before and during,
  and the halves of the before window) is perturbed once by the release's
  table (:func:`geo.publish._ptable.perturb`) with a cell key derived from the
  store's release secret and what the count is of (the field, the days, the
  resolution and the patrolled cells; never the area asked about, since the
  evaluation is the whole town's and an area's page says so), so asking again,
  for any area, gives the same noise; then
  "fewer than N" and rounding (:mod:`geo.publish.privacy`). The change, its
  interval, the WDQ and the peak check are the engine's functions on the
  *shown* counts. A dose band is published only over as many places.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.core.errors import OptionError
from geo.plan.analysis import load_area
from geo.plan.dosage import dosage_for
from geo.plan.patrol_evaluation import CAVEATS, DOSE_BANDS, PatrolEvaluation, evaluate_patrols
from geo.publish import privacy
from geo.publish._ptable import perturb
from geo.publish.areas import NO_COMPARISON, change_to_text
from geo.space.stays import stay_days
from geo.stats.evaluate import Effect, at_peak, spans_zero
from geo.store import Store

#: Minutes are shown rounded to a multiple of this.
MINUTES_STEP = 10
#: The row label the report's headline table and the page's metric use.
MINUTES_LABEL = "Patrol minutes delivered"
#: The default of :func:`min_places`.
MIN_PLACES = 5


def min_places() -> int:
    """Fewest patrolled places a published evaluation is made over (``NESTWATCH_MIN_PATROL_PLACES``, default 5)."""
    return privacy.setting_number("NESTWATCH_MIN_PATROL_PLACES", default=MIN_PLACES, minimum=2)


@dataclass(frozen=True)
class PublishedPatrols:
    """Patrol minutes and the patrol evaluation from shown values only (see the module docstring).

    ``minutes``/``previous`` are shown values (NaN: under the step, or unknown);
    ``evaluation`` is the sentence about the evaluation; ``lines`` its further
    lines (displacement, the pre-period trend, dose bands, caveats).
    """

    minutes: float
    previous: float
    minutes_text: str
    previous_text: str
    change_text: str
    places_text: str
    evaluation: str
    lines: tuple[str, ...]
    shown: Effect | None = None


def minutes_text(minutes: float | None) -> tuple[float, str]:
    """Minutes as shown: rounded half up to :data:`MINUTES_STEP`, marked ≈; ``"none"``; ``"under 10 minutes"``."""
    if minutes is None or not np.isfinite(minutes):
        return float("nan"), "no patrol log"
    shown = float(np.floor(minutes / MINUTES_STEP + 0.5) * MINUTES_STEP)
    if minutes <= 0:
        return 0.0, "none"
    if shown == 0:
        return float("nan"), f"under {MINUTES_STEP} minutes"
    return shown, f"{privacy.APPROX}{int(shown):,} minutes"


def _key(secret: bytes, *parts: object) -> int:
    text = "|".join(str(p) for p in parts).encode()
    return hashlib.blake2b(text, key=secret[:64], digest_size=8, person=b"nw-patrol-eval").digest()[0]


def _in_area(store: Store, cells: np.ndarray, area: str | None, *, res: int) -> np.ndarray:
    """Which places count in the area (a hexagon's centre inside it); with no boundaries every place is the town."""
    study = load_area(store, res=res)
    if not len(study):
        return np.ones(len(cells), dtype=bool)
    pos = study.index_of(cells.astype(np.uint64))
    ward = np.where(pos >= 0, study.ward[np.maximum(pos, 0)], "")
    estate = np.where(pos >= 0, study.estate[np.maximum(pos, 0)], "")
    if area is None:
        return (pos >= 0) & ((ward != "") | (estate != ""))
    return (ward == area) | (estate == area)


def publish_patrols(
    store: Store, *, start: str, end: str, previous: tuple[str, str], area: str | None, res: int = 9
) -> PublishedPatrols | None:
    """The published patrol figures for months ``start``..``end``.

    None when the patrol log starts after ``end`` (or no ping is stored): a
    period before the log has no patrol figures, rather than "none".
    """
    from geo.store.patrols import first_ping_day

    log_from = first_ping_day(store)
    first, last = _first_day(start), _last_day(end)
    if log_from is None or log_from > last:  # no patrol log yet in this period: nothing to say, not "none"
        return None
    try:
        now = dosage_for(store, start=first, end=last, res=res)
    except OptionError as exc:  # e.g. a plan saved at another resolution: say so, do not break the report
        return PublishedPatrols(
            np.nan, np.nan, "not shown", "not shown", NO_COMPARISON, "not shown", f"Patrol figures: {exc}", ()
        )
    inside = _in_area(store, pd.to_numeric(now.table["cell"]).to_numpy(np.int64), area, res=res)
    minutes = float(pd.to_numeric(now.table["minutes"], errors="coerce").fillna(0).to_numpy(float)[inside].sum())
    known = log_from < _first_day(previous[0])
    before: float | None = None
    if known:
        prev = dosage_for(store, start=_first_day(previous[0]), end=_last_day(previous[1]), res=res)
        prev_in = _in_area(store, pd.to_numeric(prev.table["cell"]).to_numpy(np.int64), area, res=res)
        before = float(pd.to_numeric(prev.table["minutes"], errors="coerce").fillna(0).to_numpy(float)[prev_in].sum())
    shown, text = minutes_text(minutes)
    shown_b, text_b = minutes_text(before) if known else (float("nan"), "no patrol log")
    change = float(privacy.safe_change([shown], [shown_b])[0])
    change_text = change_to_text(change, shown, shown_b, compared=known)
    visited = now.table[(pd.to_numeric(now.table["visits"], errors="coerce").fillna(0) > 0).to_numpy() & inside]
    n_places = len(visited)
    places_text = privacy.suppress_labels([n_places])[0]
    if not n_places:
        return PublishedPatrols(
            shown, shown_b, text, text_b, change_text, "none", "No patrols delivered in this period.", ()
        )
    stays = now.stays[now.stays["visit"].to_numpy(bool)]
    days = stay_days(stays)
    a, b = pd.Timestamp(days.min()).date(), pd.Timestamp(days.max()).date()
    ev = evaluate_patrols(store, start=a, end=b, res=res)
    evaluation, lines, effect = _publish_evaluation(store, ev, area=area, days=(a, b), res=res)
    return PublishedPatrols(shown, shown_b, text, text_b, change_text, places_text, evaluation, lines, effect)


def _first_day(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def _last_day(month: str) -> dt.date:
    return pd.Period(month, freq="M").end_time.date()


#: The evaluation's counts, perturbed one by one (the engine's :class:`Effect` fields).
_FIELDS = (
    "treatment_before",
    "treatment_after",
    "ring_before",
    "ring_after",
    "control_before",
    "control_after",
    "earlier",
    "earlier_before",
)


def _publish_evaluation(
    store: Store, ev: PatrolEvaluation, *, area: str | None, days: tuple[dt.date, dt.date], res: int
) -> tuple[str, tuple[str, ...], Effect | None]:
    """The evaluation's sentence, lines and shown Effect, from perturbed, suppressed counts only."""
    k = min_places()
    used = ev.effect.used
    when = f"from {days[0].isoformat()} to {days[1].isoformat()}"
    if used < k:
        return (
            f"The patrol evaluation is published only over {k} or more patrolled places; "
            f"{'none' if not used else 'fewer'} could be measured {when}, so that no one place's street can be read "
            "from it.",
            CAVEATS,
            None,
        )
    secret = store.release_secret()
    cells = ",".join(str(c) for c in sorted(ev.places["cell"].tolist()))
    n = privacy.threshold()

    def shown(name: str, value: float | None) -> tuple[float, str]:
        if value is None:
            return float("nan"), "unknown"
        # keyed by what is counted, never by the area asked about: the evaluation is the town's, and a key per
        # area would give one count fresh noise per area, which averaging over areas would take away
        noisy = perturb([int(value)], [_key(secret, name, days, res, cells)])
        return float(privacy.suppress(noisy, below=n)[0]), privacy.suppress_labels(noisy, below=n)[0]

    got = {f: shown(f, getattr(ev.effect, f)) for f in _FIELDS}
    seen = Effect(ev.effect.used, ev.effect.skipped, *(got[f][0] for f in _FIELDS))
    w = {f: _said(got[f][1]) for f in _FIELDS}
    places = _said(privacy.suppress_labels([used], below=n)[0])
    nb, nd = len(ev.before_months), len(ev.during_months)
    town = "" if area is None else "Across the whole town (the patrols are evaluated together), "
    places = places if town else f"{places[:1].upper()}{places[1:]}"
    sentence = (
        f"{town}{places} patrolled places {when}, each against {ev.k} unpatrolled places with a "
        f"similar earlier level and trend of ASB: ASB reports at the patrolled places went from "
        f"{w['treatment_before']} in the {nb} months before to {w['treatment_after']} in the {nd} month"
        f"{'' if nd == 1 else 's'} of the patrols; at the matched places from {w['control_before']} to "
        f"{w['control_after']}. {_relative(seen)}."
    )
    lines = [f"Patrol displacement: {seen.wdq_words.replace('the control', 'the matched places')}."]
    peak = at_peak(got["earlier"][0], got["earlier_before"][0])
    rtm = (
        f"Before the patrols: {w['earlier']} ASB reports at the patrolled places in the first {nb // 2} months, "
        f"{w['earlier_before']} in the last {nb // 2}. "
    )
    if peak is None:
        rtm += "Too few to tell whether they were chosen at a peak."
    elif peak:
        rtm += (
            "They were chosen at a peak: part of any fall would have happened anyway (regression to the mean); "
            "the matched places were chosen for a similar earlier level and trend to allow for it."
        )
    else:
        rtm += "No sign that they were chosen at a peak."
    lines.append(rtm)
    dose = ev.dose.set_index("band") if len(ev.dose) else pd.DataFrame()
    for label, _lo, _hi in DOSE_BANDS:
        if label not in dose.index:
            continue
        row = dose.loc[label]
        if int(row["places"]) < k:
            lines.append(f"Places patrolled {label}: fewer than {k}, not published on their own.")
            continue
        vals = [
            shown(f"{label}:{c}", float(row[c]))[0] for c in ("before", "during", "control_before", "control_during")
        ]
        band = Effect(int(row["places"]), 0, vals[0], vals[1], 0, 0, vals[2], vals[3])
        lines.append(f"Places patrolled {label}: {_relative(band)}.")
    lines.extend(CAVEATS)
    return sentence, tuple(lines), seen


def _said(label: str) -> str:
    if label.startswith(privacy.APPROX):
        return "about " + label[len(privacy.APPROX) :]
    return "none" if label == "0" else label


def _relative(e: Effect) -> str:
    """The relative change against the matched places, in a sentence (no full stop), from shown counts."""
    est = e.estimate
    if not e.enough or not np.isfinite(est.change):
        return "There are too few incidents to say whether ASB changed at the patrolled places more than elsewhere"
    pct = privacy.percent_text
    if spans_zero(est):
        return (
            f"Relative to the matched places that is a change of {pct(est.change)}, but the 95% interval runs from "
            f"{pct(est.low)} to {pct(est.high)}, so it cannot be told apart from no change"
        )
    verb = "fell" if est.change < 0 else "rose"
    return (
        f"Relative to the matched places, ASB at the patrolled places {verb} {pct(est.change).lstrip('+-')}; "
        f"the 95% interval runs from {pct(est.low)} to {pct(est.high)}"
    )


def patrol_row(p: PublishedPatrols) -> tuple[str, str, str, str, str]:
    """``(key, label, this period, previous period, change)``: the headline table's row."""
    return ("patrol_minutes", MINUTES_LABEL, p.minutes_text, p.previous_text, p.change_text)


def patrol_lines(p: PublishedPatrols) -> list[str]:
    """The patrol figures in words, as the page, the PDF, the HTML and the slides print them."""
    places = _said(p.places_text)
    head = f"{MINUTES_LABEL}: {_said(p.minutes_text)}"
    head += "" if places == "none" else f" at {places} place{'' if places == '1' else 's'}"
    if p.previous_text != "no patrol log":
        head += f" (previous period: {_said(p.previous_text)})"
    return [f"{head}.", p.evaluation, *p.lines]
