"""Deleting an import: what it stored and quarantined goes, the log line stays, one audit entry says who and why."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.core.errors import InputError
from geo.store import Store
from geo.store.audit import make_entry
from geo.store.importer import delete_import, import_path
from tests.conftest import police_csv, police_row, store_url

FLAGGED = "ref,address,lat,lng,first_flagged,indicators,status\r\n"


@pytest.fixture
def two_imports(store, write):
    """Import 1: 3 incidents stored, 1 rejected. Import 2 overlaps it by one row and adds one."""
    a = write(
        "a.csv", police_csv(police_row(), police_row(month="2024-02"), police_row(month="2024-03"), police_row(lat=""))
    )
    b = write("b.csv", police_csv(police_row(month="2024-03"), police_row(month="2024-04")))
    first = import_path(store, "incidents", a)
    second = import_path(store, "incidents", b)
    assert (first.stored, first.rejected, second.stored, second.already_present) == (3, 1, 1, 1)
    return store, a


def _id_of(store: Store, file_suffix: str) -> int:
    imports = store.imports()
    return int(imports.loc[imports["file"].str.endswith(file_suffix), "id"].iloc[0])


def test_deleting_an_import_removes_its_rows_and_rejects_and_logs_once(two_imports):
    store, _ = two_imports
    before = store.data_version()
    removed = delete_import(store, _id_of(store, "a.csv"), user="ana", role="analyst", reason="shared in error")
    assert removed == {"incidents": 3, "rejects": 1}
    assert store.count("incidents") == 1  # only b.csv's new row: its overlap was stored by a.csv
    assert store.read("incidents")["month"].tolist() == ["2024-04"]
    assert store.rejects().empty
    assert store.data_version() != before
    log = store.imports().set_index("id")
    assert pd.notna(log.loc[_id_of(store, "a.csv"), "deleted_at"])
    assert pd.isna(log.loc[_id_of(store, "b.csv"), "deleted_at"])
    entries = store.audit()
    deletions = entries[entries["action"] == "delete"]
    assert len(deletions) == 1
    entry = deletions.iloc[0]
    assert (entry["user"], entry["role"], entry["reason"], entry["rows"]) == ("ana", "analyst", "shared in error", 3)
    assert entry["target"] == f"import:{_id_of(store, 'a.csv')}"
    assert json.loads(entry["detail"])["removed"] == {"incidents": 3, "rejects": 1}


def test_importing_the_file_again_after_deletion_restores_it(two_imports):
    store, a = two_imports
    delete_import(store, _id_of(store, "a.csv"), user="ana", role="analyst", reason="re-run with fixed file")
    again = import_path(store, "incidents", a)
    assert (again.stored, again.rejected, again.already_present) == (3, 1, 0)
    assert sorted(store.read("incidents")["month"]) == ["2024-01", "2024-02", "2024-03", "2024-04"]


def test_flagged_addresses_of_a_deleted_import_are_gone(store, write):
    path = write(
        "f.csv", FLAGGED + "001,1 A St,51.45,-2.59,2024-01-02,noise,open\r\n002,2 A St,51.45,-2.59,x,noise,open\r\n"
    )
    result = import_path(store, "flagged", path)
    assert (result.stored, result.rejected) == (1, 1)
    removed = delete_import(store, _id_of(store, "f.csv"), user="ana", role="analyst", reason="erasure request")
    assert removed == {"flagged": 1, "rejects": 1}
    assert store.count("flagged") == 0


def test_a_deletion_without_a_reason_is_refused_and_touches_nothing(two_imports):
    store, _ = two_imports
    with pytest.raises(InputError, match="needs a reason"):
        delete_import(store, _id_of(store, "a.csv"), user="ana", role="analyst", reason="  ")
    assert store.count("incidents") == 4
    assert store.audit().empty


def test_unknown_or_already_deleted_imports_are_refused(two_imports):
    store, _ = two_imports
    with pytest.raises(InputError, match="no import 99"):
        delete_import(store, 99, user="ana", role="analyst", reason="typo")
    delete_import(store, _id_of(store, "a.csv"), user="ana", role="analyst", reason="once")
    with pytest.raises(InputError, match="already deleted"):
        delete_import(store, _id_of(store, "a.csv"), user="ana", role="analyst", reason="twice")
    assert (store.audit()["action"] == "delete").sum() == 1


def test_a_deletion_whose_audit_entry_cannot_be_written_deletes_nothing(two_imports):
    store, _ = two_imports
    entry = make_entry(user="ana", role="analyst", action="delete", target="import:1", reason="x")
    broken = dataclasses.replace(entry, role=None)  # NOT NULL in the log: the insert fails last
    with pytest.raises(sa.exc.IntegrityError):
        store.delete_import(_id_of(store, "a.csv"), entry=broken)
    assert store.count("incidents") == 4
    assert len(store.rejects()) == 1
    assert store.imports()["deleted_at"].isna().all()


def test_the_command_line_deletes_with_a_reason_and_lists_imports(tmp_path, write):
    from tests.conftest import cli

    db = store_url(tmp_path / "cli.sqlite")
    path = write("a.csv", police_csv(police_row(), police_row(lat="")))
    assert cli("import", "incidents", str(path), db=db).returncode == 0
    listed = cli("status", "--imports", db=db)
    assert listed.stdout.splitlines()[1].startswith("1,incidents,")
    missing = cli("delete-import", "1", db=db)
    assert missing.returncode == 2 and "--reason" in missing.stderr
    done = cli("delete-import", "1", "--reason", "shared in error", db=db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"import_id": 1, "removed": {"incidents": 1, "rejects": 1}}
    again = cli("delete-import", "1", "--reason", "twice", db=db)
    assert again.returncode == 2 and "already deleted" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    store = Store(db)
    assert store.counts()["incidents"] == 0 and (store.audit()["action"] == "delete").sum() == 1
    store.dispose()
