"""Names people use for hexagons: the street rule, the naming rules and their tie rule, search, bounds, typed ids.

Every expected name is worked by hand from a fixture small enough to count; the
grouping is checked against a brute-force count (a loop over rows) under hypothesis.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.plan import places
from geo.stats.aggregate import Filters, StudyArea
from geo.store.importer import import_path
from tests.conftest import police_csv, police_row

ASB = "Anti-social behaviour"


# --------------------------------------------------------------------------- the street of an address


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("Flat 3, 12a Beacon Court", "Beacon Court"),  # the flat and the door number go
        ("12-14 High St", "High St"),  # a range of numbers
        ("12 - 14 High St", "High St"),
        ("3/12 Beacon Court", "Beacon Court"),
        ("12 and 14 High Street", "High Street"),
        ("12, Beacon Court", "Beacon Court"),  # a number alone numbers the next part
        ("Beacon Court, Nestwick", "Beacon Court"),  # no number: the part ending as streets end
        ("Beacon Court", "Beacon Court"),
        ("", ""),  # nothing
        ("NE1 4XY", ""),  # only a postcode
        ("M1 4XY", ""),  # a postcode whose outward code looks like a road number
        ("12 Beacon Court NE1 4XY", "Beacon Court"),
        ("Rose Cottage, Nestwick", ""),  # a house's name is no street
        ("Flat A, Beacon Court", "Beacon Court"),
        ("Flat3 Beacon Court", "Beacon Court"),  # a word with a digit in it goes
        ("Ground Floor Flat, 7 Mill Lane", "Mill Lane"),
        ("Apartment 12, The Maltings, 5 Mill Lane", "Mill Lane"),  # the building before the street goes
        ("Beacon House 12 Beacon Court", "Beacon Court"),
        ("Outside 12 Beacon Court", "Beacon Court"),
        ("12 Beacon Court Flat 3", "Beacon Court"),
        ("2 Larch Road, Nestwick (synthetic)", "Larch Road"),  # the demo's form
        ("12\u00a0Beacon\u2003Court", "Beacon Court"),  # other spaces are spaces
        ("No Location", ""),  # police.uk's word for none
    ],
)
def test_the_street_of_an_address_keeps_no_door_number(text, street):
    assert places.texts_to_streets([text]).tolist() == [street]


def test_missing_addresses_name_no_street():
    assert places.texts_to_streets(pd.Series(["12 Mill Lane", None, np.nan], dtype=object)).tolist() == [
        "Mill Lane",
        "",
        "",
    ]


@pytest.mark.parametrize(
    ("text", "place", "street"),
    [
        ("On or near Beacon Court", "On or near Beacon Court", "Beacon Court"),  # police.uk's wording is kept
        ("  On or near   Beacon Court ", "On or near Beacon Court", "Beacon Court"),
        ("On or near ", "", ""),  # police.uk's text with no name (16 % of the real sample's)
        ("On or near Supermarket", "On or near Supermarket", "Supermarket"),  # police.uk's own snap names
        ("On or near A38", "On or near A38", "A38"),  # a road number is no door number
        ("On or near 12 Beacon Court", "On or near Beacon Court", "Beacon Court"),  # nobody slips one in
        ("12 Beacon Court", "Beacon Court", "Beacon Court"),  # a partner's text: its street only
        ("behind the shops", "", ""),
    ],
)
def test_location_texts_become_place_names(text, place, street):
    got_place, got_street = places.texts_to_places([text], police=True)  # rows whose source is police.uk
    assert (got_place.tolist(), got_street.tolist()) == ([place], [street])


_WORD = st.sampled_from(["Beacon", "Court", "Road", "Flat", "Unit", "High", "St", "The", "Mill", "Lane", "and"])
_NUMBER = st.from_regex(r"[0-9]{1,3}[a-c]?(-[0-9]{1,3})?", fullmatch=True)
_POSTCODE = st.from_regex(r"[A-Z]{1,2}[0-9] [0-9][A-Z]{2}", fullmatch=True)
_TOKEN = st.one_of(_WORD, _NUMBER, _POSTCODE, st.sampled_from([",", "/", "-", "Flat3", "12A"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKEN, max_size=8), st.booleans())
def test_no_digit_survives_in_a_street(tokens, police):
    """Whatever an address holds, its street has no digit; police.uk's text keeps only road-number-like words."""
    text = ("On or near " if police else "") + " ".join(tokens)
    [street] = places.texts_to_streets([text], police=police)
    if police:
        assert all(not w[0].isdigit() for w in street.split()), (text, street)
    else:
        assert not re.search(r"[0-9]", street), (text, street)


