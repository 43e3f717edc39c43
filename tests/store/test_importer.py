"""One import end to end with one options object; deleting an import: what it stored and quarantined goes,
the log line stays, one audit entry says who and why."""

from __future__ import annotations

import dataclasses
import functools
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.core.errors import InputError, OptionError
from geo.store import Store
from geo.store.audit import make_entry
from geo.store.importer import COORD_MODES, ImportOptions, delete_import, import_path
from tests.conftest import police_csv, police_row, store_url

FLAGGED = "ref,address,lat,lng,first_flagged,indicators,status\r\n"


# --------------------------------------------------------------------------- the options


def test_import_options_are_frozen_keyword_only_and_default_to_files_as_published():
    options = ImportOptions()
    assert (options.mapping, options.source, options.coords, options.crs) == (None, None, "auto", None)
    assert (options.code_column, options.name_column, options.layer) == (None, None, None)
    with pytest.raises(TypeError):
        ImportOptions({"ref": "Case Ref"})  # keyword-only: no positional options
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.coords = "bng"


def test_a_mapping_and_a_coordinate_mode_reach_the_reader_and_the_validator(store, write):
    """Headings nobody would guess, eastings/northings: stored only if both options arrive."""
    path = write("h.csv", "Case Ref,Addr,E,N,Raised,Signs,State\r\n001,1 A St,358000,173000,2024-01-02,noise,open\r\n")
    mapping = {"ref": "Case Ref", "address": "Addr", "easting": "E", "northing": "N", "first_flagged": "Raised"}
    mapping |= {"indicators": "Signs", "status": "State"}
    result = import_path(store, "flagged", path, ImportOptions(mapping=mapping, coords="bng"))
    assert (result.rows, result.stored, result.rejected) == (1, 1, 0)
    stored = store.read("flagged")
    assert stored["ref"].tolist() == ["001"]
    # BNG 358000 E, 173000 N is central Bristol: pyproj's EPSG:27700 -> EPSG:4326 gives 51.4544 N, 2.6058 W
    assert abs(stored["lat"].iloc[0] - 51.4544) < 1e-3 and abs(stored["lng"].iloc[0] + 2.6058) < 1e-3


@pytest.mark.parametrize(
    ("kind", "options", "words"),
    [
        ("parcels", ImportOptions(), ["unknown kind 'parcels'", "incidents", "estates"]),
        ("flagged", ImportOptions(coords="osgb"), ["unknown coordinate mode 'osgb'", "auto, wgs84, bng"]),  # type: ignore[arg-type]
        ("flagged", ImportOptions(mapping={"reference": "Case Ref"}), ["unknown column 'reference'", "'ref'"]),
        # a mapping with ``count`` reads a victims file as counts: ``ref`` is then not a column
        ("victims", ImportOptions(mapping={"count": "n", "ref": "id"}), ["unknown column 'ref'", "victim_counts"]),
    ],
)
def test_bad_options_are_refused_before_the_file_is_read(store, kind, options, words):
    """An OptionError (not an InputError: the file is not to blame), naming what is accepted, nothing stored."""
    with pytest.raises(OptionError) as caught:
        import_path(store, kind, "/nonexistent/file.csv", options)  # the missing file is never reached
    assert not isinstance(caught.value, InputError)
    assert all(w in str(caught.value) for w in words), str(caught.value)
    assert store.is_empty() and store.imports().empty


def test_accepted_options_pass_the_check():
    ImportOptions().check("incidents")
    ImportOptions(mapping={"area_code": "Ward", "count": "N"}).check("victims")  # victims sent as counts
    ImportOptions(mapping={"easting": "E", "northing": "N"}, coords="bng").check("flagged")
    ImportOptions(mapping={"anything": "x"}, crs="EPSG:27700").check("wards")  # boundaries take no mapping
    assert COORD_MODES == ("auto", "wgs84", "bng")


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
    with pytest.raises(OptionError, match="needs a reason"):  # the caller's argument, not a file, is at fault
        delete_import(store, _id_of(store, "a.csv"), user="ana", role="analyst", reason="  ")
    assert store.count("incidents") == 4
    assert store.audit().empty


