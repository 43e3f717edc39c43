"""export-all / import-all: every table, the quarantine and the audit log round-trip, checked by manifest."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.core.errors import InputError, OptionError, StoreError
from geo.demo import load_demo
from geo.store import Store, audit, migrations
from geo.store._segments import blob_to_keys, parquet_to_table
from geo.store._tables import DERIVED_TABLE, REJECT_TABLE, SEGMENT_TABLE
from geo.store.backup import export_all, import_all, read_manifest
from geo.store.importer import delete_import, import_path
from tests.conftest import drop_store, police_csv, police_row, store_url


def _dump(store: Store) -> dict[str, pd.DataFrame]:
    """Every table as rows; segment tables decoded (their blob bytes are an encoding detail)."""
    out = {}
    with store.engine.connect() as conn:
        for name, table in store.tables.items():
            if name == DERIVED_TABLE:
                continue  # derived results are not records: backups leave them out (tests/plan/test_derived.py)
            if name in (SEGMENT_TABLE, REJECT_TABLE):
                parts = []
                for imp, keys, data in conn.execute(
                    sa.select(table.c.import_id, table.c["keys"], table.c.data).order_by(table.c.id)
                ):
                    body = parquet_to_table([data]).to_pandas()
                    parts.append(
                        pd.concat([pd.DataFrame(blob_to_keys(keys)).add_prefix("key_").assign(imp=imp), body], axis=1)
                    )
                out[name] = pd.concat(parts, ignore_index=True)
            else:
                rows = conn.execute(sa.select(table).order_by(table.c.id)).all()
                out[name] = pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in table.columns])
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    url = store_url(tmp_path_factory.mktemp("backup") / "source.sqlite")
    store = Store(url)
    load_demo(store)
    store.release_secret()  # as the first published release makes it: the round trips below carry it
    flagged = int(store.imports().query("kind == 'flagged'")["id"].iloc[0])
    delete_import(store, flagged, user="ana", role="analyst", reason="erasure request")
    audit.record(store, user="ina", role="inspector", action="view_cell", target="cell:89", rows=2)
    # a log of six entries (the deletion's first), counts and blanks mixed in one column
    audit.record(store, user="bo", role="viewer", action="sign_in", target="app")
    audit.record(store, user="bo", role="viewer", action="view_layer", target="layer:wards", rows=12)
    audit.record(
        store,
        user="ana",
        role="analyst",
        action="export",
        target="export:plan.csv",
        rows=4,
        personal=True,
        reason="briefing",
    )
    audit.record(store, user="root", role="admin", action="view_audit", target="audit", rows=5)
    yield store
    store.dispose()
    drop_store(url)


def test_export_then_import_gives_back_every_table(source, tmp_path):
    summary = export_all(source, tmp_path / "b")
    assert summary.rows["incidents"] == source.count("incidents") == 10_974
    assert summary.rows["rejects"] == len(source.rejects()) == 40
    target = Store(store_url(tmp_path / "target.sqlite"))
    import_all(target, tmp_path / "b")
    before, after = _dump(source), _dump(target)
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name, check_dtype=False)
    # the restored store behaves: keys survived, so the same file is already present; ids continue
    # (and it is still the synthetic demo town: the import log's flag came back as a flag)
    again = import_path(target, "closures", "data/demo-synthetic/closures.csv", synthetic=True)
    assert (again.stored, again.already_present) == (0, 15)
    assert target.imports()["id"].max() == source.imports()["id"].max() + 1
    target.dispose()


def test_a_second_export_of_the_restored_store_is_byte_identical(source, tmp_path):
    export_all(source, tmp_path / "one")
    target = Store(store_url(tmp_path / "target.sqlite"))
    import_all(target, tmp_path / "one")
    export_all(target, tmp_path / "two")
    one, two = read_manifest(tmp_path / "one"), read_manifest(tmp_path / "two")
    csvs = {n: m["sha256"] for n, m in one["files"].items() if n.endswith(".csv")}
    assert csvs == {n: m["sha256"] for n, m in two["files"].items() if n.endswith(".csv")}
    assert one["rows"] == two["rows"]
    target.dispose()


def test_a_changed_file_is_refused_before_anything_is_written(source, tmp_path):
    export_all(source, tmp_path / "b")
    with (tmp_path / "b" / "audit.csv").open("a") as f:
        f.write("999,2026-01-01,x,x,view_audit,x,,,{}\n")  # a forged log line
    target = Store(store_url(tmp_path / "target.sqlite"))
    with pytest.raises(InputError, match=r"audit\.csv: checksum does not match") as caught:
        import_all(target, tmp_path / "b")
    assert caught.value.file == str(tmp_path / "b" / "audit.csv")  # the file at fault, by name
    assert target.is_empty() and target.audit().empty
    target.dispose()


def test_restore_only_into_an_empty_store_and_export_only_into_an_empty_folder(source, tmp_path, store):
    export_all(source, tmp_path / "b")
    with pytest.raises(OptionError, match="not empty: export-all writes a fresh folder") as caught:
        export_all(source, tmp_path / "b")
    assert caught.value.option == "folder" and not isinstance(caught.value, InputError)
    import_all(store, tmp_path / "b")
    with pytest.raises(StoreError, match="empty store only"):
        import_all(store, tmp_path / "b")
    with pytest.raises(InputError, match=r"no manifest\.json") as caught:
        import_all(store, tmp_path)
    assert caught.value.file == str(tmp_path)


def test_the_manifest_lists_every_file_with_rows_and_the_schema(source, tmp_path):
    export_all(source, tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert set(manifest["files"]) == {p.name for p in (tmp_path / "b").iterdir()} - {"manifest.json"}
    assert manifest["revision"] == migrations.HEAD and manifest["rows"]["audit"] == len(source.audit())
    assert manifest["rows"]["flagged"] == 0  # erased by the deletion, and stays erased in the backup
    assert manifest["rows"]["release_secret"] == 1


def test_the_commands_round_trip(source, tmp_path, capsys):
    from geo.cli import main

    assert main(["export-all", str(tmp_path / "b"), "--db", source.url]) == 0
    assert "10974 incidents" in capsys.readouterr().out.replace(",", "")
    url = store_url(tmp_path / "t.sqlite")
    assert main(["import-all", str(tmp_path / "b"), "--db", url]) == 0
    assert Store(url).count("incidents") == 10_974


# --------------------------------------------------------------------------- the audit log's hash chain


def _forge(folder, edit, *, revision=None) -> None:
    """Edit ``audit.csv`` the way a forger would: then rewrite the manifest's checksums to match."""
    path = folder / "audit.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False, lineterminator="\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["audit.csv"] = {
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size,
    }
    if revision is not None:
        manifest["revision"] = revision
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _restored_nothing(store: Store) -> bool:
    return store.is_empty() and store.audit().empty and not any(store.counts().values())


