"""The release's base cells on a tiny town worked by hand, and the record keys behind every cell key.

The town (see :func:`build_town`): two square wards side by side sharing the
meridian -2.59, west ``W2`` and east ``W1`` (so the lowest code is *not* the
first loaded), and one estate ``X1`` inside the west ward. Places (lat, lng):

* ``A`` (51.45, -2.595): in W2 and X1;
* ``B`` (51.45, -2.585): in W1;
* ``BORDER`` (51.45, -2.59): on the shared border, so in W1 (both hold it; W1 sorts first);
* ``OUT`` (51.47, -2.59): in no ward or estate, so not the town's; only in "all";
* ``Q`` (51.455, -2.581) and ``Q2`` (51.455, -2.582): in W1, 69 m apart, each over
  550 m from every incident.

Distances that matter (BNG, rounded): A-BORDER 347 m (0.005 deg of longitude),
B-Q 621 m, B-Q2 594 m; every other pair is further.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.core.schema import ASB
from geo.publish._cells import (
    CELL_COLUMNS,
    PIECE_COLUMNS,
    PIECE_KEYS,
    BaseCells,
    _days,
    base_cells,
    month_end,
    pieces_to_layers,
    place,
    record_keys,
)
from geo.stats.evaluate import NO_MATCHED, NO_STUDY_AREA
from geo.store import Store
from geo.store.importer import import_path
from tests.conftest import drop_store, police_csv, police_row, store_url

A, B, BORDER, OUT = (51.45, -2.595), (51.45, -2.585), (51.45, -2.59), (51.47, -2.59)
Q, Q2 = (51.455, -2.581), (51.455, -2.582)
DRUGS = "Drugs"
SPAN = [str(p) for p in pd.period_range("2024-01", "2025-01", freq="M")]  # the incidents' months, 13


def square(code: str, west: float, south: float, size: float, height: float) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + height], [west, south + height]]
    geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    return {"type": "Feature", "properties": {"code": code, "name": f"Area {code}"}, "geometry": geometry}


def collection(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


WARDS = collection(square("W2", -2.60, 51.44, 0.01, 0.02), square("W1", -2.59, 51.44, 0.01, 0.02))
ESTATES = collection(square("X1", -2.598, 51.445, 0.006, 0.01))


def incident_rows(where: tuple[float, float] | None, month: str, n: int, category: str = ASB) -> list[str]:
    lat, lng = ("", "") if where is None else (str(where[0]), str(where[1]))
    location = "No Location" if where is None else "On or near Park Street"
    return [police_row(month=month, lat=lat, lng=lng, category=category, location=location)] * n


INCIDENTS = [
    # 2024-01: A ASB 3, B ASB 1, BORDER Drugs 2, OUT ASB 1
    *incident_rows(A, "2024-01", 3),
    *incident_rows(B, "2024-01", 1),
    *incident_rows(BORDER, "2024-01", 2, DRUGS),
    *incident_rows(OUT, "2024-01", 1),
    # 2024-02: A Drugs 1, B ASB 2, BORDER ASB 1
    *incident_rows(A, "2024-02", 1, DRUGS),
    *incident_rows(B, "2024-02", 2),
    *incident_rows(BORDER, "2024-02", 1),
    # 2025-01: A Drugs 1, B ASB 1, B Drugs 3, OUT Drugs 2 (an incident with no location is rejected on import)
    *incident_rows(A, "2025-01", 1, DRUGS),
    *incident_rows(B, "2025-01", 1),
    *incident_rows(B, "2025-01", 3, DRUGS),
    *incident_rows(OUT, "2025-01", 2, DRUGS),
]

CLOSURES = (
    "ref,address,lat,lng,granted,expiry,status\n"
    f"C1,1 A St,{A[0]},{A[1]},2024-01-15,2024-04-15,expired\n"
    f"C2,2 Q St,{Q[0]},{Q[1]},2024-03-10,2025-03-10,active\n"
    f"C3,3 Q St,{Q2[0]},{Q2[1]},2024-06-05,2024-12-05,Discharged\n"
    f"C4,1 A St,{A[0]},{A[1]},2024-12-31,2025-06-30,active\n"  # a second order at C1's premises
    f"C5,9 Out Rd,{OUT[0]},{OUT[1]},2024-02-01,2024-02-29,\n"  # expires on the month's last day
)
FLAGGED = (
    "ref,address,lat,lng,first_flagged,status,closed\n"
    f"F1,1 A St,{A[0]},{A[1]},2024-01-10,closed,2024-03-05\n"
    f"F2,5 Border Rd,{BORDER[0]},{BORDER[1]},2024-02-20,open,\n"
    f"F3,6 B St,{B[0]},{B[1]},2024-02-01,closed,2024-02-28\n"
)
VICTIMS = (
    "ref,date_safeguarded,lat,lng\n"
    f"V1,2024-01-05,{A[0]},{A[1]}\n"
    f"V2,2024-01-20,{A[0]},{A[1]}\n"
    f"V3,2024-02-10,{BORDER[0]},{BORDER[1]}\n"
    "V4,2024-02-11,,\n"  # no home location: only in "all"
    f"V5,2024-03-01,{OUT[0]},{OUT[1]}\n"
)


def build_town(store: Store, write: Callable[..., object], *, victims: str = VICTIMS) -> Store:
    """The hand-made town of the module docstring, imported through the ordinary importer."""
    assert import_path(store, "wards", write("wards.geojson", WARDS)).stored == 2
    assert import_path(store, "estates", write("estates.geojson", ESTATES)).stored == 1
    csv = police_csv(*INCIDENTS)
    assert import_path(store, "incidents", write("incidents.csv", csv)).stored == len(INCIDENTS) == 18
    assert import_path(store, "closures", write("closures.csv", CLOSURES)).stored == 5
    assert import_path(store, "flagged", write("flagged.csv", FLAGGED)).stored == 3
    if victims:
        assert import_path(store, "victims", write("victims.csv", victims)).stored == victims.count("\n") - 1
    return store


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The town, built once for the tests that only read it."""
    folder = tmp_path_factory.mktemp("town")

    def write(name: str, content: str) -> Path:
        (folder / name).write_text(content, encoding="utf-8")
        return folder / name

    url = store_url(folder / "town.sqlite")
    store = build_town(Store(url), write)
    yield store
    store.dispose()
    drop_store(url)


