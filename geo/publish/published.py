"""Outcomes as they may leave the operational team: from the protected release, rounded, and ready to print.

Presentation screens, the cabinet member and the report pack only ever get a
:class:`PublishedOutcomes`, made by :func:`publish` from the
:class:`~geo.publish.release.Release` (sums of perturbed base cells, never an
exact count). Every count then passes through :mod:`geo.publish.privacy`
(1 to N-1 shown as "fewer than N", others rounded to a multiple of N), and
every change is computed again from the shown values, so nothing hidden can
be worked back out of a percentage. The closure comparison is the release's,
for the calendar year in which the period ends, over the whole town, and only
when at least :func:`~geo.publish.release.min_orders` orders were measured (default 5). The closure
evaluation's relative change, its interval, the Weighted Displacement Quotient
and the peak note go through the engine's own functions
(:func:`geo.stats.evaluate.relative_change`, :func:`~geo.stats.evaluate.wdq`,
:func:`~geo.stats.evaluate.at_peak`) with the *shown* counts: a suppressed
count is unknown, so the figure it would feed says "too few incidents to say".
The texts printed by the PDF, the HTML and a page are made here once, so the three always say the same thing.
Patrol minutes delivered and the patrol evaluation (``patrols``) are published by
:func:`geo.publish.patrol_figures.publish_patrols` under its own rules (rounded minutes,
perturbed counts, at least five places), and only when a patrol log is stored.

How a figure's change reads is policy kept as data, :data:`MEANINGS`: for each
headline, whether a rise is good news, bad news or neither, and what a rise or
a fall means in words. The Outcomes page, the slides and the report pack take
a figure's ``words`` and ``tone`` from here, so a colour never says "good" where
the words do not. Sentences are written as a person would say them: counts in
words ("about 25", "fewer than 5", "none"), never a bracketed label inside a
sentence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from geo.core.schema import ASB
from geo.plan.outcomes import FIGURES, NO_EFFECT, Figure, Period, Scope, scope_for, scope_of
from geo.publish import privacy
from geo.publish.areas import NO_COMPARISON, NO_EARLIER_DATA, change_to_text, publish_area_table
from geo.publish.patrol_figures import PublishedPatrols, publish_patrols
from geo.publish.release import Release, release_for
from geo.stats.evaluate import COUNT_FIELDS, TOO_FEW, Effect, Estimate, peak_words, spans_zero
from geo.store import Store

#: The closure comparison when no order in the period can be measured.
NONE_MEASURED = "none measured"
#: ... and when some were, but fewer than the release publishes a comparison over.
NOT_PUBLISHED = "not published"


#: How a change reads: ``good``/``bad`` news, ``neutral`` (a rise is neither), ``none`` (no change to read).
Tone = Literal["good", "bad", "neutral", "none"]


@dataclass(frozen=True)
class Meaning:
    """What a headline figure's change means, as the room and the report should read it.

    ``rise`` is what a rise is: ``"good"``, ``"bad"`` or ``"neutral"`` (more of
    it is neither good nor bad on its own); ``noun`` names what is counted, in
    a sentence; ``up``/``down`` say what a rise or a fall means; ``why`` is the
    reason for the reading, printed beside the figures in the report pack.
    """

    rise: Literal["good", "bad", "neutral"]
    noun: str
    up: str
    down: str
    why: str


#: The one table of meanings (the page, the slides and the report pack read it; a test checks every figure has one).
MEANINGS: dict[str, Meaning] = {
    "asb": Meaning(
        "bad", "ASB reports", "more reports, bad news", "fewer reports, good news", "fewer ASB reports is good news"
    ),
    "people_safeguarded": Meaning(
        "neutral",
        "people safeguarded",
        "more people protected, and more who needed it",
        "fewer people protected, because fewer needed it or fewer were reached",
        "a rise means more people were protected but also that more needed protecting, so it is neither good "
        "nor bad on its own",
    ),
    "orders_secured": Meaning(
        "good",
        "closure orders secured",
        "more problem premises closed",
        "fewer problem premises closed",
        "each order shuts premises at the centre of ASB, so more orders is action taken",
    ),
    "orders_active": Meaning(
        "good",
        "closure orders in force",
        "more premises kept closed",
        "fewer premises kept closed",
        "premises under an order cannot be used for ASB",
    ),
    "flagged_opened": Meaning(
        "neutral",
        "flagged addresses opened",
        "more concern found, or more found out: neither good nor bad on its own",
        "fewer new concerns, or fewer found out: neither good nor bad on its own",
        "a rise can mean more cuckooing or better finding of it, so it is neither good nor bad on its own",
    ),
    "flagged_resolved": Meaning(
        "good",
        "flagged addresses resolved",
        "more concerns closed",
        "fewer concerns closed",
        "each one is an address of concern dealt with",
    ),
    "quiet_addresses": Meaning(
        "good",
        "closed addresses quiet for a year",
        "more closed premises stayed quiet",
        "fewer closed premises stayed quiet",
        "a quiet address is a closure that has lasted",
    ),
}


def in_words(text: str, *, zero: str = "none") -> str:
    """A printed count for a sentence: ``"≈ 25"`` -> ``"about 25"``, ``"0"`` -> ``zero``; others unchanged."""
    if text.startswith(privacy.APPROX):
        return "about " + text[len(privacy.APPROX) :]
    return zero if text == "0" else text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _counted(text: str, noun: str) -> str:
    """A count and what it counts, to start a sentence: "About 10 flagged addresses", "No flagged addresses"."""
    return f"No {noun}" if text == "0" else f"{_cap(in_words(text))} {noun}"


def figure_tone(key: str, direction: int) -> Tone:
    """The tone of a change in ``direction`` (-1 fell, 0 none/unknown, +1 rose) for figure ``key``."""
    meaning = MEANINGS.get(key)
    if direction == 0 or meaning is None:
        return "none"
    if meaning.rise == "neutral":
        return "neutral"
    good = (direction > 0) == (meaning.rise == "good")
    return "good" if good else "bad"


def figure_words(key: str, *, now: float, before: float, now_text: str, before_text: str, compared: bool) -> str:
    """What a headline figure's change means, in one sentence from its shown values and labels.

    A percentage is given when both counts are shown and the earlier is 100 or
    more; below that the difference of the two rounded counts, "about 5 more".
    A suppressed side is named in words ("fewer than 5"); the direction is still
    known (a suppressed count is under the threshold, a shown one at or above it).
    """
    m = MEANINGS[key]
    if not compared:
        return "No earlier period to compare with."
    if not np.isfinite(now) and not now_text.startswith("fewer"):
        return "Not enough data for this period." if now_text.startswith("not enough") else "No data for this period."
    hidden_now, hidden_before = not np.isfinite(now), not np.isfinite(before)
    if hidden_now and hidden_before:
        return f"{_cap(now_text)} {m.noun} in both periods: too few to compare."
    if hidden_now or hidden_before:
        direction = (1 if before == 0 else -1) if hidden_now else (-1 if now == 0 else 1)
        meaning = m.up if direction > 0 else m.down
        return f"{_counted(now_text, m.noun)}, against {in_words(before_text)} in the previous period — {meaning}."
    if now == before:
        if now == 0:
            return f"No {m.noun} in either period."
        return f"The same as the previous period, {in_words(now_text)} {m.noun}."
    meaning = m.up if now > before else m.down
    if before == 0:
        return f"{_cap(in_words(now_text))} {m.noun}, up from none in the previous period — {meaning}."
    if now == 0:
        return f"No {m.noun}, down from {in_words(before_text)} in the previous period — {meaning}."
    if before >= 100:
        verb = "rose" if now > before else "fell"
        return f"{_cap(m.noun)} {verb} {privacy.percent_text(now / before - 1).lstrip('+-')} — {meaning}."
    more = "more" if now > before else "fewer"
    return f"About {abs(now - before):,.0f} {more} {m.noun} than the previous period — {meaning}."


@dataclass(frozen=True)
class PublishedFigure:
    """One figure as it may be shown: suppressed, rounded, and with texts ready to print.

    ``now``/``previous`` are NaN when suppressed or unknown; ``change`` is
    computed from the shown values (NaN when either is not shown or the
    earlier one is zero). ``words`` says in a sentence what the change means
    (:func:`figure_words`) and ``tone`` whether that is good or bad news
    (:data:`MEANINGS`; ``"none"`` when there is no change to read).
    """

    key: str
    label: str
    now: float
    previous: float
    now_text: str
    previous_text: str
    change: float
    change_text: str
    words: str = ""
    tone: Tone = "none"


@dataclass(frozen=True)
class PublishedEffect:
    """The closure evaluation from shown counts only.

    ``shown`` is the :class:`~geo.stats.evaluate.Effect` of shown values
    (NaN where suppressed), so its ``estimate``, ``wdq`` and ``peak`` are the
    engine's arithmetic on what a reader can see. ``texts`` holds each count's
    label (keys of :data:`~geo.stats.evaluate.COUNT_FIELDS`, ``earlier``,
    ``earlier_before``, ``used``, ``skipped``) and the printed phrases:
    ``relative`` (short, for a table), ``change_words``, ``wdq_words``,
    ``peak`` (the regression-to-the-mean note) and ``skipped`` (how many orders were left out, and why).
    """

    shown: Effect
    texts: dict[str, str]
    sentence: str

    @property
    def used(self) -> int:
        return self.shown.used

    @property
    def relative(self) -> float:
        """The relative change from shown counts (NaN when they cannot give one)."""
        return self.shown.estimate.change

    @property
    def estimate(self) -> Estimate:
        return self.shown.estimate


@dataclass(frozen=True, kw_only=True)
class PublishedOutcomes(Scope):
    """The only form of :class:`geo.plan.outcomes.Outcomes` that may leave the operational team.

    ``monthly``: ``month, asb, asb_text, previous_month, asb_previous,
    asb_previous_text``; ``areas``: ``layer, code, name, asb, asb_text,
    asb_previous, asb_previous_text, change, change_text``. Numbers are shown
    values (NaN where suppressed), never exact counts.
    """

    threshold: int
    suppression_note: str
    effect_year: int
    figures: tuple[PublishedFigure, ...]
    effect: PublishedEffect
    effect_previous: PublishedEffect | None
    effect_trend_text: str
    effect_trend_words: str = ""
    monthly: pd.DataFrame
    areas: pd.DataFrame
    patrols: PublishedPatrols | None = None

    def figure(self, key: str) -> PublishedFigure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)


def suppression_note(*, below: int | None = None) -> str:
    """The rule in words, from the threshold in force."""
    n = below or privacy.threshold()
    return f"Counts from 1 to {n - 1} are shown as 'fewer than {n}'; other counts are rounded to the nearest {n}."


#: How every figure here is protected, in plain words (the page, the report and SECURITY.md say it).
PROTECTION_NOTE = (
    "Every count per area and month has a small, fixed amount of noise added before it is shown (cell-key "
    "perturbation, as the ONS used for Census 2021 results), so that no household can be worked out by comparing "
    "views; a total is the sum of those counts, and can be a few off the exact figure."
)

#: What each headline figure adds up in the release: the measure, and whether it is a stock at the period's end.
_MEASURES: dict[str, tuple[str, bool]] = {
    "asb": ("incidents", False),
    "people_safeguarded": ("people_safeguarded", False),
    "orders_secured": ("orders_secured", False),
    "orders_active": ("orders_active", True),
    "flagged_opened": ("flagged_opened", False),
    "flagged_resolved": ("flagged_resolved", False),
    "quiet_addresses": ("quiet_addresses", True),
}


def publish(release: Release, scope: Scope, *, below: int | None = None) -> PublishedOutcomes:
    """The published outcomes for ``scope``'s period and area, from the release only.

    Every count is a sum of protected cells (:meth:`Release.value`), shown
    through the presentation rule; no exact count is read here.
    """
    n = below or privacy.threshold()
    period, area, compared = scope.period, scope.area, scope.compared

    def count(key: str, p: Period) -> int | None:
        measure, stock = _MEASURES[key]
        months = [p.end] if stock else p.months
        if key == "quiet_addresses" and (release.quiet_from is None or p.end < release.quiet_from):
            return None
        cats = (ASB,) if measure == "incidents" else None
        return release.value(measure, area=area, months=months, categories=cats)

    figures = tuple(
        _publish_figure(k, label, Figure(count(k, period), count(k, period.previous) if compared else None), n)
        for k, label in FIGURES.items()
    )
    year = int(period.end[:4])
    w = scope.window_months
    effect, notes = _year_effect(release, year, n, months=w)
    effect_prev, _ = _year_effect(release, year - 1, n, months=w)
    trend = _effect_trend(effect, effect_prev, year=year)
    layer = "town" if area is None else release.layer_of(area)
    both = [*period.months, *period.previous.months]
    series = release.monthly("incidents", layer=layer, months=both, categories=(ASB,)).loc[area or ""]
    monthly = pd.DataFrame(
        {
            "month": period.months,
            "asb": series[period.months].to_numpy(),
            "previous_month": period.previous.months,
            "asb_previous": series[period.previous.months].to_numpy(),
        }
    )
    parts = []
    for lay in ("ward", "estate"):
        now = release.totals("incidents", layer=lay, months=period.months, categories=(ASB,))
        before = release.totals("incidents", layer=lay, months=period.previous.months, categories=(ASB,))
        names = release.areas[release.areas["layer"] == lay]
        parts.append(
            pd.DataFrame(
                {
                    "layer": lay,
                    "code": names["code"].to_numpy(),
                    "name": names["name"].to_numpy(),
                    "asb": now.to_numpy(),
                    "asb_previous": before.to_numpy(),
                }
            )
        )
    areas = pd.concat(parts, ignore_index=True)
    return PublishedOutcomes(
        **(scope_of(scope) | {"effect_notes": notes, "victims_from": release.victims_from}),
        threshold=n,
        suppression_note=suppression_note(below=n),
        effect_year=year,
        figures=figures,
        effect=effect,
        effect_previous=effect_prev,
        effect_trend_text=trend[0],
        effect_trend_words=trend[1],
        monthly=_shown_columns(monthly, ["month", "previous_month"], n, compared=compared),
        areas=_publish_areas(areas, n, compared=compared),
    )


def published_outcomes(
    store: Store,
    *,
    start: str,
    end: str,
    area: str | None = None,
    today: dt.date | None = None,
    release: Release | None = None,
) -> PublishedOutcomes:
    """:func:`publish` for the store's current release (pass ``release`` when it is already made, e.g. cached)."""
    scope = scope_for(store, start=start, end=end, area=area, today=today)
    pack = publish(release if release is not None else release_for(store), scope)
    prev = scope.period.previous
    patrols = publish_patrols(store, start=start, end=end, previous=(prev.start, prev.end), area=area)
    return replace(pack, patrols=patrols)


