"""The review queue as the weekly meeting reads it: plain headings, the signals in words, heaviest first.

One frame (:func:`review_frame`) for the Review page's table and the agenda CSV
(``python -m geo review --out review.csv``), so both say the same thing in the
same words. The CSV is UTF-8 with a BOM and formula-neutralised
(:func:`geo.publish.export.frame_to_csv_bytes`): addresses and signal sources
come from partners' systems.
"""

from __future__ import annotations

import pandas as pd

from geo.core.schema import INDICATORS
from geo.publish.export import frame_to_csv_bytes

__all__ = ["HIT_HEADINGS", "REVIEW_HEADINGS", "hits_frame", "indicator_words", "review_csv", "review_frame"]

#: Queue column -> the heading a person reads, in the agenda's order.
REVIEW_HEADINGS: dict[str, str] = {
    "address": "Address",
    "ref": "Property ref",
    "uprn": "UPRN",
    "rules": "Why it is here",
    "signals": "Signals (newest first)",
    "last": "Latest signal",
    "context": "Around it",
    "weight": "Weight",
    "status": "Status",
    "indicators": "Indicators if flagged",
    "lat": "Latitude",
    "lng": "Longitude",
}
#: Hit count column -> heading.
HIT_HEADINGS: dict[str, str] = {
    "words": "Rule",
    "addresses_12m": "Addresses in the last 12 months",
    "met_now": "Meeting it now",
    "on_queue": "On the queue",
}


def indicator_words(keys: pd.Series) -> pd.Series:
    """Indicator keys (``lock_changes;noise``) as their labels ("lock changes, noise")."""
    labels = {k: v[0] for k, v in INDICATORS.items()}
    parts = keys.fillna("").astype(str).str.split(";").explode()
    words = parts.map(labels).fillna(parts)
    return words[words != ""].groupby(level=0).agg(", ".join).reindex(keys.index).fillna("")


def review_frame(queue: pd.DataFrame) -> pd.DataFrame:
    """The queue under :data:`REVIEW_HEADINGS`, indicators in words ("lock changes, noise")."""
    out = queue[list(REVIEW_HEADINGS)].copy()
    out["indicators"] = indicator_words(queue["indicators"])
    out["last"] = queue["last"].astype(str)
    return out.rename(columns=REVIEW_HEADINGS).reset_index(drop=True)


def hits_frame(hits: pd.DataFrame) -> pd.DataFrame:
    """Each rule's hit counts under :data:`HIT_HEADINGS`."""
    return hits[list(HIT_HEADINGS)].rename(columns=HIT_HEADINGS).reset_index(drop=True)


def review_csv(queue: pd.DataFrame) -> bytes:
    """The agenda CSV (UTF-8 with a BOM, formulas neutralised)."""
    return frame_to_csv_bytes(review_frame(queue))
