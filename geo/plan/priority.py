"""Where ASB hotspots and case data meet, ranked, with reasons in words.

The score is deliberately additive and small enough to explain at a briefing:
each part is a number of points with a sentence behind it, and the sentence is
what the inspector reads. Two tables hold everything that is policy rather
than arithmetic, so that neither a weight nor a new kind of case data needs a
change to the code that applies them:

* :data:`RULES` (from :mod:`geo.plan._policy`): every rule that adds points
  (hotspot class, a hot spot's neighbour with no incidents of its own, emerging
  pattern, open flagged addresses and their strong cuckooing indicators,
  safeguarded victims nearby, closure orders in force or recently ended, and
  the incidents in the cell itself), each with its points, cap, the features it
  reads, its words and why it counts. :func:`policy_to_markdown` prints it as a
  table; :func:`score_cells` applies it. :data:`BALANCES` are the settings of
  the one choice an inspector makes, established hot spots against emerging
  ones (``both`` by default; the policy module's docstring says why).
* :data:`CASE_KINDS`: every kind of case record the plan counts (flagged
  addresses, closure orders, victims), each with the function that turns its
  rows into feature columns per cell. :func:`case_features` and
  :func:`geo.plan.analysis.load_cases` iterate it.

A cell with no hotspot, no trend and no case data scores 0 and is not listed;
every listed cell has reasons in words, and the incident count is named by
what it counts (:class:`Counted`: "ASB incidents, Jan–Mar 2024"). The plan's
ward and estate of a cell are those holding the cell's centre, by the one rule
for "a point in an area" (:func:`geo.stats.areas.points_to_areas`), as the
study area labels them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from geo.core.errors import OptionError
from geo.core.schema import INDICATORS
from geo.plan._policy import (
    BALANCED_RULES,
    BALANCES,
    DEFAULT_BALANCE,
    POINTS,
    RULES,
    Balance,
    Counted,
    Rule,
    apply_rules,
    balances_to_markdown,
    months_to_words,
    policy_to_markdown,
    rules_for,
)
from geo.space.hexes import cells_to_latlng, cells_to_strings, cells_to_weights, points_to_cells
from geo.space.tour import visiting_order
from geo.stats.aggregate import Cube, StudyArea
from geo.stats.areas import cells_to_area_codes as cells_to_areas

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "BALANCED_RULES",
    "BALANCES",
    "CASE_KINDS",
    "DEFAULT_BALANCE",
    "POINTS",
    "RECENT_MONTHS",
    "RULES",
    "SHARED_FEATURES",
    "STRONG_INDICATORS",
    "Balance",
    "CaseData",
    "CaseKind",
    "Counted",
    "Rule",
    "apply_rules",
    "balances_to_markdown",
    "case_features",
    "cells_to_areas",
    "counted",
    "months_to_words",
    "policy_to_markdown",
    "rank",
    "rules_for",
    "score_cells",
]

STRONG_INDICATORS = ("visitors_odd_hours", "lock_changes", "tenant_not_seen")
RECENT_MONTHS = 6


class FeatureFunction(Protocol):
    """``(area, frame, *, as_of) -> columns``: one case kind's rows as feature columns, one row per cell.

    ``frame`` is what the store holds for the kind (it may be empty: then every
    column is zero or blank); ``as_of`` (``YYYY-MM-DD``) is the day the plan is for.
    """

    def __call__(self, area: StudyArea, frame: pd.DataFrame, /, *, as_of: str) -> pd.DataFrame: ...


@dataclass(frozen=True)
class CaseKind:
    """One kind of case record the plan counts per cell.

    Attributes
    ----------
    features
        Its rows -> feature columns per study-area cell (:class:`FeatureFunction`).
    columns
        The columns ``features`` returns, in order (rules in :data:`RULES` read them).
    shared
        Those that may go into the patrol plan that leaves the building (never
        anything that could place a victim).
    help
        What the kind adds to the plan, in a sentence.
    working
        Those only the rules read, left out of the scored table (e.g. a tuple
        of indicator keys whose words are already in another column).
    """

    features: FeatureFunction
    columns: tuple[str, ...]
    shared: tuple[str, ...]
    help: str
    working: tuple[str, ...] = ()


def _cell_index(area: StudyArea, frame: pd.DataFrame) -> np.ndarray:
    """The study-area position of each row's point (-1 outside); ``frame`` has ``lat``/``lng``, maybe no rows."""
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy()  # a blank or text location: NaN, no cell
    lng = pd.to_numeric(frame["lng"], errors="coerce").to_numpy()
    return area.index_of(points_to_cells(lat, lng, res=area.res))


