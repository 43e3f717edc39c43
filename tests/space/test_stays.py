"""The stay rules (geo.space.stays) pinned on hand-made tracks, and against a one-ping-at-a-time loop.

Every expected stay is worked by hand from the rules in the module docstring;
the property test compares with :func:`_brute_stays`, which walks the pings
one by one with h3-py's own cell for each point (not h3ronpy's vector path).
"""

from __future__ import annotations

import datetime as dt

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.core.errors import InputError, OptionError
from geo.space.hexes import points_to_cells
from geo.space.stays import STAY_COLUMNS, pings_to_stays, stay_days

RES = 9
HOME = h3.latlng_to_cell(51.45, -2.59, RES)
NEXT = sorted(h3.grid_ring(HOME, 1))[0]


def centre(cell: str) -> tuple[float, float]:
    return h3.cell_to_latlng(cell)


def cell_int(cell: str) -> int:
    return h3.str_to_int(cell)


def track(unit: str, *stops: tuple[str, tuple[float, float]]) -> pd.DataFrame:
    """Pings of one unit: (ISO time, (lat, lng)) each."""
    return pd.DataFrame(
        {
            "unit": [unit] * len(stops),
            "time": pd.to_datetime([t for t, _ in stops], utc=True),
            "lat": [p[0] for _, p in stops],
            "lng": [p[1] for _, p in stops],
        }
    )


def summary(stays: pd.DataFrame) -> list[tuple[str, int, str, str, float, int, bool]]:
    return [
        (r.unit, r.cell, r.start.strftime("%H:%M:%S"), r.end.strftime("%H:%M:%S"), r.minutes, r.pings, r.visit)
        for r in stays.itertuples()
    ]


H, N = cell_int(HOME), cell_int(NEXT)


def test_a_gap_of_exactly_five_minutes_continues_a_stay_and_five_minutes_one_second_splits_it():
    at = centre(HOME)
    pings = track("B21", ("2026-03-02T10:00:00Z", at), ("2026-03-02T10:05:00Z", at), ("2026-03-02T10:10:01Z", at))
    assert summary(pings_to_stays(pings, res=RES)) == [
        ("B21", H, "10:00:00", "10:05:00", 5.0, 2, True),
        ("B21", H, "10:10:01", "10:10:01", 0.0, 1, False),
    ]


def test_minutes_are_last_ping_minus_first_and_two_minutes_is_a_visit_one_fifty_nine_a_pass():
    at = centre(HOME)
    visit = track("A", ("2026-03-02T10:00:00Z", at), ("2026-03-02T10:01:00Z", at), ("2026-03-02T10:02:00Z", at))
    drive_by = track("B", ("2026-03-02T10:00:00Z", at), ("2026-03-02T10:01:59Z", at))
    stays = pings_to_stays(pd.concat([drive_by, visit]), res=RES)
    assert summary(stays) == [
        ("A", H, "10:00:00", "10:02:00", 2.0, 3, True),
        ("B", H, "10:00:00", "10:01:59", pytest.approx(119 / 60), 2, False),
    ]
    assert list(stays.columns) == STAY_COLUMNS


def test_a_single_ping_is_a_stay_of_zero_minutes_a_pass():
    stays = pings_to_stays(track("A", ("2026-03-02T10:00:00Z", centre(HOME))), res=RES)
    assert summary(stays) == [("A", H, "10:00:00", "10:00:00", 0.0, 1, False)]


def test_leaving_the_cell_for_one_ping_ends_the_stay_and_coming_back_starts_another():
    home, away = centre(HOME), centre(NEXT)
    pings = track(
        "A",
        ("2026-03-02T10:00:00Z", home),
        ("2026-03-02T10:03:00Z", home),
        ("2026-03-02T10:04:00Z", away),
        ("2026-03-02T10:05:00Z", home),
        ("2026-03-02T10:09:00Z", home),
    )
    assert summary(pings_to_stays(pings, res=RES)) == [
        ("A", H, "10:00:00", "10:03:00", 3.0, 2, True),
        ("A", N, "10:04:00", "10:04:00", 0.0, 1, False),
        ("A", H, "10:05:00", "10:09:00", 4.0, 2, True),
    ]