# --------------------------------------------------------------------------- counting texts per cell


def test_only_rows_from_police_uk_keep_what_on_or_near_names():
    # one cell; the same texts from police.uk (2 rows) and from a partner (1 row each)
    texts = ["On or near Jane Doe house", "On or near Beacon Court", "4 Elm Close (victim: Jane Doe)"]
    frame = pd.DataFrame(
        {
            "lat": 51.45,
            "lng": -2.59,
            "month": "2024-01",
            "category": ASB,
            "source": ["police.uk", "housing", "police.uk", "housing", "housing"],
            "location": [texts[0], texts[0], texts[1], texts[1], texts[2]],
        }
    )
    got = places.incidents_to_locations(frame, res=9, filters=Filters())
    named = {(r.text, r.location) for r in got.itertuples()}
    assert named == {
        (texts[0], "On or near Jane Doe house"),  # police.uk's own wording (its snap names are anonymised)
        (texts[0], ""),  # the partner's "On or near": no street in it, so no name
        (texts[1], "On or near Beacon Court"),
        (texts[1], "Beacon Court"),  # the partner's: its street only
        (texts[2], "Elm Close"),
    }
    # inside the building the list has one line per text: 2, 2, 1 (ties alphabetical, lower-cased)
    assert places.locations_in_cell(got, _cell(51.45, -2.59)).to_dict("records") == [
        {"location": texts[1], "incidents": 2},
        {"location": texts[0], "incidents": 2},
        {"location": texts[2], "incidents": 1},
    ]


def _cell(lat: float, lng: float) -> int:
    return h3.str_to_int(h3.latlng_to_cell(lat, lng, 9))


def test_locations_are_counted_per_cell_and_text_most_first_ties_alphabetical():
    # cell of (51.45, -2.59): Birch Road 2, Ash Road 2, no text 1 -> Ash before Birch (tie, alphabetical)
    frame = pd.DataFrame(
        {
            "lat": [51.45, 51.45, 51.45, 51.45, 51.45, 51.45, 51.47, 51.45],
            "lng": [-2.59] * 6 + [-2.59, -2.59],
            "month": ["2024-01"] * 7 + ["2023-12"],  # the last is before the filter's months
            "category": [ASB] * 8,
            "source": "police.uk",
            "location": [
                "On or near Birch Road",
                "On or near Ash Road",
                "On or near Birch Road",
                "On or near  Ash Road",  # two spaces: the same text
                "",
                "On or near Birch Road",
                "On or near Elm Road",
                "On or near Birch Road",
            ],
        }
    )
    frame.loc[5, "category"] = "Drugs"  # another category: not counted
    got = places.incidents_to_locations(frame, res=9, filters=Filters(month_from="2024-01", categories=(ASB,)))
    here = _cell(51.45, -2.59)
    listed = places.locations_in_cell(got, here)
    assert listed.to_dict("records") == [
        {"location": "On or near Ash Road", "incidents": 2},
        {"location": "On or near Birch Road", "incidents": 2},
        {"location": places.NO_LOCATION, "incidents": 1},
    ]
    assert places.locations_in_cell(got, _cell(51.47, -2.59))["location"].tolist() == ["On or near Elm Road"]
    assert places.locations_in_cell(got, 12345).empty  # no such cell: an empty list, not an error