@pytest.fixture
def base(town: Store) -> BaseCells:
    """The town's base cells with the default options (made in each test, so mutation testing sees who calls what)."""
    return base_cells(town)


Cell = tuple[str, str, str, str, str]  # measure, layer, area, month, category


def cells_of(base: BaseCells, measure: str | None = None) -> dict[Cell, int]:
    c = base.cells
    if measure is not None:
        c = c[c["measure"] == measure]
    keys = zip(c["measure"], c["layer"], c["area"], c["month"], c["category"], strict=True)
    return dict(zip(keys, c["value"].astype(int), strict=True))


def expect(measure: str, rows: Iterable[tuple[str, str, str, int]], category: str = "") -> dict[Cell, int]:
    """``(layer, area, month, value)`` rows as cells."""
    return {(measure, layer, area, month, category): v for layer, area, month, v in rows}


def in_months(months: Iterable[str], *areas: tuple[str, str], value: int = 1) -> list[tuple[str, str, str, int]]:
    return [(layer, code, m, value) for m in months for layer, code in areas]


WEST, EAST, ESTATE, TOWN, ALL = ("ward", "W2"), ("ward", "W1"), ("estate", "X1"), ("town", ""), ("all", "")


# --------------------------------------------------------------------------- the cells, by hand


def test_incidents_per_area_month_and_category_by_hand(town, base):
    expected = {
        # W2 and X1 hold A only: 2024-01 ASB 3; 2024-02 Drugs 1; 2025-01 Drugs 1
        **expect("incidents", [(*WEST, "2024-01", 3), (*ESTATE, "2024-01", 3)], ASB),
        **expect("incidents", [(*WEST, m, 1) for m in ("2024-02", "2025-01")], DRUGS),
        **expect("incidents", [(*ESTATE, m, 1) for m in ("2024-02", "2025-01")], DRUGS),
        # W1 holds B and BORDER (the shared border goes to W1, the lower code):
        # 2024-01 ASB 1 (B), Drugs 2 (BORDER); 2024-02 ASB 2 + 1 = 3; 2025-01 ASB 1, Drugs 3
        **expect("incidents", [(*EAST, "2024-01", 1), (*EAST, "2024-02", 3), (*EAST, "2025-01", 1)], ASB),
        **expect("incidents", [(*EAST, "2024-01", 2), (*EAST, "2025-01", 3)], DRUGS),
        # the town is A, B and BORDER: ASB 3 + 1 = 4, 3, 1; Drugs 2, 1, 1 + 3 = 4
        **expect("incidents", [(*TOWN, "2024-01", 4), (*TOWN, "2024-02", 3), (*TOWN, "2025-01", 1)], ASB),
        **expect("incidents", [(*TOWN, "2024-01", 2), (*TOWN, "2024-02", 1), (*TOWN, "2025-01", 4)], DRUGS),
        # all adds OUT (ASB 1 in 2024-01, Drugs 2 in 2025-01)
        **expect("incidents", [(*ALL, "2024-01", 5), (*ALL, "2024-02", 3), (*ALL, "2025-01", 1)], ASB),
        **expect("incidents", [(*ALL, "2024-01", 2), (*ALL, "2024-02", 1), (*ALL, "2025-01", 6)], DRUGS),
    }
    assert cells_of(base, "incidents") == expected
    assert sum(v for (_, layer, *_), v in expected.items() if layer == "all") == 18  # every incident once
    assert base.months == ("2024-01", "2025-01")


def test_people_safeguarded_from_victim_records_by_hand(town, base):
    # V1, V2 at A in 2024-01; V3 on the border (W1) in 2024-02; V4 unlocated in 2024-02; V5 at OUT in 2024-03
    expected = expect(
        "people_safeguarded",
        [
            (*WEST, "2024-01", 2),
            (*ESTATE, "2024-01", 2),
            (*EAST, "2024-02", 1),
            (*TOWN, "2024-01", 2),
            (*TOWN, "2024-02", 1),
            (*ALL, "2024-01", 2),
            (*ALL, "2024-02", 2),
            (*ALL, "2024-03", 1),
        ],
    )
    assert cells_of(base, "people_safeguarded") == expected
    assert base.victims_from == "records"