def test_two_units_in_one_place_at_once_are_two_stays():
    at = centre(HOME)
    both = pd.concat(
        [
            track("B21", ("2026-03-02T10:00:00Z", at), ("2026-03-02T10:05:00Z", at), ("2026-03-02T10:10:00Z", at)),
            track("A7", ("2026-03-02T10:02:00Z", at), ("2026-03-02T10:04:00Z", at), ("2026-03-02T10:08:00Z", at)),
        ]
    )
    both = both.sample(frac=1.0, random_state=3)  # any order in: sorted by unit and time out
    assert summary(pings_to_stays(both, res=RES)) == [
        ("A7", H, "10:02:00", "10:08:00", 6.0, 3, True),
        ("B21", H, "10:00:00", "10:10:00", 10.0, 3, True),
    ]


def test_a_stay_across_midnight_is_one_stay_belonging_to_the_day_it_started_on_the_uk_clock():
    at = centre(HOME)
    winter = track(
        "A", *((f"2026-01-05T23:{m}:00Z", at) for m in (55, 59)), *((f"2026-01-06T00:0{m}:00Z", at) for m in (3, 7))
    )
    stays = pings_to_stays(winter, res=RES)
    assert summary(stays) == [("A", H, "23:55:00", "00:07:00", 12.0, 4, True)]
    assert stay_days(stays).tolist() == [dt.date(2026, 1, 5)]
    # in summer 23:55-00:07 in London is 22:55-23:07 UTC, and 23:30 UTC is already the next day (00:30 BST)
    summer = pd.concat(
        [
            track("A", *((f"2026-06-01T{hm}:00Z", at) for hm in ("22:55", "23:00", "23:04", "23:07"))),
            track("B", ("2026-06-01T23:30:00Z", at)),
        ]
    )
    summer_stays = pings_to_stays(summer, res=RES)
    assert summer_stays["pings"].tolist() == [4, 1]
    assert stay_days(summer_stays).tolist() == [dt.date(2026, 6, 1), dt.date(2026, 6, 2)]


def test_a_ping_exactly_on_a_shared_edge_is_in_the_one_cell_h3_assigns_and_counted_once():
    # a corner of the edge HOME and its neighbour share: the same floats in both cells' boundaries
    neighbour, corner = next(
        (b, v)
        for b in sorted(h3.grid_ring(HOME, 1))
        for v in h3.cell_to_boundary(HOME)
        if v in h3.cell_to_boundary(b) and h3.latlng_to_cell(*v, RES) == b
    )
    owner = h3.latlng_to_cell(*corner, RES)
    assert owner == neighbour  # h3 gives the corner to the neighbour, not to HOME
    assert points_to_cells(np.array([corner[0]]), np.array([corner[1]]), res=RES).tolist() == [cell_int(owner)]
    n = cell_int(neighbour)
    pings = pd.concat(
        [
            track("H", ("2026-03-02T10:00:00Z", centre(HOME)), ("2026-03-02T10:01:00Z", corner)),
            track("H", ("2026-03-02T10:02:00Z", centre(HOME))),
            track("N", ("2026-03-02T10:00:00Z", centre(neighbour)), ("2026-03-02T10:01:00Z", corner)),
            track("N", ("2026-03-02T10:03:00Z", centre(neighbour))),
        ]
    )
    stays = pings_to_stays(pings, res=RES)
    assert summary(stays) == [
        ("H", H, "10:00:00", "10:00:00", 0.0, 1, False),
        ("H", n, "10:01:00", "10:01:00", 0.0, 1, False),  # the corner ping, in the neighbour: HOME's stay ends
        ("H", H, "10:02:00", "10:02:00", 0.0, 1, False),
        ("N", n, "10:00:00", "10:03:00", 3.0, 3, True),  # the corner ping is inside the neighbour's stay
    ]
    assert stays["pings"].sum() == len(pings)