def test_the_backup_carries_the_chain_and_the_restore_keeps_its_head(source, tmp_path):
    export_all(source, tmp_path / "b")
    header = (tmp_path / "b" / "audit.csv").read_text().splitlines()[0].split(",")
    assert header[-2:] == ["prev_hash", "entry_hash"]
    target = Store(store_url(tmp_path / "target.sqlite"))
    import_all(target, tmp_path / "b")
    want = audit.verify_chain(source)
    got = audit.verify_chain(target, expect_head=want.head)
    assert want.ok and got.ok and (got.entries, got.head) == (want.entries, want.head)
    audit.record(target, user="ana", role="analyst", action="view_audit", target="audit")  # and the chain goes on
    assert audit.verify_chain(target, expect_head=want.head).since_expected == 1
    target.dispose()


def _ids(folder) -> list[int]:
    return pd.read_csv(folder / "audit.csv")["id"].tolist()


def _edit_reason(frame):
    frame.loc[2, "reason"] = "routine check"
    return frame


def _drop_row(frame):
    return frame.drop(index=2)


def _swap_rows(frame):  # each line keeps its content and hashes; only the ids change places
    frame.loc[[1, 3], "id"] = frame.loc[[3, 1], "id"].to_numpy()
    return frame


def _insert_row(frame):  # a forged line between the second and third, hashed correctly onto the second
    forged = frame.iloc[[1]].copy()
    forged[["action", "target", "rows", "reason"]] = ["view_layer", "layer:flagged", "3", ""]
    content = {f: forged.iloc[0][f] for f in audit.HASHED_FIELDS} | {"rows": 3}
    forged["prev_hash"] = frame.loc[1, "entry_hash"]
    forged["entry_hash"] = audit.link_hash(frame.loc[1, "entry_hash"], content)
    later = frame.iloc[2:].assign(id=frame["id"].iloc[2:].astype(int) + 1)
    forged["id"] = int(frame.loc[2, "id"])
    return pd.concat([frame.iloc[:2], forged, later]).astype(str)


