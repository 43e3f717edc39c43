"""Readers: encodings, CSV shapes, folders and archives, column mapping, boundaries."""

from __future__ import annotations

import json
import zipfile

import pyarrow as pa
import pytest

from geo.core.errors import InputError, OptionError
from geo.core.rejects import rows_to_json
from geo.ingest.boundaries import read_boundaries
from geo.ingest.readers import read_csv_kind
from tests.conftest import POLICE_HEADER, police_csv, police_row

FLAGGED_HEADER = "UPRN,Address,Lat,Lng,First Flagged,Indicators,Status\r\n"


def test_police_file_maps_to_canonical_columns(write):
    path = write("2024-01-street.csv", police_csv(police_row(), police_row(category="Drugs", crime_id="abc")))
    [raw] = read_csv_kind(path, "incidents")
    assert raw.source_format == "police.uk"
    assert raw.n_rows == 2
    assert raw.frame["category"].tolist() == ["Anti-social behaviour", "Drugs"]
    assert raw.frame["source"].tolist() == ["police.uk", "police.uk"]
    assert raw.frame["_row"].tolist() == [2, 3]
    assert raw.columns["lat"] == "Latitude"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings_decode_the_same_text(write, encoding):
    text = FLAGGED_HEADER + '0001,"1 Café Row, Bristol – £5",51.45,-2.59,2024-01-02,noise,open\r\n'
    path = write(f"f-{encoding}.csv", text, encoding=encoding)
    [raw] = read_csv_kind(path, "flagged")
    assert raw.frame["address"].iloc[0] == "1 Café Row, Bristol – £5"
    if encoding == "cp1252":
        assert "decoded as cp1252" in raw.notes


def test_leading_zeros_and_literal_na_survive(write):
    path = write("f.csv", FLAGGED_HEADER + "000123,NA,51.45,-2.59,2024-01-02,noise,open\r\n")
    [raw] = read_csv_kind(path, "flagged")
    assert raw.frame["ref"].iloc[0] == "000123"
    assert raw.frame["address"].iloc[0] == "NA"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"  \r\n", "file is empty"),
        (POLICE_HEADER.encode() + b"\r\n", "header but no data rows"),
        (b"PK\x03\x04" + b"\x00" * 40, "Excel workbook"),
        (b"\x00\x01\x02" * 200, "NUL bytes"),
        (b",,\r\n1,2,3\r\n", "blank"),
        (b"a,a\r\n1,2\r\n", "repeats column name"),
    ],
)
def test_unreadable_files_raise_a_clear_error(write, content, message):
    path = write("bad.csv", content)
    with pytest.raises(InputError, match=message) as exc:
        read_csv_kind(path, "incidents")
    assert "bad.csv" in str(exc.value)


def test_ragged_rows_are_rejected_with_their_row_numbers(write):
    rows = [police_row(), police_row() + ",extra", "2024-01,short", police_row()]
    path = write("r.csv", police_csv(*rows))
    [raw] = read_csv_kind(path, "incidents")
    assert raw.n_rows == 4
    assert raw.frame["_row"].tolist() == [2, 5]
    assert raw.rejects["row"].tolist() == [3, 4]
    assert raw.rejects["reason"].iloc[0] == "row has 13 fields but the header has 12"
    assert raw.rejects["reason"].iloc[1] == "row has 2 fields but the header has 12"


def test_nul_byte_rows_are_rejected_not_the_file(write):
    text = police_csv(police_row(), police_row(location="On or near \x00 Street"), police_row())
    path = write("n.csv", text)
    [raw] = read_csv_kind(path, "incidents")
    assert raw.n_rows == 3
    assert raw.rejects[["row", "column"]].values.tolist() == [[3, "Location"]]
    assert "NUL" in raw.rejects["reason"].iloc[0]
    assert json.loads(raw.rejects["raw"].iloc[0])["Location"] == "On or near \x00 Street"  # exactly as sent


def test_folder_and_zip_prefer_street_files(write, tmp_path):
    street = police_csv(police_row())
    write("dl/2024-01/2024-01-avon-street.csv", street)
    write("dl/2024-02/2024-02-avon-street.csv", street.replace("2024-01", "2024-02"))
    write("dl/2024-01/2024-01-avon-outcomes.csv", "Crime ID,Month,Outcome type\r\nx,2024-01,y\r\n")
    tables = read_csv_kind(tmp_path / "dl", "incidents")
    assert [t.frame["month"].iloc[0] for t in tables] == ["2024-01", "2024-02"]
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted((tmp_path / "dl").rglob("*.csv")):
            zf.write(f, f.relative_to(tmp_path / "dl"))
    tables = read_csv_kind(archive, "incidents")
    assert [t.file.split(":")[-1] for t in tables] == [
        "2024-01/2024-01-avon-street.csv",
        "2024-02/2024-02-avon-street.csv",
    ]