def test_times_without_an_offset_are_utc_and_the_options_are_checked():
    naive = pd.DataFrame(
        {"unit": ["A", "A"], "time": ["2026-03-02 10:00:00", "2026-03-02 10:03:00"], "lat": 51.45, "lng": -2.59}
    )
    stays = pings_to_stays(naive, res=RES)
    assert stays["start"].tolist() == [pd.Timestamp("2026-03-02T10:00:00Z")]
    assert summary(pings_to_stays(naive, res=RES, max_gap=dt.timedelta(minutes=2)))[0][4:] == (0.0, 1, False)
    assert pings_to_stays(naive, res=RES, visit_minutes=3.5)["visit"].tolist() == [False]
    with pytest.raises(OptionError, match="resolution"):
        pings_to_stays(naive, res=3)
    with pytest.raises(InputError, match=r"1 pings have no unit, time or position \(the first is row 2\)"):
        pings_to_stays(naive.assign(lat=[51.45, None]), res=RES)
    with pytest.raises(InputError, match="lng missing"):
        pings_to_stays(naive.drop(columns="lng"), res=RES)


def test_no_pings_are_no_stays_with_the_columns_and_types():
    stays = pings_to_stays(track("A"), res=RES)
    assert len(stays) == 0 and list(stays.columns) == STAY_COLUMNS
    assert str(stays["start"].dtype) == "datetime64[ns, UTC]" and stays["cell"].dtype == np.int64


def test_a_gap_a_millisecond_over_five_minutes_ends_the_stay():
    # 10:00:00 -> 10:05:00 is exactly 5:00 (continues); 10:05:00 -> 10:10:00.001 is 5:00.001, over 5 minutes (ends)
    at = centre(HOME)
    pings = track(
        "A", ("2026-03-02T10:00:00.000Z", at), ("2026-03-02T10:05:00.000Z", at), ("2026-03-02T10:10:00.001Z", at)
    )
    stays = pings_to_stays(pings, res=RES)
    assert summary(stays) == [
        ("A", H, "10:00:00", "10:05:00", 5.0, 2, True),
        ("A", H, "10:10:00", "10:10:00", 0.0, 1, False),
    ]
    assert stays["start"].tolist()[1] == pd.Timestamp("2026-03-02T10:10:00.001Z")


def test_a_max_gap_of_zero_joins_only_pings_at_one_instant_and_a_negative_one_is_refused():
    at = centre(HOME)
    pings = track("A", ("2026-03-02T10:00:00Z", at), ("2026-03-02T10:00:00Z", at), ("2026-03-02T10:00:01Z", at))
    # gap 0 s between the first two (not over 0: one stay of 2 pings), 1 s to the third (over 0: a new stay)
    assert summary(pings_to_stays(pings, res=RES, max_gap=dt.timedelta(0))) == [
        ("A", H, "10:00:00", "10:00:00", 0.0, 2, False),
        ("A", H, "10:00:01", "10:00:01", 0.0, 1, False),
    ]
    with pytest.raises(InputError, match=r"cannot be negative, not -1 day, 23:59:59"):
        pings_to_stays(pings, res=RES, max_gap=dt.timedelta(seconds=-1))


def test_a_ping_with_no_unit_no_time_or_a_position_that_is_not_a_number_is_refused_by_row():
    at = centre(HOME)
    good = track("A", ("2026-03-02T10:00:00Z", at), ("2026-03-02T10:03:00Z", at), ("2026-03-02T10:04:00Z", at))
    no_unit = good.assign(unit=["A", None, "A"])
    no_time = good.assign(time=[pd.Timestamp("2026-03-02T10:00:00Z"), pd.Timestamp("2026-03-02T10:03:00Z"), pd.NaT])
    words = good.assign(lat=[str(at[0]), "north", str(at[0])], lng=[str(at[1]), str(at[1]), "east"])
    with pytest.raises(InputError, match=r"^1 pings have no unit, time or position \(the first is row 2\)"):
        pings_to_stays(no_unit, res=RES)
    with pytest.raises(InputError, match=r"^1 pings have no unit, time or position \(the first is row 3\)"):
        pings_to_stays(no_time, res=RES)
    with pytest.raises(InputError, match=r"^2 pings have no unit, time or position \(the first is row 2\)"):
        pings_to_stays(words, res=RES)  # "north" and "east" are no position
    # positions given as numeric text are positions
    assert summary(pings_to_stays(words.assign(lat=str(at[0]), lng=str(at[1])), res=RES)) == [
        ("A", H, "10:00:00", "10:04:00", 4.0, 3, True)
    ]
    with pytest.raises(InputError, match=r"the columns unit, time, lat, lng: lat, lng missing"):
        pings_to_stays(good.drop(columns=["lat", "lng"]), res=RES)