_TEXTS = ["On or near Ash Road", "On or near Birch Road", "ash road", "12 Mill Lane", "", None, "On or near "]
_POINTS = [(51.45, -2.59), (51.4502, -2.5901), (51.46, -2.60), (51.47, -2.58), (float("nan"), -2.59)]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(range(len(_POINTS))), st.sampled_from(_TEXTS), st.sampled_from(["2024-01", "2024-02"])
        ),
        max_size=40,
    ),
    st.booleans(),
)
def test_the_grouping_matches_a_count_row_by_row(rows, arrow):
    """incidents_to_locations against a brute-force loop: counts, bounds and the order in each cell."""
    frame = pd.DataFrame(
        {
            "lat": [_POINTS[p][0] for p, _, _ in rows],
            "lng": [_POINTS[p][1] for p, _, _ in rows],
            "month": [m for _, _, m in rows],
            "category": [ASB] * len(rows),
            "location": pd.Series([t for _, t, _ in rows], dtype=object),
        }
    )
    incidents = pa.Table.from_pandas(frame, preserve_index=False) if arrow and len(rows) else frame
    got = places.incidents_to_locations(incidents, res=9, filters=Filters(month_to="2024-01"))
    counts: Counter = Counter()
    box: dict = {}
    for p, text, month in rows:
        lat, lng = _POINTS[p]
        if month != "2024-01" or np.isnan(lat):
            continue
        key = (_cell(lat, lng), " ".join((text or "").split()))
        counts[key] += 1
        lo = box.get(key, (lat, lng, lat, lng))
        box[key] = (min(lo[0], lat), min(lo[1], lng), max(lo[2], lat), max(lo[3], lng))
    expected = sorted(counts, key=lambda k: (k[0], -counts[k], k[1].lower(), k[1]))
    assert list(zip(got["cell"].astype(int), got["text"], strict=True)) == expected
    assert got["incidents"].tolist() == [counts[k] for k in expected]
    assert got[["min_lat", "min_lng", "max_lat", "max_lng"]].to_numpy().tolist() == [list(box[k]) for k in expected]


# --------------------------------------------------------------------------- naming every cell


def _neighbour(cell: int, step: int = 1) -> int:
    return h3.str_to_int(sorted(h3.grid_ring(h3.int_to_str(cell), step))[0])


@pytest.fixture
def town():
    """Seven cells: A next to B; D next to F; C, E and G apart from all (h3 rings apart)."""
    a = _cell(51.45, -2.59)
    b = _neighbour(a)
    c = _cell(51.47, -2.55)
    d = _cell(51.43, -2.63)
    f = _neighbour(d)
    e = _cell(51.49, -2.67)
    g = _cell(51.41, -2.51)
    cells = {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g}
    order = sorted(cells.values())
    ward = {"A": "W1", "B": "W1", "C": "W1", "D": "W2", "E": "", "F": "", "G": ""}
    estate = {"A": "", "B": "", "C": "", "D": "", "E": "E1", "F": "", "G": ""}
    by_cell = {v: k for k, v in cells.items()}
    area = StudyArea(
        res=9,
        cells=np.array(order, dtype=np.uint64),
        ward=np.array([ward[by_cell[c]] for c in order], dtype=object),
        estate=np.array([estate[by_cell[c]] for c in order], dtype=object),
    )
    return area, cells


def _named(result: places.Places, cells: dict) -> dict:
    return {
        k: (result.name_of(v), str(result.rules[np.searchsorted(result.cells, np.uint64(v))])) for k, v in cells.items()
    }