def test_unknown_or_already_deleted_imports_are_refused(two_imports):
    store, _ = two_imports
    with pytest.raises(OptionError, match="no import 99"):
        delete_import(store, 99, user="ana", role="analyst", reason="typo")
    delete_import(store, _id_of(store, "a.csv"), user="ana", role="analyst", reason="once")
    with pytest.raises(OptionError, match="already deleted"):
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


def test_the_command_line_deletes_with_a_reason_and_lists_imports(tmp_path, write, capfd):
    from tests.cli import in_process
    from tests.conftest import cli

    run = functools.partial(in_process.run, capfd)

    db = store_url(tmp_path / "cli.sqlite")
    path = write("a.csv", police_csv(police_row(), police_row(lat="")))
    assert run("import", "incidents", str(path), db=db).returncode == 0
    listed = run("status", "--imports", db=db)
    assert listed.stdout.splitlines()[1].startswith("1,incidents,")
    missing = run("delete-import", "1", db=db)
    assert missing.returncode == 2 and "--reason" in missing.stderr
    done = run("delete-import", "1", "--reason", "shared in error", db=db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"import_id": 1, "removed": {"incidents": 1, "rejects": 1}}
    again = cli("delete-import", "1", "--reason", "twice", db=db)
    assert again.returncode == 2 and "already deleted" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    store = Store(db)
    assert store.counts()["incidents"] == 0 and (store.audit()["action"] == "delete").sum() == 1
    store.dispose()


# --------------------------------------------------------------------------- the synthetic mark


def test_the_synthetic_mark_is_a_keyword_of_the_importer_only():
    """Not an option a person fills (page or CLI): one who could set it would open the dashboard to all."""
    import inspect

    from geo.cli import build_parser

    assert "synthetic" not in {f.name for f in dataclasses.fields(ImportOptions)}
    assert inspect.signature(import_path).parameters["synthetic"].kind is inspect.Parameter.KEYWORD_ONLY
    assert inspect.signature(import_path).parameters["synthetic"].default is False
    with pytest.raises(SystemExit):
        build_parser().parse_args(["import", "incidents", "a.csv", "--synthetic"])


def test_only_the_demo_marks_an_import_synthetic():
    """Every call in the application that passes ``synthetic=`` is the demo's own (or the importer's hand-on)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [root / "app.py", *(root / "geo").rglob("*.py"), *(root / "dashboard").rglob("*.py")]
    sources += [*(root / "pages").rglob("*.py")]
    callers = set()
    for path in sources:
        where = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            marks = [k for k in node.keywords if k.arg == "synthetic"]
            if name.endswith(("import_path", "import_validated")):
                assert all(k.arg is not None for k in node.keywords), (where, name)  # no **kwargs to carry it
                if marks:
                    callers.add((where, name.rsplit(".", 1)[-1]))
            if where.startswith(("dashboard/", "pages/", "app.py")):  # the page may only ever ask about real data
                assert all(isinstance(k.value, ast.Constant) and k.value.value is False for k in marks), where
    assert callers == {("geo/demo.py", "import_path"), ("geo/store/importer.py", "import_validated")}


def test_a_synthetic_import_is_refused_into_a_store_holding_real_data_with_a_plain_message(store, write):
    from geo.store.provenance import MixedDataError

    import_path(store, "incidents", write("a.csv", police_csv(police_row())))
    with pytest.raises(MixedDataError) as caught:
        import_path(store, "incidents", write("b.csv", police_csv(police_row(month="2024-09"))), synthetic=True)
    assert str(caught.value).startswith("this store holds real data") and "python -m geo demo --db" in str(caught.value)
    assert store.imports()["synthetic"].tolist() == [False]