def test_orders_secured_by_the_month_granted(town, base):
    # C1 2024-01 and C4 2024-12 at A (W2, X1); C2 2024-03 and C3 2024-06 in W1 (discharged: still secured);
    # C5 2024-02 at OUT, only in "all"
    expected = expect(
        "orders_secured",
        [
            *in_months(["2024-01", "2024-12"], WEST, ESTATE, TOWN, ALL),
            *in_months(["2024-03", "2024-06"], EAST, TOWN, ALL),
            (*ALL, "2024-02", 1),
        ],
    )
    assert cells_of(base, "orders_secured") == expected


def test_orders_active_at_each_month_end(town, base):
    # in force on the month's last day, unless discharged or revoked:
    #   C1 (2024-01-15 .. 2024-04-15): Jan, Feb, Mar (gone by 30 April)
    #   C5 (2024-02-01 .. 2024-02-29): Feb (expiry on the last day counts; 2024 is a leap year)
    #   C2 (2024-03-10 .. 2025-03-10): Mar 2024 .. Jan 2025, the data's last month (11 month ends)
    #   C3: "Discharged", never, whatever its dates say (else June .. November)
    #   C4 (granted 2024-12-31, the month's last day): Dec, Jan
    ends_in_force = {"C1": SPAN[0:3], "C5": SPAN[1:2], "C2": SPAN[2:13], "C4": SPAN[11:13]}
    areas_of = {"C1": [WEST, ESTATE, TOWN, ALL], "C5": [ALL], "C2": [EAST, TOWN, ALL], "C4": [WEST, ESTATE, TOWN, ALL]}
    expected: dict[Cell, int] = {}
    for ref, months in ends_in_force.items():
        for m in months:
            for layer, code in areas_of[ref]:
                cell = ("orders_active", layer, code, m, "")
                expected[cell] = expected.get(cell, 0) + 1
    assert cells_of(base, "orders_active") == expected
    # the same, month by month for the town: 1, 1, 2 (C1 + C2), 1 x 8 (C2), 2, 2 (C2 + C4)
    town_line = [expected.get(("orders_active", "town", "", m, ""), 0) for m in SPAN]
    assert town_line == [1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]
    all_line = [expected.get(("orders_active", "all", "", m, ""), 0) for m in SPAN]
    assert all_line == [1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]  # + C5 in February


def test_quiet_addresses_once_the_data_reaches_back_a_year(town, base):
    # a month's count needs the 12 months to its end in the data (from 2024-01): 2024-12 is the first.
    # Premises: A (C1; C4 is the same address, counted once), Q (C2), Q2 (C3), OUT (C5).
    #   2024-12, ASB of 2024-01 .. 2024-12: A (3 in 2024-01) and OUT (1 in 2024-01) are not quiet;
    #            Q and Q2 have none within 200 m: 2 quiet, both in W1
    #   2025-01, ASB of 2024-02 .. 2025-01: only B and BORDER (over 200 m from every premises);
    #            A's and OUT's ASB of 2024-01 is out of the window (their Drugs reports never count):
    #            all four are quiet: W2 1 (A), X1 1 (A), W1 2, town 3, all 4
    expected = expect(
        "quiet_addresses",
        [
            (*EAST, "2024-12", 2),
            (*TOWN, "2024-12", 2),
            (*ALL, "2024-12", 2),
            (*WEST, "2025-01", 1),
            (*ESTATE, "2025-01", 1),
            (*EAST, "2025-01", 2),
            (*TOWN, "2025-01", 3),
            (*ALL, "2025-01", 4),
        ],
    )
    assert cells_of(base, "quiet_addresses") == expected
    assert base.quiet_from == "2024-12"


def test_flagged_addresses_opened_and_resolved(town, base):
    # F1 at A: opened 2024-01, closed 2024-03; F2 on the border (W1): opened 2024-02, open;
    # F3 at B (W1): opened and closed in 2024-02
    opened = expect(
        "flagged_opened",
        [(*WEST, "2024-01", 1), (*ESTATE, "2024-01", 1), (*EAST, "2024-02", 2)]
        + [(*layer, "2024-01", 1) for layer in (TOWN, ALL)]
        + [(*layer, "2024-02", 2) for layer in (TOWN, ALL)],
    )
    resolved = expect(
        "flagged_resolved",
        [(*WEST, "2024-03", 1), (*ESTATE, "2024-03", 1), (*EAST, "2024-02", 1)]
        + [(*layer, m, 1) for layer in (TOWN, ALL) for m in ("2024-02", "2024-03")],
    )
    assert cells_of(base, "flagged_opened") == opened
    assert cells_of(base, "flagged_resolved") == resolved


def test_the_frame_holds_only_non_empty_cells_with_their_columns(town, base):
    assert list(base.cells.columns) == CELL_COLUMNS
    assert (base.cells["value"] > 0).all() and base.cells["value"].dtype == np.int64
    assert base.cells["key"].between(0, 255).all() and base.cells["key"].dtype == np.int64
    assert not base.cells.duplicated(["measure", "layer", "area", "month", "category"]).any()
    assert set(base.cells.loc[base.cells["measure"] != "incidents", "category"]) == {""}
    assert base.areas.to_dict("records") == [
        {"layer": "ward", "code": "W1", "name": "Area W1"},
        {"layer": "ward", "code": "W2", "name": "Area W2"},
        {"layer": "estate", "code": "X1", "name": "Area X1"},
    ]
    assert list(base.boundaries["code"]) == ["W1", "W2", "X1"]
    assert base.boundaries.index.tolist() == [0, 1, 2]  # one frame of both layers, not two stacked indexes
    assert base.boundaries.crs == "EPSG:4326" and base.boundaries.geometry.name == "geometry"