def _year_effect(release: Release, year: int, n: int, *, months: int) -> tuple[PublishedEffect, tuple[str, ...]]:
    """The release's closure comparison for ``year``, or why there is none, as it is printed."""
    held = release.effects.get(year)
    if held is None or held.effect is None:
        plain = publish_effect(NO_EFFECT, below=n, months=months)
        if held is None:
            why = f"No closure order granted in {year} can be measured."
        else:
            plain.texts["relative"] = f"{NOT_PUBLISHED} (fewer than {release.min_orders} orders)"
            k = release.min_orders
            why = (
                f"Fewer than {k} closure orders granted in {year} could be measured, and the comparison "
                f"around them is published only over {k} or more, so that no one order's street "
                "can be read from it."
            )
        return replace(plain, sentence=why), ()
    shown = publish_effect(held.effect, below=n, months=months, granted=f"granted in {year} across the whole town")
    return shown, held.notes


def _publish_areas(areas: pd.DataFrame, n: int, *, compared: bool) -> pd.DataFrame:
    """The area table through :func:`geo.publish.areas.publish_area_table`: Trends' and ``geo areas``' figures."""
    exact = areas.rename(columns={"asb": "count", "asb_previous": "previous"})
    shown = publish_area_table(exact, compared=compared, below=n)
    return pd.DataFrame(
        {
            "layer": areas["layer"].to_numpy(),
            "code": shown["code"].to_numpy(),
            "name": shown["name"].to_numpy(),
            "asb": shown["count"].to_numpy(),
            "asb_text": shown["count_text"].to_numpy(),
            "asb_previous": shown["previous"].to_numpy(),
            "asb_previous_text": shown["previous_text"].to_numpy(),
            "change": shown["change"].to_numpy(),
            "change_text": shown["change_text"].to_numpy(),
        }
    )


