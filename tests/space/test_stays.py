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
