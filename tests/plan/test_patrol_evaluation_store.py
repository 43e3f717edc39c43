"""evaluate_patrols and the published patrol figures over a small store: one ward, five places, a week of pings."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from geo.plan.patrol_evaluation import NO_PATROLS, evaluate_patrols
from geo.publish import privacy
from geo.publish.patrol_figures import minutes_text, patrol_lines, publish_patrols
from geo.stats.evaluate import relative_change
from geo.store.importer import import_path
from tests.conftest import ONE_WARD, police_csv, police_row

PATROLLED = (51.45, -2.59)  # inside ONE_WARD (-2.60..-2.58, 51.44..51.46)
#: Four places 0.007 deg of latitude (778 m) or 0.005 deg of longitude (350 m) and more away: outside the ring.
FLAT = [(51.443, -2.5955), (51.443, -2.5845), (51.457, -2.5955), (51.457, -2.5845)]
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07"]


def asb(point: tuple[float, float], month: str, n: int) -> list[str]:
    return [police_row(month=month, lat=f"{point[0]:.6f}", lng=f"{point[1]:.6f}")] * n


def pings(unit: str, point: tuple[float, float], start: str, minutes: int) -> list[str]:
    t0 = dt.datetime.fromisoformat(start)
    return [
        f"{unit},{(t0 + dt.timedelta(minutes=i)).isoformat()}Z,{point[0]:.6f},{point[1]:.6f}"
        for i in range(minutes + 1)
    ]


@pytest.fixture
def town(store, write):
    """ASB: the patrolled place 4 a month, falling to 1 in July; four flat places 4 a month; pings on 3 July."""
    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1
    rows = [r for m in MONTHS[:-1] for r in asb(PATROLLED, m, 4)] + asb(PATROLLED, "2024-07", 1)
    rows += [r for p in FLAT for m in MONTHS for r in asb(p, m, 4)]
    assert import_path(store, "incidents", write("i.csv", police_csv(*rows))).stored == len(rows)
    track = ["unit,time,lat,lng", *pings("B21", PATROLLED, "2024-07-03T10:00:00", 9)]
    assert import_path(store, "patrols", write("p.csv", "\n".join(track) + "\n")).stored == 10
    return store


def test_evaluate_patrols_from_the_store_by_hand(town):
    ev = evaluate_patrols(town, start=dt.date(2024, 7, 1), end=dt.date(2024, 7, 7), months=6, k=3)
    assert ev.before_months == tuple(MONTHS[:6]) and ev.during_months == ("2024-07",)
    assert ev.visits == 1 and ev.minutes == 9.0
    e = ev.effect
    # patrolled: 6 x 4 before, 1 during; three of the four flat places (an exact match): 3 x 24 and 3 x 4
    assert (e.used, e.treatment_before, e.treatment_after) == (1, 24, 1)
    assert (e.control_before, e.control_after) == (72, 12)
    assert (e.ring_before, e.ring_after) == (0, 0)
    assert ev.matches["distance"].tolist() == [0.0, 0.0, 0.0]
    # OR = (24 * 12) / (1 * 72) = 4: ASB fell 75 % relative to the matched places
    assert ev.estimate.change == pytest.approx(-0.75)
    # 9 minutes in one week: the lowest dose band
    assert ev.dose["band"].tolist() == ["under 15 minutes a week"]


def test_no_patrols_in_the_period_is_a_result(town):
    ev = evaluate_patrols(town, start=dt.date(2024, 7, 10), end=dt.date(2024, 7, 20))
    assert not ev.delivered and ev.words.startswith(NO_PATROLS)


def test_published_minutes_and_a_withheld_evaluation(town):
    p = publish_patrols(town, start="2024-07", end="2024-07", previous=("2024-06", "2024-06"), area=None)
    assert p is not None
    assert (p.minutes, p.minutes_text) == (10.0, "≈ 10 minutes")  # 9 minutes, to the nearest 10
    assert p.previous_text == "no patrol log"  # no ping before July: no log, not zero patrol
    assert "published only over 5 or more patrolled places" in p.evaluation
    assert patrol_lines(p)[0] == "Patrol minutes delivered: about 10 minutes at fewer than 5 places."


def test_minutes_rounding():
    assert minutes_text(0.0) == (0.0, "none")
    assert math.isnan(minutes_text(4.9)[0]) and minutes_text(4.9)[1] == "under 10 minutes"
    assert minutes_text(5.0) == (10.0, "≈ 10 minutes")
    assert minutes_text(1234.0) == (1230.0, "≈ 1,230 minutes")
    assert minutes_text(None)[1] == "no patrol log"


def test_a_published_evaluation_is_the_engine_on_shown_counts(store, write):
    """Five patrolled places: every count shown through the rule, the change the engine's on those counts."""
    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1
    places = [(51.442 + 0.004 * i, -2.598) for i in range(5)]  # 445 m apart: five cells
    controls = [(51.442 + 0.004 * i, lng) for i in range(5) for lng in (-2.583, -2.588)]  # ten, outside the rings
    rows = [r for p in places for m in MONTHS[:-1] for r in asb(p, m, 6)] + [
        r for p in places for r in asb(p, "2024-07", 2)
    ]
    rows += [r for p in controls for m in MONTHS for r in asb(p, m, 6)]
    assert import_path(store, "incidents", write("i.csv", police_csv(*rows))).stored == len(rows)
    track = ["unit,time,lat,lng"]
    for i, p in enumerate(places):
        track += pings("B21", p, f"2024-07-0{i + 1}T10:00:00", 15)
    assert import_path(store, "patrols", write("p.csv", "\n".join(track) + "\n")).stored == 5 * 16
    p = publish_patrols(store, start="2024-07", end="2024-07", previous=("2024-06", "2024-06"), area=None)
    assert p is not None and p.shown is not None
    n = privacy.threshold()
    s = p.shown
    for v in (s.treatment_before, s.treatment_after, s.control_before, s.control_after):
        assert math.isnan(v) or v % n == 0
    est = relative_change(s.treatment_before, s.treatment_after, s.control_before, s.control_after)
    assert privacy.percent_text(est.change).lstrip("+-") in p.evaluation
    assert p.minutes_text == "≈ 80 minutes"  # 5 visits of 15 minutes = 75, to the nearest 10 (half up)
    assert "5 patrolled places" in p.evaluation or "About 5 patrolled places" in p.evaluation