def _shown_columns(frame: pd.DataFrame, keep: list[str], n: int, *, compared: bool) -> pd.DataFrame:
    """``keep`` plus ``asb``/``asb_previous`` as shown values and as ``…_text`` labels."""
    out = frame[keep].copy()
    for col in ("asb", "asb_previous"):
        out[col] = privacy.suppress(frame[col], below=n)
        out[f"{col}_text"] = privacy.suppress_labels(frame[col], below=n)
    if not compared:
        out[["asb_previous", "asb_previous_text"]] = [np.nan, NO_EARLIER_DATA]
    return out


def _shown(value: int | None, n: int, *, unknown: str) -> tuple[float, str]:
    if value is None:
        return float("nan"), unknown
    return float(privacy.suppress([value], below=n)[0]), privacy.suppress_labels([value], below=n)[0]


def _publish_figure(key: str, label: str, f: Figure, n: int) -> PublishedFigure:
    unknown_now = "not enough data" if key == "quiet_addresses" else "no data"
    now, now_text = _shown(f.now, n, unknown=unknown_now)
    before, before_text = _shown(f.previous, n, unknown=NO_EARLIER_DATA)
    change = float(privacy.safe_change([now], [before])[0])
    compared = f.previous is not None
    text = change_to_text(change, now, before, compared=compared)
    words = figure_words(key, now=now, before=before, now_text=now_text, before_text=before_text, compared=compared)
    known = compared and (np.isfinite(now) or now_text.startswith("fewer"))
    tone = _tone(key, now, before) if known else "none"
    return PublishedFigure(key, label, now, before, now_text, before_text, change, text, words, tone)