def test_a_place_is_a_cell_at_the_resolution_asked_for():
    # two res-10 children of HOME: at res 9 one place (a 3-minute visit), at res 10 two places (two passes)
    one, two = (h3.cell_to_latlng(c) for c in sorted(h3.cell_to_children(HOME, 10))[:2])
    pings = track("A", ("2026-03-02T10:00:00Z", one), ("2026-03-02T10:03:00Z", two))
    assert summary(pings_to_stays(pings, res=9)) == [("A", H, "10:00:00", "10:03:00", 3.0, 2, True)]
    kids = [cell_int(h3.latlng_to_cell(*p, 10)) for p in (one, two)]
    assert summary(pings_to_stays(pings, res=10)) == [
        ("A", kids[0], "10:00:00", "10:00:00", 0.0, 1, False),
        ("A", kids[1], "10:03:00", "10:03:00", 0.0, 1, False),
    ]


def test_times_with_different_offsets_are_read_as_the_instants_they_name():
    # 00:58 UTC, then 02:01 BST = 01:01 UTC, over the clocks going forward: 3 minutes apart, one visit
    at = centre(HOME)
    pings = pd.DataFrame(
        {
            "unit": ["A", "A"],
            "time": ["2026-03-29T00:58:00+00:00", "2026-03-29T02:01:00+01:00"],
            "lat": at[0],
            "lng": at[1],
        }
    )
    stays = pings_to_stays(pings, res=RES)
    assert summary(stays) == [("A", H, "00:58:00", "01:01:00", 3.0, 2, True)]
    assert stay_days(stays).tolist() == [dt.date(2026, 3, 29)]


def test_the_day_of_a_stay_reads_a_start_without_an_offset_as_utc():
    # 23:30 UTC is 00:30 BST on 2 June but 23:30 GMT on 5 January; an offset is honoured: 23:59+01:00 on 1 June is
    # 23:59 BST that day, and 23:30+00:00 on 1 June is 00:30 BST on the 2nd
    naive = pd.DataFrame({"start": ["2026-06-01 23:30:00", "2026-01-05 23:30:00"]})
    assert stay_days(naive).tolist() == [dt.date(2026, 6, 2), dt.date(2026, 1, 5)]
    offsets = pd.DataFrame({"start": ["2026-06-01T23:59:00+01:00", "2026-06-01T23:30:00+00:00"]})
    assert stay_days(offsets).tolist() == [dt.date(2026, 6, 1), dt.date(2026, 6, 2)]


#: Where the property test's pings are: two centres, the shared corner of their edge, and a third cell's centre.
_SPOTS = [
    centre(HOME),
    centre(NEXT),
    next(v for v in h3.cell_to_boundary(HOME) if v in h3.cell_to_boundary(NEXT)),
    centre(sorted(h3.grid_ring(HOME, 2))[0]),
]


def _brute_stays(pings: pd.DataFrame, *, gap_s: int, visit_s: int) -> list[tuple[str, int, int, int, int, bool]]:
    """The rules walked ping by ping: (unit, cell, first second, last second, pings, visit) per stay."""
    out: list[list] = []
    rows = sorted(zip(pings["unit"], pings["seconds"], pings["lat"], pings["lng"], strict=True))
    for unit, s, lat, lng in rows:
        cell = h3.str_to_int(h3.latlng_to_cell(lat, lng, RES))
        last = out[-1] if out else None
        if last and last[0] == unit and last[1] == cell and s - last[3] <= gap_s:
            last[3], last[4] = s, last[4] + 1
        else:
            out.append([unit, cell, s, s, 1])
    return [(u, c, a, b, n, b - a >= visit_s) for u, c, a, b, n in out]


