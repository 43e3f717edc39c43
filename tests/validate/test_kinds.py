"""Row checks: each rejection reason, BNG conversion, refs, vocabularies, boundaries."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, box

from geo.ingest.boundaries import RawBoundaries
from geo.ingest.readers import read_csv_kind
from geo.validate import validate_boundaries, validate_table
from geo.validate._fields import parse_dates
from tests.conftest import messy_police_csv, police_csv, police_row


def validated(write, text, kind="incidents", **kw):
    [raw] = read_csv_kind(write("t.csv", text), kind, **{k: v for k, v in kw.items() if k in ("mapping", "source")})
    return validate_table(raw, **{k: v for k, v in kw.items() if k == "coords"})


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (police_row(lng="", lat=""), "Latitude", "no coordinates"),
        (police_row(lat="north"), "Latitude", "not a number: north"),
        (police_row(lng="0", lat="0"), "Latitude", "coordinates are 0,0"),
        (police_row(lng="2.35", lat="48.85"), "Latitude", "outside Great Britain (lat 48.85, lng 2.35)"),
        (police_row(lng="51.45", lat="-2.59"), "Latitude", "latitude and longitude appear swapped"),
        (police_row(lng="358000", lat="173000"), "Latitude", "looks like British National Grid"),
        (police_row(month="2024-13"), "Month", "unparseable month"),
        (police_row(month=""), "Month", "month and date are both blank"),
        (police_row(category="Loitering"), "Crime type", "unknown category: Loitering"),
    ],
)
def test_each_bad_incident_row_is_rejected_with_file_row_column(write, row, column, reason):
    v = validated(write, police_csv(police_row(), row))
    assert len(v.accepted) == 1
    [rej] = v.rejects.to_dict("records")
    assert rej["row"] == 3
    assert rej["column"] == column
    assert rej["reason"].startswith(reason)
    assert rej["file"].endswith("t.csv")
    assert json.loads(rej["raw"])["Crime type"]  # the original row is kept, under its own headings


def test_identical_police_rows_are_all_kept_with_distinct_keys(write):
    v = validated(write, police_csv(police_row(), police_row(), police_row()))
    assert len(v.accepted) == 3
    assert len(set(zip(v.accepted["_k1"], v.accepted["_k2"], strict=True))) == 3


def test_keys_ignore_outcome_updates_but_not_content(write):
    a = validated(write, police_csv(police_row(crime_id="x1", category="Drugs", outcome="Under investigation")))
    b = validated(write, police_csv(police_row(crime_id="x1", category="Drugs", outcome="Charged")))
    c = validated(write, police_csv(police_row(crime_id="x1", category="Drugs", lat="51.46")))
    assert a.accepted[["_k1", "_k2"]].values.tolist() == b.accepted[["_k1", "_k2"]].values.tolist()
    assert a.accepted["_k1"].iloc[0] != c.accepted["_k1"].iloc[0]


def test_ref_repeated_with_different_content_is_rejected(write):
    rows = [police_row(crime_id="c1", category="Drugs"), police_row(crime_id="c1", category="Robbery")]
    v = validated(write, police_csv(*rows))
    assert v.accepted["category"].tolist() == ["Drugs"]
    assert v.rejects["reason"].tolist() == ["ref 'c1' repeats row 2 with different content"]
    assert v.rejects["column"].tolist() == ["Crime ID"]


def test_bng_columns_are_converted_exactly(write):
    text = "Ref,Date,Category,Easting,Northing\r\nA,2024-01-05,ASB,358000,173000\r\nB,2024-01-06,ASB,0,0\r\n"
    v = validated(write, text, source="housing")
    lng, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(358000, 173000)
    assert v.accepted[["lat", "lng"]].iloc[0].tolist() == pytest.approx([lat, lng], abs=1e-9)
    # the inverse transformation gives back the grid reference (independent direction)
    e, n = Transformer.from_crs(4326, 27700, always_xy=True).transform(v.accepted["lng"].iloc[0], lat)
    assert (e, n) == pytest.approx((358000, 173000), abs=1e-3)
    assert v.accepted["month"].iloc[0] == "2024-01"
    assert v.rejects["reason"].tolist() == ["coordinates are 0,0 (no map point)"]


def test_bng_in_lat_lng_columns_is_detected_from_values(write):
    text = "Ref,Date,Category,Lat,Lng\r\nA,2024-01-05,ASB,173000,358000\r\nB,2024-01-05,ASB,173100,358100\r\n"
    v = validated(write, text)
    assert len(v.accepted) == 2
    assert v.accepted["lat"].between(51.4, 51.5).all()
    assert any("British National Grid" in n for n in v.notes)
    forced = validated(write, text, coords="wgs84")
    assert len(forced.accepted) == 0
    assert forced.rejects["reason"].str.contains("British National Grid easting/northing in degree").all()


def test_degrees_in_bng_mode_are_rejected(write):
    text = "Ref,Date,Category,Easting,Northing\r\nA,2024-01-05,ASB,-2.59,51.45\r\n"
    v = validated(write, text)
    assert v.rejects["reason"].iloc[0].startswith("looks like lat/lng degrees")


def test_dates_parse_uk_forms_and_never_us(write):
    parsed = parse_dates(
        pd.Series(["2024-03-05", "05/03/2024", "5-3-2024", "5 Mar 2024", "2024-03-05T10:00", "3/13/2024"])
    )
    assert [d.strftime("%Y-%m-%d") if not pd.isna(d) else None for d in parsed] == [
        "2024-03-05",
        "2024-03-05",
        "2024-03-05",
        "2024-03-05",
        "2024-03-05",
        None,
    ]


CLOSURES = "Ref,Address,Lat,Lng,Granted,Expiry,Type,Status\r\n"


def test_closure_expiry_before_grant_and_bad_vocabulary(write):
    text = CLOSURES + (
        "C1,1 A St,51.45,-2.59,01/02/2024,01/05/2024,Full,Active\r\n"
        "C2,2 A St,51.45,-2.59,01/05/2024,01/02/2024,full,active\r\n"
        "C3,3 A St,51.45,-2.59,01/02/2024,31/02/2024,full,active\r\n"
        "C4,4 A St,51.45,-2.59,01/02/2024,01/05/2024,total,active\r\n"
        "C1,1 A St,51.45,-2.59,01/02/2024,01/05/2024,Full,Active\r\n"
    )
    v = validated(write, text, "closures")
    assert v.accepted[["ref", "granted", "expiry", "order_type", "status"]].values.tolist() == [
        ["C1", "2024-02-01", "2024-05-01", "full", "active"]
    ]
    reasons = dict(zip(v.rejects["row"], v.rejects["reason"], strict=True))
    assert reasons[3] == "expiry date is before the grant date"
    assert reasons[4] == "unparseable date: 31/02/2024"
    assert reasons[5].startswith("unknown order_type (allowed: full, partial): total")
    assert reasons[6] == "duplicate of row 2"


def test_flag_indicators_are_normalised_and_unknown_ones_rejected(write):
    text = "UPRN,Address,Lat,Lng,First Flagged,Indicators,Status\r\n" + (
        "001,a,51.45,-2.59,2024-01-02,Lock-changes; Visitors at odd hours | NOISE,open\r\n"
        "002,b,51.45,-2.59,2024-01-02,noise; aliens,open\r\n"
        "003,c,51.45,-2.59,2024-01-02,,\r\n"
    )
    v = validated(write, text, "flagged")
    assert v.accepted["indicators"].tolist() == ["visitors_odd_hours;lock_changes;noise", ""]
    assert v.accepted["status"].tolist() == ["open", "open"]
    assert v.rejects["reason"].iloc[0].startswith("unknown indicator: aliens (allowed:")


def test_victims_may_lack_a_home_location(write):
    text = "Ref,Date Safeguarded,Lat,Lng,Agency\r\nV1,2024-01-02,,,Police\r\nV2,2024-01-02,51.45,-2.59,Housing\r\n"
    v = validated(write, text, "victims")
    assert v.accepted["ref"].tolist() == ["V1", "V2"]
    assert np.isnan(v.accepted["lat"].iloc[0])


def test_victim_counts_need_whole_numbers(write):
    text = "Area Code,Month,Count\r\nE1,2024-01,3\r\nE1,2024-02,2.5\r\nE1,2024-01,4\r\n"
    v = validated(write, text, "victims")
    assert v.kind == "victim_counts"
    assert v.accepted["count"].tolist() == [3]
    assert sorted(v.rejects["reason"]) == [
        # the area, month and agency name what a count is of (its key columns); the blank agency is left unsaid
        "area_code 'E1' and month '2024-01' repeat row 2 with different content",
        "count is not a whole number >= 0",
    ]


def raw_boundaries(geoms, codes=None):
    codes = codes or [f"E0{i}" for i in range(len(geoms))]
    frame = gpd.GeoDataFrame(
        {"code": codes, "name": [f"W{i}" for i in range(len(geoms))], "_row": np.arange(1, len(geoms) + 1)},
        geometry=geoms,
        crs=4326,
    )
    original = frame.drop(columns="geometry")
    return RawBoundaries("w.geojson", "0" * 64, frame, original.assign(_row=frame["_row"]), len(frame))


def test_bow_tie_polygon_is_repaired_into_two_triangles():
    bow = Polygon([(-2.6, 51.4), (-2.5, 51.5), (-2.5, 51.4), (-2.6, 51.5), (-2.6, 51.4)])
    assert not bow.is_valid and bow.area == 0
    v = validate_boundaries(raw_boundaries([bow]), kind="wards")
    geom = v.accepted.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    # two triangles meeting at (-2.55, 51.45): each 0.1 wide and 0.05 high -> 2 * 0.1 * 0.05 / 2
    assert geom.area == pytest.approx(0.005)
    assert "repaired with make_valid" in v.notes[0] and "row 1" in v.notes[0]


def test_boundary_rejections():
    ok = box(-2.6, 51.4, -2.5, 51.5)
    geoms = [ok, None, Polygon(), LineString([(-2.6, 51.4), (-2.5, 51.5)]), box(2.0, 48, 2.1, 48.1), ok]
    v = validate_boundaries(raw_boundaries(geoms, ["A", "B", "C", "D", "E", "A"]), kind="wards")
    assert v.accepted["code"].tolist() == ["A"]
    assert v.rejects["reason"].tolist() == [
        "empty or null geometry",
        "empty or null geometry",
        "not a polygon: LineString",
        "outside Great Britain",
        "code 'A' repeats row 1",
    ]


def test_point_in_boundary_file_is_not_a_polygon():
    v = validate_boundaries(raw_boundaries([Point(-2.6, 51.4)]), kind="estates")
    assert v.rejects["reason"].tolist() == ["not a polygon: Point"]


# --------------------------------------------------------------------------- the bulk path for incidents


def _careful_only(monkeypatch):
    import geo.ingest._csv_fast

    monkeypatch.setattr(geo.ingest._csv_fast, "read_clean_utf8", lambda *_a, **_k: None)


def _force_distinct(monkeypatch, distinct):
    from geo.core.arrowtext import TextColumn

    of = TextColumn.of.__func__

    def forced(cls, column, *, distinct_=None, **_k):
        return of(cls, column, distinct=distinct)

    monkeypatch.setattr(TextColumn, "of", classmethod(forced))


def _outcome(v):
    accepted = v.accepted.reset_index(drop=True)
    return accepted, v.rejects.reset_index(drop=True), v.notes


@pytest.mark.parametrize(
    ("reader", "distinct"), [("careful", None), ("fast", True), ("fast", False), ("careful", True), ("careful", False)]
)
def test_fast_and_careful_paths_accept_and_reject_the_same_rows(write, monkeypatch, reader, distinct):
    text = messy_police_csv()
    fast = _outcome(validated(write, text))
    assert fast[0]["_k1"].nunique() == len(fast[0])  # every accepted row has its own key
    with monkeypatch.context() as m:
        if reader == "careful":
            _careful_only(m)
        if distinct is not None:
            _force_distinct(m, distinct)
        other = _outcome(validated(write, text))
    pd.testing.assert_frame_equal(fast[0], other[0])
    pd.testing.assert_frame_equal(fast[1], other[1], check_dtype=False)
    assert fast[2] == other[2]


def test_messy_rows_get_their_reasons(write):
    v = validated(write, messy_police_csv(copies=1))
    reasons = dict(zip(v.rejects["row"], v.rejects["reason"], strict=True))
    assert reasons[5] == "ref 'c1' repeats row 4 with different content"
    assert 7 not in reasons  # same ref, same content: a second incident
    assert reasons[11] == "not a number: north" and reasons[12] == "not a number: east"
    assert reasons[17] == "not a number: inf"
    assert reasons[21] == "unparseable month (expected YYYY-MM): 2024-13"
    assert reasons[26] == "unknown category: Loitering"
    assert reasons[27] == "category is blank"
    accepted = v.accepted.set_index("_row")
    assert accepted.loc[8, ["ref", "lsoa_code", "location"]].tolist() == ["007", "007", "NA"]
    assert accepted.loc[9, ["ref", "category"]].tolist() == ["NA", "Anti-social behaviour"]
    assert accepted.loc[23, "month"] == "2024-03" and accepted.loc[24, "month"] == "2024-03"
    assert accepted.loc[19, ["lat", "lng"]].tolist() == [51.5, -2.5]
    assert accepted.loc[31, ["location", "lsoa_code"]].tolist() == ["padded", "E01014540"]
    raw = json.loads(v.rejects.set_index("row").loc[5, "raw"])
    assert raw["Crime ID"] == "c1" and raw["Last outcome category"] == "Charged"


#: content keys of police_row() twice, a crime and a moved row, as the first release computed them
PINNED_KEYS = [
    [-7458890504473448514, -8398742497343384984],
    [350388428178211156, -8398742497343384983],
    [7131222604459445565, -6072577548469271080],
    [6985388611598653345, 1915476472495612676],
]


@pytest.mark.parametrize("reader", ["fast", "careful"])
def test_incident_keys_are_stable_across_versions(write, monkeypatch, reader):
    # if these change, every stored incident changes key and re-imports duplicate data
    if reader == "careful":
        _careful_only(monkeypatch)
    rows = [
        police_row(),
        police_row(),
        police_row(crime_id="abc123", category="Drugs", outcome="Under investigation"),
        police_row(lat="51.460000", location="On or near Café Street", month="2024-02"),
    ]
    v = validated(write, police_csv(*rows))
    assert v.accepted[["_k1", "_k2"]].values.tolist() == PINNED_KEYS


@given(st.lists(st.text(alphabet=st.sampled_from("ab \t\r\n\x1c\xa0\u2003\u3000éz"), max_size=6), max_size=30))
def test_strip_is_utf8_trim_whitespace(values):
    from geo.core.arrowtext import strip_blanks

    arr = pa.array(values, pa.string())
    assert strip_blanks(arr).to_pylist() == pc.utf8_trim_whitespace(arr).to_pylist()
    assert strip_blanks(arr.slice(1)).to_pylist() == pc.utf8_trim_whitespace(arr.slice(1)).to_pylist()  # with an offset


# --------------------------------------------------------------------------- population (residents per ward and year)

POPULATION = "Ward Code 1,Mid-year,All Ages\r\n"  # the headings of ONS's ward estimates up to mid-2020


@pytest.fixture
def december_2026(monkeypatch):
    """Today is 15 December 2026 (the one injectable clock): 2026 is the latest year an estimate may be of."""
    import datetime as dt

    import geo.validate._bounds

    monkeypatch.setattr(geo.validate._bounds, "today", lambda: dt.date(2026, 12, 15))


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("E05000002,2022,12.5", "All Ages", "population is not a whole number: 12.5"),
        ("E05000002,2022,-3", "All Ages", "population is negative: -3"),
        ("E05000002,2022,many", "All Ages", "population is not a whole number: many"),
        ("E05000002,2022,1e4", "All Ages", "population is not a whole number: 1e4"),
        ("E05000002,2022,", "All Ages", "population is blank"),
        ("E05000002,2022,2000001", "All Ages", "population 2000001 is more than 2,000,000"),
        (",2022,5000", "Ward Code 1", "code is blank"),
        ("E05000002,2000,5000", "Mid-year", "year 2000 is before 2001: ONS small-area population estimates"),
        ("E05000002,2027,5000", "Mid-year", "year 2027 is after 2026, the current year"),
        ("E05000002,2999,5000", "Mid-year", "year 2999 is after 2026"),
        ("E05000002,22,5000", "Mid-year", "unreadable year (expected e.g. 2022 or mid-2022): 22"),
        ("E05000002,2022-07-01,5000", "Mid-year", "unreadable year"),  # a date that is not a mid-year
        ("E05000002,,5000", "Mid-year", "year is blank"),
    ],
)
def test_each_bad_population_row_is_rejected_with_file_row_column(write, december_2026, row, column, reason):
    v = validated(write, POPULATION + "E05000001,2022,9000\r\n" + row + "\r\n", "population")
    assert v.accepted[["code", "population", "year"]].values.tolist() == [["E05000001", 9000, 2022]]
    [rej] = v.rejects.to_dict("records")
    assert (rej["row"], rej["column"]) == (3, column)
    assert rej["reason"].startswith(reason), rej["reason"]
    assert rej["file"].endswith("t.csv") and json.loads(rej["raw"])["Ward Code 1"] == row.split(",")[0]


def test_population_values_are_read_as_spreadsheets_and_ons_write_them(write, december_2026):
    text = POPULATION + (
        'E05000001,2022,"12,345"\r\n'  # thousands separated
        "E05000002,Mid-2022,8000\r\n"  # the year as ONS names its sheets
        "E05000003,mid 2021,8000.0\r\n"  # a float's .0 from a spreadsheet
        "E05000004,2020-06-30,0\r\n"  # the mid-year date itself; nobody living there is a population
        "E05000005,30/06/2026,7000\r\n"  # the current year is not in the future
        "E05000006,2001,1\r\n"  # the first year of the estimates
    )
    v = validated(write, text, "population")
    assert v.rejects.empty, v.rejects["reason"].tolist()
    assert v.accepted[["code", "population", "year"]].values.tolist() == [
        ["E05000001", 12345, 2022],
        ["E05000002", 8000, 2022],
        ["E05000003", 8000, 2021],
        ["E05000004", 0, 2020],
        ["E05000005", 7000, 2026],
        ["E05000006", 1, 2001],
    ]
    assert v.accepted["population"].dtype == np.int64 and v.accepted["year"].dtype == np.int64


@pytest.mark.parametrize(
    "header",
    [
        "Ward Code 1,Mid-year,All Ages",  # ONS ward estimates to mid-2020 (sheet exported as CSV, plus the year)
        "Ward 2023 Code,Year,Total",  # ONS ward estimates mid-2021 on
        "WD23CD,Year,Population",  # ONS boundary field names
        "wd16cd,year,population",
        "GEOGRAPHY_CODE,DATE,OBS_VALUE",  # Nomis
        "code,year,population",  # the canonical names
    ],
)
def test_ons_and_nomis_headings_are_recognised_without_a_mapping(write, header):
    v = validated(write, header + "\r\nE05000001,2022,9000\r\n", "population")
    assert v.rejects.empty and v.accepted[["code", "population", "year"]].values.tolist() == [["E05000001", 9000, 2022]]


def test_other_columns_of_an_ons_sheet_are_left_alone(write):
    text = "LAD 2023 Code,LAD 2023 Name,Ward 2023 Code,Ward 2023 Name,Year,Total,F0,M0\r\n"
    text += "E08000009,Trafford,E05000819,Altrincham,2022,12000,60,70\r\n"
    v = validated(write, text, "population")
    assert v.accepted[["code", "population", "year"]].values.tolist() == [["E05000819", 12000, 2022]]  # not the LAD
    assert any("columns not used: LAD 2023 Code, LAD 2023 Name, Ward 2023 Name, F0, M0" in n for n in v.notes)


def test_a_population_file_without_a_year_is_refused_naming_the_column(write):
    from geo.core.errors import InputError

    with pytest.raises(InputError, match=r"cannot find column\(s\) \['year'\] for population"):
        validated(write, "Ward 2023 Code,Total\r\nE05000001,9000\r\n", "population")


def test_a_ward_and_year_given_twice_is_one_fact(write):
    text = POPULATION + (
        "E05000001,2022,9000\r\n"
        "E05000001,2022,9100\r\n"  # another number for the same ward and year: which is right cannot be told
        "E05000001,2022,9000\r\n"  # the same row again
        "E05000001,2021,8900\r\n"  # another year of the same ward
        "E05000002,2022,9100\r\n"  # another ward, the same year
    )
    v = validated(write, text, "population")
    assert v.accepted[["code", "population", "year"]].values.tolist() == [
        ["E05000001", 9000, 2022],
        ["E05000001", 8900, 2021],
        ["E05000002", 9100, 2022],
    ]
    assert v.rejects[["row", "column", "reason"]].values.tolist() == [
        [3, "Ward Code 1", "code 'E05000001' and year 2022 repeat row 2 with different content"],
        [4, "Ward Code 1", "duplicate of row 2"],
    ]


# --------------------------------------------------------------------------- refs and codes have a length bound

#: kind -> (heading row, a valid row with {} where the identity or area code goes, that column's heading)
_KEYED = {
    "incidents": (police_csv().split("\r\n")[0] + "\r\n", police_row(crime_id="{}"), "Crime ID"),
    "closures": (CLOSURES, "{},1 A St,51.45,-2.59,01/02/2024,01/05/2024,Full,Active", "Ref"),
    "victims": ("Ref,Date Safeguarded,Lat,Lng\r\n", "{},2024-01-02,51.45,-2.59", "Ref"),
    "victim_counts": ("Area Code,Month,Count\r\n", "{},2024-01,3", "Area Code"),
    "flagged": ("UPRN,Address,Lat,Lng,First Flagged\r\n", "{},a,51.45,-2.59,2024-01-02", "UPRN"),
    "population": (POPULATION, "{},2022,9000", "Ward Code 1"),
}


@pytest.mark.parametrize("kind", list(_KEYED))
@pytest.mark.parametrize("length", [101, 9_000])
def test_a_ref_or_code_longer_than_100_characters_rejects_its_row_only(write, kind, length):
    """One rule for every kind's identity and area code: 100 characters pass, 101 and 9,000 reject that row."""
    head, row, heading = _KEYED[kind]
    text = head + row.replace("{}", "A" + "1" * 99) + "\r\n" + row.replace("{}", "A" + "2" * (length - 1)) + "\r\n"
    v = validated(write, text, "victims" if kind == "victim_counts" else kind)
    assert v.kind == kind and len(v.accepted) == 1  # the 100-character one (A + 99 ones)
    [rej] = v.rejects.to_dict("records")
    assert (rej["row"], rej["column"]) == (3, heading)
    name = {"incidents": "ref", "victim_counts": "area_code", "population": "code"}.get(kind, "ref")
    assert rej["reason"] == f"{name} is {length:,} characters long; at most 100"
    assert rej["file"].endswith("t.csv")