# --------------------------------------------------------------------------- cell keys from record keys


def keys_of(store: Store, kind: str, columns: list[str]) -> pd.DataFrame:
    frame = store.read(kind, columns=columns, keys=True)
    frame["rkey"] = record_keys(frame["k1"].to_numpy(), frame["k2"].to_numpy(), secret=store.release_secret())
    return frame


def key_of(base: BaseCells, cell: Cell) -> int:
    c = base.cells
    hit = c[(c["measure"] == cell[0]) & (c["layer"] == cell[1]) & (c["area"] == cell[2])]
    hit = hit[(hit["month"] == cell[3]) & (hit["category"] == cell[4])]
    assert len(hit) == 1, cell
    return int(hit["key"].iloc[0])


def test_each_cell_key_is_the_sum_of_its_records_keys_mod_256(town, base):
    flagged = keys_of(town, "flagged", ["ref"]).set_index("ref")["rkey"]
    # W1's opened addresses in 2024-02 are F2 (on the border) and F3
    assert key_of(base, ("flagged_opened", "ward", "W1", "2024-02", "")) == (flagged["F2"] + flagged["F3"]) % 256
    assert key_of(base, ("flagged_resolved", "ward", "W1", "2024-02", "")) == flagged["F3"]
    closures = keys_of(town, "closures", ["ref"]).set_index("ref")["rkey"]
    # quiet in 2025-01, everything: the premises' first orders C1, C2, C3, C5 (not C4, C1's second order)
    quiet = (closures["C1"] + closures["C2"] + closures["C3"] + closures["C5"]) % 256
    assert key_of(base, ("quiet_addresses", "all", "", "2025-01", "")) == quiet
    assert key_of(base, ("orders_active", "town", "", "2024-12", "")) == (closures["C2"] + closures["C4"]) % 256
    assert key_of(base, ("orders_secured", "all", "", "2024-02", "")) == closures["C5"]
    victims = keys_of(town, "victims", ["ref"]).set_index("ref")["rkey"]
    assert key_of(base, ("people_safeguarded", "all", "", "2024-02", "")) == (victims["V3"] + victims["V4"]) % 256


def test_every_incident_cell_by_brute_force_from_the_stored_records(town, base):
    """Each stored incident placed by the hand map of places above, then its cells' values and keys summed."""
    inc = keys_of(town, "incidents", ["lat", "lng", "month", "category"])
    areas_at = {A: [WEST, ESTATE, TOWN], B: [EAST, TOWN], BORDER: [EAST, TOWN], OUT: []}
    value: dict[Cell, int] = {}
    key: dict[Cell, int] = {}
    for row in inc.itertuples():
        at = [] if np.isnan(row.lat) else areas_at[(row.lat, row.lng)]
        for layer, code in [*at, ALL]:
            cell = ("incidents", layer, code, row.month, row.category)
            value[cell] = value.get(cell, 0) + 1
            key[cell] = key.get(cell, 0) + int(row.rkey)
    assert cells_of(base, "incidents") == value
    c = base.cells[base.cells["measure"] == "incidents"]
    got = {
        (m, lay, a, mo, cat): int(k)
        for m, lay, a, mo, cat, k in c[["measure", *CELL_COLUMNS[1:5], "key"]].itertuples(index=False)
    }
    assert got == {cell: k % 256 for cell, k in key.items()}
    # the keys are not all the same number: 18 records, many different keys
    assert len(set(inc["rkey"])) > 10


# --------------------------------------------------------------------------- shared counts, no victims, no boundaries


def test_shared_counts_when_no_victim_records_are_stored(store, write):
    counts = (
        "area_code,month,count,agency\n"
        "W1,2024-08,3,Housing\n"
        "W1,2024-08,1,Police\n"  # a second row for the same ward and month, from another partner
        "W2,2024-09,4,Housing\n"
        "X1,2024-09,2,Housing\n"
        "ZZ9,2024-09,5,Housing\n"  # a code that is no stored area: only the town and everything
        "W2,2024-10,0,Housing\n"  # nobody: no cell
    )
    build_town(store, write, victims=counts)
    base = base_cells(store)
    assert base.victims_from == "counts"
    # W1 2024-08: 3 + 1 = 4; W2 2024-09: 4; X1 2024-09: 2; the town and all: 4 in 2024-08, 4 + 2 + 5 = 11 in 2024-09
    expected = expect(
        "people_safeguarded",
        [
            (*EAST, "2024-08", 4),
            (*WEST, "2024-09", 4),
            (*ESTATE, "2024-09", 2),
            (*TOWN, "2024-08", 4),
            (*TOWN, "2024-09", 11),
            (*ALL, "2024-08", 4),
            (*ALL, "2024-09", 11),
        ],
    )
    assert cells_of(base, "people_safeguarded") == expected
    # the pieces: a row names one ward or estate (and is in the town); the unknown code is the town's alone;
    # the row of 0 people makes no piece
    assert pieces_of(base, "people_safeguarded") == {
        ("W1", "", True, "2024-08", ""): 4,
        ("W2", "", True, "2024-09", ""): 4,
        ("", "X1", True, "2024-09", ""): 2,
        ("", "", True, "2024-09", ""): 5,
    }
    rows = keys_of(store, "victim_counts", ["area_code", "month", "count"])
    w1 = rows.loc[(rows["area_code"] == "W1") & (rows["month"] == "2024-08"), "rkey"]
    assert len(w1) == 2 and key_of(base, ("people_safeguarded", "ward", "W1", "2024-08", "")) == w1.sum() % 256
    assert key_of(base, ("people_safeguarded", "all", "", "2024-09", "")) == (
        rows.loc[rows["month"] == "2024-09", "rkey"].sum() % 256
    )