_GAPS = st.one_of(st.sampled_from([1, 119, 120, 299, 300, 301]), st.integers(1, 900))
_TRACKS = st.dictionaries(
    st.sampled_from(["A1", "B21", "Team 2"]),
    st.lists(st.tuples(_GAPS, st.integers(0, len(_SPOTS) - 1)), min_size=1, max_size=25),
    max_size=3,
)


@settings(max_examples=40, deadline=None)
@given(tracks=_TRACKS, seed=st.integers(0, 2**16))
def test_every_ping_is_in_exactly_one_stay_and_a_units_stays_never_overlap(tracks, seed):
    rows = []
    for unit, steps in tracks.items():
        s = 0
        for gap, spot in steps:
            s += gap
            rows.append((unit, s, *_SPOTS[spot]))
    pings = pd.DataFrame(rows, columns=["unit", "seconds", "lat", "lng"]).sample(frac=1.0, random_state=seed)
    pings["time"] = pd.Timestamp("2026-03-29T00:30:00Z") + pd.to_timedelta(pings["seconds"], unit="s")
    stays = pings_to_stays(pings, res=RES)
    t0 = pd.Timestamp("2026-03-29T00:30:00Z")  # the clocks go forward at 01:00 UTC: UTC is unaffected
    got = [
        (r.unit, r.cell, int((r.start - t0).total_seconds()), int((r.end - t0).total_seconds()), r.pings, r.visit)
        for r in stays.itertuples()
    ]
    assert got == _brute_stays(pings, gap_s=300, visit_s=120)
    assert stays["pings"].sum() == len(pings)
    for unit, g in stays.groupby("unit"):
        assert (g["start"].to_numpy()[1:] > g["end"].to_numpy()[:-1]).all()
        times = pings.loc[pings["unit"] == unit, "time"].to_numpy()
        holding = (times[:, None] >= g["start"].to_numpy()[None, :]) & (times[:, None] <= g["end"].to_numpy()[None, :])
        assert (holding.sum(axis=1) == 1).all()
    assert np.allclose(stays["minutes"], (stays["end"] - stays["start"]).dt.total_seconds() / 60)


# --- an independent reference: the documented rules walked one ping at a time ----------------------------------
#
# Written from the module docstring alone (not from the code): pings taken per unit in time order (pings at one
# instant in the order they came, as a stable sort leaves them); a ping continues the current stay when it is the
# same unit, the same H3 cell (h3-py's own cell of the point) and at most ``gap_s`` seconds after the previous ping;
# minutes are last minus first; a visit from ``visit_s`` seconds.

#: Points on a small grid around 51.45 N, 2.59 W: six different res-9 cells, some holding two of the points (a
#: unit moving inside one cell is still in the same place).
_GRID = [(51.45 + dlat, -2.59 + dlng) for dlat in (-0.002, 0.0, 0.002) for dlng in (-0.003, 0.0, 0.003)]
_GRID_CELLS = {h3.latlng_to_cell(lat, lng, RES) for lat, lng in _GRID}
assert len(_GRID_CELLS) >= 4 and len(_GRID_CELLS) < len(_GRID)  # a handful of cells, some with two points


def _reference_stays(
    rows: list[tuple[str, int, float, float]], *, gap_s: int, visit_s: float
) -> list[tuple[str, int, int, int, float, int, bool]]:
    """(unit, cell, first second, last second, minutes, pings, visit) per stay, in unit then start order.

    ``rows`` are (unit, seconds, lat, lng) in the order the pings arrive.
    """
    order = sorted(range(len(rows)), key=lambda i: (rows[i][0], rows[i][1], i))
    found: list[dict] = []
    for i in order:
        unit, second, lat, lng = rows[i]
        cell = h3.str_to_int(h3.latlng_to_cell(lat, lng, RES))
        current = found[-1] if found else None
        if (
            current is not None
            and current["unit"] == unit
            and current["cell"] == cell
            and second - current["last"] <= gap_s
        ):
            current["last"] = second
            current["pings"] += 1
        else:
            found.append({"unit": unit, "cell": cell, "first": second, "last": second, "pings": 1})
    out = []
    for s in found:
        held = s["last"] - s["first"]
        out.append((s["unit"], s["cell"], s["first"], s["last"], held / 60, s["pings"], held >= visit_s))
    return out