def test_generic_csv_needs_a_mapping_for_unknown_headings(write):
    path = write("h.csv", "Case,Where,When,What,E,N\r\nA1,x,2024-01-03,ASB,358000,173000\r\n")
    with pytest.raises(InputError, match=r"cannot find column\(s\)"):
        read_csv_kind(path, "incidents")
    [raw] = read_csv_kind(
        path,
        "incidents",
        mapping={"ref": "Case", "date": "When", "category": "What", "easting": "E", "northing": "N"},
        source="housing",
    )
    assert raw.frame[["ref", "category", "easting", "source"]].iloc[0].tolist() == ["A1", "ASB", "358000", "housing"]
    assert "columns not used: Where" in raw.notes


def test_mapping_to_a_missing_heading_is_refused(write):
    path = write("h.csv", "a,b\r\n1,2\r\n")
    with pytest.raises(OptionError, match="not in the file") as caught:
        read_csv_kind(path, "incidents", mapping={"ref": "Case"})
    assert str(caught.value).startswith(f"{path}: ")  # which file, as an InputError would say it


def test_a_bad_option_is_an_option_error_naming_what_is_accepted(write):
    """A mapping or kind the caller got wrong is not the file's fault: OptionError, never InputError."""
    path = write("h.csv", "a,b\r\n1,2\r\n")
    with pytest.raises(OptionError, match=r"mapping names unknown column 'colour'; incidents has \[") as caught:
        read_csv_kind(path, "incidents", mapping={"colour": "a"})
    assert caught.value.option == "mapping"
    assert not isinstance(caught.value, InputError)
    with pytest.raises(OptionError, match="wards are boundaries: read them with read_boundaries") as caught:
        read_csv_kind(path, "wards")
    assert caught.value.option == "kind"


def test_victim_counts_are_recognised(write):
    path = write("v.csv", "Area Code,Month,Count\r\nE05001,2024-01,3\r\n")
    [raw] = read_csv_kind(path, "victims")
    assert raw.kind == "victim_counts"


GEOJSON_27700 = {
    "type": "FeatureCollection",
    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
    "features": [
        {
            "type": "Feature",
            "properties": {"WD23CD": "E05000001", "WD23NM": "Test Ward"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[358000, 173000], [359000, 173000], [359000, 174000], [358000, 174000], [358000, 173000]]
                ],
            },
        }
    ],
}


def test_legacy_geojson_crs_member_is_honoured(write):
    path = write("w.geojson", json.dumps(GEOJSON_27700))
    raw = read_boundaries(path, "wards")
    minx, miny, _maxx, _maxy = raw.frame.total_bounds
    # BNG 358000,173000 is in Bristol: about 51.45 N, 2.60 W
    assert 51.44 < miny < 51.46 and -2.61 < minx < -2.59
    assert raw.frame[["code", "name"]].iloc[0].tolist() == ["E05000001", "Test Ward"]
    assert any("reprojected from EPSG:27700" in n for n in raw.notes)


def test_metres_labelled_as_degrees_are_refused(write):
    doc = dict(GEOJSON_27700)
    doc.pop("crs")
    path = write("w.geojson", json.dumps(doc))
    with pytest.raises(InputError, match="metres but the file declares degrees"):
        read_boundaries(path, "wards")
    raw = read_boundaries(path, "wards", crs="EPSG:27700")
    assert raw.frame.total_bounds[1] > 51


def test_a_code_column_the_file_lacks_is_an_option_error_a_missing_one_an_input_error(write):
    path = write("w.geojson", json.dumps(GEOJSON_27700))
    with pytest.raises(OptionError, match=r"cannot find the code column \(have \['WD23CD', 'WD23NM'\]\)") as caught:
        read_boundaries(path, "wards", code_column="WARD")
    assert caught.value.option == "code_column" and str(caught.value).startswith(f"{path}: ")
    doc = json.loads(json.dumps(GEOJSON_27700))
    doc["features"][0]["properties"] = {"ID": "E05000001", "WD23NM": "Test Ward"}
    with pytest.raises(InputError, match="cannot find the code column") as found:
        read_boundaries(write("v.geojson", json.dumps(doc)), "wards")
    assert found.value.file.endswith("v.geojson")


