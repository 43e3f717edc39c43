"""One import end to end with one options object; deleting an import: what it stored and quarantined goes,
the log line stays, one audit entry says who and why; a file imported before is recognised by its bytes and
logged as a full re-read would log it, and read in full whenever the store cannot prove what that would find."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import zipfile

import pandas as pd
import pytest
import sqlalchemy as sa

import geo.store.importer
from geo.core.errors import InputError, OptionError
from geo.store import Store
from geo.store.audit import make_entry
from geo.store.importer import COORD_MODES, ImportOptions, ImportResult, delete_import, import_path
from tests.conftest import drop_store, police_csv, police_row, store_url

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
    # a check-in takes the store's own provenance (store_is_synthetic): a press in the demo town is the demo's
    assert callers == {
        ("geo/demo/__init__.py", "import_path"),
        ("geo/store/importer.py", "import_validated"),
        ("geo/store/_small_import.py", "import_validated"),
    }


def test_a_synthetic_import_is_refused_into_a_store_holding_real_data_with_a_plain_message(store, write):
    from geo.store.provenance import MixedDataError

    import_path(store, "incidents", write("a.csv", police_csv(police_row())))
    with pytest.raises(MixedDataError) as caught:
        import_path(store, "incidents", write("b.csv", police_csv(police_row(month="2024-09"))), synthetic=True)
    assert str(caught.value).startswith("this store holds real data") and "python -m geo demo --db" in str(caught.value)
    assert store.imports()["synthetic"].tolist() == [False]


# --------------------------------------------------------------------------- a file imported before

#: Rows 2-3 are stored; row 4 has no coordinates and row 5 an unknown category (rejected).
MIXED = police_csv(
    police_row(),
    police_row(month="2024-02"),
    police_row(lat="", lng="", location="No Location"),
    police_row(category="Loitering"),
)


def _state(store: Store) -> dict[str, object]:
    """All that an import can change, as comparable text (the time of day aside)."""
    return {
        "imports": store.imports().drop(columns=["imported_at"]).astype(str).to_dict("records"),
        "rejects": store.rejects().astype(str).to_dict("records"),
        "counts": store.counts(),
        "incidents": sorted(store.read("incidents", keys=True).astype(str).values.tolist()),
    }


def _reimport(store: Store, tmp_path, monkeypatch, path, options=None, *, kind="incidents", **kw):
    """Import ``path`` into ``store`` and into a copy of it that reads every file in full; return the result and
    whether the file was recognised. The two must end alike: the same result, the same import log (times
    aside), quarantine and rows."""
    store.dispose()
    url = store_url(tmp_path / f"full-{len(list(tmp_path.iterdir()))}.sqlite", template=store.url)
    copy = Store(url)
    real, answers = geo.store.importer.recognise, []
    try:
        with monkeypatch.context() as m:
            m.setattr(geo.store.importer, "recognise", lambda *a, **k: answers.append(real(*a, **k)) or answers[-1])
            got = import_path(store, kind, path, options, **kw)
        with monkeypatch.context() as m:
            m.setattr(geo.store.importer, "recognise", lambda *_a, **_k: None)
            full = import_path(copy, kind, path, options, **kw)
        assert got.to_dict() == full.to_dict()
        assert list(got.reasons.items()) == list(full.reasons.items())  # most common first, ties as read
        assert _state(store) == _state(copy)
    finally:
        copy.dispose()
        drop_store(url)
    return got, answers[0] is not None


def _counts(result: ImportResult) -> tuple[int, int, int, int]:
    return result.rows, result.stored, result.rejected, result.already_present


def test_a_file_imported_before_is_not_read_again_and_is_logged_as_a_full_read_would_log_it(
    store, write, tmp_path, monkeypatch
):
    path = write("a.csv", MIXED)
    assert _counts(import_path(store, "incidents", path)) == (4, 2, 2, 0)
    again, recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert recognised
    assert _counts(again) == (4, 0, 2, 2)
    assert again.reasons == {"no coordinates …": 1, "unknown category": 1}
    log = store.imports().sort_values("id")
    assert log["sha256"].nunique() == 1 and log["synthetic"].tolist() == [False, False]
    assert log[["rows", "stored", "rejected", "already_present"]].values.tolist() == [[4, 2, 2, 0], [4, 0, 2, 2]]
    held = store.rejects()  # the two rejects, once, under the first import: a re-import adds none
    assert held[["import_id", "row", "column"]].values.tolist() == [[1, 4, "Latitude"], [1, 5, "Crime type"]]
    monkeypatch.setattr(geo.store.importer, "read_csv_kind", lambda *_a, **_k: pytest.fail("the file was read"))
    progress: list[float] = []
    third = import_path(store, "incidents", path, label="renamed.csv", progress=lambda f, _m: progress.append(f))
    assert _counts(third) == (4, 0, 2, 2) and [f["file"] for f in third.files] == ["renamed.csv"]
    assert progress[0] == 0.0 and progress[-1] == 1.0
    assert store.imports().sort_values("id")["file"].tolist()[-1] == "renamed.csv"


def test_a_folder_and_a_zip_of_files_imported_before_twins_among_them(store, write, tmp_path, monkeypatch):
    a = police_csv(police_row(), police_row(month="2024-02"), police_row(lat="", lng="", location="No Location"))
    b = police_csv(police_row(month="2024-03"), police_row(month="2024-04"))
    for name, text in (("a.csv", a), ("b.csv", b), ("c.csv", a)):  # c.csv holds a.csv's very bytes
        write(f"folder/{name}", text)
    first = import_path(store, "incidents", tmp_path / "folder")
    # c.csv's two rows are a.csv's, already present; its reject is a.csv's, already quarantined
    assert [(f["stored"], f["rejected"], f["already_present"]) for f in first.files] == [
        (2, 1, 0),
        (2, 0, 0),
        (0, 1, 2),
    ]
    again, recognised = _reimport(store, tmp_path, monkeypatch, tmp_path / "folder")
    assert recognised
    assert [(f["stored"], f["rejected"], f["already_present"]) for f in again.files] == [
        (0, 1, 2),
        (0, 0, 2),
        (0, 1, 2),
    ]
    zipped = tmp_path / "archive.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for name in ("a.csv", "b.csv", "c.csv"):
            zf.write(tmp_path / "folder" / name, name)
    via_zip, recognised = _reimport(store, tmp_path, monkeypatch, zipped)
    assert recognised and [f["file"] for f in via_zip.files] == [f"{zipped}:{n}" for n in ("a.csv", "b.csv", "c.csv")]
    assert _counts(via_zip) == (8, 0, 2, 6)  # 3 + 2 + 3 rows; a's and c's reject; 2 + 2 + 2 present
    assert len(store.rejects()) == 1


def _delete_first(store: Store, _write) -> None:
    delete_import(store, 1, user="ana", role="analyst", reason="shared in error")


def _delete_and_import_again(store: Store, write) -> None:
    _delete_first(store, write)
    import_path(store, "incidents", write("a.csv", MIXED))  # import 2: stores all it accepts again


def _erase(table: str):
    def erase(store: Store, _write) -> None:  # rows gone some other way than delete-import
        with store.engine.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {table} WHERE import_id = 1"))

    return erase


def _twin_reject_first(store: Store, write) -> None:
    """Import 1 quarantines a.csv's no-location row first, so a.csv's own import (2) holds only one of its rejects."""
    delete_import(store, 1, user="ana", role="analyst", reason="re-run")
    import_path(store, "incidents", write("z.csv", police_csv(police_row(lat="", lng="", location="No Location"))))
    import_path(store, "incidents", write("a.csv", MIXED))


def _overlap_then_deleted(store: Store, write) -> None:
    _overlap_first(store, write)
    delete_import(store, 2, user="ana", role="analyst", reason="shared in error")


def _overlap_first(store: Store, write) -> None:
    """a.csv's January row is stored by another file first: a.csv's import then found one row already present."""
    delete_import(store, 1, user="ana", role="analyst", reason="re-run")
    import_path(store, "incidents", write("j.csv", police_csv(police_row())))
    import_path(store, "incidents", write("a.csv", MIXED))


@pytest.mark.parametrize(
    "case",
    [
        (None, True, (4, 0, 2, 2)),
        (_delete_first, False, (4, 2, 2, 0)),  # deleted: its rows and rejects come back
        (_delete_and_import_again, True, (4, 0, 2, 2)),  # the import after the deletion stands for the file
        (_erase("incident_segments"), False, (4, 2, 2, 0)),
        (_erase("reject_segments"), False, (4, 0, 2, 2)),  # the rejects are quarantined again
        (_twin_reject_first, False, (4, 0, 2, 2)),
        (_overlap_first, False, (4, 0, 2, 2)),
        (_overlap_then_deleted, False, (4, 1, 2, 1)),  # the January row went with the other file
    ],
    ids=[
        "plain",
        "deleted",
        "deleted-then-imported",
        "rows-erased",
        "rejects-erased",
        "reject-held-elsewhere",
        "overlap",
        "overlap-then-deleted",
    ],
)
def test_only_an_import_whose_every_row_and_reject_the_store_still_holds_stands_for_its_file(
    store, write, tmp_path, monkeypatch, case
):
    change, recognised, expected = case
    path = write("a.csv", MIXED)
    import_path(store, "incidents", path)
    if change:
        change(store, write)
    again, was_recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert (was_recognised, _counts(again)) == (recognised, expected)


def test_an_import_that_found_rows_present_stands_for_its_file_nowhere_in_it(store, write, tmp_path, monkeypatch):
    """Past the lines read again too: the other file that stored a row of it may be deleted since."""
    import_path(store, "incidents", write("j.csv", police_csv(police_row(month="2024-05"))))
    path = write("a.csv", police_csv(*(police_row(**r) for r in _far([{"month": "2024-05"}]))))
    assert _counts(import_path(store, "incidents", path)) == (FILLER + 1, FILLER, 0, 1)
    delete_import(store, 1, user="ana", role="analyst", reason="shared in error")
    again, recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert (recognised, _counts(again)) == (False, (FILLER + 1, 1, 0, FILLER))


def test_a_reject_that_depends_on_the_store_is_never_repeated_unread(store, write, tmp_path, monkeypatch):
    """A ref stored with other content rejects a row; once that import is deleted, the row is stored."""
    import_path(store, "incidents", write("x.csv", police_csv(police_row(crime_id="C1", category="Burglary"))))
    y = write("y.csv", police_csv(police_row(crime_id="C1", category="Robbery"), police_row(month="2024-03")))
    assert _counts(import_path(store, "incidents", y)) == (2, 1, 1, 0)
    again, recognised = _reimport(store, tmp_path, monkeypatch, y)
    assert (recognised, _counts(again)) == (False, (2, 0, 1, 1))
    delete_import(store, 1, user="ana", role="analyst", reason="shared in error")
    again, recognised = _reimport(store, tmp_path, monkeypatch, y)
    assert (recognised, _counts(again)) == (False, (2, 1, 0, 1))


#: Bristol in British National Grid metres, in police.uk's degree columns (358000 E, 173000 N).
_METRES = {"lng": "358000", "lat": "173000"}


@pytest.mark.parametrize(
    "case",
    [
        # a police.uk file's source is police.uk whatever --source says: the same reading
        ([{}, {"month": "2024-02"}], {}, {"source": "housing"}, True, (2, 0, 0, 2)),
        # a mapping reads it as a partner file (source "csv"): other rows
        ([{}], {}, {"mapping": {"ref": "Crime ID"}}, False, (1, 1, 0, 0)),
        ([{}], {}, {"coords": "wgs84"}, False, (1, 0, 0, 1)),
        ([{}], {"coords": "wgs84"}, {}, True, (1, 0, 0, 1)),  # degrees either way
        # read as metres every row was refused, so nothing stands for the file
        ([{}], {"coords": "bng"}, {}, False, (1, 1, 0, 0)),
        # metres found by "auto" (and said in a note), or by --coords bng (no note): read again, note and all
        ([_METRES, _METRES | {"month": "2024-02"}], {}, {}, False, (2, 0, 0, 2)),
        ([_METRES, _METRES | {"month": "2024-02"}], {"coords": "bng"}, {}, False, (2, 0, 0, 2)),
        # 9 of 10 rows with numbers look like metres: "auto" reads metres where --coords wgs84 stored the 10th
        (
            [{}] + [_METRES | {"month": f"2023-0{m}"} for m in range(1, 10)],
            {"coords": "wgs84"},
            {},
            False,
            (10, 9, 1, 0),
        ),
        # 8 of 9: degrees either way, and the 8 are rejected either way
        ([{}] + [_METRES | {"month": f"2023-0{m}"} for m in range(1, 9)], {"coords": "wgs84"}, {}, True, (9, 0, 8, 1)),
    ],
    ids=[
        "source",
        "mapping",
        "coords-now",
        "coords-wgs84-then",
        "coords-bng-then",
        "metres-auto",
        "metres-bng",
        "9-in-10",
        "8-in-9",
    ],
)
def test_options_that_change_the_rows_are_proved_the_same_or_the_file_is_read(
    store, write, tmp_path, monkeypatch, case
):
    rows, first, then, recognised, expected = case
    path = write("a.csv", police_csv(*(police_row(**r) for r in rows)))
    import_path(store, "incidents", path, ImportOptions(**first))
    again, was_recognised = _reimport(store, tmp_path, monkeypatch, path, ImportOptions(**then))
    assert (was_recognised, _counts(again)) == (recognised, expected)


def _on(monkeypatch, day: str) -> None:
    monkeypatch.setattr("geo.validate._bounds.today", lambda: dt.date.fromisoformat(day))


#: Rows enough to push the rows after them past the part of a file read again (geo.store.importer.HEAD_BYTES).
FILLER = 800


def _far(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"month": "2025-01", "location": "On or near Filler Street"}] * FILLER + rows


_DATED = [
    # 2025-07 is after June's current month: rejected in June, stored in July
    ([{"month": "2025-01"}, {"month": "2025-07"}], "2025-06-15", "2025-07-15", (2, 1, 0, 1)),
    # the clock set back: July's row, stored in July, is after the current month in June
    ([{"month": "2025-01"}, {"month": "2025-07"}], "2025-07-15", "2025-06-15", (2, 0, 1, 1)),
    # and a row rejected in July for its category is rejected in June for its month (checked first)
    ([{"month": "2025-01"}, {"month": "2025-07", "category": "Loitering"}], "2025-07-15", "2025-06-15", (2, 0, 1, 1)),
]


@pytest.mark.parametrize(
    "case",
    [(rows, *days, counts) for rows, *days, counts in _DATED]
    + [(_far(rows), *days, (n + FILLER, s, r, a + FILLER)) for rows, *days, (n, s, r, a) in _DATED],
    ids=[
        "month-comes",
        "clock-back",
        "clock-back-other-reason",
        "far-month-comes",
        "far-clock-back",
        "far-other-reason",
    ],
)
def test_months_judged_by_the_date_are_judged_again(store, write, tmp_path, monkeypatch, case):
    """Near the top of the file and far from it (past the lines read again to prove how it was read)."""
    rows, first_day, then_day, expected = case
    path = write("a.csv", police_csv(*(police_row(**r) for r in rows)))
    assert (
        len(rows) < FILLER or len(police_csv(*(police_row(**r) for r in rows[:FILLER]))) > geo.store.importer.HEAD_BYTES
    )
    _on(monkeypatch, first_day)
    import_path(store, "incidents", path)
    _on(monkeypatch, then_day)
    again, recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert (recognised, _counts(again)) == (False, expected)


def test_a_later_month_recognises_a_file_whose_months_are_all_past(store, write, tmp_path, monkeypatch):
    path = write("a.csv", MIXED)
    _on(monkeypatch, "2025-06-15")
    import_path(store, "incidents", path)
    _on(monkeypatch, "2025-09-15")
    assert _reimport(store, tmp_path, monkeypatch, path)[1] is True


@pytest.mark.parametrize(
    "case",
    [
        # one row's Location makes its line over the limit: refused under the limit, stored without it
        ([{}, {"month": "2024-02"}, {"location": "x" * 200}], None, "200", (3, 0, 1, 2)),
        ([{}, {"month": "2024-02"}, {"location": "x" * 200}], "200", None, (3, 1, 0, 2)),
        # past the lines read again, and under a limit the reader measures in windows (a third, halved: 4,500 bytes)
        (_far([{"location": "x" * 30_000}]), None, "27000", (FILLER + 1, 0, 1, FILLER)),
        (_far([{"location": "x" * 3_000}]), "27000", None, (FILLER + 1, 0, 0, FILLER + 1)),
    ],
    ids=["limit-set", "limit-lifted", "far-limit-set", "far-within-limit"],
)
def test_a_line_limit_set_since_is_applied(store, write, tmp_path, monkeypatch, case):
    rows, first_limit, then_limit, expected = case
    path = write("a.csv", police_csv(*(police_row(**r) for r in rows)))
    for limit, first in ((first_limit, True), (then_limit, False)):
        if limit:
            monkeypatch.setenv("NESTWATCH_MAX_LINE_BYTES", limit)
        else:
            monkeypatch.delenv("NESTWATCH_MAX_LINE_BYTES", raising=False)
        if first:
            import_path(store, "incidents", path)
    again, recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert (recognised, _counts(again)) == (expected == (FILLER + 1, 0, 0, FILLER + 1), expected)


def test_lines_are_measured_in_windows_half_the_limit_wide():
    """A line feed in every 5,000 bytes: no line over 10,000 (lines of 4,000 pass; one of 10,001 does not)."""
    lines_fit = geo.store.importer._lines_fit
    assert lines_fit((b"x" * 3_999 + b"\n") * 10, 10_000)
    assert not lines_fit(b"x" * 4_000 + b"\n" + b"y" * 10_001 + b"\n" + b"x" * 4_000, 10_000)
    assert lines_fit(b"x" * 10_000, 10_000)  # no longer than the limit in all
    assert not lines_fit((b"x" * 100 + b"\n") * 1_000, 6_000)  # windows of 3,000: too many to look through


def test_a_header_over_a_column_limit_set_since_is_refused_as_before(store, write, monkeypatch):
    path = write("a.csv", MIXED)
    import_path(store, "incidents", path)
    monkeypatch.setenv("NESTWATCH_MAX_COLUMNS", "5")
    with pytest.raises(InputError, match="columns"):
        import_path(store, "incidents", path)
    assert len(store.imports()) == 1


@pytest.mark.parametrize(
    "case",
    [
        (
            "flagged",
            "f.csv",
            FLAGGED + "001,1 A St,51.45,-2.59,2024-01-02,noise,open\r\n002,2 A St,51.45,-2.59,x,noise,open\r\n",
        ),
        (
            "closures",
            "c.csv",
            "ref,address,lat,lng,granted,expiry,type\r\nC1,1 A St,51.45,-2.59,2024-01-02,2024-04-01,full\r\n",
        ),
    ],
)
def test_other_kinds_are_read_again(store, write, tmp_path, monkeypatch, case):
    kind, name, text = case
    path = write(name, text)
    first = import_path(store, kind, path)
    again, recognised = _reimport(store, tmp_path, monkeypatch, path, kind=kind)
    assert not recognised
    assert (again.rows, again.stored, again.rejected, again.already_present) == (
        first.rows,
        0,
        first.rejected,
        first.stored,
    )


def _tamper(store: Store, table: str, edit, *, import_id: int = 1) -> None:
    """Rewrite the first key blob (segments) or Parquet blob (quarantine) that ``import_id`` wrote."""
    t = store.tables[table]
    column = "keys" if table == "incident_segments" else "data"
    with store.engine.begin() as conn:
        ident, blob = conn.execute(sa.select(t.c.id, t.c[column]).where(t.c.import_id == import_id)).first()
        conn.execute(t.update().where(t.c.id == ident).values({column: edit(blob)}))


def _flip_first_key(blob: bytes) -> bytes:
    return bytes([blob[0] ^ 1]) + bytes(blob[1:])


def test_what_the_earlier_import_recorded_is_believed_only_where_a_read_confirms_it(
    store, write, tmp_path, monkeypatch
):
    """Stored keys or reasons that the file no longer gives (as after a change of rules) send it to be read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = write("a.csv", MIXED)
    import_path(store, "incidents", path)
    _tamper(store, "incident_segments", _flip_first_key)
    again, recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert (recognised, _counts(again)) == (False, (4, 1, 2, 1))  # the first row's key is no longer held: stored
    delete_import(store, 1, user="ana", role="analyst", reason="re-run")
    delete_import(store, 2, user="ana", role="analyst", reason="re-run")
    assert _counts(import_path(store, "incidents", path)) == (4, 2, 2, 0)  # import 3 stands for the file

    def reworded(blob: bytes) -> bytes:
        table = pq.read_table(pa.py_buffer(blob))
        reasons = [r.replace("unknown", "unheard-of") for r in table.column("reason").to_pylist()]
        sink = pa.BufferOutputStream()
        pq.write_table(table.set_column(table.schema.get_field_index("reason"), "reason", pa.array(reasons)), sink)
        return sink.getvalue().to_pybytes()

    _tamper(store, "reject_segments", reworded, import_id=3)
    again, recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert (recognised, _counts(again)) == (False, (4, 0, 2, 2))