def test_no_victims_at_all(store, write):
    base = base_cells(build_town(store, write, victims=""))
    assert base.victims_from == "none"
    assert cells_of(base, "people_safeguarded") == {}


def test_without_boundaries_the_town_is_every_record(store, write):
    csv = police_csv(*incident_rows(A, "2024-01", 2), *incident_rows(OUT, "2024-02", 1, DRUGS))
    import_path(store, "incidents", write("i.csv", csv))
    import_path(store, "victims", write("v.csv", "ref,date_safeguarded,lat,lng\nV4,2024-02-11,,\n"))
    base = base_cells(store)
    # no ward or estate: the town holds every record, OUT's and the victim with no home location too
    assert cells_of(base) == {
        **expect("incidents", [(*TOWN, "2024-01", 2), (*ALL, "2024-01", 2)], ASB),
        **expect("incidents", [(*TOWN, "2024-02", 1), (*ALL, "2024-02", 1)], DRUGS),
        **expect("people_safeguarded", [(*TOWN, "2024-02", 1), (*ALL, "2024-02", 1)]),
    }
    assert base.areas.empty and base.victims_from == "records" and base.quiet_from is None
    # the Drugs report is no ASB and no order was granted: nothing to compare
    assert base.effects == {}


def test_without_boundaries_the_closure_comparison_has_no_study_area(store, write):
    csv = police_csv(*incident_rows(B, "2024-01", 1), *incident_rows(OUT, "2024-03", 2))
    import_path(store, "incidents", write("i.csv", csv))
    import_path(
        store,
        "closures",
        write("c.csv", "ref,address,lat,lng,granted,expiry\nC1,1 A St,51.45,-2.595,2024-02-10,2024-05-10\n"),
    )
    ye = base_cells(store, window_months=1).effects[2024]
    # C1 at A, one month either side: B (695 m) and OUT (2.2 km) are beyond the ring; with no study area every
    # incident outside the ring is control: 1 in January, 2 in March
    assert (ye.effect.used, ye.effect.control_before, ye.effect.control_after) == (1, 1, 2)
    assert NO_STUDY_AREA in ye.notes


def test_an_empty_store_has_no_cells(store):
    base = base_cells(store)
    assert base.cells.empty and list(base.cells.columns) == CELL_COLUMNS
    assert base.pieces.empty and list(base.pieces.columns) == PIECE_COLUMNS
    assert base.pieces["town"].dtype == bool and base.pieces["measure"].dtype == object
    assert base.months is None and base.quiet_from is None and base.effects == {}


def test_eleven_months_of_data_give_no_quiet_count(store, write):
    import_path(store, "wards", write("wards.geojson", WARDS))
    csv = police_csv(*incident_rows(B, "2024-01", 1), *incident_rows(B, "2024-11", 1))
    import_path(store, "incidents", write("i.csv", csv))
    import_path(store, "closures", write("c.csv", CLOSURES))
    base = base_cells(store)
    # 2024-01 .. 2024-11: no month has the 12 months to its end in the data; the stocks still run to 2024-11
    assert base.quiet_from is None and cells_of(base, "quiet_addresses") == {}
    active = cells_of(base, "orders_active")
    assert max(month for (_, _, _, month, _) in active) == "2024-11"


def test_the_first_quiet_month_is_the_twelfth_of_the_data(store, write):
    import_path(store, "wards", write("wards.geojson", WARDS))
    csv = police_csv(*incident_rows(B, "2024-02", 1), *incident_rows(B, "2025-01", 1))
    import_path(store, "incidents", write("i.csv", csv))
    import_path(store, "closures", write("c.csv", CLOSURES))
    base = base_cells(store)
    # 2024-02 .. 2025-01: only 2025-01 has twelve months behind it; no ASB near any premises: all four quiet
    # (A for C1, Q, Q2; OUT's C5 is in no ward: all only)
    assert base.quiet_from == "2025-01"
    assert cells_of(base, "quiet_addresses") == expect(
        "quiet_addresses", [(*WEST, "2025-01", 1), (*EAST, "2025-01", 2), (*TOWN, "2025-01", 3), (*ALL, "2025-01", 4)]
    )


def test_the_defaults_are_the_published_ones():
    # SECURITY.md and issue #19: ASB within 200 m, six months after the grant, premises quiet for a year;
    # the 400 m ring is python -m geo evaluate's own default
    defaults = {k: p.default for k, p in inspect.signature(base_cells).parameters.items() if k != "store"}
    assert defaults == {"radius_m": 200.0, "ring_m": 400.0, "window_months": 6, "quiet_months": 12}