def test_every_cell_is_named_by_the_first_rule_that_gives_a_name(town):
    import geopandas as gpd
    from shapely.geometry import box

    area, cells = town
    lat_a, lng_a = h3.cell_to_latlng(h3.int_to_str(cells["A"]))
    lat_c, lng_c = h3.cell_to_latlng(h3.int_to_str(cells["C"]))
    # A: Beacon Court 3, Ash Road 1 -> Beacon Court. Its texts are not B's: B has none, so "near" A's.
    frame = pd.DataFrame(
        {
            "lat": [lat_a] * 4,
            "lng": [lng_a] * 4,
            "month": ["2024-01"] * 4,
            "category": [ASB] * 4,
            "source": "police.uk",
            "location": ["On or near Beacon Court"] * 3 + ["On or near Ash Road"],
        }
    )
    locations = places.incidents_to_locations(frame, res=9, filters=Filters())
    # C: two flagged addresses on Mill Lane, one on Kiln Road -> Mill Lane (no door number)
    addresses = pd.DataFrame(
        {
            "address": ["Flat 3, 12a Mill Lane", "14 Mill Lane", "2 Kiln Road", "Rose Cottage"],
            "lat": [lat_c] * 4,
            "lng": [lng_c] * 4,
        }
    )
    wards = gpd.GeoDataFrame({"code": ["W1", "W2"], "name": ["Easton", "Hillfields"]}, geometry=[box(0, 0, 1, 1)] * 2)
    estates = gpd.GeoDataFrame({"code": ["E1"], "name": ["Gorse Hill Estate"]}, geometry=[box(0, 0, 1, 1)])
    got = _named(places.cell_places(area, locations, addresses=addresses, wards=wards, estates=estates), cells)
    lat_g, lng_g = h3.cell_to_latlng(h3.int_to_str(cells["G"]))
    assert got == {
        "A": ("On or near Beacon Court", "location"),
        "B": ("near Beacon Court", "near location"),
        "C": ("Mill Lane", "address"),
        "D": ("in Hillfields ward", "ward"),
        "E": ("in Gorse Hill Estate", "estate"),  # "estate" is not said twice
        "F": ("at the edge of Hillfields ward", "edge"),  # no area of its own; its neighbour D's ward
        "G": (f"near {lat_g:.4f}° N, {abs(lng_g):.4f}° W", "position"),
    }


def test_without_texts_or_boundaries_cells_are_still_named(town):
    area, cells = town
    got = places.cell_places(area, None)
    assert (got.names != "").all()
    assert not any(re.fullmatch(r"[0-9a-f]{15}", n) for n in got.names)
    assert got.name_of(cells["D"]) == "in W2 ward"  # the code when no name is known
    assert got.name_of(12345) is None


def test_a_tie_goes_to_the_alphabetically_first_text_whatever_the_row_order(town):
    area, cells = town
    lat, lng = h3.cell_to_latlng(h3.int_to_str(cells["A"]))
    texts = ["On or near birch Road", "On or near Ash Road", "On or near birch Road", "On or near Ash Road"]
    for order in (texts, texts[::-1], sorted(texts)):
        frame = pd.DataFrame(
            {"lat": lat, "lng": lng, "month": "2024-01", "category": ASB, "source": "police.uk", "location": order}
        )
        locations = places.incidents_to_locations(frame, res=9, filters=Filters())
        named = places.cell_places(area, locations)
        assert named.name_of(cells["A"]) == "On or near Ash Road"  # 2 each: "ash" before "birch", lower-cased
        assert named.name_of(cells["B"]) == "near Ash Road"


# --------------------------------------------------------------------------- search, bounds, typed ids


def test_the_search_index_lists_wards_estates_and_streets_with_their_bounds(town):
    import geopandas as gpd
    from shapely.geometry import box

    area, cells = town
    pts = {k: h3.cell_to_latlng(h3.int_to_str(cells[k])) for k in ("A", "B", "D")}
    frame = pd.DataFrame(
        {
            "lat": [pts["A"][0], pts["B"][0], pts["D"][0], pts["A"][0], pts["A"][0]],
            "lng": [pts["A"][1], pts["B"][1], pts["D"][1], pts["A"][1], pts["A"][1]],
            "month": "2024-01",
            "category": ASB,
            "source": "police.uk",
            "location": [
                "On or near Beacon Court",
                "On or near Beacon Court",
                "On or near Station Road",
                "On or near Station Road",
                "On or near Supermarket",
            ],
        }
    )
    named = places.cell_places(area, places.incidents_to_locations(frame, res=9, filters=Filters()))
    wards = gpd.GeoDataFrame(
        {"code": ["W1", "W2"], "name": ["Easton", "Hillfields"]},
        geometry=[box(-2.62, 51.44, -2.58, 51.48), box(-2.66, 51.42, -2.62, 51.44)],
    )
    estates = gpd.GeoDataFrame(
        {"code": ["E1", "E2"], "name": ["Gorse Hill", "Gorse Hill"]}, geometry=[box(0, 0, 1, 1)] * 2
    )
    got = places.search_entries(named, wards=wards, estates=estates)
    assert list(got.columns) == places.SEARCH_COLUMNS
    assert got["label"].tolist() == [
        "Easton (ward)",
        "Hillfields (ward)",
        "Gorse Hill (estate, E1)",  # two estates of one name: each says its code
        "Gorse Hill (estate, E2)",
        "Beacon Court (street)",  # A and B, both in Easton: one entry
        "Station Road (street, Easton)",  # in A (Easton) and D (Hillfields): one per ward
        "Station Road (street, Hillfields)",
    ]  # no "Supermarket": police.uk's name for a snap point, not a street
    assert got["kind"].tolist() == ["ward"] * 2 + ["estate"] * 2 + ["street"] * 3
    beacon = got.set_index("label").loc["Beacon Court (street)"]
    lat_lo, lat_hi = sorted([pts["A"][0], pts["B"][0]])
    lng_lo, lng_hi = sorted([pts["A"][1], pts["B"][1]])
    assert beacon[["min_lng", "min_lat", "max_lng", "max_lat"]].tolist() == [lng_lo, lat_lo, lng_hi, lat_hi]
    assert got.set_index("label").loc["Hillfields (ward)", "min_lng"] == -2.66