def _tone(key: str, now: float, before: float) -> Tone:
    """The tone of a shown change: a suppressed side counts as under the threshold, a shown one as at or above it."""
    if np.isnan(now) and np.isnan(before):
        return "none"
    if np.isnan(now):
        return figure_tone(key, 1 if before == 0 else -1)
    if np.isnan(before):
        return figure_tone(key, -1 if now == 0 else 1)
    return figure_tone(key, int(np.sign(now - before)))


def _labels(values: dict[str, int | float | None], n: int) -> tuple[dict[str, float], dict[str, str]]:
    """Shown values (NaN where suppressed or unknown) and their labels, through the one suppression rule."""
    known = {k: v for k, v in values.items() if v is not None}
    shown = dict(zip(known, privacy.suppress(list(known.values()), below=n), strict=True))
    texts = dict(zip(known, privacy.suppress_labels(list(known.values()), below=n), strict=True))
    for k in values.keys() - known.keys():
        shown[k], texts[k] = float("nan"), "unknown"
    return {k: float(v) for k, v in shown.items()}, texts


def relative_words(estimate: Estimate, *, enough: bool) -> str:
    """The relative change around the orders in a plain sentence (no full stop), whole percent.

    Like :func:`geo.stats.evaluate.change_words`, for readers outside the team:
    "the rest of the town" rather than "the control", and the interval as a range in words.
    """
    if not enough or not np.isfinite(estimate.change):
        return "There are too few incidents to say whether ASB changed around them more than elsewhere"
    pct = privacy.percent_text
    if spans_zero(estimate):
        return (
            f"Relative to the rest of the town that is a change of {pct(estimate.change)}, but the 95% interval "
            f"runs from {pct(estimate.low)} to {pct(estimate.high)}, so it cannot be told apart from no change"
        )
    verb = "fell" if estimate.change < 0 else "rose"
    return (
        f"Relative to the rest of the town, ASB around them {verb} {pct(estimate.change).lstrip('+-')}; "
        f"the 95% interval runs from {pct(estimate.low)} to {pct(estimate.high)}"
    )