def _reference_day(first_second: int, t0: dt.datetime) -> dt.date:
    """The date of a stay's first ping on the London clock."""
    from zoneinfo import ZoneInfo

    return (t0 + dt.timedelta(seconds=first_second)).astimezone(ZoneInfo("Europe/London")).date()


#: Steps between one unit's pings, in seconds: 0 (two pings at one instant), the edges of the 2- and 5-minute
#: rules, whole minutes, and any second up to a quarter of an hour.
_STEPS = st.one_of(
    st.sampled_from([0, 1, 59, 60, 119, 120, 121, 240, 299, 300, 301, 360]),
    st.integers(0, 15).map(lambda m: 60 * m),
    st.integers(0, 900),
)
_UNIT_TRACK = st.lists(st.tuples(_STEPS, st.integers(0, len(_GRID) - 1)), min_size=0, max_size=20)
#: None is the defaults (5 minutes, 2 minutes); else (max_gap seconds, visit_minutes).
_OPTIONS = st.one_of(st.none(), st.tuples(st.sampled_from([0, 60, 90, 300, 301]), st.sampled_from([0.5, 2.0, 3.0])))
#: Starts near midnight and near the clocks changing (29 March 2026 01:00 UTC, 25 October 2026 01:00 UTC).
_T0 = st.sampled_from(
    [
        dt.datetime(2026, 3, 2, 9, 58, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 28, 23, 50, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 1, 22, 45, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 24, 23, 0, tzinfo=dt.UTC),
    ]
)


@settings(max_examples=40)
@given(
    tracks=st.tuples(_UNIT_TRACK, _UNIT_TRACK, st.integers(0, 600)),
    options=_OPTIONS,
    t0=_T0,
    shuffle=st.randoms(use_true_random=False),
)
def test_stays_agree_with_a_one_ping_at_a_time_reference(tracks, options, t0, shuffle):
    a7, b21, start_b21 = tracks  # B21's first ping up to 10 minutes after A7's
    rows: list[tuple[str, int, float, float]] = []
    for unit, steps, first in (("B21", b21, start_b21), ("A7", a7, 0)):
        second = first
        for step, spot in steps:
            second += step
            rows.append((unit, second, *_GRID[spot]))
    shuffle.shuffle(rows)  # any order in
    pings = pd.DataFrame(
        {
            "unit": [r[0] for r in rows],
            "time": pd.DatetimeIndex([t0 + dt.timedelta(seconds=r[1]) for r in rows], dtype="datetime64[ns, UTC]"),
            "lat": [r[2] for r in rows],
            "lng": [r[3] for r in rows],
        }
    )
    if options is None:
        stays = pings_to_stays(pings, res=RES)
        gap_s, visit_s = 300, 120.0
    else:
        gap_s, visit_minutes = options
        stays = pings_to_stays(pings, res=RES, max_gap=dt.timedelta(seconds=gap_s), visit_minutes=visit_minutes)
        visit_s = visit_minutes * 60
    expected = _reference_stays(rows, gap_s=gap_s, visit_s=visit_s)
    assert list(stays.columns) == STAY_COLUMNS
    assert stays["cell"].dtype == np.int64 and stays["pings"].dtype == np.int64 and stays["visit"].dtype == bool
    start = pd.Timestamp(t0)
    got = [
        (
            r.unit,
            r.cell,
            (r.start - start) // pd.Timedelta(seconds=1),
            (r.end - start) // pd.Timedelta(seconds=1),
            r.minutes,
            r.pings,
            r.visit,
        )
        for r in stays.itertuples()
    ]
    assert got == expected
    assert stay_days(stays).tolist() == [_reference_day(first, t0) for _, _, first, *_ in expected]
