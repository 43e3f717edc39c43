"""The door-knock list: the radius edge, the same block, the target itself left out, nearest first.

Hand-made grids in British National Grid metres (``x, y``): every distance is worked by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.core.errors import OptionError
from geo.plan.neighbours import NEIGHBOUR_COLUMNS, TARGET_COLUMNS, neighbours_of, targets_from, why_words

X0, Y0 = 358_000.0, 173_000.0


def homes(*rows: tuple) -> pd.DataFrame:
    """(ref, dx, dy, uprn, address, block) around (X0, Y0)."""
    return pd.DataFrame(
        {
            "ref": [r[0] for r in rows],
            "address": [r[4] if len(r) > 4 else f"{r[0]} Elm Road" for r in rows],
            "uprn": [r[3] if len(r) > 3 else "" for r in rows],
            "x": [X0 + r[1] for r in rows],
            "y": [Y0 + r[2] for r in rows],
            "lat": np.nan,
            "lng": np.nan,
            "landlord": "",
            "block": [r[5] if len(r) > 5 else "" for r in rows],
        }
    )


def target(ref: str = "F1", dx: float = 0.0, dy: float = 0.0, *, address: str = "", uprn: str = "") -> dict:
    return {"kind": "flagged", "ref": ref, "address": address, "uprn": uprn, "x": X0 + dx, "y": Y0 + dy, "what": "t"}


def refs(frame: pd.DataFrame, target_ref: str = "F1") -> list[str]:
    return frame.loc[frame["target_ref"] == target_ref, "ref"].tolist()


def test_the_radius_is_inclusive_to_the_centimetre():
    props = homes(("on", 60.0, 80.0), ("past", 0.0, 100.01), ("axis", -100.0, 0.0), ("far", 300.0, 400.0))
    out = neighbours_of(props, pd.DataFrame([target()]), radius_m=100.0)
    assert list(out.columns) == NEIGHBOUR_COLUMNS
    assert sorted(refs(out)) == ["axis", "on"]  # 60-80-100 and 100 on the axis: both exactly 100.0 m
    assert out["distance_m"].tolist() == [100.0, 100.0]
    # a tie in distance goes by address: "axis Elm Road" before "on Elm Road"
    assert refs(out) == ["axis", "on"] and out["order"].tolist() == [1, 2]


def test_the_same_block_is_listed_beyond_the_radius_and_nearest_first():
    props = homes(
        ("self", 0.0, 0.0, "", "Flat 1 Beacon Court", "Beacon Court"),
        ("b2", 300.0, 400.0, "", "Flat 9 Beacon Court", "beacon  court"),  # 500 m, same block (case, spacing)
        ("n1", 30.0, 40.0),  # 50 m
        ("n2", 6.0, 8.0),  # 10 m
        ("other", 600.0, 800.0, "", "1 Gorse Hill", "Gorse Hill"),  # 1,000 m, another block
    )
    out = neighbours_of(props, pd.DataFrame([target("self")]), radius_m=100.0)
    assert refs(out, "self") == ["n2", "n1", "b2"]
    assert out["distance_m"].tolist() == [10.0, 50.0, 500.0]
    assert out["same_block"].tolist() == [False, False, True]
    assert out["within_radius"].tolist() == [True, True, False]
    assert why_words(out, radius_m=100).tolist() == ["within 100 m", "within 100 m", "same block (beacon  court)"]


def test_the_target_itself_is_never_listed_by_ref_uprn_point_or_address():
    props = homes(
        ("P1", 0.0, 0.0, "000010000037", "12 Elm Road"),  # the flagged home, at its point
        ("P2", 20.0, 0.0),
        ("P3", 50.0, 0.0, "", "7, ELM road"),
    )
    # by ref
    assert refs(neighbours_of(props, pd.DataFrame([target("P1", 5.0, 0.0)])), "P1") == ["P2", "P3"]
    # by UPRN, leading zeros dropped by a spreadsheet; and a flagged address keyed by its UPRN (the ref)
    by_uprn = neighbours_of(props, pd.DataFrame([target("F1", 5.0, 0.0, uprn="10000037")]))
    assert refs(by_uprn) == ["P2", "P3"]
    assert refs(neighbours_of(props, pd.DataFrame([target("000010000037", 5.0, 0.0)])), "000010000037") == [
        "P2",
        "P3",
    ]
    # by point: the flagged list spells the address its own way and has neither ref nor UPRN in common
    assert refs(neighbours_of(props, pd.DataFrame([target("F1", 0.4, 0.0, address="12 Elm Rd")]))) == ["P2", "P3"]
    # by address, ignoring case and punctuation, when the points differ by more than a metre
    assert refs(neighbours_of(props, pd.DataFrame([target("F1", 45.0, 0.0, address="7 Elm Road")]))) == ["P2", "P1"]


def test_a_ref_that_collides_across_systems_does_not_hide_the_address_itself():
    # the partnership's case ref "P1" is also a housing ref 300 m away in another block; the flagged home is P9
    props = homes(
        ("P1", 300.0, 0.0, "", "1 Far Street", "Far Court"),
        ("P9", 0.0, 0.0, "", "12 Elm Road"),
        ("P2", 20.0, 0.0),
        ("F2", 310.0, 0.0, "", "2 Far Street", "Far Court"),
    )
    out = neighbours_of(props, pd.DataFrame([target("P1", address="12 Elm Rd")]), radius_m=100.0)
    # P1 matched by ref: left out; it is too far to be the target, so P9 at the point is taken to be it;
    # and Far Court is not the target's block (F2 is 310 m away and not listed)
    assert refs(out, "P1") == ["P2"]


def test_with_nothing_at_the_point_the_nearest_home_within_25_m_is_left_out():
    # the flagged list places and spells the address its own way: 6 m from the gazetteer's point
    props = homes(("P9", 6.0, 0.0, "", "12 Elm Road"), ("P2", 0.0, 10.0), ("P3", 30.0, 0.0))
    assert refs(neighbours_of(props, pd.DataFrame([target("F1", address="12 Elm Rd")]))) == ["P2", "P3"]
    # nothing within 25 m: nothing is taken to be it (the flagged home is not in the housing stock)
    props = homes(("P3", 30.0, 0.0), ("P4", 0.0, 26.0))
    assert refs(neighbours_of(props, pd.DataFrame([target("F1", address="12 Elm Rd")]))) == ["P4", "P3"]
    # identified by UPRN 10 m away: the nearer home at 6 m stays
    props = homes(("P8", 6.0, 0.0), ("P9", 10.0, 0.0, "555"))
    assert refs(neighbours_of(props, pd.DataFrame([target("F1", uprn="555")]))) == ["P8"]


def test_flats_at_the_building_point_stay_when_the_target_is_known():
    # a gazetteer giving each flat the building's point: the flagged flat is known by UPRN, its neighbours stay
    props = homes(("A", 0.0, 0.0, "101", "Flat 1"), ("B", 0.0, 0.0, "102", "Flat 2"), ("C", 0.0, 0.0, "103", "Flat 3"))
    assert refs(neighbours_of(props, pd.DataFrame([target("F1", uprn="102")]))) == ["A", "C"]
    # not known by anything but the point: every home at the point might be it, so none is listed
    assert refs(neighbours_of(props, pd.DataFrame([target("F1", address="somewhere")]))) == []


def test_two_targets_list_a_shared_neighbour_once_each():
    props = homes(("mid", 50.0, 0.0), ("left", -30.0, 0.0), ("right", 130.0, 0.0))
    tg = pd.DataFrame([target("T1"), target("T2", 100.0, 0.0)])
    out = neighbours_of(props, tg, radius_m=100.0)
    assert refs(out, "T1") == ["left", "mid"]  # 30, 50 (right is 130)
    assert refs(out, "T2") == ["right", "mid"]  # 30, 50; left is 130 away
    assert len(out) == 4 and out["order"].tolist() == [1, 2, 1, 2]


def test_bad_radius_refused_and_empty_inputs():
    for bad in (0, -5, float("nan"), 1000.5, "wide"):
        with pytest.raises(OptionError):
            neighbours_of(homes(("a", 0.0, 0.0)), pd.DataFrame([target()]), radius_m=bad)
    assert list(neighbours_of(homes(), pd.DataFrame([target()])).columns) == NEIGHBOUR_COLUMNS
    assert neighbours_of(homes(("a", 1.0, 0.0)), pd.DataFrame(columns=TARGET_COLUMNS)).empty


def test_targets_from_the_store(store, write):
    from geo.store.importer import import_path

    flagged = (
        "ref,address,lat,lng,first_flagged,status,closed\n"
        "000010000037,12 Elm Road,51.45,-2.59,2026-11-20,open,\n"
        "F2,3 Oak Road,51.451,-2.59,2026-10-01,closed,2026-11-01\n"
        "F3,5 Ash Road,51.452,-2.59,2026-09-01,open,\n"
    )
    closures = "ref,address,lat,lng,granted,expiry\nC1,9 Elm Road,51.45,-2.591,2026-11-03,2027-02-03\n"
    assert import_path(store, "flagged", write("f.csv", flagged)).stored == 3
    assert import_path(store, "closures", write("c.csv", closures)).stored == 1
    file = write("w.csv", "ref,date,lat,lng\nW1,2026-11-25,51.449,-2.59\n")
    out = targets_from(store, interventions=file)
    assert list(out.columns) == TARGET_COLUMNS
    assert out["ref"].tolist() == ["000010000037", "F3", "C1", "W1"]  # the closed flag left out; newest first
    assert out["what"].tolist() == [
        "address of concern flagged 20 Nov 2026",
        "address of concern flagged 1 Sep 2026",
        "closure order granted 3 Nov 2026",
        "warrant or other intervention on 25 Nov 2026",
    ]
    import datetime as dt

    assert targets_from(store, kinds=("closures",), since=dt.date(2026, 11, 4)).empty
    with pytest.raises(OptionError):
        targets_from(store, kinds=("victims",))