def test_every_file_of_a_folder_is_proved_not_only_the_first(store, write, tmp_path, monkeypatch):
    """The second file's first stored row no longer has the key a read gives it: the folder is read."""
    write("folder/a.csv", police_csv(police_row(), police_row(month="2024-02")))
    write("folder/b.csv", police_csv(police_row(month="2024-03"), police_row(month="2024-04")))
    import_path(store, "incidents", tmp_path / "folder")
    _tamper(store, "incident_segments", _flip_first_key, import_id=2)
    again, recognised = _reimport(store, tmp_path, monkeypatch, tmp_path / "folder")
    assert (recognised, _counts(again)) == (False, (4, 1, 0, 3))  # b.csv's March row is stored again


@pytest.mark.parametrize("case", [("\ufeff", True), ("crime id,month", False)], ids=["a-bom", "other-spelling"])
def test_files_of_a_folder_headed_otherwise(store, write, tmp_path, monkeypatch, case):
    """A second file with a byte-order mark is read as the first; one whose headings are spelt otherwise (a
    police.uk file all the same) makes the folder be read."""
    prefix, recognised = case
    write("folder/a.csv", police_csv(police_row(), police_row(month="2024-02")))
    b = police_csv(police_row(month="2024-03"))
    b = "\ufeff" + b if prefix == "\ufeff" else prefix + b[len("Crime ID,Month") :]
    write("folder/b.csv", b)
    import_path(store, "incidents", tmp_path / "folder")
    again, was_recognised = _reimport(store, tmp_path, monkeypatch, tmp_path / "folder")
    assert (was_recognised, _counts(again)) == (recognised, (3, 0, 0, 3))


