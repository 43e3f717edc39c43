"""The foundation's acceptance checks on real published files (skipped when ../shared is absent)."""

from __future__ import annotations

import zipfile

import pytest

from geo.core.schema import ASB
from geo.store.importer import ImportOptions, import_path
from tests.conftest import real_file

pytestmark = pytest.mark.real

AVON = "2023-01-avon-and-somerset-street.csv"


def test_avon_and_somerset_month_is_accounted_for(store):
    path = real_file(AVON)
    r = import_path(store, "incidents", path)
    assert r.rows == 12_566
    assert r.rows == r.stored + r.rejected + r.already_present
    stored = store.read("incidents", columns=["category"])
    assert (stored["category"] == ASB).sum() == 1_511
    rejects = store.rejects()
    no_location = rejects[rejects["reason"].str.startswith("no coordinates")]
    assert len(no_location) == 758
    assert set(no_location["column"]) == {"Latitude"}
    # the other rejects are Crime IDs repeated with different content, each naming the first row
    others = rejects[~rejects.index.isin(no_location.index)]
    assert others["reason"].str.contains("repeats row").all()
    again = import_path(store, "incidents", path)
    assert (again.stored, again.already_present, again.rejected) == (0, r.stored, r.rejected)
    assert store.count("incidents") == r.stored
    assert len(store.rejects()) == r.rejected


def test_avon_zip_archive_gives_the_same_result(store, tmp_path):
    path = real_file(AVON)
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(path, f"2023-01/{AVON}")
    r = import_path(store, "incidents", archive)
    assert (r.rows, r.rejected) == (12_566, 778)


def test_bristol_wards_load_as_35(store):
    r = import_path(store, "wards", real_file("E06000023_bristol_wards_WD13.geojson"))
    assert (r.rows, r.stored, r.rejected) == (35, 35, 0)
    wards = store.read_boundaries("wards")
    assert wards["code"].str.startswith("E05").all()
    assert "Cabot" in set(wards["name"])


def test_greater_manchester_27700_wards_land_in_greater_manchester(store):
    r = import_path(store, "wards", real_file("greater_manchester_wards_WD16_bng27700.geojson"))
    assert r.stored == 215
    minx, miny, maxx, maxy = store.read_boundaries("wards").total_bounds
    # Greater Manchester spans roughly 2.73-1.91 W, 53.33-53.69 N
    assert -2.8 < minx < maxx < -1.85
    assert 53.3 < miny < maxy < 53.72


def test_bristol_lsoas_load_as_estates_with_explicit_columns(store):
    r = import_path(
        store,
        "estates",
        real_file("E06000023_bristol_lsoa_2011.geojson"),
        ImportOptions(code_column="LSOA11CD", name_column="LSOA11NM"),
    )
    assert r.stored == 263
