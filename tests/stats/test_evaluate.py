"""The evaluation engine: zones, windows and distinct counts by hand, against a brute-force count, and its statistics.

Points are given in British National Grid metres (``x, y``) where a distance
must be exact (a point on the radius, on the ring's edge), and in WGS84 for
the brute-force comparison, which projects each point on its own and measures
every distance with ``math.hypot`` in plain loops.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo.core.errors import InputError, OptionError
from geo.core.schema import BNG, WGS84
from geo.stats.evaluate import (
    CANNOT_TELL,
    NO_STUDY_AREA,
    SUMMARY_FIELDS,
    TOO_FEW,
    Effect,
    Estimate,
    at_peak,
    change_words,
    check_options,
    evaluate,
    measurable,
    month_number,
    near_counts,
    peak_words,
    percent,
    relative_change,
    wdq,
    wdq_words,
)

OX, OY = 358_000.0, 173_000.0  # Bristol, in metres


def at(dx: float, dy: float, month: str, n: int = 1) -> pd.DataFrame:
    return pd.DataFrame({"x": [OX + dx] * n, "y": [OY + dy] * n, "month": [month] * n})


def study_box(x0: float, x1: float, y0: float, y1: float) -> shapely.Geometry:
    """A WGS84 outline of a box given in metres around O (the engine takes WGS84 outlines)."""
    tr = Transformer.from_crs(BNG, WGS84, always_xy=True)
    xs, ys = np.array([x0, x1, x1, x0]) + OX, np.array([y0, y0, y1, y1]) + OY
    lng, lat = tr.transform(xs, ys)
    return shapely.Polygon(list(zip(lng, lat, strict=True)))


INTERVENTIONS = pd.DataFrame(
    {
        "ref": ["I1", "I2", "I3"],
        "date": ["2024-04-15", "2024-04-02", "2024-07-10"],
        "x": [OX, OX + 300, OX + 5000],
        "y": [OY, OY, OY],
    }
)
# months=2: I1 and I2 (April) have before = Feb-Mar, after = May-Jun; I3 (July) needs Aug-Sep, the data ends in Aug
INCIDENTS = pd.concat(
    [
        at(150, 0, "2024-02", 3),  # a: 150 m from I1 and from I2 (overlapping buffers): 3 incidents, not 6
        at(0, 200, "2024-05"),  # c: exactly 200 m from I1 (on the radius: treatment); 361 m from I2
        at(0, 400, "2024-03", 2),  # d: exactly 400 m from I1 (on the ring's edge: ring); 500 m from I2
        at(0, 401, "2024-03"),  # e: 401 m from I1, 501 m from I2: control
        at(0, -250, "2024-06", 4),  # f: 250 m from I1 and 391 m from I2: in both rings, counted once
        at(2000, 0, "2024-02", 10),  # g: control, before
        at(2000, 0, "2024-05", 7),  # g: control, after
        at(2000, 0, "2024-01", 5),  # g: control, in no window
        at(3000, 0, "2024-02", 6),  # h: outside the study area box below
        at(5000, 100, "2024-02", 2),  # i: in skipped I3's buffer: neither treatment nor control
        at(0, 0, "2024-04", 5),  # j: the intervention month itself: neither before nor after
        at(100, 0, "2024-07", 2),  # k: after the after-window
        at(0, 0, "2024-08"),  # the data's last month
    ],
    ignore_index=True,
)
SPAN = ("2024-01", "2024-08")
BOX = study_box(-1000, 2500, -1000, 1000)


def test_zones_windows_and_distinct_counts_by_hand():
    ev = evaluate(INCIDENTS, INTERVENTIONS, span=SPAN, study_area=BOX, months=2)
    assert ev.summary() == {
        "interventions_used": 2,
        "interventions_skipped": 1,  # I3: its after-window (Aug-Sep) is cut by the data's end
        "treatment_before": 3,  # a, once although it is in both buffers
        "treatment_after": 1,  # c, on I1's radius
        "ring_before": 2,  # d, on I1's ring edge
        "ring_after": 4,  # f, in both rings, once
        "control_before": 11,  # e + g (h is outside the study area, i is in I3's buffer)
        "control_after": 7,  # g
        "relative_change": pytest.approx((1 / 3) / (7 / 11) - 1),  # -0.476...
        # ln(1/OR) = ln(0.52381) = -0.646627; se = sqrt(1/3 + 1 + 1/11 + 1/7) = 1.251838
        "ci_low": pytest.approx(-0.954959, abs=1e-5),  # exp(-0.646627 - 1.959964 * 1.251838) - 1
        "ci_high": pytest.approx(5.091724, abs=1e-4),  # exp(-0.646627 + 1.959964 * 1.251838) - 1
        "wdq": pytest.approx((4 / 7 - 2 / 11) / (1 / 7 - 3 / 11)),  # BD / SM
    }
    assert list(ev.summary()) == list(SUMMARY_FIELDS)
    rows = ev.interventions.set_index("ref")
    assert rows.loc["I1", ["treatment_before", "treatment_after", "ring_before", "ring_after"]].tolist() == [3, 1, 2, 4]
    # I2's own buffer holds a only; c and d are in I1's buffer/ring but not within 400 m of I2 as ring; f is
    assert rows.loc["I2", ["treatment_before", "treatment_after", "ring_before", "ring_after"]].tolist() == [3, 0, 0, 4]
    assert rows.loc["I2", ["control_before", "control_after"]].tolist() == [11, 7]
    assert rows["included"].tolist() == [True, True, False]
    assert rows.loc["I3", "skip_reason"] == "window outside the data" and rows.loc["I1", "skip_reason"] == ""
    assert rows.loc[["I3"], ["treatment_before", "control_after"]].isna().all(axis=None)
    assert math.isnan(rows.loc["I3", "relative_change"]) and math.isnan(rows.loc["I3", "wdq"])
    assert rows.loc["I1", "relative_change"] == pytest.approx((1 / 3) / (7 / 11) - 1)
    assert NO_STUDY_AREA not in ev.notes


def test_without_a_study_area_every_incident_outside_the_ring_is_control_and_a_note_says_so():
    ev = evaluate(INCIDENTS, INTERVENTIONS, span=SPAN, study_area=None, months=2)
    assert (ev.effect.control_before, ev.effect.control_after) == (17, 7)  # h's 6 now count
    assert NO_STUDY_AREA in ev.notes


def test_incidents_given_in_degrees_are_counted_as_in_metres():
    tr = Transformer.from_crs(BNG, WGS84, always_xy=True)
    lng, lat = tr.transform(INCIDENTS["x"].to_numpy(), INCIDENTS["y"].to_numpy())
    wgs = INCIDENTS.drop(columns=["x", "y"]).assign(lat=lat, lng=lng)
    on_edge = (INCIDENTS["x"] == OX) & INCIDENTS["y"].isin([OY + 200, OY + 400])
    nudged = wgs[~on_edge]  # exact edges do not survive a round trip through degrees
    ev = evaluate(nudged, INTERVENTIONS, span=SPAN, study_area=BOX, months=2)
    assert (ev.effect.treatment_before, ev.effect.ring_after, ev.effect.control_before) == (3, 4, 11)


def test_the_window_cut_by_the_data_start_and_the_earlier_window():
    # an order in 2024-03 with months=2 needs Jan-Feb before: fine from 2024-01; an earlier window (Nov-Dec) is not
    one = pd.DataFrame({"ref": ["A"], "date": ["2024-03-01"], "x": [OX], "y": [OY]})
    incidents = pd.concat([at(0, 0, "2024-01", 4), at(0, 0, "2024-04", 1), at(2000, 0, "2024-01", 9)])
    ev = evaluate(incidents, one, span=("2024-01", "2024-06"), months=2)
    assert (ev.effect.used, ev.effect.earlier, ev.effect.earlier_before, ev.effect.peak) == (1, None, None, None)
    early = evaluate(incidents, one, span=("2023-12", "2024-06"), months=2)
    assert early.effect.used == 1 and early.effect.earlier is None  # earlier window Nov-Dec starts before 2023-12
    cut = evaluate(incidents, one, span=("2024-02", "2024-06"), months=2)
    assert (cut.effect.used, cut.effect.skipped) == (0, 1)
    assert "No intervention has 2 whole months" in cut.sentence()
    late = evaluate(incidents, one, span=("2024-01", "2024-04"), months=2)  # after-window May is past the end
    assert late.interventions["skip_reason"].tolist() == ["window outside the data"]
    exact = evaluate(incidents, one, span=("2024-01", "2024-05"), months=2)  # May is the last month: whole
    assert exact.effect.used == 1


def test_the_peak_rule_compares_the_before_window_with_the_months_before_it():
    one = pd.DataFrame({"ref": ["A"], "date": ["2024-05-01"], "x": [OX], "y": [OY]})
    # months=2: earlier Jan-Feb, before Mar-Apr, after Jun-Jul
    quiet = pd.concat([at(0, 0, "2024-01", 10), at(0, 0, "2024-03", 20)])
    peak = pd.concat([at(0, 0, "2024-02", 10), at(0, 0, "2024-04", 21)])
    for incidents, expected in ((quiet, False), (peak, True)):
        ev = evaluate(incidents, one, span=("2024-01", "2024-07"), months=2)
        assert (ev.effect.earlier, ev.effect.peak) == (10, expected)
    # (21 - 10) / sqrt(31) = 1.976 > 1.96; (20 - 10) / sqrt(30) = 1.826
    assert at_peak(10, 21) is True and at_peak(10, 20) is False
    assert at_peak(0, 0) is None and at_peak(float("nan"), 5) is None and at_peak(5, float("nan")) is None
    assert at_peak(0, 4) is True  # 4 / 2 = 2.0
    assert at_peak(30, 10) is False  # a fall before the intervention is no peak


def test_a_skipped_interventions_buffer_is_never_control():
    one = pd.DataFrame({"ref": ["A", "B"], "date": ["2024-03-01", "2030-01-01"], "x": [OX, OX + 1000], "y": [OY, OY]})
    incidents = pd.concat([at(1000, 0, "2024-02", 3), at(1000, 350, "2024-02", 2), at(3000, 0, "2024-02", 1)])
    ev = evaluate(incidents, one, span=("2024-01", "2024-06"), months=1)
    assert ev.effect.skipped == 1 and ev.effect.control_before == 1  # only the incident 2 km from both


def test_bad_place_or_date_is_skipped_with_its_reason():
    odd = pd.DataFrame({"ref": ["A", "B"], "date": ["2024-13-01", "2024-03-01"], "x": [OX, np.nan], "y": [OY, OY]})
    ev = evaluate(at(0, 0, "2024-02"), odd, span=("2024-01", "2024-06"), months=1)
    assert ev.interventions["skip_reason"].tolist() == ["no place or date", "no place or date"]
    assert month_number(["2024-13", "2024-00", "abcd-ef", "2024-01", "2023-12-31"]).tolist() == [
        -1,
        -1,
        -1,
        2024 * 12,
        2023 * 12 + 11,
    ]


def test_no_interventions_and_no_incidents_are_empty_not_errors():
    none = pd.DataFrame({c: pd.Series(dtype=float) for c in ("x", "y")}).assign(ref=[], date=[])
    ev = evaluate(at(0, 0, "2024-01"), none, span=("2024-01", "2024-01"))
    assert ev.effect.used == 0 and ev.interventions.empty
    ev = evaluate(at(0, 0, "2024-01").iloc[:0], INTERVENTIONS, span=None)
    assert ev.effect.used == 0 and ev.effect.skipped == 3
    assert ev.summary()["relative_change"] is None and ev.summary()["treatment_before"] == 0


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"radius_m": 0, "ring_m": 400, "months": 6}, "radius"),
        ({"radius_m": -5, "ring_m": 400, "months": 6}, "radius"),
        ({"radius_m": float("nan"), "ring_m": 400, "months": 6}, "radius"),
        ({"radius_m": 200, "ring_m": 200, "months": 6}, "ring"),
        ({"radius_m": 200, "ring_m": 150, "months": 6}, "ring"),
        ({"radius_m": 200, "ring_m": float("inf"), "months": 6}, "ring"),
        ({"radius_m": 200, "ring_m": 400, "months": 0}, "months"),
    ],
)
def test_options_are_checked(options, option):
    with pytest.raises(OptionError) as caught:
        check_options(**options)
    assert caught.value.option == option and not isinstance(caught.value, InputError)
    with pytest.raises(OptionError):
        evaluate(INCIDENTS, INTERVENTIONS, span=SPAN, **options)


def test_the_smallest_options_that_mean_something_are_accepted():
    check_options(radius_m=0.5, ring_m=0.6, months=1)


def test_near_counts_uses_the_same_edge_rule():
    places = pd.DataFrame({"x": [OX, OX + 10_000], "y": [OY, OY]})
    incidents = pd.concat([at(200, 0, "2024-01", 2), at(200.001, 0, "2024-01"), at(0, -1, "2024-01")])
    assert near_counts(incidents, places, radius_m=200).tolist() == [3, 0]
    assert near_counts(incidents.iloc[:0], places, radius_m=200).tolist() == [0, 0]
    assert near_counts(incidents, places.iloc[:0], radius_m=200).tolist() == []


# --------------------------------------------------------------------------- brute force


def brute_force(incidents: pd.DataFrame, orders: pd.DataFrame, *, span, months, radius, ring) -> dict[str, int]:
    """Every distance measured and every window tested in plain Python loops, each point projected on its own."""
    tr = Transformer.from_crs(WGS84, BNG, always_xy=True)

    def xy(lat, lng):
        return tr.transform(lng, lat)

    def mno(text):
        return int(text[:4]) * 12 + int(text[5:7]) - 1

    first, last = mno(span[0]), mno(span[1])
    places = [xy(r.lat, r.lng) for r in orders.itertuples()]
    grant = [mno(r.date) for r in orders.itertuples()]
    used = [g - months >= first and g + months <= last for g in grant]
    sets = {k: set() for k in ("tb", "ta", "rb", "ra")}
    control = {"before": 0, "after": 0}
    before_months = {m for g, u in zip(grant, used, strict=True) if u for m in range(g - months, g)}
    after_months = {m for g, u in zip(grant, used, strict=True) if u for m in range(g + 1, g + months + 1)}
    for i, r in enumerate(incidents.itertuples()):
        x, y = xy(r.lat, r.lng)
        m = mno(r.month)
        d = [math.hypot(x - px, y - py) for px, py in places]
        treated = any(v <= radius for v in d)
        near = any(v <= ring for v in d)
        for j, v in enumerate(d):
            if not used[j]:
                continue
            in_before = grant[j] - months <= m < grant[j]
            in_after = grant[j] < m <= grant[j] + months
            if v <= radius:
                if in_before:
                    sets["tb"].add(i)
                if in_after:
                    sets["ta"].add(i)
            elif v <= ring and not treated:
                if in_before:
                    sets["rb"].add(i)
                if in_after:
                    sets["ra"].add(i)
        if not near:
            control["before"] += m in before_months
            control["after"] += m in after_months
    return {
        "interventions_used": sum(used),
        "interventions_skipped": len(used) - sum(used),
        "treatment_before": len(sets["tb"]),
        "treatment_after": len(sets["ta"]),
        "ring_before": len(sets["rb"]),
        "ring_after": len(sets["ra"]),
        "control_before": control["before"],
        "control_after": control["after"],
    }


@pytest.mark.parametrize("seed", range(4))
def test_engine_agrees_with_a_brute_force_count(seed):
    rng = np.random.default_rng(seed)
    n, k = 400, 6
    months = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
    incidents = pd.DataFrame(
        {
            "lat": 51.45 + rng.uniform(-0.008, 0.008, n),
            "lng": -2.59 + rng.uniform(-0.012, 0.012, n),
            "month": rng.choice(months, n),
        }
    )
    orders = pd.DataFrame(
        {
            "ref": [f"O{j}" for j in range(k)],
            "date": [f"{rng.choice(months)}-{int(rng.integers(1, 28)):02d}" for _ in range(k)],
            "lat": 51.45 + rng.uniform(-0.004, 0.004, k),
            "lng": -2.59 + rng.uniform(-0.006, 0.006, k),
        }
    )
    span = ("2023-01", "2024-12")
    ev = evaluate(incidents, orders, span=span, radius_m=150, ring_m=320, months=4)
    expected = brute_force(incidents, orders, span=span, months=4, radius=150, ring=320)
    got = ev.summary()
    assert {key: got[key] for key in expected} == expected
    a0, a1, c0, c1 = (expected[f] for f in ("treatment_before", "treatment_after", "control_before", "control_after"))
    if min(a0, a1, c0, c1) > 0:
        assert got["relative_change"] == pytest.approx((a1 / a0) / (c1 / c0) - 1)


# --------------------------------------------------------------------------- statistics, worked by hand


def test_relative_change_and_interval_by_hand():
    # A0=100, A1=50, C0=200, C1=180: OR = (100*180)/(50*200) = 1.8, change = 1/1.8 - 1 = -0.4444
    # Var(ln OR) = 1/100 + 1/50 + 1/200 + 1/180 = 0.0405556, se = 0.201384, ln OR = 0.587787
    # low = exp(-0.587787 - 1.959964*0.201384) - 1 = -0.625623; high = exp(-0.587787 + 0.394706) - 1 = -0.175585
    e = relative_change(100, 50, 200, 180)
    assert e.change == pytest.approx(-0.444444, abs=1e-6)
    assert e.low == pytest.approx(-0.625623, abs=1e-5) and e.high == pytest.approx(-0.175585, abs=1e-5)
    up = relative_change(50, 100, 180, 200)  # the mirror image: ASB rose relative to the control
    assert up.change == pytest.approx(0.8) and up.low > 0
    for zero in ((0, 50, 200, 180), (100, 0, 200, 180), (100, 50, 0, 180), (100, 50, 200, 0), (np.nan, 5, 5, 5)):
        assert all(math.isnan(v) for v in (relative_change(*zero).change, relative_change(*zero).low))


def test_wdq_by_hand():
    # SM = 50/180 - 100/200 = -0.222222; BD = 30/180 - 40/200 = -0.033333; WDQ = 0.15
    assert wdq(a0=100, a1=50, b0=40, b1=30, c0=200, c1=180) == pytest.approx(0.15)
    # ring up: BD = 60/180 - 40/200 = 0.133333; WDQ = -0.6
    assert wdq(a0=100, a1=50, b0=40, b1=60, c0=200, c1=180) == pytest.approx(-0.6)
    assert math.isnan(wdq(a0=100, a1=90, b0=40, b1=60, c0=200, c1=180))  # SM = 0.5 - 0.5 = 0
    assert math.isnan(wdq(a0=100, a1=50, b0=0, b1=60, c0=200, c1=180))
    assert math.isnan(wdq(a0=100, a1=50, b0=40, b1=np.nan, c0=200, c1=180))


def test_measurable_thresholds():
    assert measurable(10, 10, 10, 10)  # 20 in the treatment area, 10 in each control window
    assert not measurable(10, 9, 10, 10)
    assert not measurable(10, 10, 9, 50) and not measurable(10, 10, 50, 9)
    assert not measurable(20, 0, 50, 50) and not measurable(np.nan, 30, 50, 50)


def test_change_in_words():
    assert change_words(relative_change(100, 50, 200, 180), enough=True) == (
        "ASB fell 44% relative to the control (95 % interval -63% to -18%)"
    )
    assert change_words(relative_change(50, 100, 180, 200), enough=True).startswith("ASB rose 80% relative")
    spans = relative_change(30, 25, 200, 190)
    assert spans.low < 0 < spans.high
    assert change_words(spans, enough=True).startswith(CANNOT_TELL)
    assert change_words(Estimate(-0.2, -0.4, 0.0), enough=True).startswith(CANNOT_TELL)  # touching 0 is spanning
    assert change_words(Estimate(-0.2, 0.0 - 0.4, -0.001), enough=True).startswith("ASB fell 20%")
    assert change_words(relative_change(100, 50, 200, 180), enough=False) == TOO_FEW
    assert change_words(Estimate(math.nan, math.nan, math.nan), enough=True) == TOO_FEW
    assert percent(-0.004) == "-0.4%" and percent(0.25) == "+25%" and percent(-0.01) == "-1%"


def test_wdq_in_words():
    fell = relative_change(100, 50, 200, 180)
    ring_fell = relative_change(80, 30, 200, 180)
    ring_rose = relative_change(30, 80, 200, 180)
    ring_same = relative_change(40, 37, 200, 180)
    assert wdq_words(0.15, fell, ring_fell, enough=True).startswith("diffusion of benefit")
    assert "improved more" in wdq_words(1.2, fell, ring_fell, enough=True)
    assert "improved more" not in wdq_words(1.0, fell, ring_fell, enough=True)
    assert wdq_words(-0.6, fell, ring_rose, enough=True).startswith("displacement")
    assert "outweighs" in wdq_words(-1.5, fell, ring_rose, enough=True)
    assert "outweighs" not in wdq_words(-1.0, fell, ring_rose, enough=True)
    assert wdq_words(0.05, fell, ring_same, enough=True).startswith("no measurable displacement")
    assert wdq_words(0.05, fell, Estimate(math.nan, math.nan, math.nan), enough=True).startswith("too few")
    no_effect = "no measurable effect in the treatment area"
    assert wdq_words(0.15, fell, ring_fell, enough=False).startswith(no_effect)
    assert wdq_words(0.15, relative_change(30, 25, 200, 190), ring_fell, enough=True).startswith(no_effect)
    assert wdq_words(math.nan, fell, ring_fell, enough=True).startswith(no_effect)
    assert wdq_words(0.15, Estimate(-0.3, -0.5, 0.0), ring_fell, enough=True).startswith(no_effect)


def test_effect_summary_and_sentence():
    e = Effect(2, 1, 100, 50, 40, 30, 200, 180)
    s = e.summary()
    assert s == {
        "interventions_used": 2,
        "interventions_skipped": 1,
        "treatment_before": 100,
        "treatment_after": 50,
        "ring_before": 40,
        "ring_after": 30,
        "control_before": 200,
        "control_after": 180,
        "relative_change": pytest.approx(-0.444444, abs=1e-6),
        "ci_low": pytest.approx(-0.625623, abs=1e-5),
        "ci_high": pytest.approx(-0.175585, abs=1e-5),
        "wdq": pytest.approx(0.15),
    }
    assert all(isinstance(s[k], int) for k in SUMMARY_FIELDS[:8])
    shown = Effect(2, 1, float("nan"), 50, 40, 30, 200, 180).summary()
    assert shown["treatment_before"] is None and shown["relative_change"] is None and shown["wdq"] is None
    assert Effect(1, 0, 1, 1, 1, 1, 1, 1).peak is None
    assert Effect(1, 0, 1, 1, 1, 1, 1, 1, earlier=10, earlier_before=21).peak is True


def test_peak_words():
    kw = {"months": 6, "earlier_text": "10", "before_text": "21"}
    assert "sited at a peak" in peak_words(10, 21, **kw) and "regression to the mean" in peak_words(10, 21, **kw)
    assert peak_words(10, 21, **kw).startswith("Near the interventions: 21 incidents in the 6 months before them, 10")
    assert "No sign" in peak_words(10, 20, **kw)
    assert "Too few to tell" in peak_words(math.nan, 20, **kw)


def test_the_words_and_keys_are_pinned():
    assert SUMMARY_FIELDS == (
        "interventions_used",
        "interventions_skipped",
        "treatment_before",
        "treatment_after",
        "ring_before",
        "ring_after",
        "control_before",
        "control_after",
        "relative_change",
        "ci_low",
        "ci_high",
        "wdq",
    )
    assert TOO_FEW == "too few incidents to say" and CANNOT_TELL == "cannot tell this apart from no change"
    assert NO_STUDY_AREA.startswith("No ward or estate boundaries are loaded, so the control is every stored incident")
    ev = evaluate(INCIDENTS, INTERVENTIONS, span=SPAN, study_area=BOX, months=2)
    assert ev.notes == (
        "No matched comparison (places with a similar earlier level and trend) is made: "
        "read the change with regression to the mean in mind.",
    )
    assert ev.sentence() == (
        "2 interventions (1 skipped): within 200 m, 3 incidents before and 1 after; in the 200-400 m ring 2 and 4; "
        "in the control 11 and 7. Too few incidents to say. Displacement: no measurable effect in the treatment "
        "area, so displacement cannot be judged."
    )
    assert (ev.radius_m, ev.ring_m, ev.months, ev.span) == (200.0, 400.0, 2, SPAN)
    many = Effect(3, 0, 100, 50, 80, 30, 200, 180)
    assert many.wdq_words.startswith("diffusion of benefit") and many.ring.change == pytest.approx(-0.583333, abs=1e-6)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"radius_m": 0, "ring_m": 400, "months": 6}, "the radius must be more than 0 metres, not 0"),
        ({"radius_m": 200, "ring_m": 150, "months": 6}, "the ring (150 m) must reach further than the radius (200 m)"),
        ({"radius_m": 200, "ring_m": 400, "months": 0}, "the window must be at least 1 month, not 0"),
    ],
)
def test_option_messages(options, words):
    with pytest.raises(OptionError) as caught:
        check_options(**options)
    assert str(caught.value) == words


def test_interventions_without_refs_are_numbered_from_one():
    plain = INTERVENTIONS.drop(columns=["ref"])
    ev = evaluate(INCIDENTS, plain, span=SPAN, study_area=BOX, months=2)
    assert ev.interventions["ref"].tolist() == ["1", "2", "3"]
    assert ev.interventions["date"].tolist() == ["2024-04-15", "2024-04-02", "2024-07-10"]
    assert ev.interventions.columns.tolist() == [
        "ref",
        "date",
        "included",
        "skip_reason",
        *SUMMARY_FIELDS[2:8],
        "relative_change",
        "ci_low",
        "ci_high",
        "wdq",
    ]


def test_a_lat_lng_study_area_on_points_in_degrees():
    tr = Transformer.from_crs(BNG, WGS84, always_xy=True)
    lng, lat = tr.transform(np.array([OX + 2000, OX + 3000]), np.array([OY, OY]))
    incidents = pd.DataFrame({"lat": lat, "lng": lng, "month": ["2024-02", "2024-02"]})
    ev = evaluate(incidents, INTERVENTIONS, span=SPAN, study_area=BOX, months=2)
    assert ev.effect.control_before == 1  # the point 3 km east is outside the box


def test_boundaries_a_count_of_one_and_the_defaults():
    assert math.isfinite(relative_change(1, 1, 1, 1).change) and relative_change(1, 1, 1, 1).change == 0
    assert wdq(a0=1, a1=2, b0=1, b1=1, c0=1, c1=1) == pytest.approx(0.0)  # BD = 0, SM = 1
    assert at_peak(0, 1) is False  # 1 / sqrt(1) = 1
    assert month_number([]).tolist() == []
    assert change_words(Estimate(0.2, 0.0, 0.4), enough=True).startswith(CANNOT_TELL)  # low end exactly 0
    ev = evaluate(INCIDENTS, INTERVENTIONS, span=SPAN, study_area=BOX)
    assert (ev.radius_m, ev.ring_m, ev.months) == (200.0, 400.0, 6)
    rows = evaluate(INCIDENTS, INTERVENTIONS, span=SPAN, study_area=BOX, months=2).interventions.set_index("ref")
    assert str(rows["treatment_before"].dtype) == "Int64"
    assert rows.loc["I1", "wdq"] == pytest.approx((4 / 7 - 2 / 11) / (1 / 7 - 3 / 11))  # = -3.0
    assert rows.loc["I1", "ci_low"] < rows.loc["I1", "relative_change"] < rows.loc["I1", "ci_high"]


def test_the_earlier_window_is_exactly_the_n_months_before_the_before_window():
    one = pd.DataFrame({"ref": ["A"], "date": ["2024-05-01"], "x": [OX], "y": [OY]})
    # months=2: earlier Jan-Feb; December (one month earlier still) must not count
    incidents = pd.concat([at(0, 0, "2023-12", 7), at(0, 0, "2024-01", 10), at(0, 0, "2024-03", 20)])
    ev = evaluate(incidents, one, span=("2023-11", "2024-07"), months=2)
    assert (ev.effect.earlier, ev.effect.earlier_before) == (10, 20)


def test_the_wording_is_pinned():
    fell = relative_change(100, 50, 200, 180)
    ring_fell, ring_rose = relative_change(80, 30, 200, 180), relative_change(30, 80, 200, 180)
    assert wdq_words(1.2, fell, ring_fell, enough=True) == (
        "diffusion of benefit: ASB also fell in the surrounding ring (WDQ 1.20); "
        "the ring improved more than the treatment area itself"
    )
    assert wdq_words(0.5, fell, ring_fell, enough=True) == (
        "diffusion of benefit: ASB also fell in the surrounding ring (WDQ 0.50)"
    )
    assert wdq_words(-1.5, fell, ring_rose, enough=True) == (
        "displacement: ASB rose in the surrounding ring (WDQ -1.50); "
        "the rise in the ring outweighs the fall in the treatment area"
    )
    assert wdq_words(-0.5, fell, ring_rose, enough=True) == "displacement: ASB rose in the surrounding ring (WDQ -0.50)"
    assert peak_words(10, 21, months=6, earlier_text="10", before_text="21") == (
        "Near the interventions: 21 incidents in the 6 months before them, 10 in the 6 months before that. "
        "The interventions were sited at a peak: part of any fall after them would have happened anyway "
        "(regression to the mean)."
    )
    assert peak_words(10, 20, months=3, earlier_text="10", before_text="20").endswith(
        "No sign that the interventions were sited at a peak."
    )
    assert peak_words(math.nan, 20, months=3, earlier_text="fewer than 5", before_text="20") == (
        "Near the interventions: 20 incidents in the 3 months before them, fewer than 5 in the 3 months before "
        "that. Too few to tell whether the interventions were sited at a peak."
    )


def test_measurable_counts_of_one_and_a_measurable_sentence():
    assert measurable(1, 19, 10, 10)  # 1 + 19 = 20 incidents in the treatment area
    from geo.stats.evaluate import Evaluation

    ev = Evaluation(
        interventions=pd.DataFrame(),
        effect=Effect(3, 0, 100, 50, 40, 30, 200, 180),
        radius_m=200.0,
        ring_m=400.0,
        months=6,
        span=None,
    )
    assert "in the control 200 and 180. ASB fell 44% relative to the control (95 % interval -63% to -18%)." in (
        ev.sentence()
    )