def publish_effect(effect: Effect, *, below: int | None = None, months: int, granted: str = "") -> PublishedEffect:
    """The closure evaluation as it may be shown: every count suppressed, every statistic from shown counts.

    ``granted`` says which orders, inside the sentence ("granted in 2024 across the whole town").
    """
    n = below or privacy.threshold()
    exact: dict[str, int | float | None] = {k: getattr(effect, k) for k in COUNT_FIELDS}
    exact |= {"earlier": effect.earlier, "earlier_before": effect.earlier_before}
    shown, texts = _labels(exact | {"used": effect.used, "skipped": effect.skipped}, n)
    seen = Effect(
        used=effect.used,
        skipped=effect.skipped,
        treatment_before=shown["treatment_before"],
        treatment_after=shown["treatment_after"],
        ring_before=shown["ring_before"],
        ring_after=shown["ring_after"],
        control_before=shown["control_before"],
        control_after=shown["control_after"],
        earlier=None if effect.earlier is None else shown["earlier"],
        earlier_before=None if effect.earlier_before is None else shown["earlier_before"],
    )
    est, enough = seen.estimate, seen.enough
    texts["change_words"] = relative_words(est, enough=enough)
    texts["wdq_words"] = seen.wdq_words.replace("the control", "the rest of the town")
    if not enough or not np.isfinite(est.change):
        texts["relative"] = TOO_FEW
    elif spans_zero(est):
        texts["relative"] = "cannot tell"
    else:
        pct = privacy.percent_text
        texts["relative"] = f"{pct(est.change)} ({pct(est.low)} to {pct(est.high)})"
    texts["peak"] = (
        ""
        if effect.earlier is None
        else peak_words(
            shown["earlier"],
            shown["earlier_before"],
            months=months,
            earlier_text=in_words(texts["earlier"], zero="0"),
            before_text=in_words(texts["earlier_before"], zero="0"),
        )
    )
    texts["skipped"] = (
        f"{_cap(in_words(texts['skipped']))} orders granted in the period were left out: their {months} months "
        "before or after run outside the incident data."
        if effect.skipped
        else ""
    )
    if effect.used == 0:
        texts["relative"] = NONE_MEASURED
        sentence = "No closure order in this period has enough months of ASB data before and after it to measure."
    else:
        w = {k: in_words(v, zero="0") for k, v in texts.items() if k in COUNT_FIELDS}
        which = f" {granted}" if granted else ""
        sentence = (
            f"{_cap(in_words(texts['used']))} closure orders{which} could be measured. Around them, ASB reports "
            f"went from {w['treatment_before']} in the {months} months before to {w['treatment_after']} in the "
            f"{months} months after; in the ring around them, from {w['ring_before']} to {w['ring_after']}; in the "
            f"rest of the town, from {w['control_before']} to {w['control_after']} over the same months. "
            f"{texts['change_words']}."
        )
    return PublishedEffect(shown=seen, texts=texts, sentence=sentence)