def test_a_boundary_code_longer_than_100_characters_rejects_that_feature(write):
    v = validate_boundaries(raw_boundaries([box(-2.6, 51.4, -2.59, 51.41)] * 2, ["E1", "E" * 250]), kind="wards")
    assert v.accepted["code"].tolist() == ["E1"]
    assert v.rejects[["row", "column", "reason"]].values.tolist() == [
        [2, "code", "code is 250 characters long; at most 100"]
    ]


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('"=HYPERLINK(""x"")"', '=HYPERLINK("x")'),  # a spreadsheet formula
        ("E05 000001", "E05 000001"),  # a space inside
        ("05000001", "05000001"),  # no letter first
        ("E05000001;E05000002", "E05000001;E05000002"),  # two codes in one cell
        ("Ward-1", "Ward-1"),
    ],
)
def test_a_population_code_that_is_not_an_area_code_is_rejected(write, december_2026, cell, shown):
    v = validated(write, POPULATION + "E05000001,2022,9000\r\n" + cell + ",2022,5000\r\n", "population")
    assert v.accepted["code"].tolist() == ["E05000001"]
    [rej] = v.rejects.to_dict("records")
    assert (rej["row"], rej["column"]) == (3, "Ward Code 1")
    assert rej["reason"] == f"code is not an area code (a letter, then letters and digits, e.g. E05001234): {shown}"


def test_ons_and_demo_codes_are_area_codes(write, december_2026):
    codes = ["E05000001", "W05000981", "S13002516", "N08000101", "X05000001", "XEST002", "e05000001"]
    v = validated(write, POPULATION + "".join(f"{c},2022,9000\r\n" for c in codes), "population")
    assert v.rejects.empty and v.accepted["code"].tolist() == codes
