"""Where ASB hotspots and addresses of concern meet, ranked, with reasons in words.

The score is deliberately additive and small enough to explain at a briefing:
each part is a number of points with a sentence behind it, and the sentence is
what the inspector reads. The weights (:data:`POINTS`) are data, so a
partnership can change them without touching code, and a test pins them.

Parts of the score (per cell):

* hotspot class (Gi* with FDR): hot 99 % = 30, 95 % = 20, 90 % = 10;
* emerging pattern: new / consecutive / intensifying = 15, persistent = 10,
  sporadic / oscillating = 5;
* open flagged addresses: 12 each (up to 3), plus 4 for each distinct
  "strong" cuckooing indicator among them (visitors at odd hours, lock
  changes, tenant not seen / never alone);
* safeguarded victims living in the cell or next to it: 4 each (up to 3);
* closure orders: active = 6 (watch for displacement), ended within the
  last 6 months = 8 (watch for a return);
* the cell's ASB count breaks ties (log scale, at most a few points).

A cell with no hotspot, no trend and no case data scores 0 and is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.core.schema import INDICATORS
from geo.space.hexes import cells_to_latlng, cells_to_strings, cells_to_weights, points_to_cells
from geo.space.tour import visiting_order
from geo.stats.aggregate import StudyArea

POINTS = {
    "hot_3": 30,
    "hot_2": 20,
    "hot_1": 10,
    "emerging_strong": 15,
    "emerging_persistent": 10,
    "emerging_weak": 5,
    "flagged_each": 12,
    "flagged_max": 3,
    "strong_indicator": 4,
    "victim_each": 4,
    "victim_max": 3,
    "closure_active": 6,
    "closure_recent": 8,
    "count_log": 1.0,
}
STRONG_INDICATORS = ("visitors_odd_hours", "lock_changes", "tenant_not_seen")
RECENT_MONTHS = 6
_CONFIDENCE = {3: "99 %", 2: "95 %", 1: "90 %"}
_EMERGING_POINTS = {
    "new hot spot": "emerging_strong",
    "consecutive hot spot": "emerging_strong",
    "intensifying hot spot": "emerging_strong",
    "persistent hot spot": "emerging_persistent",
    "sporadic hot spot": "emerging_weak",
    "oscillating hot spot": "emerging_weak",
}


@dataclass(frozen=True)
class CaseData:
    """Case records to set against the hotspots (any may be empty)."""

    flagged: pd.DataFrame
    closures: pd.DataFrame
    victims: pd.DataFrame


def _cell_index(area: StudyArea, frame: pd.DataFrame) -> np.ndarray:
    if frame.empty:
        return np.zeros(0, dtype=np.int64)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    lng = pd.to_numeric(frame["lng"], errors="coerce").to_numpy(dtype=float)
    return area.index_of(points_to_cells(lat, lng, res=area.res))


def case_features(area: StudyArea, cases: CaseData, *, as_of: str) -> pd.DataFrame:
    """Per cell: open flagged addresses and their indicators, closures, victims nearby.

    Parameters
    ----------
    as_of
        ``YYYY-MM-DD``: the day the plan is for; decides which closure orders
        are active or recently ended and which flags were open by then.
    """
    n = len(area)
    out = pd.DataFrame(
        {
            "flagged_open": np.zeros(n, dtype=np.int64),
            "strong_indicators": [()] * n,
            "indicators": [""] * n,
            "closures_active": np.zeros(n, dtype=np.int64),
            "closures_recent": np.zeros(n, dtype=np.int64),
            "victims_nearby": np.zeros(n, dtype=np.int64),
        }
    )
    flagged = cases.flagged
    if not flagged.empty:
        open_ = (flagged["status"].astype(str) == "open") & (flagged["first_flagged"].astype(str) <= as_of)
        f = flagged[open_.to_numpy()]
        idx = _cell_index(area, f)
        f = f[idx >= 0].assign(_i=idx[idx >= 0])
        out.loc[:, "flagged_open"] = np.bincount(f["_i"], minlength=n)
        labels = {k: label for k, (label, _) in INDICATORS.items()}
        for i, group in f.groupby("_i"):
            keys = sorted({k for cell in group["indicators"].astype(str) for k in cell.split(";") if k})
            keys.sort(key=list(INDICATORS).index)
            out.at[i, "indicators"] = ", ".join(labels[k] for k in keys)
            out.at[i, "strong_indicators"] = tuple(k for k in keys if k in STRONG_INDICATORS)
    closures = cases.closures
    if not closures.empty:
        idx = _cell_index(area, closures)
        granted = closures["granted"].astype(str).to_numpy()
        expiry = closures["expiry"].astype(str).to_numpy()
        recent_from = (pd.Timestamp(as_of) - pd.DateOffset(months=RECENT_MONTHS)).strftime("%Y-%m-%d")
        active = (granted <= as_of) & (expiry >= as_of) & (idx >= 0)
        recent = (expiry < as_of) & (expiry >= recent_from) & (idx >= 0)
        out.loc[:, "closures_active"] = np.bincount(idx[active], minlength=n)
        out.loc[:, "closures_recent"] = np.bincount(idx[recent], minlength=n)
    victims = cases.victims
    if not victims.empty:
        v = victims[victims["date_safeguarded"].astype(str) <= as_of]
        idx = _cell_index(area, v)
        home = np.bincount(idx[idx >= 0], minlength=n).astype(float)
        near = cells_to_weights(area.cells, k=1) @ home  # in the cell or a neighbour
        out.loc[:, "victims_nearby"] = near.astype(np.int64)
    return out


def score_cells(
    area: StudyArea,
    *,
    counts: np.ndarray,
    gi_bin: np.ndarray,
    category: np.ndarray | None,
    features: pd.DataFrame,
) -> pd.DataFrame:
    """Score every cell and spell out why; one row per cell in study-area order."""
    n = len(area)
    p = POINTS
    score = np.zeros(n)
    reasons: list[list[str]] = [[] for _ in range(n)]
    for i in range(n):
        b = int(gi_bin[i])
        if b > 0:
            score[i] += p[f"hot_{b}"]
            reasons[i].append(f"hot {_CONFIDENCE[b]}")
        cat = str(category[i]) if category is not None else ""
        if cat in _EMERGING_POINTS:
            score[i] += p[_EMERGING_POINTS[cat]]
            reasons[i].append(cat.removesuffix(" hot spot"))
        row = features.iloc[i]
        flagged = int(row["flagged_open"])
        if flagged:
            score[i] += p["flagged_each"] * min(flagged, p["flagged_max"])
            score[i] += p["strong_indicator"] * len(row["strong_indicators"])
            noun = "address" if flagged == 1 else "addresses"
            detail = f": {row['indicators']}" if row["indicators"] else ""
            reasons[i].append(f"{flagged} open flagged {noun}{detail}")
        victims = int(row["victims_nearby"])
        if victims:
            score[i] += p["victim_each"] * min(victims, p["victim_max"])
            reasons[i].append("safeguarded victims nearby")
        if row["closures_active"]:
            score[i] += p["closure_active"] * int(row["closures_active"])
            reasons[i].append("closure order in force (watch for displacement)")
        if row["closures_recent"]:
            score[i] += p["closure_recent"] * int(row["closures_recent"])
            reasons[i].append("closure order ended recently (watch for a return)")
        if score[i] > 0 and counts[i] > 0:
            score[i] += p["count_log"] * np.log1p(counts[i])
    lat, lng = cells_to_latlng(area.cells)
    return pd.DataFrame(
        {
            "cell": cells_to_strings(area.cells),
            "ward": area.ward,
            "estate": area.estate,
            "count": counts,
            "gi_bin": gi_bin,
            "emerging": category if category is not None else "",
            "score": np.round(score, 2),
            "reasons": ["; ".join(r) for r in reasons],
            "lat": lat,
            "lng": lng,
        }
    ).join(features.drop(columns=["strong_indicators"]))


def rank(scored: pd.DataFrame, *, top: int = 10) -> tuple[pd.DataFrame, float]:
    """The top cells by score with a suggested visiting order and the tour length in metres."""
    best = (
        scored[scored["score"] > 0]
        .sort_values(["score", "count", "cell"], ascending=[False, False, True])
        .head(top)
        .reset_index(drop=True)
    )
    best.insert(0, "rank", np.arange(1, len(best) + 1))
    tour = visiting_order(best["lat"].to_numpy(), best["lng"].to_numpy(), start=0) if len(best) else None
    visit = np.zeros(len(best), dtype=np.int64)
    if tour is not None:
        visit[tour.order] = np.arange(1, len(best) + 1)
    best["visit_order"] = visit
    return best, (tour.length_m if tour is not None else 0.0)
