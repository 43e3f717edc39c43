"""Archives and folders: judged from their directory before anything is unpacked, and damaged ones named.

Each refusal names the archive (and the member, when one member is to blame),
the limit and the variable that raises it, and happens before a byte is
unpacked: ``ZipFile.open`` is made to fail the test if it is ever called.
"""

from __future__ import annotations

import time
import zipfile

import pytest

from geo.core.errors import InputError
from geo.ingest import check_archive, read_boundaries, read_csv_kind
from tests.conftest import patience, police_csv, police_row
from tests.ingest.hostile import GIB, MIB, claimed_zip, many_files_zip, zeros_zip


@pytest.fixture
def never_unpacked(monkeypatch):
    """Once called (after the test has built its archives): fail the test if any member is opened for reading."""

    original = zipfile.ZipFile.open

    def refuse(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            pytest.fail("a member was unpacked before the archive was judged")
        return original(self, name, mode, *args, **kwargs)

    return lambda: monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def refused(path, kind: str = "incidents", *, unpacking=None) -> str:
    if unpacking is not None:
        unpacking()
    with pytest.raises(InputError) as caught:
        if kind in ("wards", "estates"):
            read_boundaries(path, kind)
        else:
            read_csv_kind(path, kind)
    return str(caught.value)


def test_a_member_claiming_4_gib_is_refused_from_the_directory_in_well_under_a_second(tmp_path, never_unpacked):
    bomb = claimed_zip(tmp_path / "bomb.zip", [("2024-01-x-street.csv", 4 * GIB, 4 * MIB)])
    started = time.monotonic()
    message = refused(bomb, unpacking=never_unpacked)
    assert time.monotonic() - started < patience(1.0)
    assert message == (
        f"{bomb}:2024-01-x-street.csv: unpacks to 4.0 GiB, more than the 1.0 GiB one file in an archive may be "
        "(NESTWATCH_MAX_MEMBER_BYTES raises the limit): refused before unpacking, nothing was read"
    )


def test_a_real_zip_bomb_under_the_size_limit_is_refused_by_its_ratio(tmp_path, never_unpacked):
    """64 MiB of zeros deflate to about 64 KiB: far under 1 GiB, a thousand times more than real files expand."""
    bomb = zeros_zip(
        tmp_path / "zeros.zip", "2024-01-street.csv", size=64 * MIB, head=police_csv(police_row()).encode()
    )
    message = refused(bomb, unpacking=never_unpacked)
    assert message.startswith(f"{bomb}:2024-01-street.csv: expands ")
    assert "times (" in message and "real files expand less than 200 times" in message
    assert "NESTWATCH_MAX_COMPRESSION_RATIO" in message and message.endswith("nothing was read")


def test_a_small_member_is_not_judged_by_its_ratio(tmp_path):
    """Under 1 MiB unpacked a file cannot harm whatever its ratio: a file of repeated rows is read."""
    archive = tmp_path / "repeats.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("2024-01-street.csv", police_csv(*[police_row()] * 2000))  # ~230 KB, deflates ~500 times
    info = zipfile.ZipFile(archive).infolist()[0]
    assert info.file_size / info.compress_size > 200 and info.file_size < MIB
    [raw] = read_csv_kind(archive, "incidents")
    assert raw.n_rows == 2000


def test_members_each_under_the_limit_but_over_the_total_are_refused_naming_the_archive(tmp_path, never_unpacked):
    five = [(f"2024-0{i}-street.csv", 900 * MIB, 9 * MIB) for i in range(1, 6)]  # 4.4 GiB in all, ratio 100
    archive = claimed_zip(tmp_path / "year.zip", five)
    assert refused(archive, unpacking=never_unpacked) == (
        f"{archive}: its 5 files unpack to 4.4 GiB in all, more than the 4.0 GiB one import may read "
        "(NESTWATCH_MAX_ARCHIVE_BYTES raises the limit): split the archive; refused before unpacking, nothing was read"
    )


def test_only_the_files_that_would_be_read_count_towards_the_limits(tmp_path):
    """An outcomes file beside the street files is not read, so its claimed size is not judged either."""
    archive = claimed_zip(
        tmp_path / "download.zip",
        [
            ("2024-01/2024-01-x-street.csv", police_csv(police_row()).encode()),
            ("2024-01/2024-01-x-outcomes.csv", 4 * GIB, 4 * MIB),
        ],
    )
    [raw] = read_csv_kind(archive, "incidents")
    assert raw.file == f"{archive}:2024-01/2024-01-x-street.csv" and raw.n_rows == 1


def test_an_archive_of_3000_small_files_is_refused_at_once_with_the_count(tmp_path, never_unpacked):
    archive = many_files_zip(tmp_path / "many.zip", 3000)
    started = time.monotonic()
    assert refused(archive, unpacking=never_unpacked) == (
        f"{archive}: zip archive holds 3,000 CSV files to import, more than the 500 one import reads "
        "(NESTWATCH_MAX_FILES raises the limit): import it in parts (a year at a time, say); nothing was read"
    )
    assert time.monotonic() - started < patience(1.0)


def test_a_folder_of_too_many_files_is_refused_too(tmp_path, monkeypatch, write):
    monkeypatch.setenv("NESTWATCH_MAX_FILES", "3")
    for i in range(4):
        write(f"dl/2024-0{i + 1}/x-street.csv", police_csv(police_row(crime_id=f"c{i}")))
    assert refused(tmp_path / "dl") == (
        f"{tmp_path / 'dl'}: folder holds 4 CSV files to import, more than the 3 one import reads "
        "(NESTWATCH_MAX_FILES raises the limit): import it in parts (a year at a time, say); nothing was read"
    )
    monkeypatch.setenv("NESTWATCH_MAX_FILES", "4")
    assert len(read_csv_kind(tmp_path / "dl", "incidents")) == 4


def test_the_variable_raises_a_limit_for_one_command(tmp_path, monkeypatch):
    archive = many_files_zip(tmp_path / "six.zip", 6)
    monkeypatch.setenv("NESTWATCH_MAX_FILES", "5")
    assert "holds 6 CSV files to import, more than the 5" in refused(archive)
    monkeypatch.setenv("NESTWATCH_MAX_FILES", "6")
    assert [t.n_rows for t in read_csv_kind(archive, "incidents")] == [1] * 6


def test_an_archive_with_too_many_entries_is_refused_whatever_they_are(tmp_path, monkeypatch, never_unpacked):
    monkeypatch.setenv("NESTWATCH_MAX_ARCHIVE_ENTRIES", "10")
    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(11):
            zf.writestr(f"note{i}.txt", "x")
    assert refused(archive, unpacking=never_unpacked) == (
        f"{archive}: zip archive holds 11 entries, more than the 10 an archive may hold "
        "(NESTWATCH_MAX_ARCHIVE_ENTRIES raises the limit): nothing was read"
    )


def test_a_nested_zip_is_not_opened(tmp_path, never_unpacked):
    inner = claimed_zip(tmp_path / "inner.zip", [("2024-01-street.csv", 4 * GIB, 4 * MIB)])
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "inner.zip")
    assert refused(outer, unpacking=never_unpacked) == (
        f"{outer}: zip archive holds no .csv files (it holds inner.zip: archives inside an archive are not opened)"
    )


