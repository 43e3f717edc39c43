"""The batch command line, run as a real subprocess like cron would."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from tests.conftest import cli, police_csv, police_row

ROOT = Path(__file__).resolve().parents[2]


def test_import_json_accounting_and_exit_codes(tmp_path, write):
    db = tmp_path / "cli.sqlite"
    path = write("a.csv", police_csv(police_row(), police_row(lng="", lat=""), police_row()))
    out = cli("import", "incidents", str(path), "--json", db=db)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {k: result[k] for k in ("rows", "stored", "rejected", "already_present")} == {
        "rows": 3,
        "stored": 2,
        "rejected": 1,
        "already_present": 0,
    }
    rejects = cli("rejects", db=db)
    frame = pd.read_csv(io.StringIO(rejects.stdout), dtype=str)
    assert frame[["row", "column"]].values.tolist() == [["3", "Latitude"]]


def test_unreadable_input_exits_2_with_one_line(tmp_path, write):
    db = tmp_path / "cli.sqlite"
    for path in (write("empty.csv", ""), tmp_path / "missing.csv", write("x.csv", b"PK\x03\x04junk")):
        out = cli("import", "incidents", str(path), db=db)
        assert out.returncode == 2
        assert out.stdout == ""
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
        assert path.name in out.stderr


def test_bad_mapping_argument(tmp_path, write):
    out = cli("import", "flagged", str(write("f.csv", "a\r\n1\r\n")), "--map", "nonsense", db=tmp_path / "d.sqlite")
    assert out.returncode == 2 and "COLUMN=HEADING" in out.stderr


def test_imports_are_audited(tmp_path, write):
    from geo.cli import main
    from geo.store import Store

    db = str(tmp_path / "a.sqlite")
    path = write("2024-01-x-street.csv", police_csv(police_row(), police_row(lat="", lng="")))
    assert main(["import", "incidents", str(path), "--db", db]) == 0
    log = Store(db).audit(action="import")
    assert len(log) == 1 and log["rows"].iloc[0] == 2 and log["role"].iloc[0] == "cli"
    assert '"rejected": 1' in log["detail"].iloc[0]