def test_the_radius_and_the_quiet_year_are_the_ones_given(town, base):
    # radius 400 m: BORDER's ASB of 2024-02 (347 m from A) is now near A, so A is not quiet in 2025-01
    # either: W1 2 (Q, Q2), the town 2, all 3 (+ OUT)
    wide = cells_of(base_cells(town, radius_m=400, ring_m=600), "quiet_addresses")
    assert {k: v for k, v in wide.items() if k[3] == "2025-01"} == expect(
        "quiet_addresses", [(*EAST, "2025-01", 2), (*TOWN, "2025-01", 2), (*ALL, "2025-01", 3)]
    )
    # 13 quiet months: only 2025-01 has them in the data (window 2024-01 .. 2025-01): A and OUT had ASB in
    # 2024-01, so Q and Q2 alone
    year13 = base_cells(town, quiet_months=13)
    assert year13.quiet_from == "2025-01"
    assert cells_of(year13, "quiet_addresses") == expect(
        "quiet_addresses", [(*EAST, "2025-01", 2), (*TOWN, "2025-01", 2), (*ALL, "2025-01", 2)]
    )
    # 14: more than the 13 months stored
    year14 = base_cells(town, quiet_months=14)
    assert year14.quiet_from is None and cells_of(year14, "quiet_addresses") == {}
    assert cells_of(year14, "orders_active") == cells_of(base, "orders_active")  # the stocks still run


# --------------------------------------------------------------------------- place


def test_place_gives_every_point_its_piece(base):
    boundaries = base.boundaries
    lat = np.array([A[0], B[0], BORDER[0], OUT[0], np.nan])
    lng = np.array([A[1], B[1], BORDER[1], OUT[1], np.nan])
    rows, where = place(boundaries, lng, lat)
    assert rows.tolist() == [0, 1, 2, 3, 4]  # every point once
    assert where.tolist() == [
        ["W2", "X1", True],
        ["W1", "", True],
        ["W1", "", True],  # the border point: W1, the lower code
        ["", "", False],  # outside every ward and estate: not the town's
        ["", "", False],  # no location
    ]


def test_place_with_no_boundaries_puts_every_point_in_the_town():
    none = gpd.GeoDataFrame({"layer": [], "code": [], "name": []}, geometry=[], crs="EPSG:4326")
    rows, where = place(none, np.array([A[1], np.nan]), np.array([A[0], np.nan]))
    assert rows.tolist() == [0, 1] and where.tolist() == [["", "", True], ["", "", True]]
    only_wards = base_boundaries_of_layer("ward")
    _, where = place(only_wards, np.array([A[1], OUT[1]]), np.array([A[0], OUT[0]]))
    assert where.tolist() == [["W2", "", True], ["", "", False]]  # no estates: "" for every estate


def base_boundaries_of_layer(layer: str) -> gpd.GeoDataFrame:
    """The town's outlines of one layer, built here (as the store gives them, with a ``layer`` column)."""
    features = json.loads(WARDS if layer == "ward" else ESTATES)["features"]
    frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    return frame.assign(layer=layer)[["layer", "code", "name", "geometry"]]


# --------------------------------------------------------------------------- pieces


def pieces_of(base: BaseCells, measure: str) -> dict[tuple[str, str, bool, str, str], int]:
    p = base.pieces[base.pieces["measure"] == measure]
    keys = zip(p["ward"], p["estate"], p["town"].astype(bool), p["month"], p["category"], strict=True)
    return dict(zip(keys, p["value"].astype(int), strict=True))


def test_incidents_pieces_by_hand(town, base):
    # A is (W2, X1, in town); B and BORDER are (W1, no estate, in town); OUT is in nothing
    assert pieces_of(base, "incidents") == {
        ("W2", "X1", True, "2024-01", ASB): 3,
        ("W2", "X1", True, "2024-02", DRUGS): 1,
        ("W2", "X1", True, "2025-01", DRUGS): 1,
        ("W1", "", True, "2024-01", ASB): 1,  # B
        ("W1", "", True, "2024-01", DRUGS): 2,  # BORDER
        ("W1", "", True, "2024-02", ASB): 3,  # B 2 + BORDER 1
        ("W1", "", True, "2025-01", ASB): 1,
        ("W1", "", True, "2025-01", DRUGS): 3,
        ("", "", False, "2024-01", ASB): 1,  # OUT
        ("", "", False, "2025-01", DRUGS): 2,
    }
    assert list(base.pieces.columns) == PIECE_COLUMNS and base.pieces["town"].dtype == bool
    assert base.pieces["value"].dtype == np.int64 and base.pieces["key"].dtype == np.int64
    assert base.pieces["key"].between(0, 255).all()
    assert not base.pieces.duplicated(["measure", *PIECE_KEYS]).any()
    # a piece's key is the sum of its records' keys: A's three ASB reports of 2024-01
    inc = keys_of(town, "incidents", ["lat", "lng", "month", "category"])
    at_a = inc[(inc["lat"] == A[0]) & (inc["lng"] == A[1]) & (inc["month"] == "2024-01") & (inc["category"] == ASB)]
    p = base.pieces
    hit = p[(p["measure"] == "incidents") & (p["ward"] == "W2") & (p["month"] == "2024-01") & (p["category"] == ASB)]
    assert len(at_a) == 3 and hit["key"].tolist() == [at_a["rkey"].sum() % 256]