def test_a_damaged_member_is_named_and_nothing_is_returned(tmp_path):
    """A directory that lies (claims 64 bytes, holds other bytes) fails its checksum: a plain message, no traceback."""
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("2024-01-street.csv", police_csv(police_row()))
    data = bytearray(archive.read_bytes())
    at = data.index(b"Crime ID")
    data[at : at + 5] = b"CRIME"  # same length, other bytes: the CRC no longer matches
    archive.write_bytes(bytes(data))
    message = refused(archive)
    assert message.startswith(f"{archive}:2024-01-street.csv: is damaged and cannot be unpacked (Bad CRC-32")


def test_a_zip_that_is_not_one_is_named(write):
    path = write("broken.zip", b"PK\x03\x04 not really")
    assert refused(path) == f"{path}: is not a readable zip archive (damaged, or not a zip file at all)"


def test_an_encrypted_member_is_refused_before_asking_for_a_password(tmp_path, never_unpacked):
    archive = tmp_path / "secret.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a-street.csv", police_csv(police_row()))
    data = bytearray(archive.read_bytes())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # set the "encrypted" bit in both headers
        at = data.index(sig)
        flag = at + (6 if sig == b"PK\x03\x04" else 8)
        data[flag] |= 1
    archive.write_bytes(bytes(data))
    assert (
        refused(archive, unpacking=never_unpacked)
        == f"{archive}:a-street.csv: is encrypted: unzip it with its password first"
    )


def test_member_names_cannot_put_control_characters_on_a_terminal(tmp_path):
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("evil\x1b[2J\u202e-street.csv", police_csv(police_row()))
    [raw] = read_csv_kind(archive, "incidents")
    assert raw.file == f"{archive}:evil [2J -street.csv"


def test_boundary_archives_are_judged_by_the_same_limits(tmp_path, never_unpacked):
    """GDAL would unpack a zipped Shapefile's members itself: the archive is judged before it is opened."""
    bomb = claimed_zip(tmp_path / "wards.zip", [("wards.shp", 4 * GIB, 4 * MIB), ("wards.dbf", 100, 50)])
    assert refused(bomb, "wards", unpacking=never_unpacked).startswith(
        f"{bomb}:wards.shp: unpacks to 4.0 GiB, more than the 1.0 GiB"
    )
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as zf:
        zf.writestr("inner.zip", b"PK")
    assert refused(nested, "estates", unpacking=never_unpacked) == (
        f"{nested}: holds another archive (inner.zip): archives inside an archive are not opened; "
        "unzip it and use the inner archive"
    )
    many = tmp_path / "parts.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(5001):
            zf.writestr(f"p{i}.txt", "")
    assert "holds 5,001 entries, more than the 5,000" in refused(many, "wards", unpacking=never_unpacked)


def test_check_archive_passes_a_real_zipped_shapefile(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame({"code": ["E1"], "name": ["A"]}, geometry=[box(-2.6, 51.4, -2.5, 51.5)], crs=4326)
    gdf.to_file(tmp_path / "w.shp")
    archive = tmp_path / "w.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in tmp_path.glob("w.*"):
            if f.suffix != ".zip":
                zf.write(f, f.name)
    check_archive(archive, label="w.zip")  # no exception
    assert read_boundaries(archive, "wards").n_rows == 1