def test_a_typed_h3_id_is_read_or_refused():
    cell = h3.latlng_to_cell(51.45, -2.59, 9)
    assert places.cell_from_text(cell) == h3.str_to_int(cell)
    assert places.cell_from_text(f"  {cell.upper()}\n") == h3.str_to_int(cell)
    for bad in ("", "Beacon Court", cell[:-1], cell + "f", cell[:-1] + "0", "0" * 15, "f" * 15, "0" + cell[1:]):
        assert places.cell_from_text(bad) is None, bad
    assert places.cell_from_text(h3.latlng_to_cell(51.45, -2.59, 3)) is None  # a cell the map never draws
    assert places.cell_from_text(None) is None  # type: ignore[arg-type]


def test_bounds_of_hexagons():
    assert places.cells_to_bounds(np.array([], dtype=np.uint64)) is None
    cell = h3.latlng_to_cell(51.45, -2.59, 9)
    west, south, east, north = places.cell_bounds(h3.str_to_int(cell))
    corners = h3.cell_to_boundary(cell)  # (lat, lng) pairs
    assert (west, east) == pytest.approx((min(p[1] for p in corners), max(p[1] for p in corners)), abs=1e-12)
    assert (south, north) == pytest.approx((min(p[0] for p in corners), max(p[0] for p in corners)), abs=1e-12)


# --------------------------------------------------------------------------- from the store (SQLite and PostgreSQL)


def test_names_from_the_store(store, write):
    from tests.conftest import ONE_WARD

    assert import_path(store, "wards", write("w.geojson", json.dumps(ONE_WARD))).stored == 1
    rows = [
        police_row(location="On or near Park Street"),
        police_row(location="On or near Park Street", month="2024-02"),
        police_row(location="On or near Elm Road"),
        police_row(location="On or near Elm Road", category="Drugs"),  # another category
        police_row(location="On or near Elm Road", month="2023-12"),  # before the months
    ]
    import_path(store, "incidents", write("a.csv", police_csv(*rows)))
    flagged = (
        "ref,address,lat,lng,first_flagged,indicators,status\n"
        'F1,"Flat 2, 9 Kiln Road",51.455,-2.585,2024-01-01,noise,open\n'
    )
    assert import_path(store, "flagged", write("f.csv", flagged)).stored == 1
    from geo.plan import analysis

    area = analysis.load_area(store, res=9)
    named = places.load_places(store, area, filters=Filters(month_from="2024-01", categories=(ASB,)))
    here, kiln = _cell(51.45, -2.59), _cell(51.455, -2.585)
    assert named.name_of(here) == "On or near Park Street"  # 2 against Elm Road's 1 in the view
    assert named.name_of(kiln) == "Kiln Road"  # the flagged address's street, no number
    assert named.in_cell(here).to_dict("records") == [
        {"location": "On or near Park Street", "incidents": 2},
        {"location": "On or near Elm Road", "incidents": 1},
    ]
    assert (named.names != "").all()
    ward_only = named.names[named.rules == "ward"]
    assert set(ward_only) <= {"in Park ward"}