def test_pieces_add_up_to_every_layer():
    """Hand pieces: a ward is its pieces in and out of estates, an estate its pieces in any ward, and so on."""
    pieces = pd.DataFrame(
        [
            ("incidents", "W1", "", True, "2024-01", ASB, 2, 200),
            ("incidents", "W1", "X1", True, "2024-01", ASB, 3, 100),
            ("incidents", "", "X1", True, "2024-01", ASB, 4, 10),  # the estate's part outside every ward
            ("incidents", "", "", False, "2024-01", ASB, 5, 20),  # outside the town
            ("incidents", "W2", "", True, "2024-01", DRUGS, 1, 255),
            ("orders_active", "W2", "", True, "2024-02", "", 6, 7),
            ("orders_active", "W1", "", True, "2024-02", "", 0, 0),  # nothing: no cell of its own
        ],
        columns=PIECE_COLUMNS,
    )
    cells = pieces_to_layers(pieces)
    assert list(cells.columns) == CELL_COLUMNS
    got = {tuple(r[:5]): (r[5], r[6]) for r in cells.itertuples(index=False)}
    assert got == {
        ("incidents", "ward", "W1", "2024-01", ASB): (5, 300 % 256),  # 2 + 3, keys 200 + 100 = 300 -> 44
        ("incidents", "ward", "W2", "2024-01", DRUGS): (1, 255),
        ("incidents", "estate", "X1", "2024-01", ASB): (7, 110),  # 3 + 4
        ("incidents", "town", "", "2024-01", ASB): (9, 310 % 256),  # 2 + 3 + 4
        ("incidents", "town", "", "2024-01", DRUGS): (1, 255),
        ("incidents", "all", "", "2024-01", ASB): (14, 330 % 256),  # + 5 outside the town
        ("incidents", "all", "", "2024-01", DRUGS): (1, 255),
        ("orders_active", "ward", "W2", "2024-02", ""): (6, 7),
        ("orders_active", "town", "", "2024-02", ""): (6, 7),
        ("orders_active", "all", "", "2024-02", ""): (6, 7),
    }
    assert cells.index.tolist() == list(range(len(cells)))
    # published pieces carry no key: the layers then carry 0
    unkeyed = pieces_to_layers(pieces.drop(columns="key"))
    assert set(unkeyed["key"]) == {0}
    assert unkeyed.drop(columns="key").equals(cells.drop(columns="key"))


# --------------------------------------------------------------------------- the closure comparison per year


def test_year_effects_over_the_orders_granted_each_year(town):
    base = base_cells(town, window_months=1)
    [(year, ye)] = base.effects.items()
    assert year == 2024 and ye.year == 2024
    e = ye.effect
    # one-month windows inside 2024-01 .. 2025-01: C1 (granted 2024-01) has no month before it: skipped;
    # C5 (Feb), C2 (Mar), C3 (Jun) and C4 (Dec, after-month 2025-01) are used
    assert (e.used, e.skipped) == (4, 1)
    # treatment (within 200 m): C5's before-month 2024-01 holds OUT's ASB: 1; nothing after any order
    # (A's and OUT's 2025-01 reports are Drugs); the ring (200-400 m): BORDER is 347 m from A, but its
    # only ASB (2024-02) is in no window of C4 (Nov 2024 / Jan 2025)
    assert (e.treatment_before, e.treatment_after, e.ring_before, e.ring_after) == (1, 0, 0, 0)
    # control: in the town, over 400 m from every order: B alone (A is treated, BORDER in A's ring, OUT outside);
    # before-months {2024-01, 2024-02, 2024-05, 2024-11}: 1 + 2 = 3; after-months {2024-03, 2024-04, 2024-07,
    # 2025-01}: 1
    assert (e.control_before, e.control_after) == (3, 1)
    # earlier windows in the data for C2 (2024-01), C3 (2024-04), C4 (2024-10): no ASB within 200 m in them
    assert (e.earlier, e.earlier_before) == (0, 0)
    closures = keys_of(town, "closures", ["ref"])
    assert ye.key == closures["rkey"].sum() % 256  # all five orders of 2024
    assert ye.notes == (NO_MATCHED,)  # the wards and estate are the study area: no "no study area" note
    # a ring of 300 m leaves BORDER (347 m from A) in the control: its ASB of 2024-02 is a before-month's
    narrow = base_cells(town, window_months=1, ring_m=300).effects[2024].effect
    assert (narrow.ring_before, narrow.control_before, narrow.control_after) == (0, 4, 1)
    # a radius of 650 m (ring 1 km) takes in B, 621 m from C2's Q (but 694 m from A): B's two ASB reports of
    # 2024-02, C2's before-month, join OUT's one in C5's: 3 before; still none after
    wide = base_cells(town, window_months=1, radius_m=650, ring_m=1000).effects[2024].effect
    assert (wide.treatment_before, wide.treatment_after) == (3, 0)


def test_year_effects_with_six_month_windows_skip_every_order(town, base):
    ye = base.effects[2024]
    # 6 whole months either side inside 2024-01 .. 2025-01 needs a grant in 2024-07: none
    assert (ye.effect.used, ye.effect.skipped) == (0, 5)
    assert ye.effect.earlier is None


# --------------------------------------------------------------------------- record keys


SECRET = bytes(range(32))


def test_record_keys_are_fixed_for_a_record_and_depend_on_the_secret():
    rng = np.random.default_rng(7)
    k1, k2 = (
        rng.integers(-(2**63), 2**63 - 1, 1000, dtype=np.int64),
        rng.integers(-(2**63), 2**63 - 1, 1000, dtype=np.int64),
    )
    keys = record_keys(k1, k2, secret=SECRET)
    assert keys.dtype == np.int64 and keys.shape == (1000,) and keys.min() >= 0 and keys.max() <= 255
    assert record_keys(k1, k2, secret=SECRET).tolist() == keys.tolist()  # the same every time
    assert record_keys(k1[::-1], k2[::-1], secret=SECRET).tolist() == keys[::-1].tolist()  # row by row
    other = record_keys(k1, k2, secret=bytes(32))
    assert (other != keys).mean() > 0.9  # another secret: nearly every key different (1/256 agree by chance)
    assert (record_keys(k1, k2 + 1, secret=SECRET) != keys).mean() > 0.9  # both halves of the content key count
    assert (record_keys(k1 + 1, k2, secret=SECRET) != keys).mean() > 0.9
    assert (record_keys(k2, k1, secret=SECRET) != keys).mean() > 0.9  # and their order