def test_shapefile_without_prj_needs_a_crs(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame({"code": ["E1"], "name": ["A"]}, geometry=[box(358000, 173000, 359000, 174000)])
    shp = tmp_path / "w.shp"
    gdf.to_file(shp)
    archive = tmp_path / "w.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in tmp_path.glob("w.*"):
            if f.suffix != ".zip":
                zf.write(f, f.name)
    with pytest.raises(InputError, match="declares no coordinate reference system"):
        read_boundaries(archive, "wards")
    raw = read_boundaries(archive, "wards", crs="EPSG:27700")
    assert raw.frame["code"].tolist() == ["E1"]


def test_geopackage_is_read(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame({"ESTCD": ["EST1"], "ESTNM": ["Larch"]}, geometry=[box(-2.6, 51.4, -2.5, 51.5)], crs=4326)
    path = tmp_path / "e.gpkg"
    gdf.to_file(path, layer="estates")
    raw = read_boundaries(path, "estates")
    assert raw.frame[["code", "name"]].iloc[0].tolist() == ["EST1", "Larch"]


def test_boundary_file_that_is_not_spatial(write):
    path = write("w.geojson", "this is not json")
    with pytest.raises(InputError, match="cannot read"):
        read_boundaries(path, "wards")


def test_quoted_line_breaks_stay_inside_their_cell(write):
    text = (
        FLAGGED_HEADER
        + '001,"Flat 2\r\n1 Long Road",51.45,-2.59,2024-01-02,noise,open\r\n002,b,51.45,-2.59,2024-01-02,,open\r\n'
    )
    [raw] = read_csv_kind(write("f.csv", text), "flagged")
    assert raw.frame["address"].tolist() == ["Flat 2\r\n1 Long Road", "b"]
    assert raw.frame["_row"].tolist() == [2, 3]


def test_police_files_come_as_arrow_with_repeated_columns_encoded(write):
    path = write("p.csv", police_csv(police_row(crime_id="007"), police_row(location="NA")))
    [raw] = read_csv_kind(path, "incidents")
    assert raw.arrow is not None and raw.arrow.num_rows == 2
    assert raw.arrow.schema.field("Crime ID").type == pa.string()
    assert pa.types.is_dictionary(raw.arrow.schema.field("Location").type)
    # the pandas views are built on demand and show plain text, as the careful path does
    assert raw.original["Crime ID"].tolist() == ["007", ""] and raw.original["_row"].tolist() == [2, 3]
    assert raw.frame["location"].tolist() == ["On or near Park Street", "NA"]
    assert len(raw.sha256) == 64


def test_the_nul_sentinel_is_refused_but_its_neighbours_are_text(write):
    with pytest.raises(InputError, match="U\\+E000"):
        read_csv_kind(write("s.csv", police_csv(police_row(location="x\ue000y"))), "incidents")
    [raw] = read_csv_kind(write("t.csv", police_csv(police_row(location="x\ue001y"))), "incidents")
    assert raw.arrow is not None and raw.frame["location"].tolist() == ["x\ue001y"]


def test_rows_to_json_is_the_same_from_arrow_and_pandas():
    cells = ["plain", 'quo"te', "back\\slash", "tab\tnew\nline", "NA", "007", "", "ünï"]
    table = pa.table(
        {
            "A": pa.array(cells),
            "B": pa.array(cells[::-1]).dictionary_encode(),
            'C "x"': pa.chunked_array([pa.array(cells[:3]), pa.array(cells[3:])]).dictionary_encode(),
        }
    )
    frame = table.to_pandas().astype("str")
    from_arrow = rows_to_json(table)
    assert from_arrow == rows_to_json(frame.assign(_row=range(len(frame))))
    assert [json.loads(r) for r in from_arrow] == frame.to_dict("records")


def test_police_file_in_cp1252_takes_the_careful_path(write):
    path = write("p.csv", police_csv(police_row(location="Café Row")), encoding="cp1252")
    [raw] = read_csv_kind(path, "incidents")
    assert raw.arrow is None and "decoded as cp1252" in raw.notes
    assert raw.frame["location"].tolist() == ["Café Row"]


@pytest.mark.parametrize("background", [True, False])
def test_file_digest_is_sha256_even_if_the_background_never_runs(monkeypatch, background):
    import hashlib

    from geo.ingest._csv_sources import FileDigest

    if not background:  # a starved lowest-priority thread: the caller hashes everything itself
        monkeypatch.setattr(FileDigest, "_background", lambda self: None)
    data = bytes(range(256)) * 40_000  # several chunks and a partial one
    digest = FileDigest(data)
    assert digest.result() == hashlib.sha256(data).hexdigest() == digest.result()


def test_a_table_without_geometry_is_not_a_boundary_file(tmp_path):
    table = tmp_path / "wards.csv"
    table.write_text("code,name\nX1,Harbour\n")
    with pytest.raises(InputError, match="has no geometry") as info:
        read_boundaries(table, "wards")
    assert info.value.file == str(table)


@pytest.mark.parametrize("crs", ["nonsense", "EPSG:99999999"])
def test_an_unknown_crs_override_is_an_option_error_naming_what_works(crs):
    with pytest.raises(OptionError, match="EPSG:27700") as info:
        read_boundaries("data/boundaries/demo_wards.geojson", "wards", crs=crs)
    assert not isinstance(info.value, InputError) and info.value.option == "crs"


# --------------------------------------------------------------------------- headings that leave a key open


@pytest.mark.parametrize(
    ("kind", "header", "pair", "column"),
    [
        ("population", "Ward Code 1,Ward 2023 Code,Year,Total", ("Ward Code 1", "Ward 2023 Code"), "code"),
        ("population", "GEOGRAPHY_CODE,WD23CD,DATE,OBS_VALUE", ("GEOGRAPHY_CODE", "WD23CD"), "code"),
        ("closures", "Ref,Order Ref,Lat,Lng,Granted,Expiry", ("Ref", "Order Ref"), "ref"),
        ("victims", "Area Code,Ward Code,Month,Count", ("Area Code", "Ward Code"), "area_code"),
        ("flagged", "UPRN,Property Ref,Lat,Lng,First Flagged", ("UPRN", "Property Ref"), "ref"),
    ],
)
def test_two_headings_that_could_be_one_key_column_refuse_the_file(write, kind, header, pair, column):
    first, second = pair
    path = write("two.csv", header + "\r\n" + ",".join(["1"] * len(header.split(","))) + "\r\n")
    with pytest.raises(InputError) as caught:
        read_csv_kind(path, kind)
    said = str(caught.value)
    assert f"both '{first}' and '{second}' could be the {column}: choose one with --map {column}=HEADING" in said
    assert "\n" not in said and "two.csv" in said


def test_a_mapping_settles_which_heading_is_the_key(write):
    path = write("two.csv", "Ward Code 1,Ward 2023 Code,Year,Total\r\nE05000001,E05011111,2022,9000\r\n")
    [raw] = read_csv_kind(path, "population", mapping={"code": "Ward 2023 Code"})
    assert raw.columns["code"] == "Ward 2023 Code"


def test_nomis_date_spellings_side_by_side_are_not_two_claims(write):
    """DATE, DATE_NAME and DATE_CODE carry one year: only key columns are held to one heading."""
    path = write("nomis.csv", "DATE,DATE_NAME,DATE_CODE,GEOGRAPHY_CODE,OBS_VALUE\r\n2022,2022,2022,E05000001,9000\r\n")
    [raw] = read_csv_kind(path, "population")
    assert (raw.columns["year"], raw.columns["code"], raw.columns["population"]) == (
        "DATE",
        "GEOGRAPHY_CODE",
        "OBS_VALUE",
    )


@pytest.mark.parametrize("heading", ["GENDER_NAME", "Sex", "C_AGE_NAME", "Age group", "age"])
def test_a_population_broken_down_by_sex_or_age_is_refused_unless_mapped(write, heading):
    text = f"GEOGRAPHY_CODE,DATE,{heading},OBS_VALUE\r\nE05000001,2022,Total,9000\r\nE05000001,2022,Male,4400\r\n"
    path = write("nomis.csv", text)
    with pytest.raises(InputError, match=rf"the column '{heading}' breaks each population figure down") as caught:
        read_csv_kind(path, "population")
    assert "\n" not in str(caught.value)
    mapping = {"code": "GEOGRAPHY_CODE", "year": "DATE", "population": "OBS_VALUE"}
    [raw] = read_csv_kind(path, "population", mapping=mapping)  # the user has said which columns: taken as it is
    assert raw.columns["population"] == "OBS_VALUE"


def test_a_partner_file_may_not_call_itself_police_uk(tmp_path):
    """The police.uk label marks police.uk's own street-level files (their location texts name snap points)."""
    from geo.core.errors import OptionError
    from geo.ingest.readers import read_csv_kind

    path = tmp_path / "housing.csv"
    path.write_text("ref,month,category,lat,lng,location\nH1,2024-01,Anti-social behaviour,51.45,-2.59,On or near X\n")
    with pytest.raises(OptionError, match=r"kept for police\.uk's own"):
        read_csv_kind(path, "incidents", source=" Police.UK ")
    assert read_csv_kind(path, "incidents", source="housing")[0].source == "housing"
