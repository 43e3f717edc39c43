"""The analysis path from the store to answers, shared by the CLI and the dashboard.

store → study area (cells over wards/estates) → count cube → Gi* / emerging /
priority / concentration. Each function takes the store and keyword options and
returns plain frames, so the command line and the pages give the same numbers.

One request is one :class:`Pass`: one study area and its weights (kept in the
store across processes, :mod:`geo.plan._derived`), one count cube, and each
statistic computed at most once, the priority ranking reusing the Gi* and
emerging results rather than computing them again. ``python -m geo analyse``
is one pass writing every table; ``hotspots``, ``emerging`` and ``priority``
are the same pass asked for one table.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

from geo.core.errors import OptionError, StoreError
from geo.core.schema import INCIDENT_CATEGORIES
from geo.plan import places as _places
from geo.plan._derived import cached_study_area, cached_weights
from geo.plan.priority import CASE_KINDS, DEFAULT_BALANCE, CaseData, case_features, counted, rank, score_cells
from geo.space.hexes import cells_to_strings, check_res
from geo.stats.aggregate import Cube, Filters, StudyArea, incidents_to_cube
from geo.stats.concentration import backtest, gini, share_in_top
from geo.stats.emerging import (
    DEFAULT_TREND,
    MIN_TREND_MONTHS,
    TrendRule,
    emerging_hotspots,
    trend_window,
)
from geo.stats.hotspots import gi_star
from geo.stats.weights import Weights, cells_to_gi_weights
from geo.store import Store

_T = TypeVar("_T")

ASB = "Anti-social behaviour"
GI_CLASSES = {
    3: "hot spot 99 %",
    2: "hot spot 95 %",
    1: "hot spot 90 %",
    0: "not significant",
    -1: "cold spot 90 %",
    -2: "cold spot 95 %",
    -3: "cold spot 99 %",
}
_GI_WORDS = np.array([GI_CLASSES[b] for b in range(-3, 4)], dtype=object)  # position = gi_bin + 3


def load_area(store: Store, *, res: int) -> StudyArea:
    """Cells over the stored wards and estates, kept in the store for every process (:mod:`geo.plan._derived`)."""
    return cached_study_area(store, res=check_res(res))


def load_weights(store: Store, area: StudyArea, *, k: int) -> Weights:
    """Gi* weights over the study area with ``k`` rings, kept in the store beside it."""
    if k < 0:
        raise OptionError(f"k must be 0 or more, not {k}", option="k")
    return cached_weights(store, area, k=k)


def load_places(store: Store, area: StudyArea, *, filters: Filters) -> _places.Places:
    """The name of every study-area cell for the view's incidents, and its location texts per cell.

    :func:`geo.plan.places.load_places`: the rules and why are in :mod:`geo.plan.places`.
    """
    return _places.load_places(store, area, filters=filters)


def load_cube(store: Store, area: StudyArea, *, filters: Filters) -> Cube:
    """Incident counts over the study area (all known categories kept as axes)."""
    incidents = store.read_table(
        "incidents",
        columns=["lat", "lng", "month", "category", "source"],
        months=(filters.month_from, filters.month_to),
        dictionary=("month", "category", "source"),  # text as codes: no string per row
    )
    if not incidents.num_rows and not store.count("incidents"):
        raise StoreError("no incidents are stored: import police.uk files first (python -m geo import incidents …)")
    return incidents_to_cube(incidents, area, filters=filters, categories=INCIDENT_CATEGORIES)


def places_in_cell(store: Store, cell: int, *, res: int, filters: Filters) -> pd.DataFrame:
    """Where in one hexagon the incidents were: location text (police.uk's "On or near …") and count.

    An inspector deciding where to stand within a 170 m hexagon wants the
    streets, not just a total. Police.uk locations are anonymised street
    points, so these are never addresses. Most incidents first, ties
    alphabetical (:func:`geo.plan.places.locations_in_cell`); a page asking for
    cell after cell reads them from one table instead (:func:`load_places`).
    """
    incidents = store.read_table(
        "incidents",
        columns=["lat", "lng", "month", "category", "source", "location"],
        months=(filters.month_from, filters.month_to),
        dictionary=("month", "category", "source", "location"),
    )
    locations = _places.incidents_to_locations(incidents, res=res, filters=filters)
    return _places.locations_in_cell(locations, cell)


def hotspot_table(cube: Cube, *, k: int = 1, weights: Weights | None = None) -> pd.DataFrame:
    """Gi* per cell over the cube's whole period, one row per study-area cell.

    ``weights`` are the study area's with ``k`` rings when the caller has them
    (:func:`load_weights`); None builds them.
    """
    y = cube.by_cell().astype(float)
    gi = gi_star(y, weights if weights is not None else cells_to_gi_weights(cube.area.cells, k=k), fdr=True)
    return pd.DataFrame(
        {
            "cell": cells_to_strings(cube.area.cells),
            "count": y.astype(np.int64),
            "gi_z": gi.z,
            "gi_p": gi.p,
            "gi_p_fdr": gi.p_fdr,
            "significant_fdr": gi.p_fdr < 0.05,
            "gi_bin": gi.gi_bin,
            "class": _GI_WORDS[np.asarray(gi.gi_bin, dtype=np.int64) + 3],
            "ward": cube.area.ward,
            "estate": cube.area.estate,
        }
    )


def trend_months(months: Sequence[str], *, trend: TrendRule = DEFAULT_TREND, time_steps: int = 1) -> list[str]:
    """The months the emerging hot spot trend is measured on (see :func:`geo.stats.emerging.trend_window`)."""
    return list(months)[trend_window(len(months), trend=trend, time_steps=time_steps).start :]


def describe_trend(months: Sequence[str], *, trend: TrendRule = DEFAULT_TREND, time_steps: int = 1) -> str:
    """The trend rule in words, with the months it reads, for a summary line, a caption or a legend.

    e.g. "trend over 2025-12..2026-10, 11 months with a complete neighbourhood (2025-11 left out)".
    """
    used = trend_months(months, trend=trend, time_steps=time_steps)
    span = f"{used[0]}..{used[-1]}" if used else "no months"
    if trend == "esri":
        return f"trend over {span}, every month ({len(used)}) as Esri's Emerging Hot Spot Analysis"
    left_out = list(months)[: len(months) - len(used)]
    dropped = f" ({', '.join(left_out)} left out)" if left_out else ""
    return f"trend over {span}, {len(used)} months with a complete neighbourhood{dropped}"


def check_trend_months(months: Sequence[str], *, trend: TrendRule = DEFAULT_TREND, time_steps: int = 1) -> None:
    """Refuse to classify when the trend series is shorter than Esri's minimum of 10 months.

    Raises
    ------
    OptionError
        Naming the months the trend would read and how to get enough.
    """
    used = trend_months(months, trend=trend, time_steps=time_steps)
    if len(used) >= MIN_TREND_MONTHS:
        return
    left_out = list(months)[: len(months) - len(used)]
    earlier = "the previous month" if time_steps == 1 else f"the previous {time_steps} months"
    why = (
        f": the complete-months rule leaves out {', '.join(left_out)}, "
        f"whose neighbourhood{'s lack' if len(left_out) > 1 else ' lacks'} {earlier}"
        if left_out
        else ""
    )
    raise OptionError(
        f"Emerging hot spot patterns are not classified: Esri's method needs at least {MIN_TREND_MONTHS} months "
        f"in the trend, and this range gives {len(used)}"
        + (f", {used[0]}..{used[-1]}" if used else "")
        + f"{why}. Choose a longer range of months"
        + (", or the Esri rule that uses every month ('esri')" if trend == "complete" else "")
        + ".",
        option="--from/--to",
    )


def emerging_table(
    cube: Cube,
    *,
    k: int = 1,
    time_steps: int = 1,
    trend: TrendRule = DEFAULT_TREND,
    weights: Weights | None = None,
) -> pd.DataFrame:
    """Emerging hot spot category and trend per cell, each row naming the trend rule and its first month.

    ``trend_rule`` and ``trend_from`` repeat on every row so that a CSV taken
    away on its own still says which rule made its categories
    (:data:`geo.stats.emerging.TREND_RULES`).

    Raises
    ------
    OptionError
        For a trend series shorter than 10 months (:func:`check_trend_months`).
    """
    check_trend_months(cube.months, trend=trend, time_steps=time_steps)
    w = weights if weights is not None else cells_to_gi_weights(cube.area.cells, k=k)
    result = emerging_hotspots(cube.by_cell_month(), w, time_steps=time_steps, trend=trend)
    front = pd.DataFrame({"cell": cells_to_strings(cube.area.cells), "count": cube.by_cell(), "ward": cube.area.ward})
    table = pd.concat([front, result.reset_index(drop=True)], axis=1)
    table["trend_rule"] = trend
    table["trend_from"] = trend_months(cube.months, trend=trend, time_steps=time_steps)[0]
    return table


def load_cases(store: Store) -> CaseData:
    """Every case kind the plan counts (:data:`~geo.plan.priority.CASE_KINDS`), read whole from the store.

    Today flagged addresses, closure orders and victims; victims' homes stay inside ``geo/``.
    """
    return CaseData({name: store.read(name) for name in CASE_KINDS})


def priority_table(
    cube: Cube,
    cases: CaseData,
    *,
    k: int = 1,
    top: int = 10,
    as_of: str | None = None,
    balance: str = DEFAULT_BALANCE,
    hot: pd.DataFrame | None = None,
    emerging: pd.DataFrame | None = None,
    weights: Weights | None = None,
    places: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Score every cell, then rank the top ones and plan a visit.

    ``balance`` weighs established hot spots against emerging ones
    (:data:`geo.plan.priority.BALANCES`); a cell's ward and estate are the study
    area's, those holding its centre (the one point-in-area rule).

    ``hot`` and ``emerging`` are this cube's :func:`hotspot_table` and
    :func:`emerging_table` (default rule) when the caller has them, so they are
    not computed twice; ``weights`` likewise. Emerging patterns need 10 months
    in the trend: with fewer the plan ranks without them, and ``emerging`` is not read.

    ``places`` names each study-area cell (:attr:`geo.plan.places.Places.names`,
    from the view's location texts: :func:`load_places`); both tables carry it as
    ``place`` right after ``cell``. None names the cells from what is here alone:
    the case addresses' streets, then the areas by code (:func:`geo.plan.places.cell_places`).

    Returns
    -------
    ranked, scored, tour_m
        The top ``top`` cells with ``visit_order``; every cell's score; the
        closed tour length in metres.
    """
    long_enough = trend_long_enough(cube.months)  # Esri's categories need 10 months; with fewer, none are used
    if weights is None and (hot is None or (emerging is None and long_enough)):
        weights = cells_to_gi_weights(cube.area.cells, k=k)  # built once for both
    if hot is None:
        hot = hotspot_table(cube, k=k, weights=weights)
    category = None
    if long_enough:
        if emerging is None:
            emerging = emerging_table(cube, k=k, weights=weights)
        category = emerging["category"].to_numpy()
    day = as_of or _end_of(cube.months[-1] if cube.months else dt.date.today().strftime("%Y-%m"))
    features = case_features(cube.area, cases, as_of=day)
    if places is None:
        places = _places.cell_places(cube.area, None, addresses=_places.case_addresses(cases)).names
    scored = score_cells(
        cube.area,
        counts=hot["count"].to_numpy(),
        gi_bin=hot["gi_bin"].to_numpy(),
        category=category,
        features=features,
        counted=counted(cube),
        balance=balance,
        places=places,
    )
    scored.insert(6, "gi_z", hot["gi_z"].to_numpy())
    ranked, length = rank(scored, top=top)
    return ranked, scored, length


def trend_long_enough(months: Sequence[str]) -> bool:
    """True when the default trend rule reads at least Esri's 10 months (emerging patterns can be classified)."""
    return len(trend_months(months)) >= MIN_TREND_MONTHS


def _end_of(month: str) -> str:
    return (pd.Period(month, freq="M").end_time.date()).isoformat()


def concentration_summary(cube: Cube, *, lookback: int = 3, area_fraction: float = 0.05) -> dict[str, object]:
    """Share of incidents in the top 1/5/10 % of cells, Gini, and the hotspot backtest."""
    totals = cube.by_cell()
    bt = backtest(cube.by_cell_month(), lookback=lookback, area_fraction=area_fraction)
    return {"share_in_top": share_in_top(totals), "gini": gini(totals), "backtest": bt}


class Pass:
    """One request's analysis: one study area and weights, one cube, each statistic computed at most once.

    The CLI's statistics and ``analyse`` and the dashboard read their tables
    from a pass, so a priority ranking uses the very Gi* and emerging results
    shown beside it, and nothing is counted twice. :attr:`timings` holds the
    wall seconds of every stage run so far (``study area``, ``cube``,
    ``weights``, ``hotspots``, ``emerging``, ``cases``, ``places``, ``priority``), for
    ``analyse``'s summary and the benchmarks.

    Parameters
    ----------
    store
        Where the boundaries, incidents and case records are read from.
    res, k
        H3 resolution of the cells and Gi* neighbourhood rings.
    filters
        Which incidents count (months, categories, sources).
    """

    def __init__(self, store: Store, *, res: int, k: int = 1, filters: Filters) -> None:
        self.store, self.k, self.filters = store, k, filters
        self.timings: dict[str, float] = {}
        self.area = self._timed("study area", lambda: load_area(store, res=res))
        self.cube = self._timed("cube", lambda: load_cube(store, self.area, filters=filters))
        self._weights: Weights | None = None
        self._hot: pd.DataFrame | None = None
        self._emerging: dict[tuple[int, str], pd.DataFrame] = {}
        self._cases: CaseData | None = None
        self._places: _places.Places | None = None

    def _timed(self, stage: str, work: Callable[[], _T]) -> _T:
        start = time.perf_counter()
        try:
            return work()
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start

    @property
    def weights(self) -> Weights:
        """Gi* weights over the study area with ``k`` rings (kept in the store)."""
        if self._weights is None:
            self._weights = self._timed("weights", lambda: load_weights(self.store, self.area, k=self.k))
        return self._weights

    def hotspots(self) -> pd.DataFrame:
        """:func:`hotspot_table` of the cube."""
        if self._hot is None:
            weights = self.weights
            self._hot = self._timed("hotspots", lambda: hotspot_table(self.cube, k=self.k, weights=weights))
        return self._hot

    def emerging(self, *, time_steps: int = 1, trend: TrendRule = DEFAULT_TREND) -> pd.DataFrame:
        """:func:`emerging_table` of the cube (:class:`OptionError` for a trend under 10 months)."""
        key = (time_steps, trend)
        if key not in self._emerging:
            weights = self.weights
            self._emerging[key] = self._timed(
                "emerging",
                lambda: emerging_table(self.cube, k=self.k, time_steps=time_steps, trend=trend, weights=weights),
            )
        return self._emerging[key]

    def cases(self) -> CaseData:
        """Every case kind the plan counts, read once."""
        if self._cases is None:
            self._cases = self._timed("cases", lambda: load_cases(self.store))
        return self._cases

    def places(self) -> _places.Places:
        """Every cell's name and its location texts for this pass's filters (:func:`load_places`), read once."""
        if self._places is None:
            self._places = self._timed("places", lambda: load_places(self.store, self.area, filters=self.filters))
        return self._places

    def priority(
        self, *, top: int = 10, as_of: str | None = None, balance: str = DEFAULT_BALANCE
    ) -> tuple[pd.DataFrame, pd.DataFrame, float]:
        """:func:`priority_table` from this pass's Gi* and (with 10 months or more) emerging tables."""
        hot, cases, names = self.hotspots(), self.cases(), self.places().names
        emerging = self.emerging() if trend_long_enough(self.cube.months) else None
        return self._timed(
            "priority",
            lambda: priority_table(
                self.cube,
                cases,
                k=self.k,
                top=top,
                as_of=as_of,
                balance=balance,
                hot=hot,
                emerging=emerging,
                places=names,
            ),
        )