def flagged_features(area: StudyArea, frame: pd.DataFrame, /, *, as_of: str) -> pd.DataFrame:
    """Open flagged addresses per cell (flagged by ``as_of``), their indicators in words and the strong ones.

    A cell's indicators are the distinct ones over its open addresses, in the
    vocabulary's order (:data:`geo.core.schema.INDICATORS`). They are gathered as
    bits (one per indicator, OR-ed over a cell's addresses), so the words are made
    once per distinct set of indicators, not once per address or cell.
    """
    n = len(area)
    out = pd.DataFrame(
        {
            "flagged_open": np.zeros(n, dtype=np.int64),
            "strong_indicators": [()] * n,
            "indicators": [""] * n,
        }
    )
    if frame.empty:
        return out
    open_ = (frame["status"].astype(str) == "open") & (frame["first_flagged"].astype(str) <= as_of)
    f = frame[open_.to_numpy()]
    idx = _cell_index(area, f)
    inside = idx >= 0
    out.loc[:, "flagged_open"] = np.bincount(idx[inside], minlength=n)
    keys = list(INDICATORS)
    # one row per (address, indicator key): stored indicators are ";"-joined vocabulary keys
    parts = f["indicators"].fillna("").astype(str).reset_index(drop=True).str.split(";").explode()
    bit = parts.map({k: 1 << i for i, k in enumerate(keys)}).fillna(0).to_numpy(dtype=np.int64)
    address_bits = np.zeros(len(f), dtype=np.int64)
    np.bitwise_or.at(address_bits, parts.index.to_numpy(dtype=np.int64), bit)  # index: the address's position
    cell_bits = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(cell_bits, idx[inside], address_bits[inside])
    sets, where = np.unique(cell_bits, return_inverse=True)
    labels = [INDICATORS[k][0] for k in keys]
    words = np.array([", ".join(labels[i] for i in range(len(keys)) if b >> i & 1) for b in sets], dtype=object)
    strong = np.empty(len(sets), dtype=object)
    strong[:] = [tuple(k for i, k in enumerate(keys) if b >> i & 1 and k in STRONG_INDICATORS) for b in sets]
    out["indicators"] = words[where]
    out["strong_indicators"] = strong[where]
    return out


def closure_features(area: StudyArea, frame: pd.DataFrame, /, *, as_of: str) -> pd.DataFrame:
    """Closure orders per cell in force on ``as_of``, and those that ended in the :data:`RECENT_MONTHS` before."""
    n = len(area)
    out = pd.DataFrame({"closures_active": np.zeros(n, dtype=np.int64), "closures_recent": np.zeros(n, dtype=np.int64)})
    if frame.empty:
        return out
    idx = _cell_index(area, frame)
    granted = frame["granted"].astype(str).to_numpy()
    expiry = frame["expiry"].astype(str).to_numpy()
    recent_from = (pd.Timestamp(as_of) - pd.DateOffset(months=RECENT_MONTHS)).strftime("%Y-%m-%d")
    active = (granted <= as_of) & (expiry >= as_of) & (idx >= 0)
    recent = (expiry < as_of) & (expiry >= recent_from) & (idx >= 0)
    out.loc[:, "closures_active"] = np.bincount(idx[active], minlength=n)
    out.loc[:, "closures_recent"] = np.bincount(idx[recent], minlength=n)
    return out


def victim_features(area: StudyArea, frame: pd.DataFrame, /, *, as_of: str) -> pd.DataFrame:
    """Safeguarded people (by ``as_of``) living in each cell or a neighbouring one: a count, never a place."""
    n = len(area)
    out = pd.DataFrame({"victims_nearby": np.zeros(n, dtype=np.int64)})
    if frame.empty:
        return out
    v = frame[frame["date_safeguarded"].astype(str) <= as_of]
    idx = _cell_index(area, v)
    home = np.bincount(idx[idx >= 0], minlength=n)
    near = cells_to_weights(area.cells, k=1) @ home  # in the cell or a neighbour (k=1 is the default, said here)
    out.loc[:, "victims_nearby"] = near.astype(np.int64)
    return out


