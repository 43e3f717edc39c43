"""The Review page's glue: the early-warning queue with the planner's hot spots, and the three decisions.

The queue is :func:`geo.plan.review.review_for`, the call ``python -m geo
review`` makes, given the hot spot context from the page caches the patrol
planner and the Overview's alert fill (the planner's opening view: ASB over the
12 months ending with the latest month, hexagons of resolution 9, one ring), so
the page, the agenda CSV and the map agree. It is recomputed when an import or
a decision changes what it reads.

The decisions run in a button's callback (:func:`decide`): a refusal comes
back as words (:class:`Done`), never as an exception.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st

from dashboard import results
from dashboard.alerts import hot_view, town_today
from dashboard.context import get_store
from dashboard.downloads import Export
from geo.core.errors import NestwatchError
from geo.plan.analysis import trend_long_enough
from geo.plan.neighbours import day_words
from geo.plan.review import Review, cell_context, context_words, review_for
from geo.publish.review import hits_frame, review_csv, review_frame
from geo.publish.review import indicator_words as _indicator_words
from geo.stats.aggregate import month_range
from geo.store.review import decide as store_decide
from geo.store.review import flag_from_review, latest_decision

#: The three buttons: decision key -> the button's words.
BUTTONS = {"flagged": "Flag as an address of concern", "booked": "Joint visit booked", "dismissed": "Dismiss"}


def _context() -> tuple[object, str]:
    view = hot_view()
    if view is None:
        return None, "no incidents are stored: no hot spot context"
    long_enough = trend_long_enough(month_range(str(view.month_from), str(view.month_to)))
    emerging = results.emerging(view) if long_enough else None
    ctx = cell_context(results.hotspots(view), emerging, res=view.res)
    return ctx, context_words(view.filters, emerging is not None)


@st.cache_data(show_spinner="Reading what partners noticed…", max_entries=8)
def _review(url: str, version: str, decisions: int, today: dt.date) -> Review:
    ctx, basis = _context()
    return review_for(get_store(), today=today, context=(ctx, basis))  # type: ignore[arg-type]


def queue() -> Review:
    """The queue on the newest signal's day, with the planner's hot spots (:func:`geo.plan.review.review_for`)."""
    store = get_store()
    return _review(store.url, store.data_version(), latest_decision(store), town_today())


#: The queue's columns on the page (the agenda CSV has them all); each address's signals are shown when it is chosen.
TABLE_COLUMNS = ["Address", "Why it is here", "Latest signal", "Around it", "Weight", "Status"]


def table(review: Review) -> pd.DataFrame:
    """What the page lists, from :func:`geo.publish.review.review_frame`: the latest signal's day in words.

    Shown as a static table (every word wraps, none is cut off at a narrow screen), numbered from 1.
    """
    frame = review_frame(review.queue)[TABLE_COLUMNS].copy()
    frame["Latest signal"] = [day_words(d) for d in frame["Latest signal"]]  # one per queue address
    frame.insert(0, "#", range(1, len(frame) + 1))  # the picker's numbers
    return frame.reset_index(drop=True)


def indicator_words(keys: str) -> str:
    """One address's indicator keys as their labels."""
    return str(_indicator_words(pd.Series([keys])).iloc[0])


def rules_table(review: Review) -> pd.DataFrame:
    """Each rule's hit counts under plain headings."""
    return hits_frame(review.hits)


def labels(queue: pd.DataFrame) -> list[str]:
    """How each address is offered in the picker: its number in the table, its words (else ref, else key), weight."""
    name = queue["address"].where(queue["address"] != "", queue["ref"])
    name = name.where(name != "", queue["key"])
    number = pd.Series(range(1, len(queue) + 1), index=queue.index).astype(str)
    return (number + ". " + name + " (weight " + queue["weight"].astype(str) + ")").tolist()


@dataclass(frozen=True)
class Done:
    """What a decision did, in words (``ok`` False: nothing was stored)."""

    ok: bool
    text: str


def decide(row: pd.Series, action: str, *, reason: str, user: str, role: str) -> Done:
    """Store one decision on the queue's ``row`` (a flag also stores the flagged address); say what happened."""
    store = get_store()
    rules = [r for r in str(row["rule_keys"]).split(";") if r]
    name = str(row["address"] or row["ref"] or row["key"])
    try:
        if action == "flagged":
            ref, _ = flag_from_review(
                store,
                address=str(row["key"]),
                ref=str(row["ref"] or row["uprn"]),
                words=str(row["address"]),
                lat=float(row["lat"]),
                lng=float(row["lng"]),
                indicators=str(row["indicators"]),
                through=str(row["last"]),
                reason=reason,
                user=user,
                role=role,
                rules=rules,
                today=town_today(),
            )
            return Done(True, f"{name} is flagged as an address of concern (ref {ref}). It has left the queue.")
        store_decide(
            store,
            address=str(row["key"]),
            action=action,
            reason=reason,
            through=str(row["last"]),
            user=user,
            role=role,
            rules=rules,
        )
    except NestwatchError as exc:
        return Done(False, f"Nothing was stored: {exc}")
    if action == "dismissed":
        return Done(True, f"{name} is dismissed: it comes back if a new signal arrives there.")
    return Done(True, f"A joint visit is booked for {name}; it stays on the queue with that status.")


def agenda(review: Review) -> Export:
    """The weekly meeting's agenda CSV (the CLI's file), built only after its audit entry."""
    day = review.as_of.isoformat() if review.as_of else "none"
    return Export(
        label="Agenda for the meeting (CSV)",
        file_name=f"review-{day}.csv",
        mime="text/csv",
        key="rv_csv",
        build=partial(review_csv, review.queue),
        rows=len(review.queue),
        personal=True,
        icon=":material/download:",
    )
