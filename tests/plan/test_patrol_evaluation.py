"""Patrolled places against matched controls: matching, the ring, the change, dose bands, no patrols (hand-worked)."""

from __future__ import annotations

import datetime as dt
import math

import h3
import numpy as np
import pandas as pd
import pytest

from geo.core.errors import OptionError
from geo.plan.patrol_evaluation import (
    DOSE_BANDS,
    NO_PATROLS,
    dose_band,
    evaluate_patrolled_cells,
    match_controls,
    pre_features,
)

BEFORE = ["2024-01", "2024-02", "2024-03"]
DURING = ["2024-04"]
START, END = dt.date(2024, 4, 1), dt.date(2024, 4, 14)  # 14 days = 2 weeks
CENTRE = h3.latlng_to_cell(51.45, -2.59, 9)
Z = 1.959963984540054


def cell(c: str) -> np.uint64:
    return np.uint64(h3.str_to_int(c))


def counts_for(series: dict[np.uint64, list[int]]) -> pd.DataFrame:
    rows = [(c, m, n) for c, s in series.items() for m, n in zip([*BEFORE, *DURING], s, strict=True) if n]
    return pd.DataFrame(rows, columns=["cell", "month", "count"]).astype({"cell": np.uint64})


def area(k: int = 5) -> np.ndarray:
    return np.array(sorted(cell(c) for c in h3.grid_disk(CENTRE, k)), dtype=np.uint64)


def test_pre_features_level_and_least_squares_slope():
    level, slope = pre_features(np.array([[1, 2, 6], [4, 4, 4]]))
    # slope: t = -1, 0, 1 -> (-1*1 + 0*2 + 1*6) / 2 = 2.5
    np.testing.assert_allclose(level, [3.0, 4.0])
    np.testing.assert_allclose(slope, [2.5, 0.0])


def test_matching_picks_the_hand_worked_nearest_after_scaling():
    # levels 10, 10, 12, 0: population SD sqrt(88/4) = 4.690; slopes 1, 0, 1, 0: SD 0.5.
    # c1 (10, 0): scaled distance 1/0.5 = 2; c2 (12, 1): 2/4.690 = 0.426; c3 (0, 0) far. Raw distance would pick c1.
    treated = np.array([1], dtype=np.uint64)
    cands = np.array([11, 12, 13], dtype=np.uint64)
    m = match_controls(treated, np.array([[10.0, 1.0]]), cands, np.array([[10, 0], [12, 1], [0, 0.0]]), k=1)
    assert m["control"].tolist() == [12]
    assert m["distance"].iloc[0] == pytest.approx(2 / math.sqrt(22))


def test_matching_is_without_replacement_nearest_pair_first():
    # slopes all 0 (SD 0: left unscaled); levels: t1 10, t2 13; a 12, b 16, c 0.
    # pairs by distance: (t2,a) 1 taken; (t1,a) 2 refused, a used; (t2,b) 3 refused, t2 full; (t1,b) 6 taken.
    t = np.array([1, 2], dtype=np.uint64)
    c = np.array([21, 22, 23], dtype=np.uint64)
    m = match_controls(t, np.array([[10.0, 0], [13, 0]]), c, np.array([[12.0, 0], [16, 0], [0, 0]]), k=1)
    assert dict(zip(m["cell"], m["control"], strict=True)) == {1: 22, 2: 21}


def test_ring_and_passed_cells_are_never_controls():
    cells = area(3)
    ring = {cell(c) for c in h3.grid_ring(CENTRE, 1)}
    passed = cell(next(iter(h3.grid_ring(CENTRE, 3))))
    p = cell(CENTRE)
    series = {c: [0, 0, 0, 0] for c in cells}
    for c in [*ring, passed, p]:
        series[c] = [5, 6, 7, 3]  # the ring and the passed cell look exactly like the patrolled place
    far = sorted(cell(c) for c in h3.grid_ring(CENTRE, 2))[:3]
    for i, c in enumerate(far):
        series[c] = [5, 6, 7 + i, 1]  # nearest allowed: 7, then 8, then 9 in the last month
    patrolled = pd.DataFrame({"cell": [p, passed], "visits": [2, 0], "minutes": [30.0, 0.0], "passes": [0, 3]})
    ev = evaluate_patrolled_cells(
        counts_for(series), patrolled, start=START, end=END, before=BEFORE, during=DURING, cells=cells, k=3
    )
    controls = set(ev.matches["control"].tolist())
    assert controls == set(far)
    assert not controls & (ring | {passed})
    assert ev.ring_cells == 6
    # the ring is counted as the ring: six cells of 5+6+7 before and 3 during
    assert (ev.effect.ring_before, ev.effect.ring_after) == (6 * 18, 6 * 3)


@pytest.fixture
def fall():
    """Two patrolled places at 20 a month that fall to 10; two flat controls at 20; one busy ring cell."""
    cells = area(6)
    p1, p2 = cell(CENTRE), cell(next(iter(sorted(h3.grid_ring(CENTRE, 4)))))
    q1, q2 = (cell(c) for c in sorted(h3.grid_ring(CENTRE, 6))[:2])
    r = cell(sorted(h3.grid_ring(CENTRE, 1))[0])
    series = {p1: [20, 20, 20, 10], p2: [20, 20, 20, 10], q1: [20, 20, 20, 20], q2: [20, 20, 20, 20], r: [3, 3, 3, 6]}
    patrolled = pd.DataFrame({"cell": [p1, p2], "visits": [2, 6], "minutes": [20.0, 100.0], "place": ["A", "B"]})
    ev = evaluate_patrolled_cells(
        counts_for(series), patrolled, start=START, end=END, before=BEFORE, during=DURING, cells=cells, k=1
    )
    return ev, (p1, p2, q1, q2)


