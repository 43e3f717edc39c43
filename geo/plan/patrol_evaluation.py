"""Did the patrols work? Patrolled places against matched unpatrolled places, before and during the patrols.

The evaluation engine (:mod:`geo.stats.evaluate`) compares a buffer around a
closure order with the rest of the town. Patrols differ: they go to many small
places for a few weeks, and those places were chosen *because* ASB was high
there, so the rest of the town is a poor comparison (regression to the mean).
Here each patrolled place is compared with unpatrolled places that had a
similar level and trend of ASB beforehand.

Places and windows

* **patrolled place**: an H3 cell (the plan's resolution) with at least one
  delivered *visit* (a stay of 2 minutes or more, :mod:`geo.space.stays`) in
  the period. A cell with only passes (drive-bys) got some dose: it is neither
  patrolled nor a possible control.
* **before**: the ``months`` whole months before the period's first month
  (cut to the incident data; at least :data:`MIN_PRE_MONTHS`).
* **during**: the months the period touches, from its first to its last,
  cut at the incident data's last month. police.uk gives months only, so a
  month counts as patrolled when any day of the period falls in it.
* **ring** (displacement): cells within ``ring_k`` H3 steps of a patrolled
  place, not patrolled themselves (ring 1 at resolution 9 is the six cells
  around it, about 170 m out).
* **matched controls**: cells of the study area that are not patrolled, not
  in the ring and had no pass, matched to the patrolled places as below.

Matching (documented rule, pinned by a hand-worked test)

Each cell gets two features over the before window: its **level** (mean ASB
per month) and its **trend** (the least-squares slope of its monthly counts,
incidents per month per month). Each feature is divided by its standard
deviation over the patrolled and candidate cells together (population SD; a
feature with SD 0 is left as it is), so that a difference of one incident a
month in level and one in slope do not weigh the same when the town's cells
differ far more in one than in the other. The distance is Euclidean on those
two scaled features. Every patrolled place gets up to ``k`` controls, **without
replacement**, by greedy nearest pairs: all (place, candidate) pairs in order
of distance (ties: the lower place cell, then the lower candidate cell), each
accepted while the place still needs controls and the candidate is unused.
Without replacement, so each control's incidents count once in the control
total, as the engine counts distinct incidents and as the variance of the odds
ratio assumes; when candidates run out a place gets fewer (the notes say so).

Statistics (the engine's, unchanged): treatment ``A`` = the patrolled places,
ring ``B``, control ``C`` = the matched controls, ``0`` before and ``1``
during; :func:`geo.stats.evaluate.relative_change` for the change and its 95 %
interval, :func:`~geo.stats.evaluate.wdq` for displacement, with the engine's
:data:`~geo.stats.evaluate.MIN_TREATMENT`/``MIN_CONTROL`` rules for putting it
in words. The regression-to-the-mean check is the pre-period trend: patrolled
and matched places' monthly ASB (matched scaled to as many places), each
side's slope per place, and the engine's peak rule
(:func:`geo.stats.evaluate.at_peak`) on each side's earlier and later half of
the before window: patrolled places at a peak that their matches do not share
is the warning sign. ``effect.earlier``/``earlier_before`` hold the patrolled
places' two halves.

Dose-response: places grouped by delivered minutes per week of the period in
the bands :data:`DOSE_BANDS` (lower edge inclusive), each band against its own
places' matched controls. The bands follow the Koper curve and the plan's
default dose of 3 visits of 15 minutes a week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from geo.core.errors import OptionError, StoreError
from geo.core.schema import ASB
from geo.plan._patrol_core import (
    CAVEATS,
    DEFAULT_K,
    DOSE_BANDS,
    DOSE_COLUMNS,
    MIN_PRE_MONTHS,
    NO_PATROLS,
    PLACE_COLUMNS,
    PatrolEvaluation,
    dose_band,
    evaluate_patrolled_cells,
    halves,
    match_controls,
    pre_features,
    trend_words,
)
from geo.plan.analysis import load_area, load_cube
from geo.plan.dosage import dosage_for
from geo.stats.aggregate import Filters, month_range
from geo.store import Store

__all__ = [
    "CAVEATS",
    "DEFAULT_K",
    "DEFAULT_MONTHS",
    "DOSE_BANDS",
    "DOSE_COLUMNS",
    "MIN_PRE_MONTHS",
    "NO_PATROLS",
    "PLACE_COLUMNS",
    "PatrolEvaluation",
    "dose_band",
    "evaluate_patrolled_cells",
    "evaluate_patrols",
    "halves",
    "match_controls",
    "pre_features",
    "trend_words",
]

#: Before-window months matched on (the engine's default window).
DEFAULT_MONTHS = 6


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def patrol_windows(start: dt.date, end: dt.date, *, span: tuple[str, str], months: int) -> tuple[list[str], list[str]]:
    """The before months (``months`` before the period's first, cut to the data) and the during months (cut too)."""
    first, last = _month(start), _month(end)
    lead = pd.Period(first, freq="M")
    before = [str(lead - i) for i in range(months, 0, -1)]
    during = month_range(first, min(last, span[1])) if first <= span[1] else []
    return [m for m in before if span[0] <= m <= span[1]], during


def evaluate_patrols(
    store: Store,
    *,
    start: dt.date,
    end: dt.date,
    res: int = 9,
    months: int = DEFAULT_MONTHS,
    ring_k: int = 1,
    k: int = DEFAULT_K,
    categories: Sequence[str] = (ASB,),
) -> PatrolEvaluation:
    """Patrolled places (a visit delivered from ``start`` to ``end``, whole days) against matched places.

    The delivered dose is :func:`geo.plan.dosage.dosage_for` (the Patrols page's and
    ``python -m geo dosage``'s); the incidents are the study area's cube
    (:func:`geo.plan.analysis.load_cube`) in ``categories``. A period with no
    visit is a result saying so (:data:`NO_PATROLS`), as is one the incident data
    does not reach yet.

    Raises
    ------
    OptionError
        ``start`` after ``end``, ``months`` under :data:`MIN_PRE_MONTHS`, a bad
        resolution, ring or ``k``.
    StoreError
        No incidents are stored.
    """
    if start > end:
        raise OptionError(f"the period is empty: {start} is after {end}", option="start")
    if months < MIN_PRE_MONTHS:
        raise OptionError(
            f"matching needs at least {MIN_PRE_MONTHS} months before the patrols, not {months}", option="months"
        )
    span = store.months()
    if span is None:
        raise StoreError("no incidents are stored: import police.uk files first (python -m geo import incidents …)")
    dose = dosage_for(store, start=start, end=end, res=res).table
    patrolled = pd.DataFrame(
        {
            "cell": pd.to_numeric(dose["cell"]).to_numpy(np.int64).astype(np.uint64),
            "place": dose["place"].astype(str).to_numpy() if "place" in dose else "",
            "visits": pd.to_numeric(dose["visits"], errors="coerce").fillna(0).to_numpy(np.int64),
            "minutes": pd.to_numeric(dose["minutes"], errors="coerce").fillna(0).to_numpy(float),
            "passes": pd.to_numeric(dose["passes"], errors="coerce").fillna(0).to_numpy(np.int64),
        }
    )
    before, during = patrol_windows(start, end, span=span, months=months)
    notes: list[str] = []
    short = len(before) < months
    if short and len(before) >= MIN_PRE_MONTHS:
        notes.append(f"Only {len(before)} months of incident data come before the patrols (not {months}).")
    none = pd.DataFrame({"cell": np.zeros(0, np.uint64), "month": [], "count": np.zeros(0, np.int64)})
    unmeasured = ""
    if not (patrolled["visits"] > 0).any():
        pass  # the core says "no patrols delivered"
    elif not during:
        unmeasured = (
            f"Patrols were delivered, but the incident data ends at {span[1]}, before them: nothing to compare yet."
        )
    elif len(before) < MIN_PRE_MONTHS:
        unmeasured = (
            f"Patrols were delivered, but only {len(before)} months of incident data come before them; "
            f"matching needs {MIN_PRE_MONTHS}."
        )
    if unmeasured or not (patrolled["visits"] > 0).any():
        pre = [str(pd.Period(_month(start), freq="M") - i) for i in range(MIN_PRE_MONTHS, 0, -1)]
        ev = evaluate_patrolled_cells(
            none,
            patrolled,
            start=start,
            end=end,
            before=pre,
            during=during,
            cells=np.zeros(0, np.uint64),
            ring_k=ring_k,
            k=k,
        )
        return replace(ev, before_months=tuple(before), words=unmeasured or ev.words, notes=(*notes, *ev.notes))
    area = load_area(store, res=res)
    cube = load_cube(
        store, area, filters=Filters(month_from=before[0], month_to=during[-1], categories=tuple(categories))
    )
    by = cube.by_cell_month()
    ci, mi = np.nonzero(by)
    counts = pd.DataFrame(
        {"cell": area.cells[ci], "month": np.asarray(cube.months, dtype=object)[mi], "count": by[ci, mi]}
    )
    ev = evaluate_patrolled_cells(
        counts, patrolled, start=start, end=end, before=before, during=during, cells=area.cells, ring_k=ring_k, k=k
    )
    return replace(ev, notes=(*notes, *ev.notes))