def test_a_file_with_line_ends_inside_quoted_cells_is_recognised(store, write, tmp_path, monkeypatch):
    """The lines read again end where a row ends, not inside a quoted cell that holds a line end."""
    quoted = police_row(location="On or near\nPark Street")  # (police_row quotes the location)
    path = write("q.csv", police_csv(*[quoted] * FILLER, police_row(month="2024-02")))
    assert _counts(import_path(store, "incidents", path)) == (FILLER + 1, FILLER + 1, 0, 0)
    again, recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert (recognised, _counts(again)) == (True, (FILLER + 1, 0, 0, FILLER + 1))


def test_a_proof_that_fails_unforeseen_sends_the_file_to_be_read(store, write, tmp_path, monkeypatch):
    path = write("a.csv", MIXED)
    import_path(store, "incidents", path)

    def unforeseen(*_args, **_kwargs):
        raise KeyError("Month")

    monkeypatch.setattr(geo.store.importer, "_months", unforeseen)
    again, recognised = _reimport(store, tmp_path, monkeypatch, path)
    assert (recognised, _counts(again)) == (False, (4, 0, 2, 2))


def test_a_deletion_between_hashing_and_logging_sends_the_file_to_be_read(store, write, monkeypatch):
    """The checks are made under the store's write lock, after any import or deletion that came first."""
    path = write("a.csv", MIXED)
    import_path(store, "incidents", path)
    hash_files = geo.store.importer.iter_csv_sources

    def hashed_then_deleted(*args, **kwargs):
        yield from hash_files(*args, **kwargs)
        delete_import(store, 1, user="ana", role="analyst", reason="erasure request")  # another session, meanwhile

    monkeypatch.setattr(geo.store.importer, "iter_csv_sources", hashed_then_deleted)
    assert _counts(import_path(store, "incidents", path)) == (4, 2, 2, 0)


def test_the_command_line_audits_a_recognised_re_import_as_any_other(tmp_path, write, capfd):
    from tests.cli import in_process

    db = store_url(tmp_path / "cli.sqlite")
    path = write("a.csv", MIXED)
    for _ in range(2):
        done = in_process.run(capfd, "import", "incidents", str(path), "--json", db=db)
        assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["rows"], printed["stored"], printed["rejected"], printed["already_present"]) == (4, 0, 2, 2)
    assert printed["files"] == [
        {
            "import_id": 2,
            "file": str(path),
            "kind": "incidents",
            "rows": 4,
            "stored": 0,
            "rejected": 2,
            "already_present": 2,
        }
    ]
    store = Store(db)
    entries = store.audit().sort_values("id")
    assert entries["action"].tolist() == ["import", "import"]
    assert entries["rows"].tolist() == [4, 4]
    assert json.loads(entries["detail"].iloc[1]) == {"stored": 0, "rejected": 2, "already_present": 2}
    store.dispose()
    drop_store(db)