def _effect_trend(now: PublishedEffect, before: PublishedEffect | None, *, year: int) -> tuple[str, str]:
    """This year's relative change against last year's: a short text for the table, and a sentence saying it.

    The difference is in percentage points (-44% against -20% is 24 points);
    lower is better, since the change is ASB around the orders relative to the rest of the town.
    """
    if before is None or any(
        t == NONE_MEASURED or t.startswith(NOT_PUBLISHED) for t in (now.texts["relative"], before.texts["relative"])
    ):
        return NO_COMPARISON, ""
    if not (now.shown.enough and before.shown.enough and np.isfinite(now.relative) and np.isfinite(before.relative)):
        return "not shown", (
            f"The orders granted in {year} cannot be compared with those granted in {year - 1}: "
            "too few incidents to say."
        )
    pct = privacy.percent_text
    points = round((now.relative - before.relative) * 100)
    against = (
        f"Against the orders granted in {year - 1}: relative to the rest of the town, ASB around the orders changed "
        f"by {pct(now.relative)} this time and by {pct(before.relative)} then"
    )
    if points == 0:
        return "no change", f"{against}, no difference."
    now_, then = now.relative, before.relative
    if points < 0:
        better = "better, a bigger fall" if now_ < 0 else "better, a smaller rise"
    elif now_ < 0:
        better = "worse, a smaller fall"
    else:
        better = "worse, a rise where there was a fall" if then < 0 else "worse, a bigger rise"
    short = f"{abs(points)} points {'better' if points < 0 else 'worse'}"
    return short, f"{against}: {abs(points)} percentage points {better}."