def _edit_last_hash(frame):
    frame.loc[frame.index[-1], "entry_hash"] = "f" * 64
    return frame


@pytest.mark.parametrize(
    ("edit", "position", "problem"),
    [
        (_edit_reason, 2, "changed after it was written"),
        (_drop_row, 3, "is missing (deleted)"),
        (_swap_rows, 1, "out of order"),
        (_insert_row, 3, "were inserted or moved"),
        (_edit_last_hash, -1, "no longer matches its hash"),
    ],
    ids=["edit", "delete", "swap", "insert", "last-hash"],
)
def test_an_edited_audit_log_is_refused_before_anything_is_restored(source, tmp_path, edit, position, problem):
    export_all(source, tmp_path / "b")
    ids = _ids(tmp_path / "b")
    _forge(tmp_path / "b", edit)
    read_manifest(tmp_path / "b")  # the checksums match: only the chain can tell
    bad = ids[position]  # the first entry at fault, by its place in the log as exported
    target = Store(store_url(tmp_path / "target.sqlite"))
    with pytest.raises(InputError, match=rf"hash chain is broken at entry {bad}: .*{re.escape(problem)}") as caught:
        import_all(target, tmp_path / "b")
    assert caught.value.file == str(tmp_path / "b" / "audit.csv")
    frame = pd.read_csv(tmp_path / "b" / "audit.csv")
    assert frame["id"].iloc[caught.value.row - 2] == bad  # the spreadsheet row of that entry (header is row 1)
    assert _restored_nothing(target)
    target.dispose()


def test_the_command_refuses_an_edited_log_with_exit_2(source, tmp_path, capsys):
    from geo.cli import main

    export_all(source, tmp_path / "b")
    _forge(tmp_path / "b", _edit_reason)
    url = store_url(tmp_path / "t.sqlite")
    assert main(["import-all", str(tmp_path / "b"), "--db", url]) == 2
    err = capsys.readouterr().err
    assert "audit.csv, row 4: the audit log's hash chain is broken at entry" in err and "Traceback" not in err
    assert _restored_nothing(Store(url))


def test_a_backup_from_before_the_chain_is_chained_as_it_is_restored(source, tmp_path):
    export_all(source, tmp_path / "b")
    _forge(tmp_path / "b", lambda f: f.drop(columns=["prev_hash", "entry_hash"]), revision="0004")
    target = Store(store_url(tmp_path / "target.sqlite"))
    import_all(target, tmp_path / "b")
    check = audit.verify_chain(target)
    # the same content in the same order: the chain made at the restore is the one the source made
    assert check.ok and (check.entries, check.head) == (len(source.audit()), audit.verify_chain(source).head)
    target.dispose()


def test_hashes_stripped_from_a_backup_whose_schema_keeps_them_are_refused(source, tmp_path):
    export_all(source, tmp_path / "b")
    _forge(tmp_path / "b", lambda f: f.drop(columns=["prev_hash", "entry_hash"]))
    target = Store(store_url(tmp_path / "target.sqlite"))
    with pytest.raises(InputError, match=f"no hash chain .* which schema {migrations.HEAD} always writes"):
        import_all(target, tmp_path / "b")
    assert _restored_nothing(target)
    target.dispose()