#: Store kind -> how the plan counts it; :func:`case_features` adds their columns in this order.
CASE_KINDS: dict[str, CaseKind] = {
    "flagged": CaseKind(
        flagged_features,
        ("flagged_open", "strong_indicators", "indicators"),
        shared=("flagged_open", "indicators"),
        help="Addresses of concern open on the plan date, with their cuckooing indicators.",
        working=("strong_indicators",),
    ),
    "closures": CaseKind(
        closure_features,
        ("closures_active", "closures_recent"),
        shared=("closures_active", "closures_recent"),
        help="Closure orders in force (displacement) or recently ended (a return).",
    ),
    "victims": CaseKind(
        victim_features,
        ("victims_nearby",),
        shared=(),  # a count per cell could place a person: it stays inside the building
        help="Safeguarded people living in or next to the cell.",
    ),
}

#: The case feature columns a patrol plan export may carry, in :data:`CASE_KINDS` order.
SHARED_FEATURES: tuple[str, ...] = tuple(c for kind in CASE_KINDS.values() for c in kind.shared)


class CaseData(Mapping[str, pd.DataFrame]):
    """Case records to set against the hotspots, by :data:`CASE_KINDS` name (a kind not given is empty).

    ``CaseData(flagged=…, closures=…)`` or ``CaseData({"flagged": …})``; read
    ``cases["flagged"]`` (``cases.flagged`` also works, for older callers).
    """

    def __init__(self, frames: Mapping[str, pd.DataFrame] | None = None, /, **by_kind: pd.DataFrame) -> None:
        given = {**(frames or {}), **by_kind}
        unknown = sorted(set(given) - set(CASE_KINDS))
        if unknown:
            raise OptionError(f"unknown case kind(s) {unknown}; the plan counts {', '.join(CASE_KINDS)}")
        self._frames = given

    def __getitem__(self, kind: str) -> pd.DataFrame:
        if kind not in CASE_KINDS:
            raise KeyError(kind)
        frame = self._frames.get(kind)
        return frame if frame is not None else pd.DataFrame()

    def __iter__(self) -> Iterator[str]:
        return iter(CASE_KINDS)

    def __len__(self) -> int:
        return len(CASE_KINDS)

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name not in CASE_KINDS:  # no kind starts with "_", so copy's and pickle's lookups fail here too
            raise AttributeError(name)
        return self[name]


def case_features(area: StudyArea, cases: Mapping[str, pd.DataFrame], *, as_of: str) -> pd.DataFrame:
    """Per cell, every :data:`CASE_KINDS` kind's feature columns (in that order).

    Parameters
    ----------
    cases
        Case records by kind (:class:`CaseData`); a kind missing is empty.
    as_of
        ``YYYY-MM-DD``: the day the plan is for; decides which closure orders
        are active or recently ended and which flags were open by then.
    """
    parts = []
    for name, kind in CASE_KINDS.items():
        frame = cases.get(name)
        part = kind.features(area, frame if frame is not None else pd.DataFrame(), as_of=as_of)
        if tuple(part.columns) != kind.columns:
            raise OptionError(f"{name} features gave columns {list(part.columns)}, not {list(kind.columns)}")
        parts.append(part)
    return pd.concat(parts, axis=1)


def counted(cube: Cube) -> Counted:
    """What the cube's counts count: the categories that hold any incident, over the cube's months.

    Read from the counts rather than from the filters, so the words say what
    was counted even when "all categories" held only ASB.
    """
    totals = cube.counts.sum(axis=(0, 1))  # one total per category (zeros for a cube without months)
    present = tuple(c for i, c in enumerate(cube.categories) if totals[i] > 0)
    return Counted(categories=present, months=tuple(cube.months))