def test_a_fall_against_flat_controls_gives_the_hand_computed_interval(fall):
    ev, (_p1, _p2, q1, q2) = fall
    e = ev.effect
    assert set(ev.matches["control"]) == {q1, q2}
    assert (e.treatment_before, e.treatment_after, e.control_before, e.control_after) == (120, 20, 120, 40)
    assert (e.ring_before, e.ring_after) == (9, 6)
    # OR = (120 * 40) / (20 * 120) = 2; change 1/2 - 1 = -50 %; se = sqrt(1/120 + 1/20 + 1/120 + 1/40) = 0.302765
    se = math.sqrt(1 / 120 + 1 / 20 + 1 / 120 + 1 / 40)
    assert ev.estimate.change == pytest.approx(-0.5)
    assert ev.estimate.low == pytest.approx(math.exp(-math.log(2) - Z * se) - 1)  # -72.4 %
    assert ev.estimate.high == pytest.approx(math.exp(-math.log(2) + Z * se) - 1)  # -9.5 %
    assert ev.estimate.low == pytest.approx(-0.7238, abs=1e-4) and ev.estimate.high == pytest.approx(-0.0949, abs=1e-4)
    # WDQ = (6/40 - 9/120) / (20/40 - 120/120) = 0.075 / -0.5
    assert e.wdq == pytest.approx(-0.15)
    assert "fell 50%" in ev.words and "interval -72% to -9%" in ev.words
    assert ev.visits == 8 and ev.minutes == 120.0
    # pre-period trend: flat on both sides, no peak
    assert ev.slopes == (0.0, 0.0)
    assert "No sign" in ev.trend_words
    assert ev.trend["patrolled"].tolist() == [40, 40, 40, 20] and ev.trend["matched"].tolist() == [40, 40, 40, 40]
    assert any("not chosen at random" in c for c in ev.caveats)


def test_dose_bands_hand_checked(fall):
    ev, (p1, p2, _q1, _q2) = fall
    # over 2 weeks: A 20 min = 10 a week (under 15), B 100 min = 50 a week (45 or more)
    places = ev.places.set_index("cell")
    assert places.loc[p1, "minutes_per_week"] == 10.0 and places.loc[p2, "minutes_per_week"] == 50.0
    dose = ev.dose.set_index("band")
    assert list(dose.index) == [DOSE_BANDS[0][0], DOSE_BANDS[2][0]]
    for band in dose.index:  # each band: one place 60 -> 10 against its own control 60 -> 20: OR 2
        row = dose.loc[band]
        assert (row["places"], row["before"], row["during"], row["control_before"], row["control_during"]) == (
            1,
            60,
            10,
            60,
            20,
        )
        assert row["change"] == pytest.approx(-0.5)
    assert dose.loc[DOSE_BANDS[0][0], "minutes"] == 20.0
    # 70 incidents is enough (>= 20 in the place, >= 10 in each control window): words with the interval
    assert "95 % interval" in dose.loc[DOSE_BANDS[0][0], "words"]


def test_dose_band_edges():
    assert list(dose_band(np.array([0, 14.99, 15, 44.99, 45, 300]))) == [
        "under 15 minutes a week",
        "under 15 minutes a week",
        "15 to 44 minutes a week",
        "15 to 44 minutes a week",
        "45 minutes a week or more",
        "45 minutes a week or more",
    ]


def test_no_patrols_is_a_result_not_an_error():
    empty = pd.DataFrame({"cell": np.zeros(0, np.uint64), "visits": [], "minutes": []})
    cells = area(1)
    ev = evaluate_patrolled_cells(
        counts_for({c: [1, 1, 1, 1] for c in cells}), empty, start=START, end=END, before=BEFORE, during=DURING
    )
    assert not ev.delivered
    assert ev.words.startswith(NO_PATROLS)
    assert ev.effect.used == 0 and ev.places.empty and ev.dose.empty and ev.matches.empty


def test_passes_only_are_no_patrols_and_outside_places_are_noted():
    cells = area(1)
    outside = cell(h3.latlng_to_cell(51.50, -2.59, 9))
    dose = pd.DataFrame({"cell": [cells[0], outside], "visits": [0, 1], "minutes": [0.0, 5.0]})
    ev = evaluate_patrolled_cells(
        counts_for({c: [1, 1, 1, 1] for c in cells}), dose, start=START, end=END, before=BEFORE, during=DURING
    )
    assert ev.delivered and ev.effect.used == 0 and ev.effect.skipped == 1
    assert "outside the study area" in ev.notes[0]
    assert "nothing to compare" in ev.words


def test_options_refused():
    empty = pd.DataFrame({"cell": np.zeros(0, np.uint64), "visits": [], "minutes": []})
    kw = {"start": START, "end": END, "during": DURING}
    with pytest.raises(OptionError, match="at least 3 months"):
        evaluate_patrolled_cells(counts_for({}), empty, before=BEFORE[:2], **kw)
    with pytest.raises(OptionError, match="ring"):
        evaluate_patrolled_cells(counts_for({}), empty, before=BEFORE, ring_k=0, **kw)