def test_counts_beside_blanks_are_written_as_integers_and_read_back(store, tmp_path):
    audit.record(store, user="a", role="r", action="sign_in", target="app")  # rows NULL
    audit.record(store, user="a", role="r", action="view_layer", target="layer:flagged", rows=12)
    export_all(store, tmp_path / "b")
    assert pd.read_csv(tmp_path / "b" / "audit.csv", dtype=str, keep_default_na=False)["rows"].tolist() == ["", "12"]
    _forge(tmp_path / "b", lambda f: f.assign(rows=["", "12.0"]))  # as the build before this one wrote them
    target = Store(store_url(tmp_path / "target.sqlite"))
    import_all(target, tmp_path / "b")
    assert target.audit()["rows"].tolist()[::-1] == [pd.NA, 12] and audit.verify_chain(target).ok
    target.dispose()


def test_a_count_that_is_not_a_number_is_named_by_row_and_column(store, tmp_path):
    audit.record(store, user="a", role="r", action="view_layer", target="layer:flagged", rows=12)
    export_all(store, tmp_path / "b")
    _forge(tmp_path / "b", lambda f: f.assign(rows=["twelve"]))
    target = Store(store_url(tmp_path / "target.sqlite"))
    with pytest.raises(InputError, match="'twelve' is not a int") as caught:
        import_all(target, tmp_path / "b")
    assert (caught.value.row, caught.value.column) == (2, "rows") and _restored_nothing(target)
    target.dispose()


# --------------------------------------------------------------------------- the release secret


def _small_store(url: str, write) -> Store:
    store = Store(url)
    import_path(store, "incidents", write("a.csv", police_csv(police_row(), police_row(), police_row(crime_id="c1"))))
    return store


def _drop_secret_file(folder, *, revision: str | None) -> None:
    """The backup as an export before revision 0006 wrote it (``revision``), or with the file taken out."""
    (folder / "release_secret.csv").unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"]["release_secret.csv"], manifest["rows"]["release_secret"]
    if revision is not None:
        manifest["revision"] = revision
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _secret_rows(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT id, secret, created_at FROM release_secret"))]


def test_a_restored_store_has_the_same_secret_and_the_same_record_keys(tmp_path, write):
    source = _small_store(store_url(tmp_path / "s.sqlite"), write)
    secret = source.release_secret()
    export_all(source, tmp_path / "b")
    assert (tmp_path / "b" / "release_secret.csv").read_text().splitlines()[1].startswith(f"1,{secret.hex()},")
    target = Store(store_url(tmp_path / "t.sqlite"))
    made_while_empty = target.release_secret()  # a dashboard opened on the empty store: it protected no record
    import_all(target, tmp_path / "b")
    assert target.release_secret() == secret != made_while_empty and _secret_rows(target) == _secret_rows(source)
    pd.testing.assert_frame_equal(target.read("incidents", keys=True), source.read("incidents", keys=True))
    source.dispose()
    target.dispose()


def test_a_backup_made_before_any_release_restores_with_no_secret(tmp_path, write):
    source = _small_store(store_url(tmp_path / "s.sqlite"), write)
    summary = export_all(source, tmp_path / "b")
    assert summary.rows["release_secret"] == 0  # the file is there, a header only
    assert (tmp_path / "b" / "release_secret.csv").read_text() == "id,secret,created_at\n"
    target = Store(store_url(tmp_path / "t.sqlite"))
    import_all(target, tmp_path / "b")
    assert _secret_rows(target) == [] and len(target.release_secret()) == 32  # made on first use
    source.dispose()
    target.dispose()


def test_a_backup_from_before_the_secret_existed_restores_and_makes_one_on_first_use(tmp_path, write):
    source = _small_store(store_url(tmp_path / "s.sqlite"), write)
    secret = source.release_secret()
    export_all(source, tmp_path / "b")
    _drop_secret_file(tmp_path / "b", revision="0005")
    target = Store(store_url(tmp_path / "t.sqlite"))
    summary = import_all(target, tmp_path / "b")
    assert "release_secret" not in summary.rows and _secret_rows(target) == []
    assert target.count("incidents") == 3
    assert target.release_secret() != secret  # a new one: 0005 backups never carried it
    source.dispose()
    target.dispose()


def test_a_backup_whose_schema_writes_the_secret_but_lacks_it_is_refused(tmp_path, write):
    """Restoring it would mean a new secret, so fresh noise on every cell, and two releases that average out."""
    source = _small_store(store_url(tmp_path / "s.sqlite"), write)
    source.release_secret()
    export_all(source, tmp_path / "b")
    _drop_secret_file(tmp_path / "b", revision=None)
    target = Store(store_url(tmp_path / "t.sqlite"))
    with pytest.raises(
        InputError, match=rf"no release_secret\.csv, which schema {migrations.HEAD} always writes"
    ) as caught:
        import_all(target, tmp_path / "b")
    assert caught.value.file == str(tmp_path / "b") and _restored_nothing(target) and _secret_rows(target) == []
    source.dispose()
    target.dispose()


def _forge_secret(folder, text: str) -> None:
    path = folder / "release_secret.csv"
    path.write_text(text)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["release_secret.csv"] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "bytes": 0}
    manifest["rows"]["release_secret"] = text.count("\n") - 1
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("rows", "where", "problem"),
    [
        (["1,{s},{t}", "1,{s},{t}"], (3, None), "one release secret, not 2"),
        (["2,{s},{t}"], (2, "id"), "id is 1"),
        (["1,{short},{t}"], (2, "secret"), "not a release secret"),
        (["1,{upper},{t}"], (2, "secret"), "not a release secret"),
        (["1,{s},"], (2, "created_at"), "created_at is blank"),
        (["one,{s},{t}"], (2, "id"), "'one' is not a int"),
        (["1,,{t}"], (2, "secret"), "not a release secret"),
    ],
)
def test_a_forged_secret_is_refused_naming_its_row_and_column(tmp_path, write, rows, where, problem):
    source = _small_store(store_url(tmp_path / "s.sqlite"), write)
    secret = source.release_secret().hex()
    export_all(source, tmp_path / "b")
    when = "2026-01-01T00:00:00+00:00"
    lines = [r.format(s=secret, t=when, short=secret[:62], upper=secret.upper()) for r in rows]
    _forge_secret(tmp_path / "b", "id,secret,created_at\n" + "".join(f"{line}\n" for line in lines))
    target = Store(store_url(tmp_path / "t.sqlite"))
    with pytest.raises(InputError, match=problem) as caught:
        import_all(target, tmp_path / "b")
    assert caught.value.file == str(tmp_path / "b" / "release_secret.csv")
    assert (caught.value.row, caught.value.column) == where
    assert _restored_nothing(target) and _secret_rows(target) == []
    source.dispose()
    target.dispose()