def score_cells(
    area: StudyArea,
    *,
    counts: np.ndarray,
    gi_bin: np.ndarray,
    category: np.ndarray | None,
    features: pd.DataFrame,
    counted: Counted | None = None,
    balance: str = DEFAULT_BALANCE,
    wards: gpd.GeoDataFrame | None = None,
    estates: gpd.GeoDataFrame | None = None,
    places: np.ndarray | None = None,
) -> pd.DataFrame:
    """Score every cell by :data:`RULES` and spell out why; one row per cell in study-area order.

    The rules run on whole columns (``gi_bin``, ``emerging``, ``count`` and the
    case features), so a force's few hundred thousand cells take well under a second.

    Parameters
    ----------
    counts, gi_bin, category, features
        Per study-area cell: incidents in the period, Gi* class, emerging pattern
        (None when the period is too short for one) and :func:`case_features`.
    counted
        What ``counts`` count, for the words ("412 ASB incidents here in Jan–Mar 2024");
        :func:`counted` of the cube. None: "incidents" in "the period".
    balance
        Established hot spots against emerging ones: a name in :data:`BALANCES`.
    wards, estates
        The boundaries: a cell's ``ward``/``estate`` are then the areas holding its
        centre (:func:`geo.stats.areas.cells_to_area_codes`, the rule the study area's own
        labels follow); None keeps the study area's labels.
    places
        A name people use for each cell (:func:`geo.plan.places.cell_places`): then a
        ``place`` column follows ``cell``, so a list, a tooltip or an export names the
        street rather than the H3 id alone. None: no such column.

    Raises
    ------
    OptionError
        For an unknown ``balance``, or rules that read a column the features lack.
    """
    n = len(area)
    rules = rules_for(balance, RULES)  # looked up at call time: the policy is the module's table
    emerging = np.full(n, "", dtype=object) if category is None else np.asarray(category)
    plan = np.empty((), dtype=object)
    plan[()] = counted if counted is not None else Counted()
    columns = {
        "gi_bin": np.asarray(gi_bin),
        "emerging": emerging,
        "count": np.asarray(counts),
        "counted": plan,  # one value for the whole plan (0-d), read by the words
        **{c: features[c].to_numpy() for c in features.columns},
    }
    missing = sorted({c for rule in rules for c in rule.reads} - columns.keys())
    if missing:
        raise OptionError(f"the priority rules read feature column(s) {missing}, which the features lack")
    score, reasons = apply_rules(columns, n=n, rules=rules)
    lat, lng = cells_to_latlng(area.cells)
    named = {} if places is None else {"place": _place_column(places, n)}
    return pd.DataFrame(
        {
            "cell": cells_to_strings(area.cells),
            **named,
            "ward": area.ward if wards is None else cells_to_areas(area.cells, wards),
            "estate": area.estate if estates is None else cells_to_areas(area.cells, estates),
            "count": counts,
            "gi_bin": gi_bin,
            "emerging": category if category is not None else "",
            "score": np.round(score, 2),
            "reasons": reasons.tolist(),
            "lat": lat,
            "lng": lng,
        }
    ).join(features.drop(columns=[c for kind in CASE_KINDS.values() for c in kind.working]))


def _place_column(places: np.ndarray, n: int) -> np.ndarray:
    names = np.asarray(places, dtype=object)
    if names.shape != (n,):
        raise OptionError(f"places must name each of the {n} cells, not {names.shape[0] if names.ndim else 0}")
    return names


def rank(scored: pd.DataFrame, *, top: int = 10) -> tuple[pd.DataFrame, float]:
    """The top cells by score with a suggested visiting order and the tour length in metres.

    Only cells that scored are listed; ties in the score go to the cell with more
    incidents, then to the lower cell id (whatever order the cells came in), and
    ``top`` cuts the list after that order. ``rank`` comes first, ``visit_order`` last.
    """
    best = (
        scored[scored["score"] > 0]
        .sort_values(["score", "count", "cell"], ascending=[False, False, True])
        .head(top)
        .reset_index(drop=True)
    )
    best.insert(0, "rank", np.arange(1, len(best) + 1))
    tour = visiting_order(best["lat"].to_numpy(), best["lng"].to_numpy())  # sets out from the first place
    best["visit_order"] = np.argsort(tour.order) + 1  # each place's position in the round, from 1
    return best, tour.length_m
