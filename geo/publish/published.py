"""Outcomes as they may leave the operational team: suppressed, rounded, and ready to print.

Presentation screens, the cabinet member and the report pack only ever get a
:class:`PublishedOutcomes`. Every count passes through :mod:`geo.publish.privacy`
(1 to N-1 shown as "fewer than N", others rounded to a multiple of N), and
every change, the closure comparison included, is computed again from the
shown values, never from the exact counts, so nothing hidden can be worked
back out of a percentage. The texts printed by the PDF, the HTML and a page
are made here once, so the three always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.plan.outcomes import FIGURES, ClosureEffect, Figure, Outcomes, Scope, scope_of
from geo.publish import privacy

#: The previous-period column, and the change column, when there is no previous period to compare with.
NO_EARLIER_DATA = "no earlier data"
NO_COMPARISON = "no comparison"
#: The closure comparison when no order in the period can be measured.
NONE_MEASURED = "none measured"


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
    """The closure comparison from shown counts only."""

    orders_text: str
    before: float
    after: float
    control_before: float
    control_after: float
    change: float
    control_change: float
    relative: float
    texts: dict[str, str]
    sentence: str


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


def publish(outcomes: Outcomes, *, below: int | None = None) -> PublishedOutcomes:
    """The published version: counts suppressed and rounded, changes from shown values only.

    Nothing exact survives: the figures, the monthly series and the area
    table are replaced by their shown values, and the closure comparison is
    recomputed from shown counts.
    """
    n = below or privacy.threshold()
    figures = tuple(_publish_figure(k, FIGURES[k], f, n) for k, f in outcomes.figures.items())
    effect = _publish_effect(outcomes.effect, n)
    effect_prev = _publish_effect(outcomes.effect_previous, n) if outcomes.effect_previous else None
    monthly = _shown_columns(outcomes.monthly, ["month", "previous_month"], n, compared=outcomes.compared)
    areas = _shown_columns(outcomes.areas, ["layer", "code", "name"], n, compared=outcomes.compared)
    areas["change"] = privacy.safe_change(areas["asb"], areas["asb_previous"])
    areas["change_text"] = [
        _change_text(c, a, b, compared=outcomes.compared)
        for c, a, b in zip(areas["change"], areas["asb"], areas["asb_previous"], strict=True)
    ]
    return PublishedOutcomes(
        **scope_of(outcomes),
        threshold=n,
        suppression_note=suppression_note(below=n),
        figures=figures,
        effect=effect,
        effect_previous=effect_prev,
        effect_trend_text=_effect_trend(effect, effect_prev),
        monthly=monthly,
        areas=areas,
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
    text = _change_text(change, now, before, compared=f.previous is not None)
    return PublishedFigure(key, label, now, before, now_text, before_text, change, text)


def _change_text(change: float, now: float, before: float, *, compared: bool = True) -> str:
    """A change for print: from shown values, and never a percentage over a hidden or zero base."""
    if not compared:
        return NO_COMPARISON
    if np.isfinite(change):
        return "no change" if change == 0 else _percent(change)
    if not (np.isfinite(now) and np.isfinite(before)):
        return "not shown"
    return "no change" if now == 0 else "up from 0"


def _percent(x: float) -> str:
    """``-38%``; below one per cent with a decimal (``+0.5%``), so a small change never prints as ``+0%``."""
    return f"{x:+.1%}" if abs(x) < 0.01 else f"{x:+.0%}"


def _publish_effect(effect: ClosureEffect, n: int) -> PublishedEffect:
    counts = {
        "before": effect.before,
        "after": effect.after,
        "control_before": effect.control_before,
        "control_after": effect.control_after,
    }
    shown = dict(zip(counts, privacy.suppress(list(counts.values()), below=n), strict=True))
    texts = dict(zip(counts, privacy.suppress_labels(list(counts.values()), below=n), strict=True))
    change = float(privacy.safe_change([shown["after"]], [shown["before"]])[0])
    control = float(privacy.safe_change([shown["control_after"]], [shown["control_before"]])[0])
    ok = np.isfinite(change) and np.isfinite(control) and control > -1
    relative = (1 + change) / (1 + control) - 1 if ok else float("nan")
    orders_text = privacy.suppress_labels([effect.orders], below=n)[0]
    texts |= {
        "change": _change_text(change, shown["after"], shown["before"]),
        "control_change": _change_text(control, shown["control_after"], shown["control_before"]),
        "relative": _percent(relative) if np.isfinite(relative) else "not shown",
    }
    if effect.orders == 0:
        texts["relative"] = NONE_MEASURED
    if effect.orders == 0:
        sentence = "No closure order in this period has enough months of ASB data before and after it to measure."
    elif not np.isfinite(relative):
        sentence = (
            f"Around the closure orders measured ({orders_text}) ASB went from {texts['before']} to "
            f"{texts['after']} reports; the numbers are too small to compare with the rest of the town."
        )
    else:
        sentence = (
            f"Around the closure orders measured ({orders_text}) ASB went from {texts['before']} to "
            f"{texts['after']} reports ({texts['change']}); elsewhere in the town it changed "
            f"{texts['control_change']} over the same months, so the relative change is {texts['relative']}."
        )
    return PublishedEffect(
        orders_text=orders_text,
        before=shown["before"],
        after=shown["after"],
        control_before=shown["control_before"],
        control_after=shown["control_after"],
        change=change,
        control_change=control,
        relative=relative,
        texts=texts,
        sentence=sentence,
    )


def _effect_trend(now: PublishedEffect, before: PublishedEffect | None) -> str:
    if before is None or NONE_MEASURED in (now.texts["relative"], before.texts["relative"]):
        return NO_COMPARISON
    if not (np.isfinite(now.relative) and np.isfinite(before.relative)):
        return "not shown"
    points = round((now.relative - before.relative) * 100)
    return "no change" if points == 0 else f"{points:+d} points"