# --------------------------------------------------------------------------- a table added by a later revision


def _drop_population_file(folder, *, revision: str | None) -> None:
    """The backup as an export before revision 0008 wrote it (``revision``), or with the file taken out."""
    (folder / "population.csv").unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"]["population.csv"], manifest["rows"]["population"]
    if revision is not None:
        manifest["revision"] = revision
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_the_population_round_trips(source, tmp_path):
    export_all(source, tmp_path / "b")
    target = Store(store_url(tmp_path / "t.sqlite"))
    assert import_all(target, tmp_path / "b").rows["population"] == 24  # the demo's 8 wards x 3 mid-years
    pd.testing.assert_frame_equal(target.read("population", keys=True), source.read("population", keys=True))
    target.dispose()


def test_a_backup_from_before_the_population_table_restores_with_none(tmp_path, write):
    source = _small_store(store_url(tmp_path / "s.sqlite"), write)
    export_all(source, tmp_path / "b")
    _drop_population_file(tmp_path / "b", revision="0007")
    target = Store(store_url(tmp_path / "t.sqlite"))
    summary = import_all(target, tmp_path / "b")
    assert "population" not in summary.rows and target.count("population") == 0 and target.count("incidents") == 3
    source.dispose()
    target.dispose()


def test_a_backup_whose_schema_writes_the_population_but_lacks_it_is_refused(tmp_path, write):
    source = _small_store(store_url(tmp_path / "s.sqlite"), write)
    export_all(source, tmp_path / "b")
    _drop_population_file(tmp_path / "b", revision=None)  # the revision is this Nestwatch's: it always writes one
    target = Store(store_url(tmp_path / "t.sqlite"))
    with pytest.raises(InputError, match=r"the backup has no population\.csv, which export-all always writes"):
        import_all(target, tmp_path / "b")
    assert target.is_empty()  # nothing restored
    source.dispose()
    target.dispose()
