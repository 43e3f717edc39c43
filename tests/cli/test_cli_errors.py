"""Files that took the machine down or were misread (issue #13), through ``python -m geo import`` as cron runs it.

One test per row of the issue's table, each asserting the exact outcome: the
exit code, the one line on stderr (naming the file, member, row or column),
the accounting ``rows == stored + rejected + already_present`` and that a
refused import stored nothing. Then the paths that printed ``internal error``
for what is not a bug.

The command runs in this process (:mod:`tests.cli.in_process`: the same exit
code and output, without a new interpreter's 2-3 s of imports for each case);
one hostile boundary file also goes through a real ``python -m geo``, as do
the CSV imports of ``tests/cli/test_cli.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import geo.cli
from geo.core.errors import InputError
from geo.store import Store
from geo.validate._bounds import add_months
from tests.cli import in_process
from tests.conftest import POLICE_HEADER, cli, police_csv, police_row
from tests.ingest.hostile import GIB, MIB, claimed_zip, many_files_zip
from tests.store.test_dberrors import DISK_FULL, READ_ONLY, read_only_file


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.stdout == "" and "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def imported(out: subprocess.CompletedProcess[str]) -> dict[str, int]:
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    counts = {k: result[k] for k in ("rows", "stored", "rejected", "already_present")}
    assert counts["rows"] == counts["stored"] + counts["rejected"] + counts["already_present"]
    return counts


@pytest.fixture
def command(capfd):
    """``python -m geo ARGS --db DB`` run in this process: exit code, stdout and stderr (tests/cli/in_process.py)."""
    return functools.partial(in_process.run, capfd)


def rejects(command, db: Path) -> list[list[str]]:
    out = command("rejects", db=db)
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(io.StringIO(out.stdout), dtype=str, keep_default_na=False)
    return frame[["row", "column", "reason"]].values.tolist()


def nothing_stored(db: Path) -> bool:
    if not db.exists():
        return True
    store = Store(db)
    try:
        return store.is_empty()
    finally:
        store.dispose()


# --------------------------------------------------------------------------- the rows


def test_zip_bomb_is_refused_naming_the_member(tmp_path, command):
    bomb = claimed_zip(tmp_path / "bomb.zip", [("2024-01-x-street.csv", 4 * GIB, 4 * MIB)])
    out = command("import", "incidents", str(bomb), db=tmp_path / "s.sqlite")
    assert out.returncode == 2
    assert one_line(out) == (
        f"error: {bomb}:2024-01-x-street.csv: unpacks to 4.0 GiB, more than the 1.0 GiB one file in an archive "
        "may be (NESTWATCH_MAX_MEMBER_BYTES raises the limit): refused before unpacking, nothing was read"
    )
    assert nothing_stored(tmp_path / "s.sqlite")


def test_3000_small_files_are_refused_at_once_with_the_count(tmp_path, command):
    archive = many_files_zip(tmp_path / "many.zip", 3000)
    out = command("import", "incidents", str(archive), db=tmp_path / "s.sqlite")
    assert out.returncode == 2
    assert one_line(out) == (
        f"error: {archive}: zip archive holds 3,000 CSV files to import, more than the 500 one import reads "
        "(NESTWATCH_MAX_FILES raises the limit): import it in parts (a year at a time, say); nothing was read"
    )
    assert nothing_stored(tmp_path / "s.sqlite")


def test_months_outside_police_uk_and_after_this_month_are_rejected_with_the_column(tmp_path, write, command):
    this_month = dt.date.today().strftime("%Y-%m")  # the same clock the command reads
    months = ["1899-01", "2999-01", "0000-00", "2010-11", add_months(this_month, 1), "2010-12", this_month]
    path = write("months.csv", police_csv(*[police_row(month=m) for m in months]))
    db = tmp_path / "s.sqlite"
    assert imported(command("import", "incidents", str(path), "--json", db=db)) == {
        "rows": 7,
        "stored": 2,
        "rejected": 5,
        "already_present": 0,
    }
    police = "police.uk's street-level data starts in December 2010"
    now = f"{this_month}, the current month: it cannot have happened yet"
    assert rejects(command, db) == [
        ["2", "Month", f"month 1899-01 is before 2010-12: {police}"],
        ["3", "Month", f"month 2999-01 is after {now}"],
        ["4", "Month", "unparseable month (expected YYYY-MM): 0000-00"],
        ["5", "Month", f"month 2010-11 is before 2010-12: {police}"],
        ["6", "Month", f"month {add_months(this_month, 1)} is after {now}"],
    ]


def test_cr_only_line_endings_are_read(tmp_path, write, command):
    path = write("cr.csv", police_csv(police_row(crime_id="a"), police_row(crime_id="b"), eol="\r"))
    assert imported(command("import", "incidents", str(path), "--json", db=tmp_path / "s.sqlite")) == {
        "rows": 2,
        "stored": 2,
        "rejected": 0,
        "already_present": 0,
    }


def test_a_50_mb_line_then_a_valid_row_rejects_that_line_and_stores_the_row(tmp_path, write, command):
    path = write("long.csv", (POLICE_HEADER + "\r\n" + "x" * 50_000_000 + "\r\n" + police_row() + "\r\n").encode())
    db = tmp_path / "s.sqlite"
    assert imported(command("import", "incidents", str(path), "--json", db=db)) == {
        "rows": 2,
        "stored": 1,
        "rejected": 1,
        "already_present": 0,
    }
    too_long = "row is too long: a line of 47.7 MiB, more than the 1.0 MiB a line may be"
    assert rejects(command, db) == [["2", "", too_long]]


def test_one_cp1252_row_in_a_utf8_file_leaves_every_good_row_unchanged(tmp_path, write, command):
    good = police_row(location="On or near Café Street")
    bad = police_row(location="On or near Crème Road", crime_id="z")
    path = write("mixed.csv", police_csv(good).encode() + bad.encode("cp1252") + b"\r\n" + good.encode() + b"\r\n")
    db = tmp_path / "s.sqlite"
    out = command("import", "incidents", str(path), "--json", db=db)
    assert imported(out) == {"rows": 3, "stored": 3, "rejected": 0, "already_present": 0}
    assert json.loads(out.stdout)["notes"] == [f"{path}: decoded as utf-8, with line 3 read as cp1252"]
    store = Store(db)
    assert sorted(store.read("incidents", columns=["location"])["location"]) == [
        "On or near Café Street",
        "On or near Café Street",
        "On or near Crème Road",
    ]
    store.dispose()


def test_truncated_utf16_is_one_line_naming_the_file_and_the_byte(tmp_path, write, command):
    data = police_csv(police_row(), police_row()).encode("utf-16")[:-1]
    path = write("cut.csv", data)
    out = command("import", "incidents", str(path), db=tmp_path / "s.sqlite")
    assert out.returncode == 2
    assert one_line(out) == (
        f"error: {path}: is not valid UTF-16 text: the file ends in the middle of a character (was it cut short?) "
        f"at byte {len(data) - 1:,} of {len(data):,}"
    )


@pytest.mark.parametrize("nul", [True, False])
def test_random_binary_gets_a_short_message(tmp_path, write, nul, command):
    import random

    rng = random.Random(7)
    path = write("binary.csv", bytes(rng.randrange(0 if nul else 1, 256) for _ in range(8000)))
    out = command("import", "incidents", str(path), db=tmp_path / "s.sqlite")
    assert out.returncode == 2
    line = one_line(out)
    assert line.startswith(f"error: {path}: not a text CSV file: ") and len(line) < len(str(path)) + 100


def test_a_read_only_store(tmp_path, write, command):
    db = tmp_path / "s.sqlite"
    assert imported(command("import", "incidents", str(write("a.csv", police_csv(police_row()))), "--json", db=db))
    with read_only_file(db):
        out = command("import", "incidents", str(write("b.csv", police_csv(police_row(crime_id="b")))), db=db)
        assert out.returncode == 2
        assert one_line(out) == f"error: {READ_ONLY.format(db)}"
    assert Store(db).count("incidents") == 1


@pytest.fixture
def small_disk(tmp_path):
    """An 8 MB file system (tmpfs: an empty store is about 4 MB of 64 KiB pages) where root may mount one; else skip."""
    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small disk needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)], check=False).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_a_full_disk(small_disk, tmp_path, write, command):
    db = small_disk / "s.sqlite"
    assert imported(command("import", "incidents", str(write("a.csv", police_csv(police_row()))), "--json", db=db))
    rows = [police_row(crime_id=f"{i:064x}", location=f"On or near street {i}") for i in range(40_000)]
    out = command("import", "incidents", str(write("big.csv", police_csv(*rows))), db=db)
    assert out.returncode == 2
    assert one_line(out) == f"error: {DISK_FULL.format(db)}"
    store = Store(db)
    assert store.count("incidents") == 1 and len(store.imports()) == 1  # nothing half-stored
    store.dispose()


# --------------------------------------------------------------------------- what still reached "internal error"


def _raising(exc: BaseException) -> geo.cli.Command:
    def run(_args):
        raise exc

    return geo.cli.Command(name="boom", help="raises", add_arguments=lambda p: None, run=run)


def test_running_out_of_memory_is_not_a_bug(monkeypatch, capsys):
    monkeypatch.setitem(geo.cli.COMMANDS, "boom", _raising(MemoryError()))
    assert geo.cli.main(["boom"]) == 2
    assert capsys.readouterr().err == (
        "error: the machine ran out of memory: nothing from an unfinished import was stored; "
        "import a smaller file (an archive in parts) or ask for a shorter period\n"
    )


def test_a_database_bug_is_printed_without_its_sql_or_parameters(monkeypatch, capsys):
    class Driver(Exception):
        pass

    bug = sa.exc.OperationalError(
        "INSERT INTO victims VALUES (?)", ("Jane Doe, 1 Home Road",), Driver("no such column")
    )
    monkeypatch.setitem(geo.cli.COMMANDS, "boom", _raising(bug))
    monkeypatch.delenv("NESTWATCH_DEBUG", raising=False)
    assert geo.cli.main(["boom"]) == 1
    assert capsys.readouterr().err == (
        "internal error: OperationalError: Driver: no such column (NESTWATCH_DEBUG=1 shows more)\n"
    )


def test_a_message_quoting_a_hostile_file_is_one_short_printable_line(monkeypatch, capsys):
    heading = "\x1b[2J" + "garbage\n" * 2000
    monkeypatch.setitem(
        geo.cli.COMMANDS, "boom", _raising(InputError(f"cannot find column(s); have [{heading}]", file="x.csv"))
    )
    assert geo.cli.main(["boom"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and len(err) <= len("error: ") + 401
    assert err.startswith("error: x.csv: cannot find column(s)")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"Crime ID,Month\r\n\x00" * 400, "NUL bytes"),
        (b"\xff\xfe" + "a,b\r\n1,2\r\n".encode("utf-16-le") + b"\x00\xd8", "is not valid UTF-16 text"),
        (b"PK\x05\x06" + b"\x00" * 18, "zip archive holds no .csv files"),  # an empty archive
        (b"PK\x03\x04" + b"\x00" * 40, "is not a readable zip archive"),
        (b'"' + b"a" * 200_000 + b'"\r\n1\r\n', "row 1: the header cannot be split into column names"),
    ],
)
def test_hostile_files_that_raised_errors_of_other_libraries(tmp_path, write, content, says, command):
    name = "x.zip" if content.startswith(b"PK") else "x.csv"
    out = command("import", "incidents", str(write(name, content)), db=tmp_path / "s.sqlite")
    assert out.returncode == 2, out.stderr
    assert says in one_line(out)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        (
            "w.geojson",
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", '
            b'"coordinates": [[[0, 0], [1, 1]]]}, "properties": {"code": "E1", "name": "A"}}]}',
            "cannot read as GeoJSON, GeoPackage or zipped Shapefile: IllegalArgumentException: "
            "Points of LinearRing do not form a closed linestring",
        ),
        (
            "w.gpkg",
            b"SQLite format 3\x00" + b"\x00" * 200,
            "cannot read as GeoJSON, GeoPackage or zipped Shapefile: file is not a database",
        ),
        ("w.zip", b"PK\x03\x04 damaged", "not a readable zip archive (File is not a zip file)"),
        (
            "huge.geojson",
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", '
            b'"coordinates": [[[0, 1], [1e308, 1], [1e308, 1e308], [0, 1]]]}, '
            b'"properties": {"code": "E1", "name": "A"}}]}',
            "coordinates (0..1e+308, 1..1e+308) are metres but the file declares degrees (EPSG:4326): "
            "if this is British National Grid pass --crs EPSG:27700",
        ),
    ],
)
def test_a_hostile_boundary_file_is_a_plain_message(write, name, content, says, command):
    """GEOS's and GDAL's errors become one line naming the file, without GDAL's warnings or its SQL."""
    path = write(name, content)
    out = command("import", "wards", str(path), db=path.parent / "s.sqlite")
    assert out.returncode == 2
    assert one_line(out) == f"error: {path}: {says}"


def test_a_hostile_boundary_file_through_a_real_process_is_the_same_one_line(tmp_path, write):
    """One case above as cron runs it: GDAL's first messages in a new process and the exit add nothing to stderr."""
    path = write("w.gpkg", b"SQLite format 3\x00" + b"\x00" * 200)
    out = cli("import", "wards", str(path), db=tmp_path / "s.sqlite")
    assert out.returncode == 2
    assert one_line(out) == (
        f"error: {path}: cannot read as GeoJSON, GeoPackage or zipped Shapefile: file is not a database"
    )
    assert nothing_stored(tmp_path / "s.sqlite")
