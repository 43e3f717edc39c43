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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from geo.core.schema import ASB
from geo.plan.outcomes import FIGURES, NO_EFFECT, Figure, Period, Scope, scope_for, scope_of
from geo.publish import privacy
from geo.publish.areas import NO_COMPARISON, NO_EARLIER_DATA, change_to_text, publish_area_table
from geo.publish.release import Release, release_for
from geo.stats.evaluate import (
    COUNT_FIELDS,
    TOO_FEW,
    Effect,
    Estimate,
    change_words,
    peak_words,
    percent,
    spans_zero,
)
from geo.store import Store

#: The closure comparison when no order in the period can be measured.
NONE_MEASURED = "none measured"
#: ... and when some were, but fewer than the release publishes a comparison over.
NOT_PUBLISHED = "not published"


@dataclass(frozen=True)
class PublishedFigure:
    """One figure as it may be shown: suppressed, rounded, and with texts ready to print.

    ``now``/``previous`` are NaN when suppressed or unknown; ``change`` is
    computed from the shown values (NaN when either is not shown or the
    earlier one is zero).
    """

    key: str
    label: str
    now: float
    previous: float
    now_text: str
    previous_text: str
    change: float
    change_text: str


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
    monthly: pd.DataFrame
    areas: pd.DataFrame

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
        effect_trend_text=_effect_trend(effect, effect_prev),
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
    return publish(release if release is not None else release_for(store), scope)


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
    shown = publish_effect(held.effect, below=n, months=months)
    lead = f"Closure orders granted in {year}, across the whole town: "
    return replace(shown, sentence=lead + shown.sentence[0].lower() + shown.sentence[1:]), held.notes


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
    text = change_to_text(change, now, before, compared=f.previous is not None)
    return PublishedFigure(key, label, now, before, now_text, before_text, change, text)


def _labels(values: dict[str, int | float | None], n: int) -> tuple[dict[str, float], dict[str, str]]:
    """Shown values (NaN where suppressed or unknown) and their labels, through the one suppression rule."""
    known = {k: v for k, v in values.items() if v is not None}
    shown = dict(zip(known, privacy.suppress(list(known.values()), below=n), strict=True))
    texts = dict(zip(known, privacy.suppress_labels(list(known.values()), below=n), strict=True))
    for k in values.keys() - known.keys():
        shown[k], texts[k] = float("nan"), "unknown"
    return {k: float(v) for k, v in shown.items()}, texts


def publish_effect(effect: Effect, *, below: int | None = None, months: int) -> PublishedEffect:
    """The closure evaluation as it may be shown: every count suppressed, every statistic from shown counts."""
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
    texts["change_words"] = change_words(est, enough=enough)
    texts["wdq_words"] = seen.wdq_words
    if not enough or not np.isfinite(est.change):
        texts["relative"] = TOO_FEW
    elif spans_zero(est):
        texts["relative"] = "cannot tell"
    else:
        texts["relative"] = f"{percent(est.change)} ({percent(est.low)} to {percent(est.high)})"
    texts["peak"] = (
        ""
        if effect.earlier is None
        else peak_words(
            shown["earlier"],
            shown["earlier_before"],
            months=months,
            earlier_text=texts["earlier"],
            before_text=texts["earlier_before"],
        )
    )
    texts["skipped"] = (
        f"{texts['skipped']} order(s) granted in the period left out: their {months} months before or after "
        "run outside the incident data."
        if effect.skipped
        else ""
    )
    if effect.used == 0:
        texts["relative"] = NONE_MEASURED
        sentence = "No closure order in this period has enough months of ASB data before and after it to measure."
    else:
        t = texts
        sentence = (
            f"Around the closure orders measured ({t['used']}) ASB went from {t['treatment_before']} to "
            f"{t['treatment_after']} reports; in the ring around them from {t['ring_before']} to {t['ring_after']}; "
            f"in the rest of the town from {t['control_before']} to {t['control_after']} over the same months. "
            f"{t['change_words'][0].upper()}{t['change_words'][1:]}."
        )
    return PublishedEffect(shown=seen, texts=texts, sentence=sentence)


def _effect_trend(now: PublishedEffect, before: PublishedEffect | None) -> str:
    """Points between this period's relative change and the previous one's, when both can be read."""
    if before is None or any(
        t == NONE_MEASURED or t.startswith(NOT_PUBLISHED) for t in (now.texts["relative"], before.texts["relative"])
    ):
        return NO_COMPARISON
    if not (now.shown.enough and before.shown.enough and np.isfinite(now.relative) and np.isfinite(before.relative)):
        return "not shown"
    points = round((now.relative - before.relative) * 100)
    return "no change" if points == 0 else f"{points:+d} points"