def _reference_key(k1: int, k2: int, secret: bytes) -> int:
    """The documented derivation in plain Python integers: SplitMix64's finaliser, twice, keyed by the secret."""
    import hashlib

    digest = hashlib.blake2b(secret, digest_size=16, person=b"nestwatch-rkey").digest()
    s1, s2 = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")
    mask = 2**64 - 1

    def mix(x: int) -> int:
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        return x ^ (x >> 31)

    return mix(mix((k1 & mask) ^ s1) ^ (k2 & mask) ^ s2) >> 56


def test_record_keys_never_change_between_versions():
    """A new derivation would put fresh noise on every cell of every store: pinned to the documented one."""
    k1 = np.array([0, 1, -1, 2**62, -(2**63), 123456789], dtype=np.int64)
    k2 = np.array([0, 0, 5, -7, 2**63 - 1, 987654321], dtype=np.int64)
    for secret in (SECRET, b"\xff" * 32):
        expected = [_reference_key(int(a), int(b), secret) for a, b in zip(k1, k2, strict=True)]
        assert record_keys(k1, k2, secret=secret).tolist() == expected


@pytest.mark.parametrize("which", ["random", "consecutive"])
def test_record_keys_are_roughly_uniform(which):
    n = 10_000
    if which == "random":
        rng = np.random.default_rng(11)
        k1 = rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64)
        k2 = rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64)
    else:  # structured content keys: 0, 1, 2, ... and a constant
        k1, k2 = np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    counts = np.bincount(record_keys(k1, k2, secret=SECRET), minlength=256)
    expected = n / 256
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    # 255 degrees of freedom: mean 255, sd 22.6; 400 is over six sd out (a loose bound, not a sharp test)
    assert len(counts) == 256 and chi2 < 400
    assert counts.min() > 0


@settings(max_examples=50)
@given(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1), st.binary(min_size=1, max_size=40))
def test_record_keys_match_the_reference(k1, k2, secret):
    got = record_keys(np.array([k1], dtype=np.int64), np.array([k2], dtype=np.int64), secret=secret)
    assert got.tolist() == [_reference_key(k1, k2, secret)]


def test_dates_become_day_numbers_and_anything_else_nothing():
    # 2024-01-02 is day 19,724 since 1970-01-01 (54 years with 13 leap days: 54 x 365 + 13 + 1)
    got = _days(["02/01/2024", "2024-01-02", "1970-01-01", "2024-13-01", ""])  # never a guessed format
    assert got[1:3].tolist() == [19724.0, 0.0] and np.isnan(got[[0, 3, 4]]).all()


def test_month_end():
    assert [month_end(m) for m in ("2024-02", "2023-02", "2024-12", "2024-04")] == [
        "2024-02-29",
        "2023-02-28",
        "2024-12-31",
        "2024-04-30",
    ]


def test_a_premises_counts_as_quiet_from_its_earliest_order_whatever_the_order_of_the_rows(store, write):
    import_path(store, "wards", write("wards.geojson", WARDS))
    csv = police_csv(*incident_rows(B, "2024-01", 1), *incident_rows(B, "2025-06", 1))
    import_path(store, "incidents", write("i.csv", csv))
    closures = (
        "ref,address,lat,lng,granted,expiry,status\n"
        f"LATE,1 A St,{A[0]},{A[1]},2025-04-10,2025-07-10,active\n"  # stored first, granted last
        # the same premises geocoded a fraction of a metre away (0.000004 deg): the same address to 5 decimals
        f"EARLY,1 A St,{A[0] + 0.000004},{A[1] + 0.000004},2024-03-01,2024-06-01,expired\n"
        f"LAST,2 Q St,{Q[0]},{Q[1]},2024-12-31,2025-03-31,active\n"  # granted on a month's last day
    )
    import_path(store, "closures", write("c.csv", closures))
    base = base_cells(store)
    # 2024-01 .. 2025-06: quiet counts from 2024-12 on; A (W2) has had an order since March 2024 and no ASB
    # within 200 m ever (B is 695 m away): one quiet address in W2 at every month end 2024-12 .. 2025-06
    months = [str(p) for p in pd.period_range("2024-12", "2025-06", freq="M")]
    west = cells_of(base, "quiet_addresses")
    assert {m: west.get(("quiet_addresses", "ward", "W2", m, ""), 0) for m in months} == dict.fromkeys(months, 1)
    # the premises' record is its earliest order, in every month
    early = keys_of(store, "closures", ["ref"]).set_index("ref")["rkey"]["EARLY"]
    assert {key_of(base, ("quiet_addresses", "ward", "W2", m, "")) for m in months} == {early}
    # Q's order, granted on 31 December, makes it a closed premises at December's end already
    assert {m: west.get(("quiet_addresses", "ward", "W1", m, ""), 0) for m in months} == dict.fromkeys(months, 1)
